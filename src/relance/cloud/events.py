"""`mailjet_events`: the HTTP function Mailjet's Event API posts delivery events to (docs/sending.md).

Mailjet calls the URL registered for each event type with HTTP basic auth in it
(`https://relance:<secret>@host/mailjet_events`); the password must equal
`MAILJET_WEBHOOK_SECRET` (compared in constant time), else 401. A valid body (one event, or an
array of them) is recorded on its workbooks' History rows (app/events.py) and answered 200 at
once: Mailjet posts again whatever is not answered 200, so a workbook held by a run (its lock
taken) or that cannot be reached just now is answered 503 and comes back later; recording the
same events twice changes nothing. Logs are JSON lines with counts and ids only, never an
address. A workbook named by a local path is opened only when `RELANCE_LOCAL_WORKBOOKS=1`
(self-hosting, tests).
"""

from __future__ import annotations

import hmac
import json
import os
import sys
from typing import Any

import functions_framework

from relance.app.connect import open_workbook
from relance.app.events import BadEvents, by_workbook, parse_mailjet, record_events
from relance.engine.errors import RelanceError, WorkbookLocked

_REMOTE = ("gsheet:", "gs://", "excel:")


def _log(severity: str, message: str, **fields: Any) -> None:
    """One structured log line (Cloud Logging reads JSON on stdout): ids and counts only."""
    print(json.dumps({"severity": severity, "message": message, "function": "mailjet_events", **fields}),
          file=sys.stdout, flush=True)


def authorized(username: str | None, password: str | None, secret: str) -> bool:
    """The basic-auth password is the secret (any user name); an unset secret lets nobody in."""
    if not secret or password is None:
        return False
    return hmac.compare_digest(password.encode("utf-8"), secret.encode("utf-8"))


def local_allowed(ref: str) -> bool:
    """A workbook outside the cloud (a local .xlsx path) only when RELANCE_LOCAL_WORKBOOKS=1."""
    return ref.startswith(_REMOTE) or os.environ.get("RELANCE_LOCAL_WORKBOOKS") == "1"


def _answer(status: int, body: dict[str, Any]) -> tuple[str, int, dict[str, str]]:
    headers = {"Content-Type": "application/json"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="relance"'
    return json.dumps(body), status, headers


@functions_framework.http
def mailjet_events(request: Any) -> tuple[str, int, dict[str, str]]:
    """Record Mailjet's delivery events on the History rows of their messages."""
    auth = request.authorization
    if not authorized(getattr(auth, "username", None), getattr(auth, "password", None),
                      os.environ.get("MAILJET_WEBHOOK_SECRET", "")):
        _log("WARNING", "refused: wrong or missing credentials")
        return _answer(401, {"error": "unauthorized"})
    body = request.get_json(silent=True)
    if body is None:
        _log("WARNING", "refused: the body is not JSON")
        return _answer(400, {"error": "a JSON event or array of events is expected"})
    try:
        events = parse_mailjet(body)
    except BadEvents as exc:
        _log("WARNING", "refused: not Mailjet events", reason=str(exc))
        return _answer(400, {"error": str(exc)})
    summary: dict[str, Any] = {"events": len(events), "ignored": 0, "workbooks": {}}
    retry = False
    for ref, group in by_workbook(events).items():
        if not ref or not local_allowed(ref):
            summary["ignored"] += len(group)  # not a relance message, or a workbook this host may not open
            continue
        try:
            recorded = record_events(open_workbook(ref), group)
        except (WorkbookLocked, OSError) as exc:
            retry = True
            _log("WARNING", "workbook busy or unreachable: Mailjet will post again", workbook=ref,
                 events=len(group), error=type(exc).__name__)
            summary["workbooks"][ref] = {"retry": True}
            continue
        except RelanceError as exc:
            _log("ERROR", "events not recorded", workbook=ref, events=len(group), error=type(exc).__name__)
            summary["workbooks"][ref] = {"error": type(exc).__name__}
            continue
        summary["workbooks"][ref] = recorded.to_json()
        _log("INFO", "events recorded", workbook=ref, events=len(group), **recorded.to_json(),
             message_ids=sorted({e.message_id for e in group if e.message_id})[:50])
    return _answer(503 if retry else 200, summary)
