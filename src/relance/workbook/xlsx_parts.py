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
import html
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

from relance.engine.catalog import console
from relance.engine.errors import SaidError
from relance.engine.i18n import Said
from relance.engine.sheets import OwnedTab
from relance.workbook import xlsx_styles
from relance.workbook.xlsx_styles import TabStyles, xml_escape

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
#: Dropdowns cover rows 2..5000, or every data row when there are more (as the template's).
VALIDATION_LAST_ROW = 5000
_BAD_SHEET_NAME_CHARS = frozenset("[]:*?/\\")

#: Compression level of the generated sheets: level 3 is ~2.5x faster than zlib's default on
#: this repetitive XML for a file ~8% larger.
SHEET_COMPRESS_LEVEL = 3
#: Rows per generated chunk: big enough to amortise the per-chunk work, small enough to stream.
#: A chunk of styled rows holds about 2 KB a row while it is built (its cells' pieces, the joined
#: text, its bytes): 500 rows keep a sheet's chunks in flight (`in_background`) under ~5 MB, where
#: 2,000 rows held ~45 MB while a million-invoice first run wrote its 42,000 History rows. The
#: bytes written do not depend on it (deflate gives the same stream whatever the pieces).
CHUNK_ROWS = 500

# XML 1.0 forbids these code points even as character references; they are dropped.
_CTRL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32)])


class PackageError(SaidError):
    """The package cannot be edited safely; `fix` says what the user can do about it."""


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
    return xml_escape(text).replace("\r", "&#13;")


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


def _styled_rows_xml(
    rows: Iterable[Sequence[Any]], first_row: int, letters: Sequence[str], out: list[str],
    tab: OwnedTab, styles: TabStyles, start: int,
) -> None:
    """Append the <row> elements of a tab whose columns have formats (OwnedTab.formats): each
    value converted and styled by its column's (or its row's) CellFormat.

    A formatted cell is written once per distinct (format, value, currency) and its text after
    the cell reference reused (a History of 200,000 rows holds a few thousand distinct dates and
    amounts): the same bytes as styling every cell, at a lookup a cell. A value is known by its
    type and value when equal values of that type are the same (text, whole numbers, dates),
    else by its identity (a Decimal, a date and time: the rows hold them for the whole write)."""
    append = out.append
    column_formats = list(tab.formats)
    row_formats = tab.row_formats
    style_of = styles.of
    wrapped = [j for j, f in enumerate(column_formats) if f is not None and f.kind == "wrap"]
    widths = list(tab.widths)
    written: dict[tuple[object, ...], str] = {}
    heights: dict[tuple[object, ...], float] = {}
    alive: list[tuple[object, object]] = []
    same_when_equal = _SAME_WHEN_EQUAL

    def styled(fmt: Any, row: Sequence[Any], j: int, v: Any) -> str:
        """The cell's XML after its reference (`<c r="A1"` + this), "" for no cell."""
        ref = "A1"
        v2, style = style_of(fmt, row, v)
        if style is None:
            cell = _cell_slow(ref, row[j]) if xlsx_styles.is_serial(v2) else _cell_slow(ref, v2)
        elif xlsx_styles.is_serial(v2) or xlsx_styles.is_number(v2):
            cell = f'<c r="{ref}" s="{style}"><v>{_number_text(v2)}</v></c>'
        else:
            cell = _cell_slow(ref, v2)
            cell = cell.replace(f'<c r="{ref}"', f'<c r="{ref}" s="{style}"', 1) if cell else cell
        return cell[len('<c r="A1"'):] if cell else ""

    r = first_row
    for i, row in enumerate(rows, start=start):
        formats = row_formats.get(i, column_formats) if row_formats else column_formats
        rs = str(r)
        if wrapped:
            seen = tuple((type(row[j]), row[j]) if j < len(row) else None for j in wrapped)
            height = heights.get(seen)
            if height is None:
                height = heights[seen] = _wrapped_height(row, wrapped, widths)
        else:
            height = 0.0
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
            t = type(v)
            currency = fmt.currency_column
            if fmt.kind != "money" or currency is None:
                c = None
            else:  # a row too short to hold its currency is styled apart from a blank currency (styles.of)
                c = row[currency] if currency < len(row) else _NO_CELL
            tc = type(c)
            key = (id(fmt), t, v if t in same_when_equal else id(v), tc, c if tc in same_when_equal else id(c))
            found = written.get(key)
            if found is None:
                found = written[key] = styled(fmt, row, j, v)
                alive.append((v, c))  # an identity in a key stays that object's while the memo lives
            if found:
                add(f'<c r="{col}{rs}"{found}')
        add("</row>")
        append("".join(cells))
        r += 1


#: Stands for the currency cell of a row that has none (_styled_rows_xml's memo key).
_NO_CELL = object()
#: Cell types whose equal values are written alike (bool apart from int: True == 1).
_SAME_WHEN_EQUAL = frozenset({str, int, bool, type(None), dt.date})


#: Points per line of 11-point text, and the tallest row a spreadsheet allows.
LINE_HEIGHT, MAX_ROW_HEIGHT = 15.0, 409.5


def _wrapped_height(row: Sequence[Any], columns: Sequence[int], widths: Sequence[float]) -> float:
    """The height (points) that shows every line of the row's wrapped cells; 0 for one line.

    Neither Excel nor LibreOffice grows a row written without a height to fit its wrapped text,
    so the row says it: the lines of each cell (its own line breaks, then the column's width).
    """
    lines = 1
    for j in columns:
        if j >= len(row) or not isinstance(row[j], str) or not row[j]:
            continue
        width = max((widths[j] if j < len(widths) else 10) * 1.1, 8.0)
        count = sum(max(1, math.ceil(len(line) / width)) for line in row[j].split("\n"))
        lines = max(lines, count)
    return 0.0 if lines == 1 else min(LINE_HEIGHT * lines, MAX_ROW_HEIGHT)


def _number_text(v: Any) -> str:
    if type(v) is float:
        return repr(v)
    if isinstance(v, Decimal):
        return Decimal.__str__(v)
    if isinstance(v, int):
        return str(int(v))
    return str.__str__(v)


