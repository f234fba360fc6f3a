"""A small stand-in for the part of xlwings' Book/Sheet/Range API the `excel:` backend and the
ribbon use, for tests on Linux (no Excel here).

It behaves as Excel does through xlwings where that matters to relance:
- values read back as xlwings gives them: floats for numbers (an int too), datetimes for dates
  (a date too), None for blanks, str, bool; `options(ndim=2)` always gives a list of rows;
- `used_range` is the box from the first to the last non-empty cell (A1 for a blank sheet), so a
  tab whose data starts at C3 reads from C3;
- a text assigned with a leading apostrophe is stored as that text without it; a text starting
  with `=` is stored as a formula (what Excel does: `formula_injected` tells a test);
- renaming a sheet updates the names that refer to it, as Excel does; deleting one leaves
  `=#REF!...`.

Every access that costs a round trip to Excel is counted on the book (`calls`): value reads and
assignments per sheet, number formats, other range properties.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

Cell = tuple[int, int]  # (row, column), 1-based


def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def parse_a1(ref: str) -> tuple[Cell, Cell]:
    """'B2' or 'A2:C9' -> ((row, col), (row, col))."""
    left, _, right = ref.partition(":")
    cells = []
    for part in (left, right or left):
        m = _A1.match(part.strip())
        if m is None:
            raise ValueError(f"not an A1 reference: {ref!r}")
        cells.append((int(m.group(2)), col_number(m.group(1))))
    return cells[0], cells[1]


def xl_value(v: Any) -> Any:
    """A Python value as Excel keeps it and xlwings gives it back."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float | Decimal):
        return float(v)
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None)
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    return str(v)


class Font:
    def __init__(self, rng: Range) -> None:
        self._rng = rng

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        self._rng.sheet.book.calls["style"] += 1
        self._rng.sheet.styles.append((self._rng.address, f"font.{name}", value))


class Range:
    def __init__(self, sheet: Sheet, first: Cell, last: Cell, ndim: int | None = None) -> None:
        self.sheet = sheet
        self.first = (min(first[0], last[0]), min(first[1], last[1]))
        self.last = (max(first[0], last[0]), max(first[1], last[1]))
        self._ndim = ndim

    @property
    def address(self) -> str:
        a = f"${col_letters(self.first[1])}${self.first[0]}"
        b = f"${col_letters(self.last[1])}${self.last[0]}"
        return a if a == b else f"{a}:{b}"

    @property
    def row(self) -> int:
        return self.first[0]

    @property
    def column(self) -> int:
        return self.first[1]

    @property
    def shape(self) -> tuple[int, int]:
        return (self.last[0] - self.first[0] + 1, self.last[1] - self.first[1] + 1)

    @property
    def left(self) -> float:
        return 48.0 * (self.first[1] - 1)

    @property
    def top(self) -> float:
        return 15.0 * (self.first[0] - 1)

    def options(self, ndim: int | None = None, empty: Any = None, **_: Any) -> Range:
        assert empty is None
        return Range(self.sheet, self.first, self.last, ndim)

    @property
    def value(self) -> Any:
        book = self.sheet.book
        book.calls["read"] += 1
        book.reads[self.sheet.name] += 1
        cells = self.sheet.cells
        rows = [[cells.get((r, c)) for c in range(self.first[1], self.last[1] + 1)]
                for r in range(self.first[0], self.last[0] + 1)]
        if self._ndim == 2:
            return rows
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        if len(rows) == 1:
            return rows[0]
        if all(len(r) == 1 for r in rows):
            return [r[0] for r in rows]
        return rows

    @value.setter
    def value(self, data: Any) -> None:
        book = self.sheet.book
        book.calls["write"] += 1
        book.writes[self.sheet.name] += 1
        if not isinstance(data, list | tuple):
            data = [[data]]
        elif data and not isinstance(data[0], list | tuple):
            data = [data]
        r0, c0 = self.first
        for i, row in enumerate(data):
            for j, v in enumerate(row):
                self.sheet.store((r0 + i, c0 + j), v)

    @property
    def number_format(self) -> str:
        return self.sheet.formats.get(self.address, "General")

    @number_format.setter
    def number_format(self, value: str) -> None:
        self.sheet.book.calls["format"] += 1
        self.sheet.formats[self.address] = value

    @property
    def column_width(self) -> float:
        return self.sheet.widths.get(self.first[1], 8.43)

    @column_width.setter
    def column_width(self, value: float) -> None:
        self.sheet.book.calls["style"] += 1
        self.sheet.widths[self.first[1]] = value

    @property
    def color(self) -> Any:
        return None

    @color.setter
    def color(self, value: Any) -> None:
        self.sheet.book.calls["style"] += 1
        self.sheet.styles.append((self.address, "color", value))

    @property
    def font(self) -> Font:
        return Font(self)

    def clear_contents(self) -> None:
        for key in [k for k in self.sheet.cells if self.first <= k <= self.last]:
            del self.sheet.cells[key]


