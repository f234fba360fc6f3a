"""The direct MIME builder (channels/mime.py) writes, for every message, the very bytes Python's
`email` package wrote for it (tests/mime_reference.py, the builder relance used until session 19):
generated subjects, names, addresses, bodies and attachments, and every header folding case."""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import replace
from decimal import Decimal
from email import policy
from email.parser import BytesParser

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mime_reference import reference_bytes
from relance.channels.mime import WIRE, email_bytes, fold
from relance.channels.outbox import OutboxChannel
from relance.engine.action import Action
from relance.engine.message import Attachment, OutgoingMessage

ACTION = Action("R0123456789ABCDEF012", "C1", ("F1", "F2"), "standard", "reminder_1", 7, "email", "reminder_1",
                ("compta@client.example",), (), (("EUR", Decimal("1234.56")),), 8, "fr")
MESSAGE = OutgoingMessage(ACTION, "relances@dumas.example", "Atelier Dumas – Comptabilité", "compta@dumas.example",
                          "Relance – factures F1 et F2 échues", "<p>Montant dû : 1 234,56 €</p>",
                          "Montant dû : 1 234,56 €\n")
SENT_AT = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)


def same_outcome(new, old):
    """Both give the same bytes, or both refuse the message with the same kind of error."""
    try:
        expected = old()
    except Exception as exc:  # the email package refuses it: so must the direct builder
        with pytest.raises(type(exc)):
            new()
        return
    assert new() == expected


# ------------------------------------------------------------------------- header folding

# the characters folding turns on (spaces, ';', ','), a few that only look special, and some
# that leave the fast path (tab, control characters, non-ASCII)
folding_text = st.text(alphabet=st.sampled_from(list("ab;, ") * 6 + list('=?"<>@.\\-_') + ["\t", "\x00", "é", "€"]),
                       max_size=320)
names = st.sampled_from(["From", "To", "Cc", "Subject", "Content-Type", "Content-Disposition", "X-Relance-Step",
                         "X-Relance-Action-Key", "Message-ID", "Reply-To"]) | st.text(
    alphabet=string.ascii_letters + "-", min_size=1, max_size=40)


@settings(max_examples=1500, deadline=None)
@given(names, folding_text)
@example("Subject", "")
@example("Subject", " ")
@example("Subject", "a" * 200)
@example("Subject", "a " * 60)
@example("Subject", "=?utf-8?b?" + "A" * 56 + "?= =?utf-8?b?" + "B" * 56 + "?=")
@example("Content-Type", 'multipart/mixed; boundary="=_relance_mixed_0123456789abcdef01234567"')
@example("To", ", ".join(f"compta{i}@client{i}.example" for i in range(12)))
@example("X", "a;" + " " * 90 + "b")
@example("X", "a" * 70 + "    " + "b" * 10 + "   ")
def test_a_header_is_folded_as_the_email_package_folds_it(name, value):
    same_outcome(lambda: fold(name, value), lambda: WIRE.fold_binary(name, value))


# ------------------------------------------------------------------------- whole messages

line_breaks = st.sampled_from(["\n", "\r\n", "\r", "\u2028", "\x85"])
prose = st.text(max_size=120) | st.text(alphabet=st.sampled_from(list("Relance factures échues –€ ;,.")),
                                         max_size=200)
header_text = prose | st.lists(prose | line_breaks, max_size=4).map("".join)
ascii_address = st.from_regex(r"[a-z0-9._-]{1,20}@[a-z0-9-]{1,15}\.(fr|example|com)", fullmatch=True)
address = ascii_address | st.sampled_from(["", "compta@société.fr", "a b@c.fr", "x@y.fr\r\n", "é@x.fr"])
body = st.text(max_size=500) | st.lists(
    st.sampled_from(["Montant dû : 1 234,56 €", " ", "\t", "=", ".", "From x", "\n", "\r\n", "\r", "x" * 90]),
    max_size=30).map("".join)
content_types = st.sampled_from(["application/pdf", "application/octet-stream", "application", "image/png",
                                 "text/plain", "application/pdf; name=x", "APPLICATION/PDF", "a/b/c", "",
                                 "application/" + "x" * 90, "font/wöff"])
