"""Customers / Clients: who is reminded, in which language, by which address, under which scenario."""

from __future__ import annotations

import datetime as dt
import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from email.utils import parseaddr
from itertools import compress, count, repeat
from operator import is_, ne, not_, or_
from types import NoneType
from typing import Any, TypeVar

from relance.engine import cells
from relance.engine.anomaly import Source
from relance.engine.catalog import anomalies as A
from relance.engine.sheets import CellValue
from relance.engine.table import Collector, Row, Table, columns_of
from relance.engine.terms import Terms, parse_terms


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    emails: tuple[str, ...]
    cc: tuple[str, ...]
    phone: str
    language: str  # "fr" | "en"
    type: str  # "B2B" | "B2C", or "" when neither the row nor Settings default_customer_type says
    segment: str
    scenario: str
    payment_terms: Terms | None
    opt_out: bool
    paused_until: dt.date | None
    contact_name: str
    address: str
    postal_code: str
    city: str
    country: str
    owner: str
    source: Source

    @property
    def is_b2c(self) -> bool:
        """A consumer: never claimed penalties nor the indemnity; 2-year limitation."""
        return self.type == "B2C"

    @property
    def is_b2b(self) -> bool:
        """Known to be a business (its row, or Settings default_customer_type, says B2B)."""
        return self.type == "B2B"

    @property
    def type_known(self) -> bool:
        return self.type in ("B2B", "B2C")

    @property
    def claims_allowed(self) -> bool:
        """Whether a message may claim late-payment penalties (C. com. L441-10) and the fixed
        recovery indemnity (D441-5): only from a customer known to be a business. The figures
        (positions, report) still count them for customers of unknown type."""
        return self.type == "B2B"


_PLAIN_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$"
)


def normalized_email(address: str) -> str:
    """The address as email-validator would normalize it; plain ASCII ones take a fast path.

    The fast path accepts only what the library accepts too (dot-atom local part, LDH domain
    labels, alphabetic TLD); anything else goes through the library for its full checks.
    """
    if len(address) <= 254 and _PLAIN_EMAIL.match(address) and len(address.partition("@")[0]) <= 64:
        local, _, domain = address.partition("@")
        return f"{local}@{domain.lower()}"
    from email_validator import validate_email  # imported for the few unusual addresses only

    return validate_email(address, check_deliverability=False).normalized


def email_not_valid() -> type[Exception]:
    """email-validator's EmailNotValidError, imported when an address was refused (an `except`
    clause evaluates its class only then): a book of plain addresses never loads the library."""
    from email_validator import EmailNotValidError

    return EmailNotValidError


def _emails(row: Row, key: str, out: Collector) -> tuple[str, ...]:
    raw = row.raw(key)
    found: list[str] = []
    for part in cells.text(raw).replace(",", ";").split(";"):
        address = part.strip()
        if not address:
            continue
        if "<" in address:  # "Jean Dupont <jean@dupont.fr>": the address is what counts
            address = parseaddr(address)[1] or address
        try:
            found.append(normalized_email(address))
        except email_not_valid():
            out.warn(row.source(key), address, A.R201_EMAIL(), A.R201_HINT(), "R201")
    return tuple(found)


def _type_unsaid(row: Row, raw: object, default_type: str, out: Collector) -> str:
    """The type of a customer whose type_client is blank or unreadable: the Settings default
    when it is set, else unknown (""). Each case is a warning that says what was applied."""
    where = row.source("customer_type")
    column = row.table.heading("customer_type")
    said = A.NOT_B2B_OR_B2C() if raw is not None else A.BLANK()
    names = {"tab": out.tab("settings"), "setting": "default_customer_type"}
    if default_type:
        applied = (A.TYPE_APPLIED_B2C if default_type == "B2C" else A.TYPE_APPLIED_B2B)(type=default_type, **names)
    else:
        applied = A.TYPE_UNKNOWN(**names)
    out.warn(where, raw if raw is not None else "", A.THEN(first=said, then=applied),
             A.R204_HINT(column=column), "R204" if raw is not None else "R209")
    return default_type


