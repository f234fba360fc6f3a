"""The parts of an .xlsx package that relance touches, handled at the byte and string level.

An .xlsx is a zip of XML parts. Loading it into an object model and saving it back loses what
the model does not know (charts, images, slicers, macros, extensions) and is slow, so relance
never does that: it copies every member it does not own byte for byte (still compressed), writes
the worksheet parts of its own tabs itself, and edits workbook.xml, its relationships and
[Content_Types].xml only by inserting or removing single elements in their text, so namespace
prefixes, mc:Ignorable and everything else in them stay exactly as the user's program wrote them.
"""

from __future__ import annotations

import datetime as dt
import math
import posixpath
import queue
import re
import struct
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, BinaryIO
from urllib.parse import unquote
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape as _xml_escape

from relance.engine.sheets import OwnedTab

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_WORKSHEET = REL_NS + "/worksheet"
REL_OFFICE_DOCUMENT = REL_NS + "/officeDocument"
REL_CALC_CHAIN = REL_NS + "/calcChain"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

MAX_ROWS = 1_048_576
MAX_COLS = 16_384
MAX_CELL_CHARS = 32_767
MAX_SHEET_NAME = 31
_BAD_SHEET_NAME_CHARS = frozenset("[]:*?/\\")

#: Compression level of the generated sheets: level 3 is ~2.5x faster than zlib's default on
#: this repetitive XML for a file ~8% larger.
SHEET_COMPRESS_LEVEL = 3
#: Rows per generated chunk: big enough to amortise the per-chunk work, small enough to stream.
CHUNK_ROWS = 2000

# XML 1.0 forbids these code points even as character references; they are dropped.
_CTRL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32)])


class PackageError(Exception):
    """The package cannot be edited safely; `hint` says what the user can do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


# --------------------------------------------------------------------------------------------
# Worksheet XML
# --------------------------------------------------------------------------------------------


def column_letter(index: int) -> str:
    """Column letters of a 1-based column index (1 -> A, 27 -> AA)."""
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _escape_text(text: str) -> str:
    # A bare CR would be normalised to LF by every XML parser: keep it as a character reference.
    return _xml_escape(text).replace("\r", "&#13;")


def _cell_slow(ref: str, value: object) -> str:
    """Any value the fast path of `_rows_xml` does not handle (subclasses, dates, NaN...)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{int(value)}</v></c>'
    if isinstance(value, float) and math.isfinite(value):
        return f'<c r="{ref}"><v>{float(value)!r}</v></c>'
    if isinstance(value, Decimal) and value.is_finite():
        return f'<c r="{ref}"><v>{Decimal.__str__(value)}</v></c>'
    if isinstance(value, dt.date | dt.time):  # datetime is a date: ISO text, no style needed
        text = value.isoformat()
    elif isinstance(value, str):
        text = str.__str__(value)  # the plain text of a str subclass (StrEnum, ...)
    else:
        text = str(value)
    if not text:
        return ""
    if len(text) > MAX_CELL_CHARS:  # Excel refuses longer cells
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return (
        f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_escape_text(text)}</t></is></c>'
    )


def _rows_xml(
    rows: Iterable[Sequence[Any]], first_row: int, letters: Sequence[str], out: list[str]
) -> None:
    """Append the <row> elements of `rows` to `out`.

    This is the hot loop of a write (a History tab can hold 200,000 rows): the common types
    are dispatched on their exact type with inline code, everything else goes to _cell_slow.
    """
    append = out.append
    r = first_row
    str_t, int_t, float_t, dec_t, none_t = str, int, float, Decimal, type(None)
    for row in rows:
        rs = str(r)
        cells = ['<row r="', rs, '">']
        add = cells.append
        for col, v in zip(letters, row, strict=False):
            t = type(v)
            if t is str_t:
                if not v:
                    continue
                if len(v) > MAX_CELL_CHARS:
                    add(_cell_slow(col + rs, v))
                    continue
                if "&" in v or "<" in v or ">" in v or "\r" in v:
                    v = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    v = v.replace("\r", "&#13;")
                add(f'<c r="{col}{rs}" t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>')
            elif t is none_t:
                continue
            elif (
                t is int_t
                or (t is float_t and v - v == 0.0)  # v - v is NaN for inf and NaN
                or (t is dec_t and v.is_finite())
            ):
                add(f'<c r="{col}{rs}"><v>{v}</v></c>')
            else:
                add(_cell_slow(col + rs, v))
        add("</row>")
        append("".join(cells))
        r += 1


