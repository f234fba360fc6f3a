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

from relance.channels.port import Channel
from relance.engine.book import Book
from relance.engine.errors import ConfigError
from relance.workbook.port import WorkbookBackend

#: The channels a run may name, and whether this version can deliver through them.
CHANNELS = ("outbox", "mailjet", "smtp")
AVAILABLE_CHANNELS = ("outbox",)

ChannelFactory = Callable[[Book], Channel]


def open_workbook(book: str) -> WorkbookBackend:
    """The backend for a `BOOK` argument: a path to an .xlsx file for now."""
    if book.startswith(("gsheet:", "excel:")):
        raise ConfigError(f"{book.split(':')[0]}: workbooks are not available in this version",
                          "use a local .xlsx file for now")
    from relance.workbook.xlsx import XlsxBackend

    return XlsxBackend(Path(book))


def default_outbox(book: str) -> Path:
    """Where the outbox goes when none is named: `<book>_outbox` beside the workbook."""
    path = Path(book)
    return path.with_name(path.stem + "_outbox")


def open_channel(name: str, book: str, now: dt.datetime, outbox: Path | None = None) -> ChannelFactory:
    """The transport for a channel name, made once the workbook is read (it may need its Settings)."""
    if name not in AVAILABLE_CHANNELS:
        raise ConfigError(f"channel {name!r} is not available in this version", "use --channel outbox")
    from relance.channels.outbox import OutboxChannel

    folder = outbox or default_outbox(book)
    return lambda _book: OutboxChannel(folder, now.isoformat(timespec="seconds"), now)
