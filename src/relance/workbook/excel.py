"""A workbook open in Excel as the workbook (`excel:`), through xlwings (Windows and macOS).

The user's unsaved edits are what is read: the cells come from the running Excel, not from the
file, and nothing forces a save (relance's own tabs are written into the open workbook; saving it
stays the user's act, as after any macro).

Reading costs one call per tab relance needs: `used_range.options(ndim=2, empty=None).value`,
after its position and shape (a tab above the cell budget is refused before its values cross).
Numbers come back as floats, dates as datetimes and blanks as None (what xlwings gives): they
are turned into what the .xlsx reader gives (a date for a midnight datetime, "" for a blank), so
that the engine sees the same RawSheets whatever holds the workbook, and every anomaly keeps its
`Tab!A1` address (the used range's offset is padded back to A1).

Writing replaces whole relance tabs, each in ONE range assignment (`range("A1").value = rows`),
then one number format per column (a run of rows per currency where a column's currency comes
from another column, a handful in practice), the header style and the widths; never cell by
cell. Texts are written with Excel's text prefix (an apostrophe), so that a customer named
`=HYPERLINK(...)`, `+33 6…` or `1/2` stays the text it was.

relance's tabs carry the mark the .xlsx backend keeps: a hidden workbook-level name
`_relance_owned_<n>` referring to the tab's A1. Excel renames the reference with the tab, so the
mark follows a renamed tab; a workbook saved from Excel and read later as an .xlsx file (or the
other way) knows its own tabs. A user's tab under a name relance writes is refused, never written.

The run lock is a kernel file lock (filelock): beside the workbook's file when it is a local file
(the very lock `relance run book.xlsx` takes, so the ribbon and a scheduled run exclude each
other), else in the temporary folder under a name drawn from the workbook's full name (a new
workbook never saved, a OneDrive address). The kernel releases it when the process ends, however
it ends; a second run in the same Excel finds it taken (WorkbookLocked).

`changed_since_read`: a macro started from the ribbon holds Excel until it returns (RunPython
waits for Python), so nothing but relance can change the workbook meanwhile (`held=True`: False
once read). From a command line beside a running Excel the user may be typing: the tabs read are
read again and compared.

xlwings is imported here only, and only when a workbook is opened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import re
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from decimal import Decimal
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from relance.engine.catalog import console
from relance.engine.errors import ConfigError, WorkbookError, WorkbookLocked
from relance.engine.sheets import CellFormat, CellValue, OwnedTab, RawSheet
from relance.workbook import xlsx_parts as parts
from relance.workbook.xlsx_styles import number_format

#: The prefix of the hidden names that mark relance's tabs (as xlsx_parts.OWNED_MARK).
OWNED_MARK = parts.OWNED_MARK
#: A column whose currency changes more often than this is formatted as a plain number.
MAX_FORMAT_RUNS = 64
HEADER_FILL = (0x1F, 0x4E, 0x78)
_MARK_REF = re.compile(r"\s*=?\s*(?:'((?:[^']|'')+)'|([^'!\s\[\]][^!\[\]]*?))!\$?A\$?1\s*")
#: Runs of this process holding a workbook's lock (a UDF server runs every macro in one process).
_HELD: set[str] = set()
_HELD_GUARD = threading.Lock()


def xlwings_module() -> Any:
    """xlwings, or a ConfigError saying Excel is not here (Linux, or xlwings not installed)."""
    system = platform.system() or os.name
    if system not in ("Windows", "Darwin"):
        raise ConfigError(console.EXCEL_NOT_HERE(system=system), console.EXCEL_NOT_HERE_FIX())
    try:
        import xlwings
    except ImportError:
        raise ConfigError(console.EXCEL_NOT_HERE(system=f"{system}, xlwings"), console.EXCEL_NOT_HERE_FIX()) from None
    return xlwings


def open_excel(spec: str, xw: Any = None) -> ExcelBackend:
    """`excel:` (the active workbook), `excel:Name.xlsx` (an open workbook by name) or
    `excel:C:\\path\\Name.xlsx` (opened if it is not). `xw` is xlwings (a stand-in in tests)."""
    xw = xw if xw is not None else xlwings_module()
    target = spec.removeprefix("excel:").strip()
    try:
        book = xw.books.active if target in ("", "active") else xw.Book(target)
    except Exception as exc:  # noqa: BLE001 - COM and appscript errors have no common base
        raise WorkbookError(console.EXCEL_NO_BOOK(name=repr(target or "active"), cause=_cause(exc)),
                            console.EXCEL_NO_BOOK_FIX()) from None
    if book is None:
        raise WorkbookError(console.EXCEL_NO_BOOK(name=repr(target or "active"), cause="-"),
                            console.EXCEL_NO_BOOK_FIX())
    return ExcelBackend(book)


def _cause(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 300 else text[:297] + "…"


def mark_target(refers_to: str) -> str | None:
    """The tab a mark refers to (`='Tab name'!$A$1` -> Tab name); None for `=#REF!…`."""
    m = _MARK_REF.fullmatch(refers_to or "")
    if m is None:
        return None
    return m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)


def quoted(tab: str) -> str:
    return "'" + tab.replace("'", "''") + "'"


# ------------------------------------------------------------------------------ cells


def read_value(v: Any) -> CellValue:
    """A cell as xlwings gives it, as the .xlsx reader gives it (the engine's RawSheet values)."""
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        v = v.replace(tzinfo=None)
        return v.date() if v.time() == dt.time(0) else v
    if isinstance(v, bool | str | int | float | dt.date):
        return v
    return str(v)


def excel_value(v: CellValue) -> Any:
    """A value as Excel keeps it: no Decimal (a float), dates as datetimes, texts never parsed."""
    if v is None:
        return None
    if isinstance(v, str):
        return "'" + v if v else None
    if isinstance(v, bool):
        return v
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None)
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    if isinstance(v, dt.time):
        return "'" + v.isoformat()
    return v