attachment = st.builds(Attachment, filename=header_text | st.sampled_from(
    ["mise_en_demeure_Café_2026-11-23.pdf", "formal_notice_C1_2026-11-23.pdf", 'a "b" \\c.pdf', "",
     "é" * 80 + ".pdf"]), content_type=content_types, data=st.binary(max_size=300))
keys = st.from_regex(r"R[0-9A-F]{19}", fullmatch=True) | st.text(alphabet=string.ascii_uppercase, min_size=4,
                                                                   max_size=30)


@st.composite
def messages(draw):
    action = replace(
        ACTION, key=draw(keys), scenario=draw(header_text), step=draw(header_text),
        recipients=tuple(draw(st.lists(address, max_size=6))), cc=tuple(draw(st.lists(address, max_size=3))))
    return OutgoingMessage(
        action, draw(address), draw(header_text), draw(address), draw(header_text), draw(body), draw(body),
        attachments=tuple(draw(st.lists(attachment, max_size=3))))


sent_at = st.none() | st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=1))]))


@settings(max_examples=600, deadline=None)
@given(messages(), sent_at)
@example(MESSAGE, SENT_AT)
@example(replace(MESSAGE, attachments=(Attachment("mise_en_demeure_Café_2026-11-23.pdf", "application/pdf",
                                                  bytes(range(256)) * 40),)), SENT_AT)
@example(replace(MESSAGE, subject="Relance – " * 30, sender_name="Société " * 12), None)
def test_every_message_is_the_bytes_the_email_package_wrote(message, when):
    same_outcome(lambda: email_bytes(message, when), lambda: reference_bytes(message, when))


def test_the_same_instant_in_two_zones_is_dated_as_given():
    utc = email_bytes(MESSAGE, SENT_AT)
    paris = dt.datetime(2026, 11, 23, 9, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert paris == SENT_AT and email_bytes(MESSAGE, paris) == reference_bytes(MESSAGE, paris) != utc
    assert b"Date: Mon, 23 Nov 2026 09:00:00 +0100\r\n" in email_bytes(MESSAGE, paris)
    assert email_bytes(MESSAGE, SENT_AT) == utc


@pytest.mark.parametrize("kind", ["multipart/mixed", "message/rfc822", "Multipart/alternative"])
def test_an_attachment_of_a_composite_type_is_refused(kind):
    # relance attaches PDFs; the email package wrote a broken message for these (the data as is)
    with pytest.raises(ValueError, match="cannot be of type"):
        email_bytes(replace(MESSAGE, attachments=(Attachment("x", kind, b"data"),)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(messages(), min_size=1, max_size=5, unique_by=lambda m: m.key))
def test_the_outbox_files_the_bytes_of_the_email_package(tmp_path_factory, batch):
    folder = tmp_path_factory.mktemp("outbox")
    box = OutboxChannel(folder, "t", SENT_AT)
    for message in batch:
        try:
            expected = reference_bytes(message, SENT_AT)
        except Exception:
            continue
        delivery = box.send(message)
        assert (folder / delivery.file).read_bytes() == expected
        assert BytesParser(policy=policy.default).parsebytes(expected)["X-Relance-Action-Key"] is not None
    box.close()


def test_the_demo_books_emails_are_the_bytes_the_email_package_wrote(tmp_path):
    from relance.app.executor import compose
    from relance.app.jobs import snapshot
    from relance.demo import DEFAULT_AS_OF, build_demo_workbook
    from relance.workbook.xlsx import XlsxBackend

    path = tmp_path / "demo.xlsx"
    build_demo_workbook(path, seed=11, customers=60, invoices=600, as_of=DEFAULT_AS_OF)
    now = dt.datetime.combine(DEFAULT_AS_OF, dt.time(9), dt.UTC)
    snap = snapshot(XlsxBackend(path), now, DEFAULT_AS_OF)
    composed, _ = compose(snap.plan, snap.book, snap.positions, snap.renderer)
    emails = [m for a, m, _ in composed if m is not None and a.channel == "email"]
    assert len(emails) >= 5
    for m in emails:
        assert email_bytes(m, SENT_AT) == reference_bytes(m, SENT_AT)
