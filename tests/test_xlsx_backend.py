"""The .xlsx backend: exact reads, writes that leave every user part intact, refusals, locks.

Fixture workbooks are built in code with openpyxl; results are checked with the readers a user
would meet (calamine, openpyxl, LibreOffice when installed) and at the byte level of the zip.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, cast
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from relance.engine.errors import WorkbookError, WorkbookLocked
from relance.engine.sheets import CellValue, OwnedTab
from relance.workbook import xlsx_parts
from relance.workbook.xlsx import KEEP_BACKUPS, KEEP_DAYS, XlsxBackend

EDITED_PARTS = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}
NS = {"m": xlsx_parts.MAIN_NS}
ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# ------------------------------------------------------------------------------ helpers


def png_bytes() -> bytes:
    """A valid 1x1 red PNG, built by hand (no Pillow needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


class PngImage(Image):
    """openpyxl's Image without Pillow: the bytes are given, not decoded."""

    def __init__(self, data: bytes, anchor: str) -> None:
        self.ref = None
        self._png = data
        self.width = self.height = 1
        self.format = "png"
        self.anchor = anchor

    def _data(self) -> bytes:
        return self._png


def make_user_book(path: Path, extra_tabs: tuple[str, ...] = ()) -> Path:
    """A workbook as a user keeps it: values, a formula, styles, a chart, an image, a defined
    name, a data validation and a chart sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Factures"
    ws.append(["numero", "montant_ttc", "echeance", "statut"])
    ws.append(["F-001", 1200.5, dt.date(2025, 1, 31), "open"])
    ws.append(["F-002", 300, dt.date(2025, 2, 28), "hold"])
    ws["E2"] = "=SUM(B2:B3)"
    ws["A1"].font = Font(bold=True)
    ws["B2"].fill = PatternFill("solid", fgColor="FFFF00")
    ws["B2"].number_format = "#,##0.00 [$€-40C]"
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    ws.add_chart(chart, "H2")
    ws.add_image(PngImage(png_bytes(), "H20"))
    validation = DataValidation(type="list", formula1='"open,hold,disputed"')
    ws.add_data_validation(validation)
    validation.add("D2:D100")
    wb.defined_names["Encours"] = DefinedName("Encours", attr_text="Factures!$B$2:$B$3")
    chartsheet = wb.create_chartsheet("Graphique")
    sheet_chart = BarChart()
    sheet_chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=3))
    chartsheet.add_chart(sheet_chart)
    for name in extra_tabs:
        wb.create_sheet(name)["A1"] = f"old {name}"
    wb.save(path)
    return path


def members(path: Path) -> dict[str, tuple[int, int, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: (i.compress_type, i.CRC, zf.read(i)) for i in zf.infolist()}


def raw_member(path: Path, name: str) -> bytes:
    """The compressed bytes of a member, as stored in the file."""
    with open(path, "rb") as f, zipfile.ZipFile(f) as zf:
        info = zf.getinfo(name)
        f.seek(info.header_offset)
        head = f.read(30)
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        f.seek(info.header_offset + 30 + name_len + extra_len)
        return f.read(info.compress_size)


def calamine(path: Path) -> dict[str, list[list[Any]]]:
    book = CalamineWorkbook.from_path(str(path))
    try:
        return {
            n: book.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in book.sheet_names
        }
    finally:
        book.close()


def sheet_names(path: Path) -> list[str]:
    return list(calamine(path))


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return make_user_book(tmp_path / "relances.xlsx")


HEADER = [
    "run_id",
    "texte",
    "formule",
    "entier",
    "réel",
    "décimal",
    "booléen",
    "date",
    "horodatage",
]
ROWS: list[list[CellValue]] = [
    [
        "r1",
        "Société Générale — échéance dépassée",
        "=SUM(A1)",
        42,
        2.5,
        Decimal("1234.56"),
        True,
        dt.date(2025, 3, 31),
        dt.datetime(2025, 3, 31, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    ],
    ["r2", "a <b> & \"c\" 'd'", "line 1\nline 2\r\nline 3", -7, 1e-05, Decimal("-0.01"), False],
    ["r3", "  spaces kept  ", None, 0, None, None, None, None, dt.datetime(2025, 1, 1, 0, 0)],
]
EXPECTED_ROWS = [
    HEADER,
    [
        "r1",
        "Société Générale — échéance dépassée",
        "=SUM(A1)",
        42,
        2.5,
        1234.56,
        True,
        "2025-03-31",
        "2025-03-31T09:30:00+02:00",
    ],
    ["r2", "a <b> & \"c\" 'd'", "line 1\nline 2\r\nline 3", -7, 1e-05, -0.01, False, "", ""],
    ["r3", "  spaces kept  ", "", 0, "", "", "", "", "2025-01-01T00:00:00"],
]


# ------------------------------------------------------------------------------ write: integrity


def test_write_keeps_every_user_part_and_reads_back_exactly(book: Path) -> None:
    before = members(book)
    raw_before = {n: raw_member(book, n) for n in before}
    backend = XlsxBackend(book)

    backend.write(
        [
            OwnedTab("History", HEADER, ROWS, widths=[12, 40]),
            OwnedTab("Anomalies", ["tab", "cell", "problem"], [["Factures", "B7", "not a date"]]),
        ]
    )
    backend.write([OwnedTab("History", HEADER, [*ROWS, ["r4", "ajoutée"]], widths=[12, 40])])

    after = members(book)
    for name, (ctype, crc, data) in before.items():
        if name in EDITED_PARTS:
            continue
        assert name in after, f"{name} disappeared"
        assert after[name] == (ctype, crc, data), f"{name} changed"
        assert raw_member(book, name) == raw_before[name], f"{name} was recompressed"
    assert "xl/charts/chart1.xml" in after and "xl/charts/chart2.xml" in after
    assert after["xl/media/image1.png"][2] == png_bytes()

    # workbook.xml, its rels and the content types only gained elements (the new tabs, relance's
    # marks on them and their print titles): removing them gives back the original text byte
    # for byte (prefixes, attribute order, declarations kept).
    wb_xml = after["xl/workbook.xml"][2].decode()
    marks = re.findall(r'<definedName name="_relance_owned_\d+" hidden="1">([^<]*)</definedName>', wb_xml)
    assert marks == ["'History'!$A$1", "'Anomalies'!$A$1"]
    titles = re.findall(r'<definedName name="_xlnm.Print_Titles" localSheetId="(\d+)">([^<]*)</definedName>', wb_xml)
    assert titles == [("2", "'History'!$1:$1"), ("3", "'Anomalies'!$1:$1")]
    assert (
        re.sub(r'<sheet name="(History|Anomalies)"[^>]*/>|<definedName name="(_relance_owned_\d+|_xlnm.Print_Titles)"'
               r"[^>]*>[^<]*</definedName>", "", wb_xml)
        == before["xl/workbook.xml"][2].decode()
    )
    types = after["[Content_Types].xml"][2].decode()
    assert re.sub(r'<Override PartName="/xl/worksheets/sheet[34]\.xml"[^>]*/>', "", types) == (
        before["[Content_Types].xml"][2].decode()
    )
    rels = after["xl/_rels/workbook.xml.rels"][2].decode()
    assert re.sub(r'<Relationship Id="rId\d+"[^>]*sheet[34]\.xml"/>', "", rels) == (
        before["xl/_rels/workbook.xml.rels"][2].decode()
    )

    sheets = calamine(book)
    assert list(sheets) == ["Factures", "Graphique", "History", "Anomalies"]
    assert sheets["History"] == [*EXPECTED_ROWS, ["r4", "ajoutée", "", "", "", "", "", "", ""]]
    assert sheets["Anomalies"] == [["tab", "cell", "problem"], ["Factures", "B7", "not a date"]]
    assert sheets["Factures"][1][:2] == ["F-001", 1200.5]

    loaded = openpyxl.load_workbook(book)
    assert loaded.sheetnames == ["Factures", "Graphique", "History", "Anomalies"]
    assert "Encours" in loaded.defined_names
    assert loaded.defined_names["Encours"].attr_text == "Factures!$B$2:$B$3"
    factures = loaded["Factures"]
    assert factures["E2"].value == "=SUM(B2:B3)"
    assert factures["A1"].font.bold
    assert factures["B2"].fill.fgColor.rgb == "00FFFF00"
    assert factures["B2"].number_format == "#,##0.00 [$€-40C]"
    assert [str(v.sqref) for v in factures.data_validations.dataValidation] == ["D2:D100"]
    assert len(factures._charts) == 1
    assert len(loaded["Graphique"]._charts) == 1
    history = loaded["History"]
    assert history["C2"].value == "=SUM(A1)" and history["C2"].data_type == "s"
    assert history.freeze_panes == "A2"
    assert history.auto_filter.ref == "A1:I5"
    assert history.column_dimensions["B"].width == 40


def test_zip_is_valid_and_compression_types_kept(tmp_path: Path) -> None:
    """A stored (uncompressed) member stays stored; a zip written with data descriptors
    (streamed by its producer) is rewritten with plain headers that every reader accepts."""
    source = make_user_book(tmp_path / "src.xlsx")
    target = tmp_path / "book.xlsx"

    class Unseekable:
        def __init__(self, f: BinaryIO) -> None:
            self._f = f

        def write(self, b: bytes) -> int:
            return self._f.write(b)

        def flush(self) -> None:
            self._f.flush()

    with (
        zipfile.ZipFile(source) as zin,
        open(target, "wb") as raw,
        zipfile.ZipFile(cast(BinaryIO, Unseekable(raw)), "w") as zout,
    ):
        for info in zin.infolist():
            kind = zipfile.ZIP_STORED if info.filename.endswith(".png") else info.compress_type
            zout.writestr(info.filename, zin.read(info), compress_type=kind)
    with zipfile.ZipFile(target) as zf:
        assert all(i.flag_bits & 0x08 for i in zf.infolist())  # data descriptors in the source

    XlsxBackend(target).write([OwnedTab("History", ["a"], [["b"]])])

    with zipfile.ZipFile(target) as zf:
        assert zf.testzip() is None
        infos = {i.filename: i for i in zf.infolist()}
        assert infos["xl/media/image1.png"].compress_type == zipfile.ZIP_STORED
        assert infos["xl/styles.xml"].compress_type == zipfile.ZIP_DEFLATED
        assert not any(i.flag_bits & 0x08 for i in zf.infolist())
    assert calamine(target)["History"] == [["a"], ["b"]]


def test_replace_keeps_position_order_and_user_spelling(tmp_path: Path) -> None:
    path = make_user_book(tmp_path / "b.xlsx", extra_tabs=("HISTORIQUE", "Clients"))
    backend = XlsxBackend(path)
    backend.write([OwnedTab("historique", ["run_id"], [["r1"], ["r2"]])])
    sheets = calamine(path)
    assert list(sheets) == ["Factures", "Graphique", "HISTORIQUE", "Clients"]
    assert sheets["HISTORIQUE"] == [["run_id"], ["r1"], ["r2"]]
    assert sheets["Clients"] == [["old Clients"]]
    backend.write([OwnedTab("Historique", ["run_id"], [])])
    assert calamine(path)["HISTORIQUE"] == [["run_id"]]
    assert sheet_names(path) == ["Factures", "Graphique", "HISTORIQUE", "Clients"]


def test_replaced_sheet_drops_its_rels_and_the_calc_chain(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Factures"
    ws["A1"] = 1
    ws["A2"] = "=A1*2"
    old = wb.create_sheet("Plan")
    old["A1"] = "=Factures!A1"
    old["B1"].comment = Comment("a note", "user")  # gives the sheet a _rels part
    wb.save(path)
    # Add the calculation chain Excel would have written (openpyxl never writes one).
    calc = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<calcChain xmlns="{xlsx_parts.MAIN_NS}"><c r="A2" i="1"/><c r="A1" i="2"/></calcChain>'
    )
    patched = tmp_path / "p.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/>'
                    b"</Relationships>",
                )
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.'
                    b'openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>',
                )
            zo.writestr(info, data)
        zo.writestr("xl/calcChain.xml", calc)
    os.replace(patched, path)
    assert "xl/worksheets/_rels/sheet2.xml.rels" in members(path)

    backend = XlsxBackend(path)
    backend.write([OwnedTab("Anomalies", ["a"], [["b"]])])  # only adds: the chain stays valid
    assert "xl/calcChain.xml" in members(path)

    backend.write([OwnedTab("Plan", ["action_key"], [["k1"]])])
    after = members(path)
    assert "xl/calcChain.xml" not in after
    assert "xl/worksheets/_rels/sheet2.xml.rels" not in after
    assert b"calcChain" not in after["[Content_Types].xml"][2]
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"][2]
    assert calamine(path)["Plan"] == [["action_key"], ["k1"]]
    loaded = openpyxl.load_workbook(path)
    assert loaded["Factures"]["A2"].value == "=A1*2"
    assert loaded.sheetnames == ["Factures", "Plan", "Anomalies"]


def test_prefixed_workbook_xml_gets_prefixed_elements() -> None:
    """Open XML SDK writes `<x:workbook xmlns:x=...>`: inserted elements must use `x:`."""
    text = (
        f'<x:workbook xmlns:x="{xlsx_parts.MAIN_NS}" xmlns:rel="{xlsx_parts.REL_NS}">'
        '<x:sheets><x:sheet name="A" sheetId="1" rel:id="R1"/></x:sheets></x:workbook>'
    )
    out = xlsx_parts.add_sheets(text, [('R&D "2"', 2, "rId2")])
    root = ET.fromstring(out)
    sheets = root.findall("m:sheets/m:sheet", NS)
    assert [s.get("name") for s in sheets] == ["A", 'R&D "2"']
    assert sheets[1].get(f"{{{xlsx_parts.REL_NS}}}id") == "rId2"

    bare = f'<workbook xmlns="{xlsx_parts.MAIN_NS}"><sheets></sheets></workbook>'
    root = ET.fromstring(xlsx_parts.add_sheets(bare, [("B", 1, "rId1")]))
    assert root.find("m:sheets/m:sheet", NS).get(f"{{{xlsx_parts.REL_NS}}}id") == "rId1"  # type: ignore[union-attr]


# ------------------------------------------------------------------------------ generated XML

cell_values = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=10**12),
    st.booleans(),
    st.dates(),
)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(cell_values, max_size=6), max_size=6))
def test_generated_worksheet_is_well_formed_and_faithful(rows: list[list[CellValue]]) -> None:
    tab = OwnedTab("T", ["h1", "h2"], rows)
    xml = b"".join(xlsx_parts.worksheet_chunks(tab, chunk_rows=2))
    root = ET.fromstring(xml)
    cells = {c.get("r"): c for c in root.iter(f"{{{xlsx_parts.MAIN_NS}}}c")}
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            ref = f"{xlsx_parts.column_letter(j)}{i}"
            cell = cells.get(ref)
            if value is None or value == "":
                assert cell is None
                continue
            if isinstance(value, bool):
                assert cell is not None and cell.get("t") == "b"
                assert cell.findtext("m:v", namespaces=NS) == str(int(value))
            elif isinstance(value, int | Decimal) or (
                isinstance(value, float) and value - value == 0
            ):
                assert cell is not None and cell.get("t") is None
                assert Decimal(cell.findtext("m:v", namespaces=NS) or "") == Decimal(str(value))
            else:
                text = value.isoformat() if isinstance(value, dt.date) else str(value)
                expected = ILLEGAL_XML.sub("", text)
                if not expected:  # only illegal characters: no cell, or an empty text
                    assert cell is None or not cell.findtext("m:is/m:t", namespaces=NS)
                    continue
                assert cell is not None and cell.get("t") == "inlineStr"
                assert cell.findtext("m:is/m:t", namespaces=NS) == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=5))
def test_any_text_round_trips_through_calamine(texts: list[str]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = make_minimal_book(Path(folder) / "b.xlsx")
        XlsxBackend(path).write([OwnedTab("T", texts, [])])
        got = calamine(path)["T"]
    expected = [ILLEGAL_XML.sub("", t) for t in texts]
    assert [v for v in (got[0] if got else []) if v != ""] == [t for t in expected if t]


def make_minimal_book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "x"
    wb.save(path)
    return path


def test_unusual_values_and_limits(tmp_path: Path) -> None:
    path = make_minimal_book(tmp_path / "b.xlsx")
    long_text = "é" * 40_000
    rows: list[list[CellValue]] = [
        [float("nan"), float("inf"), Decimal("NaN"), dt.time(8, 30), "x\x00y\x1fz\ufffe", long_text]
    ]
    XlsxBackend(path).write([OwnedTab("T", ["a", "b", "c", "d", "e", "f"], rows)])
    got = calamine(path)["T"][1]
    assert got[:5] == ["nan", "inf", "NaN", "08:30:00", "xyz"]
    assert len(got[5]) == xlsx_parts.MAX_CELL_CHARS and got[5].endswith("…")


def test_tab_without_header_no_filter_no_freeze(tmp_path: Path) -> None:
    path = make_minimal_book(tmp_path / "b.xlsx")
    XlsxBackend(path).write(
        [OwnedTab("T", ["a", "b"], [[1, 2]], freeze_header=False, autofilter=False)]
    )
    ws = openpyxl.load_workbook(path)["T"]
    assert ws.freeze_panes is None and ws.auto_filter.ref is None
    XlsxBackend(path).write([OwnedTab("U", [], [["only data"]])])
    assert calamine(path)["U"] == [["only data"]]


# ------------------------------------------------------------------------------ read


def test_read_is_addressable_from_a1_in_workbook_order(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Clients"
    ws["C3"] = "first used cell"
    ws["D5"] = 12.5
    ws["E4"] = dt.date(2025, 1, 2)
    hidden = wb.create_sheet("Caché")
    hidden.sheet_state = "hidden"
    hidden["A1"] = True
    wb.create_sheet("Vide")
    wb.save(path)

    sheets = XlsxBackend(path).read()
    assert [s.name for s in sheets] == ["Clients", "Caché", "Vide"]
    rows = sheets[0].rows
    assert rows[2][2] == "first used cell"  # C3
    assert rows[4][3] == 12.5  # D5
    assert rows[3][4] == dt.date(2025, 1, 2)  # E4
    assert all(v in ("", None) for v in rows[0]) and all(v in ("", None) for v in rows[1])
    assert sheets[1].rows == [[True]]
    assert sheets[2].rows == []


def test_changed_since_read(book: Path) -> None:
    backend = XlsxBackend(book)
    assert backend.changed_since_read()  # never read
    backend.read()
    assert not backend.changed_since_read()
    backend.write([OwnedTab("History", ["a"], [["b"]])])
    assert not backend.changed_since_read()  # our own save is not a change
    os.utime(book, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))
    assert backend.changed_since_read()
    backend.read()
    assert not backend.changed_since_read()


# ------------------------------------------------------------------------------ atomic save


def test_save_keeps_a_backup_and_permission_bits(book: Path) -> None:
    original = book.read_bytes()
    book.chmod(0o640)
    backend = XlsxBackend(book)
    backend.write([OwnedTab("History", ["a"], [["b"]])])
    backups = backend.backups()
    assert len(backups) == 1 and backups[0].parent == book.parent / ".relance-backups"
    assert re.fullmatch(r"relances\.\d{8}T\d{12}\.xlsx", backups[0].name)
    assert backups[0].read_bytes() == original
    assert stat.S_IMODE(book.stat().st_mode) == 0o640
    leftovers = [p.name for p in book.parent.iterdir()]
    assert sorted(leftovers) == [".relance-backups", "relances.xlsx"]


def test_backups_are_kept_thirty_days_and_at_least_forty(book: Path) -> None:
    backend = XlsxBackend(book)
    folder = book.parent / ".relance-backups"
    folder.mkdir()
    other = folder / "autre.20200101T000000000000.xlsx"
    other.write_bytes(b"not ours")
    now = dt.datetime.now()

    def backup(age: dt.timedelta, n: int) -> Path:
        path = folder / f"relances.{now - age:%Y%m%dT%H%M%S}{n:06d}.xlsx"
        path.write_bytes(b"old")
        return path

    # 45 old backups (a year ago): only the newest KEEP_BACKUPS are kept, whatever their age
    old = [backup(dt.timedelta(days=365), n) for n in range(45)]
    for i in range(3):
        backend.write([OwnedTab("History", ["n"], [[i]])])
    backups = backend.backups()
    assert len(backups) == KEEP_BACKUPS == 40
    assert backups[: KEEP_BACKUPS - 3] == old[-(KEEP_BACKUPS - 3):]
    # the newest backup holds the state just before the last write
    assert calamine(backups[-1])["History"] == [["n"], [1]]
    assert other.exists()

    # backups of the last KEEP_DAYS days are all kept, however many there are
    recent = [backup(dt.timedelta(days=KEEP_DAYS - 1, hours=20), n) for n in range(50)]
    backend.write([OwnedTab("History", ["n"], [[9]])])
    backups = backend.backups()
    assert all(p.exists() for p in recent) and len(backups) == 50 + 4
    assert not any(p.exists() for p in old)


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".~relance-tmp")]


def test_failure_while_generating_leaves_the_file_intact(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = book.read_bytes()
    real = xlsx_parts.worksheet_chunks

    def failing(tab: OwnedTab, chunk_rows: int = 2000) -> Iterator[bytes]:
        chunks = real(tab, chunk_rows=10)
        yield next(chunks)
        yield next(chunks)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(xlsx_parts, "worksheet_chunks", failing)
    rows: list[list[CellValue]] = [[i, f"row {i}"] for i in range(100)]
    with pytest.raises(WorkbookError, match="could not be saved: No space left") as info:
        XlsxBackend(book).write([OwnedTab("History", ["n", "t"], rows)])
    assert "disk space" in info.value.hint
    assert book.read_bytes() == original
    assert _no_temp_files(book.parent)
    assert not (book.parent / ".relance-backups").exists()


def test_a_bug_mid_write_propagates_and_leaves_the_file_intact(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = book.read_bytes()

    def broken_copy(self: xlsx_parts.RawZipWriter, src: object, member: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(xlsx_parts.RawZipWriter, "copy", broken_copy)
    with pytest.raises(RuntimeError):
        XlsxBackend(book).write([OwnedTab("History", ["a"], [["b"]])])
    assert book.read_bytes() == original
    assert _no_temp_files(book.parent)


def test_a_write_error_stops_the_background_generator() -> None:
    """Disk full while a big sheet streams: the error surfaces and the producer thread ends."""
    import io
    import threading

    class FullDisk(io.BytesIO):
        def write(self, b: bytes) -> int:  # type: ignore[override]
            if self.tell() > 50_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().write(b)

    produced = []

    def endless() -> Iterator[bytes]:
        while True:
            produced.append(1)
            yield os.urandom(10_000)

    writer = xlsx_parts.RawZipWriter(FullDisk())
    with pytest.raises(OSError, match="No space left"):
        writer.add("xl/worksheets/sheet9.xml", xlsx_parts.in_background(endless()), level=1)
    assert not [t for t in threading.enumerate() if t.name == "relance-xlsx-sheet"]
    assert len(produced) < 50


def test_failure_at_rename_leaves_the_file_intact(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = book.read_bytes()

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(WorkbookLocked, match="could not be replaced"):
        XlsxBackend(book).write([OwnedTab("History", ["a"], [["b"]])])
    assert book.read_bytes() == original
    assert _no_temp_files(book.parent)


def test_a_refused_rename_leaves_no_backup_that_would_change_with_the_file(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backup of a save is a hard link to the file about to be replaced: when the rename is
    refused the file stays where it is (and may be edited in place), so the link is taken back."""
    def refuse(src: object, dst: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    backend = XlsxBackend(book)
    with pytest.raises(WorkbookLocked):
        backend.write([OwnedTab("History", ["a"], [["b"]])])
    assert backend.backups() == []


def test_each_backup_keeps_the_bytes_before_its_save_linked_or_copied(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saved three times: each backup holds the workbook as the save found it, and none is the
    file now in place (a later edit of the workbook never reaches a backup); where the file
    system refuses hard links the backups are copies, the same bytes."""
    backend = XlsxBackend(book)
    states = []
    for n in range(3):
        states.append(book.read_bytes())
        backend.write([OwnedTab("History", ["n"], [[n]])])
    backups = backend.backups()
    assert [p.read_bytes() for p in backups] == states
    assert all(not os.path.samefile(p, book) for p in backups)
    assert backups[0].stat().st_ino != backups[1].stat().st_ino
    assert calamine(backups[-1])["History"] == [["n"], [1]]

    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    before = book.read_bytes()
    backend.write([OwnedTab("History", ["n"], [[3]])])
    copied = backend.backups()[-1]
    assert copied.read_bytes() == before and copied.stat().st_nlink == 1
    assert calamine(book)["History"] == [["n"], [3]]


def test_a_save_by_someone_else_during_the_write_is_not_lost(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The package is rebuilt from the user's newer version instead of overwriting it."""
    backend = XlsxBackend(book)
    real_build = XlsxBackend._build
    calls = []

    def build_then_user_saves(self: XlsxBackend, tabs: list[OwnedTab]) -> Path:
        tmp = real_build(self, tabs)
        calls.append(tmp)
        if len(calls) == 1:
            wb = openpyxl.load_workbook(book)
            wb["Factures"]["A10"] = "saved by the user meanwhile"
            wb.save(book)
        return tmp

    monkeypatch.setattr(XlsxBackend, "_build", build_then_user_saves)
    backend.write([OwnedTab("History", ["a"], [["b"]])])
    assert len(calls) == 2
    sheets = calamine(book)
    assert sheets["Factures"][9][0] == "saved by the user meanwhile"
    assert sheets["History"] == [["a"], ["b"]]
    assert _no_temp_files(book.parent)


# ------------------------------------------------------------------------------ refusals


def _cfb(payload: bytes) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + payload + b"\x00" * 512


def _zip_without_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")


REFUSALS = {
    "password": (
        lambda p: p.write_bytes(_cfb("EncryptionInfo".encode("utf-16-le") + b"\x00" * 64)),
        "password-protected",
        "Protect Workbook",
    ),
    "encrypted-package": (
        lambda p: p.write_bytes(_cfb("EncryptedPackage".encode("utf-16-le"))),
        "password-protected",
        "remove the password",
    ),
    "xls": (
        lambda p: p.write_bytes(_cfb("Workbook".encode("utf-16-le"))),
        r"old Excel 97-2003 workbook \(\.xls\)",
        "save it as .xlsx",
    ),
    "text": (
        lambda p: p.write_text("numero;montant\nF1;12\n"),
        r"is not an \.xlsx workbook",
        "save it as .xlsx",
    ),
    "empty": (lambda p: p.write_bytes(b""), r"is not an \.xlsx workbook", "save it as .xlsx"),
    "zip-without-workbook": (
        _zip_without_workbook,
        r"not an \.xlsx workbook \(it has no xl/workbook\.xml part\)",
        "save it as .xlsx",
    ),
    "truncated-zip": (
        lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00" * 100),
        r"is not an \.xlsx workbook",
        "save it as .xlsx",
    ),
    "missing": (lambda p: None, "does not exist", "check the path"),
    "folder": (lambda p: p.mkdir(), "is a folder", "path of the .xlsx file"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_unusable_files_are_refused_clearly(tmp_path: Path, case: str) -> None:
    make, message, hint = REFUSALS[case]
    path = tmp_path / "book.xlsx"
    make(path)
    before = sorted(p.name for p in tmp_path.iterdir())
    backend = XlsxBackend(path)
    for action in (backend.read, lambda: backend.write([OwnedTab("History", ["a"], [])])):
        with pytest.raises(WorkbookError, match=message) as info:
            action()
        assert hint in info.value.hint
        assert "Traceback" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created


@pytest.mark.parametrize("lock_name", ["~$relances.xlsx", ".~lock.relances.xlsx#"])
def test_a_workbook_open_in_excel_or_libreoffice_is_not_written(book: Path, lock_name: str) -> None:
    (book.parent / lock_name).write_text("owner")
    original = book.read_bytes()
    backend = XlsxBackend(book)
    assert [s.name for s in backend.read()] == ["Factures", "Graphique"]  # reading is harmless
    with pytest.raises(WorkbookLocked, match="open in Excel or LibreOffice") as info:
        backend.write([OwnedTab("History", ["a"], [])])
    assert "close it there and run again" in info.value.hint
    assert lock_name in info.value.hint
    assert book.read_bytes() == original
    with pytest.raises(WorkbookLocked, match="open in Excel or LibreOffice"), backend.run_lock():
        pass
    assert not backend.run_lock_path.exists()


def test_unwritable_folder_is_refused(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_access = os.access

    def access(path: object, mode: int) -> bool:
        if Path(str(path)) == book.parent and mode & os.W_OK:
            return False
        return real_access(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(WorkbookError, match="is not writable") as info:
        XlsxBackend(book).write([OwnedTab("History", ["a"], [])])
    assert "write permission" in info.value.hint


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores permissions"
)
def test_unwritable_folder_is_refused_for_real(book: Path) -> None:
    book.parent.chmod(0o555)
    try:
        with pytest.raises(WorkbookError, match="is not writable"):
            XlsxBackend(book).write([OwnedTab("History", ["a"], [])])
    finally:
        book.parent.chmod(0o755)


def test_a_chart_sheet_named_like_an_owned_tab_is_refused(book: Path) -> None:
    original = book.read_bytes()
    with pytest.raises(WorkbookError, match="is not a worksheet") as info:
        XlsxBackend(book).write([OwnedTab("graphique", ["a"], [])])
    assert "rename that tab" in info.value.hint
    assert book.read_bytes() == original


@pytest.mark.parametrize("name", ["", "x" * 32, "a/b", "[x]", "'quoted'"])
def test_invalid_tab_names_are_refused(book: Path, name: str) -> None:
    with pytest.raises(WorkbookError):
        XlsxBackend(book).write([OwnedTab(name, ["a"], [])])


def test_the_same_tab_twice_is_refused(book: Path) -> None:
    with pytest.raises(WorkbookError, match="written twice"):
        XlsxBackend(book).write([OwnedTab("History", ["a"], []), OwnedTab("HISTORY", ["a"], [])])


# ------------------------------------------------------------------------------ symbolic links


def test_a_workbook_behind_a_symbolic_link_is_saved_where_it_is(book: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "partage"
    elsewhere.mkdir()
    link = elsewhere / "relances-lien.xlsx"
    link.symlink_to(book)
    backend = XlsxBackend(link)
    assert backend.path == book and backend.location == str(link)
    with backend.run_lock():
        assert backend.run_lock_path.parent == book.parent  # the lock is beside the real file
        with pytest.raises(WorkbookLocked), XlsxBackend(book).run_lock():  # a run through the real path waits
            pass
    backend.write([OwnedTab("History", ["run_id"], [["r1"]])])
    assert link.is_symlink() and link.resolve() == book  # the link stays a link...
    assert calamine(book)["History"] == [["run_id"], ["r1"]]  # ... and the workbook got History
    assert [p.parent for p in backend.backups()] == [book.parent / ".relance-backups"]
    assert sorted(p.name for p in elsewhere.iterdir()) == ["relances-lien.xlsx"]
    # through the real path, the next read sees it: nothing would be sent twice
    assert [s.rows for s in XlsxBackend(book).read() if s.name == "History"] == [[["run_id"], ["r1"]]]
    # a chain of links, relative ones included, ends at the same file
    second = tmp_path / "second.xlsx"
    second.symlink_to(os.path.relpath(link, tmp_path))
    XlsxBackend(second).write([OwnedTab("History", ["run_id"], [["r1"], ["r2"]])])
    assert second.is_symlink() and link.is_symlink() and len(calamine(book)["History"]) == 3


def test_excel_lock_beside_the_link_is_seen(book: Path, tmp_path: Path) -> None:
    link = tmp_path / "lien.xlsx"
    link.symlink_to(book)
    (tmp_path / "~$lien.xlsx").write_text("owner")  # Excel opened the workbook through the link
    with pytest.raises(WorkbookLocked, match="open in Excel or LibreOffice"):
        XlsxBackend(link).write([OwnedTab("History", ["a"], [])])


# ------------------------------------------------------------------------------ run lock


def test_run_lock_is_exclusive_and_released(book: Path) -> None:
    backend = XlsxBackend(book)
    with backend.run_lock():
        info = json.loads(backend.run_holder_path.read_text())
        assert info["pid"] == os.getpid() and info["host"] and info["started"]
        with (
            pytest.raises(WorkbookLocked, match=f"another relance run is using relances.xlsx: process {os.getpid()}")
            as exc,
            XlsxBackend(book).run_lock(),
        ):
            pass
        assert str(backend.run_lock_path) in exc.value.hint
    assert not backend.run_holder_path.exists()
    with XlsxBackend(book).run_lock():  # released: the next run takes it
        pass
    with pytest.raises(ZeroDivisionError), backend.run_lock():
        1 / 0  # noqa: B018
    with XlsxBackend(book).run_lock():  # released on an exception too
        pass


def test_a_run_killed_while_holding_the_lock_never_blocks_the_next(book: Path) -> None:
    script = (
        "import sys, time\n"
        "from relance.workbook.xlsx import XlsxBackend\n"
        "with XlsxBackend(sys.argv[1]).run_lock():\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.read()\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script, str(book)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    holder.kill()  # kill -9: no finally block runs, the kernel releases the lock
    holder.wait(timeout=30)
    assert XlsxBackend(book).run_holder_path.exists()  # what it left behind says nothing now
    with XlsxBackend(book).run_lock():
        assert json.loads(XlsxBackend(book).run_holder_path.read_text())["pid"] == os.getpid()


def test_a_lock_file_left_by_an_older_version_does_not_block(book: Path) -> None:
    backend = XlsxBackend(book)
    backend.run_lock_path.write_text(json.dumps({"pid": 1, "host": "elsewhere", "started": "x"}))
    with backend.run_lock():
        pass


def test_run_lock_across_processes(book: Path) -> None:
    script = (
        "import sys\n"
        "from relance.workbook.xlsx import XlsxBackend\n"
        "with XlsxBackend(sys.argv[1]).run_lock():\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(book)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(WorkbookLocked, match=f"process {holder.pid}") as refused,
            XlsxBackend(book).run_lock(),
        ):
            pass
        # when the other run started, as a person reads a time (not the ISO text it left)
        assert re.search(r"\(started \d{1,2} \w{3} \d{4} \d\d:\d\d\)", refused.value.said.text("en"))
        assert re.search(r"\(lancé le \d\d/\d\d/\d{4} \d\d:\d\d\)", refused.value.said.text("fr"))
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    with XlsxBackend(book).run_lock():
        pass


# ------------------------------------------------------------------------------ scale


def test_hundred_thousand_rows(book: Path) -> None:
    n = 100_000
    rows: list[list[CellValue]] = [
        [
            f"run-{i % 30}",
            "2025-03-31T09:00:00+02:00",
            f"key-{i:012d}",
            f"C{i % 2000:05d}",
            f"<msg{i}@relance.example>",
            Decimal(i) / 100,
            "EUR",
            None if i % 3 else "ok",
        ]
        for i in range(n)
    ]
    XlsxBackend(book).write([OwnedTab("History", [f"c{j}" for j in range(8)], rows)])
    history = calamine(book)["History"]
    assert len(history) == n + 1
    assert history[1] == ["run-0", "2025-03-31T09:00:00+02:00", "key-000000000000", "C00000",
                          "<msg0@relance.example>", 0.0, "EUR", "ok"]  # fmt: skip
    assert history[-1][2] == f"key-{n - 1:012d}" and history[-1][5] == (n - 1) / 100


# ------------------------------------------------------------------------------ LibreOffice


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
@pytest.mark.skipif(_soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_written_workbook(book: Path, tmp_path: Path) -> None:
    backend = XlsxBackend(book)
    backend.write(
        [
            OwnedTab("History", HEADER, ROWS, widths=[12, 40]),
            OwnedTab("Anomalies", ["tab", "cell"], [["Factures", "B7"]]),
        ]
    )
    backend.write([OwnedTab("History", HEADER, ROWS)])
    out = tmp_path / "out"
    profile = (tmp_path / "lo-profile").as_uri()
    base = [
        _soffice() or "soffice",
        f"-env:UserInstallation={profile}",
        "--headless",
        "--norestore",
    ]
    pdf = subprocess.run(
        [*base, "--convert-to", "pdf", "--outdir", str(out), str(book)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    produced = out / "relances.pdf"
    assert produced.exists(), pdf.stdout + pdf.stderr
    assert produced.stat().st_size > 1000 and produced.read_bytes().startswith(b"%PDF")

    # Export only the History sheet (3rd tab) as UTF-8 CSV: token 12 of the filter options.
    position = sheet_names(book).index("History") + 1
    options = f"44,34,76,1,,0,false,true,false,false,false,{position}"
    subprocess.run(
        [*base, "--convert-to", f"csv:Text - txt - csv (StarCalc):{options}",
         "--outdir", str(out), str(book)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    csv_files = list(out.glob("*.csv"))
    assert len(csv_files) == 1, list(out.iterdir())
    import csv

    with open(csv_files[0], encoding="utf-8", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == HEADER
    assert table[1][:3] == ["r1", "Société Générale — échéance dépassée", "=SUM(A1)"]
    assert table[2][1] == "a <b> & \"c\" 'd'"
    assert table[1][7:9] == ["2025-03-31", "2025-03-31T09:30:00+02:00"]
