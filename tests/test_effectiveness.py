"""Reminder effectiveness (engine/effectiveness.py) on books where relance really sent the reminders
(outbox), then got paid, and on History rows written in memory."""

import datetime as dt
from pathlib import Path

import pytest

from books import book, load
from conftest import CLASSIC, NOW, PAYMENTS_HEADER, customer, invoice, on, payment, workbook
from relance.app.jobs import baseline, run
from relance.channels.outbox import OutboxChannel
from relance.engine.effectiveness import effectiveness, effectiveness_json

D1 = dt.date(2025, 3, 31)
D2 = dt.date(2025, 4, 16)
HISTORY_HEADER = ["run_id", "horodatage", "cle_action", "code_client", "numeros_factures", "scenario", "etape",
                  "canal", "destinataire", "statut", "id_message", "montant_du", "devise", "detail"]
NO_CHANNEL = {"email": 0, "sms": 0, "letter": 0, "call": 0, "agency": 0}


def steps(data):
    return {s["step"]: (s["channel"], s["messages"], s["paid_within"]) for s in data["by_step"]}


def pct(p7, p14, p30):
    return {"7": p7, "14": p14, "30": p30}


@pytest.fixture
def reminded(tmp_path: Path):
    """Three customers reminded on 31 March and 16 April by the real run, paid at different speeds:
    the book read back once the runs wrote their History. C1 and C3 had been reminded by hand
    before relance (`relance baseline` on 26 March: C1 up to reminder_1, C3 up to reminder_2).

    | customer | invoice | due        | 31 March      | 16 April         | paid on    |
    | C1       | F1      | 2025-03-16 | reminder_2    | (paid)           | 2025-04-05 |
    | C2       | F2      | 2025-03-24 | reminder_1    | reminder_2       | 2025-04-20 |
    | C3       | F3      | 2025-03-01 | formal_notice | handoff (agency) | 2025-05-01 |
    """
    wb = workbook([customer("C1"), customer("C2"), customer("C3")],
                  [invoice("F1", "C1", "2025-02-01", "2025-03-16", 1000),
                   invoice("F2", "C2", "2025-02-01", "2025-03-24", 500),
                   invoice("F3", "C3", "2025-02-01", "2025-03-01", 800)], Scenarios=CLASSIC)
    box = tmp_path / "out"
    before = D1 - dt.timedelta(days=5)
    assert len(baseline(wb, NOW, "reminder_1", before, ["C1"]).entries) == 1
    assert len(baseline(wb, NOW, "reminder_2", before, ["C3"]).entries) == 1
    first = run(wb, lambda b: OutboxChannel(box, "t"), NOW, D1).to_json()
    assert [(a["customer_id"], a["step"], a["status"]) for a in first["actions"]] == [
        ("C1", "reminder_2", "sent"), ("C2", "reminder_1", "sent"), ("C3", "formal_notice", "sent")]
    wb.edit("Reglements", [PAYMENTS_HEADER, payment("2025-04-05", 1000, "F1")])
    waiting = run(wb, lambda b: OutboxChannel(box, "t"), on(D2), anytime=True).to_json()
    assert [(a["customer_id"], a["step"], a["status"]) for a in waiting["actions"]] == [
        ("C2", "reminder_2", "sent"), ("C3", "handoff", "awaiting_approval")]
    wb.tabs["A_valider"][1][0] = "oui"  # a person decides the hand-off
    second = run(wb, lambda b: OutboxChannel(box, "t"), on(D2), anytime=True).to_json()
    assert [(a["customer_id"], a["step"], a["status"]) for a in second["actions"]] == [
        ("C3", "handoff", "created")]
    wb.edit("Reglements", [PAYMENTS_HEADER, payment("2025-04-05", 1000, "F1"),
                           payment("2025-04-20", 500, "F2"), payment("2025-05-01", 800, "F3")])
    return load(wb.tabs)  # the book as the runs left it


