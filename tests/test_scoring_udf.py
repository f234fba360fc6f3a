"""RELANCE_RISK (addin/relance_addin/udfs.py) grades the rows through the engine's ledger columns
(scoring.grade_columns) instead of building a Book: its answers are exactly those of the way it
worked before (the rows as Invoice, Payment and Customer records, balance.apply_all,
compute_positions and the reference grading of tests/scoring_reference.py, the main reason's
text as the report writes it), on generated columns with bad cells, blanks, zero amounts,
unknown and late payments, in both languages; and its fast money and days texts are the
formatter's own."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scoring_reference as ref
from relance.app.resources import shipped_contract, shipped_presets
from relance.engine.anomaly import Source
from relance.engine.balance import apply_all
from relance.engine.book import Book
from relance.engine.catalog import tabs as T
from relance.engine.customer import Customer
from relance.engine.formats import formats
from relance.engine.invoice import Invoice
from relance.engine.payment import Payment
from relance.engine.position import compute_positions
from relance.engine.settings import Settings
from relance.engine.table import Collector

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "addin"))

from relance_addin import udfs  # noqa: E402

EUR = "EUR"


def reference_book(inv: udfs.Invoices, ok: np.ndarray, customers: np.ndarray) -> Book:
    """The good rows as the engine's records, in euros: RELANCE_RISK's former `_book`, word for word."""
    rows = np.flatnonzero(ok)
    ids = inv.ids[rows].tolist()
    who = customers[rows].tolist()
    issued = inv.dates["issue"][rows].astype(dt.date).tolist()
    due = inv.dates["due"][rows].astype(dt.date).tolist()
    amounts = [Decimal(int(a)).scaleb(-2) for a in inv.amount[rows].tolist()]
    invoices = {
        iid: Invoice(iid, cid, i, d, a, EUR, "invoice", "", None, "open", "", "", Source("Factures", r + 2))
        for iid, cid, i, d, a, r in zip(ids, who, issued, due, amounts, rows.tolist(), strict=True)}
    assert inv.pay_date is not None
    pay_rows = inv.pay_invoice[ok[inv.pay_invoice]]
    pay_days = inv.pay_date[ok[inv.pay_invoice]].astype(dt.date).tolist()
    pay_amounts = inv.pay_amount[ok[inv.pay_invoice]].tolist()
    payments = [Payment(d, Decimal(int(a)).scaleb(-2), inv.ids[r], customers[r], EUR, "", Source("Reglements", j + 2))
                for j, (r, d, a) in enumerate(zip(pay_rows.tolist(), pay_days, pay_amounts, strict=True))]
    known = {cid: Customer(cid, cid, (), (), "", "fr", "B2B", "", "", None, False, None, "", "", "", "", "",
                           "", Source("Clients", k + 2)) for k, cid in enumerate(sorted(set(who)))}
    ledgers, credits = apply_all(invoices, payments, Collector())
    return Book(shipped_contract(), Settings(), known, invoices, payments, ledgers, credits, [], [],
                shipped_presets(), [], [], {}, {}, [])


def reference_risk(lang: str, customer_ids: object, invoice_ids: object, issue_dates: object, due_dates: object,
                   amounts: object, payment_invoice_ids: object, payment_dates: object, payment_amounts: object,
                   as_of: object = None) -> list[list[object]]:
    """RELANCE_RISK as it was: a Book, compute_positions, the reference grading, the report's text."""
    day = udfs.read_as_of(as_of)
    if day is None:
        return [[udfs.error_text(T.UDF_BAD_AS_OF, lang)]]
    inv = udfs.Invoices(lang, invoice_ids, amounts, payment_invoice_ids, payment_amounts, payment_dates,
                        dates={"issue": issue_dates, "due": due_dates})
    customers = udfs.read_ids(udfs.Column(customer_ids).fitted(inv.n))
    no_customer = (customers == "") & inv.ok
    inv.errors[no_customer] = udfs.error_text(T.UDF_BAD_CUSTOMER, lang)
    ok = inv.ok & ~no_customer
    book = reference_book(inv, ok, customers)
    grades = ref.risk_grades(book, compute_positions(book, day, settled_penalties=False), day)
    codes, distinct = pd.factorize(customers)
    grade_of = np.full(len(distinct), "", dtype=object)
    reason_of = np.full(len(distinct), "", dtype=object)
    for k, cid in enumerate(distinct):
        graded = grades.get((cid, EUR))
        if graded is None:
            continue
        main = max(graded.reasons, key=lambda r: r.points)
        grade_of[k] = graded.grade
        reason_of[k] = main.said.text(lang)
    out = np.column_stack([grade_of[codes], reason_of[codes]])
    out[~ok] = ""
    bad = inv.errors != None  # noqa: E711 - elementwise
    out[bad, 0] = inv.errors[bad]
    out[bad, 1] = ""
    return out.tolist()


