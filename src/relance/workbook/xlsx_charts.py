"""Native charts on relance's own tabs, written as DrawingML parts of the package.

An OwnedTab's `charts` become, for the worksheet part of that tab:

    xl/worksheets/_rels/sheetN.xml.rels     -> the drawing (rId1), named in <drawing r:id="rId1"/>
    xl/drawings/drawingM.xml                one xdr:oneCellAnchor per chart (top-left cell + size)
    xl/drawings/_rels/drawingM.xml.rels     -> each chart
    xl/charts/chartK.xml                    c:chartSpace: bar (columns), line or pie chart

Part numbers are the smallest ones free in the package, so they never collide with the user's
own drawings and charts. Each chart references its cells as 'Tab name'!$A$2:$A$6 and carries a
cache of their current values (c:numCache, c:strCache), so that a viewer that does not
recalculate still draws the data; Excel and LibreOffice redraw from the cells.

Element order follows the ECMA-376 schema (CT_ChartSpace, CT_BarChart, CT_BarSer...): Excel
refuses a chart part whose children are out of order.
"""

from __future__ import annotations

import datetime as dt
import math
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from relance.engine.sheets import CellValue, ChartSpec, OwnedTab
from relance.workbook import xlsx_styles
from relance.workbook.xlsx_parts import (
    MAX_COLS,
    MAX_ROWS,
    PKG_REL_NS,
    REL_NS,
    PackageError,
    column_letter,
    rels_path,
)

C_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
XDR_NS = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
REL_DRAWING = REL_NS + "/drawing"
REL_CHART = REL_NS + "/chart"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CT_RELATIONSHIPS = "application/vnd.openxmlformats-package.relationships+xml"

KINDS = ("bar", "line", "pie")
EMU_PER_CM = 360_000
MAX_SIZE_CM = 500.0
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Any two distinct ids do; these are the ones Excel tends to write, for no reason but habit.
_CAT_AX_ID, _VAL_AX_ID = 500000001, 500000002

_CELL = r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})"
_CELL_RE = re.compile(_CELL)
_RANGE_RE = re.compile(rf"{_CELL}(?::{_CELL})?")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Area:
    """A rectangle of cells, 1-based and inclusive."""

    col1: int
    row1: int
    col2: int
    row2: int

    @property
    def is_line(self) -> bool:
        return self.col1 == self.col2 or self.row1 == self.row2

    def cells(self) -> list[tuple[int, int]]:
        """(row, col) of each cell, row by row."""
        return [
            (r, c) for r in range(self.row1, self.row2 + 1) for c in range(self.col1, self.col2 + 1)
        ]

    def absolute(self) -> str:
        first = f"${column_letter(self.col1)}${self.row1}"
        if (self.col1, self.row1) == (self.col2, self.row2):
            return first
        return f"{first}:${column_letter(self.col2)}${self.row2}"


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _cell(col: str, row: str, what: str) -> tuple[int, int]:
    c, r = _column_index(col), int(row)
    if not (1 <= c <= MAX_COLS and 1 <= r <= MAX_ROWS):
        raise PackageError(f"{what} is outside the worksheet", "report this as a bug")
    return c, r


def parse_cell(ref: str, what: str = "cell") -> tuple[int, int]:
    """(column, row), 1-based, of an A1 cell reference ("H2", "$H$2")."""
    m = _CELL_RE.fullmatch(ref.strip())
    if not m:
        raise PackageError(
            f"{what} {ref!r} is not a cell reference like H2", "report this as a bug"
        )
    return _cell(m.group(1), m.group(2), f"{what} {ref!r}")


