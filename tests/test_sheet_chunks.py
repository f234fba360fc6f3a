"""A generated sheet is written a few hundred rows at a time (xlsx_parts.CHUNK_ROWS), a few chunks
in flight (xlsx_parts.in_background): what a long sheet holds in memory while it is written is
bounded, and the bytes written are the same whatever the chunks: the same XML, and the same
deflate stream (the zip member's bytes, its CRC and sizes: the History index's fingerprints)."""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from relance.engine.sheets import CellFormat, OwnedTab
from relance.workbook import xlsx_parts
from relance.workbook.xlsx_styles import TabStyles, wanted

cells = st.one_of(
    st.none(), st.text(max_size=40), st.sampled_from(["EUR", "USD", "a&b<c>\r", "déposé\u202f: boîte d’envoi " * 3]),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**6, max_value=10**6),
    st.integers(-10**9, 10**9), st.booleans(), st.dates(min_value=dt.date(1990, 1, 1)),
    st.datetimes(min_value=dt.datetime(1990, 1, 1)),
)
FORMATS = [None, CellFormat("datetime"), CellFormat("money", currency_column=3), CellFormat("text"),
           CellFormat("date"), CellFormat("wrap")]


def _tab(rows: list[list[object]], styled: bool) -> OwnedTab:
    return OwnedTab(name="Historique", header=[f"col {i}" for i in range(6)], rows=rows, widths=[12.0] * 6,
                    formats=FORMATS if styled else [], header_style=styled, lang="fr")


def _deflated(chunks: Iterable[bytes]) -> bytes:
    deflater = zlib.compressobj(xlsx_parts.SHEET_COMPRESS_LEVEL, zlib.DEFLATED, -15)
    return b"".join(deflater.compress(c) for c in chunks) + deflater.flush()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(cells, min_size=6, max_size=6), max_size=60), st.booleans(), st.integers(1, 70))
def test_a_sheet_is_the_same_bytes_whatever_its_chunks(rows: list[list[object]], styled: bool, size: int) -> None:
    tab = _tab(rows, styled)

    def written(chunk_rows: int) -> list[bytes]:
        styles = TabStyles({s: i for i, s in enumerate(sorted(wanted(tab), key=repr))}, "fr") if styled else None
        return list(xlsx_parts.worksheet_chunks(tab, chunk_rows, styles=styles))

    whole, cut = written(10**6), written(size)
    assert b"".join(cut) == b"".join(whole)
    assert _deflated(cut) == _deflated(whole)
    assert _deflated(xlsx_parts.in_background(iter(cut), depth=1)) == _deflated(whole)


def test_a_long_sheet_is_written_a_few_hundred_rows_at_a_time() -> None:
    """42,000 History rows (a million-invoice first run) go in chunks of CHUNK_ROWS, at most `depth`
    of them waiting: a few megabytes, not the sheet."""
    rows = [[f"R{i:019X}", dt.datetime(2026, 12, 2, 9), "EUR", Decimal("12.50"), "déposé", f"C{i}"]
            for i in range(3 * xlsx_parts.CHUNK_ROWS + 7)]
    chunks = list(xlsx_parts.worksheet_chunks(_tab(rows, False)))
    assert len(chunks) == 1 + 4 + 1  # the head, four chunks of rows, the tail
    assert xlsx_parts.CHUNK_ROWS <= 500
    assert max(len(c) for c in chunks) < 1000 * xlsx_parts.CHUNK_ROWS  # about 450 bytes a row here
