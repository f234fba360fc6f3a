"""One workbook's daily run from a Cloud Function: the job, its outcome as HTTP, its log line.

The same job as `relance run --json` (relance.app.jobs.run), with the channel the call names or
else the workbook's Settings `channel`. Exactly once rests on the run semantics, not on the
function: every action has a deterministic key and its History row is written before it is sent,
so a second attempt of the same run (a Scheduler retry, a Pub/Sub redelivery, a second click)
finds it in History and sends nothing more; two attempts at once meet the run lock (409).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relance.app.connect import default_outbox, open_channel, open_workbook
from relance.app.jobs import run
from relance.cloud.calls import REMOTE_PREFIXES, error_body
from relance.cloud.logs import log, workbook_ref
from relance.engine.book import Book
from relance.engine.catalog import cloud as C
from relance.engine.errors import ChannelError, RelanceError, WorkbookLocked


@dataclass(frozen=True)
class Outcome:
    """What one workbook's run answers: an HTTP status (200 ran; 409 busy, 502 a transport
    failed, worth a retry; 422 the workbook or the settings need a person) and its JSON."""

    status: int
    body: dict[str, Any]

    @property
    def retry(self) -> bool:
        """Whether trying again later may succeed (a redelivery, a Scheduler retry)."""
        return self.status in (409, 500, 502, 503)


def outbox_for(book: str, environ: Mapping[str, str]) -> Path:
    """The outbox folder of a workbook: under RELANCE_OUTBOX_DIR when set (one sub-folder per
    workbook), else beside a local workbook, else under the temporary directory."""
    root = environ.get("RELANCE_OUTBOX_DIR", "").strip()
    local = not book.startswith(REMOTE_PREFIXES)
    if not root and local:
        return default_outbox(book)
    stem = re.sub(r"[^\w.-]+", "_", Path(book.rstrip("/")).stem)[:40] or "book"
    name = f"{stem}-{hashlib.sha256(book.encode()).hexdigest()[:8]}_outbox"
    return Path(root) / name if root else Path(tempfile.gettempdir()) / "relance-outbox" / name


def run_workbook(book: str, channel: str | None, anytime: bool, run_id: str | None,
                 now: dt.datetime, lang: str = "fr", environ: Mapping[str, str] | None = None,
                 function: str = "daily_run") -> Outcome:
    """Run the daily job on one workbook; never raises for a workbook's or a transport's problem."""
    env = os.environ if environ is None else environ
    ref = workbook_ref(book)
    outbox = outbox_for(book, env)

    def factory(workbook: Book) -> Any:
        name = channel or workbook.settings.channel
        return open_channel(name, book, now, outbox, None, env)(workbook)

    # Each attempt writes History under an id of its own, the scheduled run's id plus a suffix: the
    # rows still read as that run's, and a backend without a run lock (a shared spreadsheet), which
    # tells two overlapping runs apart by their run id, never takes a retry's rows for its own.
    attempt = f"{run_id}.{secrets.token_hex(3)}" if run_id else None
    try:
        result = run(open_workbook(book), factory, now, anytime=anytime, run_id=attempt)
    except WorkbookLocked as exc:
        return _failed(409, "busy", exc, book, ref, run_id, lang, function)
    except ChannelError as exc:
        return _failed(502, "channel", exc, book, ref, run_id, lang, function)
    except RelanceError as exc:
        return _failed(422, type(exc).__name__, exc, book, ref, run_id, lang, function)
    except Exception as exc:  # a bug: said without a traceback in the answer, the kind in the log
        log("ERROR", "run crashed", run_id=run_id, workbook_ref=ref, kind=type(exc).__name__, function=function)
        said = C.CLOUD_FAILED(kind=type(exc).__name__)
        return Outcome(500, {"workbook": book, "workbook_ref": ref, "ok": False,
                             "error": {"code": "internal", "message": said.text(lang),
                                       "fix": C.CLOUD_FAILED_FIX().text(lang)}})
    summary = result.to_json()
    log("INFO", "run done", run_id=summary["run_id"], workbook_ref=ref, function=function,
        planned=summary["planned"], sent=summary["sent"], failed=summary["failed"],
        skipped=summary["skipped"], awaiting_approval=summary["awaiting_approval"],
        deferred=summary["deferred"], settled_pending=summary["settled_pending"],
        unsettled_pending=summary["unsettled_pending"], tasks_created=summary["tasks_created"])
    return Outcome(200, {"workbook": book, "workbook_ref": ref, "ok": True, "summary": summary})


def _failed(status: int, code: str, exc: RelanceError, book: str, ref: str, run_id: str | None,
            lang: str, function: str) -> Outcome:
    log("WARNING" if status == 409 else "ERROR", "run refused" if status < 500 else "run failed",
        run_id=run_id, workbook_ref=ref, status=status, code=code, function=function)
    return Outcome(status, {"workbook": book, "workbook_ref": ref, "ok": False,
                            "error": error_body(code, exc, lang)})


def overall_status(outcomes: list[Outcome]) -> int:
    """One status for several workbooks: 200 when every one ran, else the first that asks for a
    retry (so that Scheduler tries again: the workbooks done send nothing more), else 422."""
    if all(o.status == 200 for o in outcomes):
        return 200
    retry = [o.status for o in outcomes if o.retry]
    return max(retry) if retry else max(o.status for o in outcomes)