def parse_area(ref: str, what: str = "range") -> Area:
    """The cells of an A1 range on the chart's own tab ("A2:A6", "$B$2:$B$6", "C3")."""
    m = _RANGE_RE.fullmatch(ref.strip())
    if not m:
        raise PackageError(
            f"{what} {ref!r} is not a range like A2:A6 on the same tab", "report this as a bug"
        )
    c1, r1 = _cell(m.group(1), m.group(2), f"{what} {ref!r}")
    c2, r2 = _cell(m.group(3), m.group(4), f"{what} {ref!r}") if m.group(3) else (c1, r1)
    return Area(min(c1, c2), min(r1, r2), max(c1, c2), max(r1, r2))


def quote_sheet(name: str) -> str:
    """A tab name as a formula writes it: always quoted, apostrophes doubled."""
    return "'" + name.replace("'", "''") + "'"


def formula(tab_name: str, area: Area) -> str:
    return f"{quote_sheet(tab_name)}!{area.absolute()}"


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def validate_charts(tab: OwnedTab) -> None:
    """Refuse a chart that would make a broken part (checked before anything is written)."""
    for i, spec in enumerate(tab.charts, start=1):
        what = f"chart {i} ({spec.title!r}) of the tab {tab.name!r}"
        if spec.kind not in KINDS:
            raise PackageError(
                f"{what} has the kind {spec.kind!r}", f"use one of {', '.join(KINDS)}"
            )
        if not spec.series:
            raise PackageError(f"{what} has no series", "give it at least one (name, range)")
        parse_cell(spec.anchor, f"the anchor of {what}")
        if not parse_area(spec.categories, f"the categories of {what}").is_line:
            raise PackageError(
                f"the categories of {what} are not a single row or column", "report this as a bug"
            )
        for name, ref in spec.series:
            if not parse_area(ref, f"the series {name!r} of {what}").is_line:
                raise PackageError(
                    f"the series {name!r} of {what} is not a single row or column",
                    "report this as a bug",
                )
        for size in (spec.width_cm, spec.height_cm):
            if not (isinstance(size, int | float) and math.isfinite(size)):
                raise PackageError(
                    f"{what} has a size that is not a number", "report this as a bug"
                )
            if not 0 < size <= MAX_SIZE_CM:
                raise PackageError(
                    f"{what} must be more than 0 and at most {MAX_SIZE_CM:g} cm wide and high",
                    "report this as a bug",
                )


# --------------------------------------------------------------------------------------------
# XML text
# --------------------------------------------------------------------------------------------


def _text(value: str) -> str:
    """Element text: escaped, without the characters XML 1.0 cannot carry."""
    return xlsx_styles.xml_escape(_ILLEGAL_XML.sub("", value)).replace("\r", "&#13;")


def _attr(value: str) -> str:
    return xlsx_styles.xml_escape(_ILLEGAL_XML.sub("", value)).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")


def rels_xml(rels: Sequence[tuple[str, str, str]]) -> bytes:
    """A relationships part: (id, type, target) each."""
    body = "".join(
        f'<Relationship Id="{rid}" Type="{rtype}" Target="{_attr(target)}"/>'
        for rid, rtype, target in rels
    )
    return (_XML_HEAD + f'<Relationships xmlns="{PKG_REL_NS}">{body}</Relationships>').encode()


# --------------------------------------------------------------------------------------------
# Cached values
# --------------------------------------------------------------------------------------------


def _cell_value(tab: OwnedTab, row: int, col: int) -> CellValue:
    """The value relance writes at (row, col) of the tab, both 1-based."""
    if tab.header:
        if row == 1:
            line: Sequence[CellValue] = tab.header
        else:
            index = row - 2
            line = tab.rows[index] if index < len(tab.rows) else ()
    else:
        line = tab.rows[row - 1] if row - 1 < len(tab.rows) else ()
    return line[col - 1] if col - 1 < len(line) else None


def _number(value: CellValue) -> str | None:
    """The cached text of a numeric cell; None for anything a chart does not plot."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return repr(float(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return Decimal.__str__(value) if value.is_finite() else None
    return None


def _label(value: CellValue) -> str:
    """The text a cell shows, as the worksheet part writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    number = _number(value)
    if number is not None:
        return number
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str.__str__(value) if isinstance(value, str) else str(value)


