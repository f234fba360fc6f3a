"""The default channel: a folder holding one RFC 5322 .eml per e-mail and index.jsonl.

The outbox is also the proof of what was sent: index.jsonl has a line per message (action key,
channel, customer, recipient, invoices, file), which is what `lookup` reads to settle a `pending`
History row after a crash. A key already in the index is never written twice.
"""

from __future__ import annotations

import binascii
import datetime as dt
import json
import os
import re
from collections.abc import Iterable
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr
from pathlib import Path

from relance.channels.port import Delivery
from relance.engine.errors import ConfigError
from relance.engine.message import OutgoingMessage

_WIRE = compat32.clone(linesep="\r\n")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


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


class OutboxChannel:
    name = "outbox"

    def __init__(self, folder: Path, now_iso: str, sent_at: dt.datetime | None = None) -> None:
        self.folder = Path(folder)
        self.location = str(self.folder)
        self.index_path = self.folder / "index.jsonl"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._index = open(self.index_path, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise ConfigError(f"the outbox folder {self.folder} cannot be used ({exc.strerror})",
                               "choose a folder you can write to with --outbox DIR") from None
        self.now_iso = now_iso
        self.sent_at = sent_at
        self._known: dict[str, str] = {}
        if self.index_path.exists():
            for line in self.index_path.read_text("utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut by a crash: that message's file is checked by lookup
                if isinstance(entry, dict) and entry.get("action_key"):
                    self._known[str(entry["action_key"])] = str(entry.get("message_id", ""))

    def lookup(self, action_key: str) -> str | None:
        if action_key in self._known:
            return self._known[action_key]
        for path in self.folder.glob(f"*{action_key}*"):
            if path.suffix in (".eml", ".pdf", ".txt"):
                return f"<file:{path.name}>"
        return None

    def build_email(self, m: OutgoingMessage) -> tuple[Message, str]:
        """RFC 5322 multipart/alternative, UTF-8 quoted-printable parts, encoded-word headers.

        Built with the compat32 API: the modern policy refolds every header through a full
        parser, 50 times slower, for the same bytes on the wire.
        """
        a = m.action
        domain = m.sender_email.rpartition("@")[2] or "relance.invalid"
        message_id = f"<{a.key}@{domain}>"
        msg = MIMEMultipart("alternative")
        msg["From"] = formataddr((m.sender_name, m.sender_email), charset="utf-8") \
            if m.sender_email else "relance@relance.invalid"
        msg["To"] = ", ".join(a.recipients)
        if a.cc:
            msg["Cc"] = ", ".join(a.cc)
        if m.reply_to:
            msg["Reply-To"] = m.reply_to
        msg["Subject"] = encoded_words(m.subject)
        if self.sent_at is not None:
            msg["Date"] = format_datetime(self.sent_at)
        msg["Message-ID"] = message_id
        msg["X-Relance-Action-Key"] = a.key
        msg["X-Relance-Step"] = f"{a.scenario}/{a.step}"
        msg.attach(_qp_part(m.text, "plain"))
        msg.attach(_qp_part(m.html, "html"))
        return msg, message_id

    def send(self, message: OutgoingMessage) -> Delivery:
        a = message.action
        if a.key in self._known:
            return Delivery("sent", self._known[a.key], "already in the outbox")
        stem = _SAFE.sub("_", f"{a.customer_id or 'relance'}_{a.step}_{a.key}")
        domain = message.sender_email.rpartition("@")[2] or "relance.invalid"
        if message.pdf is not None:  # a letter: the PDF to print and post
            name, data = stem + ".pdf", message.pdf
            message_id = f"<{a.key}@{domain}>"
        elif a.channel == "sms":  # what an SMS gateway would send: the number, the sender, the text
            name = stem + ".sms.txt"
            data = (f"To: {a.recipient}\nFrom: {message.sender_name}\nAction-Key: {a.key}\n\n"
                    f"{message.text}\n").encode()
            message_id = f"<{a.key}@sms.{domain}>"
        else:
            msg, message_id = self.build_email(message)
            name, data = stem + ".eml", msg.as_bytes(policy=_WIRE)
        path = self.folder / name
        tmp = path.with_name(name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        self._index.write(json.dumps({
            "action_key": a.key, "channel": a.channel, "customer_id": a.customer_id,
            "recipient": a.recipient, "invoice_ids": list(a.invoice_ids), "step": a.step,
            "file": name, "message_id": message_id, "at": self.now_iso,
        }, ensure_ascii=False) + "\n")
        self._known[a.key] = message_id
        return Delivery("sent", message_id, name)

    def attach(self, name: str, data: bytes) -> str:
        """Files a document that is not a message (an agency hand-off package) beside the messages."""
        safe = _SAFE.sub("_", name)
        path = self.folder / safe
        tmp = path.with_name(safe + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return safe

    def proofs(self, action_keys: Iterable[str]) -> dict[str, bytes]:
        """The files this outbox holds for these actions: the proof of what was sent."""
        wanted = set(action_keys)
        found: dict[str, bytes] = {}
        for path in sorted(self.folder.iterdir()):
            if path.suffix in (".eml", ".pdf", ".txt") and any(k in path.name for k in wanted):
                found[path.name] = path.read_bytes()
        return found

    def close(self) -> None:
        self._index.flush()
        os.fsync(self._index.fileno())
        self._index.close()
