"""DESIGN §4.3: just before sending, payments are re-read: an invoice paid since the plan is not
reminded, whatever the channel (outbox, SMTP to aiosmtpd, Mailjet to its loopback fake).

The workbook is a real .xlsx file. Between the plan (the run's first read) and the sending, a person
records a payment in the Reglements tab and saves the file (openpyxl, as Excel would: the whole
file rewritten, relance's tabs kept): the backend's own change check, asked by the run just before
sending, is where that save is slipped in, so the run cannot have seen it at its first read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from python_calamine import CalamineWorkbook

from cloudkit import small_book
from relance.app.connect import open_channel
from relance.app.jobs import run
from relance.workbook.xlsx import XlsxBackend
from servers.mailjet import FakeMailjet
from servers.smtp import SmtpServer

CUSTOMERS = 3


class PaidMeanwhile(XlsxBackend):
    """The .xlsx backend, with a person saving a payment for `invoice` the first time the run asks
    whether the file changed since it read it (that is, after the plan and before the sending)."""

    def __init__(self, path: Path, invoice: str, amount: int, day: dt.date) -> None:
        super().__init__(path)
        self.payment = (invoice, amount, day)
        self.asked = 0

    def changed_since_read(self) -> bool:
        self.asked += 1
        if self.asked == 1:
            import openpyxl

            invoice, amount, day = self.payment
            wb = openpyxl.load_workbook(self.path)
            sheet = wb["Reglements"]
            header = [c.value for c in sheet[1]]
            row = {"Date de règlement": day, "Montant": amount, "N° facture": invoice, "Devise": "EUR",
                   "Référence": "virement reçu ce matin"}
            sheet.append([row.get(str(h)) for h in header])
            wb.save(self.path)
        return super().changed_since_read()


@pytest.fixture
def book(tmp_path) -> Path:
    """Three customers at the J+15 step (an e-mail and a text message each), after a baseline."""
    from typer.testing import CliRunner

    from relance.cli import app

    path = tmp_path / "book.xlsx"
    today = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    small_book(path, CUSTOMERS, phones=True)
    runner = CliRunner()
    done = runner.invoke(app, ["baseline", str(path), "--step", "reminder_1",
                               "--as-of", (today - dt.timedelta(days=7)).isoformat()])
    assert done.exit_code == 0, done.output
    plan = json.loads(runner.invoke(app, ["plan", str(path), "--json"]).output)
    assert Counter(a["customer_id"] for a in plan["actions"]) == {f"C{i}": 2 for i in range(CUSTOMERS)}
    return path


def history(path: Path) -> list[dict[str, object]]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Historique").to_python()
    return [dict(zip([str(h) for h in rows[0]], r, strict=False)) for r in rows[1:]]


@pytest.mark.parametrize("name", ["outbox", "smtp", "mailjet"])
def test_an_invoice_paid_between_the_plan_and_the_sending_is_not_reminded(name, book, tmp_path):
    now = dt.datetime.now(dt.UTC)
    backend = PaidMeanwhile(book, "F0", 100, now.date())
    with FakeMailjet() as mailjet, SmtpServer() as smtp:
        env = {"MAILJET_API_KEY": mailjet.key, "MAILJET_API_SECRET": mailjet.secret,
               "MAILJET_SMS_TOKEN": mailjet.sms_token, "MAILJET_API_URL": mailjet.url, "MAILJET_RETRY_WAIT": "0",
               "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_SECURITY": "none",
               "SMTP_RETRY_WAIT": "0"}
        result = run(backend, open_channel(name, str(book), now, environ=env), now, anytime=True)
    assert backend.asked >= 1, "the run asked whether the workbook changed before sending"
    reminded = {r["code_client"] for r in history(book) if r["statut"] == "envoyé"}
    assert reminded == {"C1", "C2"}, "C0 paid F0 after the plan: not reminded"
    assert result.execution.count("sent") == 4
    outbox = book.with_name("book_outbox")
    filed = sorted(p.name for p in outbox.iterdir() if p.name.endswith((".eml", ".sms.txt"))) \
        if outbox.is_dir() else []
    if name == "outbox":
        assert len(filed) == 4 and not [f for f in filed if f.startswith("C0")], filed
    elif name == "smtp":
        assert sorted(r for got in smtp.received for r in got.rcpt_tos) == ["compta@c1.example", "compta@c2.example"]
        assert len(filed) == 2 and not [f for f in filed if f.startswith("C0")], filed  # the texts, filed
    else:
        assert sorted(m["To"] for m in mailjet.messages) == ["compta@c1.example", "compta@c2.example"]
        assert sorted(s["To"] for s in mailjet.sms) == ["+33612345601", "+33612345602"]
    # the payment the person saved is still in the workbook: relance wrote only its own tabs
    payments = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Reglements").to_python()
    assert any("virement reçu ce matin" in [str(c) for c in row] for row in payments[1:])
