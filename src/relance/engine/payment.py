"""Payments / Reglements: dated amounts, against an invoice or (blank invoice) a customer."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from relance.engine import cells
from relance.engine.anomaly import Source
from relance.engine.catalog import anomalies as A
from relance.engine.customer import Customer
from relance.engine.invoice import Invoice
from relance.engine.settings import Settings
from relance.engine.sheets import CellValue
from relance.engine.table import Collector, Row, Table


class Payment(NamedTuple):
    date: dt.date
    amount: Decimal
    invoice_id: str  # blank: allocated to the customer's oldest open invoices first
    customer_id: str
    currency: str
    reference: str
    source: Source


_KEYS = ("date", "amount", "invoice_id", "customer_id", "currency", "reference")


def parse_payments(
    table: Table | None,
    invoices: dict[str, Invoice],
    customers: dict[str, Customer],
    settings: Settings,
    out: Collector,
    by_row: bool = False,
) -> list[Payment]:
    """The payments of the tab, in row order; a row with a problem skipped and reported.

    Read column-wise as Factures is (engine/invoice.py): a clean row (a date cell, a positive
    float amount, a known invoice or customer, its currency) is built at once, any other goes
    through `_row`, the row-by-row checks `by_row=True` applies to every row (the reference).
    """
    payments: list[Payment] = []
    if table is None:
        return payments
    indexes = table.indexes(_KEYS)
    if by_row:
        for row in table:
            found = _row(row, row.values(indexes), table, invoices, customers, settings, out)
            if found is not None:
                payments.append(found)
        return payments
    dates, amounts, invoice_ids, customer_ids, currencies, references = table.raw_columns(_KEYS)
    reference_texts = cells.texts(references)
    known, default_currency = cells.KNOWN_CURRENCIES, settings.default_currency
    units: dict[str, Decimal] = {}
    first, last, name, date, half_up, new = cells.FIRST_DATE, cells.LAST_DATE, table.name, dt.date, ROUND_HALF_UP, \
        tuple.__new__
    for k, ((number, row_cells), raw_date, raw_amount, raw_invoice, raw_customer, raw_currency) in enumerate(zip(
            table.data, dates, amounts, invoice_ids, customer_ids, currencies, strict=True)):
        invoice = None
        if (type(raw_date) is date and first <= raw_date <= last and type(raw_amount) is float
                and 0 < raw_amount < 1e12 and (raw_invoice is None or type(raw_invoice) is str)
                and (raw_customer is None or type(raw_customer) is str)
                and (raw_currency is None or type(raw_currency) is str)):
            iid = raw_invoice.strip() if raw_invoice else ""
            cid = raw_customer.strip() if raw_customer else ""
            if iid:
                invoice = invoices.get(iid)
                clean = invoice is not None and (not cid or cid == invoice.customer_id)
                if invoice is not None:
                    cid = invoice.customer_id
            else:
                clean = bool(cid) and cid in customers
            currency = raw_currency or (invoice.currency if invoice is not None else default_currency)
            if clean and currency in known and (invoice is None or currency == invoice.currency):
                unit = units.get(currency)
                if unit is None:
                    unit = units[currency] = cells.minor_unit(currency)
                payments.append(new(Payment, (raw_date, Decimal(repr(raw_amount)).quantize(unit, half_up), iid, cid,
                                              currency, reference_texts[k], new(Source, (name, number, None, "")))))
                continue
        found = _row(Row(table, number, row_cells), Row(table, number, row_cells).values(indexes), table, invoices,
                     customers, settings, out)
        if found is not None:
            payments.append(found)
    return payments


def _row(row: Row, values: list[CellValue], table: Table, invoices: dict[str, Invoice],
         customers: dict[str, Customer], settings: Settings, out: Collector) -> Payment | None:
    """One Reglements row, checked cell by cell: the payment, or None and the anomaly that says why."""
    raw_date, raw_amount, raw_invoice, raw_customer, raw_currency, raw_reference = values
    day, problem = cells.parse_date(raw_date)
    if problem or day is None:
        out.add(row.source("date"), raw_date, A.PAYMENT_SKIPPED(problem=problem[0] if problem else A.BLANK()),
                problem[1] if problem else cells.DATE_HINT, "R301")
        return None
    amount, problem = cells.parse_amount(raw_amount)
    if problem or amount is None or amount <= 0:
        out.add(row.source("amount"), raw_amount,
                A.PAYMENT_SKIPPED(problem=problem[0] if problem else A.R302_NOT_POSITIVE()), A.R302_HINT(),
                "R302")
        return None
    iid = cells.text(raw_invoice)
    cid = cells.text(raw_customer)
    invoice = invoices.get(iid) if iid else None
    if iid and invoice is None:
        out.add(row.source("invoice_id"), iid, A.R303_NOT_AN_INVOICE(tab=out.tab("invoices")),
                A.R303_HINT(column=table.heading("customer_id")), "R303")
        return None
    if invoice is not None:
        if cid and cid != invoice.customer_id:
            out.warn(row.source("customer_id"), cid, A.R304_OTHER_CUSTOMER(customer=invoice.customer_id),
                     A.CORRECT_CUSTOMER(), "R304")
        cid = invoice.customer_id
    elif not cid:
        out.add(row.source(), "", A.R305_NEITHER(),
                A.R305_HINT(invoice=table.heading("invoice_id"), customer=table.heading("customer_id")), "R305")
        return None
    elif cid not in customers:
        out.add(row.source("customer_id"), cid, A.R306_NOT_A_CUSTOMER(tab=out.tab("customers")),
                A.CORRECT_CUSTOMER(), "R306")
        return None
    default_currency = invoice.currency if invoice else settings.default_currency
    currency, problem = cells.parse_currency(raw_currency, default_currency)
    if problem or currency is None:
        out.add(row.source("currency"), raw_currency, A.PAYMENT_SKIPPED(problem=A.NOT_A_CURRENCY()),
                A.CURRENCY_HINT(), "R307")
        return None
    if invoice is not None and currency != invoice.currency:
        out.add(row.source("currency"), raw_currency, A.R308_OTHER_CURRENCY(currency=invoice.currency),
                A.R308_HINT(), "R308")
        return None
    return Payment(day, cells.quantize(amount, currency), iid, cid, currency, cells.text(raw_reference),
                   row.source())
