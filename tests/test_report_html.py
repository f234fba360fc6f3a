"""The HTML report page (render/report_html.py): figures in the reader's language, escaping,
self-containment, and the page as Chromium (Debian's, driven by Playwright) actually draws it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from decimal import Decimal as D
from html import escape, unescape
from pathlib import Path
from typing import Any

import pytest
from babel.numbers import format_currency

from books import book, positions
from conftest import customer, invoice, payment
from relance.app.resources import report_templates
from relance.engine.catalog import report as phrases
from relance.engine.formats import formats, half_up
from relance.engine.i18n import Said
from relance.engine.report import Report, build_report
from relance.render import report_html
from reports import EVIL, realistic

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def render_html(report: Report, extras: dict[str, Any]) -> str:
    return report_html.render_html(report, extras, report_templates())


def test_french_page_shows_the_figures_in_french():
    report, extras = realistic()
    html = render_html(report, extras)
    eur = report.currencies["EUR"]
    fr = formats("fr")
    assert '<html lang="fr">' in html
    assert "Balance âgée et indicateurs au 23\u00a0novembre\u00a02026" in html
    assert "Atelier Dumas" in html and 'datetime="2026-11-23"' in html
    assert format_currency(eur.aging.net_total, "EUR", locale="fr_FR").replace("\u202f", "\u00a0") in html
    assert fr.money(eur.late_penalties_open, "EUR") in html  # the claimable late-payment penalties
    assert fr.money(report.indemnity.open_amount, "EUR") in html  # the fixed indemnities
    assert f">{fr.number(half_up(eur.dso.countback or D(0), 1), 1)} j<" in html  # DSO, one decimal
    assert f">{fr.number(half_up(eur.cei_percent or D(0), 1), 1)}\u00a0%<" in html  # CEI
    assert "Les 10 clients les plus en retard" in html and "Efficacité des relances" in html
    worst = min((c for c in report.customers if c.risk), key=lambda c: c.risk.score)  # type: ignore[union-attr]
    reason = max(worst.risk.reasons, key=lambda r: r.points)  # type: ignore[union-attr]
    assert f'<span class="pts">−{reason.points}</span>{escape(reason.said.fr)}' in html
    assert escape(reason.said.en) not in html
    assert html.count('data-chart="') == 4


def test_english_page_uses_en_gb_and_english_words():
    report, extras = realistic()
    html = render_html(report, {**extras, "lang": "en"})
    eur = report.currencies["EUR"]
    en = formats("en")
    assert '<html lang="en">' in html
    assert "Aged balance and key figures as of 23\u00a0November\u00a02026" in html
    assert en.money(eur.late_penalties_open, "EUR") in html and en.money(report.indemnity.open_amount, "EUR") in html
    assert f">{en.number(half_up(eur.dso.countback or D(0), 1), 1)} days<" in html
    assert "Top 10 overdue customers" in html
    assert "DSO, BPDSO and ADD are measured at 31\u00a0October\u00a02026" in html  # the engine's note, in English
    assert "mesurés au" not in html


def test_the_french_page_says_the_engines_notes_in_french():
    report, extras = realistic()
    html = render_html(report, extras)
    assert "mesurés au 31\u00a0octobre\u00a02026" in html and "measured at" not in html


def test_workbook_values_are_escaped_everywhere():
    report, extras = realistic()
    eur = replace(report.currencies["EUR"], notes=(Said.verbatim(EVIL),))
    report = replace(report, currencies={"EUR": eur})
    for lang in ("fr", "en"):
        html = render_html(report, {**extras, "lang": lang, "company": EVIL})
        assert "<script" not in html.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_page_is_self_contained():
    report, extras = realistic()
    html = render_html(report, extras)
    lowered = html.lower()
    for tag in ("<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "@font-face"):
        assert tag not in lowered
    resources = re.findall(r"""(?:src|srcset|href|xlink:href|action|data)\s*=\s*["']?\s*(?:https?:)?//""", lowered)
    assert not resources
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", lowered)
    assert "default-src 'none'" in html  # and the browser is told to load nothing


