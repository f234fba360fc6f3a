"""`relance init gsheet:<id>`: the workbook template laid onto an empty Google Sheets spreadsheet.

The same tabs as the .xlsx template (workbook/starter.py), in one batchUpdate: the instructions
tab first, then every input tab of the contract with its header (bold, white on blue, frozen, a
note on each header cell saying what the column holds), column widths, number formats (dates,
amounts, text columns kept as typed), and the validation of the .xlsx (dropdowns, dates, amounts,
whole numbers: a warning, never a refusal); Parametres gets every setting with its default and
what it means. The spreadsheet's own empty tabs are removed.
"""

from __future__ import annotations

from typing import Any

from relance.engine.catalog import template as words
from relance.engine.contract import ColumnSpec, Contract, TabSpec
from relance.engine.i18n import Phrase
from relance.engine.settings import choice_spellings
from relance.workbook.starter import (
    HELP_WIDTH,
    VALIDATION_LAST_ROW,
    default_value,
    header_note,
    setting_help,
)

_BLUE = {"red": 0x1F / 255, "green": 0x4E / 255, "blue": 0x78 / 255}
_HEADER = {"backgroundColor": _BLUE, "wrapStrategy": "WRAP", "verticalAlignment": "MIDDLE",
           "textFormat": {"bold": True, "foregroundColor": {"red": 1, "green": 1, "blue": 1}}}


def _text(value: object, fmt: dict[str, Any] | None = None, note: str = "") -> dict[str, Any]:
    cell: dict[str, Any] = {}
    if value not in (None, ""):
        cell["userEnteredValue"] = {"stringValue": str(value)}
    if fmt:
        cell["userEnteredFormat"] = fmt
    if note:
        cell["note"] = note
    return cell


def _pixels(chars: float) -> int:
    return int(chars * 7 + 12)


def _rule(col: ColumnSpec, lang: str, signed: bool) -> dict[str, Any] | None:
    values = col.dropdown(lang)
    if values:
        return {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": v} for v in values]},
                "strict": False, "showCustomUi": True}
    if col.type == "date":
        return {"condition": {"type": "DATE_IS_VALID"}, "strict": False,
                "inputMessage": words.VALIDATION_DATE.text(lang)}
    if col.type == "money":
        low = "-999999999999.99" if signed else "0"
        return {"condition": {"type": "NUMBER_BETWEEN", "values": [{"userEnteredValue": low},
                                                                     {"userEnteredValue": "999999999999.99"}]},
                "strict": False, "inputMessage": words.VALIDATION_MONEY.text(lang)}
    if col.type == "int":
        return {"condition": {"type": "NUMBER_BETWEEN", "values": [{"userEnteredValue": "-36500"},
                                                                     {"userEnteredValue": "36500"}]},
                "strict": False, "inputMessage": words.VALIDATION_WHOLE.text(lang)}
    return None


def _number_format(col: ColumnSpec, lang: str) -> dict[str, Any] | None:
    if col.format == "text":
        return {"type": "TEXT"}
    if col.type == "money":
        return {"type": "NUMBER", "pattern": "#,##0.00"}
    if col.type == "date":
        return {"type": "DATE", "pattern": "dd/mm/yyyy" if lang == "fr" else "yyyy-mm-dd"}
    return None


def _columns(sheet_id: int, widths: list[float]) -> list[dict[str, Any]]:
    return [{"updateDimensionProperties": {
        "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": i, "endIndex": i + 1},
        "properties": {"pixelSize": _pixels(w)}, "fields": "pixelSize"}} for i, w in enumerate(widths)]


