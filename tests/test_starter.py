"""The workbook `relance init` writes (workbook/starter.py): every input tab of the shipped contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from relance.app.resources import shipped_contract
from relance.engine.contract import TabSpec
from relance.workbook import starter
from relance.workbook.starter import DATE_FORMAT, MONEY_FORMAT

HELP = {"fr": "aide", "en": "help"}


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
    assert wb.sheetnames == [t.name(lang) for t in inputs]
    for output in shipped_contract().output_tabs:
        assert output.name(lang) not in wb.sheetnames

    for tab in inputs:
        ws = wb[tab.name(lang)]
        headers = expected_headers(tab, lang)
        assert [c.value for c in ws[1]] == headers, tab.key
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{get_column_letter(len(headers))}{ws.max_row}"
        for i, col in enumerate(tab.columns, start=1):
            letter = get_column_letter(i)
            assert ws.column_dimensions[letter].width == col.width, (tab.key, col.key)
            header = ws.cell(row=1, column=i)
            assert header.font.b and header.fill.fill_type == "solid"
        validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
        for i, col in enumerate(tab.columns, start=1):
            values = col.dropdown or tuple(col.choices)
            letter = get_column_letter(i)
            if not values:
                assert f"{letter}2:{letter}5000" not in validations
                continue
            dv = validations[f"{letter}2:{letter}5000"]
            assert dv.type == "list"
            assert dv.formula1 == '"' + ",".join(values) + '"'
            assert dv.allow_blank

    invoices = wb[shipped_contract().tab("invoices").name(lang)]
    assert invoices.column_dimensions["E"].number_format == MONEY_FORMAT  # amount
    assert invoices.column_dimensions["C"].number_format == DATE_FORMAT  # issue_date
    kinds = next(dv for dv in invoices.data_validations.dataValidation if str(dv.sqref) == "G2:G5000")
    assert kinds.formula1 == '"invoice,credit_note"'


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_template_read_by_calamine_with_every_setting(tmp_path: Path, lang: str) -> None:
    path = tmp_path / "template.xlsx"
    build_workbook(path, lang)
    rows = calamine_rows(path)
    assert list(rows) == [t.name(lang) for t in shipped_contract().input_tabs]
    for tab in shipped_contract().input_tabs:
        assert rows[tab.name(lang)][0] == expected_headers(tab, lang)
    settings = rows[shipped_contract().tab("settings").name(lang)][1:]
    specs = shipped_contract().settings
    assert [r[0] for r in settings] == [s.key for s in specs]
    assert [r[1] for r in settings] == [s.default for s in specs]  # blank default: ""
    assert [r[2] for r in settings] == [s.help_fr if lang == "fr" else s.help_en for s in specs]
    assert all(r[2] for r in settings)
    invoices = rows[shipped_contract().tab("invoices").name(lang)]
    assert len(invoices) == 1  # header only


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
        assert settings["timezone"] == "Europe/Paris"  # default kept
        assert settings["my_own_key"] == "kept"
        assert [r[0] for r in rows["Settings"][1:]][-1] == "my_own_key"

        ws = openpyxl.load_workbook(path)["Invoices"]
        assert ws["E2"].data_type == "n" and ws["E2"].number_format == MONEY_FORMAT
        assert ws["C2"].is_date and ws["C2"].number_format == DATE_FORMAT
        assert ws.auto_filter.ref == "A1:M3"


def test_template_rejects_unknown_tabs_columns_and_languages(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="history"):
        build_workbook(tmp_path / "a.xlsx", "fr", {"history": []})
    with pytest.raises(ValueError, match="montant"):
        build_workbook(tmp_path / "b.xlsx", "fr", {"invoices": [{"montant": Decimal(1)}]})
    with pytest.raises(ValueError, match="lang"):
        build_workbook(tmp_path / "c.xlsx", "de")
    assert not list(tmp_path.iterdir())  # nothing half-written
