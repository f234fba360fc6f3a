"""The session-20 figures are the session-19 figures (hypothesis and the demo book).

engine/balance.py apply_all, engine/position.py compute_positions and engine/planner.py plan were
made faster (one pass over the invoices that matter, facts read once per customer, ladders cut
into levels once per plan, customers with nothing due left early). Their former implementations
are kept verbatim in tests/reference_figures.py and tests/reference_planner.py; on generated books
(every kind of bad cell, credit notes, payments with and without an invoice number, disputes,
promises, paused and opted-out customers, several dates) and on the demo book over simulated days
with their History, the ledgers, credits, positions, anomalies and the plan (actions, their order,
skips, held approvals, anomalies) are the same, Decimal exponent included (compared by repr).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference_figures as reference
import reference_planner
from books import record
from relance.app.jobs import approved_keys, graded_scenarios, read_book, with_risk_ladder
from relance.demo import DEFAULT_AS_OF, build_demo_workbook
from relance.engine import balance, planner, position
from relance.engine.anomaly import Source
from relance.engine.book import Book
from relance.engine.customer import Customer
from relance.engine.invoice import Invoice
from relance.engine.pause import Dispute, Promise
from relance.engine.payment import Payment
from relance.engine.table import Collector
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

# One xdist worker runs this module's tests, so that its module fixtures (the demo records and their former figures) are
# made once, not once per worker.
pytestmark = pytest.mark.xdist_group("test_figures_reference")

EXAMPLES = int(os.environ.get("RELANCE_FUZZ", 60))


def ledgers(result: tuple[dict[str, balance.InvoiceLedger], list[balance.Credit]], days: list[dt.date]) -> str:
    """Everything apply_all decided, as text (so that 12.5 and 12.50 differ)."""
    found, credits = result
    return repr(([(k, v.invoice, v.allocations, [(v.balance(d), v.settlement_date(d)) for d in days])
                  for k, v in found.items()], credits))


def same_positions(b: Book, as_of: dt.date) -> None:
    for settled in (False, True):
        fast, slow = Collector(), Collector()
        new = position.compute_positions(b, as_of, fast, settled_penalties=settled)
        old = reference.compute_positions(b, as_of, slow, settled_penalties=settled)
        assert repr(list(new.items())) == repr(list(old.items()))
        assert repr(fast.items) == repr(slow.items)


def same_plan(b: Book, as_of: dt.date, suggested: dict[str, str] | None = None) -> planner.Plan:
    where = position.compute_positions(b, as_of, settled_penalties=False)
    approved = approved_keys(b)
    new = planner.plan(b, where, as_of, approved, suggested)
    old = reference_planner.plan(b, where, as_of, approved, suggested)
    assert repr(new.actions) == repr(old.actions)
    assert repr(new.skips) == repr(old.skips)
    assert repr(new.anomalies) == repr(old.anomalies)
    assert repr(new.held) == repr(old.held)
    return new


SRC = Source("Litiges", 2)
ids = st.sampled_from(["F1", "F2", "F3", "F4", "F5", "A1"])
disputes = st.lists(st.builds(
    Dispute, ids, st.one_of(st.none(), day), st.just("qualité"), st.sampled_from(["open", "resolved"]),
    st.one_of(st.none(), day), st.just(SRC)), max_size=3)
promises = st.lists(st.builds(
    Promise, st.sampled_from(["C1", "C2", "C3", "C4"]), st.lists(ids, max_size=2).map(tuple), day,
    st.one_of(st.none(), st.just(Decimal("100.00"))), st.sampled_from(["open", "kept", "broken"]),
    st.just(Source("Promesses", 2))), max_size=3)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_of("customers", customer_cells, 4), rows_of("invoices", invoice_cells, 14),
       rows_of("payments", payment_cells, 12), settings_cells, st.lists(day, min_size=1, max_size=3),
       st.sampled_from([{}, {"penalty_rate_mode": "fixed", "penalty_annual_rate": "12.5"},
                        {"ecb_rate_2025_H2": "2.125"}, {"grouping": "invoice"}, {"cooldown_days": "0"}]),
       disputes, promises)
def test_ledgers_positions_and_plans_are_the_former_ones(customers, invoices, payments, params, days, extra,
                                                         litiges, promesses):
    b = book_of(load(customers, invoices, payments, {**params, **extra}))
    b = replace(b, disputes=[*b.disputes, *litiges], promises=[*b.promises, *promesses])
    fast = balance.apply_all(b.invoices, b.payments, out_fast := Collector(), b.disputes)
    slow = reference.apply_all(b.invoices, b.payments, out_slow := Collector(), b.disputes)
    assert ledgers(fast, days) == ledgers(slow, days)
    assert repr(out_fast.items) == repr(out_slow.items)
    b = replace(b, ledgers=fast[0], credits=fast[1])
    for as_of in sorted(days):
        same_positions(b, as_of)
        b = record(b, same_plan(b, as_of), approve=True)  # the next day plans with this one's History


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    path = Path(tmp_path_factory.mktemp("demo")) / "demo.xlsx"
    build_demo_workbook(path)
    return with_risk_ladder(read_book(XlsxBackend(path)))


def test_the_demo_ledgers_are_the_former_ones(demo_book: Book):
    days = [DEFAULT_AS_OF - dt.timedelta(days=back) for back in (0, 30, 200)]
    fast = balance.apply_all(demo_book.invoices, demo_book.payments, out_fast := Collector(), demo_book.disputes)
    slow = reference.apply_all(demo_book.invoices, demo_book.payments, out_slow := Collector(), demo_book.disputes)
    assert ledgers(fast, days) == ledgers(slow, days)
    assert repr(out_fast.items) == repr(out_slow.items)
    assert sum(1 for lg in fast[0].values() if lg.allocations) > 1000 and fast[1]


@pytest.mark.parametrize("back", [400, 45, 0, -60])
def test_the_demo_positions_are_the_former_ones(demo_book: Book, back: int):
    same_positions(demo_book, DEFAULT_AS_OF - dt.timedelta(days=back))


def test_the_demo_plans_are_the_former_ones_day_after_day(demo_book: Book):
    """A month of daily runs on the demo book, each one's actions recorded (approved ones
    included) for the next: first reminders, then formal notices and hand-offs, cooldowns, holds."""
    b, planned = demo_book, 0
    for back in range(-30, 1, 3):
        as_of = DEFAULT_AS_OF + dt.timedelta(days=back)
        where = position.compute_positions(b, as_of, settled_penalties=False)
        the_plan = same_plan(b, as_of, graded_scenarios(b, where, as_of))
        planned += len(the_plan.actions)
        b = record(b, the_plan, approve=back % 2 == 0)
    assert planned > 300


# --- session 21: records made directly (no sheet in between), so that the figures meet what
# parsing never gives them too: amounts of any exponent (JPY's units, KWD's mils, 1E+2), zero and
# negative amounts, credit notes for another customer or currency, paid_amount cells that agree or
# not with the payments, payments to credit notes and to unknown numbers, customer-level payments
# larger than everything due (overpayments), invoices issued after as_of, every status, B2B, B2C and
# customers of unknown type, opted out or paused, disputes and promises, ECB rates guessed (dates
# before 2011 and after the table), a fixed rate, and dates in every order.

CIDS = ["C1", "C2", "C3", "C4"]
IIDS = ["F1", "F2", "F3", "F4", "F5", "F6", "A1", "A2"]
when = st.one_of(st.dates(dt.date(2025, 1, 1), dt.date(2025, 4, 30)), st.dates(dt.date(2009, 1, 1), dt.date(2027, 12, 31)))
cents = st.integers(-50_000, 2_000_000)
amount = st.one_of(
    cents.map(lambda c: Decimal(c).scaleb(-2)),  # EUR, USD
    st.integers(0, 300_000).map(Decimal),  # JPY
    st.integers(0, 2_000_000).map(lambda m: Decimal(m).scaleb(-3)),  # KWD
    st.sampled_from([Decimal("0"), Decimal("0.00"), Decimal("1E+2"), Decimal("100.0000"), Decimal("-0.00"),
                     Decimal("999999999999.99")]))


@st.composite
def records(draw: st.DrawFn) -> tuple[list[Customer], dict[str, Invoice], list[Payment]]:
    base = draw(st.sampled_from(_BASE_CUSTOMERS))
    customers = [replace(base, id=cid, type=draw(st.sampled_from(["B2B", "B2C", ""])),
                         opt_out=draw(st.booleans()) and draw(st.booleans()),
                         paused_until=draw(st.one_of(st.none(), st.none(), when))) for cid in CIDS]
    invoices: dict[str, Invoice] = {}
    for row, iid in enumerate(draw(st.lists(st.sampled_from(IIDS), unique=True, max_size=8)), start=2):
        issued = draw(when)
        credit = iid.startswith("A") or draw(st.integers(0, 9)) == 0
        invoices[iid] = Invoice(
            iid, draw(st.sampled_from(CIDS)), issued, issued + dt.timedelta(days=draw(st.integers(-5, 90))),
            draw(amount), draw(st.sampled_from(["EUR", "EUR", "USD", "JPY"])), "credit_note" if credit else "invoice",
            draw(st.sampled_from(["", "", *IIDS, "F9"])) if credit else "",
            draw(st.one_of(st.none(), st.none(), st.none(), amount)),
            draw(st.sampled_from(["open", "open", "open", "disputed", "hold", "cancelled"])), "", "",
            Source("Factures", row))
    payments = [Payment(draw(when), draw(amount), draw(st.sampled_from(["", "", "", *IIDS, "F99"])),
                        draw(st.sampled_from(CIDS)), draw(st.sampled_from(["EUR", "EUR", "USD", "JPY"])),
                        draw(st.sampled_from(["", "VIR"])), Source("Reglements", row))
                for row in range(2, 2 + draw(st.integers(0, 14)))]
    return customers, invoices, payments


_BASE_CUSTOMERS = list(book_of(load([], [], [], {})).customers.values())
rate_settings = st.sampled_from([{}, {"penalty_rate_mode": "fixed", "penalty_annual_rate": Decimal("12.5")},
                                 {"ecb_rates": {(2025, 2): Decimal("2.125")}},
                                 {"ecb_rates": {(2026, 1): Decimal("3.14159")}}, {"promise_grace_days": 0}])
disputes_of = st.lists(st.builds(
    Dispute, st.sampled_from(IIDS), st.one_of(st.none(), when), st.just("qualité"),
    st.sampled_from(["open", "resolved"]), st.one_of(st.none(), when), st.just(SRC)), max_size=4)
promises_of = st.lists(st.builds(
    Promise, st.sampled_from(CIDS), st.lists(st.sampled_from(IIDS), max_size=2).map(tuple), when,
    st.one_of(st.none(), st.just(Decimal("100.00"))), st.sampled_from(["open", "kept", "broken"]),
    st.just(Source("Promesses", 2))), max_size=3)


@settings(max_examples=EXAMPLES * 3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records(), rate_settings, disputes_of, promises_of, st.lists(when, min_size=1, max_size=4))
def test_figures_of_any_records_are_the_former_ones(made, rate, litiges, promesses, days):
    customers, invoices, payments = made
    b = book_of(load([], [], [], {}))
    b = replace(b, settings=replace(b.settings, **rate), customers={c.id: c for c in customers}, invoices=invoices,
                payments=payments, disputes=litiges, promises=promesses)
    fast = balance.apply_all(b.invoices, b.payments, out_fast := Collector(), b.disputes)
    slow = reference.apply_all(b.invoices, b.payments, out_slow := Collector(), b.disputes)
    assert ledgers(fast, days) == ledgers(slow, days)
    assert repr(out_fast.items) == repr(out_slow.items)
    assert [(lg.dates, lg.cumulative) for lg in fast[0].values()] == [
        (tuple(lg.dates), tuple(lg.cumulative)) if len(lg.dates) == 1 else (lg.dates, lg.cumulative)
        for lg in slow[0].values()]
    for as_of in days:
        same_positions(replace(b, ledgers=fast[0], credits=fast[1]), as_of)
        # and the former positions on the former ledgers
        for settled in (False, True):
            new = position.compute_positions(replace(b, ledgers=fast[0], credits=fast[1]), as_of,
                                             settled_penalties=settled)
            old = reference.compute_positions(replace(b, ledgers=slow[0], credits=slow[1]), as_of,
                                              settled_penalties=settled)
            assert repr(list(new.items())) == repr(list(old.items()))
