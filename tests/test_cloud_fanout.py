"""dispatch and worker, served by functions-framework for real, through a local Pub/Sub.

dispatch publishes through the REST API to tests/servers/pubsub.py, which pushes each message
to the worker as a Pub/Sub trigger does (a binary-mode CloudEvent carrying the push envelope).
Pub/Sub delivers at least once: a redelivered message, a message pushed twice at once, or a
dispatch retried by Scheduler (the same workbooks and schedule time published again) sends
nothing more. The worker keeps nothing in memory; it is the run that knows.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter

import pytest
import requests

from cloudkit import (
    Function,
    Keys,
    attempt_of,
    history_rows,
    outbox_keys,
    service_account_file,
    small_book,
)
from servers.pubsub import Message, PubSubServer

# One xdist worker runs this module's tests, so that its module fixtures (the Pub/Sub and functions-framework servers) are
# made once, not once per worker.
pytestmark = pytest.mark.xdist_group("test_cloud_fanout")

SCHEDULE = "2026-12-01T07:00:00Z"
RUN_ID = "sched-20261201T070000Z"


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys("dispatch-key")


@pytest.fixture(scope="module")
def pubsub(keys):
    with PubSubServer(require_token=True, public_keys=keys.certs()) as server:
        yield server


@pytest.fixture(scope="module")
def worker(pubsub):
    with Function("worker") as function:
        pubsub.push_endpoint = function.url
        yield function


@pytest.fixture(scope="module")
def dispatcher(pubsub, worker, keys, tmp_path_factory):
    """dispatch with a service-account key whose token endpoint is the local Pub/Sub's: the
    publish goes through google-auth's AuthorizedSession with a token it obtained."""
    key_file = service_account_file(tmp_path_factory.mktemp("sa") / "key.json", keys, f"{pubsub.url}/token")
    env = {"RELANCE_PUBSUB_API_URL": pubsub.url, "RELANCE_PUBSUB_PROJECT": pubsub.project,
           "RELANCE_PUBSUB_TOPIC": pubsub.topic, "GOOGLE_APPLICATION_CREDENTIALS": str(key_file)}
    with Function("dispatch", env) as function:
        yield function


@pytest.fixture(autouse=True)
def fresh(pubsub):
    pubsub.duplicate, pubsub.max_attempts, pubsub.publish_faults[:], pubsub.dead_letters[:] = False, 5, [], []
    yield


def dispatch(function: Function, body: object, schedule: str | None = SCHEDULE) -> requests.Response:
    headers = {"Content-Type": "application/json", "User-Agent": "Google-Cloud-Scheduler",
               "Authorization": "Bearer oidc-checked-by-the-platform"}
    if schedule:
        headers["X-CloudScheduler-ScheduleTime"] = schedule
    return requests.post(function.url, data=json.dumps(body), headers=headers, timeout=300)


def test_one_message_per_workbook_each_run_once_and_redeliveries_send_nothing_more(
        pubsub, worker, dispatcher, tmp_path):
    books = [small_book(tmp_path / f"book{i}.xlsx", 2) for i in range(5)]
    reply = dispatch(dispatcher, {"workbooks": [str(b) for b in books], "anytime": True})
    assert reply.status_code == 200, reply.text
    assert reply.json()["run_id"] == RUN_ID and reply.json()["published"] == 5
    ids = reply.json()["message_ids"]
    assert pubsub.wait_idle() and not pubsub.dead_letters
    mine = [m for m in pubsub.published if m.message_id in ids]
    assert sorted(m.payload()["workbook"] for m in mine) == sorted(str(b) for b in books)
    assert all(m.payload()["run_id"] == RUN_ID and m.attributes["run_id"] == RUN_ID for m in mine)
    sent = {b: outbox_keys(b.with_name(b.stem + "_outbox")) for b in books}
    assert all(len(keys) == 2 for keys in sent.values())
    assert all({attempt_of(r["run_id"]) for r in history_rows(b)} == {RUN_ID} for b in books)

    for message_id in ids:  # an acknowledgement lost: the same message id again
        assert pubsub.redeliver(message_id) == 200
    again = dispatch(dispatcher, {"workbooks": [str(b) for b in books], "anytime": True})  # Scheduler retries
    assert again.status_code == 200 and set(again.json()["message_ids"]).isdisjoint(ids)
    assert pubsub.wait_idle() and not pubsub.dead_letters
    assert {b: outbox_keys(b.with_name(b.stem + "_outbox")) for b in books} == sent
    assert all(len(history_rows(b)) == 2 for b in books)
    done = worker.logged(lambda x: x.get("message") == "worker done" and x.get("message_id") in ids, 10)
    assert Counter(line["message_id"] for line in done) == dict.fromkeys(ids, 2)  # each ran twice, sent once


