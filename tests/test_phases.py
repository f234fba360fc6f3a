"""The phase recorder (app/phases.py): which phases a real run reports, and that it changes nothing.

No timing is asserted (speed is measured in benchmarks/): only the keys, that every figure is a
number of seconds, and that the phases account for the recorded total once each.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from relance.app import phases
from relance.app.phases import ENVIRONMENT, OTHER, TOTAL, begin, phase, recording
from relance.demo import build_demo_workbook

RUN_PHASES = {"read", "records", "figures", "plan", "render", "files", "save"}


def test_steps_and_nested_phases_are_counted_once_each(tmp_path: Path) -> None:
    out = tmp_path / "phases.json"
    with recording(out):
        begin("read")
        sum(range(1000))
        with phase("save"):
            begin("inner")  # a begin inside a phase switches the phase's own time, not the outer one
        begin("plan")

        @phase("files")
        def decorated() -> int:
            return 2

        assert decorated() == 2
    found = json.loads(out.read_text())
    assert set(found) == {OTHER, "read", "save", "inner", "plan", "files", TOTAL}
    parts = [v for k, v in found.items() if k != TOTAL]
    assert all(v["wall"] >= 0 and v["cpu"] >= 0 for v in parts)
    assert sum(v["wall"] for v in parts) == pytest.approx(found[TOTAL]["wall"], abs=1e-4)
    assert sum(v["cpu"] for v in parts) == pytest.approx(found[TOTAL]["cpu"], abs=1e-4)


def test_hooks_do_nothing_unless_recording() -> None:
    begin("read")

    @phase("save")
    def f() -> str:
        return "same"

    assert f() == "same"
    assert phases._active() is None


def test_an_unwritable_file_is_said_not_raised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with recording(tmp_path / "missing" / "phases.json"):
        begin("read")
    assert ENVIRONMENT in capsys.readouterr().err


def _cli_run(book: Path, outbox: Path, monkeypatch: pytest.MonkeyPatch, record: Path | None) -> None:
    """`relance run BOOK --json` through the console script's entry point, in this process."""
    from relance import cli

    if record is None:
        monkeypatch.delenv(ENVIRONMENT, raising=False)
    else:
        monkeypatch.setenv(ENVIRONMENT, str(record))
    monkeypatch.setattr(sys, "argv", ["relance", "run", str(book), "--json", "--anytime", "--outbox", str(outbox)])
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code in (0, None)


def test_a_real_run_reports_every_phase_and_the_same_outcome(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    today = dt.datetime.now(ZoneInfo("Europe/Paris")).date()  # a run sends only for today
    plain, timed = tmp_path / "plain.xlsx", tmp_path / "timed.xlsx"
    build_demo_workbook(plain, seed=3, customers=25, invoices=150, as_of=today)
    shutil.copy(plain, timed)
    record = tmp_path / "phases.json"

    results = []
    for book, rec in ((plain, None), (timed, record)):
        capsys.readouterr()
        _cli_run(book, tmp_path / f"outbox-{book.stem}", monkeypatch, rec)
        results.append(capsys.readouterr().out)

    found = json.loads(record.read_text())
    assert set(found) >= RUN_PHASES, found
    assert set(found) <= RUN_PHASES | {OTHER, TOTAL}
    assert {"wall", "cpu", "cpu_before", "peak_mib"} <= set(found[TOTAL])
    parts = [v for k, v in found.items() if k != TOTAL]
    assert sum(v["wall"] for v in parts) == pytest.approx(found[TOTAL]["wall"], abs=1e-3)

    def outcome(text: str) -> dict:
        data = json.loads(text)
        for key in ("run_id", "outbox"):
            data.pop(key)
        for action in data["actions"]:
            action.pop("message_id")
        return data

    first, second = (outcome(t) for t in results)
    assert first["sent"] > 0
    assert first == second
