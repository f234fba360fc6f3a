"""The default channel: a folder holding one RFC 5322 .eml per e-mail and index.jsonl.

The outbox is also the proof of what was sent: index.jsonl has a line per message (action key,
channel, customer, recipient, invoices, file), which is what `lookup` reads to settle a `pending`
History row after a crash. A key already in the index is never written twice.

A run dated another day than today (`--as-of`) is a simulation: the outbox files its messages in
a `simulation-<as_of>/` subfolder with its own index, answers `simulated` (a History status that
neither blocks a later real send nor counts as a reminder sent), and is named `simulation` (the
History rows say `via simulation`). The outbox itself never looks into its subfolders: `lookup`
and `proofs` of a real run cannot take a simulated message for a sent one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable
from email.message import Message
from pathlib import Path

from relance.channels.mime import WIRE, build_email, message_id_for
from relance.channels.port import Delivery
from relance.engine.errors import ConfigError
from relance.engine.message import OutgoingMessage

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")

#: The name of the outbox of a simulated run (a run dated another day): History rows say
#: `via simulation`, and a real channel never settles them.
SIMULATION = "simulation"
#: The History status of a message a simulation filed: not sent, and not blocking a real send.
SIMULATED = "simulated"


def simulation_folder(as_of: dt.date) -> str:
    """The subfolder of the outbox where a run dated `as_of` files what it would have sent."""
    return f"simulation-{as_of.isoformat()}"


class OutboxChannel:
    name = "outbox"

    def __init__(self, folder: Path, now_iso: str, sent_at: dt.datetime | None = None,
                 simulation: dt.date | None = None) -> None:
        self.root = Path(folder)
        self.simulation = simulation
        self.prefix = "" if simulation is None else simulation_folder(simulation) + "/"
        self.folder = self.root if simulation is None else self.root / simulation_folder(simulation)
        if simulation is not None:
            self.name = SIMULATION
        self._status = "sent" if simulation is None else SIMULATED
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
        """Only this folder's index and files: a simulation's subfolder is never a proof of sending."""
        if action_key in self._known:
            return self._known[action_key]
        for path in self.folder.glob(f"*{action_key}*"):
            if path.suffix in (".eml", ".pdf", ".txt") and path.is_file():
                return f"<file:{path.name}>"
        return None

    def build_email(self, m: OutgoingMessage) -> tuple[Message, str]:
        """The e-mail of a message as the shared MIME builder makes it, and its Message-ID."""
        return build_email(m, self.sent_at), message_id_for(m)

    def send(self, message: OutgoingMessage) -> Delivery:
        a = message.action
        if a.key in self._known:
            return Delivery(self._status, self._known[a.key], "already in the outbox")
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
            name, data = stem + ".eml", msg.as_bytes(policy=WIRE)
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
        return Delivery(self._status, message_id, self.prefix + name)

    def attach(self, name: str, data: bytes) -> str:
        """Files a document that is not a message (an agency hand-off package) beside the messages."""
        safe = _SAFE.sub("_", name)
        path = self.folder / safe
        tmp = path.with_name(safe + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return safe

    def proofs(self, action_keys: Iterable[str]) -> dict[str, bytes]:
        """The files the outbox holds for these actions: the proof of what was sent.

        Only the outbox's own files (a simulation reads its parent's): what a simulation filed
        proves nothing and is never read as a proof.
        """
        wanted = set(action_keys)
        found: dict[str, bytes] = {}
        if not self.root.is_dir():
            return found
        for path in sorted(self.root.iterdir()):
            if path.suffix in (".eml", ".pdf", ".txt") and path.is_file() and any(k in path.name for k in wanted):
                found[path.name] = path.read_bytes()
        return found

    def close(self) -> None:
        self._index.flush()
        os.fsync(self._index.fileno())
        self._index.close()
