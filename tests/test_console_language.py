"""The command line speaks the user's language: the workbook's once it is read, else --lang, else
LANG, else French; plurals right in both languages; --help and errors before any workbook."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from french import assert_french
from relance import cli
from relance.app.jobs import init_workbook
from relance.cli import app
from relance.engine.catalog import console as C

AS_OF = "2026-11-23"
ON_AS_OF = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)  # a Monday, 10:30 in Paris
runner = CliRunner()
#: English words a French console must not show (besides tests/french.py's denylist), and French
#: words an English console must not show.
FRENCH_WORDS = re.compile(r"\b(envoyés?|factures?|clients?|paiements?|erreurs?|avertissements?|tâches?|échecs?|"
                          r"attente|litige|bloquée|prévus?|aujourd'hui|classeur|onglet|relancez|jours)\b", re.I)
#: Codes, names and paths a French output may show.
CODES = ("reminder_1", "reminder_2", "notice", "outbox", "Meyer", "Dumas")


@pytest.fixture(autouse=True)
def french_environment(monkeypatch):
    monkeypatch.setattr(cli, "_now", lambda: ON_AS_OF)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


def relance(*args: str, env: dict[str, str] | None = None):
    result = runner.invoke(app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def assert_english(text: str) -> None:
    found = FRENCH_WORDS.findall(text)
    assert not found, f"French words in English output: {found}\n{text}"


def small_book(path: Path, lang: str) -> Path:
    """Three customers: one overdue (a reminder), one whose invoice is disputed, one without address."""
    disputed = "litige" if lang == "fr" else "disputed"
    init_workbook(path, lang, {
        "customers": [
            {"customer_id": "C1", "name": "Meyer Métallerie", "email": "compta@meyer.example", "customer_type": "B2B"},
            {"customer_id": "C2", "name": "Dumas SARL", "email": "compta@dumas.example", "customer_type": "B2B"},
            {"customer_id": "C3", "name": "Sans Adresse", "customer_type": "B2B"},
        ],
        "invoices": [
            {"invoice_id": "F1", "customer_id": "C1", "issue_date": dt.date(2026, 10, 1),
             "due_date": dt.date(2026, 11, 15), "amount": 1200},
            {"invoice_id": "F2", "customer_id": "C2", "issue_date": dt.date(2026, 10, 1),
             "due_date": dt.date(2026, 11, 15), "amount": 800, "status": disputed},
            {"invoice_id": "F3", "customer_id": "C3", "issue_date": dt.date(2026, 10, 1),
             "due_date": dt.date(2026, 11, 15), "amount": 300},
        ],
        "settings": [{"key": "company_name", "value": "Atelier Dumas"},
                     {"key": "company_address", "value": "12 rue des Artisans; 69003 Lyon"},
                     {"key": "sender_email", "value": "compta@atelier-dumas.example"}],
    })
    return path


def console_lines(output: str) -> str:
    """What the console itself says: the anomaly rows (the Anomalies catalog's words) left out."""
    return "\n".join(line for line in output.splitlines() if not line.startswith(("│", "┃", "┏", "┡", "└", "├")))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_plan_run_and_report_speak_the_workbook_language(tmp_path, lang):
    book = str(small_book(tmp_path / "book.xlsx", lang))
    env = {"LANG": "en_GB.UTF-8" if lang == "fr" else "fr_FR.UTF-8"}  # the workbook wins over LANG
    check = relance("check", book, "--as-of", AS_OF, env=env)
    plan = relance("plan", book, "--as-of", AS_OF, env=env)
    ran = relance("run", book, "--as-of", AS_OF, env=env)
    report = relance("report", book, "--as-of", AS_OF, env=env)
    assert plan.exit_code == 0 and ran.exit_code == 0 and report.exit_code == 0, ran.output
    said = flat(console_lines(check.output) + "\n" + plan.output + "\n" + ran.output + "\n" + report.output)
    if lang == "fr":
        assert "Lu : 3 clients, 3 factures ou avoirs et 0 paiement." in flat(check.output)
        assert "Plan du 23 novembre 2026 : 1 message" in said
        assert "Non envoyés, avec leur raison :" in said and "litige 1" in said and "sans adresse 2" in said
        assert "Envoyés 1, tâches 0, échecs 0, en attente de validation 0." in said
        assert "Balance âgée au 23 novembre 2026" in said and "encours net" in said
        for output in (console_lines(check.output), plan.output, ran.output):
            assert_french(output, allow=CODES + (str(tmp_path),))
        # the report's own notes belong to the report catalog; the console's lines are French
        assert_french(re.sub(r"\nEUR.*?(?=\nIndemnités)", "", report.output, flags=re.S), allow=CODES)
    else:
        assert "Read 3 customers, 3 invoices and credit notes and 0 payments." in flat(check.output)
        assert "Plan for 23 November 2026: 1 message" in said
        assert "Not sent, with reason:" in said and "disputed 1" in said and "no address 2" in said
        assert "Sent 1, tasks 0, failed 0, awaiting approval 0." in said
        assert "Aged balance on 23 November 2026" in said
        assert_english(said.replace("compta", ""))


@pytest.mark.parametrize(("lang", "n", "expected"), [
    ("fr", 0, "0 erreur et 0 avertissement"), ("fr", 1, "1 erreur et 1 avertissement"),
    ("fr", 2, "2 erreurs et 2 avertissements"), ("en", 0, "0 errors and 0 warnings"),
    ("en", 1, "1 error and 1 warning"), ("en", 2, "2 errors and 2 warnings"),
])
def test_counts_agree_in_both_languages(lang, n, expected):
    said = C.BOOK_ANOMALIES.text(lang, errors=C.N_ERRORS(n=n), warnings=C.N_WARNINGS(n=n))
    assert flat(said).startswith(expected)
    ui = cli._Ui()
    ui.set(lang)
    messages = ui.t(C.N_MESSAGES, n=n)
    assert flat(ui.t(C.PLANNED, n=n, messages=messages)) == (
        {0: "0 message prévu", 1: "1 message prévu", 2: "2 messages prévus"}[n] if lang == "fr"
        else {0: "0 messages planned", 1: "1 message planned", 2: "2 messages planned"}[n])
    assert flat(ui.t(C.N_MESSAGES, n=1500)) == ("1 500 messages" if lang == "fr" else "1,500 messages")


def test_skip_reasons_have_labels_in_both_languages():
    for code in ("disputed", "hold", "promise", "customer_paused", "opt_out", "no_written_reminder",
                 "no_formal_notice", "notice_deadline", "courtesy_past", "no_address", "cooldown",
                 "below_min_balance", "setting_missing", "scenario_broken", "scenario_unknown",
                 "has_history", "step_unknown"):
        phrase = getattr(C, "REASON_" + code.upper())
        assert phrase.fr != code and phrase.en
        assert_french(phrase.fr)


def test_init_and_errors_before_any_workbook_follow_lang_then_the_environment(tmp_path):
    book = tmp_path / "b.xlsx"
    made = relance("init", str(book))
    assert made.exit_code == 0 and flat(made.output) == f"Écrit : {book}"
    again = relance("init", str(book))
    assert_french(again.output, allow=(str(book),))
    english = relance("--lang", "en", "init", str(book))
    assert "already exists; relance never overwrites a workbook" in flat(english.output)
    by_env = relance("run", str(tmp_path / "none.xlsx"), env={"LANG": "en_GB.UTF-8"})
    assert by_env.exit_code == 3 and "does not exist" in flat(by_env.output)
    french = relance("run", str(tmp_path / "none.xlsx"))
    assert "n'existe pas" in flat(french.output)
    bad_date = relance("--lang", "en", "plan", str(book), "--as-of", "31/02/2026")
    assert bad_date.exit_code == 2 and "is not a date" in flat(bad_date.output)
    wrong = relance("--lang", "de", "plan", str(book))
    assert wrong.exit_code == 2 and "--lang 'de'" in flat(wrong.output)


def test_help_is_french_by_default_english_with_lang_or_the_environment():
    fr = relance("run", "--help")
    assert "L'exécution quotidienne" in fr.output and "Utilisation :" in flat(fr.output)
    assert "Affiche cette aide et quitte." in fr.output and "[par défaut : outbox]" in flat(fr.output)
    assert_french(fr.output.replace("Options", ""), allow=CODES + ("send_hour", "smtp", "mailjet", "json"))
    top = relance("--help")
    assert "Commandes :" in flat(top.output) and "Show this message" not in top.output
    en = relance("--lang", "en", "run", "--help")
    assert "The daily job" in en.output and "Usage:" in en.output and "[default: outbox]" in flat(en.output)
    assert_english(en.output)
    by_env = relance("report", "--help", env={"LANG": "en_GB.UTF-8"})
    assert "Aging, DSO, CEI" in by_env.output
    back = relance("report", "--help")  # each command line chooses again
    assert "Balance âgée" in back.output


def test_the_installed_command_picks_the_language_from_the_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    command = [sys.executable, "-m", "relance.cli"]
    en = subprocess.run([*command, "--help"], capture_output=True, text=True, env={**env, "LANG": "en_GB.UTF-8"},
                        timeout=60)
    assert en.returncode == 0 and "accounts-receivable reminders" in en.stdout
    fr = subprocess.run([*command, "check", str(tmp_path / "none.xlsx")], capture_output=True, text=True,
                        env={**env, "LC_ALL": "fr_FR.UTF-8", "LANG": "en_GB.UTF-8"}, timeout=60)
    assert fr.returncode == 3 and "n'existe pas" in flat(fr.stderr)


def test_check_lists_errors_before_a_long_run_of_warnings():
    """30 warnings (blank customer types) then one unusable amount: the error is in the 25 shown."""
    from relance.cli import _show_anomalies
    from relance.engine.anomaly import Anomaly, Severity, Source
    from relance.engine.i18n import Said

    warnings = [Anomaly(Source("Clients", r, 6), "", Said.verbatim("w"), Said.verbatim("h"), "R209",
                        Severity.warning) for r in range(2, 32)]
    error = Anomaly(Source("Factures", 2, 4), "mille euros", Said.verbatim("pas un montant"),
                    Said.verbatim("saisissez un nombre"), "R104")
    from relance import cli

    with cli.out.capture() as captured:
        _show_anomalies([*warnings, error], "fr")
    text = captured.get()
    assert "Factures!E2" in text and "mille euros" in text
    assert text.index("Factures!E2") < text.index("Clients!G2")
