"""Risk grades, scenario suggestions and predicted payment dates (engine/scoring.py), on books
written like a sheet and built in memory."""

import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from books import book, positions
from conftest import customer, invoice, payment
from relance.engine.scoring import (
    GRADES,
    grade_for,
    predicted_payment_date,
    risk_grades,
    suggested_scenario,
)

AS_OF = dt.date(2025, 6, 30)
PROMISES_HEADER = ["code_client", "numeros_factures", "date_promise", "montant", "source", "statut"]
DISPUTES_HEADER = ["numero_facture", "ouvert_le", "motif", "statut", "resolu_le"]


def rows(cid, table, currency="EUR"):
    """Invoices and payments from `(invoice, due, amount, paid N days after due | None = still open)`."""
    invoices, payments = [], []
    for iid, due, amount, late in table:
        day = dt.date.fromisoformat(due)
        invoices.append(invoice(iid, cid, (day - dt.timedelta(days=30)).isoformat(), due, amount, devise=currency))
        if late is not None:
            payments.append(payment((day + dt.timedelta(days=late)).isoformat(), amount, iid, currency=currency))
    return invoices, payments


def graded(customers, invoices, payments=(), as_of=AS_OF, **tabs):
    b = book(customers, invoices, payments, **tabs)
    found = positions(b, as_of)
    return risk_grades(b, found, as_of), (b, found)


def codes(risk):
    return {r.code: r.points for r in risk.reasons}


EVERY_MONTH = ["2025-01-10", "2025-02-10", "2025-03-10", "2025-04-10"]


@pytest.mark.parametrize("who, table, grade, score, reasons", [
    # | who                        | invoices: (id, due, amount, paid N days late)     | grade | score | points per reason
    ("pays on its due date",       [(f"F{i}", d, 1000, 0) for i, d in enumerate(EVERY_MONTH)],
                                   "A", 100, {"days_late": 0, "past_due": 0}),
    ("pays 8 days late",           [(f"F{i}", d, 1000, 8) for i, d in enumerate(EVERY_MONTH)],
                                   "B", 75, {"days_late": 10, "late_share": 15, "past_due": 0}),
    ("pays 20 days late",          [(f"F{i}", d, 1000, 20) for i, d in enumerate(EVERY_MONTH)],
                                   "C", 65, {"days_late": 20, "late_share": 15, "past_due": 0}),
    ("never paid, 100 days late",  [("F1", "2025-03-22", 700, None)],
                                   "D", 50, {"days_late": 0, "past_due": 50}),
    ("45 days late, 80 open",      [("F1", "2025-01-10", 1000, 45), ("F2", "2025-02-10", 1000, 45),
                                    ("F3", "2025-03-10", 1000, 45), ("F4", "2025-04-11", 1000, None)],
                                   "E", 20, {"days_late": 30, "late_share": 15, "past_due": 35}),
    ("early payments don't hide late ones",
                                   [("F1", "2025-01-10", 1000, -20), ("F2", "2025-02-10", 1000, 40),
                                    ("F3", "2025-03-10", 1000, -20)],
                                   "A", 85, {"days_late": 10, "late_share": 5, "past_due": 0}),
])
def test_grades_read_like_a_sheet(who, table, grade, score, reasons):
    invoices, payments = rows("C1", table)
    risk = graded([customer("C1")], invoices, payments)[0][("C1", "EUR")]
    assert (risk.grade, risk.score, codes(risk)) == (grade, score, reasons), who
    assert risk.automatic


def test_reasons_say_why_in_both_languages():
    invoices, payments = rows("C1", [("F1", "2025-03-22", 1234.5, None)])
    risk = graded([customer("C1")], invoices, payments)[0][("C1", "EUR")]
    assert risk.to_json() == {
        "grade": "D", "score": 50, "automatic": True,
        "reasons": [
            {"code": "days_late", "points": 0, "fr": "aucun règlement reçu à ce jour", "en": "no payment received yet"},
            {"code": "past_due", "points": 50,
             "fr": "1\u202f234,50 EUR échus impayés, en retard de 100 jours en moyenne",
             "en": "1,234.50 EUR past due and unpaid, 100 days late on average"}]}


def test_a_worsening_trend_costs_and_an_improving_one_gives_back():
    # the last 6 months start after 2024-12-30
    worse, pays_w = rows("C1", [("F1", "2024-09-10", 1000, 0), ("F2", "2024-10-10", 1000, 0),
                                ("F3", "2025-02-10", 1000, 25), ("F4", "2025-03-10", 1000, 25)])
    better, pays_b = rows("C2", [("G1", "2024-09-10", 1000, 25), ("G2", "2024-10-10", 1000, 25),
                                 ("G3", "2025-02-10", 1000, 0), ("G4", "2025-03-10", 1000, 0)])
    risks, _ = graded([customer("C1"), customer("C2")], worse + better, pays_w + pays_b)
    # both pay 12.5 days late on average, half of their invoices late
    assert codes(risks[("C1", "EUR")]) == {"days_late": 10, "trend": 15, "late_share": 10, "past_due": 0}
    assert codes(risks[("C2", "EUR")]) == {"days_late": 10, "trend": -5, "late_share": 10, "past_due": 0}
    assert (risks[("C1", "EUR")].score, risks[("C2", "EUR")].score) == (65, 85)
    assert "sur les 6 derniers mois contre 0 avant" in risks[("C1", "EUR")].reasons[1].fr