class Chart:
    def __init__(self, charts: Charts) -> None:
        self._charts = charts
        self.chart_type = "column_clustered"
        self.source = ""

    def set_source_data(self, rng: Any) -> None:
        self.source = getattr(rng, "address", str(rng))

    def delete(self) -> None:
        self._charts.items.remove(self)


class Charts:
    def __init__(self) -> None:
        self.items: list[Chart] = []

    def add(self, left: float = 0, top: float = 0, width: float = 355, height: float = 211) -> Chart:
        chart = Chart(self)
        self.items.append(chart)
        return chart

    def __iter__(self) -> Iterator[Chart]:
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)


class Sheet:
    def __init__(self, book: Book, name: str) -> None:
        self.book = book
        self._name = name
        self.cells: dict[Cell, Any] = {}
        self.formats: dict[str, str] = {}
        self.widths: dict[int, float] = {}
        self.styles: list[tuple[str, str, Any]] = []
        self.charts = Charts()
        self.formula_injected: list[Cell] = []

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:  # Excel rewrites the names that refer to the sheet
        old = self._name
        for n in self.book.names:
            n.rename_sheet(old, value)
        self._name = value

    def store(self, cell: Cell, v: Any) -> None:
        if isinstance(v, str) and v.startswith("'"):
            v = v[1:]
        elif isinstance(v, str) and v.startswith("="):
            self.formula_injected.append(cell)
        elif isinstance(v, Decimal):
            raise TypeError("xlwings cannot write a Decimal")  # pywin32 would write a currency
        v = xl_value(v)
        if v is None:
            self.cells.pop(cell, None)
        else:
            self.cells[cell] = v

    def load(self, rows: Sequence[Sequence[Any]], at: Cell = (1, 1)) -> None:
        """Cells as a user typed them (not counted)."""
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                value = xl_value(v)
                if value is not None:
                    self.cells[(at[0] + i, at[1] + j)] = value

    def range(self, a: Any, b: Any = None) -> Range:
        self.book.calls["range"] += 1
        if isinstance(a, str):
            first, last = parse_a1(a.split(",")[0]) if "," in a else parse_a1(a)
        else:
            first = last = (int(a[0]), int(a[1]))
        if b is not None:
            last = (int(b[0]), int(b[1])) if not isinstance(b, str) else parse_a1(b)[0]
        return Range(self, first, last)

    def __getitem__(self, ref: str) -> Range:
        return self.range(ref)

    @property
    def used_range(self) -> Range:
        if not self.cells:
            return Range(self, (1, 1), (1, 1))
        rows = [r for r, _ in self.cells]
        cols = [c for _, c in self.cells]
        return Range(self, (min(rows), min(cols)), (max(rows), max(cols)))

    def activate(self) -> None:
        self.book.active_sheet = self

    def clear(self) -> None:
        self.book.calls["clear"] += 1
        self.cells.clear()
        self.formats.clear()
        self.styles.clear()

    def values(self) -> list[list[Any]]:
        """The cells from A1 to the used range's end, as xlwings reads them (not counted)."""
        if not self.cells:
            return []
        last_r = max(r for r, _ in self.cells)
        last_c = max(c for _, c in self.cells)
        return [[self.cells.get((r, c)) for c in range(1, last_c + 1)] for r in range(1, last_r + 1)]


