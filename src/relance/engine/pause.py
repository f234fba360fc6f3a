"""Disputes / Litiges and Promises / Promesses: what pauses reminders, and until when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from relance.engine import cells
from relance.engine.anomaly import Source
from relance.engine.catalog import anomalies as A
from relance.engine.invoice import Invoice
from relance.engine.table import Collector, Table


@dataclass(frozen=True, slots=True)
class Dispute:
    invoice_id: str
    opened: dt.date | None
    reason: str
    status: str  # open | resolved
    resolved_on: dt.date | None
    source: Source

    def is_open(self, as_of: dt.date) -> bool:
        """Whether the invoice is under this dispute on `as_of` (a run date, or a payment's date).

        Open from `opened` (an unreadable or blank date: from always) until `resolved_on`, the day
        it no longer holds; a resolved dispute without a resolution date is resolved all along.
        """
        if self.opened is not None and self.opened > as_of:
            return False
        if self.status == "resolved":
            return self.resolved_on is not None and self.resolved_on > as_of
        return True


@dataclass(frozen=True, slots=True)
class Promise:
    customer_id: str
    invoice_ids: tuple[str, ...]  # empty: every invoice of the customer
    promised_date: dt.date
    amount: Decimal | None
    status: str  # open | kept | broken
    source: Source

    def pauses(self, invoice_id: str, as_of: dt.date, grace_days: int) -> bool:
        if self.status != "open":
            return False
        if self.invoice_ids and invoice_id not in self.invoice_ids:
            return False
        return as_of <= self.promised_date + dt.timedelta(days=grace_days)


def parse_disputes(table: Table | None, invoices: dict[str, Invoice], out: Collector) -> list[Dispute]:
    result: list[Dispute] = []
    if table is None:
        return result
    status_col = table.spec.column("status")
    for row in table:
        iid = cells.text(row.raw("invoice_id"))
        if iid not in invoices:
            out.add(row.source("invoice_id"), iid, A.R401_NOT_AN_INVOICE(tab=out.tab("invoices")),
                    A.CORRECT_INVOICE(), "R401")
            continue
        raw_status = row.raw("status")
        status = status_col.choice(raw_status) if raw_status is not None else "open"
        if status is None:
            out.add(row.source("status"), raw_status, A.R402_STATUS(), A.R402_HINT(), "R402")
            status = "open"
        opened, problem = cells.parse_date(row.raw("opened"))
        if problem:
            out.warn(row.source("opened"), row.raw("opened"), A.DISPUTE_OPEN(problem=problem[0]), problem[1], "R403")
        resolved, problem = cells.parse_date(row.raw("resolved_on"))
        if problem:
            out.warn(row.source("resolved_on"), row.raw("resolved_on"), problem[0], problem[1], "R403")
        result.append(Dispute(iid, opened, cells.text(row.raw("reason")), status, resolved, row.source()))
    return result


def parse_promises(table: Table | None, invoices: dict[str, Invoice], out: Collector) -> list[Promise]:
    result: list[Promise] = []
    if table is None:
        return result
    status_col = table.spec.column("status")
    for row in table:
        cid = cells.text(row.raw("customer_id"))
        ids = tuple(i.strip() for i in cells.text(row.raw("invoice_ids")).replace(",", ";").split(";") if i.strip())
        if not cid and ids and ids[0] in invoices:
            cid = invoices[ids[0]].customer_id
        if not cid:
            out.add(row.source("customer_id"), "", A.PROMISE_IGNORED(problem=A.BLANK()),
                    A.R411_HINT(column=table.heading("customer_id")), "R411")
            continue
        for iid in ids:
            if iid not in invoices:
                out.warn(row.source("invoice_ids"), iid, A.R412_NOT_AN_INVOICE(tab=out.tab("invoices")),
                         A.CORRECT_INVOICE(), "R412")
        raw_date = row.raw("promised_date")
        promised, problem = cells.parse_date(raw_date)
        if problem or promised is None:
            out.add(row.source("promised_date"), raw_date, A.PROMISE_IGNORED(problem=problem[0] if problem else A.BLANK()),
                    problem[1] if problem else cells.DATE_HINT, "R413")
            continue
        raw_status = row.raw("status")
        status = status_col.choice(raw_status) if raw_status is not None else "open"
        if status is None:
            out.warn(row.source("status"), raw_status, A.R414_STATUS(), A.R414_HINT(), "R414")
            status = "open"
        amount, _ = cells.parse_amount(row.raw("amount"))
        result.append(Promise(cid, ids, promised, amount, status, row.source()))
    return result


_OUTCOMES = {
    "promise": ("promise", "promesse", "promesse_de_paiement", "promis", "promised"),
    "dispute": ("dispute", "litige", "contestation", "conteste", "disputed"),
    "no_answer": ("no_answer", "pas_de_reponse", "injoignable", "repondeur", "messagerie", "no_reply"),
    "paid": ("paid", "paye", "regle", "deja_paye", "already_paid"),
}


def parse_call_outcomes(
    table: Table | None, invoices: dict[str, Invoice], out: Collector
) -> tuple[list[Promise], list[Dispute]]:
    """What the user wrote after a call task (Taches: outcome, outcome_date) acts on the next run.

    A promise pauses the task's invoices until its date (plus grace), like a Promesses row; a
    dispute pauses them like a Litiges row; "no answer" lets the ladder go on.
    """
    promises: list[Promise] = []
    disputes: list[Dispute] = []
    if table is None:
        return promises, disputes
    from relance.engine.contract import normalize

    for row in table:
        raw = row.raw("outcome")
        if raw is None:
            continue
        outcome = next((k for k, names in _OUTCOMES.items() if normalize(raw) in names), None)
        if outcome is None:
            out.warn(row.source("outcome"), raw, A.R421_OUTCOME(), A.R421_HINT(), "R421")
            continue
        ids = tuple(i for i in cells.text(row.raw("invoice_ids")).split(";") if i in invoices)
        if not ids:
            continue
        day, problem = cells.parse_date(row.raw("outcome_date"))
        if outcome == "promise":
            if day is None:
                out.warn(row.source("outcome_date"), row.raw("outcome_date"),
                         A.R422_NOT_RECORDED(problem=problem[0] if problem else A.BLANK()), A.R422_HINT(), "R422")
                continue
            promises.append(Promise(invoices[ids[0]].customer_id, ids, day, None, "open", row.source()))
        elif outcome == "dispute":
            disputes.extend(Dispute(iid, day, "call outcome", "open", None, row.source()) for iid in ids)
    return promises, disputes


def broken_promises(
    promises: list[Promise], open_balances: Mapping[str, tuple[str, dt.date, bool]], as_of: dt.date, grace_days: int
) -> list[tuple[Promise, tuple[str, ...], dt.date]]:
    """Open promises whose date (plus grace) has passed with invoices still unpaid.

    `open_balances` maps each invoice still open on as_of to (customer, due date, True). A promise
    naming no invoice covers the customer's invoices due by the promised date. Returns the
    promise, the unpaid invoices and the day it was broken.
    """
    broken: list[tuple[Promise, tuple[str, ...], dt.date]] = []
    for p in promises:
        if p.status != "open":
            continue
        broken_on = p.promised_date + dt.timedelta(days=grace_days + 1)
        if as_of < broken_on:
            continue
        if p.invoice_ids:
            unpaid = tuple(i for i in p.invoice_ids if i in open_balances)
        else:
            unpaid = tuple(sorted(i for i, (cid, due, _) in open_balances.items()
                                  if cid == p.customer_id and due <= p.promised_date))
        if unpaid:
            broken.append((p, unpaid, broken_on))
    return broken
