"""Invariants of the daily job for any workbook (hypothesis): settled invoices are never reminded,
an action is sent exactly once (reruns and outages send nothing twice), row order changes
nothing, currencies are never summed together, one message per customer and channel a run.

These go through the job shell (app/jobs.py) with the shipped presets on purpose: they hold for
what a user runs, risk grades switching scenarios included.
"""

import datetime as dt
import random
from decimal import Decimal as D
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import NOW, customer, invoice, on, payment, workbook
from relance.app.jobs import run, snapshot
from relance.channels.outbox import OutboxChannel
from relance.engine.report import build_report, report_json

AS_OF = dt.date(2025, 6, 30)
START = dt.date(2024, 11, 1)

amounts = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)
days = st.integers(min_value=0, max_value=(AS_OF - START).days + 20)


@st.composite
def books(draw):
    n_customers = draw(st.integers(1, 4))
    customers = [customer(f"C{i}", type_client=draw(st.sampled_from(["B2B", "B2C"])),
                          delai_paiement=draw(st.sampled_from(["30", "45 FDM", "60"])))
                 for i in range(n_customers)]
    invoices, payments = [], []
    for i in range(draw(st.integers(1, 10))):
        cid = f"C{draw(st.integers(0, n_customers - 1))}"
        issued = START + dt.timedelta(days=draw(days))
        amount = draw(amounts)
        cur = draw(st.sampled_from(["EUR", "EUR", "USD"]))
        invoices.append(invoice(f"F{i}", cid, issued.isoformat(), None, str(amount), devise=cur))
        for _ in range(draw(st.integers(0, 2))):
            paid_on = issued + dt.timedelta(days=draw(st.integers(0, 120)))
            part = draw(st.sampled_from([amount, amount / 2, D("10.00")])).quantize(D("0.01"))
            by_customer = draw(st.booleans())
            payments.append(payment(paid_on.isoformat(), str(part), None if by_customer else f"F{i}",
                                    cid if by_customer else None, cur))
    return customers, invoices, payments


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(books())
def test_settled_invoices_are_never_reminded(data):
    snap = snapshot(workbook(*data), NOW, AS_OF)
    for action in snap.plan.actions:
        for iid in action.invoice_ids:
            assert snap.positions[iid].balance > 0
            assert snap.positions[iid].status == "open"
            assert not snap.positions[iid].paused


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(books(), st.integers(0, 40))
def test_a_rerun_sends_nothing_new(tmp_path_factory, data, later):
    box = tmp_path_factory.mktemp("box")
    wb = workbook(*data)
    first = run(wb, lambda b: OutboxChannel(Path(box), "t"), on(AS_OF), anytime=True).to_json()
    again = run(wb, lambda b: OutboxChannel(Path(box), "t"), on(AS_OF), anytime=True).to_json()
    assert again["sent"] == again["tasks_created"] == 0
    assert all(a["status"] == "awaiting_approval" for a in again["actions"])  # only hand-offs wait for a person
    # and no action key ever appears twice in History, whatever the later days bring
    run(wb, lambda b: OutboxChannel(Path(box), "t"), on(AS_OF + dt.timedelta(days=later)), anytime=True)
    keys = [row[2] for row in wb.tabs["Historique"][1:]]
    assert len(keys) == len(set(keys))
    assert first["failed"] == 0


@settings(max_examples=40, deadline=None)
@given(books(), st.randoms(use_true_random=False))
def test_row_order_changes_nothing(data, rnd: random.Random):
    customers, invoices, payments = data
    a = snapshot(workbook(customers, invoices, payments), NOW, AS_OF, for_report=True)
    shuffled = [list(x) for x in (customers, invoices, payments)]
    for rows in shuffled:
        rnd.shuffle(rows)
    b = snapshot(workbook(*shuffled), NOW, AS_OF, for_report=True)
    assert {x.key for x in a.plan.actions} == {x.key for x in b.plan.actions}
    ra, rb = report_json(build_report(a.book, a.positions, AS_OF)), report_json(build_report(b.book, b.positions, AS_OF))
    assert ra["currencies"] == rb["currencies"]
    assert ra["invoices"] == rb["invoices"]


@settings(max_examples=60, deadline=None)
@given(books())
def test_currencies_are_never_summed_together(data):
    snap = snapshot(workbook(*data), NOW, AS_OF)
    report = report_json(build_report(snap.book, snap.positions, AS_OF))
    for cur, figures in report["currencies"].items():
        open_here = sum((D(i["open_balance"]) for i in report["invoices"]
                         if i["currency"] == cur and i["status"] == "open"), D(0))
        buckets = sum(D(figures["aging"][b]) for b in ("current", "1-30", "31-60", "61-90", ">90"))
        assert buckets == open_here
    for action in snap.plan.actions:
        for cur, total in action.totals:
            assert total == sum(snap.positions[i].balance for i in action.invoice_ids
                                if snap.positions[i].currency == cur)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(books(), st.integers(0, 60))
def test_no_customer_gets_two_messages_on_one_channel_in_one_run(data, shift):
    snap = snapshot(workbook(*data), NOW, AS_OF + dt.timedelta(days=shift))
    seen = [(a.customer_id, a.channel) for a in snap.plan.actions if a.channel in ("email", "sms", "letter")]
    assert len(seen) == len(set(seen))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(1, 45), st.integers(7, 40))
def test_a_missed_stretch_sends_one_message_not_one_per_step(tmp_path_factory, due_offset, gap):
    """Runs stop for `gap` days (an outage): the next run sends the highest due step only."""
    box = tmp_path_factory.mktemp("box")
    due = AS_OF - dt.timedelta(days=due_offset)
    wb = workbook([customer("C1")], [invoice("F1", "C1", (due - dt.timedelta(days=30)).isoformat(),
                                             due.isoformat(), "1000")])
    run(wb, lambda b: OutboxChannel(Path(box), "t"), on(AS_OF), anytime=True)
    after = run(wb, lambda b: OutboxChannel(Path(box), "t"), on(AS_OF + dt.timedelta(days=gap)), anytime=True).to_json()
    emails = [a for a in after["actions"] if a["channel"] == "email" and a["status"] == "sent"]
    assert len(emails) <= 1


@settings(max_examples=40, deadline=None)
@given(books(), st.sampled_from(["standard", "grands_comptes"]))
def test_a_risk_move_moves_only_businesses_and_keeps_every_approval(data, default):
    """Whatever the book, a customer off its default ladder was moved by its grade: a known business,
    on `risque` guarded from the default ladder, so every template it approves is approved still."""
    customers, invoices, payments = data
    snap = snapshot(workbook(customers, invoices, payments, {"default_scenario": default}), NOW, AS_OF)
    approved = {s.template for s in snap.book.scenarios[default].steps if s.requires_approval}
    for action in snap.plan.actions:
        if action.scenario == default:
            continue
        assert action.scenario == ("risque" if default == "standard" else "risque+grands_comptes")
        assert snap.book.customers[action.customer_id].type == "B2B"
        if action.template in approved:
            assert action.requires_approval
