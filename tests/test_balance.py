"""Payments applied to invoices (engine/balance.py), FIFO and disputes: a payment without an invoice
number goes to the customer's oldest open invoices, but never to one under dispute on the day it
was paid (docs/decisions.md, "Balances"): the status column, a Litiges row or a call outcome."""

import datetime as dt
from decimal import Decimal

import pytest

from books import book, planned
from conftest import customer, invoice, payment

PAID_ON = "2025-03-20"
LITIGES = ["numero_facture", "ouvert_le", "motif", "statut", "resolu_le"]
TACHES = ["id_tache", "cree_le", "type", "responsable", "code_client", "raison_sociale", "telephone",
          "numeros_factures", "montant_du", "devise", "script", "resultat", "date_resultat", "notes"]


def call_outcome(outcome: str, day: str | None) -> list[object]:
    return ["T1", "2025-02-20", "call", "Julie", "C1", "Client C1", "", "F1", 600, "EUR", "", outcome, day, ""]


# F1 (600, due 10 Feb) and F2 (400, due 10 Mar); 600 paid on 20 March without an invoice number.
# | what disputes F1                                    | F1 gets | F2 gets | credit left |
CASES = [
    ("nothing", {}, {}, 600, 0, 0),
    ("status column litige", {"statut": "litige"}, {}, 0, 400, 200),
    ("Litiges row open since 1 March", {}, {"Litiges": [LITIGES, ["F1", "2025-03-01", "qualité", "ouvert", None]]},
     0, 400, 200),
    ("Litiges row open, no opening date", {}, {"Litiges": [LITIGES, ["F1", None, "qualité", None, None]]},
     0, 400, 200),
    ("Litiges row opened after the payment", {},
     {"Litiges": [LITIGES, ["F1", "2025-03-25", "qualité", "ouvert", None]]}, 600, 0, 0),
    ("resolved before the payment", {},
     {"Litiges": [LITIGES, ["F1", "2025-03-01", "qualité", "resolu", "2025-03-15"]]}, 600, 0, 0),
    ("resolved on the payment's day", {},
     {"Litiges": [LITIGES, ["F1", "2025-03-01", "qualité", "resolu", PAID_ON]]}, 600, 0, 0),
    ("resolved after the payment", {},
     {"Litiges": [LITIGES, ["F1", "2025-03-01", "qualité", "resolu", "2025-03-25"]]}, 0, 400, 200),
    ("resolved, date unknown", {}, {"Litiges": [LITIGES, ["F1", "2025-03-01", "qualité", "resolu", None]]},
     600, 0, 0),
    ("opened and resolved after the payment", {},
     {"Litiges": [LITIGES, ["F1", "2025-03-22", "qualité", "resolu", "2025-03-25"]]}, 600, 0, 0),
    ("call outcome litige on 1 March", {}, {"Taches": [TACHES, call_outcome("litige", "2025-03-01")]},
     0, 400, 200),
    ("call outcome litige after the payment", {}, {"Taches": [TACHES, call_outcome("litige", "2025-03-24")]},
     600, 0, 0),
    ("a dispute on F2 only", {}, {"Litiges": [LITIGES, ["F2", "2025-03-01", "qualité", "ouvert", None]]},
     600, 0, 0),
]


@pytest.mark.parametrize("case, f1_kw, extra, f1, f2, credit", CASES, ids=[c[0] for c in CASES])
def test_fifo_skips_an_invoice_disputed_on_the_payments_date(case, f1_kw, extra, f1, f2, credit):
    b = book([customer("C1")],
             [invoice("F1", "C1", "2025-01-01", "2025-02-10", 600, **f1_kw),
              invoice("F2", "C1", "2025-01-15", "2025-03-10", 400)],
             [payment(PAID_ON, 600, None, "C1")], **extra)
    day = dt.date(2025, 3, 31)
    assert b.ledgers["F1"].applied_by(day) == Decimal(f1), case
    assert b.ledgers["F2"].applied_by(day) == Decimal(f2), case
    assert sum((c.amount for c in b.credits), Decimal(0)) == Decimal(credit), case


def test_each_payment_is_judged_on_its_own_date():
    """Paid twice: before the dispute opened (F1 takes it), then while it is open (F2 takes it)."""
    b = book([customer("C1")],
             [invoice("F1", "C1", "2025-01-01", "2025-02-10", 600),
              invoice("F2", "C1", "2025-01-15", "2025-03-10", 400)],
             [payment("2025-02-20", 300, None, "C1"), payment(PAID_ON, 500, None, "C1")],
             Litiges=[LITIGES, ["F1", "2025-03-01", "livraison incomplète", "ouvert", None]])
    day = dt.date(2025, 3, 31)
    assert b.ledgers["F1"].applied_by(day) == Decimal(300)
    assert b.ledgers["F2"].applied_by(day) == Decimal(400)
    assert [(c.date, c.amount, c.kind) for c in b.credits] == [(dt.date(2025, 3, 20), Decimal(100), "payment_excess")]


def test_a_disputed_invoice_stays_owed_and_paused_while_the_other_is_settled():
    """What the user sees: the contested invoice is not silently settled by the customer's transfer."""
    b = book([customer("C1")],
             [invoice("F1", "C1", "2025-01-01", "2025-02-10", 400),
              invoice("F2", "C1", "2025-01-15", "2025-03-10", 400)],
             [payment(PAID_ON, 400, None, "C1")],
             Litiges=[LITIGES, ["F1", "2025-03-01", "qualité", "ouvert", None]])
    got = planned(b, dt.date(2025, 3, 31))
    assert got.positions["F2"].status == "settled"
    assert got.positions["F1"].balance == Decimal(400) and got.positions["F1"].paused == "disputed"
