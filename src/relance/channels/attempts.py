"""The attempt journal: which messages a run was about to hand to a transport that cannot be asked.

An SMTP server (and Mailjet's SMS API) keeps no record a client can query, so a `pending` History
row that names one is settled `unknown` after a crash: a person decides. The History rows of a
run are all written `pending` before its first message leaves, so without more a crash at the
10th message of 500 would leave 490 rows for a person to check, although 489 surely never left.

The journal tells them apart. In the run's outbox folder, `.attempts/<run_id>.jsonl` is created
(and the folder synced) before the run saves its rows `pending`; one line per message (its
action key) is appended and fsynced just before that message is handed over, and another with
the transport's answer (`sent` and the message id, or `failed`) as soon as it is known (written,
not fsynced: see `answered`). A later
run opening the same folder reads it, for a blind `pending` row of that run:
- an answer is there: the row takes it (`sent` with its id, or `failed` and planned again);
- the key was noted without an answer: the crash came while the message was being handed over,
  it may have left: `unknown`, a person decides (at most one message per crash for SMTP, at most
  one call's worth for Mailjet's text messages);
- the key is not there: it surely never left: `failed`, sent again.
A journal that cannot be found or read (another folder, a machine whose disk is gone, a Cloud
Function's /tmp) proves nothing: every such row is `unknown`, as without a journal. A line cut
by a kill is ignored: it was never completed, so what followed it never happened.

A journal is read only for a `pending` row of its run, so once History holds every message it
noted settled (`sent`, `failed`, `unknown`...) and no row of its run is `pending`, no reconcile
can need it: `prune` removes it, once it is also older than `KEEP` (far longer than any run, a
retried trigger reusing the run's id, or a backend's lease: a journal still being written, or
whose run's rows another run cannot see yet, is never touched). A journal whose run History
does not know (another workbook sharing the folder, a run whose save failed) is left alone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from relance.disk import fsync_dir

FOLDER = ".attempts"
#: How old a settled journal must be before `prune` removes it.
KEEP = dt.timedelta(days=30)
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def journal_path(outbox: Path, run_id: str) -> Path:
    """Where the journal of run `run_id` lives in that outbox folder."""
    return Path(outbox) / FOLDER / (_SAFE.sub("_", run_id) + ".jsonl")


class AttemptJournal:
    """The journal of one run, created on disk before the run's History rows are saved `pending`
    (so that a row finding no journal knows it was lost, not that nothing was attempted)."""

    def __init__(self, outbox: Path, run_id: str) -> None:
        self.path = journal_path(outbox, run_id)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fsync_dir(self.path.parent.parent)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.fsync(self._fd)
        fsync_dir(self.path.parent)

    def note(self, action_keys: Iterable[str]) -> None:
        """Durably note these keys as about to be handed over; returns once they are on disk."""
        keys = list(action_keys)
        if not keys:
            return
        self._append([{"action_key": k} for k in keys])

    def answered(self, action_key: str, status: str, message_id: str = "") -> None:
        """Note the transport's answer for a message noted before (`sent` or `failed`).

        Not fsynced: a killed process loses nothing it wrote, and should a power cut lose the
        line, the message is only taken back to "noted without an answer" (`unknown`), never to
        "not noted" (which would send it again)."""
        self._append([{"action_key": action_key, "status": status, "message_id": message_id}], sync=False)

    def _append(self, lines: list[dict[str, str]], sync: bool = True) -> None:
        os.write(self._fd, "".join(json.dumps(line) + "\n" for line in lines).encode("utf-8"))
        if sync:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What a run's journal says of one message: noted, and the transport's answer if it came."""

    status: str = ""  # "" (noted, no answer: it may have left), sent, failed
    message_id: str = ""


def attempted(outbox: Path, run_id: str) -> dict[str, Attempt] | None:
    """What run `run_id` noted in that folder's journal, by action key; None when there is no
    journal to read (then nothing can be told)."""
    try:
        raw = journal_path(outbox, run_id).read_bytes()
    except OSError:
        return None
    found: dict[str, Attempt] = {}
    for line in raw.split(b"\n"):
        try:
            entry = json.loads(line)
            key, status = str(entry["action_key"]), str(entry.get("status", ""))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # a line cut by a kill: never completed, so what followed it never happened
        if status or key not in found:
            found[key] = Attempt(status, str(entry.get("message_id", "")))
    return found


def prune(outbox: Path, rows: Iterable[tuple[str, str, str]], now: dt.datetime,
          keep: dt.timedelta = KEEP) -> list[Path]:
    """Remove the journals of that folder no reconcile can need: their run known to History
    (`rows`: every saved History and archive row as (run_id, action_key, status)), none of its
    rows `pending`, every key they noted settled by a row of their run, and older than `keep`
    at `now`. Returns what was removed; a journal that cannot be read or removed is kept."""
    folder = Path(outbox) / FOLDER
    try:
        files = sorted(folder.glob("*.jsonl"))
    except OSError:
        return []
    if not files:
        return []
    by_run: dict[str, dict[str, str]] = {}  # run id -> action key -> status (pending wins)
    for rid, key, status in rows:
        statuses = by_run.setdefault(rid, {})
        if statuses.get(key) != "pending":
            statuses[key] = status
    runs = {journal_path(outbox, rid).name: rid for rid in by_run}
    removed: list[Path] = []
    for path in files:
        run_id = runs.get(path.name)
        if run_id is None:
            continue
        statuses = by_run[run_id]
        if "pending" in statuses.values():
            continue
        try:
            age = now.timestamp() - path.stat().st_mtime
        except OSError:
            continue
        if age < keep.total_seconds():
            continue
        noted = attempted(outbox, run_id)
        if noted is None or any(statuses.get(key, "pending") == "pending" for key in noted):
            continue
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed
