"""`relance init`: a new workbook holding every input tab of the contract, in French or English.

The tabs, their names, columns, widths and dropdowns come from sheet_templates/workbook.yaml
(engine/contract.py, given by the caller); nothing about the layout is decided here. The tabs relance writes itself
(History, Plan, Tasks, Anomalies, Dashboard) are not created: the first run adds them.

Each tab gets a bold, filled header row that stays frozen, an autofilter on that row, the
column widths of the contract, number formats (money `#,##0.00`, dates `yyyy-mm-dd`) and
dropdowns. The Settings tab lists every setting with its default and a help column.

`data` optionally fills the tabs (the demo workbook): rows keyed by column key. Money is written
from Decimal as a number cell (openpyxl accepts Decimal and writes it with 16 significant
digits, the same text Excel itself would store), dates as real date cells.

`write_only=True` streams rows through openpyxl's write-only mode, for workbooks of 100,000
rows: headers, styles, frozen panes, widths, dropdowns and the autofilter are all kept (they are
set before the first row is streamed).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from relance.engine.contract import ColumnSpec, Contract, SettingSpec, TabSpec
from relance.engine.errors import WorkbookError

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
VALIDATION_LAST_ROW = 5000
"""Dropdowns cover rows 2..5000, or every data row when there are more."""

HELP_HEADER = {"fr": "aide", "en": "help"}
HELP_WIDTH = 60
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill(fill_type="solid", fgColor="1F4E78")
_HEADER_ALIGN = Alignment(vertical="center")
_HELP_FONT = Font(italic=True, color="595959")
# Text columns whose values look like numbers to a spreadsheet (leading zeros, long digit runs):
# formatted as text so that what the user types is kept as typed.
_TEXT_COLUMNS = frozenset({"phone", "postal_code"})

Row = Mapping[str, object]


def build_workbook(
    path: Path,
    contract: Contract,
    lang: str = "fr",
    data: Mapping[str, Sequence[Row]] | None = None,
    *,
    write_only: bool = False,
) -> None:
    """Write a new .xlsx at `path` with every input tab of the contract in `lang` ("fr"/"en").

    `data` maps a tab key ("invoices", "customers", ..., "settings") to its rows, each a dict
    keyed by column key. Settings rows ({"key": ..., "value": ...}) override the defaults of
    those keys; unknown setting keys are added after the known ones. The file is written to a
    temporary file beside `path`, then renamed over it.
    """
    if lang not in ("fr", "en"):
        raise ValueError(f"lang must be 'fr' or 'en', not {lang!r}")
    data = data or {}
    tabs = contract.input_tabs
    unknown = sorted(set(data) - {t.key for t in tabs})
    if unknown:
        raise ValueError(f"not input tabs of the workbook contract: {', '.join(unknown)}")

    wb = Workbook(write_only=write_only)
    if not write_only:
        wb.remove(wb.active)
    wb.properties.creator = "relance"
    for tab in tabs:
        ws = wb.create_sheet(tab.name(lang))
        if tab.key == "settings":
            _write_settings(ws, tab, contract.settings, lang, data.get("settings", ()))
        else:
            _write_tab(ws, tab, lang, data.get(tab.key, ()))
    _save(wb, Path(path))


def _write_tab(ws: Any, tab: TabSpec, lang: str, rows: Sequence[Row]) -> None:
    columns = tab.columns
    keys = {c.key for c in columns}
    _prepare(ws, columns, lang, len(rows))
    formats = [_format(c) for c in columns]
    wanted = [c.key for c in columns]
    ws.append(_header_cells(ws, tab.headers(lang)))
    for n, row in enumerate(rows, start=2):
        extra = row.keys() - keys
        if extra:
            raise ValueError(f"{tab.key} row {n}: unknown column keys {sorted(extra)}")
        ws.append([_cell(ws, row.get(k), f) for k, f in zip(wanted, formats, strict=True)])


def _write_settings(ws: Any, tab: TabSpec, specs: Sequence[SettingSpec], lang: str, rows: Sequence[Row]) -> None:
    overrides: dict[str, object] = {}
    for n, row in enumerate(rows, start=2):
        key = str(row.get("key") or "").strip()
        if not key:
            raise ValueError(f"settings row {n}: no key")
        overrides[key] = row.get("value")
    known = {s.key for s in specs}
    lines: list[tuple[str, object, str]] = [
        (s.key, overrides.get(s.key, s.default), s.help_fr if lang == "fr" else s.help_en)
        for s in specs
    ]
    lines += [(k, v, "") for k, v in overrides.items() if k not in known]

    _prepare(ws, tab.columns, lang, len(lines), extra_widths=(HELP_WIDTH,))
    header = [*tab.headers(lang), HELP_HEADER[lang]]
    ws.append(_header_cells(ws, header))
    for key, value, help_text in lines:
        help_cell = WriteOnlyCell(ws, help_text or None)
        help_cell.font = _HELP_FONT
        ws.append([key, _setting_value(value), help_cell])


def _setting_value(value: object) -> object:
    # Settings values are text in the contract; an empty default is a blank cell.
    if value is None or value == "":
        return None
    return value


def _prepare(
    ws: Any,
    columns: Sequence[ColumnSpec],
    lang: str,
    n_rows: int,
    extra_widths: Iterable[float] = (),
) -> None:
    """Everything that must be set before rows are streamed: widths, column formats, frozen
    header, autofilter, dropdowns."""
    widths = [c.width for c in columns] + list(extra_widths)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for i, col in enumerate(columns, start=1):
        fmt = _format(col) or (TEXT_FORMAT if col.key in _TEXT_COLUMNS else None)
        if fmt:
            # A column style: what the user types later in an empty cell takes the format.
            ws.column_dimensions[get_column_letter(i)].number_format = fmt
    ws.freeze_panes = "A2"
    last_col = get_column_letter(len(widths))
    ws.auto_filter.ref = f"A1:{last_col}{n_rows + 1}"
    last_row = max(VALIDATION_LAST_ROW, n_rows + 1)
    for i, col in enumerate(columns, start=1):
        values = col.dropdown or tuple(col.choices)
        if not values:
            continue
        letter = get_column_letter(i)
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(values) + '"',
            allow_blank=True,
            showDropDown=False,  # (sic) False shows the in-cell arrow
            showErrorMessage=True,
            errorStyle="warning",  # other spellings ("avoir", "JPY") stay possible
            errorTitle=col.header(lang),
            error=_validation_message(values, lang),
        )
        dv.add(f"{letter}2:{letter}{last_row}")
        ws.data_validations.append(dv)


def _validation_message(values: Sequence[str], lang: str) -> str:
    listed = ", ".join(values)
    if lang == "fr":
        return f"Valeurs attendues : {listed}. Conserver quand même cette valeur ?"
    return f"Expected values: {listed}. Keep this value anyway?"


def _format(col: ColumnSpec) -> str | None:
    if col.type == "money":
        return MONEY_FORMAT
    if col.type == "date":
        return DATE_FORMAT
    return None


def _header_cells(ws: Any, headers: Sequence[str]) -> list[Cell]:
    cells = []
    for text in headers:
        cell = WriteOnlyCell(ws, text)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _HEADER_ALIGN
        cells.append(cell)
    return cells


def _cell(ws: Any, value: object, fmt: str | None) -> object:
    """A value to append: plain for text, a formatted cell for dates and amounts."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, dt.date):  # datetime included
        cell = WriteOnlyCell(ws, value)
        timed = isinstance(value, dt.datetime) and _has_time(value)
        cell.number_format = "yyyy-mm-dd hh:mm" if timed else DATE_FORMAT
        return cell
    if fmt == MONEY_FORMAT and isinstance(value, Decimal | int | float):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = MONEY_FORMAT
        return cell
    return value


def _has_time(value: dt.datetime) -> bool:
    return (value.hour, value.minute, value.second, value.microsecond) != (0, 0, 0, 0)


def _save(wb: Workbook, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".xlsx.tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise WorkbookError(
            f"cannot write {path}: {exc.strerror or exc}",
            "close the file in Excel or LibreOffice, or choose another path",
        ) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
