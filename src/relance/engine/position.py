"""Where each invoice stands on `as_of`: balance, days past due, bucket, penalty, indemnity, pause.

Pure: the ledger and `as_of` in, positions out. CONVENTIONS.md is the reference for every figure.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from relance.engine.anomaly import Source
from relance.engine.book import Book
from relance.engine.catalog import anomalies as A
from relance.engine.pause import Dispute, Promise
from relance.engine.penalty import RateTable, late_penalty
from relance.engine.table import Collector
from relance.engine.terms import add_years

BUCKETS = ("current", "1-30", "31-60", "61-90", ">90")
ZERO = Decimal(0)


def bucket(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= 90:
        return "61-90"
    return ">90"


class Position(NamedTuple):
    invoice_id: str
    customer_id: str
    currency: str
    status: str  # open | settled | overpaid | cancelled | excluded_zero_amount | excluded_future
    balance: Decimal
    days_past_due: int | None
    bucket: str | None
    settlement_date: dt.date | None
    days_late_at_settlement: int | None
    late_penalty: Decimal | None
    indemnity_due: bool
    prescription_date: dt.date
    paused: str  # "" or why reminders are paused: disputed, hold, promise, customer_paused, opt_out

    @property
    def is_open(self) -> bool:
        return self.status == "open"


def pause_reason(
    invoice_id: str,
    status: str,
    customer_opt_out: bool,
    paused_until: dt.date | None,
    disputes: list[Dispute],
    promises: list[Promise],
    as_of: dt.date,
    grace_days: int,
) -> str:
    if customer_opt_out:
        return "opt_out"
    if status == "disputed" or any(d.is_open(as_of) for d in disputes):
        return "disputed"
    if status == "hold":
        return "hold"
    if paused_until is not None and paused_until >= as_of:
        return "customer_paused"
    if any(p.pauses(invoice_id, as_of, grace_days) for p in promises):
        return "promise"
    return ""


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
        for first, last in _runs(sorted(rates.guessed)):
            key = f"ecb_rate_{first[0]}_H{first[1]}"
            if first == last:
                out.warn(where, key, A.R095_RATE(year=first[0], half=first[1]), A.R095_HINT(tab=tab, key=key),
                         "R095")
            else:  # an invoice due long ago (a date cell reads from 1900): one remark, not hundreds
                out.warn(where, f"{key}…ecb_rate_{last[0]}_H{last[1]}",
                         A.R095_RATES(first=first[0], first_half=first[1], last=last[0], last_half=last[1]),
                         A.R095_RATES_HINT(tab=tab), "R095")
    return positions


def _runs(semesters: list[tuple[int, int]]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Consecutive semesters grouped: [(first, last), …]."""
    runs: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for sem in semesters:
        if runs:
            first, last = runs[-1]
            following = (last[0], 2) if last[1] == 1 else (last[0] + 1, 1)
            if sem == following:
                runs[-1] = (first, sem)
                continue
        runs.append((sem, sem))
    return runs


@dataclass
class Aging:
    buckets: dict[str, Decimal]
    unapplied_credits: Decimal  # zero or negative

    @classmethod
    def empty(cls) -> Aging:
        return cls({b: ZERO for b in BUCKETS}, ZERO)

    @property
    def net_total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO) + self.unapplied_credits

    @property
    def past_due_total(self) -> Decimal:
        return sum((v for k, v in self.buckets.items() if k != "current"), ZERO)


def aging(book: Book, positions: dict[str, Position], as_of: dt.date) -> dict[tuple[str, str], Aging]:
    """Aging per (customer, currency); sum them for per-currency totals, never across currencies."""
    result: dict[tuple[str, str], Aging] = defaultdict(Aging.empty)
    for p in positions.values():
        if p.status == "open" and p.bucket is not None:
            result[(p.customer_id, p.currency)].buckets[p.bucket] += p.balance
        elif p.status == "overpaid":
            result[(p.customer_id, p.currency)].unapplied_credits += p.balance
    for credit in book.credits:
        if credit.date <= as_of:
            result[(credit.customer_id, credit.currency)].unapplied_credits -= credit.amount
    return dict(result)
