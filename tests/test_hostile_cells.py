"""Hostile cells in every tab (hypothesis): whatever a user types, the daily job reports it and goes
on; loading, planning and a real run never crash."""

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import NOW, customer, invoice, workbook
from relance.app.jobs import run, snapshot
from relance.app.resources import shipped_contract
from relance.channels.outbox import OutboxChannel

cell = st.one_of(
    st.none(), st.just(""), st.text(max_size=12), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.sampled_from(["31/02/2025", "2025-02-30", "1 234,56", "-5", "EUR", "XXX", "C1", "F1", "litige", "oui",
                     "45 FDM", "=SUM(A1)", "avoir", "credit_note", "2025-03-01", "ouvert", "resolu", "   "]),
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
    rows_for("disputes", 2), rows_for("promises", 2), st.lists(st.tuples(st.sampled_from(
        [s.key for s in shipped_contract().settings] + ["ecb_rate_2026_H2", "inconnu"]), cell), max_size=5),
)
def test_random_cells_never_crash_a_run(tmp_path, invoices, customers, payments, scenarios, disputes, promises,
                                        params):
    wb = workbook(
        [customer("C1"), customer("C2", type_client="B2C")],
        [invoice("F1", "C1", "2025-01-01", "2025-02-01", 100)],
        Scenarios=[header("scenarios"), *scenarios],
        Litiges=[header("disputes"), *disputes],
        Promesses=[header("promises"), *promises],
    )
    wb.tabs["Factures"] = [header("invoices"), *wb.tabs["Factures"][1:], *invoices]
    wb.tabs["Clients"] = [header("customers"), *customers]
    wb.tabs["Reglements"] = [header("payments"), *payments]
    wb.tabs["Parametres"] = [["cle", "valeur"], *[[k, v] for k, v in params]]
    snap = snapshot(wb, NOW, dt.date(2025, 3, 31))
    for anomaly in snap.anomalies:
        assert anomaly.problem and anomaly.hint and anomaly.source.tab
    result = run(wb, lambda b: OutboxChannel(Path(tmp_path), "t"), NOW, dt.date(2025, 3, 31))
    assert result.to_json()["failed"] == 0
    for position in snap.positions.values():
        assert isinstance(position.balance, Decimal)
