"""`relance init`: a new workbook holding every input tab of the contract, in French or English,
that explains itself.

The tabs, their names, columns, widths, formats and dropdowns come from
sheet_templates/workbook.yaml (engine/contract.py, given by the caller); the words (header notes,
the instructions tab, what each setting means) from the catalog (engine/catalog/template.py and
settings.py). The tabs relance writes itself (History, Plan, Tasks, Anomalies, Dashboard) are not
created: the first run adds them.

The first tab is the instructions ("Mode d'emploi" / "How to use"): each tab, the daily run, where
the results appear. Each input tab gets a bold, filled header row that stays frozen and repeats on
every printed page, a note on each header (what goes there, an example), an autofilter, the column
widths of the contract, column formats set before any data exists (money `#,##0.00`, dates
`dd/mm/yyyy`, codes and phone numbers as text) and validation on the data rows: dropdowns in the
template's language (the reader accepts both languages' spellings), dates, amounts and whole
numbers. Validation warns and lets an unexpected value stand: relance reports it with its cell.
Pages print landscape, one page wide. The Settings tab lists every setting with its default,
spelled in the template's language, a dropdown where the value is a choice, and its description.

`data` optionally fills the tabs (the demo workbook): rows keyed by column key. Money is written
from Decimal as a number cell (openpyxl accepts Decimal and writes it with 16 significant
digits, the same text Excel itself would store), dates as real date cells.

`write_only=True` streams rows through openpyxl's write-only mode, for workbooks of 100,000
rows: everything above is kept (it is set before the first row is streamed).
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
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties

from relance.engine.catalog import settings as setting_words
from relance.engine.catalog import template as words
from relance.engine.contract import ColumnSpec, Contract, SettingSpec, TabSpec
from relance.engine.errors import WorkbookError
from relance.engine.i18n import Phrase
from relance.engine.settings import choice_spellings, spelled

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "dd/mm/yyyy"
TEXT_FORMAT = "@"
VALIDATION_LAST_ROW = 5000
"""Validation covers rows 2..5000, or every data row when there are more."""

HELP_WIDTH = 70
_HOWTO_NAME_WIDTH = 38
_HOWTO_TEXT_WIDTH = 100
_CHARS_PER_WIDTH = 1.1  # characters of wrapped body text per unit of column width
_LINE_HEIGHT = 15  # points
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill(fill_type="solid", fgColor="1F4E78")
_HEADER_ALIGN = Alignment(vertical="center", wrap_text=True)
_HELP_FONT = Font(italic=True, color="595959")
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
_TITLE_FONT = Font(bold=True, size=14, color="1F4E78")
_SECTION_FONT = Font(bold=True, size=12, color="1F4E78")
_NAME_FONT = Font(bold=True)
#: The dates relance reads (engine/cells.py): a date outside them is an error on its cell.
_FIRST_DAY, _LAST_DAY = dt.date(1900, 1, 1), dt.date(2200, 12, 31)
_MONEY_LIMIT = "999999999999.99"  # amounts of 10^12 or more are an error on their cell
_DAYS_LIMIT = 3650
#: Money columns that may be negative (a month with more credit notes than sales).
_SIGNED_MONEY = frozenset({("sales", "amount")})

Row = Mapping[str, object]


def build_workbook(
    path: Path,
    contract: Contract,
    lang: str = "fr",
    data: Mapping[str, Sequence[Row]] | None = None,
    *,
    write_only: bool = False,
) -> None:
    """Write a new .xlsx at `path`: the instructions tab, then every input tab of the contract in
    `lang` ("fr"/"en").

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
    _write_instructions(wb.create_sheet(words.HOWTO_TAB.text(lang)), contract, lang)
    for tab in tabs:
        ws = wb.create_sheet(tab.name(lang))
        if tab.key == "settings":
            _write_settings(ws, tab, contract.settings, lang, data.get("settings", ()))
        else:
            _write_tab(ws, tab, lang, data.get(tab.key, ()))
    _save(wb, Path(path))


def header_note(tab: TabSpec, col: ColumnSpec) -> Phrase:
    """The note on a column's header (catalog/template.py `NOTE_<TAB>_<COLUMN>`)."""
    phrase = getattr(words, f"NOTE_{tab.key}_{col.key}".upper(), None)
    if not isinstance(phrase, Phrase):
        raise LookupError(f"no note for column {col.key} of tab {tab.key} in catalog/template.py")
    return phrase


def setting_help(key: str) -> Phrase | None:
    """What a setting means (catalog/settings.py `HELP_<KEY>`), None for a key relance does not know."""
    phrase = getattr(setting_words, f"HELP_{key}".upper(), None)
    return phrase if isinstance(phrase, Phrase) else None