class Sheets:
    def __init__(self, book: Book) -> None:
        self.book = book
        self.items: list[Sheet] = []

    def __iter__(self) -> Iterator[Sheet]:
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, key: int | str) -> Sheet:
        if isinstance(key, int):
            return self.items[key]
        for s in self.items:
            if s.name.casefold() == key.casefold():
                return s
        raise KeyError(key)

    def __contains__(self, key: str) -> bool:
        return any(s.name.casefold() == key.casefold() for s in self.items)

    @property
    def active(self) -> Sheet | None:
        return self.book.active_sheet or (self.items[0] if self.items else None)

    def add(self, name: str | None = None, before: Sheet | None = None, after: Sheet | None = None) -> Sheet:
        name = name or f"Sheet{len(self.items) + 1}"
        if name in self:
            raise ValueError(f"Sheet named '{name}' already present in workbook")
        sheet = Sheet(self.book, name)
        index = self.items.index(after) + 1 if after is not None else (
            self.items.index(before) if before is not None else 0)
        self.items.insert(index, sheet)
        self.book.active_sheet = sheet  # as Excel: a new sheet comes to the front
        return sheet


class Name:
    def __init__(self, names: Names, name: str, refers_to: str) -> None:
        self._names = names
        self.name = name
        self.refers_to = refers_to
        self.hidden = False

    @property
    def api(self) -> Name:  # what `name.api.Visible = False` reaches on Windows
        return self

    @property
    def Visible(self) -> bool:  # noqa: N802 - the COM property's name
        return not self.hidden

    @Visible.setter
    def Visible(self, value: bool) -> None:  # noqa: N802
        self.hidden = not value

    def rename_sheet(self, old: str, new: str) -> None:
        for quoted in (f"'{old}'", old):
            prefix = f"={quoted}!"
            if self.refers_to.startswith(prefix):
                self.refers_to = f"='{new}'!" + self.refers_to[len(prefix):]
                return

    def delete(self) -> None:
        self._names.items.remove(self)


class Names:
    def __init__(self) -> None:
        self.items: list[Name] = []

    def __iter__(self) -> Iterator[Name]:
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)

    def add(self, name: str, refers_to: str) -> Name:
        found = Name(self, name, refers_to)
        self.items.append(found)
        return found


class App:
    """The Excel application: its status bar (every value set kept), message boxes, recalculation."""

    def __init__(self) -> None:
        self.status_bars: list[Any] = []
        self.alerts: list[dict[str, Any]] = []
        self.calculations = 0
        self.books: list[Book] = []
        self.screen_updating = True
        self.calculation = "automatic"

    @property
    def status_bar(self) -> Any:
        return self.status_bars[-1] if self.status_bars else False

    @status_bar.setter
    def status_bar(self, value: Any) -> None:
        self.status_bars.append(value)

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: str | None = None) -> str:
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        return "ok"

    def calculate(self) -> None:
        self.calculations += 1


class Book:
    def __init__(self, name: str = "Classeur.xlsx", fullname: str | None = None, app: App | None = None) -> None:
        self.name = name
        self.fullname = fullname if fullname is not None else name
        self.app = app or App()
        self.app.books.append(self)
        self.sheets = Sheets(self)
        self.active_sheet: Sheet | None = None
        self.names = Names()
        self.calls: Counter[str] = Counter()
        self.reads: Counter[str] = Counter()
        self.writes: Counter[str] = Counter()

    @classmethod
    def from_tabs(cls, tabs: Sequence[tuple[str, Sequence[Sequence[Any]]]], **kw: Any) -> Book:
        """A book whose sheets hold these rows (cells typed by the user: not counted)."""
        book = cls(**kw)
        for name, rows in tabs:
            sheet = Sheet(book, name)
            sheet.load(rows)
            book.sheets.items.append(sheet)
        return book

    def reset_counts(self) -> None:
        self.calls.clear()
        self.reads.clear()
        self.writes.clear()


class Books:
    """`xw.books`: the open books of the fake's Excel, the last one active."""

    def __init__(self, items: list[Book]) -> None:
        self.items = items

    @property
    def active(self) -> Book | None:
        return self.items[-1] if self.items else None


class Module:
    """What `open_excel` needs of the xlwings module: `books.active` and `Book(name or path)`."""

    def __init__(self, *books: Book) -> None:
        self.books = Books(list(books))

    def Book(self, target: str) -> Book:  # noqa: N802 - xlwings' own spelling
        for b in self.books.items:
            if target.casefold() in (b.name.casefold(), b.fullname.casefold()):
                return b
        raise FileNotFoundError(f"No such file: '{target}'")