def _quiet_emails(raw: object) -> tuple[str, ...] | None:
    """The addresses of a cell as _emails reads them, or None when _emails would report one."""
    found: list[str] = []
    for part in cells.text(raw).replace(",", ";").split(";"):
        address = part.strip()
        if not address:
            continue
        if "<" in address:
            address = parseaddr(address)[1] or address
        try:
            found.append(normalized_email(address))
        except email_not_valid():
            return None
    return tuple(found)


_KEYS = ("customer_id", "name", "email", "cc", "phone", "language", "customer_type", "segment", "scenario",
         "payment_terms", "opt_out", "paused_until", "contact_name", "address", "postal_code", "city", "country",
         "owner")


def parse_customers(table: Table | None, language: str, out: Collector,
                    default_type: str = "", by_row: bool = False) -> dict[str, Customer]:
    """The customers of the tab; `default_type` is Settings default_customer_type ("B2B", "B2C",
    or "": a blank type_client stays unknown).

    Read column-wise as Factures is (engine/invoice.py): a row whose cells are all clean (a text
    code, a known language and type, yes/no, a date cell, readable terms and addresses) is built
    at once, any other goes through the row-by-row checks `by_row=True` applies to every row (the
    reference the tests compare with), so that every anomaly is what the row-by-row reading says.
    """
    customers: dict[str, Customer] = {}
    if table is None:
        return customers
    if by_row:
        for row in table:
            _row(row, language, out, default_type, customers)
        return customers
    _fast(table, language, out, default_type, customers)
    return customers


#: Rows read at once: the cells of a block stay in the processor's cache while each of its
#: columns is read (a column of a whole big tab is spread over hundreds of megabytes).
BLOCK = 512
_MISSING: Any = object()


def _fast(table: Table, language: str, out: Collector, default_type: str, customers: dict[str, Customer]) -> None:
    """The column-wise reading, a block of rows at a time: each column of the block read at once
    (each distinct cell once), the records of its clean rows filled a field at a time, the other
    rows through `_row`, in row order."""
    spec = table.spec
    lang_col, type_col = spec.column("language"), spec.column("customer_type")

    def lang(v: str | None) -> str | None:
        return lang_col.choice(v) if v else language

    def ctype(v: str | None) -> str | None:
        return type_col.choice(v) if v else None  # a blank type is a warning

    def opt(v: str | None) -> bool | None:
        return cells.parse_bool(v)[0]

    def terms(v: str | None) -> Terms | None:
        found = parse_terms(v) if v else None
        return found if found is not None and not found.beyond_legal_maximum else _ODD_TERMS

    # what each distinct cell reads as (None: a cell the row-by-row reading must see)
    lang_of: dict[str | None, str | None] = {}
    type_of: dict[str | None, str | None] = {}
    opt_of: dict[str | bool | None, bool | None] = {None: False, "": False, True: True, False: False}
    terms_of: dict[str | None, Terms | None] = {None: None, "": None}
    shared: list[dict[str, str] | None] = [{} for _ in _SHARED]
    indexes = table.indexes(_KEYS)
    for b in range(0, len(table.rows), BLOCK):
        numbers, rows = table.numbers[b:b + BLOCK], table.rows[b:b + BLOCK]
        (ids, names, emails, ccs, phones, langs, types, segments, scenarios, terms_cells, opts, pauses, contacts,
         addresses, postals, cities, countries, owners) = columns_of(rows, indexes)
        lang_list = _looked_up(langs, lang_of, _TEXT, lang)
        type_list = _looked_up(types, type_of, _STR, ctype)
        opt_list = _looked_up(opts, opt_of, _TEXT_OR_BOOL, opt)
        terms_list = _looked_up(terms_cells, terms_of, _TEXT, terms, _ODD_TERMS)
        paused_list = _paused(pauses)
        email_lists, cc_lists = _email_column(emails), _email_column(ccs)
        cids = _stripped(ids)
        odd = set(compress(count(), map(not_, cids)))
        for column in (lang_list, opt_list, email_lists, cc_lists):
            odd.update(compress(count(), map(is_, column, repeat(None))))
        odd.update(compress(count(), map(is_, terms_list, repeat(_ODD_TERMS))))
        odd.update(compress(count(), map(is_, paused_list, repeat(_ODD_DATE))))
        name_list = _texts(names)
        for k in compress(count(), map(not_, name_list)):
            name_list[k] = cids[k]
        texts = [_share(_texts(column), shared, j, b == 0) for j, column in enumerate(
            (segments, scenarios, contacts, addresses, postals, cities, countries, owners))]
        sources = list(map(tuple.__new__, repeat(Source), zip(
            repeat(table.name), numbers, repeat(None), repeat(""))))
        made = _records(len(rows), (
            cids, name_list, email_lists, cc_lists, _texts(phones), lang_list, type_list, texts[0], texts[1],
            terms_list, opt_list, paused_list, texts[2], texts[3], texts[4], texts[5], texts[6], texts[7], sources))
        # a row whose only oddness is a blank or unknown type (text, or blank) is the fast
        # record with the type _type_unsaid says, and its one anomaly
        untyped = set(compress(count(), map(is_, type_list, repeat(None))))
        odd.update(k for k in untyped if not (types[k] is None or type(types[k]) is str))
        start = 0
        for k in sorted(odd | untyped):
            _clean(cids, made, numbers, rows, start, k, table, language, out, default_type, customers)
            row = Row(table, numbers[k], rows[k])
            if k in odd or cids[k] in customers:
                _row(row, language, out, default_type, customers)
            else:
                record = made[k]
                _TYPE.__set__(record, _type_unsaid(row, row.raw("customer_type"), default_type, out))
                customers[cids[k]] = record
            start = k + 1
        _clean(cids, made, numbers, rows, start, len(rows), table, language, out, default_type, customers)


