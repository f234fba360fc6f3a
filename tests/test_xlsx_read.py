"""The faster read of the .xlsx backend hands the engine exactly the cells the former one did.

calamine parses a copy of the package whose tab parts start with an empty <mergeCells/> (so that
python-calamine's second pass over each tab, looking for merged cells, ends at once), and each
tab's rows are made as soon as calamine has it, whichever tab comes first. Every cell keeps its
type and value (tests/reference_xlsx_read.py: calamine on the workbook itself, tab after tab), on
workbooks written by openpyxl and by hand with odd cells, and on the demo book; what the read
refuses, and in which words, stays what it was.
"""

from __future__ import annotations

import datetime as dt
import threading
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handmade import MAIN, package, sheet_bomb, sheet_xml
from reference_xlsx_read import read_typed, reference_rows, typed
from relance.app.resources import shipped_contract
from relance.demo import build_demo_workbook
from relance.engine.errors import WorkbookError
from relance.engine.table import reads_tab
from relance.workbook import xlsx
from relance.workbook import xlsx_parts as parts
from relance.workbook.xlsx import XlsxBackend

CONTRACT = shipped_contract()


def _as_before(path: Path) -> list[tuple[str, bool | None, list[list[tuple[str, str]]]]]:
    """What the read hands, every tab parsed by calamine from the workbook itself."""
    sheets = XlsxBackend(path).read()
    names = [s.name for s in sheets]
    rows = reference_rows(path, names)
    return [(s.name, s.owned, typed(rows[s.name])) for s in sheets]


@pytest.fixture
def opened(monkeypatch):
    """The paths calamine opens during a read."""
    paths: list[str] = []
    real = xlsx.CalamineWorkbook

    class Recording:
        @staticmethod
        def from_path(path: str) -> object:
            paths.append(path)
            return real.from_path(path)

    monkeypatch.setattr(xlsx, "CalamineWorkbook", Recording)
    return paths


# ---------------------------------------------------------------- the headed part


@settings(max_examples=60, deadline=None)
@given(a=st.binary(max_size=64), b=st.binary(max_size=5000))
def test_crc32_combine_is_the_crc_of_both(a: bytes, b: bytes):
    assert parts.crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


@settings(max_examples=300, deadline=None)
@given(data=st.lists(st.sampled_from([b":", b"c", b" ", b">", b"/", b"\t", b"\x0b", b"<", b"a", b":c", b"x" * 300]),
                     max_size=400).map(b"".join), cut=st.integers(0, 1000))
