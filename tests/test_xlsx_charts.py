"""Native charts on relance's own tabs (.xlsx): DrawingML parts written beside the user's.

The fixture workbooks are made with openpyxl and already hold the user's own charts; results are
read back with openpyxl, checked at the byte level of the zip, against the element order of the
schema, and drawn by LibreOffice when it is installed.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import struct
import subprocess
import zipfile
import zlib
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from python_calamine import CalamineWorkbook

from relance.engine.errors import WorkbookError
from relance.engine.sheets import CellValue, ChartSpec, OwnedTab
from relance.workbook import xlsx_charts, xlsx_parts
from relance.workbook.xlsx import XlsxBackend

EDITED_PARTS = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}
C = {"c": xlsx_charts.C_NS, "a": xlsx_charts.A_NS, "xdr": xlsx_charts.XDR_NS}
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
CHART_PART = re.compile(r"xl/(charts|drawings)/")

HEADER = ["mois", "encours", "en_retard", "relances"]
ROWS: list[list[CellValue]] = [
    ["2025-01", Decimal("1200.50"), 300, 5],
    ["2025-02", Decimal("900"), 650, 3],
    ["2025-03", 1500, 200.5, 8],
    ["2025-04", 700, 900, 2],
    ["2025-05", 1100, None, 6],
]
BAR = ChartSpec(
    "bar",
    "Encours par mois",
    "A2:A6",
    [("Encours", "B2:B6"), ("En retard", "C2:C6")],
    "A8",
    width_cm=12,
    height_cm=5.5,
)
LINE = ChartSpec("line", "Relances envoyées", "A2:A6", [("Relances", "D2:D6")], "A20", 12, 5.5)
PIE = ChartSpec("pie", "Répartition de l'encours", "A2:A6", [("Encours", "B2:B6")], "A32", 10, 5.5)


def dashboard(*charts: ChartSpec, name: str = "Dashboard") -> OwnedTab:
    return OwnedTab(name, HEADER, ROWS, widths=[12, 12, 12, 12], charts=charts or (BAR, LINE, PIE))


def make_user_book(path: Path) -> Path:
    """A user's workbook with a chart on a sheet, a chart on another sheet and a chart sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Factures"
    ws.append(["numero", "montant_ttc"])
    ws.append(["F-001", 1200.5])
    ws.append(["F-002", 300])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    ws.add_chart(chart, "D2")
    suivi = wb.create_sheet("Suivi")
    suivi.append(["semaine", "retard"])
    for week in range(1, 5):
        suivi.append([week, week * 10])
    line = LineChart()
    line.add_data(Reference(suivi, min_col=2, min_row=1, max_row=5), titles_from_data=True)
    suivi.add_chart(line, "D2")
    chartsheet = wb.create_chartsheet("Graphique")
    sheet_chart = PieChart()
    sheet_chart.add_data(Reference(ws, min_col=2, min_row=2, max_row=3))
    chartsheet.add_chart(sheet_chart)
    wb.save(path)
    return path


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return make_user_book(tmp_path / "relances.xlsx")


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def raw_members(path: Path) -> dict[str, tuple[int, int, bytes]]:
    """Each member's compression, CRC and compressed bytes, as stored in the file."""
    out = {}
    with open(path, "rb") as f, zipfile.ZipFile(f) as zf:
        for info in zf.infolist():
            f.seek(info.header_offset)
            head = f.read(30)
            name_len, extra_len = struct.unpack("<HH", head[26:30])
            f.seek(info.header_offset + 30 + name_len + extra_len)
            out[info.filename] = (info.compress_type, info.CRC, f.read(info.compress_size))
    return out


def chart_members(path: Path) -> list[str]:
    return sorted(n for n in members(path) if CHART_PART.match(n))