START = dt.datetime(2024, 1, 1)
AS_OF = dt.datetime(2025, 6, 15)
date_cells = st.one_of(
    st.integers(0, 560).map(lambda d: START + dt.timedelta(days=d)),  # a date cell: the common case
    st.sampled_from([None, "2025-02-30", "15/03/2025", 45700.0, "soon"]))
amount_cells = st.one_of(st.sampled_from([1200.0, 845.5, 99.99, 5000.0, 0.01, 333.33, 12500.0]),
                         st.integers(1, 2_000_000).map(lambda c: c / 100),
                         st.sampled_from([0.0, None, -5.0, "1 200,50", "abc", 10.005]))


@st.composite
def sheets(draw: st.DrawFn) -> tuple[list[list[object]], ...]:
    n = draw(st.integers(1, 40))
    customers = [[draw(st.sampled_from(["C1", "C2", "C3", "C4", 1001.0, None, "C1 "]))] for _ in range(n)]
    ids = [[draw(st.sampled_from([f"F{i}", f"F{i}", f"F{i}", f"F{max(i - 1, 0)}", None, float(i)]))] for i in range(n)]
    issued, due, amounts = [], [], []
    for _ in range(n):
        day = draw(date_cells)
        issued.append([day])
        later = draw(st.integers(-5, 75))
        due.append([day + dt.timedelta(days=later) if isinstance(day, dt.datetime) and draw(st.integers(0, 9))
                    else draw(date_cells)])
        amounts.append([draw(amount_cells)])
    pay_ids, pay_dates, pay_amounts = [], [], []
    for _ in range(draw(st.integers(0, 2 * n))):
        target = draw(st.integers(0, n))
        pay_ids.append([f"F{target}" if draw(st.integers(0, 9)) else "F999"])
        base = issued[min(target, n - 1)][0]
        pay_dates.append([base + dt.timedelta(days=draw(st.integers(0, 200)))
                          if isinstance(base, dt.datetime) else draw(date_cells)])
        pay_amounts.append([draw(st.one_of(amount_cells, st.just(amounts[min(target, n - 1)][0])))])
    return customers, ids, issued, due, amounts, pay_ids, pay_dates, pay_amounts


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets(), st.sampled_from(["en", "fr"]), st.integers(0, 400))
def test_risk_answers_as_it_did(columns, lang, back):
    as_of = AS_OF - dt.timedelta(days=back)
    impl = udfs.RELANCE_RISK if lang == "en" else udfs.RELANCE_RISQUE
    assert impl(*columns, as_of) == reference_risk(lang, *columns, as_of)


def test_risk_answers_as_it_did_on_the_benchmark_columns():
    """5,000 rows the way benchmarks/udfs.py builds them: every reason that can be the main one."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import udfs as bench  # benchmarks/udfs.py

    c = bench.columns(5_000)
    args = (c["customers"], c["ids"], c["issued"], c["due"], c["amounts"], c["pay_ids"], c["pay_dates"],
            c["pay_amounts"], bench.AS_OF)
    for lang, impl in (("en", udfs.RELANCE_RISK), ("fr", udfs.RELANCE_RISQUE)):
        found = impl(*args)
        assert found == reference_risk(lang, *args)
        assert len({row[0] for row in found}) >= 3


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 10**13), min_size=1, max_size=20), st.sampled_from(["fr", "en"]))
def test_money_texts_are_the_formatters(minor, lang):
    fmt = formats(lang)
    assert udfs.money_texts(np.array(minor, dtype=np.int64), 2, fmt) == [fmt.money(Decimal(m).scaleb(-2), EUR) for m in minor]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-10**6, 10**9), min_size=1, max_size=20), st.sampled_from(["fr", "en"]))
def test_days_texts_are_the_formatters(hundredths, lang):
    fmt = formats(lang)
    text = udfs.days_texts(fmt)
    assert [text(h) for h in hundredths] == [fmt.days(Decimal(h).scaleb(-2), None) for h in hundredths]
