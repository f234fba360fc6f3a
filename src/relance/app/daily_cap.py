"""A provider's daily cap: which of today's messages leave now, which wait for the next run.

An account sends at most so many messages a day (its plan). The channel says how many
(`daily_cap`: Settings `daily_send_cap`, MAILJET_DAILY_CAP overriding it) and which History rows
count (`cap_vias`: the `via` of this account's e-mails and text messages). The count is History's:
today's rows (the date of their timestamp, written in the workbook's time zone) through those
places that left or may have left (`sent`, `pending`, `unknown`, or moved on by a delivery event), so two runs
on the same day share one cap.

The room left goes to the most overdue first: the most days past due (of the oldest invoice),
then the larger balance (compared within a currency, never across), then the action key (a stable
order). What does not fit is held back: no History row is written for it, so nothing blocks it and
the next run plans it again, with the same order. Letters (posted by a person) and tasks
(calls, hand-offs) are never held back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from relance.engine.action import Action
from relance.engine.history import SENT_STATUSES, HistoryEntry

#: Statuses of a message that left or may have left (delivery events included: a row the webhook
#: moved to `delivered` or `opened` still went out today): they use up the day's cap.
COUNTED = SENT_STATUSES - {"created"}


@dataclass(frozen=True)
class DailyCap:
    """The cap of the channel's account today: its limit, what History already used of it."""

    limit: int
    used: int
    vias: frozenset[str]

    @property
    def room(self) -> int:
        return max(0, self.limit - self.used)


def counted_today(entries: Iterable[HistoryEntry], vias: frozenset[str], today: dt.date) -> int:
    """Today's rows through these places that left or may have left."""
    day = today.isoformat()
    return sum(1 for e in entries if e.via in vias and e.status in COUNTED and str(e.timestamp)[:10] == day)


def daily_cap(channel: object, entries: Iterable[HistoryEntry], today: dt.date) -> DailyCap | None:
    """The channel's cap today, None when it has none (the outbox, SMTP, a cap of 0)."""
    limit = int(getattr(channel, "daily_cap", 0) or 0)
    vias = frozenset(getattr(channel, "cap_vias", frozenset()))
    if limit <= 0 or not vias:
        return None
    return DailyCap(limit, counted_today(entries, vias, today), vias)


def overdue_first(action: Action) -> tuple[int, str, Decimal, str]:
    """The order the room is given in: most days past due, then the larger balance (within its
    currency), then the action key."""
    amount = action.amount_due if action.amount_due is not None else max((v for _, v in action.totals), default=Decimal(0))
    return (-action.days_past_due, action.currency, -amount, action.key)


def held_back(actions: Sequence[Action], room: int) -> list[Action]:
    """The actions the room cannot take, most overdue first (the others leave now)."""
    ranked = sorted(actions, key=overdue_first)
    return ranked[max(0, room):]