def sheet_part(path: Path, tab: str) -> str:
    parts = members(path)
    rels = xlsx_parts.parse_relationships(parts["xl/_rels/workbook.xml.rels"], "rels")
    sheets = xlsx_parts.parse_sheets(parts["xl/workbook.xml"], rels, "xl/workbook.xml")
    part = next(s.part for s in sheets if s.name == tab)
    assert part is not None
    return part


def targets(parts: dict[str, bytes], part: str) -> dict[str, str]:
    """Relationship id -> target part of `part`'s relationships."""
    rels = xlsx_parts.parse_relationships(parts[xlsx_parts.rels_path(part)], part)
    folder = posixpath.dirname(part)
    return {r.rid: xlsx_parts.resolve_target(folder, r.target) for r in rels}


def tab_charts(path: Path, tab: str) -> list[str]:
    """The chart parts drawn on a tab, in drawing order, followed through the relationships."""
    parts = members(path)
    sheet = sheet_part(path, tab)
    sheet_xml = ET.fromstring(parts[sheet])
    drawing_el = sheet_xml.find(f"{{{xlsx_parts.MAIN_NS}}}drawing")
    if drawing_el is None:
        return []
    drawing = targets(parts, sheet)[drawing_el.get(f"{{{xlsx_parts.REL_NS}}}id", "")]
    by_rid = targets(parts, drawing)
    root = ET.fromstring(parts[drawing])
    return [
        by_rid[el.get(f"{{{xlsx_parts.REL_NS}}}id", "")] for el in root.iter(f"{{{C['c']}}}chart")
    ]


def check_package_consistency(path: Path) -> None:
    """Every override names a member, every chart and drawing has its content type, and every
    internal relationship points to a member."""
    parts = members(path)
    types = ET.fromstring(parts["[Content_Types].xml"])
    overrides = {
        el.get("PartName", "").lstrip("/"): el.get("ContentType")
        for el in types.iter(f"{{{CT_NS}}}Override")
    }
    assert len(overrides) == len(types.findall(f"{{{CT_NS}}}Override")), "duplicate overrides"
    assert not [p for p in overrides if p not in parts], "overrides of missing parts"
    for name in parts:
        if re.fullmatch(r"xl/charts/chart\d+\.xml", name):
            assert overrides.get(name) == xlsx_charts.CT_CHART, name
        if re.fullmatch(r"xl/drawings/drawing\d+\.xml", name):
            assert overrides.get(name) == xlsx_charts.CT_DRAWING, name
    for name, data in parts.items():
        source = xlsx_parts.rels_source(name)
        if source is None:
            continue
        if source:
            assert source in parts, f"{name} belongs to no part"
        rels = xlsx_parts.parse_relationships(data, name)
        for target in xlsx_parts.relationship_targets(rels, source):
            assert target in parts, f"{name} points to the missing {target}"


# ------------------------------------------------------------------------------ what is written


