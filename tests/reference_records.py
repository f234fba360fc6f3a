"""The row-by-row balances and positions, as they were before the column-wise records: the
reference the fast path is compared with (tests/test_columnar.py, benchmarks/records.py).

Kept verbatim from the engine before session 19 (apply_all, _allocate_fifo, compute_positions);
the invoice and payment parsers keep theirs in the engine itself (parse_invoices(by_row=True), ...),
and since session 21 a copy here too (parse_invoices, parse_payments: the engine's fast path now
reads a block of rows column by column).
Since session 20 also the row-by-row Clients reading (parse_customers) and the row-by-row tab
reading (read_table, find_tables: every row checked for a blank or a repeated header row), kept
verbatim from the engine before their column-wise versions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from relance.engine import cells, position
from relance.engine.anomaly import Source
from relance.engine.balance import ZERO, Allocation, Credit, InvoiceLedger
from relance.engine.book import Book
from relance.engine.catalog import anomalies as A
from relance.engine.contract import Contract, TabSpec, normalize
from relance.engine.customer import Customer, _emails, _type_unsaid
from relance.engine.formats import Money
from relance.engine.invoice import Invoice
from relance.engine.pause import Dispute, Promise
from relance.engine.payment import Payment
from relance.engine.penalty import RateTable, late_penalty
from relance.engine.position import Position, bucket, pause_reason
from relance.engine.settings import Settings
from relance.engine.sheets import CellValue, RawSheet
from relance.engine.table import (
    Collector,
    Row,
    Table,
    _blank,
    _foreign,
    _looks_like,
    is_relance_tab,
    written_spec,
)
from relance.engine.terms import Terms, add_years, legal_latest_due, parse_terms


def apply_all(
    invoices: dict[str, Invoice], payments: list[Payment], out: Collector, disputes: Iterable[Dispute] = ()
) -> tuple[dict[str, InvoiceLedger], list[Credit]]:
    """Every payment and credit note applied; `disputes` (Litiges rows, call outcomes) keep FIFO
    payments off the invoices they cover on the payment's date."""
    ledgers = {iid: InvoiceLedger(inv) for iid, inv in invoices.items() if not inv.is_credit_note}
    credits: list[Credit] = []
    direct_total: dict[str, Decimal] = defaultdict(Decimal)
    unassigned: dict[tuple[str, str], list[Payment]] = defaultdict(list)
    for p in payments:
        if p.invoice_id:
            ledger = ledgers.get(p.invoice_id)
            if ledger is None:  # a payment recorded against a credit note: keep the money as credit
                credits.append(Credit(p.customer_id, p.currency, p.date, p.amount, "payment_excess", p.reference))
                continue
            ledger.allocations.append(Allocation(p.date, p.amount, "payment", p.reference))
            direct_total[p.invoice_id] += p.amount
        else:
            unassigned[(p.customer_id, p.currency)].append(p)
    for inv in invoices.values():
        if inv.is_credit_note:
            target = ledgers.get(inv.applies_to) if inv.applies_to else None
            if (
                target is not None
                and target.invoice.currency == inv.currency
                and target.invoice.customer_id == inv.customer_id
                and inv.status != "cancelled"
            ):
                target.allocations.append(Allocation(inv.issue_date, inv.amount, "credit_note", inv.id))
            elif inv.status != "cancelled" and inv.amount > 0:
                credits.append(Credit(inv.customer_id, inv.currency, inv.issue_date, inv.amount, "credit_note", inv.id))
            continue
        if inv.paid_amount is not None:
            paid = direct_total.get(inv.id)
            if paid is None:
                if inv.paid_amount > 0:
                    ledgers[inv.id].allocations.append(Allocation(inv.issue_date, inv.paid_amount, "paid_amount", ""))
            elif paid != inv.paid_amount:
                column = out.column("invoices", "paid_amount")
                out.warn(inv.source, str(inv.paid_amount),
                         A.R118_PAID_DISAGREES(column=column, tab=out.tab("payments"), invoice=inv.id, paid=paid),
                         A.R118_HINT(column=column), "R118")
    disputed_by: dict[str, list[Dispute]] = defaultdict(list)
    for d in disputes:
        disputed_by[d.invoice_id].append(d)
    _allocate_fifo(ledgers, unassigned, credits, disputed_by)
    for ledger in ledgers.values():
        ledger.freeze()
    return ledgers, credits


