"""The cell styles of relance's own tabs: the number formats, header style and wrapping that make
History, Plan, Tasks, Anomalies and the Dashboard read like the template.

A cell's look lives in the package's shared styles part (xl/styles.xml): a cell names an entry
of its `cellXfs` list by index. relance edits that part the way it edits workbook.xml: it only
appends the few entries its tabs need (a number format, the header font and fill, a cell format)
at the end of their lists, and updates their `count`, so every index the user's cells use keeps
its meaning and the rest of the part stays byte for byte as the user's program wrote it. The
entries appended by an earlier run are found again (compared by what they say, not by their
spelling) and reused: a second run leaves the part unchanged.

A package without a styles part is written as before: values without formats, dates as ISO text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from xml.etree import ElementTree as ET

from babel.numbers import get_currency_symbol

from relance.engine.formats import minor_unit
from relance.engine.sheets import CellFormat, CellValue, OwnedTab

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#: The template's header (workbook/starter.py): bold white on dark blue.
HEADER_COLOR, HEADER_FILL = "FFFFFFFF", "FF1F4E78"
_EPOCH = dt.datetime(1899, 12, 30)
#: Locale tags of the number formats: Excel and LibreOffice write the month names, and
#: LibreOffice the separators, of that language (1 234,56 € whatever the machine's locale).
_LCID = {"fr": "[$-40C]", "en": "[$-809]"}
_FIRST_CUSTOM_FORMAT = 164


@dataclass(frozen=True, slots=True)
class CellStyle:
    """What a cell looks like: a number format ("" for General), the header style, wrapping."""

    number_format: str = ""
    header: bool = False
    wrap: bool = False


HEADER = CellStyle(header=True)
WRAP = CellStyle(wrap=True)


# --------------------------------------------------------------------------------------------
# Number formats
# --------------------------------------------------------------------------------------------


def _quoted(symbol: str) -> str:
    return '"' + symbol.replace('"', "") + '"'


def money_format(currency: str, lang: str) -> str:
    """`[$-40C]#,##0.00\\ "€"` (fr) / `[$-809]"€"#,##0.00` (en): the currency's decimals and symbol."""
    code = (currency or "").strip().upper() or "EUR"
    try:
        symbol = get_currency_symbol(code, locale="fr_FR" if lang == "fr" else "en_GB")
    except (ValueError, TypeError):
        symbol = code
    digits = minor_unit(code)
    body = "#,##0" + ("." + "0" * digits if digits else "")
    if lang == "fr":
        return f"{_LCID['fr']}{body}\\ {_quoted(symbol)}"
    return f"{_LCID['en']}{_quoted(symbol)}{body}"


def number_format(fmt: CellFormat, lang: str, currency: str = "") -> str:
    """The spreadsheet number format of a CellFormat in `lang` ("" when it has none)."""
    lcid = _LCID["en" if lang == "en" else "fr"]
    french = lang != "en"
    if fmt.kind == "date":
        return f"{lcid}dd/mm/yyyy" if french else f"{lcid}d mmm yyyy"
    if fmt.kind == "datetime":
        return f"{lcid}dd/mm/yyyy hh:mm" if french else f"{lcid}d mmm yyyy hh:mm"
    if fmt.kind == "money":
        return money_format(currency or fmt.currency, lang)
    decimals = "." + "0" * fmt.digits if fmt.digits > 0 else ""
    if fmt.kind == "percent":
        return f"{lcid}0{decimals}\\ %" if french else f"0{decimals}%"
    if fmt.kind == "number":
        return f"{lcid}#,##0{decimals}"
    if fmt.kind == "integer":
        return f"{lcid}#,##0"
    return ""


