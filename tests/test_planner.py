"""The planner (engine/planner.py), case by case, on books built in memory.

Each test writes its tabs as rows, names its ladder as Scenario/Step values (tests/books.py),
computes the positions and calls `plan` directly. What the daily job adds around the plan
(send window, approvals, History, reruns) is in test_jobs.py.
"""

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from books import CLASSIC, STANDARD, baselined, book, ladder, load, planned, record, simulate, step
from conftest import CLASSIC as CLASSIC_TAB
from conftest import customer, invoice, payment, tabs
from relance.app.resources import shipped_presets
from relance.engine.planner import Plan

AS_OF = dt.date(2025, 3, 31)


def test_the_ladders_planned_here_are_the_shipped_and_the_classic_ones():
    def read(scenario):
        return [(s.name, s.offset_days, s.channel, s.template, s.min_balance, s.requires_approval)
                for s in scenario.steps]

    assert read(STANDARD) == read(shipped_presets()["standard"])
    from_tab = book([customer("C1")], [], Scenarios=CLASSIC_TAB).scenarios["standard"]
    assert from_tab.steps == CLASSIC.steps


@pytest.mark.parametrize("due, expected", [
    ("2025-04-05", {"courtesy"}),                      # J-5
    ("2025-04-06", set()),                             # J-6: nothing yet
    ("2025-03-31", {"courtesy"}),                      # due today: still a courtesy reminder
    ("2025-03-30", {"notice"}),                        # J+1: the friendly notice
    ("2025-03-25", {"notice"}),                        # J+6
    ("2025-03-24", {"notice"}),                        # J+7: a first message is the first step, never a jump
    ("2025-03-16", {"notice"}),                        # J+15
    ("2025-03-01", {"notice"}),                        # J+30: never a formal notice as a first message
    ("2024-09-12", {"notice"}),                        # J+200
])
def test_a_first_run_sends_the_first_step_due_whatever_the_age(due, expected):
    got = planned(book([customer("C1")], [invoice("F1", "C1", "2024-01-01", due, 1000)]), AS_OF)
    assert {name for _, name, _ in got.actions} == expected


def test_an_old_invoice_climbs_the_ladder_one_step_per_gap():
    sheets = tabs([customer("C1", telephone="06 12 34 56 78")],
                  [invoice("F1", "C1", "2024-10-01", "2024-11-30", 1000)])  # 121 days late on the first run
    sheets["Clients"][0] += ["adresse", "code_postal", "ville"]
    sheets["Clients"][1] += ["3 rue Haute", "69001", "Lyon"]
    b = load(sheets)
    days = [AS_OF + dt.timedelta(days=n) for n in range(0, 30)]
    _, done = simulate(b, days, approve=True)
    assert [a.step for a in done] == [
        "notice", "reminder_1", "reminder_2", "reminder_2_sms", "call", "formal_notice",
        "formal_notice_letter", "handoff"]


def test_each_step_waits_its_gap_and_the_hand_off_the_notice_deadline():
    b = book([customer("C1")], [invoice("F1", "C1", "2024-10-01", "2024-11-30", 1000)])
    days = [AS_OF + dt.timedelta(days=n) for n in range(0, 40)]
    sent_on: dict[str, dt.date] = {}
    for day in days:
        p = planned(b, day).plan
        for a in p.actions:
            sent_on.setdefault(a.step, day)
        b = record(b, p, approve=True)
    gap = dt.timedelta(days=3)  # Settings cooldown_days by default
    assert sent_on["notice"] == AS_OF
    assert sent_on["reminder_1"] == AS_OF + gap
    assert sent_on["reminder_2"] == AS_OF + 2 * gap
    assert sent_on["call"] == AS_OF + 3 * gap
    assert sent_on["formal_notice"] == AS_OF + 4 * gap
    assert sent_on["handoff"] == sent_on["formal_notice"] + dt.timedelta(days=8)  # its deadline passed


def test_a_step_gap_of_its_own_overrides_the_cooldown():
    slow = ladder("standard", step("notice", 1), step("reminder_1", 7, min_gap_days=10))
    b = book([customer("C1")], [invoice("F1", "C1", "2024-10-01", "2024-11-30", 1000)], scenarios=[slow])
    b = record(b, planned(b, AS_OF).plan)
    assert planned(b, AS_OF + dt.timedelta(days=9)).actions == set()
    assert {s[2] for s in planned(b, AS_OF + dt.timedelta(days=9)).skips} == {"cooldown"}
    assert planned(b, AS_OF + dt.timedelta(days=10)).actions == {("C1", "reminder_1", ("F1",))}


