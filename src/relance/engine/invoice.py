"""Invoices / Factures: one row per invoice or credit note, checked cell by cell.

A row that cannot be used safely (no id, bad amount, unknown customer, unreadable date) is
skipped and reported; relance never reminds on a guess.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from itertools import compress, repeat
from operator import attrgetter, eq, is_, itemgetter
from typing import Any, ClassVar, NamedTuple

import numpy as np
import numpy.typing as npt

from relance.engine import cells
from relance.engine.anomaly import Source
from relance.engine.catalog import anomalies as A
from relance.engine.customer import Customer
from relance.engine.formats import Money
from relance.engine.settings import Settings
from relance.engine.sheets import CellValue
from relance.engine.table import Collector, Row, Table
from relance.engine.terms import Terms, legal_latest_due, parse_terms


class _InvoiceFields(NamedTuple):
    """The fields of an Invoice as it is held: the last one its Source, or its row's number."""

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
    row: int | Source  # its Source; a reading's record (read_from) holds the row's number


class Invoice(_InvoiceFields):
    """One row of Factures, checked; a tuple of 13 fields, since a million of them may be built
    per run (balance.py and position.py unpack them).

    Built as `Invoice(id, ..., payment_url, source)`. The invoices a reading of Factures builds
    are of a class of the reading's own (`read_from`, which holds the tab's name) and hold their
    row's number in the last field: `source` is made again when asked, instead of one Source
    tuple held per invoice (72 bytes, about a sixth of an invoice's memory)."""

    __slots__ = ()
    tab: ClassVar[str] = ""  # a reading's class (read_from): the tab its records were read from

    def __new__(cls, id: str, customer_id: str, issue_date: dt.date, due_date: dt.date, amount: Decimal,
                currency: str, kind: str, applies_to: str, paid_amount: Decimal | None, status: str,
                pdf_url: str, payment_url: str, source: Source) -> Invoice:
        """The fields and the source, held whole (a reading holds the row number: `read_from`)."""
        return tuple.__new__(cls, (id, customer_id, issue_date, due_date, amount, currency, kind, applies_to,
                                   paid_amount, status, pdf_url, payment_url, source))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled and copied as `Invoice(*fields, source)` (a reading's class is not importable)."""
        return (Invoice, (*self[:12], self.source))

    @property
    def source(self) -> Source:
        """The row the invoice was read from (Factures, row 17): held, or made from the row's number."""
        row = self[12]
        return Source(self.tab, row) if type(row) is int else row  # type: ignore[return-value]

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    def __eq__(self, other: object) -> bool:
        """Equal fields and sources, however each holds its source (a Source, or a row number
        and its class's tab)."""
        if not isinstance(other, Invoice):
            return tuple.__eq__(self, other)
        return self[:12] == other[:12] and self.source == other.source

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        """The fields' hash (equal records have equal fields, whichever way they hold their source)."""
        return hash(self[:12])

    def __repr__(self) -> str:
        """As the record reads: its fields and its source."""
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields[:12], self, strict=False))
        return f"Invoice({fields}, source={self.source!r})"


def read_from(tab: str) -> type[Invoice]:
    """A class for the invoices one reading of the tab named `tab` builds, made anew for each reading
    (a subclass holding the tab's name): built with `tuple.__new__(cls, (*fields, row_number))`,
    each holds its row's number where a Source tuple was (72 bytes a record), and `source` is made
    from both when asked."""
    return type("Invoice", (Invoice,), {"__slots__": (), "tab": tab, "__qualname__": "Invoice"})


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


_MISSING = object()  # a cell not read yet


