"""A Google Sheets spreadsheet as the workbook (`gsheet:<id or URL>`), through gspread and google-auth.

Reading costs two requests whatever the size: the tab list (one metadata request, with each
tab's relance mark) and every wanted tab in one `values:batchGet` (unformatted values, dates as
serial numbers, turned back into dates in the columns relance wrote as dates; the user's date
columns are read by the engine, which knows serial numbers). The engine gets RawSheets as from an
.xlsx, so every anomaly is addressed `Tab!A1` as in the sheet.

Writing costs one `spreadsheets.batchUpdate` per call (more only for a payload above ~2 MB):
only the rows that differ from what was read are sent, rows added to a tab are appended
(`appendCells`: Google serialises appends, so two runs never overwrite each other's History
rows), a missing owned tab is created in the same request with its header style, frozen row,
column formats, widths and dropdowns, and marked relance's with developer metadata. Values are
sent as typed values (a text is a `stringValue`, never parsed: `=HYPERLINK(...)` stays text).
The user's tabs are never written.

Every request is retried a bounded number of times on 429, 5xx, a timeout or a dropped
connection, waiting what `Retry-After` says or a jittered exponential delay (tenacity, with an
injectable sleep); a write that may have been applied before its answer was lost is checked
before it is sent again, so nothing lands twice.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from relance.engine.catalog import console
from relance.engine.errors import WorkbookError
from relance.engine.sheets import CellFormat, CellValue, OwnedTab, RawSheet

API_ROOT = "https://sheets.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
#: The developer-metadata key relance puts on every tab it creates (its value: the date columns).
MARK = "relance.owned"
EPOCH = dt.datetime(1899, 12, 30)
#: Largest request body sent at once (Google recommends 2 MB at most).
MAX_PAYLOAD = 1_800_000
#: Rows per updateCells/appendCells request, so that the chunker can pack them under MAX_PAYLOAD.
BLOCK_ROWS = 1000
TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})
_ID = re.compile(r"^[A-Za-z0-9_-]{20,}$")
_HEADER_FILL = {"red": 0x1F / 255, "green": 0x4E / 255, "blue": 0x78 / 255}

Json = Any


def spreadsheet_id(text: str) -> str:
    """The spreadsheet id in `gsheet:<id>` or `gsheet:<https://docs.google.com/spreadsheets/d/ID/edit>`."""
    raw = text.removeprefix("gsheet:").strip()
    found = re.search(r"/spreadsheets/d/([A-Za-z0-9_-]+)", raw)
    if found:
        return found.group(1)
    if _ID.match(raw):
        return raw
    raise WorkbookError(console.SHEETS_BAD_ID(text=repr(text)), console.SHEETS_BAD_ID_FIX())


def quote_title(title: str) -> str:
    """A tab name as an A1 range prefix: 'Mes factures' (quotes doubled)."""
    return "'" + title.replace("'", "''") + "'"


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


# ------------------------------------------------------------------------------ cells


def serial(value: dt.date | dt.datetime | dt.time) -> float:
    """A date as Google Sheets counts it: days since 1899-12-30, the time as a fraction."""
    if isinstance(value, dt.datetime):
        return (value.replace(tzinfo=None) - EPOCH).total_seconds() / 86400
    if isinstance(value, dt.date):
        return float((value - EPOCH.date()).days)
    return (value.hour * 3600 + value.minute * 60 + value.second) / 86400


def from_serial(value: float, kind: str) -> dt.date | dt.datetime:
    moment = EPOCH + dt.timedelta(days=float(value))
    if kind == "date":
        return moment.date()
    return moment.replace(microsecond=0) if moment.microsecond < 500_000 else \
        (moment + dt.timedelta(seconds=1)).replace(microsecond=0)


def plain(value: CellValue | Json) -> Json:
    """A value as Sheets keeps it (what a read gives back): None, bool, float, str."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return round(serial(value), 9)
    return str(value)


def cell_data(value: Json) -> dict[str, Any]:
    """A plain value as a CellData: a text is a stringValue, never a formula."""
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, float):
        return {"userEnteredValue": {"numberValue": value}}
    return {"userEnteredValue": {"stringValue": str(value)}}


def _same(a: Json, b: Json) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 1e-7
    return bool(a == b)


def _same_row(a: Sequence[Json], b: Sequence[Json]) -> bool:
    n = max(len(a), len(b))
    return all(_same(a[i] if i < len(a) else None, b[i] if i < len(b) else None) for i in range(n))