def _clean_xml(text: str) -> bytes:
    """UTF-8 bytes of `text` without the characters XML 1.0 cannot carry.

    Markup is plain ASCII, so filtering a whole chunk at once only ever removes data characters.
    """
    if not text.isascii() and ("\ufffe" in text or "\uffff" in text):
        text = text.replace("\ufffe", "").replace("\uffff", "")
    data = text.encode("utf-8", "ignore")  # "ignore" drops lone surrogates
    cleaned = data.translate(None, _CTRL_BYTES)
    return cleaned if len(cleaned) != len(data) else data


def validate_owned_tab(tab: OwnedTab) -> None:
    """Refuse what Excel would refuse to open: a bad tab name, too many rows or columns."""
    name = tab.name
    if not name or len(name) > MAX_SHEET_NAME:
        raise PackageError(
            f"tab name {name!r} must be 1 to {MAX_SHEET_NAME} characters long",
            "choose a shorter tab name",
        )
    bad = sorted(set(name) & _BAD_SHEET_NAME_CHARS)
    if bad or name.startswith("'") or name.endswith("'") or any(ord(c) < 32 for c in name):
        raise PackageError(
            f"tab name {name!r} contains characters Excel does not allow in a tab name",
            "tab names cannot contain [ ] : * ? / \\ or control characters, "
            "nor start or end with an apostrophe",
        )
    nrows = len(tab.rows) + (1 if tab.header else 0)
    if nrows > MAX_ROWS:
        raise PackageError(
            f"tab {name!r} would have {nrows} rows; a worksheet holds at most {MAX_ROWS}",
            "archive older rows into another tab",
        )


def worksheet_chunks(
    tab: OwnedTab, chunk_rows: int = CHUNK_ROWS, *, drawing_rid: str | None = None
) -> Iterator[bytes]:
    """The worksheet part of an owned tab, as UTF-8 chunks ready to be compressed.

    Text is written as inline strings so the shared-strings part is never touched; numbers as
    numbers; booleans as booleans; dates as ISO text (a date format would need a styles.xml
    edit). The header row is frozen and filtered when asked, the column widths set.
    `drawing_rid` names the relationship to the tab's drawing (its charts), if it has one.
    """
    header = list(tab.header)
    rows = tab.rows
    ncols = max(len(header), max((len(r) for r in rows), default=0))
    if ncols > MAX_COLS:
        raise PackageError(
            f"tab {tab.name!r} would have {ncols} columns; a worksheet holds at most {MAX_COLS}",
            "report this as a bug",
        )
    letters = [column_letter(i) for i in range(1, ncols + 1)]
    has_header = bool(header)
    first_data_row = 2 if has_header else 1
    last_row = first_data_row + len(rows) - 1
    ref = f"A1:{letters[-1]}{max(last_row, 1)}" if ncols else "A1"

    head = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">',
        f'<dimension ref="{ref}"/>',
    ]
    if tab.freeze_header and has_header:
        head.append(
            '<sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
            "</sheetView></sheetViews>"
        )
    else:
        head.append('<sheetViews><sheetView workbookViewId="0"/></sheetViews>')
    head.append('<sheetFormatPr defaultRowHeight="15"/>')
    cols = [
        f'<col min="{i}" max="{i}" width="{min(float(w), 255.0):g}" customWidth="1"/>'
        for i, w in enumerate(tab.widths, start=1)
        if w and w > 0 and i <= MAX_COLS
    ]
    if cols:
        head.append("<cols>" + "".join(cols) + "</cols>")
    head.append("<sheetData>")
    if has_header:
        _rows_xml([header], 1, letters, head)
    yield _clean_xml("".join(head))

    for start in range(0, len(rows), chunk_rows):
        out: list[str] = []
        _rows_xml(rows[start : start + chunk_rows], first_data_row + start, letters, out)
        yield _clean_xml("".join(out))

    tail = ["</sheetData>"]
    if tab.autofilter and has_header and rows and ncols:
        tail.append(f'<autoFilter ref="A1:{letters[-1]}{last_row}"/>')
    tail.append(
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    )
    if drawing_rid:  # CT_Worksheet: after pageMargins/pageSetup..., before legacyDrawing
        tail.append(f'<drawing r:id="{_attr_escape(drawing_rid)}"/>')
    tail.append("</worksheet>")
    yield "".join(tail).encode("utf-8")