def _read(of: dict[Any, Any], column: Sequence[CellValue], read: Callable[[Any], Any], default: object,
          odd: npt.NDArray[np.bool_]) -> list[Any]:
    """What each cell of a column reads as: `of` (each distinct text or blank cell, read once with
    `read`, learnt as met); any other cell gives `default`, and its row is odd when `default` is None."""
    try:
        found: list[Any] = list(map(of.get, column, repeat(_MISSING)))
    except TypeError:  # an unhashable cell (Decimal('sNaN')): its row is odd
        found = []
        for k, v in enumerate(column):
            try:
                found.append(of.get(v, _MISSING))
            except TypeError:
                found.append(default)
                odd[k] = True
    if any(map(is_, found, repeat(_MISSING))):
        for k, v in enumerate(found):
            if v is _MISSING:
                cell = column[k]
                if cell is None or type(cell) is str:
                    if cell not in of:
                        of[cell] = read(cell)
                    found[k] = of[cell]
                else:
                    found[k] = default
    if default is None and any(map(is_, found, repeat(None))):
        odd[[k for k, v in enumerate(found) if v is None]] = True
    return found


_UNREAD = Terms(-1)  # a terms cell the fast path leaves to the row-by-row reading
_SPAN = cells.LAST_DATE.toordinal() + 1  # a due date's key: terms code * _SPAN + issue day


class _Nobody(NamedTuple):
    """Stands for the customer of a row whose customer is unknown (the row is read row by row)."""

    id: str = ""
    type: str = ""
    payment_terms: Terms | None = None


_NOBODY = _Nobody()


def _fast(table: Table, reader: _RowReader, invoices: dict[str, Invoice]) -> None:
    """The column-wise reading, a block of rows at a time: each check made on the block's columns
    (at C speed when a column is clean throughout), the records of the clean rows built column by
    column; the rows some check finds odd go through `reader.row`, in their place. A row is odd
    when anything in it is unusual, or its number is another row's of its block or is already
    read, so that a clean row depends on no other row.

    Equal values are one object: a date per distinct date, the customer's own code, one text
    per currency, kind and status (the records of a million rows are most of a run's memory)."""
    _Blocks(table, reader, invoices).read()