def _input_tab(tab: TabSpec, contract: Contract, lang: str, sheet_id: int, index: int) -> list[dict[str, Any]]:
    columns = list(tab.columns)
    headers = tab.headers(lang)
    notes = [header_note(tab, c).text(lang) for c in columns]
    rows: list[list[dict[str, Any]]] = [[_text(h, _HEADER, n) for h, n in zip(headers, notes, strict=True)]]
    widths = [c.width for c in columns]
    out: list[dict[str, Any]] = []
    validations: list[dict[str, Any]] = []
    if tab.key == "settings":
        rows[0].append(_text(words.SETTINGS_HELP_HEADER.text(lang), _HEADER, words.NOTE_SETTINGS_HELP.text(lang)))
        widths.append(HELP_WIDTH)
        for n, spec in enumerate(contract.settings, start=1):
            phrase: Phrase | None = setting_help(spec.key)
            rows.append([_text(spec.key), _text(default_value(spec, lang)),
                         _text(phrase.text(lang) if phrase is not None else "", {"wrapStrategy": "WRAP"})])
            offered = choice_spellings(spec.key, lang)
            if offered:
                validations.append({"setDataValidation": {
                    "range": {"sheetId": sheet_id, "startRowIndex": n, "endRowIndex": n + 1,
                              "startColumnIndex": 1, "endColumnIndex": 2},
                    "rule": {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": v} for v in offered]},
                             "strict": False, "showCustomUi": True}}})
    height = max(VALIDATION_LAST_ROW, len(rows) + 1)
    out.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": tab.name(lang), "index": index,
                                            "gridProperties": {"rowCount": height, "columnCount": len(rows[0]),
                                                               "frozenRowCount": 1}}}})
    out.append({"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                                "rows": [{"values": r} for r in rows], "fields": "userEnteredValue,userEnteredFormat,note"}})
    out += _columns(sheet_id, widths)
    signed = {("sales", "amount")}  # a month's sales may be negative (credit notes); amounts elsewhere not
    for i, col in enumerate(columns):
        rng = {"sheetId": sheet_id, "startRowIndex": 1, "endRowIndex": height, "startColumnIndex": i,
               "endColumnIndex": i + 1}
        number = _number_format(col, lang)
        if number is not None and tab.key != "settings":
            out.append({"repeatCell": {"range": rng, "cell": {"userEnteredFormat": {"numberFormat": number}},
                                       "fields": "userEnteredFormat.numberFormat"}})
        rule = _rule(col, lang, (tab.key, col.key) in signed) if tab.key != "settings" else None
        if rule is not None:
            out.append({"setDataValidation": {"range": rng, "rule": rule}})
    out += validations
    out.append({"setBasicFilter": {"filter": {"range": {"sheetId": sheet_id, "startRowIndex": 0,
                                                        "startColumnIndex": 0, "endColumnIndex": len(rows[0])}}}})
    return out


def _instructions(contract: Contract, lang: str, sheet_id: int) -> list[dict[str, Any]]:
    """What each tab is for, the daily run, where the results appear (as the .xlsx's first tab)."""
    sep = "\u00a0: " if lang == "fr" else ": "
    title = {"textFormat": {"bold": True, "fontSize": 14, "foregroundColor": _BLUE}}
    section = {"textFormat": {"bold": True, "foregroundColor": _BLUE}}
    name = {"textFormat": {"bold": True}, "wrapStrategy": "WRAP", "verticalAlignment": "TOP"}
    wrap = {"wrapStrategy": "WRAP", "verticalAlignment": "TOP"}
    lines: list[list[dict[str, Any]]] = [[_text(words.HOWTO_TITLE.text(lang), title)],
                                         [_text(""), _text(words.HOWTO_INTRO.text(lang), wrap)], [],
                                         [_text(words.HOWTO_YOUR_TABS.text(lang), section)]]
    for tab in contract.input_tabs:
        phrase = getattr(words, f"HOWTO_{tab.key}".upper(), None)
        if isinstance(phrase, Phrase):
            lines.append([_text(tab.name(lang), name), _text(phrase.text(lang), wrap)])
    lines += [[], [_text(words.HOWTO_DAILY.text(lang), section)]]
    for phrase in (words.HOWTO_CHECK, words.HOWTO_PLAN, words.HOWTO_RUN, words.HOWTO_REPORT):
        command, _, what = phrase.text(lang).partition(sep)
        lines.append([_text(command, name), _text(what, wrap)])
    lines += [[], [_text(words.HOWTO_RESULTS.text(lang), section)]]
    for key, phrase in (("history", words.HOWTO_HISTORY), ("plan", words.HOWTO_PLAN_TAB),
                        ("tasks", words.HOWTO_TASKS), ("anomalies", words.HOWTO_ANOMALIES),
                        ("dashboard", words.HOWTO_DASHBOARD)):
        tab_name = contract.tab(key).name(lang)
        text = phrase.text(lang)
        lines.append([_text(tab_name, name), _text(text.removeprefix(tab_name + sep), wrap)])
    lines += [[], [_text(""), _text(words.HOWTO_OWNED.text(lang), wrap)]]
    return [{"addSheet": {"properties": {"sheetId": sheet_id, "title": words.HOWTO_TAB.text(lang), "index": 0,
                                         "gridProperties": {"rowCount": max(100, len(lines) + 5), "columnCount": 2,
                                                            "hideGridlines": True}}}},
            {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                             "rows": [{"values": r} for r in lines], "fields": "userEnteredValue,userEnteredFormat"}},
            *_columns(sheet_id, [38, 100])]


def template_requests(contract: Contract, lang: str, first_id: int) -> tuple[list[dict[str, Any]], list[str]]:
    """The batchUpdate requests that lay the template, and the names of the tabs they add."""
    requests = _instructions(contract, lang, first_id)
    titles = [words.HOWTO_TAB.text(lang)]
    for i, tab in enumerate(contract.input_tabs, start=1):
        requests += _input_tab(tab, contract, lang, first_id + i, i)
        titles.append(tab.name(lang))
    return requests, titles