def test_the_prefixed_cell_check_finds_what_its_pattern_finds(data: bytes, cut: int):
    start, end = min(cut, len(data)), len(data) - min(cut // 3, len(data) - min(cut, len(data)))
    assert parts._prefixed_cell(data, start, end) == (parts._PREFIXED_CELL.search(data, start, end) is not None)


@pytest.mark.parametrize("size", [1, 255, 256, 65_537, 1 << 22, 5_000_011])
def test_crc32_combine_holds_for_long_parts(size: int):
    a, b = b"<mergeCells/>", bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    assert parts.crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_headed_part_inflates_to_the_prefix_then_the_part(tmp_path: Path, method: int):
    content = sheet_xml([["a", 1.5, True]] * 3000)
    src = tmp_path / "src.zip"
    with zipfile.ZipFile(src, "w", compression=method) as z:
        z.writestr("xl/worksheets/sheet1.xml", content)
        z.writestr("other.xml", b"<x/>")
    out = tmp_path / "out.zip"
    with open(src, "rb") as f, open(out, "wb") as g:
        members, _ = parts.read_members(f)
        assert all(parts.may_head(f, m) for m in members)
        writer = parts.RawZipWriter(g)
        parts.copy_headed(writer, f, members[0], parts.MERGE_CELLS_FIRST)
        writer.copy(f, members[1])
        writer.close()
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None  # every CRC right
        assert z.read("xl/worksheets/sheet1.xml") == parts.MERGE_CELLS_FIRST + content
        assert z.read("other.xml") == b"<x/>"


@pytest.mark.parametrize(("head", "headed"), [
    (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet', True),
    (b"<?xml version='1.0' encoding='utf-8'?><worksheet", True),
    (b'<?xml version="1.0"?><worksheet', True),
    (b"<worksheet", True),
    (b"<x:worksheet", True),
    (b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?><worksheet', False),  # a byte-order mark
    (b'<?xml version="1.0" encoding="UTF-16"?><worksheet', False),
    (b'<?xml version="1.0" encoding="windows-1252"?><worksheet', False),
    (b"   <worksheet", False),
    (b"<!-- a comment --><worksheet", False),
])
def test_only_utf8_parts_that_start_with_their_declaration_or_root_are_headed(tmp_path: Path, head: bytes,
                                                                             headed: bool):
    src = tmp_path / "src.zip"
    with zipfile.ZipFile(src, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("sheet.xml", head + b"><sheetData/></worksheet>")
    with open(src, "rb") as f:
        members, _ = parts.read_members(f)
        assert parts.may_head(f, members[0]) is headed


# ---------------------------------------------------------------- the same cells


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
_VALUES = st.one_of(
    st.none(), st.booleans(), _TEXT,
    st.sampled_from(["", " ", "#N/A", "#DIV/0!", "#REF!", "2026-12-01", "01/12/2026", "1 234,56", "=1+1",
                     "TRUE", "<&>\"'", "  padded  ", "x" * 300]),
    st.integers(-(10**20), 10**20),
    st.sampled_from([0, -0.0, 1e-300, 1.5e300, 2**53 + 1, 10**15, 0.1 + 0.2, -1.25]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 31)),
    st.times(), st.timedeltas(dt.timedelta(0), dt.timedelta(days=400)),
)
_CELLS = st.lists(st.tuples(st.integers(1, 3000), st.integers(1, 40), _VALUES), max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tabs=st.lists(st.tuples(_CELLS, st.booleans()), min_size=1, max_size=3))
def test_books_written_by_openpyxl_read_as_calamine_reads_them(tmp_path_factory, tabs, opened):
    import openpyxl

    path = tmp_path_factory.mktemp("book") / "book.xlsx"
    wb = openpyxl.Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for n, (cells, merged) in enumerate(tabs):
        ws = wb.create_sheet(f"Tab{n}")
        for row, col, value in cells:
            ws.cell(row=row, column=col, value=value)
        if merged:
            ws.merge_cells("B2:D3")
    wb.save(path)
    opened.clear()
    assert read_typed(XlsxBackend(path).read) == _as_before(path)
    assert opened and all(p != str(path) for p in opened[:1])  # calamine parsed the headed copy


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6),
                                        st.floats(allow_nan=False), _TEXT), max_size=6), max_size=30),
       far=st.booleans(), dimension=st.booleans())
def test_inline_shared_and_odd_cells_read_as_calamine_reads_them(tmp_path_factory, rows, far, dimension):
    odd = ('<row r="40"><c r="A40" t="e"><v>#DIV/0!</v></c><c r="B40" t="s"><v>1</v></c>'
           '<c r="C40" t="str"><v>formula text</v></c><c r="D40" t="n"><v>12345678901234567890</v></c>'
           '<c r="E40" t="d"><v>2026-12-01T10:30:00</v></c><c r="F40" t="d"><v>2026-12-01</v></c>'
           '<c r="G40" t="b"><v>0</v></c><c r="H40"><v>1e308</v></c><c r="I40" t="s"><v>0</v></c></row>')
    if far:
        odd += '<row r="900"><c r="AD900" t="inlineStr"><is><t>far</t></is></c></row>'
    strings = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{MAIN}" count="2" '
               'uniqueCount="2"><si><t>shared one</t></si><si><r><t>rich </t></r><r><t>two</t></r></si></sst>')
    path = package(tmp_path_factory.mktemp("book") / "book.xlsx",
                   {"Factures": sheet_xml(rows, odd, "A1:AD900" if dimension else None),
                    "Clients": sheet_xml(rows[:3])}, strings=strings.encode())
    assert read_typed(XlsxBackend(path).read) == _as_before(path)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_demo_book_reads_as_calamine_reads_it(tmp_path: Path, lang: str, opened):
    path = tmp_path / "demo.xlsx"
    build_demo_workbook(path, customers=80, invoices=1500, lang=lang)
    wanted = lambda name: reads_tab(CONTRACT, name)  # noqa: E731
    sheets = XlsxBackend(path).read(wanted)
    assert opened and str(path) not in opened
    read = {s.name: s.rows for s in sheets if s.rows}
    assert len(read) >= 5
    assert {n: typed(r) for n, r in read.items()} == {n: typed(r) for n, r in reference_rows(path, list(read)).items()}


def test_parts_that_cannot_be_headed_are_parsed_as_they_are(tmp_path: Path, opened):
    bom = b"\xef\xbb\xbf" + sheet_xml([["bom", 1], [2.5, True]])
    path = package(tmp_path / "book.xlsx", {"Factures": bom, "Clients": bom})
    assert read_typed(XlsxBackend(path).read) == _as_before(path)
    assert set(opened) == {str(path)}  # no part to head: no copy