def _num_cache(values: Sequence[CellValue]) -> str:
    points = "".join(
        f'<c:pt idx="{i}"><c:v>{n}</c:v></c:pt>'
        for i, v in enumerate(values)
        if (n := _number(v)) is not None
    )
    return (
        f'<c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="{len(values)}"/>'
        f"{points}</c:numCache>"
    )


def _str_cache(values: Sequence[CellValue]) -> str:
    points = "".join(
        f'<c:pt idx="{i}"><c:v>{_text(text)}</c:v></c:pt>'
        for i, v in enumerate(values)
        if (text := _label(v))
    )
    return f'<c:strCache><c:ptCount val="{len(values)}"/>{points}</c:strCache>'


def _values(tab: OwnedTab, area: Area) -> list[CellValue]:
    return [_cell_value(tab, r, c) for r, c in area.cells()]


# --------------------------------------------------------------------------------------------
# Chart part
# --------------------------------------------------------------------------------------------


def _rich(text: str, size: int, bold: bool) -> str:
    b = ' b="1"' if bold else ' b="0"'
    return (
        "<c:rich><a:bodyPr/><a:lstStyle/><a:p>"
        f'<a:pPr><a:defRPr sz="{size}"{b}/></a:pPr>'
        f'<a:r><a:rPr sz="{size}"{b}/><a:t>{_text(text)}</a:t></a:r>'
        "</a:p></c:rich>"
    )


def _series(spec: ChartSpec, tab: OwnedTab, index: int, name: str, ref: str) -> str:
    """One c:ser, its children in the order CT_BarSer / CT_LineSer / CT_PieSer require."""
    cat_area, val_area = parse_area(spec.categories), parse_area(ref)
    categories = _values(tab, cat_area)
    cat_ref = _text(formula(tab.name, cat_area))
    filled = [v for v in categories if v not in (None, "")]
    if filled and all(_number(v) is not None for v in filled):
        cat = f"<c:cat><c:numRef><c:f>{cat_ref}</c:f>{_num_cache(categories)}</c:numRef></c:cat>"
    else:
        cat = f"<c:cat><c:strRef><c:f>{cat_ref}</c:f>{_str_cache(categories)}</c:strRef></c:cat>"
    val_ref = _text(formula(tab.name, val_area))
    val = (
        f"<c:val><c:numRef><c:f>{val_ref}</c:f>{_num_cache(_values(tab, val_area))}"
        "</c:numRef></c:val>"
    )
    head = f'<c:idx val="{index}"/><c:order val="{index}"/><c:tx><c:v>{_text(name)}</c:v></c:tx>'
    if spec.kind == "bar":
        return f'<c:ser>{head}<c:invertIfNegative val="0"/>{cat}{val}</c:ser>'
    if spec.kind == "line":
        marker = '<c:marker><c:symbol val="circle"/><c:size val="5"/></c:marker>'
        return f'<c:ser>{head}{marker}{cat}{val}<c:smooth val="0"/></c:ser>'
    labels = (
        "<c:dLbls>"
        '<c:showLegendKey val="0"/><c:showVal val="0"/><c:showCatName val="0"/>'
        '<c:showSerName val="0"/><c:showPercent val="1"/><c:showBubbleSize val="0"/>'
        '<c:showLeaderLines val="1"/>'
        "</c:dLbls>"
    )
    return f"<c:ser>{head}{labels}{cat}{val}</c:ser>"


def _tick_labels(size: int) -> str:
    """c:txPr of an axis: its labels' font size (hundredths of a point)."""
    return (f'<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="{size}"/></a:pPr>'
            '<a:endParaRPr lang="fr-FR"/></a:p></c:txPr>')