def in_background(chunks: Iterator[bytes], depth: int = 8) -> Iterator[bytes]:
    """Run a chunk generator in a thread so that its Python work overlaps the consumer's
    compression and CRC (zlib releases the GIL); exceptions are re-raised in the consumer."""
    q: queue.Queue[tuple[int, object]] = queue.Queue(depth)
    stop = threading.Event()

    def put(item: tuple[int, object]) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for chunk in chunks:
                if not put((0, chunk)):
                    return
            put((1, None))
        except BaseException as exc:  # handed over to the consumer, which re-raises it
            put((2, exc))

    worker = threading.Thread(target=run, name="relance-xlsx-sheet", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = q.get()
            if kind == 0:
                assert isinstance(item, bytes)
                yield item
            elif kind == 1:
                return
            else:
                assert isinstance(item, BaseException)
                raise item
    finally:
        stop.set()
        worker.join()


# --------------------------------------------------------------------------------------------
# Zip: raw copy of members, streamed writing of new ones
# --------------------------------------------------------------------------------------------

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_LOCAL_SIG, _CENTRAL_SIG, _END_SIG = 0x04034B50, 0x02014B50, 0x06054B50
_LIMIT32 = 0xFFFFFFFF
_FLAG_DATA_DESCRIPTOR = 0x08
_FLAG_UTF8 = 0x800


@dataclass(frozen=True, slots=True)
class ZipMember:
    """A member of the source package, as its central directory describes it."""

    info: zipfile.ZipInfo

    @property
    def name(self) -> str:
        return self.info.filename

    @property
    def raw_name(self) -> bytes:
        encoding = "utf-8" if self.info.flag_bits & _FLAG_UTF8 else "cp437"
        return self.info.orig_filename.encode(encoding)


def read_members(src: BinaryIO) -> tuple[list[ZipMember], bytes]:
    """The members of a zip in central-directory order, and the archive comment."""
    with zipfile.ZipFile(src) as zf:
        return [ZipMember(i) for i in zf.infolist()], zf.comment


def read_member(src: BinaryIO, member: ZipMember) -> bytes:
    """The uncompressed content of one member (for the few small parts relance edits)."""
    with zipfile.ZipFile(src) as zf:
        return zf.read(member.info)


def read_many(src: BinaryIO, members: Sequence[ZipMember]) -> list[bytes]:
    """The uncompressed contents of several small members, reading the directory once."""
    with zipfile.ZipFile(src) as zf:
        return [zf.read(m.info) for m in members]


def _dos_datetime(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    if y < 1980:
        y, mo, d, h, mi, s = 1980, 1, 1, 0, 0, 0
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def _strip_zip64_extra(extra: bytes) -> bytes:
    """Drop ZIP64 records from an extra field: the copy rewrites every size and offset."""
    out = bytearray()
    i = 0
    while i + 4 <= len(extra):
        hid, size = struct.unpack_from("<HH", extra, i)
        if hid != 0x0001:
            out += extra[i : i + 4 + size]
        i += 4 + size
    return bytes(out)


class RawZipWriter:
    """A minimal zip writer that can copy members without recompressing them.

    zipfile can only copy a member by decompressing and recompressing it, which costs seconds
    on a 15 MB workbook and changes its bytes; this writer copies the compressed data as is.
    The output never needs ZIP64: anything that would is refused (a 4 GB workbook).
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._central: list[bytes] = []
        self._offset = out.tell()

    def _check_limits(self, *values: int) -> None:
        if any(v >= _LIMIT32 for v in values) or len(self._central) >= 0xFFFF:
            raise PackageError(
                "the workbook would be too large for relance to write (4 GB or 65,535 parts)",
                "archive old rows or split the workbook",
            )

    def _record(
        self,
        *,
        raw_name: bytes,
        flags: int,
        method: int,
        dos_time: int,
        dos_date: int,
        crc: int,
        csize: int,
        usize: int,
        offset: int,
        extra: bytes = b"",
        comment: bytes = b"",
        create_version: int = 20,
        create_system: int = 0,
        internal_attr: int = 0,
        external_attr: int = 0,
    ) -> None:
        self._check_limits(csize, usize, offset)
        self._central.append(
            _CENTRAL.pack(
                _CENTRAL_SIG,
                (create_system << 8) | (create_version & 0xFF),
                20,
                flags,
                method,
                dos_time,
                dos_date,
                crc,
                csize,
                usize,
                len(raw_name),
                len(extra),
                len(comment),
                0,
                internal_attr,
                external_attr,
                offset,
            )
            + raw_name
            + extra
            + comment
        )

    def copy(self, src: BinaryIO, member: ZipMember) -> None:
        """Copy a member's compressed bytes unchanged, with fresh headers."""
        info = member.info
        src.seek(info.header_offset)
        head = src.read(_LOCAL.size)
        if len(head) != _LOCAL.size or _LOCAL.unpack(head)[0] != _LOCAL_SIG:
            raise PackageError(
                f"the zip entry {info.filename!r} is damaged",
                "open the workbook in Excel or LibreOffice and save it again",
            )
        name_len, extra_len = _LOCAL.unpack(head)[9:11]
        src.seek(info.header_offset + _LOCAL.size + name_len + extra_len)
        flags = info.flag_bits & ~_FLAG_DATA_DESCRIPTOR
        dos_time, dos_date = _dos_datetime(info.date_time)
        raw_name = member.raw_name
        offset = self._offset
        self._check_limits(info.compress_size, info.file_size, offset)
        header = _LOCAL.pack(
            _LOCAL_SIG, 20, flags, info.compress_type, dos_time, dos_date,
            info.CRC, info.compress_size, info.file_size, len(raw_name), 0,
        )  # fmt: skip
        self._out.write(header + raw_name)
        remaining = info.compress_size
        while remaining:
            block = src.read(min(remaining, 1 << 20))
            if not block:
                raise PackageError(
                    f"the zip entry {info.filename!r} is truncated",
                    "open the workbook in Excel or LibreOffice and save it again",
                )
            self._out.write(block)
            remaining -= len(block)
        self._offset += len(header) + len(raw_name) + info.compress_size
        self._record(
            raw_name=raw_name,
            flags=flags,
            method=info.compress_type,
            dos_time=dos_time,
            dos_date=dos_date,
            crc=info.CRC,
            csize=info.compress_size,
            usize=info.file_size,
            offset=offset,
            extra=_strip_zip64_extra(info.extra),
            comment=info.comment,
            create_version=info.create_version,
            create_system=info.create_system,
            internal_attr=info.internal_attr,
            external_attr=info.external_attr,
        )

    def add(
        self,
        name: str,
        chunks: Iterable[bytes],
        *,
        method: int = zipfile.ZIP_DEFLATED,
        level: int = 6,
        date_time: tuple[int, int, int, int, int, int] | None = None,
    ) -> None:
        """Write a new member from a stream of uncompressed chunks (header patched after)."""
        if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            method = zipfile.ZIP_DEFLATED
        raw_name = name.encode("utf-8")
        flags = 0 if raw_name.isascii() else _FLAG_UTF8
        dos_time, dos_date = _dos_datetime(date_time or time.localtime()[:6])
        offset = self._offset
        out = self._out

        def header(crc: int, csize: int, usize: int) -> bytes:
            return _LOCAL.pack(
                _LOCAL_SIG, 20, flags, method, dos_time, dos_date, crc, csize, usize,
                len(raw_name), 0,
            )  # fmt: skip

        out.write(header(0, 0, 0) + raw_name)
        crc = csize = usize = 0
        deflater = zlib.compressobj(level, zlib.DEFLATED, -15) if method else None
        try:
            for chunk in chunks:
                crc = zlib.crc32(chunk, crc)
                usize += len(chunk)
                data = deflater.compress(chunk) if deflater else chunk
                if data:
                    out.write(data)
                    csize += len(data)
        finally:  # stop a background producer at once if writing failed
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        if deflater:
            data = deflater.flush()
            out.write(data)
            csize += len(data)
        self._check_limits(csize, usize, offset)
        end = out.tell()
        out.seek(offset)
        out.write(header(crc, csize, usize))
        out.seek(end)
        self._offset = end
        self._record(
            raw_name=raw_name,
            flags=flags,
            method=method,
            dos_time=dos_time,
            dos_date=dos_date,
            crc=crc,
            csize=csize,
            usize=usize,
            offset=offset,
        )

    def close(self, comment: bytes = b"") -> None:
        """Write the central directory and its end record."""
        start = self._offset
        directory = b"".join(self._central)
        self._check_limits(start + len(directory))
        self._out.write(directory)
        count = len(self._central)
        comment = comment[:0xFFFF]
        self._out.write(
            _END.pack(_END_SIG, 0, 0, count, count, len(directory), start, len(comment)) + comment
        )


# --------------------------------------------------------------------------------------------
# workbook.xml, its relationships and [Content_Types].xml
# --------------------------------------------------------------------------------------------

_ATTR = re.compile(r"""([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


@dataclass(frozen=True, slots=True)
class Relationship:
    rid: str
    type: str
    target: str
    external: bool


@dataclass(frozen=True, slots=True)
class SheetEntry:
    """One <sheet> of workbook.xml joined with its relationship."""

    name: str
    sheet_id: int
    rid: str
    rel_type: str
    part: str | None  # zip member name of its part, None when the relationship is missing

    @property
    def is_worksheet(self) -> bool:
        return self.rel_type == REL_WORKSHEET


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_xml(data: bytes, what: str) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise PackageError(
            f"{what} is not well-formed XML ({exc})",
            "open the workbook in Excel or LibreOffice and save it again",
        ) from exc


def resolve_target(source_dir: str, target: str) -> str:
    """The zip member name a relationship target points to."""
    path = target.lstrip("/") if target.startswith("/") else posixpath.join(source_dir, target)
    return posixpath.normpath(path).lstrip("/")


def rels_path(part: str) -> str:
    """The relationships part of a part: xl/workbook.xml -> xl/_rels/workbook.xml.rels."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def parse_relationships(data: bytes, what: str) -> list[Relationship]:
    root = _parse_xml(data, what)
    rels = []
    for el in root:
        if _local(el.tag) == "Relationship":
            rels.append(
                Relationship(
                    rid=el.get("Id", ""),
                    type=el.get("Type", ""),
                    target=el.get("Target", ""),
                    external=el.get("TargetMode", "") == "External",
                )
            )
    return rels


def main_part(package_rels: bytes | None) -> str:
    """The workbook part named by _rels/.rels (xl/workbook.xml in every file Excel writes)."""
    if package_rels:
        for rel in parse_relationships(package_rels, "_rels/.rels"):
            if rel.type.endswith("/officeDocument") and not rel.external:
                return resolve_target("", rel.target)
    return "xl/workbook.xml"


def parse_sheets(
    workbook_xml: bytes, rels: Sequence[Relationship], workbook_part: str
) -> list[SheetEntry]:
    """The tabs of workbook.xml in order, with the zip member of each one's part."""
    root = _parse_xml(workbook_xml, workbook_part)
    if root.tag.startswith("{" + STRICT_MAIN_NS):
        raise PackageError(
            "the workbook is saved in the 'Strict Open XML' format",
            "save it as a regular 'Excel Workbook (.xlsx)'",
        )
    by_id = {r.rid: r for r in rels}
    folder = posixpath.dirname(workbook_part)
    sheets: list[SheetEntry] = []
    for container in root:
        if _local(container.tag) != "sheets":
            continue
        for el in container:
            if _local(el.tag) != "sheet":
                continue
            rid = el.get(f"{{{REL_NS}}}id", "")
            rel = by_id.get(rid)
            try:
                sheet_id = int(el.get("sheetId", "0"))
            except ValueError:
                sheet_id = 0
            sheets.append(
                SheetEntry(
                    name=el.get("name", ""),
                    sheet_id=sheet_id,
                    rid=rid,
                    rel_type=rel.type if rel else "",
                    part=resolve_target(folder, rel.target) if rel and not rel.external else None,
                )
            )
    return sheets


def _attr_escape(value: str) -> str:
    return _xml_escape(value, {'"': "&quot;"})


def _insert_before_close(text: str, local_name: str, build: Callable[[str], str]) -> str:
    """Insert `build(prefix)` just before the last closing tag `</[prefix:]local_name>`.

    The prefix (with its colon, or "") is the one the file uses for that element, so inserted
    children share their parent's namespace whatever its spelling.
    """
    matches = list(re.finditer(rf"</(?:([\w.-]+):)?{local_name}\s*>", text))
    if not matches:
        raise PackageError(
            f"no </{local_name}> element found where one is required",
            "open the workbook in Excel or LibreOffice and save it again",
        )
    m = matches[-1]
    prefix = f"{m.group(1)}:" if m.group(1) else ""
    return text[: m.start()] + build(prefix) + text[m.start() :]


def _namespace_prefix(text: str, root_local: str, namespace: str) -> str | None:
    """The prefix the root element declares for `namespace`, if any."""
    m = re.search(rf"<(?:[\w.-]+:)?{root_local}\b[^>]*>", text)
    if not m:
        return None
    for attr in _ATTR.finditer(m.group(0)):
        name, value = attr.group(1), attr.group(2) if attr.group(2) is not None else attr.group(3)
        if name.startswith("xmlns:") and value == namespace:
            return name[len("xmlns:") :]
    return None


def add_sheets(workbook_xml: str, new: Sequence[tuple[str, int, str]]) -> str:
    """Append <sheet name sheetId r:id/> elements (name, sheet id, relationship id)."""
    rp = _namespace_prefix(workbook_xml, "workbook", REL_NS)
    # Without a root declaration (never seen from Excel), declare the namespace on the element.
    decl = f' xmlns:r="{REL_NS}"' if rp is None else ""
    rp = rp or "r"
    return _insert_before_close(
        workbook_xml,
        "sheets",
        lambda p: "".join(
            f'<{p}sheet{decl} name="{_attr_escape(name)}" sheetId="{sheet_id}" {rp}:id="{rid}"/>'
            for name, sheet_id, rid in new
        ),
    )


def add_relationships(rels_xml: str, new: Sequence[tuple[str, str, str]]) -> str:
    """Append <Relationship Id Type Target/> elements."""
    return _insert_before_close(
        rels_xml,
        "Relationships",
        lambda p: "".join(
            f'<{p}Relationship Id="{rid}" Type="{rtype}" Target="{_attr_escape(target)}"/>'
            for rid, rtype, target in new
        ),
    )


def add_overrides(types_xml: str, new: Sequence[tuple[str, str]]) -> str:
    """Append <Override PartName ContentType/> elements ([Content_Types].xml)."""
    return _insert_before_close(
        types_xml,
        "Types",
        lambda p: "".join(
            f'<{p}Override PartName="{_attr_escape(part)}" ContentType="{ctype}"/>'
            for part, ctype in new
        ),
    )


def _remove_elements(text: str, local_name: str, attr: str, value: str, *, fold: bool) -> str:
    """Remove the `local_name` elements whose attribute `attr` equals `value`."""
    want = value.casefold() if fold else value
    pattern = re.compile(
        rf"<(?:[\w.-]+:)?{local_name}\b[^>]*?(?:/>|>.*?</(?:[\w.-]+:)?{local_name}\s*>)", re.S
    )

    def matches(m: re.Match[str]) -> bool:
        start = m.group(0).split(">", 1)[0]
        attrs = {
            a.group(1): (a.group(2) if a.group(2) is not None else a.group(3))
            for a in _ATTR.finditer(start)
        }
        got = attrs.get(attr, "")
        return (got.casefold() if fold else got) == want

    return pattern.sub(lambda m: "" if matches(m) else m.group(0), text)


def remove_relationship(rels_xml: str, rid: str) -> str:
    return _remove_elements(rels_xml, "Relationship", "Id", rid, fold=False)


def remove_override(types_xml: str, part: str) -> str:
    # Part names are case-insensitive in a package.
    return _remove_elements(types_xml, "Override", "PartName", "/" + part, fold=True)


def ensure_default(types_xml: str, extension: str, content_type: str) -> str:
    """Add <Default Extension ContentType/> unless the extension already has one."""
    for m in re.finditer(r"<(?:[\w.-]+:)?Default\b[^>]*>", types_xml):
        attrs = {a.group(1): a.group(2) or a.group(3) or "" for a in _ATTR.finditer(m.group(0))}
        if attrs.get("Extension", "").casefold() == extension.casefold():
            return types_xml
    return _insert_before_close(
        types_xml,
        "Types",
        lambda p: f'<{p}Default Extension="{extension}" ContentType="{content_type}"/>',
    )


# --------------------------------------------------------------------------------------------
# The relationship graph: which parts a replaced sheet leaves behind
# --------------------------------------------------------------------------------------------

_RELS_PART = re.compile(r"(?:(.*)/)?_rels/([^/]*)\.rels", re.I)


def rels_source(part: str) -> str | None:
    """The part whose relationships a .rels part holds ("" for the package's _rels/.rels),
    or None when `part` is not a relationships part."""
    m = _RELS_PART.fullmatch(part)
    if not m:
        return None
    folder, base = m.group(1) or "", m.group(2)
    if not base:
        return "" if not folder else None
    return posixpath.join(folder, base)


def relationship_targets(rels: Sequence[Relationship], source: str) -> list[str]:
    """The zip member names of the internal targets of a part's relationships."""
    folder = posixpath.dirname(source)
    return [resolve_target(folder, unquote(r.target)) for r in rels if not r.external and r.target]


def orphaned_parts(graph: Mapping[str, Sequence[str]], cut: Set[str]) -> set[str]:
    """The parts that only the relationships of the `cut` parts kept in the package.

    `graph` maps each source part ("" for the package) to its relationships' target parts,
    all casefolded; the relationships of the parts in `cut` are being discarded (their parts
    are rewritten). A part still reachable from the package root, through any other
    relationship, is kept, whoever else pointed to it (an image two drawings share).
    """

    def reach(starts: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(starts)
        while stack:
            part = stack.pop()
            if part in seen:
                continue
            seen.add(part)
            if part not in cut:
                stack.extend(graph.get(part, ()))
        return seen

    live = reach([""])
    left = reach(t for part in cut for t in graph.get(part, ()))
    return left - live - set(cut)
