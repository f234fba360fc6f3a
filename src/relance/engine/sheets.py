"""The values every layer shares about a workbook: cells as read, tabs as read, tabs to write.

Backends (workbook/) produce RawSheets and consume OwnedTabs; the engine and render build them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

CellValue = str | int | float | bool | Decimal | dt.date | dt.datetime | dt.time | None


class SheetRows(list[list[CellValue]]):
    """A tab's rows as a backend read them, which the engine lets go once it has built its
    records from them (engine/table.Table.drop_rows): the cells of Factures and Reglements are
    most of a big book's memory, and the RawSheet would otherwise hold them for the whole read.

    A plain list in every other way (indexing and iteration at C speed, equal to a list of the
    same rows); `release` empties it.
    """

    __slots__ = ()

    def release(self) -> None:
        """Forget the rows (the engine has what it needs of them)."""
        self.clear()


@dataclass(frozen=True, slots=True)
class RawSheet:
    """A tab as read: its name as the user spelt it and its rows of raw cell values (row 1 first).

    `owned` says whether relance wrote this tab: True when the backend found relance's mark on it
    (the .xlsx backend keeps one per tab it writes), False when the backend can mark tabs and this
    one has no mark, None when the backend cannot tell. engine/table.find_tables decides from it,
    and from the header row, whether a tab named like one of relance's is relance's or the user's.
    Rows may be ragged (a row ends at its last cell) and are empty for tabs the reader was told
    relance does not need (WorkbookBackend.read). A backend may hand them as SheetRows: the
    engine then empties them once the tab's records are built.
    """

    name: str
    rows: Sequence[Sequence[CellValue]]
    owned: bool | None = None


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
    #: Bars drawn sideways (long category labels read on the left instead of overlapping).
    horizontal: bool = False
    #: How the value axis writes its numbers: "" (as the cells), "money:EUR", "percent", "days".
    axis: str = ""
    #: The language of the axis' number format ("fr" writes 1 234 €, "en" €1,234).
    lang: str = ""


@dataclass(frozen=True, slots=True)
class CellFormat:
    """How a cell of an owned tab is shown, the way the template shows its own columns.

    `kind`: "text" (as written), "wrap" (long text, wrapped), "date", "datetime", "money",
    "percent" (the value is a fraction: 0.825 shows 82.5 %), "number" (`digits` decimals) or
    "integer". A money cell uses `currency`, or the currency written in column
    `currency_column` (0-based) of its own row. `choices` gives the column a dropdown.
    """

    kind: str = "text"
    currency: str = ""
    currency_column: int | None = None
    digits: int = 1
    choices: tuple[str, ...] = ()


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
    #: One CellFormat per column (none: every value written as it is, headers plain).
    formats: Sequence[CellFormat | None] = field(default_factory=tuple)
    #: Rows (0-based index in `rows`) whose cells are formatted otherwise than their column.
    row_formats: Mapping[int, Sequence[CellFormat | None]] = field(default_factory=dict)
    #: The header row styled as the template's (bold, white on dark blue).
    header_style: bool = False
    #: The language number and date formats are written in ("fr": 1 234,56 €, 01/12/2026).
    lang: str = ""
    #: Printed at most this many pages tall, shrunk to fit (0: as many pages as the rows need,
    #: the header row atop each); always one page wide, landscape.
    pages_tall: int = 0

