"""History at scale (issue 15): the fast paths read, index and write History exactly as the
reference paths do, on generated histories with hand-edited cells (unknown statuses, blank
cells, dates as text, numbers where text is expected, ragged rows, columns in another order)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from relance.app.resources import shipped_contract, shipped_presets
from relance.engine.history import HistoryEntry, read_history, read_history_by_row
from relance.engine.sheets import CellValue, RawSheet
from relance.engine.table import Collector, read_table

SPEC = shipped_contract().tab("history")

edited_cells = st.one_of(
    st.none(), st.just(""), st.just("  "), st.text(max_size=6), st.booleans(), st.integers(-3, 3),
    st.sampled_from([1.0, -0.0, 0.0, 2.5, Decimal("1.00"), Decimal("1.0")]),
    st.dates(dt.date(2024, 1, 1), dt.date(2026, 1, 1)),
    st.sampled_from([dt.datetime(2025, 3, 1, 9), dt.datetime(2025, 3, 1, 9, 0, 0, 700_000),
                     dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC),
                     dt.datetime(2025, 3, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))]),
    st.sampled_from(["envoyé", "sent", "SENT", "échec", "???", "e-mail", "courriel", "appel", "Relance amiable",
                     "First reminder", "reminder_1", "standard", "C1-F1;C1-F2", ";C1-F1;", "2025-03-01", "01/03/2025",
                     "1 234,56", "12.5", "2025-03-01T09:00:00+01:00", "via outbox; as of 2025-01-02",
                     "via smtp", " k1 ", "k1", "C1"]),
)


def _sheet(header: list[str], rows: list[list[CellValue]]) -> RawSheet:
    return RawSheet("Historique", [header, *rows], True)


@settings(max_examples=300, deadline=None)
@given(st.permutations(SPEC.headers("fr")), st.integers(0, 3),
       st.lists(st.lists(edited_cells, min_size=0, max_size=18), max_size=30), st.booleans())
def test_history_read_column_by_column_is_read_cell_by_cell(header, dropped, rows, ragged):
    """Any order of columns, some of them missing, rows as wide as each other or not."""
    header = list(header[dropped:])
    if not ragged:
        rows = [[*r, *[None] * (len(header) - len(r))][:len(header)] for r in rows]
    table = read_table(_sheet(header, rows), SPEC, Collector())
    presets = shipped_presets()
    for scenarios in (presets, None):
        fast, reference = read_history(table, scenarios), read_history_by_row(table, scenarios)
        assert [repr(e) for e in fast] == [repr(e) for e in reference]
        assert fast == reference
        assert all(type(e) is HistoryEntry for e in fast)


# ------------------------------------------------------------------ HistoryIndex.build

def _index_by_loop(entries, statuses):  # noqa: ANN001, ANN202 - HistoryIndex.build as it was: the reference
    keys, by_invoice, by_customer = set(), {}, {}
    for e in entries:
        by_customer.setdefault(e.customer_id, []).append(e)
        if e.status not in statuses:
            continue
        keys.add(e.action_key)
        for iid in e.invoice_ids:
            by_invoice.setdefault(iid, []).append(e)
    return (frozenset(keys), {k: tuple(v) for k, v in by_invoice.items()},
            {k: tuple(v) for k, v in by_customer.items()})


entries_drawn = st.builds(
    HistoryEntry, run_id=st.just("r"), timestamp=st.just("2025-03-01T09:00:00"),
    action_key=st.sampled_from(["k1", "k2", "k3", "", "K1"]), customer_id=st.sampled_from(["C1", "C2", "", "c1"]),
    invoice_ids=st.lists(st.sampled_from(["F1", "F2", "F3", "OLD"]), max_size=3).map(tuple),
    scenario=st.just("standard"), step=st.sampled_from(["reminder_1", "call"]), channel=st.just("email"),
    recipient=st.just(""), status=st.sampled_from(["pending", "sent", "failed", "baseline", "unknown", "simulated"]),
    message_id=st.just(""), amount_due=st.none(), currency=st.just("EUR"), detail=st.just(""))


@settings(max_examples=200, deadline=None)
@given(st.lists(entries_drawn, max_size=40), st.booleans(), st.booleans())
def test_the_history_index_groups_rows_as_the_loop_did(entries, progress, as_tuple):
    from relance.engine.history import PROGRESS_STATUSES, SENT_STATUSES, HistoryIndex

    statuses = PROGRESS_STATUSES if progress else SENT_STATUSES
    built = HistoryIndex.build(tuple(entries) if as_tuple else iter(entries), statuses)
    keys, by_invoice, by_customer = _index_by_loop(entries, statuses)
    assert built.keys == keys
    assert list(built.entries_by_invoice.items()) == list(by_invoice.items())  # the same order too
    assert list(built.rows_by_customer.items()) == list(by_customer.items())
    for got, want in zip(built.rows_by_customer.values(), by_customer.values(), strict=True):
        assert all(a is b for a, b in zip(got, want, strict=True))


# ------------------------------------------------------------------ History written a column at a time

def _book(lang: str):  # noqa: ANN202
    from dataclasses import replace

    from conftest import customer, invoice, tabs
    from relance.app import jobs
    from relance.workbook.memory import MemoryBackend

    book = jobs.read_book(MemoryBackend(tabs([customer("C1")], [invoice("C1-F1", "C1", "2025-01-01", "2025-02-01", 100)])))
    return replace(book, language=lang)


written_entries = st.builds(
    HistoryEntry, run_id=st.sampled_from(["r1", "r2"]),
    timestamp=st.sampled_from(["2025-03-01T09:00:00+01:00", "2025-03-01T09:00:00", "2025-03-01", "not a date", ""]),
    action_key=st.sampled_from(["k1", "k2"]), customer_id=st.sampled_from(["C1", "C2"]),
    invoice_ids=st.lists(st.sampled_from(["F1", "F2"]), max_size=2).map(tuple),
    scenario=st.sampled_from(["standard", "gone", "", "grands_comptes"]),
    step=st.sampled_from(["reminder_1", "call", "formal_notice", "handoff", "nope", ""]),
    channel=st.sampled_from(["email", "call", "letter", "agency", "sms", "", "pigeon"]),
    recipient=st.sampled_from(["", "a@b.example"]),
    status=st.sampled_from(["pending", "sent", "failed", "baseline", "unknown", "simulated", "odd", ""]),
    message_id=st.just("m"), amount_due=st.sampled_from([None, Decimal("1.50"), Decimal("0")]),
    currency=st.sampled_from(["EUR", ""]), detail=st.sampled_from(["", "via outbox; as of 2025-01-02"]),
    as_of=st.sampled_from([None, dt.date(2025, 3, 1)]), via=st.sampled_from(["", "outbox:/x"]))


@settings(max_examples=100, deadline=None)
@given(st.lists(written_entries, max_size=30), st.sampled_from(["fr", "en"]))
def test_history_rows_are_the_rows_history_row_writes(entries, lang):
    from relance.engine.owned_tabs import history_row, history_rows

    book = _book(lang)
    got, want = history_rows(book, entries), [history_row(book, e) for e in entries]
    assert [[(type(v), repr(v)) for v in r] for r in got] == [[(type(v), repr(v)) for v in r] for r in want]
    assert all(type(r) is list for r in got)


# ------------------------------------------------------------------ the index encoded a column at a time

index_cells = st.one_of(
    edited_cells, st.floats(allow_nan=True), st.sampled_from([float("inf"), float("nan"), "\x00x", "\x00"]),
    st.decimals(allow_nan=False, allow_infinity=False, places=2), st.times(), st.datetimes())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(index_cells, max_size=6), max_size=30), st.booleans(), st.integers(1, 4))
def test_the_index_is_encoded_byte_for_byte_as_before(rows, square, repeat):
    """Rows as wide as each other or ragged; columns of few distinct cells (repeated) or many."""
    from reference_history_index import encode_rows_reference
    from relance.engine.history_index import decode_rows, encode_rows

    rows = rows * repeat
    if square:
        width = max((len(r) for r in rows), default=0)
        rows = [[*r, *[None] * (width - len(r))] for r in rows]
    assert encode_rows(rows) == encode_rows_reference(rows)
    assert encode_rows(decode_rows(encode_rows(rows))) == encode_rows(rows)  # an unchanged tab's chunks are its own


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(index_cells, min_size=3, max_size=3), max_size=30), st.booleans())
def test_cells_read_back_a_distinct_cell_at_a_time_are_read_back_cell_by_cell(rows, ragged):
    from relance.engine.history_index import read_back
    from relance.workbook.memory import MemoryBackend
    from relance.workbook.xlsx import XlsxBackend

    if ragged and rows:
        rows[0] = rows[0][:1]
    shared = [Decimal("1.50"), dt.datetime(2025, 3, 1, 9)]  # one object in many rows, as History's are
    rows = [[*r, shared[i % 2]] for i, r in enumerate(rows)]
    for as_read in (XlsxBackend("unused.xlsx").as_read, MemoryBackend({}).as_read):
        got, want = read_back(as_read, rows), as_read(rows)
        assert [[(type(v), repr(v)) for v in r] for r in got] == [[(type(v), repr(v)) for v in r] for r in want]


# ------------------------------------------------------------------ styled rows written once per distinct cell

def _styled(tab, write):  # noqa: ANN001, ANN202
    from relance.workbook.xlsx_styles import TabStyles, wanted

    styles = TabStyles({style: i for i, style in enumerate(sorted(wanted(tab), key=repr))}, tab.lang)
    out: list[str] = []
    write(tab.rows, 2, ["A", "B", "C", "D", "E", "F"], out, tab, styles, 0)
    return out


styled_cells = st.one_of(
    edited_cells, st.sampled_from(["EUR", "eur", "USD", " usd ", "XX", "a&b<c>\r", "ligne 1\nligne 2 " * 8]),
    st.sampled_from([Decimal("1234.5"), Decimal("1234.50"), Decimal("-0.00"), Decimal("NaN"), float("nan"),
                     float("inf"), 10**20, True, dt.time(9, 30)]),
    st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1)))
formats = st.sampled_from([None, "text", "date", "datetime", "money", "wrap", "integer", "percent", "number"])


@settings(max_examples=300, deadline=None)
@given(st.lists(formats, min_size=6, max_size=6), st.lists(st.lists(styled_cells, max_size=7), max_size=12),
       st.integers(1, 3), st.sampled_from(["fr", "en"]), st.dictionaries(st.integers(0, 20), st.lists(formats, max_size=6)))
# a row too short to hold its currency, then one whose currency is blank: styled apart (once memoized alike)
@example(kinds=[None, "money", None, None, None, None], rows=[[None, 0], [None, 0, None, None, None, None]],
         repeat=1, lang="fr", by_row={})
def test_styled_rows_are_written_byte_for_byte_as_cell_by_cell(kinds, rows, repeat, lang, by_row):
    from reference_xlsx_rows import styled_rows_xml_reference
    from relance.engine.sheets import CellFormat, OwnedTab
    from relance.workbook.xlsx_parts import _styled_rows_xml

    def fmt(kind: str | None) -> CellFormat | None:
        if kind is None:
            return None
        return CellFormat(kind, currency_column=5) if kind == "money" else CellFormat(kind)

    amount, stamp = Decimal("12.50"), dt.datetime(2025, 3, 1, 9, 30)  # one object in rows of other currencies
    same = [[amount, stamp, amount, "x", amount, currency] for currency in ("EUR", "USD", "", "xx", None, 1.0, True)]
    tab = OwnedTab("T", ["a", "b", "c", "d", "e", "f"], [list(r) for r in [*rows, *same] * repeat],
                   widths=(10, 12, 8, 30, 14, 6), formats=[fmt(k) for k in kinds],
                   row_formats={i: [fmt(k) for k in ks] for i, ks in by_row.items()}, header_style=True, lang=lang)
    assert _styled(tab, _styled_rows_xml) == _styled(tab, styled_rows_xml_reference)