def test_a_message_pushed_twice_at_once_sends_once(pubsub, worker, dispatcher, tmp_path):
    pubsub.duplicate = True  # two instances get the same message at the same time
    books = [small_book(tmp_path / f"twin{i}.xlsx", 3) for i in range(3)]
    reply = dispatch(dispatcher, {"workbooks": [str(b) for b in books], "anytime": True})
    assert reply.status_code == 200, reply.text
    assert pubsub.wait_idle() and not pubsub.dead_letters
    for b in books:
        keys = outbox_keys(b.with_name(b.stem + "_outbox"))
        assert len(keys) == 3 and len(set(keys)) == 3
        assert len(history_rows(b)) == 3
    # a push that met the other's run lock got a 500 (not acknowledged) and went again later
    statuses = Counter(d.status for d in pubsub.deliveries if d.message_id in reply.json()["message_ids"])
    assert set(statuses) <= {200, 500} and statuses[200] == 6


def test_a_busy_workbook_is_delivered_again_then_dead_lettered(pubsub, worker, dispatcher, tmp_path):
    from relance.workbook.xlsx import XlsxBackend

    book = small_book(tmp_path / "busy.xlsx", 1)
    pubsub.max_attempts = 3
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with XlsxBackend(book).run_lock():
            held.set()
            release.wait(120)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert held.wait(60)
    try:
        reply = dispatch(dispatcher, {"workbook": str(book), "anytime": True}, "2026-12-01T07:30:00Z")
        assert pubsub.wait_idle()
    finally:
        release.set()
        holder.join(60)
    [message_id] = reply.json()["message_ids"]
    tries = [d for d in pubsub.deliveries if d.message_id == message_id]
    assert [(d.attempt, d.status) for d in tries] == [(1, 500), (2, 500), (3, 500)]
    assert [m.message_id for m in pubsub.dead_letters] == [message_id]
    assert not outbox_keys(tmp_path / "busy_outbox")
    assert pubsub.redeliver(message_id) == 200  # replayed from the dead-letter topic: it runs now
    assert len(outbox_keys(tmp_path / "busy_outbox")) == 1


def test_a_message_that_can_never_run_is_acknowledged_and_logged(pubsub, worker, tmp_path):
    bad = [Message("bad-1", base64.b64encode(b"not json").decode(), {}, "2026-12-01T07:00:00Z"),
           Message("bad-2", base64.b64encode(json.dumps({"workbook": 3, "run_id": "x"}).encode()).decode(),
                   {}, "2026-12-01T07:00:00Z"),
           Message("bad-3", base64.b64encode(json.dumps({"workbook": str(tmp_path / "gone.xlsx")}).encode()).decode(),
                   {}, "2026-12-01T07:00:00Z")]
    for message in bad:
        assert pubsub.push(message, 1) == 200
    dropped = {line["message_id"]: line
               for line in worker.logged(lambda x: str(x.get("message_id", "")).startswith("bad-"), 3)}
    assert set(dropped) == {"bad-1", "bad-2", "bad-3"}
    assert all(line["severity"] == "ERROR" for line in dropped.values())