def _trim(row: list[Json]) -> list[Json]:
    while row and row[-1] is None:
        row.pop()
    return row


# ------------------------------------------------------------------------------ the HTTP side


class _Rewriting:
    """Mixin for a requests session: every Sheets URL goes to `root` instead (a loopback server)."""

    root: str

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if url.startswith(API_ROOT):
            url = self.root + url[len(API_ROOT):]
        return super().request(method, url, *args, **kwargs)  # type: ignore[misc]


def _session(credentials: Any, root: str) -> Any:
    from google.auth.transport.requests import AuthorizedSession

    class Session(_Rewriting, AuthorizedSession):  # type: ignore[misc]
        pass

    session = Session(credentials)
    session.root = root.rstrip("/")
    return session


def credentials(environ: Mapping[str, str]) -> tuple[Any, str]:
    """Google credentials (the key file in GOOGLE_APPLICATION_CREDENTIALS, else application default
    credentials) for the spreadsheets scope only, and the account's e-mail ("" when unknown)."""
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    key_file = environ.get("GOOGLE_APPLICATION_CREDENTIALS", "").strip()
    try:
        if key_file:
            from google.oauth2 import service_account

            creds = service_account.Credentials.from_service_account_file(key_file, scopes=list(SCOPES))
        else:
            creds, _ = google.auth.default(scopes=list(SCOPES))
    except (DefaultCredentialsError, OSError, ValueError, KeyError) as exc:
        raise WorkbookError(console.SHEETS_NO_CREDENTIALS(cause=str(exc) or type(exc).__name__),
                            console.SHEETS_NO_CREDENTIALS_FIX()) from None
    return creds, str(getattr(creds, "service_account_email", "") or "")


class TabExists(WorkbookError):
    """A tab relance was creating exists already: another run created it since the read."""


@dataclass
class Retry:
    """How hard a request is tried: `attempts` in all, waiting Retry-After (at most `wait_max`
    seconds) or a jittered exponential delay from `wait_first`; `sleep` is injectable."""

    attempts: int = 5
    wait_first: float = 1.0
    wait_max: float = 64.0
    sleep: Callable[[float], None] = time.sleep


def _transient(exc: BaseException) -> bool:
    import requests
    from gspread.exceptions import APIError

    if isinstance(exc, APIError):
        return exc.code in TRANSIENT
    return isinstance(exc, requests.ConnectionError | requests.Timeout)


def _retry_after(exc: BaseException | None) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class SheetsApi:
    """The Sheets v4 calls relance makes, over gspread's HTTP client, each bounded and retried."""

    def __init__(self, http: Any, sid: str, retry: Retry, account: str = "") -> None:
        self.http, self.sid, self.retry, self.account = http, sid, retry, account
        self.calls = 0

    def _call(self, fn: Callable[[], Json], applied: Callable[[], bool] | None = None) -> Json:
        """`fn()` with bounded retries; when a try failed after the server may have applied it,
        `applied()` is asked before the next one (True: done, not sent again)."""
        from tenacity import (
            RetryCallState,
            Retrying,
            retry_if_exception,
            stop_after_attempt,
            wait_random_exponential,
        )

        jitter = wait_random_exponential(multiplier=self.retry.wait_first, max=self.retry.wait_max)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome is not None else None
            after = _retry_after(exc)
            return min(after, self.retry.wait_max) if after is not None else float(jitter(state))

        retrying = Retrying(stop=stop_after_attempt(max(1, self.retry.attempts)), wait=wait,
                            retry=retry_if_exception(_transient), sleep=self.retry.sleep, reraise=True)
        try:
            for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number > 1 and applied is not None and applied():
                        return None
                    self.calls += 1
                    return fn()
        except Exception as exc:  # noqa: BLE001 - every failure is said in the workbook's terms
            raise self._said(exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _said(self, exc: BaseException) -> WorkbookError:
        from gspread.exceptions import APIError

        sheet, account = self.sid, self.account or "?"
        if isinstance(exc, APIError):
            message = str(exc.error.get("message", exc))
            if exc.code in TRANSIENT:
                return WorkbookError(console.SHEETS_GAVE_UP(attempts=self.retry.attempts,
                                                            cause=f"{exc.code} {message}"),
                                     console.SHEETS_GAVE_UP_FIX())
            if exc.code in (401, 403):
                return WorkbookError(console.SHEETS_DENIED(sheet=sheet, cause=f"{exc.code} {message}"),
                                     console.SHEETS_DENIED_FIX(account=account))
            if exc.code == 404:
                return WorkbookError(console.SHEETS_NOT_FOUND(sheet=sheet), console.SHEETS_NOT_FOUND_FIX(account=account))
            if exc.code == 400 and "already exists" in message:
                return TabExists(console.SHEETS_REFUSED(cause=f"{exc.code} {message}"), console.REPORT_BUG())
            return WorkbookError(console.SHEETS_REFUSED(cause=f"{exc.code} {message}"), console.REPORT_BUG())
        if _transient(exc):
            return WorkbookError(console.SHEETS_GAVE_UP(attempts=self.retry.attempts, cause=type(exc).__name__),
                                 console.SHEETS_GAVE_UP_FIX())
        if isinstance(exc, WorkbookError):
            return exc
        from google.auth.exceptions import GoogleAuthError

        if isinstance(exc, GoogleAuthError):
            return WorkbookError(console.SHEETS_NO_CREDENTIALS(cause=str(exc)), console.SHEETS_NO_CREDENTIALS_FIX())
        return WorkbookError(console.SHEETS_REFUSED(cause=f"{type(exc).__name__}: {exc}"), console.REPORT_BUG())

    def metadata(self) -> Json:
        fields = ("properties(title,locale,timeZone),sheets(properties(sheetId,title,index,"
                  "gridProperties(rowCount,columnCount,frozenRowCount)),developerMetadata(metadataKey,metadataValue))")
        return self._call(lambda: self.http.spreadsheets_get(self.sid, params={"fields": fields}))

    def batch_get(self, ranges: Sequence[str]) -> list[list[list[Json]]]:
        params = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER",
                  "majorDimension": "ROWS"}
        answer = self._call(lambda: self.http.values_batch_get(self.sid, list(ranges), params=dict(params)))
        return [list(vr.get("values", [])) for vr in answer.get("valueRanges", [])]

    def batch_update(self, requests: list[dict[str, Any]], applied: Callable[[], bool] | None = None) -> Json:
        return self._call(lambda: self.http.batch_update(self.sid, {"requests": requests}), applied)


