"""The one MIME builder every e-mail transport sends through (outbox, SMTP, Mailjet).

What the outbox files as an .eml is, byte for byte, what a transport hands over: the proof and the
message are the same bytes.

The bytes are written directly: a multipart/alternative of two UTF-8 quoted-printable parts
(inside a multipart/mixed with the attachments, base64, when there are any), headers folded at 78
characters, non-ASCII in RFC 2047 encoded words, non-ASCII file names in RFC 2231. They are the
bytes Python's ``email`` package (compat32 policy, CRLF) writes for the same message, which is what
relance wrote until the outbox spent most of its time there (benchmarks/mail.py: 0.63 ms of CPU
per e-mail of the demo book, 0.17 ms here, most of it the quoted-printable encoding itself):
tests/test_mime.py keeps that builder and compares the two on generated messages. A header
value that is not printable ASCII (a raw non-ASCII address, a tab) is folded by the ``email``
package itself (`WIRE.fold_binary`), the rare case where rewriting its rules would buy nothing.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import re
from email.policy import compat32
from email.utils import format_datetime, formataddr
from functools import lru_cache
from urllib.parse import quote

from relance.engine.message import Attachment, OutgoingMessage

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


def message_id_for(m: OutgoingMessage) -> str:
    """The Message-ID of an action's e-mail: its key at the sender's domain, stable across retries."""
    domain = m.sender_email.rpartition("@")[2] or "relance.invalid"
    return f"<{m.action.key}@{domain}>"


# --------------------------------------------------------------------------- headers

#: The longest header line before it is folded (RFC 5322 recommends 78 characters).
MAX_LINE = 78
_SPACES = re.compile(r"( +)")
_SPLIT_AFTER = ";, "  # where a long header is cut, in this order of preference


def fold(name: str, value: str) -> bytes:
    """One header as it goes on the wire: ``Name: value`` CRLF, folded before 78 characters.

    A long line is cut where the compat32 policy of the ``email`` package cuts it (the bytes
    stay what relance has always written): before the space after the last ';' that lets the
    line fit, else after the last ',', else at the last space; a word longer than a line goes
    on a line of its own. A value that is not printable ASCII is left to the package itself.
    """
    if not (value.isascii() and value.isprintable()):
        return WIRE.fold_binary(name, value)
    if len(name) + 2 + len(value) <= MAX_LINE:
        return f"{name}: {value}\r\n".encode("ascii")
    return f"{name}: {_Folding(len(name) + 2).lines(value)}\r\n".encode("ascii")


class _Folding:
    """The lines of one long header value: (space before, word) pieces gathered on a line,
    the line cut when a piece makes it longer than MAX_LINE."""

    def __init__(self, head: int) -> None:
        self.done: list[str] = []
        self.line: list[tuple[str, str]] = []
        self.head = head  # the "Name: " before the first line
        self.size = head

    def lines(self, value: str) -> str:
        pieces = _SPACES.split(value)
        if pieces[0]:
            self.add("", pieces[0])
        for space, word in zip(pieces[1::2], pieces[2::2], strict=True):
            self.add(space, word)
        self.line.append((" ", ""))  # the end of the value, taken off by the last break
        self.size += 1
        self.new_line()
        return "\r\n".join(self.done)

    def add(self, space: str, word: str) -> None:
        self.line.append((space, word))
        self.size += len(space) + len(word)
        if self.size <= MAX_LINE:
            return
        cut = self.cut()
        if cut:
            rest = self.line[cut:]
            self.done.append("".join(s + w for s, w in self.line[:cut]))
            self.line, self.head = rest, 0
            self.size = sum(len(s) + len(w) for s, w in rest)
            return
        space, word = self.line.pop()
        self.size -= len(space) + len(word)
        if self.head:  # the header's own line: the long word goes on the next one
            self.new_line()
            space = space or " "
        self.line.append((space, word))
        self.size += len(space) + len(word)

    def cut(self) -> int:
        """Where the line is cut (0: nowhere): the last piece after a ';', else after a ',',
        else the last piece after a space."""
        line = self.line
        for mark in _SPLIT_AFTER:
            for i in range(len(line) - 1, 0, -1):
                if (mark == " " and line[i][0][:1] == " ") or line[i - 1][1][-1:] == mark:
                    return i
        return 0

    def new_line(self) -> None:
        last = self.line.pop() if self.line else ("", "")
        if last != (" ", ""):
            self.line.append(last)
        if self.size - (1 if last == (" ", "") else 0) > 0:
            text = "".join(s + w for s, w in self.line)
            if not self.head and text.isspace() and self.done:
                self.done[-1] += text  # only spaces left: they end the line before
            else:
                self.done.append(text)
        self.line, self.head, self.size = [], 0, 0


def _param(name: str, value: str) -> str:
    """A MIME parameter: quoted when ASCII, RFC 2231 UTF-8 percent-encoded otherwise."""
    if not value:
        return name
    if value.isascii():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{name}="{escaped}"'
    return f"{name}*=utf-8''{quote(value, safe='', encoding='utf-8')}"


# --------------------------------------------------------------------------- parts

_NL = re.compile(rb"\r\n|\r|\n")


def _lines(data: bytes) -> bytes:
    """Line ends as CRLF, as the wire has them."""
    return data.replace(b"\n", b"\r\n") if b"\r" not in data else _NL.sub(b"\r\n", data)


def _text_part(subtype: str, body: str) -> bytes:
    """A UTF-8 quoted-printable text part, encoded by binascii (C)."""
    encoded = binascii.b2a_qp(body.replace("\r\n", "\n").encode("utf-8"), istext=True)
    return _TEXT_HEAD[subtype] + _lines(encoded)


_TEXT_HEAD = {subtype: (f'Content-Type: text/{subtype}; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
                        "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode("ascii")
              for subtype in ("plain", "html")}
_COMPOSITE = ("multipart", "message")


def _attachment_part(item: Attachment) -> bytes:
    """A file in base64: an application/* type in lines of 76 characters, any other on one line."""
    maintype, _, subtype = item.content_type.partition("/")
    if maintype == "application":
        content_type = f"application/{subtype or 'octet-stream'}"
        body = _base64_lines(item.data)
    else:
        content_type = f"{maintype}/{subtype}"
        body = binascii.b2a_base64(item.data)[:-1] + b"\r\n"
    kind = content_type.partition(";")[0].strip().lower()
    if kind.count("/") == 1 and kind.partition("/")[0] in _COMPOSITE:
        raise ValueError(f"an e-mail attachment cannot be of type {item.content_type!r}")
    return b"".join((
        fold("Content-Type", content_type), b"MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n",
        fold("Content-Disposition", "attachment; " + _param("filename", header_text(item.filename))),
        b"\r\n", body))


def _base64_lines(data: bytes) -> bytes:
    """Base64 in CRLF lines of 76 characters (base64.encodebytes, as the ``email`` package writes
    an application part)."""
    encoded = binascii.b2a_base64(data, newline=False)
    return b"".join([encoded[i:i + 76] + b"\r\n" for i in range(0, len(encoded), 76)])


def _multipart(boundary: str, parts: list[bytes]) -> bytes:
    mark = boundary.encode("ascii")
    return b"--" + mark + b"\r\n" + (b"\r\n--" + mark + b"\r\n").join(parts) + b"\r\n--" + mark + b"--\r\n"


def email_bytes(m: OutgoingMessage, sent_at: dt.datetime | None = None) -> bytes:
    """The e-mail as sent and as filed, CRLF line ends: RFC 5322 multipart/alternative, UTF-8
    quoted-printable parts, encoded-word headers; inside a multipart/mixed with the message's
    attachments (base64) when it has any."""
    a = m.action
    h = header_text
    # a boundary of the key, not a random one: the same message is the same bytes wherever it is
    # built (the outbox's proof, SMTP, a retry); "=_" never occurs in quoted-printable text
    digest = hashlib.sha256(a.key.encode()).hexdigest()
    inner = "=_relance_" + digest[:24]
    alternative = _multipart(inner, [_text_part("plain", m.text), _text_part("html", m.html)])
    # the Content-Type of a multipart is one line too long: folded before its boundary
    inner_head = f'Content-Type: multipart/alternative;\r\n boundary="{inner}"\r\nMIME-Version: 1.0\r\n'.encode()
    if m.attachments:  # multipart/mixed: the text and HTML alternatives, then each file
        outer = "=_relance_mixed_" + digest[24:48]
        head = [f'Content-Type: multipart/mixed;\r\n boundary="{outer}"\r\nMIME-Version: 1.0\r\n'.encode()]
        body = _multipart(outer, [inner_head + b"\r\n" + alternative]
                          + [_attachment_part(item) for item in m.attachments])
    else:
        head, body = [inner_head], alternative
    head.append(_sender(m.sender_name, m.sender_email))
    head.append(fold("To", ", ".join(h(r) for r in a.recipients)))
    if a.cc:
        head.append(fold("Cc", ", ".join(h(r) for r in a.cc)))
    if m.reply_to:
        head.append(_reply_to(m.reply_to))
    head.append(fold("Subject", encoded_words(h(m.subject))))
    if sent_at is not None:
        head.append(_date(sent_at.isoformat(), sent_at))  # 09:00+01:00 == 08:00Z, not the same header
    head.append(fold("Message-ID", h(message_id_for(m))))
    head.append(fold("X-Relance-Action-Key", h(a.key)))
    head.append(fold("X-Relance-Step", encoded_words(h(f"{a.scenario}/{a.step}"))))
    head.append(b"\r\n")
    head.append(body)
    return b"".join(head)


# The same for every e-mail of a run: worked out once (a few, in case of several senders).

@lru_cache(maxsize=16)
def _sender(name: str, email: str) -> bytes:
    h = header_text
    return fold("From", formataddr((h(name), h(email)), charset="utf-8") if email else "relance@relance.invalid")


@lru_cache(maxsize=16)
def _reply_to(reply_to: str) -> bytes:
    return fold("Reply-To", header_text(reply_to))


@lru_cache(maxsize=16)
def _date(written: str, sent_at: dt.datetime) -> bytes:
    return fold("Date", format_datetime(sent_at))