def _clean(cids: list[str], made: list[Customer], numbers: list[int], rows: list[Sequence[CellValue]],
           start: int, end: int, table: Table, language: str, out: Collector, default_type: str,
           customers: dict[str, Customer]) -> None:
    """The clean rows start..end of a block added in order; a code met before goes through `_row` (R202)."""
    if start >= end:
        return
    codes = cids[start:end]
    if len(set(codes)) == len(codes) and customers.keys().isdisjoint(codes):
        customers.update(zip(codes, made[start:end], strict=True))
        return
    for k in range(start, end):
        if cids[k] in customers:
            _row(Row(table, numbers[k], rows[k]), language, out, default_type, customers)
        else:
            customers[cids[k]] = made[k]


_V = TypeVar("_V")
_STR: frozenset[type] = frozenset({str})
_TEXT: frozenset[type] = frozenset({str, NoneType})
_TEXT_OR_BOOL: frozenset[type] = frozenset({str, NoneType, bool})
#: The text columns whose equal values are kept once (segment, scenario, contact_name, address,
#: postal_code, city, country, owner: a few thousand addresses and cities for many customers).
_SHARED = range(8)


def _looked_up(column: Sequence[CellValue], known: dict[Any, _V], kinds: frozenset[type],
               read: Callable[[Any], _V], odd: _V | None = None) -> list[_V | None]:
    """`read(cell)` for each cell of a column whose type is one of `kinds`, once per distinct cell
    (kept in `known`); `odd` for any other cell."""
    if set(map(type, column)) <= kinds:
        found = list(map(known.get, column, repeat(_MISSING)))
    else:
        found = [known.get(v, _MISSING) if type(v) in kinds else odd for v in column]
    for k in compress(count(), map(is_, found, repeat(_MISSING))):
        v = column[k]
        value = known.get(v, _MISSING)
        if value is _MISSING:
            value = known[v] = read(v)
        found[k] = value
    return found


def _stripped(column: Sequence[CellValue]) -> list[str]:
    """Each text cell stripped, any other cell "" (a code must be text)."""
    if set(map(type, column)) <= {str}:
        return list(map(str.strip, column))  # type: ignore[arg-type]
    return [v.strip() if type(v) is str else "" for v in column]