def test_an_open_balance_far_above_the_usual_one():
    # one 1000 invoice open at every month end for a year, paid on its due date; now five at once
    monthly = [(f"M{m}", (dt.date(2024, 7, 14) + dt.timedelta(days=31 * m)).replace(day=14).isoformat(), 1000, 0)
               for m in range(11)]
    now = [(f"N{i}", "2025-07-15", 1000, None) for i in range(5)]
    invoices, payments = rows("C1", monthly + now)
    risk = graded([customer("C1")], invoices, payments)[0][("C1", "EUR")]
    assert codes(risk) == {"days_late": 0, "past_due": 0, "exposure": 10}
    assert "5 fois l'encours habituel (1\u202f000,00 EUR)" in risk.reasons[-1].fr


def test_open_disputes_and_broken_promises():
    invoices, payments = rows("C1", [("F1", "2025-05-10", 500, None), ("F2", "2025-05-31", 500, None)])
    litiges = [DISPUTES_HEADER, ["F1", "2025-04-01", "quantité", "ouvert", None]]
    promesses = [PROMISES_HEADER,
                 ["C1", "F2", "2025-06-10", 500, "tel", "ouverte"],   # not paid by 13 June: broken
                 ["C1", None, "2025-06-01", None, "tel", "rompue"],   # written broken by a person
                 ["C1", "F2", "2024-05-01", 500, "tel", "rompue"]]    # older than 12 months: forgotten
    risk = graded([customer("C1")], invoices, payments, Litiges=litiges, Promesses=promesses)[0][("C1", "EUR")]
    # the disputed F1 is a dispute, not a late payment: only F2 (30 days) is past due
    assert codes(risk) == {"days_late": 0, "past_due": 10, "disputes": 5, "broken_promises": 20}
    assert (risk.grade, risk.score) == ("C", 65)
    assert [r.en for r in risk.reasons[2:]] == ["1 invoice in dispute",
                                                "2 broken promises to pay in the last 12 months"]


def test_each_currency_is_graded_on_its_own():
    eur, pay_eur = rows("C1", [(f"F{i}", d, 1000, 0) for i, d in enumerate(EVERY_MONTH)])
    usd, pay_usd = rows("C1", [("U1", "2025-03-22", 700, None)], "USD")
    risks, _ = graded([customer("C1")], eur + usd, pay_eur + pay_usd)
    assert (risks[("C1", "EUR")].grade, risks[("C1", "USD")].grade) == ("A", "D")
    assert "USD" in risks[("C1", "USD")].reasons[-1].en and "EUR" not in risks[("C1", "USD")].reasons[-1].en


def test_a_consumer_is_graded_but_never_switched_automatically():
    invoices, payments = rows("P1", [("F1", "2025-01-10", 700, None)])
    risk = graded([customer("P1", type_client="B2C")], invoices, payments)[0][("P1", "EUR")]
    assert risk.grade == "D" and risk.automatic is False
    assert suggested_scenario(risk.grade, "B2C") is None


@pytest.mark.parametrize("grade, customer_type, scenario", [
    ("A", "B2B", None), ("B", "B2B", None), ("C", "B2B", None), ("D", "B2B", "risque"), ("E", "B2B", "risque"),
    ("A", "B2C", None), ("C", "B2C", None), ("D", "B2C", None), ("E", "B2C", None), ("E", "", None),
])
def test_suggested_scenario(grade, customer_type, scenario):
    assert suggested_scenario(grade, customer_type) == scenario


@pytest.mark.parametrize("score, grade", [
    (100, "A"), (85, "A"), (84, "B"), (70, "B"), (69, "C"), (55, "C"), (54, "D"), (40, "D"), (39, "E"), (0, "E")])
def test_grade_thresholds(score, grade):
    assert grade_for(score) == grade


