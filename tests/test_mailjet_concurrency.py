"""Mailjet calls sent concurrently within a rate (channels/mailjet.py, channels/pacing.py), through
the real mailjet-rest client against the local Mailjet (tests/servers/mailjet.py), which counts
the calls in flight itself: nothing here is timed.

The outcomes come back in the order of the messages whatever the threads do; a batch still
failing after the retry bound gets a clear failed row per message and stops the channel; a
batch whose fate cannot be known stays `pending` and is looked up by CustomID, never posted again.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from relance.app.connect import mailjet_config
from relance.app.executor import reconcile
from relance.channels.mailjet import MailjetChannel, MailjetConfig
from relance.channels.outbox import OutboxChannel
from relance.channels.pacing import Pace
from relance.channels.port import TransportDown, deliveries
from relance.engine.errors import ConfigError
from servers.mailjet import FakeMailjet
from test_mailjet import _pending, message


def channel(tmp_path: Path, fake: FakeMailjet, pace: Pace | None = None, **kw) -> MailjetChannel:
    config = MailjetConfig(api_key=fake.key, api_secret=fake.secret, sms_token=fake.sms_token, api_url=fake.url,
                           timeout=kw.pop("timeout", 5), wait_first=0.01, wait_max=0.05,
                           rate_per_second=kw.pop("rate_per_second", 0), **kw)
    waits: list[float] = []
    return MailjetChannel(config, OutboxChannel(tmp_path / "outbox", "t"), "en", sleep=waits.append, pace=pace)


def keys(n: int, start: int = 0) -> list[str]:
    return [f"RKEY{i:04d}" for i in range(start, start + n)]


def test_calls_overlap_up_to_the_limit_and_never_beyond(tmp_path):
    # the server holds each call until 3 are in flight, then answers the last arrived first
    with FakeMailjet(gate=3) as fake:
        mj = channel(tmp_path, fake, concurrency=3)
        out = list(deliveries(mj, [message(n) for n in range(300)]))
        mj.close()
    assert fake.max_in_flight == 3  # overlapping calls, never more than the limit
    assert fake.send_calls == 6  # ceil(300 / 50)
    assert [d.status for d in out] == ["sent"] * 300
    taken = {str(m["ID"]): m["CustomID"] for m in fake.messages}
    assert [taken[d.message_id] for d in out] == keys(300)  # each outcome is its own message's, in order
    assert Counter(m["CustomID"] for m in fake.messages) == dict.fromkeys(keys(300), 1)


def test_one_call_at_a_time_when_the_concurrency_is_1(tmp_path):
    with FakeMailjet() as fake:
        mj = channel(tmp_path, fake, concurrency=1)
        out = list(deliveries(mj, [message(n) for n in range(120)]))
        mj.close()
    assert fake.max_in_flight == 1 and fake.send_calls == 3
    assert [str(m["ID"]) for m in fake.messages] == [d.message_id for d in out]  # posted in order


def test_the_results_are_in_plan_order_whatever_the_timing(tmp_path):
    runs = []
    for _ in range(3):
        with FakeMailjet(gate=4, refused={"compta@c7.example", "compta@c130.example"}) as fake:
            mj = channel(tmp_path, fake, concurrency=4)
            out = list(deliveries(mj, [message(n) for n in range(200)]))
            mj.close()
        runs.append([d.status for d in out])
        taken = {str(m["ID"]): m["CustomID"] for m in fake.messages}
        assert [taken.get(d.message_id) for d in out] == [None if n in (7, 130) else k
                                                          for n, k in enumerate(keys(200))]
    assert runs[0] == runs[1] == runs[2]
    assert [n for n, s in enumerate(runs[0]) if s == "failed"] == [7, 130]


def test_the_pace_spaces_the_calls_of_all_threads():
    clock = [100.0]
    slept: list[float] = []
    pace = Pace(4, clock=lambda: clock[0], sleep=slept.append)
    assert [pace.wait() for _ in range(4)] == [0.0, 0.25, 0.5, 0.75]
    assert slept == [0.25, 0.5, 0.75]
    clock[0] = 200.0  # long after: the next call goes at once
    assert pace.wait() == 0.0
    free = Pace(0, clock=lambda: 0.0, sleep=slept.append)
    assert [free.wait() for _ in range(5)] == [0.0] * 5 and free.calls == 5


def test_every_call_waits_for_its_slot(tmp_path):
    slept: list[float] = []
    pace = Pace(2, clock=lambda: 0.0, sleep=slept.append)  # a clock that never moves: every wait is read
    with FakeMailjet() as fake:
        mj = channel(tmp_path, fake, pace=pace, concurrency=3)
        out = list(deliveries(mj, [message(n) for n in range(150)]))
        mj.send(message(900, ("06 12 34 56 78",), channel="sms"))
        mj.close()
    assert [d.status for d in out] == ["sent"] * 150
    assert pace.calls == 4 and sorted(slept) == [0.5, 1.0, 1.5]  # 3 send calls and a text message


def test_rate_and_concurrency_from_the_environment():
    env = {"MAILJET_API_KEY": "k", "MAILJET_API_SECRET": "s"}
    default = mailjet_config(env)
    assert (default.concurrency, default.rate_per_second) == (4, 10.0)
    chosen = mailjet_config({**env, "MAILJET_MAX_CONCURRENCY": "2", "MAILJET_RATE_PER_SECOND": "2.5"})
    assert (chosen.concurrency, chosen.rate_per_second) == (2, 2.5)
    assert mailjet_config({**env, "MAILJET_RATE_PER_SECOND": "0"}).rate_per_second == 0  # no limit
    for name, value in (("MAILJET_MAX_CONCURRENCY", "0"), ("MAILJET_MAX_CONCURRENCY", "17"),
                        ("MAILJET_MAX_CONCURRENCY", "many"), ("MAILJET_RATE_PER_SECOND", "-1")):
        with pytest.raises(ConfigError) as caught:
            mailjet_config({**env, name: value}, "en")
        assert name in caught.value.message


@pytest.mark.parametrize("fault", ["503", "429"])
def test_a_batch_still_failing_after_the_bound_gets_clear_failed_rows(tmp_path, fault):
    # the third call fails on every try; the two others go, concurrently
    with FakeMailjet(faults_for={"RKEY0100": [fault] * 4}) as fake:
        mj = channel(tmp_path, fake, concurrency=3)
        out = list(deliveries(mj, [message(n) for n in range(150)]))
        after = list(deliveries(mj, [message(n) for n in range(150, 160)]))
        mj.close()
    assert [d.status for d in out] == ["sent"] * 100 + ["failed"] * 50
    assert all(f"Mailjet still answers HTTP {fault} after 4 attempts; planned again" in d.detail.en
               for d in out[100:])
    assert fake.send_calls == 2 + 4  # bounded: 4 tries of the failing call
    # a 503 or a 429 took nothing: never asked (a 500 may have taken part: test_mailjet.py)
    assert fake.calls["GET /v3/REST/message"] == 0
    assert sorted(m["CustomID"] for m in fake.messages) == keys(100)
    assert len(after) == 1 and isinstance(after[0], TransportDown)  # the channel stopped: nothing more posted
    assert "after 4 attempts" in after[0].message and fake.send_calls == 6


def test_a_batch_whose_fate_cannot_be_known_stays_pending_and_is_never_posted_again(tmp_path):
    # Mailjet took the batch and failed to answer; the lookups fail too: nobody can tell yet
    with FakeMailjet(faults=["500-after"], lookup_faults=["500"]) as fake:
        mj = channel(tmp_path, fake, concurrency=2)
        out = list(deliveries(mj, [message(n) for n in range(3)]))
        assert [d.status for d in out] == ["pending"] * 3
        assert "checks it by its CustomID" in out[0].detail.en
        assert fake.send_calls == 1  # not posted again
        done = reconcile([_pending(k, mj.via) for k in keys(3)], mj, frozenset())  # the next run
        mj.close()
    assert [(e.status, e.message_id) for e in done.entries] == [("sent", "1000"), ("sent", "1001"), ("sent", "1002")]
    assert fake.send_calls == 1 and Counter(m["CustomID"] for m in fake.messages) == dict.fromkeys(keys(3), 1)


def test_credentials_refused_in_one_call_stop_the_others(tmp_path):
    with FakeMailjet() as fake:
        config = MailjetConfig(api_key=fake.key, api_secret="wrong", api_url=fake.url, concurrency=3,
                               rate_per_second=0, wait_first=0.01, wait_max=0.05)
        mj = MailjetChannel(config, OutboxChannel(tmp_path / "outbox", "t"), "en", sleep=lambda s: None)
        out = list(deliveries(mj, [message(n) for n in range(120)]))
        mj.close()
    assert len(out) == 1 and isinstance(out[0], TransportDown) and "refuses the credentials" in out[0].message
    assert fake.messages == []


def test_the_benchmark_messages_take_ceil_n_over_50_calls(tmp_path):
    """benchmarks/mailjet_send.py's e-mails, valid for the Send API, in ceil(n / 50) calls (not timed)."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    from mailjet_send import messages as bench_messages

    with FakeMailjet() as fake:
        mj = channel(tmp_path, fake)
        out = list(deliveries(mj, bench_messages(120)))
        mj.close()
    assert fake.send_calls == 3 and [d.status for d in out] == ["sent"] * 120


def test_a_run_against_a_failing_mailjet_writes_a_clear_failed_row_for_each_message(tmp_path):
    from conftest import on
    from test_daily_cap import DAY, book, go

    wb = book()
    with FakeMailjet(faults=["503"] * 3) as fake:
        data = go(wb, fake, tmp_path, on(DAY), MAILJET_RETRIES="3").to_json()
        assert data["failed"] == 6 and data["sent"] == 0 and fake.send_calls == 3
        history = {r[2]: r for r in wb.tabs["Historique"][1:]}
        assert len(history) == 6
        assert all("Mailjet répond encore HTTP 503 après 3 essais" in str(r[13]) for r in history.values())
        again = go(wb, fake, tmp_path, on(DAY) + dt.timedelta(hours=1)).to_json()  # Mailjet is back
    assert again["sent"] == 6 and Counter(m["CustomID"] for m in fake.messages) == dict.fromkeys(history, 1)