def test_a_formal_notice_needs_a_written_reminder_before_it():
    abrupt = ladder("standard", step("formal_notice", 30), step("handoff", 45, "agency"))
    b = book([customer("C1")], [invoice("F1", "C1", "2024-10-01", "2024-11-30", 1000)], scenarios=[abrupt])
    got = planned(b, AS_OF)
    assert got.actions == set()
    assert got.skips >= {("C1", ("F1",), "no_written_reminder")}


def test_a_hand_off_needs_a_formal_notice_whose_deadline_has_passed():
    b = book([customer("C1")], [invoice("F1", "C1", "2024-10-01", "2024-11-30", 1000)])
    b = baselined(b, "formal_notice", AS_OF - dt.timedelta(days=5))
    got = planned(b, AS_OF)
    assert got.actions == set() and ("C1", ("F1",), "notice_deadline") in got.skips
    later = planned(b, AS_OF + dt.timedelta(days=3))
    assert [(a.step, a.requires_approval) for a in later.plan.actions] == [("handoff", True)]


def test_a_day_with_two_channels_plans_both_and_says_what_is_missing():
    b = book([customer("C1", telephone="06 12 34 56 78"), customer("C2", telephone="01 45 67 89 10")],
             [invoice("F1", "C1", "2025-01-01", "2025-03-16", 1000),
              invoice("F2", "C2", "2025-01-01", "2025-03-16", 1000)])
    b = baselined(b, "reminder_1", AS_OF - dt.timedelta(days=5))
    got = planned(b, AS_OF)
    assert got.actions == {("C1", "reminder_2", ("F1",)), ("C1", "reminder_2_sms", ("F1",)),
                           ("C2", "reminder_2", ("F2",))}
    sms = next(a for a in got.plan.actions if a.channel == "sms")
    assert sms.recipients == ("+33612345678",)
    assert {(s.customer_id, s.step, s.reason) for s in got.plan.skips} == {("C2", "reminder_2_sms", "no_address")}


def test_a_paid_invoice_is_never_reminded():
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-01", 1000)],
             [payment("2025-03-30", 1000, "F1")])
    assert planned(b, AS_OF).actions == set()


def test_a_payment_after_as_of_does_not_count_yet():
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-01", 1000)],
             [payment("2025-04-02", 1000, "F1")])
    assert planned(b, AS_OF).actions == {("C1", "notice", ("F1",))}


def test_fifo_payment_settles_the_oldest_invoice_first():
    b = book([customer("C1")],
             [invoice("F1", "C1", "2025-01-01", "2025-02-10", 600),
              invoice("F2", "C1", "2025-01-15", "2025-03-10", 400)],
             [payment("2025-03-20", 600, None, "C1")], scenarios=[CLASSIC])
    got = planned(b, AS_OF)
    assert got.positions["F1"].status == "settled"
    assert got.actions == {("C1", "reminder_1", ("F2",))}


def test_credit_note_reduces_its_invoice():
    b = book([customer("C1")],
             [invoice("F1", "C1", "2025-01-01", "2025-03-01", 1000),
              invoice("A1", "C1", "2025-03-05", None, 1000, type="avoir", facture_liee="F1")])
    assert planned(b, AS_OF).actions == set()


@pytest.mark.parametrize("customer_kw, invoice_kw, reason", [
    ({}, {"statut": "litige"}, "disputed"),
    ({}, {"statut": "hold"}, "hold"),
    ({"pas_de_relance": "oui"}, {}, "opt_out"),
    ({"suspendu_jusqu_au": "2025-04-15"}, {}, "customer_paused"),
    ({"email": ""}, {}, "no_address"),
])
def test_paused_and_unreachable_are_skipped_with_a_reason(customer_kw, invoice_kw, reason):
    b = book([customer("C1", **customer_kw)],
             [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000, **invoice_kw)])
    got = planned(b, AS_OF)
    assert got.actions == set()
    assert {s[2] for s in got.skips} - {"courtesy_past"} == {reason}


