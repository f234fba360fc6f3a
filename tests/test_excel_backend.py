"""The `excel:` backend (workbook/excel.py) against a fake of xlwings' Book/Sheet/Range API.

No Excel on Linux: tests/xlwings_fake.py returns what xlwings returns (floats, datetimes, None)
and counts every round trip, so these tests prove the backend's contract — one read per tab,
one value assignment per owned tab, never cell by cell — and that a run through Excel sends and
records exactly what the same run on the .xlsx file does.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

import xlwings_fake as fake
from relance.app.connect import open_channel, open_workbook
from relance.app.jobs import read_book, run, snapshot, write_plan
from relance.engine.errors import ConfigError, WorkbookError, WorkbookLocked
from relance.engine.sheets import CellFormat, OwnedTab
from relance.workbook.excel import ExcelBackend, mark_target, open_excel, read_value
from relance.workbook.xlsx import XlsxBackend

AS_OF = dt.date(2025, 3, 31)
NOW = dt.datetime(2025, 3, 31, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from relance.demo import build_demo_workbook

    path = tmp_path_factory.mktemp("demo") / "relances.xlsx"
    build_demo_workbook(path, seed=5, customers=25, invoices=160, as_of=AS_OF, lang="fr")
    return path


def fake_of(path: Path, **kw: object) -> fake.Book:
    """The .xlsx's tabs typed into the fake Excel, as xlwings would give them back."""
    sheets = XlsxBackend(path).read()
    return fake.Book.from_tabs([(s.name, s.rows) for s in sheets], name=path.name, **kw)


def history_rows(rows: list[list[object]]) -> list[list[object]]:
    """History as compared between backends: every cell as the engine reads it, the outbox's own
    folder (each run had its own) left out of the `transport` column and the details."""
    header = [str(h) for h in rows[0]]
    via = header.index("transport")

    def cell(i: int, v: object) -> object:
        v = read_value(v)
        if isinstance(v, str):
            v = v.replace("out_excel", "OUT").replace("out_xlsx", "OUT")
        return "" if i == via else v

    return [[cell(i, v) for i, v in enumerate(r)] for r in rows[1:]]


def outbox_keys(folder: Path) -> list[str]:
    index = folder / "index.jsonl"
    return sorted(json.loads(line)["action_key"] for line in index.read_text("utf-8").splitlines() if line)


# ----------------------------------------------------------------------------- reading


def test_one_read_per_wanted_tab_and_the_engine_sees_what_the_xlsx_gives(demo_xlsx: Path):
    xlsx_sheets = XlsxBackend(demo_xlsx).read()
    book = fake_of(demo_xlsx)
    backend = ExcelBackend(book)
    sheets = backend.read()
    assert book.calls["read"] == len(sheets)
    assert set(book.reads.values()) == {1}
    assert book.calls["write"] == 0
    for x, e in zip(xlsx_sheets, sheets, strict=True):
        assert x.name == e.name
        assert [list(r) for r in x.rows] == [list(r) for r in e.rows], x.name
    # and the jobs read only the tabs they need
    book.reset_counts()
    b = read_book(ExcelBackend(book))
    assert b.invoices and book.calls["write"] == 0
    assert "Mode d'emploi" not in book.reads and book.reads["Factures"] == 1


def test_xlwings_types_become_the_engines_values():
    assert read_value(None) == ""
    assert read_value(dt.datetime(2025, 3, 1)) == dt.date(2025, 3, 1)
    assert read_value(dt.datetime(2025, 3, 1, 9, 30)) == dt.datetime(2025, 3, 1, 9, 30)
    assert read_value(1500.0) == 1500.0 and read_value(True) is True and read_value("x") == "x"


def test_a_tab_starting_below_a1_keeps_its_addresses():
    book = fake.Book.from_tabs([("Feuil1", [])])
    sheet = fake.Sheet(book, "Factures")
    sheet.load([["numero", "montant"], ["F1", 10]], at=(3, 2))
    book.sheets.items.append(sheet)
    rows = ExcelBackend(book).read()[1].rows
    assert rows[2][1] == "numero" and rows[3][2] == 10.0 and rows[0] == ["", "", ""]


