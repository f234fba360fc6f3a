"""The channel seam: what the executor needs of a transport (outbox, SMTP, Mailjet).

Send one message; say whether an action was already handed over (to settle a `pending` History
row after a crash); file a document that is not a message (an agency hand-off package); give back
the proofs of what was sent; close. A transport that has no folder of its own still answers
`attach` and `proofs` (with where it filed the document, and what it can prove).

`via` names where a message goes as History records it, so that a later run, whatever channel
it opens, asks that very place what it has (`Witness`): `outbox:/abs/folder` for the outbox.
A transport that can take no more messages this run (a full disk, a provider's quota) raises
`TransportDown`: the run stops sending and says so; what is left is planned again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from relance.engine.errors import ChannelError
from relance.engine.message import OutgoingMessage


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a transport says of one message: sent or failed, its provider id, a detail for History."""

    status: str  # sent | failed | simulated (a dated run: filed apart, never sent)
    message_id: str = ""
    detail: str = ""


class TransportDown(ChannelError):
    """The transport cannot take any more message in this run (disk full, quota reached).

    Raised by `send` (or `attach`) once nothing of the message was left behind: no partial or
    temporary file. The executor stops sending; the caller says how many messages left.
    """


class Witness(Protocol):
    """A read-only view of where messages went (an outbox folder): what it holds, never a write."""

    def lookup(self, action_key: str) -> str | None:
        """The message id if this action was handed over there, None if it surely was not."""
        ...

    def proofs(self, action_keys: Iterable[str]) -> dict[str, bytes]:
        """The files held there for these actions, by file name."""
        ...


class Channel(Protocol):
    """A transport, as the executor uses it."""

    name: str
    location: str  # where a person finds what was sent (a folder, a provider's dashboard)
    via: str  # where messages go, as History records it: "outbox:/abs/folder"

    def send(self, message: OutgoingMessage) -> Delivery:
        """Hand one message over; a key already handed over is not sent again."""
        ...

    def lookup(self, action_key: str) -> str | None:
        """The provider's message id if this action was already handed over, None if it surely was not.

        Used to settle History rows left `pending` by an interrupted run.
        """
        ...

    def attach(self, name: str, data: bytes) -> str:
        """File a document beside the messages (an agency hand-off ZIP); where a person finds it."""
        ...

    def proofs(self, action_keys: Iterable[str]) -> dict[str, bytes]:
        """The files that prove what was sent for these actions, by file name."""
        ...

    def close(self) -> None:
        """Flush and release what the transport holds (files, connections)."""
        ...
