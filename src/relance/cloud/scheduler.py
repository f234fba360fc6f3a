"""`daily_run`: the daily job as an HTTP Cloud Function, called by Cloud Scheduler.

Deployed without unauthenticated access, so the platform checks Scheduler's OIDC token before
the call reaches this code. Body: `{"workbook": ...}` or `{"workbooks": [...]}`, optional
`"channel"` and `"anytime": true`. Scheduler is at-least-once: it retries a run that failed or
outlived its attempt deadline with the same `X-CloudScheduler-ScheduleTime`, from which the run id
is made (`sched-<UTC time>`), and the retry sends nothing more (see relance.cloud.runs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from relance.cloud.calls import (
    Refusal,
    Request,
    Response,
    answer,
    json_body,
    language,
    refused,
    run_request,
    schedule_run_id,
)
from relance.cloud.logs import log
from relance.cloud.runs import overall_status, run_workbook

Clock = Callable[[], dt.datetime]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def daily_run(request: Request, clock: Clock = _utcnow) -> Response:
    """Run the daily job on each workbook named; 200 with one summary per workbook."""
    lang = language(request)
    try:
        body = json_body(request)
        lang = language(request, body)
        asked = run_request(body)
        run_id = schedule_run_id(request.headers.get("X-CloudScheduler-ScheduleTime"))
    except Refusal as refusal:
        log("WARNING", "daily_run refused", code=refusal.code, status=refusal.status, function="daily_run")
        return refused(refusal, lang)
    now = clock()
    outcomes = [run_workbook(book, asked.channel, asked.anytime, run_id, now, lang) for book in asked.workbooks]
    status = overall_status(outcomes)
    return answer({"run_id": run_id, "workbooks": [o.body for o in outcomes]}, status)
