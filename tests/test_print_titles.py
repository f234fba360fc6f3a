"""The tabs relance writes print their header row atop every page, and the Dashboard on one page.

Each tab relance writes gets a `_xlnm.Print_Titles` defined name local to it (localSheetId, its
position) naming its row 1, kept exactly like relance's ownership marks: written with the tab,
renumbered when the tab moves, removed with the tab; workbook.xml is edited only when that set
changes, and a user's tab's print titles (or any other name) are never touched.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from conftest import NOW, customer, invoice, on, tabs
from relance import cli
from relance.app.jobs import read_book, run
from relance.channels.outbox import OutboxChannel
from relance.cli import app
from relance.engine.owned_tabs import history_tabs
from relance.engine.sheets import OwnedTab
from relance.workbook import xlsx_parts
from relance.workbook.xlsx import XlsxBackend

AS_OF = NOW.date()
RELANCE_TABS = ("Historique", "A_valider", "Taches", "Anomalies")
TITLES = re.compile(r'<definedName name="_xlnm\.Print_Titles" localSheetId="(\d+)">([^<]*)</definedName>')


def _user_book(path: Path) -> Path:
    """The user's tabs, two of them with print settings of their own (as openpyxl writes them)."""
    wb = openpyxl.Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    book = tabs([customer("C1"), customer("C2")], [invoice("F1", "C1", "2025-01-01", "2025-02-27", 1000),
                                                   invoice("F2", "C2", "2025-01-05", "2025-03-01", 250)])
    for name, rows in book.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    factures, clients = wb["Factures"], wb["Clients"]
    factures.print_title_rows = "1:2"
    factures.print_title_cols = "A:A"
    factures.page_setup.orientation = "portrait"
    factures.page_setup.paperSize = factures.PAPERSIZE_A3
    clients.print_title_rows = "1:1"
    clients.print_options.gridLines = True
    wb.save(path)
    return path


def _run(path: Path, tmp_path: Path) -> None:
    run(XlsxBackend(path), lambda b: OutboxChannel(tmp_path / "out", "t"), on(AS_OF), anytime=True)


def _workbook_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/workbook.xml").decode()


