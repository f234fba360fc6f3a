"""Payments / Reglements: dated amounts, against an invoice or (blank invoice) a customer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from relance.engine import cells
from relance.engine.anomaly import Source
from relance.engine.customer import Customer
from relance.engine.invoice import Invoice
from relance.engine.settings import Settings
from relance.engine.table import Collector, Table


class Payment(NamedTuple):
    date: dt.date
    amount: Decimal
    invoice_id: str  # blank: allocated to the customer's oldest open invoices first
    customer_id: str
    currency: str
    reference: str
    source: Source


def parse_payments(
    table: Table | None,
    invoices: dict[str, Invoice],
    customers: dict[str, Customer],
    settings: Settings,
    out: Collector,
) -> list[Payment]:
    payments: list[Payment] = []
    if table is None:
        return payments
    indexes = table.indexes(("date", "amount", "invoice_id", "customer_id", "currency", "reference"))
    for row in table:
        raw_date, raw_amount, raw_invoice, raw_customer, raw_currency, raw_reference = row.values(indexes)
        day, problem = cells.parse_date(raw_date)
        if problem or day is None:
            out.add(row.source("date"), raw_date,
                    (problem[0] if problem else "is blank") + "; the payment was skipped",
                    problem[1] if problem else cells.DATE_HINT, "R301")
            continue
        amount, problem = cells.parse_amount(raw_amount)
        if problem or amount is None or amount <= 0:
            out.add(row.source("amount"), raw_amount,
                    (problem[0] if problem else "is blank, zero or negative") + "; the payment was skipped",
                    "enter the amount received (a positive number); record refunds as a credit note",
                    "R302")
            continue
        iid = cells.text(raw_invoice)
        cid = cells.text(raw_customer)
        invoice = invoices.get(iid) if iid else None
        if iid and invoice is None:
            out.add(row.source("invoice_id"), iid,
                    "is not an invoice of the Factures tab; the payment was skipped",
                    "correct the invoice number, or leave it blank and fill code_client to apply it "
                    "to the customer's oldest invoices", "R303")
            continue
        if invoice is not None:
            if cid and cid != invoice.customer_id:
                out.warn(row.source("customer_id"), cid,
                         f"differs from the invoice's customer {invoice.customer_id}; the invoice's is used",
                         "correct the customer code", "R304")
            cid = invoice.customer_id
        elif not cid:
            out.add(row.source(), "", "has neither an invoice number nor a customer code; the payment was skipped",
                    "fill numero_facture, or code_client to apply it to the oldest invoices", "R305")
            continue
        elif cid not in customers:
            out.add(row.source("customer_id"), cid, "is not a customer of the Clients tab; the payment was skipped",
                    "correct the customer code", "R306")
            continue
        default_currency = invoice.currency if invoice else settings.default_currency
        currency, problem = cells.parse_currency(raw_currency, default_currency)
        if problem or currency is None:
            out.add(row.source("currency"), raw_currency, "is not an ISO 4217 currency code; the payment was skipped",
                    "use a code such as EUR or USD", "R307")
            continue
        if invoice is not None and currency != invoice.currency:
            out.add(row.source("currency"), raw_currency,
                    f"differs from the invoice's currency {invoice.currency}; the payment was skipped "
                    "(relance never converts currencies)",
                    "record the amount in the invoice's currency", "R308")
            continue
        payments.append(Payment(day, cells.quantize(amount, currency), iid, cid, currency,
                                cells.text(raw_reference), row.source()))
    return payments
