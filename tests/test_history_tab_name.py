"""The English History tab is named Reminder_log: English Excel reserves "History" (Track Changes).

A workbook written by an older version, whose log tab is "History" (and "History_2026" archives),
keeps working: its rows are read, nothing is sent twice, and relance keeps writing into that tab
under its name (never a second log beside it). A user's own tab named History stays foreign.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from conftest import NOW, SCENARIOS_HEADER, customer, invoice, workbook
from relance import cli
from relance.app.jobs import run
from relance.app.resources import shipped_contract
from relance.channels.outbox import OutboxChannel
from relance.cli import app
from relance.engine.errors import ForeignTab
from relance.engine.table import FOREIGN_TAB, Collector, find_tables, tab_language
from relance.workbook.memory import MemoryBackend

AS_OF = dt.date(2025, 3, 31)
SCENARIOS = [SCENARIOS_HEADER, ["standard", "r1", 7, "email", "reminder_1", 0, "non"],
             ["standard", "r2", 20, "email", "reminder_2", 0, "non"]]


def english() -> MemoryBackend:
    return workbook([customer("C1", langue="en"), customer("C2", langue="en")],
                    [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000),
                     invoice("F2", "C2", "2025-01-01", "2025-03-24", 400)],
                    settings={"locale": "en_GB"}, Scenarios=SCENARIOS)


def test_the_contract_names_the_english_log_reminder_log_and_still_reads_history():
    spec = shipped_contract().tab("history")
    assert spec.name("en") == "Reminder_log" and spec.name("fr") == "Historique"
    for name in ("Reminder_log", "reminder log", "History", "HISTORY", "Historique"):
        assert shipped_contract().resolve_tab(name) is spec, name
    assert tab_language("History", spec) == "en" and tab_language("Reminder_log_2026", spec) == "en"
    assert tab_language("Historique", spec) == "fr"


def test_a_fresh_english_workbook_gets_reminder_log(tmp_path: Path):
    wb = english()
    result = run(wb, lambda b: OutboxChannel(tmp_path, "t"), NOW, AS_OF)
    assert result.to_json()["sent"] == 2
    assert "Reminder_log" in wb.tabs and "History" not in wb.tabs
    header, *rows = wb.tabs["Reminder_log"]
    assert header[:3] == ["run_id", "timestamp", "action_key"] and len(rows) == 2


def test_an_older_workbook_with_relance_history_tab_keeps_working(tmp_path: Path):
    wb = english()
    run(wb, lambda b: OutboxChannel(tmp_path, "t"), NOW, AS_OF)
    # as an older version left it: the same rows under "History", unmarked (its header says whose)
    wb.tabs["History"] = wb.tabs.pop("Reminder_log")
    wb.owned.discard("reminder_log")
    before = [list(r) for r in wb.tabs["History"]]
    again = run(wb, lambda b: OutboxChannel(tmp_path, "t"), NOW, AS_OF)
    assert again.to_json()["sent"] == 0  # idempotency: both actions are in History already
    assert len(again.snapshot.book.history) == 2
    assert {e.action_key for e in again.snapshot.book.history} == {r[2] for r in before[1:]}
    assert "Reminder_log" not in wb.tabs  # relance writes into the tab it found, under its name
    assert [r[:3] for r in wb.tabs["History"]] == [r[:3] for r in before]
    assert "history" in wb.owned
    # weeks later the next step goes out and is logged in the same tab
    later = run(wb, lambda b: OutboxChannel(tmp_path, "t"), NOW + dt.timedelta(days=14), AS_OF + dt.timedelta(days=14))
    assert later.to_json()["sent"] == 2 and len(wb.tabs["History"]) == 5 and "Reminder_log" not in wb.tabs


def test_history_archives_of_an_older_version_still_count(tmp_path: Path):
    wb = english()
    run(wb, lambda b: OutboxChannel(tmp_path, "t"), NOW, AS_OF)
    header, *rows = wb.tabs.pop("Reminder_log")
    wb.owned.discard("reminder_log")
    wb.tabs["History"] = [header]
    wb.tabs["History_2025"] = [header, *rows]  # the rows moved to an archive by an older version
    again = run(wb, lambda b: OutboxChannel(tmp_path, "t"), NOW, AS_OF)
    assert again.to_json()["sent"] == 0 and len(again.snapshot.book.archived) == 2


def test_a_users_own_history_tab_is_still_foreign(tmp_path: Path):
    wb = english()
    wb.tabs["History"] = [["Date", "What happened"], ["2025-01-02", "called the bank"]]
    with pytest.raises(ForeignTab) as raised:
        run(wb, lambda b: OutboxChannel(tmp_path, "t"), NOW, AS_OF)
    assert "'History'" in str(raised.value)
    out = Collector()
    find_tables(wb.read(), shipped_contract(), out)
    [foreign] = [a for a in out.items if a.code == FOREIGN_TAB]
    assert foreign.source.tab == "History" and "its 'History' tab" in foreign.problem.en
    assert wb.tabs["History"] == [["Date", "What happened"], ["2025-01-02", "called the bank"]]
    assert "Reminder_log" not in wb.tabs  # nothing written


def english_locale(path: Path) -> None:
    book = openpyxl.load_workbook(path)
    for row in book["Settings"].iter_rows():
        if row[0].value == "locale":
            row[1].value = "en_GB"
    book.save(path)


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
@pytest.mark.skipif(_soffice() is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_an_english_workbook_with_reminder_log(tmp_path: Path):
    path = tmp_path / "book.xlsx"
    runner = CliRunner()
    old = cli._now
    try:
        cli._now = lambda: dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
        result = runner.invoke(app, ["init", str(path), "--lang", "en", "--demo", "--as-of", "2026-11-23",
                                     "--customers", "20", "--invoices", "120"])
        assert result.exit_code == 0, result.output
        english_locale(path)  # the demo company is French; its workbook in English
        result = runner.invoke(app, ["run", str(path)])
        assert result.exit_code in (0, 1), result.output
    finally:
        cli._now = old
    assert "Reminder_log" in openpyxl.load_workbook(path, read_only=True).sheetnames
    out = tmp_path / "out"
    done = subprocess.run([_soffice() or "soffice", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                           "--headless", "--norestore", "--convert-to", "xlsx", "--outdir", str(out), str(path)],
                          capture_output=True, text=True, timeout=300)
    converted = out / "book.xlsx"
    assert converted.exists(), done.stdout + done.stderr
    saved = openpyxl.load_workbook(converted, read_only=True)
    assert "Reminder_log" in saved.sheetnames and "History" not in saved.sheetnames
    rows = list(saved["Reminder_log"].iter_rows(values_only=True))
    assert rows[0][:3] == ("run_id", "timestamp", "action_key") and len(rows) > 1
