"""The SMTP transport against real SMTP servers on loopback (aiosmtpd): plain, STARTTLS with a
self-signed certificate made here, implicit TLS, AUTH; a server that drops the connection, one that
refuses a recipient, one that answers 451 then accepts; and a whole `relance run --channel smtp`."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from decimal import Decimal
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from relance.channels.mime import email_bytes
from relance.channels.outbox import OutboxChannel
from relance.channels.port import TransportDown
from relance.channels.smtp import SmtpChannel, SmtpConfig
from relance.engine.action import Action
from relance.engine.message import OutgoingMessage
from relance.engine.tab_values import CHANNELS, STATUSES, key_of
from servers.smtp import Handler, SmtpServer, free_port, self_signed

SENT_AT = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)


def message(n: int, to: tuple[str, ...] = (), channel: str = "email", pdf: bytes | None = None) -> OutgoingMessage:
    action = Action(f"RKEY{n:04d}", f"C{n}", (f"F{n}",), "standard", "reminder_1", 7, channel, "reminder_1",
                    to or (f"compta@c{n}.example",), (), (("EUR", Decimal("1234.56")),), 8, "fr")
    return OutgoingMessage(action, "relances@dumas.example", "Atelier Dumas – Compta", "compta@dumas.example",
                           f"Relance – facture F{n} échue", f"<p>Facture F{n} : 1 234,56 €</p>",
                           f"Facture F{n} : 1 234,56 €\n.début de ligne\n", pdf)


def channel(tmp_path: Path, server: SmtpServer, **kw) -> SmtpChannel:
    config = SmtpConfig(host="127.0.0.1", port=server.port, security=kw.pop("security", "none"),
                        timeout=5, wait_first=0, wait_max=0, **kw)
    return SmtpChannel(config, OutboxChannel(tmp_path / "outbox", "t", SENT_AT), SENT_AT, lang="en",
                       sleep=lambda s: None)


def test_plain_the_very_bytes_of_the_outbox_over_one_connection(tmp_path):
    with SmtpServer() as server:
        smtp = channel(tmp_path, server)
        deliveries = [smtp.send(message(n)) for n in range(3)]
        smtp.close()
    assert [d.status for d in deliveries] == ["sent"] * 3
    assert deliveries[0].message_id == "<RKEY0000@dumas.example>"
    assert "250 2.0.0 Ok: queued as Q1" in deliveries[0].detail.en
    assert smtp.connections == 1  # one connection reused across messages
    assert [r.rcpt_tos for r in server.received] == [["compta@c0.example"], ["compta@c1.example"],
                                                     ["compta@c2.example"]]
    assert server.received[0].mail_from == "relances@dumas.example"
    # what the server got is what the outbox would file, byte for byte (dot-stuffing undone)
    assert server.received[1].data == email_bytes(message(1), SENT_AT)
    parsed = BytesParser(policy=policy.default).parsebytes(server.received[1].data)
    assert parsed["Subject"] == "Relance – facture F1 échue"
    assert parsed.get_body(("plain",)).get_content().endswith(".début de ligne\r\n")
    assert smtp.via == f"smtp:127.0.0.1:{server.port}"


def test_starttls_with_a_self_signed_certificate_and_auth(tmp_path):
    cert = self_signed(tmp_path)
    with SmtpServer(security="starttls", cert=cert, users={"compta": "s3cret!"}) as server:
        smtp = channel(tmp_path, server, security="starttls", ca_file=str(cert[0]),
                       username="compta", password="s3cret!", envelope_from="bounces@dumas.example")
        delivery = smtp.send(message(1, ("a@x.example", "b@x.example")))
        smtp.close()
    assert delivery.status == "sent", delivery.detail.en
    assert server.logins == ["compta"]
    assert server.received[0].mail_from == "bounces@dumas.example"
    assert server.received[0].rcpt_tos == ["a@x.example", "b@x.example"]
    assert "s3cret" not in repr(smtp.config)


def test_implicit_tls(tmp_path):
    cert = self_signed(tmp_path)
    with SmtpServer(security="ssl", cert=cert) as server:
        smtp = channel(tmp_path, server, security="ssl", ca_file=str(cert[0]))
        assert smtp.send(message(1)).status == "sent"
        smtp.close()
    assert len(server.received) == 1


def test_an_untrusted_certificate_or_a_wrong_password_stops_the_run_without_the_secret(tmp_path):
    cert = self_signed(tmp_path)
    with SmtpServer(security="starttls", cert=cert, users={"compta": "right"}) as server:
        untrusted = channel(tmp_path, server, security="starttls", username="compta", password="right")
        with pytest.raises(TransportDown) as tls:
            untrusted.send(message(1))
        assert "encrypted connection" in tls.value.message
        wrong = channel(tmp_path, server, security="starttls", ca_file=str(cert[0]),
                        username="compta", password="hunter2-wrong")
        with pytest.raises(TransportDown) as auth:
            wrong.send(message(1))
        assert "refuses the login of compta" in auth.value.message
        assert "hunter2" not in str(auth.value)
    assert server.received == []


def test_a_server_that_does_not_offer_starttls_gets_nothing_in_clear(tmp_path):
    with SmtpServer() as server:
        smtp = channel(tmp_path, server, security="starttls")
        with pytest.raises(TransportDown, match="does not offer STARTTLS"):
            smtp.send(message(1))
    assert server.received == []


def test_a_dropped_connection_mid_batch_reconnects_and_sends_nothing_twice(tmp_path):
    handler = Handler(drop_at_mail={3, 6})
    with SmtpServer(handler) as server:
        smtp = channel(tmp_path, server)
        deliveries = [smtp.send(message(n)) for n in range(6)]
        smtp.close()
    assert [d.status for d in deliveries] == ["sent"] * 6
    keys = [BytesParser().parsebytes(r.data)["X-Relance-Action-Key"] for r in server.received]
    assert keys == [f"RKEY{n:04d}" for n in range(6)]  # each once, in order
    assert smtp.connections == 3


def test_a_connection_lost_after_the_message_is_unknown_never_retried(tmp_path):
    handler = Handler(drop_after_data={2})
    with SmtpServer(handler) as server:
        smtp = channel(tmp_path, server)
        deliveries = [smtp.send(message(n)) for n in range(3)]
        smtp.close()
    assert [d.status for d in deliveries] == ["sent", "unknown", "sent"]
    assert "whether it took it cannot be told" in deliveries[1].detail.en
    assert len(server.received) == 3  # the server did take it: a retry would have sent it twice


def test_a_server_gone_for_good_stops_the_run(tmp_path):
    config = SmtpConfig(host="127.0.0.1", port=free_port(), security="none", timeout=2, attempts=3,
                        wait_first=0, wait_max=0)
    smtp = SmtpChannel(config, OutboxChannel(tmp_path / "o", "t"), lang="en", sleep=lambda s: None)
    with pytest.raises(TransportDown) as down:
        smtp.send(message(1))
    assert "cannot be reached" in down.value.message and "after 3 attempts" in down.value.message
    smtp.close()


def test_a_refused_recipient_is_a_failed_delivery_with_the_reply_and_the_others_go(tmp_path):
    handler = Handler(rcpt_replies={"nobody@c.example": ["550 5.1.1 <nobody@c.example>: no such user"]})
    with SmtpServer(handler) as server:
        smtp = channel(tmp_path, server)
        alone = smtp.send(message(1, ("nobody@c.example",)))
        shared = smtp.send(message(2, ("nobody@c.example", "ok@c.example")))
        after = smtp.send(message(3))
        smtp.close()
    assert alone.status == "failed" and alone.message_id == ""
    assert "550 5.1.1 <nobody@c.example>: no such user" in alone.detail.en
    assert handler.rcpt_tries["nobody@c.example"] == 2  # a 5xx is never retried
    assert shared.status == "sent" and "refused for nobody@c.example" in shared.detail.en
    assert after.status == "sent"
    assert [r.rcpt_tos for r in server.received] == [["ok@c.example"], ["compta@c3.example"]]


def test_451_then_accepted_is_retried_on_the_same_connection(tmp_path):
    handler = Handler(rcpt_replies={"busy@c.example": ["451 4.3.0 Try again later", "250 OK"]})
    with SmtpServer(handler) as server:
        smtp = channel(tmp_path, server)
        delivery = smtp.send(message(1, ("busy@c.example",)))
        smtp.close()
    assert delivery.status == "sent"
    assert handler.rcpt_tries["busy@c.example"] == 2 and len(server.received) == 1
    assert smtp.connections == 1


def test_always_451_fails_after_the_bounded_attempts_and_is_planned_again(tmp_path):
    handler = Handler(rcpt_replies={"busy@c.example": ["451 4.3.0 Try again later"]})
    waits: list[float] = []
    with SmtpServer(handler) as server:
        config = SmtpConfig(host="127.0.0.1", port=server.port, security="none", timeout=5, attempts=4,
                            wait_first=0.5, wait_max=2)
        smtp = SmtpChannel(config, OutboxChannel(tmp_path / "o", "t"), lang="en", sleep=waits.append)
        delivery = smtp.send(message(1, ("busy@c.example",)))
        smtp.close()
    assert delivery.status == "failed" and "451 4.3.0 Try again later after 4 attempts" in delivery.detail.en
    assert handler.rcpt_tries["busy@c.example"] == 4 and server.received == []
    assert len(waits) == 3 and all(0 <= w <= 2 for w in waits)  # jittered, bounded


def test_letters_and_text_messages_are_filed_in_the_outbox_folder(tmp_path):
    with SmtpServer() as server:
        smtp = channel(tmp_path, server)
        letter = smtp.send(message(1, ("12 rue X;75001 Paris",), channel="letter", pdf=b"%PDF-1.4 notice"))
        sms = smtp.send(message(2, ("+33612345678",), channel="sms"))
        assert smtp.via_for(message(1, channel="letter").action) == smtp.outbox.via
        assert smtp.via_for(message(3).action) == smtp.via
        assert smtp.lookup("RKEY0001") == letter.message_id
        smtp.close()
    assert letter.status == sms.status == "sent" and "to be printed and posted" in letter.detail.en
    assert (tmp_path / "outbox" / "C1_reminder_1_RKEY0001.pdf").read_bytes() == b"%PDF-1.4 notice"
    assert server.received == []


# --- the whole run, as a user runs it ---------------------------------------------------------

def test_relance_run_channel_smtp_end_to_end_and_a_crash_is_settled_unknown(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from relance import cli
    from relance.channels import smtp as smtp_module
    from relance.cli import app

    runner = CliRunner()
    now = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(cli, "_now", lambda: now)
    book = tmp_path / "book.xlsx"
    made = runner.invoke(app, ["init", str(book), "--demo", "--as-of", "2026-11-23", "--customers", "40",
                               "--invoices", "300"])
    assert made.exit_code == 0, made.output
    copy = tmp_path / "copy.xlsx"
    shutil.copy(book, copy)
    with SmtpServer() as server:
        for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port), "SMTP_SECURITY": "none",
                            "SMTP_RETRY_WAIT": "0"}.items():
            monkeypatch.setenv(name, value)
        result = runner.invoke(app, ["run", str(book), "--channel", "smtp", "--json"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        emails = [a for a in summary["actions"] if a["status"] == "sent" and a["channel"] == "email"]
        assert len(emails) > 3 and len(server.received) == len(emails)
        keys = {BytesParser().parsebytes(r.data)["X-Relance-Action-Key"] for r in server.received}
        assert keys == {a["action_key"] for a in emails}
        again = json.loads(runner.invoke(app, ["run", str(book), "--channel", "smtp", "--json"]).output)
        assert again["sent"] == 0 and len(server.received) == len(emails)  # never twice

        # a run killed while handing over its third e-mail: that one may have left, it is `unknown`,
        # never resent; the run's attempt journal (channels/attempts.py) says the first two were
        # taken (`sent`, with their ids) and the others never handed over (sent by the next run)
        real = smtp_module.SmtpChannel.send
        handed: list[str] = []

        def crash_at_the_third_email(self, m):
            if m.action.channel == "email":
                handed.append(m.action.key)
                if len(handed) > 2:
                    raise KeyboardInterrupt("power cut")
            return real(self, m)

        monkeypatch.setattr(smtp_module.SmtpChannel, "send", crash_at_the_third_email)
        before = len(server.received)
        crashed = runner.invoke(app, ["run", str(copy), "--channel", "smtp", "--json"])
        assert crashed.exit_code != 0
        monkeypatch.setattr(smtp_module.SmtpChannel, "send", real)
        settled = runner.invoke(app, ["run", str(copy), "--channel", "smtp", "--json"])
        assert settled.exit_code == 0, settled.output
        out = json.loads(settled.output)
        resent = [a["action_key"] for a in out["actions"] if a["status"] == "sent" and a["channel"] == "email"]
        sent_now = len(server.received) - before
        received = Counter(BytesParser().parsebytes(r.data)["X-Relance-Action-Key"] for r in server.received[before:])
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(copy)).get_sheet_by_name("Historique").to_python()[1:]
    unknown = [r for r in rows if key_of(STATUSES, r[9]) == "unknown"]
    assert unknown and all(r[15].startswith("smtp:127.0.0.1:") for r in unknown)
    assert all(key_of(CHANNELS, r[7]) == "email" for r in unknown)
    assert [r[2] for r in unknown] == handed[2:]  # the one being handed over: a person decides
    confirmed = {r[2]: r[10] for r in rows if key_of(STATUSES, r[9]) == "sent" and r[2] in handed[:2]}
    assert set(confirmed) == set(handed[:2]) and all(v.startswith(f"<{k}@") for k, v in confirmed.items())
    assert set(received) == {*handed[:2], *resent} and max(received.values()) == 1  # each once
    assert resent and not set(resent) & set(handed) and sent_now == 2 + len(resent)
    said = CalamineWorkbook.from_path(str(copy)).get_sheet_by_name("Anomalies").to_python()
    assert sum("R621" in map(str, row) for row in said) == len(unknown)
    assert out["unsettled_pending"] == len(unknown)
