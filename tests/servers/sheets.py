"""A stateful local Google Sheets API v4 on loopback, for the real gspread and google-auth clients.

No public emulator of the Sheets API exists; this one implements what relance and gspread call:

- `POST /token`: the service-account flow. google-auth signs a JWT with the key file's private
  key and posts it to the key file's `token_uri`; the server checks the signature with the public
  key registered by `trust(email, pem)` and answers an access token. Sheets calls must then carry
  `Authorization: Bearer <token>` (when `require_auth`), and the token's e-mail is the quota user.
- `GET /v4/spreadsheets/{id}` (properties, sheets with their properties and developer metadata;
  `includeGridData` is ignored: never grid data), `POST /v4/spreadsheets` (create),
  `POST /v4/spreadsheets/{id}:batchUpdate` (addSheet, deleteSheet, updateSheetProperties,
  updateCells, appendCells, repeatCell, setDataValidation, updateDimensionProperties,
  appendDimension, setBasicFilter, createDeveloperMetadata), applied atomically: one invalid
  request and nothing of the batch is applied (400).
- values: get, batchGet, update (PUT), batchUpdate, append, clear, batchClear; A1 ranges with
  quoted tab names (`'Mes factures'!A1:Z`), `valueRenderOption` (FORMATTED_VALUE, the default,
  UNFORMATTED_VALUE, FORMULA), `dateTimeRenderOption` (SERIAL_NUMBER, FORMATTED_STRING),
  `valueInputOption` RAW (a string is kept as typed: `=HYPERLINK(...)` stays text) or
  USER_ENTERED (`=` makes a formula, numbers, TRUE/FALSE and ISO dates are parsed). Writes past
  the grid are refused as Google refuses them ("exceeds grid limits"); appends grow the grid.
  Formulas are kept, not computed (an unformatted read gives the formula text back).

Test controls: `requests` counts every Sheets call (the token endpoint apart), `log` keeps them;
`quota` (60 a minute per user by default, None: off) answers 429 with `Retry-After` past the
limit over the clock `now` (seconds, moved by the test: nothing here sleeps to count time);
`faults` holds Fault records consumed by the first call they match: a status before anything is
applied, the same after the write was applied (`after_apply`), a hang (the client's read timeout
expires; released when the server stops) or a dropped connection.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import re
import threading
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from servers.loopback import Loopback

EPOCH = dt.date(1899, 12, 30)  # day 0 of Google Sheets' (and Excel's) serial dates
MAX_CELLS = 10_000_000
_A1 = re.compile(r"^([A-Za-z]*)(\d*)$")


class ApiError(Exception):
    """An error answered the way Google answers it: {"error": {"code", "message", "status"}}."""

    def __init__(self, code: int, message: str, status: str = "INVALID_ARGUMENT",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.headers = code, message, status, headers or {}


@dataclass
class Formula:
    text: str


@dataclass
class Fault:
    """A failure of the first call to `endpoint` ("get", "create", "batchUpdate", "values.get",
    "values.batchGet", "values.update", "values.batchUpdate", "values.append", "values.clear",
    "values.batchClear", "token" or "any") whose `tab` (if set) is in the call's ranges.

    `status` is answered before anything is applied, or after the write was applied when
    `after_apply`; `hang` keeps the connection open without an answer (nothing applied, or applied
    first with `after_apply`); `drop` closes it without an answer. `times` calls fail so."""

    endpoint: str
    status: int = 503
    after_apply: bool = False
    hang: bool = False
    drop: bool = False
    times: int = 1
    retry_after: str | None = None
    tab: str | None = None


@dataclass
class Sheet:
    sheet_id: int
    title: str
    index: int
    rows: int = 1000
    cols: int = 26
    frozen_rows: int = 0
    cells: list[list[Any]] = field(default_factory=list)  # row-major, None for empty
    formats: dict[int, dict[str, Any]] = field(default_factory=dict)  # column -> userEnteredFormat
    header_format: dict[str, Any] = field(default_factory=dict)
    validations: dict[int, dict[str, Any]] = field(default_factory=dict)  # column -> rule
    widths: dict[int, int] = field(default_factory=dict)  # column -> pixels
    metadata: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    notes: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column) -> note

    def properties(self) -> dict[str, Any]:
        grid: dict[str, Any] = {"rowCount": self.rows, "columnCount": self.cols}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        return {"sheetId": self.sheet_id, "title": self.title, "index": self.index, "sheetType": "GRID",
                "gridProperties": grid}

    def used_rows(self) -> int:
        n = len(self.cells)
        while n and all(v is None for v in self.cells[n - 1]):
            n -= 1
        return n

    def put(self, row: int, col: int, value: Any) -> None:
        while len(self.cells) <= row:
            self.cells.append([])
        line = self.cells[row]
        while len(line) <= col:
            line.append(None)
        line[col] = value

    def get(self, row: int, col: int) -> Any:
        if row < len(self.cells) and col < len(self.cells[row]):
            return self.cells[row][col]
        return None


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    locale: str = "fr_FR"
    time_zone: str = "Europe/Paris"
    sheets: list[Sheet] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)
    #: Who it is shared with (e-mails), None: anyone. Viewers may read, editors may write too.
    editors: set[str] | None = None
    viewers: set[str] = field(default_factory=set)

    def sheet(self, title: str) -> Sheet:
        for s in self.sheets:
            if s.title.casefold() == title.casefold():
                return s
        raise ApiError(400, f"Unable to parse range: {quote_title(title)}")

    def by_id(self, sheet_id: int) -> Sheet:
        for s in self.sheets:
            if s.sheet_id == sheet_id:
                return s
        raise ApiError(400, f"No grid with id: {sheet_id}")

    def resource(self) -> dict[str, Any]:
        sheets = []
        for s in self.sheets:
            entry: dict[str, Any] = {"properties": s.properties()}
            if s.metadata:
                entry["developerMetadata"] = copy.deepcopy(s.metadata)
            sheets.append(entry)
        out: dict[str, Any] = {
            "spreadsheetId": self.spreadsheet_id,
            "properties": {"title": self.title, "locale": self.locale, "timeZone": self.time_zone},
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit",
        }
        if self.metadata:
            out["developerMetadata"] = copy.deepcopy(self.metadata)
        return out


# ------------------------------------------------------------------------------------ A1 ranges


def quote_title(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def col_number(letters: str) -> int:
    n = 0
    for c in letters.upper():
        n = n * 26 + ord(c) - 64
    return n


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass(frozen=True)
class Grid:
    """A range on one tab, 0-based, end exclusive; None: to the end of the grid."""

    title: str
    row0: int
    col0: int
    row1: int | None
    col1: int | None

    def a1(self, sheet: Sheet) -> str:
        r1 = self.row1 if self.row1 is not None else sheet.rows
        c1 = self.col1 if self.col1 is not None else sheet.cols
        return f"{quote_title(sheet.title)}!{col_letters(self.col0 + 1)}{self.row0 + 1}:{col_letters(c1)}{r1}"


def parse_range(text: str, book: Spreadsheet) -> Grid:
    """`'Mes factures'!A1:Z`, `Tab!A:C`, `Tab!A2`, `Tab`, or `A1:B2` (the first tab)."""
    text = text.strip()
    if text.startswith("'"):
        i, title = 1, ""
        while True:
            j = text.find("'", i)
            if j < 0:
                raise ApiError(400, f"Unable to parse range: {text}")
            if text[j + 1:j + 2] == "'":
                title += text[i:j] + "'"
                i = j + 2
                continue
            title += text[i:j]
            rest = text[j + 1:]
            break
        if rest and not rest.startswith("!"):
            raise ApiError(400, f"Unable to parse range: {text}")
        cells = rest[1:]
    elif "!" in text:
        title, cells = text.rsplit("!", 1)
    else:
        names = {s.title.casefold() for s in book.sheets}
        if text.casefold() in names:
            title, cells = text, ""
        else:
            title, cells = (book.sheets[0].title if book.sheets else ""), text
    sheet = book.sheet(title)
    if not cells:
        return Grid(sheet.title, 0, 0, None, None)
    first, _, last = cells.partition(":")
    m1, m2 = _A1.match(first), _A1.match(last or first)
    if not m1 or not m2 or not (first and (m1.group(1) or m1.group(2))):
        raise ApiError(400, f"Unable to parse range: {text}")
    c0 = col_number(m1.group(1)) - 1 if m1.group(1) else 0
    r0 = int(m1.group(2)) - 1 if m1.group(2) else 0
    if last:
        c1 = col_number(m2.group(1)) if m2.group(1) else None
        r1 = int(m2.group(2)) if m2.group(2) else None
    else:
        c1, r1 = c0 + 1, r0 + 1
    return Grid(sheet.title, r0, c0, r1, c1)


# ------------------------------------------------------------------------------------ values


def _number(x: float) -> int | float:
    return int(x) if isinstance(x, float) and x.is_integer() and abs(x) < 2**53 else x


def render(value: Any, option: str, dates: str, fmt: dict[str, Any] | None) -> Any:
    """A stored value as the API renders it."""
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, bool):
        return value if option != "FORMATTED_VALUE" else ("TRUE" if value else "FALSE")
    if isinstance(value, int | float):
        kind = ((fmt or {}).get("numberFormat") or {}).get("type", "")
        is_date = kind in ("DATE", "DATE_TIME")
        if option == "FORMATTED_VALUE" or (is_date and dates == "FORMATTED_STRING"):
            if is_date:
                day = dt.datetime.combine(EPOCH, dt.time()) + dt.timedelta(days=float(value))
                return day.date().isoformat() if kind == "DATE" else day.isoformat(sep=" ")
            return str(_number(value))
        return _number(value)
    return value


def entered(value: Any, option: str) -> Any:
    """A value sent by a client as stored: RAW keeps it as given, USER_ENTERED parses text."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | int | float):
        return value
    if not isinstance(value, str):
        raise ApiError(400, f"Invalid value at 'data.values': {value!r}")
    if option == "RAW":
        return value
    if option != "USER_ENTERED":
        raise ApiError(400, f"Invalid valueInputOption: {option!r}")
    if value.startswith("'"):
        return value[1:]
    if value.startswith("="):
        return Formula(value)
    if value.upper() in ("TRUE", "FALSE"):
        return value.upper() == "TRUE"
    try:
        return float(value) if any(c in value for c in ".eE") else int(value)
    except ValueError:
        pass
    try:
        return (dt.date.fromisoformat(value) - EPOCH).days
    except ValueError:
        return value


