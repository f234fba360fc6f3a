"""The channel seam: what the executor needs of a transport (outbox, SMTP, Mailjet).

Send one message; say whether an action was already handed over (to settle a `pending` History
row after a crash); file a document that is not a message (an agency hand-off package); give back
the proofs of what was sent; close. A transport that has no folder of its own still answers
`attach` and `proofs` (with where it filed the document, and what it can prove).

`via` names where a message goes as History records it, so that a later run, whatever channel
it opens, asks that very place what it has (`Witness`): `outbox:/abs/folder` for the outbox.
A transport that can take no more messages this run (a full disk, a provider's quota) raises
`TransportDown`: the run stops sending and says so; what is left is planned again.

Some places cannot be asked at all (`BLIND_TRANSPORTS`: an SMTP server keeps no record a client
can query): a `pending` row that names one is settled `unknown` (a person decides), never resent.
A transport may send some actions elsewhere (SMTP files letters and text messages in an outbox
folder): `via_of` is where one action goes. A transport that sends in batches (Mailjet: 50 per
call) has `send_many`; `deliveries` calls it, or `send` one by one for a transport that has none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Protocol, TypeVar

from relance.engine.action import Action
from relance.engine.errors import ChannelError
from relance.engine.i18n import Said
from relance.engine.message import OutgoingMessage

#: Transports that cannot be asked whether they took a message (`via` = "smtp:host:port"; the
#: SMS API, which has no CustomID to look a message up by).
BLIND_TRANSPORTS = frozenset({"smtp", "mailjet-sms"})
#: The History status of a message whose fate cannot be known: blocks a resend; a person decides.
UNKNOWN = "unknown"


#: A Delivery that has nothing to say.
SILENT = Said.verbatim("")


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a transport says of one message: sent or failed, its provider id, a note for History.

    `detail` is a `Said`, not a text: a transport does not know the workbook it sends for, so the
    note is rendered in the workbook's language where the History row is made (the executor); a
    server's or provider's own reply is an argument, kept as written. `file` is the file filed
    in the outbox for it (relative to the outbox folder), `again` says it was already handed
    over before and nothing was sent now: machine values the caller reads, never the note.
    """

    status: str  # sent | failed | simulated (a dated run: filed apart, never sent) | unknown
    message_id: str = ""
    detail: Said = SILENT
    file: str = ""
    again: bool = False


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


_Item = TypeVar("_Item")
_Outcome = TypeVar("_Outcome")


def one_by_one(items: Iterable[_Item], hand: Callable[[_Item], _Outcome]) -> list[_Outcome | BaseException]:
    """Each item through `hand`, in order, its outcome or the exception it raised: one item's
    failure is its own and the others go on, but a TransportDown (the channel itself is down)
    ends the list, as a batch that stops there does (`send_many`, `attach_many`)."""
    out: list[_Outcome | BaseException] = []
    for item in items:
        try:
            out.append(hand(item))
        except TransportDown as exc:
            out.append(exc)
            break
        except Exception as exc:  # noqa: BLE001 - this one fails; the others go on
            out.append(exc)
    return out


def via_of(channel: Channel, action: Action) -> str:
    """Where `channel` sends this action, as its History row records it (`channel.via` unless the
    transport files some channels elsewhere and says so with a `via_for(action)` method)."""
    via_for = getattr(channel, "via_for", None)
    return str(via_for(action)) if callable(via_for) else channel.via


def deliveries(channel: Channel, messages: Iterable[OutgoingMessage]) -> Iterator[Delivery | Exception]:
    """The outcome of each message, in order, sent as late as it is asked for: in batches of
    `channel.batch_size` when the transport has `send_many` (Mailjet), else `send` one by one (the
    outbox, SMTP). An outcome is a Delivery or the exception its sending raised; after a
    `TransportDown` nothing more is asked for (the executor stops). `messages` is taken a batch
    at a time (a run makes each message as it reaches it, and lets it go once sent).
    """
    send_many = getattr(channel, "send_many", None)
    if not callable(send_many):
        for message in messages:
            try:
                yield channel.send(message)
            except Exception as exc:  # noqa: BLE001 - the caller says what became of it
                yield exc
        return
    size = max(1, int(getattr(channel, "batch_size", 1)))
    them = iter(messages)
    while chunk := list(islice(them, size)):
        outcomes = list(send_many(chunk))
        yield from outcomes
        if len(outcomes) < len(chunk):  # it stopped (TransportDown last): nothing more goes
            return