def _edit_workbook_xml(path: Path, edit: Callable[[str], str]) -> None:
    """What another program saving the workbook did to workbook.xml, every other part kept."""
    with zipfile.ZipFile(path) as zf:
        items = {i.filename: zf.read(i) for i in zf.infolist()}
    items["xl/workbook.xml"] = edit(items["xl/workbook.xml"].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in items.items():
            zf.writestr(name, data)


def _print_settings(ws) -> tuple:
    ps, po = ws.page_setup, ws.print_options
    return (ws.print_title_rows, ws.print_title_cols, ws.print_area, ps.orientation, ps.paperSize, ps.fitToWidth,
            ps.fitToHeight, ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage,
            po.gridLines, po.horizontalCentered)


def _rows(titles: str | None) -> str | None:
    return titles.replace("$", "") if titles else titles


# ------------------------------------------------------------------------------ a real run


def test_every_tab_relance_writes_repeats_its_header_and_the_users_print_settings_stay(tmp_path: Path):
    path = _user_book(tmp_path / "book.xlsx")
    before = {ws.title: _print_settings(ws) for ws in openpyxl.load_workbook(path)}
    assert _rows(before["Factures"][0]) == "1:2" and before["Factures"][3] == "portrait"
    _run(path, tmp_path)
    wb = openpyxl.load_workbook(path)
    assert [ws.title for ws in wb][:4] == ["Clients", "Factures", "Reglements", "Parametres"]
    for name in RELANCE_TABS:
        ws = wb[name]
        assert _rows(ws.print_title_rows) == "1:1", name
        assert ws.print_title_cols is None and ws.page_setup.orientation == "landscape", name
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, name  # as many pages as rows
    for name, settings in before.items():
        assert _print_settings(wb[name]) == settings, name
    # workbook.xml holds one print titles name per tab, each at the tab's position
    order = [ws.title for ws in wb]
    found = {int(i): ref for i, ref in TITLES.findall(_workbook_xml(path))}
    assert {order[i]: ref for i, ref in found.items() if order[i] in RELANCE_TABS} == {
        n: f"'{n}'!$1:$1" for n in RELANCE_TABS}


def test_a_second_run_leaves_workbook_xml_byte_identical(tmp_path: Path):
    path = _user_book(tmp_path / "book.xlsx")
    _run(path, tmp_path)
    first = _workbook_xml(path)
    _run(path, tmp_path)
    assert _workbook_xml(path) == first
    XlsxBackend(path).write([OwnedTab("Anomalies", ["a"], [["x"]])])  # one tab rewritten alone
    assert _workbook_xml(path) == first


def test_a_user_tabs_own_print_titles_are_kept_byte_for_byte(tmp_path: Path):
    path = _user_book(tmp_path / "book.xlsx")
    user_names = re.findall(r"<definedName\b[^>]*>[^<]*</definedName>", _workbook_xml(path))
    assert any("Print_Titles" in n and "Factures" in n for n in user_names)
    _run(path, tmp_path)
    xml = _workbook_xml(path)
    for element in user_names:  # every name of the user's, where it was, as it was
        assert xml.count(element) == 1, element


def test_the_dashboard_prints_on_one_page_with_its_header(tmp_path: Path, monkeypatch):
    path = _user_book(tmp_path / "book.xlsx")
    monkeypatch.setattr(cli, "_now", lambda: on(AS_OF))
    result = CliRunner().invoke(app, ["report", str(path), "--write"])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(path)["Tableau_de_bord"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert _rows(ws.print_title_rows) == "1:1"


def test_names_are_quoted_as_a_formula_quotes_them(tmp_path: Path):
    path = _user_book(tmp_path / "book.xlsx")
    odd = ["D'Artagnan & fils", "Plan 2026", "A1", "Dépenses <T1>"]
    XlsxBackend(path).write([OwnedTab(n, ["a", "b"], [[1, 2]]) for n in odd])
    xml = _workbook_xml(path)
    assert "'D''Artagnan &amp; fils'!$1:$1" in xml and "'Dépenses &lt;T1&gt;'!$1:$1" in xml
    wb = openpyxl.load_workbook(path)
    for name in odd:
        assert _rows(wb[name].print_title_rows) == "1:1", name
    assert XlsxBackend(path).read()[-1].owned


def test_a_tab_without_header_gets_no_print_titles(tmp_path: Path):
    path = _user_book(tmp_path / "book.xlsx")
    XlsxBackend(path).write([OwnedTab("Notes", [], [["a"]]), OwnedTab("Plan", ["a"], [])])
    wb = openpyxl.load_workbook(path)
    assert wb["Notes"].print_title_rows is None and _rows(wb["Plan"].print_title_rows) == "1:1"


# ------------------------------------------------------------------------------ moved, renamed, deleted


def _sheets(xml: str) -> list[str]:
    return re.findall(r"<sheet\b[^>]*/>", xml)


def _move_first_to_end(xml: str, renumber: bool) -> str:
    """The first tab moved after the last, as Excel does (local names renumbered) or as a careless
    program would (the tabs reordered, their names left where they were)."""
    sheets = _sheets(xml)
    xml = xml.replace("".join(sheets), "".join([*sheets[1:], sheets[0]]))
    if renumber:
        last = len(sheets) - 1
        xml = re.sub(r'localSheetId="(\d+)"',
                     lambda m: f'localSheetId="{last if m.group(1) == "0" else int(m.group(1)) - 1}"', xml)
    return xml


def _titles(path: Path) -> dict[str, str | None]:
    return {ws.title: _rows(ws.print_title_rows) for ws in openpyxl.load_workbook(path)}


def test_titles_follow_their_tab_when_excel_moves_it_and_nothing_is_rewritten(tmp_path: Path):
    path = _user_book(tmp_path / "book.xlsx")
    XlsxBackend(path).write([OwnedTab("Historique", ["a", "b"], [[1, 2]]), OwnedTab("Taches", ["t"], [])])
    _edit_workbook_xml(path, lambda x: _move_first_to_end(_move_first_to_end(x, True), True))
    moved = _workbook_xml(path)
    assert _sheets(moved)[0].startswith('<sheet name="Reglements"')
    XlsxBackend(path).write([OwnedTab("Historique", ["a", "b"], [[1, 2], [3, 4]])])
    assert _workbook_xml(path) == moved  # right already: workbook.xml left as it was
    titles = _titles(path)
    assert titles["Historique"] == titles["Taches"] == "1:1" and titles["Factures"] == "1:2"


def test_titles_left_at_a_stale_position_are_put_right(tmp_path: Path):
    path = _user_book(tmp_path / "book.xlsx")
    XlsxBackend(path).write([OwnedTab("Historique", ["a", "b"], [[1, 2]]), OwnedTab("Taches", ["t"], [])])
    before = _titles(path)
    # Clients moved last without renumbering: every name now sits one tab to the left
    _edit_workbook_xml(path, lambda x: _move_first_to_end(x, False))
    XlsxBackend(path).write([OwnedTab("Historique", ["a", "b"], [[1, 2]])])
    assert _titles(path) == before
    xml = _workbook_xml(path)
    order = [re.search(r'name="([^"]*)"', s).group(1) for s in _sheets(xml)]  # type: ignore[union-attr]
    for i, ref in TITLES.findall(xml):  # each names the tab it is local to
        assert ref.split("!")[0].strip("'") == order[int(i)], (i, ref)
    assert xml.count("Print_Titles") == 4  # Factures, Clients (moved back, text kept), Historique, Taches


def test_titles_go_with_their_tab(tmp_path: Path):
    path = _user_book(tmp_path / "book.xlsx")
    XlsxBackend(path).write([OwnedTab("Historique", ["a"], []), OwnedTab("Taches", ["t"], []),
                             OwnedTab("Anomalies", ["a"], [])])

    def delete_taches(xml: str) -> str:  # Taches deleted by a program that left its names behind
        xml = re.sub(r'<sheet name="Taches"[^>]*/>', "", xml)
        return xml.replace("'Taches'!$A$1", "#REF!$A$1")

    _edit_workbook_xml(path, delete_taches)
    assert "'Taches'!$1:$1" in _workbook_xml(path)
    XlsxBackend(path).write([OwnedTab("Historique", ["a"], [])])
    xml = _workbook_xml(path)
    assert "Taches" not in xml
    assert _titles(path) == {"Clients": "1:1", "Factures": "1:2", "Reglements": None, "Parametres": None,
                             "Historique": "1:1", "Anomalies": "1:1"}
    assert xlsx_parts.owned_marks(xml.encode()) == ["Historique", "Anomalies"]


def test_a_rename_keeps_the_titles_as_excel_rewrote_them(tmp_path: Path):
    path = _user_book(tmp_path / "book.xlsx")
    XlsxBackend(path).write([OwnedTab("Plan", ["a"], [])])
    # Excel renames the tab, rewrites the references of every name, and spells them its own way
    _edit_workbook_xml(path, lambda x: x.replace('name="Plan"', 'name="Plan_ancien"')
                       .replace("'Plan'!$A$1", "Plan_ancien!$A$1").replace("'Plan'!$1:$1", "Plan_ancien!$1:$1"))
    renamed = _workbook_xml(path)
    XlsxBackend(path).write([OwnedTab("Plan_ancien", ["a"], [])])
    assert _workbook_xml(path) == renamed


# ------------------------------------------------------------------------------ the workbook.xml edit


WB = ('<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
      '<sheet name="Factures" sheetId="1" r:id="rId1"/><sheet name="Historique" sheetId="2" r:id="rId2"/></sheets>'
      "{names}<calcPr/></workbook>")


def test_the_edit_adds_or_replaces_only_relance_titles():
    mine = '<definedName name="_xlnm.Print_Titles" localSheetId="0">Factures!$1:$3</definedName>'
    area = '<definedName name="_xlnm.Print_Area" localSheetId="1">Historique!$A$1:$C$9</definedName>'
    other = '<definedName name="Taux">Factures!$B$2</definedName>'
    xml = WB.format(names=f"<definedNames>{mine}{area}{other}</definedNames>")
    out = xlsx_parts.with_print_titles(xml, ["Factures", "Historique"], ["Historique"], ["Historique"])
    assert out == xml.replace("</definedNames>", '<definedName name="_xlnm.Print_Titles" localSheetId="1">'
                              "'Historique'!$1:$1</definedName></definedNames>")
    assert xlsx_parts.with_print_titles(out, ["Factures", "Historique"], ["Historique"], ["Historique"]) == out
    # Excel's own spelling of the same titles is left as it is
    excel = WB.format(names='<definedNames><definedName name="_xlnm.Print_Titles" localSheetId="1">'
                      "Historique!$1:$1</definedName></definedNames>")
    assert xlsx_parts.with_print_titles(excel, ["Factures", "Historique"], ["Historique"], ["Historique"]) == excel
    # other titles on relance's tab (rows 1 to 2, or columns) are relance's to set right
    wrong = excel.replace("Historique!$1:$1", "Historique!$A:$A,Historique!$1:$2")
    assert xlsx_parts.with_print_titles(wrong, ["Factures", "Historique"], ["Historique"], ["Historique"]) == \
        excel.replace("Historique!$1:$1", "'Historique'!$1:$1")


def test_the_edit_creates_the_container_in_the_files_prefix():
    xml = WB.format(names="").replace("<", "<x:").replace("<x:/", "</x:").replace(
        'xmlns="', 'xmlns:x="')
    out = xlsx_parts.with_print_titles(xml, ["Factures", "Historique"], ["Historique"], ["Historique"])
    assert ('</x:sheets><x:definedNames><x:definedName name="_xlnm.Print_Titles" localSheetId="1">'
            "'Historique'!$1:$1</x:definedName></x:definedNames><x:calcPr/>") in out


# ------------------------------------------------------------------------------ LibreOffice prints it


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
@pytest.mark.skipif(_soffice() is None or shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
                    reason="LibreOffice or poppler-utils is not installed")
def test_libreoffice_prints_the_header_on_every_history_page(tmp_path: Path):
    path = tmp_path / "book.xlsx"
    runner = CliRunner()
    old = cli._now
    try:
        cli._now = lambda: dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
        for args in (["init", str(path), "--demo", "--as-of", "2026-11-23", "--customers", "60", "--invoices", "500"],
                     ["run", str(path)], ["report", str(path), "--write"]):
            result = runner.invoke(app, args)
            assert result.exit_code in (0, 1), result.output
    finally:
        cli._now = old
    backend = XlsxBackend(path)
    book = read_book(backend)
    assert book.history
    [history] = history_tabs(book, (book.history * (300 // len(book.history) + 1))[:300])
    backend.write([history])
    done = subprocess.run([_soffice() or "soffice", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                           "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                          capture_output=True, text=True, timeout=300)
    pdf = tmp_path / "book.pdf"
    assert pdf.exists(), done.stdout + done.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    texts = [subprocess.run(["pdftotext", "-layout", "-f", str(p), "-l", str(p), str(pdf), "-"],
                            capture_output=True, text=True, check=True).stdout for p in range(1, pages + 1)]
    run_id = re.compile(r"\b20261123T093000\.\d{6}\b")  # every History row starts with its run's id
    history_pages = [t for t in texts if len(run_id.findall(t)) >= 5]
    assert len(history_pages) >= 3, [t[:200] for t in texts]  # 300 rows do not fit on one page
    for text in history_pages:
        assert re.search(r"^\s*run_id\s+horodatage\s+cle_action", text, re.M), text[:500]
    assert sum(len(run_id.findall(t)) for t in history_pages) >= 300
    # the Dashboard, the last tab, on one page: its header, its figures and its last chart's legend
    dashboard = texts[-1]
    assert dashboard.lstrip().startswith("indicateur") and "encours net" in dashboard, dashboard[:500]
    assert "Balance âgée (EUR)" in dashboard and "payé sous 30 j" in dashboard
    assert not texts[-2].lstrip().startswith("indicateur")
