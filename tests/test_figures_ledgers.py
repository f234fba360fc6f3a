"""The session-22 ledgers are the session-21 ledgers (hypothesis and the demo book).

engine/balance.py apply_all makes no object per invoice any more: it keeps what was applied to
each (nothing, the one Payment or Allocation, or a frozen InvoiceLedger when several) and hands
a `Ledgers` mapping that makes an InvoiceLedger when asked; engine/position.py and
engine/scoring.py book_columns read what was applied without making one, and settled positions
share their balance of zero. tests/reference_balance.py keeps session 21's apply_all and
compute_positions verbatim. On generated records (every amount exponent, credit notes, paid_amount
cells, payments to credit notes and unknown numbers, FIFO payments, disputes, several dates) and on
the demo book, the ledgers, credits, anomalies, positions and grading columns are the same,
Decimal exponents included (compared by repr), and the mapping behaves as the former dict did.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import reference_balance as reference
from relance.app.jobs import read_book
from relance.demo import DEFAULT_AS_OF, build_demo_workbook
from relance.engine import balance, position, scoring
from relance.engine.anomaly import Source
from relance.engine.balance import Allocation, InvoiceLedger, Ledgers
from relance.engine.book import Book
from relance.engine.invoice import Invoice
from relance.engine.payment import Payment
from relance.engine.table import Collector
from relance.workbook.xlsx import XlsxBackend
from test_columnar import book_of, load
from test_figures_reference import EXAMPLES, disputes_of, promises_of, rate_settings, records, when


def _ledger_text(found: object, days: list[dt.date]) -> str:
    """A ledger as every reader sees it, as text (so that 12.5 and 12.50 differ)."""
    assert isinstance(found, InvoiceLedger)
    return repr((found.invoice, found.allocations, tuple(found.dates), tuple(found.cumulative),
                 [(found.balance(d), found.applied_by(d), found.settlement_date(d),
                   found.standing(d, found.invoice.due_date)) for d in days]))


def same_ledgers(b: Book, days: list[dt.date]) -> tuple[Ledgers, list[balance.Credit]]:
    fast, credits = balance.apply_all(b.invoices, b.payments, out_fast := Collector(), b.disputes)
    slow, old_credits = reference.apply_all(b.invoices, b.payments, out_slow := Collector(), b.disputes)
    assert repr(credits) == repr(old_credits)
    assert repr(out_fast.items) == repr(out_slow.items)
    # the mapping: same keys in the same order, same length, same answers to `in`, get and [];
    # ledgers made one by one first, then all at once (values, items, or many asked for)
    assert list(fast) == list(slow) and len(fast) == len(slow)
    assert [_ledger_text(fast[k], days) for k in fast] == [_ledger_text(slow[k], days) for k in slow]
    assert fast._made is None or len(fast) > balance._ASKED_MANY
    assert [_ledger_text(v, days) for v in fast.values()] == [_ledger_text(v, days) for v in slow.values()]
    assert [(k, _ledger_text(v, days)) for k, v in fast.items()] == [
        (k, _ledger_text(v, days)) for k, v in slow.items()]
    for iid in [*b.invoices, "F99", ""]:
        assert (iid in fast) == (iid in slow)
        assert (fast.get(iid) is None) == (slow.get(iid) is None)
        if iid not in slow:
            with pytest.raises(KeyError):
                fast[iid]
    return fast, credits


def same_positions(b: Book, fast: Ledgers, credits: list[balance.Credit], as_of: dt.date) -> None:
    new_book = replace(b, ledgers=fast, credits=credits)
    old_book = replace(b, ledgers=reference.apply_all(b.invoices, b.payments, Collector(), b.disputes)[0],
                       credits=credits)
    for settled in (False, True):
        out_new, out_old = Collector(), Collector()
        new = position.compute_positions(new_book, as_of, out_new, settled_penalties=settled)
        old = reference.compute_positions(old_book, as_of, out_old, settled_penalties=settled)
        assert repr(list(new.items())) == repr(list(old.items()))
        assert repr(out_new.items) == repr(out_old.items)
        # and the new positions read from a plain dict of ledgers (a test's book) are the same too
        plain = position.compute_positions(replace(b, ledgers=dict(fast.items()), credits=credits), as_of,
                                           settled_penalties=settled)
        assert repr(list(plain.items())) == repr(list(old.items()))
    # book_columns: from the mapping and from the former ledgers, the same columns
    for only in (None, sorted({inv.customer_id for inv in b.invoices.values()})[:2]):
        a, z = scoring.book_columns(new_book, only), scoring.book_columns(old_book, only)
        assert a.keys == z.keys and list(a.ids) == list(z.ids) and a.scale == z.scale
        for name in ("group", "issue", "due", "amount", "entry_row", "entry_day", "entry_amount", "entry_payment",
                     "disputed_status"):
            assert np.array_equal(getattr(a, name), getattr(z, name)), name
        assert a.ledgers is not None and z.ledgers is not None
        assert [_ledger_text(lg, [as_of]) for lg in a.ledgers] == [_ledger_text(lg, [as_of]) for lg in z.ledgers]


@settings(max_examples=EXAMPLES * 3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records(), rate_settings, disputes_of, promises_of, when, when)
def test_ledgers_and_positions_of_any_records_are_session_21s(made, rate, litiges, promesses, day, other):
    customers, invoices, payments = made
    b = book_of(load([], [], [], {}))
    b = replace(b, settings=replace(b.settings, **rate), customers={c.id: c for c in customers}, invoices=invoices,
                payments=payments, disputes=litiges, promises=promesses)
    days = sorted({day, other})
    fast, credits = same_ledgers(b, days)
    for as_of in days:
        same_positions(b, fast, credits, as_of)


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    path = Path(tmp_path_factory.mktemp("demo")) / "demo.xlsx"
    build_demo_workbook(path)
    return read_book(XlsxBackend(path))


def test_the_demo_ledgers_and_positions_are_session_21s(demo_book: Book):
    days = [DEFAULT_AS_OF - dt.timedelta(days=back) for back in (400, 45, 0, -60)]
    fast, credits = same_ledgers(demo_book, days)
    kept = list(fast._applied.values())
    # what the demo book exercises: unpaid invoices, invoices paid once by a payment with their
    # number (kept as the Payment), once otherwise (an Allocation) and several times (a ledger)
    assert len(kept) < len(fast)
    assert {type(k).__name__ for k in kept} >= {"Payment", "InvoiceLedger"}
    for as_of in days:
        same_positions(demo_book, fast, credits, as_of)


def test_every_kind_of_what_was_applied_reads_as_its_ledger():
    """The worked example: F1 unpaid, F2 paid once by a payment with its number, F3 once by a FIFO
    payment (an Allocation), F4 twice (a frozen ledger), A1 a credit note (no ledger)."""
    def invoice(iid: str, due: str, amount: str, kind: str = "invoice", to: str = "") -> Invoice:
        return Invoice(iid, "C1", dt.date(2025, 1, 10), dt.date.fromisoformat(due), Decimal(amount), "EUR", kind, to,
                       None, "open", "", "", Source("Factures", 2))

    def paid(day: str, amount: str, iid: str) -> Payment:
        return Payment(dt.date.fromisoformat(day), Decimal(amount), iid, "C1", "EUR", "", Source("Reglements", 2))

    b = book_of(load([], [], [], {}))
    invoices = [invoice("F1", "2025-03-01", "100.00"), invoice("F2", "2025-02-01", "200.00"),
                invoice("F3", "2025-01-20", "50.00"), invoice("F4", "2025-02-10", "80.00"),
                invoice("A1", "2025-02-15", "30.00", "credit_note", "F4")]
    b = replace(b, invoices={i.id: i for i in invoices},
                payments=[paid("2025-02-05", "200.00", "F2"), paid("2025-02-06", "50.00", ""),
                          paid("2025-02-20", "50.00", "F4")])
    fast, _ = balance.apply_all(b.invoices, b.payments, Collector(), b.disputes)
    assert list(fast) == ["F1", "F2", "F3", "F4"] and "A1" not in fast and len(fast) == 4
    applied = fast._applied
    assert "F1" not in applied and type(applied["F3"]) is Allocation and isinstance(applied["F4"], InvoiceLedger)
    assert applied["F2"] is b.payments[0]
    day = dt.date(2025, 3, 1)
    assert [fast[i].balance(day) for i in fast] == [Decimal("100.00"), Decimal("0.00"), Decimal("0.00"),
                                                    Decimal("0.00")]
    assert fast["F2"].allocations == [Allocation(dt.date(2025, 2, 5), Decimal("200.00"), "payment", "")]
    assert [a.kind for a in fast["F4"].allocations] == ["credit_note", "payment"]
    with pytest.raises(KeyError):
        fast["A1"]
    positions = position.compute_positions(replace(b, ledgers=fast), day)
    settled = [p.balance for p in positions.values() if p.status == "settled"]
    assert len(settled) == 3 and settled[0] is settled[1]  # F2 and F3 paid once share their zero


def test_ledgers_asked_for_one_by_one_are_made_all_at_once_past_a_few(demo_book: Book, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(balance, "_ASKED_MANY", 5)
    fast, _ = balance.apply_all(demo_book.invoices, demo_book.payments, Collector(), demo_book.disputes)
    slow, _ = reference.apply_all(demo_book.invoices, demo_book.payments, Collector(), demo_book.disputes)
    day = [DEFAULT_AS_OF]
    first = [_ledger_text(fast[k], day) for k in list(fast)[:5]]
    assert fast._made is None
    assert [_ledger_text(fast[k], day) for k in sorted(fast)] == [_ledger_text(slow[k], day) for k in sorted(slow)]
    assert fast._made is not None and first == [_ledger_text(slow[k], day) for k in list(slow)[:5]]
    assert "F-nope" not in fast
    with pytest.raises(KeyError):
        fast["F-nope"]