def test_the_users_unsaved_edits_are_read_as_they_are(demo_xlsx: Path):
    book = fake_of(demo_xlsx)
    sheet = book.sheets["Factures"]
    row = next(r for (r, c), v in sheet.cells.items() if c == 1 and v == "F2023-00001")
    sheet.cells[(row, 5)] = 99999.5  # typed, not saved: the file on disk never had it
    invoices = {s.name: s for s in ExcelBackend(book).read()}["Factures"].rows
    assert invoices[row - 1][4] == 99999.5


# ----------------------------------------------------------------------------- writing


def test_one_assignment_per_owned_tab_formats_per_column_and_the_mark():
    book = fake.Book.from_tabs([("Factures", [["numero"], ["F1"]])])
    backend = ExcelBackend(book)
    rows = [[f"K{i}", Decimal("12.50"), dt.date(2025, 3, i % 28 + 1), "EUR"] for i in range(500)]
    tab = OwnedTab("Historique", ["key", "amount", "day", "currency"], rows,
                   formats=[CellFormat("text"), CellFormat("money", currency_column=3), CellFormat("date"), None],
                   widths=[12, 10, 10, 6], header_style=True, lang="fr")
    backend.write([tab])
    assert book.writes == {"Historique": 1}
    assert book.calls["write"] == 1
    assert book.calls["format"] == 3  # one per formatted column (one currency: one run)
    sheet = book.sheets["Historique"]
    assert sheet.cells[(2, 2)] == 12.5 and sheet.cells[(2, 3)] == dt.datetime(2025, 3, 1)
    assert "$B$2:$B$501" in sheet.formats and "€" in sheet.formats["$B$2:$B$501"]
    assert [n.name for n in book.names] == ["_relance_owned_1"] and book.names.items[0].hidden
    assert mark_target(book.names.items[0].refers_to) == "Historique"
    assert book.sheets.active.name == "Factures"  # the user's sheet still in front
    assert book.app.screen_updating is True and book.app.calculation == "automatic"  # given back
    again = {s.name: s for s in backend.read()}
    assert again["Historique"].owned is True and again["Factures"].owned is False
    # written again: the same tab, cleared and rewritten in one assignment, the mark kept
    book.reset_counts()
    backend.write([OwnedTab("Historique", ["key"], [["only"]])])
    assert book.calls["write"] == 1 and len(book.names) == 1
    assert sheet.values() == [["key"], ["only"]]


def test_texts_are_never_parsed_as_formulas_or_numbers():
    book = fake.Book.from_tabs([("Feuil1", [])])
    ExcelBackend(book).write([OwnedTab("Anomalies", ["texte"], [["=HYPERLINK(\"http://x\")"], ["+33 6 12"], ["'quoted"]])])
    sheet = book.sheets["Anomalies"]
    assert sheet.formula_injected == []
    assert [r[0] for r in sheet.values()[1:]] == ['=HYPERLINK("http://x")', "+33 6 12", "'quoted"]


def test_a_users_tab_named_like_ours_is_refused_and_left_alone():
    book = fake.Book.from_tabs([("Historique", [["mes notes"], ["à garder"]])])
    with pytest.raises(WorkbookError) as err:
        ExcelBackend(book).write([OwnedTab("Historique", ["run_id"], [["x"]])])
    assert "Historique" in err.value.text("fr")
    assert book.sheets["Historique"].values() == [["mes notes"], ["à garder"]]
    assert book.calls["write"] == 0


def test_a_renamed_owned_tab_keeps_its_mark():
    book = fake.Book.from_tabs([("Feuil1", [])])
    backend = ExcelBackend(book)
    backend.write([OwnedTab("Plan", ["a"], [["1"]])])
    book.sheets["Plan"].name = "Plan (ancien)"
    sheets = {s.name: s for s in backend.read()}
    assert sheets["Plan (ancien)"].owned is True


