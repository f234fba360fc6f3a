"""The session-21 plan phase is the session-20 one (hypothesis and the demo book).

The run groups its open positions by customer once (engine/planner.open_by_customer) for the
promises judged broken, the risk moves and the plan; broken_promises reads only the invoices the
promises it judges can name (app/jobs._promised_balances); the grades of `as_of` are read from the
ledgers; the planner works a ladder out once per scenario, segment and grade. On generated books
(bad cells, credit notes, payments with and without an invoice, disputes, promises open, kept and
broken, paused and opted-out customers, grouping by invoice, no cooldown, approvals ticked or not)
over several days, and on the demo book (risk grades D and E moving customers, segments, formal
notices and hand-offs) over a month, the broken promises, the risk moves, the plan (actions, their
order, skips, held approvals, anomalies) and every anomaly of the snapshot are those of the former
code (tests/reference_planner.py, tests/scoring_reference.py), compared by repr.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference_planner
import scoring_reference
from books import record
from relance.app import jobs
from relance.demo import DEFAULT_AS_OF, build_demo_workbook
from relance.engine import planner
from relance.engine.book import Book
from relance.engine.pause import broken_promises
from relance.engine.position import Position, compute_positions
from relance.workbook.xlsx import XlsxBackend
from test_columnar import (
    book_of,
    customer_cells,
    day,
    invoice_cells,
    load,
    payment_cells,
    rows_of,
    settings_cells,
)
from test_figures_reference import disputes, promises

# One xdist worker runs this module's tests, so that its module fixtures (the demo snapshots) are
# made once, not once per worker.
pytestmark = pytest.mark.xdist_group("test_plan_phase")

EXAMPLES = int(os.environ.get("RELANCE_FUZZ", 60))
NOON = dt.time(12, tzinfo=dt.UTC)


def grouped(positions: dict[str, Position]) -> dict[str, list[Position]]:
    """open_by_customer as the planner used to group (in the positions' order)."""
    found: dict[str, list[Position]] = defaultdict(list)
    for p in positions.values():
        if p.is_open:
            found[p.customer_id].append(p)
    return dict(found)


def same_phase(b: Book, as_of: dt.date, approved: frozenset[str]) -> planner.Plan:
    """Everything the plan phase decides on `as_of` is what the former code decides."""
    where = compute_positions(b, as_of, settled_penalties=False)
    by_customer = planner.open_by_customer(where)
    assert list(by_customer.items()) == list(grouped(where).items())
    gathered: dict[str, list[Position]] = {}  # as the run has them: gathered by compute_positions
    assert compute_positions(b, as_of, settled_penalties=False, open_by=gathered) == where
    assert list(gathered.items()) == list(by_customer.items())
    grace = b.settings.promise_grace_days
    whole = {i: (p.customer_id, b.invoices[i].due_date, True) for i, p in where.items() if p.status == "open"}
    assert repr(broken_promises(b.promises, jobs._promised_balances(b, where, by_customer, as_of), as_of, grace)) \
        == repr(broken_promises(b.promises, whole, as_of, grace))
    b = jobs.with_risk_ladder(b)
    moves = scoring_reference.risk_moves(b, where, as_of)
    assert jobs.graded_scenarios(b, where, as_of, by_customer) == moves
    assert jobs.graded_scenarios(b, where, as_of) == moves
    old = reference_planner.plan(b, where, as_of, approved, moves)
    for new in (planner.plan(b, where, as_of, approved, moves, by_customer),
                planner.plan(b, where, as_of, approved, moves)):
        assert repr(new.actions) == repr(old.actions)
        assert repr(new.skips) == repr(old.skips)
        assert repr(new.anomalies) == repr(old.anomalies)
        assert repr(new.held) == repr(old.held)
    return new


def same_snapshot(b: Book, as_of: dt.date) -> jobs.Snapshot:
    """The run's snapshot (figures and plan phases) is the former one, anomalies included."""
    positions, old_plan, old_anomalies = reference_planner.snapshot_figures(b, as_of)
    snap = jobs.snapshot(None, dt.datetime.combine(as_of, NOON), as_of, book=b)  # type: ignore[arg-type]
    assert repr(list(snap.positions.items())) == repr(list(positions.items()))
    assert repr(snap.plan) == repr(old_plan)
    assert repr(snap.anomalies) == repr(old_anomalies)
    return snap


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_of("customers", customer_cells, 4), rows_of("invoices", invoice_cells, 14),
       rows_of("payments", payment_cells, 12), settings_cells, st.lists(day, min_size=1, max_size=4),
       st.sampled_from([{}, {"grouping": "invoice"}, {"cooldown_days": "0"}, {"promise_grace_days": "0"},
                        {"min_balance": "500"}]),
       disputes, promises, st.sampled_from(["none", "all", "some"]))
def test_the_plan_phase_is_the_former_one(customers, invoices, payments, params, days, extra, litiges, promesses,
                                          ticks):
    b = book_of(load(customers, invoices, payments, {**params, **extra}))
    b = replace(b, disputes=[*b.disputes, *litiges], promises=[*b.promises, *promesses])
    approved: frozenset[str] = frozenset()
    for as_of in sorted(days):
        same_snapshot(b, as_of)
        the_plan = same_phase(b, as_of, approved)
        waiting = sorted(a.key for a in the_plan.awaiting_approval)
        # a person ticks every step waiting, or every other one, for the next run
        approved = frozenset(waiting if ticks == "all" else waiting[::2] if ticks == "some" else ())
        b = record(b, the_plan)  # what was approved goes; the rest waits for its tick


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    path = Path(tmp_path_factory.mktemp("demo")) / "demo.xlsx"
    build_demo_workbook(path)
    return jobs.read_book(XlsxBackend(path))


@pytest.mark.parametrize("back", [400, 45, 7, 0, -30, -60])
def test_the_demo_snapshots_are_the_former_ones(demo_book: Book, back: int):
    snap = same_snapshot(demo_book, DEFAULT_AS_OF - dt.timedelta(days=back))
    assert snap.plan.actions and snap.plan.skips
    if back < 0:  # the demo's promises are broken by then
        assert any(a.code == "R415" for a in snap.anomalies)
        # and so they are when they name no invoice (every open invoice of the customer due by then)
        b = replace(demo_book, promises=[replace(p, invoice_ids=()) for p in demo_book.promises])
        snap = same_snapshot(b, DEFAULT_AS_OF - dt.timedelta(days=back))
        assert any(a.code == "R415" for a in snap.anomalies)


def test_the_demo_plan_phase_day_after_day_with_approvals(demo_book: Book):
    """A month of runs on the demo book: each one's steps awaiting approval ticked for the next
    (held ones too: the gap, another message that day), risk grades moving customers."""
    b, approved, planned, held, moved = demo_book, frozenset[str](), 0, 0, 0
    for back in (*range(-30, -18, 3), *range(-18, 1)):  # then daily: ticked steps wait for their gap
        as_of = DEFAULT_AS_OF + dt.timedelta(days=back)
        the_plan = same_phase(b, as_of, approved)
        planned += len(the_plan.actions)
        held += len(the_plan.held)
        moved += sum(a.scenario.startswith("risque") for a in the_plan.actions)
        approved = frozenset(a.key for a in the_plan.awaiting_approval)
        b = record(b, the_plan)
    assert planned > 300 and held > 0 and moved > 0
