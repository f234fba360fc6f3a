"""`menu_action`: what the Sheets menu asks of relance, for the person at the spreadsheet.

Body: `{"action": "refresh" | "preview" | "send" | "dashboard" | "check", "workbook": ..., "lang"?,
"channel"?}` with the Apps Script identity token in `Authorization: Bearer` (relance.cloud.identity).
Who may act: for a `gsheet:` workbook, a person who may edit that spreadsheet (its Drive sharing
list, read as the service account: their address, their domain, or anyone with the link, as
editor); RELANCE_MENU_USERS, when set, must list them too. For another workbook the list alone
decides. The caller is checked before the body is read, the spreadsheet's sharing after.
`send` is "send now": it ignores the daily send window, yet sends nothing twice (History) and
nothing inside a customer's cooldown (the planner's gap); a second click while the first is
still sending meets the run lock (409). Refusals answer 4xx in the caller's language.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

from relance.app.connect import open_workbook
from relance.app.jobs import (
    RunResult,
    month_period,
    report_bundle,
    run_id_for,
    snapshot,
    write_dashboard,
    write_plan,
)
from relance.app.sharing import may_edit
from relance.app.templates import check_templates
from relance.cloud.calls import (
    Refusal,
    Request,
    Response,
    answer,
    error_body,
    json_body,
    language,
    refused,
)
from relance.cloud.calls import run_request as _run_request
from relance.cloud.identity import Caller, verify_caller
from relance.cloud.logs import log, workbook_ref
from relance.cloud.runs import run_workbook
from relance.engine.anomaly import Anomaly
from relance.engine.catalog import cloud as C
from relance.engine.errors import ChannelError, RelanceError, WorkbookLocked

ACTIONS = ("refresh", "preview", "send", "dashboard", "check")
Clock = Callable[[], dt.datetime]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def menu_action(request: Request, clock: Clock = _utcnow) -> Response:
    """Verify the caller, then do the menu's action on the workbook and answer its JSON."""
    lang = language(request)
    try:
        try:
            body: dict[str, Any] | None = json_body(request)
        except Refusal as bad_body:  # said after the caller is known: a stranger learns nothing
            body, refusal = None, bad_body
        lang = language(request, body)
        caller = verify_caller(request, list_required=False)
        if body is None:
            raise refusal
        action = body.get("action")
        if action not in ACTIONS:
            raise Refusal(400, "unknown_action", C.MENU_UNKNOWN_ACTION(action=repr(action)),
                          C.MENU_UNKNOWN_ACTION_FIX(actions=", ".join(ACTIONS)))
        asked = _run_request({k: body[k] for k in ("workbook", "channel") if k in body})
        _may_act(caller, asked.workbooks[0])
    except Refusal as refusal:
        log("WARNING", "menu call refused", code=refusal.code, status=refusal.status, function="menu_action")
        return refused(refusal, lang)
    book = asked.workbooks[0]
    ref = workbook_ref(book)
    now = clock()
    log("INFO", "menu call", action=action, workbook_ref=ref, caller_ref=caller.ref, function="menu_action")
    if action == "send":
        outcome = run_workbook(book, asked.channel, True, None, now, lang, function="menu_action")
        return answer({"action": action, **outcome.body}, outcome.status)
    try:
        data = _act(str(action), book, now)
    except WorkbookLocked as exc:
        return answer({"action": action, "workbook_ref": ref, "ok": False,
                       "error": error_body("busy", exc, lang)}, 409)
    except ChannelError as exc:
        return answer({"action": action, "workbook_ref": ref, "ok": False,
                       "error": error_body("channel", exc, lang)}, 502)
    except RelanceError as exc:
        return answer({"action": action, "workbook_ref": ref, "ok": False,
                       "error": error_body(type(exc).__name__, exc, lang)}, 422)
    return answer({"action": action, "workbook": book, "workbook_ref": ref, "ok": True, **data})


def _may_act(caller: Caller, book: str) -> None:
    """Refuse (403) a caller who may not edit the `gsheet:` workbook, or, for another workbook,
    who is not on RELANCE_MENU_USERS; 502 when the spreadsheet's sharing cannot be read."""
    if not book.startswith("gsheet:"):
        if not os.environ.get("RELANCE_MENU_USERS", "").strip():  # the list is the only rule there
            raise Refusal(403, "not_allowed", C.MENU_NOT_ALLOWED(), C.MENU_NOT_ALLOWED_FIX())
        return
    try:
        editor = may_edit(book, caller.email)
    except RelanceError as exc:
        raise Refusal(502, "sharing_unknown", C.MENU_SHARING_UNKNOWN(why=exc.said), exc.fix) from None
    if not editor:
        raise Refusal(403, "not_editor", C.MENU_NOT_EDITOR(email=caller.email), C.MENU_NOT_EDITOR_FIX())


def _act(action: str, book: str, now: dt.datetime) -> dict[str, Any]:
    backend = open_workbook(book)
    if action == "dashboard":
        snap = snapshot(backend, now, None, for_report=True)
        report, extras = report_bundle(snap, month_period(None, snap.as_of))
        write_dashboard(backend, snap, report, extras)
        return {"as_of": snap.as_of.isoformat(), "written": "dashboard"}
    snap = snapshot(backend, now, None)
    lang = snap.book.language
    if action == "check":
        found = [*snap.anomalies, *check_templates(snap.book)]
        return {"as_of": snap.as_of.isoformat(), "anomalies": [anomaly_json(a, lang) for a in found]}
    result = RunResult(run_id_for(now), snap, True)
    if action == "refresh":
        write_plan(backend, snap, result.run_id)
    data = result.to_json()
    data["anomalies"] = [anomaly_json(a, lang) for a in snap.anomalies]
    return {"written": "plan" if action == "refresh" else None, "summary": data}


def anomaly_json(a: Anomaly, lang: str) -> dict[str, Any]:
    """An anomaly as `relance check --json` gives it."""
    return {"severity": str(a.severity), "tab": a.source.tab, "cell": a.source.cell, "column": a.source.header,
            "value": a.value, "problem": a.problem.text(lang), "hint": a.hint.text(lang), "code": a.code,
            "message": a.text(lang)}