def test_charts_are_drawn_on_the_tab_and_read_back_by_openpyxl(book: Path) -> None:
    XlsxBackend(book).write([dashboard()])

    loaded = openpyxl.load_workbook(book)
    assert loaded.sheetnames == ["Factures", "Suivi", "Graphique", "Dashboard"]
    charts = loaded["Dashboard"]._charts
    assert [type(c) for c in charts] == [BarChart, LineChart, PieChart]
    bar, line, pie = charts
    assert bar.type == "col" and bar.grouping == "clustered"
    assert [(s.tx.v, s.val.numRef.f, s.cat.strRef.f) for s in bar.series] == [
        ("Encours", "'Dashboard'!$B$2:$B$6", "'Dashboard'!$A$2:$A$6"),
        ("En retard", "'Dashboard'!$C$2:$C$6", "'Dashboard'!$A$2:$A$6"),
    ]
    assert [(s.tx.v, s.val.numRef.f) for s in line.series] == [
        ("Relances", "'Dashboard'!$D$2:$D$6")
    ]
    assert [(s.tx.v, s.val.numRef.f) for s in pie.series] == [("Encours", "'Dashboard'!$B$2:$B$6")]
    titles = [c.title.tx.rich.p[0].r[0].t for c in charts]
    assert titles == ["Encours par mois", "Relances envoyées", "Répartition de l'encours"]
    anchors = [(c.anchor._from.col, c.anchor._from.row, c.anchor.ext.width) for c in charts]
    assert anchors == [(0, 7, 12 * 360_000), (0, 19, 12 * 360_000), (0, 31, 10 * 360_000)]
    assert charts[0].anchor.ext.height == round(5.5 * 360_000)
    # the user's charts are still where they were
    assert len(loaded["Factures"]._charts) == 1
    assert len(loaded["Suivi"]._charts) == 1
    assert len(loaded["Graphique"]._charts) == 1
    assert loaded["Factures"]._charts[0].series[0].val.numRef.f == "'Factures'!$B$2:$B$3"

    # the cells keep reading as before
    book_ = CalamineWorkbook.from_path(str(book))
    try:
        rows = book_.get_sheet_by_name("Dashboard").to_python()
    finally:
        book_.close()
    assert rows[0] == HEADER and rows[1] == ["2025-01", 1200.5, 300, 5]
    check_package_consistency(book)


def test_the_users_parts_stay_byte_identical(book: Path) -> None:
    before = raw_members(book)
    types_before = members(book)["[Content_Types].xml"].decode()
    backend = XlsxBackend(book)
    backend.write([dashboard()])
    backend.write([dashboard(BAR, PIE)])
    after = raw_members(book)
    for name, stored in before.items():
        if name in EDITED_PARTS:
            continue
        assert after.get(name) == stored, f"{name} changed"
    new = set(after) - set(before)
    assert new == {
        "xl/worksheets/sheet4.xml",
        "xl/worksheets/_rels/sheet4.xml.rels",
        "xl/drawings/drawing4.xml",
        "xl/drawings/_rels/drawing4.xml.rels",
        "xl/charts/chart4.xml",
        "xl/charts/chart5.xml",
    }
    # the edited parts only gained elements for the new tab and its parts
    types = members(book)["[Content_Types].xml"].decode()
    new_overrides = r"/xl/(worksheets/sheet4|drawings/drawing4|charts/chart[45])\.xml"
    assert re.sub(f'<Override PartName="{new_overrides}"[^>]*/>', "", types) == types_before


def test_rewriting_the_tab_replaces_its_charts_without_accumulating(book: Path) -> None:
    backend = XlsxBackend(book)
    user_parts = chart_members(book)
    backend.write([dashboard()])
    first = chart_members(book)
    assert len(first) == len(user_parts) + 2 + 3  # a drawing, its rels, three charts

    backend.write([dashboard()])
    assert chart_members(book) == first  # the same names, reused
    backend.write([OwnedTab("History", ["run_id"], [["r1"]])])  # another tab: nothing moves
    assert chart_members(book) == first

    backend.write([dashboard(PIE)])
    assert len(chart_members(book)) == len(user_parts) + 2 + 1
    check_package_consistency(book)
    backend.write([dashboard()])
    assert chart_members(book) == first
    check_package_consistency(book)
    names = tab_charts(book, "Dashboard")
    plots = [ET.fromstring(members(book)[n]).find("c:chart/c:plotArea", C) for n in names]
    kinds = [p[1].tag.split("}")[1] for p in plots if p is not None]
    assert kinds == ["barChart", "lineChart", "pieChart"]

    # without charts the tab loses its drawing, and only the user's parts are left
    backend.write([OwnedTab("Dashboard", HEADER, ROWS)])
    assert chart_members(book) == user_parts
    assert tab_charts(book, "Dashboard") == []
    assert xlsx_parts.rels_path(sheet_part(book, "Dashboard")) not in members(book)
    types = members(book)["[Content_Types].xml"].decode()
    assert types.count("drawingml.chart+xml") == 3  # the user's three charts
    check_package_consistency(book)


