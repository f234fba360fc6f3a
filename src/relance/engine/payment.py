"""Payments / Reglements: dated amounts, against an invoice or (blank invoice) a customer."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Sequence
from decimal import Decimal
from itertools import compress, count, repeat
from operator import eq, is_, itemgetter, ne, not_
from typing import Any, ClassVar, NamedTuple

import numpy as np

from relance.engine import cells
from relance.engine.anomaly import Anomaly, Source
from relance.engine.catalog import anomalies as A
from relance.engine.customer import Customer
from relance.engine.invoice import Invoice
from relance.engine.settings import Settings
from relance.engine.sheets import CellValue
from relance.engine.table import Collector, Row, Table


class _PaymentFields(NamedTuple):
    """The fields of a Payment as it is held: the last one its Source, or its row's number."""

    date: dt.date
    amount: Decimal
    invoice_id: str  # blank: allocated to the customer's oldest open invoices first
    customer_id: str
    currency: str
    reference: str
    row: int | Source  # its Source; a reading's record (read_from) holds the row's number


class Payment(_PaymentFields):
    """One row of Reglements, checked: a tuple of 7 fields. Built as `Payment(date, ...,
    reference, source)`; a reading's payments are of its own class (`read_from`) and hold their
    row's number, `source` made again when asked, as Invoice's is (engine/invoice.py)."""

    __slots__ = ()
    tab: ClassVar[str] = ""  # a reading's class (read_from): the tab its records were read from

    def __new__(cls, date: dt.date, amount: Decimal, invoice_id: str, customer_id: str, currency: str,
                reference: str, source: Source) -> Payment:
        """The fields and the source, held whole (a reading holds the row number: `read_from`)."""
        return tuple.__new__(cls, (date, amount, invoice_id, customer_id, currency, reference, source))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled and copied as `Payment(*fields, source)` (a reading's class is not importable)."""
        return (Payment, (*self[:6], self.source))

    @property
    def source(self) -> Source:
        """The row the payment was read from (Reglements, row 17): held, or made from the row's number."""
        row = self[6]
        return Source(self.tab, row) if type(row) is int else row  # type: ignore[return-value]

    def __eq__(self, other: object) -> bool:
        """Equal fields and sources, however each holds its source (a Source, or a row number
        and its class's tab)."""
        if not isinstance(other, Payment):
            return tuple.__eq__(self, other)
        return self[:6] == other[:6] and self.source == other.source

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        """The fields' hash (equal records have equal fields, whichever way they hold their source)."""
        return hash(self[:6])

    def __repr__(self) -> str:
        """As the record reads: its fields and its source."""
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields[:6], self, strict=False))
        return f"Payment({fields}, source={self.source!r})"


def read_from(tab: str) -> type[Payment]:
    """A class for the payments one reading of the tab named `tab` builds, made anew for each reading
    (a subclass holding the tab's name): built with `tuple.__new__(cls, (*fields, row_number))`,
    each holds its row's number where a Source tuple was (72 bytes a record), and `source` is made
    from both when asked."""
    return type("Payment", (Payment,), {"__slots__": (), "tab": tab, "__qualname__": "Payment"})


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
    shared: tuple[dict[CellValue, CellValue], dict[CellValue, int]] = ({}, {})  # dates (cells.shared_dates)
    size = cells.BLOCK
    made = read_from(table.name)  # the class of this reading's payments
    numbers, rows = table.numbers, table.rows
    for start in range(0, len(rows), size):
        _block(table, numbers[start:start + size], rows[start:start + size], indexes, invoices, customers, settings, out, payments, shared,
               made)
    return payments