def test_a_run_through_excel_equals_the_run_on_the_xlsx(demo_xlsx: Path, tmp_path: Path):
    """Same History (every column but the outbox folder), same outbox keys, same tabs written."""
    copy = tmp_path / "relances.xlsx"
    copy.write_bytes(demo_xlsx.read_bytes())
    book = fake_of(copy)
    excel = ExcelBackend(book, held=True)  # as from the ribbon: Excel waits for the macro
    r_xlsx = run(XlsxBackend(copy), open_channel("outbox", str(copy), NOW, tmp_path / "out_xlsx"), NOW,
                 anytime=True)
    book.reset_counts()
    r_excel = run(excel, open_channel("outbox", "excel:", NOW, tmp_path / "out_excel"), NOW, anytime=True)
    assert r_excel.to_json()["sent"] == r_xlsx.to_json()["sent"] > 0
    assert outbox_keys(tmp_path / "out_excel") == outbox_keys(tmp_path / "out_xlsx")
    on_disk = {s.name: s for s in XlsxBackend(copy).read()}
    assert history_rows(book.sheets["Historique"].values()) == history_rows(
        [list(r) for r in on_disk["Historique"].rows])
    # the run read each tab it needs once, wrote History twice (pending, then outcomes) and
    # History, A_valider, Taches and Anomalies once more, each in one assignment
    assert max(book.reads.values()) == 1
    assert book.writes["Historique"] == 2 and book.writes["Anomalies"] == 1
    assert book.calls["write"] == sum(book.writes.values())
    # and a second run sends nothing more
    again = run(excel, open_channel("outbox", "excel:", NOW, tmp_path / "out_excel"), NOW, anytime=True)
    assert again.to_json()["sent"] == 0


def test_plan_write_and_a_second_run_in_the_same_excel(demo_xlsx: Path, tmp_path: Path):
    book = fake_of(demo_xlsx, fullname=str(tmp_path / "relances.xlsx"))
    backend = ExcelBackend(book, held=True)
    snap = snapshot(backend, NOW, None)
    assert not backend.changed_since_read()
    write_plan(backend, snap, "r1")
    assert "A_valider" in book.sheets
    assert backend.run_lock_path == tmp_path / ".~relance.relances.xlsx.lock"
    other = ExcelBackend(book)
    with backend.run_lock(), pytest.raises(WorkbookLocked), other.run_lock():
        pass
    with other.run_lock():  # released
        pass


def test_changed_since_read_from_a_command_line():
    book = fake.Book.from_tabs([("Factures", [["numero"], ["F1"]])])
    backend = ExcelBackend(book)
    assert backend.changed_since_read()
    backend.read()
    assert not backend.changed_since_read()
    backend.write([OwnedTab("Anomalies", ["a"], [["x"]])])  # its own tabs are not a change
    assert not backend.changed_since_read()
    book.sheets["Factures"].cells[(2, 1)] = "F2"
    assert backend.changed_since_read()


def test_an_unsaved_workbook_locks_in_the_temporary_folder():
    book = fake.Book.from_tabs([], name="Classeur1", fullname="Classeur1")
    path = ExcelBackend(book).run_lock_path
    assert path.name.startswith("relance-excel-") and path.suffix == ".lock"


def test_the_connect_seam(monkeypatch):
    with pytest.raises(ConfigError) as err:  # Linux: no Excel here, said plainly
        open_workbook("excel:")
    assert "Excel" in err.value.text("en")
    b1, b2 = fake.Book(name="A.xlsx"), fake.Book(name="B.xlsx", fullname="C:\\compta\\B.xlsx")
    xw = fake.Module(b1, b2)
    assert open_excel("excel:", xw).book is b2
    assert open_excel("excel:a.xlsx", xw).book is b1
    assert open_excel("excel:C:\\compta\\B.xlsx", xw).location == "excel:B.xlsx"
    with pytest.raises(WorkbookError):
        open_excel("excel:Z.xlsx", xw)


def test_a_tab_past_the_cell_budget_is_refused_before_its_values_cross(monkeypatch):
    from relance.workbook import xlsx_parts

    monkeypatch.setattr(xlsx_parts, "MAX_TAB_CELLS", 100)
    book = fake.Book.from_tabs([("Factures", [["numero", "montant"], *[[f"F{i}", i] for i in range(60)]])])
    with pytest.raises(WorkbookError) as err:
        ExcelBackend(book).read()
    assert "Factures" in err.value.text("en")
    assert book.calls["read"] == 0


def test_relance_run_excel_from_the_command_line(demo_xlsx: Path, tmp_path: Path, monkeypatch):
    """`relance run excel:` through the connect seam, xlwings stood in by the fake."""
    from typer.testing import CliRunner

    from relance.cli import app
    from relance.workbook import excel

    book = fake_of(demo_xlsx, fullname=str(tmp_path / "relances.xlsx"))
    monkeypatch.setattr(excel, "xlwings_module", lambda: fake.Module(book))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["run", "excel:", "--as-of", AS_OF.isoformat(), "--json",
                                      "--outbox", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["simulated"] > 0 and "Historique" in book.sheets
