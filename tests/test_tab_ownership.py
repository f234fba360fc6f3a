"""relance writes only the tabs it created: marks, the header rule for older tabs, refusals.

A tab named like one of relance's (History, Plan, Tasks, Dashboard, Anomalies, History_2025, in
either language, case and accents ignored) is relance's when the backend found relance's mark on
it, or, with no mark, when its header row is relance's. Any other is the user's own: it is never
read as relance's, and every command refuses (exit 3, naming it and the fix) before sending or
writing anything.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from conftest import NOW, customer, invoice, on, tabs
from handmade import write_book
from relance.app.jobs import baseline, read_book, run
from relance.app.resources import shipped_contract
from relance.channels.outbox import OutboxChannel
from relance.cli import app
from relance.engine.errors import ForeignTab
from relance.engine.sheets import OwnedTab, RawSheet
from relance.engine.table import FOREIGN_TAB, Collector, find_tables, reads_tab
from relance.workbook import xlsx_parts
from relance.workbook.memory import MemoryBackend
from relance.workbook.xlsx import XlsxBackend

CONTRACT = shipped_contract()
PLAN_FR = CONTRACT.tab("plan").headers("fr")
PLAN_EN = CONTRACT.tab("plan").headers("en")
HISTORY_FR = CONTRACT.tab("history").headers("fr")
TASKS_FR = CONTRACT.tab("tasks").headers("fr")
CASH_PLAN = [["mois", "encaissements", "décaissements"], ["2025-01", 12000, 9000]]
AS_OF = NOW.date()


def found(*sheets: RawSheet) -> tuple[dict, dict, list]:
    out = Collector()
    tables, owned = find_tables(list(sheets), CONTRACT, out)
    return tables, owned, [a for a in out.items if a.code == FOREIGN_TAB]


# ------------------------------------------------------------------------------ the rule


@pytest.mark.parametrize("owned", [False, None])
@pytest.mark.parametrize("name, rows", [
    ("Plan", CASH_PLAN),  # a cash plan
    ("Tâches", [["quoi", "qui"], ["appeler la banque", "Julie"]]),
    ("Historiqué", [["date", "événement"]]),
    ("HISTORY", []),  # empty: no header at all
    ("Historique_2024", [["année", "CA"]]),  # an archive name
    ("A_valider", [PLAN_FR[:5]]),  # too few of relance's columns to be an older relance's tab
    ("A_valider", [[*PLAN_FR, "mon commentaire"]]),  # relance's header and a column of the user's
    ("Tableau_de_bord", [["indicateur", "mes notes"]]),
])
def test_a_user_tab_under_a_relance_name_is_foreign(name, rows, owned):
    tables, owned_tabs, foreign = found(RawSheet(name, rows, owned=owned))
    assert [a.source.tab for a in foreign] == [name]
    assert not owned_tabs and not any(t.name == name for t in tables.values())
    a = foreign[0]
    assert a.severity == "error" and f"rename your tab '{name}'" in a.hint.en


@pytest.mark.parametrize("sheet", [
    RawSheet("Plan", CASH_PLAN, owned=True),  # marked: relance's, whatever the user did to it
    RawSheet("A_valider", [PLAN_FR, [True, "k1"]], owned=False),  # unmarked, relance's header (fr)
    RawSheet("plan", [PLAN_EN], owned=None),  # (en), a backend that cannot mark
    RawSheet("Historique", [HISTORY_FR[:14], ["r1"]], owned=False),  # an older relance's History (14 columns)
    RawSheet("Historique_2024", [HISTORY_FR], owned=False),
    RawSheet("Tableau_de_bord", [["indicateur", "EUR", "USD", ""], ["au", "2025-03-31"]], owned=False),
    RawSheet("Taches", [[*TASKS_FR, "", None]], owned=False),  # trailing blank cells do not count
])
def test_a_marked_tab_or_one_headed_as_relance_heads_it_is_relance(sheet):
    tables, owned, foreign = found(sheet)
    assert not foreign
    if not sheet.name.startswith("Historique_"):
        assert [s.name for s in owned.values()] == [sheet.name]


def test_relance_tab_is_used_beside_a_user_tab_of_a_similar_name():
    user = RawSheet("Tâches", [["quoi", "qui"]], owned=False)
    mine = RawSheet("Taches", [TASKS_FR, ["T1"]], owned=True)
    out = Collector()
    tables, owned = find_tables([user, mine], CONTRACT, out)
    assert owned["tasks"] is mine and tables["tasks"].name == "Taches"
    assert [a.code for a in out.items if a.code in (FOREIGN_TAB, "R001")] == [FOREIGN_TAB]


def test_relance_reads_only_its_tabs_and_history_archives():
    assert all(reads_tab(CONTRACT, n) for n in ("Factures", "invoices", "Parametres", "Historique",
                                                 "History_2023", "Tâches", "A valider", "anomalies"))
    assert not any(reads_tab(CONTRACT, n) for n in ("Mes notes", "Plan de trésorerie", "Historique (2023)",
                                                     "Graphique"))


# ------------------------------------------------------------------------------ the jobs refuse


def _book(**extra) -> dict:
    return tabs([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-27", 1000)], **extra)


def test_a_run_refuses_before_sending_anything(tmp_path: Path):
    wb = MemoryBackend(_book(Plan=CASH_PLAN))
    box = tmp_path / "out"
    with pytest.raises(ForeignTab) as caught:
        run(wb, lambda b: OutboxChannel(box, "t"), on(AS_OF), anytime=True)
    assert caught.value.exit_code == 3
    assert "'Plan'" in caught.value.message and "nothing was sent or written" in caught.value.message
    assert "rename your tab 'Plan'" in caught.value.hint
    assert wb.writes == 0 and wb.tabs["Plan"] == CASH_PLAN
    assert not box.exists() or not list(box.glob("*.eml"))
    with pytest.raises(ForeignTab):
        baseline(wb, on(AS_OF), "reminder_1")
    assert wb.writes == 0


def test_the_memory_backend_marks_what_it_writes(tmp_path: Path):
    wb = MemoryBackend(_book())
    run(wb, lambda b: OutboxChannel(tmp_path / "out", "t"), on(AS_OF), anytime=True)
    written = {n for n, t in wb.tabs.items() if n.casefold() in wb.owned}
    assert {"Historique", "A_valider", "Taches", "Anomalies"} <= written
    # what relance wrote stays relance's, even once the user changed its header
    wb.tabs["Taches"][0][0] = "mon identifiant"
    sheets = {s.name: s for s in wb.read()}
    assert sheets["Taches"].owned and not sheets["Factures"].owned
    read_book(wb)  # no refusal
    # a tab relance does not need comes back without its rows
    wb.tabs["Mes notes"] = [["secret"]]
    assert {s.name: s.rows for s in wb.read(lambda n: reads_tab(CONTRACT, n))}["Mes notes"] == []


# ------------------------------------------------------------------------------ the .xlsx marks


def _marks(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return xlsx_parts.owned_marks(zf.read("xl/workbook.xml"))


def _workbook_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/workbook.xml")


def test_an_older_relance_tab_is_accepted_then_marked_once(tmp_path: Path):
    path = write_book(tmp_path / "book.xlsx", {**_book(), "Historique": [HISTORY_FR[:14]]})
    backend = XlsxBackend(path)
    assert [s.owned for s in backend.read()] == [False] * 5
    run(backend, lambda b: OutboxChannel(tmp_path / "out", "t"), on(AS_OF), anytime=True)
    # relance_index: the hidden History index written with History (engine/history_index.py)
    assert sorted(_marks(path)) == ["A_valider", "Anomalies", "Historique", "Taches", "relance_index"]
    owned = {s.name: s.owned for s in XlsxBackend(path).read()}
    assert owned == {"Clients": False, "Factures": False, "Reglements": False, "Parametres": False,
                     "Historique": True, "A_valider": True, "Taches": True, "Anomalies": True, "relance_index": True}
    before = _workbook_xml(path)
    run(XlsxBackend(path), lambda b: OutboxChannel(tmp_path / "out", "t"), on(AS_OF), anytime=True)
    assert _workbook_xml(path) == before  # marked already: workbook.xml is left as it was


def test_a_mark_follows_its_tab_through_a_rename_and_dies_with_it(tmp_path: Path):
    path = write_book(tmp_path / "book.xlsx", {"Factures": [["numero"]]})
    backend = XlsxBackend(path)
    backend.write([OwnedTab("Plan", PLAN_EN, []), OwnedTab("Anomalies", ["a"], []),
                   OwnedTab("L'état d'Octobre", ["a"], [])])
    assert _marks(path) == ["Plan", "Anomalies", "L'état d'Octobre"]
    # What Excel does when the user renames relance's Plan to "Plan (ancien)", deletes Anomalies
    # and creates a tab of their own named Plan: the marks' references follow.
    with zipfile.ZipFile(path) as zf:
        items = {i.filename: zf.read(i) for i in zf.infolist()}
    wb = items["xl/workbook.xml"].decode()
    wb = wb.replace('name="Plan"', 'name="Plan (ancien)"').replace("'Plan'!$A$1", "'Plan (ancien)'!$A$1")
    wb = wb.replace("'Anomalies'!$A$1", "#REF!$A$1").replace('name="Anomalies"', 'name="Plan"')
    items["xl/workbook.xml"] = wb.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in items.items():
            zf.writestr(name, data)
    owned = {s.name: s.owned for s in XlsxBackend(path).read()}
    assert owned == {"Factures": False, "Plan (ancien)": True, "Plan": False, "L'état d'Octobre": True}
    XlsxBackend(path).write([OwnedTab("Anomalies", ["a"], [])])  # the dead mark is cleaned away
    assert _marks(path) == ["Plan (ancien)", "L'état d'Octobre", "Anomalies"]


def test_excel_and_openpyxl_see_valid_hidden_names(tmp_path: Path):
    import openpyxl

    path = write_book(tmp_path / "book.xlsx", {"Factures": [["numero"]]})
    XlsxBackend(path).write([OwnedTab("Historique", HISTORY_FR, []), OwnedTab("D'Artagnan & fils", ["a"], [])])
    names = openpyxl.load_workbook(path).defined_names
    assert {n: (d.attr_text, d.hidden) for n, d in names.items()} == {
        "_relance_owned_1": ("'Historique'!$A$1", True),
        "_relance_owned_2": ("'D''Artagnan & fils'!$A$1", True),
    }


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
@pytest.mark.skipif(_soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_keeps_the_marks(tmp_path: Path):
    # a French workbook whose user renamed their own "Plan" tab: relance runs and marks its tabs
    wb_tabs = {**_book(), "Plan de trésorerie": CASH_PLAN}
    path = write_book(tmp_path / "book.xlsx", wb_tabs)
    run(XlsxBackend(path), lambda b: OutboxChannel(tmp_path / "out", "t"), on(AS_OF), anytime=True)
    out = tmp_path / "lo"
    profile = (tmp_path / "lo-profile").as_uri()
    done = subprocess.run(
        [_soffice() or "soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore",
         "--convert-to", "xlsx", "--outdir", str(out), str(path)],
        capture_output=True, text=True, timeout=240)
    saved = out / "book.xlsx"
    assert saved.exists(), done.stdout + done.stderr
    assert sorted(_marks(saved)) == ["A_valider", "Anomalies", "Historique", "Taches", "relance_index"]
    owned = {s.name: s.owned for s in XlsxBackend(saved).read()}
    assert owned["Historique"] and owned["Taches"] and not owned["Plan de trésorerie"]
    read_book(XlsxBackend(saved))  # saved by LibreOffice, still relance's: no refusal


# ------------------------------------------------------------------------------ every command refuses

runner = CliRunner()


@pytest.mark.parametrize("command", [
    ["run", "--anytime"], ["run", "--dry-run"], ["plan", "--write"], ["report", "--write"],
    ["baseline", "--step", "reminder_1"], ["summary", "--to", "daf@example.fr"], ["check"],
])
def test_every_command_refuses_a_user_tab_under_a_relance_name(tmp_path: Path, command, monkeypatch):
    from relance import cli

    monkeypatch.setattr(cli, "_now", lambda: on(AS_OF))
    path = write_book(tmp_path / "book.xlsx", {**_book(), "Plan": CASH_PLAN})
    before = path.read_bytes()
    result = runner.invoke(app, [command[0], str(path), *command[1:]])
    assert result.exit_code == 3, result.output
    assert "'Plan'" in result.output and re.search(r"renommez votre onglet «\s?Plan\s?»", result.output)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("book_outbox/*.eml"))
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Plan").to_python() == CASH_PLAN
    assert re.search(r"rien n'a été envoyé ni écrit", result.output)  # the console speaks the workbook's French
