"""The History index: a hidden tab relance writes with History, so that a run need not read History.

A History tab holds up to history_max_rows rows (200,000 by default) and its archives as many
again; reading them cell by cell on every run cost more than the rest of a rerun. So, each time
relance writes History, it also writes this tab (INDEX_TAB, hidden, marked as relance's): for
History and each History_YYYY archive, the cells a read of that tab returns, compressed, with
the backend's fingerprint of the tab as that save left it (for an .xlsx file: the CRC-32 and
sizes its zip directory records for the tab's part; workbook/port.IndexesHistory).

A run that finds every History tab's fingerprint equal to the one stamped here takes their
cells from the index and reads none of them; any difference (a person edited History or an
archive, an older relance wrote History without an index, a tab was added or removed, the
index itself was edited: its digest no longer matches) and the run reads History as before and
writes a fresh index with its next save. The cells are those a full read returns, and the
engine reads them exactly as it reads a tab (engine/book.load_book): a run through the index
decides what a full read decides, anomalies and their cells included.

Version 2 keeps, for a tab whose cells read without an anomaly (every tab relance wrote), not
its cells but what the engine reads of them: the rows down to the header, and History's rows
as HistoryEntry's field values (engine/history.history_columns, steps as written: a run names
them through its own ladders). A run then makes History's records without making its cells
again, nor parsing them; a tab with an anomaly is kept as cells, read as a tab is read. An
index of version 1 (cells only, written by an older relance) is not read: History is read in
full and the next save writes a version 2 index (and an older relance, finding version 2,
does the same with its own).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import zlib
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from relance.engine.contract import Contract, TabSpec
from relance.engine.sheets import CellValue, OwnedTab, RawSheet
from relance.engine.table import Collector, read_table, written_spec

#: The index tab's name (hidden; no user tab is expected under it: one that is not relance's is ignored).
INDEX_TAB = "relance_index"
MAGIC = "relance-history-index"
VERSION = "2"
#: Text per cell: below Excel's 32,767 characters and Google Sheets' 50,000.
CHUNK = 30_000
_TAB_ROW = "tab"


def is_index_tab(name: str) -> bool:
    return name.casefold() == INDEX_TAB


def is_our_index(sheet: RawSheet) -> bool:
    """Whether a tab named INDEX_TAB is relance's: marked by the backend, or, for a backend that
    cannot mark tabs, headed as relance heads it. A user's own tab of that name is left alone:
    History is then read in full on every run, and no index is written."""
    if sheet.owned is not None:
        return sheet.owned
    return bool(sheet.rows) and bool(sheet.rows[0]) and _text(sheet.rows[0][0]) == MAGIC  # any version


def is_history_tab(contract: Contract, name: str) -> bool:
    """History (Historique, Reminder_log, History) or one of its History_YYYY archives."""
    spec = written_spec(contract, name)
    return spec is not None and spec.key == "history"


@dataclass(frozen=True, slots=True)
class IndexTab(OwnedTab):
    """The index as relance asks a backend to write it: `stamps` maps a row (0-based in `rows`)
    to the History tab whose fingerprint the backend writes in that row's third cell, as this
    same save leaves that tab (IndexesHistory.write). Hidden: nothing in it is for people."""

    stamps: Mapping[int, str] = field(default_factory=dict)

    def stamped(self, fingerprints: Mapping[str, str]) -> OwnedTab:
        """The tab to write, each stamp filled from `fingerprints` (casefolded tab name -> text);
        a tab without one gets "" and will never match (its rows are read in full next time)."""
        rows = [list(r) for r in self.rows]
        for i, name in self.stamps.items():
            rows[i][2] = fingerprints.get(name.casefold(), "")
        return OwnedTab(self.name, self.header, rows, widths=self.widths, freeze_header=False, autofilter=False)


# ------------------------------------------------------------------ cells <-> JSON

_PLAIN = frozenset({str, int, float, bool, type(None)})
_HASHED_AS_IS = frozenset({str, int, bool, type(None), dt.date})
_TAG = "\x00"  # never the first character of a cell read from a workbook (XML cannot carry it)


def _tagged(value: object) -> object:
    """A cell JSON cannot carry as it is, as text starting with _TAG and a letter saying its type."""
    if isinstance(value, str):
        return _TAG + "s" + value if value.startswith(_TAG) else value
    if isinstance(value, float) and value - value != 0.0:  # inf, nan
        return _TAG + "f" + repr(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dt.datetime):
        return _TAG + "t" + value.isoformat()
    if isinstance(value, dt.date):
        return _TAG + "d" + value.isoformat()
    if isinstance(value, dt.time):
        return _TAG + "h" + value.isoformat()
    if isinstance(value, Decimal):
        return _TAG + "n" + str(value)
    return str(value)


_UNTAG: dict[str, Callable[[str], object]] = {"s": str, "t": dt.datetime.fromisoformat, "d": dt.date.fromisoformat, "h": dt.time.fromisoformat,
          "n": Decimal, "f": float}


def _untagged(value: object) -> object:
    if type(value) is str and value.startswith(_TAG):
        return _UNTAG[value[1]](value[2:])
    return value


def _needs_tags(column: Sequence[object]) -> bool:
    kinds = set(map(type, column))
    if not kinds <= _PLAIN:
        return True
    if str in kinds and any(type(v) is str and v.startswith(_TAG) for v in column):
        return True
    return any(type(v) is float and v - v != 0.0 for v in column)


def _all_tagged(column: Sequence[object], kinds: set[type]) -> list[object]:
    """_tagged of each cell; a column of numbers and text (the common case) tagged at C speed."""
    if kinds <= {float, int, bool, str, type(None)} and not any(
            type(v) is float and v - v != 0.0 for v in column) and not any(
            type(v) is str and v.startswith(_TAG) for v in column):
        return list(column)
    return list(map(_tagged, column))


def _columns(rows: Sequence[Sequence[CellValue]]) -> list[dict[str, object]]:
    """Column by column; a column of few distinct values as those values and a code per row."""
    width = max((len(r) for r in rows), default=0)
    n = len(rows)
    found: list[dict[str, object]] = []
    square = all(len(r) == width for r in rows)
    transposed: list[tuple[CellValue, ...]] = list(zip(*rows, strict=True)) if square and width else []
    for j in range(width):
        column: Sequence[object] = transposed[j] if square else [r[j] if j < len(r) else None for r in rows]
        kinds = set(map(type, column))
        as_is = kinds <= _HASHED_AS_IS
        keys: Sequence[object]
        if as_is and not {bool, int} <= kinds:  # no two cells of different types equal: a cell is its key
            keys = column
        elif as_is:  # True, 1 and 1.0 kept apart by their type
            keys = list(zip(map(type, column), column, strict=True))
        else:  # 1.0 and 1.00, -0.0 and 0.0, 10:00+01:00 and 09:00Z are equal, yet not the same cell
            keys = list(zip(map(type, column), _all_tagged(column, kinds), strict=True))
        distinct = dict.fromkeys(keys)
        if len(distinct) * 2 <= n:
            index = {k: i for i, k in enumerate(distinct)}
            pairs = cast(Iterable[tuple[type, object]], distinct)
            values = ([_tagged(v) for v in distinct] if keys is column
                      else [_tagged(v) if as_is else v for _, v in pairs])  # tagged once
            found.append({"v": values, "c": list(map(index.__getitem__, keys))})
        else:
            found.append({"r": _all_tagged(column, kinds), "t": 1} if _needs_tags(column) else {"r": list(column)})
    return found


def _rows(n: int, columns: Sequence[Mapping[str, object]]) -> list[tuple[CellValue, ...]]:
    if not columns:
        return [() for _ in range(n)]
    full: list[list[object]] = []
    for col in columns:
        if "r" in col:
            values = col["r"]
            if not isinstance(values, list):
                raise ValueError("column")
            full.append([_untagged(v) for v in values] if col.get("t") else values)
        else:
            distinct, codes = col["v"], col["c"]
            if not isinstance(distinct, list) or not isinstance(codes, list):
                raise ValueError("column")
            full.append(list(map([_untagged(v) for v in distinct].__getitem__, codes)))
            codes.clear()  # a code per row, read: freed now, not with the whole payload
    if any(len(c) != n for c in full):
        raise ValueError("column length")
    return list(zip(*full, strict=True))


def encode_rows(rows: Sequence[Sequence[CellValue]]) -> list[str]:
    """A tab's cells as text chunks (JSON, deflated, base64), CHUNK characters at most each."""
    payload = json.dumps({"n": len(rows), "cols": _columns(rows)}, separators=(",", ":"), ensure_ascii=False)
    text = base64.b64encode(zlib.compress(payload.encode("utf-8"), 6)).decode("ascii")
    return [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]


