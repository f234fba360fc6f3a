"""Workbooks written part by part, in a few milliseconds and a few MB, whatever they inflate to.

`package` writes the zip itself (local headers, data, central directory), so a test can give a
member any content, any declared size and any compressed stream: a sheet with one cell at
XFD1048576, a 4 GB bomb of 4 MB, a header that lies about what its data inflates to.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


@dataclass(frozen=True)
class Raw:
    """A member given as its compressed stream: what it inflates to need not be in memory."""

    deflated: bytes
    size: int  # the uncompressed size the headers declare
    crc: int = 0


def deflate(data: bytes) -> Raw:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Raw(c.compress(data) + c.flush(), len(data), zlib.crc32(data))


def bomb(head: bytes, unit: bytes, repeat: int, tail: bytes, declared: int | None = None) -> Raw:
    """head + unit × repeat + tail, deflated by repeating one compressed block: after a full
    flush the compressor's output for the same input is the same bytes, so 4 GB of XML take
    ~4 MB and no time. The CRC is not computed (nothing must ever inflate it all)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(unit) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(unit) + c.flush(zlib.Z_FULL_FLUSH)
    assert block == again, "the compressor did not repeat itself"
    last = c.compress(tail) + c.flush()
    size = len(head) + len(unit) * (repeat + 1) + len(tail)
    return Raw(first + block * (repeat + 1) + last, size if declared is None else declared)


def zip_file(path: Path, members: Sequence[tuple[str, Raw]]) -> Path:
    """A zip of the given members (deflated, sizes and CRC as given), written by hand."""
    central = []
    with open(path, "wb") as f:
        for name, raw in members:
            encoded = name.encode()
            offset = f.tell()
            f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, raw.crc,
                                len(raw.deflated), raw.size, len(encoded), 0) + encoded)
            f.write(raw.deflated)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, raw.crc,
                                       len(raw.deflated), raw.size, len(encoded), 0, 0, 0, 0, 0, offset)
                           + encoded)
        start = f.tell()
        directory = b"".join(central)
        f.write(directory)
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory),
                            start, 0))
    return path


def cell(ref: str, value: object) -> str:
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def column(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def sheet_xml(rows: Sequence[Sequence[object]], extra_cells: str = "", dimension: str | None = None) -> bytes:
    """A worksheet of rows from A1 (None cells left out), then `extra_cells` (raw <row> XML)."""
    out = []
    for i, row in enumerate(rows, start=1):
        cells = "".join(cell(f"{column(j)}{i}", v) for j, v in enumerate(row, start=1) if v is not None)
        out.append(f'<row r="{i}">{cells}</row>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" '
            f'xmlns:r="{REL}">{dim}<sheetData>{"".join(out)}{extra_cells}</sheetData></worksheet>').encode()


def package(path: Path, sheets: Mapping[str, bytes | Raw], *, strings: bytes | Raw | None = None,
            defined_names: str = "") -> Path:
    """An .xlsx with these tabs, in order (each a worksheet part: XML, or a Raw stream)."""
    names = list(sheets)
    workbook = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{MAIN}" '
                f'xmlns:r="{REL}"><sheets>'
                + "".join(f'<sheet name="{escape(n, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                          for i, n in enumerate(names, start=1))
                + f"</sheets>{defined_names}</workbook>")
    rels = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, len(names) + 1))
            + (f'<Relationship Id="rIdS" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
               if strings is not None else "")
            + "</Relationships>")
    types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.'
             'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="'
             'application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
             'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
             'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
             + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{WORKSHEET_CT}"/>'
                       for i in range(1, len(names) + 1))
             + "</Types>")
    root = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    members: list[tuple[str, Raw]] = [
        ("[Content_Types].xml", deflate(types.encode())),
        ("_rels/.rels", deflate(root.encode())),
        ("xl/workbook.xml", deflate(workbook.encode())),
        ("xl/_rels/workbook.xml.rels", deflate(rels.encode())),
    ]
    if strings is not None:
        members.append(("xl/sharedStrings.xml", strings if isinstance(strings, Raw) else deflate(strings)))
    for i, n in enumerate(names, start=1):
        content = sheets[n]
        members.append((f"xl/worksheets/sheet{i}.xml", content if isinstance(content, Raw) else deflate(content)))
    return zip_file(path, members)


def sheet_bomb(size: int = 4_000_000_000, rows: Sequence[Sequence[object]] = (("x",),)) -> Raw:
    """A worksheet of a few rows that inflates to `size` bytes (4 GB by default) in ~4 MB: the
    rest is blank space between its elements, which deflates a thousand to one."""
    full = sheet_xml(rows)
    cut = full.index(b"</sheetData>")
    head, tail = full[:cut], full[cut:]
    unit = b" " * (1 << 20)
    repeat = (size - len(head) - len(tail)) // len(unit) - 1
    return bomb(head, unit, repeat, tail)


def write_book(path: Path, tabs: Mapping[str, Sequence[Sequence[object]]]) -> Path:
    """An .xlsx holding these tabs as a user's program writes them (openpyxl)."""
    import openpyxl

    wb = openpyxl.Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for name, rows in tabs.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path
