"""The command line on real .xlsx files, as a user runs it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from relance import cli
from relance.cli import app

AS_OF = "2026-11-23"
ON_AS_OF = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)  # a Monday, 10:30 in Paris: AS_OF is today
LATER = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)  # a week on: --as-of AS_OF is a dated run
runner = CliRunner()


@pytest.fixture(autouse=True)
def today_is_as_of(monkeypatch):
    """The commands run on AS_OF itself: `--as-of AS_OF` is a real run, which sends; the console
    speaks French where no workbook says otherwise (no LANG naming another language)."""
    monkeypatch.setattr(cli, "_now", lambda: ON_AS_OF)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


def flat(text: str) -> str:
    """`text` on one line, every kind of space one space (French output has no-break ones)."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def relance(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.xlsx"
    result = relance("init", str(path), "--demo", "--as-of", AS_OF, "--customers", "120", "--invoices", "1500")
    assert result.exit_code == 0, result.output
    return path


def sheet(path: Path, name: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def test_init_refuses_to_overwrite(tmp_path):
    path = tmp_path / "book.xlsx"
    assert relance("init", str(path), "--lang", "en").exit_code == 0
    result = relance("init", str(path))
    assert result.exit_code == 2
    assert "existe déjà ; relance n'écrase jamais un classeur" in flat(result.output)  # no workbook read: French
    assert CalamineWorkbook.from_path(str(path)).sheet_names[:4] == ["How to use", "Invoices", "Customers", "Payments"]


def test_init_force_waits_for_no_run_and_keeps_a_backup(tmp_path):
    from relance.workbook.xlsx import XlsxBackend

    path = tmp_path / "book.xlsx"
    assert relance("init", str(path), "--lang", "en").exit_code == 0
    with XlsxBackend(path).run_lock():  # a run is going on
        refused = relance("init", str(path), "--force")
        assert refused.exit_code == 3 and "une autre exécution de relance" in flat(refused.output)
    assert CalamineWorkbook.from_path(str(path)).sheet_names[1] == "Invoices"
    leftover = tmp_path / ".~relance-tmp.book.abc123.xlsx"  # a save cut short by a crash
    leftover.write_bytes(b"partial")
    assert relance("init", str(path), "--force").exit_code == 0
    assert CalamineWorkbook.from_path(str(path)).sheet_names[:2] == ["Mode d'emploi", "Factures"]
    [backup] = XlsxBackend(path).backups()
    assert CalamineWorkbook.from_path(str(backup)).sheet_names[1] == "Invoices"  # the old one, kept
    assert not leftover.exists()


def test_check_plan_run_report_on_a_demo_workbook(demo_book, tmp_path):
    book = tmp_path / "book.xlsx"
    shutil.copy(demo_book, book)
    before = {i.filename: zipfile.ZipFile(book).read(i.filename) for i in zipfile.ZipFile(book).infolist()}

    check = relance("check", str(book), "--as-of", AS_OF, "--json")
    assert check.exit_code == 0, check.output
    # the only remark: the ECB rate of 2026-H2 is not shipped yet, and the check says how to add it
    assert {a["code"] for a in json.loads(check.output)["anomalies"]} == {"R095", "R209"}  # blank types, said

    plan = json.loads(relance("plan", str(book), "--as-of", AS_OF, "--json").output)
    assert plan["planned"] > 10 and plan["sent"] == 0
    assert zipfile.ZipFile(book).namelist() == list(before)  # plan writes nothing

    dry = json.loads(relance("run", str(book), "--as-of", AS_OF, "--dry-run", "--json").output)
    assert dry["planned"] == plan["planned"] and dry["sent"] == 0
    assert not (tmp_path / "book_outbox").exists()

    result = relance("run", str(book), "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    sent = [a for a in summary["actions"] if a["status"] == "sent"]
    emails = [a for a in sent if a["channel"] == "email"]
    assert summary["sent"] == len(sent) > 0 and emails and summary["failed"] == 0
    assert {a["channel"] for a in sent} <= {"email", "sms", "letter"}
    outbox = tmp_path / "book_outbox"
    assert len(list(outbox.glob("*.eml"))) == len(emails)
    assert len(list(outbox.glob("*.sms.txt"))) == sum(a["channel"] == "sms" for a in sent)
    assert len(list(outbox.glob("*.pdf"))) == sum(a["channel"] == "letter" for a in sent)
    index = [json.loads(line) for line in (outbox / "index.jsonl").read_text().splitlines()]
    assert {i["action_key"] for i in index} == {a["action_key"] for a in sent}

    history = sheet(book, "Historique")
    assert history[0][:3] == ["run_id", "horodatage", "cle_action"]
    assert {r[9] for r in history[1:]} <= {"envoyé", "tâche créée"}  # in the workbook's language
    assert len(history) - 1 == summary["sent"] + summary["tasks_created"]
    assert summary["awaiting_approval"] == sum(a["status"] == "awaiting_approval" for a in summary["actions"])

    # the user's own tabs come out byte for byte
    after = zipfile.ZipFile(book)
    # (styles.xml only gains the formats of relance's tabs: see test_written_tabs.py)
    workbook_xml_parts = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}
    for name, data in before.items():
        if name not in workbook_xml_parts:
            assert after.read(name) == data, name

    again = json.loads(relance("run", str(book), "--as-of", AS_OF, "--json").output)
    assert again["sent"] == again["tasks_created"] == 0
    assert again["planned"] == again["awaiting_approval"]  # hand-offs wait for a person, nothing else
    assert len(sheet(book, "Historique")) == len(history)

    report = json.loads(relance("report", str(book), "--as-of", AS_OF, "--json").output)
    assert set(report["currencies"]) == {"EUR", "USD"}
    assert set(report["currencies"]["EUR"]["aging"]) == {"current", "1-30", "31-60", "61-90", ">90",
                                                          "unapplied_credits", "net_total", "past_due_total"}
    assert report["indemnity"]["amount_eur"] == f"{40 * report['indemnity']['count']}.00"
    first = report["invoices"][0]
    assert set(first) == {"invoice_id", "customer_id", "currency", "status", "open_balance", "days_past_due",
                          "bucket", "days_late_at_settlement", "late_penalty", "indemnity_due", "stage", "paused",
                          "prescription_date", "predicted_payment_date"}  # the last one: issue 4, beyond §5


def test_a_pending_row_left_by_a_crash_is_settled_not_resent(demo_book, tmp_path, monkeypatch):
    book = tmp_path / "book.xlsx"
    shutil.copy(demo_book, book)
    from relance.channels.outbox import OutboxChannel

    calls = {"n": 0}
    real_send = OutboxChannel.send

    def crash_after_three(self, message):
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt("power cut")
        return real_send(self, message)

    monkeypatch.setattr(OutboxChannel, "send", crash_after_three)
    crashed = runner.invoke(app, ["run", str(book), "--as-of", AS_OF, "--json"])
    assert crashed.exit_code != 0 and calls["n"] == 4
    pending = [r for r in sheet(book, "Historique")[1:] if r[9] == "en attente"]
    assert len(pending) > 3
    monkeypatch.setattr(OutboxChannel, "send", real_send)
    summary = json.loads(relance("run", str(book), "--as-of", AS_OF, "--json").output)
    assert summary["settled_pending"] == len(pending)
    outbox = tmp_path / "book_outbox"
    keys = [json.loads(line)["action_key"] for line in (outbox / "index.jsonl").read_text().splitlines()]
    assert len(keys) == len(set(keys))  # nothing was written twice
    statuses = [r[9] for r in sheet(book, "Historique")[1:]]
    assert "en attente" not in statuses
    sent_keys = [r[2] for r in sheet(book, "Historique")[1:] if r[9] == "envoyé"]
    assert len(sent_keys) == len(set(sent_keys)) == len(keys)


@pytest.mark.parametrize("make, message, code", [
    (lambda p: p.write_text("not a workbook"), "n'est pas un classeur .xlsx", 3),
    (lambda p: None, "n'existe pas", 3),
    (lambda p: (shutil.copy(Path(__file__).parent / "conftest.py", p),
                (p.parent / f"~${p.name}").write_text("x")), "", 3),
])
def test_unusable_workbooks_get_a_clear_message_and_no_traceback(tmp_path, make, message, code):
    path = tmp_path / "book.xlsx"
    make(path)
    result = relance("run", str(path), "--as-of", AS_OF)
    assert result.exit_code == code
    assert "Traceback" not in result.output
    assert message.lower() in flat(result.output).lower()


def test_locked_by_excel(demo_book, tmp_path):
    book = tmp_path / "book.xlsx"
    shutil.copy(demo_book, book)
    (tmp_path / "~$book.xlsx").write_text("owner")
    result = relance("run", str(book), "--as-of", AS_OF)
    assert result.exit_code == 3
    assert "Excel" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "book_outbox").exists() or not list((tmp_path / "book_outbox").glob("*.eml"))