def test_paid_within_each_step_once_every_window_has_passed(reminded):
    data = effectiveness_json(effectiveness(reminded, dt.date(2025, 5, 20)))
    assert [s["step"] for s in data["by_step"]] == ["reminder_1", "reminder_2", "formal_notice", "handoff"]
    assert steps(data) == {
        "reminder_1": ("email", 1, pct(0.0, 0.0, 100.0)),        # F2 paid 20 days later
        "reminder_2": ("email", 2, pct(100.0, 100.0, 100.0)),    # F1 5 days, F2 4 days later
        "formal_notice": ("email", 1, pct(0.0, 0.0, 0.0)),       # F3 paid 31 days later
        "handoff": ("agency", 1, pct(0.0, 0.0, 100.0)),          # F3 paid 15 days later
    }
    assert data["by_channel"] == {**NO_CHANNEL, "email": 4, "agency": 1}
    # first reminder 31 March: F1 after 5 days, F2 after 20, F3 after 31
    assert data["days_first_reminder_to_payment"] == {"mean": 18.67, "median": 20.0, "count": 3}
    assert data["promise_kept_rate_percent"] is None


def test_messages_younger_than_the_window_are_left_out(reminded):
    data = effectiveness_json(effectiveness(reminded, dt.date(2025, 4, 20)))
    assert steps(data) == {
        "reminder_1": ("email", 1, pct(0.0, 0.0, None)),         # 31 March + 30 is after as_of
        "reminder_2": ("email", 2, pct(100.0, 100.0, None)),     # only C1's (31 March) is judged
        "formal_notice": ("email", 1, pct(0.0, 0.0, None)),
        "handoff": ("agency", 1, pct(None, None, None)),         # sent 4 days ago
    }
    # F2 is paid on as_of itself; F3 is not paid yet
    assert data["days_first_reminder_to_payment"] == {"mean": 12.5, "median": 12.5, "count": 2}


def test_a_report_dated_before_a_run_does_not_see_its_messages(reminded):
    data = effectiveness_json(effectiveness(reminded, dt.date(2025, 4, 10)))
    assert sorted(steps(data)) == ["formal_notice", "reminder_1", "reminder_2"]
    assert data["by_channel"]["agency"] == 0 and data["by_channel"]["email"] == 3
    assert data["days_first_reminder_to_payment"] == {"mean": 5.0, "median": 5.0, "count": 1}


def test_only_messages_that_left_count_once_each():
    rows = [  # status       cle_action  as of
        ["r", "2025-03-01T08:00:00+01:00", "K1", "C1", "F1", "standard", "reminder_1", "email", "a@b.example",
         "sent", "m1", 100, "EUR", "via outbox; as of 2025-03-01"],
        ["r", "2025-03-01T08:00:00+01:00", "K2", "C1", "F1", "standard", "reminder_2", "email", "a@b.example",
         "pending", "", 100, "EUR", "via mailjet; as of 2025-03-01"],
        ["r", "2025-03-01T08:00:00+01:00", "K3", "C1", "F1", "standard", "formal_notice", "email", "a@b.example",
         "failed", "", 100, "EUR", "via outbox; as of 2025-03-01"],
        ["r", "2025-03-02T08:00:00+01:00", "K4", "C1", "F1", "standard", "reminder_2", "sms", "+33600000000",
         "delivered", "m4", 100, "EUR", ""],  # no "as of": dated by its timestamp
    ]
    archive = [HISTORY_HEADER, rows[0]]  # the same row also moved to an archive tab: still one message
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-20", 100)],
             [payment("2025-03-05", 100, "F1")],
             Historique=[HISTORY_HEADER, *rows], Historique_2025=archive)
    data = effectiveness_json(effectiveness(b, dt.date(2025, 3, 31)))
    assert [(s["step"], s["channel"], s["messages"], s["paid_within"]["7"]) for s in data["by_step"]] == [
        ("reminder_1", "email", 1, 100.0), ("reminder_2", "sms", 1, 100.0)]
    assert data["by_channel"] == {**NO_CHANNEL, "email": 1, "sms": 1}
    assert data["days_first_reminder_to_payment"] == {"mean": 4.0, "median": 4.0, "count": 1}


