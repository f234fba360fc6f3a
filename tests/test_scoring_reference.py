"""The vectorized risk grading (engine/scoring.py) gives exactly the grades of the implementation it
replaced (tests/scoring_reference.py, kept word for word): every grade, score, reason, its points
and its words, on generated books (credit notes, `paid_amount`, customer-level payments, disputes,
promises, statuses, three currencies, several dates) and on the demo book; and the daily run's
moves (held_risks, risk_moves) are the same."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scoring_reference as ref
from books import STANDARD, book, ladder, positions, step
from conftest import INVOICES_HEADER, customer, payment
from relance.app.jobs import read_book, with_risk_ladder
from relance.demo import DEFAULT_AS_OF, build_demo_workbook
from relance.engine import scoring
from relance.engine.book import Book
from relance.engine.planner import open_by_customer
from relance.engine.position import compute_positions
from relance.workbook.xlsx import XlsxBackend

# One xdist worker runs this module's tests, so that its module fixtures (the reference books and their grades) are
# made once, not once per worker.
pytestmark = pytest.mark.xdist_group("test_scoring_reference")

START = dt.date(2024, 6, 1)
AS_OF = dt.date(2025, 6, 30)
HEADER = [*INVOICES_HEADER, "montant_regle"]
PROMISES_HEADER = ["code_client", "numeros_factures", "date_promise", "montant", "source", "statut"]
DISPUTES_HEADER = ["numero_facture", "ouvert_le", "motif", "statut", "resolu_le"]
AMOUNTS = {"EUR": ["100.00", "250.50", "1000.00", "37.10", "0.01", "0", "99999.99", "1234.56"],
           "USD": ["100.00", "480.25", "12.00"], "JPY": ["1000", "123457", "7"]}
RISQUE = ladder("risque", step("relance", 3), step("mise_en_demeure", 20, "letter", "formal_notice"))


@st.composite
def ledgers(draw: st.DrawFn) -> dict[str, list[list[object]]]:
    n = draw(st.integers(1, 5))
    customers = [customer(f"C{i}", type_client=draw(st.sampled_from(["B2B", "B2B", "B2C", ""])))
                 for i in range(n)]
    invoices: list[list[object]] = [HEADER]
    payments: list[list[object]] = []
    promises: list[list[object]] = [PROMISES_HEADER]
    disputes: list[list[object]] = [DISPUTES_HEADER]
    for i in range(draw(st.integers(1, 25))):
        cid = f"C{draw(st.integers(0, n - 1))}"
        issued = START + dt.timedelta(days=draw(st.integers(0, 420)))
        due = draw(st.one_of(st.none(), st.integers(-5, 90).map(lambda d, x=issued: (x + dt.timedelta(days=d)).isoformat())))
        cur = draw(st.sampled_from(["EUR", "EUR", "EUR", "USD", "JPY"]))
        amount = draw(st.sampled_from(AMOUNTS[cur]))
        credit = i > 0 and draw(st.integers(0, 6)) == 0
        status = draw(st.sampled_from([None, None, None, None, "litige", "annulee", "bloquee"]))
        paid_amount = draw(st.sampled_from([None, None, None, None, amount, "10"]))
        invoices.append([f"A{i}" if credit else f"F{i}", cid, issued.isoformat(), due, amount, cur,
                         "avoir" if credit else "facture", f"F{draw(st.integers(0, i - 1))}" if credit else None,
                         status, paid_amount])
        for _ in range(draw(st.integers(0, 3))):
            paid_on = issued + dt.timedelta(days=draw(st.integers(-10, 400)))
            by_customer = draw(st.integers(0, 3)) == 0
            payments.append(payment(paid_on.isoformat(), draw(st.sampled_from([amount, *AMOUNTS[cur][:3]])),
                                    None if by_customer else f"F{i}", cid if by_customer else None, cur))
        if draw(st.integers(0, 4)) == 0:
            promised = issued + dt.timedelta(days=draw(st.integers(0, 200)))
            promises.append([cid, draw(st.sampled_from([f"F{i}", None, "F999"])), promised.isoformat(), None, "tel",
                             draw(st.sampled_from(["ouverte", "tenue", "rompue"]))])
        if draw(st.integers(0, 5)) == 0:
            opened = issued + dt.timedelta(days=draw(st.integers(0, 120)))
            resolved = draw(st.sampled_from([None, (opened + dt.timedelta(days=30)).isoformat()]))
            disputes.append([f"F{i}", opened.isoformat(), "prix", "resolu" if resolved else "ouvert", resolved])
    return {"customers": customers, "Factures": invoices, "Reglements": [["date", "montant", "numero_facture",
            "code_client", "devise", "reference"], *payments], "Promesses": promises, "Litiges": disputes}


def built(data: dict[str, list[list[object]]]) -> Book:
    tabs = {k: v for k, v in data.items() if k not in ("customers", "Factures", "Reglements")}
    b = book(data["customers"], [], (), scenarios=(STANDARD, RISQUE), **tabs,
             Factures=data["Factures"], Reglements=data["Reglements"])
    return with_risk_ladder(b)


def same_grades(b: Book, day: dt.date, only: set[str] | None = None) -> None:
    where = positions(b, day)
    new = scoring.risk_grades(b, where, day, only)
    old = ref.risk_grades(b, where, day, only)
    assert list(new) == list(old)  # the same keys, in the same (sorted) order
    assert new == old  # every grade, score, reason (code, points, words and figures), automatic
    assert {k: r.to_json() for k, r in new.items()} == {k: r.to_json() for k, r in old.items()}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers(), st.integers(-30, 400), st.booleans())
def test_grades_are_the_reference_grades(data, back, some):
    b = built(data)
    day = AS_OF - dt.timedelta(days=back)
    same_grades(b, day, {"C0", "C2"} if some else None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers(), st.integers(0, 300))
def test_held_grades_and_moves_are_the_reference_ones(data, back):
    b = built(data)
    day = AS_OF - dt.timedelta(days=back)
    where = positions(b, day)
    assert scoring.held_risks(b, where, day) == ref.held_risks(b, where, day)
    assert scoring.risk_moves(b, where, day) == ref.risk_moves(b, where, day)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers(), st.integers(-30, 400))
def test_the_ledgers_give_the_positions_a_grade_reads(data, back):
    """risk_moves grades `as_of` from the ledgers (LedgerColumns.positions_at), not from the
    positions given: on every row a grade counts they are compute_positions' own; and the run's
    open positions by customer (planner.open_by_customer) give the same moves."""
    b = built(data)
    day = AS_OF - dt.timedelta(days=back)
    where = positions(b, day)
    columns = scoring.book_columns(b)
    read, given_ = columns.positions_at(day.toordinal()), columns.given(where)
    used = columns.issue <= day.toordinal()
    assert given_.known[used].all()
    for name in ("status", "balance", "days_past_due", "days_late_at_settlement"):
        assert getattr(read, name)[used].tolist() == getattr(given_, name)[used].tolist(), name
    moves = ref.risk_moves(b, where, day)
    assert scoring.risk_moves(b, where, day) == moves
    assert scoring.risk_moves(b, where, day, open_by_customer(where)) == moves


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers(), st.integers(0, 300))
def test_python_integers_give_the_same_grades(data, back):
    """Beyond int64 the columns hold Python integers: the same figures, exactly."""
    b = built(data)
    day = AS_OF - dt.timedelta(days=back)
    where = positions(b, day)
    safe = scoring._INT64_SAFE
    try:
        scoring._INT64_SAFE = 1  # every book is "too large" for int64 now
        assert scoring.risk_grades(b, where, day) == ref.risk_grades(b, where, day)
    finally:
        scoring._INT64_SAFE = safe


def test_partial_positions_are_read_as_given():
    """A position left out leaves its invoice out of the figures that read positions, as before."""
    invoices = [HEADER, ["F1", "C1", "2025-01-01", "2025-01-31", "100.00", "EUR", "facture", None, None, None],
                ["F2", "C1", "2025-02-01", "2025-03-01", "200.00", "EUR", "facture", None, None, None],
                ["F3", "C1", "2025-03-01", "2025-03-31", "300.00", "EUR", "facture", None, None, None]]
    b = book([customer("C1")], [], (), Factures=invoices, Reglements=[
        ["date", "montant", "numero_facture", "code_client", "devise", "reference"],
        ["2025-02-15", "100.00", "F1", None, "EUR", "VIR"]])
    where = positions(b, AS_OF)
    for left_out in ("F1", "F2", "F3"):
        part = {k: v for k, v in where.items() if k != left_out}
        assert scoring.risk_grades(b, part, AS_OF) == ref.risk_grades(b, part, AS_OF)


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    path = Path(tmp_path_factory.mktemp("demo")) / "demo.xlsx"
    build_demo_workbook(path)
    return with_risk_ladder(read_book(XlsxBackend(path)))


@pytest.mark.parametrize("back", [0, 7, 45, 200])
def test_the_demo_book_grades_are_the_reference_grades(demo_book: Book, back: int):
    day = DEFAULT_AS_OF - dt.timedelta(days=back)
    where = compute_positions(demo_book, day, settled_penalties=False)
    new, old = scoring.risk_grades(demo_book, where, day), ref.risk_grades(demo_book, where, day)
    assert len(new) > 100 and len({r.grade for r in new.values()}) >= 3
    assert list(new) == list(old) and new == old
    assert scoring.held_risks(demo_book, where, day) == ref.held_risks(demo_book, where, day)
    assert scoring.risk_moves(demo_book, where, day) == ref.risk_moves(demo_book, where, day)
    assert scoring.risk_moves(demo_book, where, day, open_by_customer(where)) == ref.risk_moves(demo_book, where, day)


@st.composite
def monthly_payers(draw: st.DrawFn) -> dict[str, list[list[object]]]:
    """One or two customers invoiced every month, each invoice paid some days late (or not yet):
    trends both ways, late shares, exposures."""
    invoices: list[list[object]] = [HEADER]
    payments: list[list[object]] = []
    for c in range(draw(st.integers(1, 2))):
        for m in range(draw(st.integers(3, 16))):
            issued = dt.date(2024 + (m + 5) // 12, (m + 5) % 12 + 1, 5)
            due = issued + dt.timedelta(days=30)
            amount = draw(st.sampled_from(["1000.00", "2500.00", "400.50", "12000.00"]))
            invoices.append([f"F{c}-{m}", f"C{c}", issued.isoformat(), due.isoformat(), amount, "EUR", "facture",
                             None, None, None])
            late = draw(st.one_of(st.none(), st.integers(-10, 90)))
            if late is not None:
                payments.append(payment((due + dt.timedelta(days=late)).isoformat(),
                                        draw(st.sampled_from([amount, "200.00"])), f"F{c}-{m}"))
    return {"customers": [customer("C0"), customer("C1")], "Factures": invoices,
            "Reglements": [["date", "montant", "numero_facture", "code_client", "devise", "reference"], *payments]}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(monthly_payers(), st.integers(0, 120))
def test_trends_late_shares_and_exposures_are_the_reference_ones(data, back):
    b = built(data)
    day = AS_OF - dt.timedelta(days=back)
    same_grades(b, day)
    where = positions(b, day)
    assert scoring.held_risks(b, where, day) == ref.held_risks(b, where, day)