def _allocate_fifo(
    ledgers: dict[str, InvoiceLedger],
    unassigned: dict[tuple[str, str], list[Payment]],
    credits: list[Credit],
    disputed_by: Mapping[str, Sequence[Dispute]],
) -> None:
    if not unassigned:
        return
    by_group: dict[tuple[str, str], list[InvoiceLedger]] = defaultdict(list)
    for ledger in ledgers.values():
        inv = ledger.invoice
        key = (inv.customer_id, inv.currency)
        if key in unassigned and inv.status not in ("cancelled", "disputed") and inv.amount > 0:
            by_group[key].append(ledger)
    for key, pays in unassigned.items():
        group = sorted(by_group.get(key, []),
                       key=lambda lg: (lg.invoice.due_date, lg.invoice.issue_date, lg.invoice.id))
        remaining = [lg.invoice.amount - sum((a.amount for a in lg.allocations), ZERO) for lg in group]
        contested = [disputed_by.get(lg.invoice.id, ()) for lg in group]
        first_open = 0
        for p in sorted(pays, key=lambda p: (p.date, p.source.row)):
            left = p.amount
            while first_open < len(group) and remaining[first_open] <= 0:
                first_open += 1
            for i in range(first_open, len(group)):
                if left <= 0:
                    break
                if remaining[i] <= 0 or group[i].invoice.issue_date > p.date:
                    continue
                if contested[i] and any(d.is_open(p.date) for d in contested[i]):
                    continue  # paying while contesting an invoice is not paying that one
                take = min(left, remaining[i])
                group[i].allocations.append(Allocation(p.date, take, "payment", p.reference))
                remaining[i] -= take
                left -= take
            if left > 0:
                credits.append(Credit(p.customer_id, p.currency, p.date, left, "payment_excess", p.reference))


def compute_positions(
    book: Book, as_of: dt.date, out: Collector | None = None, settled_penalties: bool = True
) -> dict[str, Position]:
    """Every invoice's position on `as_of`.

    `settled_penalties=False` skips the penalty of invoices no longer open (left None): the
    daily run only needs those of the invoices it reminds, the report needs them all.
    """
    s = book.settings
    rates = RateTable(s.penalty_rate_mode, s.penalty_annual_rate, dict(s.ecb_rates))
    disputes: dict[str, list[Dispute]] = defaultdict(list)
    for d in book.disputes:
        disputes[d.invoice_id].append(d)
    promises: dict[str, list[Promise]] = defaultdict(list)
    for p in book.promises:
        promises[p.customer_id].append(p)
    positions: dict[str, Position] = {}
    for iid, ledger in book.ledgers.items():
        inv = ledger.invoice
        customer = book.customers[inv.customer_id]
        # Figures count penalties and the indemnity for businesses and for customers of unknown
        # type (what could be claimed once the type is known); a consumer never owes them.
        # Messages claim them from known businesses only (engine/message.py).
        b2c = customer.is_b2c
        # the 5-year limitation (C. com. L110-4) for known businesses; a consumer's 2 years
        # (C. conso. L218-2) otherwise: an unknown type gets the earlier, safer date
        prescription = add_years(inv.due_date, 5 if customer.is_b2b else 2)
        balance = ledger.balance(as_of)
        if inv.status == "cancelled":
            status = "cancelled"
        elif inv.issue_date > as_of:
            status = "excluded_future"
        elif inv.amount == 0:
            status = "excluded_zero_amount"
        elif balance > 0:
            status = "open"
        elif balance == 0:
            status = "settled"
        else:
            status = "overpaid"
        counted = status in ("open", "settled", "overpaid")
        settlement = ledger.settlement_date(as_of) if counted else None
        dpd = (as_of - inv.due_date).days if status == "open" else None
        penalty: Decimal | None = None
        indemnity = False
        if counted and not b2c and (settled_penalties or status == "open"):
            penalty = late_penalty(inv.amount, inv.due_date,
                                   ((a.date, a.amount) for a in ledger.allocations), as_of, rates)
        if counted and not b2c:
            indemnity = as_of > inv.due_date and ledger.balance(inv.due_date) > 0
        paused = ""
        if status == "open":
            paused = pause_reason(iid, inv.status, customer.opt_out, customer.paused_until,
                                  disputes.get(iid, []), promises.get(inv.customer_id, []), as_of,
                                  s.promise_grace_days)
        positions[iid] = Position(
            invoice_id=iid, customer_id=inv.customer_id, currency=inv.currency, status=status,
            balance=balance if counted else ZERO, days_past_due=dpd,
            bucket=bucket(dpd) if dpd is not None else None, settlement_date=settlement,
            days_late_at_settlement=(settlement - inv.due_date).days if settlement else None,
            late_penalty=penalty, indemnity_due=indemnity, prescription_date=prescription, paused=paused,
        )
    if out is not None:
        tab = book.tab_name("settings")
        where = Source(tab, 1)
        for first, last in position._runs(sorted(rates.guessed)):
            key = f"ecb_rate_{first[0]}_H{first[1]}"
            if first == last:
                out.warn(where, key, A.R095_RATE(year=first[0], half=first[1]), A.R095_HINT(tab=tab, key=key),
                         "R095")
            else:  # an invoice due long ago (a date cell reads from 1900): one remark, not hundreds
                out.warn(where, f"{key}…ecb_rate_{last[0]}_H{last[1]}",
                         A.R095_RATES(first=first[0], first_half=first[1], last=last[0], last_half=last[1]),
                         A.R095_RATES_HINT(tab=tab), "R095")
    return positions


