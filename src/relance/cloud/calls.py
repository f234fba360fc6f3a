"""What a Cloud Function receives and answers: the JSON body, the refusals, the language.

A refused call answers a 4xx with `{"error": {"code", "message", "fix"}}` in the caller's language
(the body's `lang`, else the Accept-Language header, else French); nothing is sent.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from relance.app.connect import CHANNELS
from relance.engine.catalog import cloud as C
from relance.engine.errors import SaidError, said
from relance.engine.i18n import Said

JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
Response = tuple[str, int, dict[str, str]]
#: References that name a workbook in the cloud; anything else is a local path.
REMOTE_PREFIXES = ("gsheet:", "gs://", "excel:")


class Request(Protocol):
    """What the functions use of a flask.Request (functions-framework's HTTP argument)."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    def get_data(self) -> bytes: ...


class Refusal(Exception):
    """A call refused before anything is done: its HTTP status, what is wrong and the fix."""

    def __init__(self, status: int, code: str, problem: Said | str, fix: Said | str = "") -> None:
        super().__init__(code)
        self.status, self.code, self.problem, self.fix = status, code, said(problem), said(fix)

    def body(self, lang: str) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.problem.text(lang),
                          "fix": self.fix.text(lang) if self.fix else ""}}


@dataclass(frozen=True)
class RunRequest:
    """A daily run asked for: the workbooks, the channel (None: each workbook's Settings `channel`)
    and whether to ignore the send window."""

    workbooks: tuple[str, ...]
    channel: str | None = None
    anytime: bool = False

    def message(self, book: str, run_id: str) -> dict[str, Any]:
        """The Pub/Sub message for one of the workbooks (fanout.dispatch -> fanout.worker)."""
        return {"workbook": book, "run_id": run_id, "channel": self.channel, "anytime": self.anytime}


def answer(body: Mapping[str, Any], status: int = 200) -> Response:
    return json.dumps(body, ensure_ascii=False), status, dict(JSON_HEADERS)


def refused(refusal: Refusal, lang: str) -> Response:
    return answer(refusal.body(lang), refusal.status)


def error_body(code: str, exc: SaidError, lang: str) -> dict[str, Any]:
    return {"code": code, "message": exc.text(lang), "fix": exc.hint_text(lang)}


def language(request: Request, body: Mapping[str, Any] | None = None) -> str:
    """The caller's language: the body's `lang`, else the first of Accept-Language, else French."""
    wanted = body.get("lang") if body else None
    if isinstance(wanted, str) and wanted[:2].lower() in ("fr", "en"):
        return wanted[:2].lower()
    accept = request.headers.get("Accept-Language", "") or ""
    for part in accept.split(","):
        tag = part.split(";")[0].strip()[:2].lower()
        if tag in ("fr", "en"):
            return tag
    return "fr"


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; a Refusal (400) for anything else."""
    raw = request.get_data() or b""
    try:
        body = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, ValueError):
        body = None
    if not isinstance(body, dict):
        raise Refusal(400, "bad_body", C.CLOUD_BAD_BODY(),
                      C.CLOUD_BAD_BODY_FIX(example='{"workbook": "gsheet:<id>"}'))
    return body


def local_allowed(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get("RELANCE_LOCAL_WORKBOOKS", "").strip() == "1"


def workbook_field(value: object, field: str, environ: Mapping[str, str] | None = None) -> str:
    """One workbook reference, checked: a non-empty string; a local path only when allowed."""
    if not isinstance(value, str) or not value.strip():
        raise Refusal(400, "bad_field", C.CLOUD_BAD_FIELD(field=field, value=json.dumps(value)[:80]),
                      C.CLOUD_BAD_FIELD_FIX(field=field, expected="gsheet:<id> | gs://<bucket>/<file>.xlsx"))
    book = value.strip()
    if not book.startswith(REMOTE_PREFIXES) and not local_allowed(environ):
        raise Refusal(400, "local_workbook", C.CLOUD_LOCAL_REFUSED(book=repr(book)), C.CLOUD_LOCAL_REFUSED_FIX())
    return book


def run_request(body: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> RunRequest:
    """The body of daily_run and dispatch (`workbook` or `workbooks`, `channel`, `anytime`)."""
    if "workbooks" in body:
        books = body["workbooks"]
        if not isinstance(books, list) or not books:
            raise Refusal(400, "no_workbook", C.CLOUD_NO_WORKBOOK(), C.CLOUD_NO_WORKBOOK_FIX())
        found = tuple(dict.fromkeys(workbook_field(b, "workbooks", environ) for b in books))
    elif "workbook" in body:
        found = (workbook_field(body["workbook"], "workbook", environ),)
    else:
        raise Refusal(400, "no_workbook", C.CLOUD_NO_WORKBOOK(), C.CLOUD_NO_WORKBOOK_FIX())
    channel = body.get("channel")
    if channel is not None and channel not in CHANNELS:
        raise Refusal(400, "bad_field", C.CLOUD_BAD_FIELD(field="channel", value=json.dumps(channel)[:80]),
                      C.CLOUD_BAD_FIELD_FIX(field="channel", expected=" | ".join(CHANNELS)))
    anytime = body.get("anytime", False)
    if not isinstance(anytime, bool):
        raise Refusal(400, "bad_field", C.CLOUD_BAD_FIELD(field="anytime", value=json.dumps(anytime)[:80]),
                      C.CLOUD_BAD_FIELD_FIX(field="anytime", expected="true | false"))
    return RunRequest(found, channel, anytime)


def schedule_run_id(value: str | None) -> str | None:
    """The run id of a scheduled run, from Cloud Scheduler's `X-CloudScheduler-ScheduleTime`
    (RFC 3339, the same on every retry of one scheduled run): `sched-20261201T070000Z`.

    Two attempts with the same schedule time are the same run: History and Anomalies name them
    alike. None when there is no header (a call by hand: the run is named from its own time).
    """
    if value is None or not value.strip():
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise Refusal(400, "bad_schedule_time", C.CLOUD_BAD_SCHEDULE_TIME(value=repr(value[:40])),
                      C.CLOUD_BAD_SCHEDULE_TIME_FIX())
    return "sched-" + when.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