def axis_format(axis: str, lang: str) -> str:
    """A chart's value axis: whole amounts in their currency, whole percentages, days."""
    lcid = _LCID["en" if lang == "en" else "fr"]
    if axis.startswith("money:"):
        full = money_format(axis.partition(":")[2], lang)
        return re.sub(r"#,##0\.0+", "#,##0", full)
    if axis == "percent":
        return f"{lcid}0\\ %" if lang != "en" else "0%"
    if axis == "days":
        return f"{lcid}#,##0"
    return ""


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------


def serial(value: dt.date) -> str:
    """A date (or a date and time) as the number a spreadsheet stores: days since 1899-12-30."""
    if isinstance(value, dt.datetime):
        moment = value.replace(tzinfo=None)
        delta = moment - _EPOCH
        days = Decimal(delta.days) + Decimal(delta.seconds) / Decimal(86400)
        return str(days.quantize(Decimal("0.0000000001")).normalize())
    return str((value - _EPOCH.date()).days)


def as_date(value: CellValue, with_time: bool) -> dt.date | None:
    """A value a date column holds (a date, or ISO text an older row kept), else None."""
    if isinstance(value, dt.datetime):
        return value if with_time else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and 10 <= len(value) <= 40 and value[:4].isdigit() and value[4:5] == "-":
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return moment.replace(tzinfo=None) if with_time else moment.date()
    return None


def is_number(value: CellValue) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value - value == 0.0
    return isinstance(value, Decimal) and value.is_finite()


@dataclass(frozen=True, slots=True)
class TabStyles:
    """The styles one tab's cells use, each by its index in the styles part."""

    index: Mapping[CellStyle, int]
    lang: str
    #: (format, currency) -> style index, filled as cells are written (one tab, one write).
    _known: dict[tuple[CellFormat, str], int | None] = field(default_factory=dict)

    def _style(self, fmt: CellFormat, currency: str) -> int | None:
        key = (fmt, currency)
        if key not in self._known:
            code = number_format(fmt, self.lang, currency)
            self._known[key] = self.index.get(CellStyle(code)) if code else None
        return self._known[key]

    def of(self, fmt: CellFormat | None, row: Sequence[CellValue], value: CellValue) -> tuple[CellValue, int | None]:
        """The value to write (a date made a number) and the style of a cell; None: no style."""
        if fmt is None or value is None or value == "":
            return value, None
        kind = fmt.kind
        if kind in ("date", "datetime"):
            day = as_date(value, kind == "datetime")
            if day is None:
                return value, None
            if kind == "datetime" and not isinstance(day, dt.datetime):
                day = dt.datetime.combine(day, dt.time())
            return _Serial(serial(day)), self._style(fmt, "")
        if kind == "wrap":
            return value, self.index.get(WRAP) if isinstance(value, str) else None
        if not is_number(value):
            return value, None
        currency = ""
        if kind == "money" and fmt.currency_column is not None and fmt.currency_column < len(row):
            currency = str(row[fmt.currency_column] or "").strip().upper()
            if not re.fullmatch(r"[A-Z]{3}", currency):
                return value, self.index.get(CellStyle("#,##0.00"))
        return value, self._style(fmt, currency)


class _Serial(str):
    """A date already written as its serial number (a str so that it is written verbatim)."""

    __slots__ = ()


def is_serial(value: object) -> bool:
    return type(value) is _Serial


def wanted(tab: OwnedTab) -> set[CellStyle]:
    """Every style a tab's cells may use."""
    lang = tab.lang
    found: set[CellStyle] = set()
    if tab.header_style and tab.header:
        found.add(HEADER)
    formats = [*tab.formats, *(f for fs in tab.row_formats.values() for f in fs)]
    currency_columns: set[int] = set()
    for fmt in formats:
        if fmt is None or fmt.kind == "text":
            continue
        if fmt.kind == "wrap":
            found.add(WRAP)
        elif fmt.kind == "money" and fmt.currency_column is not None:
            currency_columns.add(fmt.currency_column)
            found.add(CellStyle("#,##0.00"))
        else:
            found.add(CellStyle(number_format(fmt, lang)))
    if currency_columns:
        seen: set[str] = set()
        for row in tab.rows:
            for col in currency_columns:
                if col < len(row) and type(row[col]) is str and row[col] not in seen:
                    seen.add(str(row[col]))
        for currency in seen:
            code = currency.strip().upper()
            if re.fullmatch(r"[A-Z]{3}", code):
                found.add(CellStyle(money_format(code, lang)))
    return found


