"""The History index, version 2 (engine/history_index.py): History's records kept, not its cells.

What a run takes from the index is what a full read of the same cells gives (records, anomalies,
the plan): for any cells (hand edits included) the records rebuilt from the index equal the
records read from the cells, field for field and repr for repr; a tab whose cells say anything
(an anomaly) is kept as cells. An index of version 1 (the former code's) is never read: History
is read in full, and the next save writes version 2; the former code never reads version 2.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import customer, invoice, on, tabs
from handmade import write_book
from reference_history_index import former_index_rows, former_reads_it
from relance.app import jobs
from relance.app.resources import shipped_contract, shipped_presets
from relance.channels.outbox import OutboxChannel
from relance.engine.history import HistoryEntry, entries_of, read_history
from relance.engine.history_index import (
    INDEX_TAB,
    ParsedTab,
    decode_tab,
    digest,
    encode_parsed,
    encode_tab,
    parse_tab,
    read_index,
)
from relance.engine.sheets import CellValue, OwnedTab, RawSheet
from relance.engine.table import Collector, read_table
from relance.workbook.memory import MemoryBackend
from relance.workbook.xlsx import XlsxBackend
from test_history_index import FullRead, decided, histories
from test_history_scale import edited_cells

SPEC = shipped_contract().tab("history")
AS_OF = dt.date(2025, 3, 31)


def _from_cells(rows: list[list[CellValue]], scenarios: object) -> tuple[list[HistoryEntry], list[object]]:
    out = Collector()
    table = read_table(RawSheet("Historique", rows, True), SPEC, out)
    return read_history(table, scenarios), [(a.code, a.source) for a in out.items]  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.permutations(SPEC.headers("fr")), st.integers(0, 2),
       st.lists(st.lists(edited_cells, min_size=0, max_size=18), max_size=30), st.booleans(), st.integers(1, 3))
def test_records_kept_in_the_index_are_the_records_the_cells_read_to(header, dropped, rows, ragged, repeat):
    header = list(header[dropped:])
    rows = rows * repeat  # columns of few distinct values (coded) and of many
    if not ragged:
        rows = [[*r, *[None] * (len(header) - len(r))][:len(header)] for r in rows]
    cells = [header, *rows]
    presets = shipped_presets()
    parsed = parse_tab(SPEC, "Historique", cells)
    _, said = _from_cells(cells, None)
    assert (parsed is None) == bool(said)  # kept as records exactly when the cells read without a word
    chunks = encode_tab(SPEC, "Historique", cells)
    back = decode_tab(chunks)
    if parsed is None:
        assert not isinstance(back, ParsedTab)
        return
    for scenarios in (presets, None):
        want, _ = _from_cells(cells, scenarios)
        if isinstance(back, ParsedTab):
            got = entries_of(back.columns, scenarios)
            again, said_again = _from_cells([list(r) for r in back.head], None)
            assert again == [] and said_again == []
            assert [list(r) for r in back.head] == [[*header, *[None] * (len(back.head[0]) - len(header))]]
        else:  # a value of a type no record holds: kept as cells
            got, _ = _from_cells([list(r) for r in back], scenarios)
        assert [repr(e) for e in got] == [repr(e) for e in want]
        assert got == want and all(type(e) is HistoryEntry for e in got)


@settings(max_examples=50, deadline=None)
@given(histories())
def test_written_histories_are_kept_as_records(entries):
    backend = MemoryBackend(tabs([customer(c) for c in ("C1", "C2", "C3")],
                                 [invoice("C1-F1", "C1", "2025-01-01", "2025-02-01", 100)]))
    book = jobs.read_book(backend)
    backend.write(jobs.history_write(backend, book, entries))
    sheets = backend.read(lambda n: n == INDEX_TAB)
    stored = read_index(next(s for s in sheets if s.name == INDEX_TAB))
    assert stored is not None
    kept = [decode_tab(t.chunks) for t in stored.tabs.values()]
    assert kept and all(isinstance(k, ParsedTab) for k in kept)
    through_index, full = jobs.read_book(backend), jobs.read_book(FullRead(backend))  # type: ignore[arg-type]
    assert through_index.history_indexed and decided(through_index) == decided(full)


def test_amounts_equal_yet_written_differently_stay_apart():
    parsed = ParsedTab([tuple(SPEC.headers("fr"))], [
        ["r"] * 3, ["t"] * 3, ["k1", "k2", "k3"], ["C1"] * 3, [("F1",), ("F1", "F2"), ()], ["standard"] * 3,
        ["reminder_1"] * 3, ["email"] * 3, [""] * 3, ["sent"] * 3, [""] * 3,
        [Decimal("1.5"), Decimal("1.50"), Decimal("-0")], ["EUR"] * 3, [""] * 3,
        [dt.date(2025, 1, 2), None, dt.date(2025, 1, 2)], ["outbox:/x"] * 3])
    back = decode_tab(encode_parsed(parsed))
    assert isinstance(back, ParsedTab) and back.columns is not None
    assert [repr(v) for c in back.columns for v in c] == [repr(v) for c in parsed.columns or () for v in c]


def test_a_record_of_an_unexpected_type_is_kept_as_cells():
    cells: list[list[CellValue]] = [SPEC.headers("fr"), ["r", "t", "k", "C1", "F1", "standard", "reminder_1",
                                                         "email", "", "envoyé", "", 10.0, "EUR", "", "", ""]]
    parsed = parse_tab(SPEC, "Historique", cells)
    assert parsed is not None and parsed.columns is not None
    odd = ParsedTab(parsed.head, [*parsed.columns[:11], [1.5], *parsed.columns[12:]])  # a float amount
    try:
        encode_parsed(odd)
    except TypeError:
        pass
    else:
        raise AssertionError("a float amount is no record's")


def _index_rows(backend: object) -> list[list[CellValue]]:
    sheets = backend.read(lambda n: n == INDEX_TAB)  # type: ignore[attr-defined]
    return [list(r) for r in next(s for s in sheets if s.name == INDEX_TAB).rows]


def _ran(tmp_path: Path) -> tuple[Path, Path]:
    path = write_book(tmp_path / "book.xlsx", tabs([customer("C1"), customer("C2")],
                                                  [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000),
                                                   invoice("F2", "C2", "2025-01-01", "2025-03-20", 500)]))
    box = tmp_path / "out"
    assert jobs.run(XlsxBackend(path), lambda b: OutboxChannel(box, "t"), on(AS_OF), anytime=True).to_json()["sent"] == 2
    return path, box


def test_an_index_of_the_former_version_is_rebuilt_never_read(tmp_path: Path):
    path, box = _ran(tmp_path)
    backend = XlsxBackend(path)
    book = jobs.read_book(backend)
    assert book.history_indexed
    sheet = backend.read(lambda n: n == "Historique")
    cells = [list(r) for r in next(s for s in sheet if s.name == "Historique").rows]
    former = former_index_rows([("Historique", cells)])
    from relance.engine.history_index import IndexTab

    # the former code's index, stamped with the very fingerprint History has: it would match
    backend.write([IndexTab(INDEX_TAB, [str(v) for v in former[0]], former[1:], stamps={0: "Historique"})])
    assert former_reads_it(_index_rows(XlsxBackend(path)))
    again = jobs.read_book(XlsxBackend(path))
    assert not again.history_indexed  # read in full: never taken from an index of another version
    assert decided(again) == decided(jobs.read_book(FullRead(XlsxBackend(path))))  # type: ignore[arg-type]
    assert jobs.run(XlsxBackend(path), lambda b: OutboxChannel(box, "t"), on(AS_OF), anytime=True).to_json()["sent"] == 0
    assert not former_reads_it(_index_rows(XlsxBackend(path)))  # rewritten: version 2, which the former never reads
    assert jobs.read_book(XlsxBackend(path)).history_indexed


def test_an_entry_that_does_not_decode_as_written_is_rebuilt(tmp_path: Path):
    path, _ = _ran(tmp_path)
    backend = XlsxBackend(path)
    rows = _index_rows(backend)
    import base64
    import json
    import zlib

    payload = json.loads(zlib.decompress(base64.b64decode("".join(str(r[1]) for r in rows[2:]))))
    payload["e"][2] = {"v": ["k"], "k": "B", "b": base64.b64encode(bytes([0, 5])).decode()}  # a code past its values
    text = base64.b64encode(zlib.compress(json.dumps(payload).encode())).decode("ascii")
    rows[1][3], rows[1][4] = digest([text]), 1
    rows = [*rows[:2], ["", text]]
    from relance.engine.history_index import IndexTab

    backend.write([IndexTab(INDEX_TAB, [str(v) for v in rows[0]], rows[1:], stamps={0: "Historique"})])
    book = jobs.read_book(XlsxBackend(path))
    assert not book.history_indexed and [e.customer_id for e in book.history] == ["C1", "C2"]


def test_a_rerun_copies_the_archives_entry_as_it_is_when_history_changes():
    backend = MemoryBackend(tabs([customer("C1")], [invoice("C1-F1", "C1", "2025-01-01", "2025-02-01", 100)]))
    book = jobs.read_book(backend)
    book = replace(book, settings=replace(book.settings, history_max_rows=2))
    rows = [HistoryEntry(f"r{i}", f"2024-05-0{i + 1}T09:00:00", f"k{i}", "C1", ("C1-F1",), "standard",
                         "reminder_1", "email", "", "sent", "", Decimal(10), "EUR", "") for i in range(4)]
    backend.write(jobs.history_write(backend, book, rows))
    before = {r[1]: r for r in _index_rows(backend) if r[0] == "tab"}
    again = jobs.read_book(backend)
    again = replace(again, settings=replace(again.settings, history_max_rows=2))
    assert again.history_indexed and len(again.archived) == 2
    assert all(len(s.rows) == 1 for k, s in again.history_sheets.items() if k != INDEX_TAB)  # headers only
    more = replace(rows[-1], action_key="k9", timestamp="2024-05-09T09:00:00")
    written = jobs.history_write(backend, again, [*again.history, more])
    backend.write(written)
    after = {r[1]: r for r in _index_rows(backend) if r[0] == "tab"}
    assert after["Historique_2024"][3] != before["Historique_2024"][3]  # the archive grew: its entry made again
    through_index, full = jobs.read_book(backend), jobs.read_book(FullRead(backend))  # type: ignore[arg-type]
    assert decided(through_index) == decided(full)
    through_index = replace(through_index, settings=replace(through_index.settings, history_max_rows=2))
    # and once more with History alone changed: the archive's entry copied, digest for digest
    third = [*through_index.history[:-1], replace(through_index.history[-1], status="delivered")]
    backend.write(jobs.history_write(backend, through_index, third))
    last = {r[1]: r for r in _index_rows(backend) if r[0] == "tab"}
    assert last["Historique_2024"][3] == after["Historique_2024"][3]
    assert decided(jobs.read_book(backend)) == decided(jobs.read_book(FullRead(backend)))  # type: ignore[arg-type]


def test_a_tab_with_an_anomaly_is_kept_as_cells_and_read_as_a_tab():
    cells: list[list[CellValue]] = [SPEC.headers("fr"), [None] * 16,
                                    ["r", "t", "k", "C1", "F1", "standard", "reminder_1", "email", "", "envoyé", "",
                                     10.0, "EUR", "", "", ""]]
    assert parse_tab(SPEC, "Historique", cells) is None  # a blank row before a row: said (R004)
    back = decode_tab(encode_tab(SPEC, "Historique", cells))
    assert not isinstance(back, ParsedTab) and len(back) == 3
    _ = OwnedTab  # (imported for the index tabs above)