def parse_customers(table: Table | None, language: str, out: Collector,
                    default_type: str = "") -> dict[str, Customer]:
    """The customers of the tab; `default_type` is Settings default_customer_type ("B2B", "B2C",
    or "": a blank type_client stays unknown). `by_row` is the other parsers' switch (invoice.py,
    payment.py): Clients, a tab of a few thousand rows, is read row by row either way."""
    customers: dict[str, Customer] = {}
    if table is None:
        return customers
    spec = table.spec
    for row in table:
        cid = cells.text(row.raw("customer_id"))
        if not cid:
            out.add(row.source("customer_id"), "", A.R200_NO_CODE(),
                    A.R200_HINT(column=table.heading("customer_id")), "R200")
            continue
        if cid in customers:
            out.add(row.source("customer_id"), cid, A.R202_DUPLICATE(first=customers[cid].source.said()),
                    A.R202_HINT(), "R202")
            continue
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
    return customers


def read_table(sheet: RawSheet, spec: TabSpec, out: Collector) -> Table:
    rows = sheet.rows
    header_idx = next((i for i, r in enumerate(rows[:20]) if not _blank(r)), None)
    columns: dict[str, int] = {}
    header_text: dict[str, str] = {}
    if header_idx is None:
        return Table(spec, sheet.name, 1, columns, header_text, [], [])
    for j, cell in enumerate(rows[header_idx]):
        col = spec.resolve_header(cell)
        if col is None:
            continue
        if col.key in columns:
            out.warn(
                Source(sheet.name, header_idx + 1, j, str(cell)),
                cell,
                A.R002_SECOND_COLUMN(column=header_text[col.key]),
                A.R002_HINT(),
                "R002",
            )
            continue
        columns[col.key] = j
        header_text[col.key] = str(cell)
    table = Table(spec, sheet.name, header_idx + 1, columns, header_text, [], [])
    lang = table.lang
    for col in spec.columns:
        if col.required and col.key not in columns:
            other = col.en if lang == "fr" else col.fr
            out.add(
                Source(sheet.name, header_idx + 1),
                "",
                A.R003_NO_COLUMN(column=col.header(lang)),
                A.R003_HINT(column=col.header(lang), other=other, row=header_idx + 1),
                "R003",
            )
    header_norm = {j: normalize(rows[header_idx][j]) for j in columns.values()}
    first_col = min(header_norm) if header_norm else None
    pending_blank: list[int] = []
    for i in range(header_idx + 1, len(rows)):
        cells = rows[i]
        if _blank(cells):
            pending_blank.append(i + 1)
            continue
        for number in pending_blank:  # blank rows between data rows; trailing ones are not reported
            out.warn(Source(sheet.name, number), "", A.R004_BLANK_ROW(), A.R004_HINT(), "R004")
        pending_blank.clear()
        if first_col is not None and _looks_like(cells, first_col, header_norm[first_col]) and (
            sum(1 for j, norm in header_norm.items() if j < len(cells) and normalize(cells[j]) == norm) * 2
            > len(header_norm)
        ):
            out.warn(Source(sheet.name, i + 1), "", A.R005_HEADER_AGAIN(), A.R005_HINT(), "R005")
            continue
        table.numbers.append(i + 1)
        table.rows.append(cells)
    return table