def decode_rows(chunks: Iterable[str]) -> list[tuple[CellValue, ...]]:
    payload = json.loads(zlib.decompress(base64.b64decode("".join(chunks), validate=True)))
    return _rows(int(payload["n"]), payload["cols"])


# ------------------------------------------------------------------ History's records (version 2)

def _decimal_text(value: object) -> str | None:
    if value is None:
        return None
    if type(value) is not Decimal:
        raise TypeError("amount")
    return str(value)  # Decimal(str(d)) is d, digits, exponent and sign alike


def _date_text(value: object) -> str | None:
    if value is None:
        return None
    if type(value) is not dt.date:
        raise TypeError("date")
    return value.isoformat()


def _ids_text(value: object) -> str:
    if type(value) is not tuple:
        raise TypeError("invoice ids")
    text = ";".join(value)  # TypeError for an id that is not text
    if _ids(text) != value:  # an id holding ";", a blank id: not kept this way
        raise TypeError("invoice ids")
    return text


def _ids(text: object) -> tuple[str, ...]:
    if type(text) is not str:
        raise TypeError("invoice ids")
    return tuple(text.split(";")) if text else ()


def _decimal(text: object) -> Decimal | None:
    if text is not None and type(text) is not str:
        raise TypeError("amount")
    return None if text is None else Decimal(text)