def test_null_figures_show_a_dash_and_their_note():
    """A Sales tab that says March sold 100 while 1,000 is owed: the countback runs out of history
    (no DSO), and the engine's note says why."""
    b = book([customer("C1")], [invoice("F1", "C1", "2025-03-01", "2025-03-10", 1000)],
             CA_mensuel=[["mois", "devise", "montant"], ["2025-03", "EUR", 100]])
    as_of = dt.date(2025, 3, 31)
    report = build_report(b, positions(b, as_of), as_of, lang="en")  # JSON notes in English...
    [note] = [n for n in report.currencies["EUR"].notes if n.phrase is phrases.NOTE_COUNTBACK_SHORT]
    html = render_html(report, {"lang": "fr"})  # ...the page in French all the same
    dso_card = re.search(r'<div class="card card-dso[^"]*"[^>]*>.*?</div>\s*</div>', html, re.S)
    assert dso_card is not None
    assert "missing" in dso_card.group(0) and "—" in dso_card.group(0)
    assert note.fr in unescape(dso_card.group(0))  # its tooltip
    assert note.en not in unescape(html)
    assert note.en in unescape(render_html(report, {"lang": "en"}))


def test_a_computed_report_and_empty_states():
    b = book(
        [customer("C1", raison_sociale=EVIL), customer("C2", raison_sociale="Client C2")],
        [invoice("F1", "C1", "2025-01-01", "2025-01-31", 1000),
         invoice("F2", "C1", "2025-02-01", "2025-03-03", 500),
         invoice("F3", "C2", "2025-03-01", "2025-04-30", 300),
         invoice("F4", "C2", "2025-01-10", "2025-02-09", 250, devise="USD")],
        [payment("2025-03-20", 250, "F2")],
    )
    as_of = dt.date(2025, 3, 31)
    report = build_report(b, positions(b, as_of), as_of)
    html = render_html(report, {"lang": "fr"})
    assert "Balance âgée et indicateurs au 31\u00a0mars\u00a02025" in html
    assert "1\u00a0250,00\u00a0€" in html  # EUR net: 1000 + 250 + 300
    assert "250,00\u00a0$US" in html  # USD apart, never added to the euros
    assert "1\u00a0500,00" not in html
    assert html.count('data-chart="aging"') == 2 and html.count('data-chart="top"') == 2
    assert "Pas encore assez d&#39;historique pour tracer le DSO." in html
    assert "Aucune relance envoyée" in html
    assert "<script" not in html
    nothing = book([customer("C1")], [])
    empty = render_html(build_report(nothing, positions(nothing, as_of), as_of), {"lang": "en"})
    assert "No receivable in the workbook at this date." in empty
    early = dt.date(2025, 1, 20)  # nothing due yet
    calm = build_report(b, positions(b, early), early)
    assert "No overdue customer." in render_html(calm, {"lang": "en"})


def test_a_20000_customer_report_renders_small():  # how fast: benchmarks/micro.py
    report, extras = realistic(n_customers=20_000, seed=3, currencies=("EUR", "USD"))
    html = render_html(report, extras)
    assert len(html.encode()) < 1_000_000
    assert html.count('class="chart-svg"') == 7  # aging, DSO and top 10 per currency, effectiveness
    assert re.search(r"10 premiers sur \d[\d\u00a0\u202f]{3,} clients en retard", html)  # thousands of them


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (make test installs it)")
def test_chromium_draws_the_page(tmp_path: Path):
    sync_api = pytest.importorskip("playwright.sync_api")
    report, extras = realistic()
    messages: list[tuple[str, str, str]] = []
    errors: list[tuple[str, str]] = []
    with sync_api.sync_playwright() as p:
        # Debian's Chromium, never a browser of Playwright's own (DESIGN.md §6)
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for lang in ("fr", "en"):
                page_file = tmp_path / f"report-{lang}.html"
                page_file.write_text(render_html(report, {**extras, "lang": lang}), encoding="utf-8")
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.on("console", lambda m, lang=lang: messages.append((lang, m.type, m.text)))
                page.on("pageerror", lambda e, lang=lang: errors.append((lang, str(e))))
                page.goto(page_file.as_uri(), wait_until="load")
                charts = page.locator("svg.chart-svg")
                assert charts.count() == 4
                for i in range(4):
                    box = charts.nth(i).bounding_box()
                    assert box is not None and box["width"] > 100 and box["height"] > 100
                assert {charts.nth(i).get_attribute("data-chart") for i in range(4)} == {
                    "aging", "dso", "top", "effectiveness"}
                assert page.locator("svg.chart-svg > title").count() == 4
                assert page.title().startswith("Atelier Dumas")
                assert page.locator("table.risk tbody tr").count() == 15
                shot = tmp_path / f"report-{lang}.png"
                page.screenshot(path=str(shot), full_page=True)
                data = shot.read_bytes()
                assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
                width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
                assert width == 1280 and height > 1500
                page.close()
        finally:
            browser.close()
    assert not errors
    assert not [m for m in messages if m[1] == "error"], messages