def _share(texts: list[str], shared: list[dict[str, str] | None], j: int, first: bool) -> list[str]:
    """The texts with one object per distinct text across the blocks, when the column's values
    repeat (a column mostly of distinct texts in the first block is left as it is)."""
    distinct = shared[j]
    if distinct is None:
        return texts
    found = list(map(distinct.get, texts))
    for k in compress(count(), map(is_, found, repeat(None))):
        found[k] = distinct.setdefault(texts[k], texts[k])
    if first and len(distinct) * 2 > len(texts):
        shared[j] = None
    return found  # type: ignore[return-value]


_ODD_DATE = dt.date(1, 1, 1)  # a paused_until cell the fast path leaves to the row-by-row reading


def _paused(column: Sequence[CellValue]) -> list[dt.date | None]:
    """paused_until of each cell: None when blank, the date of a date cell within range, else _ODD_DATE."""
    first, last, date = cells.FIRST_DATE, cells.LAST_DATE, dt.date
    return [None if v is None or v == "" else v if type(v) is date and first <= v <= last else _ODD_DATE
            for v in column]


_BODY = _PLAIN_EMAIL.pattern[1:-1]  # the fast path's test, without its anchors
#: A cell normalized_email's fast path takes: its test, and its bounds (254 characters, 64 before the @).
_FAST_EMAIL = re.compile(r"(?=[^@]{1,64}@)(?=.{1,254}\Z)" + _BODY + r"\Z")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
#: _BODY without its backtracking: the same addresses (a label is 1 to 63 letters, digits and
#: hyphens, starting and ending with a letter or digit; the last one, 2 to 24 letters, has no dot).
_BODY_ONCE = (rf"{_ATOM}++(?:\.{_ATOM}++)*+@"
              r"(?:(?=[A-Za-z0-9])[A-Za-z0-9-]{1,63}+(?<=[A-Za-z0-9])\.)++[A-Za-z]{2,24}")
#: Addresses one per line (the cells joined by newlines, none holding one, their "," and ";"
#: made newlines), each line blank or one _FAST_EMAIL takes, spaces or tabs around it (when no
#: cell is longer than 254 characters: the line's length is not tested here).
_FAST_LINES = re.compile(r"(?:[ \t]*(?:(?=[^@\n]{1,64}@)" + _BODY_ONCE + r"[ \t]*)?(?:\n|\Z))*+")


def _email_column(column: Sequence[CellValue]) -> list[tuple[str, ...] | None]:
    """_quiet_emails of each cell of a column (() for a blank cell): when every address of the
    column is plain (what normalized_email's fast path takes: `_FAST_EMAIL` is its test), one
    match of the cells joined tells, and each cell is read at C speed; else each cell is tested."""
    if not set(map(type, column)) <= {str, NoneType}:
        return [() if v is None or v == "" else _quiet_emails(v) for v in column]
    texts = _texts(column)
    joined = "\n".join(texts)
    several = "," in joined or ";" in joined
    every = (joined.count("\n") == len(texts) - 1 and max(map(len, texts), default=0) <= 254
             and _FAST_LINES.fullmatch(joined.replace(",", "\n").replace(";", "\n") if several else joined)
             is not None)
    found: list[tuple[str, ...] | None] = list(zip(texts))
    if not every:
        matched = list(map(_FAST_EMAIL.fullmatch, texts))
        odd = map(or_, map(is_, matched, repeat(None)), map(ne, map(str.lower, texts), texts))
        for k in compress(count(), odd):
            address = texts[k]
            if not address:
                found[k] = ()
            elif matched[k] is None:
                found[k] = _quiet_emails(column[k])
            else:
                local, _, domain = address.partition("@")
                found[k] = (f"{local}@{domain.lower()}",)
        return found
    for k in compress(count(), map(not_, texts)):
        found[k] = ()
    capitals = joined.lower() != joined
    if capitals:
        for k in compress(count(), map(ne, map(str.lower, texts), texts)):
            found[k] = (_lowered_domain(texts[k]),)
    if several:
        for k in compress(count(), map(or_, map(str.__contains__, texts, repeat(",")),
                                       map(str.__contains__, texts, repeat(";")))):
            parts = [part.strip() for part in texts[k].replace(",", ";").split(";")]
            found[k] = tuple(_lowered_domain(part) for part in parts if part) if capitals else tuple(filter(None, parts))
    return found