# ---------------------------------------------------------------- the same refusals


def _unheaded(monkeypatch) -> None:
    monkeypatch.setattr(XlsxBackend, "_headed_copy", lambda self, layout, members, stack: self.path)


@pytest.mark.parametrize("xml", [
    sheet_xml([["a", 1]]).replace(b'<c r="B1">', b'<c r="B1" t=>'),
    sheet_xml([["a", 1]]).replace(b"</sheetData>", b'<row r="5"><c r="A5"><v>1</v></sheetData>'),
])
def test_a_tab_calamine_refuses_is_told_as_calamine_tells_it_of_the_workbook(tmp_path: Path, monkeypatch, xml):
    path = package(tmp_path / "book.xlsx", {"Clients": sheet_xml([["ok"]]), "Factures": xml})
    with pytest.raises(WorkbookError) as headed:
        XlsxBackend(path).read()
    _unheaded(monkeypatch)
    with pytest.raises(WorkbookError) as plain:
        XlsxBackend(path).read()
    assert str(headed.value) == str(plain.value)


def test_no_temporary_folder_reads_the_workbook_itself(tmp_path: Path, monkeypatch, opened):
    path = package(tmp_path / "book.xlsx", {"Factures": sheet_xml([["a", 1.0]] * 5)})

    def no_folder(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", "/tmp")

    monkeypatch.setattr(xlsx.tempfile, "TemporaryDirectory", no_folder)
    expected = read_typed(XlsxBackend(path).read)
    assert set(opened) == {str(path)}
    monkeypatch.undo()
    assert expected == _as_before(path)


def test_the_copy_failing_reads_the_workbook_itself(tmp_path: Path, monkeypatch, opened):
    path = package(tmp_path / "book.xlsx", {"Factures": sheet_xml([["a", 1.0]] * 5)})

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(parts, "copy_headed", full)
    assert read_typed(XlsxBackend(path).read) == _as_before(path)
    assert set(opened) == {str(path)}


def _late_first_tab(monkeypatch, first: str, second_rows: int) -> threading.Event:
    """calamine hands the first tab only once the second tab's rows are made (the tabs enter in
    order, two at once: a hang guard only, never reached when it works)."""
    second_done = threading.Event()
    parse, rows = XlsxBackend._parse, XlsxBackend._sheet_rows

    def late_parse(self: XlsxBackend, books: list, slot: int, source: Path, name: str) -> object:
        if name == first:
            assert second_done.wait(timeout=60)
        return parse(self, books, slot, source, name)

    def marking_rows(sheet: object) -> list[list[object]]:
        made = rows(sheet)
        if len(made) == second_rows:
            second_done.set()
        return made

    monkeypatch.setattr(XlsxBackend, "_parse", late_parse)
    monkeypatch.setattr(XlsxBackend, "_sheet_rows", staticmethod(marking_rows))
    return second_done


def test_a_later_tab_made_first_gives_the_same_rows(tmp_path: Path, monkeypatch):
    path = package(tmp_path / "book.xlsx", {"Factures": sheet_xml([["f", 1]] * 7), "Clients": sheet_xml([["c"]] * 11)})
    expected = _as_before(path)
    done = _late_first_tab(monkeypatch, "Factures", 11)
    assert read_typed(XlsxBackend(path).read) == expected
    assert done.is_set()


def test_refusals_go_in_tab_order_whichever_tab_is_made_first(tmp_path: Path, monkeypatch):
    """The first tab's refusal comes after a later tab's rows and a later tab's own refusal:
    the read still says what the first tab's says, as when tabs came one after the other."""
    bad_attr = sheet_xml([["a", 1]]).replace(b'<c r="B1">', b'<c r="B1" t=>')
    unclosed = sheet_xml([["a", 1]]).replace(b"</sheetData>", b'<row r="5"><c r="A5"><v>1</v></sheetData>')
    path = package(tmp_path / "book.xlsx", {"Factures": bad_attr, "Clients": sheet_xml([["c"]] * 11),
                                            "Reglements": unclosed})
    monkeypatch.setattr(xlsx, "PARALLEL_XML", 0)
    with pytest.raises(WorkbookError) as in_order:
        XlsxBackend(path).read()
    assert "attribute value" in str(in_order.value)
    monkeypatch.setattr(xlsx, "PARALLEL_XML", 10**12)
    _late_first_tab(monkeypatch, "Factures", 11)
    with pytest.raises(WorkbookError) as out_of_order:
        XlsxBackend(path).read()
    assert str(out_of_order.value) == str(in_order.value)


def test_the_book_budget_counts_the_tabs_in_order(tmp_path: Path, monkeypatch):
    path = package(tmp_path / "book.xlsx", {"Factures": sheet_xml([["f", 1]] * 30),
                                            "Clients": sheet_xml([["c", 2, 3]] * 40),
                                            "Reglements": sheet_xml([["r"]] * 5)})
    monkeypatch.setattr(parts, "MAX_BOOK_CELLS", 100)
    monkeypatch.setattr(xlsx, "PARALLEL_XML", 0)  # one thread: the tabs made in order
    with pytest.raises(WorkbookError) as in_order:
        XlsxBackend(path).read()
    monkeypatch.setattr(xlsx, "PARALLEL_XML", 10**12)
    _late_first_tab(monkeypatch, "Factures", 40)
    with pytest.raises(WorkbookError) as out_of_order:
        XlsxBackend(path).read()
    assert str(out_of_order.value) == str(in_order.value)
    assert "180" in str(in_order.value)  # 60 cells of Factures, then 120 of Clients


def test_checks_that_inflate_beside_their_scan_read_and_refuse_the_same(tmp_path: Path, monkeypatch):
    from handmade import Raw

    path = tmp_path / "demo.xlsx"
    build_demo_workbook(path, customers=40, invoices=600)
    before = _as_before(path)
    lying = package(tmp_path / "lying.xlsx", {"Clients": sheet_xml([["c"]] * 5),
                                              "Factures": Raw(sheet_bomb(20 * 2**20, [["a", 1]]).deflated, 5000)})
    with pytest.raises(WorkbookError) as alone:
        XlsxBackend(lying).read()
    monkeypatch.setattr(xlsx, "_INFLATE_BESIDE", 0)
    assert read_typed(XlsxBackend(path).read) == before
    with pytest.raises(WorkbookError) as beside:
        XlsxBackend(lying).read()
    assert str(beside.value) == str(alone.value) and "inflates past the 5 KB" in str(beside.value)


# ---------------------------------------------------------------- the scan, chunk by chunk, in place

_REFS = st.one_of(
    st.tuples(st.sampled_from(["A", "B", "M", "Z", "AA", "XFD", "AAAA", "a"]),
              st.sampled_from(["1", "9", "10", "99999", "100000", "1048576", "99999999", "0", ""])).map("".join),
    st.just(None))
_CELL = st.tuples(_REFS, st.sampled_from(["", ' s="1"', ' t="s"']), st.sampled_from(["", "x:", "y:"]),
                  st.sampled_from(["<v>1</v>", "", '<is><r><rPr><charset val="0"/><color rgb="1"/></rPr>'
                                   "<t>a&gt;b</t></r></is>"]))


def _cell_xml(cell: tuple[str | None, str, str, str]) -> str:
    ref, attrs, prefix, body = cell
    at = f' r="{ref}"' if ref is not None else ""
    first = f"<{prefix}c{at}{attrs}"
    return f"{first}/>" if not body else f"{first}>{body}</{prefix}c>"


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(_CELL, max_size=30), prefix=st.sampled_from(["", "x:"]),
       dimension=st.sampled_from([None, "A1:M20", "A1:XFD1048576", "B2"]), cuts=st.lists(st.floats(0, 1), max_size=12),
       precise=st.booleans())
def test_the_scan_in_place_finds_what_the_joined_scan_found(cells, prefix, dimension, cuts, precise):
    from reference_xlsx_read import ReferenceSheetScan

    dim = f'<{prefix}dimension ref="{dimension}"/>' if dimension else ""
    ns = f' xmlns:{prefix[:-1]}="{MAIN}"' if prefix else f' xmlns="{MAIN}"'
    xml = (f'<?xml version="1.0"?><{prefix}worksheet{ns}>{dim}<{prefix}sheetData><{prefix}row r="1">'
           + "".join(_cell_xml(c) for c in cells)
           + f"</{prefix}row></{prefix}sheetData></{prefix}worksheet>").encode()
    bounds = sorted({int(c * len(xml)) for c in cuts} | {0, len(xml)})
    chunks = [xml[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    now, before = parts.SheetScan(precise=precise), ReferenceSheetScan(precise=precise)
    for chunk in chunks:
        now.feed(chunk)
        before.feed(chunk)
    assert now.extent() == before.extent()
    assert now.declared == before.declared