def _validations(tab: OwnedTab, letters: Sequence[str], last_row: int) -> str:
    """Dropdowns (list validations) on the columns whose CellFormat offers choices."""
    from relance.engine.catalog import tabs as phrases

    items = []
    lang = tab.lang or "fr"
    end = max(last_row, VALIDATION_LAST_ROW)
    for j, fmt in enumerate(tab.formats):
        if fmt is None or not fmt.choices or j >= len(letters):
            continue
        listed = ",".join(c.replace('"', "").replace(",", " ") for c in fmt.choices)
        if len(listed) > 255:  # Excel's limit for a list written in the rule itself
            continue
        title = _attr_escape(phrases.CHOICE_TITLE.text(lang))
        error = _attr_escape(phrases.CHOICE_ERROR.text(lang, values=", ".join(fmt.choices)))
        items.append(
            f'<dataValidation type="list" errorStyle="warning" allowBlank="1" showInputMessage="1" '
            f'showErrorMessage="1" errorTitle="{title}" error="{error}" sqref="{letters[j]}2:{letters[j]}{end}">'
            f"<formula1>{_escape_text(chr(34) + listed + chr(34))}</formula1></dataValidation>"
        )
    return f'<dataValidations count="{len(items)}">{"".join(items)}</dataValidations>' if items else ""


def _clean_xml(text: str) -> bytes:
    """UTF-8 bytes of `text` without the characters XML 1.0 cannot carry.

    Markup is plain ASCII, so filtering a whole chunk at once only ever removes data characters.
    """
    if not text.isascii() and ("\ufffe" in text or "\uffff" in text):
        text = text.replace("\ufffe", "").replace("\uffff", "")
    data = text.encode("utf-8", "ignore")  # "ignore" drops lone surrogates
    cleaned = data.translate(None, _CTRL_BYTES)
    return cleaned if len(cleaned) != len(data) else data


_CTRL_CHARS = dict.fromkeys(_CTRL_BYTES)


def clean_text(text: str) -> str:
    """A cell's text as it reads back once written: what `_clean_xml` drops dropped."""
    if text.isascii():
        return text.translate(_CTRL_CHARS) if not text.isprintable() else text
    if "\ufffe" in text or "\uffff" in text:
        text = text.replace("\ufffe", "").replace("\uffff", "")
    if not text.isprintable():
        text = text.translate(_CTRL_CHARS)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return text.encode("utf-8", "ignore").decode("utf-8")
    return text


def validate_owned_tab(tab: OwnedTab) -> None:
    """Refuse what Excel would refuse to open: a bad tab name, too many rows or columns."""
    name = tab.name
    if not name or len(name) > MAX_SHEET_NAME:
        raise PackageError(
            console.TAB_NAME_LENGTH(name=repr(name), limit=MAX_SHEET_NAME), console.TAB_NAME_SHORTER(),
        )
    bad = sorted(set(name) & _BAD_SHEET_NAME_CHARS)
    if bad or name.startswith("'") or name.endswith("'") or any(ord(c) < 32 for c in name):
        raise PackageError(
            console.TAB_NAME_CHARACTERS(name=repr(name)), console.TAB_NAME_CHARACTERS_FIX(),
        )
    nrows = len(tab.rows) + (1 if tab.header else 0)
    if nrows > MAX_ROWS:
        raise PackageError(
            console.TAB_TOO_MANY_ROWS(name=repr(name), rows=nrows, limit=MAX_ROWS), console.ARCHIVE_ROWS(),
        )


def worksheet_chunks(
    tab: OwnedTab, chunk_rows: int = CHUNK_ROWS, *, drawing_rid: str | None = None,
    styles: TabStyles | None = None,
) -> Iterator[bytes]:
    """The worksheet part of an owned tab, as UTF-8 chunks ready to be compressed.

    Text is written as inline strings so the shared-strings part is never touched; numbers as
    numbers; booleans as booleans. With `styles` (the tab's entries in the styles part, see
    xlsx_styles.py) each column is shown as its CellFormat says: dates and timestamps as real
    date cells, amounts in their currency's format, percentages, wrapped text, the header in
    the template's style, dropdowns, landscape pages fitted to the width (and to `pages_tall`
    pages, if set); without, dates are ISO text. (The header row repeated atop every printed
    page is a defined name of workbook.xml: with_print_titles.) The header row is frozen and filtered when asked, the column widths set.
    `drawing_rid` names the relationship to the tab's drawing (its charts), if it has one.
    """
    header = list(tab.header)
    rows = tab.rows
    ncols = max(len(header), max((len(r) for r in rows), default=0))
    if ncols > MAX_COLS:
        raise PackageError(
            console.TAB_TOO_MANY_COLUMNS(name=repr(tab.name), cols=ncols, limit=MAX_COLS), console.REPORT_BUG(),
        )
    letters = [column_letter(i) for i in range(1, ncols + 1)]
    has_header = bool(header)
    first_data_row = 2 if has_header else 1
    last_row = first_data_row + len(rows) - 1
    ref = f"A1:{letters[-1]}{max(last_row, 1)}" if ncols else "A1"

    styled = styles is not None and (bool(tab.formats) or bool(tab.row_formats) or tab.header_style)
    head = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">',
    ]
    if styled:
        head.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
    head.append(f'<dimension ref="{ref}"/>')
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
    cols = []
    for i, w in enumerate(tab.widths, start=1):
        if not (w and w > 0 and i <= MAX_COLS):
            continue
        style = ""
        fmt = tab.formats[i - 1] if styled and styles is not None and i - 1 < len(tab.formats) else None
        if fmt is not None and fmt.kind in ("date", "datetime", "wrap") and styles is not None:
            # a column style: what a person types later in an empty cell takes the format
            found = styles.of(fmt, (), "x" if fmt.kind == "wrap" else dt.date(2000, 1, 1))[1]
            style = f' style="{found}"' if found is not None else ""
        cols.append(f'<col min="{i}" max="{i}" width="{min(float(w), 255.0):g}"{style} customWidth="1"/>')
    if cols:
        head.append("<cols>" + "".join(cols) + "</cols>")
    head.append("<sheetData>")
    if has_header:
        header_style = styles.index.get(xlsx_styles.HEADER) if styled and styles is not None else None
        if header_style is not None and tab.header_style:
            cells = "".join(
                f'<c r="{col}1" s="{header_style}" t="inlineStr"><is><t xml:space="preserve">'
                f"{_escape_text(str(text))}</t></is></c>" if text else f'<c r="{col}1" s="{header_style}"/>'
                for col, text in zip(letters, header, strict=False))
            head.append(f'<row r="1">{cells}</row>')
        else:
            _rows_xml([header], 1, letters, head)
    yield _clean_xml("".join(head))

    for start in range(0, len(rows), chunk_rows):
        out: list[str] = []
        if styled and styles is not None:
            _styled_rows_xml(rows[start : start + chunk_rows], first_data_row + start, letters, out, tab, styles,
                             start)
        else:
            _rows_xml(rows[start : start + chunk_rows], first_data_row + start, letters, out)
        yield _clean_xml("".join(out))

    tail = ["</sheetData>"]
    if tab.autofilter and has_header and rows and ncols:
        tail.append(f'<autoFilter ref="A1:{letters[-1]}{last_row}"/>')
    if styled:
        tail.append(_validations(tab, letters, last_row))
    tail.append(
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    )
    if styled:
        tail.append(f'<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="{max(tab.pages_tall, 0)}"/>')
    if drawing_rid:  # CT_Worksheet: after pageMargins/pageSetup..., before legacyDrawing
        tail.append(f'<drawing r:id="{_attr_escape(drawing_rid)}"/>')
    tail.append("</worksheet>")
    yield "".join(tail).encode("utf-8")


