"""One cell must never stop every reminder: a date in year 9999 (or 0025, or 1899) and an amount of
1e26 (or 1e13) are errors on their cell, with the value and the fix; the other rows go on, through
the real load (tests/books.py) and the real commands on an .xlsx (CliRunner).

Before the bounds of engine/cells.py, a due date from 9995 on crashed `run`, `check`, `plan` and
`report` (the 5-year prescription date, or the due date computed from the terms, left Python's
dates), and an amount of 1e26 crashed them too (no Decimal of 28 digits holds it in cents), while
1e25 went out in a formal notice.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from typer.testing import CliRunner

from books import book, planned, positions
from conftest import customer, invoice, payment
from relance import cli
from relance.cli import app
from relance.engine.anomaly import Severity
from relance.engine.cells import LAST_DATE, MAX_AMOUNT, parse_amount, parse_date
from relance.engine.i18n import NBSP, NNBSP
from relance.engine.report import build_report, report_json

AS_OF = dt.date(2025, 3, 31)

BAD_DATES = ["9999-12-31", "31/12/9999", "9995-01-01", dt.date(9999, 12, 31), dt.datetime(9999, 12, 31, 23, 59),
             2958465, "0025-03-01", dt.date(1, 1, 1), dt.date(1899, 12, 31), "2201-01-01"]
BAD_AMOUNTS = [1e26, "1e26", 1e25, 10**12, -1e13, "1E+999999", D("1e30"), "1 000 000 000 000,00", 10**400]


def _said(anomalies, tab: str, header: str, severity: Severity = Severity.error):
    found = [a for a in anomalies if a.source.tab == tab and a.source.header == header]
    assert found, f"nothing said about {tab}.{header}: {[(a.source, a.problem.en) for a in anomalies]}"
    a = found[0]
    assert a.severity == severity and a.hint.en and a.value != ""
    return a


def _everything(b):
    """What run, check, plan and report compute: loading, positions, the plan, the report."""
    p = planned(b, AS_OF)
    report_json(build_report(b, positions(b, AS_OF), AS_OF))
    return p


def _good():
    return [customer("C1"), customer("C2")], [invoice("F1", "C1", "2025-01-01", "2025-02-01", 1000)]


@pytest.mark.parametrize("raw", BAD_DATES, ids=repr)
@pytest.mark.parametrize("header", ["date_facture", "echeance"])
def test_a_date_out_of_range_in_factures_skips_its_row_only(raw, header):
    customers, invoices = _good()
    bad = invoice("F2", "C2", "2025-01-05", "2025-02-05", 500, **{header: raw})
    p = _everything(book(customers, [*invoices, bad]))
    a = _said(p.anomalies, "Factures", header)
    assert "the row was skipped" in a.problem.en and ("out of range" in a.problem.en or "out of the years" in a.problem.en)
    assert "F2" not in p.book.invoices
    assert {x.customer_id for x in p.plan.actions} == {"C1"}  # C1 still reminded


@pytest.mark.parametrize("raw", BAD_AMOUNTS, ids=repr)
def test_an_amount_out_of_range_in_factures_skips_its_row_only(raw):
    customers, invoices = _good()
    p = _everything(book(customers, [*invoices, invoice("F2", "C2", "2025-01-05", "2025-02-05", raw)]))
    a = _said(p.anomalies, "Factures", "montant_ttc")
    assert "too large" in a.problem.en and "the row was skipped" in a.problem.en and "10^12" in a.hint.en
    assert "F2" not in p.book.invoices
    assert {x.customer_id for x in p.plan.actions} == {"C1"}


def test_the_largest_amount_and_the_last_date_still_read():
    b = book([customer("C1"), customer("C2", delai_paiement="999 FDM")],
             [invoice("F1", "C1", "2025-01-01", "2025-02-01", "999 999 999 999,99"),
              invoice("F2", "C2", LAST_DATE.isoformat(), None, 10)])
    p = _everything(b)
    assert b.invoices["F1"].amount == D("999999999999.99")
    assert b.invoices["F2"].due_date > LAST_DATE  # due date arithmetic past the last date read is safe
    assert not [a for a in p.anomalies if a.severity == Severity.error]


@pytest.mark.parametrize(("tab", "header", "row"), [
    ("Reglements", "date", payment("9999-12-31", 100, "F1")),
    ("Reglements", "date", payment(dt.date(9999, 12, 31), 100, "F1")),
    ("Reglements", "montant", payment("2025-02-10", 1e26, "F1")),
    ("Reglements", "montant", payment("2025-02-10", "1e13", "F1")),
])
def test_out_of_range_in_reglements(tab, header, row):
    customers, invoices = _good()
    invoices.append(invoice("F2", "C2", "2025-01-05", "2025-02-05", 500))
    p = _everything(book(customers, invoices, [row]))
    assert "payment was skipped" in _said(p.anomalies, tab, header).problem.en
    assert p.book.payments == []
    # the invoice the unreadable payment names is held (it may be paid), the others are reminded
    held = _said(p.anomalies, tab, "numero_facture", Severity.warning)
    assert held.code == "R309" and held.value == "F1"
    assert p.book.invoices["F1"].status == "hold"
    assert {x.customer_id for x in p.plan.actions} == {"C2"}


@pytest.mark.parametrize(("tab", "header", "rows"), [
    ("Promesses", "date_promise", [["code_client", "numeros_factures", "date_promise", "montant", "source", "statut"],
                                   ["C1", "F1", dt.date(9999, 12, 31), 100, "appel", "en_cours"]]),
    ("Promesses", "date_promise", [["code_client", "numeros_factures", "date_promise", "montant", "source", "statut"],
                                   ["C1", "F1", "9999-12-31", 100, "appel", "en_cours"]]),
    ("Litiges", "ouvert_le", [["numero_facture", "ouvert_le", "motif", "statut", "resolu_le"],
                              ["F1", "9999-12-31", "prix", "ouvert", None]]),
    ("Litiges", "resolu_le", [["numero_facture", "ouvert_le", "motif", "statut", "resolu_le"],
                              ["F1", "2025-02-10", "prix", "resolu", dt.datetime(9999, 12, 31)]]),
    ("CA_mensuel", "mois", [["mois", "devise", "montant"], [dt.date(9999, 12, 1), "EUR", 1000]]),
    ("CA_mensuel", "mois", [["mois", "devise", "montant"], ["9999-12", "EUR", 1000]]),
    ("CA_mensuel", "montant", [["mois", "devise", "montant"], ["2025-02", "EUR", 1e26]]),
])
def test_out_of_range_in_the_other_tabs(tab, header, rows):
    customers, invoices = _good()
    p = _everything(book(customers, invoices, **{tab: rows}))
    # a dispute's unreadable date leaves it open: the safe side, said as a warning (engine/pause.py)
    _said(p.anomalies, tab, header, Severity.warning if tab == "Litiges" else Severity.error)


def test_out_of_range_in_clients_and_parametres():
    customers = [customer("C1", suspendu_jusqu_au=dt.date(9999, 12, 31)), customer("C2")]
    _, invoices = _good()
    b = book(customers, [*invoices, invoice("F2", "C2", "2025-01-05", "2025-02-05", 500)],
             settings={"min_balance": 1e26, "recovery_indemnity": "1e30"})
    p = _everything(b)
    _said(p.anomalies, "Clients", "suspendu_jusqu_au")
    settings = [a for a in p.anomalies if a.source.tab == "Parametres" and a.code == "R092"]
    assert len(settings) == 2 and b.settings.min_balance == D(5)  # the defaults were used
    assert "C2" in {x.customer_id for x in p.plan.actions}


def test_cells_say_the_value_and_the_fix():
    said, fix = parse_date("9999-12-31")[1] or (None, None)
    assert (said.en, fix.en) == ("is out of range (year 9999; relance reads 1900 to 2200)",
                                 "check the year: relance reads dates from 1900 to 2200 (e.g. 2025-02-28)")
    assert (said.fr, fix.fr) == (f"est hors limites (année 9999{NNBSP}; relance lit les années 1900 à 2200)",
                                 f"vérifiez l'année{NBSP}: relance lit les dates de 1900 à 2200 (par exemple 28/02/2025)")
    assert parse_date(2958465)[1][0].en.startswith(
        f"is a number, not a date (as an Excel date it would be 31{NBSP}December{NBSP}9999")
    assert parse_date("0000-02-30")[1][0].en.startswith("is out of range (year 0;")  # no crash on year 0
    assert parse_amount(MAX_AMOUNT)[0] is None and parse_amount(MAX_AMOUNT - D("0.01"))[0] == MAX_AMOUNT - D("0.01")
    assert parse_amount(-MAX_AMOUNT)[0] is None
    assert parse_amount(D("NaN"))[0] is None and parse_amount(D("Infinity"))[0] is None
    assert parse_amount("0,000000000000000000000000000001")[0] == D("1E-30")  # decimals: the caller rounds


# --------------------------------------------------------------------------- the commands, on an .xlsx

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)  # a Monday, 10:30 in Paris
runner = CliRunner()


def _relance(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def hostile_book(tmp_path, monkeypatch) -> Path:
    """An .xlsx from `relance init`: one good invoice, and cells out of range in Factures and Reglements."""
    import openpyxl

    monkeypatch.setattr(cli, "_now", lambda: NOW)
    path = tmp_path / "book.xlsx"
    assert _relance("init", str(path)).exit_code == 0
    wb = openpyxl.load_workbook(path)
    for row in wb["Parametres"].iter_rows(min_row=2):
        value = {"company_name": "Atelier Dumas", "sender_email": "relances@dumas.example",
                 "company_address": "12 rue des Artisans; 69003 Lyon"}.get(row[0].value)
        if value:
            row[1].value = value
    clients = wb["Clients"]
    for cid in ("C1", "C2", "C3"):
        clients.append([cid, f"Client {cid}", f"compta@{cid.lower()}.example", None, None, "fr", "B2B"])
    factures = wb["Factures"]
    factures.append(["F1", "C1", dt.date(2026, 10, 1), dt.date(2026, 10, 31), 1200, "EUR"])
    factures.append(["F2", "C2", dt.date(2026, 10, 1), dt.datetime(9999, 12, 31), 800, "EUR"])  # a date cell
    factures.append(["F3", "C2", dt.date(2026, 10, 1), dt.date(2026, 10, 31), 1e26, "EUR"])
    factures.append(["F4", "C3", dt.date(2026, 10, 1), 2958465, 300, "EUR"])  # 9999-12-31 as a serial
    factures.append(["F5", "C3", "9999-12-31", None, 300, "EUR"])
    factures.append(["F6", "C3", dt.date(2026, 10, 1), dt.date(2026, 10, 31), 450, "EUR"])
    reglements = wb["Reglements"]
    reglements.append([dt.date(9999, 12, 31), 100, "F1"])
    reglements.append([dt.date(2026, 10, 15), 1e26, "F1"])
    wb.save(path)
    return path


EXPECTED = {("Factures", "D3", "Échéance"), ("Factures", "E4", "Montant TTC"), ("Factures", "D5", "Échéance"),
            ("Factures", "C6", "Date de facture"), ("Reglements", "A2", "Date de règlement"),
            ("Reglements", "B3", "Montant")}


def test_check_plan_run_report_say_the_cells_and_remind_the_others(hostile_book):
    book = str(hostile_book)
    check = _relance("check", book, "--json")
    assert check.exit_code == 1, check.output
    anomalies = json.loads(check.output)["anomalies"]
    found = {(a["tab"], a["cell"], a["column"]) for a in anomalies if a["severity"] == "error"}
    assert found >= EXPECTED, anomalies
    for a in anomalies:
        if (a["tab"], a["cell"], a["column"]) in EXPECTED:
            assert a["value"] and a["hint"] and a["code"]
    # the payments that cannot be read name F1: it is held, said on their invoice cells
    held = {(a["tab"], a["cell"], a["value"]) for a in anomalies if a["code"] == "R309"}
    assert held == {("Reglements", "C2", "F1"), ("Reglements", "C3", "F1")}, anomalies
    text = _relance("check", book)
    assert text.exit_code == 1 and "9999" in text.output and "hors limites" in text.output  # a French book

    plan = _relance("plan", book, "--json")
    assert plan.exit_code == 0, plan.output
    assert {a["customer_id"] for a in json.loads(plan.output)["actions"]} == {"C3"}

    run = _relance("run", book, "--json")
    assert run.exit_code == 0, run.output
    summary = json.loads(run.output)
    assert summary["sent"] >= 1 and summary["failed"] == 0
    assert {a["customer_id"] for a in summary["actions"] if a["status"] == "sent"} == {"C3"}

    report = _relance("report", book, "--json")
    assert report.exit_code == 0, report.output
    assert {i["invoice_id"] for i in json.loads(report.output)["invoices"]} == {"F1", "F6"}
