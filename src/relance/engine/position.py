"""Where each invoice stands on `as_of`: balance, days past due, bucket, penalty, indemnity, pause.

Pure: the ledger and `as_of` in, positions out. CONVENTIONS.md is the reference for every figure.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from relance.engine.anomaly import Source
from relance.engine.balance import Allocation, InvoiceLedger, allocations_of, ledger_rows
from relance.engine.book import Book
from relance.engine.catalog import anomalies as A
from relance.engine.cells import MAX_AMOUNT
from relance.engine.customer import Customer
from relance.engine.pause import Dispute, Promise
from relance.engine.penalty import (
    CENT,
    DAYS_PER_YEAR,
    RateTable,
    late_penalty,
    semester,
    semester_end,
)
from relance.engine.table import Collector
from relance.engine.terms import add_years

BUCKETS = ("current", "1-30", "31-60", "61-90", ">90")
_COUNTED = frozenset(("open", "settled", "overpaid"))
_NO_DISPUTES: tuple[Dispute, ...] = ()
_NO_PROMISES: tuple[Promise, ...] = ()
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
    disputes: Sequence[Dispute],
    promises: Sequence[Promise],
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
    book: Book, as_of: dt.date, out: Collector | None = None, settled_penalties: bool = True,
    open_by: dict[str, list[Position]] | None = None,
) -> dict[str, Position]:
    """Every invoice's position on `as_of`.

    `settled_penalties=False` skips the penalty of invoices no longer open (left None): the
    daily run only needs those of the invoices it reminds, the report needs them all.
    `open_by`, an empty dict, is filled with the open positions of each customer as
    planner.open_by_customer groups them (in the positions' order): the run needs them, and
    gathering them here spares it a second walk over a million positions.
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
    customers, grace = book.customers, s.promise_grace_days
    prescribed: dict[int, dict[dt.date, dt.date]] = {5: {}, 2: {}}
    days_to: dict[dt.date, tuple[int, str]] = {}
    factors: dict[dt.date, Decimal | None] = {}
    facts: dict[str, _Facts] = {}
    new = tuple.__new__  # Position(...) without its Python-level __new__
    zeros: dict[int, Decimal] = {}  # a settled invoice's balance of zero, one object per exponent
    rows, applied_to = ledger_rows(book.ledgers)
    for iid, invoice in rows:
        # the fields at once (an attribute of a NamedTuple is a generic lookup, 1M times)
        _, cid, issued, due, amount, currency, note, _, _, kind, _, _, _ = invoice
        if note == "credit_note":  # no ledger
            continue
        applied = applied_to(iid)
        fact = facts.get(cid)
        if fact is None:
            fact = facts[cid] = _facts_of(customers[cid], promises.get(cid, _NO_PROMISES), prescribed)
        b2c, years_of, may_pause, years = fact
        prescription = years_of.get(due)
        if prescription is None:
            prescription = years_of[due] = add_years(due, years)
        if kind == "cancelled":
            status = "cancelled"
        elif issued > as_of:
            status = "excluded_future"
        elif not amount:  # a zero amount (Decimal truth: no comparison, 100k times)
            status = "excluded_zero_amount"
        else:
            status = ""
        if status:  # not counted: neither balance nor lateness
            positions[iid] = new(Position, (
                iid, cid, currency, status, ZERO, None, None, None, None, None, False, prescription, ""))
            continue
        settlement: dt.date | None = None
        if applied is None:  # nothing applied (most open invoices)
            balance = at_due = amount
            status = "open" if amount > ZERO else "overpaid"  # the amount is not zero
        elif type(applied) is not InvoiceLedger or len(applied.dates) == 1:  # paid once (most settled ones)
            if type(applied) is InvoiceLedger:  # a test's mapping of ledgers
                paid_on, total = applied.dates[0], applied.cumulative[0]
            else:  # what apply_all keeps: a Payment or an Allocation, date and amount first
                paid_on, total = applied[0], applied[1]
            if paid_on <= as_of:  # one subtraction for both balances (a Decimal operation costs)
                balance = amount - total
                at_due = balance if paid_on <= due else amount
                if total >= amount:  # balance <= 0: exact, or rounded keeping its sign
                    settlement = paid_on
                    if balance:
                        status = "overpaid"
                    else:  # one zero per exponent (and sign), shared by every such position
                        status = "settled"
                        # (amount - total, both equal and not zero: +0, its exponent the smaller one)
                        balance = zeros.setdefault(balance.adjusted(), balance)
                else:
                    status = "open"
            else:
                balance = amount
                at_due = amount - total if paid_on <= due else amount
                status = "open" if amount > ZERO else "overpaid"
        else:
            balance, settlement, at_due = applied.standing(as_of, due)
            status = "open" if balance > ZERO else "overpaid" if balance else "settled"
        penalty: Decimal | None = None
        indemnity = False
        if status == "open":
            past = days_to.get(due)
            if past is None:
                dpd = (as_of - due).days
                past = days_to[due] = (dpd, bucket(dpd))
            dpd, bucket_of = past
            if may_pause or kind == "disputed" or kind == "hold" or iid in disputes:
                customer = customers[cid]
                paused = pause_reason(iid, kind, customer.opt_out, customer.paused_until,
                                      disputes.get(iid, _NO_DISPUTES), promises.get(cid, _NO_PROMISES), as_of,
                                      grace)
            else:
                paused = ""
            if not b2c:
                if as_of <= due:  # not due yet: late_penalty's own first answer, without the calls
                    penalty = _NO_PENALTY
                else:
                    penalty = _penalty(amount, due, allocations_of(applied), as_of, rates,
                                       factors)
                    indemnity = at_due > ZERO
            position = positions[iid] = new(Position, (
                iid, cid, currency, "open", balance, dpd, bucket_of, settlement,
                (settlement - due).days if settlement else None, penalty, indemnity, prescription, paused))
            if open_by is not None:
                mine = open_by.get(cid)
                if mine is None:
                    open_by[cid] = [position]
                else:
                    mine.append(position)
            continue
        if not b2c:
            if settled_penalties:
                penalty = _penalty(amount, due, allocations_of(applied), as_of, rates, factors)
            indemnity = as_of > due and at_due > ZERO
        positions[iid] = new(Position, (
            iid, cid, currency, status, balance, None, None, settlement,
            (settlement - due).days if settlement else None, penalty, indemnity, prescription, ""))
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


_Facts = tuple[bool, dict[dt.date, dt.date], bool, int]



def _facts_of(customer: Customer, promises: Sequence[Promise],
              prescribed: dict[int, dict[dt.date, dt.date]]) -> _Facts:
    """What an invoice's position reads of its customer, once per customer: B2C (no penalty nor
    indemnity), the prescription dates of its limitation (a cache per number of years), whether
    anything of the customer's may pause its invoices, and that number of years."""
    # Figures count penalties and the indemnity for businesses and for customers of unknown
    # type (what could be claimed once the type is known); a consumer never owes them.
    # Messages claim them from known businesses only (engine/message.py).
    # The 5-year limitation (C. com. L110-4) for known businesses; a consumer's 2 years
    # (C. conso. L218-2) otherwise: an unknown type gets the earlier, safer date.
    years = 5 if customer.type == "B2B" else 2
    may_pause = customer.opt_out or customer.paused_until is not None or bool(promises)
    return customer.type == "B2C", prescribed[years], may_pause, years


def _penalty(amount: Decimal, due: dt.date, allocations: Sequence[Allocation], as_of: dt.date, rates: RateTable,
             factors: dict[dt.date, Decimal | None]) -> Decimal:
    """penalty.late_penalty, with the sum of days × rate from a due date to `as_of` computed once
    per due date for the invoices nothing was applied to (most open ones): amount × Σ days × rate
    is Σ amount × days × rate, both exact (see _unit_rate_days; amounts have at most 4 decimals,
    rounded to their currency by parse_invoices), so the figure is the same."""
    if allocations or as_of <= due or amount <= 0:
        return late_penalty(amount, due, ((a.date, a.amount) for a in allocations), as_of, rates)
    factor = factors.get(due, _UNKNOWN)
    if factor is _UNKNOWN:
        factor = factors[due] = _unit_rate_days(due + dt.timedelta(days=1), as_of, rates)
    if factor is None or not amount < MAX_AMOUNT:
        return late_penalty(amount, due, (), as_of, rates)
    return (amount * factor / (100 * DAYS_PER_YEAR)).quantize(CENT, rounding=ROUND_HALF_UP)


_UNKNOWN = Decimal(-1)
_NO_PENALTY = Decimal("0.00")


def _unit_rate_days(first: dt.date, last: dt.date, rates: RateTable) -> Decimal | None:
    """Σ days × annual rate over the days from `first` to `last`, as penalty._rate_days sums them
    for a balance of 1; None when a rate is not one whose products stay exact at 28 digits
    (from 0 to 100 percent, at most 2 decimals: amount < 10^12 × 110 000 days × rate < 10^21)."""
    total = Decimal(0)
    day = first
    while day <= last:
        end = min(semester_end(day), last)
        rate = rates.annual_rate(semester(day))
        exponent = rate.as_tuple().exponent
        if not isinstance(exponent, int) or exponent < -2 or not 0 <= rate < 100:
            return None
        total += ((end - day).days + 1) * rate
        day = end + dt.timedelta(days=1)
    return total


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
