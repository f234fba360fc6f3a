"""The Mailjet transport through the real mailjet-rest client against a faithful local Mailjet
(tests/servers/mailjet.py): batches of 50, per-message statuses, retries, SMS, the daily cap,
and a crash settled by looking each CustomID up."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from relance.app.executor import reconcile
from relance.channels.mailjet import MailjetChannel, MailjetConfig, e164
from relance.channels.outbox import OutboxChannel
from relance.channels.port import TransportDown, deliveries
from relance.engine.action import Action
from relance.engine.history import HistoryEntry
from relance.engine.message import OutgoingMessage
from relance.engine.tab_values import CHANNELS, STATUSES, key_of
from servers.mailjet import FakeMailjet


def message(n: int, to: tuple[str, ...] = (), channel: str = "email", pdf: bytes | None = None,
            sender_name: str = "Atelier Dumas") -> OutgoingMessage:
    action = Action(f"RKEY{n:04d}", f"C{n}", (f"F{n}",), "standard", "reminder_1", 7, channel, "reminder_1",
                    to or (f"compta@c{n}.example",), (), (("EUR", Decimal("100")),), 8, "fr")
    return OutgoingMessage(action, "relances@dumas.example", sender_name, "", f"Relance F{n}",
                           f"<p>F{n}</p>", f"F{n}\n", pdf)


def channel(tmp_path: Path, fake: FakeMailjet, waits: list[float] | None = None, **kw) -> MailjetChannel:
    config = MailjetConfig(api_key=fake.key, api_secret=kw.pop("secret", fake.secret), sms_token=fake.sms_token,
                           api_url=fake.url, timeout=kw.pop("timeout", 5), wait_first=0.01, wait_max=0.05, **kw)
    return MailjetChannel(config, OutboxChannel(tmp_path / "outbox", "t"), "en",
                          sleep=(waits if waits is not None else []).append)


def outcomes(mj: MailjetChannel, messages: list[OutgoingMessage]) -> list:
    return list(deliveries(mj, messages))


def test_api_calls_are_ceil_n_over_50_with_customid_the_action_key(tmp_path):
    with FakeMailjet() as fake:
        mj = channel(tmp_path, fake)
        out = outcomes(mj, [message(n) for n in range(120)])
        mj.close()
    assert fake.send_calls == 3  # ceil(120 / 50)
    assert [d.status for d in out] == ["sent"] * 120
    assert sorted(m["CustomID"] for m in fake.messages) == [f"RKEY{n:04d}" for n in range(120)]
    taken = {str(m["ID"]): m["CustomID"] for m in fake.messages}  # the batches went concurrently
    assert [taken[d.message_id] for d in out] == [f"RKEY{n:04d}" for n in range(120)]


def test_one_refused_address_does_not_fail_the_batch(tmp_path):
    with FakeMailjet(refused={"compta@c3.example"}) as fake:
        mj = channel(tmp_path, fake)
        out = outcomes(mj, [message(n) for n in range(6)] + [message(6, ("not-an-address",))])
        mj.close()
    assert [d.status for d in out] == ["sent"] * 3 + ["failed"] + ["sent"] * 2 + ["failed"]
    assert "send-0010" in out[3].detail.en and "blocked" in out[3].detail.en
    assert "invalid email address" in out[6].detail.en
    assert fake.send_calls == 1 and len(fake.messages) == 5


def test_429_then_success_honours_retry_after(tmp_path):
    waits: list[float] = []
    with FakeMailjet(faults=["429"], retry_after="0.04") as fake:
        mj = channel(tmp_path, fake, waits)
        out = outcomes(mj, [message(n) for n in range(3)])
        mj.close()
    assert [d.status for d in out] == ["sent"] * 3
    assert fake.send_calls == 2 and waits == [0.04]
    assert fake.calls["GET /v3/REST/message"] == 0  # a 429 took nothing: no need to ask
    assert len(fake.messages) == 3


@pytest.mark.parametrize("fault", ["500-after", "timeout-after"])
def test_a_5xx_or_a_timeout_after_taking_the_batch_sends_nothing_twice(tmp_path, fault):
    with FakeMailjet(faults=[fault], slow=1.5) as fake:
        mj = channel(tmp_path, fake, timeout=0.5)
        out = outcomes(mj, [message(n) for n in range(4)])
        mj.close()
    assert [d.status for d in out] == ["sent"] * 4
    assert fake.send_calls == 1  # each CustomID was found: nothing posted again
    assert Counter(m["CustomID"] for m in fake.messages) == {f"RKEY{n:04d}": 1 for n in range(4)}


def test_a_503_that_took_nothing_is_posted_again(tmp_path):
    with FakeMailjet(faults=["503", "503"]) as fake:
        mj = channel(tmp_path, fake)
        out = outcomes(mj, [message(n) for n in range(2)])
        mj.close()
    assert [d.status for d in out] == ["sent"] * 2 and fake.send_calls == 3
    assert len(fake.messages) == 2 and fake.calls["GET /v3/REST/message"] == 0  # refused: never asked


def test_a_500_leaves_what_mailjet_does_not_list_pending_and_never_posts_it_again(tmp_path):
    # Mailjet took the batch, answered 500, and lists what it took only later (lag): posting what
    # the lookup misses would send it twice. It stays pending for a later run; nothing more goes.
    with FakeMailjet(faults=["500-after"], lag=True) as fake:
        mj = channel(tmp_path, fake, concurrency=1)
        out = outcomes(mj, [message(n) for n in range(60)])
        mj.close()
    assert [d.status for d in out[:50]] == ["pending"] * 50
    assert "checks it by its CustomID" in out[0].detail.en
    assert len(out) == 51 and isinstance(out[50], TransportDown)  # the channel stopped
    assert fake.send_calls == 1
    assert Counter(m["CustomID"] for m in fake.messages) == {f"RKEY{n:04d}": 1 for n in range(50)}


def test_mailjet_down_for_good_or_bad_credentials_stop_the_run(tmp_path):
    with FakeMailjet(faults=["503"] * 10) as fake:
        mj = channel(tmp_path, fake, concurrency=1)
        out = outcomes(mj, [message(n) for n in range(60)])
        # the batch tried gets a clear failure row each (bounded: 4 attempts), the rest is not attempted
        assert [d.status for d in out[:50]] == ["failed"] * 50 and len(out) == 51
        assert "after 4 attempts; planned again" in out[0].detail.en and "HTTP 503" in out[0].detail.en
        assert isinstance(out[50], TransportDown) and "after 4 attempts" in out[50].message
        assert fake.send_calls == 4
        bad = channel(tmp_path, fake, secret="wrong")
        out = outcomes(bad, [message(1)])
        assert isinstance(out[0], TransportDown) and "refuses the credentials" in out[0].message
        assert "wrong" not in str(out[0]) and "mj-secret" not in repr(bad.config)
    assert fake.messages == []


def test_sandbox_mode_validates_and_delivers_nothing(tmp_path):
    with FakeMailjet() as fake:
        mj = channel(tmp_path, fake, sandbox=True)
        out = outcomes(mj, [message(1), message(2, ("bad",))])
        mj.close()
    assert [d.status for d in out] == ["simulated", "failed"] and fake.messages == []


def test_attachments_and_letters(tmp_path):
    with FakeMailjet() as fake:
        mj = channel(tmp_path, fake)
        mailed = mj.send(message(1, pdf=b"%PDF-1.4 notice"))
        posted = mj.send(message(2, ("12 rue X;75001 Paris",), channel="letter", pdf=b"%PDF-1.4 letter"))
        assert mj.via_for(message(2, channel="letter").action) == mj.outbox.via
        mj.close()
    assert mailed.status == posted.status == "sent"
    [attachment] = fake.messages[0]["Attachments"]
    assert attachment["ContentType"] == "application/pdf" and attachment["Filename"] == "C1_reminder_1.pdf"
    assert (tmp_path / "outbox" / "C2_reminder_1_RKEY0002.pdf").read_bytes() == b"%PDF-1.4 letter"
    assert fake.send_calls == 1


def test_sms_through_v4_sms_send_in_e164_with_a_valid_sender(tmp_path):
    with FakeMailjet() as fake:
        mj = channel(tmp_path, fake)
        ok = mj.send(message(1, ("06 12 34 56 78",), channel="sms", sender_name="Atelier Dumas & Fils"))
        bad_number = mj.send(message(2, ("12",), channel="sms"))
        bad_sender = mj.send(message(3, ("+33612345679",), channel="sms", sender_name="é"))
        mj.close()
    assert ok.status == "sent" and ok.message_id == "SMS1"
    assert fake.sms == [{"MessageId": "SMS1", "From": "AtelierDuma", "To": "+33612345678", "Text": "F1\n"}]
    assert fake.calls["POST /v4/sms-send"] == 1 and fake.calls["POST /v4/REST/sms/send"] == 0
    assert bad_number.status == bad_sender.status == "failed"
    assert "3 to 11 letters or digits" in bad_sender.detail.en
    assert e164("+44 20 7946 0958", "FR") == "+442079460958"
    assert mj.via_for(message(1, channel="sms").action).startswith("mailjet-sms:")


def test_the_daily_cap_holds_back_the_rest(tmp_path):
    with FakeMailjet() as fake:
        mj = channel(tmp_path, fake, daily_cap=70, sent_today=10)
        out = outcomes(mj, [message(n) for n in range(100)])
        mj.close()
    assert [getattr(d, "status", None) for d in out[:60]] == ["sent"] * 60
    assert len(out) == 61 and isinstance(out[60], TransportDown) and "daily cap of 70" in out[60].message
    assert len(fake.messages) == 60 and fake.send_calls == 2  # 50 + 10


def _pending(key: str, via: str, channel_name: str = "email") -> HistoryEntry:
    return HistoryEntry("run1", "2026-11-23T09:00:00+01:00", key, "C1", ("F1",), "standard", "reminder_1",
                        channel_name, "compta@c1.example", "pending", "", Decimal("100"), "EUR",
                        "via mailjet; as of 2026-11-23", dt.date(2026, 11, 23), via)


def test_a_pending_row_is_settled_by_its_customid(tmp_path):
    with FakeMailjet() as fake:
        mj = channel(tmp_path, fake)
        mj.send(message(1))
        rows = [_pending("RKEY0001", mj.via), _pending("RKEY0002", mj.via),
                _pending("RKEY0003", mj.sms_via, "sms")]
        done = reconcile(rows, mj, frozenset())
        mj.close()
    assert [(e.status, e.message_id) for e in done.entries] == [("sent", "1000"), ("failed", ""), ("unknown", "")]
    assert fake.calls["GET /v3/REST/message"] == 2


def test_relance_run_channel_mailjet_and_a_crash_after_mailjet_took_the_batch(tmp_path, monkeypatch):
    from python_calamine import CalamineWorkbook
    from typer.testing import CliRunner

    from relance import cli
    from relance.channels import mailjet as mailjet_module
    from relance.cli import app

    runner = CliRunner()
    monkeypatch.setattr(cli, "_now", lambda: dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC))
    book = tmp_path / "book.xlsx"
    made = runner.invoke(app, ["init", str(book), "--demo", "--as-of", "2026-11-23", "--customers", "40",
                               "--invoices", "300"])
    assert made.exit_code == 0, made.output
    copy = tmp_path / "copy.xlsx"
    shutil.copy(book, copy)
    with FakeMailjet() as fake:
        for name, value in {"MAILJET_API_KEY": fake.key, "MAILJET_API_SECRET": fake.secret,
                            "MAILJET_SMS_TOKEN": fake.sms_token, "MAILJET_API_URL": fake.url,
                            "MAILJET_RETRY_WAIT": "0"}.items():
            monkeypatch.setenv(name, value)
        result = runner.invoke(app, ["run", str(book), "--channel", "mailjet", "--json"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        emails = {a["action_key"] for a in summary["actions"] if a["status"] == "sent" and a["channel"] == "email"}
        sms = [a for a in summary["actions"] if a["status"] == "sent" and a["channel"] == "sms"]
        assert len(emails) > 3 and {m["CustomID"] for m in fake.messages} == emails
        assert len(fake.sms) == len(sms)
        assert fake.send_calls >= 1
        again = json.loads(runner.invoke(app, ["run", str(book), "--channel", "mailjet", "--json"]).output)
        assert again["sent"] == 0

        # the crash: Mailjet took the batch, the run died before writing `sent`
        fake.messages.clear()
        real = mailjet_module.MailjetChannel._batch

        def took_then_died(self, chunk):
            real(self, chunk)
            raise KeyboardInterrupt("power cut")

        monkeypatch.setattr(mailjet_module.MailjetChannel, "_batch", took_then_died)
        crashed = runner.invoke(app, ["run", str(copy), "--channel", "mailjet", "--json"])
        assert crashed.exit_code != 0
        taken = Counter((m["CustomID"], m["To"]) for m in fake.messages)  # one stored per recipient
        assert taken and set(taken.values()) == {1}
        monkeypatch.setattr(mailjet_module.MailjetChannel, "_batch", real)
        settled = json.loads(runner.invoke(app, ["run", str(copy), "--channel", "mailjet", "--json"]).output)
        assert settled["settled_pending"] > 0
    counted = Counter((m["CustomID"], m["To"]) for m in fake.messages)
    assert set(counted.values()) == {1}  # nothing sent twice
    rows = CalamineWorkbook.from_path(str(copy)).get_sheet_by_name("Historique").to_python()[1:]
    sent_rows = {r[2] for r in rows if key_of(STATUSES, r[9]) == "sent" and key_of(CHANNELS, r[7]) == "email"}
    assert sent_rows == {k for k, _ in counted} == emails  # and nothing lost
    assert all(r[15].startswith("mailjet:") for r in rows if key_of(CHANNELS, r[7]) == "email")


def test_config_is_frozen_and_hides_its_secrets():
    config = MailjetConfig(api_key="k", api_secret="s3cr3t", sms_token="t0k")
    assert "s3cr3t" not in repr(config) and "t0k" not in repr(config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.api_key = "x"  # type: ignore[misc]
