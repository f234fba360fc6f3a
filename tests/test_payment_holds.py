"""A Reglements row relance cannot use holds what it names (engine/payment.hold_unread, R309).

The payment may be real: a mistyped date or amount, a currency other than the invoice's. Reminding
the invoice it names would remind a customer who may have paid, so that invoice (or, for a row that
names no invoice relance knows, the customer's open invoices) is held until the row is corrected,
and the hold is said on the cell that named it. Every other invoice is reminded as usual.
"""

import datetime as dt

import pytest

from books import book, planned
from conftest import customer, invoice, payment
from relance.engine.anomaly import Severity

AS_OF = dt.date(2025, 3, 31)
CUSTOMERS = [customer("C1"), customer("C2")]
INVOICES = [
    invoice("F1", "C1", "2025-01-10", "2025-02-10", 100),
    invoice("F2", "C1", "2025-01-20", "2025-02-20", 200),
    invoice("F3", "C2", "2025-01-10", "2025-02-10", 300),
]

# the Reglements row | its own anomaly | the cell the hold is said on | what is held
SCENARIOS = [
    (payment("31/02/2025", 100, "F1"), "R301", ("C2", "F1"), {"F1"}),
    (payment("2025-02-12", "cent euros", "F1"), "R302", ("C2", "F1"), {"F1"}),
    (payment("2025-02-12", None, "F1"), "R302", ("C2", "F1"), {"F1"}),
    (payment("2025-02-12", -100, "F1"), "R302", ("C2", "F1"), {"F1"}),
    (payment("2025-02-12", 100, "F1", currency="EURO"), "R307", ("C2", "F1"), {"F1"}),
    (payment("2025-02-12", 100, "F1", currency="USD"), "R308", ("C2", "F1"), {"F1"}),
    (payment("31/02/2025", 100, None, "C1"), "R301", ("D2", "C1"), {"F1", "F2"}),
    (payment("2025-02-12", 100, "F9", "C1"), "R303", ("D2", "C1"), {"F1", "F2"}),
]


@pytest.mark.parametrize(("row", "code", "cell", "held"), SCENARIOS, ids=lambda v: v if isinstance(v, str) else None)
def test_an_unreadable_payment_holds_what_it_names_and_the_rest_is_reminded(row, code, cell, held):
    p = planned(book(CUSTOMERS, INVOICES, [row]), AS_OF)
    assert [a.code for a in p.anomalies if a.source.tab == "Reglements"] == [code, "R309"]
    said = next(a for a in p.anomalies if a.code == "R309")
    assert (said.source.cell, said.value, said.severity) == (*cell, Severity.warning)
    assert {iid for iid, inv in p.book.invoices.items() if inv.status == "hold"} == held
    assert {iid for iid, pos in p.positions.items() if pos.paused == "hold"} == held
    reminded = {iid for a in p.plan.actions for iid in a.invoice_ids}
    assert reminded == {"F1", "F2", "F3"} - held
    assert p.book.payments == []


def test_the_hold_is_said_in_french_on_the_cell_with_the_count():
    p = planned(book(CUSTOMERS, INVOICES, [payment("2025-02-12", "", None, "C1")]), AS_OF)
    said = next(a for a in p.anomalies if a.code == "R309")
    text = said.text("fr")
    assert text.startswith("Reglements!D2")
    assert "ce règlement n'a pas pu être lu" in text and "les 2 factures ouvertes de ce client" in text
    assert "\u202f:" in text or "\xa0:" in text  # French typography before the colon
    one = planned(book(CUSTOMERS, INVOICES, [payment("2025-02-12", "", "F3")]), AS_OF)
    assert "la facture est bloquée (aucune relance)" in next(a for a in one.anomalies if a.code == "R309").text("fr")
    single = planned(book(CUSTOMERS, INVOICES, [payment("2025-02-12", "", None, "C2")]), AS_OF)
    assert "1 facture ouverte de ce client est bloquée" in next(a for a in single.anomalies if a.code == "R309").text("fr")


def test_an_invoice_already_disputed_or_cancelled_is_left_as_it_is():
    invoices = [invoice("F1", "C1", "2025-01-10", "2025-02-10", 100, statut="litige"),
                invoice("F2", "C1", "2025-01-20", "2025-02-20", 200, statut="annulée")]
    p = planned(book(CUSTOMERS, invoices, [payment("31/02/2025", 100, "F1"), payment("31/02/2025", 100, "F2")]),
                AS_OF)
    assert {inv.status for inv in p.book.invoices.values()} == {"disputed", "cancelled"}
    assert [a.code for a in p.anomalies if a.code == "R309"] == []


def test_two_rows_naming_one_invoice_are_both_said_and_a_good_payment_still_counts():
    rows = [payment("31/02/2025", 50, "F1"), payment("2025-02-12", "x", "F1"), payment("2025-02-12", 300, "F3")]
    p = planned(book(CUSTOMERS, INVOICES, rows), AS_OF)
    assert [(a.source.cell, a.value) for a in p.anomalies if a.code == "R309"] == [("C2", "F1"), ("C3", "F1")]
    assert p.positions["F3"].status == "settled" and p.positions["F1"].paused == "hold"
    assert {iid for a in p.plan.actions for iid in a.invoice_ids} == {"F2"}


def test_rows_that_name_nobody_hold_nothing():
    rows = [payment("31/02/2025", 100), payment("2025-02-12", 100, "F9"), payment("2025-02-12", "x", None, "C9")]
    p = planned(book(CUSTOMERS, INVOICES, rows), AS_OF)
    assert [a.code for a in p.anomalies if a.code == "R309"] == []
    assert {inv.status for inv in p.book.invoices.values()} == {"open"}
    assert {iid for a in p.plan.actions for iid in a.invoice_ids} == {"F1", "F2", "F3"}


def test_a_held_invoice_keeps_its_address_and_its_figures():
    p = planned(book(CUSTOMERS, INVOICES, [payment("31/02/2025", 100, "F1")]), AS_OF)
    held = p.book.invoices["F1"]
    assert held.source.tab == "Factures" and held.source.row == 2
    assert p.positions["F1"].status == "open" and p.positions["F1"].balance == 100  # still owed in the figures