def test_an_owned_tab_keeps_no_drawing_of_its_previous_content(tmp_path: Path) -> None:
    """A chart the user had put on the tab relance owns goes with the tab's old content; the
    chart of another tab that reads the same cells stays."""
    path = tmp_path / "b.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Dashboard"
    ws.append(["a", 1])
    ws.append(["b", 2])
    own = BarChart()
    own.add_data(Reference(ws, min_col=2, min_row=1, max_row=2))
    ws.add_chart(own, "D2")
    other = wb.create_sheet("Notes")
    theirs = LineChart()
    theirs.add_data(Reference(ws, min_col=2, min_row=1, max_row=2))
    other.add_chart(theirs, "B2")
    wb.save(path)
    notes_chart = tab_charts(path, "Notes")
    kept = {n: d for n, d in members(path).items() if n in notes_chart}

    XlsxBackend(path).write([dashboard(BAR)])
    parts = members(path)
    assert {n: parts[n] for n in kept} == kept
    assert len(tab_charts(path, "Dashboard")) == 1
    assert len([n for n in parts if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]) == 2
    check_package_consistency(path)
    assert len(openpyxl.load_workbook(path)["Notes"]._charts) == 1


def test_orphaned_parts_spares_what_something_else_still_references() -> None:
    graph = {
        "": ["xl/workbook.xml"],
        "xl/workbook.xml": ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"],
        "xl/worksheets/sheet1.xml": ["xl/drawings/drawing1.xml"],
        "xl/drawings/drawing1.xml": ["xl/media/image1.png", "xl/charts/chart1.xml"],
        "xl/worksheets/sheet2.xml": ["xl/drawings/drawing2.xml", "xl/comments1.xml"],
        "xl/drawings/drawing2.xml": ["xl/media/image1.png", "xl/charts/chart2.xml"],
        "xl/charts/chart2.xml": ["xl/charts/style2.xml", "xl/worksheets/sheet1.xml"],
    }
    assert xlsx_parts.orphaned_parts(graph, {"xl/worksheets/sheet2.xml"}) == {
        "xl/drawings/drawing2.xml",
        "xl/comments1.xml",
        "xl/charts/chart2.xml",
        "xl/charts/style2.xml",
    }
    assert xlsx_parts.orphaned_parts(graph, {"xl/worksheets/sheet1.xml"}) == {
        "xl/drawings/drawing1.xml",
        "xl/charts/chart1.xml",
    }
    assert xlsx_parts.rels_source("_rels/.rels") == ""
    assert xlsx_parts.rels_source("xl/worksheets/_rels/sheet2.xml.rels") == (
        "xl/worksheets/sheet2.xml"
    )
    assert xlsx_parts.rels_source("xl/worksheets/sheet2.xml") is None


def test_part_names_skip_the_users_numbers() -> None:
    taken = {"xl/charts/chart1.xml", "xl/charts/chart2.xml", "xl/charts/chart4.xml"}
    names = [xlsx_charts.free_part("xl/charts/chart{}.xml", taken) for _ in range(3)]
    assert names == ["xl/charts/chart3.xml", "xl/charts/chart5.xml", "xl/charts/chart6.xml"]
    assert xlsx_charts.free_part("xl/charts/chart{}.xml", {"xl/charts/chart1.xml"}) == (
        "xl/charts/chart2.xml"
    )