def _axes(spec: ChartSpec | None = None) -> str:
    """The category and value axes; the value axis written in the chart's number format
    (amounts in their currency, percentages, days), the labels small enough not to overlap."""
    common = '<c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
    # shares side by side run from 0 to 100 %: with no share yet (a first day), a spreadsheet's
    # own scale drew an empty chart up to 1200 %
    shares = spec is not None and spec.axis == "percent" and not spec.stacked
    value_scale = ('<c:scaling><c:orientation val="minMax"/><c:max val="1"/><c:min val="0"/></c:scaling>'
                   '<c:delete val="0"/>' if shares else common)
    horizontal = spec is not None and spec.horizontal
    code = xlsx_styles.axis_format(spec.axis, spec.lang) if spec is not None and spec.axis else ""
    value_format = (f'<c:numFmt formatCode="{_attr(code)}" sourceLinked="0"/>' if code
                    else '<c:numFmt formatCode="General" sourceLinked="1"/>')
    cat_ax = (
        f'<c:catAx><c:axId val="{_CAT_AX_ID}"/>{common}<c:axPos val="{"l" if horizontal else "b"}"/>'
        '<c:numFmt formatCode="General" sourceLinked="1"/>'
        '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f"{_tick_labels(800 if horizontal else 900)}"
        f'<c:crossAx val="{_VAL_AX_ID}"/><c:crosses val="autoZero"/><c:auto val="1"/>'
        '<c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
    )
    val_ax = (
        f'<c:valAx><c:axId val="{_VAL_AX_ID}"/>{value_scale}<c:axPos val="{"b" if horizontal else "l"}"/>'
        f"<c:majorGridlines/>{value_format}"
        '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f"{_tick_labels(900)}"
        f'<c:crossAx val="{_CAT_AX_ID}"/><c:crosses val="autoZero"/>'
        '<c:crossBetween val="between"/></c:valAx>'
    )
    return cat_ax + val_ax


def chart_xml(spec: ChartSpec, tab: OwnedTab) -> bytes:
    """The c:chartSpace part of one chart, with cached values taken from the tab's rows."""
    series = "".join(_series(spec, tab, i, name, ref) for i, (name, ref) in enumerate(spec.series))
    ax_ids = f'<c:axId val="{_CAT_AX_ID}"/><c:axId val="{_VAL_AX_ID}"/>'
    if spec.kind == "bar":
        grouping = "stacked" if spec.stacked else "clustered"
        overlap = '<c:overlap val="100"/>' if spec.stacked else ""
        direction = "bar" if spec.horizontal else "col"
        plot = (
            f'<c:barChart><c:barDir val="{direction}"/><c:grouping val="{grouping}"/>'
            f'<c:varyColors val="0"/>{series}<c:gapWidth val="{80 if spec.horizontal else 150}"/>{overlap}{ax_ids}'
            "</c:barChart>" + _axes(spec)
        )
        legend_pos = "b"
    elif spec.kind == "line":
        grouping = "stacked" if spec.stacked else "standard"
        plot = (
            f'<c:lineChart><c:grouping val="{grouping}"/><c:varyColors val="0"/>{series}'
            f'<c:marker val="1"/>{ax_ids}</c:lineChart>' + _axes(spec)
        )
        legend_pos = "b"
    else:
        plot = f'<c:pieChart><c:varyColors val="1"/>{series}<c:firstSliceAng val="0"/></c:pieChart>'
        legend_pos = "r"
    if spec.title:
        title = (
            f'<c:title><c:tx>{_rich(spec.title, 1400, True)}</c:tx><c:overlay val="0"/></c:title>'
            '<c:autoTitleDeleted val="0"/>'
        )
    else:  # without this, Excel would title a one-series chart with the series name
        title = '<c:autoTitleDeleted val="1"/>'
    body = (
        f'<c:chartSpace xmlns:c="{C_NS}" xmlns:a="{A_NS}" xmlns:r="{REL_NS}">'
        '<c:date1904 val="0"/><c:roundedCorners val="0"/>'  # absent means rounded to Excel
        f"<c:chart>{title}<c:plotArea><c:layout/>{plot}</c:plotArea>"
        f'<c:legend><c:legendPos val="{legend_pos}"/><c:overlay val="0"/></c:legend>'
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
        "</c:chartSpace>"
    )
    return (_XML_HEAD + body).encode("utf-8")