def test_bad_option_values(demo_book):
    assert relance("run", str(demo_book), "--as-of", "31/02/2026").exit_code == 2
    assert relance("run", str(demo_book), "--channel", "pigeon").exit_code == 2


@pytest.mark.slow
def test_libreoffice_opens_every_workbook_relance_writes(demo_book, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (make test installs it)")
    fr, en, ran = tmp_path / "fr.xlsx", tmp_path / "en.xlsx", tmp_path / "ran.xlsx"
    relance("init", str(fr), "--lang", "fr")
    relance("init", str(en), "--lang", "en")
    shutil.copy(demo_book, ran)
    relance("run", str(ran), "--as-of", AS_OF, "--json")
    relance("plan", str(ran), "--as-of", "2026-12-20", "--write")
    assert relance("report", str(ran), "--as-of", AS_OF, "--write").exit_code == 0  # Dashboard with charts
    out = tmp_path / "pdf"
    for book in (fr, en, demo_book, ran):
        done = subprocess.run(
            [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
             "--convert-to", "pdf", "--outdir", str(out), str(book)],
            capture_output=True, text=True, timeout=240,
        )
        assert done.returncode == 0, done.stderr
        pdf = out / (book.stem + ".pdf")
        assert pdf.exists() and pdf.stat().st_size > 1000, done.stdout + done.stderr


def test_unusable_paths_are_said_without_a_traceback(demo_book, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    book = tmp_path / "book.xlsx"
    shutil.copy(demo_book, book)
    result = relance("run", str(book), "--as-of", AS_OF, "--outbox", str(blocker / "out"))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "le dossier d'envoi" in result.output and "est inutilisable" in result.output
    history = CalamineWorkbook.from_path(str(book)).sheet_names
    assert "Historique" not in history  # nothing was recorded as sent
    result = relance("demo", str(blocker / "demo"))
    assert result.exit_code == 3 and "Traceback" not in result.output and "a-file" in result.output
    result = relance("report", str(book), "--period", "2025-13")
    assert result.exit_code == 2 and "n'est pas un mois" in result.output


def test_report_html_dashboard_and_weekly_summary(demo_book, tmp_path):
    import openpyxl

    book = tmp_path / "book.xlsx"
    shutil.copy(demo_book, book)
    relance("run", str(book), "--as-of", AS_OF, "--json")
    page = tmp_path / "rapport.html"
    result = relance("report", str(book), "--as-of", AS_OF, "--html", str(page), "--write")
    assert result.exit_code == 0, result.output
    html = page.read_text()
    assert html.count("<svg") >= 4 and "Balance âgée" in html and "http://" not in html.replace("http://www.w3", "")
    charts = [n for n in zipfile.ZipFile(book).namelist() if n.startswith("xl/charts/")]
    wb = openpyxl.load_workbook(book)
    assert len(wb["Tableau_de_bord"]._charts) == len(charts) >= 4
    relance("report", str(book), "--as-of", AS_OF, "--write")  # rebuilt, never accumulated
    assert [n for n in zipfile.ZipFile(book).namelist() if n.startswith("xl/charts/")] == charts
    dashboard = dict((r[0], r[1:]) for r in sheet(book, "Tableau_de_bord") if r and r[0])
    report = json.loads(relance("report", str(book), "--as-of", AS_OF, "--json").output)
    assert dashboard["encours net"][0] == float(report["currencies"]["EUR"]["aging"]["net_total"])
    assert dashboard["DSO (méthode countback, jours)"][0] == report["currencies"]["EUR"]["dso"]["countback"]

    first = relance("summary", str(book), "--as-of", AS_OF, "--to", "daf@dumas.example")
    assert first.exit_code == 0 and "Synthèse hebdomadaire envoyée à daf@dumas.example" in flat(first.output)
    again = relance("summary", str(book), "--as-of", AS_OF, "--to", "daf@dumas.example")
    assert "déjà été envoyée" in flat(again.output)
    assert len(list((tmp_path / "book_outbox").glob("*weekly_summary*.eml"))) == 1


def test_a_dated_run_says_simulation_and_files_apart(demo_book, tmp_path, monkeypatch):
    book = tmp_path / "book.xlsx"
    shutil.copy(demo_book, book)
    monkeypatch.setattr(cli, "_now", lambda: LATER)  # 1 December: --as-of 23 November is a dated run
    shown = relance("run", str(book), "--as-of", AS_OF)
    assert shown.exit_code == 0, shown.output
    said = [flat(line) for line in shown.output.splitlines() if "simulation" in line.lower()]
    assert said[0].startswith("Simulation 2") and said[0].endswith("du 23 novembre 2026")  # the title
    [line] = [line for line in said if line.startswith("Simulation, rien n'est envoyé")]  # one line says it all
    assert line.startswith("Simulation, rien n'est envoyé : le 23 novembre 2026 n'est pas aujourd'hui "
                           "(1er décembre 2026 à Europe/Paris) ; ")
    assert f"classés dans {tmp_path / 'book_outbox' / 'simulation-2026-11-23'}" in line
    assert line.endswith(", marqués simulés dans l'historique ; une exécution sans `--as-of` envoie pour de vrai.")
    assert "Envoyés " not in shown.output
    outbox = tmp_path / "book_outbox"
    filed = list((outbox / "simulation-2026-11-23").glob("*.eml"))
    assert filed and not list(outbox.glob("*.eml")) and not (outbox / "index.jsonl").exists()
    statuses = {r[9] for r in sheet(book, "Historique")[1:]}
    assert statuses == {"simulé"}
    assert "Taches" not in CalamineWorkbook.from_path(str(book)).sheet_names  # no task for a dated run

    data = json.loads(relance("run", str(book), "--as-of", AS_OF, "--json").output)
    assert data["simulation"] is True and data["sent"] == data["tasks_created"] == 0
    assert data["simulated"] == sum(a["status"] == "simulated" for a in data["actions"]) > 0
    assert len(list((outbox / "simulation-2026-11-23").glob("*.eml"))) == len(filed)  # never twice either


def test_a_dated_run_through_another_channel_is_refused_with_the_reason(demo_book, tmp_path, monkeypatch):
    book = tmp_path / "book.xlsx"
    shutil.copy(demo_book, book)
    monkeypatch.setattr(cli, "_now", lambda: LATER)
    refused = relance("run", str(book), "--as-of", AS_OF, "--channel", "mailjet")
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    said = flat(refused.output)
    assert ("--as-of 23 novembre 2026 n'est pas aujourd'hui (1er décembre 2026 à Europe/Paris) : une exécution "
            "datée n'est qu'une simulation") in said
    assert "'mailjet' remettrait vraiment des messages datés du 23 novembre 2026" in said
    assert "Historique" not in CalamineWorkbook.from_path(str(book)).sheet_names
    dry = relance("run", str(book), "--as-of", AS_OF, "--channel", "mailjet", "--dry-run", "--json")
    assert dry.exit_code == 0 and json.loads(dry.output)["planned"] > 0  # a dry run works for any date
    assert not (tmp_path / "book_outbox").exists()


def test_a_blank_sender_holds_back_the_e_mails_only_and_exits_2(tmp_path):
    from relance.app.jobs import init_workbook

    book = tmp_path / "book.xlsx"
    init_workbook(book, "fr", {
        "customers": [{"customer_id": "C1", "name": "Meyer Métallerie", "email": "compta@meyer.example",
                       "phone": "06 12 34 56 78", "customer_type": "B2B"}],
        "invoices": [{"invoice_id": "F1", "customer_id": "C1", "issue_date": dt.date(2026, 9, 1),
                      "due_date": dt.date(2026, 10, 31), "amount": 1200}],
        "settings": [{"key": "company_name", "value": "Atelier Dumas"},
                     {"key": "company_address", "value": "12 rue des Artisans; 69003 Lyon"},
                     {"key": "sender_email", "value": ""}],
    })
    said = relance("baseline", str(book), "--step", "reminder_1", "--as-of", "2026-11-16")
    shown = flat(said.output)
    assert said.exit_code == 0 and "Étape reminder_1 inscrite" in shown and "rien n'a été envoyé" in shown
    assert [r[9] for r in sheet(book, "Historique")[1:]] == ["fait hors relance"]
    again = relance("baseline", str(book), "--step", "reminder_1", "--json")
    assert json.loads(again.output)["recorded"] == []  # once: the customer now has History

    done = relance("run", str(book), "--anytime", "--json")
    assert done.exit_code == 2, done.output
    data = json.loads(done.stdout)
    assert [(a["step"], a["status"]) for a in data["actions"]] == [("reminder_2_sms", "sent")]  # the SMS leaves
    assert [(s["step"], s["reason"]) for s in data["skips"]] == [("reminder_2", "setting_missing")]
    assert "sender_email" in done.stderr and "Parametres" in " ".join(done.stderr.split())
    history = sheet(book, "Historique")[1:]
    assert [(r[6], r[9]) for r in history] == [("Relance amiable (J+7)", "fait hors relance"),
                                                   ("SMS de relance (J+15)", "envoyé")]
