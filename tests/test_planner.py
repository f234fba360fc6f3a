"""The planner (engine/planner.py), case by case, on books built in memory.

Each test writes its tabs as rows, names its ladder as Scenario/Step values (tests/books.py),
computes the positions and calls `plan` directly. What the daily job adds around the plan
(send window, approvals, History, reruns) is in test_jobs.py.
"""

import datetime as dt

import pytest

from books import CLASSIC, STANDARD, book, ladder, load, planned, step
from conftest import CLASSIC as CLASSIC_TAB
from conftest import customer, invoice, payment, tabs
from relance.app.resources import shipped_presets

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
    ("2025-03-25", {"notice"}),                        # J+6: still the notice (a missed day catches up)
    ("2025-03-24", {"reminder_1"}),                    # J+7
    ("2025-03-16", {"reminder_2"}),                    # J+15: e-mail (the SMS needs a mobile number)
    ("2025-03-10", {"call"}),                          # J+21: a call task
    ("2025-03-01", {"formal_notice"}),                 # J+30: e-mail (the letter needs an address)
    ("2025-02-14", set()),                             # J+45: the hand-off waits for a person's approval
])
def test_stage_on_the_default_ladder(due, expected):
    got = planned(book([customer("C1")], [invoice("F1", "C1", "2025-01-01", due, 1000)]), AS_OF)
    assert {name for _, name, _ in got.actions if name != "handoff"} == expected
    if due == "2025-02-14":
        assert [(a.step, a.requires_approval) for a in got.plan.actions] == [("handoff", True)]


def test_a_day_with_two_channels_plans_both_and_says_what_is_missing():
    b = book([customer("C1", telephone="06 12 34 56 78"), customer("C2", telephone="01 45 67 89 10")],
             [invoice("F1", "C1", "2025-01-01", "2025-03-16", 1000),
              invoice("F2", "C2", "2025-01-01", "2025-03-16", 1000)])
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
    assert planned(b, AS_OF).actions == {("C1", "formal_notice", ("F1",))}


def test_fifo_payment_settles_the_oldest_invoice_first():
    b = book([customer("C1")],
             [invoice("F1", "C1", "2025-01-01", "2025-02-10", 600),
              invoice("F2", "C1", "2025-01-15", "2025-03-10", 400)],
             [payment("2025-03-20", 600, None, "C1")], scenarios=[CLASSIC])
    got = planned(b, AS_OF)
    assert got.positions["F1"].status == "settled"
    assert got.actions == {("C1", "reminder_2", ("F2",))}


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
    assert {s[2] for s in got.skips} == {reason}


def test_an_open_dispute_row_pauses_and_a_resolved_one_does_not():
    litiges = [["numero_facture", "ouvert_le", "motif", "statut", "resolu_le"],
               ["F1", "2025-03-01", "quantité", "ouvert", None],
               ["F2", "2025-02-01", "prix", "resolu", "2025-03-01"]]
    b = book([customer("C1")],
             [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000),
              invoice("F2", "C1", "2025-01-01", "2025-03-24", 500)], Litiges=litiges)
    got = planned(b, AS_OF)
    assert got.actions == {("C1", "reminder_1", ("F2",))}
    assert got.skips == {("C1", ("F1",), "disputed")}


def test_a_promise_pauses_until_its_date_plus_grace():
    promesses = [["code_client", "numeros_factures", "date_promise", "montant", "source", "statut"],
                 ["C1", "F1", "2025-03-29", 1000, "téléphone", "ouverte"]]
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000)], Promesses=promesses)
    assert planned(b, dt.date(2025, 4, 1)).actions == set()  # 29 March + 3 days of grace
    assert planned(b, dt.date(2025, 4, 2)).actions == {("C1", "reminder_1", ("F1",))}


def test_one_message_per_customer_at_the_step_of_the_oldest():
    b = book([customer("C1")],
             [invoice("F1", "C1", "2025-01-01", "2025-03-16", 1000),
              invoice("F2", "C1", "2025-01-01", "2025-03-24", 500),
              invoice("F3", "C1", "2025-01-01", "2025-03-29", 200)])
    assert planned(b, AS_OF).actions == {("C1", "reminder_2", ("F1", "F2", "F3"))}


def test_grouping_per_invoice():
    b = book([customer("C1")],
             [invoice("F1", "C1", "2025-01-01", "2025-03-16", 1000),
              invoice("F2", "C1", "2025-01-01", "2025-03-24", 500)], settings={"grouping": "invoice"})
    assert planned(b, AS_OF).actions == {("C1", "reminder_2", ("F1",)), ("C1", "reminder_1", ("F2",))}


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
    notices = [a for a in planned(b, AS_OF).plan.actions if a.step.startswith("formal_notice")]
    assert notices and all(a.invoice_ids == ("F1",) and {c: str(v) for c, v in a.totals} == {"EUR": "1000.00"}
                           for a in notices)
