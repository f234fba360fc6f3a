"""Issue 11, item 2: penalties and indemnities claimable today (open invoices) versus accrued on
invoices paid late (recoverable until prescription, not claimed), worked by hand."""

from __future__ import annotations

import datetime as dt

from books import book, positions
from conftest import customer, invoice, payment
from relance import cli
from relance.engine.report import build_report, report_json
from relance.render.dashboard import dashboard_tab
from reports import summary_of
from test_cli import flat

DEC_1 = dt.date(2026, 12, 1)


def small_book():
    # 36.5 % a year: 0.1 % of the balance a day, so every penalty is worked by hand below.
    return book([customer("C1")],
                [invoice("F1", "C1", "2026-09-01", "2026-10-01", 1000),   # open, 61 days late: 61.00
                 invoice("F2", "C1", "2026-08-01", "2026-09-01", 2000),   # paid 10 days late: 20.00
                 invoice("F3", "C1", "2026-10-01", "2026-11-01", 500),    # paid before its due date: 0
                 invoice("F4", "C1", "2026-10-22", "2026-11-21", 300)],   # open, 10 days late: 3.00
                [payment("2026-09-11", 2000, "F2"), payment("2026-10-25", 500, "F3")],
                settings={"penalty_rate_mode": "fixed", "penalty_annual_rate": "36.5", "recovery_indemnity": "50"})


def report():
    b = small_book()
    return b, build_report(b, positions(b, DEC_1), DEC_1)


def test_the_split_worked_by_hand():
    _, built = report()
    data = report_json(built)
    eur = data["currencies"]["EUR"]
    assert eur["late_penalties_open"] == "64.00"        # F1 61.00 + F4 3.00
    assert eur["late_penalties_paid_late"] == "20.00"   # F2
    assert eur["late_penalties_total"] == "84.00"       # today's key, unchanged: the sum
    assert data["indemnity"] == {
        "count": 3, "amount_eur": "150.00",              # today's keys
        "open_count": 2, "open_amount_eur": "100.00",    # F1, F4 × 50 (recovery_indemnity)
        "paid_late_count": 1, "paid_late_amount_eur": "50.00",  # F2
        "unit_eur": "50.00",
    }


def test_the_console_claims_the_open_part_at_the_settings_amount(capsys, monkeypatch):
    monkeypatch.setattr(cli.out, "width", 200, raising=False)
    _, data = report()
    cli._show_report(data, "fr_FR", "fr")
    shown = flat(capsys.readouterr().out)
    assert "exigibles sur les factures ouvertes : 2 × 50,00 € = 100,00 €" in shown
    assert "non réclamées : 1 × 50,00 € = 50,00 €" in shown
    assert "40,00 €" not in shown
    assert "64,00 €" in shown and "20,00 €" in shown


def test_the_dashboard_and_the_summary_show_the_open_part_as_claimable():
    b, data = report()
    rows = {row[0]: row[1:] for row in dashboard_tab("Tableau_de_bord", data, {}, "fr").rows if row}
    assert rows["pénalités de retard exigibles (factures ouvertes)"][0] == 64
    assert rows["pénalités acquises, factures payées en retard (non réclamées)"][0] == 20
    assert rows["indemnités forfaitaires exigibles (EUR)"][0] == 100
    assert rows["indemnités acquises, factures payées en retard (EUR)"][0] == 50
    context = summary_of(b, DEC_1, "fr", data)
    assert context["currencies"][0]["penalties"] == 64
    assert context["currencies"][0]["penalties_paid_late"] == 20
    assert (context["indemnity"]["count"], context["indemnity"]["amount"]) == (2, 100)


def test_the_html_cards_show_the_claimable_part():
    from relance.app.resources import report_templates
    from relance.render.report_html import render_html

    _, data = report()
    page = flat(render_html(data, {"lang": "fr"}, report_templates()))
    assert "Pénalités de retard exigibles" in page and "64,00 €" in page
    assert "20,00 € acquis sur des factures payées en retard, non réclamés" in page
    assert "2 factures ouvertes × 50,00 €" in page