def _write_tab(ws: Any, tab: TabSpec, lang: str, rows: Sequence[Row]) -> None:
    columns = tab.columns
    keys = {c.key for c in columns}
    _prepare(ws, tab, lang, len(rows))
    formats = [_format(c) for c in columns]
    wanted = [c.key for c in columns]
    notes = [header_note(tab, c).text(lang) for c in columns]
    ws.append(_header_cells(ws, tab.headers(lang), notes))
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
    lines: list[tuple[str, object]] = [
        (s.key, _spelled_value(s.key, overrides[s.key], lang) if s.key in overrides else default_value(s, lang))
        for s in specs
    ]
    lines += [(k, v) for k, v in overrides.items() if k not in known]

    _prepare(ws, tab, lang, len(lines), extra_widths=(HELP_WIDTH,))
    header = [*tab.headers(lang), words.SETTINGS_HELP_HEADER.text(lang)]
    notes = [header_note(tab, c).text(lang) for c in tab.columns] + [words.NOTE_SETTINGS_HELP.text(lang)]
    ws.append(_header_cells(ws, header, notes))
    for row_number, (key, value) in enumerate(lines, start=2):
        offered = choice_spellings(key, lang)
        if offered:  # a dropdown on this value cell only
            _list_validation(ws, offered, f"B{row_number}", lang)
        phrase = setting_help(key)
        text = phrase.text(lang) if phrase is not None else None
        _fit_height(ws, row_number, ((text, HELP_WIDTH),))
        help_cell = WriteOnlyCell(ws, text)
        help_cell.font = _HELP_FONT
        help_cell.alignment = _WRAP
        key_cell = WriteOnlyCell(ws, key)
        key_cell.alignment = _TOP
        value_cell = WriteOnlyCell(ws, _setting_value(value))
        value_cell.alignment = _TOP
        ws.append([key_cell, value_cell, help_cell])


def default_value(spec: SettingSpec, lang: str) -> str:
    """What `init` writes for a setting in `lang`: its default in that language's spelling; the
    English template's locale is English."""
    if spec.key == "locale" and lang == "en" and spec.default.lower().startswith("fr"):
        return "en_GB"
    return spelled(spec.key, spec.default, lang)


def _spelled_value(key: str, value: object, lang: str) -> object:
    # A given value is kept, only spelled in the template's language when it is a choice or yes/no.
    if isinstance(value, str) and choice_spellings(key, lang):
        return spelled(key, value, lang)
    return value


def _setting_value(value: object) -> object:
    # Settings values are text in the contract; an empty default is a blank cell.
    if value is None or value == "":
        return None
    return value


def _prepare(
    ws: Any,
    tab: TabSpec,
    lang: str,
    n_rows: int,
    extra_widths: Iterable[float] = (),
) -> None:
    """Everything that must be set before rows are streamed: widths, column formats, frozen
    header, autofilter, validation, print set-up."""
    columns = tab.columns
    widths = [c.width for c in columns] + list(extra_widths)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for i, col in enumerate(columns, start=1):
        fmt = column_format(col)
        if fmt:
            # A column style: what the user types later in an empty cell takes the format.
            ws.column_dimensions[get_column_letter(i)].number_format = fmt
    ws.freeze_panes = "A2"
    last_col = get_column_letter(len(widths))
    ws.auto_filter.ref = f"A1:{last_col}{n_rows + 1}"
    _print_setup(ws)
    last_row = max(VALIDATION_LAST_ROW, n_rows + 1)
    for i, col in enumerate(columns, start=1):
        letter = get_column_letter(i)
        cells = f"{letter}2:{letter}{last_row}"
        values = col.dropdown(lang)
        if values:
            _list_validation(ws, values, cells, lang)
        elif col.type == "date":
            _validation(ws, cells, lang, words.VALIDATION_DATE.text(lang), type="date", operator="between",
                        formula1=str(int(to_excel(_FIRST_DAY))), formula2=str(int(to_excel(_LAST_DAY))))
        elif col.type == "money":
            low = "-" + _MONEY_LIMIT if (tab.key, col.key) in _SIGNED_MONEY else "0"
            _validation(ws, cells, lang, words.VALIDATION_MONEY.text(lang), type="decimal", operator="between",
                        formula1=low, formula2=_MONEY_LIMIT)
        elif col.type == "int":
            _validation(ws, cells, lang, words.VALIDATION_WHOLE.text(lang), type="whole", operator="between",
                        formula1=str(-_DAYS_LIMIT), formula2=str(_DAYS_LIMIT))


def _print_setup(ws: Any) -> None:
    """Landscape A4, one page wide, the header row on every page."""
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.gridLines = True


