"""The daily cap of the Mailjet plan (Settings `daily_send_cap`, MAILJET_DAILY_CAP overriding it;
app/daily_cap.py): today's room goes to the most overdue first, the rest is held back (no
History row) and said, two runs on one day share the cap, and what was held back leaves the next
day. Real runs (app/jobs.run) through the real mailjet-rest client and the local Mailjet."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

from conftest import SCENARIOS_HEADER, customer, invoice, on, workbook
from french import assert_french
from relance.app.connect import open_channel
from relance.app.daily_cap import held_back, overdue_first
from relance.app.jobs import RunResult, run
from relance.engine.action import Action
from relance.engine.catalog import console as C
from relance.workbook.memory import MemoryBackend
from servers.mailjet import FakeMailjet

DAY = dt.date(2025, 3, 31)  # a Monday
ONE_STEP = [SCENARIOS_HEADER, ["standard", "r1", 7, "email", "reminder_1", 0, "non"]]
#: customer -> (due date, amount); days past due on DAY: C3 59, C2 and C5 30, C4 19, C1 11, C6 9
DUE = {"C1": ("2025-03-20", 500), "C2": ("2025-03-01", 100), "C3": ("2025-01-31", 100),
       "C4": ("2025-03-12", 900), "C5": ("2025-03-01", 300), "C6": ("2025-03-22", 50)}


def book(**settings: object) -> MemoryBackend:
    return workbook([customer(c) for c in DUE],
                    [invoice(f"F{c}", c, "2025-01-01", due, amount) for c, (due, amount) in DUE.items()],
                    settings=dict(settings) or None, Scenarios=ONE_STEP)


def go(wb: MemoryBackend, fake: FakeMailjet, tmp_path: Path, when: dt.datetime, **env: str) -> RunResult:
    environ = {"MAILJET_API_KEY": fake.key, "MAILJET_API_SECRET": fake.secret, "MAILJET_API_URL": fake.url,
               "MAILJET_RETRY_WAIT": "0", "MAILJET_RATE_PER_SECOND": "0", **env}
    return run(wb, open_channel("mailjet", str(tmp_path / "book.xlsx"), when, tmp_path / "outbox", environ=environ),
               when, anytime=True)


def sent_to(fake: FakeMailjet) -> list[str]:
    return [m["To"].split("@")[1].split(".")[0].upper() for m in fake.messages]


def test_the_cap_sends_the_most_overdue_first_and_holds_back_the_rest(tmp_path):
    wb = book(daily_send_cap=3)
    with FakeMailjet() as fake:
        first = go(wb, fake, tmp_path, on(DAY))
        data = first.to_json()
        assert sorted(sent_to(fake)) == ["C2", "C3", "C5"]  # 59 days, then 30 days: the larger balance first
        assert data["sent"] == 3 and data["held_back"] == 3
        assert data["daily_cap"] == {"limit": 3, "used_before": 0}
        held = {a["customer_id"]: a["status"] for a in data["actions"] if a["status"] == "held_back"}
        assert sorted(held) == ["C1", "C4", "C6"]
        assert {e.customer_id for e in first.execution.entries} == {"C2", "C3", "C5"}  # held back: no History row
        assert [a.customer_id for a in first.execution.held_back] == ["C4", "C1", "C6"]  # most overdue first

        # a second run the same day shares the cap: nothing more leaves, the three still wait
        again = go(wb, fake, tmp_path, on(DAY) + dt.timedelta(hours=2)).to_json()
        assert again["sent"] == 0 and again["held_back"] == 3
        assert again["daily_cap"] == {"limit": 3, "used_before": 3}
        assert len(fake.messages) == 3

        # the next day they leave, most overdue first, and nobody gets a second message
        nxt = go(wb, fake, tmp_path, on(DAY + dt.timedelta(days=1))).to_json()
        assert nxt["sent"] == 3 and nxt["held_back"] == 0
        assert sorted(sent_to(fake)[3:]) == ["C1", "C4", "C6"]
    assert Counter(sent_to(fake)) == dict.fromkeys(DUE, 1)


def test_a_tight_cap_spreads_the_sending_over_days_most_overdue_first(tmp_path):
    wb = book(daily_send_cap=2)
    with FakeMailjet() as fake:
        go(wb, fake, tmp_path, on(DAY))
        assert sorted(sent_to(fake)) == ["C3", "C5"]
        day2 = go(wb, fake, tmp_path, on(DAY + dt.timedelta(days=1))).to_json()
        assert day2["held_back"] == 2 and sorted(sent_to(fake)[2:]) == ["C2", "C4"]
        go(wb, fake, tmp_path, on(DAY + dt.timedelta(days=2)))
    assert sorted(sent_to(fake)[4:]) == ["C1", "C6"]
    assert Counter(sent_to(fake)) == dict.fromkeys(DUE, 1)


def test_the_environment_overrides_the_settings_row_and_no_cap_sends_everything(tmp_path):
    with FakeMailjet() as fake:
        data = go(book(daily_send_cap=3), fake, tmp_path, on(DAY), MAILJET_DAILY_CAP="5").to_json()
        assert data["sent"] == 5 and data["held_back"] == 1 and data["daily_cap"]["limit"] == 5
    with FakeMailjet() as fake:
        data = go(book(), fake, tmp_path / "b", on(DAY)).to_json()
        assert data["sent"] == 6 and data["held_back"] == 0 and data["daily_cap"] is None
    with FakeMailjet() as fake:  # the French key is read too
        data = go(book(plafond_envois_jour=4), fake, tmp_path / "c", on(DAY)).to_json()
        assert data["sent"] == 4 and data["held_back"] == 2


def test_a_wrong_cap_is_reported_and_means_no_cap(tmp_path):
    with FakeMailjet() as fake:
        result = go(book(daily_send_cap="beaucoup"), fake, tmp_path, on(DAY))
    assert result.to_json()["held_back"] == 0 and len(fake.messages) == 6
    [problem] = [a for a in result.snapshot.anomalies if a.code == "R092"]
    assert "daily_send_cap" in problem.problem.en


def test_the_order_is_days_past_due_then_the_balance_within_a_currency_then_the_key():
    def action(key: str, days: int, amount: str, currency: str = "EUR") -> Action:
        return Action(key, key, (key,), "standard", "r1", 7, "email", "r1", ("a@b.example",), (),
                      ((currency, Decimal(amount)),), days, "fr")

    actions = [action("K1", 10, "50"), action("K2", 40, "10"), action("K3", 10, "900"), action("K4", 10, "900"),
               action("K5", 10, "5000", "USD")]
    assert [a.key for a in sorted(actions, key=overdue_first)] == ["K2", "K3", "K4", "K1", "K5"]
    assert [a.key for a in held_back(actions, 2)] == ["K4", "K1", "K5"]
    assert held_back(actions, 0) == sorted(actions, key=overdue_first) and held_back(actions, 9) == []


def test_the_console_says_how_many_were_held_back_in_both_languages():
    fr = C.HELD_BACK.text("fr", messages=C.N_MESSAGES.text("fr", n=3), n=3, cap=3, used=0)
    assert_french(fr)
    assert "3 messages retenus par le plafond journalier de 3" in fr and "prochain envoi" in fr
    en = C.HELD_BACK.text("en", messages=C.N_MESSAGES.text("en", n=1), n=1, cap=50, used=50)
    assert en == "1 message held back by the daily cap of 50 (sent today: 50): it goes with the next run."


def test_init_offers_the_row_and_the_run_says_what_the_cap_held_back(tmp_path, monkeypatch):
    from python_calamine import CalamineWorkbook
    from typer.testing import CliRunner

    from relance import cli
    from relance.cli import app

    runner = CliRunner()
    monkeypatch.setattr(cli, "_now", lambda: dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC))
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "book.xlsx"
    made = runner.invoke(app, ["init", str(path), "--demo", "--as-of", "2026-11-23", "--customers", "30",
                               "--invoices", "200"])
    assert made.exit_code == 0, made.output
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Parametres").to_python()
    [row] = [r for r in rows if r[0] == "daily_send_cap"]
    assert row[1] == "" and "plafond" not in row[0] and "prochain envoi, les plus en retard d'abord" in row[2]
    with FakeMailjet() as fake:
        for name, value in {"MAILJET_API_KEY": fake.key, "MAILJET_API_SECRET": fake.secret,
                            "MAILJET_SMS_TOKEN": fake.sms_token, "MAILJET_API_URL": fake.url,
                            "MAILJET_RETRY_WAIT": "0", "MAILJET_DAILY_CAP": "1"}.items():
            monkeypatch.setenv(name, value)
        result = runner.invoke(app, ["run", str(path), "--channel", "mailjet"])
    said = " ".join(result.output.replace("\u00a0", " ").replace("\u202f", " ").split())
    held = json.loads(runner.invoke(app, ["run", str(path), "--channel", "mailjet", "--dry-run", "--json"]).output)
    assert held["planned"] == 1  # the one the cap held back is planned again, and only it
    assert "1 message retenu par le plafond journalier de 1" in said
    assert "(envoyés aujourd'hui : 0)" in said and "au prochain envoi" in said, result.output
    assert len(fake.messages) + len(fake.sms) == 1