def _date(text: object) -> dt.date | None:
    if text is not None and type(text) is not str:
        raise TypeError("date")
    return None if text is None else dt.date.fromisoformat(text)


#: How each of HistoryEntry's fields is kept as JSON, and read back (the others: text as it is).
_TO_JSON: dict[int, Callable[[object], object]] = {4: _ids_text, 11: _decimal_text, 14: _date_text}
_FROM_JSON: dict[int, Callable[[object], object]] = {4: _ids, 11: _decimal, 14: _date}
FIELDS = 16


def _encoded_column(j: int, column: Sequence[object]) -> dict[str, object]:
    to_json = _TO_JSON.get(j)
    if to_json is None:
        if not all(type(v) is str for v in column):
            raise TypeError("text")
        plain: Sequence[object] = column
    elif j == 11:  # 1.5 and 1.50 are equal keys, yet not the same amount: each one said
        plain = list(map(to_json, column))
    else:  # invoice ids, dates: equal values are the same value, each said once
        said = {v: to_json(v) for v in dict.fromkeys(column)}
        plain = list(map(said.__getitem__, column))
    distinct = dict.fromkeys(plain)
    if len(distinct) * 2 <= len(plain):
        index = {k: i for i, k in enumerate(distinct)}
        kind = next(k for k in _CODES if 256 ** array(k).itemsize > len(distinct))
        codes = array(kind, map(index.__getitem__, plain))
        if _BIG_ENDIAN:
            codes.byteswap()
        # the codes as little-endian machine integers: parsed at C speed, not as 200,000 JSON numbers
        return {"v": list(distinct), "k": kind, "b": base64.b64encode(codes.tobytes()).decode("ascii")}
    return {"r": list(plain)}


#: Unsigned array types, smallest first: a column's codes take the first that holds them all.
_CODES = ("B", "H", "I", "L", "Q")
_BIG_ENDIAN = array("H", [1]).tobytes()[0] == 0


def _decoded_column(j: int, col: Mapping[str, object], n: int) -> list[object]:
    """A column as _encoded_column wrote it; ValueError or TypeError for anything else."""
    from_json = _FROM_JSON.get(j)
    if "r" in col:
        values = col["r"]
        if not isinstance(values, list) or len(values) != n:
            raise ValueError("column")
        if from_json is None:
            return _text_only(values)
        return list(map(from_json, values))
    distinct, kind, packed = col["v"], col["k"], col["b"]
    if not isinstance(distinct, list) or kind not in _CODES or not isinstance(packed, str):
        raise ValueError("column")
    codes = array(kind)
    codes.frombytes(base64.b64decode(packed, validate=True))
    if _BIG_ENDIAN:
        codes.byteswap()
    if len(codes) != n:
        raise ValueError("column")
    # (unsigned: no code reads from the end; one past the values is an IndexError)
    said = _text_only(distinct) if from_json is None else list(map(from_json, distinct))
    return list(map(said.__getitem__, codes))


