"""Invoices / Factures: one row per invoice or credit note, checked cell by cell.

A row that cannot be used safely (no id, bad amount, unknown customer, unreadable date) is
skipped and reported; relance never reminds on a guess.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from relance.engine import cells
from relance.engine.anomaly import Source
from relance.engine.catalog import anomalies as A
from relance.engine.customer import Customer
from relance.engine.formats import Money
from relance.engine.settings import Settings
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
    table: Table | None, customers: dict[str, Customer], settings: Settings, out: Collector
) -> dict[str, Invoice]:
    invoices: dict[str, Invoice] = {}
    if table is None:
        return invoices
    kind_col = table.spec.column("kind")
    status_col = table.spec.column("status")
    default_terms = settings.default_payment_terms
    indexes = table.indexes(_KEYS)
    for row in table:
        (raw_id, raw_customer, raw_issue, raw_due, raw_amount, raw_currency, raw_kind, raw_applies,
         raw_paid, raw_terms, raw_status, raw_pdf, raw_pay) = row.values(indexes)
        iid = raw_id.strip() if type(raw_id) is str else cells.text(raw_id)
        if not iid:
            out.add(row.source("invoice_id"), "", A.R100_NO_NUMBER(), A.R100_HINT(), "R100")
            continue
        if iid in invoices:
            out.add(row.source("invoice_id"), iid, A.R101_DUPLICATE(first=invoices[iid].source.said()),
                    A.R101_HINT(), "R101")
            continue
        cid = raw_customer.strip() if type(raw_customer) is str else cells.text(raw_customer)
        customer = customers.get(cid)
        if customer is None:
            customers_tab = out.tab("customers")
            out.add(row.source("customer_id"), cid,
                    A.R102_UNKNOWN_CUSTOMER(tab=customers_tab) if cid else A.R102_BLANK(),
                    A.R102_HINT(tab=customers_tab), "R102")
            continue
        # date cells are the common case: checked here without a call
        issue: dt.date | None
        if type(raw_issue) is dt.date and cells.FIRST_DATE <= raw_issue <= cells.LAST_DATE:
            issue = raw_issue
        else:
            issue, ok = _date(row, "issue_date", raw_issue, out, "R103", required=True)
            if not ok or issue is None:
                continue
        due_given: dt.date | None
        if raw_due is None or (type(raw_due) is dt.date and cells.FIRST_DATE <= raw_due <= cells.LAST_DATE):
            due_given = raw_due
        else:
            due_given, ok = _date(row, "due_date", raw_due, out, "R104", required=False)
            if not ok:
                continue
        amount: Decimal | None
        if type(raw_amount) is float and -1e12 < raw_amount < 1e12:  # the common case, without a call
            amount, problem = Decimal(repr(raw_amount)), None
        else:
            amount, problem = cells.parse_amount(raw_amount)
        if problem or amount is None:
            out.add(row.source("amount"), raw_amount, A.ROW_SKIPPED(problem=problem[0] if problem else A.BLANK()),
                    problem[1] if problem else A.R105_HINT(), "R105")
            continue
        kind = kind_col.choice(raw_kind) if raw_kind is not None else "invoice"
        if kind is None:
            out.add(row.source("kind"), raw_kind, A.R106_KIND(), A.R106_HINT(), "R106")
            continue
        if amount < 0:
            out.add(row.source("amount"), raw_amount, A.ROW_SKIPPED(problem=A.NEGATIVE()), A.R107_HINT(), "R107")
            continue
        currency: str | None
        if raw_currency is None:
            currency, problem = settings.default_currency, None
        else:
            currency, problem = cells.parse_currency(raw_currency, settings.default_currency)
        if problem or currency is None:
            said, fix = problem or (A.NOT_A_CURRENCY(), A.CURRENCY_HINT())
            out.add(row.source("currency"), raw_currency, A.ROW_SKIPPED(problem=said), fix, "R108")
            continue
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
    for inv in invoices.values():
        if inv.is_credit_note and inv.applies_to:
            target = invoices.get(inv.applies_to)
            if target is None or target.is_credit_note:
                out.warn(inv.source.at(table.columns.get("applies_to"), table.heading("applies_to")),
                         inv.applies_to, A.R116_NOT_AN_INVOICE(tab=table.name), A.R116_HINT(), "R116")
            elif target.currency != inv.currency or target.customer_id != inv.customer_id:
                out.warn(inv.source.at(table.columns.get("applies_to"), table.heading("applies_to")),
                         inv.applies_to, A.R117_OTHER(), A.R117_HINT(), "R117")
    return invoices