def in_background(chunks: Iterator[bytes], depth: int = 3) -> Iterator[bytes]:
    """Run a chunk generator in a thread so that its Python work overlaps the consumer's
    compression and CRC (zlib releases the GIL); exceptions are re-raised in the consumer.
    `depth` chunks at most wait between them: enough to keep both busy, few enough that a long
    sheet is never held whole in memory."""
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
    """The uncompressed content of one member (for the few small parts relance edits).

    Bounded: a member declaring more than MAX_OTHER_PART is refused before anything is inflated
    (zipfile never inflates past the declared size, and checks the CRC of what it inflated).
    """
    check_declared(member.info, MAX_OTHER_PART, f"the part {member.name}")
    with zipfile.ZipFile(src) as zf:
        return zf.read(member.info)


def read_many(src: BinaryIO, members: Sequence[ZipMember]) -> list[bytes]:
    """The uncompressed contents of several small members, reading the directory once."""
    for m in members:
        check_declared(m.info, MAX_OTHER_PART, f"the part {m.name}")
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
                console.BOOK_TOO_BIG_TO_WRITE(), console.BOOK_TOO_BIG_TO_WRITE_FIX(),
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
                console.ZIP_ENTRY_DAMAGED(name=repr(info.filename)), console.RESAVE(),
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
                    console.ZIP_ENTRY_TRUNCATED(name=repr(info.filename)), console.RESAVE(),
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
    ) -> tuple[int, int, int]:
        """Write a new member from a stream of uncompressed chunks (header patched after); its
        CRC-32, size and compressed size."""
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
        return crc, usize, csize

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
            console.NOT_WELL_FORMED(what=what, cause=exc), console.RESAVE(),
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
            console.STRICT_XML(), console.STRICT_XML_FIX(),
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
    return xml_escape(value).replace('"', "&quot;")