def _text_only(values: list[object]) -> list[object]:
    if not set(map(type, values)) <= {str}:
        raise TypeError("text")
    return values


@dataclass(frozen=True, slots=True)
class ParsedTab:
    """A History tab as version 2 of the index keeps it: its rows down to the header (the
    header included: how the tab is found, named and its columns mapped), and the field columns
    of its records (engine/history.history_columns; None: no record)."""

    head: list[tuple[CellValue, ...]]
    columns: Sequence[Sequence[object]] | None


def parse_tab(spec: TabSpec, name: str, rows: Sequence[Sequence[CellValue]]) -> ParsedTab | None:
    """What the engine reads of a History tab of these cells (as a read returns them), or None
    when reading them says anything (an anomaly: a blank row, the header again, a column twice
    or missing): such a tab is kept as cells and read as any tab is read."""
    from relance.engine.history import history_columns

    out = Collector()
    table = read_table(RawSheet(name, rows, True), spec, out)
    if out.items:
        return None
    head = table.header_row
    return ParsedTab([tuple(r) for r in rows[:head]], history_columns(table))


def encode_parsed(parsed: ParsedTab) -> list[str]:
    """A ParsedTab as text chunks (JSON, deflated, base64), CHUNK characters at most each;
    TypeError when a value is not of the type a History record holds (then keep the cells)."""
    columns = parsed.columns
    payload = {"head": {"n": len(parsed.head), "cols": _columns(parsed.head)},
               "n": len(columns[0]) if columns is not None else 0,
               "e": [_encoded_column(j, c) for j, c in enumerate(columns)] if columns is not None else None}
    if columns is not None and (len(columns) != FIELDS or len(set(map(len, columns))) != 1):
        raise TypeError("columns")
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text = base64.b64encode(zlib.compress(data, 6)).decode("ascii")
    return [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]


def encode_tab(spec: TabSpec, name: str, rows: Sequence[Sequence[CellValue]]) -> list[str]:
    """A History tab's entry in the index: as a ParsedTab when its cells read without an
    anomaly, else as its cells (encode_rows)."""
    parsed = parse_tab(spec, name, rows)
    if parsed is not None:
        try:
            return encode_parsed(parsed)
        except TypeError:
            pass
    return encode_rows(rows)


def decode_tab(chunks: Iterable[str]) -> ParsedTab | list[tuple[CellValue, ...]]:
    """An index entry as encode_tab wrote it: a ParsedTab, or a tab's cells."""
    payload = json.loads(zlib.decompress(base64.b64decode("".join(chunks), validate=True)))
    if not isinstance(payload, dict):
        raise ValueError("payload")
    if "head" not in payload:
        return _rows(int(payload["n"]), payload["cols"])
    head = payload["head"]
    encoded = payload["e"]
    if encoded is None:
        return ParsedTab(_rows(int(head["n"]), head["cols"]), None)
    if not isinstance(encoded, list) or len(encoded) != FIELDS or not all(isinstance(c, dict) for c in encoded):
        raise ValueError("columns")
    n = payload["n"]
    if type(n) is not int:
        raise ValueError("rows")
    columns = [_decoded_column(j, c, n) for j, c in enumerate(encoded)]
    return ParsedTab(_rows(int(head["n"]), head["cols"]), columns)


def digest(chunks: Sequence[str]) -> str:
    h = hashlib.sha256()
    for c in chunks:
        h.update(c.encode("ascii"))
    return h.hexdigest()


_EQUAL_IS_SAME = frozenset({str, int, bool, type(None), dt.date})  # equal cells of one of these types are one cell