# ------------------------------------------------------------------------------ the backend


@dataclass
class _Tab:
    """What the backend knows of a tab: its id, its mark, and (owned tabs) its rows as the sheet
    holds them, with the sheet row (0-based, the header is 0) of each, None until located."""

    title: str
    sheet_id: int
    rows_grid: int
    cols_grid: int
    owned: bool
    dates: dict[int, str] = field(default_factory=dict)  # column -> "date" | "datetime"
    rows: list[list[Json]] = field(default_factory=list)  # header first
    raw: list[list[Json]] | None = None  # as read, until `rows` is needed (a write of the tab)
    at: list[int | None] = field(default_factory=list)
    read: bool = False
    read_end: int = 0  # rows the sheet held when it was read (header included)
    written: bool = False


class GsheetBackend:
    """`gsheet:<id>`: the workbook is a Google Sheets spreadsheet (module docstring)."""

    def __init__(self, book: str, environ: Mapping[str, str] | None = None, *, retry: Retry | None = None,
                 http: Any = None) -> None:
        env = os.environ if environ is None else environ
        self.sid = spreadsheet_id(book)
        self.location = f"gsheet:{self.sid}"
        self._env = env
        self._retry = retry or Retry(attempts=max(1, int(env.get("RELANCE_SHEETS_RETRIES", "") or 5)),
                                     wait_first=float(env.get("RELANCE_SHEETS_RETRY_WAIT", "") or 1.0))
        self._http = http
        self._api: SheetsApi | None = None
        #: Another run's `pending` row younger than this belongs to a run presumed still working.
        self.lease = dt.timedelta(minutes=float(env.get("RELANCE_SHEETS_LEASE_MINUTES", "") or 120))
        self._tabs: dict[str, _Tab] = {}
        self._ranges: list[str] = []
        self._values: list[list[list[Json]]] = []

    # -------------------------------------------------------------- plumbing

    @property
    def api(self) -> SheetsApi:
        if self._api is None:
            account = ""
            http = self._http
            if http is None:
                from gspread.http_client import HTTPClient

                creds, account = credentials(self._env)
                root = self._env.get("RELANCE_SHEETS_API_URL", "").strip() or API_ROOT
                http = HTTPClient(auth=None, session=_session(creds, root))  # type: ignore[arg-type]
                timeout = float(self._env.get("RELANCE_SHEETS_TIMEOUT", "") or 120)
                http.set_timeout((min(timeout, 30.0), timeout))
            self._api = SheetsApi(http, self.sid, self._retry, account)
        return self._api

    @property
    def requests(self) -> int:
        """Requests sent so far (retries included)."""
        return self._api.calls if self._api is not None else 0

    # -------------------------------------------------------------- read

    def read(self, wanted: Callable[[str], bool] | None = None) -> list[RawSheet]:
        meta = self.api.metadata()
        tabs = [_tab_of(sheet) for sheet in meta.get("sheets", [])]
        chosen = [t for t in tabs if wanted is None or wanted(t.title)]
        self._ranges = [quote_title(t.title) for t in chosen]
        self._values = self.api.batch_get(self._ranges) if chosen else []
        by_title = dict(zip((t.title for t in chosen), self._values, strict=True))
        out: list[RawSheet] = []
        self._tabs = {}
        for t in tabs:
            raw = by_title.get(t.title)
            rows: list[list[CellValue]] = []
            if raw is not None:
                t.read, t.raw = True, raw
                t.at = list(range(len(raw)))
                t.read_end = len(raw)
                # an empty cell inside a row reads "" as from an .xlsx; dates only where relance wrote them
                rows = [[_value(v, t.dates.get(c)) for c, v in enumerate(r)] for r in raw] if t.dates else raw
            self._tabs[t.title.casefold()] = t
            out.append(RawSheet(t.title, rows, owned=t.owned))
        return out

    def changed_since_read(self) -> bool:
        """Whether the tabs read differ now from what the last read gave (one request)."""
        if not self._ranges:
            return True
        now = self.api.batch_get(self._ranges)
        for title_range, before, after in zip(self._ranges, self._values, now, strict=True):
            tab = self._tabs.get(_unquote(title_range).casefold())
            if tab is not None and tab.written:
                continue  # what relance wrote since is no change of the user's
            if len(before) != len(after) or any(not _same_row([plain(v) for v in a], [plain(v) for v in b])
                                                for a, b in zip(before, after, strict=True)):
                return True
        return False

    @contextmanager
    def run_lock(self) -> Iterator[None]:
        """A spreadsheet has no lock: overlapping runs are kept from sending twice by `claim`."""
        yield

    # -------------------------------------------------------------- write

    def write(self, tabs: Sequence[OwnedTab]) -> None:
        """Send the rows of these owned tabs that differ from the sheet, in one batchUpdate
        (chunked under MAX_PAYLOAD); create and mark the tabs that are missing.

        A tab another run created since the read (two first runs at once) makes the creation
        fail, whole, before anything else is sent (creations go first): the tab is then read and
        this run's rows are appended to it instead."""
        for _attempt in range(3):
            saved = {k: replace(t, rows=list(t.rows), at=list(t.at), dates=dict(t.dates))
                     for k, t in self._tabs.items()}
            creations: list[tuple[dict[str, Any], _Tab, int]] = []
            updates: list[tuple[dict[str, Any], _Tab, int]] = []  # (request, tab, appended rows)
            for owned in tabs:
                tab = self._tabs.get(owned.name.casefold())
                new = [_trim([plain(v) for v in owned.header])] + [_trim([plain(v) for v in r]) for r in owned.rows]
                if tab is None:
                    self._create(owned, new, creations)
                else:
                    self._update(tab, owned, new, updates)
            try:
                self._send(creations + updates)
                return
            except TabExists:
                self._tabs = saved
                self._adopt([owned.name for owned in tabs if owned.name.casefold() not in saved])
        raise WorkbookError(console.BOOK_KEPT_CHANGING(name=self.location), console.BOOK_KEPT_CHANGING_FIX())

    def _adopt(self, titles: Sequence[str]) -> None:
        """Take in the tabs of these names another run has created since the read (two requests):
        their rows are kept, this run's are appended after them, and all of them count as
        appended since the read (for `claim`)."""
        meta = self.api.metadata()
        wanted = {t.casefold() for t in titles}
        found: list[_Tab] = []
        for sheet in meta.get("sheets", []):
            tab = _tab_of(sheet)
            if tab.title.casefold() in wanted and tab.title.casefold() not in self._tabs:
                if not tab.owned:
                    raise WorkbookError(console.SHEETS_TAB_APPEARED(tab=repr(tab.title)),
                                        console.SHEETS_TAB_APPEARED_FIX())
                found.append(tab)
        values = self.api.batch_get([f"{quote_title(t.title)}!A1:ZZ1" for t in found]) if found else []
        for tab, raw in zip(found, values, strict=True):
            # the other run's rows stay as they are, and this run's go after them
            tab.rows = [_trim([plain(v) for v in r]) for r in raw[:1]]
            tab.at = list(range(len(tab.rows)))
            tab.read, tab.read_end = True, 0
            self._tabs[tab.title.casefold()] = tab

    def _create(self, owned: OwnedTab, new: list[list[Json]], out: list[tuple[dict[str, Any], _Tab, int]]) -> _Tab:
        sheet_id = _free_id({t.sheet_id for t in self._tabs.values()}, owned.name)
        width = max(len(owned.header), max((len(r) for r in new), default=1), 1)
        height = max(len(new) + 200, 1000)
        dates = {c: f.kind for c, f in enumerate(owned.formats) if f is not None and f.kind in ("date", "datetime")}
        tab = _Tab(owned.name, sheet_id, height, width, True, dates, new, at=list(range(len(new))), read=False,
                   read_end=0, written=True)
        self._tabs[owned.name.casefold()] = tab
        grid: dict[str, Any] = {"rowCount": height, "columnCount": width}
        if owned.freeze_header:
            grid["frozenRowCount"] = 1
        out.append(({"addSheet": {"properties": {"sheetId": sheet_id, "title": owned.name, "gridProperties": grid,
                                                 "index": len(self._tabs) - 1}}}, tab, 0))
        out.append(({"createDeveloperMetadata": {"developerMetadata": {
            "metadataKey": MARK, "metadataValue": json.dumps({"v": 1, "dates": dates}),
            "location": {"sheetId": sheet_id}, "visibility": "DOCUMENT"}}}, tab, 0))
        for request in _styling(owned, sheet_id, width):
            out.append((request, tab, 0))
        for start, end in _blocks(new):
            out.append(({"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": start, "columnIndex": 0},
                                         "rows": [{"values": [cell_data(v) for v in r]} for r in new[start:end]],
                                         "fields": "userEnteredValue"}}, tab, 0))
        return tab

    def _update(self, tab: _Tab, owned: OwnedTab, new: list[list[Json]],
                out: list[tuple[dict[str, Any], _Tab, int]]) -> None:
        if tab.raw is not None:
            tab.rows, tab.raw = [_trim([plain(v) for v in r]) for r in tab.raw], None
        if any(a is None for a in tab.at):
            self._locate(tab)
        if not tab.owned:  # an older relance's tab, known by its header: marked now
            tab.dates = {c: f.kind for c, f in enumerate(owned.formats) if f is not None and f.kind in ("date", "datetime")}
            out.append(({"createDeveloperMetadata": {"developerMetadata": {
                "metadataKey": MARK, "metadataValue": json.dumps({"v": 1, "dates": tab.dates}),
                "location": {"sheetId": tab.sheet_id}, "visibility": "DOCUMENT"}}}, tab, 0))
            tab.owned = True
        width = max((len(r) for r in (*new, *tab.rows)), default=1)
        if width > tab.cols_grid:
            out.append(({"appendDimension": {"sheetId": tab.sheet_id, "dimension": "COLUMNS",
                                             "length": width - tab.cols_grid}}, tab, 0))
            tab.cols_grid = width
        changed: list[int] = [i for i in range(min(len(new), len(tab.rows))) if not _same_row(new[i], tab.rows[i])]
        for block in _runs(changed, tab.at, new):
            first = tab.at[block[0]]
            assert first is not None
            # only the columns that changed in the block (a status, its message id, a detail)
            c0, c1 = _changed_columns(block, new, tab.rows)
            out.append(({"updateCells": {
                "range": {"sheetId": tab.sheet_id, "startRowIndex": first, "endRowIndex": first + len(block),
                          "startColumnIndex": c0, "endColumnIndex": c1},
                "rows": [{"values": [cell_data(v) for v in new[i][c0:c1]]} for i in block],
                "fields": "userEnteredValue"}}, tab, 0))
        if len(new) < len(tab.rows):  # fewer rows than before: the rest is cleared
            gone = [i for i in range(len(new), len(tab.rows))]
            for block in _runs(gone, tab.at):
                first = tab.at[block[0]]
                assert first is not None
                out.append(({"updateCells": {
                    "range": {"sheetId": tab.sheet_id, "startRowIndex": first, "endRowIndex": first + len(block),
                              "startColumnIndex": 0, "endColumnIndex": max(len(tab.rows[i]) for i in block) or 1},
                    "fields": "userEnteredValue"}}, tab, 0))
            del tab.at[len(new):]
        added = new[len(tab.rows):]
        for start, end in _blocks(added):
            rows = added[start:end]
            out.append(({"appendCells": {"sheetId": tab.sheet_id, "rows": [{"values": [cell_data(v) for v in r]}
                                                                           for r in rows],
                                         "fields": "userEnteredValue"}}, tab, len(rows)))
        tab.at.extend([None] * len(added))
        tab.rows = new
        tab.written = True

    def _send(self, requests: list[tuple[dict[str, Any], _Tab, int]]) -> None:
        chunk: list[tuple[dict[str, Any], _Tab, int]] = []
        size = 0
        for item in requests:
            n = len(json.dumps(item[0], separators=(",", ":")))
            if chunk and size + n > MAX_PAYLOAD:
                self._send_chunk(chunk)
                chunk, size = [], 0
            chunk.append(item)
            size += n
        if chunk:
            self._send_chunk(chunk)

    def _send_chunk(self, chunk: list[tuple[dict[str, Any], _Tab, int]]) -> None:
        """One batchUpdate (atomic); if a try may have been applied, look before sending it again."""
        adds = [tab for request, tab, _ in chunk if "addSheet" in request]
        appends = [(request, tab) for request, tab, n in chunk if n]

        def applied() -> bool:
            if adds:
                meta = self.api.metadata()
                titles = {s.get("properties", {}).get("title", "").casefold() for s in meta.get("sheets", [])}
                return all(t.title.casefold() in titles for t in adds)
            if appends:  # a batch is atomic: its first appended row there means all of it is
                request, tab = appends[0]
                first = [_from_cell(c) for c in request["appendCells"]["rows"][0]["values"]]
                return self._find(tab, [first]) is not None
            return False  # idempotent: sending it again writes the same cells

        self.api.batch_update([request for request, _, _ in chunk], applied if adds or appends else None)

    # -------------------------------------------------------------- locating appended rows

    def _known_end(self, tab: _Tab) -> int:
        return max((a for a in tab.at if a is not None), default=0) + 1

    def _tail(self, tab: _Tab, start: int, cols: int = 3) -> list[list[Json]]:
        """The tab's rows from sheet row `start` (0-based), their first `cols` cells (one request)."""
        rng = f"{quote_title(tab.title)}!A{start + 1}:{col_letters(cols)}"
        values = self.api.batch_get([rng])[0]
        return [_trim([plain(v) for v in r]) for r in values]

    def _find(self, tab: _Tab, rows: list[list[Json]], cols: int = 3) -> list[int] | None:
        """The sheet rows holding `rows` (matched on their first `cols` cells), in order, after
        what is known; None when the first is not there."""
        start = self._known_end(tab)
        tail = self._tail(tab, start, cols)
        found: list[int] = []
        i = 0
        for n, row in enumerate(tail):
            if i < len(rows) and _same_row(row[:cols], rows[i][:cols]):
                found.append(start + n)
                i += 1
        if not found:
            return None
        return found if i == len(rows) else found + [-1] * (len(rows) - i)

    def _locate(self, tab: _Tab) -> list[list[Json]]:
        """Find where the rows relance appended landed (other runs may have appended too); the
        tail read, for `claim`."""
        start = self._known_end(tab)
        tail = self._tail(tab, start)
        missing = [i for i, a in enumerate(tab.at) if a is None]
        j = 0
        for n, row in enumerate(tail):
            if j < len(missing) and _same_row(row[:3], tab.rows[missing[j]][:3]):
                tab.at[missing[j]] = start + n
                j += 1
        if j < len(missing):
            raise WorkbookError(console.SHEETS_ROWS_LOST(tab=repr(tab.title)), console.SHEETS_ROWS_LOST_FIX())
        return tail

    def lay_template(self, contract: Any, lang: str) -> list[str]:
        """`relance init gsheet:<id>`: the template's tabs laid onto this spreadsheet, which must be
        empty (a new sheet shared with the service account); its empty tabs are removed. One
        metadata request, one read, one batchUpdate. The names of the tabs added."""
        from relance.workbook.gsheet_template import template_requests

        meta = self.api.metadata()
        sheets = [_tab_of(s) for s in meta.get("sheets", [])]
        values = self.api.batch_get([quote_title(t.title) for t in sheets]) if sheets else []
        used = [t.title for t, rows in zip(sheets, values, strict=True) if any(any(v != "" for v in r) for r in rows)]
        if used:
            raise WorkbookError(console.SHEETS_NOT_EMPTY(tabs=", ".join(repr(t) for t in used)),
                                console.SHEETS_NOT_EMPTY_FIX())
        first = max((t.sheet_id for t in sheets), default=0) + 1
        requests, titles = template_requests(contract, lang, first)
        renamed = [{"updateSheetProperties": {"properties": {"sheetId": t.sheet_id, "title": f"~relance-old-{i}"},
                                              "fields": "title"}}
                   for i, t in enumerate(sheets) if t.title.casefold() in {x.casefold() for x in titles}]
        requests = renamed + requests + [{"deleteSheet": {"sheetId": t.sheet_id}} for t in sheets]
        self._send([(r, _Tab("", 0, 0, 0, True), 0) for r in requests])
        return titles

    def claim(self, tab_name: str, run_id: str, keys: Sequence[str]) -> frozenset[str]:
        """Of the action keys whose `pending` rows this run has just appended to History, those
        this run may send: the first row for the key appended since the read is this run's.

        Appends are serialised by Google, so of two runs that planned the same action from the
        same History, exactly one finds its row first. (History's columns: run_id first, the
        action key third, as relance writes them.) One request."""
        tab = self._tabs.get(tab_name.casefold())
        if tab is None:
            return frozenset(keys)
        start = tab.read_end
        tail = self._tail(tab, start)
        missing = [i for i, a in enumerate(tab.at) if a is None]
        j = 0
        first: dict[str, str] = {}
        for n, row in enumerate(tail):
            cells = [*row, None, None, None]
            if j < len(missing) and _same_row(row[:3], tab.rows[missing[j]][:3]):
                tab.at[missing[j]] = start + n
                j += 1
            if cells[2] is not None:
                first.setdefault(str(cells[2]), str(cells[0]))
        if j < len(missing):
            raise WorkbookError(console.SHEETS_ROWS_LOST(tab=repr(tab.title)), console.SHEETS_ROWS_LOST_FIX())
        return frozenset(k for k in keys if first.get(k, run_id) == run_id)