def test_a_courtesy_message_is_not_the_first_reminder():
    rows = [["r", "2025-02-15T08:00:00+01:00", "K1", "C1", "F1", "standard", "courtesy", "email", "a@b.example",
             "sent", "m1", 100, "EUR", "as of 2025-02-15"],
            ["r", "2025-02-27T08:00:00+01:00", "K2", "C1", "F1", "standard", "reminder_1", "email", "a@b.example",
             "sent", "m2", 100, "EUR", "as of 2025-02-27"]]
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-20", 100)],
             [payment("2025-03-09", 100, "F1")], Historique=[HISTORY_HEADER, *rows])
    data = effectiveness_json(effectiveness(b, dt.date(2025, 3, 31)))
    assert data["days_first_reminder_to_payment"] == {"mean": 10.0, "median": 10.0, "count": 1}
    assert [s["step"] for s in data["by_step"]] == ["courtesy", "reminder_1"]  # the ladder's order


def test_a_message_listing_several_invoices_counts_as_paid_only_when_all_are():
    rows = [["r", "t", "K1", "C1", "F1;F2", "standard", "reminder_1", "email", "a@b.example",
             "sent", "m1", 300, "EUR", "as of 2025-03-01"],
            ["r", "t", "K2", "C2", "F3;GONE", "standard", "reminder_1", "email", "a@b.example",
             "sent", "m2", 300, "EUR", "as of 2025-03-01"]]
    b = book([customer("C1"), customer("C2")],
             [invoice("F1", "C1", "2025-01-01", "2025-02-20", 100),
              invoice("F2", "C1", "2025-01-01", "2025-02-20", 200),
              invoice("F3", "C2", "2025-01-01", "2025-02-20", 200)],
             [payment("2025-03-03", 100, "F1"), payment("2025-03-20", 200, "F2"),
              payment("2025-03-03", 200, "F3")],
             Historique=[HISTORY_HEADER, *rows])
    data = effectiveness_json(effectiveness(b, dt.date(2025, 4, 30)))
    # C1's message: paid in full only after 19 days; C2's: F3 paid in 2 days, GONE is not an invoice
    assert data["by_step"][0]["paid_within"] == pct(50.0, 50.0, 100.0)


PROMISES_HEADER = ["code_client", "numeros_factures", "date_promise", "montant", "source", "statut"]


def test_promise_kept_rate():
    """Grace is 3 days: a promise is judged from promised date + 3 on.

    | promise | customer | invoices | promised   | status  | paid on            | outcome          |
    | P1      | C1       | F1       | 2025-04-01 | ouverte | 2025-04-03         | kept (in grace)  |
    | P2      | C2       | F2       | 2025-04-01 | ouverte | 2025-04-10         | broken           |
    | P3      | C3       | (none)   | 2025-04-01 | ouverte | F3 04-02, F4 never | kept: F4 not due |
    | P4      | C1       | F1       | 2025-04-01 | rompue  | 2025-04-03         | broken (person)  |
    | P5      | C2       | F2       | 2025-04-01 | tenue   | 2025-04-10         | kept (person)    |
    | P6      | C1       | F5       | 2025-05-18 | ouverte | never              | not judged yet   |
    """
    promesses = [PROMISES_HEADER,
                 ["C1", "F1", "2025-04-01", 100, "tel", "ouverte"],
                 ["C2", "F2", "2025-04-01", 100, "tel", "ouverte"],
                 ["C3", None, "2025-04-01", None, "tel", "ouverte"],
                 ["C1", "F1", "2025-04-01", 100, "tel", "rompue"],
                 ["C2", "F2", "2025-04-01", 100, "tel", "tenue"],
                 ["C1", "F5", "2025-05-18", 100, "tel", "ouverte"]]
    b = book([customer("C1"), customer("C2"), customer("C3")],
             [invoice("F1", "C1", "2025-01-01", "2025-03-01", 100),
              invoice("F2", "C2", "2025-01-01", "2025-03-01", 100),
              invoice("F3", "C3", "2025-01-01", "2025-03-01", 100),
              invoice("F4", "C3", "2025-03-20", "2025-04-19", 100),
              invoice("F5", "C1", "2025-03-01", "2025-04-01", 100)],
             [payment("2025-04-03", 100, "F1"), payment("2025-04-10", 100, "F2"),
              payment("2025-04-02", 100, "F3")],
             Promesses=promesses)
    assert effectiveness_json(effectiveness(b, dt.date(2025, 5, 20)))["promise_kept_rate_percent"] == 60.0
    assert effectiveness_json(effectiveness(b, dt.date(2025, 4, 3)))["promise_kept_rate_percent"] is None  # none judged yet


