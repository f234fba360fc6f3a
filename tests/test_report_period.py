"""Issue 11, item 1: CEI and recovery rate cover the last complete month by default, and say so.

On 1 December a month-to-date period covers one day: the default is November, `--period` still
chooses, the period is printed beside every such figure, and a period shorter than a month says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from decimal import Decimal

from books import book, positions
from conftest import customer, invoice, payment
from relance.app.jobs import month_period
from relance.engine.kpi import currency_kpis, default_period, period_text
from relance.engine.report import build_report, report_json
from relance.render.dashboard import dashboard_tab
from reports import summary_of
from test_cli import flat, relance

D = Decimal
DEC_1 = dt.date(2026, 12, 1)


def small_book():
    # F1 1,000 due 15 Oct, 400 paid 10 Nov; F2 600 issued 5 Nov, due 5 Dec; F3 300 due 20 Nov, paid 1 Dec
    return book([customer("C1")],
                [invoice("F1", "C1", "2026-09-15", "2026-10-15", 1000),
                 invoice("F2", "C1", "2026-11-05", "2026-12-05", 600),
                 invoice("F3", "C1", "2026-10-21", "2026-11-20", 300)],
                [payment("2026-11-10", 400, "F1"), payment("2026-12-01", 300, "F3")])


def test_the_default_period_is_the_last_complete_month():
    assert default_period(DEC_1) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert default_period(dt.date(2026, 11, 30)) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))  # complete that day
    assert default_period(dt.date(2026, 11, 29)) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert month_period(None, DEC_1) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert month_period("2026-12", DEC_1) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))  # --period chooses


def test_default_figures_worked_by_hand_on_a_small_book():
    b = small_book()
    eur = currency_kpis(b, DEC_1)["EUR"]
    assert eur.period == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    # start (end of 31 Oct): F1 1,000 past due + F3 300 current = 1,300; sales in November: F2 600;
    # end (30 Nov): F1 600 + F2 600 + F3 300 = 1,500, of which current F2 600.
    # CEI = (1,300 + 600 − 1,500) / (1,300 + 600 − 600) × 100 = 400 / 1,300 × 100
    assert eur.cei_percent == D(400) * 100 / D(1300)
    # recovery: base = past due on 31 Oct = F1 1,000; recovered in November 400 -> 40 %
    assert eur.recovery_rate_percent == D(40)
    report = report_json(build_report(b, positions(b, DEC_1), DEC_1))
    assert report["period"] == {"start": "2026-11-01", "end": "2026-11-30"}
    assert report["currencies"]["EUR"]["cei_percent"] == 30.77
    assert report["currencies"]["EUR"]["recovery_rate_percent"] == 40.0
    # the month of as_of, asked for: one day, and it says so
    day = report_json(build_report(b, positions(b, DEC_1), DEC_1, period=month_period("2026-12", DEC_1)))
    assert day["period"] == {"start": "2026-12-01", "end": "2026-12-01"}
    # base on 30 Nov: F1 600 + F3 300 (due 20 Nov) = 900; F3's 300 paid on 1 Dec -> 33.33 %
    assert day["currencies"]["EUR"]["recovery_rate_percent"] == 33.33


def test_the_period_is_said_in_the_readers_language_and_a_short_one_says_so():
    nov = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert period_text(*nov, "fr") == "novembre 2026"
    assert period_text(*nov, "en") == "November 2026"
    short_fr = flat(period_text(DEC_1, DEC_1, "fr"))
    assert short_fr == "du 1er décembre 2026 au 1er décembre 2026, 1 jour seulement : moins d'un mois"
    assert flat(period_text(DEC_1, dt.date(2026, 12, 9), "en")) == (
        "1 December 2026 – 9 December 2026, only 9 days: less than a month")


def test_the_period_stands_beside_the_figures_on_the_dashboard_and_in_the_summary():
    b = small_book()
    report = build_report(b, positions(b, DEC_1), DEC_1)
    tab = dashboard_tab("Tableau_de_bord", report, {}, "fr")
    labels = [row[0] for row in tab.rows if row]
    assert "CEI (novembre 2026)" in labels and "taux de recouvrement (novembre 2026)" in labels
    english = dashboard_tab("Dashboard", report, {}, "en")
    assert "recovery rate (November 2026)" in [row[0] for row in english.rows if row]
    context = summary_of(b, DEC_1, "fr", report)
    assert context["period"] == "novembre 2026"


def test_the_console_and_the_html_page_print_the_period(tmp_path):
    path = tmp_path / "demo.xlsx"
    assert relance("init", str(path), "--demo", "--as-of", "2026-11-23", "--customers", "20",
                   "--invoices", "150").exit_code == 0
    shown = flat(relance("report", str(path), "--as-of", "2026-12-01").output)
    assert "CEI (novembre 2026)" in shown and "taux de recouvrement (novembre 2026)" in shown
    page = tmp_path / "r.html"
    relance("report", str(path), "--as-of", "2026-12-01", "--period", "2026-12", "--html", str(page))
    html = flat(page.read_text(encoding="utf-8")).replace("&#39;", "'")
    assert "1 jour seulement : moins d'un mois" in html, html
    data = json.loads(relance("report", str(path), "--as-of", "2026-12-01", "--json").output)
    assert data["period"] == {"start": "2026-11-01", "end": "2026-11-30"}


#: Keys issue 11 adds to `relance report --json`; every other key and figure stays as it was.
ADDED = {"period", "effectiveness_period"}
ADDED_PER_CURRENCY = {"late_penalties_open", "late_penalties_paid_late"}
ADDED_INDEMNITY = {"open_count", "open_amount_eur", "paid_late_count", "paid_late_amount_eur", "unit_eur"}


def test_an_explicit_period_leaves_every_figure_of_the_json_report_as_it_was(tmp_path):
    """The digest is of `relance report --json` before issue 11 (commit 5750cc2), on this demo book:
    only keys are added."""
    path = tmp_path / "demo.xlsx"
    assert relance("init", str(path), "--demo", "--as-of", "2026-11-23", "--customers", "30",
                   "--invoices", "300").exit_code == 0
    data = json.loads(relance("report", str(path), "--as-of", "2026-12-01", "--period", "2026-11",
                              "--json").output)
    assert data["period"] == {"start": "2026-11-01", "end": "2026-11-30"}
    assert data["effectiveness_period"]["period"] == data["period"]  # scoped like CEI and recovery
    for key in ADDED:
        data.pop(key)
    for figures in data["currencies"].values():
        for key in ADDED_PER_CURRENCY:
            figures.pop(key, None)
    for key in ADDED_INDEMNITY:
        data["indemnity"].pop(key, None)
    eur = data["currencies"]["EUR"]
    assert (eur["cei_percent"], eur["recovery_rate_percent"], eur["late_penalties_total"]) == (48.8, 24.29, "1640.41")
    assert data["indemnity"] == {"count": 189, "amount_eur": "7560.00"}
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    assert digest == "d02d0c03cf027b3e164ee6477728438e2fd6afedb396030fb5bcb68090b4d2a4"


def test_effectiveness_is_shown_over_the_report_period_and_a_short_one_says_so(tmp_path):
    path = tmp_path / "demo.xlsx"
    assert relance("init", str(path), "--demo", "--as-of", "2026-11-23", "--customers", "20",
                   "--invoices", "150").exit_code == 0
    page = tmp_path / "r.html"
    relance("report", str(path), "--as-of", "2026-12-01", "--period", "2026-12", "--html", str(page))
    html = flat(page.read_text(encoding="utf-8")).replace("&#39;", "'")
    found = re.search(r'<p class="muted eff-period">([^<]*)</p>', html)
    assert found and "du 1er décembre 2026 au 1er décembre 2026, 1 jour seulement : moins d'un mois" in found[1]
    data = json.loads(relance("report", str(path), "--as-of", "2026-12-01", "--json").output)
    assert data["effectiveness_period"]["period"] == {"start": "2026-11-01", "end": "2026-11-30"}


def test_the_dashboard_titles_effectiveness_with_its_period():
    from dataclasses import replace

    from reports import effectiveness_sample

    b = small_book()
    report = build_report(b, positions(b, DEC_1), DEC_1)
    scoped = replace(report, effectiveness=effectiveness_sample(report.period))
    labels = [row[0] for row in dashboard_tab("Tableau_de_bord", scoped, {}, "fr").rows if row]
    assert "efficacité des relances, novembre 2026 (part payée sous N jours)" in labels
    english = [row[0] for row in dashboard_tab("Dashboard", scoped, {}, "en").rows if row]
    assert "reminder effectiveness, November 2026 (share paid within N days)" in english


def test_with_nothing_in_the_period_effectiveness_shows_everything_up_to_as_of_and_says_so():
    from dataclasses import replace

    from relance.app.resources import report_templates
    from relance.engine.effectiveness import Effectiveness
    from relance.render.report_html import render_html
    from reports import effectiveness_sample

    b = small_book()
    report = build_report(b, positions(b, DEC_1), DEC_1)
    nothing = Effectiveness((), dict.fromkeys(("email", "sms", "letter", "call", "agency"), 0), None, None, None, 0,
                            report.period)
    shown = replace(report, effectiveness=nothing, effectiveness_all=effectiveness_sample())
    assert shown.effectiveness_shown() is shown.effectiveness_all
    labels = [row[0] for row in dashboard_tab("Tableau_de_bord", shown, {}, "fr").rows if row]
    assert "efficacité des relances jusqu'au 1er décembre 2026, rien sur novembre 2026 (part payée sous N jours)" in [
        flat(str(label)) for label in labels]
    page = flat(render_html(shown, {"lang": "fr"}, report_templates())).replace("&#39;", "'")
    assert "Rien à mesurer sur la période (novembre 2026) ; voici toutes les relances jusqu'au 1er décembre 2026." in page
    alone = replace(report, effectiveness=nothing, effectiveness_all=nothing)
    assert "Aucune relance ni promesse à mesurer sur novembre 2026." in flat(
        render_html(alone, {"lang": "fr"}, report_templates()))
