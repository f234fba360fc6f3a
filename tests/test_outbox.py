"""The outbox writes real RFC 5322 messages and never writes an action twice."""

import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal
from email import policy
from email.parser import BytesParser

from relance.channels.outbox import OutboxChannel
from relance.engine.action import Action
from relance.engine.message import OutgoingMessage

ACTION = Action("RKEY1", "C1", ("F1", "F2"), "standard", "reminder_1", 7, "email", "reminder_1",
                ("compta@client.example", "dg@client.example"), ("cc@client.example",),
                (("EUR", Decimal("1234.56")),), 8, "fr")
MESSAGE = OutgoingMessage(ACTION, "relances@dumas.example", "Atelier Dumas – Comptabilité", "compta@dumas.example",
                          "Relance – factures F1 et F2 échues", "<p>Montant dû : 1 234,56 €</p>",
                          "Montant dû : 1 234,56 €\n")


def test_eml_parses_back_with_accents_both_parts_and_the_key(tmp_path):
    box = OutboxChannel(tmp_path, "2026-11-23T09:00:00+01:00", dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC))
    delivery = box.send(MESSAGE)
    box.close()
    assert delivery.status == "sent" and delivery.message_id == "<RKEY1@dumas.example>"
    raw = (tmp_path / delivery.detail).read_bytes()
    assert raw.isascii()  # 7-bit clean on the wire, accents encoded
    email = BytesParser(policy=policy.default).parsebytes(raw)
    assert email["Subject"] == "Relance – factures F1 et F2 échues"
    assert email["From"] == "Atelier Dumas – Comptabilité <relances@dumas.example>"
    assert email["To"] == "compta@client.example, dg@client.example"
    assert email["Cc"] == "cc@client.example"
    assert email["Message-ID"] == "<RKEY1@dumas.example>"
    assert email["X-Relance-Action-Key"] == "RKEY1"
    assert email.get_content_type() == "multipart/alternative"
    assert email.get_body(("plain",)).get_content() == "Montant dû : 1 234,56 €\r\n"  # CRLF, as on the wire
    assert "1 234,56 €" in email.get_body(("html",)).get_content()
    index = [json.loads(line) for line in (tmp_path / "index.jsonl").read_text().splitlines()]
    assert index == [{"action_key": "RKEY1", "channel": "email", "customer_id": "C1",
                      "recipient": "compta@client.example;dg@client.example", "invoice_ids": ["F1", "F2"],
                      "step": "reminder_1", "file": delivery.detail, "message_id": "<RKEY1@dumas.example>",
                      "at": "2026-11-23T09:00:00+01:00"}]


def test_a_key_already_in_the_outbox_is_not_written_again(tmp_path):
    first = OutboxChannel(tmp_path, "t")
    first.send(MESSAGE)
    first.close()
    second = OutboxChannel(tmp_path, "t")
    assert second.lookup("RKEY1") == "<RKEY1@dumas.example>"
    assert second.lookup("OTHER") is None
    assert second.send(MESSAGE).detail == "already in the outbox"
    second.close()
    assert len(list(tmp_path.glob("*.eml"))) == 1
    assert len((tmp_path / "index.jsonl").read_text().splitlines()) == 1


def test_a_simulation_files_apart_and_is_never_taken_for_a_send(tmp_path):
    day = dt.date(2026, 11, 23)
    sim = OutboxChannel(tmp_path, "t", simulation=day)
    delivery = sim.send(MESSAGE)
    assert (sim.name, delivery.status) == ("simulation", "simulated")
    assert delivery.detail.startswith("simulation-2026-11-23/") and (tmp_path / delivery.detail).is_file()
    assert sim.send(MESSAGE) == replace(delivery, detail="already in the outbox")  # still never twice
    sim.close()
    assert sim.location == str(tmp_path / "simulation-2026-11-23")
    assert not list(tmp_path.glob("*.eml")) and not (tmp_path / "index.jsonl").exists()
    real = OutboxChannel(tmp_path, "t")
    assert real.lookup("RKEY1") is None  # a later real run does not settle anything with it
    assert real.proofs(["RKEY1"]) == {}  # nor puts it in an agency package as proof
    sent = real.send(MESSAGE)
    assert (sent.status, sent.detail) == ("sent", "C1_reminder_1_RKEY1.eml")  # the real send happens
    real.close()
    assert list(real.proofs(["RKEY1"])) == ["C1_reminder_1_RKEY1.eml"]
    # a simulation's package shows the real proofs, from the outbox itself
    again = OutboxChannel(tmp_path, "t", simulation=day)
    assert list(again.proofs(["RKEY1"])) == ["C1_reminder_1_RKEY1.eml"]
    again.close()


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

body = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r") | st.just("\n"),
               max_size=400)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body, body)
def test_bodies_survive_the_wire_exactly(tmp_path, text, html):
    box = OutboxChannel(tmp_path, "t")
    action = replace(ACTION, key=f"K{abs(hash((text, html)))}")
    delivery = box.send(replace(MESSAGE, action=action, text=text, html=html))
    box.close()
    raw = (tmp_path / delivery.detail).read_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    email = BytesParser(policy=policy.default).parsebytes(raw)
    assert email.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    assert email.get_body(("html",)).get_content().replace("\r\n", "\n") == html


@given(st.text(max_size=300).filter(lambda t: "\n" not in t and "\r" not in t))
def test_encoded_subjects_decode_to_the_same_text(subject):
    from email.header import decode_header, make_header

    from relance.channels.mime import encoded_words

    encoded = encoded_words(subject)
    assert encoded.isascii() or subject == encoded
    assert all(len(word) <= 75 for word in encoded.split(" ")) or subject.isascii()
    if not subject.isascii():
        assert str(make_header(decode_header(encoded))) == subject