def test_empty_book():
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-20", 100)])
    assert effectiveness_json(effectiveness(b, dt.date(2025, 3, 31))) == {
        "by_step": [], "by_channel": NO_CHANNEL, "promise_kept_rate_percent": None,
        "days_first_reminder_to_payment": {"mean": None, "median": None, "count": 0}}


APRIL = (dt.date(2025, 4, 1), dt.date(2025, 4, 30))


def test_over_a_period_worked_by_hand(reminded):
    """April, seen on 20 May. Sent in April: C2's reminder_2 and C3's hand-off (16 April).
    "Paid within N days" judges the messages whose N days ended in April: the 31 March ones for
    7, 14 and 30 days (7, 14 and 30 April), the 16 April ones for 7 and 14 days only (16 May is
    past April). First reminder to payment: invoices settled in April, F1 (5 days) and F2 (20)."""
    data = effectiveness_json(effectiveness(reminded, dt.date(2025, 5, 20), APRIL))
    assert data["period"] == {"start": "2025-04-01", "end": "2025-04-30"}
    assert steps(data) == {
        "reminder_1": ("email", 0, pct(0.0, 0.0, 100.0)),      # C2, 31 March: paid on 20 April
        "reminder_2": ("email", 1, pct(100.0, 100.0, 100.0)),  # C1 31 March (5 days), C2 16 April (4 days)
        "formal_notice": ("email", 0, pct(0.0, 0.0, 0.0)),     # C3, 31 March: paid on 1 May
        "handoff": ("agency", 1, pct(0.0, 0.0, None)),         # its 30 days end on 16 May
    }
    assert data["by_channel"] == {**NO_CHANNEL, "email": 1, "agency": 1}
    assert data["days_first_reminder_to_payment"] == {"mean": 12.5, "median": 12.5, "count": 2}


def test_a_period_never_runs_past_as_of_and_an_empty_one_says_nothing(reminded):
    e = effectiveness(reminded, dt.date(2025, 4, 10), APRIL)
    assert e.period == (dt.date(2025, 4, 1), dt.date(2025, 4, 10))
    assert e.by_channel["email"] == 0 and e.days_to_payment_count == 1  # F1 settled on 5 April
    march = effectiveness(reminded, dt.date(2025, 5, 20), (dt.date(2025, 2, 1), dt.date(2025, 2, 28)))
    assert not march.has_data


def test_promises_count_in_the_period_their_deadline_falls_in():
    promesses = [PROMISES_HEADER, ["C1", "F1", "2025-03-27", 100, "tel", "ouverte"],   # deadline 30 March
                 ["C1", "F1", "2025-04-01", 100, "tel", "rompue"]]                    # deadline 4 April
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-01", 100)],
             [payment("2025-03-28", 100, "F1")], Promesses=promesses)
    assert effectiveness(b, dt.date(2025, 5, 20), APRIL).promise_kept_rate_percent == 0
    march = (dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    assert effectiveness(b, dt.date(2025, 5, 20), march).promise_kept_rate_percent == 100
