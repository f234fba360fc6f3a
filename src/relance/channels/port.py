"""The channel seam: send one message, and say whether a given action was already delivered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from relance.engine.message import OutgoingMessage


@dataclass(frozen=True, slots=True)
class Delivery:
    status: str  # sent | failed
    message_id: str = ""
    detail: str = ""


class Channel(Protocol):
    name: str
    location: str  # where a person finds what was sent (a folder, a provider's dashboard)

    def send(self, message: OutgoingMessage) -> Delivery: ...

    def lookup(self, action_key: str) -> str | None:
        """The provider's message id if this action was already handed over, None if it surely was not.

        Used to settle History rows left `pending` by an interrupted run.
        """
        ...

    def close(self) -> None: ...
