"""Exactly once without a lock: overlapping runs on one spreadsheet never send an action twice.

A spreadsheet has no lock and no compare-and-swap; Google serialises appends to a sheet. Each
run appends its `pending` History rows, reads back what was appended since its own read, and
sends only the actions whose first row there is its own (GsheetBackend.claim); another run's
`pending` row younger than the lease is left alone, blocking, and settled once the lease is over.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import CLASSIC, customer, invoice, on, tabs
from relance.app.jobs import run
from relance.channels.outbox import OutboxChannel
from relance.workbook.gsheet import GsheetBackend, Retry
from servers.sheets import Fault, SheetsServer, service_account_key

DAY = dt.date(2025, 3, 31)
TICK = dt.timedelta(microseconds=1)  # two runs are two run ids (run_id_for: to the microsecond)


@pytest.fixture
def server():
    with SheetsServer(require_auth=True) as s:
        yield s


@pytest.fixture
def env(server: SheetsServer, tmp_path: Path) -> dict[str, str]:
    return {"GOOGLE_APPLICATION_CREDENTIALS": service_account_key(server, tmp_path / "sa.json"),
            "RELANCE_SHEETS_API_URL": server.url}


def book(n: int = 4, due: dt.date = dt.date(2025, 3, 20)) -> dict:
    return tabs([customer(f"C{i}") for i in range(1, n + 1)],
                [invoice(f"F{i}", f"C{i}", "2025-01-01", due.isoformat(), 100 * i) for i in range(1, n + 1)],
                Scenarios=CLASSIC)


class Racing(GsheetBackend):
    """A backend that lets another run go at one point of this one (once)."""

    def __init__(self, *args, before_write=None, after_claim=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.before_write, self.after_claim = before_write, after_claim

    def write(self, tabs):
        if self.before_write is not None:
            go, self.before_write = self.before_write, None
            go()
        super().write(tabs)

    def claim(self, tab, run_id, keys):
        mine = super().claim(tab, run_id, keys)
        if self.after_claim is not None:
            go, self.after_claim = self.after_claim, None
            go()
        return mine


def sent_keys(*boxes: Path) -> Counter:
    found: Counter = Counter()
    for box in boxes:
        index = box / "index.jsonl"
        if index.exists():
            found.update(json.loads(line)["action_key"] for line in index.read_text().splitlines() if line)
    return found


def history(server: SheetsServer, sid: str) -> list[list]:
    return server.values(sid, "Historique")[1:]


@pytest.mark.parametrize("earlier", [False, True], ids=["first-runs", "with-history"])
def test_two_runs_that_planned_the_same_actions_send_each_once(server, env, tmp_path, earlier):
    sid = server.add_book(tabs=book())
    day = DAY
    if earlier:  # a run a week before: History, A_valider, Taches and Anomalies exist
        run(GsheetBackend(f"gsheet:{sid}", env), lambda b: OutboxChannel(tmp_path / "before", "t"), on(DAY - dt.timedelta(days=6)),
            anytime=True)
        day = DAY + dt.timedelta(days=9)
    results = {}

    def other() -> None:  # B reads the same History as A, then goes all the way first
        results["B"] = run(GsheetBackend(f"gsheet:{sid}", env), lambda b: OutboxChannel(tmp_path / "B", "t"),
                           on(day) + TICK, anytime=True).to_json()

    a = Racing(f"gsheet:{sid}", env, before_write=other)
    results["A"] = run(a, lambda b: OutboxChannel(tmp_path / "A", "t"), on(day), anytime=True).to_json()
    assert results["B"]["sent"] == 4 and results["A"]["sent"] == 0  # B's rows were appended first
    assert Counter(a["status"] for a in results["A"]["actions"]) == {"skipped": 4}
    keys = sent_keys(tmp_path / "A", tmp_path / "B")
    assert len(keys) == 4 and set(keys.values()) == {1}  # zero duplicates, zero lost
    rows = [r for r in history(server, sid) if r[14] == (day - dt.date(1899, 12, 30)).days]
    assert Counter(r[9] for r in rows) == {"envoyé": 4, "non envoyé": 4}
    # the next run sends nothing more
    again = run(GsheetBackend(f"gsheet:{sid}", env), lambda b: OutboxChannel(tmp_path / "C", "t"), on(day), anytime=True)
    assert again.to_json()["sent"] == 0


def test_a_run_reading_while_another_sends_leaves_its_pending_rows_alone(server, env, tmp_path):
    sid = server.add_book(tabs=book())
    results = {}

    def other() -> None:  # B reads after A's pending rows are in History, before A completes them
        results["B"] = run(GsheetBackend(f"gsheet:{sid}", env), lambda b: OutboxChannel(tmp_path / "B", "t"),
                           on(DAY) + TICK, anytime=True).to_json()

    a = Racing(f"gsheet:{sid}", env, after_claim=other)
    results["A"] = run(a, lambda b: OutboxChannel(tmp_path / "A", "t"), on(DAY), anytime=True).to_json()
    assert results["A"]["sent"] == 4 and results["B"]["sent"] == 0
    assert results["B"]["settled_pending"] == 0  # A's rows were not reconciled under A's feet
    assert set(sent_keys(tmp_path / "A", tmp_path / "B").values()) == {1}
    assert Counter(r[9] for r in history(server, sid)) == {"envoyé": 4}


def test_a_crashed_runs_pending_rows_are_settled_once_the_lease_is_over(server, env, tmp_path):
    sid = server.add_book(tabs=book())
    box = tmp_path / "out"

    class Crashing(GsheetBackend):
        writes = 0

        def write(self, tabs):
            self.writes += 1
            if self.writes == 2:  # the messages left; the process dies before History is completed
                raise KeyboardInterrupt
            super().write(tabs)

    with pytest.raises(KeyboardInterrupt):
        run(Crashing(f"gsheet:{sid}", env), lambda b: OutboxChannel(box, "t"), on(DAY), anytime=True)
    assert Counter(r[9] for r in history(server, sid)) == {"en attente": 4}
    soon = run(GsheetBackend(f"gsheet:{sid}", env), lambda b: OutboxChannel(box, "t"),
               on(DAY) + dt.timedelta(minutes=20), anytime=True).to_json()
    assert soon["sent"] == 0 and soon["settled_pending"] == 0  # perhaps still working: left alone
    later = run(GsheetBackend(f"gsheet:{sid}", env), lambda b: OutboxChannel(box, "t"),
                on(DAY) + dt.timedelta(hours=3), anytime=True).to_json()
    assert later["sent"] == 0 and later["settled_pending"] == 4  # found in the outbox: sent, never again
    assert Counter(r[9] for r in history(server, sid)) == {"envoyé": 4}
    assert set(sent_keys(box).values()) == {1}


def test_a_pending_write_applied_before_its_answer_was_lost_during_a_race(server, env, tmp_path):
    sid = server.add_book(tabs=book())
    results = {}

    def other() -> None:
        server.faults.append(Fault("batchUpdate", 503, after_apply=True))  # B's pending rows land, B hears 503
        results["B"] = run(GsheetBackend(f"gsheet:{sid}", env, retry=Retry(sleep=lambda s: None)),
                           lambda b: OutboxChannel(tmp_path / "B", "t"), on(DAY) + TICK, anytime=True).to_json()

    a = Racing(f"gsheet:{sid}", env, before_write=other)
    results["A"] = run(a, lambda b: OutboxChannel(tmp_path / "A", "t"), on(DAY), anytime=True).to_json()
    assert results["A"]["sent"] + results["B"]["sent"] == 4
    assert set(sent_keys(tmp_path / "A", tmp_path / "B").values()) == {1}
    assert len(history(server, sid)) == 8  # B's rows once, A's once


def test_two_real_processes_at_once_never_send_twice(server, env, tmp_path):
    today = dt.datetime.now(dt.UTC).date()
    n = 30
    t = tabs([customer(f"C{i:02d}") for i in range(n)],
             [invoice(f"F{i:02d}", f"C{i:02d}", (today - dt.timedelta(days=60)).isoformat(),
                      (today - dt.timedelta(days=10)).isoformat(), 100 + i) for i in range(n)],
             Scenarios=CLASSIC)
    sid = server.add_book(tabs=t)
    server.faults.append(Fault("batchUpdate", 503, after_apply=True))  # one write lands, its answer is lost
    relance = Path(sys.executable).with_name("relance")
    child_env = {**os.environ, **env, "RELANCE_SHEETS_RETRY_WAIT": "0.01"}
    procs = [subprocess.Popen([str(relance), "run", f"gsheet:{sid}", "--anytime", "--json", "--outbox",
                               str(tmp_path / name)], env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for name in ("P1", "P2")]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-2000:]
    reports = [json.loads(out) for out, _ in outs]
    keys = sent_keys(tmp_path / "P1", tmp_path / "P2")
    assert len(keys) == n and set(keys.values()) == {1}  # zero lost, zero duplicates
    assert sum(r["sent"] for r in reports) == n
    rows = history(server, sid)
    assert Counter(r[9] for r in rows)["envoyé"] == n
    assert not [r for r in rows if r[9] == "en attente"]
