"""The Dashboard tab (render/dashboard.py) shows the report's figures, with native charts."""

import datetime as dt
from decimal import Decimal as D

from books import book, positions
from conftest import customer, invoice, payment
from relance.engine.report import build_report
from relance.render.dashboard import dashboard_tab

AS_OF = dt.date(2025, 3, 31)


def report():
    b = book(
        [customer("C1", raison_sociale="Dupont & Fils"), customer("C2")],
        [invoice("F1", "C1", "2025-01-01", "2025-01-31", 1000), invoice("F2", "C1", "2025-03-01", "2025-04-30", 500),
         invoice("F3", "C2", "2025-01-15", "2025-03-20", 250, devise="USD")],
        [payment("2025-02-15", 400, "F1")],
    )
    return build_report(b, positions(b, AS_OF), AS_OF)


def test_dashboard_rows_and_charts_follow_the_report():
    tab = dashboard_tab("Tableau_de_bord", report(), {"dso_history": {"EUR": [["2025-02", 30.5], ["2025-03", None]],
                                                                      "USD": [["2025-03", 11]]}})
    assert list(tab.header) == ["indicateur", "EUR", "USD"]
    rows = {r[0]: r[1:] for r in tab.rows if r and r[0]}
    assert rows["non échu"] == [D("500.00"), D("0.00")]
    assert rows["échu 31-60 j"] == [D("600.00"), D("0.00")]
    assert rows["échu 1-30 j"] == [D("0.00"), D("250.00")]
    assert rows["février 2025"] == [D("30.5"), None]  # months in words, never ISO in French
    kinds = [(c.kind, c.categories, [s for _, s in c.series]) for c in tab.charts]
    assert kinds[0] == ("bar", "A3:A7", ["B3:B7"])  # aging: one chart per currency, never a shared axis
    assert kinds[1] == ("bar", "A3:A7", ["C3:C7"])
    assert kinds[2][0] == "line"
    assert [r[0] for r in tab.rows][2:7] == ["échu 1-30 j", "échu 31-60 j", "échu 61-90 j", "échu > 90 j",
                                             "avoirs et trop-perçus"]