def _insert_before_close(text: str, local_name: str, build: Callable[[str], str]) -> str:
    """Insert `build(prefix)` just before the last closing tag `</[prefix:]local_name>`.

    The prefix (with its colon, or "") is the one the file uses for that element, so inserted
    children share their parent's namespace whatever its spelling.
    """
    matches = list(re.finditer(rf"</(?:([\w.-]+):)?{local_name}\s*>", text))
    if not matches:
        raise PackageError(
            console.ELEMENT_MISSING(element=local_name), console.RESAVE(),
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


_HIDDEN = ' state="hidden"'


def add_sheets(workbook_xml: str, new: Sequence[tuple[str, int, str]], hidden: Set[str] = frozenset()) -> str:
    """Append <sheet name sheetId r:id/> elements (name, sheet id, relationship id); those
    named in `hidden` hidden (state="hidden": Excel's Unhide lists them)."""
    rp = _namespace_prefix(workbook_xml, "workbook", REL_NS)
    # Without a root declaration (never seen from Excel), declare the namespace on the element.
    decl = f' xmlns:r="{REL_NS}"' if rp is None else ""
    rp = rp or "r"
    return _insert_before_close(
        workbook_xml,
        "sheets",
        lambda p: "".join(
            f'<{p}sheet{decl} name="{_attr_escape(name)}" sheetId="{sheet_id}"{_HIDDEN if name in hidden else ""}'
            f' {rp}:id="{rid}"/>'
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


# --------------------------------------------------------------------------------------------
# Reading within bounds: what a part inflates to, what a tab becomes in memory
# --------------------------------------------------------------------------------------------

#: The largest worksheet part relance inflates (the XML of one of the tabs it reads): 1 GB, ten
#: times the Factures tab of a 100,000-invoice workbook.
MAX_SHEET_PART = 1_000_000_000
#: The largest other part it (or calamine, for it) inflates: shared strings, styles, workbook.xml,
#: relationships, content types. Excel's are a few MB even for a million-row workbook.
MAX_OTHER_PART = 250_000_000
#: calamine holds a tab as a dense grid from its first to its last used cell, and the rows relance
#: gets start at A1: a tab may span at most this many cells (a million rows of 16 columns)...
MAX_TAB_CELLS = 1 << 24
#: ... and the tabs read at once twice that.
MAX_BOOK_CELLS = 1 << 25
_INFLATE_OUT = 1 << 22  # at most 4 MiB out of the decompressor per call
_READ_IN = 1 << 20
_RESAVE = console.RESAVE()


def _size(n: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def check_declared(info: zipfile.ZipInfo, limit: int, label: str | Said, hint: str | Said = "") -> None:
    if info.file_size > limit:
        raise PackageError(
            console.PART_TOO_BIG(what=label, size=_size(info.file_size), packed=_size(info.compress_size),
                                 limit=_size(limit)),
            hint or console.PART_TOO_BIG_FIX(),
        )


def inflate(
    src: BinaryIO, member: ZipMember, limit: int, label: str | Said = "", hint: str | Said = ""
) -> Iterator[bytes]:
    """The uncompressed content of a member, in chunks of at most 4 MiB, never past its bounds.

    The declared size must be within `limit`, and the data itself must inflate to no more than
    it declares and end where the directory says: a lying header (a bomb's 1 KB that inflates
    to 4 GB) is refused at the first byte past the declared size, whoever reads the part next.
    `src` must not be used by anyone else until the iterator is exhausted or closed.
    """
    info = member.info
    label = label or console.LABEL_PART(part=info.filename)
    check_declared(info, limit, label, hint)
    src.seek(info.header_offset)
    head = src.read(_LOCAL.size)
    if len(head) != _LOCAL.size or _LOCAL.unpack(head)[0] != _LOCAL_SIG:
        raise PackageError(console.PART_NO_HEADER(what=label), _RESAVE)
    name_len, extra_len = _LOCAL.unpack(head)[9:11]
    src.seek(info.header_offset + _LOCAL.size + name_len + extra_len)
    declared = info.file_size
    remaining = info.compress_size
    produced = 0

    def lying() -> PackageError:
        return PackageError(
            console.PART_LYING(what=label, size=_size(declared)), console.PART_LYING_FIX(),
        )

    if info.compress_type == zipfile.ZIP_STORED:
        if remaining != declared:
            raise lying()
        while remaining:
            block = src.read(min(remaining, _INFLATE_OUT))
            if not block:
                raise PackageError(console.PART_TRUNCATED(what=label), _RESAVE)
            remaining -= len(block)
            yield block
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise PackageError(
            console.PART_METHOD(what=label, method=info.compress_type), _RESAVE,
        )
    inflater = zlib.decompressobj(-15)
    while remaining and not inflater.eof:
        block = src.read(min(remaining, _READ_IN))
        if not block:
            raise PackageError(console.PART_TRUNCATED(what=label), _RESAVE)
        remaining -= len(block)
        data = block
        while data and not inflater.eof:
            try:
                out = inflater.decompress(data, min(_INFLATE_OUT, declared - produced + 1))
            except zlib.error:
                raise PackageError(console.PART_BAD_DATA(what=label), _RESAVE) from None
            produced += len(out)
            if produced > declared:
                raise lying()
            if out:
                yield out
            data = inflater.unconsumed_tail
    if not inflater.eof:
        raise PackageError(console.PART_NO_END(what=label), _RESAVE)


# Worksheet XML: where its cells are, checked without building them ---------------------------

_REF = re.compile(r"\$?([A-Z]{1,3})\$?([1-9]\d{0,6})")
_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>/]")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
_SHEET_DATA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData[\s>/]")
_HEAD_LIMIT = 1 << 22
_CARRY_LIMIT = 1 << 20
#: A cell under a namespace prefix, in a tab whose cells have none.
_PREFIXED_CELL = re.compile(rb":c[\s>/]")
#: What ends a tag's name: `[\s>/]` (\s of a bytes pattern: space, \t, \n, \r, \f, \v).
_TAG_END = frozenset(b" \t\n\r\x0c\x0b>/")


def _prefixed_cell(data: bytes, start: int, end: int) -> bool:
    """Whether data[start:end] holds a cell under a namespace prefix, as _PREFIXED_CELL finds it,
    found by its colons, few in a worksheet's XML: bytes.find reaches them at memory speed, where
    the regex reads each byte (a third of a big tab's scan). Past one colon per 256 bytes, the
    regex looks at the rest."""
    budget = (end - start) >> 8
    pos = data.find(b":", start, end)
    while pos >= 0:
        if budget <= 0:
            return _PREFIXED_CELL.search(data, pos, end) is not None
        if pos + 2 < end and data[pos + 1] == 0x63 and data[pos + 2] in _TAG_END:  # 0x63: "c"
            return True
        budget -= 1
        pos = data.find(b":", pos + 1, end)
    return False


def column_number(letters: str) -> int:
    """1-based column of letters (A -> 1, XFD -> 16384)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def parse_ref(ref: str) -> tuple[int, int] | None:
    """(row, column), 1-based, of an A1 reference, or None."""
    m = _REF.fullmatch(ref.strip())
    if not m:
        return None
    return int(m.group(2)), column_number(m.group(1))


def _gt_number(n: int) -> str:
    """A regex matching the decimal numbers (no leading zero) greater than n."""
    s = str(n)
    alts = [f"[1-9][0-9]{{{len(s)},}}"]
    for i, ch in enumerate(s):
        if ch != "9":
            alts.append(f"{s[:i]}[{int(ch) + 1}-9][0-9]{{{len(s) - i - 1}}}")
    return "(?:" + "|".join(alts) + ")"


def _gt_letters(col: int) -> str:
    """A regex matching the column letters (at most three) after column `col`."""
    s = column_letter(col)
    alts = [f"[A-Z]{{{len(s) + 1},3}}"] if len(s) < 3 else []
    for i, ch in enumerate(s):
        if ch != "Z":
            alts.append(f"{s[:i]}[{chr(ord(ch) + 1)}-Z][A-Z]{{{len(s) - i - 1}}}")
    return "(?:" + "|".join(alts) + ")" if alts else "(?!)"


@dataclass(frozen=True, slots=True)
class Extent:
    """How far a tab's cells reach: its last row and column (1-based; 0 when it has none)."""

    rows: int
    cols: int
    far: str = ""  # the reference of a cell at that far edge, for messages

    @property
    def cells(self) -> int:
        return self.rows * self.cols


def _le_letters(col: int) -> str:
    """A regex matching the column letters up to column `col`."""
    s = column_letter(col)
    alts = [f"[A-Z]{{1,{len(s) - 1}}}"] if len(s) > 1 else []
    for i, ch in enumerate(s):
        if ch != "A":
            alts.append(f"{s[:i]}[A-{chr(ord(ch) - 1)}][A-Z]{{{len(s) - i - 1}}}")
    alts.append(s)
    return "(?:" + "|".join(alts) + ")"


class SheetScan:
    """Where a worksheet's cells can be, from its XML streamed through `feed`, without building
    a single cell: `extent()` is a range from A1 that holds every cell (blank ones included, so
    an upper bound of what calamine builds), or None when the XML is in a form the scan cannot
    vouch for (then `exact_extent` parses it).

    `precise=False`, the fast way: one regex finds the cells that are not `<c r="REF"` with REF
    inside a range (`the hot loop: it fails within a few characters of a regular cell), another
    the cells under a foreign namespace prefix. The range is the <dimension> the writer declared
    when there is one (a cell beyond it makes the scan irregular), else it grows with the cells,
    its rows by their number of digits (a bound of 99..9 rows). `precise=True` collects every
    reference (slower): the range is then exactly the last row and column used.
    """

    def __init__(self, precise: bool = False) -> None:
        self._precise = precise
        self._head = b""
        self._carry = b""
        self._started = False
        self._irregular = False
        self._rows = self._cols = 0  # the range the cells are checked against
        self._grow = True
        self._cell = b""
        self._foreign: Callable[[bytes, int, int], bool] = _prefixed_cell  # a cell the patterns miss
        self._beyond: re.Pattern[bytes] | None = None
        self._tags: re.Pattern[bytes] | None = None
        self._refs: re.Pattern[bytes] | None = None
        self._row_refs: re.Pattern[bytes] | None = None
        self._col_set: set[bytes] = set()
        self.declared = False  # the range is the declared dimension, which held

    def feed(self, chunk: bytes) -> None:
        if self._irregular:
            return
        if not self._started:
            self._head += chunk
            found = _SHEET_DATA.search(self._head)
            if found is None:
                if len(self._head) > _HEAD_LIMIT:
                    self._irregular = True
                return
            self._start(self._head[: found.start()])
            chunk, self._head = self._head[found.start():], b""
        # What the scan sees is the carry and the chunk up to its last '>' (the rest is carried),
        # scanned in place: the carry with the chunk's first tag end, then the chunk from there
        # (no pattern matches across a '>' but by ending on it), not 4 MiB copied twice per chunk.
        cut = chunk.rfind(b">") + 1
        if not cut:
            self._carry += chunk
            if len(self._carry) > _CARRY_LIMIT:
                self._irregular = True
            return
        start = 0
        if self._carry:
            start = chunk.find(b">") + 1
            self._scan(self._carry + chunk[:start])
            if self._irregular:
                return
        self._carry = chunk[cut:]
        if len(self._carry) > _CARRY_LIMIT:
            self._irregular = True
            return
        if start < cut:
            self._scan(chunk, start, cut)

    def _start(self, head: bytes) -> None:
        self._started = True
        root = _ROOT.search(head)
        name = root.group(1) if root and root.group(1) else b""
        p = re.escape(name + b":") if name else b""
        self._cell = b"<" + p + b"c"
        if name:  # a cell under another prefix, or none
            others = [re.compile(rb"(?<!<" + re.escape(name) + rb"):c[\s>/]"), re.compile(rb"<c[\s>/]")]
            self._foreign = lambda data, start, end: any(o.search(data, start, end) for o in others)
        if self._precise:
            self._tags = re.compile(re.escape(self._cell) + rb"[\s>/]")
            self._refs = re.compile(re.escape(self._cell) + rb' r="([A-Z]{1,3})[1-9][0-9]{0,6}"')
            self._row_refs = re.compile(re.escape(self._cell) + rb' r="[A-Z]{1,3}([1-9][0-9]{0,6})"')
            return
        dim = _DIMENSION.search(head)
        bound = parse_ref(dim.group(1).decode("ascii", "replace").split(":")[-1]) if dim else None
        if bound is not None and bound[0] * bound[1] <= MAX_TAB_CELLS:
            self._rows, self._cols = bound
            self._grow = False
            self.declared = True
        self._compile()

    def _compile(self) -> None:
        rows, cols = self._rows, self._cols
        if not cols or not rows:
            rows_ok, cols_ok = "(?!)", "(?!)"  # any cell widens the range
        else:
            digits = len(str(rows))
            if (10**digits - 1) * cols <= MAX_TAB_CELLS:  # checking the digits only is cheaper
                self._rows = 10**digits - 1
                rows_ok = f"[1-9][0-9]{{0,{digits - 1}}}"
            elif self._grow:
                # With no declared range, a row past the range takes it at once to every row the
                # budget allows at this width: growing it one row at a time compiled one regex per
                # row (18 s for a 200,000-row tab of 18 columns). Past the budget, only the exact
                # scan can tell what is there.
                bound = MAX_TAB_CELLS // cols
                if rows > bound:
                    self._irregular = True
                    return
                self._rows = bound
                rows_ok = f'(?!{_gt_number(bound)}")[1-9][0-9]{{0,{len(str(bound)) - 1}}}'
            else:
                rows_ok = f'(?!{_gt_number(rows)}")[1-9][0-9]{{0,{digits - 1}}}'
            cols_ok = f"[A-{column_letter(cols)}]" if cols <= 26 else _le_letters(cols)
        # the reference tested first, then the tag's end (the same matches): a regular cell is
        # turned down by the first test, 11 % sooner over a big tab
        pattern = re.escape(self._cell) + rb"(?! r=\"" + f"{cols_ok}{rows_ok}".encode() + rb'")(?=[\s>/])'
        self._beyond = re.compile(pattern)

    def _scan(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        """Scan data[start:end] (in place: the patterns' lookbehinds see only the '>' before it)."""
        end = len(data) if end is None else end
        if self._foreign(data, start, end):
            self._irregular = True
            return
        if self._precise:
            assert self._tags is not None and self._refs is not None and self._row_refs is not None
            cols = self._refs.findall(data, start, end)
            if len(cols) != len(self._tags.findall(data, start, end)):
                self._irregular = True  # a cell without its r attribute first
                return
            if cols:
                self._col_set.update(cols)
                self._rows = max(self._rows, max(map(int, set(self._row_refs.findall(data, start, end)))))
            return
        assert self._beyond is not None
        pos = start
        while (m := self._beyond.search(data, pos, end)) is not None:
            after = data[m.end(): min(m.end() + 16, end)]
            where = None
            if self._grow and after.startswith(b' r="'):
                ref, quote, _ = after[4:].partition(b'"')
                where = parse_ref(ref.decode("ascii", "replace")) if quote else None
            if where is None:
                self._irregular = True  # past the declared range, no r attribute first, unreadable
                return
            self._rows, self._cols = max(self._rows, where[0]), max(self._cols, where[1])
            self._compile()
            if self._irregular:
                return
            pos = m.start()

    def extent(self) -> Extent | None:
        """The range from A1 that holds every cell, or None when only an exact parse can tell."""
        if self._irregular or not self._started or self._carry.strip(b" \t\r\n"):
            return None
        if self._precise:
            if not self._col_set:
                return Extent(0, 0)
            last = max(self._col_set, key=lambda c: (len(c), c)).decode()
            self._cols = column_number(last)
        if not self._cols:
            return Extent(0, 0)
        return Extent(self._rows, self._cols, f"{column_letter(self._cols)}{self._rows}")


# Worksheet XML parsed exactly (expat): for the sheets the regexes cannot vouch for ------------


class _StringsState:
    __slots__ = ("rph", "in_t", "seen")

    def __init__(self) -> None:
        self.rph = 0
        self.in_t = False
        self.seen = False


def blank_shared_strings(chunks: Iterable[bytes]) -> bytearray:
    """For each shared string (sharedStrings.xml), 1 when it is blank (empty or spaces)."""
    import xml.parsers.expat

    flags = bytearray()
    state = _StringsState()

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(":", 1)[-1]
        if local == "si":
            state.seen = False
        elif local == "rPh":
            state.rph += 1
        elif local == "t":
            state.in_t = True

    def end(name: str) -> None:
        local = name.rsplit(":", 1)[-1]
        if local == "si":
            flags.append(0 if state.seen else 1)
        elif local == "rPh":
            state.rph -= 1
        elif local == "t":
            state.in_t = False

    def chars(text: str) -> None:
        if state.in_t and not state.rph and text.strip():
            state.seen = True

    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError as exc:
        raise PackageError(console.STRINGS_NOT_WELL_FORMED(cause=exc), _RESAVE) from None
    return flags


@dataclass
class _Cell:
    row: int = 0
    col: int = 0
    attrs: dict[str, str] | None = None
    value: list[str] | None = None  # <v> text
    inline: list[str] | None = None  # <is> text (phonetic runs left out)


def _parse_cells(chunks: Iterable[bytes], what: str | Said) -> Iterator[_Cell]:
    """Every cell of a worksheet with its position as calamine reads it (its r attribute, else
    the next column of its row), streamed: memory stays that of one cell."""
    import xml.parsers.expat

    done: list[_Cell] = []
    state: dict[str, Any] = {"row": 0, "col": 0, "cell": None, "into": None, "rph": 0, "data": False}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(":", 1)[-1]
        if local == "sheetData":
            state["data"] = True
        elif not state["data"]:
            return
        elif local == "row":
            r = attrs.get("r", "")
            state["row"] = int(r) if r.isdigit() else state["row"] + 1
            state["col"] = 0
        elif local == "c":
            where = parse_ref(attrs.get("r", ""))
            row, col = where if where else (state["row"] or 1, state["col"] + 1)
            state["col"] = col
            state["cell"] = _Cell(row, col, dict(attrs))
        elif state["cell"] is not None:
            cell = state["cell"]
            if local == "v":
                cell.value = cell.value or []
                state["into"] = cell.value
            elif local == "is":
                cell.inline = cell.inline or []
            elif local == "rPh":
                state["rph"] += 1
            elif local == "t" and cell.inline is not None and not state["rph"]:
                state["into"] = cell.inline

    def end(name: str) -> None:
        local = name.rsplit(":", 1)[-1]
        if local == "sheetData":
            state["data"] = False
        elif local == "c" and state["cell"] is not None:
            done.append(state["cell"])
            state["cell"] = None
        elif local in ("v", "t"):
            state["into"] = None
        elif local == "rPh":
            state["rph"] -= 1

    def chars(text: str) -> None:
        into = state["into"]
        if into is not None:
            into.append(text)

    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
            yield from done
            done.clear()
        parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError as exc:
        raise PackageError(console.NOT_WELL_FORMED(what=what, cause=exc), _RESAVE) from None
    yield from done


def _is_blank(cell: _Cell, blank_strings: Callable[[], bytearray]) -> bool:
    """Whether a cell holds nothing a person would see: no value, an empty or all-space text."""
    kind = (cell.attrs or {}).get("t", "n")
    if kind == "inlineStr":
        return not "".join(cell.inline or ()).strip()
    text = "".join(cell.value or ()).strip()
    if not text:
        return True
    if kind == "s":
        flags = blank_strings()
        try:
            return bool(flags[int(text)])
        except (ValueError, IndexError):
            return False
    return False


def exact_extent(chunks: Iterable[bytes], what: str | Said, blank_strings: Callable[[], bytearray]) -> Extent:
    """The range from A1 to the last cell that holds something (blank cells do not count)."""
    rows = cols = 0
    far_row = far_col = ""
    for cell in _parse_cells(chunks, what):
        if _is_blank(cell, blank_strings):
            continue
        ref = f"{column_letter(cell.col)}{cell.row}"
        if cell.row > rows:
            rows, far_row = cell.row, ref
        if cell.col > cols:
            cols, far_col = cell.col, ref
    far = far_col if far_col == far_row else " and ".join(r for r in (far_col, far_row) if r)
    return Extent(rows, cols, far)


def trimmed_sheet(chunks: Iterable[bytes], what: str | Said, extent: Extent) -> Iterator[bytes]:
    """A minimal worksheet holding the cells within `extent` (every one of them, as they were),
    each with its r attribute: what calamine reads of the tab, without what lies beyond."""
    yield (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN_NS}">'
           f'<dimension ref="A1:{column_letter(max(extent.cols, 1))}{max(extent.rows, 1)}"/><sheetData>').encode()
    row = 0
    out: list[str] = []
    for cell in _parse_cells(chunks, what):
        if cell.row > extent.rows or cell.col > extent.cols:
            continue
        if cell.row != row:
            if cell.row < row:  # calamine expects rows in order; a later duplicate is dropped
                continue
            if row:
                out.append("</row>")
            row = cell.row
            out.append(f'<row r="{row}">')
        attrs = dict(cell.attrs or {})
        attrs["r"] = f"{column_letter(cell.col)}{cell.row}"
        attributes = "".join(f' {k}="{_attr_escape(v)}"' for k, v in attrs.items() if ":" not in k)
        body = ""
        if cell.value is not None:
            body += f"<v>{_escape_text(''.join(cell.value))}</v>"
        if cell.inline is not None:
            body += f'<is><t xml:space="preserve">{_escape_text("".join(cell.inline))}</t></is>'
        out.append(f"<c{attributes}>{body}</c>")
        if len(out) > 4096:
            yield _clean_xml("".join(out))
            out.clear()
    if row:
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    yield _clean_xml("".join(out))


# The copy calamine parses: each tab's part headed by an empty <mergeCells/> -----------------

#: What heads each tab's XML in the copy calamine parses (headed_copy). python-calamine (0.9)
#: looks for a tab's merged cells by parsing the tab's whole XML a second time, after its cells,
#: and stops at the first <mergeCells>: headed by an empty one, that second pass ends at once
#: (relance never uses merged cells; calamine reads the cells from <sheetData> on, whatever
#: comes before it), which halves calamine's time on the big tabs.
MERGE_CELLS_FIRST = b"<mergeCells/>"
_HEAD_BYTES = 512
_UTF8_DECL = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']\s*utf-?8\s*["']""", re.I)
_NAME_START = re.compile(rb"<[A-Za-z_]")


_CRC_POLY = 0xEDB88320  # CRC-32's polynomial, reflected: bit 31 is x^0


def _mult_mod_p(a: int, b: int) -> int:
    """a times b modulo CRC-32's polynomial (zlib's multmodp; a is never 0)."""
    m, p = 1 << 31, 0
    while True:
        if a & m:
            p ^= b
            if not a & (m - 1):
                return p
        m >>= 1
        b = (b >> 1) ^ _CRC_POLY if b & 1 else b >> 1


def _x2n_table() -> tuple[int, ...]:
    p = 1 << 30  # x^1
    table = [p]
    for _ in range(31):
        p = _mult_mod_p(p, p)
        table.append(p)
    return tuple(table)


#: x^(2^n) modulo the polynomial for n < 32 (zlib's x2n_table), computed once.
_X2N = _x2n_table()


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of A + B from the CRC-32 of A, that of B and B's length (zlib 1.2.12's
    crc32_combine, which Python's zlib does not expose): a headed part's CRC without inflating
    it again."""
    if len2 <= 0:
        return crc1
    p, k = 1 << 31, 3  # x^0; a byte is 2^3 bits
    while len2:  # p = x^(8 * len2) modulo the polynomial
        if len2 & 1:
            p = _mult_mod_p(_X2N[k & 31], p)
        len2 >>= 1
        k += 1
    return _mult_mod_p(p, crc1) ^ crc2


def _data_start(src: BinaryIO, member: ZipMember) -> int | None:
    """Where a member's compressed data starts, after its local header (None: no header there)."""
    info = member.info
    src.seek(info.header_offset)
    head = src.read(_LOCAL.size)
    if len(head) != _LOCAL.size or _LOCAL.unpack(head)[0] != _LOCAL_SIG:
        return None
    name_len, extra_len = _LOCAL.unpack(head)[9:11]
    return info.header_offset + _LOCAL.size + name_len + extra_len


def may_head(src: BinaryIO, member: ZipMember) -> bool:
    """Whether a tab's part can be headed by MERGE_CELLS_FIRST and read the same: deflated or
    stored, its XML UTF-8 (declared so, or with no declaration) and starting with its declaration
    or its root element, no byte-order mark (an element before it would change the encoding)."""
    info = member.info
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.file_size < 1 or info.flag_bits & 1:
        return False  # another method, empty, or encrypted
    start = _data_start(src, member)
    if start is None:
        return False
    src.seek(start)
    raw = src.read(min(info.compress_size, 1 << 14))
    if info.compress_type == zipfile.ZIP_STORED:
        head = raw[:_HEAD_BYTES]
    else:
        try:
            head = zlib.decompressobj(-15).decompress(raw, _HEAD_BYTES)
        except zlib.error:
            return False
    if head.startswith(b"<?xml"):
        decl = head[: head.find(b"?>") + 2] if b"?>" in head else b""
        return bool(decl) and (b"encoding" not in decl or _UTF8_DECL.match(decl) is not None)
    return _NAME_START.match(head) is not None


def copy_headed(writer: RawZipWriter, src: BinaryIO, member: ZipMember, prefix: bytes) -> None:
    """Copy a member whose content becomes `prefix` + its content, without inflating it: a
    deflated member's data is preceded by one stored deflate block holding the prefix (a block
    of its own, so the data's back references, which never reach before its first byte, still
    find the same bytes), its CRC-32 combined from the prefix's and the directory's."""
    info = member.info
    start = _data_start(src, member)
    if start is None or len(prefix) > 0xFFFF:
        raise PackageError(console.ZIP_ENTRY_DAMAGED(name=repr(info.filename)), console.RESAVE())
    if info.compress_type == zipfile.ZIP_DEFLATED:  # BFINAL=0, BTYPE=00 (stored), LEN, NLEN
        lead = b"\x00" + struct.pack("<HH", len(prefix), len(prefix) ^ 0xFFFF) + prefix
    else:
        lead = prefix
    crc = crc32_combine(zlib.crc32(prefix), info.CRC, info.file_size)
    csize, usize = info.compress_size + len(lead), info.file_size + len(prefix)
    flags = info.flag_bits & ~_FLAG_DATA_DESCRIPTOR
    dos_time, dos_date = _dos_datetime(info.date_time)
    raw_name = member.raw_name
    offset = writer._offset
    writer._check_limits(csize, usize, offset)
    header = _LOCAL.pack(_LOCAL_SIG, 20, flags, info.compress_type, dos_time, dos_date, crc, csize, usize,
                         len(raw_name), 0)
    out = writer._out
    out.write(header + raw_name + lead)
    src.seek(start)
    remaining = info.compress_size
    while remaining:
        block = src.read(min(remaining, 1 << 20))
        if not block:
            raise PackageError(console.ZIP_ENTRY_TRUNCATED(name=repr(info.filename)), console.RESAVE())
        out.write(block)
        remaining -= len(block)
    writer._offset += len(header) + len(raw_name) + csize
    writer._record(raw_name=raw_name, flags=flags, method=info.compress_type, dos_time=dos_time,
                   dos_date=dos_date, crc=crc, csize=csize, usize=usize, offset=offset,
                   create_version=info.create_version, create_system=info.create_system,
                   internal_attr=info.internal_attr, external_attr=info.external_attr)


# Which tabs relance wrote: hidden defined names that follow the tab --------------------------

#: Each tab relance writes is named by a hidden workbook-level defined name `_relance_owned_<n>`
#: referring to its cell A1. Excel and LibreOffice keep defined names, rewrite their references
#: when the tab is renamed and break them (#REF!) when it is deleted; a copy of the tab does not
#: carry them (they belong to the workbook). So the mark follows the tab relance wrote, whatever
#: its name becomes, and no tab of the user's ever gets it.
OWNED_MARK = "_relance_owned"
_MARK_REF = re.compile(r"\s*=?\s*(?:'((?:[^']|'')+)'|([^'!\s\[\]][^!\[\]]*?))!\$?A\$?1\s*")


def _quoted(sheet: str) -> str:
    """A tab name as a formula writes it: between apostrophes, its own apostrophes doubled."""
    return "'" + sheet.replace("'", "''") + "'"


def owned_marks(workbook_xml: bytes, what: str = "xl/workbook.xml") -> list[str]:
    """The tab names relance's marks refer to, in the order of the marks."""
    root = _parse_xml(workbook_xml, what)
    found = []
    for container in root:
        if _local(container.tag) != "definedNames":
            continue
        for el in container:
            if _local(el.tag) != "definedName":
                continue
            if not el.get("name", "").casefold().startswith(OWNED_MARK):
                continue
            m = _MARK_REF.fullmatch(el.text or "")
            if m:
                found.append(m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2))
    return found