def test_an_open_dispute_row_pauses_and_a_resolved_one_does_not():
    litiges = [["numero_facture", "ouvert_le", "motif", "statut", "resolu_le"],
               ["F1", "2025-03-01", "quantité", "ouvert", None],
               ["F2", "2025-02-01", "prix", "resolu", "2025-03-01"]]
    b = book([customer("C1")],
             [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000),
              invoice("F2", "C1", "2025-01-01", "2025-03-24", 500)], Litiges=litiges)
    got = planned(b, AS_OF)
    assert got.actions == {("C1", "notice", ("F2",))}
    assert got.skips - {s for s in got.skips if s[2] == "courtesy_past"} == {("C1", ("F1",), "disputed")}


def test_a_promise_pauses_until_its_date_plus_grace():
    promesses = [["code_client", "numeros_factures", "date_promise", "montant", "source", "statut"],
                 ["C1", "F1", "2025-03-29", 1000, "téléphone", "ouverte"]]
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000)], Promesses=promesses)
    assert planned(b, dt.date(2025, 4, 1)).actions == set()  # 29 March + 3 days of grace
    assert planned(b, dt.date(2025, 4, 2)).actions == {("C1", "notice", ("F1",))}


def test_one_message_per_customer_at_the_highest_next_step_listing_every_overdue_invoice():
    b = book([customer("C1")],
             [invoice("F1", "C1", "2025-01-01", "2025-03-16", 1000),
              invoice("F2", "C1", "2025-01-01", "2025-03-24", 500),
              invoice("F3", "C1", "2025-01-01", "2025-03-29", 200)])
    assert planned(b, AS_OF).actions == {("C1", "notice", ("F1", "F2", "F3"))}
    # four days ago the customer had been sent reminder_1 by hand (F3 was not due yet)
    b = baselined(b, "reminder_1", AS_OF - dt.timedelta(days=4))
    assert planned(b, AS_OF).actions == {("C1", "reminder_2", ("F1", "F2", "F3"))}


def test_grouping_per_invoice():
    b = book([customer("C1")],
             [invoice("F1", "C1", "2025-01-01", "2025-03-16", 1000),
              invoice("F2", "C1", "2025-01-01", "2025-03-24", 500)], settings={"grouping": "invoice"})
    assert planned(b, AS_OF).actions == {("C1", "notice", ("F1",)), ("C1", "notice", ("F2",))}
    b = record(b, planned(b, AS_OF).plan)
    assert planned(b, AS_OF + dt.timedelta(days=3)).actions == {("C1", "reminder_1", ("F1",)),
                                                                ("C1", "reminder_1", ("F2",))}


def test_customer_scenario_then_segment_then_default():
    sheets = tabs([customer("C1", raison_sociale="X"), customer("C2")],
                  [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000),
                   invoice("F2", "C2", "2025-01-01", "2025-03-24", 1000)])
    sheets["Clients"][0].append("scenario")
    sheets["Clients"][1].append("doux")
    sheets["Clients"][0].append("segment")
    sheets["Clients"][2].extend([None, "pme"])
    doux = ladder("doux", step("rappel", 20, template="reminder_1"))
    pme = ladder("pme", step("vite", 3, template="reminder_1"))
    got = planned(load(sheets, STANDARD, doux, pme), AS_OF)
    assert got.actions == {("C2", "vite", ("F2",))}  # C1's "doux" needs J+20


def test_min_balance_skips_small_amounts():
    r1 = ladder("standard", step("r1", 7, template="reminder_1", min_balance=50))
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 20)], scenarios=[r1])
    got = planned(b, AS_OF)
    assert got.actions == set() and {s[2] for s in got.skips} == {"below_min_balance"}


def test_a_formal_notice_demands_only_what_is_overdue():
    b = book([customer("C1")],
             [invoice("F1", "C1", "2025-01-01", "2025-02-27", 1000),    # J+32: formal notice
              invoice("F2", "C1", "2025-03-01", "2025-04-03", 500)])   # J-3: not owed yet
    b = baselined(b, "call", AS_OF - dt.timedelta(days=4))
    notices = [a for a in planned(b, AS_OF).plan.actions if a.step.startswith("formal_notice")]
    assert notices and all(a.invoice_ids == ("F1",) and {c: str(v) for c, v in a.totals} == {"EUR": "1000.00"}
                           for a in notices)


