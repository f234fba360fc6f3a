"""Invoice and Payment records hold their source's row number, not a Source tuple; they read,
compare, unpack, pickle and copy as the former NamedTuples did (tests/reference_records.py
FormerInvoice, FormerPayment). And equal amounts are one Decimal object where the column-wise
reading can share them, with the value and exponent each would have had alone."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from decimal import Decimal

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import reference_records as reference
from relance.app.resources import shipped_contract
from relance.demo import build_demo_workbook
from relance.engine import cells, invoice, payment
from relance.engine.anomaly import Source
from relance.engine.book import load_book
from relance.engine.invoice import Invoice
from relance.engine.payment import Payment
from relance.engine.table import reads_tab
from relance.workbook.xlsx import XlsxBackend

CONTRACT = shipped_contract()
texts = st.text(max_size=8)
sources = st.builds(Source, st.sampled_from(["Factures", "Invoices", "Reglements", "factures ", "x"]),
                    st.integers(1, 2_000_000), st.one_of(st.none(), st.none(), st.integers(0, 40)),
                    st.sampled_from(["", "", "montant"]))
days = st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31))
amounts = st.decimals(min_value=0, max_value=10**9, places=2)
invoice_fields = st.tuples(texts, texts, days, days, amounts, st.sampled_from(["EUR", "USD"]),
                           st.sampled_from(["invoice", "credit_note"]), texts, st.one_of(st.none(), amounts),
                           st.sampled_from(["open", "hold"]), texts, texts)
payment_fields = st.tuples(days, amounts, texts, texts, st.sampled_from(["EUR", "JPY"]), texts)


@given(invoice_fields, sources, invoice_fields, sources)
def test_an_invoice_is_the_former_invoice(fields, source, other_fields, other_source):
    """Every field, the source, the 13 values unpacked (balance.py and position.py unpack them),
    equality, pickling and copying: as the former NamedTuple's."""
    former = reference.FormerInvoice(*fields, source)
    for inv in (Invoice(*fields, source), *_as_read(invoice.read_from, fields, source)):
        _same_invoice(inv, former, fields, source, other_fields, other_source)


def _as_read(read_from, fields, source):
    """The record as a reading builds it (its class's tab, its row's number), when it can be one."""
    if source.col is None and source.header == "":
        yield tuple.__new__(read_from(source.tab), (*fields, source.row))


def _same_invoice(inv, former, fields, source, other_fields, other_source):
    assert inv.source == former.source and type(inv.source) is Source
    assert [getattr(inv, f) for f in former._fields] == list(former)
    assert len(inv) == 13 and tuple(inv)[:12] == tuple(former)[:12]
    assert inv.is_credit_note == (former.kind == "credit_note")
    assert Invoice(**former._asdict()) == inv
    assert repr(inv) == repr(former).replace("FormerInvoice(", "Invoice(", 1)
    for again in (pickle.loads(pickle.dumps(inv)), copy.copy(inv), copy.deepcopy(inv)):
        assert again == inv and again.source == source and isinstance(again, Invoice)
    for other in (Invoice(*other_fields, other_source), *_as_read(invoice.read_from, other_fields, other_source)):
        assert (other == inv) == (reference.FormerInvoice(*other_fields, other_source) == former)
        assert (other != inv) == (reference.FormerInvoice(*other_fields, other_source) != former)
    assert hash(Invoice(*fields, source)) == hash(inv) and Invoice(*fields, source) == inv
    assert inv._replace(status="hold").source == source


@given(payment_fields, sources, payment_fields, sources)
def test_a_payment_is_the_former_payment(fields, source, other_fields, other_source):
    """As for invoices: the fields, the source, 7 values unpacked, equality, pickling, copying."""
    former = reference.FormerPayment(*fields, source)
    for p in (Payment(*fields, source), *_as_read(payment.read_from, fields, source)):
        _same_payment(p, former, fields, source, other_fields, other_source)


def _same_payment(p, former, fields, source, other_fields, other_source):
    assert p.source == former.source and type(p.source) is Source
    assert [getattr(p, f) for f in former._fields] == list(former)
    assert len(p) == 7 and tuple(p)[:6] == tuple(former)[:6]
    assert Payment(**former._asdict()) == p
    assert repr(p) == repr(former).replace("FormerPayment(", "Payment(", 1)
    for again in (pickle.loads(pickle.dumps(p)), copy.copy(p), copy.deepcopy(p)):
        assert again == p and again.source == source and isinstance(again, Payment)
    for other in (Payment(*other_fields, other_source), *_as_read(payment.read_from, other_fields, other_source)):
        assert (other == p) == (reference.FormerPayment(*other_fields, other_source) == former)
        assert (other != p) == (reference.FormerPayment(*other_fields, other_source) != former)
    assert hash(Payment(*fields, source)) == hash(p) and Payment(*fields, source) == p


def test_records_of_two_tabs_differ_by_their_tab():
    """Two invoices alike but for their tab are not equal, however they hold their source; a
    reading's class is its own (no class is kept from one reading to the next)."""
    fields = ("F1", "C1", dt.date(2025, 1, 1), dt.date(2025, 2, 1), Decimal("1.00"), "EUR", "invoice", "", None,
              "open", "", "")
    factures, invoices = invoice.read_from("Factures"), invoice.read_from("Invoices")
    read = tuple.__new__(factures, (*fields, 2))
    assert read != tuple.__new__(invoices, (*fields, 2)) and read != Invoice(*fields, Source("Invoices", 2))
    assert read == Invoice(*fields, Source("Factures", 2)) == tuple.__new__(invoice.read_from("Factures"), (*fields, 2))
    assert read.source == Source("Factures", 2) and read._replace(status="hold").source == Source("Factures", 2)
    assert invoice.read_from("Factures") is not factures


@given(st.lists(st.integers(1, 10**6), min_size=1, max_size=40), st.sampled_from(["0.01", "1", "0.001"]))
def test_shared_amounts_are_the_amounts(cents, unit):
    """cells.decimals with a shared table: the same values, exponents and rounding reports as
    without it, and equal amounts read exactly at the unit one object (across calls too)."""
    values = np.array([c / 100 for c in cents], dtype=np.float64)
    alone, extra = cells.decimals(values, Decimal(unit))
    shared: dict[int, dict[int, Decimal]] = {}
    found, found_extra = cells.decimals(values, Decimal(unit), shared)
    again, _ = cells.decimals(values, Decimal(unit), shared)
    assert list(map(repr, found)) == list(map(repr, alone)) and found_extra == extra
    by_value: dict[Decimal, Decimal] = {}
    exact = [d for k, d in enumerate(found + again) if k % len(found) not in extra]
    for d in exact:
        assert by_value.setdefault(d, d) is d


def test_a_whole_payment_holds_its_invoice_amount(tmp_path):
    """On the demo book: a payment of its invoice's whole amount holds the invoice's Decimal (the
    same value and exponent), and equal invoice amounts are one object."""
    path = tmp_path / "demo.xlsx"
    build_demo_workbook(path, invoices=3000)
    book = load_book(XlsxBackend(path).read(lambda name: reads_tab(CONTRACT, name)), CONTRACT, {})
    whole = [p for p in book.payments if p.invoice_id and p.amount == book.invoices[p.invoice_id].amount]
    assert whole and all(p.amount is book.invoices[p.invoice_id].amount for p in whole)
    assert all(p.amount.as_tuple() == book.invoices[p.invoice_id].amount.as_tuple() for p in whole)
    amounts = [inv.amount for inv in book.invoices.values()]
    assert len(set(map(id, amounts))) == len({(a, a.as_tuple().exponent) for a in amounts})
