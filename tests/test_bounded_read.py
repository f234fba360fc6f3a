"""Reading stays bounded whatever the workbook holds (workbook/xlsx.py, xlsx_parts "Reading
within bounds").

relance reads only its tabs (the contract's and History archives): a user's tab with a cell at
XFD1048576 or one that inflates to 4 GB costs nothing. A part relance reads is checked against
its zip header and a bound before anything builds it, and a tab's used range against a cell
budget; a tab whose range is absurd only because of blank cells far away is read without them.
The files are written part by part (tests/handmade.py): small on disk, built in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import customer, invoice, tabs
from handmade import MAIN, Raw, bomb, column, deflate, package, sheet_bomb, sheet_xml, zip_file
from relance.app.jobs import read_book
from relance.app.resources import shipped_contract
from relance.engine.errors import WorkbookError
from relance.engine.sheets import OwnedTab
from relance.engine.table import reads_tab
from relance.workbook import xlsx_parts as parts
from relance.workbook.xlsx import XlsxBackend

ROOT = Path(__file__).resolve().parents[1]
TABS = tabs([customer("C1"), customer("C2")],
            [invoice("F1", "C1", "2025-01-01", "2025-01-31", 100), invoice("F2", "C2", "2025-02-01", "2025-03-03", 50)])
SHEETS = {name: sheet_xml(rows) for name, rows in TABS.items()}
MiB = 1 << 20


def relance_tabs(path: Path) -> dict[str, list]:
    contract = shipped_contract()
    return {s.name: [list(r) for r in s.rows] for s in XlsxBackend(path).read(lambda n: reads_tab(contract, n))}


def refused(path: Path, wanted=None) -> WorkbookError:
    with pytest.raises(WorkbookError) as caught:
        XlsxBackend(path).read(wanted)
    return caught.value


def expected(rows: list[list]) -> list[list]:
    width = max(len(r) for r in rows)
    return [[("" if v is None else v) for v in r] + [""] * (width - len(r)) for r in rows]


# ------------------------------------------------------------------------------ the user's tabs


def test_a_user_tab_reaching_xfd1048576_is_not_read(tmp_path: Path):
    notes = sheet_xml([["mes notes"]], '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    path = package(tmp_path / "book.xlsx", {**SHEETS, "Mes notes": notes})
    read = relance_tabs(path)
    assert read["Mes notes"] == [] and read["Factures"] == expected(TABS["Factures"])
    book = read_book(XlsxBackend(path))
    assert set(book.invoices) == {"F1", "F2"} and "Mes notes" in book.sheet_names
    # asked for every tab, the reader refuses that one, with the cell and the fix
    error = refused(path)
    assert "'Mes notes'" in error.message and "XFD1048576" in error.message and "Ctrl+End" in error.hint


def test_a_user_tab_that_inflates_to_4_gb_is_never_inflated(tmp_path: Path):
    path = package(tmp_path / "book.xlsx", {**SHEETS, "Archives": sheet_bomb(4_000_000_000)})
    assert path.stat().st_size < 5 * MiB
    assert relance_tabs(path)["Archives"] == []
    # saving relance's tabs copies it as it is, still compressed
    backend = XlsxBackend(path)
    backend.write([OwnedTab("Anomalies", ["a"], [["b"]])])
    assert path.stat().st_size < 5 * MiB and relance_tabs(path)["Anomalies"] == [["a"], ["b"]]
    # a header lying about it (1 KB declared) is not even looked at
    lying = sheet_bomb(50 * MiB)
    path = package(tmp_path / "lying.xlsx", {**SHEETS, "Archives": Raw(lying.deflated, 1000)})
    assert relance_tabs(path)["Factures"] == expected(TABS["Factures"])


# ------------------------------------------------------------------------------ relance's tabs


def test_a_relance_tab_past_the_part_bound_is_refused_naming_it(tmp_path: Path):
    path = package(tmp_path / "book.xlsx", {**SHEETS, "Factures": sheet_bomb(4_000_000_000)})
    error = refused(path)
    assert error.message.startswith("book.xlsx: the tab 'Factures' (xl/worksheets/sheet2.xml) inflates to 4 GB")
    assert "more than the 1 GB relance reads in one part" in error.message


def test_a_lying_header_is_refused_at_the_first_byte_past_it(tmp_path: Path):
    real = sheet_bomb(20 * MiB, TABS["Factures"])
    path = package(tmp_path / "book.xlsx", {**SHEETS, "Factures": Raw(real.deflated, 5000)})
    error = refused(path)
    assert "'Factures'" in error.message and "inflates past the 5 KB its zip header declares" in error.message
    # the shared strings, read by calamine when it opens the workbook, are checked the same way
    strings = bomb(f'<sst xmlns="{MAIN}">'.encode(), b"<si><t>x</t></si>" * 4096, 5000, b"</sst>")
    path = package(tmp_path / "strings.xlsx", SHEETS, strings=Raw(strings.deflated, 300))
    assert "table of texts (xl/sharedStrings.xml) inflates past" in refused(path).message
    path = package(tmp_path / "strings.xlsx", SHEETS, strings=Raw(strings.deflated, 400_000_000))
    assert "inflates to 400 MB" in refused(path).message


@pytest.mark.parametrize("stray", [
    '<c r="XFD1048576" t="inlineStr"><is><t> </t></is></c>',  # a space typed and forgotten
    '<c r="XFD1048576" t="inlineStr"><is><t></t></is></c>',
    '<c r="XFD1048576" t="s"><v>1</v></c>',  # an empty shared string
    '<c r="XFD1048576" t="str"><f>""</f><v></v></c>',  # a formula giving ""
    '<c r="XFD1048576" s="0"/>',  # formatting only
])
def test_blank_cells_far_beyond_a_relance_tab_are_left_out(tmp_path: Path, stray):
    strings = f'<sst xmlns="{MAIN}"><si><t>x</t></si><si><t/></si></sst>'.encode()
    factures = sheet_xml(TABS["Factures"], f'<row r="1048576">{stray}</row>', dimension="A1:XFD1048576")
    path = package(tmp_path / "book.xlsx", {**SHEETS, "Factures": factures}, strings=strings)
    assert relance_tabs(path)["Factures"] == expected(TABS["Factures"])
    assert len(read_book(XlsxBackend(path)).invoices) == 2


def test_a_value_far_beyond_a_relance_tab_is_refused_naming_its_cell(tmp_path: Path):
    factures = sheet_xml(TABS["Factures"], '<row r="1048576"><c r="XFD1048576"><v>0</v></c></row>')
    path = package(tmp_path / "book.xlsx", {**SHEETS, "Factures": factures})
    error = refused(path, lambda n: n == "Factures")
    assert error.message == ("book.xlsx: the tab 'Factures' has a cell at XFD1048576, so it spans 1,048,576 rows "
                             "× 16,384 columns: more than the 16,777,216 cells relance reads in one tab")
    assert "Ctrl+End" in error.hint
    # a stray cell within the budget is read as it is (and reported by the checks, row by row)
    factures = sheet_xml(TABS["Factures"], '<row r="5000"><c r="Z5000"><v>7</v></c></row>')
    path = package(tmp_path / "ok.xlsx", {**SHEETS, "Factures": factures})
    rows = relance_tabs(path)["Factures"]
    assert len(rows) == 5000 and len(rows[0]) == 26 and rows[-1][-1] == 7


def test_too_many_cells_across_relance_tabs_are_refused(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(parts, "MAX_BOOK_CELLS", 100)
    path = package(tmp_path / "book.xlsx", {**SHEETS, "Factures": sheet_xml([["a"] * 9] * 12)})
    assert "it reads at once" in refused(path).message


# ------------------------------------------------------------------------------ every XML form


def _form(rows: dict[tuple[int, int], object], form: str, dimension: str | None) -> bytes:
    """A worksheet holding these cells written as different writers write them."""
    p = "x:" if form == "prefixed" else ""
    by_row: dict[int, list[tuple[int, object]]] = {}
    for (r, c), v in sorted(rows.items()):
        by_row.setdefault(r, []).append((c, v))
    out = []
    for r, cells in by_row.items():
        parts_ = []
        prev = 0
        for c, v in cells:
            if form == "no-r" and c != prev + 1:  # a cell without r is the next column: fill the gap
                parts_ += [f"<{p}c/>"] * (c - prev - 1)
            ref = f"{column(c)}{r}"
            attr = {"no-r": "", "attr-order": f' s="0" r="{ref}"'}.get(form, f' r="{ref}"')
            if isinstance(v, str):
                parts_.append(f'<{p}c{attr} t="inlineStr"><{p}is><{p}t>{v}</{p}t></{p}is></{p}c>')
            else:
                parts_.append(f"<{p}c{attr}><{p}v>{v}</{p}v></{p}c>")
            prev = c
        out.append(f'<{p}row r="{r}">{"".join(parts_)}</{p}row>')
    ns = f'xmlns:x="{MAIN}"' if p else f'xmlns="{MAIN}"'
    dim = f'<{p}dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{p}worksheet {ns}>{dim}<{p}sheetData>{"".join(out)}'
            f"</{p}sheetData></{p}worksheet>").encode()


cells_st = st.dictionaries(
    st.tuples(st.integers(1, 40), st.integers(1, 30)),
    st.one_of(st.integers(-1000, 1000), st.sampled_from(["a", "b c", "é"])),
    min_size=1, max_size=40,
)


@settings(max_examples=60)
@given(cells=cells_st, form=st.sampled_from(["plain", "prefixed", "no-r", "attr-order"]),
       dimension=st.sampled_from([None, "A1", "A1:B2", "A1:AD40", "A1:XFD1048576"]))
def test_every_form_of_sheet_reads_as_its_cells(tmp_path_factory, cells, form, dimension):
    path = package(tmp_path_factory.mktemp("form") / "book.xlsx",
                   {**SHEETS, "Factures": _form(cells, form, dimension)})
    rows = relance_tabs(path)["Factures"]
    height = max(r for r, _ in cells)
    width = max(c for _, c in cells)
    grid = [["" for _ in range(width)] for _ in range(height)]
    for (r, c), v in cells.items():
        grid[r - 1][c - 1] = v
    assert rows == grid


@settings(max_examples=200)
@given(cells=st.dictionaries(st.tuples(st.integers(1, 1_048_576), st.integers(1, 16_384)),
                             st.sampled_from([1, "", " "]), min_size=1, max_size=12),
       dimension=st.sampled_from([None, "A1", "A1:M100001", "A1:XFD1048576"]))
def test_the_scan_bounds_every_cell_or_says_it_cannot(cells, dimension):
    xml = _form(cells, "plain", dimension)
    scan = parts.SheetScan()
    for i in range(0, len(xml), 97):  # chunks cut anywhere, even inside a tag
        scan.feed(xml[i:i + 97])
    extent = scan.extent()
    if extent is not None:
        assert all(r <= extent.rows and c <= extent.cols for r, c in cells)
    exact = parts.exact_extent([xml], "sheet", bytearray)
    visible = [(r, c) for (r, c), v in cells.items() if str(v).strip()]
    assert (exact.rows, exact.cols) == (max((r for r, _ in visible), default=0),
                                        max((c for _, c in visible), default=0))


def test_the_scan_of_a_tall_tab_without_a_declared_range_stays_linear(monkeypatch):
    """A tab with no <dimension> (written in streaming mode) grows its range as the scan goes: a
    row past it takes the range to what the budget allows at that width in one step, instead of
    one regex per row (quadratic: 18 s for the Clients tab of a million-invoice book)."""
    rows = 120_000
    cells = {(1, 18): 1, **{(r, 1): 1 for r in range(2, rows + 1)}}
    xml = _form(cells, "plain", None)
    compiled = []
    real = parts.SheetScan._compile
    monkeypatch.setattr(parts.SheetScan, "_compile", lambda self: (compiled.append(1), real(self))[1])
    scan = parts.SheetScan()
    for i in range(0, len(xml), 1 << 16):
        scan.feed(xml[i:i + (1 << 16)])
    extent = scan.extent()
    assert extent is not None and extent.cols == 18 and rows <= extent.rows
    assert extent.cells <= parts.MAX_TAB_CELLS
    assert len(compiled) < 20
    # one more row than the budget allows at that width: the fast scan says only an exact one can tell
    wide = parts.MAX_TAB_CELLS // 18 + 1
    over = _form({(1, 18): 1, (wide, 1): 1}, "plain", None)
    scan = parts.SheetScan()
    scan.feed(over)
    assert scan.extent() is None
    precise = parts.SheetScan(precise=True)
    precise.feed(over)
    assert precise.extent() == parts.Extent(wide, 18, f"R{wide}")


def test_inflate_refuses_what_its_header_does_not_say(tmp_path: Path):
    data = b"<x>" + b"a" * 5000 + b"</x>"
    good = deflate(data)
    truncated = Raw(good.deflated[:-20], good.size, good.crc)
    path = zip_file(tmp_path / "p.zip", [("good", good), ("short", truncated), ("lie", Raw(good.deflated, 100))])
    with open(path, "rb") as f:
        members = {m.name: m for m in parts.read_members(f)[0]}
        assert b"".join(parts.inflate(f, members["good"], 10_000)) == data
        with pytest.raises(parts.PackageError, match="truncated|damaged"):
            b"".join(parts.inflate(f, members["short"], 10_000))
        with pytest.raises(parts.PackageError, match="inflates past the 100 bytes"):
            b"".join(parts.inflate(f, members["lie"], 10_000))
        with pytest.raises(parts.PackageError, match="more than the 1 KB"):
            b"".join(parts.inflate(f, members["good"], 1000))
    assert zlib.decompress(good.deflated, -15) == data


# ------------------------------------------------------------------------------ memory, measured


def _peak(path: Path) -> tuple[int, int, str]:
    """Peak RSS (MiB) and exit code of a `relance check` process on the workbook."""
    code = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run([sys.executable, '-c', 'from relance.cli import main; main()', 'check', sys.argv[1]],"
        " capture_output=True, text=True)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024\n"
        "print(peak, p.returncode); print(p.stdout[:300] + p.stderr[-600:])\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    first, _, rest = done.stdout.partition("\n")
    peak, rc = first.split()
    return int(peak), int(rc), rest


@pytest.mark.slow
@pytest.mark.parametrize("case", ["user-xfd", "user-bomb", "factures-blank-xfd"])
def test_relance_check_stays_small_whatever_the_workbook_holds(tmp_path: Path, case):
    rows = [["numero", "code_client", "date_facture", "echeance", "montant_ttc"]]
    rng = random.Random(7)
    for i in range(3000):
        day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(300))
        rows.append([f"F{i:05d}", "C1", day.isoformat(), (day + dt.timedelta(days=30)).isoformat(),
                     rng.randrange(100, 9000)])
    sheets = {**SHEETS, "Factures": sheet_xml(rows)}
    if case == "user-xfd":
        sheets["Mes notes"] = sheet_xml([["note"]], '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    elif case == "user-bomb":
        sheets["Archives"] = sheet_bomb(4_000_000_000)
    else:
        sheets["Factures"] = sheet_xml(rows, '<row r="1048576"><c r="XFD1048576" s="0"/></row>',
                                       dimension="A1:XFD1048576")
    path = package(tmp_path / "book.xlsx", sheets)
    peak, rc, output = _peak(path)
    assert rc in (0, 1), output  # read and checked (exit 1: its rows have problems); never 134 nor 3
    assert "3\u00a0000 factures" in output  # the French workbook's console
    assert peak < 300, f"{case}: {peak} MiB"
    (tmp_path / "peak.json").write_text(json.dumps({"case": case, "peak_mib": peak}))


def test_two_parts_of_one_name_are_refused(tmp_path: Path):
    """A reader might take either: checking one would prove nothing about the other."""
    path = package(tmp_path / "book.xlsx", SHEETS)
    import zipfile

    with zipfile.ZipFile(path) as zf:
        members = [(i.filename, deflate(zf.read(i))) for i in zf.infolist()]
    lying = sheet_bomb(20 * MiB)
    members.append(("XL/worksheets/SHEET2.xml", Raw(lying.deflated, 1000)))
    zip_file(path, members)
    assert "two parts named xl/worksheets/sheet2.xml" in refused(path).message
