"""Attempt journals are pruned once no reconcile can need them (channels/attempts.prune).

A journal (`.attempts/<run_id>.jsonl` in the outbox folder) is read only to settle a `pending`
row of its run sent through a transport that cannot be asked (SMTP). It goes once History holds
every message it noted settled, no row of its run is pending, and it is older than `KEEP`; a
journal of a run History does not know, one still needed or one young stays.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

from conftest import customer, invoice, on, workbook
from relance.app.executor import reconcile
from relance.app.jobs import run
from relance.channels.attempts import KEEP, AttemptJournal, journal_path, prune
from relance.channels.outbox import OutboxChannel
from relance.channels.smtp import SmtpChannel, SmtpConfig
from relance.engine.history import HistoryEntry
from servers.smtp import SmtpServer

NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
OLD = NOW - KEEP - dt.timedelta(hours=1)
VIA = "smtp:127.0.0.1:2525"


def journal(root: Path, run_id: str, answers: dict[str, str], written: dt.datetime) -> Path:
    """A run's journal as the executor leaves it: each key noted, then its answer ('' for none)."""
    j = AttemptJournal(root, run_id)
    for key, status in answers.items():
        j.note([key])
        if status:
            j.answered(key, status, f"<{key}@dumas.example>" if status == "sent" else "")
    j.close()
    path = journal_path(root, run_id)
    os.utime(path, (written.timestamp(), written.timestamp()))
    return path


def row(run_id: str, key: str, status: str) -> HistoryEntry:
    return HistoryEntry(run_id, OLD.isoformat(), key, "C1", ("F1",), "standard", "reminder_1", "email",
                        "compta@c1.example", status, "", Decimal("100"), "EUR", "", OLD.date(), VIA)


def test_only_a_journal_every_attempt_of_which_is_settled_and_old_enough_goes(tmp_path: Path):
    root = tmp_path / "outbox"
    settled = journal(root, "run-1", {"K1": "sent", "K2": "failed"}, OLD)
    crashed = journal(root, "run-2", {"K3": "sent", "K4": ""}, OLD)  # killed while handing K4 over
    young = journal(root, "run-3", {"K5": "sent"}, NOW - KEEP + dt.timedelta(hours=1))
    foreign = journal(root, "run-4", {"K6": "sent"}, OLD)  # another workbook's run, sharing the folder
    missing = journal(root, "run-5", {"K7": "sent", "K8": "sent"}, OLD)  # K8's row is not in History
    odd = journal(root, "run:6/x", {"K9": "unknown"}, OLD)  # a run id made safe for a file name
    history = [row("run-1", "K1", "sent"), row("run-1", "K2", "failed"), row("run-1", "K2", "sent"),
               row("run-2", "K3", "sent"), row("run-2", "K4", "pending"),
               row("run-3", "K5", "sent"), row("run-5", "K7", "sent"), row("run:6/x", "K9", "unknown")]
    removed = prune(root, ((e.run_id, e.action_key, e.status) for e in history), NOW)
    assert sorted(removed) == sorted([settled, odd])
    assert not settled.exists() and not odd.exists()
    assert crashed.exists() and young.exists() and foreign.exists() and missing.exists()
    # the journal kept is the one the next run needs: K4 may have left, it is `unknown`, never resent
    done = reconcile([e for e in history if e.run_id == "run-2"], OutboxChannel(root, "t", NOW), frozenset(),
                     lang="en")
    assert [(e.action_key, e.status) for e in done.entries] == [("K3", "sent"), ("K4", "unknown")]
    # a second pass finds nothing more to remove; an outbox without journals is no error
    assert prune(root, ((e.run_id, e.action_key, e.status) for e in history), NOW) == []
    assert prune(tmp_path / "nowhere", [], NOW) == []


def test_the_daily_run_through_smtp_prunes_the_journals_of_its_settled_runs(tmp_path: Path):
    wb = workbook([customer("C1"), customer("C2")],
                  [invoice("F1", "C1", "2026-09-01", "2026-10-01", 1000),
                   invoice("F2", "C2", "2026-09-01", "2026-10-01", 500)])
    root = tmp_path / "outbox"
    with SmtpServer() as server:
        def smtp(now: dt.datetime):
            config = SmtpConfig(host="127.0.0.1", port=server.port, security="none", timeout=5, wait_first=0,
                                wait_max=0)
            return lambda b: SmtpChannel(config, OutboxChannel(root, "t", now), now, lang="fr", sleep=lambda s: None)

        first_day = dt.date(2026, 10, 8)
        first = run(wb, smtp(on(first_day)), on(first_day), anytime=True)
        assert first.to_json()["sent"] == 2
        j1 = journal_path(root, first.run_id)
        assert j1.exists()  # the run just made is never pruned by itself: too young
        os.utime(j1, (on(first_day).timestamp(),) * 2)
        # a week later: the run sends the next reminders; the first journal is settled but kept (young)
        week = first_day + dt.timedelta(days=7)
        second = run(wb, smtp(on(week)), on(week), anytime=True)
        assert second.to_json()["sent"] == 2
        j2 = journal_path(root, second.run_id)
        os.utime(j2, (on(week).timestamp(),) * 2)
        assert j1.exists() and j2.exists()
        # past KEEP after the first run: its journal goes, the second's stays until its own time
        later = first_day + KEEP + dt.timedelta(days=1)
        run(wb, smtp(on(later)), on(later), anytime=True)
        assert not j1.exists() and j2.exists()
        assert len(server.received) >= 4
