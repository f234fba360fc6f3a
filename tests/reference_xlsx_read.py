"""The cells of a workbook's tabs as relance read them before session 21: python-calamine on the
workbook itself, one tab after the other (workbook/xlsx.XlsxBackend._sheet_rows as it was). The
reference tests/test_xlsx_read.py holds the faster read (a headed copy, rows made as tabs come) to,
value by value and type by type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from relance.workbook.xlsx_parts import _CARRY_LIMIT, _HEAD_LIMIT, _SHEET_DATA, SheetScan


def reference_rows(path: Path, names: list[str]) -> dict[str, list[list[Any]]]:
    """Each named tab's rows, from A1, as calamine hands them for the workbook as it is."""
    book = CalamineWorkbook.from_path(str(path))
    try:
        out: dict[str, list[list[Any]]] = {}
        for name in names:
            sheet = book.get_sheet_by_name(name)
            rows: list[list[Any]] = sheet.to_python(skip_empty_area=False)
            start = sheet.start
            if rows and start:
                row0, col0 = start
                if col0 and len(rows[0]) == sheet.width:
                    rows = [[""] * col0 + list(r) for r in rows]
                if row0 and len(rows) == sheet.height:
                    rows = [[""] * len(rows[0]) for _ in range(row0)] + rows
            out[name] = rows
        return out
    finally:
        book.close()


def typed(rows: Any) -> list[list[tuple[str, str]]]:
    """Rows as (type, repr) pairs: 1 and 1.0 and True differ, NaN equals NaN."""
    return [[(type(v).__name__, repr(v)) for v in row] for row in rows]


def read_typed(read: Callable[[], Any]) -> list[tuple[str, bool | None, list[list[tuple[str, str]]]]]:
    return [(s.name, s.owned, typed(s.rows)) for s in read()]


class ReferenceSheetScan(SheetScan):
    """xlsx_parts.SheetScan as it scanned before session 22: the carry and each chunk joined, then
    cut at the last '>' (two copies of every chunk); the scan now reads the chunk in place."""

    def feed(self, chunk: bytes) -> None:
        if self._irregular:
            return
        if not self._started:
            self._head += chunk
            found = _SHEET_DATA.search(self._head)
            if found is None:
                if len(self._head) > _HEAD_LIMIT:
                    self._irregular = True
                return
            self._start(self._head[: found.start()])
            chunk, self._head = self._head[found.start():], b""
        data = self._carry + chunk
        cut = data.rfind(b">") + 1
        self._carry = data[cut:]
        if len(self._carry) > _CARRY_LIMIT:
            self._irregular = True
            return
        self._scan(data[:cut])
