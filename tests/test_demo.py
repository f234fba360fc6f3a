"""The demo book (demo.py): deterministic, varied, consistent data, and the workbook it writes."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from python_calamine import CalamineWorkbook

from relance import demo as demo_module
from relance.app.jobs import init_workbook as build_workbook
from relance.app.resources import shipped_contract
from relance.demo import build_demo_workbook, demo_data
from relance.engine.terms import parse_terms

AS_OF = dt.date(2026, 11, 23)


def calamine_rows(path: Path) -> dict[str, list[list[Any]]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def day(value: object) -> dt.date:
    assert isinstance(value, dt.date), value
    return value


def money(value: object) -> Decimal:
    assert isinstance(value, Decimal), value
    return value


@pytest.fixture(scope="module")
def demo() -> dict[str, list[dict[str, object]]]:
    return demo_data()


def test_demo_is_deterministic_for_a_seed() -> None:
    first = demo_data(seed=11, customers=120, invoices=900)
    assert first == demo_data(seed=11, customers=120, invoices=900)
    other = demo_data(seed=12, customers=120, invoices=900)
    assert other != first
    assert other["customers"][0]["name"] != first["customers"][0]["name"] or (
        other["invoices"][0] != first["invoices"][0])


def test_demo_counts_and_columns(demo: dict[str, list[dict[str, object]]]) -> None:
    assert len(demo["customers"]) == 300
    assert len(demo["invoices"]) == 4000
    assert demo["payments"] and demo["disputes"] and demo["promises"]
    for key, rows in demo.items():
        keys = {c.key for c in shipped_contract().tab(key).columns}
        for row in rows:
            assert set(row) <= keys, key
    ids = [r["invoice_id"] for r in demo["invoices"]]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "F2025-00001"
    customers = [r["customer_id"] for r in demo["customers"]]
    assert len(set(customers)) == len(customers)
    names = [r["name"] for r in demo["customers"]]
    assert len(set(names)) == len(names)


def test_demo_invoices_are_consistent(demo: dict[str, list[dict[str, object]]]) -> None:
    customers = {r["customer_id"]: r for r in demo["customers"]}
    invoices = {r["invoice_id"]: r for r in demo["invoices"]}
    start = AS_OF - dt.timedelta(days=550)
    kinds = Counter(r["kind"] for r in invoices.values())
    statuses = Counter(r["status"] for r in invoices.values())
    assert kinds == {"invoice": 3920, "credit_note": 80}
    assert statuses["disputed"] == 40 and statuses["hold"] == 20 and 1 <= statuses["cancelled"] <= 20
    assert set(statuses) == {None, "disputed", "hold", "cancelled"}
    unapplied = 0
    for inv in invoices.values():
        assert inv["customer_id"] in customers
        issued = inv["issue_date"]
        assert isinstance(issued, dt.date) and start <= issued <= AS_OF
        amount = inv["amount"]
        assert isinstance(amount, Decimal) and amount.as_tuple().exponent == -2
        assert amount > 0
        assert inv["currency"] in (None, "EUR", "USD")
        if inv["kind"] == "credit_note":
            target_id = inv["applies_to"]
            if target_id is None:
                unapplied += 1
                continue
            target = invoices[str(target_id)]
            assert target["kind"] == "invoice"
            assert target["customer_id"] == inv["customer_id"]
            assert day(target["issue_date"]) <= issued
            assert amount < money(target["amount"])
            assert target["status"] is None
        else:
            assert inv["applies_to"] is None
            assert Decimal(80) <= amount <= Decimal(25000)
            terms = inv["payment_terms"] or customers[str(inv["customer_id"])]["payment_terms"]
            parsed = parse_terms(terms or "30")
            assert parsed is not None and not parsed.beyond_legal_maximum
            if inv["due_date"] is not None:
                assert inv["due_date"] == parsed.due_date(issued)
    assert 1 <= unapplied < 80
    due_filled = sum(1 for r in invoices.values() if r["due_date"]) / len(invoices)
    assert 0.2 < due_filled < 0.4
    usd = [r for r in invoices.values() if r["currency"] == "USD"]
    assert usd and all(customers[str(r["customer_id"])]["country"] == "US" for r in usd)
    assert any(str(r["pdf_url"] or "").startswith("https://factures.example.fr/")
               for r in invoices.values())
    assert any(r["payment_url"] for r in invoices.values())
    # more recent months a bit busier
    months = Counter(day(r["issue_date"]).year * 12 + day(r["issue_date"]).month
                     for r in invoices.values())
    ordered = [months[m] for m in sorted(months)][1:-1]  # first and last are partial months
    assert sum(ordered[-6:]) > sum(ordered[:6])


def test_demo_customers_are_varied(demo: dict[str, list[dict[str, object]]]) -> None:
    customers = demo["customers"]
    n = len(customers)
    types = Counter(r["customer_type"] for r in customers)
    assert types["B2C"] == round(n * 0.08)
    assert {r["segment"] for r in customers if r["customer_type"] == "B2C"} == {"particuliers"}
    assert {r["segment"] for r in customers} == {"grands_comptes", "pme", "risque", "particuliers"}
    assert Counter(r["language"] for r in customers)["en"] == round(n * 0.05)
    assert {r["payment_terms"] for r in customers} <= {"30", "45 FDM", "60 jours", "30 FDM", None}
    assert {r["owner"] for r in customers} == {"Sophie Marchand", "Karim Benali", "Julien Roux"}
    assert any(r["opt_out"] == "oui" for r in customers)
    paused = [r["paused_until"] for r in customers if r["paused_until"]]
    assert paused and all(day(p) > AS_OF for p in paused)
    assert any(";" in str(r["email"] or "") for r in customers)
    mobiles = landlines = 0
    for r in customers:
        for address in filter(None, str(r["email"] or "").split(";")):
            try:
                validate_email(address, check_deliverability=False)
            except EmailNotValidError as exc:  # pragma: no cover - the assertion explains
                pytest.fail(f"{r['customer_id']}: {address}: {exc}")
        if r["phone"]:
            number = phonenumbers.parse(str(r["phone"]), "FR")
            assert phonenumbers.is_valid_number(number), r["phone"]
            if r["country"] == "FR":
                if str(r["phone"])[:2] in ("06", "07"):
                    mobiles += 1
                else:
                    landlines += 1
    assert mobiles and landlines


def test_demo_payments_are_sensible(demo: dict[str, list[dict[str, object]]]) -> None:
    invoices = {r["invoice_id"]: r for r in demo["invoices"]}
    invoiced: dict[object, Decimal] = defaultdict(Decimal)
    for r in invoices.values():
        if r["kind"] == "invoice":
            invoiced[r["customer_id"]] += money(r["amount"])
    paid: dict[object, Decimal] = defaultdict(Decimal)
    unallocated = 0
    for p in demo["payments"]:
        paid_on, amount = day(p["date"]), money(p["amount"])
        assert paid_on <= AS_OF
        assert amount > 0 and amount.as_tuple().exponent == -2
        if p["invoice_id"] is None:
            unallocated += 1
            assert p["customer_id"] in invoiced
            assert amount <= invoiced[p["customer_id"]]
            continue
        inv = invoices[p["invoice_id"]]
        assert inv["kind"] == "invoice" and inv["status"] is None
        assert paid_on >= day(inv["issue_date"])
        if p["customer_id"] is not None:
            assert p["customer_id"] == inv["customer_id"]
        assert (p["currency"] or "EUR") == (inv["currency"] or "EUR")
        paid[p["invoice_id"]] += amount
    for iid, total in paid.items():
        assert total <= money(invoices[iid]["amount"])
    assert 0.02 < unallocated / len(demo["payments"]) < 0.10
    # most invoices due well before as_of are paid, the recent ones mostly open
    regular = [r for r in invoices.values() if r["kind"] == "invoice" and r["status"] is None]
    old = [r for r in regular if day(r["issue_date"]) < AS_OF - dt.timedelta(days=180)]
    recent = [r for r in regular if day(r["issue_date"]) > AS_OF - dt.timedelta(days=15)]
    assert sum(1 for r in old if r["invoice_id"] in paid) / len(old) > 0.8
    assert sum(1 for r in recent if r["invoice_id"] in paid) / len(recent) < 0.2
    assert any(total < money(invoices[iid]["amount"]) for iid, total in paid.items())


def test_demo_disputes_promises_settings(demo: dict[str, list[dict[str, object]]]) -> None:
    invoices = {r["invoice_id"]: r for r in demo["invoices"]}
    disputes = demo["disputes"]
    open_ids = {d["invoice_id"] for d in disputes if d["status"] == "open"}
    assert open_ids == {i for i, r in invoices.items() if r["status"] == "disputed"}
    resolved = [d for d in disputes if d["status"] == "resolved"]
    assert len(resolved) >= 2
    for d in resolved:
        assert day(d["opened"]) <= day(d["resolved_on"]) <= AS_OF
    for p in demo["promises"]:
        assert p["status"] == "open"
        assert abs((day(p["promised_date"]) - AS_OF).days) <= 15
        for iid in str(p["invoice_ids"]).split(";"):
            assert invoices[iid]["customer_id"] == p["customer_id"]
        assert money(p["amount"]) > 0
    settings = {r["key"]: r["value"] for r in demo["settings"]}
    assert settings["sender_email"] == "relances@atelier-dumas.example"
    assert settings["default_currency"] == "EUR" and settings["timezone"] == "Europe/Paris"
    assert settings["default_payment_terms"] == "30" and settings["default_scenario"] == "standard"
    assert settings["locale"] == "fr_FR" and "Dumas" in str(settings["company_name"])
    assert set(settings) <= {s.key for s in shipped_contract().settings}


def test_demo_english_texts() -> None:
    data = demo_data(customers=200, invoices=2000, lang="en")
    assert {r["opt_out"] for r in data["customers"]} == {None, "yes"}
    sources = {r["source"] for r in data["promises"]}
    assert sources <= {"phone", "email", "portal"}
    assert data["disputes"][0]["reason"] in demo_module._REASONS["en"]


def test_demo_workbook_round_trip(tmp_path: Path, demo: dict[str, list[dict[str, object]]]) -> None:
    path = tmp_path / "demo.xlsx"
    data = build_demo_workbook(path)
    assert data == demo
    rows = calamine_rows(path)
    lang = "fr"
    for tab in shipped_contract().input_tabs:
        sheet = rows[tab.name(lang)]
        if tab.key == "settings":
            assert len(sheet) == 1 + len(shipped_contract().settings)
            values = {r[0]: r[1] for r in sheet[1:]}
            assert values["company_name"] == "Atelier Dumas SAS"
        else:
            assert len(sheet) == 1 + len(demo.get(tab.key, [])), tab.key
    invoices = rows["Factures"]
    header = invoices[0]
    amount = header.index("Montant TTC")
    issued = header.index("Date de facture")
    total = sum(Decimal(str(r[amount])) for r in invoices[1:])
    assert total == sum(money(r["amount"]) for r in demo["invoices"])
    assert all(isinstance(r[issued], dt.date) for r in invoices[1:])
    assert invoices[1][0] == demo["invoices"][0]["invoice_id"]
    payments = rows["Reglements"]
    assert all(isinstance(r[0], dt.date) for r in payments[1:])


def test_build_demo_workbook_streams_large_books(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    calls: list[dict[str, object]] = []

    def fake_build(path: Path, lang: str = "fr", data: object = None, *,
                   write_only: bool = False) -> None:
        calls.append({"lang": lang, "write_only": write_only})

    monkeypatch.setattr(demo_module, "init_workbook", fake_build)
    build_demo_workbook(tmp_path / "small.xlsx", customers=50, invoices=500, lang="en")
    monkeypatch.setattr(demo_module, "WRITE_ONLY_ABOVE", 400)
    build_demo_workbook(tmp_path / "large.xlsx", customers=50, invoices=500)
    assert calls == [{"lang": "en", "write_only": False}, {"lang": "fr", "write_only": True}]


def test_demo_scales_to_100k_invoices() -> None:
    data = demo_data(customers=20_000, invoices=100_000)
    assert len(data["customers"]) == 20_000
    assert len(data["invoices"]) == 100_000
    assert day(data["invoices"][-1]["issue_date"]) <= AS_OF
    assert max(day(p["date"]) for p in data["payments"]) <= AS_OF


def test_demo_small_books_do_not_break() -> None:
    for customers, invoices in ((1, 0), (1, 1), (3, 10), (10, 60)):
        data = demo_data(customers=customers, invoices=invoices)
        assert len(data["customers"]) == customers
        assert len(data["invoices"]) == invoices
    with pytest.raises(ValueError):
        demo_data(customers=0, invoices=5)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
@pytest.mark.parametrize("write_only", [False, True], ids=["normal", "write_only"])
def test_libreoffice_opens_the_demo_workbook(tmp_path: Path, write_only: bool) -> None:
    data = demo_data(customers=40, invoices=400)
    path = tmp_path / "demo.xlsx"
    build_workbook(path, "fr", data, write_only=write_only)
    out = tmp_path / "out"
    subprocess.run(
        ["soffice", "--headless", "--norestore",
         f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
         "--convert-to", "xlsx", "--outdir", str(out), str(path)],
        check=True, capture_output=True, timeout=180,
    )
    rows = calamine_rows(out / "demo.xlsx")  # as LibreOffice understood and saved it
    assert list(rows) == ["Mode d'emploi"] + [t.name("fr") for t in shipped_contract().input_tabs]
    assert len(rows["Factures"]) == 401 and len(rows["Clients"]) == 41
    assert rows["Factures"][0] == shipped_contract().tab("invoices").headers("fr")
    first = data["invoices"][0]
    assert rows["Factures"][1][2] == first["issue_date"]
    assert Decimal(str(rows["Factures"][1][4])) == first["amount"]
