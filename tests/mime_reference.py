"""The MIME builder relance used until session 19, kept as the reference of tests/test_mime.py.

Python's ``email`` package (compat32 policy, CRLF) builds and writes the message; channels/mime.py
now writes the same bytes directly. Kept verbatim: change it only to follow a change of the bytes
that the issue asks for.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr

from relance.channels.mime import message_id_for  # the id is not the builder: one definition
from relance.engine.message import OutgoingMessage

#: Header lines end in CRLF on the wire and in the .eml files.
WIRE = compat32.clone(linesep="\r\n")


def header_text(value: str) -> str:
    """A header value on one line: every line break (CR, LF, CRLF and the other Unicode ones)
    becomes a space. A `sender_name`, `reply_to` or step name typed with a line break would
    otherwise make every e-mail fail to build (or, worse, add a header of its own)."""
    if value.isprintable() or not any(c in value for c in _BREAKS):
        return value
    return " ".join(value.splitlines())


_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def encoded_words(text: str, chunk: int = 42) -> str:
    """RFC 2047 'B' encoded words for a non-ASCII header, each under 76 characters.

    email.header.Header does the same with a quadratic line-splitting search that costs
    about a millisecond per subject; UTF-8 sequences are never cut between two words here.
    """
    if text.isascii():
        return text
    data = text.encode("utf-8")
    words = []
    start = 0
    while start < len(data):
        end = min(start + chunk, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # a continuation byte: move back
            end -= 1
        words.append("=?utf-8?b?" + binascii.b2a_base64(data[start:end], newline=False).decode("ascii") + "?=")
        start = end
    return " ".join(words)


def _qp_part(body: str, subtype: str) -> MIMENonMultipart:
    """A UTF-8 quoted-printable text part, encoded by binascii (C) rather than email.quoprimime."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part["Content-Transfer-Encoding"] = "quoted-printable"
    encoded = binascii.b2a_qp(body.replace("\r\n", "\n").encode("utf-8"), istext=True)
    part.set_payload(encoded.decode("ascii"))
    return part


def build_email(m: OutgoingMessage, sent_at: dt.datetime | None = None) -> MIMEMultipart:
    """RFC 5322 multipart/alternative, UTF-8 quoted-printable parts, encoded-word headers; inside
    a multipart/mixed with the message's attachments (base64) when it has any.

    Built with the compat32 API: the modern policy refolds every header through a full
    parser, 50 times slower, for the same bytes on the wire.
    """
    a = m.action
    h = header_text
    # a boundary of the key, not a random one: the same message is the same bytes wherever it is
    # built (the outbox's proof, SMTP, a retry); "=_" never occurs in quoted-printable text
    digest = hashlib.sha256(a.key.encode()).hexdigest()
    body = MIMEMultipart("alternative", boundary="=_relance_" + digest[:24])
    body.attach(_qp_part(m.text, "plain"))
    body.attach(_qp_part(m.html, "html"))
    if m.attachments:  # multipart/mixed: the text and HTML alternatives, then each file
        msg = MIMEMultipart("mixed", boundary="=_relance_mixed_" + digest[24:48])
        msg.attach(body)
        for item in m.attachments:
            maintype, _, subtype = item.content_type.partition("/")
            part = MIMEApplication(item.data, subtype or "octet-stream") if maintype == "application" \
                else MIMENonMultipart(maintype, subtype)
            if maintype != "application":
                part.set_payload(binascii.b2a_base64(item.data).decode("ascii"))
                part["Content-Transfer-Encoding"] = "base64"
            part.add_header("Content-Disposition", "attachment", filename=h(item.filename))
            msg.attach(part)
    else:
        msg = body
    msg["From"] = formataddr((h(m.sender_name), h(m.sender_email)), charset="utf-8") \
        if m.sender_email else "relance@relance.invalid"
    msg["To"] = ", ".join(h(r) for r in a.recipients)
    if a.cc:
        msg["Cc"] = ", ".join(h(r) for r in a.cc)
    if m.reply_to:
        msg["Reply-To"] = h(m.reply_to)
    msg["Subject"] = encoded_words(h(m.subject))
    if sent_at is not None:
        msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = h(message_id_for(m))
    msg["X-Relance-Action-Key"] = h(a.key)
    msg["X-Relance-Step"] = encoded_words(h(f"{a.scenario}/{a.step}"))
    return msg


def reference_bytes(m: OutgoingMessage, sent_at: dt.datetime | None = None) -> bytes:
    """The e-mail as the ``email`` package writes it: what the outbox filed until session 19."""
    return build_email(m, sent_at).as_bytes(policy=WIRE)
