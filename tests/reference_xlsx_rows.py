"""workbook/xlsx_parts._styled_rows_xml as it was before issue 15 (a style looked up per cell):
the reference tests/test_history_scale.py holds the memoised writer to, byte for byte."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from relance.engine.sheets import OwnedTab
from relance.workbook import xlsx_styles
from relance.workbook.xlsx_parts import MAX_CELL_CHARS, _cell_slow, _number_text, _wrapped_height
from relance.workbook.xlsx_styles import TabStyles


def styled_rows_xml_reference(
    rows: Iterable[Sequence[Any]], first_row: int, letters: Sequence[str], out: list[str],
    tab: OwnedTab, styles: TabStyles, start: int,
) -> None:
    """Append the <row> elements of a tab whose columns have formats (OwnedTab.formats): each
    value converted and styled by its column's (or its row's) CellFormat."""
    append = out.append
    column_formats = list(tab.formats)
    row_formats = tab.row_formats
    style_of = styles.of
    wrapped = [j for j, f in enumerate(column_formats) if f is not None and f.kind == "wrap"]
    widths = list(tab.widths)
    r = first_row
    for i, row in enumerate(rows, start=start):
        formats = row_formats.get(i, column_formats) if row_formats else column_formats
        rs = str(r)
        height = _wrapped_height(row, wrapped, widths) if wrapped else 0.0
        cells = ['<row r="', rs, f'" ht="{height:g}" customHeight="1">' if height else '">']
        add = cells.append
        nformats = len(formats)
        for j, (col, v) in enumerate(zip(letters, row, strict=False)):
            fmt = formats[j] if j < nformats else None
            if fmt is None:  # the common case, written as _rows_xml writes it
                t = type(v)
                if t is str:
                    if not v:
                        continue
                    if len(v) <= MAX_CELL_CHARS:
                        if "&" in v or "<" in v or ">" in v or "\r" in v:
                            v = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                            v = v.replace("\r", "&#13;")
                        add(f'<c r="{col}{rs}" t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>')
                        continue
                elif v is None:
                    continue
                add(_cell_slow(col + rs, v))
                continue
            v, style = style_of(fmt, row, v)
            if style is None:
                if xlsx_styles.is_serial(v):  # a date that found no style: its ISO text
                    add(_cell_slow(col + rs, row[j]))
                else:
                    add(_cell_slow(col + rs, v))
                continue
            if xlsx_styles.is_serial(v) or xlsx_styles.is_number(v):
                add(f'<c r="{col}{rs}" s="{style}"><v>{_number_text(v)}</v></c>')
            else:
                cell = _cell_slow(col + rs, v)
                add(cell.replace(f'<c r="{col}{rs}"', f'<c r="{col}{rs}" s="{style}"', 1) if cell else cell)
        add("</row>")
        append("".join(cells))
        r += 1
