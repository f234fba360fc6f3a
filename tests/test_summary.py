"""The weekly summary e-mail (render/summary.py) shows the report's figures, once a week."""

import datetime as dt
from email import policy
from email.parser import BytesParser

from books import book, positions
from conftest import customer, invoice, payment
from relance.app.resources import message_templates
from relance.channels.outbox import OutboxChannel
from relance.engine.report import build_report
from relance.render.messages import Renderer
from relance.render.summary import compose_summary
from reports import summary_of

AS_OF = dt.date(2025, 3, 31)


def test_weekly_summary_once_a_week(tmp_path):
    b = book(
        [customer("C1", raison_sociale="Dupont & Fils"), customer("C2")],
        [invoice("F1", "C1", "2025-01-01", "2025-01-31", 1000), invoice("F2", "C1", "2025-03-01", "2025-04-30", 500),
         invoice("F3", "C2", "2025-01-15", "2025-03-20", 250, devise="USD")],
        [payment("2025-02-15", 400, "F1")],
    )
    report = build_report(b, positions(b, AS_OF), AS_OF)
    context = summary_of(b, AS_OF, "fr", report)
    message = compose_summary(context, Renderer(message_templates()), b.settings, "daf@dumas.example", AS_OF)
    box = OutboxChannel(tmp_path, "t")
    first = box.send(message)
    again = box.send(compose_summary(context, Renderer(message_templates()), b.settings, "daf@dumas.example",
                                     AS_OF + dt.timedelta(days=3)))  # same ISO week
    next_week = box.send(compose_summary(context, Renderer(message_templates()), b.settings, "daf@dumas.example",
                                         AS_OF + dt.timedelta(days=7)))
    box.close()
    assert again.again and not next_week.again
    email = BytesParser(policy=policy.default).parsebytes((tmp_path / first.file).read_bytes())
    assert email["Subject"] == "Atelier Dumas – point hebdomadaire des encours au 31\u00a0mars\u00a02025"
    text = email.get_body(("plain",)).get_content()
    assert "Encours net\u00a0: 1\u00a0100,00\u00a0€" in text and "dont échu\u00a0: 600,00\u00a0€" in text
    assert "Dupont & Fils\u00a0: 600,00\u00a0€" in text
    html = email.get_body(("html",)).get_content()
    assert "Dupont &amp; Fils" in html and 'width="100%" style="background-color:#e8832a' in html