def _tab_of(sheet: Mapping[str, Any]) -> _Tab:
    """A tab as the metadata describes it, with relance's mark and the date columns it names."""
    props = sheet.get("properties", {})
    grid = props.get("gridProperties", {})
    mark = next((m for m in sheet.get("developerMetadata", []) if m.get("metadataKey") == MARK), None)
    dates: dict[int, str] = {}
    if mark is not None:
        try:
            spec = json.loads(mark.get("metadataValue") or "{}")
            dates = {int(k): str(v) for k, v in spec.get("dates", {}).items()}
        except (ValueError, AttributeError):
            dates = {}
    return _Tab(props.get("title", ""), int(props.get("sheetId", 0)), int(grid.get("rowCount", 1000)),
                int(grid.get("columnCount", 26)), mark is not None, dates)


def _unquote(rng: str) -> str:
    return rng[1:-1].replace("''", "'") if rng.startswith("'") else rng


def _from_cell(data: dict[str, Any]) -> Json:
    value = data.get("userEnteredValue") or {}
    for key in ("stringValue", "numberValue", "boolValue"):
        if key in value:
            return value[key]
    return None


def _value(v: Json, kind: str | None) -> CellValue:
    """A cell as read, for the engine: "" is empty, a serial number in a date column a date."""
    if v == "":
        return None
    if kind and isinstance(v, int | float) and not isinstance(v, bool):
        try:
            return from_serial(v, kind)
        except (OverflowError, ValueError):
            return v
    return v