def test_a_book_without_any_drawing_gets_its_first(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "x"
    wb.save(path)
    XlsxBackend(path).write([dashboard(BAR, name="Tableau de bord")])
    assert chart_members(path) == [
        "xl/charts/chart1.xml",
        "xl/drawings/_rels/drawing1.xml.rels",
        "xl/drawings/drawing1.xml",
    ]
    assert tab_charts(path, "Tableau de bord") == ["xl/charts/chart1.xml"]
    check_package_consistency(path)
    (chart,) = openpyxl.load_workbook(path)["Tableau de bord"]._charts
    assert chart.series[0].val.numRef.f == "'Tableau de bord'!$B$2:$B$6"


# ------------------------------------------------------------------------------ the XML itself


def test_references_and_cached_values(tmp_path: Path) -> None:
    name = "Suivi d'Encours & <Co>"
    stacked = ChartSpec(
        "bar", "", "$A$2:$A$6", [("A & B", "b2:b6"), ("C", "C6:C2")], "$H$2", 16, 8, stacked=True
    )
    numeric = ChartSpec("line", "Par année", "E2:E4", [("n", "B2:B4")], "AA10")
    tab = OwnedTab(name, [*HEADER, "annee"], [[*r, 2020 + i] for i, r in enumerate(ROWS)])
    tab = OwnedTab(tab.name, tab.header, tab.rows, charts=[stacked, numeric])

    root = ET.fromstring(xlsx_charts.chart_xml(stacked, tab))
    bar = root.find("c:chart/c:plotArea/c:barChart", C)
    assert bar is not None
    assert bar.find("c:barDir", C).get("val") == "col"  # type: ignore[union-attr]
    assert bar.find("c:grouping", C).get("val") == "stacked"  # type: ignore[union-attr]
    assert bar.find("c:overlap", C).get("val") == "100"  # type: ignore[union-attr]
    assert root.find("c:chart/c:title", C) is None
    assert root.find("c:chart/c:autoTitleDeleted", C).get("val") == "1"  # type: ignore[union-attr]
    first, second = bar.findall("c:ser", C)
    assert first.findtext("c:tx/c:v", namespaces=C) == "A & B"
    quoted = "'Suivi d''Encours & <Co>'"
    assert first.findtext("c:cat/c:strRef/c:f", namespaces=C) == f"{quoted}!$A$2:$A$6"
    assert first.findtext("c:val/c:numRef/c:f", namespaces=C) == f"{quoted}!$B$2:$B$6"
    assert second.findtext("c:val/c:numRef/c:f", namespaces=C) == f"{quoted}!$C$2:$C$6"
    cats = [
        p.findtext("c:v", namespaces=C) for p in first.findall("c:cat/c:strRef/c:strCache/c:pt", C)
    ]
    assert cats == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"]
    values = {
        p.get("idx"): p.findtext("c:v", namespaces=C)
        for p in second.findall("c:val/c:numRef/c:numCache/c:pt", C)
    }
    assert values == {"0": "300", "1": "650", "2": "200.5", "3": "900"}  # C6 is empty
    assert second.find("c:val/c:numRef/c:numCache/c:ptCount", C).get("val") == "5"  # type: ignore[union-attr]
    cached = [v.text for v in first.findall("c:val/c:numRef/c:numCache/c:pt/c:v", C)]
    assert cached == ["1200.50", "900", "1500", "700", "1100"]  # Decimals as written

    line = ET.fromstring(xlsx_charts.chart_xml(numeric, tab))
    cat = line.find(".//c:ser/c:cat/c:numRef", C)  # numbers as categories stay numbers
    assert cat is not None and cat.findtext("c:f", namespaces=C) == f"{quoted}!$E$2:$E$4"
    assert [p.findtext("c:v", namespaces=C) for p in cat.findall("c:numCache/c:pt", C)] == [
        "2020",
        "2021",
        "2022",
    ]
    assert line.find(".//c:ser/c:smooth", C).get("val") == "0"  # type: ignore[union-attr]

    drawing = ET.fromstring(xlsx_charts.drawing_xml([stacked, numeric], ["rId1", "rId2"]))
    anchors = drawing.findall("xdr:oneCellAnchor", C)
    got = [
        (
            a.findtext("xdr:from/xdr:col", namespaces=C),
            a.findtext("xdr:from/xdr:row", namespaces=C),
            a.find("xdr:ext", C).get("cx"),  # type: ignore[union-attr]
            a.find("xdr:ext", C).get("cy"),  # type: ignore[union-attr]
        )
        for a in anchors
    ]
    assert got == [("7", "1", "5760000", "2880000"), ("26", "9", "5760000", "2880000")]

    path = make_user_book(tmp_path / "b.xlsx")
    XlsxBackend(path).write([tab])
    (chart, line_chart) = openpyxl.load_workbook(path)[name]._charts
    assert chart.grouping == "stacked"
    assert chart.series[0].val.numRef.f == f"{quoted}!$B$2:$B$6"


# The order of child elements the schema (ECMA-376, transitional) requires; Excel refuses a
# part whose children are out of order. Taken from openpyxl's schema-derived classes where it
# has them, spelt out from the schema otherwise.
def _schema_orders() -> dict[str, tuple[str, ...]]:
    from openpyxl.chart import (
        axis,
        bar_chart,
        chartspace,
        data_source,
        legend,
        line_chart,
        pie_chart,
        series,
        title,
    )
    from openpyxl.drawing import graphic, spreadsheet_drawing

    def names(elements: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(e.lstrip("_") for e in elements)

    return {
        "chartSpace": names(chartspace.ChartSpace.__elements__) + ("extLst",),
        "chart": names(chartspace.ChartContainer.__elements__) + ("extLst",),
        "barChart": names(bar_chart.BarChart.__elements__) + ("extLst",),
        "lineChart": names(line_chart.LineChart.__elements__) + ("extLst",),
        "pieChart": names(pie_chart.PieChart.__elements__) + ("extLst",),
        "bar ser": series.attribute_mapping["bar"] + ("extLst",),
        "line ser": series.attribute_mapping["line"] + ("extLst",),
        "pie ser": series.attribute_mapping["pie"] + ("extLst",),
        "catAx": names(axis.TextAxis.__elements__) + ("extLst",),
        "valAx": names(axis.NumericAxis.__elements__) + ("extLst",),
        "legend": names(legend.Legend.__elements__) + ("extLst",),
        "title": names(title.Title.__elements__) + ("extLst",),
        "numRef": ("f", "numCache", "extLst"),
        "strRef": ("f", "strCache", "extLst"),
        "numCache": names(data_source.NumData.__elements__) + ("extLst",),
        "strCache": names(data_source.StrData.__elements__) + ("extLst",),
        "tx": ("strRef", "rich", "v"),
        # CT_DLbls (openpyxl swaps the last two): dLbl*, delete | (numFmt ... showLeaderLines)
        "dLbls": ("dLbl", "delete", "numFmt", "spPr", "txPr", "dLblPos", "showLegendKey",
                  "showVal", "showCatName", "showSerName", "showPercent", "showBubbleSize",
                  "separator", "showLeaderLines", "leaderLines", "extLst"),  # fmt: skip
        "plotArea": ("layout", "barChart", "lineChart", "pieChart", "catAx", "valAx", "dTable",
                     "spPr", "extLst"),  # fmt: skip
        "wsDr": ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor"),
        "oneCellAnchor": names(spreadsheet_drawing.OneCellAnchor.__elements__),
        "graphicFrame": names(graphic.GraphicFrame.__elements__),
        "nvGraphicFramePr": names(graphic.NonVisualGraphicFrame.__elements__),
        # CT_Worksheet
        "worksheet": ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols",
                      "sheetData", "sheetCalcPr", "sheetProtection", "protectedRanges",
                      "scenarios", "autoFilter", "sortState", "dataConsolidate",
                      "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
                      "dataValidations", "hyperlinks", "printOptions", "pageMargins",
                      "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
                      "customProperties", "cellWatches", "ignoredErrors", "smartTags",
                      "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture",
                      "oleObjects", "controls", "webPublishItems", "tableParts", "extLst"),
    }  # fmt: skip


def _check_order(
    el: ET.Element, orders: dict[str, tuple[str, ...]], checked: set[str], parent: str = ""
) -> None:
    tag = el.tag.split("}")[1]
    key = f"{parent.removesuffix('Chart')} ser" if tag == "ser" else tag
    children = [c.tag.split("}")[1] for c in el]
    order = orders.get(key)
    if order is not None:
        unknown = [c for c in children if c not in order]
        assert not unknown, f"<{tag}> has children the schema does not allow there: {unknown}"
        positions = [order.index(c) for c in children]
        assert positions == sorted(positions), f"<{tag}> children out of order: {children}"
        checked.add(key)
    for child in el:
        _check_order(child, orders, checked, tag)


def test_generated_parts_follow_the_schema_order(book: Path) -> None:
    XlsxBackend(book).write([dashboard()])
    parts = members(book)
    orders = _schema_orders()
    checked: set[str] = set()
    for name in tab_charts(book, "Dashboard"):
        _check_order(ET.fromstring(parts[name]), orders, checked)
    sheet = sheet_part(book, "Dashboard")
    drawing = targets(parts, sheet)["rId1"]
    _check_order(ET.fromstring(parts[drawing]), orders, checked)
    worksheet = ET.fromstring(parts[sheet])
    _check_order(worksheet, orders, checked)
    assert [c.tag.split("}")[1] for c in worksheet][-3:] == ["autoFilter", "pageMargins", "drawing"]
    assert checked >= {
        "chartSpace", "chart", "plotArea", "barChart", "lineChart", "pieChart", "bar ser",
        "line ser", "pie ser", "catAx", "valAx", "legend", "title", "numRef", "strRef",
        "numCache", "strCache", "dLbls", "wsDr", "oneCellAnchor", "graphicFrame", "worksheet",
    }  # fmt: skip


# ------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (ChartSpec("area", "t", "A2:A6", [("s", "B2:B6")], "H2"), "has the kind 'area'"),
        (ChartSpec("bar", "t", "A2:A6", [], "H2"), "has no series"),
        (ChartSpec("bar", "t", "A2:A6", [("s", "Factures!B2:B6")], "H2"), "is not a range"),
        (ChartSpec("bar", "t", "A2:B6", [("s", "B2:B6")], "H2"), "not a single row or column"),
        (ChartSpec("bar", "t", "A2:A6", [("s", "B2:C6")], "H2"), "not a single row or column"),
        (ChartSpec("bar", "t", "A2:A6", [("s", "B2:B6")], "H0"), "outside the worksheet"),
        (ChartSpec("bar", "t", "A2:A6", [("s", "B2:B6")], "XFE1"), "outside the worksheet"),
        (ChartSpec("bar", "t", "A2:A6", [("s", "B2:B6")], "2H"), "not a cell reference"),
        (ChartSpec("line", "t", "A2:A6", [("s", "B2:B6")], "H2", 0, 8), "more than 0"),
        (ChartSpec("pie", "t", "A2:A6", [("s", "B2:B6")], "H2", 16, float("nan")), "not a number"),
    ],
)
def test_invalid_charts_are_refused_before_anything_is_written(
    book: Path, spec: ChartSpec, message: str
) -> None:
    original = book.read_bytes()
    with pytest.raises(WorkbookError, match=re.escape(message)):
        XlsxBackend(book).write([dashboard(spec)])
    assert book.read_bytes() == original


