"""daily_run, served by functions-framework for real and called the way Cloud Scheduler calls it.

Scheduler sends a POST with an OIDC token (checked by the platform, before our code), the
User-Agent `Google-Cloud-Scheduler` and `X-CloudScheduler-JobName`/`-ScheduleTime`; it retries a
failed or late attempt with the same schedule time. These tests prove a retry is the same run
and sends nothing more, through the outbox and through SMTP (aiosmtpd).
"""

from __future__ import annotations

import json
import re
import threading

import pytest
import requests

from cloudkit import Function, Keys, attempt_of, history_rows, outbox_keys, small_book
from servers.smtp import SmtpServer

# One xdist worker runs this module's tests, so that its module fixtures (the functions-framework server) are
# made once, not once per worker.
pytestmark = pytest.mark.xdist_group("test_cloud_scheduler")

SCHEDULE = "2026-12-01T07:00:00.123456Z"
RUN_ID = "sched-20261201T070000Z"
JOB = "projects/relance-test/locations/europe-west1/jobs/relance-daily"


@pytest.fixture(scope="module")
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def daily(smtp):
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_SECURITY": "none", "SMTP_RETRY_WAIT": "0"}
    with Function("daily_run", env) as function:
        yield function


@pytest.fixture(scope="module")
def oidc() -> str:
    """What Scheduler's OIDC token looks like; the platform verifies it, the function never sees
    a call without one (deployed with --no-allow-unauthenticated)."""
    return Keys("scheduler").token("https://europe-west1-relance-test.cloudfunctions.net/daily_run",
                                   "relance-scheduler@relance-test.iam.gserviceaccount.com")


def scheduler_call(function: Function, token: str, body: object, schedule: str | None = SCHEDULE,
                   **headers: str) -> requests.Response:
    sent = {"Authorization": f"Bearer {token}", "User-Agent": "Google-Cloud-Scheduler",
            "X-CloudScheduler": "true", "X-CloudScheduler-JobName": JOB, **headers}
    if schedule is not None:
        sent["X-CloudScheduler-ScheduleTime"] = schedule
    data = body if isinstance(body, str) else json.dumps(body)
    return requests.post(function.url, data=data, headers={"Content-Type": "application/json", **sent},
                         timeout=300)


def test_a_scheduler_retry_is_the_same_run_and_sends_nothing_more(daily, oidc, tmp_path):
    book = small_book(tmp_path / "book.xlsx", 3)
    first = scheduler_call(daily, oidc, {"workbook": str(book), "anytime": True})
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["run_id"] == RUN_ID
    [summary] = [w["summary"] for w in answer["workbooks"]]
    assert attempt_of(summary["run_id"]) == RUN_ID and summary["sent"] == 3 and summary["failed"] == 0
    keys = outbox_keys(tmp_path / "book_outbox")
    assert sorted(keys) == sorted(a["action_key"] for a in summary["actions"]) and len(keys) == 3
    assert {attempt_of(r["run_id"]) for r in history_rows(book)} == {RUN_ID}

    for _ in range(2):  # Scheduler's retries: same schedule time, nothing more
        again = scheduler_call(daily, oidc, {"workbook": str(book), "anytime": True})
        assert again.status_code == 200, again.text
        retry = again.json()["workbooks"][0]["summary"]
        assert attempt_of(retry["run_id"]) == RUN_ID and retry["sent"] == 0 and retry["planned"] == 0
    assert outbox_keys(tmp_path / "book_outbox") == keys
    rows = history_rows(book)
    assert len(rows) == 3 and {attempt_of(r["run_id"]) for r in rows} == {RUN_ID}

    # the next scheduled day is another run id; it still sends nothing the ladder does not allow yet
    other = scheduler_call(daily, oidc, {"workbook": str(book), "anytime": True}, "2026-12-02T07:00:00Z")
    assert other.json()["run_id"] == "sched-20261202T070000Z"
    assert other.json()["workbooks"][0]["summary"]["sent"] == 0


def test_several_workbooks_and_the_channel_from_the_call_or_from_settings(daily, oidc, smtp, tmp_path):
    a = small_book(tmp_path / "a.xlsx", 2)
    b = small_book(tmp_path / "b.xlsx", 4, lang="en")
    before = len(smtp.received)
    reply = scheduler_call(daily, oidc, {"workbooks": [str(a), str(b)], "channel": "smtp", "anytime": True})
    assert reply.status_code == 200, reply.text
    sent = [w["summary"]["sent"] for w in reply.json()["workbooks"]]
    assert sent == [2, 4] and len(smtp.received) == before + 6
    again = scheduler_call(daily, oidc, {"workbooks": [str(a), str(b)], "channel": "smtp", "anytime": True})
    assert [w["summary"]["sent"] for w in again.json()["workbooks"]] == [0, 0]
    assert len(smtp.received) == before + 6  # nothing twice at the SMTP server

    # no channel in the call: the workbook's Settings `channel` (here the default, the outbox)
    c = small_book(tmp_path / "c.xlsx", 1)
    done = scheduler_call(daily, oidc, {"workbook": str(c), "anytime": True}, "2026-12-01T07:00:00Z")
    assert done.json()["workbooks"][0]["summary"]["outbox"] == str(tmp_path / "c_outbox")
    assert len(outbox_keys(tmp_path / "c_outbox")) == 1 and len(smtp.received) == before + 6


