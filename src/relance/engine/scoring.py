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
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, NamedTuple

from relance.engine.balance import InvoiceLedger
from relance.engine.book import Book
from relance.engine.catalog import report as R
from relance.engine.customer import Customer
from relance.engine.effectiveness import (
    counted,
    ledgers_by_customer,
    promise_invoices,
    promise_outcome,
)
from relance.engine.formats import Days, Money, Number, Percent, half_up
from relance.engine.i18n import Said
from relance.engine.position import Position, compute_positions
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


@dataclass
class _Group:
    ledgers: list[InvoiceLedger]
    positions: list[Position]


def _groups(book: Book, positions: Mapping[str, Position], as_of: dt.date,
            only: Collection[str] | None) -> dict[tuple[str, str], _Group]:
    groups: dict[tuple[str, str], _Group] = {}
    for iid in sorted(book.ledgers):  # sorted: the result never depends on row order
        ledger = book.ledgers[iid]
        if (only is not None and ledger.invoice.customer_id not in only) or not counted(ledger, as_of):
            continue
        inv = ledger.invoice
        g = groups.setdefault((inv.customer_id, inv.currency), _Group([], []))
        g.ledgers.append(ledger)
        pos = positions.get(iid)
        if pos is not None:
            g.positions.append(pos)
    return groups


def _disputed(book: Book, as_of: dt.date) -> set[str]:
    ids = {d.invoice_id for d in book.disputes if d.is_open(as_of)}
    ids.update(iid for iid, inv in book.invoices.items() if inv.status == "disputed")
    return ids


def _broken_promises(book: Book, as_of: dt.date, only: Collection[str] | None) -> dict[tuple[str, str], int]:
    """Broken promises per (customer, currency): a promise counts in the currencies of what it covers,
    or in every currency of the customer when it covers nothing known."""
    since = months_before(as_of, PROMISE_MONTHS)
    promises = [p for p in book.promises if only is None or p.customer_id in only]
    if not promises:
        return {}
    currencies: dict[str, set[str]] = defaultdict(set)
    for lg in book.ledgers.values():
        if counted(lg, as_of):
            currencies[lg.invoice.customer_id].add(lg.invoice.currency)
    count: dict[tuple[str, str], int] = defaultdict(int)
    index = ledgers_by_customer(book)
    for p in promises:
        if p.promised_date <= since or promise_outcome(book, p, as_of, index) != "broken":
            continue
        curs = {lg.invoice.currency for lg in promise_invoices(book, p, index)} or currencies[p.customer_id]
        for cur in curs:
            count[(p.customer_id, cur)] += 1
    return count


def _month_ends(as_of: dt.date) -> tuple[dt.date, ...]:
    """The last EXPOSURE_MONTHS month ends before `as_of`, newest first."""
    ends: list[dt.date] = []
    day = as_of.replace(day=1) - dt.timedelta(days=1)
    for _ in range(EXPOSURE_MONTHS):
        ends.append(day)
        day = day.replace(day=1) - dt.timedelta(days=1)
    return tuple(ends)


def _usual_balance(ledgers: list[InvoiceLedger], ends: tuple[dt.date, ...]) -> Decimal | None:
    """Median of the positive month-end open balances over the month ends `ends` (newest first)."""
    totals = [ZERO] * len(ends)
    for lg in ledgers:
        if lg.invoice.issue_date > ends[0] or lg.settlement_date(ends[-1]) is not None:
            continue  # issued after the last month end, or settled before the first: nothing open
        for i, end in enumerate(ends):
            if lg.invoice.issue_date > end:
                break
            totals[i] += max(lg.balance(end), ZERO)
    balances = [t for t in totals if t > 0]
    if len(balances) < MIN_EXPOSURE_MONTHS:
        return None
    balances.sort()
    mid = len(balances) // 2
    return balances[mid] if len(balances) % 2 else (balances[mid - 1] + balances[mid]) / 2


