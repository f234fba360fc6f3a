"""The Dashboard tab and the weekly summary show the report's figures."""

import datetime as dt
from decimal import Decimal as D
from email import policy
from email.parser import BytesParser

from conftest import NOW, customer, invoice, payment, workbook
from relance.app.jobs import snapshot
from relance.app.resources import message_templates
from relance.channels.outbox import OutboxChannel
from relance.engine.report import build_report
from relance.render.dashboard import dashboard_tab
from relance.render.messages import Renderer
from relance.render.summary import compose_summary, summary_context

AS_OF = dt.date(2025, 3, 31)


def book():
    return workbook(
        [customer("C1", raison_sociale="Dupont & Fils"), customer("C2")],
        [invoice("F1", "C1", "2025-01-01", "2025-01-31", 1000), invoice("F2", "C1", "2025-03-01", "2025-04-30", 500),
         invoice("F3", "C2", "2025-01-15", "2025-03-20", 250, devise="USD")],
        [payment("2025-02-15", 400, "F1")],
    )


def test_dashboard_rows_and_charts_follow_the_report():
    snap = snapshot(book(), NOW, AS_OF, for_report=True)
    report = build_report(snap.book, snap.positions, AS_OF)
    tab = dashboard_tab("Tableau_de_bord", report, {"dso_history": {"EUR": [["2025-02", 30.5], ["2025-03", None]],
                                                                    "USD": [["2025-03", 11]]}})
    assert list(tab.header) == ["indicateur", "EUR", "USD"]
    rows = {r[0]: r[1:] for r in tab.rows if r and r[0]}
    assert rows["non échu"] == [D("500.00"), D("0.00")]
    assert rows["échu 31-60 j"] == [D("600.00"), D("0.00")]
    assert rows["échu 1-30 j"] == [D("0.00"), D("250.00")]
    assert rows["2025-02"] == [D("30.5"), None]
    kinds = [(c.kind, c.categories, [s for _, s in c.series]) for c in tab.charts]
    assert kinds[0] == ("bar", "A3:A7", ["B3:B7"])  # aging: one chart per currency, never a shared axis
    assert kinds[1] == ("bar", "A3:A7", ["C3:C7"])
    assert kinds[2][0] == "line"
    assert [r[0] for r in tab.rows][2:7] == ["échu 1-30 j", "échu 31-60 j", "échu 61-90 j", "échu > 90 j",
                                             "avoirs et trop-perçus"]


def test_weekly_summary_once_a_week(tmp_path):
    snap = snapshot(book(), NOW, AS_OF, for_report=True)
    report = build_report(snap.book, snap.positions, AS_OF)
    names = {c.id: c.name for c in snap.book.customers.values()}
    context = summary_context(report, snap.book.settings, AS_OF, "fr", "classeur.xlsx", names, snap.book.history)
    message = compose_summary(context, Renderer(message_templates()), snap.book.settings, "daf@dumas.example", AS_OF)
    box = OutboxChannel(tmp_path, "t")
    first = box.send(message)
    again = box.send(compose_summary(context, Renderer(message_templates()), snap.book.settings, "daf@dumas.example",
                                     AS_OF + dt.timedelta(days=3)))  # same ISO week
    next_week = box.send(compose_summary(context, Renderer(message_templates()), snap.book.settings, "daf@dumas.example",
                                         AS_OF + dt.timedelta(days=7)))
    box.close()
    assert again.detail == "already in the outbox" and next_week.detail != "already in the outbox"
    email = BytesParser(policy=policy.default).parsebytes((tmp_path / first.detail).read_bytes())
    assert email["Subject"] == "Atelier Dumas – point hebdomadaire des encours au 31 mars 2025"
    text = email.get_body(("plain",)).get_content()
    assert "Encours net : 1\u00a0100,00\u00a0€" in text and "dont échu : 600,00\u00a0€" in text
    assert "Dupont & Fils : 600,00\u00a0€" in text
    html = email.get_body(("html",)).get_content()
    assert "Dupont &amp; Fils" in html and 'width="100%" style="background-color:#e8832a' in html