def test_an_attempt_while_another_holds_the_workbook_sends_nothing_and_asks_for_a_retry(daily, oidc, tmp_path):
    from relance.workbook.xlsx import XlsxBackend

    book = small_book(tmp_path / "busy.xlsx", 2)
    held, release, done = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:  # a first attempt still running when Scheduler's deadline retries it
        with XlsxBackend(book).run_lock():
            held.set()
            release.wait(120)
        done.set()

    threading.Thread(target=hold, daemon=True).start()
    assert held.wait(60)
    try:
        busy = scheduler_call(daily, oidc, {"workbook": str(book), "anytime": True})
    finally:
        release.set()
    assert busy.status_code == 409, busy.text
    error = busy.json()["workbooks"][0]["error"]
    assert error["code"] == "busy" and not outbox_keys(tmp_path / "busy_outbox")
    assert done.wait(60)
    retry = scheduler_call(daily, oidc, {"workbook": str(book), "anytime": True})
    assert retry.status_code == 200 and retry.json()["workbooks"][0]["summary"]["sent"] == 2


@pytest.mark.parametrize(("body", "code"), [
    ("not json", "bad_body"),
    ([1, 2], "bad_body"),
    ({}, "no_workbook"),
    ({"workbooks": []}, "no_workbook"),
    ({"workbook": ""}, "bad_field"),
    ({"workbook": "gsheet:abc", "channel": "pigeon"}, "bad_field"),
    ({"workbook": "gsheet:abc", "anytime": "oui"}, "bad_field"),
])
def test_a_bad_request_is_a_400_that_says_what_and_how_in_french(daily, oidc, body, code):
    reply = scheduler_call(daily, oidc, body)
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == code and error["message"] and error["fix"]
    from french import assert_french

    assert_french(error["message"] + " " + error["fix"], allow=("workbook", "workbooks", "channel", "anytime"))


def test_a_bad_schedule_time_and_english_callers(daily, oidc):
    reply = scheduler_call(daily, oidc, {"workbook": "gsheet:abc"}, "yesterday-ish")
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "bad_schedule_time"
    english = scheduler_call(daily, oidc, {"lang": "en"})
    assert english.json()["error"]["message"] == "the request names no workbook"
    accept = scheduler_call(daily, oidc, {}, **{"Accept-Language": "en-GB,en;q=0.9"})
    assert accept.json()["error"]["message"] == "the request names no workbook"


def test_a_workbook_that_is_not_there_is_a_422_with_its_fix(daily, oidc, tmp_path):
    reply = scheduler_call(daily, oidc, {"workbook": str(tmp_path / "missing.xlsx")})
    assert reply.status_code == 422
    error = reply.json()["workbooks"][0]["error"]
    assert error["code"] == "WorkbookError" and "missing.xlsx" in error["message"] and error["fix"]


def test_local_paths_are_refused_unless_the_environment_allows_them(oidc, tmp_path):
    book = small_book(tmp_path / "book.xlsx", 1)
    with Function("daily_run", {"RELANCE_LOCAL_WORKBOOKS": "0"}) as strict:
        reply = scheduler_call(strict, oidc, {"workbook": str(book), "anytime": True})
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "local_workbook"
    assert "RELANCE_LOCAL_WORKBOOKS" in reply.json()["error"]["fix"]
    assert not (tmp_path / "book_outbox").exists()


def test_logs_are_json_lines_with_ids_and_counts_only(daily, oidc, tmp_path):
    book = small_book(tmp_path / "logged.xlsx", 2)
    assert scheduler_call(daily, oidc, {"workbook": str(book), "anytime": True}).status_code == 200
    assert scheduler_call(daily, oidc, "junk").status_code == 400
    daily.logged(lambda x: x.get("message") == "daily_run refused")
    lines = list(daily.logs)
    assert any(x.get("message") == "run done" and x.get("sent") == 2 for x in lines)
    for line in lines:
        assert not line.get("raw"), line  # every stdout line is a JSON object for Cloud Logging
        assert line["severity"] in ("INFO", "WARNING", "ERROR") and line["message"]
        text = json.dumps(line)
        assert "@" not in text and "Client " not in text and ".xlsx" not in text, line
        assert not re.search(r"\b\d+\.\d{2}\b", text), line  # no amounts
