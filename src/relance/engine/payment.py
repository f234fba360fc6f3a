"""Payments / Reglements: dated amounts, against an invoice or (blank invoice) a customer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from relance.engine import cells
from relance.engine.anomaly import Source
from relance.engine.catalog import anomalies as A
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
            out.add(row.source("date"), raw_date, A.PAYMENT_SKIPPED(problem=problem[0] if problem else A.BLANK()),
                    problem[1] if problem else cells.DATE_HINT, "R301")
            continue
        amount, problem = cells.parse_amount(raw_amount)
        if problem or amount is None or amount <= 0:
            out.add(row.source("amount"), raw_amount,
                    A.PAYMENT_SKIPPED(problem=problem[0] if problem else A.R302_NOT_POSITIVE()), A.R302_HINT(),
                    "R302")
            continue
        iid = cells.text(raw_invoice)
        cid = cells.text(raw_customer)
        invoice = invoices.get(iid) if iid else None
        if iid and invoice is None:
            out.add(row.source("invoice_id"), iid, A.R303_NOT_AN_INVOICE(tab=out.tab("invoices")),
                    A.R303_HINT(column=table.heading("customer_id")), "R303")
            continue
        if invoice is not None:
            if cid and cid != invoice.customer_id:
                out.warn(row.source("customer_id"), cid, A.R304_OTHER_CUSTOMER(customer=invoice.customer_id),
                         A.CORRECT_CUSTOMER(), "R304")
            cid = invoice.customer_id
        elif not cid:
            out.add(row.source(), "", A.R305_NEITHER(),
                    A.R305_HINT(invoice=table.heading("invoice_id"), customer=table.heading("customer_id")), "R305")
            continue
        elif cid not in customers:
            out.add(row.source("customer_id"), cid, A.R306_NOT_A_CUSTOMER(tab=out.tab("customers")),
                    A.CORRECT_CUSTOMER(), "R306")
            continue
        default_currency = invoice.currency if invoice else settings.default_currency
        currency, problem = cells.parse_currency(raw_currency, default_currency)
        if problem or currency is None:
            out.add(row.source("currency"), raw_currency, A.PAYMENT_SKIPPED(problem=A.NOT_A_CURRENCY()),
                    A.CURRENCY_HINT(), "R307")
            continue
        if invoice is not None and currency != invoice.currency:
            out.add(row.source("currency"), raw_currency, A.R308_OTHER_CURRENCY(currency=invoice.currency),
                    A.R308_HINT(), "R308")
            continue
        payments.append(Payment(day, cells.quantize(amount, currency), iid, cid, currency,
                                cells.text(raw_reference), row.source()))
    return payments