def cell_value(data: dict[str, Any]) -> Any:
    """A CellData's userEnteredValue as stored (a stringValue is never a formula)."""
    value = data.get("userEnteredValue")
    if value is None:
        return None
    if "stringValue" in value:
        return value["stringValue"] or None
    if "numberValue" in value:
        return value["numberValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "formulaValue" in value:
        return Formula(value["formulaValue"])
    raise ApiError(400, f"Invalid userEnteredValue: {value!r}")


# ------------------------------------------------------------------------------------ server


class SheetsServer(Loopback):
    """The local Sheets API: start it (`with SheetsServer() as server`), point the client at `url`."""

    def __init__(self, *, require_auth: bool = False, quota: int | None = 60) -> None:
        self.require_auth = require_auth
        self.quota = quota
        self.now = 0.0  # seconds, moved by the test (quota windows)
        self.books: dict[str, Spreadsheet] = {}
        self.faults: list[Fault] = []
        self.requests = 0
        self.per_user: Counter[str] = Counter()
        self.log: list[tuple[str, str, int]] = []  # (endpoint, range names or path, body bytes)
        self.largest_body = 0
        self.tokens: dict[str, str] = {}  # token -> e-mail
        self.creators: dict[str, str] = {}  # spreadsheet created through the API -> who created it
        self.token_scopes: dict[str, list[str]] = {}  # token -> the scopes asked for (the Drive fake checks them)
        self.trusted: dict[str, bytes] = {}  # service-account e-mail -> public key PEM
        self.token_requests = 0
        self.lock = threading.RLock()
        self._window: dict[str, deque[float]] = defaultdict(deque)
        self._released = threading.Event()
        self._ids = itertools.count(1)
        self._serve(self._handler())

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        super().__exit__(*exc)

    # ------------------------------------------------------------- test-side helpers

    def trust(self, email: str, public_pem: bytes) -> None:
        """Accept JWTs signed by this service account's key at /token."""
        self.trusted[email] = public_pem

    def add_book(self, title: str = "Relances", tabs: dict[str, list[list[Any]]] | None = None,
                 spreadsheet_id: str | None = None, locale: str = "fr_FR") -> str:
        """A spreadsheet holding `tabs` (values stored as given, as if typed RAW); its id."""
        with self.lock:
            sid = spreadsheet_id or f"sheet{next(self._ids):04d}AbCdEfGhIjKlMnOpQrStUvWxYz"
            book = Spreadsheet(sid, title, locale)
            for i, (name, rows) in enumerate((tabs or {"Feuille 1": []}).items()):
                sheet = Sheet(self._sheet_id(), name, i)
                sheet.rows = max(1000, len(rows))
                sheet.cols = max(26, max((len(r) for r in rows), default=0))
                for r, line in enumerate(rows):
                    for c, v in enumerate(line):
                        if v is not None and v != "":
                            sheet.put(r, c, _stored(v))
                book.sheets.append(sheet)
            self.books[sid] = book
            return sid

    def values(self, sid: str, title: str, option: str = "UNFORMATTED_VALUE") -> list[list[Any]]:
        """A tab's values as a client would read them (trailing blanks trimmed)."""
        with self.lock:
            book = self.books[sid]
            sheet = book.sheet(title)
            return self._read(sheet, Grid(sheet.title, 0, 0, None, None), option, "SERIAL_NUMBER")

    def sheet(self, sid: str, title: str) -> Sheet:
        return self.books[sid].sheet(title)

    def titles(self, sid: str) -> list[str]:
        return [s.title for s in self.books[sid].sheets]

    def _sheet_id(self) -> int:
        return 1000 + next(self._ids) * 7919

    # ------------------------------------------------------------- reads and writes

    def _read(self, sheet: Sheet, grid: Grid, option: str, dates: str) -> list[list[Any]]:
        r1 = min(grid.row1 if grid.row1 is not None else sheet.rows, len(sheet.cells))
        c1 = grid.col1 if grid.col1 is not None else sheet.cols
        out: list[list[Any]] = []
        for r in range(grid.row0, r1):
            line = sheet.cells[r][grid.col0:c1]
            while line and line[-1] is None:
                line = line[:-1]
            out.append([render(v, option, dates, sheet.formats.get(grid.col0 + i)) for i, v in enumerate(line)])
        while out and not out[-1]:
            out.pop()
        return out

    def _write(self, sheet: Sheet, grid: Grid, values: list[list[Any]], option: str, *, grow: bool = False) -> int:
        if not isinstance(values, list) or not all(isinstance(r, list) for r in values):
            raise ApiError(400, "Invalid JSON payload: 'values' must be a list of lists")
        height = len(values)
        width = max((len(r) for r in values), default=0)
        if grid.row1 == grid.row0 + 1 and grid.col1 == grid.col0 + 1:  # one cell: where the values start
            grid = Grid(grid.title, grid.row0, grid.col0, None, None)
        if grid.row1 is not None and grid.row1 - grid.row0 < height or \
                grid.col1 is not None and grid.col1 - grid.col0 < width:
            raise ApiError(400, f"Requested writing within range [{grid.a1(sheet)}], but tried writing "
                                f"{height} rows and {width} columns")
        if grid.row0 + height > sheet.rows or grid.col0 + width > sheet.cols:
            if not grow:
                raise ApiError(400, f"Range ({quote_title(sheet.title)}!{col_letters(grid.col0 + width)}"
                                    f"{grid.row0 + height}) exceeds grid limits. Max rows: {sheet.rows}, "
                                    f"max columns: {sheet.cols}")
            sheet.rows = max(sheet.rows, grid.row0 + height)
            sheet.cols = max(sheet.cols, grid.col0 + width)
        for r, line in enumerate(values):
            for c, v in enumerate(line):
                sheet.put(grid.row0 + r, grid.col0 + c, entered(v, option))
        return sum(len(r) for r in values)

    def _check_cells(self, book: Spreadsheet) -> None:
        total = sum(s.rows * s.cols for s in book.sheets)
        if total > MAX_CELLS:
            raise ApiError(400, "This action would increase the number of cells in the workbook above the "
                                f"limit of {MAX_CELLS} cells.")

    def _batch_update(self, book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        replies: list[dict[str, Any]] = []
        for request in body.get("requests", []):
            if len(request) != 1:
                raise ApiError(400, "Invalid requests: each request must have exactly one kind")
            (kind, spec), = request.items()
            replies.append(self._apply(book, kind, spec))
        self._check_cells(book)
        return {"spreadsheetId": book.spreadsheet_id, "replies": replies}

    def _apply(self, book: Spreadsheet, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
        if kind == "addSheet":
            props = spec.get("properties", {})
            title = props.get("title") or f"Feuille {len(book.sheets) + 1}"
            if any(s.title.casefold() == title.casefold() for s in book.sheets):
                raise ApiError(400, f'Invalid requests[0].addSheet: A sheet with the name "{title}" already '
                                    "exists. Please enter another name.")
            sheet_id = props.get("sheetId", self._sheet_id())
            if any(s.sheet_id == sheet_id for s in book.sheets):
                raise ApiError(400, f"Invalid requests[0].addSheet: Sheet with id {sheet_id} already exists.")
            grid = props.get("gridProperties", {})
            sheet = Sheet(sheet_id, title, props.get("index", len(book.sheets)), grid.get("rowCount", 1000),
                          grid.get("columnCount", 26), grid.get("frozenRowCount", 0))
            book.sheets.insert(min(sheet.index, len(book.sheets)), sheet)
            for i, s in enumerate(book.sheets):
                s.index = i
            return {"addSheet": {"properties": sheet.properties()}}
        if kind == "deleteSheet":
            sheet = book.by_id(spec["sheetId"])
            book.sheets.remove(sheet)
            return {}
        if kind == "updateSheetProperties":
            props, fields = spec.get("properties", {}), spec.get("fields", "")
            sheet = book.by_id(props["sheetId"])
            grid = props.get("gridProperties", {})
            for f in (x.strip() for x in fields.split(",")):
                if f == "title":
                    sheet.title = props["title"]
                elif f == "gridProperties.frozenRowCount":
                    sheet.frozen_rows = grid.get("frozenRowCount", 0)
                elif f == "gridProperties.rowCount":
                    sheet.rows = grid["rowCount"]
                elif f == "gridProperties.columnCount":
                    sheet.cols = grid["columnCount"]
                elif f:
                    raise ApiError(400, f"Unsupported field mask in this local server: {f}")
            return {}
        if kind == "appendDimension":
            sheet = book.by_id(spec["sheetId"])
            if spec.get("dimension") == "ROWS":
                sheet.rows += spec["length"]
            else:
                sheet.cols += spec["length"]
            return {}
        if kind == "updateCells":
            sheet = book.by_id(_sheet_of(spec))
            start = spec.get("start") or {}
            r0 = start.get("rowIndex", 0) if start else spec["range"].get("startRowIndex", 0)
            c0 = start.get("columnIndex", 0) if start else spec["range"].get("startColumnIndex", 0)
            rows = spec.get("rows", [])
            values = [[cell_value(c) for c in row.get("values", [])] for row in rows]
            if not start:  # a range: what the rows do not cover in it is cleared
                rng = spec["range"]
                r1 = rng.get("endRowIndex", sheet.rows)
                c1 = rng.get("endColumnIndex", sheet.cols)
                if len(values) > r1 - r0 or any(len(v) > c1 - c0 for v in values):
                    raise ApiError(400, "Invalid requests: updateCells rows exceed its range")
                values = [(values[i] if i < len(values) else []) for i in range(r1 - r0)]
                values = [v + [None] * (c1 - c0 - len(v)) for v in values]
            self._put_cells(sheet, r0, c0, values, grow=False)
            for r, row in enumerate(rows):
                for c, data in enumerate(row.get("values", [])):
                    if data.get("note"):
                        sheet.notes[(r0 + r, c0 + c)] = data["note"]
            return {}
        if kind == "appendCells":
            sheet = book.by_id(spec["sheetId"])
            values = [[cell_value(c) for c in row.get("values", [])] for row in spec.get("rows", [])]
            self._put_cells(sheet, sheet.used_rows(), 0, values, grow=True)
            return {}
        if kind == "repeatCell":
            rng = spec["range"]
            sheet = book.by_id(rng["sheetId"])
            fmt = (spec.get("cell") or {}).get("userEnteredFormat", {})
            if rng.get("startRowIndex", 0) == 0 and rng.get("endRowIndex") == 1:
                sheet.header_format = copy.deepcopy(fmt)
            else:
                for c in range(rng.get("startColumnIndex", 0), rng.get("endColumnIndex", sheet.cols)):
                    sheet.formats[c] = copy.deepcopy(fmt)
            return {}
        if kind == "setDataValidation":
            rng = spec["range"]
            sheet = book.by_id(rng["sheetId"])
            for c in range(rng.get("startColumnIndex", 0), rng.get("endColumnIndex", sheet.cols)):
                if spec.get("rule"):
                    sheet.validations[c] = copy.deepcopy(spec["rule"])
                else:
                    sheet.validations.pop(c, None)
            return {}
        if kind == "updateDimensionProperties":
            rng = spec["range"]
            sheet = book.by_id(rng["sheetId"])
            if rng.get("dimension") == "COLUMNS" and "pixelSize" in spec.get("properties", {}):
                for c in range(rng.get("startIndex", 0), rng.get("endIndex", sheet.cols)):
                    sheet.widths[c] = spec["properties"]["pixelSize"]
            return {}
        if kind == "setBasicFilter":
            flt = spec.get("filter", {})
            sheet = book.by_id(flt.get("range", {}).get("sheetId"))
            sheet.basic_filter = copy.deepcopy(flt)
            return {}
        if kind == "createDeveloperMetadata":
            meta = copy.deepcopy(spec["developerMetadata"])
            meta.setdefault("metadataId", next(self._ids))
            location = meta.get("location", {})
            if "sheetId" in location:
                book.by_id(location["sheetId"]).metadata.append(meta)
            else:
                book.metadata.append(meta)
            return {"createDeveloperMetadata": {"developerMetadata": meta}}
        raise ApiError(400, f"Unsupported request in this local server: {kind}")

    def _put_cells(self, sheet: Sheet, r0: int, c0: int, values: list[list[Any]], *, grow: bool) -> None:
        height = len(values)
        width = max((len(r) for r in values), default=0)
        if r0 + height > sheet.rows or c0 + width > sheet.cols:
            if not grow:
                raise ApiError(400, f"Invalid requests: range ({quote_title(sheet.title)}!"
                                    f"{col_letters(c0 + width)}{r0 + height}) exceeds grid limits. "
                                    f"Max rows: {sheet.rows}, max columns: {sheet.cols}")
            sheet.rows = max(sheet.rows, r0 + height)
            sheet.cols = max(sheet.cols, c0 + width)
        for r, line in enumerate(values):
            for c, v in enumerate(line):
                sheet.put(r0 + r, c0 + c, v)

    # ------------------------------------------------------------- dispatch

    def _fault(self, endpoint: str, tabs: list[str]) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.endpoint in (endpoint, "any") and fault.times > 0 and \
                        (fault.tab is None or fault.tab.casefold() in (t.casefold() for t in tabs)):
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _quota(self, user: str) -> None:
        if self.quota is None:
            return
        window = self._window[user]
        while window and window[0] <= self.now - 60:
            window.popleft()
        if len(window) >= self.quota:
            wait = max(1, int(window[0] + 60 - self.now))
            raise ApiError(429, "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
                                f"minute per user' of service 'sheets.googleapis.com' for consumer '{user}'.",
                           "RESOURCE_EXHAUSTED", {"Retry-After": str(wait)})
        window.append(self.now)

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: dict[str, Any],
               user: str) -> tuple[str, list[str], Any]:
        """(endpoint, tabs touched, a function applying the call and returning its answer)."""
        path = unquote(path)
        if method == "POST" and path == "/v4/spreadsheets":
            return "create", [], lambda: self._create(body, user)
        m = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", path)
        if not m:
            raise ApiError(404, f"Not found: {path}", "NOT_FOUND")
        sid, rest = m.groups()
        book = self.books.get(sid)
        if book is None:
            raise ApiError(404, "Requested entity was not found.", "NOT_FOUND")
        if book.editors is not None and user not in book.editors | book.viewers:
            raise ApiError(403, "The caller does not have permission", "PERMISSION_DENIED")
        if book.editors is not None and user not in book.editors and method != "GET":
            raise ApiError(403, "The caller does not have permission", "PERMISSION_DENIED")
        one = lambda name, default="": (query.get(name) or [default])[0]  # noqa: E731
        option = one("valueRenderOption", "FORMATTED_VALUE")
        dates = one("dateTimeRenderOption", "SERIAL_NUMBER")
        if method == "GET" and rest == "":
            return "get", [], lambda: book.resource()
        if method == "POST" and rest == ":batchUpdate":
            def batch() -> Any:
                trial = copy.deepcopy(book)
                answer = self._batch_update(trial, body)
                self.books[sid] = trial
                return answer
            return "batchUpdate", _request_tabs(book, body), batch
        if method == "GET" and rest == "/values:batchGet":
            grids = [parse_range(r, book) for r in query.get("ranges", [])]
            return "values.batchGet", [g.title for g in grids], lambda: {
                "spreadsheetId": sid,
                "valueRanges": [self._value_range(book, g, option, dates) for g in grids]}
        if method == "POST" and rest == "/values:batchUpdate":
            input_option = body.get("valueInputOption", "")
            data = body.get("data", [])
            grids = [parse_range(d["range"], book) for d in data]

            def values_batch() -> Any:
                trial = copy.deepcopy(book)
                cells = 0
                for g, d in zip(grids, data, strict=True):
                    cells += self._write(trial.sheet(g.title), g, d.get("values", []), input_option)
                self.books[sid] = trial
                return {"spreadsheetId": sid, "totalUpdatedCells": cells, "totalUpdatedSheets": len(set(
                    g.title for g in grids)), "responses": [{"updatedRange": g.a1(trial.sheet(g.title))}
                                                            for g in grids]}
            return "values.batchUpdate", [g.title for g in grids], values_batch
        if method == "POST" and rest == "/values:batchClear":
            grids = [parse_range(r, book) for r in body.get("ranges", [])]
            return "values.batchClear", [g.title for g in grids], lambda: self._clear(book, grids)
        vm = re.fullmatch(r"/values/(.+?)(:append|:clear)?", rest)
        if not vm:
            raise ApiError(404, f"Not found: {path}", "NOT_FOUND")
        grid = parse_range(vm.group(1), book)
        verb = vm.group(2)
        if method == "GET" and verb is None:
            return "values.get", [grid.title], lambda: self._value_range(book, grid, option, dates)
        if method == "PUT" and verb is None:
            def update() -> Any:
                cells = self._write(book.sheet(grid.title), grid, body.get("values", []),
                                    one("valueInputOption"))
                return {"spreadsheetId": sid, "updatedRange": grid.a1(book.sheet(grid.title)),
                        "updatedCells": cells}
            return "values.update", [grid.title], update
        if method == "POST" and verb == ":append":
            return "values.append", [grid.title], lambda: self._append(book, grid, body, one("valueInputOption"))
        if method == "POST" and verb == ":clear":
            return "values.clear", [grid.title], lambda: self._clear(book, [grid])
        raise ApiError(404, f"Not found: {method} {path}", "NOT_FOUND")

    def _value_range(self, book: Spreadsheet, grid: Grid, option: str, dates: str) -> dict[str, Any]:
        sheet = book.sheet(grid.title)
        out: dict[str, Any] = {"range": grid.a1(sheet), "majorDimension": "ROWS"}
        values = self._read(sheet, grid, option, dates)
        if values:
            out["values"] = values
        return out

    def _append(self, book: Spreadsheet, grid: Grid, body: dict[str, Any], option: str) -> Any:
        sheet = book.sheet(grid.title)
        start = max(sheet.used_rows(), grid.row0)
        values = body.get("values", [])
        target = Grid(sheet.title, start, grid.col0, None, None)
        cells = self._write(sheet, target, values, option, grow=True)
        width = max((len(r) for r in values), default=0)
        updated = (f"{quote_title(sheet.title)}!{col_letters(grid.col0 + 1)}{start + 1}:"
                   f"{col_letters(grid.col0 + width)}{start + len(values)}")
        return {"spreadsheetId": book.spreadsheet_id, "tableRange": grid.a1(sheet),
                "updates": {"spreadsheetId": book.spreadsheet_id, "updatedRange": updated,
                            "updatedRows": len(values), "updatedColumns": width, "updatedCells": cells}}

    def _clear(self, book: Spreadsheet, grids: list[Grid]) -> Any:
        for g in grids:
            sheet = book.sheet(g.title)
            r1 = min(g.row1 if g.row1 is not None else len(sheet.cells), len(sheet.cells))
            for r in range(g.row0, r1):
                line = sheet.cells[r]
                for c in range(g.col0, min(g.col1 if g.col1 is not None else len(line), len(line))):
                    line[c] = None
        return {"spreadsheetId": book.spreadsheet_id, "clearedRanges": [g.a1(book.sheet(g.title)) for g in grids]}

    def _create(self, body: dict[str, Any], user: str = "") -> Any:
        title = (body.get("properties") or {}).get("title", "Sans titre")
        sid = self.add_book(title, {}, locale=(body.get("properties") or {}).get("locale", "fr_FR"))
        self.creators[sid] = user  # its owner, for the Drive side (tests/servers/drive.py)
        book = self.books[sid]
        for i, spec in enumerate(body.get("sheets", [])):
            props = spec.get("properties", {})
            if i == 0:
                book.sheets[0].title = props.get("title", book.sheets[0].title)
            else:
                self._apply(book, "addSheet", {"properties": props})
        return book.resource()

    def _token(self, form: dict[str, list[str]]) -> Any:
        from google.auth import jwt

        if (form.get("grant_type") or [""])[0] != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            raise ApiError(400, "unsupported_grant_type")
        assertion = (form.get("assertion") or [""])[0]
        try:
            claims = jwt.decode(assertion, verify=False)
            pem = self.trusted[claims["iss"]]
            # google-auth addresses the assertion to Google's token endpoint whatever the token_uri
            claims = jwt.decode(assertion, certs=pem,
                                audience=["https://oauth2.googleapis.com/token", f"{self.url}/token"])
        except (KeyError, ValueError) as exc:
            raise ApiError(400, f"invalid_grant: {exc}") from None
        with self.lock:
            self.token_requests += 1
            token = f"ya29.local-{next(self._ids)}"
            self.tokens[token] = claims["iss"]
            self.token_scopes[token] = str(claims.get("scope", "")).split()
        return {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def _error(self, err: ApiError) -> None:
                self._answer(err.code, {"error": {"code": err.code, "message": err.message,
                                                  "status": err.status}}, err.headers)

            def _serve(self, method: str) -> None:
                parsed = urlparse(self.path)
                query = parse_qs(parsed.query, keep_blank_values=True)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if parsed.path == "/token" and method == "POST":
                    try:
                        fault = server._fault("token", [])
                        if fault is not None:
                            raise ApiError(fault.status, "backendError", "UNAVAILABLE")
                        self._answer(200, server._token(parse_qs(raw.decode())))
                    except ApiError as err:
                        self._answer(err.code, {"error": err.message})
                    return
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    self._error(ApiError(400, "Invalid JSON payload received."))
                    return
                user = "anonymous"
                auth = self.headers.get("Authorization", "")
                if server.require_auth:
                    token = auth.removeprefix("Bearer ").strip()
                    if token not in server.tokens:
                        self._error(ApiError(401, "Request had invalid authentication credentials.",
                                             "UNAUTHENTICATED"))
                        return
                    user = server.tokens[token]
                with server.lock:
                    server.requests += 1
                    server.per_user[user] += 1
                    server.largest_body = max(server.largest_body, len(raw))
                try:
                    with server.lock:
                        server._quota(user)
                        endpoint, tabs, apply = server.handle(method, parsed.path, query, body, user)
                        server.log.append((endpoint, ",".join(tabs) or parsed.path, len(raw)))
                    fault = server._fault(endpoint, tabs)
                    if fault is not None and not fault.after_apply:
                        self._fail(fault)
                        return
                    with server.lock:
                        answer = apply()
                    if fault is not None:
                        self._fail(fault)
                        return
                    self._answer(200, answer)
                except ApiError as err:
                    self._error(err)

            def _fail(self, fault: Fault) -> None:
                if fault.hang:
                    server._released.wait(30)
                    self.close_connection = True
                    return
                if fault.drop:
                    self.close_connection = True
                    return
                headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                status = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}.get(fault.status,
                                                                                              "UNKNOWN")
                self._error(ApiError(fault.status, "The service is currently unavailable." if fault.status != 429
                                     else "Quota exceeded.", status, headers))

            def do_GET(self) -> None:  # noqa: N802
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

            def do_PUT(self) -> None:  # noqa: N802
                self._serve("PUT")

        return Handler


def _stored(v: Any) -> Any:
    """A test's Python value as a cell would hold it: dates as serial numbers."""
    if isinstance(v, dt.datetime):
        return (v - dt.datetime.combine(EPOCH, dt.time())).total_seconds() / 86400
    if isinstance(v, dt.date):
        return (v - EPOCH).days
    if isinstance(v, Formula):
        return v
    if hasattr(v, "as_tuple"):  # Decimal
        return float(v)
    return v


def _sheet_of(spec: dict[str, Any]) -> int:
    if spec.get("start"):
        return int(spec["start"]["sheetId"])
    return int(spec["range"]["sheetId"])


def _request_tabs(book: Spreadsheet, body: dict[str, Any]) -> list[str]:
    """The titles of the tabs a batchUpdate touches (for faults aimed at one tab)."""
    ids = {s.sheet_id: s.title for s in book.sheets}
    found: list[str] = []
    for request in body.get("requests", []):
        for spec in request.values():
            if not isinstance(spec, dict):
                continue
            sid = spec.get("sheetId", (spec.get("start") or spec.get("range") or {}).get("sheetId"))
            if sid in ids:
                found.append(ids[sid])
            title = (spec.get("properties") or {}).get("title")
            if title:
                found.append(title)
    return found


def service_account_key(server: SheetsServer, path: Any, email: str = "relance@demo-project.iam.gserviceaccount.com") -> str:
    """Write a service-account key file whose `token_uri` is the server's /token, with a fresh RSA
    key the server trusts; return its path (for GOOGLE_APPLICATION_CREDENTIALS)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    server.trust(email, public)
    info = {"type": "service_account", "project_id": "demo-project", "private_key_id": "local-key-1",
            "private_key": private, "client_email": email, "client_id": "1234567890",
            "token_uri": f"{server.url}/token"}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(info, f)
    return str(path)