# ------------------------------------------------------------------------------ LibreOffice


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def png_pixels(data: bytes) -> tuple[int, int, int, bytes]:
    """Width, height, channels and raw 8-bit pixels of a non-interlaced PNG (no Pillow)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, []
    width = height = depth = color = interlace = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    assert depth == 8 and interlace == 0 and color in (0, 2, 4, 6), (depth, color, interlace)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    out = bytearray()
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind_ = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = prev[i]
            if kind_ == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind_ == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind_ == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind_ == 4:
                up_left = prev[i - channels] if i >= channels else 0
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                line[i] = (line[i] + pred) & 0xFF
        out += line
        prev = line
    return width, height, channels, bytes(out)


@pytest.mark.slow
@pytest.mark.skipif(_soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_draws_the_charts(book: Path, tmp_path: Path) -> None:
    backend = XlsxBackend(book)
    backend.write([dashboard()])
    backend.write([dashboard()])  # a replaced tab, as after a second run
    out = tmp_path / "out"
    result = subprocess.run(
        [
            _soffice() or "soffice",
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(book),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    pdf = out / "relances.pdf"
    assert pdf.exists(), result.stdout + result.stderr
    if not all(shutil.which(tool) for tool in ("pdfinfo", "pdftotext", "pdftoppm")):
        pytest.skip("poppler-utils (pdfinfo, pdftotext, pdftoppm) is not installed")

    def page_text(page: int) -> str:
        return subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout  # fmt: skip

    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=60
    ).stdout).group(1))  # type: ignore[union-attr]  # fmt: skip
    texts = {page: page_text(page) for page in range(1, pages + 1)}
    # the Dashboard's page: its cells, and the titles LibreOffice drew for the three charts
    page = next(p for p, t in texts.items() if "en_retard" in t)
    for chart_title in ("Encours par mois", "Relances envoyées", "Répartition de l'encours"):
        assert chart_title in texts[page], texts[page]
    assert re.search(r"\b22\s?%", texts[page])  # a pie label: 1200.5 of 5400.5

    subprocess.run(
        ["pdftoppm", "-f", str(page), "-l", str(page), "-r", "50", "-png", "-singlefile",
         str(pdf), str(tmp_path / "dashboard")],
        check=True, timeout=120,
    )  # fmt: skip
    width, height, channels, pixels = png_pixels((tmp_path / "dashboard.png").read_bytes())
    assert channels >= 3
    non_white = colored = 0
    hues: set[tuple[int, int, int]] = set()
    for i in range(0, width * height * channels, channels):
        r, g, b = pixels[i], pixels[i + 1], pixels[i + 2]
        if min(r, g, b) < 235:
            non_white += 1
        if max(r, g, b) - min(r, g, b) > 60:  # not black, grey or white: a bar, a line, a slice
            colored += 1
            hues.add((r >> 6, g >> 6, b >> 6))
    assert non_white > 0.03 * width * height, "the Dashboard page is blank"
    assert colored > 3000, f"no chart drawn ({colored} coloured pixels)"
    assert len(hues) >= 4, hues  # two bar series and five pie slices in distinct colours


def test_shares_side_by_side_are_drawn_from_0_to_100_percent() -> None:
    tab = OwnedTab("T", HEADER, [list(r) for r in ROWS])
    shares = ChartSpec("bar", "", "A2:A6", [("7 j", "B2:B6")], "H2", horizontal=True, axis="percent", lang="fr")
    scale = ET.fromstring(xlsx_charts.chart_xml(shares, tab)).find("c:chart/c:plotArea/c:valAx/c:scaling", C)
    assert scale is not None
    assert [(e.tag.split("}")[1], e.get("val")) for e in scale] == [("orientation", "minMax"), ("max", "1"), ("min", "0")]
    for other in (ChartSpec("bar", "", "A2:A6", [("n", "B2:B6")], "H2", axis="money:EUR"),
                  ChartSpec("bar", "", "A2:A6", [("n", "B2:B6")], "H2", axis="percent", stacked=True)):
        found = ET.fromstring(xlsx_charts.chart_xml(other, tab)).find("c:chart/c:plotArea/c:valAx/c:scaling", C)
        assert found is not None and [e.tag.split("}")[1] for e in found] == ["orientation"]  # the program's own scale
