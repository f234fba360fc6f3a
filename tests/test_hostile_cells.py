"""Hostile cells in every tab (hypothesis): whatever a user types, the daily job reports it and goes
on; loading, planning and a real run never crash."""

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import NOW, customer, invoice, workbook
from relance.app.jobs import run, snapshot
from relance.app.resources import shipped_contract
from relance.channels.outbox import OutboxChannel
from test_anomaly_texts import french_anomaly_problems

# the edges: any date or datetime a cell can hold (Excel's last is 9999-12-31, serial 2958465),
# numbers of any size, Decimals, and the same as text
edge = st.one_of(
    st.dates(), st.datetimes(), st.integers(), st.integers(-3_000_000, 3_000_000),
    st.decimals(allow_nan=True, allow_infinity=True), st.floats(min_value=1e11, max_value=1e30),
    st.sampled_from(["9999-12-31", "31/12/9999", "9995-01-01", "0000-01-01", "0001-01-01", "1899-12-31",
                     "2201-01-01", "9999-12", "1e26", "1E+999999", "-1e13", "1e-30", "999 FDM",
                     "99999999999999999999", 2958465, 1e25, 10**400, -(10**13)]),
)
cell = st.one_of(
    st.none(), st.just(""), st.text(max_size=12), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.sampled_from(["31/02/2025", "2025-02-30", "1 234,56", "-5", "EUR", "XXX", "C1", "F1", "litige", "oui",
                     "45 FDM", "=SUM(A1)", "avoir", "credit_note", "2025-03-01", "ouvert", "resolu", "   "]),
    edge,
)


def rows_for(tab_key: str, n: int):
    width = len(shipped_contract().tab(tab_key).columns)
    return st.lists(st.lists(cell, min_size=width, max_size=width), max_size=n)


def header(tab_key: str) -> list[str]:
    return shipped_contract().tab(tab_key).headers("fr")


# RELANCE_FUZZ=2000 for a longer hunt
@settings(max_examples=int(os.environ.get("RELANCE_FUZZ", 60)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows_for("invoices", 6), rows_for("customers", 3), rows_for("payments", 4), rows_for("scenarios", 3),
    rows_for("disputes", 2), rows_for("promises", 2), rows_for("sales", 2), st.lists(st.tuples(st.sampled_from(
        [s.key for s in shipped_contract().settings] + ["ecb_rate_2026_H2", "inconnu"]), cell), max_size=5),
)
def test_random_cells_never_crash_a_run(tmp_path, invoices, customers, payments, scenarios, disputes, promises,
                                        sales, params):
    wb = workbook(
        [customer("C1"), customer("C2", type_client="B2C")],
        [invoice("F1", "C1", "2025-01-01", "2025-02-01", 100)],
        Scenarios=[header("scenarios"), *scenarios],
        Litiges=[header("disputes"), *disputes],
        Promesses=[header("promises"), *promises],
        CA_mensuel=[header("sales"), *sales],
    )
    wb.tabs["Factures"] = [header("invoices"), *wb.tabs["Factures"][1:], *invoices]
    wb.tabs["Clients"] = [header("customers"), *customers]
    wb.tabs["Reglements"] = [header("payments"), *payments]
    wb.tabs["Parametres"] = [["cle", "valeur"], *[[k, v] for k, v in params]]
    snap = snapshot(wb, NOW, dt.date(2025, 3, 31))
    for anomaly in snap.anomalies:
        assert anomaly.problem.en and anomaly.hint.en and anomaly.source.tab
        assert french_anomaly_problems(anomaly) == []  # a French workbook: French texts, typeset
    result = run(wb, lambda b: OutboxChannel(Path(tmp_path), "t"), NOW, dt.date(2025, 3, 31))
    assert result.to_json()["failed"] == 0
    for position in snap.positions.values():
        assert isinstance(position.balance, Decimal)


# One hostile cell in an otherwise good row of each tab: the row reaches the arithmetic (due
# date + terms, prescription, penalties, sums) that a random row, refused early, never reaches.
GOOD_ROWS = {
    "invoices": ["F2", "C1", "2025-01-10", "2025-02-10", 250, "EUR", "facture", None, None, "30", "ouvert", "", ""],
    "customers": ["C3", "Client C3", "c3@example.com", None, None, "fr", "B2B", None, None, "30", "non", None],
    "payments": ["2025-02-15", 50, "F1", "C1", "EUR", "VIR"],
    "promises": ["C1", "F1", "2025-04-10", 100, "appel", "en_cours"],
    "disputes": ["F1", "2025-02-20", "prix", "ouvert", None],
    "sales": ["2025-02", "EUR", 1000],
}


@settings(max_examples=int(os.environ.get("RELANCE_FUZZ", 50)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([(tab, i) for tab, row in GOOD_ROWS.items() for i in range(len(row))]
                       + [("settings", key) for key in [s.key for s in shipped_contract().settings]]),
       st.one_of(edge, cell))
# the cells that crashed every command before dates and amounts were bounded (engine/cells.py)
@example(("invoices", 3), "9999-12-31")
@example(("invoices", 3), dt.datetime(9999, 12, 31, 23, 59))
@example(("invoices", 2), dt.date(9999, 12, 31))
@example(("invoices", 4), 1e26)
@example(("payments", 1), "1e26")
@example(("customers", 9), 10**400)
@example(("settings", "recovery_indemnity"), 5e25)
def test_one_hostile_cell_in_a_good_row_never_crashes(tmp_path, where, value):
    from relance.engine.position import compute_positions
    from relance.engine.report import build_report

    tab, column = where
    rows = {key: [list(row)] for key, row in GOOD_ROWS.items()}
    params: dict = {}
    if tab == "settings":
        params[column] = value
    else:
        row = rows[tab][0]
        row[column] = value
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-01", 100)], settings=params,
                  Litiges=[header("disputes"), *rows["disputes"]], Promesses=[header("promises"), *rows["promises"]],
                  CA_mensuel=[header("sales"), *rows["sales"]])
    wb.tabs["Factures"] = [header("invoices"), *[r + [None] * (13 - len(r)) for r in wb.tabs["Factures"][1:]],
                           *rows["invoices"]]
    wb.tabs["Clients"] = [header("customers"), [*customer("C1")[:3], None, None, "fr", "B2B", None, None, "30"],
                          *rows["customers"]]
    wb.tabs["Reglements"] = [header("payments"), *rows["payments"]]
    as_of = dt.date(2025, 3, 31)
    snap = snapshot(wb, NOW, as_of)
    for anomaly in snap.anomalies:
        assert anomaly.problem.en and anomaly.hint.en and anomaly.source.tab
        assert french_anomaly_problems(anomaly) == []  # a French workbook: French texts, typeset
    build_report(snap.book, compute_positions(snap.book, as_of), as_of)
    result = run(wb, lambda b: OutboxChannel(Path(tmp_path), "t"), NOW, as_of)
    assert result.to_json()["failed"] == 0