def test_a_missing_workbook_is_acknowledged_as_an_error_for_a_person(pubsub, worker, dispatcher, tmp_path):
    reply = dispatch(dispatcher, {"workbook": str(tmp_path / "missing.xlsx")}, "2026-12-01T08:00:00Z")
    assert reply.status_code == 200 and pubsub.wait_idle() and not pubsub.dead_letters
    [message_id] = reply.json()["message_ids"]
    [line] = worker.logged(lambda x: x.get("message_id") == message_id and x.get("message") == "worker done")
    assert line["status"] == 422 and line["severity"] == "ERROR"


def test_publish_faults_are_retried_and_a_refusal_is_a_502(pubsub, dispatcher, tmp_path):
    pubsub.publish_faults[:] = [503, 500]
    calls = pubsub.publish_calls
    ok = dispatch(dispatcher, {"workbook": "gsheet:abc"}, "2026-12-01T09:00:00Z")
    assert ok.status_code == 200 and ok.json()["published"] == 1 and pubsub.publish_calls == calls + 3
    pubsub.wait_idle()
    pubsub.publish_faults[:] = [403]
    refused = dispatch(dispatcher, {"workbook": "gsheet:abc", "lang": "en"}, "2026-12-01T09:00:00Z")
    assert refused.status_code == 502
    assert refused.json()["error"]["message"] == (
        "Pub/Sub refused the publication (403); 0 workbooks out of 1 were published")


def test_dispatch_refuses_a_bad_request_and_says_when_it_is_not_configured(dispatcher, tmp_path):
    bad = dispatch(dispatcher, {"workbooks": "gsheet:abc"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "no_workbook"
    with Function("dispatch", {"RELANCE_PUBSUB_TOPIC": ""}) as bare:
        reply = dispatch(bare, {"workbook": "gsheet:abc"})
    assert reply.status_code == 500 and "RELANCE_PUBSUB_TOPIC" in reply.json()["error"]["message"]


def test_a_dispatch_without_a_schedule_time_names_its_own_run(pubsub, dispatcher):
    reply = dispatch(dispatcher, {"workbook": "gsheet:abc"}, None)
    assert reply.status_code == 200 and reply.json()["run_id"].startswith("manual-")
    assert pubsub.wait_idle()


def test_dispatch_publishes_with_its_credentials_and_a_refused_key_publishes_nothing(
        pubsub, dispatcher, tmp_path):
    before = pubsub.token_requests
    reply = dispatch(dispatcher, {"workbook": "gsheet:abc"}, "2026-12-01T10:00:00Z")
    assert reply.status_code == 200 and pubsub.wait_idle()
    assert pubsub.token_requests <= before + 1  # a token is reused while it is valid (none if cached)
    stranger = service_account_file(tmp_path / "other.json", Keys("dispatch-key"), f"{pubsub.url}/token")
    env = {"RELANCE_PUBSUB_API_URL": pubsub.url, "RELANCE_PUBSUB_PROJECT": pubsub.project,
           "RELANCE_PUBSUB_TOPIC": pubsub.topic, "GOOGLE_APPLICATION_CREDENTIALS": str(stranger)}
    published = len(pubsub.published)
    with Function("dispatch", env) as forged:
        refused = dispatch(forged, {"workbook": "gsheet:abc", "lang": "en"}, "2026-12-01T10:00:00Z")
    assert refused.status_code == 502 and "RefreshError" in refused.json()["error"]["message"]
    anonymous = {**env, "GOOGLE_APPLICATION_CREDENTIALS": "", "RELANCE_PUBSUB_ANONYMOUS": "1"}
    with Function("dispatch", anonymous) as bare:
        unauthenticated = dispatch(bare, {"workbook": "gsheet:abc"}, "2026-12-01T10:00:00Z")
    assert unauthenticated.status_code == 502 and "(401)" in unauthenticated.json()["error"]["message"]
    assert len(pubsub.published) == published