def test_tolerances_per_currency_on_the_customer_total():
    small = book([customer("C1"), customer("C2")],
                 [invoice("F1", "C1", "2025-01-01", "2025-03-01", "4.99"),
                  invoice("F2", "C2", "2025-01-01", "2025-03-01", "3.00", devise="USD"),
                  invoice("F3", "C2", "2025-01-01", "2025-03-02", "3.00", devise="USD")])
    got = planned(small, AS_OF)  # Settings min_balance: 5 in each currency, by default
    assert got.actions == {("C2", "notice", ("F2", "F3"))}  # 6.00 USD overdue in all
    assert ("C1", ("F1",), "below_min_balance") in got.skips
    r1 = ladder("standard", step("r1", 7, template="reminder_1", min_balance=50))
    two = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 30),
                                  invoice("F2", "C1", "2025-01-01", "2025-03-20", 30)], scenarios=[r1])
    assert planned(two, AS_OF).actions == {("C1", "r1", ("F2", "F1"))}  # 60 overdue >= 50


def test_the_agency_floor_holds_back_a_small_hand_off():
    b = book([customer("C1")], [invoice("F1", "C1", "2024-10-01", "2024-11-30", "144.74")])
    b = baselined(b, "formal_notice", AS_OF - dt.timedelta(days=20))
    got = planned(b, AS_OF)
    assert got.actions == set() and ("C1", ("F1",), "below_min_balance") in got.skips
    b2 = book([customer("C1")], [invoice("F1", "C1", "2024-10-01", "2024-11-30", "144.74")],
              settings={"agency_min_balance": "100"})
    b2 = baselined(b2, "formal_notice", AS_OF - dt.timedelta(days=20))
    assert planned(b2, AS_OF).actions == {("C1", "handoff", ("F1",))}


def test_a_broken_or_unknown_scenario_stops_its_customers_only():
    sheets = tabs([customer("C1"), customer("C2"), customer("C3")],
                  [invoice("F1", "C1", "2025-01-01", "2025-03-20", 1000),
                   invoice("F2", "C2", "2025-01-01", "2025-03-20", 1000),
                   invoice("F3", "C3", "2025-01-01", "2025-03-20", 1000)],
                  Scenarios=[["scenario", "etape", "decalage_jours", "canal", "modele"],
                             ["doux", "rappel", "10", "email", "reminder_1"],
                             ["doux", "relance", "dix", "email", "reminder_2"]])
    sheets["Clients"][0].append("scenario")
    sheets["Clients"][1].append("doux")      # broken in the Scenarios tab
    sheets["Clients"][2].append("inconnu")   # no such scenario
    sheets["Clients"][3].append(None)        # the default ladder
    got = planned(load(sheets), AS_OF)
    assert got.actions == {("C3", "notice", ("F3",))}
    reasons = {s.customer_id: (s.reason, s.detail) for s in got.plan.skips if s.reason.startswith("scenario")}
    assert reasons["C1"][0] == "scenario_broken" and "Scenarios!" in reasons["C1"][1]
    assert reasons["C2"][0] == "scenario_unknown"
    assert any(a.code == "R602" and a.value == "inconnu" for a in got.anomalies)


def test_missing_sender_settings_hold_back_their_messages_only():
    b = book([customer("C1", telephone="06 12 34 56 78")],
             [invoice("F1", "C1", "2025-01-01", "2025-03-16", 1000)], settings={"sender_email": ""})
    b = baselined(b, "reminder_1", AS_OF - dt.timedelta(days=5))
    got = planned(b, AS_OF)
    assert got.actions == {("C1", "reminder_2_sms", ("F1",))}  # the SMS needs no sender address
    assert ("C1", ("F1",), "setting_missing") in got.skips
    nameless = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-16", 1000)],
                    settings={"company_name": ""})
    assert planned(nameless, AS_OF).actions == set()
    assert {s[2] for s in planned(nameless, AS_OF).skips} - {"courtesy_past"} == {"setting_missing"}


