"""The tabs relance writes: values in the workbook's language (read back in either), and cells
that read like the template's (dates, amounts, percentages, header, widths, dropdowns, charts).

Values: History, Plan, Tasks and Anomalies say `envoyé`, `e-mail`, `appel`, `oui`, `erreur` in
a French workbook and `sent`, `e-mail`, `call`, `yes`, `error` in an English one; the reader
turns either (and the English words older versions wrote) back into the same machine keys, so
the planner decides exactly the same whatever language History was written in.

Cells: read back with openpyxl from a real run on an .xlsx, and, with LibreOffice, printed to
PDF: amounts show as "1 138,46 €", dates as 01/12/2026, never as 986196.98 or ISO text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from typer.testing import CliRunner

from books import book, planned, simulate
from conftest import customer, invoice, on, payment, workbook
from french import french_problems
from relance import cli
from relance.app.jobs import run
from relance.channels.outbox import OutboxChannel
from relance.cli import app
from relance.engine.history import SENT_STATUSES
from relance.engine.owned_tabs import anomalies_tab, history_row, plan_tab, tasks_tab
from relance.engine.sheets import CellFormat, OwnedTab
from relance.engine.tab_values import (
    BOOLEANS,
    CHANNELS,
    KINDS,
    OUTCOMES,
    SEVERITIES,
    STATUSES,
    key_of,
    qualified_step,
    shown,
    step_label,
)
from relance.workbook import xlsx_styles
from relance.workbook.xlsx import XlsxBackend

# One xdist worker runs this module's tests, so that its module fixtures (the five weekly runs of `ran`) are
# made once, not once per worker.
pytestmark = pytest.mark.xdist_group("test_written_tabs")

FAMILIES = {"statuses": STATUSES, "channels": CHANNELS, "kinds": KINDS, "outcomes": OUTCOMES,
            "severities": SEVERITIES, "booleans": BOOLEANS}
DAY = dt.date(2025, 3, 31)


# ------------------------------------------------------------------------------ values


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_value_reads_back_from_french_english_and_its_key(family):
    values = FAMILIES[family]
    for key, phrase in values.items():
        for written in (phrase.fr, phrase.en, key, phrase.fr.upper(), f" {phrase.en} "):
            assert key_of(values, written) == key, (family, written)
        assert shown(values, key, "fr") == phrase.fr and shown(values, key, "en") == phrase.en
    assert key_of(STATUSES, "something new") == "something_new"  # unknown: normalized, as before


def test_every_status_that_blocks_a_resend_still_blocks_in_either_language():
    for status in SENT_STATUSES:
        for lang in ("fr", "en"):
            assert key_of(STATUSES, shown(STATUSES, status, lang)) == status
    assert shown(STATUSES, "sent", "fr") == "envoyé" and shown(STATUSES, "pending", "fr") == "en attente"


def test_steps_are_labelled_with_their_day_and_their_scenario_where_shown_together():
    b = _book()
    ladder = b.scenarios["standard"]
    assert step_label(ladder.step("reminder_1"), "fr").startswith("reminder_1 (J+7)")
    labelled = dataclasses.replace(ladder.step("courtesy"), label_fr="Relance amicale", label_en="Friendly reminder")
    assert step_label(labelled, "fr") == "Relance amicale (J-5)"
    assert step_label(labelled, "en") == "Friendly reminder (day -5)"
    assert qualified_step(b.scenarios, "standard", "reminder_1", "fr") == "Standard – reminder_1 (J+7)"


def _book(**extra):
    return book([customer("C1"), customer("C2", email="")],
                [invoice("F1", "C1", "2025-01-01", "2025-02-01", 1138.46),
                 invoice("F2", "C2", "2025-01-10", "2025-02-20", Decimal("986196.98")),
                 invoice("F3", "C1", "2025-03-01", "2025-04-02", 370)],
                [payment("2025-02-10", 200, "F1")], **extra)


def _history_tab(b, entries, lang):
    """The History tab of `b` as a run writes it in `lang` (English: as an English workbook would)."""
    shown_in = dataclasses.replace(b, language=lang)
    header = b.contract.tab("history").headers("fr")
    return [header, *[history_row(shown_in, e) for e in entries]]


def _machine_rows(entries):
    """History as versions before issue 10 wrote it: machine keys, ISO text."""
    return [[e.run_id, e.timestamp, e.action_key, e.customer_id, ";".join(e.invoice_ids), e.scenario, e.step,
             e.channel, e.recipient, e.status, e.message_id, e.amount_due, e.currency, e.detail,
             e.as_of.isoformat() if e.as_of else "", e.via] for e in entries]


def test_a_french_an_english_and_an_older_history_plan_exactly_the_same():
    b = _book()
    days = [DAY + dt.timedelta(days=n) for n in range(0, 40, 3)]
    done, _ = simulate(b, days[:6])
    entries = done.history
    assert {e.status for e in entries} >= {"sent"} and len(entries) > 3
    french = _history_tab(b, entries, "fr")
    english = _history_tab(b, entries, "en")
    older = [french[0], *_machine_rows(entries)]
    assert {r[9] for r in french[1:]} <= {"envoyé", "tâche créée"} and {r[9] for r in english[1:]} <= {"sent", "task created"}
    assert french[1][1] == dt.datetime.fromisoformat(entries[0].timestamp).replace(tzinfo=None)  # a real timestamp

    books = {name: _book(Historique=rows) for name, rows in
             (("french", french), ("english", english), ("older", older))}
    for name, other in books.items():
        assert [(e.status, e.step, e.channel, e.action_key, e.as_of) for e in other.history] == \
            [(e.status, e.step, e.channel, e.action_key, e.as_of) for e in entries], name
    for day in days[6:]:
        plans = {name: planned(x, day).plan for name, x in books.items()}
        found = {name: ([a.key for a in p.actions], [(s.customer_id, s.step, s.reason) for s in p.skips])
                 for name, p in plans.items()}
        assert found["french"] == found["english"] == found["older"], day


def test_a_step_label_renamed_since_is_found_again_from_the_action_key():
    b = _book()
    done, _ = simulate(b, [DAY])
    tab = _history_tab(b, done.history, "fr")
    for row in tab[1:]:
        row[6] = "Un nom que personne ne reconnaît"
    again = _book(Historique=tab)
    assert [e.step for e in again.history] == [e.step for e in done.history]


def test_plan_tasks_and_anomalies_speak_the_workbooks_language():
    b = _book()
    p = planned(b, DAY + dt.timedelta(days=60))
    tab = plan_tab(b, p.plan.actions, p.as_of, "")
    approve = tab.header.index("valider")
    assert {r[approve] for r in tab.rows} <= {"oui", "non"}  # never 0 or FALSE
    assert tab.formats[approve].choices == ("oui", "non")
    assert tab.rows[0][2] == p.as_of  # planned_on: a date
    tasks = tasks_tab(b, [["T1", "2025-03-31", "call", "Julie", "C1", "Client C1", "", "F1", Decimal(938), "EUR",
                           "script", "", "", ""]])
    assert tasks.rows[0][2] == "appel"
    outcome = tasks.header.index("resultat")
    assert tasks.formats[outcome].choices == ("promesse", "litige", "pas de réponse", "payé")
    anomalies = anomalies_tab(b, p.anomalies or b.anomalies, "run-1")
    for row in anomalies.rows:
        assert row[0] in ("erreur", "avertissement")
    english = dataclasses.replace(b, language="en")
    assert {r[0] for r in plan_tab(english, p.plan.actions, p.as_of, "").rows} <= {"yes", "no"}
    text = " ".join(str(v) for r in tab.rows for v in r if isinstance(v, str) and v not in (r[1], r[9]))
    assert not [m for m in french_problems(text, allow=("courtesy", "handoff", "call", "notice", "reminder"))
                if "ISO" in m], text


def test_a_call_outcome_and_an_approval_are_read_in_either_language():
    for written in ("promesse", "promise", "PROMESSE"):
        assert key_of(OUTCOMES, written) == "promise"
    for written in ("oui", "yes", "Oui"):
        assert key_of(BOOLEANS, written) == "yes"


# ------------------------------------------------------------------------------ the .xlsx written


def _styles_root(path: Path) -> ET.Element:
    return ET.fromstring(zipfile.ZipFile(path).read("xl/styles.xml"))


def test_styles_are_only_appended_and_found_again_by_the_next_write(tmp_path: Path):
    path = tmp_path / "user.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Factures"
    ws["A1"] = "numero"
    ws["B2"] = 1200.5
    ws["B2"].number_format = "#,##0.00 [$€-40C]"
    ws["A1"].font = openpyxl.styles.Font(bold=True, color="FF0000")
    wb.save(path)
    before = zipfile.ZipFile(path).read("xl/styles.xml").decode()
    tab = OwnedTab("Historique", ["horodatage", "montant", "devise", "script"],
                   [[dt.datetime(2026, 12, 1, 8, 5), Decimal("986196.98"), "EUR", "long " * 400]],
                   widths=[17, 14, 8, 90],
                   formats=[CellFormat("datetime"), CellFormat("money", currency_column=2), None, CellFormat("wrap")],
                   header_style=True, lang="fr")
    XlsxBackend(path).write([tab])
    after = zipfile.ZipFile(path).read("xl/styles.xml").decode()
    # what was there is still there, in the same order: only entries were appended, counts raised
    old, new = ET.fromstring(before), ET.fromstring(after)
    for old_list, new_list in zip(old, new, strict=True):
        assert [ET.tostring(e) for e in old_list] == [ET.tostring(e) for e in new_list][:len(old_list)]
    stripped = re.sub(r'count="\d+"', "", after)
    for piece in re.findall(r"<numFmt [^>]*/>|<xf [^>]*?(?:/>|>.*?</xf>)|<font>.*?</font>|<fill>.*?</fill>",
                            after):
        if piece not in before:
            stripped = stripped.replace(piece, "", 1)
    assert stripped == re.sub(r'count="\d+"', "", before)
    XlsxBackend(path).write([dataclasses.replace(tab, rows=[*tab.rows, *tab.rows])])
    assert zipfile.ZipFile(path).read("xl/styles.xml").decode() == after  # reused, not appended again
    loaded = openpyxl.load_workbook(path)
    assert loaded["Factures"]["B2"].number_format == "#,##0.00 [$€-40C]" and loaded["Factures"]["A1"].font.b
    history = loaded["Historique"]
    assert history["A2"].is_date and "hh:mm" in history["A2"].number_format
    assert history["B2"].number_format == '[$-40C]#,##0.00\\ "€"'
    assert history["D2"].alignment.wrap_text and history["A1"].font.b
    assert history["A1"].fill.fgColor.rgb == xlsx_styles.HEADER_FILL


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> Path:
    """A demo workbook after five weekly runs (each on its own day: real runs, which send),
    then the Dashboard rebuilt: History, Taches, A_valider, Anomalies and Tableau_de_bord."""
    folder = tmp_path_factory.mktemp("written")
    path = folder / "book.xlsx"
    runner = CliRunner()
    old = cli._now

    def invoke(*args: str) -> None:
        result = runner.invoke(app, list(args))
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert result.exit_code in (0, 1), result.output

    try:
        invoke("init", str(path), "--demo", "--as-of", "2026-11-23", "--customers", "60", "--invoices", "500")
        for day in ("2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"):
            moment = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(9, 30), tzinfo=dt.UTC)
            cli._now = lambda moment=moment: moment
            invoke("run", str(path))
        invoke("report", str(path), "--write")
    finally:
        cli._now = old
    return path


def test_a_real_run_writes_dates_amounts_dropdowns_and_a_frozen_header(ran: Path):
    wb = openpyxl.load_workbook(ran)
    history = wb["Historique"]
    header = [c.value for c in history[1]]
    col = {name: i + 1 for i, name in enumerate(header)}
    assert history.freeze_panes == "A2" and history.cell(1, 1).font.b
    row = 2
    assert history.cell(row, col["horodatage"]).is_date and "hh:mm" in history.cell(row, col["horodatage"]).number_format
    as_of = history.cell(row, col["date_de_calcul"])
    assert as_of.is_date and as_of.number_format == "[$-40C]dd/mm/yyyy" and as_of.value.date() == dt.date(2026, 10, 26)
    amounts = [history.cell(r, col["montant_du"]) for r in range(2, history.max_row + 1)]
    assert any(isinstance(a.value, float) for a in amounts)
    assert all("€" in a.number_format or "$" in a.number_format for a in amounts if a.value is not None)
    assert {history.cell(r, col["statut"]).value for r in range(2, history.max_row + 1)} <= {"envoyé", "tâche créée"}
    assert history.column_dimensions["B"].width >= 17
    tasks = wb["Taches"]
    theads = [c.value for c in tasks[1]]
    outcome = openpyxl.utils.get_column_letter(theads.index("resultat") + 1)
    lists = {str(v.sqref): v.formula1 for v in tasks.data_validations.dataValidation}
    assert lists[f"{outcome}2:{outcome}5000"] == '"promesse,litige,pas de réponse,payé"'
    script = tasks.cell(2, theads.index("script") + 1)
    assert script.alignment.wrap_text and len(script.value) > 200
    assert tasks.cell(2, theads.index("cree_le") + 1).is_date
    assert {tasks.cell(r, theads.index("type") + 1).value for r in range(2, tasks.max_row + 1)} <= {
        "appel", "transmission au recouvrement"}
    dashboard = wb["Tableau_de_bord"]
    formats = {dashboard.cell(r, 1).value: dashboard.cell(r, 2).number_format for r in range(2, dashboard.max_row + 1)}
    assert formats["encours net"] == '[$-40C]#,##0.00\\ "€"'
    formats.update({str(k).split(" (")[0]: v for k, v in formats.items() if str(k).startswith("taux de recouvrement")})
    assert formats["taux de recouvrement"] == "[$-40C]0.0\\ %" and formats["au"] == "[$-40C]dd/mm/yyyy"
    charts = [zipfile.ZipFile(ran).read(n).decode() for n in zipfile.ZipFile(ran).namelist()
              if n.startswith("xl/charts/chart")]
    assert any('formatCode="[$-40C]#,##0\\ &quot;€&quot;" sourceLinked="0"' in c for c in charts)
    assert any('<c:barDir val="bar"/>' in c and "0\\ %" in c for c in charts)  # effectiveness: percent, sideways
    [effectiveness] = [c for c in charts if "Part payée" in c]
    assert "Standard – Rappel avant échéance (J-5)" in effectiveness  # categories name their scenario
    assert "Mise en demeure (courrier, J+20)" in effectiveness or "Risque – " in effectiveness


def test_the_plan_tab_offers_oui_non_and_never_shows_zero(tmp_path: Path):
    scen = [["scenario", "etape", "decalage_jours", "canal", "modele", "solde_minimum", "validation_requise"],
            ["standard", "r1", 7, "email", "reminder_1", 0, "oui"]]
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000)], Scenarios=scen)
    box = tmp_path / "out"
    first = run(wb, lambda b: OutboxChannel(box, "t"), on(DAY), DAY).to_json()
    assert first["awaiting_approval"] == 1
    rows = wb.tabs["A_valider"][1:]
    assert [r[0] for r in rows] == ["non"]  # a word, never 0 or FALSE
    assert wb.written["a_valider"].formats[0].choices == ("oui", "non")  # offered as a dropdown
    assert rows[0][2] == DAY and rows[0][7] == "r1 (J+7)" and rows[0][8] == "e-mail"
    wb.tabs["A_valider"][1][0] = "oui"  # the person chooses « oui »
    assert run(wb, lambda b: OutboxChannel(box, "t"), on(DAY), DAY).to_json()["sent"] == 1


@pytest.mark.slow
def test_libreoffice_prints_amounts_and_dates_as_a_french_reader_writes_them(ran: Path, tmp_path: Path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or pdftotext is not installed")
    done = subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(ran)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "book.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    start = text.index("horodatage")  # the tabs relance wrote come after the user's
    written = text[start:]
    assert re.search(r"\d{1,3}(?:[\u00a0\u202f ]\d{3})*,\d{2}[\u00a0\u202f ]€", written), written[:2000]
    assert re.search(r"\b\d{2}/\d{2}/20\d{2} \d{2}:\d{2}\b", written)  # timestamps
    assert re.search(r"\b26/10/2026\b", written)  # a run date
    assert not re.search(r"\b\d{4,}\.\d{2}\b", written)  # never a raw 986196.98
    assert "envoyé" in written and "\bsent\b" not in written
