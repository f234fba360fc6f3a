"""Finding the contract's tabs in a workbook and reading their rows with addresses.

Tab and column names are matched in English or French, case and accents ignored, columns in
any order; unknown columns are left alone. Blank rows and repeated header rows are reported
and skipped.

A tab named like one of the tabs relance writes (Reminder_log or its older name History, Plan,
Tasks, Dashboard, Anomalies, Reminder_log_2025 / History_2025 archives) is relance's only when relance wrote it: the backend found its mark
(RawSheet.owned), or, for a tab with no mark (written by a version that did not mark its tabs),
its header row is relance's header for that tab. Any other such tab is the user's own: it is
never read as relance's, and it is reported (FOREIGN_TAB) so that the app refuses to write or
send until it is renamed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from operator import itemgetter

from relance.engine.anomaly import Anomaly, Severity, Source, describe
from relance.engine.catalog import anomalies as A
from relance.engine.contract import ColumnSpec, Contract, TabSpec, normalize
from relance.engine.i18n import Said
from relance.engine.sheets import CellValue, RawSheet, SheetRows

#: The code of the anomaly that says a user's own tab holds a name relance writes.
FOREIGN_TAB = "R006"
#: An unmarked tab is relance's when its header row starts with at least this many of relance's
#: header cells for that tab (all of them for a shorter header), in one language, and nothing
#: else: later versions add columns at the end, so an older relance's tab has fewer.
LEGACY_HEADER_CELLS = 6


@dataclass
class Collector:
    """Accumulates anomalies; passed down the pipeline like beancount's error lists.

    It also knows how the workbook names its tabs and columns (`tab`, `column`), so that an
    anomaly about one tab names another as the user sees it ("l'onglet Clients"): find_tables
    fills `tables` and `contract`, load_book sets `lang`, the workbook's language.
    """

    items: list[Anomaly] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    contract: Contract | None = None
    lang: str = "fr"

    def add(
        self,
        source: Source,
        value: object,
        problem: Said,
        hint: Said,
        code: str,
        severity: Severity = Severity.error,
    ) -> None:
        self.items.append(Anomaly(source, describe(value), problem, hint, code, severity))

    def warn(self, source: Source, value: object, problem: Said, hint: Said, code: str) -> None:
        self.add(source, value, problem, hint, code, Severity.warning)

    def tab(self, key: str) -> str:
        """The name of a tab as the workbook spells it (in the workbook's language when it has none)."""
        table = self.tables.get(key)
        if table is not None:
            return table.name
        if self.contract is not None:
            try:
                return self.contract.tab(key).name(self.lang)
            except KeyError:
                pass
        return key

    def column(self, tab: str, key: str) -> str:
        """The header of a column as the workbook spells it (else in the tab's language)."""
        table = self.tables.get(tab)
        if table is not None:
            return table.heading(key)
        if self.contract is not None:
            try:
                return self.contract.tab(tab).column(key).header(self.lang)
            except KeyError:
                pass
        return key


class Row:
    """One data row: its sheet row number and raw cells, read through the table's column map."""

    __slots__ = ("table", "number", "cells", "_columns")

    def __init__(self, table: Table, number: int, cells: Sequence[CellValue]) -> None:
        self.table = table
        self.number = number
        self.cells = cells
        self._columns = table.columns

    def raw(self, key: str) -> CellValue:
        idx = self._columns.get(key)
        if idx is None:
            return None
        try:
            value = self.cells[idx]
        except IndexError:
            return None
        return None if value == "" else value

    def values(self, indexes: Sequence[int | None]) -> list[CellValue]:
        """Several cells at once (see Table.indexes); blank cells come back as None."""
        cells = self.cells
        n = len(cells)
        found: list[CellValue] = []
        for i in indexes:
            value = cells[i] if i is not None and i < n else None
            found.append(None if value == "" else value)
        return found

    def source(self, key: str | None = None) -> Source:
        if key is None:
            return Source(self.table.name, self.number)
        idx = self.table.columns.get(key)
        header = self.table.header_text.get(key, key)
        return Source(self.table.name, self.number, idx, header)


@dataclass
class Table:
    spec: TabSpec
    name: str
    header_row: int  # 1-based
    columns: dict[str, int]  # column key -> 0-based index
    header_text: dict[str, str]
    #: The data rows: each one's sheet row number (1-based) and its cells as read, in two lists
    #: (no pair made per row: the record parsers take the cells of a block of rows at once).
    numbers: list[int]
    rows: list[Sequence[CellValue]]
    #: The tab's rows as read (RawSheet.rows), emptied with `drop_rows` when the backend handed
    #: them as SheetRows.
    source: Sequence[Sequence[CellValue]] = ()

    def __iter__(self) -> Iterator[Row]:
        for number, cells in zip(self.numbers, self.rows, strict=True):
            yield Row(self, number, cells)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def data(self) -> list[tuple[int, Sequence[CellValue]]]:
        """(row number, cells) of each data row, paired anew at each call (for a reader of a small
        tab, History's; the record parsers read `numbers` and `rows`)."""
        return list(zip(self.numbers, self.rows, strict=True))

    def indexes(self, keys: Sequence[str]) -> list[int | None]:
        return [self.columns.get(k) for k in keys]

    def has(self, key: str) -> bool:
        return key in self.columns

    def drop_rows(self) -> None:
        """Forget the rows once their records are built (their addresses live on in the records):
        the raw cells of Factures and Reglements are most of a big book's memory (about 1 GB at
        a million invoices); the table still names its tab and columns."""
        self.numbers, self.rows = [], []
        if isinstance(self.source, SheetRows):
            self.source.release()

    def raw_columns(self, keys: Sequence[str]) -> list[Sequence[CellValue]]:
        """The cells of several columns as read, one sequence per key, in row order (a column the
        tab lacks, or a short row, gives None; a blank cell is None or ""): the column-wise reading
        of the record parsers' fast paths, transposed at C speed when the rows are as wide as each other."""
        return columns_of(self.rows, self.indexes(keys))

    @property
    def lang(self) -> str:
        """The language the tab is named in: English when its name is the English one, else French."""
        return tab_language(self.name, self.spec)

    def heading(self, key: str) -> str:
        """A column's header as this tab spells it, or as the tab's language names it when absent."""
        found = self.header_text.get(key)
        if found:
            return found
        try:
            return self.spec.column(key).header(self.lang)
        except KeyError:
            return key


def columns_of(cells: Sequence[Sequence[CellValue]], wanted: Sequence[int | None]) -> list[Sequence[CellValue]]:
    """The cells of these rows in the columns at `wanted` (0-based; None: a column the tab lacks,
    all None), one sequence per column (a short row gives None): Table.raw_columns of some rows."""
    widths = set(map(len, cells))
    if len(widths) == 1 and max((j for j in wanted if j is not None), default=-1) < min(widths):
        transposed = list(zip(*cells, strict=True))
        return [transposed[j] if j is not None else (None,) * len(cells) for j in wanted]
    found: list[Sequence[CellValue]] = []
    for j in wanted:
        if j is None:
            found.append((None,) * len(cells))
        else:
            found.append([c[j] if j < len(c) else None for c in cells])
    return found


def tab_language(name: str, spec: TabSpec) -> str:
    """"en" when a tab is named by its English name (and that differs from the French one), else "fr"."""
    if spec.en == spec.fr:
        return "fr"
    wanted = normalize(name)
    return "en" if any(wanted.startswith(normalize(n)) for n in spec.english_names()) else "fr"


def _blank(cells: Sequence[CellValue]) -> bool:
    for v in cells:
        if v is None or v == "":
            continue
        if type(v) is str and not v.strip():
            continue
        return False
    return True


def _looks_like(cells: Sequence[CellValue], j: int, norm: str) -> bool:
    """Cheap first test for a repeated header row: its first mapped cell is header text."""
    value = cells[j] if j < len(cells) else None
    if type(value) is not str or len(value) > 60:
        return False
    first = value.lstrip()[:1].lower()
    if first.isascii() and first != norm[:1]:
        return False  # most data rows differ from the header from their first letter
    return normalize(value) == norm


def read_table(sheet: RawSheet, spec: TabSpec, out: Collector) -> Table:
    rows = sheet.rows
    header_idx = next((i for i, r in enumerate(rows[:20]) if not _blank(r)), None)
    columns: dict[str, int] = {}
    header_text: dict[str, str] = {}
    if header_idx is None:
        return Table(spec, sheet.name, 1, columns, header_text, [], [])
    by_name = _column_names(spec)
    for j, cell in enumerate(rows[header_idx]):
        col = by_name.get(normalize(cell))  # spec.resolve_header(cell), each name normalized once
        if col is None:
            continue
        if col.key in columns:
            out.warn(
                Source(sheet.name, header_idx + 1, j, str(cell)),
                cell,
                A.R002_SECOND_COLUMN(column=header_text[col.key]),
                A.R002_HINT(),
                "R002",
            )
            continue
        columns[col.key] = j
        header_text[col.key] = str(cell)
    table = Table(spec, sheet.name, header_idx + 1, columns, header_text, [], [], rows)
    lang = table.lang
    for col in spec.columns:
        if col.required and col.key not in columns:
            other = col.en if lang == "fr" else col.fr
            out.add(
                Source(sheet.name, header_idx + 1),
                "",
                A.R003_NO_COLUMN(column=col.header(lang)),
                A.R003_HINT(column=col.header(lang), other=other, row=header_idx + 1),
                "R003",
            )
    header_norm = {j: normalize(rows[header_idx][j]) for j in columns.values()}
    first_col = min(header_norm) if header_norm else None
    pending_blank: list[int] = []
    numbers, data = table.numbers, table.rows
    start = header_idx + 1
    # Only the rows that may be blank (blank first cell) or a repeated header (text in the first
    # mapped column not ruled out by its first letter) go through the checks; the rows between
    # them are data rows, kept as they are at C speed.
    odd = _odd_rows(rows, start, first_col, header_norm[first_col] if first_col is not None else "")
    for i in odd:
        if i > start:
            _flush_blank(sheet.name, pending_blank, out)
            numbers.extend(range(start + 1, i + 1))
            data.extend(islice(rows, start, i))
        start = i + 1
        cells = rows[i]
        if _blank(cells):
            pending_blank.append(i + 1)
            continue
        _flush_blank(sheet.name, pending_blank, out)
        if first_col is not None and _looks_like(cells, first_col, header_norm[first_col]) and (
            sum(1 for j, norm in header_norm.items() if j < len(cells) and normalize(cells[j]) == norm) * 2
            > len(header_norm)
        ):
            out.warn(Source(sheet.name, i + 1), "", A.R005_HEADER_AGAIN(), A.R005_HINT(), "R005")
            continue
        numbers.append(i + 1)
        data.append(cells)
    if start < len(rows):
        _flush_blank(sheet.name, pending_blank, out)
        numbers.extend(range(start + 1, len(rows) + 1))
        data.extend(islice(rows, start, None))
    return table


def _column_names(spec: TabSpec) -> dict[str, ColumnSpec]:
    """Each normalized name of the tab's columns -> its column (the first that has it, as
    TabSpec.resolve_header finds it); no blank name."""
    found: dict[str, ColumnSpec] = {}
    for col in spec.columns:
        for name in col.names():
            if name:
                found.setdefault(name, col)
    return found


def _flush_blank(tab: str, pending_blank: list[int], out: Collector) -> None:
    """The blank rows seen before a data row (trailing ones are not reported)."""
    for number in pending_blank:
        out.warn(Source(tab, number), "", A.R004_BLANK_ROW(), A.R004_HINT(), "R004")
    pending_blank.clear()


def _odd_rows(rows: Sequence[Sequence[CellValue]], start: int, first_col: int | None, norm: str) -> list[int]:
    """The indexes (from `start`) of the rows that may be blank or a repeated header row: a row
    whose first cell is not blank is not blank, and one whose first mapped cell is not text, or
    text starting with an ASCII letter or sign other than the header's first letter, or ASCII text
    shorter than the header, is not the header again (_looks_like); every other row is a data row.

    A column at a time when every row has those cells and they are text without a line break
    (most tabs): the cells joined by line breaks, one search finds the lines that may be either,
    and only those are tested as the row-by-row reading tests them."""
    if start >= len(rows):
        return []
    size = len(norm)  # normalize() never lengthens ASCII text: a shorter ASCII cell is not the header
    try:  # the rows read where they are (a copy of them would be one more look at each)
        firsts = list(map(itemgetter(0), islice(rows, start, None)))
        mapped = list(map(itemgetter(first_col), islice(rows, start, None))) if first_col else firsts
    except IndexError:  # a short row
        return _odd_rows_by_row(rows[start:], start, first_col, norm)
    if size == 0:
        return _odd_rows_by_row(rows[start:], start, first_col, norm)
    ruled_out = _ruled_out(norm)
    if first_col == 0:  # one search finds both
        return [start + k for k in _lines(firsts, _header_start(norm)) if _blank_first(v := firsts[k])
                or (type(v) is str and _header_like(v, ruled_out, size))]
    blank_first = [start + k for k in _lines(firsts, _BLANK_START) if _blank_first(firsts[k])]
    if first_col is None:
        return blank_first
    header_like = [start + k for k in _lines(mapped, _header_start(norm))
                   if type(v := mapped[k]) is str and _header_like(v, ruled_out, size)]
    if not header_like:
        return blank_first
    return sorted({*blank_first, *header_like})


_WHITE = "".join(re.escape(ch) for ch in map(chr, range(128)) if ch.isspace() and ch != "\n")
#: Where a line (a cell) may be blank: empty, or starting with a space or a character not ASCII.
_BLANK_START = re.compile(rf"\n(?=[{_WHITE}]|\n|\Z|[^\x00-\x7f])")


def _header_start(norm: str) -> re.Pattern[str]:
    """Where a line (a cell) may be the header `norm` again (_header_like): starting with a space,
    a character not ASCII, or the header's first letter with at least as many characters as the
    header or a character not ASCII after it; or empty. It matches wherever _BLANK_START does."""
    letters = "".join(re.escape(ch) for ch in map(chr, range(128)) if not ch.isspace() and ch.lower() == norm[:1])
    lettered = rf"|[{letters}](?:[^\n]{{{len(norm) - 1}}}|[^\n]*[^\x00-\x7f])" if letters else ""
    return re.compile(rf"\n(?=[{_WHITE}]|\n|\Z|[^\x00-\x7f]{lettered})")


def _lines(values: list[CellValue], where: re.Pattern[str]) -> list[int]:
    """The indexes of the values that may be what `where` looks for, in order: those at whose
    start it matches, a search through the values joined by line breaks when they are all text
    without one; else every value of a type that may be text."""
    kinds = set(map(type, values))
    if kinds == {str}:
        joined = "\n" + "\n".join(values)  # type: ignore[arg-type]
        if joined.count("\n") == len(values):  # no cell holds a line break
            found: list[int] = []
            line = seen = 0
            for match in where.finditer(joined):
                at = match.start()
                line += joined.count("\n", seen, at)
                seen = at
                found.append(line)
            return found
    if kinds <= _NEVER_TEXT:
        return []
    return [k for k, v in enumerate(values) if type(v) not in _NEVER_TEXT]


#: Cells never blank nor text (a date, a number): no search needed where a column holds only those.
_NEVER_TEXT = frozenset({int, float, bool, Decimal, dt.date, dt.datetime, dt.time})


def _blank_first(v: CellValue) -> bool:
    return v is None or v == "" or (type(v) is str and not v.strip())


def _ruled_out(norm: str) -> frozenset[str]:
    """The ASCII characters a cell starting with which is not the header `norm` again."""
    return frozenset(ch for ch in map(chr, range(128)) if not ch.isspace() and ch.lower() != norm[:1])


def _header_like(v: str, ruled_out: frozenset[str], size: int) -> bool:
    return v[:1] not in ruled_out and (len(v) >= size or not v.isascii())


def _odd_rows_by_row(body: Sequence[Sequence[CellValue]], start: int, first_col: int | None,
                     norm: str) -> list[int]:
    """_odd_rows a row at a time (ragged rows: a short row lacks the cells the columns are read from)."""
    blank_first = [i for i, c in enumerate(body, start)
                   if not c or (v := c[0]) is None or v == "" or (type(v) is str and not v.strip())]
    if first_col is None:
        return blank_first
    ruled_out = _ruled_out(norm)
    size = len(norm)
    header_like = [i for i, c in enumerate(body, start)
                   if len(c) > first_col and type(v := c[first_col]) is str and v[:1] not in ruled_out
                   and (len(v) >= size or not v.isascii())]
    if not header_like:
        return blank_first
    return sorted({*blank_first, *header_like})


def _archive(name: str) -> bool:
    from relance.engine.history import ARCHIVE_TAB  # history imports this module

    return ARCHIVE_TAB.match(normalize(name)) is not None


def reads_tab(contract: Contract, name: str) -> bool:
    """Whether relance needs a tab's cells: one of the contract's tabs, or a History archive.

    The backend reads only these (WorkbookBackend.read): whatever the user's own tabs hold,
    reading the workbook costs what relance's tabs cost.
    """
    return contract.resolve_tab(name) is not None or _archive(name)


def written_spec(contract: Contract, name: str) -> TabSpec | None:
    """The spec of the tab relance writes under this name (an archive is a History tab), if any."""
    spec = contract.resolve_tab(name)
    if spec is not None:
        return spec if spec.role == "output" else None
    return contract.tab("history") if _archive(name) else None


def _header_cells(sheet: RawSheet) -> list[str]:
    """Row 1 as text, without its trailing blank cells."""
    row = list(sheet.rows[0]) if sheet.rows else []
    while row and (row[-1] is None or (type(row[-1]) is str and not row[-1].strip())):
        row.pop()
    return ["" if v is None else str(v).strip() for v in row]


def _is_relance_header(cells: list[str], spec: TabSpec) -> bool:
    for lang in ("fr", "en"):
        header = spec.headers(lang)
        if spec.key == "dashboard":  # its header, then one column per currency (render/dashboard.py)
            extra = cells[len(header):]
            if cells[: len(header)] == header and all(len(c) == 3 and c.isalpha() and c.isupper() for c in extra):
                return True
            continue
        if min(len(header), LEGACY_HEADER_CELLS) <= len(cells) <= len(header) and cells == header[: len(cells)]:
            return True
    return False


def is_relance_tab(sheet: RawSheet, spec: TabSpec) -> bool:
    """Whether a tab named like one relance writes is relance's: marked by the backend, or, with
    no mark, headed as relance heads it (an older relance's tab; the next write marks it)."""
    if sheet.owned:
        return True
    return _is_relance_header(_header_cells(sheet), spec)


def _foreign(sheet: RawSheet, spec: TabSpec, out: Collector) -> None:
    lang = tab_language(sheet.name, spec)
    # a tab under an older name (History) is named as the user spelt it: relance reads that name
    named = spec.name(lang) if normalize(sheet.name) == normalize(spec.name(lang)) else sheet.name
    what = A.R006_ARCHIVE() if spec.key == "history" and _archive(sheet.name) else A.R006_TAB(name=named)
    out.add(
        Source(sheet.name, 1), "",
        A.R006_FOREIGN_TAB(what=what),
        A.R006_HINT(tab=sheet.name, example=sheet.name[:24], header=spec.headers(lang)),
        FOREIGN_TAB,
    )


def foreign_tabs(anomalies: Sequence[Anomaly]) -> list[Anomaly]:
    """The anomalies of find_tables that name a user's tab holding a name relance writes."""
    return [a for a in anomalies if a.code == FOREIGN_TAB]


def find_tables(
    sheets: Sequence[RawSheet], contract: Contract, out: Collector
) -> tuple[dict[str, Table], dict[str, RawSheet]]:
    """The contract's tabs found in the workbook, by tab key; and the owned tabs' raw sheets.

    A user's own tab holding a name relance writes is left out of both and reported as an error
    (FOREIGN_TAB): the app refuses to write or send while there is one.
    """
    tables: dict[str, Table] = {}
    owned: dict[str, RawSheet] = {}
    seen: dict[str, str] = {}
    for sheet in sheets:
        written = written_spec(contract, sheet.name)
        if written is not None and not is_relance_tab(sheet, written):
            _foreign(sheet, written, out)
            continue
        spec = contract.resolve_tab(sheet.name)
        if spec is None:
            continue
        if spec.key in seen:
            out.warn(Source(sheet.name, 1), "", A.R001_SECOND_TAB(read=seen[spec.key]),
                     A.R001_HINT(tab=sheet.name, read=seen[spec.key]), "R001")
            continue
        seen[spec.key] = sheet.name
        if spec.role == "output":
            owned[spec.key] = sheet
        tables[spec.key] = read_table(sheet, spec, out)
    for spec in contract.input_tabs:
        if spec.required and spec.key not in tables:
            out.add(Source(spec.fr, 1), "", A.R000_MISSING_TAB(fr=spec.fr, en=spec.en), A.R000_HINT(), "R000")
    out.tables, out.contract = dict(tables), contract  # how the next stages name tabs and columns
    return tables, owned
