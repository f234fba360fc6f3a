"""Delivery events: what the provider says became of a message once it left (docs/sending.md).

A History row's status moves from its outcome (`sent`, or `pending`/`unknown` when a crash or a
server that cannot be asked left it so) to the later events of its message: delivered, opened,
clicked, then an unsubscribe or a spam report; or bounced/blocked. Each status has a strength
(`STRENGTH`) and a row only ever moves to a stronger one, so an event arriving twice, or late
(an "opened" after the "bounced"), changes nothing. Events are matched to their row by the
action key the message carried (Mailjet's CustomID) and, when the row knows them, the provider's
message ids.

Read back by the planner: a spam report or an unsubscribe opts the customer out of every later
reminder (`opted_out`), and an address that hard-bounced or was blocked is not written to again
while the Customers tab still lists it (`bounced_addresses`). Pure: no clock, no file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from relance.engine.catalog import tabs as T
from relance.engine.history import HistoryEntry
from relance.engine.i18n import Phrase, Said

#: Mailjet's event names -> the History status they move a row to. A soft bounce (temporary:
#: Mailjet tries again) moves nothing; only a hard one is `bounced`.
EVENT_STATUS: Mapping[str, str] = {
    "sent": "delivered", "open": "opened", "click": "clicked", "bounce": "bounced",
    "blocked": "blocked", "spam": "spam", "unsub": "unsub",
}
#: How far each status goes; a row moves only to a stronger status. `replied` (typed by a person)
#: outranks what tracking says; a customer's own "stop" (unsub, spam) and a dead address last.
STRENGTH: Mapping[str, int] = {
    "pending": 0, "unknown": 0, "sent": 1, "delivered": 2, "opened": 3, "clicked": 4, "replied": 5,
    "unsub": 6, "spam": 7, "blocked": 8, "bounced": 9,
}
#: Statuses that stop every later reminder to the customer, and those that mark an address dead.
OPT_OUT_STATUSES = frozenset({"spam", "unsub"})
DEAD_ADDRESS_STATUSES = frozenset({"bounced", "blocked"})

_SAID: Mapping[str, Phrase] = {
    "delivered": T.EVENT_DELIVERED, "opened": T.EVENT_OPENED, "clicked": T.EVENT_CLICKED,
    "bounced": T.EVENT_BOUNCED, "blocked": T.EVENT_BLOCKED, "spam": T.EVENT_SPAM, "unsub": T.EVENT_UNSUB,
}


@dataclass(frozen=True, slots=True)
class DeliveryEvent:
    """One event as the provider posted it (Mailjet Event API, version 2), reduced to what relance uses.

    `at` is the event's time (aware); `address` the recipient it concerns (never logged);
    `workbook` the reference the message carried (EventPayload) so the webhook finds its book."""

    kind: str  # sent, open, click, bounce, blocked, spam, unsub (anything else is ignored)
    at: dt.datetime
    message_id: str
    action_key: str
    address: str = ""
    workbook: str = ""
    hard_bounce: bool = False
    error: str = ""  # error_related_to and error, for a bounce or a block

    @property
    def status(self) -> str | None:
        """The History status this event moves its row to; None when it moves nothing."""
        if self.kind == "bounce" and not self.hard_bounce:
            return None
        return EVENT_STATUS.get(self.kind)


@dataclass
class Applied:
    """What a batch of events did to History."""

    moved: int = 0  # rows whose status moved
    unchanged: int = 0  # duplicates, late arrivals, soft bounces, unknown kinds
    unmatched: int = 0  # no row carries that action key (another workbook's, or archived)


def _ids(entry: HistoryEntry) -> tuple[str, ...]:
    return tuple(i for i in entry.message_id.split(";") if i)


def _row_for(rows: Sequence[tuple[int, HistoryEntry]], event: DeliveryEvent) -> int | None:
    """The index of the row the event is about: the one holding its message id, else the last
    row of its action key that a provider may have sent (a `pending` left by a crash included)."""
    for i, e in rows:
        if event.message_id and event.message_id in _ids(e):
            return i
    candidates = [i for i, e in rows if e.status in STRENGTH and (not _ids(e) or not event.message_id)]
    return candidates[-1] if candidates else None


def apply_events(entries: Sequence[HistoryEntry], events: Iterable[DeliveryEvent], zone: dt.tzinfo,
                 lang: str) -> tuple[list[HistoryEntry], Applied]:
    """History with the events applied, and what they did; events out of order or twice change
    nothing. The note says the event and its local time (in `zone`, the workbook's) in `lang`."""
    fixed = list(entries)
    by_key: dict[str, list[int]] = {}
    for i, e in enumerate(fixed):
        if e.action_key:
            by_key.setdefault(e.action_key, []).append(i)
    done = Applied()
    for event in sorted(events, key=lambda ev: ev.at):
        positions = by_key.get(event.action_key)
        if not positions:
            done.unmatched += 1
            continue
        status = event.status
        found = _row_for([(i, fixed[i]) for i in positions], event)
        if found is None:
            done.unmatched += 1
            continue
        row = fixed[found]
        if status is None or row.status not in STRENGTH or STRENGTH[status] <= STRENGTH[row.status]:
            done.unchanged += 1
            continue
        fixed[found] = row.with_status(status, lang, message_id="" if _ids(row) else event.message_id,
                                       note=_note(status, event, zone))
        done.moved += 1
    return fixed, done


def _note(status: str, event: DeliveryEvent, zone: dt.tzinfo) -> Said:
    local = event.at.astimezone(zone)
    what = _SAID[status](day=local.date(), time=local.strftime("%H:%M"))
    if event.error and status in DEAD_ADDRESS_STATUSES:
        return T.DETAIL_THEN(first=what, then=Said.verbatim(event.error))
    return what


def opted_out(entries: Iterable[HistoryEntry]) -> dict[str, HistoryEntry]:
    """Customers who unsubscribed or reported a reminder as spam: customer id -> the first such row."""
    found: dict[str, HistoryEntry] = {}
    for e in entries:
        if e.status in OPT_OUT_STATUSES and e.customer_id not in found:
            found[e.customer_id] = e
    return found


def bounced_addresses(entries: Iterable[HistoryEntry]) -> dict[str, dict[str, HistoryEntry]]:
    """E-mail addresses that bounced for good or were blocked: customer id -> address (lower
    case) -> the last such row. A row sent to several addresses marks each of them."""
    found: dict[str, dict[str, HistoryEntry]] = {}
    for e in entries:
        if e.status in DEAD_ADDRESS_STATUSES and e.channel == "email":
            for address in e.recipient.split(";"):
                if address.strip():
                    found.setdefault(e.customer_id, {})[address.strip().lower()] = e
    return found