def test_the_gap_counts_from_the_planned_run_date_and_ignores_failures():
    b = book([customer("C1")], [invoice("F1", "C1", "2024-10-01", "2024-11-30", 1000)])
    p = planned(b, AS_OF).plan
    replayed = record(b, p)  # a run for AS_OF, whatever day it was written
    assert planned(replayed, AS_OF + dt.timedelta(days=2)).actions == set()
    assert planned(replayed, AS_OF + dt.timedelta(days=3)).actions == {("C1", "reminder_1", ("F1",))}
    failed = record(b, p, status="failed")  # a failed send reached nobody: the step is still due
    assert planned(failed, AS_OF).actions == {("C1", "notice", ("F1",))}
    ahead = record(b, planned(b, AS_OF + dt.timedelta(days=10)).plan)  # a row dated after as_of blocks
    assert planned(ahead, AS_OF + dt.timedelta(days=3)).actions == set()


@given(st.dictionaries(st.sampled_from(["C1", "C2", "C3"]), st.sampled_from(["risque", "standard", "doux"])))
def test_a_chosen_ladder_is_never_replaced(suggested):
    sheets = tabs([customer("C1"), customer("C2"), customer("C3")],
                  [invoice(f"F{i}", f"C{i}", "2025-01-01", "2025-03-20", 1000) for i in (1, 2, 3)])
    sheets["Clients"][0] += ["scenario", "segment"]
    sheets["Clients"][1] += ["doux", None]    # chosen in its row
    sheets["Clients"][2] += [None, "doux"]    # chosen through its segment
    sheets["Clients"][3] += [None, "pme"]     # a segment naming no ladder: the default one
    doux = ladder("doux", step("rappel", 3, template="reminder_1"))
    risque = ladder("risque", step("vite", 2, template="reminder_1"))
    b = load(sheets, STANDARD, doux, risque)
    chosen = {a.customer_id: a.scenario for a in planned(b, AS_OF, suggested=suggested).plan.actions}
    assert chosen["C1"] == "doux" and chosen["C2"] == "doux"
    assert chosen["C3"] == suggested.get("C3", "standard")


def test_a_step_that_failed_beside_its_sibling_is_planned_again_until_sent():
    b = book([customer("C1", telephone="06 12 34 56 78")], [invoice("F1", "C1", "2025-01-01", "2025-03-16", 1000)])
    b = baselined(b, "reminder_1", AS_OF - dt.timedelta(days=5))
    p = planned(b, AS_OF).plan
    assert {a.step for a in p.actions} == {"reminder_2", "reminder_2_sms"}
    sms = next(a for a in p.actions if a.channel == "sms")
    email = next(a for a in p.actions if a.channel == "email")
    b = record(b, Plan(p.as_of, (email,), ()))                  # the e-mail left,
    b = record(b, Plan(p.as_of, (sms,), ()), status="failed")   # the SMS did not (a crash, a refusal)
    again = planned(b, AS_OF + dt.timedelta(days=1))
    assert again.actions == {("C1", "reminder_2_sms", ("F1",))}  # the SMS again, and only it
    b = record(b, again.plan, status="failed")                  # fails once more
    assert planned(b, AS_OF + dt.timedelta(days=2)).actions == {("C1", "reminder_2_sms", ("F1",))}
    b = record(b, planned(b, AS_OF + dt.timedelta(days=2)).plan)  # sent at last
    assert planned(b, AS_OF + dt.timedelta(days=5)).actions == set()  # J+20: nothing more to send
    later = planned(b, AS_OF + dt.timedelta(days=6))
    assert later.actions == {("C1", "call", ("F1",))}             # J+21: the ladder goes on; never twice


def test_an_action_cut_off_today_goes_again_today_despite_a_message_sent_beside_it():
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-08", 1000),   # J+23: the call
                                invoice("F2", "C1", "2025-03-01", "2025-04-03", 400)])  # J-3: a courtesy
    b = baselined(b, "reminder_2", AS_OF - dt.timedelta(days=6))
    p = planned(b, AS_OF).plan
    assert {a.step for a in p.actions} == {"call", "courtesy"}  # a task does not reach the customer
    call = next(a for a in p.actions if a.step == "call")
    courtesy = next(a for a in p.actions if a.step == "courtesy")
    b = record(record(b, Plan(AS_OF, (courtesy,), ())), Plan(AS_OF, (call,), ()))
    b = replace(b, history=[*b.history[:-1], replace(b.history[-1], status="failed")])  # cut off by a crash
    assert planned(b, AS_OF).actions == {("C1", "call", ("F1",))}  # the rerun of the day, not in 3 days