def _mark_pattern(prefix: str = r"(?:[\w.-]+:)?") -> re.Pattern[str]:
    return re.compile(
        rf"<{prefix}definedName\b[^>]*?\bname\s*=\s*[\"']{OWNED_MARK}[^\"']*[\"'][^>]*?"
        rf"(?:/>|>.*?</{prefix}definedName\s*>)",
        re.S | re.I,
    )


def with_owned_marks(workbook_xml: str, names: Sequence[str]) -> str:
    """workbook.xml with relance's marks naming exactly `names` (tab names), others untouched."""
    text = _mark_pattern().sub("", workbook_xml)
    if not names:
        return text

    def marks(p: str) -> str:
        return "".join(
            f'<{p}definedName name="{OWNED_MARK}_{i}" hidden="1">{_escape_text(_quoted(n))}!$A$1</{p}definedName>'
            for i, n in enumerate(names, start=1)
        )

    return _add_defined_names(text, marks)


def _add_defined_names(text: str, build: Callable[[str], str]) -> str:
    """workbook.xml with `build(prefix)` (definedName elements) appended to its definedNames,
    the container created where CT_Workbook wants it when the file has none."""
    empty = re.search(r"<(?:([\w.-]+):)?definedNames\s*/>", text)
    if empty:
        p = f"{empty.group(1)}:" if empty.group(1) else ""
        return text[: empty.start()] + f"<{p}definedNames>{build(p)}</{p}definedNames>" + text[empty.end():]
    if re.search(r"</(?:[\w.-]+:)?definedNames\s*>", text):
        return _insert_before_close(text, "definedNames", build)
    # CT_Workbook order: ... sheets, functionGroups?, externalReferences?, definedNames?, calcPr? ...
    after = None
    for local in ("sheets", "functionGroups", "externalReferences"):
        for m in re.finditer(rf"</(?:[\w.-]+:)?{local}\s*>|<(?:[\w.-]+:)?{local}\b[^>]*/>", text):
            after = m
    if after is None:
        raise PackageError(console.NO_SHEETS_ELEMENT(), _RESAVE)
    sheets = re.search(r"<(?:([\w.-]+):)?sheets\b", text)
    p = f"{sheets.group(1)}:" if sheets and sheets.group(1) else ""
    return text[: after.end()] + f"<{p}definedNames>{build(p)}</{p}definedNames>" + text[after.end():]