def _changed_columns(block: Sequence[int], new: Sequence[Sequence[Json]],
                     old: Sequence[Sequence[Json]]) -> tuple[int, int]:
    """The smallest column span holding every cell that differs in these rows."""
    lo, hi = None, 0
    for i in block:
        a, b = new[i], old[i]
        for c in range(max(len(a), len(b))):
            if not _same(a[c] if c < len(a) else None, b[c] if c < len(b) else None):
                lo = c if lo is None else min(lo, c)
                hi = max(hi, c + 1)
    return (lo or 0), max(hi, 1)


def _size(row: Sequence[Json]) -> int:
    """About what a row weighs as CellData JSON."""
    return 16 + sum(44 + (len(v) if isinstance(v, str) else 12) for v in row)


def _blocks(rows: Sequence[Sequence[Json]]) -> Iterator[tuple[int, int]]:
    """(start, end) of consecutive rows, at most BLOCK_ROWS and a quarter of MAX_PAYLOAD each."""
    start, weight = 0, 0
    for i, row in enumerate(rows):
        w = _size(row)
        if i > start and (i - start >= BLOCK_ROWS or weight + w > MAX_PAYLOAD // 4):
            yield start, i
            start, weight = i, 0
        weight += w
    if start < len(rows):
        yield start, len(rows)


def _runs(indexes: Sequence[int], at: Sequence[int | None],
          rows: Sequence[Sequence[Json]] = ()) -> Iterator[list[int]]:
    """Consecutive row indexes whose sheet rows are consecutive too, in blocks of BLOCK_ROWS
    rows and a quarter of MAX_PAYLOAD at most."""
    block: list[int] = []
    weight = 0
    for i in indexes:
        w = _size(rows[i]) if i < len(rows) else 0
        if block and (i != block[-1] + 1 or at[i] != (at[block[-1]] or 0) + 1 or len(block) >= BLOCK_ROWS
                      or weight + w > MAX_PAYLOAD // 4):
            yield block
            block, weight = [], 0
        block.append(i)
        weight += w
    if block:
        yield block


def _free_id(used: set[int], name: str) -> int:
    n = 1 + sum(ord(c) for c in name) * 7919 % 1_000_000_000
    while n in used:
        n += 1
    return n


_PATTERNS = {
    "fr": {"date": "dd/mm/yyyy", "datetime": "dd/mm/yyyy hh:mm", "money": "# ##0,00", "percent": "0,0 %"},
    "en": {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "money": "#,##0.00", "percent": "0.0%"},
}


def _number_format(fmt: CellFormat, lang: str) -> dict[str, Any] | None:
    # Sheets patterns use the spreadsheet's locale for separators: "#,##0.00" is written in
    # either language; the French pattern above is what a person sees in a French sheet.
    p = _PATTERNS["en"]
    if fmt.kind == "date":
        return {"type": "DATE", "pattern": _PATTERNS["fr" if lang == "fr" else "en"]["date"]}
    if fmt.kind == "datetime":
        return {"type": "DATE_TIME", "pattern": _PATTERNS["fr" if lang == "fr" else "en"]["datetime"]}
    if fmt.kind == "money":
        suffix = f' "{fmt.currency}"' if fmt.currency else ""
        return {"type": "NUMBER", "pattern": p["money"] + suffix}
    if fmt.kind == "percent":
        return {"type": "PERCENT", "pattern": p["percent"]}
    if fmt.kind == "number":
        return {"type": "NUMBER", "pattern": "0." + "0" * max(1, fmt.digits)}
    if fmt.kind == "integer":
        return {"type": "NUMBER", "pattern": "0"}
    return None


def _styling(owned: OwnedTab, sheet_id: int, width: int) -> list[dict[str, Any]]:
    """The requests that make a new owned tab look like the template's: the header bold white on
    dark blue, each column's number format or wrapping, widths, dropdowns, a filter."""
    out: list[dict[str, Any]] = []
    if owned.header_style:
        out.append({"repeatCell": {
            "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0,
                      "endColumnIndex": len(owned.header)},
            "cell": {"userEnteredFormat": {"backgroundColor": _HEADER_FILL, "textFormat": {
                "bold": True, "foregroundColor": {"red": 1, "green": 1, "blue": 1}}}},
            "fields": "userEnteredFormat(backgroundColor,textFormat)"}})
    for col, fmt in enumerate(owned.formats):
        if fmt is None:
            continue
        rng = {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": col, "endColumnIndex": col + 1}
        number = _number_format(fmt, owned.lang)
        if number is not None:
            out.append({"repeatCell": {"range": rng, "cell": {"userEnteredFormat": {"numberFormat": number}},
                                       "fields": "userEnteredFormat.numberFormat"}})
        elif fmt.kind == "wrap":
            out.append({"repeatCell": {"range": rng, "cell": {"userEnteredFormat": {"wrapStrategy": "WRAP"}},
                                       "fields": "userEnteredFormat.wrapStrategy"}})
        if fmt.choices:
            out.append({"setDataValidation": {"range": rng, "rule": {
                "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": c} for c in fmt.choices]},
                "strict": False, "showCustomUi": True}}})
    for col, chars in enumerate(owned.widths):
        out.append({"updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": col, "endIndex": col + 1},
            "properties": {"pixelSize": int(chars * 7 + 12)}, "fields": "pixelSize"}})
    if owned.autofilter and owned.header:
        out.append({"setBasicFilter": {"filter": {"range": {"sheetId": sheet_id, "startRowIndex": 0,
                                                            "startColumnIndex": 0, "endColumnIndex": width}}}})
    return out