def _texts(column: Sequence[CellValue]) -> list[str]:
    """cells.text of each cell of a column: a column of text stripped in one pass."""
    try:
        return list(map(str.strip, column))  # type: ignore[arg-type]
    except TypeError:  # a cell that is not text
        return cells.texts(column)


def _lowered_domain(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local}@{domain.lower()}"


_FIELDS = tuple(f.name for f in fields(Customer))
_SLOTS = tuple(getattr(Customer, name) for name in _FIELDS)
_TYPE = _SLOTS[_FIELDS.index("type")]


def _records(n: int, columns: Sequence[Sequence[object]]) -> list[Customer]:
    """Customer(*row) for each row of these columns (one per field, in order), filled a field at a
    time across the rows (a frozen dataclass sets each field through object.__setattr__)."""
    made = list(map(object.__new__, repeat(Customer, n)))
    for slot, column in zip(_SLOTS, columns, strict=True):
        deque(map(slot.__set__, made, column), maxlen=0)
    return made


_ODD_TERMS = Terms(-1)  # a terms cell the fast path leaves to the row-by-row reading


def _row(row: Row, language: str, out: Collector, default_type: str, customers: dict[str, Customer]) -> None:
    """One Clients row, checked cell by cell: its customer added, or the anomalies that say why not."""
    table = row.table
    spec = table.spec
    cid = cells.text(row.raw("customer_id"))
    if not cid:
        out.add(row.source("customer_id"), "", A.R200_NO_CODE(),
                A.R200_HINT(column=table.heading("customer_id")), "R200")
        return
    if cid in customers:
        out.add(row.source("customer_id"), cid, A.R202_DUPLICATE(first=customers[cid].source.said()),
                A.R202_HINT(), "R202")
        return
    lang_raw = row.raw("language")
    lang = spec.column("language").choice(lang_raw) if lang_raw is not None else language
    if lang is None:
        out.warn(row.source("language"), lang_raw, A.R203_LANGUAGE(language=language), A.R203_HINT(), "R203")
        lang = language
    type_raw = row.raw("customer_type")
    ctype = spec.column("customer_type").choice(type_raw) if type_raw is not None else None
    if ctype is None:
        ctype = _type_unsaid(row, type_raw, default_type, out)
    opt_raw = row.raw("opt_out")
    opt_out, problem = cells.parse_bool(opt_raw)
    if opt_out is None:
        # when unsure whether the customer asked for no reminders, relance does not remind
        out.add(row.source("opt_out"), opt_raw, A.R205_OPT_OUT(), A.R205_HINT(), "R205")
        opt_out = True
    paused_raw = row.raw("paused_until")
    paused, problem = cells.parse_date(paused_raw)
    if problem:
        out.add(row.source("paused_until"), paused_raw, A.R206_PAUSED(problem=problem[0]), problem[1], "R206")
        paused = dt.date.max
    terms_raw = row.raw("payment_terms")
    terms = parse_terms(terms_raw) if terms_raw is not None else None
    if terms_raw is not None and terms is None:
        out.add(row.source("payment_terms"), terms_raw, A.R207_TERMS(tab=out.tab("settings")), A.TERMS_HINT(),
                "R207")
    elif terms and terms.beyond_legal_maximum:
        out.warn(row.source("payment_terms"), terms_raw, A.LEGAL_MAXIMUM(), A.R208_HINT(), "R208")
    customers[cid] = Customer(
        id=cid,
        name=cells.text(row.raw("name")) or cid,
        emails=_emails(row, "email", out),
        cc=_emails(row, "cc", out),
        phone=cells.text(row.raw("phone")),
        language=lang,
        type=ctype,
        segment=cells.text(row.raw("segment")),
        scenario=cells.text(row.raw("scenario")),
        payment_terms=terms,
        opt_out=opt_out,
        paused_until=paused,
        contact_name=cells.text(row.raw("contact_name")),
        address=cells.text(row.raw("address")),
        postal_code=cells.text(row.raw("postal_code")),
        city=cells.text(row.raw("city")),
        country=cells.text(row.raw("country")),
        owner=cells.text(row.raw("owner")),
        source=row.source(),
    )
