"""The .xlsx backend hands its tabs' rows as SheetRows, which load_book lets go once the records
of Factures and Reglements are built (engine/sheets.SheetRows, engine/table.Table.drop_rows): the
records, anomalies and figures are those of the same cells handed as plain lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from relance.app.resources import shipped_contract, shipped_presets
from relance.demo import build_demo_workbook
from relance.engine.book import Book, load_book
from relance.engine.sheets import RawSheet, SheetRows
from relance.engine.table import reads_tab
from relance.workbook.xlsx import XlsxBackend

CONTRACT = shipped_contract()


def test_sheet_rows_are_a_list_until_released():
    rows = SheetRows([["a", 1.0], ["b"]])
    assert rows == [["a", 1.0], ["b"]] and isinstance(rows, list)
    assert rows[1] == ["b"] and rows[:1] == [["a", 1.0]] and len(rows) == 2
    rows.release()
    assert rows == [] and len(rows) == 0


def _summary(book: Book) -> tuple[object, ...]:
    ledgers = {k: (v.invoice, list(v.allocations)) for k, v in book.ledgers.items()}
    return (book.customers, book.invoices, book.payments, ledgers, book.credits, book.disputes,
            book.promises, book.history, book.archived, book.sales, book.language, book.sheet_names,
            [(a.code, a.source, a.value, a.problem.fr, a.hint.fr) for a in book.anomalies])


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_released_rows_give_the_records_of_plain_rows(tmp_path: Path, lang: str):
    path = tmp_path / "demo.xlsx"
    build_demo_workbook(path, customers=60, invoices=900, lang=lang)
    sheets = XlsxBackend(path).read(lambda name: reads_tab(CONTRACT, name))
    assert all(isinstance(s.rows, SheetRows) for s in sheets)
    plain = [RawSheet(s.name, [list(r) for r in s.rows], s.owned) for s in sheets]
    assert [s.rows for s in plain] == [s.rows for s in sheets]

    released = load_book(sheets, CONTRACT, shipped_presets())
    kept = load_book(plain, CONTRACT, shipped_presets())
    assert _summary(released) == _summary(kept)
    assert released.invoices and released.payments
    by_key = {key: released.tables[key].name for key in ("invoices", "payments", "customers")}
    rows = {s.name: s.rows for s in sheets}
    assert rows[by_key["invoices"]] == [] and rows[by_key["payments"]] == []  # let go
    assert len(rows[by_key["customers"]]) > 60  # the other tabs keep theirs
    plain_rows = {s.name: s.rows for s in plain}
    assert plain_rows[by_key["invoices"]] and plain_rows[by_key["payments"]]  # plain lists are never emptied
