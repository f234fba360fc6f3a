"""The workbook `relance init` writes (workbook/starter.py): a template that explains itself, with
every input tab of the shipped contract, in French or English."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from french import french_problems
from relance.app.jobs import read_book
from relance.app.resources import shipped_contract
from relance.engine.catalog import template as words
from relance.engine.contract import TabSpec
from relance.workbook import starter
from relance.workbook.starter import (
    DATE_FORMAT,
    MONEY_FORMAT,
    TEXT_FORMAT,
    default_value,
    header_note,
    setting_help,
)
from relance.workbook.xlsx import XlsxBackend

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
HOWTO = {"fr": "Mode d'emploi", "en": "How to use"}
HELP = {"fr": "Description", "en": "Description"}


def build_workbook(path: Path, lang: str = "fr", data: dict[str, list[dict[str, object]]] | None = None, *,
                   write_only: bool = False) -> None:
    starter.build_workbook(path, shipped_contract(), lang, data, write_only=write_only)


def calamine_rows(path: Path) -> dict[str, list[list[Any]]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def expected_headers(tab: TabSpec, lang: str) -> list[str]:
    return tab.headers(lang) + ([HELP[lang]] if tab.key == "settings" else [])


@pytest.mark.parametrize("write_only", [False, True], ids=["normal", "write_only"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_template_layout_read_by_openpyxl(tmp_path: Path, lang: str, write_only: bool) -> None:
    path = tmp_path / f"template-{lang}.xlsx"
    build_workbook(path, lang, write_only=write_only)
    wb = openpyxl.load_workbook(path)
    inputs = shipped_contract().input_tabs
    assert wb.sheetnames == [HOWTO[lang]] + [t.name(lang) for t in inputs]  # the instructions first
    for output in shipped_contract().output_tabs:
        assert output.name(lang) not in wb.sheetnames

    for tab in inputs:
        ws = wb[tab.name(lang)]
        headers = expected_headers(tab, lang)
        assert [c.value for c in ws[1]] == headers, tab.key
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{get_column_letter(len(headers))}{ws.max_row}"
        # printed: landscape, one page wide, the header row on every page
        assert ws.print_title_rows == "$1:$1", tab.key
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
        validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
        for i, col in enumerate(tab.columns, start=1):
            letter = get_column_letter(i)
            assert ws.column_dimensions[letter].width == col.width, (tab.key, col.key)
            assert len(col.header(lang)) + 3 <= col.width, (tab.key, col.key)  # the header fits
            header = ws.cell(row=1, column=i)
            assert header.font.b and header.fill.fill_type == "solid"
            # every header has a note, in the template's language
            assert header.comment is not None, (tab.key, col.key)
            assert header.comment.text == header_note(tab, col).text(lang)
            # formats and validation on the data rows, before any data exists
            fmt = ws.column_dimensions[letter].number_format
            expected_fmt = {"money": MONEY_FORMAT, "date": DATE_FORMAT}.get(col.type)
            if col.format == "text":
                expected_fmt = TEXT_FORMAT
            assert fmt == (expected_fmt or "General"), (tab.key, col.key)
            rule = validations.get(f"{letter}2:{letter}5000")
            values = col.dropdown(lang)
            if values:
                assert rule is not None and rule.type == "list", (tab.key, col.key)
                assert rule.formula1 == '"' + ",".join(values) + '"'
            elif col.type in ("date", "money", "int"):
                assert rule is not None and rule.type == {"date": "date", "money": "decimal", "int": "whole"}[col.type]
                assert rule.operator == "between"
            else:
                assert rule is None, (tab.key, col.key)
            if rule is not None:
                assert rule.allow_blank and rule.errorStyle == "warning" and rule.error
    invoices = wb[shipped_contract().tab("invoices").name(lang)]
    assert invoices.column_dimensions["A"].number_format == TEXT_FORMAT  # invoice numbers kept as typed
    assert invoices.column_dimensions["E"].number_format == MONEY_FORMAT  # amount
    assert invoices.column_dimensions["C"].number_format == DATE_FORMAT  # issue_date
    assert invoices["A1"].value == {"fr": "N° facture", "en": "Invoice no."}[lang]
    assert invoices["D1"].value == {"fr": "Échéance", "en": "Due date"}[lang]
    assert invoices["E1"].value == {"fr": "Montant TTC", "en": "Amount incl. VAT"}[lang]


FR_DROPDOWNS = {("invoices", "kind"): "facture,avoir", ("invoices", "status"): "ouverte,litige,bloquée,annulée",
                ("promises", "status"): "ouverte,tenue,non tenue", ("disputes", "status"): "ouvert,résolu",
                ("customers", "opt_out"): "oui,non", ("customers", "customer_type"): "B2B,B2C",
                ("scenarios", "channel"): "email,sms,courrier,appel,agence"}
EN_DROPDOWNS = {("invoices", "kind"): "invoice,credit note", ("invoices", "status"): "open,disputed,on hold,cancelled",
                ("promises", "status"): "open,kept,broken", ("disputes", "status"): "open,resolved",
                ("customers", "opt_out"): "yes,no", ("customers", "customer_type"): "B2B,B2C",
                ("scenarios", "channel"): "email,sms,letter,call,agency"}


@pytest.mark.parametrize(("lang", "expected"), [("fr", FR_DROPDOWNS), ("en", EN_DROPDOWNS)])
def test_dropdowns_speak_the_template_language(lang: str, expected: dict[tuple[str, str], str]) -> None:
    contract = shipped_contract()
    for (tab, col), values in expected.items():
        assert ",".join(contract.tab(tab).column(col).dropdown(lang)) == values
    # every dropdown value of either language is read as one of the column's choices
    for tab in contract.input_tabs:
        for col in tab.columns:
            if col.choices:
                for either in ("fr", "en"):
                    assert all(col.choice(v) for v in col.dropdown(either)), (tab.key, col.key)


def test_headers_of_either_language_and_of_earlier_templates_are_read() -> None:
    invoices = shipped_contract().tab("invoices")
    for header, key in [("N° facture", "invoice_id"), ("Nº facture", "invoice_id"), ("numero", "invoice_id"),
                        ("Invoice no.", "invoice_id"), ("invoice_id", "invoice_id"), ("ÉCHÉANCE", "due_date"),
                        ("echeance", "due_date"), ("Due date", "due_date"), ("montant_ttc", "amount"),
                        ("Amount incl. VAT", "amount"), ("date_facture", "issue_date"), ("Statut", "status")]:
        column = invoices.resolve_header(header)
        assert column is not None and column.key == key, header
    customers = shipped_contract().tab("customers")
    for header, key in [("Suspendu jusqu'au", "paused_until"), ("suspendu_jusqu_au", "paused_until"),
                        ("Raison sociale", "name"), ("pas_de_relance", "opt_out"), ("Type client", "customer_type")]:
        column = customers.resolve_header(header)
        assert column is not None and column.key == key, header


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_instructions_tab_explains_each_tab_the_daily_run_and_the_results(tmp_path: Path, lang: str) -> None:
    path = tmp_path / "template.xlsx"
    build_workbook(path, lang)
    rows = calamine_rows(path)
    first = next(iter(rows))
    assert first == HOWTO[lang]
    text = "\n".join(" ".join(str(c) for c in row if c) for row in rows[first])
    assert words.HOWTO_TITLE.text(lang) in text
    for tab in shipped_contract().tabs:  # every tab, the ones you fill and the ones relance writes
        assert tab.name(lang) in text, tab.key
    for command in ("relance check", "relance plan", "relance run", "relance report"):
        assert command in text
    if lang == "fr":
        assert not french_problems(text), french_problems(text)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_template_read_by_calamine_with_every_setting(tmp_path: Path, lang: str) -> None:
    path = tmp_path / "template.xlsx"
    build_workbook(path, lang)
    rows = calamine_rows(path)
    assert list(rows) == [HOWTO[lang]] + [t.name(lang) for t in shipped_contract().input_tabs]
    for tab in shipped_contract().input_tabs:
        assert rows[tab.name(lang)][0] == expected_headers(tab, lang)
    settings = rows[shipped_contract().tab("settings").name(lang)][1:]
    specs = shipped_contract().settings
    assert [r[0] for r in settings] == [s.key for s in specs]
    assert [r[1] for r in settings] == [default_value(s, lang) for s in specs]  # blank default: ""
    assert [r[2] for r in settings] == [setting_help(s.key).text(lang) for s in specs]  # type: ignore[union-attr]
    assert all(r[2] for r in settings)
    values = {r[0]: r[1] for r in settings}
    if lang == "fr":  # values in the user's language
        assert (values["penalty_rate_mode"], values["grouping"], values["business_days_only"],
                values["eom_method"], values["default_payment_terms"], values["locale"]) == (
            "taux_legal_semestriel", "client", "oui", "jours_puis_fin_de_mois", "30 jours", "fr_FR")
        for row in settings:
            assert not french_problems(row[2]), (row[0], french_problems(row[2]))
    else:
        assert (values["penalty_rate_mode"], values["grouping"], values["business_days_only"],
                values["eom_method"], values["default_payment_terms"], values["locale"]) == (
            "legal_semester", "customer", "yes", "days_then_eom", "30 days", "en_GB")
    invoices = rows[shipped_contract().tab("invoices").name(lang)]
    assert len(invoices) == 1  # header only


def test_every_setting_of_the_readme_is_in_the_template(tmp_path: Path) -> None:
    table = README[README.index("### Settings"):README.index("**Who is claimed penalties.**")]
    listed = re.findall(r"^\| `([a-z0-9_A-Z]+)` \|", table, re.MULTILINE)
    assert "company_phone" in listed and len(listed) > 30
    for lang in ("fr", "en"):
        path = tmp_path / f"{lang}.xlsx"
        build_workbook(path, lang)
        settings = calamine_rows(path)[shipped_contract().tab("settings").name(lang)]
        keys = {r[0] for r in settings[1:]}
        helps = " ".join(r[2] for r in settings[1:])
        for key in listed:
            if key.startswith("ecb_rate_"):  # a row per semester, added by the user: the help says how
                assert "ecb_rate_2026_H2" in helps
            else:
                assert key in keys, (lang, key)


def test_settings_value_cells_offer_their_choices(tmp_path: Path) -> None:
    path = tmp_path / "fr.xlsx"
    build_workbook(path, "fr")
    ws = openpyxl.load_workbook(path)["Parametres"]
    row_of = {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1)}
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists[f"B{row_of['penalty_rate_mode']}"] == '"taux_legal_semestriel,taux_fixe"'
    assert lists[f"B{row_of['grouping']}"] == '"client,facture"'
    assert lists[f"B{row_of['business_days_only']}"] == '"oui,non"'
    assert f"B{row_of['company_name']}" not in lists


FRENCH_SETTINGS = {"company_name": "Atelier Test", "sender_email": "relances@atelier.example",
                   "company_address": "1 rue A; 69003 Lyon", "penalty_rate_mode": "taux_fixe",
                   "penalty_annual_rate": "12", "grouping": "facture", "business_days_only": "non",
                   "eom_method": "fin_de_mois_puis_jours", "default_payment_terms": "45 jours fin de mois",
                   "locale": "fr_FR"}
ENGLISH_SETTINGS = {**FRENCH_SETTINGS, "penalty_rate_mode": "fixed", "grouping": "invoice",
                    "business_days_only": "no", "eom_method": "eom_then_days",
                    "default_payment_terms": "45 days end of month"}


def _filled(values: dict[str, str]) -> dict[str, list[dict[str, object]]]:
    """One row for each value a dropdown offers, spelled as `values` says."""
    v = values
    return {
        "customers": [{"customer_id": "C1", "name": "Un", "email": "a@un.example", "customer_type": "B2B",
                       "opt_out": v["yes"]},
                      {"customer_id": "C2", "name": "Deux", "email": "b@deux.example", "customer_type": "B2C",
                       "opt_out": v["no"]}],
        "invoices": [
            {"invoice_id": f"F{i}", "customer_id": "C1", "issue_date": dt.date(2026, 1, 5),
             "amount": Decimal("100.00"), "kind": v["invoice"], "status": status}
            for i, status in enumerate((v["open"], v["disputed"], v["hold"], v["cancelled"]), start=1)
        ] + [{"invoice_id": "A1", "customer_id": "C1", "issue_date": dt.date(2026, 1, 9), "amount": Decimal(10),
              "kind": v["credit_note"], "applies_to": "F1"}],
        "promises": [{"customer_id": "C1", "invoice_ids": "F1", "promised_date": dt.date(2026, 2, 1),
                      "amount": Decimal(50), "status": status}
                     for status in (v["p_open"], v["kept"], v["broken"])],
        "disputes": [{"invoice_id": "F2", "opened": dt.date(2026, 1, 20), "reason": "x", "status": v["d_open"]},
                     {"invoice_id": "F3", "opened": dt.date(2026, 1, 20), "reason": "y", "status": v["resolved"],
                      "resolved_on": dt.date(2026, 1, 25)}],
        "scenarios": [{"scenario": "maison", "step": f"s{n}", "offset_days": n, "channel": channel,
                       "template": "reminder_1", "requires_approval": v["yes"]}
                      for n, channel in enumerate((v["letter"], v["call"], v["agency"]), start=1)],
        "settings": [{"key": key, "value": value} for key, value in v["settings"].items()],  # type: ignore[attr-defined]
    }


def _spellings(lang: str) -> dict[str, object]:
    c = shipped_contract()
    kinds, statuses = c.tab("invoices").column("kind").dropdown(lang), c.tab("invoices").column("status").dropdown(lang)
    promises, disputes = c.tab("promises").column("status").dropdown(lang), c.tab("disputes").column("status").dropdown(lang)
    channels = c.tab("scenarios").column("channel").dropdown(lang)
    yes, no = c.tab("customers").column("opt_out").dropdown(lang)
    return {"invoice": kinds[0], "credit_note": kinds[1], "open": statuses[0], "disputed": statuses[1],
            "hold": statuses[2], "cancelled": statuses[3], "p_open": promises[0], "kept": promises[1],
            "broken": promises[2], "d_open": disputes[0], "resolved": disputes[1], "letter": channels[2],
            "call": channels[3], "agency": channels[4], "yes": yes, "no": no,
            "settings": FRENCH_SETTINGS if lang == "fr" else ENGLISH_SETTINGS}


def _as_read(path: Path) -> dict[str, object]:
    book = read_book(XlsxBackend(path))
    return {
        "invoices": {i.id: (i.kind, i.status) for i in book.invoices.values()},
        "customers": {c.id: (c.type, c.opt_out) for c in book.customers.values()},
        "promises": [p.status for p in book.promises],
        "disputes": [d.status for d in book.disputes],
        "steps": [(s.name, s.channel, s.requires_approval) for s in book.scenarios["maison"].steps],
        "settings": dataclasses.asdict(book.settings),
        "anomalies": sorted((a.code, str(a.source)) for a in book.anomalies if a.source.tab != "Parametres"),
    }


def test_french_values_read_exactly_as_the_english_ones(tmp_path: Path) -> None:
    french, english = tmp_path / "fr.xlsx", tmp_path / "en.xlsx"
    build_workbook(french, "fr", _filled(_spellings("fr")))  # type: ignore[arg-type]
    build_workbook(english, "en", _filled(_spellings("en")))  # type: ignore[arg-type]
    fr, en = _as_read(french), _as_read(english)
    assert fr == en
    assert fr["invoices"] == {"F1": ("invoice", "open"), "F2": ("invoice", "disputed"), "F3": ("invoice", "hold"),
                              "F4": ("invoice", "cancelled"), "A1": ("credit_note", "open")}
    assert fr["customers"] == {"C1": ("B2B", True), "C2": ("B2C", False)}
    assert fr["promises"] == ["open", "kept", "broken"] and fr["disputes"] == ["open", "resolved"]
    assert fr["steps"] == [("s1", "letter", True), ("s2", "call", True), ("s3", "agency", True)]
    settings = fr["settings"]
    assert isinstance(settings, dict)
    assert (settings["penalty_rate_mode"], settings["grouping"], settings["business_days_only"],
            settings["eom_method"]) == ("fixed", "invoice", False, "eom_then_days")
    assert settings["penalty_annual_rate"] == Decimal(12)
    # and the template's own defaults, in either language, read as the defaults
    for lang in ("fr", "en"):
        empty = tmp_path / f"empty-{lang}.xlsx"
        build_workbook(empty, lang)
        book = read_book(XlsxBackend(empty))
        assert [a.code for a in book.anomalies if a.code in ("R091", "R092", "R093")] == []
        s = book.settings
        assert (s.penalty_rate_mode, s.grouping, s.business_days_only, s.eom_method, s.default_payment_terms.days) == (
            "legal_semester", "customer", True, "days_then_eom", 30)
        assert s.language == lang


def test_template_writes_money_dates_and_setting_overrides(tmp_path: Path) -> None:
    data: dict[str, list[dict[str, object]]] = {
        "invoices": [
            {"invoice_id": "F2025-0001", "customer_id": "C1", "issue_date": dt.date(2025, 3, 1),
             "amount": Decimal("1234.56"), "kind": "invoice"},
            {"invoice_id": "A2025-0001", "customer_id": "C1", "issue_date": dt.date(2025, 3, 9),
             "amount": Decimal("0.10"), "kind": "credit_note", "applies_to": "F2025-0001"},
        ],
        "settings": [{"key": "company_name", "value": "Atelier Test"},
                     {"key": "send_hour", "value": "8"},
                     {"key": "grouping", "value": "invoice"},
                     {"key": "my_own_key", "value": "kept"}],
    }
    for write_only in (False, True):
        path = tmp_path / f"data-{write_only}.xlsx"
        build_workbook(path, "en", data, write_only=write_only)
        rows = calamine_rows(path)
        invoices = rows["Invoices"]
        assert invoices[1][:5] == ["F2025-0001", "C1", dt.date(2025, 3, 1), "", 1234.56]
        assert invoices[2][4] == 0.1 and invoices[2][6] == "credit_note"
        assert invoices[2][7] == "F2025-0001"
        settings = {r[0]: r[1] for r in rows["Settings"][1:]}
        assert settings["company_name"] == "Atelier Test"
        assert settings["send_hour"] == "8"
        assert settings["grouping"] == "invoice"
        assert settings["timezone"] == "Europe/Paris"  # default kept
        assert settings["my_own_key"] == "kept"
        assert [r[0] for r in rows["Settings"][1:]][-1] == "my_own_key"

        ws = openpyxl.load_workbook(path)["Invoices"]
        assert ws["E2"].data_type == "n" and ws["E2"].number_format == MONEY_FORMAT
        assert ws["C2"].is_date and ws["C2"].number_format == DATE_FORMAT
        assert ws.auto_filter.ref == "A1:M3"
    french = tmp_path / "fr.xlsx"
    build_workbook(french, "fr", {"settings": [{"key": "grouping", "value": "invoice"},
                                               {"key": "locale", "value": "fr_FR"}]})
    values = {r[0]: r[1] for r in calamine_rows(french)["Parametres"][1:]}
    assert (values["grouping"], values["locale"]) == ("facture", "fr_FR")  # a given choice, spelled in French


def test_template_rejects_unknown_tabs_columns_and_languages(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="history"):
        build_workbook(tmp_path / "a.xlsx", "fr", {"history": []})
    with pytest.raises(ValueError, match="montant"):
        build_workbook(tmp_path / "b.xlsx", "fr", {"invoices": [{"montant": Decimal(1)}]})
    with pytest.raises(ValueError, match="lang"):
        build_workbook(tmp_path / "c.xlsx", "de")
    assert not list(tmp_path.iterdir())  # nothing half-written


def _soffice_pdf(tmp_path: Path, path: Path) -> Path:
    out = tmp_path / "pdf"
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
         "--convert-to", "pdf", "--outdir", str(out), str(path)],
        check=True, capture_output=True, timeout=180,
    )
    return out / (path.stem + ".pdf")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice or poppler is not installed")
def test_libreoffice_prints_the_template_with_its_header_on_every_page(tmp_path: Path) -> None:
    empty = tmp_path / "modele.xlsx"
    build_workbook(empty, "fr")
    pdf = _soffice_pdf(tmp_path, empty)
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])  # type: ignore[index]
    # the instructions, one page per input tab (one page wide, landscape), the settings on two
    assert len(shipped_contract().input_tabs) + 1 <= pages <= 16
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "Mode d'emploi" not in text.split("\f")[0] or "relance" in text.split("\f")[0]
    assert "relance" in text.split("\f")[0] and "Chaque jour" in text.split("\f")[0]  # the instructions first

    # 300 invoices: the Factures tab prints on several pages, each headed with the header row
    invoices = [{"invoice_id": f"F{n:04}", "customer_id": "C1", "issue_date": dt.date(2026, 1, 1),
                 "amount": Decimal("1138.46")} for n in range(300)]
    full = tmp_path / "factures.xlsx"
    build_workbook(full, "fr", {"invoices": invoices})
    text = subprocess.run(["pdftotext", "-layout", str(_soffice_pdf(tmp_path, full)), "-"], check=True,
                          capture_output=True, text=True).stdout
    invoice_pages = [page for page in text.split("\f") if "F0" in page]
    assert len(invoice_pages) > 1
    for page in invoice_pages:
        assert "N° facture" in page and "Montant TTC" in page and "Échéance" in page
    assert "1 138,46" in text.replace("\u00a0", " ").replace("\u202f", " ") or "1,138.46" in text