# --------------------------------------------------------------------------------------------
# Drawing part
# --------------------------------------------------------------------------------------------


def emu(cm: float) -> int:
    return round(cm * EMU_PER_CM)


def drawing_xml(charts: Sequence[ChartSpec], rids: Sequence[str]) -> bytes:
    """The xdr:wsDr part: one anchor per chart, at its top-left cell, with its size in EMU."""
    anchors = []
    for i, (spec, rid) in enumerate(zip(charts, rids, strict=True), start=1):
        col, row = parse_cell(spec.anchor)
        anchors.append(
            "<xdr:oneCellAnchor>"
            f"<xdr:from><xdr:col>{col - 1}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{row - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f'<xdr:ext cx="{emu(spec.width_cm)}" cy="{emu(spec.height_cm)}"/>'
            '<xdr:graphicFrame macro="">'
            f'<xdr:nvGraphicFramePr><xdr:cNvPr id="{i + 1}" name="Chart {i}"'
            f' descr="{_attr(spec.title)}"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
            '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            f'<a:graphic><a:graphicData uri="{C_NS}"><c:chart r:id="{rid}"/></a:graphicData>'
            "</a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:oneCellAnchor>"
        )
    xml = (
        _XML_HEAD
        + f'<xdr:wsDr xmlns:xdr="{XDR_NS}" xmlns:a="{A_NS}" xmlns:c="{C_NS}" xmlns:r="{REL_NS}">'
        + "".join(anchors)
        + "</xdr:wsDr>"
    )
    return xml.encode("utf-8")


# --------------------------------------------------------------------------------------------
# The parts of one tab
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChartParts:
    """What a tab's charts add to the package."""

    drawing_rid: str  # the relationship id the worksheet's <drawing r:id> names
    sheet_rels: bytes  # the worksheet's own relationships part
    members: list[tuple[str, bytes]]  # (part name, content) of the drawing, charts and rels
    overrides: list[tuple[str, str]]  # ([Content_Types].xml part name, content type)


def free_part(pattern: str, taken: set[str]) -> str:
    """The first `pattern.format(n)`, n = 1, 2..., not in `taken` (casefolded); marks it taken."""
    n = 1
    while pattern.format(n).casefold() in taken:
        n += 1
    name = pattern.format(n)
    taken.add(name.casefold())
    return name


def _relative(source_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")


def chart_parts(tab: OwnedTab, sheet_part: str, folder: str, taken: set[str]) -> ChartParts:
    """The drawing, chart and relationship parts of `tab`'s charts, for its worksheet part.

    `folder` is the workbook's folder ("xl/"); `taken` holds the casefolded names of every part
    the package will keep, and receives the names chosen here.
    """
    drawing = free_part(folder + "drawings/drawing{}.xml", taken)
    charts = [free_part(folder + "charts/chart{}.xml", taken) for _ in tab.charts]
    rids = [f"rId{i}" for i in range(1, len(charts) + 1)]
    drawing_rels = [
        (rid, REL_CHART, _relative(drawing, c)) for rid, c in zip(rids, charts, strict=True)
    ]
    members = [
        (drawing, drawing_xml(tab.charts, rids)),
        (rels_path(drawing), rels_xml(drawing_rels)),
        *[(part, chart_xml(spec, tab)) for part, spec in zip(charts, tab.charts, strict=True)],
    ]
    overrides = [("/" + drawing, CT_DRAWING), *[("/" + c, CT_CHART) for c in charts]]
    return ChartParts(
        drawing_rid="rId1",
        sheet_rels=rels_xml([("rId1", REL_DRAWING, _relative(sheet_part, drawing))]),
        members=members,
        overrides=overrides,
    )