# --------------------------------------------------------------------------------------------
# The styles part
# --------------------------------------------------------------------------------------------

_FONT = '<{p}font><{p}b/><{p}sz val="11"/><{p}color rgb="' + HEADER_COLOR + '"/><{p}name val="Calibri"/>' \
        '<{p}family val="2"/></{p}font>'
_FILL = '<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="' + HEADER_FILL + '"/>' \
        '<{p}bgColor indexed="64"/></{p}patternFill></{p}fill>'


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _signature(el: ET.Element) -> tuple[object, ...]:
    """What an element says, whatever its spelling: tag, attributes, children (in any order)."""
    return (_local(el.tag), tuple(sorted(el.attrib.items())), tuple(sorted(_signature(c) for c in el)))


def _snippet(template: str) -> ET.Element:
    return ET.fromstring(f'<r xmlns="{MAIN_NS}">{template.format(p="")}</r>')[0]


def _xf_key(xf: ET.Element) -> tuple[str, str, str, str, bool, str, str]:
    align = next((c for c in xf if _local(c.tag) == "alignment"), None)
    wrap = align is not None and align.get("wrapText", "0") in ("1", "true")
    vertical = align.get("vertical", "") if align is not None else ""
    horizontal = align.get("horizontal", "") if align is not None else ""
    return (xf.get("numFmtId", "0"), xf.get("fontId", "0"), xf.get("fillId", "0"), xf.get("borderId", "0"),
            wrap, vertical, horizontal)


def with_styles(styles_xml: str, styles: Iterable[CellStyle]) -> tuple[str, dict[CellStyle, int]] | None:
    """The styles part with `styles` available, and the cellXfs index of each; None when the
    part is not one relance can extend safely (then the tabs are written without styles)."""
    wanted_styles = sorted(set(styles), key=lambda s: (s.number_format, s.header, s.wrap))
    try:
        root = ET.fromstring(styles_xml.encode("utf-8"))
    except ET.ParseError:
        return None
    if _local(root.tag) != "styleSheet" or not root.tag.startswith("{" + MAIN_NS + "}"):
        return None
    children = {_local(c.tag): c for c in root}
    if not all(k in children for k in ("fonts", "fills", "cellXfs")):
        return None
    numfmts = {nf.get("formatCode", ""): nf.get("numFmtId", "") for nf in children.get("numFmts", [])}
    used_ids = [int(i) for i in numfmts.values() if i.isdigit()]
    next_id = max([_FIRST_CUSTOM_FORMAT - 1, *used_ids]) + 1
    fonts, fills, xfs = list(children["fonts"]), list(children["fills"]), list(children["cellXfs"])
    if not xfs:
        return None
    new_formats: list[str] = []
    new_fonts: list[str] = []
    new_fills: list[str] = []
    new_xfs: list[str] = []
    font_id = fill_id = ""
    if any(s.header for s in wanted_styles):
        font_sig, fill_sig = _signature(_snippet(_FONT)), _signature(_snippet(_FILL))
        font_id = next((str(i) for i, f in enumerate(fonts) if _signature(f) == font_sig), "")
        if not font_id:
            font_id = str(len(fonts))
            new_fonts.append(_FONT)
        fill_id = next((str(i) for i, f in enumerate(fills) if _signature(f) == fill_sig), "")
        if not fill_id:
            fill_id = str(len(fills))
            new_fills.append(_FILL)
    keys: dict[tuple[str, str, str, str, bool, str, str], int] = {}
    for i, xf in enumerate(xfs):
        keys.setdefault(_xf_key(xf), i)
    found: dict[CellStyle, int] = {}
    for style in wanted_styles:
        fmt_id = "0"
        if style.number_format:
            fmt_id = numfmts.get(style.number_format, "")
            if not fmt_id:
                fmt_id = numfmts[style.number_format] = str(next_id)
                next_id += 1
                new_formats.append(f'<{{p}}numFmt numFmtId="{fmt_id}" formatCode="{_attr(style.number_format)}"/>')
        key = (fmt_id, font_id if style.header else "0", fill_id if style.header else "0", "0",
               style.wrap, "top" if style.wrap else ("center" if style.header else ""), "")
        if key in keys:
            found[style] = keys[key]
            continue
        attrs = f'numFmtId="{fmt_id}" fontId="{key[1]}" fillId="{key[2]}" borderId="0" xfId="0"'
        if style.number_format:
            attrs += ' applyNumberFormat="1"'
        if style.header:
            attrs += ' applyFont="1" applyFill="1"'
        align = ""
        if style.wrap or style.header:
            attrs += ' applyAlignment="1"'
            align = '<{p}alignment wrapText="1" vertical="top"/>' if style.wrap else '<{p}alignment vertical="center"/>'
        new_xfs.append(f"<{{p}}xf {attrs}>{align}</{{p}}xf>" if align else f"<{{p}}xf {attrs}/>")
        keys[key] = found[style] = len(xfs) + len(new_xfs) - 1
    text = styles_xml
    for local, items in (("cellXfs", new_xfs), ("fills", new_fills), ("fonts", new_fonts)):
        if items:
            text = _append(text, local, items)
    if new_formats:
        if "numFmts" in children:
            text = _append(text, "numFmts", new_formats)
        else:
            text = _first_child(text, "numFmts", new_formats)
    return text, found


