"""`relance schedule`: the crontab line, the systemd units and the Windows task that run the daily job
at the workbook's send_hour in its time zone; `--install` through a real `crontab` process (a fake
one first on PATH) and into XDG_CONFIG_HOME, idempotent."""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import customer, invoice, tabs
from french import assert_french
from handmade import write_book
from relance.app.schedule import MARK, schedule
from relance.cli import app

EXE = Path(sys.executable).with_name("relance")
FAKE_CRONTAB = """#!{python}
import os, sys
table = os.environ["FAKE_CRONTAB_TABLE"]
with open(os.environ["FAKE_CRONTAB_CALLS"], "a") as calls:
    calls.write(" ".join(sys.argv[1:]) + "\\n")
if sys.argv[1:] == ["-l"]:
    if not os.path.exists(table):
        sys.stderr.write("no crontab for tester\\n")
        sys.exit(1)
    sys.stdout.write(open(table).read())
elif sys.argv[1:] == ["-"]:
    open(table, "w").write(sys.stdin.read())
else:
    sys.exit(2)
"""


def _book(path: Path, **settings: object) -> Path:
    sheets = tabs([customer("C1")], [invoice("F1", "C1", "2025-01-15", "2025-02-14", 100)],
                  settings={"locale": "fr_FR", **settings})  # type: ignore[arg-type]
    return write_book(path, sheets)


