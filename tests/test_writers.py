"""Every command that writes the workbook or sends holds its run lock, wherever the file is.

Two `relance summary` started together send one e-mail; a command that writes (plan --write,
report --write, baseline, summary) refuses while a run holds the lock and writes nothing; a run
through a symbolic link writes History into the workbook itself, so that a run through its real
path sends nothing again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import customer, invoice, on, tabs
from handmade import write_book
from relance.app.jobs import run, snapshot, write_plan
from relance.channels.outbox import OutboxChannel
from relance.workbook.xlsx import XlsxBackend

ROOT = Path(__file__).resolve().parents[1]
TODAY = on(dt.date.today())


def _book(path: Path) -> Path:
    today = TODAY.date()
    issued = today.replace(day=1) - dt.timedelta(days=80)
    due = issued + dt.timedelta(days=30)
    return write_book(path, tabs([customer("C1"), customer("C2")],
                                 [invoice("F1", "C1", issued.isoformat(), due.isoformat(), 1000),
                                  invoice("F2", "C2", issued.isoformat(), due.isoformat(), 300)]))


def _relance(*args: str, slow_send: float = 0.0, src: Path = ROOT / "src") -> subprocess.Popen[str]:
    """A real `relance` process; `slow_send` stretches the time between its outbox check and
    its send, where two unlocked processes would both find nothing sent yet."""
    code = (
        "import sys, time\n"
        "from relance.channels import outbox\n"
        f"delay = {slow_send}\n"
        "if delay:\n"
        "    send = outbox.OutboxChannel.send\n"
        "    outbox.OutboxChannel.send = lambda self, m: (time.sleep(delay), send(self, m))[1]\n"
        "from relance.cli import main\n"
        "sys.argv = ['relance', *sys.argv[1:]]\n"
        "main()\n"
    )
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(src), "LC_ALL": "fr_FR.UTF-8"})  # French console


def _summaries(outbox: Path) -> list[dict]:
    index = outbox / "index.jsonl"
    lines = [json.loads(line) for line in index.read_text().splitlines()] if index.exists() else []
    return [line for line in lines if line.get("step") == "weekly_summary"]


@pytest.mark.slow
def test_two_summaries_started_together_send_one(tmp_path: Path):
    book = _book(tmp_path / "book.xlsx")
    outbox = tmp_path / "book_outbox"
    for attempt in range(2):
        procs = [_relance("summary", str(book), "--to", "daf@example.fr", slow_send=1.0) for _ in range(2)]
        results = [(p.wait(timeout=120), p.stdout.read() if p.stdout else "", p.stderr.read() if p.stderr else "")
                   for p in procs]
        for p in procs:
            for stream in (p.stdout, p.stderr):
                if stream:
                    stream.close()
        said = " ".join(out + err for _, out, err in results)
        assert len(_summaries(outbox)) == 1, said
        assert len(list(outbox.glob("*weekly_summary*.eml"))) == 1
        codes = sorted(rc for rc, _, _ in results)
        if attempt == 0:  # one sent; the other found the lock taken (exit 3) or the summary sent
            assert codes in ([0, 0], [0, 3]), said
            assert "Synthèse hebdomadaire envoyée à daf@example.fr" in said  # a French workbook
        else:  # the week's summary is out: neither sends it again
            assert codes in ([0, 0], [0, 3]) and "Synthèse hebdomadaire envoyée" not in said, said


@pytest.mark.slow
@pytest.mark.parametrize("command", [
    ["plan", "--write"], ["report", "--write"], ["baseline", "--step", "reminder_1"],
    ["summary", "--to", "daf@example.fr"],
])
def test_a_writing_command_waits_for_no_run_and_writes_nothing(tmp_path: Path, command):
    book = _book(tmp_path / "book.xlsx")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom relance.workbook.xlsx import XlsxBackend\n"
         "with XlsxBackend(sys.argv[1]).run_lock():\n    print('held', flush=True)\n    sys.stdin.read()\n",
         str(book)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        before = book.read_bytes()
        p = _relance(command[0], str(book), *command[1:])
        rc = p.wait(timeout=120)
        err = p.stderr.read() if p.stderr else ""
        assert rc == 3 and "une autre exécution de relance utilise book.xlsx" in err, err  # French: no LANG says otherwise
        assert book.read_bytes() == before and not _summaries(tmp_path / "book_outbox")
    finally:
        holder.kill()
        holder.wait(timeout=30)
        for stream in (holder.stdout, holder.stdin):
            if stream:
                stream.close()


def test_a_run_through_a_link_is_not_sent_again_through_the_real_path(tmp_path: Path):
    (tmp_path / "compta").mkdir()
    book = _book(tmp_path / "compta" / "relances.xlsx")
    link = tmp_path / "bureau.xlsx"
    link.symlink_to(book)
    box = tmp_path / "out"
    first = run(XlsxBackend(link), lambda b: OutboxChannel(box, "t"), TODAY, anytime=True).to_json()
    assert first["sent"] == 2 and link.is_symlink()
    again = run(XlsxBackend(book), lambda b: OutboxChannel(box, "t"), TODAY, anytime=True).to_json()
    assert again["sent"] == 0 and again["planned"] == 0


def test_plan_write_reads_again_a_workbook_changed_since_its_snapshot(tmp_path: Path):
    book = _book(tmp_path / "book.xlsx")
    backend = XlsxBackend(book)
    snap = snapshot(backend, TODAY, None)
    time.sleep(0.01)
    os.utime(book)  # saved by someone meanwhile (a tick in A_valider, a run)
    written = write_plan(backend, snap, "r1")
    assert written is not snap and written.as_of == snap.as_of
    fresh = XlsxBackend(book)
    again = snapshot(fresh, TODAY, None)
    assert write_plan(fresh, again, "r2") is again  # unchanged since it was read: no second read
