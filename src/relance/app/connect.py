"""From the words a person types to the objects that do the work.

`BOOK` (a path to an .xlsx file; later `gsheet:<id>` and `excel:`) becomes a workbook backend, and
a channel name (`outbox`; later `smtp`, `mailjet`) becomes a transport. This is the one place a
new backend or transport is plugged in; secrets, when a transport needs them, are read here from
the environment and never from the workbook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from relance.channels.port import Channel
from relance.engine.book import Book
from relance.engine.catalog import console
from relance.engine.errors import ConfigError
from relance.workbook.port import WorkbookBackend

#: The channels a run may name, and whether this version can deliver through them.
CHANNELS = ("outbox", "mailjet", "smtp")
AVAILABLE_CHANNELS = ("outbox",)

ChannelFactory = Callable[[Book], Channel]


def open_workbook(book: str) -> WorkbookBackend:
    """The backend for a `BOOK` argument: a path to an .xlsx file for now."""
    if book.startswith(("gsheet:", "excel:")):
        raise ConfigError(console.BACKEND_LATER(kind=book.split(':')[0]), console.BACKEND_LATER_FIX())
    from relance.workbook.xlsx import XlsxBackend

    return XlsxBackend(Path(book))


def default_outbox(book: str) -> Path:
    """Where the outbox goes when none is named: `<book>_outbox` beside the workbook."""
    path = Path(book)
    return path.with_name(path.stem + "_outbox")


def open_channel(name: str, book: str, now: dt.datetime, outbox: Path | None = None,
                 as_of: dt.date | None = None) -> ChannelFactory:
    """The transport for a channel name, made once the workbook is read (it may need its Settings).

    A run dated another day than today in the workbook's time zone (`as_of`, `--as-of`) never
    really sends: with the outbox it is a simulation, filed in `simulation-<as_of>/`; any other
    channel refuses it, since it would deliver letters dated another day. Whether the date is
    today is known once the workbook's Settings (its time zone) are read, so the refusal comes
    from the factory; `--dry-run` never opens a channel and works for any date.
    """
    if name not in CHANNELS:
        raise ConfigError(console.CHANNEL_UNKNOWN(name=repr(name)),
                          console.CHANNEL_USE(names=" | ".join(AVAILABLE_CHANNELS)))
    if as_of is None and name not in AVAILABLE_CHANNELS:
        raise ConfigError(console.CHANNEL_NOT_AVAILABLE(name=repr(name)), console.CHANNEL_USE_OUTBOX())
    folder = outbox or default_outbox(book)

    def factory(workbook: Book) -> Channel:
        from relance.channels.outbox import OutboxChannel

        today = local_today(workbook, now)
        dated = as_of is not None and as_of != today
        if dated and name != "outbox":
            raise ConfigError(
                console.DATED_RUN_REAL_CHANNEL(as_of=as_of, today=today, zone=workbook.settings.timezone,
                                               name=repr(name)),
                console.DATED_RUN_REAL_CHANNEL_FIX())
        if name not in AVAILABLE_CHANNELS:
            raise ConfigError(console.CHANNEL_NOT_AVAILABLE(name=repr(name)), console.CHANNEL_USE_OUTBOX())
        return OutboxChannel(folder, now.isoformat(timespec="seconds"), now, simulation=as_of if dated else None)

    return factory


def local_today(workbook: Book, now: dt.datetime) -> dt.date:
    """Today in the workbook's time zone (Settings `timezone`): the only date a run really sends for."""
    return now.astimezone(ZoneInfo(workbook.settings.timezone)).date()