def find_tables(
    sheets: Sequence[RawSheet], contract: Contract, out: Collector
) -> tuple[dict[str, Table], dict[str, RawSheet]]:
    """The contract's tabs found in the workbook, by tab key; and the owned tabs' raw sheets.

    A user's own tab holding a name relance writes is left out of both and reported as an error
    (FOREIGN_TAB): the app refuses to write or send while there is one.
    """
    tables: dict[str, Table] = {}
    owned: dict[str, RawSheet] = {}
    seen: dict[str, str] = {}
    for sheet in sheets:
        written = written_spec(contract, sheet.name)
        if written is not None and not is_relance_tab(sheet, written):
            _foreign(sheet, written, out)
            continue
        spec = contract.resolve_tab(sheet.name)
        if spec is None:
            continue
        if spec.key in seen:
            out.warn(Source(sheet.name, 1), "", A.R001_SECOND_TAB(read=seen[spec.key]),
                     A.R001_HINT(tab=sheet.name, read=seen[spec.key]), "R001")
            continue
        seen[spec.key] = sheet.name
        if spec.role == "output":
            owned[spec.key] = sheet
        tables[spec.key] = read_table(sheet, spec, out)
    for spec in contract.input_tabs:
        if spec.required and spec.key not in tables:
            out.add(Source(spec.fr, 1), "", A.R000_MISSING_TAB(fr=spec.fr, en=spec.en), A.R000_HINT(), "R000")
    out.tables, out.contract = dict(tables), contract  # how the next stages name tabs and columns
    return tables, owned


# --- s21-invoices: Factures and Reglements read row by row, kept verbatim from the engine before
# their block-wise column reading (session 21); parse_invoices(by_row=True) and
# parse_payments(by_row=True) still read so, and tests/test_columnar.py holds both to these.

_INVOICE_KEYS = ("invoice_id", "customer_id", "issue_date", "due_date", "amount", "currency", "kind", "applies_to",
         "paid_amount", "payment_terms", "status", "pdf_url", "payment_url")
_PAYMENT_KEYS = ("date", "amount", "invoice_id", "customer_id", "currency", "reference")


def parse_invoices(table: Table | None, customers: dict[str, Customer], settings: Settings,
                   out: Collector) -> dict[str, Invoice]:
    """The invoices of the tab, by id, each row checked on its own."""
    invoices: dict[str, Invoice] = {}
    if table is None:
        return invoices
    reader = _InvoiceRow(table, customers, settings, out)
    for row in table:
        reader.row(row, row.values(reader.indexes), invoices)
    _credit_notes(table, invoices, out)
    return invoices


def parse_payments(table: Table | None, invoices: dict[str, Invoice], customers: dict[str, Customer],
                   settings: Settings, out: Collector) -> list[Payment]:
    """The payments of the tab, in row order, each row checked on its own."""
    payments: list[Payment] = []
    if table is None:
        return payments
    indexes = table.indexes(_PAYMENT_KEYS)
    for row in table:
        found = _row(row, row.values(indexes), table, invoices, customers, settings, out)
        if found is not None:
            payments.append(found)
    return payments


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


class _InvoiceRow:
    """The row-by-row reading of one Factures row: every check, every anomaly."""

    def __init__(self, table: Table, customers: dict[str, Customer], settings: Settings, out: Collector) -> None:
        self.table = table
        self.customers = customers
        self.settings = settings
        self.out = out
        self.kind_col = table.spec.column("kind")
        self.status_col = table.spec.column("status")
        self.default_terms = settings.default_payment_terms
        self.indexes = table.indexes(_INVOICE_KEYS)

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


class FormerInvoice(NamedTuple):
    """Invoice as it was before session 22: 13 fields, the last one its Source tuple (the engine's
    Invoice now holds the row number there and the tab in its class; tests/test_invoice_records.py)."""

    id: str
    customer_id: str
    issue_date: dt.date
    due_date: dt.date
    amount: Decimal
    currency: str
    kind: str
    applies_to: str
    paid_amount: Decimal | None
    status: str
    pdf_url: str
    payment_url: str
    source: Source


class FormerPayment(NamedTuple):
    """Payment as it was before session 22: 7 fields, the last one its Source tuple."""

    date: dt.date
    amount: Decimal
    invoice_id: str
    customer_id: str
    currency: str
    reference: str
    source: Source
