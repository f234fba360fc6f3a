"""The History index's encoding as it was before issue 15's column-wise rewrite: the reference
tests/test_history_scale.py holds engine/history_index.encode_rows to, byte for byte."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Sequence

from relance.engine.history_index import _HASHED_AS_IS, CHUNK, _needs_tags, _tagged
from relance.engine.sheets import CellValue


def _columns(rows: Sequence[Sequence[CellValue]]) -> list[dict[str, object]]:
    """Column by column; a column of few distinct values as those values and a code per row."""
    width = max((len(r) for r in rows), default=0)
    n = len(rows)
    found: list[dict[str, object]] = []
    for j in range(width):
        column: list[object] = [r[j] if j < len(r) else None for r in rows]
        as_is = set(map(type, column)) <= _HASHED_AS_IS
        if as_is:  # True, 1 and 1.0 kept apart by their type
            keys: list[tuple[type, object]] = list(zip(map(type, column), column, strict=True))
        else:  # 1.0 and 1.00, -0.0 and 0.0, 10:00+01:00 and 09:00Z are equal, yet not the same cell
            keys = [(type(v), _tagged(v)) for v in column]
        distinct = dict.fromkeys(keys)
        if len(distinct) * 2 <= n:
            index = {k: i for i, k in enumerate(distinct)}
            values = [_tagged(v) if as_is else v for _, v in distinct]  # tagged once
            found.append({"v": values, "c": list(map(index.__getitem__, keys))})
        else:
            found.append({"r": [_tagged(v) for v in column], "t": 1} if _needs_tags(column) else {"r": column})
    return found


def encode_rows_reference(rows: Sequence[Sequence[CellValue]]) -> list[str]:
    """A tab's cells as text chunks (JSON, deflated, base64), CHUNK characters at most each."""
    payload = json.dumps({"n": len(rows), "cols": _columns(rows)}, separators=(",", ":"), ensure_ascii=False)
    text = base64.b64encode(zlib.compress(payload.encode("utf-8"), 6)).decode("ascii")
    return [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]


# ------------------------------------------------------------------ version 1, as the former code wrote and read it

FORMER_VERSION = "1"


def former_index_rows(tabs: Sequence[tuple[str, Sequence[Sequence[CellValue]]]]) -> list[list[CellValue]]:
    """The index tab the former code wrote (version 1: every History tab as its cells), header
    row first; the fingerprint cells left blank for the backend to stamp (row index -> tab)."""
    from relance.engine.history_index import MAGIC, digest

    rows: list[list[CellValue]] = [[MAGIC, FORMER_VERSION]]
    for name, cells in tabs:
        chunks = encode_rows_reference(cells)
        rows.append(["tab", name, "", digest(chunks), len(chunks)])
        rows.extend(["", c] for c in chunks)
    return rows


def former_reads_it(rows: Sequence[Sequence[CellValue]]) -> bool:
    """Whether the former code's read_index took an index tab of these rows as one it can read
    (its check of the header: the magic word and version 1); it read History in full otherwise."""
    from relance.engine.history_index import MAGIC

    head = [v if isinstance(v, str) else "" if v is None else str(v) for v in (rows[0][:2] if rows else [])]
    return head == [MAGIC, FORMER_VERSION]