def xml_escape(text: str) -> str:
    """&, < and > escaped, as xml.sax.saxutils.escape does (the same bytes): that module
    imports urllib.request, and with it http.client and ssl, 7 ms of every run's startup."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def _attr(value: str) -> str:
    return xml_escape(value).replace('"', "&quot;")


def _append(text: str, local: str, items: Sequence[str]) -> str:
    """Append `items` to the element `local` and raise its count by as many."""
    opening = re.search(rf"<(?:([\w.-]+):)?{local}\b([^>]*?)(/?)>", text)
    if opening is None:
        return text
    prefix = f"{opening.group(1)}:" if opening.group(1) else ""
    body = "".join(item.format(p=prefix) for item in items)
    attrs = opening.group(2)
    count = re.search(r'\bcount\s*=\s*["\'](\d+)["\']', attrs)
    if count is not None:
        attrs = attrs[: count.start(1)] + str(int(count.group(1)) + len(items)) + attrs[count.end(1):]
    if opening.group(3):  # <cellXfs count="0"/>
        tag = f"<{prefix}{local}{attrs}>{body}</{prefix}{local}>"
        return text[: opening.start()] + tag + text[opening.end():]
    head = f"<{prefix}{local}{attrs}>"
    text = text[: opening.start()] + head + text[opening.end():]
    closing = re.compile(rf"</{re.escape(prefix)}{local}\s*>")
    found = closing.search(text, opening.start() + len(head))
    if found is None:
        return text
    return text[: found.start()] + body + text[found.start():]


def _first_child(text: str, local: str, items: Sequence[str]) -> str:
    """A new first child `local` of the styleSheet (numFmts comes first in CT_Stylesheet)."""
    root = re.search(r"<(?:([\w.-]+):)?styleSheet\b[^>]*>", text)
    if root is None:
        return text
    prefix = f"{root.group(1)}:" if root.group(1) else ""
    body = "".join(item.format(p=prefix) for item in items)
    element = f'<{prefix}{local} count="{len(items)}">{body}</{prefix}{local}>'
    return text[: root.end()] + element + text[root.end():]
