"""The Relance ribbon (addin/): its XML, its VBA callbacks, and its buttons driven against the fake
of xlwings (tests/xlwings_fake.py) on a demo workbook."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

import xlwings_fake as fake
from french import assert_french
from relance.workbook.xlsx import XlsxBackend

ROOT = Path(__file__).resolve().parents[1]
ADDIN = ROOT / "addin"
NS = "{http://schemas.microsoft.com/office/2006/01/customui}"
CALLBACKS = ("onAction", "getLabel", "getScreentip", "getSupertip")
AS_OF = dt.date(2025, 3, 31)
NOW = dt.datetime(2025, 3, 31, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def ribbon():
    sys.path.insert(0, str(ADDIN))
    try:
        yield importlib.import_module("relance_addin.ribbon")
    finally:
        sys.path.remove(str(ADDIN))


def vba_subs() -> dict[str, str]:
    """Sub name -> body, from addin/relance.bas."""
    text = (ADDIN / "relance.bas").read_text("utf-8")
    return {m.group(1): m.group(2) for m in re.finditer(r"^Sub (\w+)\((.*?)^End Sub", text, re.S | re.M)}


def test_the_custom_ui_is_well_formed_and_every_callback_exists_in_the_vba_module(ribbon):
    tree = ET.parse(ADDIN / "customUI.xml")
    assert tree.getroot().tag == f"{NS}customUI"
    module = re.search(r'^Attribute VB_Name = "(\w+)"', (ADDIN / "relance.bas").read_text("utf-8"), re.M)
    assert module is not None
    subs = vba_subs()
    buttons = list(tree.iter(f"{NS}button"))
    assert len(buttons) == 6
    used = set()
    for el in tree.iter():
        for attr in CALLBACKS:
            if attr in el.attrib:
                owner, _, sub = el.attrib[attr].partition(".")
                assert owner == module.group(1) and sub in subs, el.attrib[attr]
                used.add(sub)
    assert {b.attrib["onAction"].split(".")[1] for b in buttons} == {
        "OnRefreshAging", "OnUpdateDashboard", "OnPreview", "OnSendNow", "OnCheck", "OnHelp"}
    # every control has its label in both languages
    labels = subs["GetLabel"]
    for el in tree.iter():
        if "getLabel" in el.attrib:
            assert f'Case "{el.attrib["id"]}"' in labels, el.attrib["id"]


def test_every_run_python_target_exists_in_the_addin(ribbon):
    calls = re.findall(r'RunPython "import ([\w.]+) as (\w+); \2\.(\w+)\(\)"',
                       (ADDIN / "relance.bas").read_text("utf-8"))
    assert len(calls) == 6
    for module, _, function in calls:
        assert module == "relance_addin.ribbon"
        assert callable(getattr(ribbon, function)), function
    on_actions = [s for s in vba_subs() if s.startswith("On")]
    assert len(on_actions) == len(calls)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from relance.demo import build_demo_workbook

    path = tmp_path_factory.mktemp("demo") / "relances.xlsx"
    build_demo_workbook(path, seed=5, customers=25, invoices=160, as_of=AS_OF, lang="fr")
    return path


def open_in_excel(path: Path, folder: Path) -> fake.Book:
    """The demo workbook as Excel holds it, saved in `folder` (the outbox goes beside it)."""
    sheets = XlsxBackend(path).read()
    return fake.Book.from_tabs([(s.name, s.rows) for s in sheets], name=path.name,
                               fullname=str(folder / path.name))


def last_alert(book: fake.Book) -> dict[str, object]:
    assert book.app.alerts, "no message box"
    return book.app.alerts[-1]


def test_preview_writes_the_plan_and_sends_nothing(ribbon, demo: Path, tmp_path: Path):
    book = open_in_excel(demo, tmp_path)
    ribbon.preview(book, NOW)
    box = last_alert(book)
    assert box["mode"] == "info" and "rien n'a été envoyé" in str(box["prompt"])
    assert_french(str(box["prompt"]))
    assert "A_valider" in book.sheets and "Historique" not in book.sheets
    assert not (tmp_path / "relances_outbox").exists()
    assert book.app.status_bars[0].startswith("relance") and book.app.status_bars[-1] is False


def test_send_now_sends_once_and_says_so(ribbon, demo: Path, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("RELANCE_CHANNEL", raising=False)
    book = open_in_excel(demo, tmp_path)
    ribbon.send_now(book, NOW)
    box = last_alert(book)
    assert "Envoi terminé" in str(box["prompt"]), box
    index = (tmp_path / "relances_outbox" / "index.jsonl").read_text("utf-8").splitlines()
    assert index and "Historique" in book.sheets
    assert any("envoi" in str(s) for s in book.app.status_bars)
    history = book.sheets["Historique"].values()
    ribbon.send_now(book, NOW)  # pressed again: nothing more goes out
    assert (tmp_path / "relances_outbox" / "index.jsonl").read_text("utf-8").splitlines() == index
    assert "Envoi terminé\u00a0: 0 sur 0 " in str(last_alert(book)["prompt"])
    assert len(book.sheets["Historique"].values()) == len(history)
    keys = [json.loads(line)["action_key"] for line in index]
    assert len(keys) == len(set(keys))


def test_check_dashboard_aging_and_help(ribbon, demo: Path, tmp_path: Path):
    book = open_in_excel(demo, tmp_path)
    ribbon.check(book, NOW)
    assert "Anomalies" in book.sheets and "Classeur vérifié" in str(last_alert(book)["prompt"])
    ribbon.update_dashboard(book, NOW)
    assert "Tableau_de_bord" in book.sheets and "Tableau de bord mis à jour" in str(last_alert(book)["prompt"])
    ribbon.refresh_aging(book, NOW)
    prompt = str(last_alert(book)["prompt"])
    assert book.app.calculations == 1 and "€" in prompt and "échus" in prompt
    assert_french(prompt)
    ribbon.show_help(book)
    assert "A_valider" in str(last_alert(book)["prompt"])
    # every tab it wrote is marked relance's, each written in one assignment
    marked = {n.refers_to for n in book.names}
    assert {"='Anomalies'!$A$1", "='Tableau_de_bord'!$A$1"} <= marked


def test_a_users_mistake_is_a_message_with_its_fix_never_a_traceback(ribbon, demo: Path, tmp_path: Path):
    book = open_in_excel(demo, tmp_path)
    mine = fake.Sheet(book, "Historique")  # the user's own tab under a name relance writes
    mine.load([["mes notes"], ["à garder"]])
    book.sheets.items.append(mine)
    ribbon.send_now(book, NOW)
    box = last_alert(book)
    assert box["mode"] == "critical" and "Historique" in str(box["prompt"]) and "→" in str(box["prompt"])
    assert mine.values() == [["mes notes"], ["à garder"]]
    assert not (tmp_path / "relances_outbox").exists()


def test_an_english_workbook_is_answered_in_english(ribbon, tmp_path: Path):
    from relance.demo import build_demo_workbook

    path = tmp_path / "reminders.xlsx"
    build_demo_workbook(path, seed=2, customers=8, invoices=40, as_of=AS_OF, lang="en")
    book = open_in_excel(path, tmp_path)
    ribbon.preview(book, NOW)
    assert "nothing was sent" in str(last_alert(book)["prompt"])


def test_the_build_puts_our_ribbon_into_the_quickstart_skeleton(tmp_path: Path):
    sys.path.insert(0, str(ADDIN))
    try:
        build = importlib.import_module("build")
    finally:
        sys.path.remove(str(ADDIN))
    source = build.skeleton(tmp_path)
    ours = (ADDIN / "customUI.xml").read_bytes()
    with zipfile.ZipFile(source) as skel:
        project = build.addin_project(skel.read("xl/vbaProject.bin"), (ADDIN / "relance.bas").read_text("utf-8"))
    build.assemble(source, ours, tmp_path / "a.xlam", project)
    build.assemble(source, ours, tmp_path / "b.xlam", project)
    assert (tmp_path / "a.xlam").read_bytes() == (tmp_path / "b.xlam").read_bytes()  # reproducible
    with zipfile.ZipFile(tmp_path / "a.xlam") as built, zipfile.ZipFile(source) as skel:
        assert built.read("customUI/customUI.xml") == ours
        assert built.namelist() == skel.namelist()
        # the VBA project now carries our ribbon module (tests/test_addin_build.py reads it back)
        assert built.read("xl/vbaProject.bin") == project != skel.read("xl/vbaProject.bin")
    build.vba_module(ADDIN / "relance.bas", tmp_path / "relance.bas")
    data = (tmp_path / "relance.bas").read_bytes()
    assert b"\r\n" in data and "Aperçu".encode("cp1252") in data


# ----------------------------------------------------------------------------- relance addin install


def test_addin_install_on_linux_says_excel_is_not_here():
    from typer.testing import CliRunner

    from relance.cli import app

    result = CliRunner().invoke(app, ["--lang", "en", "addin", "install"])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "Excel does not exist on this machine (Linux)" in text and "relance run book.xlsx" in text


@pytest.mark.parametrize("system", ["Windows", "Darwin"])
def test_addin_install_copies_the_addin_and_writes_its_settings(tmp_path: Path, system: str):
    from relance.app.addin_install import install

    xlam = tmp_path / "dist" / "relance.xlam"
    xlam.parent.mkdir()
    xlam.write_bytes(b"PK-addin")
    home = tmp_path / "home"
    config = (home / ".myaddin" / "myaddin.conf" if system == "Windows"
              else home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "myaddin.conf")
    config.parent.mkdir(parents=True)
    config.write_text('"LICENSE_KEY","kept"\n"PYTHONPATH","old"\n', encoding="utf-8")
    done = install(xlam, "/opt/py/python", tmp_path, system=system, home=home,
                   env={"APPDATA": str(home / "AppData" / "Roaming")})
    assert done.target.read_bytes() == b"PK-addin" and done.config == config
    assert done.target.parent.name in ("XLSTART", "Excel")
    lines = config.read_text("utf-8").splitlines()
    key = "INTERPRETER_WIN" if system == "Windows" else "INTERPRETER_MAC"
    assert lines == ['"LICENSE_KEY","kept"', f'"{key}","/opt/py/python"', f'"PYTHONPATH","{tmp_path}"',
                     '"UDF MODULES","relance_addin.udfs"']


def test_the_template_places_the_functions_beside_the_invoices(tmp_path: Path):
    from openpyxl import load_workbook

    from relance.app.jobs import read_book

    sys.path.insert(0, str(ADDIN))
    try:
        build = importlib.import_module("build")
    finally:
        sys.path.remove(str(ADDIN))
    path = tmp_path / "modele.xlsx"
    build.template(path)
    ws = load_workbook(path)["Factures"]
    header = [c.value for c in ws[1]]
    functions = [h for h in header if h and str(h).startswith("RELANCE")]
    assert functions == ["RELANCE jours de retard", "RELANCE solde", "RELANCE tranche"]
    first = header.index(functions[0]) + 1
    assert header[first - 2] is None  # one blank column between the invoices and the functions
    formulas = [ws.cell(2, first + k).value for k in range(3)]
    assert [f.text.split("(")[0] for f in formulas] == ["=RELANCE_DAYS_LATE", "=RELANCE_BALANCE", "=RELANCE_BUCKET"]
    assert formulas[0].ref.endswith(str(build.TEMPLATE_ROWS + 1))
    # relance reads it as the plain template: the same findings (the empty Settings), no more
    from relance.app.jobs import init_workbook

    init_workbook(tmp_path / "plain.xlsx", "fr")
    codes = sorted(a.code for a in read_book(XlsxBackend(path)).anomalies)
    assert codes == sorted(a.code for a in read_book(XlsxBackend(tmp_path / "plain.xlsx")).anomalies)