def _list_validation(ws: Any, values: Sequence[str], cells: str, lang: str) -> None:
    _validation(ws, cells, lang, words.VALIDATION_LIST.text(lang, values=", ".join(values)), type="list",
                formula1='"' + ",".join(values) + '"')


def _validation(ws: Any, cells: str, lang: str, message: str, **rule: str) -> None:
    dv = DataValidation(
        allow_blank=True,
        showDropDown=False,  # (sic) False shows the in-cell arrow of a list
        showErrorMessage=True,
        errorStyle="warning",  # another spelling ("avoir", "JPY") stays possible; relance reports it
        errorTitle=words.VALIDATION_TITLE.text(lang),
        error=message,
        **rule,
    )
    dv.add(cells)
    ws.data_validations.append(dv)


def column_format(col: ColumnSpec) -> str | None:
    """The number format of a column's cells, set on the empty column too."""
    if col.format == "text":
        return TEXT_FORMAT
    return _format(col)


def _format(col: ColumnSpec) -> str | None:
    if col.type == "money":
        return MONEY_FORMAT
    if col.type == "date":
        return DATE_FORMAT
    return None


def _header_cells(ws: Any, headers: Sequence[str], notes: Sequence[str]) -> list[Cell]:
    cells = []
    for text, note in zip(headers, notes, strict=True):
        cell = WriteOnlyCell(ws, text)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _HEADER_ALIGN
        comment = Comment(note, "relance")
        comment.width = 260
        comment.height = 40 + 16 * (len(note) // 40 + 1)
        cell.comment = comment
        cells.append(cell)
    return cells


def _fit_height(ws: Any, row: int, texts: Iterable[tuple[str | None, float]]) -> None:
    """Give a row of wrapped text the height of its longest cell (a spreadsheet does not compute it
    from a file, and a printed page shows only what fits). Set before the row is streamed."""
    lines = max((-(-len(text) // max(int(width * _CHARS_PER_WIDTH), 1)) for text, width in texts if text),
                default=1)
    if lines > 1:
        ws.row_dimensions[row].height = _LINE_HEIGHT * lines + 2


def _write_instructions(ws: Any, contract: Contract, lang: str) -> None:
    """The first tab: what each tab is for, the daily run, where the results appear."""
    ws.column_dimensions["A"].width = _HOWTO_NAME_WIDTH
    ws.column_dimensions["B"].width = _HOWTO_TEXT_WIDTH
    ws.sheet_view.showGridLines = False
    ws.print_options.gridLines = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)

    row = 0

    def line(name: str | None, text: str | None = None, font: Font | None = None) -> None:
        nonlocal row
        row += 1
        first = WriteOnlyCell(ws, name)
        first.font = font or _NAME_FONT
        if font is None:  # a title or a section spills over the empty cell beside it
            first.alignment = _WRAP
            _fit_height(ws, row, ((name, _HOWTO_NAME_WIDTH), (text, _HOWTO_TEXT_WIDTH)))
        elif font is _TITLE_FONT:
            ws.row_dimensions[row].height = 24
        second = WriteOnlyCell(ws, text)
        second.alignment = _WRAP
        ws.append([first, second])

    line(words.HOWTO_TITLE.text(lang), font=_TITLE_FONT)
    line(None, words.HOWTO_INTRO.text(lang))
    line(None)
    line(words.HOWTO_YOUR_TABS.text(lang), font=_SECTION_FONT)
    for tab in contract.input_tabs:
        phrase = getattr(words, f"HOWTO_{tab.key}".upper(), None)
        if isinstance(phrase, Phrase):
            line(tab.name(lang), phrase.text(lang))
    line(None)
    line(words.HOWTO_DAILY.text(lang), font=_SECTION_FONT)
    for phrase in (words.HOWTO_CHECK, words.HOWTO_PLAN, words.HOWTO_RUN, words.HOWTO_REPORT):
        command, _, what = phrase.text(lang).partition("\u00a0: " if lang == "fr" else ": ")
        line(command, what)
    line(None)
    line(words.HOWTO_RESULTS.text(lang), font=_SECTION_FONT)
    for key, phrase in (("history", words.HOWTO_HISTORY), ("plan", words.HOWTO_PLAN_TAB),
                        ("tasks", words.HOWTO_TASKS), ("anomalies", words.HOWTO_ANOMALIES),
                        ("dashboard", words.HOWTO_DASHBOARD)):
        name = contract.tab(key).name(lang)
        text = phrase.text(lang)
        prefix = name + ("\u00a0: " if lang == "fr" else ": ")
        line(name, text[len(prefix):] if text.startswith(prefix) else text)
    line(None)
    line(None, words.HOWTO_OWNED.text(lang))


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
