"""Escalation follows the ladder: simulations over weeks of daily runs on books made in code.

The planner is called the way the daily job calls it, and what it plans is recorded in History
as the executor would (tests/books.py `record`), day after day.
"""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given
from hypothesis import strategies as st

from books import STANDARD, book, planned, record, simulate
from conftest import customer, invoice
from relance.engine.action import Action
from relance.engine.planner import is_formal_notice, levels_of

START = dt.date(2026, 9, 1)
WRITTEN = ("email", "sms", "letter")
LEVEL_OF = {s.name: i for i, level in enumerate(levels_of(STANDARD)) for s in level.steps}
STEP = {s.name: s for s in STANDARD.steps}


def business_days(start: dt.date, n: int, skip: range = range(0)) -> list[dt.date]:
    days = [start + dt.timedelta(days=i) for i in range(n)]
    return [d for i, d in enumerate(days) if d.weekday() < 5 and i not in skip]


def ledger(n: int, seed: int = 11):
    """n customers, each with one to three invoices 1 to 200 days late on the first day."""
    rnd = random.Random(seed)
    customers, invoices = [], []
    for c in range(n):
        cid = f"C{c:03d}"
        phone = "06 12 34 56 78" if c % 3 == 0 else ""
        customers.append(customer(cid, telephone=phone))
        for k in range(rnd.randint(1, 3)):
            late = rnd.randint(1, 200)
            due = START - dt.timedelta(days=late)
            invoices.append(invoice(f"F{c:03d}-{k}", cid, (due - dt.timedelta(days=30)).isoformat(),
                                    due.isoformat(), rnd.randint(200, 9000)))
    return book(customers, invoices)


def by_customer(done: list[tuple[dt.date, Action]]) -> dict[str, list[tuple[dt.date, Action]]]:
    found: dict[str, list[tuple[dt.date, Action]]] = {}
    for day, a in done:
        found.setdefault(a.customer_id, []).append((day, a))
    return found


def run_days(b, days, approve=True):
    done: list[tuple[dt.date, Action]] = []
    for day in days:
        p = planned(b, day).plan
        done.extend((day, a) for a in p.actions if approve or not a.requires_approval)
        b = record(b, p, approve=approve)
    return b, done


def test_ninety_days_on_an_old_ledger_follow_the_ladder():
    b = ledger(40)
    _, done = run_days(b, business_days(START, 90))
    assert done
    for cid, actions in by_customer(done).items():
        first_day, first = actions[0]
        assert first.step == "notice", (cid, first.step)  # a first message is never a jump
        assert first_day == START
        written_on: list[dt.date] = []
        notices: list[dt.date] = []
        level = -1
        for day, a in actions:
            here = LEVEL_OF[a.step]
            assert here >= level, (cid, a.step)  # never back down, one level at a time
            assert here <= level + 1 or level == -1, (cid, a.step, level)
            level = here
            if is_formal_notice(STEP[a.step]):
                # a formal notice only after a written reminder at least the gap before it
                assert written_on and (day - max(written_on)).days >= 3, (cid, day, written_on)
                notices.append(day)
            elif a.channel in WRITTEN:
                written_on.append(day)
            if a.channel == "agency":
                assert notices and (day - min(notices)).days >= 8, (cid, day, notices)
        days = [d for d, a in actions if a.channel in WRITTEN]
        assert all((b2 - b1).days >= 3 or b1 == b2 for b1, b2 in zip(days, days[1:], strict=False))


def test_a_missed_fortnight_sends_one_message_per_customer():
    b = ledger(30, seed=5)
    days = business_days(START, 40)
    b, _ = run_days(b, days[:2])  # every customer got its first reminder
    back = days[2] + dt.timedelta(days=14)  # then nothing ran for two weeks
    p = planned(b, back).plan
    written = [a for a in p.actions if a.channel in WRITTEN]
    per_customer: dict[str, set[int]] = {}
    for a in written:
        per_customer.setdefault(a.customer_id, set()).add(LEVEL_OF[a.step])
    assert len(per_customer) == 30
    assert all(levels == {LEVEL_OF["reminder_1"]} for levels in per_customer.values())  # the next step


def test_a_blank_type_customer_with_no_default_is_never_handed_off_without_a_notice():
    b = book([customer("C1", type_client="")],
             [invoice("F1", "C1", "2025-01-01", "2025-02-01", 5000)])
    _, done = simulate(b, business_days(dt.date(2026, 3, 2), 40), approve=True)
    steps = [a.step for a in done]
    assert steps.index("formal_notice") < steps.index("handoff")


@given(late=st.integers(min_value=-6, max_value=400),
       gaps=st.lists(st.integers(min_value=1, max_value=20), min_size=1, max_size=25))
def test_never_skips_a_written_level(late, gaps):
    """Whatever the age of the invoice and the days the job runs, the messages climb the ladder
    level by level: each step's level is the one after the previous step's (the courtesy is
    skipped once the invoice is due)."""
    due = START - dt.timedelta(days=late)
    b = book([customer("C1", telephone="06 12 34 56 78")],
             [invoice("F1", "C1", (due - dt.timedelta(days=30)).isoformat(), due.isoformat(), 1000)])
    day, days = START, []
    for g in gaps:
        days.append(day)
        day += dt.timedelta(days=g)
    _, done = simulate(b, days, approve=True)
    levels = []
    for a in done:
        if not levels or levels[-1] != LEVEL_OF[a.step]:
            levels.append(LEVEL_OF[a.step])
    if not levels:
        return
    first = levels[0]
    assert first in (0, 1) and (first == 1 or late <= 0), levels  # the courtesy, or the first overdue step
    assert levels == list(range(first, first + len(levels))), levels


def test_a_rerun_the_same_day_never_writes_twice():
    b = ledger(12, seed=3)
    b, first = run_days(b, [START])
    assert first
    again = planned(b, START).plan
    assert [a for a in again.actions if a.channel in WRITTEN] == []