@pytest.fixture
def cron(tmp_path, monkeypatch) -> Path:
    """A `crontab` program first on PATH that keeps the user's table in a file; returns that file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "crontab"
    program.write_text(FAKE_CRONTAB.format(python=sys.executable), encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    table = tmp_path / "crontab.txt"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_CRONTAB_TABLE", str(table))
    monkeypatch.setenv("FAKE_CRONTAB_CALLS", str(tmp_path / "calls.txt"))
    return table


def test_the_three_ways_on_a_machine_in_the_workbooks_zone(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Paris")
    book = _book(tmp_path / "Relances 2026.xlsx", send_hour=8)
    result = CliRunner().invoke(app, ["schedule", str(book)])
    assert result.exit_code == 0, result.output
    out = result.output
    where = book.resolve()
    assert (f'0 8 * * 1,2,3,4,5 {EXE} run "{where}" >> "{where.with_name("Relances 2026_relance.log")}" 2>&1 '
            f"{MARK} {where}") in out
    assert "OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 08:00:00 Europe/Paris" in out
    assert f'ExecStart={EXE} run "{where}"' in out and "Persistent=true" in out
    assert "/SC WEEKLY /D MON,TUE,WED,THU,FRI /ST 08:00 /F" in out and 'schtasks /Create /TN "relance-Relances-2026-' in out
    prose = re.sub(r"[ \n]+", " ", out)  # unwrapped, the no-break spaces kept
    assert "du lundi au vendredi" in prose and "à 8\u00a0h (Europe/Paris)" in prose
    assert "Cette machine vit à la même heure (Europe/Paris)" in prose
    assert_french(out.split("cron (Linux")[0])


def test_another_zone_is_converted_and_both_hours_kept_when_the_gap_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    book = _book(tmp_path / "book.xlsx", locale="en_GB", send_hour=9)
    out = " ".join(CliRunner().invoke(app, ["schedule", str(book)]).output.split())  # the prose, unwrapped
    assert "This machine keeps America/New_York time: for cron and Windows, 09:00 (Europe/Paris) is 04:00" in out
    assert "falls at 03:00 or 04:00 depending on the season" in out
    assert "0 3,4 * * 1,2,3,4,5 " in out  # the US and the EU change their clocks on different Sundays
    assert "/ST 04:00" in out  # Windows: the later hour, never before send_hour
    assert "OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 09:00:00 Europe/Paris" in out  # systemd converts itself


def test_a_run_that_crosses_midnight_moves_its_days():
    late = schedule(EXE, Path("/b.xlsx"), "Europe/Paris", 23, True, "Asia/Tokyo", 2026)
    assert late.machine_hours == (6, 7) and late.machine_weekdays == (1, 2, 3, 4, 5)  # Tuesday to Saturday
    assert " * * 2,3,4,5,6 " in late.cron_line() and "/D TUE,WED,THU,FRI,SAT " in late.schtasks()
    every = schedule(EXE, Path("/b.xlsx"), "Europe/Paris", 9, False, "Europe/Paris", 2026)
    assert " * * 1,2,3,4,5,6,0 " in every.cron_line() and not every.converted


def test_install_writes_the_crontab_line_once_and_keeps_the_users_lines(tmp_path, monkeypatch, cron):
    monkeypatch.setenv("TZ", "Europe/Paris")
    book = _book(tmp_path / "book.xlsx")
    runner = CliRunner()
    first = runner.invoke(app, ["schedule", str(book), "--install"])
    assert first.exit_code == 0, first.output
    assert "Ligne ajoutée à la crontab de l'utilisateur" in first.output
    assert cron.read_text().count(MARK) == 1
    cron.write_text("MAILTO=compta@dumas.example\n30 1 * * * /usr/bin/backup\n" + cron.read_text())
    other = _book(tmp_path / "other.xlsx")
    assert runner.invoke(app, ["schedule", str(other), "--install"]).exit_code == 0
    again = runner.invoke(app, ["schedule", str(book), "--install"])
    assert again.exit_code == 0 and "remplacée" in again.output
    lines = cron.read_text().splitlines()
    assert lines[:2] == ["MAILTO=compta@dumas.example", "30 1 * * * /usr/bin/backup"]
    assert sum(line.endswith(f"{MARK} {book.resolve()}") for line in lines) == 1
    assert sum(line.endswith(f"{MARK} {other.resolve()}") for line in lines) == 1 and len(lines) == 4
    calls = (tmp_path / "calls.txt").read_text().splitlines()
    assert calls == ["-l", "-"] * 3


def test_install_on_an_empty_crontab_and_a_missing_crontab_program(tmp_path, monkeypatch, cron):
    monkeypatch.setenv("TZ", "Europe/Paris")
    book = _book(tmp_path / "book.xlsx", send_hour=10)
    assert not cron.exists()  # `crontab -l` answers "no crontab for tester", exit 1
    assert CliRunner().invoke(app, ["schedule", str(book), "--install"]).exit_code == 0
    assert cron.read_text().startswith("0 10 * * 1,2,3,4,5 ")
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    missing = CliRunner().invoke(app, ["schedule", str(book), "--install"])
    assert missing.exit_code != 0 and "impossible de lancer crontab" in missing.output
    assert "Traceback" not in missing.output


def test_the_channel_goes_into_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Paris")
    book = _book(tmp_path / "book.xlsx")
    out = CliRunner().invoke(app, ["schedule", str(book), "--channel", "mailjet"]).output
    assert f"{EXE} run {book.resolve()} --channel mailjet >> " in out
    assert f"ExecStart={EXE} run {book.resolve()} --channel mailjet\n" in out
    refused = CliRunner().invoke(app, ["schedule", str(book), "--channel", "pigeon"])
    assert refused.exit_code != 0 and "Traceback" not in refused.output


def test_install_systemd_writes_the_user_units_into_xdg_config_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Paris")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    book = _book(tmp_path / "book.xlsx", locale="en_GB")
    runner = CliRunner()
    result = runner.invoke(app, ["schedule", str(book), "--install", "--systemd"])
    assert result.exit_code == 0, result.output
    units = sorted((tmp_path / "config" / "systemd" / "user").iterdir())
    assert [u.suffix for u in units] == [".service", ".timer"] and units[0].stem == units[1].stem
    assert f"systemctl --user enable --now {units[1].name}" in result.output
    service, timer = (u.read_text() for u in units)
    assert f"ExecStart={EXE} run {book.resolve()}\n" in service and "Type=oneshot" in service
    assert "OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 09:00:00 Europe/Paris" in timer
    assert "WantedBy=timers.target" in timer and f"Unit={units[0].name}" in timer
    assert runner.invoke(app, ["schedule", str(book), "--install", "--systemd"]).exit_code == 0
    assert sorted((tmp_path / "config" / "systemd" / "user").iterdir()) == units  # the same two files
    assert (units[0].read_text(), units[1].read_text()) == (service, timer)
