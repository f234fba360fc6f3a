"""The .xlsx backend hands its tabs' rows as SheetRows, which load_book lets go once the records
of Clients, Factures and Reglements are built (engine/sheets.SheetRows, engine/table.Table.drop_rows): the
records, anomalies and figures are those of the same cells handed as plain lists."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relance.app.resources import shipped_contract, shipped_presets
from relance.demo import build_demo_workbook
from relance.engine.book import Book, load_book
from relance.engine.errors import WorkbookError
from relance.engine.sheets import RawSheet, SheetRows
from relance.engine.table import reads_tab
from relance.workbook import xlsx
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
    by_key = {key: released.tables[key].name for key in ("invoices", "payments", "customers", "settings")}
    rows = {s.name: s.rows for s in sheets}
    assert rows[by_key["invoices"]] == [] and rows[by_key["payments"]] == [] == rows[by_key["customers"]]  # let go
    assert len(rows[by_key["settings"]]) > 10  # the other tabs keep theirs
    assert len(released.customers) == 60 and all(len(released.tables[k]) == 0 for k in ("invoices", "customers"))
    plain_rows = {s.name: s.rows for s in plain}
    assert plain_rows[by_key["invoices"]] and plain_rows[by_key["payments"]]  # plain lists are never emptied


@pytest.mark.parametrize(("budget", "paired"), [(0, 0), (0, 10**12), (10**12, 0)])
def test_a_book_reads_the_same_one_tab_or_two_tabs_at_a_time(tmp_path: Path, monkeypatch, budget: int,
                                                             paired: int):
    """Two tabs parsed at once (a small book), or one thread parsing while another checks ahead,
    the next tab parsed while the rows of the one before are made or not (a big book)."""
    path = tmp_path / "demo.xlsx"
    build_demo_workbook(path, customers=40, invoices=600)
    wanted = lambda name: reads_tab(CONTRACT, name)  # noqa: E731
    alone = XlsxBackend(path).read(wanted)
    monkeypatch.setattr(xlsx, "PARALLEL_XML", budget)
    monkeypatch.setattr(xlsx, "PAIRED_XML", paired)
    monkeypatch.setattr(xlsx, "_TRIM_AFTER_CELLS", 0)  # the heap trimmed after every tab too
    assert XlsxBackend(path).read(wanted) == alone


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(0, 400), min_size=1, max_size=9), budget=st.integers(0, 500),
       strings=st.integers(0, 200), skipped=st.sets(st.integers(0, 8)), workbooks=st.sampled_from([1, 2]))
def test_tabs_are_parsed_in_order_two_at_most_within_the_budget(sizes, budget, strings, skipped, workbooks):
    """_Turns, as _read_sheets drives it: two threads take the tabs in order, the reading thread
    gives back each tab's share in order; no tab waits forever, none enters out of turn, and two
    are held at once only within the budget (the second workbook's shared strings counted). With
    one workbook (a big book's one parsing thread) a tab is parsed while the one before waits
    for its rows, within the budget too."""
    turns = xlsx._Turns(budget, strings, workbooks)
    lock = threading.Lock()
    entered: list[int] = []
    held: list[int] = []  # the tabs parsed or waiting for their rows
    slots: set[int] = set()
    problems: list[str] = []

    def job(k: int) -> bool:
        if k in skipped:
            turns.skip(k)
            return False
        slot = turns.enter(k, sizes[k])
        assert slot is not None
        with lock:
            if slot in slots:
                problems.append(f"workbook {slot} used twice")
            slots.add(slot)
            extra = strings if slot == 1 else 0
            if held and sum(sizes[j] for j in held) + sizes[k] + extra > budget:
                problems.append(f"tab {k} entered over the budget beside {held}")
            entered.append(k)
            held.append(k)
        with lock:
            slots.discard(slot)
        turns.parsed(slot)
        return True

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(job, k) for k in range(len(sizes))]
        for k, future in enumerate(futures):
            if future.result(timeout=60):  # a hang guard, never reached when it works
                with lock:
                    held.remove(k)
                turns.converted(sizes[k])
        turns.close()
    assert not problems
    assert entered == [k for k in range(len(sizes)) if k not in skipped]


def test_a_refused_tab_among_others_stops_the_read_and_its_threads(tmp_path: Path):
    """A part past its bound, after a tab that reads well and before others: the same refusal as
    when tabs were read one at a time, and no reading thread outlives the read."""
    from handmade import package, sheet_bomb, sheet_xml
    from test_bounded_read import SHEETS

    before = {t.ident for t in threading.enumerate()}
    sheets = {**{name: sheet_xml([["a", 1]] * 50) for name in ("Clients", "Reglements", "Litiges")},
              **SHEETS, "Factures": sheet_bomb(4_000_000_000)}
    path = package(tmp_path / "book.xlsx", sheets)
    for budget in (0, 10**12):
        with pytest.raises(WorkbookError) as caught, pytest.MonkeyPatch.context() as patch:
            patch.setattr(xlsx, "PARALLEL_XML", budget)
            XlsxBackend(path).read(lambda name: reads_tab(CONTRACT, name))
        assert "the tab 'Factures'" in str(caught.value) and "inflates to 4 GB" in str(caught.value)
    assert not [t for t in threading.enumerate() if t.ident not in before and t.name.startswith("relance-xlsx")]
