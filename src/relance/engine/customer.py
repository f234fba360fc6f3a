"""Customers / Clients: who is reminded, in which language, by which address, under which scenario."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email.utils import parseaddr

from relance.engine import cells
from relance.engine.anomaly import Source
from relance.engine.catalog import anomalies as A
from relance.engine.table import Collector, Row, Table
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


def _fast(table: Table, language: str, out: Collector, default_type: str, customers: dict[str, Customer]) -> None:
    """The column-wise reading: clean rows built at once, the others through `_row`."""
    (ids, names, emails, ccs, phones, langs, types, segments, scenarios, terms_cells, opts, pauses, contacts,
     addresses, postals, cities, countries, owners) = table.raw_columns(_KEYS)
    spec = table.spec
    lang_col, type_col = spec.column("language"), spec.column("customer_type")
    lang_of = {v: (lang_col.choice(v) if v else language) for v in cells.distinct_texts(langs)}
    type_of = {v: type_col.choice(v) for v in cells.distinct_texts(types) if v}  # a blank type is a warning
    opt_of = {v: cells.parse_bool(v)[0] for v in cells.distinct_texts(opts)}
    terms_of: dict[str | None, Terms | None] = {None: None, "": None}
    for v in cells.distinct_texts(terms_cells):
        if v:
            found = parse_terms(v)
            terms_of[v] = found if found is not None and not found.beyond_legal_maximum else _ODD_TERMS
    name_texts, phone_texts, segment_texts, scenario_texts = map(cells.texts, (names, phones, segments, scenarios))
    contact_texts, address_texts, postal_texts = map(cells.texts, (contacts, addresses, postals))
    city_texts, country_texts, owner_texts = map(cells.texts, (cities, countries, owners))
    email_lists = [() if v is None or v == "" else _quiet_emails(v) for v in emails]
    cc_lists = [() if v is None or v == "" else _quiet_emails(v) for v in ccs]
    first, last, date, tab, new = cells.FIRST_DATE, cells.LAST_DATE, dt.date, table.name, tuple.__new__
    for k, ((number, row_cells), raw_id, raw_lang, raw_type, raw_terms, raw_opt, raw_paused) in enumerate(zip(
            table.data, ids, langs, types, terms_cells, opts, pauses, strict=True)):
        # every test below sends a row with anything unusual to the row-by-row reading
        lang = ctype = opt_out = None
        terms: Terms | None = _ODD_TERMS
        if type(raw_lang) is str or raw_lang is None:
            lang = lang_of.get(raw_lang)
        if type(raw_type) is str:
            ctype = type_of.get(raw_type)
        if type(raw_opt) is str or raw_opt is None:
            opt_out = opt_of.get(raw_opt)
        elif type(raw_opt) is bool:
            opt_out = raw_opt
        if type(raw_terms) is str or raw_terms is None:
            terms = terms_of.get(raw_terms, _ODD_TERMS)
        cid = raw_id.strip() if type(raw_id) is str else ""
        email_list, cc_list = email_lists[k], cc_lists[k]
        if (not cid or cid in customers or lang is None or ctype is None or opt_out is None or terms is _ODD_TERMS
                or email_list is None or cc_list is None
                or not (raw_paused is None or raw_paused == ""
                        or (type(raw_paused) is date and first <= raw_paused <= last))):
            _row(Row(table, number, row_cells), language, out, default_type, customers)
            continue
        customers[cid] = Customer(
            cid, name_texts[k] or cid, email_list, cc_list, phone_texts[k], lang, ctype, segment_texts[k],
            scenario_texts[k], terms, opt_out, raw_paused or None, contact_texts[k], address_texts[k],
            postal_texts[k], city_texts[k], country_texts[k], owner_texts[k], new(Source, (tab, number, None, "")))


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
