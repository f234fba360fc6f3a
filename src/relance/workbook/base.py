"""The seam between the engine and a workbook, whatever holds it (.xlsx file, Google Sheets, Excel).

A backend reads every tab as raw cell values in one go and writes whole relance-owned tabs.
It never writes a cell of the user's own tabs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

CellValue = str | int | float | bool | Decimal | dt.date | dt.datetime | dt.time | None


@dataclass(frozen=True, slots=True)
class RawSheet:
    """A tab as read: its name as the user spelt it and its rows of raw cell values (row 1 first)."""

    name: str
    rows: Sequence[Sequence[CellValue]]


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """A native spreadsheet chart drawn from cells of the tab that holds it.

    Ranges are A1 references on that same tab ("A2:A6"); the backend writes a real chart part
    (DrawingML), so Excel and LibreOffice draw it and redraw it when the cells change.
    """

    kind: str  # "bar" (vertical columns) | "line" | "pie"
    title: str
    categories: str  # e.g. "A2:A6"
    series: Sequence[tuple[str, str]]  # (series name, values range), e.g. [("EUR", "B2:B6")]
    anchor: str  # top-left cell of the chart, e.g. "H2"
    width_cm: float = 16.0
    height_cm: float = 8.0
    stacked: bool = False


@dataclass(frozen=True, slots=True)
class OwnedTab:
    """A tab relance owns and rewrites whole: History, Plan, Tasks, Anomalies, Dashboard."""

    name: str
    header: Sequence[str]
    rows: Sequence[Sequence[CellValue]]
    widths: Sequence[float] = field(default_factory=tuple)
    freeze_header: bool = True
    autofilter: bool = True
    charts: Sequence[ChartSpec] = field(default_factory=tuple)


class WorkbookBackend(Protocol):
    location: str

    def read(self) -> list[RawSheet]:
        """Every tab of the workbook, in order."""
        ...

    def write(self, tabs: Sequence[OwnedTab]) -> None:
        """Replace (or add) the given owned tabs, leaving everything else as it was."""
        ...

    def run_lock(self) -> AbstractContextManager[None]:
        """Guards a run so that two overlapping runs never send the same action."""
        ...

    def changed_since_read(self) -> bool:
        """Whether the workbook may have changed since the last read (payments re-read)."""
        ...


def iter_nonblank(rows: Sequence[Sequence[CellValue]]) -> Iterator[tuple[int, Sequence[CellValue]]]:
    for i, row in enumerate(rows):
        if any(v not in (None, "") for v in row):
            yield i, row