def read_back(as_read: Callable[[Sequence[Sequence[CellValue]]], Sequence[Sequence[CellValue]]],
              rows: Sequence[Sequence[CellValue]]) -> Sequence[Sequence[CellValue]]:
    """as_read(rows) (workbook/port.IndexesHistory: the cells a read of these rows written
    returns, each read back on its own), each distinct cell of a column read back once: a
    History column holds few distinct cells. A cell of a type whose equal values may differ
    (a Decimal, a date and time) is known by its identity."""
    width = len(rows[0]) if rows else 0
    if not width or any(len(r) != width for r in rows):
        return as_read(rows)
    columns: list[list[CellValue]] = []
    for column in zip(*rows, strict=True):
        kinds = set(map(type, column))
        keys: Sequence[object] = column if kinds <= _EQUAL_IS_SAME and not {bool, int} <= kinds else list(map(id, column))
        distinct = dict(zip(keys, column, strict=True))
        back = as_read([[cell] for cell in distinct.values()])
        read = dict(zip(distinct, (r[0] for r in back), strict=True))
        columns.append(list(map(read.__getitem__, keys)))
    return list(zip(*columns, strict=True))


# ------------------------------------------------------------------ the tab

@dataclass(frozen=True, slots=True)
class IndexedTab:
    """One History tab in the index: its name, the fingerprint stamped, its encoded cells."""

    name: str
    fingerprint: str
    chunks: tuple[str, ...]


def index_tab(tabs: Sequence[tuple[str, Sequence[Sequence[CellValue]] | IndexedTab]], spec: TabSpec) -> IndexTab:
    """The index of these History tabs (`spec`: History's): each given as the cells a read of it
    returns (header row first), or as the entry of a previous index when the tab is copied
    unchanged."""
    rows: list[list[CellValue]] = []
    stamps: dict[int, str] = {}
    for name, cells in tabs:
        chunks = list(cells.chunks) if isinstance(cells, IndexedTab) else encode_tab(spec, name, cells)
        stamps[len(rows)] = name
        rows.append([_TAB_ROW, name, "", digest(chunks), len(chunks)])
        rows.extend(["", c] for c in chunks)
    return IndexTab(INDEX_TAB, [MAGIC, VERSION], rows, widths=(8, 20, 20, 20, 8), freeze_header=False,
                    autofilter=False, stamps=stamps)


@dataclass(frozen=True)
class StoredIndex:
    """The index as read: by casefolded tab name."""

    tabs: dict[str, IndexedTab]

    def cells(self, names: Sequence[str],
              fingerprints: Mapping[str, str]) -> dict[str, ParsedTab | list[tuple[CellValue, ...]]] | None:
        """What the index keeps of every tab named (the workbook's History tabs: a ParsedTab, or
        the tab's cells), when it covers exactly these tabs and each one's fingerprint is the
        backend's now; else None (and so for an entry that does not decode as written)."""
        wanted = {n.casefold() for n in names}
        if wanted != set(self.tabs):
            return None
        found: dict[str, ParsedTab | list[tuple[CellValue, ...]]] = {}
        for key in wanted:
            entry = self.tabs[key]
            now = fingerprints.get(key)
            if not now or now != entry.fingerprint:
                return None
            try:
                found[key] = decode_tab(entry.chunks)
            except Exception:  # noqa: BLE001 - whatever it holds, an entry that does not decode is rebuilt
                return None
        return found


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def read_index(sheet: RawSheet | None) -> StoredIndex | None:
    """The index tab as read, None when there is none or it is not one relance wrote whole
    (wrong mark or header, a digest that does not match its chunks)."""
    if sheet is None or not is_our_index(sheet) or not sheet.rows:
        return None
    rows = sheet.rows
    if [_text(v) for v in rows[0][:2]] != [MAGIC, VERSION]:
        return None
    tabs: dict[str, IndexedTab] = {}
    i = 1
    while i < len(rows):
        row = list(rows[i]) + [None] * 5
        if _text(row[0]) != _TAB_ROW:
            return None
        try:
            count = int(float(_text(row[4]) or "x"))
        except ValueError:
            return None
        chunks = tuple(_text(r[1]) if len(r) > 1 else "" for r in rows[i + 1:i + 1 + count])
        if len(chunks) != count or digest(chunks) != _text(row[3]):
            return None
        name = _text(row[1])
        tabs[name.casefold()] = IndexedTab(name, _text(row[2]), chunks)
        i += 1 + count
    return StoredIndex(tabs)
