"""Invoices / Factures: one row per invoice or credit note, checked cell by cell.

A row that cannot be used safely (no id, bad amount, unknown customer, unreadable date) is
skipped and reported; relance never reminds on a guess.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from itertools import repeat
from operator import eq, is_
from typing import Any, NamedTuple

from relance.engine import cells
from relance.engine.anomaly import Source
from relance.engine.catalog import anomalies as A
from relance.engine.contract import ColumnSpec
from relance.engine.customer import Customer
from relance.engine.formats import Money
from relance.engine.settings import Settings
from relance.engine.sheets import CellValue
from relance.engine.table import Collector, Row, Table
from relance.engine.terms import Terms, legal_latest_due, parse_terms


class Invoice(NamedTuple):
    """One row of Factures, checked; a tuple, since 100k of them are built per run."""

    id: str
    customer_id: str
    issue_date: dt.date
    due_date: dt.date
    amount: Decimal
    currency: str
    kind: str  # "invoice" | "credit_note"
    applies_to: str
    paid_amount: Decimal | None
    status: str  # "open" | "disputed" | "hold" | "cancelled"
    pdf_url: str
    payment_url: str
    source: Source

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"


def _date(
    row: Row, key: str, raw: object, out: Collector, code: str, required: bool
) -> tuple[dt.date | None, bool]:
    value, problem = cells.parse_date(raw)
    if problem:
        out.add(row.source(key), raw, A.ROW_SKIPPED(problem=problem[0]), problem[1], code)
        return None, False
    if value is None and required:
        out.add(row.source(key), "", A.ROW_SKIPPED(problem=A.BLANK()), cells.DATE_HINT, code)
        return None, False
    return value, True


_KEYS = ("invoice_id", "customer_id", "issue_date", "due_date", "amount", "currency", "kind", "applies_to",
         "paid_amount", "payment_terms", "status", "pdf_url", "payment_url")


def parse_invoices(
    table: Table | None, customers: dict[str, Customer], settings: Settings, out: Collector, by_row: bool = False
) -> dict[str, Invoice]:
    """The invoices of the tab, by id; each row with a problem skipped (or kept with a safe
    default) and reported.

    The rows are read column-wise: a row whose cells are all clean (the common case: ids, date
    cells, float amounts, known choices) is built at once, any other goes through the same
    row-by-row checks as `by_row=True` (the reference the tests compare with), so that every
    anomaly, its cell and its text are what the row-by-row reading says.
    """
    invoices: dict[str, Invoice] = {}
    if table is None:
        return invoices
    reader = _RowReader(table, customers, settings, out)
    if by_row:
        for row in table:
            reader.row(row, row.values(reader.indexes), invoices)
    else:
        _fast(table, reader, invoices)
    _credit_notes(table, invoices, out)
    return invoices


class _RowReader:
    """The row-by-row reading of one Factures row: every check, every anomaly."""

    def __init__(self, table: Table, customers: dict[str, Customer], settings: Settings, out: Collector) -> None:
        self.table = table
        self.customers = customers
        self.settings = settings
        self.out = out
        self.kind_col = table.spec.column("kind")
        self.status_col = table.spec.column("status")
        self.default_terms = settings.default_payment_terms
        self.indexes = table.indexes(_KEYS)

    def row(self, row: Row, values: list[CellValue], invoices: dict[str, Invoice]) -> None:
        out, customers, settings = self.out, self.customers, self.settings
        kind_col, status_col, default_terms = self.kind_col, self.status_col, self.default_terms
        (raw_id, raw_customer, raw_issue, raw_due, raw_amount, raw_currency, raw_kind, raw_applies,
         raw_paid, raw_terms, raw_status, raw_pdf, raw_pay) = values
        iid = raw_id.strip() if type(raw_id) is str else cells.text(raw_id)
        if not iid:
            out.add(row.source("invoice_id"), "", A.R100_NO_NUMBER(), A.R100_HINT(), "R100")
            return
        if iid in invoices:
            out.add(row.source("invoice_id"), iid, A.R101_DUPLICATE(first=invoices[iid].source.said()),
                    A.R101_HINT(), "R101")
            return
        cid = raw_customer.strip() if type(raw_customer) is str else cells.text(raw_customer)
        customer = customers.get(cid)
        if customer is None:
            customers_tab = out.tab("customers")
            out.add(row.source("customer_id"), cid,
                    A.R102_UNKNOWN_CUSTOMER(tab=customers_tab) if cid else A.R102_BLANK(),
                    A.R102_HINT(tab=customers_tab), "R102")
            return
        # date cells are the common case: checked here without a call
        issue: dt.date | None
        if type(raw_issue) is dt.date and cells.FIRST_DATE <= raw_issue <= cells.LAST_DATE:
            issue = raw_issue
        else:
            issue, ok = _date(row, "issue_date", raw_issue, out, "R103", required=True)
            if not ok or issue is None:
                return
        due_given: dt.date | None
        if raw_due is None or (type(raw_due) is dt.date and cells.FIRST_DATE <= raw_due <= cells.LAST_DATE):
            due_given = raw_due
        else:
            due_given, ok = _date(row, "due_date", raw_due, out, "R104", required=False)
            if not ok:
                return
        amount: Decimal | None
        if type(raw_amount) is float and -1e12 < raw_amount < 1e12:  # the common case, without a call
            amount, problem = Decimal(repr(raw_amount)), None
        else:
            amount, problem = cells.parse_amount(raw_amount)
        if problem or amount is None:
            out.add(row.source("amount"), raw_amount, A.ROW_SKIPPED(problem=problem[0] if problem else A.BLANK()),
                    problem[1] if problem else A.R105_HINT(), "R105")
            return
        kind = kind_col.choice(raw_kind) if raw_kind is not None else "invoice"
        if kind is None:
            out.add(row.source("kind"), raw_kind, A.R106_KIND(), A.R106_HINT(), "R106")
            return
        if amount < 0:
            out.add(row.source("amount"), raw_amount, A.ROW_SKIPPED(problem=A.NEGATIVE()), A.R107_HINT(), "R107")
            return
        currency: str | None
        if raw_currency is None:
            currency, problem = settings.default_currency, None
        else:
            currency, problem = cells.parse_currency(raw_currency, settings.default_currency)
        if problem or currency is None:
            said, fix = problem or (A.NOT_A_CURRENCY(), A.CURRENCY_HINT())
            out.add(row.source("currency"), raw_currency, A.ROW_SKIPPED(problem=said), fix, "R108")
            return
        rounded = cells.quantize(amount, currency)
        if rounded != amount:
            out.warn(row.source("amount"), raw_amount, A.MORE_DECIMALS(currency=currency, rounded=Money(rounded, currency)),
                     A.ROUND_TO_CENTS(), "R109")
        amount = rounded
        if amount == 0:
            out.warn(row.source("amount"), raw_amount, A.R110_ZERO(), A.R110_HINT(), "R110")
        status = status_col.choice(raw_status) if raw_status is not None else "open"
        if status is None:
            out.add(row.source("status"), raw_status, A.R111_STATUS(), A.R111_HINT(), "R111")
            status = "hold"
        terms: Terms | None = None
        if raw_terms is not None:
            terms = parse_terms(raw_terms)
            if terms is None:
                out.add(row.source("payment_terms"), raw_terms, A.R112_TERMS(), A.TERMS_HINT(), "R112")
        if due_given is not None:
            due = due_given
            if due < issue:
                out.warn(row.source("due_date"), raw_due, A.R113_BEFORE_ISSUE(), A.R113_HINT(), "R113")
        else:
            terms = terms or customer.payment_terms or default_terms
            due = terms.due_date(issue, settings.eom_method)
        if kind == "invoice" and customer.type == "B2B":
            if terms is not None and raw_terms is not None and terms.beyond_legal_maximum:
                out.warn(row.source("payment_terms"), raw_terms, A.LEGAL_MAXIMUM(), A.R114_HINT(), "R114")
            elif due_given is not None and due_given > legal_latest_due(issue):
                out.warn(row.source("due_date"), due_given.isoformat(), A.R114_DUE_LATE(days=(due_given - issue).days),
                         A.R114_HINT(), "R114")
        paid, problem = cells.parse_amount(raw_paid)
        paid = cells.quantize(paid, currency) if paid is not None else None
        if problem or (paid is not None and paid < 0):
            out.add(row.source("paid_amount"), raw_paid, A.R115_PAID(), A.R115_HINT(), "R115")
            paid = None
        invoices[iid] = Invoice(
            id=iid,
            customer_id=cid,
            issue_date=issue,
            due_date=due,
            amount=amount,
            currency=currency,
            kind=kind,
            applies_to=cells.text(raw_applies),
            paid_amount=paid,
            status=status,
            pdf_url=cells.text(raw_pdf),
            payment_url=cells.text(raw_pay),
            source=row.source(),
        )


def _choices(column: Sequence[CellValue], spec: ColumnSpec, blank: str) -> dict[str | None, str | None]:
    """The choice each text (or blank) cell of a column reads as: one lookup per distinct value."""
    return {v: (spec.choice(v) if v is not None and v != "" else blank)
            for v in cells.distinct_texts(column)}


_UNREAD = Terms(-1)  # a terms cell the fast path leaves to the row-by-row reading
_PLACEHOLDER = Decimal(0)  # the amount of a row the fast path leaves to the row-by-row reading


def _fast(table: Table, reader: _RowReader, invoices: dict[str, Invoice]) -> None:
    """The column-wise reading: each check made on whole columns (at C speed when a column is
    clean throughout); the rows some check finds odd go through `reader.row`, the others are built
    at once. A row is odd when anything in it is unusual, or its number is also another row's
    (as the row-by-row reading writes it), so that the clean rows depend on no other row."""
    columns: list[Sequence[Any]] = table.raw_columns(_KEYS)  # cells compared once their type is checked
    (ids, customer_ids, issues, dues, amounts, currencies, kinds, applies, paids, terms_cells, statuses,
     pdfs, pays) = columns
    n = len(table.data)
    customers, settings = reader.customers, reader.settings
    default_currency, default_terms, eom = settings.default_currency, reader.default_terms, settings.eom_method
    first, last, date, half_up = cells.FIRST_DATE, cells.LAST_DATE, dt.date, ROUND_HALF_UP
    odd: set[int] = set()
    # numbers and customers: text cells; a number that no other row has (as read row by row)
    id_texts, customer_texts = cells.texts(ids), cells.texts(customer_ids)
    _odd_unless_text(ids, odd)
    _odd_unless_text(customer_ids, odd)
    if len(set(id_texts)) != n or "" in id_texts:
        counts = Counter(id_texts)
        odd.update(k for k, v in enumerate(id_texts) if counts[v] > 1 or not v)
    found_customers = list(map(customers.get, customer_texts))
    if None in found_customers:
        odd.update(k for k, c in enumerate(found_customers) if c is None)
    # issue dates: date cells within range; amounts: floats above 0 and below MAX_AMOUNT
    if set(map(type, issues)) - {date} or (n and not (first <= min(issues) and max(issues) <= last)):
        odd.update(k for k, v in enumerate(issues) if type(v) is not date or not first <= v <= last)
    if (set(map(type, amounts)) - {float} or not all(map((0.0).__lt__, amounts))
            or not all(map((1e12).__gt__, amounts))):
        bad_amount = [k for k, v in enumerate(amounts) if type(v) is not float or not 0 < v < 1e12]
        odd.update(bad_amount)
        amounts = list(amounts)
        for k in bad_amount:
            amounts[k] = 1.0  # a stand-in, so that the columns below hold numbers: the row is odd
    # choices, currencies, terms: one lookup per distinct cell
    kind_of = _choices(kinds, reader.kind_col, "invoice")
    status_of = _choices(statuses, reader.status_col, "open")
    known = cells.KNOWN_CURRENCIES
    currency_of: dict[CellValue, str | None] = {
        v: default_currency if not v else v if v in known else None for v in cells.distinct_texts(currencies)}
    terms_of: dict[CellValue, Terms | None] = {}
    for v in cells.distinct_texts(terms_cells):
        found = parse_terms(v) if v else None
        terms_of[v] = _UNREAD if v and found is None else found
    kind_v, status_v, currency_v = (_lookup(of, column, None, odd) for of, column in (
        (kind_of, kinds), (status_of, statuses), (currency_of, currencies)))
    terms_v = _lookup(terms_of, terms_cells, _UNREAD, odd)
    if any(map(is_, terms_v, repeat(_UNREAD))):
        odd.update(k for k, t in enumerate(terms_v) if t is _UNREAD)
    # due dates: blank, or a date cell from the issue date to LAST_DATE
    odd.update(k for k, (d, i) in enumerate(zip(dues, issues, strict=True)) if d is not None and d != "" and (
        type(d) is not date or type(i) is not date or not i <= d <= last))
    # amounts already paid: blank, or a float from 0 to below MAX_AMOUNT
    if paids.count("") + paids.count(None) != n:
        odd.update(k for k, v in enumerate(paids) if v is not None and v != "" and (
            type(v) is not float or not 0 <= v < 1e12))
    units = {c: cells.minor_unit(c) for c in {default_currency, *(c for c in currency_v if c is not None)}}
    unit_v: list[Decimal] = [units.get(c, units[default_currency]) for c in currency_v]
    given = list(map(Decimal, map(repr, amounts)))
    quantize: Any = Decimal.quantize
    rounded_v: list[Decimal] = list(map(quantize, given, unit_v, repeat(half_up)))
    if not all(map(eq, rounded_v, given)):  # more decimals than the currency has: R109
        odd.update(k for k, (r, g) in enumerate(zip(rounded_v, given, strict=True)) if r != g)
    applies_texts, pdf_texts, pay_texts = cells.texts(applies), cells.texts(pdfs), cells.texts(pays)
    due_by: dict[tuple[int, bool, dt.date], dt.date] = {}
    latest_by: dict[dt.date, dt.date] = {}
    name, new = table.name, tuple.__new__
    for k, ((number, row_cells), iid, cid, customer, issue, due, amount, currency, kind, status, terms, paid,
            unit) in enumerate(zip(table.data, id_texts, customer_texts, found_customers, issues, dues, rounded_v,
                                   currency_v, kind_v, status_v, terms_v, paids, unit_v, strict=True)):
        if k in odd or (kind == "invoice" and customer.type == "B2B" and (
                (terms is not None and terms.beyond_legal_maximum)
                or (due and due > (latest_by.get(issue) or latest_by.setdefault(
                    issue, legal_latest_due(issue)))))):
            reader.row(Row(table, number, row_cells), _values(table, reader, row_cells), invoices)
            continue
        if not due:
            chosen = terms or customer.payment_terms or default_terms
            key = (chosen.days, chosen.end_of_month, issue)  # not hashing Terms: its __hash__ is Python's
            due = due_by.get(key)
            if due is None:
                due = due_by.setdefault(key, chosen.due_date(issue, eom))
        invoices[iid] = new(Invoice, (  # Invoice(...) without its Python-level __new__
            iid, cid, issue, due, amount, currency, kind, applies_texts[k],
            Decimal(repr(paid)).quantize(unit, half_up) if paid is not None and paid != "" else None,
            status, pdf_texts[k], pay_texts[k], new(Source, (name, number, None, ""))))


def _odd_unless_text(column: Sequence[CellValue], odd: set[int]) -> None:
    """Mark the rows whose cell is not text."""
    if set(map(type, column)) - {str}:
        odd.update(k for k, v in enumerate(column) if type(v) is not str)


def _lookup(of: dict[Any, Any], column: Sequence[CellValue], default: object, odd: set[int]) -> list[Any]:
    """What each cell of a column reads as (`of`: distinct text cell -> value); a cell not in `of`
    gives `default`, and its row is odd when `default` is None."""
    try:
        found: list[Any] = list(map(of.get, column, repeat(default)))
    except TypeError:  # an unhashable cell (Decimal('sNaN')): its row is odd
        found = []
        for k, v in enumerate(column):
            try:
                found.append(of.get(v, default))
            except TypeError:
                found.append(default)
                odd.add(k)
    if default is None and None in found:
        odd.update(k for k, v in enumerate(found) if v is None)
    return found


def _values(table: Table, reader: _RowReader, row_cells: Sequence[CellValue]) -> list[CellValue]:
    return Row(table, 0, row_cells).values(reader.indexes)


def _credit_notes(table: Table, invoices: dict[str, Invoice], out: Collector) -> None:
    for inv in invoices.values():
        if inv.is_credit_note and inv.applies_to:
            target = invoices.get(inv.applies_to)
            if target is None or target.is_credit_note:
                out.warn(inv.source.at(table.columns.get("applies_to"), table.heading("applies_to")),
                         inv.applies_to, A.R116_NOT_AN_INVOICE(tab=table.name), A.R116_HINT(), "R116")
            elif target.currency != inv.currency or target.customer_id != inv.customer_id:
                out.warn(inv.source.at(table.columns.get("applies_to"), table.heading("applies_to")),
                         inv.applies_to, A.R117_OTHER(), A.R117_HINT(), "R117")