def _score_group(
    group: _Group, currency: str, as_of: dt.date, disputed: set[str], broken: int
) -> tuple[int, list[Reason]]:
    reasons: list[Reason] = []
    paid = [p for lg in group.ledgers for p in applied_payments(lg, as_of)]

    # 1. weighted days late (always said)
    level = weighted_days_late(paid)
    if level is None:
        reasons.append(Reason("days_late", 0, R.REASON_NO_PAYMENT()))
    else:
        reasons.append(Reason("days_late", points_for(level, DAYS_LATE_POINTS),
                              R.REASON_DAYS_LATE(days=Days(level, None))))

    # 2. trend: last TREND_MONTHS against before
    cut = months_before(as_of, TREND_MONTHS)
    recent_paid = [p for p in paid if p.date > cut]
    before_paid = [p for p in paid if p.date <= cut]
    recent = weighted_days_late(recent_paid)
    before = weighted_days_late(before_paid)
    if (recent is not None and before is not None
            and len({p.invoice_id for p in recent_paid}) >= MIN_TREND_INVOICES
            and len({p.invoice_id for p in before_paid}) >= MIN_TREND_INVOICES):
        change = recent - before
        worse = points_for(change, TREND_WORSE_POINTS)
        trend = {"recent": Days(recent, None), "before": Days(before, None), "months": TREND_MONTHS}
        if worse:
            reasons.append(Reason("trend", worse, R.REASON_LATER(**trend)))
        elif change <= -TREND_BETTER_DAYS:
            reasons.append(Reason("trend", TREND_BETTER_POINTS, R.REASON_SOONER(**trend)))

    # 3. share of settled invoices settled late
    settled = [p for p in group.positions
               if p.status in ("settled", "overpaid") and p.days_late_at_settlement is not None]
    if len(settled) >= MIN_SETTLED:
        late = sum(1 for p in settled if p.days_late_at_settlement is not None and p.days_late_at_settlement > 0)
        share = half_up(Decimal(late * 100) / len(settled), 0)
        pts = points_for(share, LATE_SHARE_POINTS)
        if pts:
            reasons.append(Reason("late_share", pts, R.REASON_LATE_SHARE(
                share=Percent(share, 0), late=Number(late), settled=Number(len(settled)))))

    # 4. what is past due today (always said)
    overdue = [p for p in group.positions
               if p.is_open and p.days_past_due is not None and p.days_past_due >= 1
               and p.invoice_id not in disputed]
    amount = sum((p.balance for p in overdue), ZERO)
    if amount > 0:
        days = half_up(sum((p.balance * (p.days_past_due or 0) for p in overdue), ZERO) / amount, 2)
        reasons.append(Reason("past_due", points_for(days, OVERDUE_POINTS),
                              R.REASON_PAST_DUE(amount=Money(amount, currency), days=Days(days, None))))
    else:
        reasons.append(Reason("past_due", 0, R.REASON_NOTHING_PAST_DUE()))

    # 5. open balance against the usual one
    open_now = sum((p.balance for p in group.positions if p.is_open), ZERO)
    usual = _usual_balance(group.ledgers, _month_ends(as_of))
    if usual is not None and open_now > 0:
        ratio = half_up(open_now / usual, 1)
        pts = points_for(ratio, EXPOSURE_POINTS)
        if pts:
            reasons.append(Reason("exposure", pts, R.REASON_EXPOSURE(
                amount=Money(open_now, currency), ratio=Number(ratio, 1, trim=True), usual=Money(usual, currency))))

    # 6. open disputes
    in_dispute = sum(1 for p in group.positions if p.is_open and p.invoice_id in disputed)
    pts = points_for(Decimal(in_dispute), DISPUTE_POINTS)
    if pts:
        reasons.append(Reason("disputes", pts, R.REASON_DISPUTES(n=in_dispute)))

    # 7. broken promises
    pts = points_for(Decimal(broken), BROKEN_PROMISE_POINTS)
    if pts:
        reasons.append(Reason("broken_promises", pts, R.REASON_BROKEN_PROMISES(n=broken, months=PROMISE_MONTHS)))

    score = max(0, min(100, 100 - sum(r.points for r in reasons)))
    return score, reasons


def risk_grades(
    book: Book, positions: Mapping[str, Position], as_of: dt.date, only: Collection[str] | None = None
) -> dict[tuple[str, str], Risk]:
    """A grade for every (customer, currency) with an invoice issued by `as_of` (or, with `only`,
    for those customers alone: the daily run grades just the customers it may remind).

    `positions` are those of `as_of` (at least for the invoices of the customers graded); the
    grade then depends on nothing dated after `as_of`."""
    disputed = _disputed(book, as_of)
    broken = _broken_promises(book, as_of, only)
    result: dict[tuple[str, str], Risk] = {}
    for (cid, cur), group in sorted(_groups(book, positions, as_of, only).items()):
        score, reasons = _score_group(group, cur, as_of, disputed, broken.get((cid, cur), 0))
        customer = book.customers.get(cid)
        automatic = customer is not None and movable(customer, book)
        result[(cid, cur)] = Risk(cid, cur, grade_for(score), score, tuple(reasons), automatic)
    return result


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
    the book knew that day, the positions of that day included."""
    now = {key: r for key, r in risk_grades(book, positions, as_of, only).items() if r.grade in RISKY_GRADES}
    if not now:
        return {}
    earlier = as_of - dt.timedelta(days=HOLD_DAYS)
    who = {cid for cid, _ in now}
    theirs = replace(book, ledgers={iid: lg for iid, lg in book.ledgers.items() if lg.invoice.customer_id in who})
    then = risk_grades(book, compute_positions(theirs, earlier, settled_penalties=False), earlier, who)
    return {key: (then[key], r) for key, r in now.items() if key in then and then[key].grade in RISKY_GRADES}


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


def risk_moves(book: Book, positions: Mapping[str, Position], as_of: dt.date) -> dict[str, str]:
    """The customers a grade moves, each to `risk_ladder`'s name (customer id -> scenario name).

    A customer moves when it is `movable` (a known business on the default ladder), has an
    invoice past due on `as_of`, and is graded D or E in one currency on `as_of` and HOLD_DAYS
    before (`held_risks`). Nothing is graded when no move is possible (grading costs most of a
    second at 100k invoices).
    """
    ladder = risk_ladder(book)
    if ladder is None:
        return {}
    candidates = {p.customer_id for p in positions.values() if p.is_open and (p.days_past_due or 0) > 0}
    candidates = {cid for cid in candidates if cid in book.customers and movable(book.customers[cid], book)}
    held = held_risks(book, positions, as_of, candidates) if candidates else {}
    return {cid: ladder.name for cid, _ in sorted(held)}


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