# The header row printed on every page of relance's tabs --------------------------------------

#: Excel's (and LibreOffice's) name for the rows repeated at the top of each printed page: a
#: defined name local to its tab (localSheetId: the tab's 0-based position among the tabs).
PRINT_TITLES = "_xlnm.Print_Titles"
_DEFINED_NAME = re.compile(
    r"<(?:[\w.-]+:)?definedName\b([^>]*?)(?:/>|>(.*?)</(?:[\w.-]+:)?definedName\s*>)", re.S
)
_AREA = re.compile(r"\s*(?:'((?:[^']|'')+)'|([^'!,\s][^'!,]*?))!([^,]+?)\s*")


def _areas(formula: str) -> list[tuple[str, str]] | None:
    """The (tab name, range) areas of a reference like `'Tab'!$1:$1,Tab!$A:$A`; None when it is
    something else (#REF!, a formula)."""
    found = []
    for piece in re.findall(r"(?:'(?:[^']|'')*'|[^,'])+", formula):
        m = _AREA.fullmatch(piece)
        if not m:
            return None
        found.append((m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2),
                      m.group(3).replace("$", "").strip()))
    return found or None


def with_print_titles(
    workbook_xml: str, tabs: Sequence[str], titled: Iterable[str], owned: Iterable[str], gone: Iterable[str] = (),
) -> str:
    """workbook.xml with the header row (row 1) of each `titled` tab repeated on every printed
    page; the same text, byte for byte, when that is so already.

    `tabs` are the workbook's tabs in order (localSheetId counts positions); `owned` the tabs
    relance owns, `titled` those of them that get print titles, `gone` the tabs relance owned
    that no longer exist. The print titles at relance's tabs are relance's: wrong ones (other
    rows, another tab's) are replaced, and those naming only relance's tabs where none of them
    is (a tab gone) removed. A user's tab's print titles are left as they are; only when a
    program reordered the tabs without renumbering the names (Excel, LibreOffice and openpyxl
    always do) is each moved back to the tab it names, its text kept.
    """
    position = {name.casefold(): i for i, name in enumerate(tabs)}
    ours = {n.casefold() for n in owned} & position.keys()
    relance = ours | {n.casefold() for n in gone}
    wanted = {position[n.casefold()] for n in titled if n.casefold() in position}
    elements = list(_DEFINED_NAME.finditer(workbook_xml))
    kept: dict[int, int] = {}  # position -> the element (index) holding its print titles
    verdicts: dict[int, int | None] = {}  # element -> None (removed) or the position it moves to
    strays: list[tuple[int, int, bool]] = []  # (element, the tab it names, whether it may stay)
    for k, m in enumerate(elements):
        attrs = {a.group(1): a.group(2) if a.group(2) is not None else a.group(3)
                 for a in _ATTR.finditer(m.group(1))}
        if attrs.get("name", "").casefold() != PRINT_TITLES.casefold():
            continue
        at = int(attrs["localSheetId"]) if re.fullmatch(r"\s*\d+\s*", attrs.get("localSheetId", "")) else -1
        target = tabs[at].casefold() if 0 <= at < len(tabs) else None
        areas = _areas(html.unescape(m.group(2) or "")) or []
        named = {t.casefold() for t, _ in areas}
        home = position.get(next(iter(named))) if len(named) == 1 else None
        rows_1 = all(r == "1:1" for _, r in areas)
        if home is not None and home != at and (tabs[home].casefold() not in ours or rows_1):
            # another tab's: it may stay where it is if it is a user's tab's and names a user's tab
            strays.append((k, home, target is not None and target not in ours and tabs[home].casefold() not in ours))
        elif named and named <= relance - {target or ""}:
            verdicts[k] = None  # relance's titles where no tab of relance's is
        elif target is not None and target not in ours:
            kept.setdefault(at, k)  # a user's tab's own: never touched
        elif target is not None and at in wanted and at not in kept and named == {target} and rows_1:
            kept[at] = k  # right already, whatever its spelling
        elif target is not None:
            verdicts[k] = None  # at relance's tab, not what relance writes there
    for k, home, may_stay in strays:
        if home not in kept and (home in wanted or tabs[home].casefold() not in ours):
            kept[home] = k
            verdicts[k] = home
        elif not may_stay:
            verdicts[k] = None
    missing = sorted(wanted - kept.keys())
    if not verdicts and not missing:
        return workbook_xml
    pieces, last = [], 0
    for k, home in sorted(verdicts.items()):
        m = elements[k]
        pieces.append(workbook_xml[last : m.start()])
        if home is not None:
            pieces.append(re.sub(r"""(\blocalSheetId\s*=\s*)(["'])[^"']*\2""", rf"\g<1>\g<2>{home}\g<2>",
                                 m.group(0), count=1))
        last = m.end()
    text = "".join([*pieces, workbook_xml[last:]])
    if not missing:
        return text
    return _add_defined_names(text, lambda p: "".join(
        f'<{p}definedName name="{PRINT_TITLES}" localSheetId="{i}">{_escape_text(_quoted(tabs[i]))}!$1:$1'
        f"</{p}definedName>" for i in missing))
