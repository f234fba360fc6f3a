"""History at scale (issue 15): the fast paths read, index and write History exactly as the
reference paths do, on generated histories with hand-edited cells (unknown statuses, blank
cells, dates as text, numbers where text is expected, ragged rows, columns in another order)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
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