def test_predicted_payment_dates():
    """| customer | history                    | open invoice due | predicted                    |
    | C1       | 3 invoices paid 10 late    | 2025-07-10       | 2025-07-20 (own figure)      |
    | C2       | 1 invoice paid 40 late     | 2025-07-10       | book's EUR figure (17.5)     |
    | C1       | —                          | 2025-05-01       | 2025-06-30: never before as_of |
    | C3 (USD) | 3 invoices paid 2 days early | 2025-07-10     | 2025-07-10: floored at 0     |
    """
    c1, p1 = rows("C1", [("A1", "2025-01-10", 1000, 10), ("A2", "2025-02-10", 1000, 10),
                         ("A3", "2025-03-10", 1000, 10), ("A4", "2025-07-10", 500, None),
                         ("A5", "2025-05-01", 500, None)])
    c2, p2 = rows("C2", [("B1", "2025-01-10", 1000, 40), ("B2", "2025-07-10", 500, None)])
    c3, p3 = rows("C3", [("U1", "2025-01-10", 1000, -2), ("U2", "2025-02-10", 1000, -2),
                         ("U3", "2025-03-10", 1000, -2), ("U4", "2025-07-10", 800, None)], "USD")
    _, (b, found) = graded([customer("C1"), customer("C2"), customer("C3")], c1 + c2 + c3, p1 + p2 + p3)
    assert predicted_payment_date(b, found, AS_OF) == {
        "A4": dt.date(2025, 7, 20), "A5": AS_OF,
        "B2": dt.date(2025, 7, 28),  # (3 × 1000 × 10 + 1000 × 40) / 4000 = 17.5, rounded half up to 18
        "U4": dt.date(2025, 7, 10),  # the USD early payers never borrow the euros' lateness
    }


# ── properties ────────────────────────────────────────────────────────────────────────────────

START = dt.date(2024, 6, 1)
amounts = st.sampled_from(["100.00", "250.50", "1000.00", "37.10"])


@st.composite
def books(draw):
    n = draw(st.integers(1, 4))
    customers = [customer(f"C{i}", type_client=draw(st.sampled_from(["B2B", "B2C"]))) for i in range(n)]
    invoices, payments, promises, disputes = [], [], [PROMISES_HEADER], [DISPUTES_HEADER]
    for i in range(draw(st.integers(1, 12))):
        cid = f"C{draw(st.integers(0, n - 1))}"
        issued = START + dt.timedelta(days=draw(st.integers(0, 380)))
        cur = draw(st.sampled_from(["EUR", "EUR", "USD"]))
        amount = draw(amounts)
        invoices.append(invoice(f"F{i}", cid, issued.isoformat(), None, amount, devise=cur))
        for _ in range(draw(st.integers(0, 2))):
            paid_on = issued + dt.timedelta(days=draw(st.integers(0, 120)))
            by_customer = draw(st.booleans())
            payments.append(payment(paid_on.isoformat(), draw(st.sampled_from([amount, "50.00"])),
                                    None if by_customer else f"F{i}", cid if by_customer else None, cur))
        if draw(st.integers(0, 5)) == 0:
            promised = issued + dt.timedelta(days=draw(st.integers(20, 90)))
            promises.append([cid, draw(st.sampled_from([f"F{i}", None])), promised.isoformat(), None, "tel",
                             draw(st.sampled_from(["ouverte", "tenue", "rompue"]))])
        if draw(st.integers(0, 6)) == 0:
            disputes.append([f"F{i}", issued.isoformat(), "prix", "ouvert", None])
    return customers, invoices, payments, promises, disputes


def computed(customers, invoices, payments, promises, disputes):
    b = book(customers, invoices, payments, Promesses=promises, Litiges=disputes)
    found = positions(b, AS_OF)
    risks = risk_grades(b, found, AS_OF)
    return {k: v.to_json() for k, v in risks.items()}, predicted_payment_date(b, found, AS_OF), (b, found)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(books(), st.randoms(use_true_random=False))
def test_grades_do_not_depend_on_row_order(data, rnd: random.Random):
    customers, invoices, payments, promises, disputes = data
    shuffled = [rnd.sample(customers, len(customers)), rnd.sample(invoices, len(invoices)),
                rnd.sample(payments, len(payments)), [promises[0], *rnd.sample(promises[1:], len(promises) - 1)],
                [disputes[0], *rnd.sample(disputes[1:], len(disputes) - 1)]]
    first, second = computed(*data), computed(*shuffled)
    assert first[0] == second[0]
    assert first[1] == second[1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(books())
def test_every_grade_gives_its_reasons_and_adds_up(data):
    risks, predicted, (b, found) = computed(*data)
    for (cid, _), risk in risks.items():
        assert risk["reasons"] and all(r["fr"] and r["en"] for r in risk["reasons"])
        assert {"days_late", "past_due"} <= {r["code"] for r in risk["reasons"]}
        assert risk["score"] == max(0, min(100, 100 - sum(r["points"] for r in risk["reasons"])))
        assert risk["grade"] == grade_for(risk["score"]) and risk["grade"] in {g for g, _ in GRADES}
        assert risk["automatic"] is (not b.customers[cid].is_b2c)
    for iid, day in predicted.items():
        assert found[iid].is_open and day >= AS_OF
        assert day >= b.invoices[iid].due_date