def _block(table: Table, numbers: list[int], rows: list[Sequence[CellValue]], indexes: list[int | None],
           invoices: dict[str, Invoice], customers: dict[str, Customer], settings: Settings, out: Collector,
           payments: list[Payment], shared: tuple[dict[CellValue, CellValue], dict[CellValue, int]],
           made: type[Payment]) -> None:
    """The column-wise reading of a block of rows: every check on whole columns, the clean rows'
    payments built column by column, any other row read by `_row` in its place. A clean row: a
    date cell, a positive float amount, a known invoice (and no other customer) or customer, its
    currency as written or blank. The invoice's number and customer code are the invoice's own
    objects, a customer's code the customer's, a date one object per distinct date."""
    n = len(rows)
    columns: list[Any] = cells.columns(rows, indexes)  # compared once typed
    dates, amounts, invoice_ids, customer_ids, currencies, references = columns
    odd = np.zeros(n, dtype=np.bool_)
    dates, days = cells.shared_dates(dates, *shared)
    odd |= np.array(days, dtype=np.int64) <= 0
    values, bad_amount = cells.positive_floats(amounts)
    odd[bad_amount] = True
    invoice_texts, not_text = cells.text_cells(invoice_ids, blank=True)
    odd[not_text] = True
    customer_texts, not_text = cells.text_cells(customer_ids, blank=True)
    odd[not_text] = True
    if set(map(type, currencies)) - _TEXT:
        odd[[k for k, v in enumerate(currencies) if type(v) not in _TEXT]] = True
        currencies = [v if type(v) in _TEXT else None for v in currencies]
    # against an invoice: a known one, of the customer written if any
    found: list[Any] = list(map(invoices.get, invoice_texts))
    without = np.fromiter(map(is_, found, repeat(None)), np.bool_, n)
    if without.any():
        found = [_NONE if i is None else i for i in found]
    # one field at a time (a map of one itemgetter each is about twice as fast as a transposition)
    invoice_v, customer_v, invoice_currency = (list(map(itemgetter(j), found)) for j in (0, 1, 5))
    given = list(compress(count(), customer_texts))  # most rows name only the invoice
    if given:
        odd[[k for k in given if customer_texts[k] != customer_v[k] and not without[k]]] = True
    # the currency: the invoice's (a currency written must be it), else as written or the default one
    default_currency = settings.default_currency
    if without.any():
        currency_v = [i or c or default_currency for c, i in zip(currencies, invoice_currency, strict=True)]
    else:  # every row's invoice is known: its currency (never blank) is the row's
        currency_v = list(invoice_currency)
    written = np.fromiter(map(bool, currencies), np.bool_, n)
    if written.any():
        odd |= ~without & written & np.fromiter(map(ne, currencies, invoice_currency), np.bool_, n)
    known, codes = cells.KNOWN_CURRENCIES, {default_currency: default_currency}
    if without.any():
        for k in np.flatnonzero(without).tolist():
            if invoice_texts[k]:  # an unknown invoice
                odd[k] = True
            elif not odd[k]:  # against a customer: a known one
                customer = customers.get(customer_texts[k])
                currency = currency_v[k]
                if customer is None or currency not in known:
                    odd[k] = True
                else:
                    customer_v[k], invoice_v[k] = customer.id, ""
                    currency_v[k] = codes.setdefault(currency, currency)
    distinct = set(currency_v)
    units = {c: cells.minor_unit(c) if c in known else cells.minor_unit(default_currency) for c in distinct}
    unit: Decimal | list[Decimal] = (next(iter(units.values())) if len(set(units.values())) == 1 else
                                     list(map(units.__getitem__, currency_v)))
    amount_v, _ = cells.decimals(values, unit)
    # a payment of its invoice's whole amount holds the invoice's own Decimal (most payments: 104
    # bytes each saved); equal and of the same exponent, both rounded to the invoice's currency
    invoice_amount = list(map(itemgetter(4), found))
    same = list(map(eq, amount_v, invoice_amount))
    if all(same):
        amount_v = invoice_amount
    elif any(same):  # most are: only the others are put back
        for k in compress(count(), map(not_, same)):
            invoice_amount[k] = amount_v[k]
        amount_v = invoice_amount
    records = map(tuple.__new__, repeat(made), zip(  # Payment(...) without its __new__
        dates, amount_v, invoice_v, customer_v, currency_v, cells.texts(references), numbers,
        strict=True))
    odd_rows = np.flatnonzero(odd).tolist()
    if not odd_rows:
        payments.extend(records)
        return
    built = list(records)
    start = 0
    for k in odd_rows:
        payments.extend(built[start:k])
        row = Row(table, numbers[k], rows[k])
        payment = _row(row, row.values(indexes), table, invoices, customers, settings, out)
        if payment is not None:
            payments.append(payment)
        start = k + 1
    payments.extend(built[start:])


_TEXT = frozenset({str, type(None)})
_NONE = ("", "", None, None, None, None)  # stands for the invoice of a row without one: id, customer, currency


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


#: What a Reglements row relance could not use is said with: a date, an amount or a currency it
#: cannot read, another currency than the invoice's, an invoice number the invoices do not hold.
_UNUSED = frozenset({"R301", "R302", "R303", "R307", "R308"})


def hold_unread(table: Table | None, said: Sequence[Anomaly], invoices: dict[str, Invoice],
                customers: dict[str, Customer], out: Collector) -> None:
    """Put on hold what each payment row relance could not use names (`said`: what parse_payments
    reported): its invoice, or, for a row naming no invoice relance knows, its customer's open
    invoices. The payment may be real (a mistyped date or amount): reminding the invoice would
    remind a customer who may have paid. A reminder may come late, never to someone who paid
    (the unreadable Factures status errs the same way, R111). Each hold is said (R309) on the
    cell that named it; the invoices dict is changed in place (status "hold")."""
    if table is None:
        return
    rows = {a.source.row for a in said if a.code in _UNUSED and a.source.tab == table.name}
    if not rows:
        return
    named: list[tuple[Row, str, str]] = []  # (row, an invoice id known to the invoices or "", customer id)
    numbers = table.numbers  # in sheet order: each row found by bisection, not by a walk over every payment
    for number in sorted(rows):
        k = bisect_left(numbers, number)
        if k == len(numbers) or numbers[k] != number:
            continue
        row = Row(table, number, table.rows[k])
        iid, cid = cells.text(row.raw("invoice_id")), cells.text(row.raw("customer_id"))
        invoice = invoices.get(iid) if iid else None
        if invoice is not None and invoice.kind == "invoice":
            named.append((row, iid, invoice.customer_id))
        elif invoice is None and cid in customers:
            named.append((row, "", cid))
    if not named:
        return
    # what each row holds, from the statuses as read (two rows naming one invoice each say so)
    open_named = {iid for _, iid, _ in named if iid and invoices[iid].status == "open"}
    by_customer = {cid for _, iid, cid in named if not iid}
    open_of: dict[str, list[str]] = {cid: [] for cid in by_customer}
    if by_customer:
        for inv in invoices.values():
            if inv.customer_id in by_customer and inv.kind == "invoice" and inv.status == "open":
                open_of[inv.customer_id].append(inv.id)
    for row, iid, cid in named:
        held = open_of[cid] if not iid else [iid] if iid in open_named else []
        for one in held:
            invoices[one] = invoices[one]._replace(status="hold")
        if held and iid:
            out.warn(row.source("invoice_id"), iid, A.R309_HELD(), A.R309_HINT(), "R309")
        elif held:
            out.warn(row.source("customer_id"), cid, A.R309_HELD_CUSTOMER(n=len(held)), A.R309_HINT(), "R309")