# ------------------------------------------------------------------------------ the backend


class ExcelBackend:
    """`excel:`: a workbook open in Excel (module docstring). `book` is an xlwings Book."""

    def __init__(self, book: Any, *, held: bool = False) -> None:
        self.book = book
        self.held = held
        self.name = self._call(lambda: str(book.name))
        self.location = f"excel:{self.name}"
        self._seen: dict[str, list[list[CellValue]]] | None = None
        self._wanted: Callable[[str], bool] | None = None

    # -------------------------------------------------------------- plumbing

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One call into Excel; its failure said in the workbook's terms."""
        try:
            return fn(*args, **kwargs)
        except (WorkbookError, ConfigError):
            raise
        except Exception as exc:  # noqa: BLE001 - pywintypes.com_error, appscript errors, ...
            raise WorkbookError(console.EXCEL_FAILED(name=getattr(self, "name", "?"), cause=_cause(exc)),
                                console.EXCEL_FAILED_FIX()) from None

    def _get(self, obj: Any, attr: str) -> Any:
        return self._call(getattr, obj, attr)

    def _set(self, obj: Any, attr: str, value: Any) -> None:
        self._call(setattr, obj, attr, value)

    def _marks(self) -> dict[str, Any]:
        """relance's marks: casefolded tab name -> the Name object."""
        found: dict[str, Any] = {}
        for n in self._call(lambda: list(self.book.names)):
            name = str(self._get(n, "name"))
            if "!" in name or not name.casefold().startswith(OWNED_MARK):
                continue
            tab = mark_target(str(self._get(n, "refers_to")))
            if tab is not None:
                found[tab.casefold()] = n
        return found

    # -------------------------------------------------------------- read

    def read(self, wanted: Callable[[str], bool] | None = None) -> list[RawSheet]:
        marks = self._marks()
        out: list[RawSheet] = []
        seen: dict[str, list[list[CellValue]]] = {}
        total = 0
        for sheet in self._call(lambda: list(self.book.sheets)):
            name = str(self._get(sheet, "name"))
            owned = name.casefold() in marks
            if wanted is not None and not wanted(name):
                out.append(RawSheet(name, [], owned=owned))
                continue
            rows = self._tab_rows(sheet, name)
            total += len(rows) * max((len(r) for r in rows[:1]), default=0)
            if total > parts.MAX_BOOK_CELLS:
                raise WorkbookError(console.BOOK_TOO_LARGE(name=self.name, total=f"{total:,}",
                                                           limit=f"{parts.MAX_BOOK_CELLS:,}"),
                                    console.BOOK_TOO_LARGE_FIX())
            if not owned:
                seen[name.casefold()] = rows
            out.append(RawSheet(name, rows, owned=owned))
        self._seen, self._wanted = seen, wanted
        return out

    def _tab_rows(self, sheet: Any, name: str) -> list[list[CellValue]]:
        """The tab's cells from A1 to the end of its used range, in one read of its values."""
        used = self._call(lambda: sheet.used_range)
        top, left = self._call(lambda: (int(used.row), int(used.column)))
        height, width = self._call(lambda: tuple(used.shape))
        if (top - 1 + height) * (left - 1 + width) > parts.MAX_TAB_CELLS:
            raise WorkbookError(
                console.TAB_TOO_LARGE_ONE(name=self.name, tab=name, far=f"R{top + height - 1}C{left + width - 1}",
                                          rows=f"{top + height - 1:,}", cols=f"{left + width - 1:,}",
                                          limit=f"{parts.MAX_TAB_CELLS:,}"),
                console.TRIM_TAB())
        values = self._call(lambda: used.options(ndim=2, empty=None).value)
        # texts and numbers, nearly every cell, as they are; the rest through read_value
        rows = [[v if type(v) is str or type(v) is float else read_value(v) for v in row] for row in values or []]
        if not any(v != "" for row in rows for v in row):
            return []  # an empty tab (Excel's used range of a blank sheet is A1)
        # from A1, rectangular, as the .xlsx reader gives a tab
        blank: CellValue = ""
        if left > 1:
            rows = [[blank] * (left - 1) + r for r in rows]
        if top > 1:
            full = len(rows[0])
            rows = [[blank] * full for _ in range(top - 1)] + rows
        return rows

    def changed_since_read(self) -> bool:
        """Whether the user's tabs differ from the last read (module docstring)."""
        if self._seen is None:
            return True
        if self.held:
            return False
        for sheet in self._call(lambda: list(self.book.sheets)):
            name = str(self._get(sheet, "name"))
            key = name.casefold()
            if key in self._seen and self._tab_rows(sheet, name) != self._seen[key]:
                return True
        return False

    # -------------------------------------------------------------- write

    def write(self, tabs: Sequence[OwnedTab]) -> None:
        """Replace (or add) relance's tabs: one value assignment each, formats per column."""
        tabs = list(tabs)
        if not tabs:
            return
        for tab in tabs:
            try:
                parts.validate_owned_tab(tab)
            except parts.PackageError as exc:
                raise WorkbookError(exc.said, exc.fix) from None
        marks = self._marks()
        sheets = {str(self._get(s, "name")).casefold(): s for s in self._call(lambda: list(self.book.sheets))}
        for tab in tabs:  # refused before anything is written
            key = tab.name.casefold()
            if key in sheets and key not in marks:
                raise WorkbookError(console.EXCEL_USER_TAB(tab=repr(tab.name), name=self.name),
                                    console.EXCEL_USER_TAB_FIX())
        with self._quiet():
            self._write_all(tabs, sheets, marks)

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        """No screen redraw nor recalculation while relance's tabs are written, and the sheet the
        user was looking at still in front afterwards (adding a sheet activates it)."""
        app = getattr(self.book, "app", None)
        before: dict[str, Any] = {}
        with suppress(Exception):
            before["active"] = self.book.sheets.active
        for attr, quiet in (("screen_updating", False), ("calculation", "manual")):
            with suppress(Exception):
                before[attr] = getattr(app, attr)
                setattr(app, attr, quiet)
        try:
            yield
        finally:
            for attr in ("calculation", "screen_updating"):
                if attr in before:
                    with suppress(Exception):
                        setattr(app, attr, before[attr])
            if before.get("active") is not None:
                with suppress(Exception):
                    before["active"].activate()

    def _write_all(self, tabs: Sequence[OwnedTab], sheets: dict[str, Any], marks: dict[str, Any]) -> None:
        for tab in tabs:
            key = tab.name.casefold()
            sheet = sheets.get(key)
            if sheet is None:
                last = self._call(lambda: self.book.sheets[-1])
                sheet = self._call(self.book.sheets.add, tab.name, after=last)
                sheets[key] = sheet
            else:
                self._call(sheet.clear)
                for chart in list(self._get(sheet, "charts")):
                    self._call(chart.delete)
            self._write_tab(sheet, tab)
            if key not in marks:
                self._mark(tab.name, marks)

    def _mark(self, tab: str, marks: dict[str, Any]) -> None:
        taken = {str(self._get(n, "name")).casefold() for n in self._call(lambda: list(self.book.names))}
        i = 1
        while f"{OWNED_MARK}_{i}".casefold() in taken:
            i += 1
        name = self._call(lambda: self.book.names.add(f"{OWNED_MARK}_{i}", f"={quoted(tab)}!$A$1"))
        with suppress(Exception):  # hidden from Name Manager where the platform allows it
            name.api.Visible = False
        marks[tab.casefold()] = name

    def _write_tab(self, sheet: Any, tab: OwnedTab) -> None:
        rows: list[list[CellValue]] = [list(r) for r in tab.rows]
        if tab.header:
            rows.insert(0, list(tab.header))
        if not rows:
            return
        width = max(len(r) for r in rows)
        grid = [[excel_value(v) for v in r] + [None] * (width - len(r)) for r in rows]
        self._set(self._call(sheet.range, "A1"), "value", grid)
        first = 2 if tab.header else 1
        last = len(rows)
        if last >= first:
            for col, fmt in enumerate(tab.formats):
                if fmt is not None:
                    self._format_column(sheet, tab, col, fmt, first, last)
            for i, row_fmts in tab.row_formats.items():
                for col, fmt in enumerate(row_fmts):
                    pattern = number_format(fmt, tab.lang) if fmt is not None else ""
                    if pattern:
                        r = i + first
                        self._set(self._call(sheet.range, (r, col + 1)), "number_format", pattern)
        if tab.header and tab.header_style:
            header = self._call(lambda: sheet.range((1, 1), (1, len(tab.header))))
            self._call(lambda: setattr(header.font, "bold", True))
            self._call(lambda: setattr(header.font, "color", (255, 255, 255)))
            self._call(lambda: setattr(header, "color", HEADER_FILL))
        for col, chars in enumerate(tab.widths):
            self._set(self._call(sheet.range, (1, col + 1)), "column_width", float(chars))
        for chart in tab.charts:  # drawn where Excel can; the figures are in the cells either way
            with suppress(Exception):
                self._chart(sheet, chart)

    def _format_column(self, sheet: Any, tab: OwnedTab, col: int, fmt: CellFormat, first: int, last: int) -> None:
        """One number format over the column's rows, or one per run of rows of the same currency."""
        if fmt.kind == "money" and fmt.currency_column is not None:
            runs: list[tuple[int, int, str]] = []
            for i, row in enumerate(tab.rows):
                cur = row[fmt.currency_column] if fmt.currency_column < len(row) else ""
                code = str(cur or fmt.currency or "")
                if runs and runs[-1][2] == code:
                    runs[-1] = (runs[-1][0], i, code)
                else:
                    runs.append((i, i, code))
            if len(runs) <= MAX_FORMAT_RUNS:
                for start, end, code in runs:
                    pattern = number_format(fmt, tab.lang, code)
                    cells = self._call(sheet.range, (start + first, col + 1), (end + first, col + 1))
                    self._set(cells, "number_format", pattern)
                return
            fmt = CellFormat("number", digits=2)
        pattern = number_format(fmt, tab.lang)
        if fmt.kind in ("text", "wrap"):
            pattern = "@"
        if pattern:
            self._call(lambda: setattr(sheet.range((first, col + 1), (last, col + 1)), "number_format", pattern))
        if fmt.kind == "wrap":
            with suppress(Exception):
                sheet.range((first, col + 1), (last, col + 1)).api.WrapText = True

    def _chart(self, sheet: Any, spec: Any) -> None:
        anchor = sheet.range(spec.anchor)
        points = 28.35  # points per centimetre
        chart = sheet.charts.add(left=anchor.left, top=anchor.top, width=spec.width_cm * points,
                                 height=spec.height_cm * points)
        kinds = {"bar": "bar_clustered" if spec.horizontal else "column_clustered", "line": "line", "pie": "pie"}
        if spec.stacked and spec.kind == "bar":
            kinds["bar"] = "bar_stacked" if spec.horizontal else "column_stacked"
        chart.chart_type = kinds.get(spec.kind, "column_clustered")
        source = ",".join([spec.categories, *(values for _, values in spec.series)])
        chart.set_source_data(sheet.range(source))

    # -------------------------------------------------------------- run lock

    @property
    def run_lock_path(self) -> Path:
        """Beside the workbook's file when it is a local file, else in the temporary folder."""
        full = str(self._call(lambda: self.book.fullname) or "")
        path = Path(full)
        if full and "://" not in full and path.is_absolute() and path.parent.is_dir():
            return path.parent / f".~relance.{path.name}.lock"
        digest = hashlib.sha256((full or self.name).encode("utf-8")).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"relance-excel-{digest}.lock"

    @contextmanager
    def run_lock(self) -> Iterator[None]:
        lock_path = self.run_lock_path
        key = str(lock_path)
        refused = WorkbookLocked(console.EXCEL_RUN_LOCKED(name=self.name), console.EXCEL_RUN_LOCKED_FIX(lock=lock_path))
        with _HELD_GUARD:
            if key in _HELD:
                raise refused
            _HELD.add(key)
        try:
            lock = FileLock(lock_path, timeout=0)
            try:
                lock.acquire()
            except Timeout:
                raise refused from None
            except OSError as exc:
                raise WorkbookError(console.RUN_LOCK_UNCREATABLE(lock=lock_path, cause=exc.strerror or exc),
                                    console.RUN_LOCK_UNCREATABLE_FIX()) from None
            try:
                yield
            finally:
                lock.release()
        finally:
            with _HELD_GUARD:
                _HELD.discard(key)
