"""Risk grades A–E per (customer, currency), transparent enough to be argued with.

A grade is advice (DESIGN.md §7): grades advise, people decide. A grade may move a customer to
the `risque` ladder only when nobody chose a ladder for it (`movable`): a known business (type
B2B; never a consumer, GDPR Art. 22, nor a customer of unknown type) with a blank `scenario`
column and a segment that names no scenario, so on the Settings default ladder. The move keeps
every approval the default ladder asked for (`guarded_ladder`), and happens only when the grade
holds on two dates a week apart (`held_risks`): no state is kept between runs, the grade is a
function of what the book knew on a date. A grade that may not move its customer is marked
`automatic: false`, and `suggested_scenario` never names a scenario for a consumer.

How a grade is made: the score starts at 100 and every factor of the points table below takes
points off (an improving trend gives a few back); the score is clamped to 0–100 and read against
`GRADES`. Every factor that moved the score is a reason, in French and English, with its points,
so the user sees exactly why. The days-late and past-due reasons are always given, so every grade
says something even when nothing cost points. The table is calibrated on French habits
(docs/decisions.md, "Grades advise, people decide"): paying two to three weeks late is ordinary
(B or C); D takes clearly worse behaviour.

Reasons are one list of `{"code", "points", "fr", "en"}` (not two lists): a reason's languages
and its weight stay together, and `points` is what the factor took off the score.

Figures use the report's own definitions (CONVENTIONS.md "Per-customer payment behaviour"), so
a reason's number is the one the report prints next to it: weighted days late is floored at 0
per payment, over applied payments only (credit notes and overpayment excess excluded).
Money is compared only within one currency. Nothing dated after `as_of` counts: payments,
credit notes, disputes and promises are taken as they stood that day (the positions passed in
must be those of `as_of`); what has no date (an invoice's status, `paid_amount`) is read as it
is, and the ledger's allocation is the one of the whole book (docs/decisions.md says when a
later payment can change it).

The grading runs over columns (`LedgerColumns`: one row per invoice, one entry per allocation,
integer minor units) with numpy, for every customer at once: `book_columns` reads a book's
ledgers, the Excel add-in builds the same columns from its ranges, `grade_columns` grades them.
`held_risks` reads each invoice once for both of its dates. The figures are those of the walk
above, exactly (tests/test_scoring_reference.py compares them with the former implementation).
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, Inexact, localcontext
from itertools import repeat
from operator import attrgetter, methodcaller, mul
from typing import Any, NamedTuple, overload

import numpy as np
import numpy.typing as npt

from relance.engine.balance import Allocation, InvoiceLedger, ledger_rows
from relance.engine.book import Book
from relance.engine.catalog import report as R
from relance.engine.customer import Customer
from relance.engine.effectiveness import (
    counted,
    promise_invoices,
    promise_outcome,
)
from relance.engine.formats import Days, Money, Number, Percent, half_up
from relance.engine.i18n import Said
from relance.engine.position import Position
from relance.engine.scenario import Scenario
from relance.engine.terms import end_of_month

ZERO = Decimal(0)

# ── Points table ─────────────────────────────────────────────────────────────────────────────
# Each table is ((threshold, points), ...), highest threshold first: the first row whose
# threshold the figure reaches (>=) gives the points; below every row, no points.

# Calibration (docs/decisions.md, "Grades advise, people decide"): a French business customer
# typically pays two to three weeks late, on most of its invoices, and has something a few
# weeks past due on most days. That alone costs 20 + 10 (+ 5 or 15) points: B or C, never D.
# D takes clearly worse behaviour: 46+ days late on average, or an ordinary payer with invoices
# 61+ days past due, a rising trend with an unusual exposure, two broken promises.

# Weighted average days late (floored per payment), every payment received by as_of.
DAYS_LATE_POINTS: tuple[tuple[Decimal, int], ...] = (
    (Decimal(61), 55), (Decimal(46), 45), (Decimal(31), 30), (Decimal(16), 20), (Decimal(11), 10),
    (Decimal(6), 5))
# Trend: weighted days late over the last TREND_MONTHS minus the same figure before them
# (both periods need payments on MIN_TREND_INVOICES invoices, one late payment is no trend).
# Worse by 20+ days: 15 points, by 10+: 10 points.
TREND_MONTHS = 6
MIN_TREND_INVOICES = 2
TREND_WORSE_POINTS: tuple[tuple[Decimal, int], ...] = ((Decimal(20), 15), (Decimal(10), 10))
# Better by TREND_BETTER_DAYS days or more gives TREND_BETTER_POINTS back (a negative cost).
TREND_BETTER_DAYS = Decimal(10)
TREND_BETTER_POINTS = -5
# Share (percent) of settled invoices settled after their due date; needs MIN_SETTLED of them.
# Kept light: the days late already say how late; this says how often.
MIN_SETTLED = 3
LATE_SHARE_POINTS: tuple[tuple[Decimal, int], ...] = ((Decimal(75), 10), (Decimal(50), 5))
# Open past-due invoices today (disputed ones excepted: they count as disputes), their
# balance-weighted average days past due. This is what catches a customer who pays nothing.
# A few days or weeks past due is what the days late already measure: it costs little.
OVERDUE_POINTS: tuple[tuple[Decimal, int], ...] = (
    (Decimal(91), 50), (Decimal(61), 30), (Decimal(31), 15), (Decimal(16), 5))
# Open balance today against the usual one: the median of the customer's positive month-end
# balances over the last EXPOSURE_MONTHS month ends, needing MIN_EXPOSURE_MONTHS of them.
# Up to twice the usual is a month's noise; three times is not.
EXPOSURE_MONTHS = 12
MIN_EXPOSURE_MONTHS = 3
EXPOSURE_POINTS: tuple[tuple[Decimal, int], ...] = ((Decimal(3), 10), (Decimal(2), 5))
# Invoices still open with an open dispute (Litiges row or invoice status `disputed`).
DISPUTE_POINTS: tuple[tuple[Decimal, int], ...] = ((Decimal(2), 10), (Decimal(1), 5))
# Promises to pay broken (by status or by the payments) whose date fell in the last 12 months.
PROMISE_MONTHS = 12
BROKEN_PROMISE_POINTS: tuple[tuple[Decimal, int], ...] = ((Decimal(2), 25), (Decimal(1), 15))

# Grade thresholds on the 0–100 score: the first grade whose minimum the score reaches.
GRADES: tuple[tuple[str, int], ...] = (("A", 85), ("B", 70), ("C", 55), ("D", 40), ("E", 0))

# The scenario suggested for D and E business customers (the lead ships it as a preset).
RISK_SCENARIO = "risque"
RISKY_GRADES = frozenset({"D", "E"})
# A grade moves a customer only when it held HOLD_DAYS earlier too (two weekly runs agree).
HOLD_DAYS = 7

# Customers that need at least this many paid invoices for their own prediction figure.
MIN_PAID_FOR_PREDICTION = 3


def points_for(value: Decimal, table: tuple[tuple[Decimal, int], ...]) -> int:
    for threshold, points in table:
        if value >= threshold:
            return points
    return 0


def grade_for(score: int) -> str:
    for grade, minimum in GRADES:
        if score >= minimum:
            return grade
    return GRADES[-1][0]


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    points: int  # taken off the score; negative gives points back
    said: Said  # the reason, in both languages (catalog.report REASON_*)

    @property
    def fr(self) -> str:
        return self.said.fr

    @property
    def en(self) -> str:
        return self.said.en

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "points": self.points, "fr": self.fr, "en": self.en}


@dataclass(frozen=True, slots=True)
class Risk:
    customer_id: str
    currency: str
    grade: str
    score: int
    reasons: tuple[Reason, ...]
    automatic: bool  # may the grade move the customer by itself (`movable`); else a person decides

    def to_json(self) -> dict[str, Any]:
        """The `customers[].risk` object of the report."""
        return {"grade": self.grade, "score": self.score, "reasons": [r.to_json() for r in self.reasons],
                "automatic": self.automatic}


class Paid(NamedTuple):
    """A payment as applied to one invoice: only the amount that reduced it."""

    invoice_id: str
    date: dt.date
    amount: Decimal
    days_late: int


def applied_payments(ledger: InvoiceLedger, as_of: dt.date) -> Iterator[Paid]:
    """The same walk as the report's behaviour figures: credit notes and `paid_amount` (no real
    date) reduce what is left but are not payments; an excess beyond the invoice is not applied."""
    inv = ledger.invoice
    if not counted(ledger, as_of):
        return
    remaining = inv.amount
    for a in ledger.allocations:
        if a.date > as_of or remaining <= 0:
            break
        if a.kind != "payment":
            remaining -= a.amount
            continue
        applied = min(a.amount, remaining)
        remaining -= applied
        yield Paid(inv.id, a.date, applied, (a.date - inv.due_date).days)


def weighted_days_late(paid: Iterable[Paid]) -> Decimal | None:
    """Σ(applied × max(days late, 0)) / Σ applied, or None without payments."""
    weight = total = ZERO
    for p in paid:
        weight += p.amount
        total += p.amount * max(p.days_late, 0)
    return None if weight == 0 else half_up(total / weight, 2)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    first = dt.date(index // 12, index % 12 + 1, 1)
    return first.replace(day=min(day.day, end_of_month(first).day))


# ── Grading, column by column ────────────────────────────────────────────────────────────────
# Every figure of a grade is a sum over a customer's invoices and what was applied to them, so the
# whole book is graded at once with numpy: one row per invoice, one entry per allocation, money in
# integer minor units (never a float), days as date ordinals. The figures are exactly those of the
# walk the report documents (applied_payments, weighted_days_late above), rounded half-up as the
# Decimal figures are: `_half_up` is exact, and Decimal's own quotient (28 digits) rounds to the
# same figure while numerators stay below 10^25 minor units (a quotient closer than 1/(2·10^d·den)
# to a half is a half), which int64 guarantees; beyond int64 the columns become Python integers.

Ints = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]
Cash = npt.NDArray[Any]  # int64 minor units, or Python ints (dtype object) when int64 could overflow
OPEN, SETTLED, OVERPAID = 1, 2, 3  # a position's status, as a code
_STATUS = {"open": OPEN, "settled": SETTLED, "overpaid": OVERPAID}
_NO_DAY = np.iinfo(np.int64).max
_INT64_SAFE = 2**62  # every product and sum of the grading stays below this in int64


def _sum_by(index: Ints, values: Cash, size: int) -> Cash:
    """Σ values per index (0 ≤ index < size), exactly (int64, or Python integers)."""
    found: Cash = np.zeros(size, dtype=object if values.dtype == object else np.int64)
    np.add.at(found, index, values)
    return found


def _count_by(index: Ints, size: int) -> Ints:
    return np.bincount(index, minlength=size).astype(np.int64)


def _half_up(num: Cash, den: Cash, digits: int) -> Cash:
    """half_up(num / den, digits) × 10^digits, as integers (0 where den is 0)."""
    safe = np.where(den == 0, 1, den)
    n, d = abs(num), abs(safe)
    q = (2 * 10**digits * n + d) // (2 * d)
    return np.where((num < 0) != (safe < 0), -q, q) * (den != 0)


def _points(values: Cash, table: tuple[tuple[Decimal, int], ...], factor: int) -> Ints:
    """points_for on every value (values are figures × factor)."""
    out = np.zeros(len(values), dtype=np.int64)
    done = np.zeros(len(values), dtype=bool)
    for threshold, points in table:
        bound = threshold * factor
        assert bound == bound.to_integral_value(), "a points table threshold finer than its figure"
        hit = ~done & (values >= int(bound))
        out[hit] = points
        done |= hit
    return out


def _within(row: Ints, flags: Flags) -> Ints:
    """For entries grouped by row (contiguous), how many flags up to and including each entry
    fall in its row."""
    total = np.cumsum(flags, dtype=np.int64)
    first = np.ones(len(row), dtype=bool)
    first[1:] = row[1:] != row[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(len(row)), 0))
    return total - (total[start] - flags[start])


def _running(row: Ints, values: Cash) -> Cash:
    """Σ values per row (contiguous entries) up to and including each entry."""
    total = np.cumsum(values)
    first = np.ones(len(row), dtype=bool)
    first[1:] = row[1:] != row[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(len(row)), 0))
    return total - (total[start] - values[start])


@dataclass(frozen=True, slots=True)
class Positions:
    """The few position fields a grade reads (engine.position.Position), one per invoice row."""

    known: Flags  # a position was given for the row
    status: npt.NDArray[np.int8]  # OPEN | SETTLED | OVERPAID, 0 otherwise
    balance: Cash
    days_past_due: Ints  # _NO_DAY when None
    days_late_at_settlement: Ints  # _NO_DAY when None


class LedgerColumns:
    """Invoices that a figure can count (not cancelled, amount above zero) with what was applied to
    them, as columns, grouped by (customer, currency): what a grade is computed from.

    Rows are invoices; entries are allocations, contiguous per row in the ledger's order (by date,
    then as applied). Money is in integer minor units of `scale` decimals, days are date ordinals.
    `group` indexes `keys`, which are sorted."""

    def __init__(self, keys: list[tuple[str, str]], group: Ints, ids: Iterable[str], issue: Ints, due: Ints,
                 amount: Cash, entry_row: Ints, entry_day: Ints, entry_amount: Cash, entry_payment: Flags,
                 scale: int, ledgers: Sequence[InvoiceLedger] | None = None) -> None:
        self.keys, self.group, self.ids, self.issue, self.due = keys, group, ids, issue, due
        self.amount, self.entry_row, self.entry_day = amount, entry_row, entry_day
        self.entry_amount, self.entry_payment, self.scale = entry_amount, entry_payment, scale
        #: the ledger of each row, when the columns were read from a book's (book_columns): what a
        #: promise's invoices are found among without another walk over every ledger of the book
        self.ledgers = ledgers
        #: the rows whose invoice's status is `disputed`, when book_columns read them
        self.disputed_status: Flags | None = None
        #: the rows a Litiges row names (open or not) with their invoice ids, when book_columns
        #: read them: the only rows a dispute can mark open on a date (_disputed_rows)
        self.named: tuple[Ints, list[str]] | None = None

    def __len__(self) -> int:
        return len(self.issue)

    def cash(self, at: int) -> tuple[Cash, Cash]:
        """(amount, entry amounts), as Python integers when a figure at `at` could leave int64."""
        if self.amount.dtype == object:
            return self.amount, self.entry_amount
        total = 0  # Σ |money|, summed in int64 only where that cannot overflow
        for money in (self.amount, self.entry_amount):
            top = int(np.abs(money).max(initial=0))
            total += int(np.abs(money).sum()) if top * len(money) < _INT64_SAFE else top * len(money)
        days = max(int(np.abs(self.entry_day - self.due[self.entry_row]).max(initial=0)),
                   int(np.abs(at - self.due).max(initial=0)))
        if total * (days + 1) * 400 < _INT64_SAFE:
            return self.amount, self.entry_amount
        return self.amount.astype(object), self.entry_amount.astype(object)

    def positions_at(self, at: int) -> Positions:
        """The positions engine.position.compute_positions gives these rows on `at` (for the rows
        it counts: issued by then), from the ledgers alone."""
        amount, entries = self.cash(at)
        row, day = self.entry_row, self.entry_day
        by_then = day <= at
        balance = amount - _sum_by(row[by_then], entries[by_then], len(self))
        status = np.where(balance > 0, OPEN, np.where(balance == 0, SETTLED, OVERPAID)).astype(np.int8)
        settled = by_then & (_running(row, entries) >= amount[row])
        settlement = np.full(len(self), _NO_DAY, dtype=np.int64)
        np.minimum.at(settlement, row[settled], day[settled])
        late = np.where(settlement != _NO_DAY, settlement - self.due, _NO_DAY)
        past_due = np.where(status == OPEN, at - self.due, _NO_DAY)
        return Positions(self.issue <= at, status, balance, past_due, late)

    def given(self, positions: Mapping[str, Position]) -> Positions:
        """The fields of the positions given (None: no position for that row)."""
        found = list(map(positions.get, self.ids))
        if None not in found:  # every row has its position (the daily run): read field by field
            return self._given_all(found)  # type: ignore[arg-type]
        known = np.array([p is not None for p in found], dtype=bool)
        status = np.array([_STATUS.get(p.status, 0) if p is not None else 0 for p in found], dtype=np.int8)
        balance, scale = _scaled([p.balance if p is not None else ZERO for p in found], self.scale)
        assert scale == self.scale, "a position balance finer than its invoice's amount"
        return Positions(
            known, status,
            np.array(balance, dtype=self.amount.dtype if self.amount.dtype == object else np.int64),
            np.array([_NO_DAY if p is None or p.days_past_due is None else p.days_past_due for p in found],
                     dtype=np.int64),
            np.array([_NO_DAY if p is None or p.days_late_at_settlement is None else p.days_late_at_settlement
                      for p in found], dtype=np.int64))


    def _given_all(self, found: list[Position]) -> Positions:
        """`given` when every row has a position: the same arrays, each field read in one pass."""
        balance, scale = _scaled(list(map(_BALANCE, found)), self.scale)
        assert scale == self.scale, "a position balance finer than its invoice's amount"
        return Positions(
            np.ones(len(found), dtype=bool),
            np.fromiter(map(_status_code, map(_STATUS_OF, found)), dtype=np.int8, count=len(found)),
            np.array(balance, dtype=self.amount.dtype if self.amount.dtype == object else np.int64),
            np.array([_NO_DAY if d is None else d for d in map(_DAYS_PAST_DUE, found)], dtype=np.int64),
            np.array([_NO_DAY if d is None else d for d in map(_DAYS_LATE, found)], dtype=np.int64))


_BALANCE = attrgetter("balance")
_STATUS_OF = attrgetter("status")
_DAYS_PAST_DUE = attrgetter("days_past_due")
_DAYS_LATE = attrgetter("days_late_at_settlement")


def _status_code(status: str) -> int:
    return _STATUS.get(status, 0)


def _scaled(amounts: list[Decimal], scale: int = 2) -> tuple[list[int], int]:
    """The amounts as integers of the fewest decimals (at least `scale`) that hold them all exactly."""
    # truncates toward zero: exact only if no amount is finer
    try:  # × 10^scale costs half a scaleb; trapped, every product is exact: a.scaleb(scale), exactly
        with localcontext() as exact:
            exact.traps[Inexact] = True
            ints = list(map(int, map(mul, amounts, repeat(Decimal(10**scale)))))
    except Inexact:  # a product rounded (an amount of ~26 digits or more): as scaleb rounds it
        ints = list(map(int, map(methodcaller("scaleb", scale), amounts)))
    total = sum(map(abs, amounts), ZERO)  # so Σ|a| × 10^scale == Σ|int| says that every one is exact
    if total.adjusted() < 25 and total.scaleb(scale) == sum(map(abs, ints)):
        return ints, scale
    scale = max(scale, *(-int(a.as_tuple().exponent) for a in amounts))
    return [int(a.scaleb(scale)) for a in amounts], scale




def book_columns(book: Book, only: Collection[str] | None = None) -> LedgerColumns:
    """The book's ledgers as columns (those of the customers `only` names, when given).

    One pass over the ledgers reads every field of a row kept (each object is visited once: at a
    million invoices, walking them again per column costs more than the reading); days, counts and
    flags go straight into machine arrays, so that no Python integer or tuple per row is kept."""
    who = frozenset(only) if only is not None else None
    rows: list[str] = []  # the ids of the rows kept, whose ledgers _BookRows makes when asked
    ids: list[str] = []
    first: dict[tuple[str, str], int] = {}  # (customer, currency) -> code, in order of appearance
    codes = array("q")
    issued = array("q")
    due = array("q")
    amounts: list[Decimal] = []
    counts = array("q")
    disputed = bytearray()
    days = array("q")
    entry_amounts: list[Decimal] = []
    payment = bytearray()
    listed = {d.invoice_id for d in book.disputes}
    named = array("q")
    pairs, applied_to = ledger_rows(book.ledgers)  # no ledger object made (engine/balance.Ledgers)
    # the appends bound once (a method lookup per field and row costs, 1M times)
    add_row, add_id, add_disputed, add_code = rows.append, ids.append, disputed.append, codes.append
    add_issued, add_due, add_amount, add_count = issued.append, due.append, amounts.append, counts.append
    add_day, add_entry, add_payment = days.append, entry_amounts.append, payment.append
    code_of = first.get
    for iid, inv in pairs:  # the rows of the customers asked, that a figure can count
        if who is not None and inv[1] not in who:  # its customer (by position: a generic lookup by name)
            continue
        # the fields at once (an attribute of a NamedTuple is a generic lookup, 1M times)
        inv_id, cid, issue_date, due_date, amount, currency, note, _, _, status, _, _, _ = inv
        if note == "credit_note" or status == "cancelled" or not amount > ZERO:  # no ledger, or not counted
            continue
        if inv_id in listed:
            named.append(len(rows))
        add_row(iid)
        add_disputed(status == "disputed")
        add_id(inv_id)
        key = (cid, currency)
        code = code_of(key)
        if code is None:
            code = first[key] = len(first)
        add_code(code)
        add_issued(issue_date.toordinal())
        add_due(due_date.toordinal())
        add_amount(amount)
        applied = applied_to(iid)
        if applied is None:
            add_count(0)
        elif type(applied) is InvoiceLedger:
            allocations = applied.allocations
            add_count(len(allocations))
            for a in allocations:
                add_day(a.date.toordinal())
                add_entry(a.amount)
                add_payment(a.kind == "payment")
        else:  # one: a Payment with the invoice's number or an Allocation (date and amount first)
            add_count(1)
            add_day(applied[0].toordinal())
            add_entry(applied[1])
            add_payment(type(applied) is not Allocation or applied[2] == "payment")
    n = len(rows)
    keys = sorted(first)
    rank = np.zeros(len(first), dtype=np.int64)
    rank[[first[k] for k in keys]] = np.arange(len(keys))
    amounts.extend(entry_amounts)
    ints, scale = _scaled(amounts)
    kind: Any = np.int64 if max(map(abs, ints), default=0) < _INT64_SAFE // (1 << 24) else object
    columns = LedgerColumns(
        keys, rank[_ints(codes)], ids, _ints(issued), _ints(due),
        np.array(ints[:n], dtype=kind),
        np.repeat(np.arange(n, dtype=np.int64), _ints(counts)),
        _ints(days),
        np.array(ints[n:], dtype=kind),
        _flags(payment),
        scale, _BookRows(book.ledgers, rows))
    columns.disputed_status = _flags(disputed)
    columns.named = (_ints(named), [ids[r] for r in named])
    return columns


class _BookRows(Sequence[InvoiceLedger]):
    """The ledger of each row of book_columns, made when asked (by id from the book's ledgers):
    a promise's invoices are found among them (_promised_ledgers), few rows are ever asked for."""

    def __init__(self, ledgers: Mapping[str, InvoiceLedger], ids: list[str]) -> None:
        self._ledgers, self._ids = ledgers, ids

    @overload
    def __getitem__(self, i: int) -> InvoiceLedger: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[InvoiceLedger]: ...

    def __getitem__(self, i: int | slice) -> InvoiceLedger | Sequence[InvoiceLedger]:
        if isinstance(i, slice):
            return [self._ledgers[iid] for iid in self._ids[i]]
        return self._ledgers[self._ids[i]]

    def __len__(self) -> int:
        return len(self._ids)


def _ints(values: array[int]) -> Ints:
    return np.frombuffer(values, dtype=np.int64).copy() if values else np.zeros(0, dtype=np.int64)


def _flags(values: bytearray) -> Flags:
    return np.frombuffer(values, dtype=bool).copy() if values else np.zeros(0, dtype=bool)


@dataclass(frozen=True, slots=True)
class Grades:
    """Every figure, points and grade of each group of `columns` on one date (arrays per group);
    `present` marks the groups with an invoice issued by then. `risk(g)` is the Risk record."""

    columns: LedgerColumns
    present: Flags
    level: Cash  # weighted days late × 100
    has_level: Flags
    recent: Cash  # the trend's two figures × 100
    before: Cash
    trend: Ints  # points of the trend reason (0: no reason)
    late: Ints  # settled invoices settled late
    settled: Ints  # settled invoices counted (late share)
    share: Cash  # percent, whole
    past_due: Cash  # past due balance (minor units)
    past_due_days: Cash  # × 100
    open_now: Cash
    usual2: Cash  # twice the usual balance (minor units)
    ratio: Cash  # × 10
    disputes: Ints
    broken: Ints
    points: Ints  # (groups, 7): days_late, trend, late_share, past_due, exposure, disputes, broken
    present_reasons: Flags  # (groups, 7): which reasons a grade gives
    score: Ints
    grade: npt.NDArray[np.str_]

    def main_reason(self) -> Ints:
        """Per group, the index (in `points`' order) of the reason that took the most points (the
        first of them on a tie: max() over the reasons)."""
        return np.argmax(np.where(self.present_reasons, self.points, np.iinfo(np.int64).min), axis=1)

    def reasons(self, g: int, only: int | None = None) -> list[Reason]:
        """The reasons of group g, in order (or the one at index `only`)."""
        cur = self.columns.keys[g][1]
        pts = self.points[g].tolist()
        wanted = [i for i, given in enumerate(self.present_reasons[g].tolist()) if given and only in (None, i)]

        def money(value: Any) -> Money:
            return Money(Decimal(int(value)).scaleb(-self.columns.scale), cur)

        def days(value: Any) -> Days:
            return Days(Decimal(int(value)).scaleb(-2), None)

        found: list[Reason] = []
        for i in wanted:
            if i == 0:
                said = (R.REASON_DAYS_LATE(days=days(self.level[g])) if self.has_level[g]
                        else R.REASON_NO_PAYMENT())
                found.append(Reason("days_late", pts[0], said))
            elif i == 1:
                trend = {"recent": days(self.recent[g]), "before": days(self.before[g]), "months": TREND_MONTHS}
                said = R.REASON_SOONER(**trend) if pts[1] < 0 else R.REASON_LATER(**trend)
                found.append(Reason("trend", pts[1], said))
            elif i == 2:
                found.append(Reason("late_share", pts[2], R.REASON_LATE_SHARE(
                    share=Percent(Decimal(int(self.share[g])), 0), late=Number(int(self.late[g])),
                    settled=Number(int(self.settled[g])))))
            elif i == 3:
                said = (R.REASON_PAST_DUE(amount=money(self.past_due[g]), days=days(self.past_due_days[g]))
                        if self.past_due[g] > 0 else R.REASON_NOTHING_PAST_DUE())
                found.append(Reason("past_due", pts[3], said))
            elif i == 4:
                usual = Decimal(int(self.usual2[g])).scaleb(-self.columns.scale) / 2
                found.append(Reason("exposure", pts[4], R.REASON_EXPOSURE(
                    amount=money(self.open_now[g]), ratio=Number(Decimal(int(self.ratio[g])).scaleb(-1), 1, trim=True),
                    usual=Money(usual, cur))))
            elif i == 5:
                found.append(Reason("disputes", pts[5], R.REASON_DISPUTES(n=int(self.disputes[g]))))
            else:
                found.append(Reason("broken_promises", pts[6], R.REASON_BROKEN_PROMISES(
                    n=int(self.broken[g]), months=PROMISE_MONTHS)))
        return found

    def risk(self, g: int, automatic: bool) -> Risk:
        cid, cur = self.columns.keys[g]
        return Risk(cid, cur, str(self.grade[g]), int(self.score[g]), tuple(self.reasons(g)), automatic)


def grade_columns(columns: LedgerColumns, as_of: dt.date, positions: Positions | None = None,
                  disputed: Flags | None = None, broken: Ints | None = None) -> Grades:
    """The grade of every group of `columns` on `as_of` (see the module docstring for how a grade is
    made): `positions` those of as_of (by default computed from the ledgers), `disputed` the rows
    with an open dispute, `broken` the broken promises per group (none by default)."""
    c = columns
    n, size = len(c), len(c.keys)
    at = as_of.toordinal()
    pos = positions if positions is not None else c.positions_at(at)
    disputed = disputed if disputed is not None else np.zeros(n, dtype=bool)
    broken = broken if broken is not None else np.zeros(size, dtype=np.int64)
    amount, entries = c.cash(at)
    counted = c.issue <= at
    present = _count_by(c.group[counted], size) > 0
    row, day = c.entry_row, c.entry_day

    # the walk of applied_payments: stop at an entry after as_of or once nothing is left
    before_entry = amount[row] - (_running(row, entries) - entries)
    stop = (day > at) | ~(before_entry > 0)
    paid = (_within(row, stop) == 0) & c.entry_payment & counted[row]
    applied = np.minimum(entries, before_entry)[paid]
    paid_row, paid_day = row[paid], day[paid]
    paid_group = c.group[paid_row]
    weighted = applied * np.maximum(paid_day - c.due[paid_row], 0)

    def level_of(mask: Flags) -> tuple[Cash, Flags, Ints]:
        weight = _sum_by(paid_group[mask], applied[mask], size)
        total = _sum_by(paid_group[mask], weighted[mask], size)
        rows = np.zeros(n, dtype=bool)
        rows[paid_row[mask]] = True
        return _half_up(total, weight, 2), weight != 0, _count_by(c.group[rows], size)

    everything = np.ones(len(paid_row), dtype=bool)
    level, has_level, _ = level_of(everything)
    lately = paid_day > months_before(as_of, TREND_MONTHS).toordinal()
    recent, has_recent, recent_invoices = level_of(lately)
    before, has_before, before_invoices = level_of(~lately)
    has_trend = (has_recent & has_before & (recent_invoices >= MIN_TREND_INVOICES)
                 & (before_invoices >= MIN_TREND_INVOICES))
    change = recent - before
    worse = _points(change, TREND_WORSE_POINTS, 100)
    trend = np.where(has_trend, np.where(worse != 0, worse, np.where(
        change <= -int(TREND_BETTER_DAYS * 100), TREND_BETTER_POINTS, 0)), 0)

    used = counted & pos.known
    ended = used & ((pos.status == SETTLED) | (pos.status == OVERPAID)) & (pos.days_late_at_settlement != _NO_DAY)
    settled = _count_by(c.group[ended], size)
    late = _count_by(c.group[ended & (pos.days_late_at_settlement > 0)], size)
    share = _half_up(late * 100, settled, 0)

    is_open = used & (pos.status == OPEN)
    overdue = is_open & (pos.days_past_due != _NO_DAY) & (pos.days_past_due >= 1) & ~disputed
    past_due = _sum_by(c.group[overdue], pos.balance[overdue], size)
    past_due_days = _half_up(
        _sum_by(c.group[overdue], pos.balance[overdue] * pos.days_past_due[overdue], size), past_due, 2)
    open_now = _sum_by(c.group[is_open], pos.balance[is_open], size)
    usual2, has_usual = _usual_balances(c, amount, entries, counted, as_of)
    ratio = _half_up(2 * open_now, usual2, 1)
    exposed = has_usual & (open_now > 0)
    disputes = _count_by(c.group[is_open & disputed], size)

    points = np.column_stack([
        np.where(has_level, _points(level, DAYS_LATE_POINTS, 100), 0), trend,
        np.where(settled >= MIN_SETTLED, _points(share, LATE_SHARE_POINTS, 1), 0),
        np.where(past_due > 0, _points(past_due_days, OVERDUE_POINTS, 100), 0),
        np.where(exposed, _points(ratio, EXPOSURE_POINTS, 10), 0),
        _points(disputes, DISPUTE_POINTS, 1), _points(broken, BROKEN_PROMISE_POINTS, 1)]).astype(np.int64)
    given = points != 0
    given[:, 0] = given[:, 3] = True  # the days-late and past-due reasons are always said
    score = np.clip(100 - points.sum(axis=1), 0, 100)
    grade = np.select([score >= minimum for _, minimum in GRADES], [g for g, _ in GRADES], GRADES[-1][0])
    return Grades(c, present, level, has_level, recent, before, trend, late, settled, share, past_due,
                  past_due_days, open_now, usual2, ratio, disputes, broken, points, given, score, grade)


def _month_ends(as_of: dt.date) -> tuple[dt.date, ...]:
    """The last EXPOSURE_MONTHS month ends before `as_of`, newest first."""
    ends: list[dt.date] = []
    day = as_of.replace(day=1) - dt.timedelta(days=1)
    for _ in range(EXPOSURE_MONTHS):
        ends.append(day)
        day = day.replace(day=1) - dt.timedelta(days=1)
    return tuple(ends)


def _usual_balances(c: LedgerColumns, amount: Cash, entries: Cash, counted: Flags,
                    as_of: dt.date) -> tuple[Cash, Flags]:
    """(twice the usual balance, has one) per group: the median of the positive month-end open
    balances over the last EXPOSURE_MONTHS month ends, as the former _usual_balance walked them
    (a ledger issued after the last month end or settled by the first one is left out; the others
    count max(balance, 0) at every month end from their issue on).

    A ledger's max(balance, 0) at a month end is its amount plus, for every allocation by then,
    the change that allocation made to max(balance, 0) (allocations are in date order): so each
    group's month-end totals are running sums of one amount per ledger (from the first month end
    after its issue) and one change per allocation (from the month end after it, or after the
    issue when it came before), with no ledger × month table."""
    ends = np.array([d.toordinal() for d in reversed(_month_ends(as_of))], dtype=np.int64)  # oldest first
    size, months = len(c.keys), len(ends)
    row, day = c.entry_row, c.entry_day
    after = _running(row, entries)
    settled_early = np.zeros(len(c), dtype=bool)
    settled_early[row[(day <= ends[0]) & (after >= amount[row])]] = True
    kept = counted & (c.issue <= ends[-1]) & ~settled_early
    start = np.searchsorted(ends, c.issue, side="left")  # the first month end a ledger counts at
    width = months + 1  # the last column: after every month end, never read
    steps = _sum_by((c.group * width + start)[kept], amount[kept], size * width)
    mine = kept[row]
    change = np.maximum(amount[row] - after, 0) - np.maximum(amount[row] - (after - entries), 0)
    when = np.maximum(np.searchsorted(ends, day, side="left"), start[row])
    steps = steps + _sum_by((c.group[row] * width + when)[mine], change[mine], size * width)
    totals = np.cumsum(steps.reshape(size, width), axis=1)[:, :months]
    positive = totals > 0
    count = positive.sum(axis=1)
    top = (totals.max(initial=0) + 1) if totals.dtype == object else np.iinfo(np.int64).max
    ordered = np.sort(np.where(positive, totals, top), axis=1)
    mid = count // 2
    at_mid = ordered[np.arange(size), np.minimum(mid, months - 1)]
    below = ordered[np.arange(size), np.maximum(mid - 1, 0)]
    usual2 = np.where(count % 2 == 1, 2 * at_mid, below + at_mid) * (count >= MIN_EXPOSURE_MONTHS)
    return usual2, count >= MIN_EXPOSURE_MONTHS


def _disputed_by_status(book: Book, columns: LedgerColumns) -> Flags:
    """The rows whose invoice's status is `disputed` (whatever the date)."""
    if columns.disputed_status is not None:  # read with the rows, from the very invoices of the book
        return columns.disputed_status
    invoices = book.invoices
    return np.array([iid in invoices and invoices[iid].status == "disputed" for iid in columns.ids], dtype=bool)


def _disputed_rows(book: Book, columns: LedgerColumns, as_of: dt.date, by_status: Flags | None = None) -> Flags:
    """The rows with an open dispute on `as_of`: a Litiges row open that day, or the invoice's
    status (`by_status`, from _disputed_by_status when a caller grades two dates)."""
    ids = {d.invoice_id for d in book.disputes if d.is_open(as_of)}
    status = by_status if by_status is not None else _disputed_by_status(book, columns)
    if not ids:
        return status.copy()
    if columns.named is not None:  # the rows a Litiges row names: the others have no open dispute
        rows, named = columns.named
        found = status.copy()
        found[rows] |= np.fromiter(map(ids.__contains__, named), dtype=bool, count=len(named))
        return found
    return status | np.fromiter(map(ids.__contains__, columns.ids), dtype=bool, count=len(columns))


def _broken_promises(book: Book, columns: LedgerColumns, as_of: dt.date,
                     only: Collection[str] | None) -> Ints:
    """Broken promises per group: a promise counts in the currencies of what it covers, or in every
    currency the customer has an invoice in (issued by as_of) when it covers nothing known."""
    found = np.zeros(len(columns.keys), dtype=np.int64)
    promises = [p for p in book.promises if only is None or p.customer_id in only]
    if not promises:
        return found
    since = months_before(as_of, PROMISE_MONTHS)
    index = _promised_ledgers(book, columns, {p.customer_id for p in promises if not p.invoice_ids})
    currencies: dict[str, set[str]] | None = None  # of the invoices issued by as_of, once a promise asks
    where: dict[tuple[str, str], int] | None = None  # group by key, once a broken promise asks
    for p in promises:
        if p.promised_date <= since or promise_outcome(book, p, as_of, index) != "broken":
            continue
        curs = {lg.invoice.currency for lg in promise_invoices(book, p, index)}
        if not curs:
            if currencies is None:
                currencies = defaultdict(set)
                for g in np.unique(columns.group[columns.issue <= as_of.toordinal()]).tolist():
                    cid, cur = columns.keys[g]
                    currencies[cid].add(cur)
            curs = currencies[p.customer_id]
        if where is None:
            where = {key: g for g, key in enumerate(columns.keys)}
        for cur in curs:
            g = where.get((p.customer_id, cur))
            if g is not None:
                found[g] += 1
    return found


def _promised_ledgers(book: Book, columns: LedgerColumns, who: set[str]) -> dict[str, list[InvoiceLedger]]:
    """ledgers_by_customer for the customers `who` (whose promises name no invoice), in the book's
    order: from the columns' own rows when they hold their ledgers (every ledger a promise can
    cover, not cancelled and above zero, of a customer graded, is one of them), else from every
    ledger of the book."""
    index: dict[str, list[InvoiceLedger]] = defaultdict(list)
    if not who:
        return index
    rows = columns.ledgers
    if rows is None:
        for ledger in book.ledgers.values():
            if ledger.invoice.customer_id in who:
                index[ledger.invoice.customer_id].append(ledger)
        return index
    groups = [g for g, (cid, _) in enumerate(columns.keys) if cid in who]
    for r in np.flatnonzero(np.isin(columns.group, groups)).tolist():
        ledger = rows[r]
        index[ledger.invoice.customer_id].append(ledger)
    return index


def _graded(book: Book, columns: LedgerColumns, positions: Positions, as_of: dt.date,
            only: Collection[str] | None, by_status: Flags | None = None) -> Grades:
    return grade_columns(columns, as_of, positions, _disputed_rows(book, columns, as_of, by_status),
                         _broken_promises(book, columns, as_of, only))


def _risks(book: Book, grades: Grades, which: Iterable[int]) -> dict[tuple[str, str], Risk]:
    result: dict[tuple[str, str], Risk] = {}
    for g in which:
        customer = book.customers.get(grades.columns.keys[g][0])
        result[grades.columns.keys[g]] = grades.risk(g, customer is not None and movable(customer, book))
    return result


def risk_grades(
    book: Book, positions: Mapping[str, Position], as_of: dt.date, only: Collection[str] | None = None
) -> dict[tuple[str, str], Risk]:
    """A grade for every (customer, currency) with an invoice issued by `as_of` (or, with `only`,
    for those customers alone: the daily run grades just the customers it may remind).

    `positions` are those of `as_of` (at least for the invoices of the customers graded); the
    grade then depends on nothing dated after `as_of`."""
    columns = book_columns(book, only)
    grades = _graded(book, columns, columns.given(positions), as_of, only)
    return _risks(book, grades, np.flatnonzero(grades.present).tolist())


def movable(customer: Customer, book: Book) -> bool:
    """May a grade move this customer's ladder by itself? Only a known business (type B2B) on the
    default ladder: a consumer's grade is advice (GDPR Art. 22), so is one of a customer of
    unknown type, and a ladder a person chose is never replaced: none may be named in the
    `scenario` column (even a name that is no scenario: a person wrote it, the planner says so),
    and the segment may not name a scenario (a usable one, or one the Scenarios tab got wrong)."""
    if customer.type != "B2B" or customer.scenario:
        return False
    segment = customer.segment
    return not segment or (segment not in book.scenarios and segment not in book.broken_scenarios)


def guarded_ladder(target: Scenario, original: Scenario) -> Scenario:
    """`target` with every approval `original` required kept: a target step requires approval when
    an original step of the same template does (any channel), or, when no original step has its
    template, an original step of the same channel does. Nothing is ever taken away.

    Unchanged, it is `target` itself; with an approval added, it is named
    `<target>+<original>` (`risque+grands_comptes`), so that History, approvals and the report tell
    it from the `target` ladder a person may have chosen for other customers."""
    by_template: dict[str, bool] = {}
    by_channel: dict[str, bool] = {}
    for s in original.steps:
        if s.template:
            by_template[s.template] = by_template.get(s.template, False) or s.requires_approval
        by_channel[s.channel] = by_channel.get(s.channel, False) or s.requires_approval
    steps = tuple(
        replace(s, requires_approval=True)
        if not s.requires_approval and (by_template[s.template] if s.template in by_template
                                        else by_channel.get(s.channel, False))
        else s
        for s in target.steps)
    if steps == target.steps:
        return target
    return replace(target, name=f"{target.name}+{original.name}", steps=steps)


def held_risks(
    book: Book, positions: Mapping[str, Position], as_of: dt.date, only: Collection[str] | None = None
) -> dict[tuple[str, str], tuple[Risk, Risk]]:
    """The (customer, currency) graded D or E on `as_of` and HOLD_DAYS days before, with both grades
    (earlier first). No state is kept between runs: the earlier grade is computed again from what
    the book knew that day, the positions of that day included (from the same ledgers: each
    invoice is read once for both dates)."""
    found = _held(book, positions, as_of, only)
    if found is None:
        return {}
    held, then, now = found
    before, after = _risks(book, then, held), _risks(book, now, held)
    return {key: (before[key], after[key]) for key in after}


def _held(book: Book, positions: Mapping[str, Position] | None, as_of: dt.date, only: Collection[str] | None
          ) -> tuple[list[int], Grades, Grades] | None:
    """held_risks' groups (indexes of the columns' keys) with the grades of both dates, before any
    Risk record is made (risk_moves needs the keys alone). Without `positions`, those of `as_of`
    are read from the ledgers (LedgerColumns.positions_at), like the earlier date's."""
    columns = book_columns(book, only)
    by_status = _disputed_by_status(book, columns)
    now_at = columns.given(positions) if positions is not None else columns.positions_at(as_of.toordinal())
    now = _graded(book, columns, now_at, as_of, only, by_status)
    risky = np.isin(now.grade, sorted(RISKY_GRADES)) & now.present
    if not risky.any():
        return None
    earlier = as_of - dt.timedelta(days=HOLD_DAYS)
    who = {columns.keys[g][0] for g in np.flatnonzero(risky).tolist()}
    then = _graded(book, columns, columns.positions_at(earlier.toordinal()), earlier, who, by_status)
    held = np.flatnonzero(risky & then.present & np.isin(then.grade, sorted(RISKY_GRADES))).tolist()
    return held, then, now


def risk_ladder(book: Book) -> Scenario | None:
    """The ladder a grade moves customers to: `risque` guarded from the default ladder
    (`guarded_ladder`), or None when no move is possible: the book has no `risque` ladder, the
    default ladder is missing (there is no ladder to be on; the planner says so) or is `risque`
    itself, or the guarded ladder's name is already another ladder's."""
    target = book.scenarios.get(RISK_SCENARIO)
    original = book.scenarios.get(book.settings.default_scenario)
    if target is None or original is None or original.name == target.name:
        return None
    ladder = guarded_ladder(target, original)
    taken = book.scenarios.get(ladder.name)
    return None if taken is not None and taken.steps != ladder.steps else ladder


def risk_moves(book: Book, positions: Mapping[str, Position], as_of: dt.date,
               open_positions: Mapping[str, Sequence[Position]] | None = None) -> dict[str, str]:
    """The customers a grade moves, each to `risk_ladder`'s name (customer id -> scenario name).

    A customer moves when it is `movable` (a known business on the default ladder), has an
    invoice past due on `as_of`, and is graded D or E in one currency on `as_of` and HOLD_DAYS
    before (`held_risks`). Nothing is graded when no move is possible (grading costs most of a
    second at 100k invoices).

    `positions` are the book's on `as_of` (engine.position.compute_positions): they say who has
    an invoice past due (or `open_positions`, the open ones by customer, planner.open_by_customer,
    when the caller has them); the grades read the same positions from the ledgers they are made
    of (LedgerColumns.positions_at, as for the earlier date), without a second walk over them.
    """
    ladder = risk_ladder(book)
    if ladder is None:
        return {}
    if open_positions is None:
        candidates = {p.customer_id for p in positions.values()
                      if p.status == "open" and (p.days_past_due or 0) > 0}
    else:
        candidates = set()
        for cid, mine in open_positions.items():  # (a loop, not any() over a generator: 200k customers)
            for p in mine:
                if (p.days_past_due or 0) > 0:
                    candidates.add(cid)
                    break
    customers = book.customers
    candidates = {cid for cid in candidates if cid in customers and movable(customers[cid], book)}
    found = _held(book, None, as_of, candidates) if candidates else None
    if found is None:
        return {}
    keys = found[2].columns.keys  # the keys held_risks would give, without their Risk records
    return {cid: ladder.name for cid, _ in sorted(keys[g] for g in found[0])}


def suggested_scenario(grade: str, customer_type: str) -> str | None:
    """`risque` for a D or E business customer; never anything for a consumer (GDPR Art. 22) or a
    customer of unknown type. Whether the grade may act is `movable`'s question, not this one's."""
    if customer_type.strip().upper() != "B2B":
        return None
    return RISK_SCENARIO if grade in RISKY_GRADES else None


def predicted_payment_date(book: Book, positions: dict[str, Position], as_of: dt.date) -> dict[str, dt.date]:
    """When each open invoice should be paid: due date + its customer's weighted days late.

    The figure is the report's `floored` one (an early payment does not cancel a late one), per
    (customer, currency), rounded half up to whole days. A customer with fewer than
    MIN_PAID_FOR_PREDICTION invoices that received a payment (in that currency) takes the whole
    book's figure for the currency (0 when nobody has paid yet): amounts of two currencies are
    never weighted together. Never before `as_of`: an overdue invoice is expected today at best.
    """
    per_group: dict[tuple[str, str], list[Paid]] = defaultdict(list)
    per_currency: dict[str, list[Paid]] = defaultdict(list)
    for iid in sorted(book.ledgers):
        ledger = book.ledgers[iid]
        inv = ledger.invoice
        for p in applied_payments(ledger, as_of):
            per_group[(inv.customer_id, inv.currency)].append(p)
            per_currency[inv.currency].append(p)
    book_days = {cur: weighted_days_late(paid) or ZERO for cur, paid in per_currency.items()}
    group_days: dict[tuple[str, str], Decimal] = {}
    for key, paid in per_group.items():
        if len({p.invoice_id for p in paid}) >= MIN_PAID_FOR_PREDICTION:
            group_days[key] = weighted_days_late(paid) or ZERO
    result: dict[str, dt.date] = {}
    for iid in sorted(positions):
        pos = positions[iid]
        if not pos.is_open:
            continue
        inv = book.invoices[iid]
        days = group_days.get((pos.customer_id, pos.currency), book_days.get(pos.currency, ZERO))
        shift = int(half_up(days, 0))
        result[iid] = max(inv.due_date + dt.timedelta(days=shift), as_of)
    return result
