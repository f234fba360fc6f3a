"""The risk grading as it was before it was vectorized (session 19), kept word for word as the
reference the engine's grades are compared with (tests/test_scoring_reference.py): every grade,
score, reason and point of engine/scoring.py must be the one this code gives, on generated books
and on the demo book. Only the record types, the points tables and `movable`/`risk_ladder` (which
did not change) are the engine's own."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from relance.engine.balance import InvoiceLedger
from relance.engine.book import Book
from relance.engine.catalog import report as R
from relance.engine.effectiveness import (
    counted,
    ledgers_by_customer,
    promise_invoices,
    promise_outcome,
)
from relance.engine.formats import Days, Money, Number, Percent, half_up
from relance.engine.position import Position, compute_positions
from relance.engine.scoring import (
    BROKEN_PROMISE_POINTS,
    DAYS_LATE_POINTS,
    DISPUTE_POINTS,
    EXPOSURE_MONTHS,
    EXPOSURE_POINTS,
    GRADES,
    HOLD_DAYS,
    LATE_SHARE_POINTS,
    MIN_EXPOSURE_MONTHS,
    MIN_SETTLED,
    MIN_TREND_INVOICES,
    OVERDUE_POINTS,
    PROMISE_MONTHS,
    RISKY_GRADES,
    TREND_BETTER_DAYS,
    TREND_BETTER_POINTS,
    TREND_MONTHS,
    TREND_WORSE_POINTS,
    Paid,
    Reason,
    Risk,
    movable,
    risk_ladder,
)
from relance.engine.terms import end_of_month

ZERO = Decimal(0)


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