class _Blocks:
    """What the blocks of one tab share: each distinct cell read once, each due date computed once."""

    def __init__(self, table: Table, reader: _RowReader, invoices: dict[str, Invoice]) -> None:
        self.table, self.reader, self.invoices = table, reader, invoices
        settings = reader.settings
        self.default_currency = settings.default_currency
        self.dates: dict[CellValue, CellValue] = {}  # one object per date
        self.amounts: dict[int, dict[int, Decimal]] = {}  # one object per amount (cells.decimals)
        self.made = read_from(table.name)  # the class of this reading's invoices
        self.day_of: dict[CellValue, int] = {}  # its day number (cells.shared_dates)
        kind_col, status_col = reader.kind_col, reader.status_col
        self.kind_of: dict[CellValue, Any] = {}
        self.read_kind = lambda v: kind_col.choice(v) if v is not None and v != "" else "invoice"
        self.status_of: dict[CellValue, Any] = {}
        self.read_status = lambda v: status_col.choice(v) if v is not None and v != "" else "open"
        known, default = cells.KNOWN_CURRENCIES, self.default_currency
        self.currency_of: dict[CellValue, Any] = {}
        codes = {default: default}  # one text per currency, the default one's when blank
        self.read_currency = lambda v: default if not v else codes.setdefault(v, v) if v in known else None
        self.terms_of: dict[CellValue, Any] = {}
        self.customer_of: dict[CellValue, Any] = {}
        self.unit_of: dict[str | None, Decimal] = {None: cells.minor_unit(default), default: cells.minor_unit(default)}
        self.latest: dict[int, int] = {}  # issue day -> the latest due day the law allows
        self.due_of: dict[int, Any] = {}  # terms code * _SPAN + issue day -> due date
        self.customer_codes: dict[int, int] = {}  # id(Customer) -> the code of its terms
        self.default_code = _terms_code(reader.default_terms)

    def read(self) -> None:
        numbers, rows = self.table.numbers, self.table.rows
        size = cells.BLOCK
        for start in range(0, len(rows), size):
            self.block(numbers[start:start + size], rows[start:start + size])

    def terms(self, v: str | None) -> Terms | None:
        parsed = parse_terms(v) if v else None
        return _UNREAD if v and parsed is None else parsed

    def customer(self, v: str | None) -> Any:
        return self.reader.customers.get(v.strip()) if v is not None else None

    def code(self, customer: Customer) -> int:
        """The code of a customer's terms (-1: none), once per customer."""
        found = self.customer_codes.get(id(customer))
        if found is None:
            terms = customer.payment_terms
            found = self.customer_codes[id(customer)] = -1 if terms is None else _terms_code(terms)
        return found

    def block(self, numbers: list[int], rows: list[Sequence[CellValue]]) -> None:
        reader, invoices, table = self.reader, self.invoices, self.table
        n = len(rows)
        columns: list[Any] = cells.columns(rows, reader.indexes)  # compared once typed
        (ids, customer_ids, issues, dues, amounts, currencies, kinds, applies, paids, terms_cells, statuses,
         pdfs, pays) = columns
        odd = np.zeros(n, dtype=np.bool_)
        # numbers and customers: text cells; a number that no other row of the block has, not read yet
        id_texts, not_text = cells.text_cells(ids, blank=False)
        odd[not_text] = True
        if set(map(type, customer_ids)) - {str}:
            odd[[k for k, v in enumerate(customer_ids) if type(v) is not str]] = True
        distinct = set(id_texts)
        if len(distinct) != n or "" in distinct:
            counts = Counter(id_texts)
            odd[[k for k, v in enumerate(id_texts) if counts[v] > 1 or not v]] = True
        if not invoices.keys().isdisjoint(distinct):  # the set's hashes: no look at the texts
            odd[[k for k, v in enumerate(id_texts) if v in invoices]] = True
        found: list[Any] = _read(self.customer_of, customer_ids, self.customer, None, odd)
        if any(map(is_, found, repeat(None))):
            found = [_NOBODY if c is None else c for c in found]
        # issue dates: date cells within range; due dates: blank, or a date cell from the issue date on
        issues, issue_days = cells.shared_dates(issues, self.dates, self.day_of)
        dues, due_days = cells.shared_dates(dues, self.dates, self.day_of)
        issue_day, due_day = np.array(issue_days, dtype=np.int64), np.array(due_days, dtype=np.int64)
        odd |= (issue_day <= 0) | (due_day < 0) | ((due_day > 0) & (due_day < issue_day))
        # amounts: floats above 0 and below MAX_AMOUNT
        values, bad_amount = cells.positive_floats(amounts)
        odd[bad_amount] = True
        # choices, currencies, terms: one reading per distinct cell
        kind_v = _read(self.kind_of, kinds, self.read_kind, None, odd)
        status_v = _read(self.status_of, statuses, self.read_status, None, odd)
        currency_v = _read(self.currency_of, currencies, self.read_currency, None, odd)
        terms_v = _read(self.terms_of, terms_cells, self.terms, _UNREAD, odd)
        if any(map(is_, terms_v, repeat(_UNREAD))):
            odd[[k for k, t in enumerate(terms_v) if t is _UNREAD]] = True
        # amounts already paid: blank, or a float from 0 to below MAX_AMOUNT
        paid_at: list[int] = []
        if paids.count("") + paids.count(None) != n:
            paid_at = [k for k, v in enumerate(paids) if v is not None and v != ""]
            odd[[k for k in paid_at if type(paids[k]) is not float or not 0 <= paids[k] < 1e12]] = True
        # a business's invoice with terms or a due date beyond the legal maximum: R114, row by row
        late = np.zeros(n, dtype=np.bool_)
        beyond = {id(t) for t in self.terms_of.values() if t is not None and t.beyond_legal_maximum}
        if beyond:
            late |= np.fromiter(map(beyond.__contains__, map(id, terms_v)), np.bool_, n)
        if (due_day > 0).any():
            latest = self.latest
            for day in set(issue_days).difference(latest):
                latest[day] = legal_latest_due(dt.date.fromordinal(day)).toordinal() if day > 0 else 0
            late |= (due_day > 0) & (due_day > np.fromiter(map(latest.__getitem__, issue_days), np.int64, n))
        if late.any():
            odd[[k for k in np.flatnonzero(late).tolist() if kind_v[k] == "invoice" and found[k].type == "B2B"]] = True
        # the amounts, rounded to their currency's minor unit: more decimals than it has is R109
        unit_of, default_unit = self.unit_of, self.unit_of[None]
        for c in set(currency_v).difference(unit_of):
            unit_of[c] = cells.minor_unit(c)
        row_units = set(map(unit_of.__getitem__, set(currency_v)))
        units: Decimal | list[Decimal] = (row_units.pop() if len(row_units) == 1 else
                                          list(map(unit_of.__getitem__, currency_v)))
        amount_v, extra = cells.decimals(values, units, self.amounts)
        odd[extra] = True
        # due dates from the terms, where the row leaves them blank: one computation per terms and issue date
        due_v: list[Any] = dues
        at = np.flatnonzero(~odd & (due_day == 0))
        if at.size:
            at_rows = at.tolist()
            code_of = {v: _terms_code(t) if t is not None else -1 for v, t in self.terms_of.items()}
            row_code = np.fromiter(map(code_of.__getitem__, map(terms_cells.__getitem__, at_rows)), np.int64, at.size)
            customer_code = np.fromiter(map(self.code, map(found.__getitem__, at_rows)), np.int64, at.size)
            code = np.where(row_code >= 0, row_code, np.where(customer_code >= 0, customer_code, self.default_code))
            keys = (code * _SPAN + issue_day[at]).tolist()
            due_of, dates, eom = self.due_of, self.dates, self.reader.settings.eom_method
            for key in set(keys).difference(due_of):
                due = Terms(key // _SPAN // 2, bool(key // _SPAN % 2)).due_date(dt.date.fromordinal(key % _SPAN), eom)
                due_of[key] = dates.setdefault(due, due)
            due_v = list(dues)
            for k, d in zip(at_rows, map(due_of.__getitem__, keys), strict=True):
                due_v[k] = d
        paid_v: list[Decimal | None] = [None] * n
        for k in paid_at:
            if not odd[k]:
                paid_v[k] = Decimal(repr(paids[k])).quantize(unit_of.get(currency_v[k], default_unit), ROUND_HALF_UP)
        records = map(tuple.__new__, repeat(self.made), zip(  # Invoice(...) without its __new__
            id_texts, map(attrgetter("id"), found), issues, due_v, amount_v, currency_v, kind_v, cells.texts(applies),
            paid_v, status_v, cells.texts(pdfs), cells.texts(pays), numbers, strict=True))
        odd_rows = np.flatnonzero(odd).tolist()
        if not odd_rows:
            invoices.update(zip(id_texts, records, strict=True))
            return
        built = list(records)
        start = 0
        for k in odd_rows:
            invoices.update(zip(id_texts[start:k], built[start:k], strict=True))
            reader.row(Row(table, numbers[k], rows[k]), _values(table, reader, rows[k]), invoices)
            start = k + 1
        invoices.update(zip(id_texts[start:], built[start:], strict=True))


def _terms_code(terms: Terms) -> int:
    """Terms as a number (Terms hashes at Python speed): twice the days, plus one for end of month."""
    return 2 * terms.days + terms.end_of_month


def _values(table: Table, reader: _RowReader, row_cells: Sequence[CellValue]) -> list[CellValue]:
    return Row(table, 0, row_cells).values(reader.indexes)


def _credit_notes(table: Table, invoices: dict[str, Invoice], out: Collector) -> None:
    records = invoices.values()
    for inv in compress(records, map(eq, map(itemgetter(6), records), repeat("credit_note"))):  # kind
        if inv.applies_to:
            target = invoices.get(inv.applies_to)
            if target is None or target.is_credit_note:
                out.warn(inv.source.at(table.columns.get("applies_to"), table.heading("applies_to")),
                         inv.applies_to, A.R116_NOT_AN_INVOICE(tab=table.name), A.R116_HINT(), "R116")
            elif target.currency != inv.currency or target.customer_id != inv.customer_id:
                out.warn(inv.source.at(table.columns.get("applies_to"), table.heading("applies_to")),
                         inv.applies_to, A.R117_OTHER(), A.R117_HINT(), "R117")
