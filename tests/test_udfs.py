"""The Excel functions (addin/relance_addin/udfs.py), called as plain Python (xlwings' decorators do
nothing on Linux), give exactly the figures of `relance report --json` on the same book; a bad
cell answers an error text in its own row; the French names are the same functions; every
function and argument has help for Excel's function wizard."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import customer, invoice, payment, workbook
from relance.app.jobs import month_period, report_bundle, snapshot
from relance.engine.penalty import RateTable
from relance.engine.penalty import late_penalty as engine_late_penalty
from relance.engine.report import report_json

ADDIN = Path(__file__).resolve().parents[1] / "addin"
sys.path.insert(0, str(ADDIN))

from relance_addin import udfs  # noqa: E402

AS_OF = dt.date(2025, 6, 15)
NOW = dt.datetime(2025, 6, 15, 8, 0, tzinfo=dt.UTC)

CUSTOMERS = [customer("C1"), customer("C2"), customer("C3")]
# (number, customer, issued, due, amount): what the invoice tab holds, beside which the functions go
INVOICES = [
    ("F1", "C1", "2025-01-10", "2025-02-09", 1200.0),     # paid late in two parts
    ("F2", "C1", "2025-03-01", "2025-03-31", 845.5),      # open, 76 days late, part paid before due
    ("F3", "C2", "2025-04-20", "2025-05-20", 99.99),      # open, 26 days late
    ("F4", "C2", "2025-05-30", "2025-06-29", 5000.0),     # not due yet
    ("F5", "C3", "2024-11-02", "2024-12-02", 2300.1),     # open > 90 days, a payment after due
    ("F6", "C3", "2025-02-01", "2025-03-03", 410.0),      # overpaid
    ("F7", "C1", "2025-05-01", "2025-06-12", 77.7),       # 3 days late
    ("F8", "C2", "2024-12-15", "2025-01-14", 1500.0),     # paid on time
    ("F9", "C3", "2025-01-15", "2025-02-14", 333.33),     # paid late at once
]
# (date, amount, invoice)
PAYMENTS = [
    ("2025-02-20", 600.0, "F1"), ("2025-03-15", 600.0, "F1"),
    ("2025-03-20", 300.0, "F2"),
    ("2025-01-20", 1000.0, "F5"),
    ("2025-03-01", 410.0, "F6"), ("2025-04-01", 25.0, "F6"),
    ("2025-01-10", 1500.0, "F8"),
    ("2025-04-02", 333.33, "F9"),
]


def day(text: str) -> dt.datetime:
    """A date cell as xlwings gives it: a datetime."""
    return dt.datetime.fromisoformat(text)


def column(values: list[object]) -> list[list[object]]:
    """A one-column range as xlwings gives it with ndim=2."""
    return [[v] for v in values]


@pytest.fixture(scope="module")
def report() -> dict:
    backend = workbook(CUSTOMERS, [invoice(i, c, iss, due, amt) for i, c, iss, due, amt in INVOICES],
                       [payment(d, a, i) for d, a, i in PAYMENTS])
    snap = snapshot(backend, NOW, AS_OF, for_report=True)
    assert not [a for a in snap.anomalies if a.severity == "error"]
    found, _ = report_bundle(snap, month_period(None, AS_OF))
    return report_json(found)


def by_invoice(report: dict) -> dict[str, dict]:
    return {line["invoice_id"]: line for line in report["invoices"]}


IDS = column([i for i, *_ in INVOICES])
CUSTOMER_IDS = column([c for _, c, *_ in INVOICES])
ISSUED = column([day(x) for _, _, x, _, _ in INVOICES])
DUE = column([day(x) for *_, x, _ in INVOICES])
AMOUNTS = column([a for *_, a in INVOICES])
PAY_DATES = column([day(d) for d, _, _ in PAYMENTS])
PAY_AMOUNTS = column([a for _, a, _ in PAYMENTS])
PAY_IDS = column([i for *_, i in PAYMENTS])
AS_OF_CELL = dt.datetime(2025, 6, 15)


def flat(grid: list[list[object]]) -> list[object]:
    return [row[0] for row in grid]


def cents(value: str | None) -> float | None:
    return None if value is None else float(Decimal(value))


# --- the same figures as the report ---------------------------------------------------------------


def test_days_late_and_bucket_are_the_reports(report):
    lines = by_invoice(report)
    days = flat(udfs.RELANCE_DAYS_LATE(DUE, AS_OF_CELL))
    balances = udfs.RELANCE_BALANCE(IDS, AMOUNTS, PAY_IDS, PAY_AMOUNTS)
    buckets = flat(udfs.RELANCE_BUCKET(DUE, balances, AS_OF_CELL))
    for (iid, *_), d, b in zip(INVOICES, days, buckets, strict=True):
        line = lines[iid]
        if line["status"] == "open":
            assert d == line["days_past_due"], iid
            assert b == line["bucket"], iid
        else:
            assert b == "", iid
    assert {b for b in buckets} >= {"current", "1-30", "61-90", ">90", ""}


def test_balance_is_the_reports_open_balance_to_the_cent(report):
    lines = by_invoice(report)
    balances = flat(udfs.RELANCE_BALANCE(IDS, AMOUNTS, PAY_IDS, PAY_AMOUNTS))
    for (iid, *_), value in zip(INVOICES, balances, strict=True):
        assert value == cents(lines[iid]["open_balance"]), iid
    assert balances[5] == -25.0  # overpaid


def test_penalty_is_the_reports_late_penalty_to_the_cent(report):
    lines = by_invoice(report)
    penalties = flat(udfs.RELANCE_PENALTY(IDS, AMOUNTS, DUE, PAY_IDS, PAY_DATES, PAY_AMOUNTS, AS_OF_CELL))
    for (iid, *_), value in zip(INVOICES, penalties, strict=True):
        assert value == cents(lines[iid]["late_penalty"]), iid
    assert sum(1 for p in penalties if p) >= 5


def test_indemnity_is_the_reports(report):
    lines = by_invoice(report)
    unit = cents(report["indemnity"]["unit_eur"])
    owed = flat(udfs.RELANCE_INDEMNITY(IDS, AMOUNTS, DUE, PAY_IDS, PAY_DATES, PAY_AMOUNTS, AS_OF_CELL))
    for (iid, *_), value in zip(INVOICES, owed, strict=True):
        assert value == lines[iid]["indemnity_due"] * unit, iid
    assert sum(owed) == cents(report["indemnity"]["amount_eur"])


def test_stage_is_the_reports_and_says_the_next_step(report):
    lines = by_invoice(report)
    balances = udfs.RELANCE_BALANCE(IDS, AMOUNTS, PAY_IDS, PAY_AMOUNTS)
    rows = udfs.RELANCE_STAGE(DUE, balances, AS_OF_CELL)
    for (iid, *_), (stage, following, when) in zip(INVOICES, rows, strict=True):
        line = lines[iid]
        if line["status"] != "open":
            assert (stage, following, when) == ("", "", ""), iid
            continue
        assert stage == line["stage"], iid
        if following:
            assert when > dt.datetime(2025, 6, 15), iid
    f7 = rows[6]  # 3 days late: at "notice" (J+1), next "reminder_1" at J+7
    assert f7 == ["notice", "reminder_1", dt.datetime(2025, 6, 19)]


def test_dso_is_the_reports_countback_and_simple(report):
    figures = report["currencies"]["EUR"]["dso"]
    args = (IDS, ISSUED, AMOUNTS, PAY_IDS, PAY_DATES, PAY_AMOUNTS, AS_OF_CELL)
    assert udfs.RELANCE_DSO(*args) == [[figures["countback"]]]
    assert udfs.RELANCE_DSO(*args, "countback") == [[figures["countback"]]]
    for months in (1, 3, 6):
        expected = figures["simple"][f"{months}m"]
        got = udfs.RELANCE_DSO(*args, "simple", float(months))[0][0]
        assert got == (expected if expected is not None else "#VALUE! not enough sales"), months
    assert udfs.RELANCE_DSO(*args, "simple", 12.0) == [["#VALUE! not enough sales"]]  # history too short


def test_risk_is_the_reports_grade_and_main_reason(report):
    graded = {c["customer_id"]: c["risk"] for c in report["customers"]}
    rows = udfs.RELANCE_RISK(CUSTOMER_IDS, IDS, ISSUED, DUE, AMOUNTS, PAY_IDS, PAY_DATES, PAY_AMOUNTS, AS_OF_CELL)
    french = udfs.RELANCE_RISQUE(CUSTOMER_IDS, IDS, ISSUED, DUE, AMOUNTS, PAY_IDS, PAY_DATES, PAY_AMOUNTS,
                                 AS_OF_CELL)
    for (_, cid, *_), (grade, reason), (grade_fr, reason_fr) in zip(INVOICES, rows, french, strict=True):
        risk = graded[cid]
        main = max(risk["reasons"], key=lambda r: r["points"])
        assert (grade, reason) == (risk["grade"], main["en"]), cid
        assert (grade_fr, reason_fr) == (risk["grade"], main["fr"]), cid


# --- cells as Excel gives them ----------------------------------------------------------------------


def test_text_dates_serials_and_numbers_typed_as_ids_read_as_the_engine_reads_them():
    due = column([day("2025-06-01"), "2025-06-01", "01/06/2025", 45809.0, None])
    assert flat(udfs.RELANCE_DAYS_LATE(due, AS_OF_CELL)) == [14, 14, 14, 14, ""]
    ids = column([1001.0, "1002"])
    got = udfs.RELANCE_BALANCE(ids, column([100.0, "1 234,56"]), column(["1001", 1002.0]), column([40.0, 34.56]))
    assert got == [[60.0], [1200.0]]


def test_a_bad_cell_answers_in_its_row_only():
    due = column([day("2025-06-01"), "31/02/2025", "soon", day("2025-05-01"), True])
    assert flat(udfs.RELANCE_DAYS_LATE(due, AS_OF_CELL)) == [14, "#VALUE! date?", "#VALUE! date?", 45, "#VALUE! date?"]
    french = flat(udfs.RELANCE_JOURS_RETARD(due, AS_OF_CELL))
    assert french[1] == "#VALEUR! date\u202f?" and french[0] == 14
    ids = column(["A1", "A2", "A1", None, "A4", "A2"])
    amounts = column([100.0, "abc", 50.0, 20.0, 10.0, 5.0])
    got = flat(udfs.RELANCE_BALANCE(ids, amounts, column(["A1", "A4"]), column([30.0, 10.0])))
    # as the engine reads an invoice tab: a number is a duplicate of an earlier GOOD row only
    assert got == [70.0, "#VALUE! amount?", "#VALUE! duplicate number", "#VALUE! number?", 0.0, 5.0]
    assert udfs.RELANCE_BALANCE(column(["N"]), column([-5.0]), column([None]), column([None])) == [
        ["#VALUE! amount?"]]  # below zero: the engine skips such a row
    penalties = flat(udfs.RELANCE_PENALTY(ids, amounts, column([day("2025-01-01"), day("2025-01-01"), None,
                                                                 day("2025-01-01"), "2025-02-30",
                                                                 day("2025-06-14")]),
                                          column(["A1"]), column([day("2025-03-01")]), column([30.0]),
                                          AS_OF_CELL, 12.0))
    assert penalties[1:] == ["#VALUE! amount?", "#VALUE! duplicate number", "#VALUE! number?", "#VALUE! date?",
                             0.0]
    assert isinstance(penalties[0], float) and penalties[0] > 0


def test_a_bad_one_cell_argument_answers_one_error_and_a_bug_never_a_traceback(monkeypatch):
    assert udfs.RELANCE_DAYS_LATE(column([day("2025-06-01")]), "someday") == [["#VALUE! as-of date?"]]
    assert udfs.RELANCE_ETAPE(column([day("2025-06-01")]), column([1.0]), AS_OF_CELL, "nope") == [
        ["#VALEUR! scénario inconnu"]]
    monkeypatch.setattr(udfs, "read_dates", lambda *_: 1 / 0)
    assert udfs.RELANCE_DAYS_LATE(column([day("2025-06-01")]), AS_OF_CELL) == [
        ["#VALUE! relance error, see the log"]]


def test_blank_cells_from_the_numpy_converter_are_blank():
    nan = float("nan")
    assert flat(udfs.RELANCE_DAYS_LATE(column([nan, day("2025-06-14")]), AS_OF_CELL)) == ["", 1]
    assert flat(udfs.RELANCE_BALANCE(column(["A", nan]), column([10.0, nan]), column([nan]), column([nan]))) == [
        10.0, ""]


def test_amounts_are_exact_decimals_rounded_to_the_currency():
    # 0.1 + 0.2 style floats and more decimals than the currency has: exact, half-up per currency
    got = udfs.RELANCE_BALANCE(column(["A", "B", "C"]), column([0.3, 1.005, 1234.5]),
                               column(["A", "A", "B"]), column([0.1, 0.2, 0.005]),
                               column(["EUR", "EUR", "JPY"]))
    assert got == [[0.0], [1.0], [1235.0]]


# --- against the engine itself on random invoices ----------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    amount=st.integers(1, 10**13), due=st.dates(dt.date(2022, 1, 1), dt.date(2026, 6, 1)),
    pays=st.lists(st.tuples(st.integers(-100, 900), st.integers(1, 10**9)), max_size=5),
    fixed=st.one_of(st.none(), st.decimals(0, 30, places=2)),
)
def test_penalty_is_engine_late_penalty(amount, due, pays, fixed):
    as_of = dt.date(2026, 6, 30)
    value = Decimal(amount).scaleb(-2)
    payments = [(due + dt.timedelta(days=d), Decimal(a).scaleb(-2)) for d, a in pays]
    rates = RateTable("fixed", fixed) if fixed is not None else RateTable()
    expected = engine_late_penalty(value, due, payments, as_of, rates)
    got = udfs.RELANCE_PENALTY(
        [["X"]], [[float(value)]], [[dt.datetime.combine(due, dt.time())]],
        column(["X"] * len(payments)), column([dt.datetime.combine(d, dt.time()) for d, _ in payments]),
        column([float(a) for _, a in payments]), dt.datetime(2026, 6, 30),
        float(fixed) if fixed is not None else None)
    assert got == [[float(expected)]]


# --- names, aliases, help -----------------------------------------------------------------------------


def test_french_names_are_the_same_functions():
    for french, english in udfs.ALIASES.items():
        fr, en = udfs.UDFS[french], udfs.UDFS[english]
        assert fr.impl is en.impl and (fr.lang, en.lang) == ("fr", "en")
        assert len(inspect.signature(fr).parameters) == len(inspect.signature(en).parameters)
    assert set(udfs.UDFS) == {
        "RELANCE_DAYS_LATE", "RELANCE_BUCKET", "RELANCE_BALANCE", "RELANCE_PENALTY", "RELANCE_INDEMNITY",
        "RELANCE_DSO", "RELANCE_STAGE", "RELANCE_RISK", "RELANCE_JOURS_RETARD", "RELANCE_TRANCHE",
        "RELANCE_SOLDE", "RELANCE_PENALITES", "RELANCE_INDEMNITE", "RELANCE_ETAPE", "RELANCE_RISQUE"}
    args = (column([day("2025-06-01"), day("2025-03-01")]), column([10.0, 0.0]), AS_OF_CELL)
    assert udfs.RELANCE_TRANCHE(*args) == udfs.RELANCE_BUCKET(*args) == [["1-30"], [""]]


def test_every_function_and_argument_has_wizard_help():
    for name, f in udfs.UDFS.items():
        assert f.__name__ == name
        assert f.__doc__ and len(f.__doc__) <= 255, name  # Excel cuts the description at 255
        params = list(inspect.signature(f).parameters)
        assert params and set(f.arg_help) == set(params), name
        assert all(text and len(text) <= 255 for text in f.arg_help.values()), name
        assert all(p.isascii() and p.isidentifier() for p in params), name  # VBA argument names
        if f.lang == "fr":
            assert "Colonne" in " ".join(f.arg_help.values()) or name == "RELANCE_DSO", name


def test_the_functions_reach_only_the_engine_and_the_apps_resources():
    """DESIGN: a face; UDFs may call the engine directly. They read no workbook, send nothing and
    render nothing: only relance.engine and relance.app.resources (the shipped ladders and contract)."""
    tree = ast.parse((ADDIN / "relance_addin" / "udfs.py").read_text(encoding="utf-8"))
    reached = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    reached |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    ours = {m for m in reached if m.startswith("relance")}
    assert ours and all(m.startswith("relance.engine") or m == "relance.app.resources" for m in ours), ours


def test_the_doc_names_every_function_argument_and_error_text():
    doc = (ADDIN.parent / "docs" / "excel-functions.md").read_text(encoding="utf-8")
    for name, f in udfs.UDFS.items():
        assert f"`{name}`" in doc, name
        for arg in inspect.signature(f).parameters:
            assert f"`{arg}`" in doc, (name, arg)
    from relance.engine.catalog import tabs

    for key in dir(tabs):
        if key.startswith("UDF_BAD") or key in ("UDF_DUPLICATE", "UDF_FAILED", "UDF_NO_SALES"):
            phrase = getattr(tabs, key)
            for lang in ("en",) if key == "UDF_NO_SALES" else ("fr", "en"):  # RELANCE_DSO: one name
                assert udfs.error_text(phrase, lang).replace("\u202f", " ") in doc, (key, lang)


def test_xlwings_own_udf_decorators_build_the_wizard_metadata(monkeypatch):
    """xlwings.udfs (the Windows decorators: the metadata its VBA wrappers and MacroOptions read)
    imports the COM modules; with empty stand-ins for those alone, its real xlfunc/xlarg run here
    on every function, as on Windows."""
    import importlib
    import types

    import xlwings as xw

    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    sys.modules["pythoncom"].CoInitialize = lambda: None
    sys.modules["win32com.client"].Dispatch = object
    monkeypatch.delitem(sys.modules, "xlwings.udfs", raising=False)
    windows = importlib.import_module("xlwings.udfs")
    monkeypatch.setattr(xw, "func", windows.xlfunc)
    monkeypatch.setattr(xw, "arg", windows.xlarg)
    for name, plain in udfs.UDFS.items():
        f = udfs.excel_function(plain.impl, name, plain.lang, plain.help)
        meta = f.__xlfunc__
        assert meta["name"] == name and meta["category"] == "Relance" and not meta["volatile"]
        assert meta["ret"]["doc"] == plain.__doc__
        params = inspect.signature(plain).parameters
        assert [a["name"] for a in meta["args"]] == list(params)
        for arg in meta["args"]:
            assert arg["doc"] == plain.arg_help[arg["name"]], (name, arg["name"])
            assert ("optional" in arg) == (params[arg["name"]].default is not inspect.Parameter.empty)
            if arg["name"] not in ("as_of", "date_arrete", "annual_rate", "taux_annuel", "indemnity", "indemnite",
                                   "method", "methode", "months", "mois", "scenario"):
                assert arg["options"] == {"convert": np.array, "ndim": 2, "dtype": object}


def test_risk_says_a_row_without_customer_in_that_row():
    rows = udfs.RELANCE_RISK(column(["C1", None, "C1"]), column(["A", "B", "C"]),
                             column([day("2025-01-01")] * 3), column([day("2025-02-01"), day("2025-02-01"), "x"]),
                             column([100.0, 50.0, 10.0]), column([None]), column([None]), column([None]), AS_OF_CELL)
    assert rows[1] == ["#VALUE! customer?", ""] and rows[2] == ["#VALUE! date?", ""]
    assert rows[0][0] in "ABCDE" and rows[0][1]
