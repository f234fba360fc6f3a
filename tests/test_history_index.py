"""The History index (engine/history_index.py): a run that takes History from it decides what a run
that reads History decides; any change to History it does not know of is seen and read in full.

Each test compares the book loaded through the index with the book a full read loads (the
backend seen without its fingerprints: workbook/port.indexes_history is None for it).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import customer, invoice, on, tabs, workbook
from handmade import write_book
from relance.app import jobs
from relance.app.resources import shipped_contract, shipped_presets
from relance.channels.outbox import OutboxChannel
from relance.engine.book import Book, load_book
from relance.engine.history import HistoryEntry
from relance.engine.history_index import INDEX_TAB, decode_rows, encode_rows
from relance.engine.owned_tabs import history_tabs
from relance.engine.planner import plan
from relance.engine.position import compute_positions
from relance.engine.sheets import CellValue, OwnedTab
from relance.engine.table import Collector
from relance.workbook.memory import MemoryBackend
from relance.workbook.xlsx import XlsxBackend

AS_OF = dt.date(2025, 3, 31)


class FullRead:
    """A backend seen without its fingerprints: History is read cell by cell, as before the index."""

    def __init__(self, backend: object) -> None:
        self._backend = backend

    def read(self, wanted: Callable[[str], bool] | None = None):  # noqa: ANN201
        return self._backend.read(wanted)  # type: ignore[attr-defined]


def decided(book: Book) -> tuple[object, ...]:
    """Everything a run decides from History: the rows as records, the anomalies, the plan."""
    positions = compute_positions(book, AS_OF, Collector())
    p = plan(book, positions, AS_OF)
    return (book.history, book.archived, [(a.code, a.source, a.value) for a in book.anomalies],
            [(a.key, a.step, a.channel, a.invoice_ids) for a in p.actions],
            [(s.customer_id, s.reason, s.invoice_ids) for s in p.skips])


def loaded(backend: object) -> Book:
    return jobs.read_book(backend)  # type: ignore[arg-type]


# ------------------------------------------------------------------ the encoding

cell_values = st.one_of(
    st.none(), st.text(max_size=12), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=False), st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.dates(), st.datetimes().map(lambda d: d.replace(fold=0)), st.sampled_from(["", "\x00x", "envoyé", "1.0"]),
)


@given(st.lists(st.lists(cell_values, max_size=6), max_size=30))
def test_the_index_gives_back_every_cell_with_its_type(rows: list[list[CellValue]]):
    back = decode_rows(encode_rows(rows))
    width = max((len(r) for r in rows), default=0)
    assert len(back) == len(rows)
    for got, want in zip(back, rows, strict=True):
        padded = [*want, *[None] * (width - len(want))]
        assert [type(v) for v in got] == [type(v) for v in padded]
        assert [repr(v) for v in got] == [repr(v) for v in padded]


# ------------------------------------------------------------------ generated histories

STEPS = ["courtesy", "notice", "reminder_1", "reminder_2", "call", "formal_notice", "handoff"]
STATUSES = ["pending", "sent", "failed", "delivered", "bounced", "unknown", "created", "skipped", "unsub",
            "baseline", "simulated"]
CUSTOMERS = ["C1", "C2", "C3"]


@st.composite
def histories(draw: st.DrawFn) -> list[HistoryEntry]:
    n = draw(st.integers(0, 40))
    found = []
    for i in range(n):
        cid = draw(st.sampled_from(CUSTOMERS))
        channel = draw(st.sampled_from(["email", "sms", "letter", "call", "agency"]))
        day = AS_OF - dt.timedelta(days=draw(st.integers(0, 400)))
        stamp = dt.datetime.combine(day, dt.time(9, draw(st.integers(0, 59)), draw(st.integers(0, 59))))
        zone = draw(st.sampled_from(["", "+01:00", "+00:00"]))
        found.append(HistoryEntry(
            run_id=f"run-{day}", timestamp=stamp.isoformat() + zone, action_key=f"k{i}{draw(st.text('ab', max_size=2))}",
            customer_id=cid, invoice_ids=tuple(draw(st.lists(st.sampled_from([f"{cid}-F1", f"{cid}-F2", "OLD"]),
                                                            min_size=1, max_size=2, unique=True))),
            scenario=draw(st.sampled_from(["standard", "standard", "gone"])), step=draw(st.sampled_from(STEPS)),
            channel=channel, recipient=draw(st.sampled_from(["", f"compta@{cid.lower()}.example", " a@b.example "])),
            status=draw(st.sampled_from(STATUSES)), message_id=draw(st.sampled_from(["", "m1", "<x@y>"])),
            amount_due=draw(st.one_of(st.none(), st.decimals(0, 10**7, places=2).map(lambda d: d or Decimal("0.10")))),
            currency=draw(st.sampled_from(["EUR", "USD", ""])),
            detail=draw(st.sampled_from(["", "via outbox; as of 2025-01-02", "Envoyé\nà 9 h", "x&<y>"])),
            as_of=draw(st.one_of(st.none(), st.just(day))),
            via=draw(st.sampled_from(["", "outbox:/tmp/out", "smtp", "mailjet", "baseline"]))))
    return found


def _book_tabs() -> dict[str, list[list[CellValue]]]:
    return tabs([customer(c) for c in CUSTOMERS],
                [invoice(f"{c}-F{k}", c, "2025-01-01", f"2025-0{k + 1}-0{k + 2}", 1000 * k) for c in CUSTOMERS
                 for k in (1, 2)],
                settings={"history_max_rows": 1000})


def _with_history(backend: object, entries: list[HistoryEntry]) -> None:
    book = loaded(backend)
    backend.write(jobs.history_write(backend, book, entries))  # type: ignore[attr-defined]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories(), st.integers(0, 40))
def test_a_run_through_the_index_decides_what_a_full_read_decides(tmp_path_factory, entries, archived):
    path = write_book(tmp_path_factory.mktemp("ix") / "book.xlsx", _book_tabs())
    backend = XlsxBackend(path)
    book = loaded(backend)
    # some rows already in an archive tab, as a year-end move leaves them
    book = replace(book, settings=replace(book.settings, history_max_rows=max(1, len(entries) - archived)))
    backend.write(history_tabs(book, entries))
    # the next save: History rewritten with one more row, the archive left as read (and indexed from its cells)
    again = loaded(backend)
    more = HistoryEntry("run-new", "2025-03-31T10:00:00+02:00", "new", "C1", ("C1-F1",), "standard",
                        "reminder_1", "email", "compta@c1.example", "pending", "", Decimal("12.50"), "EUR", "")
    written = jobs.history_write(backend, again, [*again.history, more])
    assert [t.name for t in written] == ["Historique", INDEX_TAB]
    backend.write(written)
    through_index = loaded(XlsxBackend(path))
    full = loaded(FullRead(XlsxBackend(path)))
    assert through_index.history_indexed and not full.history_indexed
    assert decided(through_index) == decided(full)


@settings(max_examples=25)
@given(histories())
def test_the_memory_backend_decides_the_same_through_the_index(entries):
    backend = MemoryBackend(_book_tabs())
    _with_history(backend, entries)
    through_index, full = loaded(backend), loaded(FullRead(backend))
    assert through_index.history_indexed
    assert decided(through_index) == decided(full)


# ------------------------------------------------------------------ what the index never hides

def _ran(tmp_path: Path) -> tuple[Path, Path]:
    path = write_book(tmp_path / "book.xlsx", tabs([customer("C1"), customer("C2")],
                                                  [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000),
                                                   invoice("F2", "C2", "2025-01-01", "2025-03-20", 500)]))
    box = tmp_path / "out"
    result = jobs.run(XlsxBackend(path), lambda b: OutboxChannel(box, "t"), on(AS_OF), anytime=True)
    assert result.to_json()["sent"] == 2
    return path, box


def test_a_rerun_takes_history_from_the_index_and_leaves_it_as_it_was(tmp_path: Path):
    path, box = _ran(tmp_path)
    with zipfile.ZipFile(path) as zf:
        before = {i.filename: (i.CRC, i.compress_size) for i in zf.infolist()}
    book = loaded(XlsxBackend(path))
    assert book.history_indexed and [e.customer_id for e in book.history] == ["C1", "C2"]
    again = jobs.run(XlsxBackend(path), lambda b: OutboxChannel(box, "t"), on(AS_OF), anytime=True).to_json()
    assert again["sent"] == 0
    with zipfile.ZipFile(path) as zf:
        after = {i.filename: (i.CRC, i.compress_size) for i in zf.infolist()}
    history_part = _part_of(path, "Historique")
    index_part = _part_of(path, INDEX_TAB)
    assert after[history_part] == before[history_part] and after[index_part] == before[index_part]


def _part_of(path: Path, tab: str) -> str:
    from relance.workbook import xlsx_parts as parts

    with open(path, "rb") as f:
        members, _ = parts.read_members(f)
        by = {m.name.casefold(): m for m in members}
        rels = parts.parse_relationships(parts.read_member(f, by["xl/_rels/workbook.xml.rels"]), "rels")
        sheets = parts.parse_sheets(parts.read_member(f, by["xl/workbook.xml"]), rels, "xl/workbook.xml")
    return next(s.part for s in sheets if s.name == tab and s.part)


def test_the_index_tab_is_hidden_and_opens_in_openpyxl(tmp_path: Path):
    path, _ = _ran(tmp_path)
    wb = openpyxl.load_workbook(path)
    assert wb[INDEX_TAB].sheet_state == "hidden"
    assert wb["Historique"].sheet_state == "visible"


def test_a_history_edited_by_hand_is_seen_and_read_in_full(tmp_path: Path):
    path, box = _ran(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Historique"]
    status = [c.value for c in ws[1]].index("statut") + 1
    ws.cell(2, status).value = "échec"  # a person says the first message failed: it may go again
    wb.save(path)
    book = loaded(XlsxBackend(path))
    assert not book.history_indexed
    assert [e.status for e in book.history] == ["failed", "sent"]
    again = jobs.run(XlsxBackend(path), lambda b: OutboxChannel(box, "t"), on(AS_OF), anytime=True).to_json()
    assert again["sent"] == 1  # the row read as edited, not as the index remembered it
    assert loaded(XlsxBackend(path)).history_indexed  # and the index is written afresh


def test_a_history_status_relance_never_writes_is_to_check_and_never_sent_again(tmp_path: Path):
    """A damaged or hand-typed status ("???") may hide a message that left: it reads as `unknown`
    ("to check"), so the next run sends nothing for it and lists it for a person to settle."""
    path, box = _ran(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Historique"]
    status = [c.value for c in ws[1]].index("statut") + 1
    ws.cell(2, status).value = "???"
    wb.save(path)
    book = loaded(XlsxBackend(path))
    assert [e.status for e in book.history] == ["unknown", "sent"]
    again = jobs.run(XlsxBackend(path), lambda b: OutboxChannel(box, "t"), on(AS_OF), anytime=True).to_json()
    assert again["sent"] == 0


def test_a_history_written_without_the_index_is_read_in_full(tmp_path: Path):
    path, _ = _ran(tmp_path)
    backend = XlsxBackend(path)
    book = loaded(backend)
    extra = replace(book.history[0], action_key="other", status="sent")
    backend.write(history_tabs(book, [*book.history, extra]))  # as app/events.py writes a delivery event
    again = loaded(XlsxBackend(path))
    assert not again.history_indexed and [e.action_key for e in again.history][-1] == "other"


def test_an_edited_index_is_never_trusted(tmp_path: Path):
    path, _ = _ran(tmp_path)
    backend = XlsxBackend(path)
    sheets = backend.read(lambda n: n == INDEX_TAB)
    rows = [list(r) for r in next(s for s in sheets if s.name == INDEX_TAB).rows]
    rows[2][1] = rows[2][1][:-4] + "AAAA"  # a chunk changed: its digest no longer matches
    backend.write([OwnedTab(INDEX_TAB, [str(v) for v in rows[0]], rows[1:])])
    book = loaded(XlsxBackend(path))
    assert not book.history_indexed and len(book.history) == 2


def test_an_archive_added_by_hand_is_seen(tmp_path: Path):
    path, _ = _ran(tmp_path)
    wb = openpyxl.load_workbook(path)
    header = [c.value for c in wb["Historique"][1]]
    row = [c.value for c in wb["Historique"][2]]
    ws = wb.create_sheet("Historique_2024")
    ws.append(header)
    ws.append([*row[:2], "old-key", *row[3:]])
    wb.save(path)
    book = loaded(XlsxBackend(path))
    assert not book.history_indexed and [e.action_key for e in book.archived] == ["old-key"]


# ------------------------------------------------------------------ archives within a sheet's rows

def test_a_year_too_large_for_one_tab_goes_on_in_numbered_archives():
    backend = MemoryBackend(_book_tabs())
    book = loaded(backend)
    entries = [HistoryEntry(f"r{i}", f"2024-05-{1 + i % 28:02d}T09:00:00", f"k{i}", "C1", ("C1-F1",), "standard",
                            "reminder_1", "email", "", "sent", "", Decimal(10), "EUR", "") for i in range(12)]
    book = replace(book, settings=replace(book.settings, history_max_rows=2))
    written = history_tabs(book, entries, sheet_rows=5)  # a header and 4 rows per tab
    assert [(t.name, len(t.rows)) for t in written] == [
        ("Historique", 2), ("Historique_2024", 4), ("Historique_2024_2", 4), ("Historique_2024_3", 2)]
    backend.write(jobs.history_write(backend, book, entries))
    back = loaded(backend)
    assert [e.action_key for e in (*back.archived, *back.history)] == [e.action_key for e in entries]
    assert [e.action_key for e in loaded(FullRead(backend)).archived] == [e.action_key for e in back.archived]


def test_history_never_passes_a_sheet_row_limit_whatever_history_max_rows_says():
    book = loaded(MemoryBackend(_book_tabs()))
    entries = [HistoryEntry(f"r{i}", "2025-01-02T09:00:00", f"k{i}", "C1", ("C1-F1",), "standard",
                            "reminder_1", "email", "", "sent", "", None, "EUR", "") for i in range(9)]
    book = replace(book, settings=replace(book.settings, history_max_rows=5_000_000))
    written = history_tabs(book, entries, sheet_rows=6)
    assert [(t.name, len(t.rows)) for t in written] == [("Historique", 5), ("Historique_2025", 4)]


def test_a_rerun_with_nothing_new_writes_no_history(tmp_path: Path):
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000)])
    box = tmp_path / "out"
    jobs.run(wb, lambda b: OutboxChannel(box, "t"), on(AS_OF), anytime=True)
    wb.written.clear()
    assert jobs.run(wb, lambda b: OutboxChannel(box, "t"), on(AS_OF), anytime=True).to_json()["sent"] == 0
    assert "historique" not in wb.written and INDEX_TAB not in wb.written and "anomalies" in wb.written
    wb.tabs["Historique"][1][9] = "échec"  # a person's edit: History is read again, and rewritten with its index
    assert jobs.run(wb, lambda b: OutboxChannel(box, "t"), on(AS_OF), anytime=True).to_json()["sent"] == 1
    assert "historique" in wb.written and INDEX_TAB in wb.written


def test_load_book_is_unchanged_for_callers_without_an_index():
    sheets = MemoryBackend(_book_tabs()).read()
    assert not load_book(sheets, shipped_contract(), shipped_presets()).history_indexed


# ------------------------------------------------------------------ History read a column value at a time

history_cells = st.one_of(
    cell_values, st.sampled_from(["envoyé", "sent", "SENT", "échec", "e-mail", "courriel", "appel", "Relance amiable",
                                  "First reminder", "reminder_1", "standard", "C1-F1;C1-F2", "2025-03-01",
                                  "01/03/2025", "1 234,56", "2025-03-01T09:00:00+01:00", "via outbox; as of 2025-01-02"]),
    st.just(Decimal("1.00")), st.just(Decimal("1.0")), st.just(-0.0), st.just(0.0),
    st.just(dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC)),
    st.just(dt.datetime(2025, 3, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
)


@given(st.lists(st.lists(history_cells, min_size=16, max_size=16), max_size=25))
def test_history_read_value_by_value_is_read_cell_by_cell(rows):
    from relance.engine.history import read_history, read_history_by_row
    from relance.engine.sheets import RawSheet
    from relance.engine.table import read_table

    spec = shipped_contract().tab("history")
    sheet = RawSheet("Historique", [spec.headers("fr"), *[list(r) for r in rows]], True)
    table = read_table(sheet, spec, Collector())
    presets = shipped_presets()
    fast, reference = read_history(table, presets), read_history_by_row(table, presets)
    assert [repr(e) for e in fast] == [repr(e) for e in reference]


def test_the_demo_book_chased_for_weeks_decides_the_same_through_the_index(tmp_path: Path):
    from relance.demo import build_demo_workbook

    last = dt.date(2026, 11, 23)
    path = tmp_path / "demo.xlsx"
    build_demo_workbook(path, seed=5, customers=60, invoices=500, as_of=last)
    box = tmp_path / "out"
    for day in (dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16), last):
        moment = dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC)
        jobs.run(XlsxBackend(path), lambda b: OutboxChannel(box, "demo"), moment, anytime=True)
    through_index, full = loaded(XlsxBackend(path)), loaded(FullRead(XlsxBackend(path)))
    assert through_index.history_indexed and len(through_index.history) > 50

    def decided_on(book: Book, day: dt.date) -> tuple[object, ...]:
        p = plan(book, compute_positions(book, day, Collector()), day)
        return ([(a.key, a.step, a.channel, a.invoice_ids) for a in p.actions],
                [(s.customer_id, s.reason, s.invoice_ids) for s in p.skips], p.anomalies)

    for day in (last, last + dt.timedelta(days=9)):
        assert decided_on(through_index, day) == decided_on(full, day)
    assert through_index.history == full.history and through_index.anomalies == full.anomalies


def test_a_users_own_tab_named_like_the_index_is_never_written_over(tmp_path: Path):
    mine = [["my notes"], ["keep me"]]
    wb = MemoryBackend({**_book_tabs(), INDEX_TAB: mine})
    wb.tabs["Factures"].append(invoice("C1-F9", "C1", "2025-01-01", "2025-03-24", 1000))
    box = tmp_path / "out"
    assert jobs.run(wb, lambda b: OutboxChannel(box, "t"), on(AS_OF), anytime=True).to_json()["sent"] >= 1
    assert wb.tabs[INDEX_TAB] == mine and INDEX_TAB not in wb.written
    assert not loaded(wb).history_indexed  # History is read in full instead
    assert jobs.run(wb, lambda b: OutboxChannel(box, "t"), on(AS_OF), anytime=True).to_json()["sent"] == 0
