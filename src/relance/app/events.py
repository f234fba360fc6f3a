"""Delivery events posted by Mailjet, recorded on their messages' History rows (docs/sending.md).

Mailjet's Event API posts one JSON object per event, or an array of them when grouped. Its
events do not say which workbook sent the message, so every e-mail carries the workbook's
reference in the Send API's `EventPayload` (`event_payload`), which comes back as each event's
`Payload`: the webhook groups the events by workbook and records each group under that
workbook's run lock, so that an event never overwrites a run's History nor the reverse.
The rules of what an event changes are in engine/delivery.py.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from relance.engine.delivery import Applied, DeliveryEvent, apply_events
from relance.workbook.port import WorkbookBackend

#: The key of the workbook reference in a message's EventPayload (a small JSON object).
PAYLOAD_KEY = "relance_workbook"


class BadEvents(ValueError):
    """The body is not a Mailjet event nor an array of them."""


def workbook_reference(book: str) -> str:
    """The reference a message carries to find its workbook again: `gsheet:…`, `gs://…` as
    written, a local path made absolute (the webhook may run in another directory)."""
    if ":" in book.split("/")[0] and not Path(book).drive:
        return book
    return str(Path(book).resolve())


def event_payload(book: str) -> str:
    """The Send API's EventPayload for the messages of this workbook."""
    return json.dumps({PAYLOAD_KEY: workbook_reference(book)}, separators=(",", ":"))


def workbook_of(payload: object) -> str:
    """The workbook reference in an event's Payload; "" for a message relance did not send."""
    if not isinstance(payload, str) or not payload:
        return ""
    try:
        found = json.loads(payload)
    except ValueError:
        return ""
    ref = found.get(PAYLOAD_KEY) if isinstance(found, dict) else None
    return ref if isinstance(ref, str) else ""


def _text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return str(value).strip()


def parse_mailjet(body: object) -> list[DeliveryEvent]:
    """Events from a Mailjet Event API body (version 2: an object, or an array when grouped).

    Raises BadEvents when the body has another shape; an event without the fields relance
    needs (its type, time, CustomID) is kept with what it has and later changes nothing."""
    items: Sequence[object] = body if isinstance(body, list) else [body]
    events: list[DeliveryEvent] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise BadEvents("an event is a JSON object")
        raw_time = item.get("time")
        try:
            at = dt.datetime.fromtimestamp(int(raw_time), dt.UTC) if raw_time not in (None, "") else None
        except (TypeError, ValueError, OverflowError, OSError):
            at = None
        error = " ".join(x for x in (_text(item.get("error_related_to")), _text(item.get("error"))) if x)
        events.append(DeliveryEvent(
            kind=_text(item.get("event")).lower(),
            at=at or dt.datetime.min.replace(tzinfo=dt.UTC),
            message_id=_text(item.get("MessageID")),
            action_key=_text(item.get("CustomID")),
            address=_text(item.get("email")),
            workbook=workbook_of(item.get("Payload")),
            hard_bounce=item.get("hard_bounce") is True,
            error=error[:200],
        ))
    return events


def by_workbook(events: Iterable[DeliveryEvent]) -> dict[str, list[DeliveryEvent]]:
    """The events grouped by the workbook their message came from ("" : none said)."""
    groups: dict[str, list[DeliveryEvent]] = {}
    for event in events:
        groups.setdefault(event.workbook, []).append(event)
    return groups


@dataclass
class Recorded:
    """What a batch of events did to one workbook's History."""

    location: str
    applied: Applied

    def to_json(self) -> dict[str, Any]:
        a = self.applied
        return {"moved": a.moved, "unchanged": a.unchanged, "unmatched": a.unmatched}


def record_events(backend: WorkbookBackend, events: Sequence[DeliveryEvent]) -> Recorded:
    """Record the events on the History rows of their messages, under the run lock.

    Reads the workbook, moves each row to what its events say (never back: a duplicate or a
    late event changes nothing) and writes History back only when a row moved. A run holding
    the lock makes this raise WorkbookLocked: the caller answers so that Mailjet posts again.
    """
    from relance.app.jobs import history_write, read_book

    with backend.run_lock():
        book = read_book(backend)
        entries, applied = apply_events(book.history, events, ZoneInfo(book.settings.timezone), book.language)
        if applied.moved:
            backend.write(history_write(backend, book, entries))  # with its index (engine/history_index.py)
    return Recorded(backend.location, applied)
