"""Many workbooks a day: `dispatch` publishes one Pub/Sub message per workbook, `worker` runs one.

`dispatch` is an HTTP function (Cloud Scheduler calls it as it calls daily_run) that publishes
through Pub/Sub's REST API (`POST {api}/v1/projects/{project}/topics/{topic}:publish`, up to 1,000
messages a call) with google-auth's AuthorizedSession; RELANCE_PUBSUB_API_URL points it at
another server (an emulator, the tests' stand-in), RELANCE_PUBSUB_ANONYMOUS=1 drops the
credentials for an emulator that wants none.
`worker` is a CloudEvent function (an Eventarc Pub/Sub trigger: a binary-mode CloudEvent
whose data is the push envelope `{"message": {"data", "messageId", ...}, "subscription"}`).

Pub/Sub delivers at least once, to any of many instances, so nothing here is remembered in
memory: each message carries the run id made from the schedule time, and a redelivered message
(same message id, or the same workbook and schedule time published twice) is the same run of
relance.app.jobs, which finds its actions in History and sends nothing more. A run that may
succeed later (the workbook busy, a transport down) raises, so the push is not acknowledged and
Pub/Sub delivers it again (then to the dead-letter topic); a message that can never run (bad
content, a workbook a person must fix) is acknowledged and logged as an ERROR.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from relance.cloud.calls import (
    Refusal,
    Request,
    Response,
    RunRequest,
    answer,
    json_body,
    language,
    refused,
    run_request,
    schedule_run_id,
    workbook_field,
)
from relance.cloud.logs import log, workbook_ref
from relance.cloud.runs import run_workbook
from relance.engine.catalog import cloud as C

PUBSUB_API = "https://pubsub.googleapis.com"
PUBSUB_SCOPE = "https://www.googleapis.com/auth/pubsub"
PUBLISH_BATCH = 1000  # Pub/Sub's limit of messages per publish call
Clock = Callable[[], dt.datetime]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RetryLater(Exception):
    """Raised by the worker so that Pub/Sub delivers the message again (the push gets a 500)."""


def dispatch(request: Request, clock: Clock = _utcnow) -> Response:
    """Publish one message per workbook named; 200 with the run id and the message ids."""
    lang = language(request)
    try:
        body = json_body(request)
        lang = language(request, body)
        asked = run_request(body)
        run_id = schedule_run_id(request.headers.get("X-CloudScheduler-ScheduleTime"))
        target = topic_url(os.environ)
    except Refusal as refusal:
        log("WARNING", "dispatch refused", code=refusal.code, status=refusal.status, function="dispatch")
        return refused(refusal, lang)
    run_id = run_id or "manual-" + clock().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    ids: list[str] = []
    try:
        ids = publish(target, [_message(asked, book, run_id) for book in asked.workbooks], os.environ, ids)
    except PublishError as exc:
        log("ERROR", "dispatch could not publish", run_id=run_id, published=len(ids),
            workbooks=len(asked.workbooks), code=exc.code, function="dispatch")
        problem = C.CLOUD_PUBLISH_FAILED(why=exc.code, n=len(ids), total=len(asked.workbooks))
        return answer({"run_id": run_id, "published": len(ids), "error": {
            "code": "publish_failed", "message": problem.text(lang),
            "fix": C.CLOUD_PUBLISH_FAILED_FIX().text(lang)}}, 502)
    log("INFO", "dispatched", run_id=run_id, published=len(ids), function="dispatch")
    return answer({"run_id": run_id, "published": len(ids), "message_ids": ids})


def _message(asked: RunRequest, book: str, run_id: str) -> dict[str, Any]:
    data = json.dumps(asked.message(book, run_id), ensure_ascii=False).encode("utf-8")
    return {"data": base64.b64encode(data).decode("ascii"),
            "attributes": {"run_id": run_id, "workbook_ref": workbook_ref(book)}}


def topic_url(environ: Mapping[str, str]) -> str:
    """The publish URL of the topic named by RELANCE_PUBSUB_TOPIC (a name, or
    `projects/<p>/topics/<t>`) in RELANCE_PUBSUB_PROJECT or GOOGLE_CLOUD_PROJECT."""
    topic = environ.get("RELANCE_PUBSUB_TOPIC", "").strip()
    if not topic:
        raise Refusal(500, "not_configured", C.CLOUD_NOT_CONFIGURED(name="RELANCE_PUBSUB_TOPIC"),
                      C.MENU_NOT_CONFIGURED_FIX())
    if not topic.startswith("projects/"):
        project = (environ.get("RELANCE_PUBSUB_PROJECT", "") or environ.get("GOOGLE_CLOUD_PROJECT", "")).strip()
        if not project:
            raise Refusal(500, "not_configured", C.CLOUD_NOT_CONFIGURED(name="RELANCE_PUBSUB_PROJECT"),
                          C.MENU_NOT_CONFIGURED_FIX())
        topic = f"projects/{project}/topics/{topic}"
    api = environ.get("RELANCE_PUBSUB_API_URL", "").strip() or PUBSUB_API
    return f"{api.rstrip('/')}/v1/{topic}:publish"


class PublishError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _session(environ: Mapping[str, str]) -> Any:
    """An AuthorizedSession with the function's credentials (application default credentials:
    the runtime service account on Google Cloud, GOOGLE_APPLICATION_CREDENTIALS elsewhere); a
    plain session only for an emulator that wants none (RELANCE_PUBSUB_ANONYMOUS=1)."""
    if environ.get("RELANCE_PUBSUB_ANONYMOUS", "").strip() == "1":
        import requests

        return requests.Session()
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=[PUBSUB_SCOPE])
    return AuthorizedSession(credentials)


def publish(url: str, messages: Sequence[Mapping[str, Any]], environ: Mapping[str, str],
            ids: list[str] | None = None) -> list[str]:
    """Publish `messages` in calls of up to 1,000; the message ids, in order, appended to `ids`
    as they come (so a failure says how many went). 429, 5xx and broken connections are retried
    three times with jittered back-off; other refusals raise PublishError at once."""
    import requests
    from google.auth.exceptions import GoogleAuthError
    from tenacity import retry, retry_if_exception, stop_after_attempt, wait_random_exponential

    found = [] if ids is None else ids
    try:
        session = _session(environ)
    except GoogleAuthError as exc:  # no credentials: DefaultCredentialsError
        raise PublishError(type(exc).__name__) from None

    def transient(exc: BaseException) -> bool:
        return isinstance(exc, requests.ConnectionError | requests.Timeout) or (
            isinstance(exc, PublishError) and exc.code in ("429", "500", "502", "503", "504"))

    @retry(retry=retry_if_exception(transient), stop=stop_after_attempt(3),
           wait=wait_random_exponential(multiplier=0.2, max=2), reraise=True)
    def call(batch: Sequence[Mapping[str, Any]]) -> list[str]:
        reply = session.post(url, json={"messages": list(batch)}, timeout=30)
        if reply.status_code != 200:
            raise PublishError(str(reply.status_code))
        got = reply.json().get("messageIds", [])
        if len(got) != len(batch):
            raise PublishError("bad_reply")
        return [str(i) for i in got]

    try:
        for start in range(0, len(messages), PUBLISH_BATCH):
            found.extend(call(messages[start:start + PUBLISH_BATCH]))
    except (requests.ConnectionError, requests.Timeout, GoogleAuthError) as exc:  # RefreshError: a token refused
        raise PublishError(type(exc).__name__) from None
    finally:
        session.close()
    return found


def worker(cloud_event: Any, clock: Clock = _utcnow) -> None:
    """Run the workbook of one Pub/Sub message (a CloudEvent `messagePublished`)."""
    envelope: dict[str, Any] = cloud_event.data if isinstance(cloud_event.data, dict) else {}
    raw = envelope.get("message")
    message: dict[str, Any] = raw if isinstance(raw, dict) else {}
    message_id = str(message.get("messageId") or message.get("message_id") or cloud_event["id"])
    attempt = envelope.get("deliveryAttempt")
    try:
        content = json.loads(base64.b64decode(message.get("data") or "", validate=True).decode("utf-8"))
        if not isinstance(content, dict):
            raise ValueError("not an object")
        book = workbook_field(content.get("workbook"), "workbook")
        asked = run_request({k: v for k, v in content.items() if k in ("workbook", "channel", "anytime")})
        run_id = content.get("run_id")
        if not isinstance(run_id, str) or not run_id.strip():
            raise ValueError("no run id")
    except (ValueError, binascii.Error, UnicodeDecodeError, Refusal) as exc:
        code = exc.code if isinstance(exc, Refusal) else "bad_message"
        log("ERROR", "worker dropped a message it can never run", message_id=message_id, code=code,
            delivery_attempt=attempt, function="worker")
        return
    outcome = run_workbook(book, asked.channel, asked.anytime, run_id, clock(), function="worker")
    severity = "INFO" if outcome.status == 200 else "WARNING" if outcome.retry else "ERROR"  # ERROR: for a person
    log(severity, "worker done", message_id=message_id, run_id=run_id,
        workbook_ref=workbook_ref(book), status=outcome.status, delivery_attempt=attempt, function="worker")
    if outcome.retry:
        raise RetryLater(f"{outcome.status} {outcome.body.get('error', {}).get('code', '')}: delivered again later")
