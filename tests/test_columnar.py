"""The column-wise records are the row-by-row records (hypothesis).

On generated tabs that mix clean rows with every kind of bad cell (text in amounts, bad or
out-of-range dates, blanks, duplicates, unknown customers, credit notes, payments to unknown
invoices, other currencies, extra decimals, hostile cells, ragged rows), the fast path of
parse_invoices / parse_payments / parse_customers gives the same records and the same anomalies,
in the same order, with the same cells and texts, as their row-by-row reading (`by_row=True`);
apply_all and compute_positions give what the former functions (tests/reference_records.py) give.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference_records as reference
from relance.app.resources import shipped_contract
from relance.demo import build_demo_workbook
from relance.engine import balance, cells, position
from relance.engine.book import Book, book_language, load_book
from relance.engine.customer import parse_customers
from relance.engine.invoice import parse_invoices
from relance.engine.payment import parse_payments
from relance.engine.settings import parse_settings
from relance.engine.sheets import CellValue, RawSheet
from relance.engine.table import Collector, find_tables, reads_tab
from relance.workbook.xlsx import XlsxBackend
from test_hostile_cells import cell as hostile

CONTRACT = shipped_contract()
EXAMPLES = int(os.environ.get("RELANCE_FUZZ", 80))


def header(key: str) -> list[str]:
    return CONTRACT.tab(key).headers("fr")


def keys(key: str) -> list[str]:
    return [c.key for c in CONTRACT.tab(key).columns]


# dates close together, so that payments fall on due dates and as_of on payment dates
day = st.one_of(st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2025, 3, 31)),
                st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2026, 6, 30)))
money = st.integers(1, 2_000_000).map(lambda cents: cents / 100)
invoice_ids = st.sampled_from(["F1", "F2", "F3", "F4", "F5", " F3 ", "A1", "A2"])
customer_ids = st.sampled_from(["C1", "C2", "C3", " C1", "C9", ""])
bad_date = st.sampled_from(["31/02/2025", "2025-13-01", "demain", 45000, 45000.0, 9e9, True, "", None,
                            dt.datetime(2025, 3, 1, 10), dt.date(1850, 1, 1), dt.date(2300, 1, 1), "15/03/2025"])
bad_amount = st.sampled_from(["1 234,56", "abc", "-5", -12.5, 0.0, -0.0, 12.345, 1e13, float("nan"), True, 250,
                              Decimal("99.99"), Decimal("sNaN"), "", None, "12.50 €", 1e12])


def sometimes(clean: st.SearchStrategy[CellValue], bad: st.SearchStrategy[CellValue]
              ) -> tuple[st.SearchStrategy[CellValue], st.SearchStrategy[CellValue]]:
    """A column's clean cells, and its bad ones (now and then a hostile one)."""
    return clean, st.one_of(bad, bad, hostile)


invoice_cells = {
    "invoice_id": sometimes(invoice_ids, st.sampled_from([1001.0, 12, None, "   ", ""])),
    "customer_id": sometimes(customer_ids, st.sampled_from([1.0, None])),
    "issue_date": sometimes(day, bad_date),
    "due_date": sometimes(st.one_of(st.just(""), day), bad_date),
    "amount": sometimes(money, bad_amount),
    "currency": sometimes(st.sampled_from(["EUR", "EUR", "", "USD", "JPY"]),
                          st.sampled_from(["eur", "XXX", " EUR", 3, None, "KWD"])),
    "kind": sometimes(st.sampled_from(["facture", "", "avoir", "invoice"]), st.sampled_from(["bizarre", 1, "Avoir "])),
    "applies_to": sometimes(st.sampled_from(["", "", "F1", "F2", "F9", "A1"]), st.sampled_from([1.0, " F1 "])),
    "paid_amount": sometimes(st.one_of(st.just(""), money), bad_amount),
    "payment_terms": sometimes(st.sampled_from(["", "", "30", "45 FDM", "90 jours", "60"]),
                               st.sampled_from(["xyz", 30, 30.0, 75.5, True, "999 FDM"])),
    "status": sometimes(st.sampled_from(["", "", "litige", "ouvert", "annulee", "en_attente"]),
                        st.sampled_from(["bad", 2, " Litige"])),
    "pdf_url": sometimes(st.sampled_from(["", "https://x.example/f.pdf"]), st.sampled_from([" u ", 5.0])),
    "payment_url": sometimes(st.sampled_from(["", "https://pay.example/1"]), st.sampled_from([7, True])),
}
payment_cells = {
    "date": sometimes(day, bad_date),
    "amount": sometimes(money, bad_amount),
    "invoice_id": sometimes(st.sampled_from(["", "F1", "F2", "F3", "F4", "A1"]), st.sampled_from([1.0, " F2", "F99"])),
    "customer_id": sometimes(customer_ids, st.sampled_from([2.0, None, "C2 "])),
    "currency": sometimes(st.sampled_from(["EUR", "", "EUR", "USD"]), st.sampled_from(["eur", "XXX", 1])),
    "reference": sometimes(st.sampled_from(["", "VIR SEPA", " CHQ 12 "]), st.sampled_from([12.0, True])),
}
customer_cells = {
    "customer_id": sometimes(st.one_of(st.sampled_from(["C1", "C2", "C3", "C4"]), st.integers(5, 99).map("C{}".format)),
                             st.sampled_from(["", 5.0, " C2", " C7 "])),
    "name": sometimes(st.sampled_from(["Dumas SARL", "", "Jean Martin"]), st.sampled_from([3.0, True])),
    "email": sometimes(st.sampled_from(["compta@dumas.example", "", "a@b.example; c@d.example"]),
                       st.sampled_from(["pas une adresse", "Jean <jean@martin.example>", "x@y"])),
    "cc": sometimes(st.sampled_from(["", "cc@dumas.example"]), st.sampled_from(["bad@", 1.0])),
    "phone": sometimes(st.sampled_from(["", "06 12 34 56 78"]), st.sampled_from([612345678.0])),
    "language": sometimes(st.sampled_from(["fr", "en", ""]), st.sampled_from(["de", 1])),
    "customer_type": sometimes(st.sampled_from(["B2B", "B2C", "B2B"]), st.sampled_from(["", "pro", 2])),
    "segment": sometimes(st.sampled_from(["", "pme"]), st.sampled_from([1.0])),
    "scenario": sometimes(st.sampled_from(["", "standard"]), st.sampled_from(["inconnu"])),
    "payment_terms": sometimes(st.sampled_from(["", "30", "45 FDM"]), st.sampled_from(["xyz", 90, "90 jours"])),
    "opt_out": sometimes(st.sampled_from(["", "non", "oui"]), st.sampled_from(["peut-être", 1, True])),
    "paused_until": sometimes(st.one_of(st.just(""), day), bad_date),
    "contact_name": sometimes(st.sampled_from(["", "Julie"]), st.sampled_from([2.0])),
    "address": sometimes(st.sampled_from(["", "1 rue X"]), st.sampled_from([3])),
    "postal_code": sometimes(st.sampled_from(["", "69003"]), st.sampled_from([69003.0])),
    "city": sometimes(st.sampled_from(["", "Lyon"]), st.sampled_from([True])),
    "country": sometimes(st.sampled_from(["", "FR"]), st.sampled_from([1])),
    "owner": sometimes(st.sampled_from(["", "Karim"]), st.sampled_from([0.0])),
}


def spoilt(row: list[CellValue], bad: list[tuple[int, CellValue]]) -> list[CellValue]:
    for j, value in bad:
        row[j] = value
    return row


def rows_of(tab: str, cells: dict[str, tuple[st.SearchStrategy[CellValue], st.SearchStrategy[CellValue]]],
            n: int, clean: int = 2) -> st.SearchStrategy[list[list[CellValue]]]:
    """Rows of clean cells, a third of them (1 in clean + 1) with one or two bad cells."""
    columns = keys(tab)
    bad = st.integers(0, len(columns) - 1).flatmap(lambda j: st.tuples(st.just(j), cells[columns[j]][1]))
    row = st.builds(spoilt, st.tuples(*(cells[k][0] for k in columns)).map(list),
                    st.one_of(*[st.just([])] * clean, st.lists(bad, min_size=1, max_size=2)))
    # a row is sometimes cut short (a sheet's row ends at its last cell) or blank
    shaped = st.one_of(row, row, row, st.tuples(row, st.integers(1, len(keys(tab)))).map(lambda r: r[0][: r[1]]),
                       st.just([]))
    return st.lists(shaped, max_size=n)


def load(customers: list[list[CellValue]], invoices: list[list[CellValue]],
         payments: list[list[CellValue]], params: dict[str, CellValue]) -> list[RawSheet]:
    base = [["C1", "Dumas", "compta@dumas.example", "", "", "fr", "B2B", "", "", "30"],
            ["C2", "Martin", "jean@martin.example", "", "", "fr", "B2C"],
            ["C3", "Sans type", "c3@x.example", "", "", "en", "", "", "", "45 FDM", "", "2025-06-01"]]
    return [
        RawSheet("Clients", [header("customers"), *base, *customers]),
        RawSheet("Factures", [header("invoices"), *invoices]),
        RawSheet("Reglements", [header("payments"), *payments]),
        RawSheet("Parametres", [["cle", "valeur"], ["company_name", "Atelier Dumas"], *params.items()]),
    ]


def records(sheets: list[RawSheet], by_row: bool, reference_rows: bool = False) -> tuple[object, ...]:
    """The records and anomalies of a book: read by the fast paths, row by row (`by_row`), or by
    the row-by-row Factures and Reglements kept in tests/reference_records.py (`reference_rows`).
    Also their repr: equal values of other types or forms (1 and True, Decimal 1.5 and 1.50, a
    date and a datetime) differ there."""
    out = Collector()
    tables, _ = find_tables(sheets, CONTRACT, out)
    out.lang = book_language(tables)
    s = parse_settings(tables.get("settings"), (x.key for x in CONTRACT.settings), out,
                       CONTRACT.tab("settings").name(out.lang))
    customers = parse_customers(tables.get("customers"), s.language, out, s.default_customer_type, by_row=by_row)
    if reference_rows:
        invoices = reference.parse_invoices(tables.get("invoices"), customers, s, out)
        payments = reference.parse_payments(tables.get("payments"), invoices, customers, s, out)
    else:
        invoices = parse_invoices(tables.get("invoices"), customers, s, out, by_row=by_row)
        payments = parse_payments(tables.get("payments"), invoices, customers, s, out, by_row=by_row)
    return (list(customers.items()), list(invoices.items()), payments, out.items,
            [a.text("fr") for a in out.items], [a.text("en") for a in out.items],
            repr(list(invoices.items())), repr(payments), [repr(a.source) + repr(a.value) for a in out.items])


@contextmanager
def blocks_of(size: int) -> Iterator[None]:
    """The fast paths reading `size` rows at a time (cells.BLOCK): rows of one block meet rows
    of another (a number read in an earlier block, a date seen before) as in a big tab."""
    kept = cells.BLOCK
    cells.BLOCK = size
    try:
        yield
    finally:
        cells.BLOCK = kept


settings_cells = st.dictionaries(
    st.sampled_from(["default_currency", "default_customer_type", "default_payment_terms", "eom_method"]),
    st.sampled_from(["EUR", "USD", "B2B", "B2C", "", "45 FDM", "60", "eom_then_days", "days_then_eom", "xyz"]),
    max_size=3)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_of("customers", customer_cells, 4), rows_of("invoices", invoice_cells, 14),
       rows_of("payments", payment_cells, 10), settings_cells)
def test_fast_records_are_the_row_by_row_records(customers, invoices, payments, params):
    sheets = load(customers, invoices, payments, params)
    by_row = records(sheets, by_row=True)
    assert records(sheets, by_row=False) == by_row
    assert records(sheets, by_row=True, reference_rows=True) == by_row  # the engine's by_row is the former reading
    for size in (1, 2, 5):
        with blocks_of(size):
            assert records(sheets, by_row=False) == by_row


def ledgers(result: tuple[dict[str, balance.InvoiceLedger], list[balance.Credit]], days: list[dt.date]) -> object:
    found, credits = result
    return ([(k, v.invoice, v.allocations, [(v.balance(d), v.settlement_date(d)) for d in days])
             for k, v in found.items()], credits)


def book_of(sheets: list[RawSheet]) -> Book:
    return load_book(sheets, CONTRACT, {})


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_of("invoices", invoice_cells, 14), rows_of("payments", payment_cells, 12), settings_cells,
       st.lists(day, min_size=1, max_size=3),
       st.sampled_from([{}, {"penalty_rate_mode": "fixed", "penalty_annual_rate": "12.5"},
                        {"ecb_rate_2025_H2": "2.125"}, {"ecb_rate_2026_H1": "3.14159"}]))
def test_balances_and_positions_are_the_former_ones(invoices, payments, params, days, rates):
    b = book_of(load([], invoices, payments, {**params, **rates}))
    fast = balance.apply_all(b.invoices, b.payments, out_fast := Collector(), b.disputes)
    slow = reference.apply_all(b.invoices, b.payments, out_slow := Collector(), b.disputes)
    assert ledgers(fast, days) == ledgers(slow, days)
    assert out_fast.items == out_slow.items
    for as_of in days:
        for settled in (False, True):
            a, b_out = Collector(), Collector()
            assert (list(position.compute_positions(b, as_of, a, settled_penalties=settled).items())
                    == list(reference.compute_positions(b, as_of, b_out, settled_penalties=settled).items()))
            assert a.items == b_out.items


def test_a_penalty_over_many_semesters_is_the_same():
    """An invoice due in 1950, open in 2026: the day-rate sum over 150 years of guessed rates."""
    sheets = load([], [["F1", "C1", dt.date(1950, 1, 1), dt.date(1950, 2, 1), 999_999_999_999.99],
                       ["F2", "C1", dt.date(1950, 1, 1), dt.date(1950, 2, 1), 0.01],
                       ["F3", "C3", dt.date(2020, 2, 29), dt.date(2024, 2, 29), 1234.56]], [], {})
    b = book_of(sheets)
    for as_of in (dt.date(2026, 12, 1), dt.date(2200, 12, 31)):
        fast, slow = Collector(), Collector()
        assert position.compute_positions(b, as_of, fast) == reference.compute_positions(b, as_of, slow)
        assert fast.items == slow.items


def test_worked_examples_of_the_one_pass_ledger():
    """Paid on the due date (no indemnity), paid the day after (indemnity), partly paid before the
    due date, paid after as_of, two payments on one day, open invoices due a day apart (days past
    due and buckets from a cache keyed by due date), one settled by a credit note."""
    due = dt.date(2025, 2, 1)
    invoices = [["F1", "C1", dt.date(2025, 1, 1), due, 100.0],
                ["F2", "C1", dt.date(2025, 1, 1), due, 100.0],
                ["F3", "C1", dt.date(2025, 1, 1), due, 100.0],
                ["F4", "C1", dt.date(2025, 1, 1), due, 100.0],
                ["F5", "C1", dt.date(2025, 1, 1), dt.date(2025, 2, 2), 100.0],
                ["F6", "C3", dt.date(2025, 1, 1), dt.date(2025, 1, 31), 250.0],
                ["A1", "C3", dt.date(2025, 2, 10), "", 100.0, "", "avoir", "F6"]]
    payments = [[due, 100.0, "F1"], [dt.date(2025, 2, 2), 100.0, "F2"], [dt.date(2025, 1, 20), 40.0, "F3"],
                [dt.date(2025, 4, 1), 100.0, "F4"], [dt.date(2025, 3, 1), 30.0, "F5"],
                [dt.date(2025, 3, 1), 20.0, "F5"], [dt.date(2025, 2, 15), 150.0, "", "C3"]]
    b = book_of(load([], invoices, payments, {}))
    for as_of in (due, dt.date(2025, 2, 2), dt.date(2025, 3, 1), dt.date(2025, 3, 31), dt.date(2025, 6, 30)):
        for settled in (False, True):
            fast = position.compute_positions(b, as_of, settled_penalties=settled)
            assert fast == reference.compute_positions(b, as_of, settled_penalties=settled)
    late = position.compute_positions(b, dt.date(2025, 3, 31))
    assert not late["F1"].indemnity_due and late["F2"].indemnity_due
    assert (late["F3"].days_past_due, late["F4"].days_past_due, late["F5"].days_past_due) == (58, 58, 57)
    assert late["F6"].status == "settled" and late["F6"].settlement_date == dt.date(2025, 2, 15)


# --- s20-records: Clients and the tab reading, column-wise against their row-by-row reference ---

def customer_records(sheets: list[RawSheet], fast: bool) -> tuple[object, ...]:
    """Clients read by the engine (fast) or by the former row-by-row functions (reference)."""
    out = Collector()
    tables, owned = (find_tables if fast else reference.find_tables)(sheets, CONTRACT, out)
    out.lang = book_language(tables)
    s = parse_settings(tables.get("settings"), (x.key for x in CONTRACT.settings), out,
                       CONTRACT.tab("settings").name(out.lang))
    found = (parse_customers(tables.get("customers"), s.language, out, s.default_customer_type) if fast else
             reference.parse_customers(tables.get("customers"), s.language, out, s.default_customer_type))
    return (list(found.items()), out.items, [a.text("fr") for a in out.items], [a.text("en") for a in out.items],
            {k: (t.name, t.header_row, t.columns, t.header_text, t.data) for k, t in tables.items()}, owned)


@settings(max_examples=EXAMPLES * 3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_of("customers", customer_cells, 30, clean=1), settings_cells,
       st.sampled_from(["", "B2B", "B2C"]))
def test_fast_customers_are_the_former_customers(customers, params, default_type):
    sheets = load(customers, [], [], {**params, "default_customer_type": default_type})
    assert customer_records(sheets, fast=True) == customer_records(sheets, fast=False)


# a tab's rows: data rows, blank ones (None, "", spaces), the header again (as typed, in capitals,
# with accents lost, in the other language, cut short), text that starts like the header, odd cells
def odd_headers(tab: str) -> st.SearchStrategy[list[CellValue]]:
    fr, en = CONTRACT.tab(tab).headers("fr"), CONTRACT.tab(tab).headers("en")
    return st.one_of(st.just(fr), st.just(en), st.just([h.upper() for h in fr]),
                     st.just([h.replace("é", "e").replace("É", "E") for h in fr]),
                     st.just(["  " + h + " " for h in fr]), st.integers(1, len(fr)).map(lambda n: fr[:n]),
                     st.just(fr[:1] + [""] * (len(fr) - 1)),
                     st.just([fr[0], *en[1:]]))


blank_rows = st.sampled_from([[], [None], [""], ["", None, "  "], ["\t", "\u00a0"], [None] * 5, ["\x1c"]])
first_cells = st.one_of(hostile, st.sampled_from(["Code client", "code", "c", "C00001", "Ｃｏｄｅ client",
                                                  "Code_client ", "Code clientèle", "ﬁ", " Code client"]))


def tab_rows(tab: str) -> st.SearchStrategy[list[list[CellValue]]]:
    width = len(CONTRACT.tab(tab).columns)
    data = st.lists(hostile, min_size=0, max_size=width)
    led = st.tuples(first_cells, st.lists(hostile, max_size=width - 1)).map(lambda t: [t[0], *t[1]])
    return st.lists(st.one_of(data, led, blank_rows, odd_headers(tab)), max_size=14)


def shuffled_header(tab: str) -> st.SearchStrategy[list[CellValue]]:
    """The header in either language, in any order, with unknown columns, a repeated column, blanks."""
    fr, en = CONTRACT.tab(tab).headers("fr"), CONTRACT.tab(tab).headers("en")
    cells_ = st.lists(st.one_of(st.sampled_from(fr), st.sampled_from(en),
                                st.sampled_from(["", None, "Notes", "autre", 3])), min_size=1, max_size=len(fr) + 3)
    return st.one_of(st.just(fr), st.just(en), st.permutations(fr).map(list), cells_)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fast_tables_are_the_former_tables(data):
    """find_tables: the same tables, rows (numbers and cells), anomalies (R001-R006) as the row by row one."""
    sheets = []
    for tab, name in (("customers", st.sampled_from(["Clients", "Customers"])),
                      ("invoices", st.sampled_from(["Factures", "Invoices"])),
                      ("payments", st.sampled_from(["Reglements", "Payments"]))):
        lead = data.draw(st.lists(blank_rows, max_size=2))
        sheets.append(RawSheet(data.draw(name), [*lead, data.draw(shuffled_header(tab)), *data.draw(tab_rows(tab))]))
    if data.draw(st.booleans()):
        sheets.append(RawSheet("Clients", [header("customers"), ["C1"]]))  # a second Clients tab (R001)
    sheets.append(RawSheet("Historique", [["foo"]], owned=False))  # a user's tab under relance's name (R006)
    assert customer_records(sheets, fast=True) == customer_records(sheets, fast=False)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_demo_book_records_are_the_former_records(tmp_path, lang):
    """The demo book (customers of every kind, blank types, invoices, payments) read both ways."""
    path = tmp_path / "demo.xlsx"
    build_demo_workbook(path, invoices=2500, lang=lang)
    sheets = XlsxBackend(path).read(lambda name: reads_tab(CONTRACT, name))
    assert customer_records(sheets, fast=True) == customer_records(sheets, fast=False)
    by_row = records(sheets, by_row=True)
    assert records(sheets, by_row=False) == by_row
    assert records(sheets, by_row=True, reference_rows=True) == by_row
    with blocks_of(1000):
        assert records(sheets, by_row=False) == by_row


CUSTOMER_BAD = {
    "customer_id": ["", " ", 5.0, " C2", "C1", None, True], "name": [3.0, True, "", None],
    "email": ["pas une adresse", "Jean <jean@martin.example>", "x@y", "a@b.example, c@d", 5, "é@x.example"],
    "cc": ["bad@", 1.0, "a@b.example;;", " "], "phone": [612345678.0], "language": ["de", 1, "EN ", " ", "Français"],
    "customer_type": ["", "pro", 2, " b2b", None, "particulier"],
    "payment_terms": ["xyz", 90, "90 jours", 30, 30.0, "  ", "61", "45 FDM", "46 FDM", True],
    "opt_out": ["peut-être", 1, 0, True, False, "OUI", " x ", 1.5], "segment": [1.0],
    "paused_until": ["2025-02-30", "demain", 45000, 45000.0, dt.datetime(2025, 3, 1, 10), dt.date(1850, 1, 1),
                     dt.date(2300, 1, 1), "15/03/2025", True, "  "],
    "postal_code": [69003.0, 69003], "owner": [0.0, False],
}


def test_each_bad_customer_cell_is_read_as_row_by_row():
    """Every bad cell above in an otherwise clean row: the fast path leaves nothing to chance."""
    clean = ["C9", "Dumas", "compta@dumas.example", "", "", "fr", "B2B", "", "", "30", "", "", "", "", "", "", "",
             ""]
    columns = keys("customers")
    rows = []
    for key, values in CUSTOMER_BAD.items():
        for value in values:
            row = list(clean)
            row[0] = f"X{len(rows)}" if key != "customer_id" else value
            row[columns.index(key)] = value
            rows.append(row)
    for default_type in ("", "B2B", "B2C"):
        sheets = load(rows, [], [], {"default_customer_type": default_type})
        assert customer_records(sheets, fast=True) == customer_records(sheets, fast=False)


# --- s21-invoices: Factures and Reglements a block at a time, their amounts, their shared values ---

UNITS = [cells.minor_unit(c) for c in ("JPY", "EUR", "KWD", "CLF")] + [Decimal("0.1")]


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(st.lists(st.one_of(st.floats(min_value=1e-9, max_value=1e12, exclude_max=True),
                          st.integers(1, 10**14).map(lambda c: c / 100),
                          st.integers(1, 10**15).map(lambda c: c / 1000),
                          st.integers(1, 10**6).map(lambda c: c / 10 ** 5),
                          st.sampled_from([0.005, 1.005, 2.675, 1e-05, 999999999999.99, 0.125, 1.0])),
                min_size=1, max_size=30),
       st.lists(st.sampled_from(UNITS), min_size=1, max_size=3))
def test_amounts_are_their_repr_rounded(amounts, units):
    """cells.decimals is Decimal(repr(amount)).quantize(unit, ROUND_HALF_UP), down to the exponent,
    one unit for all or one each; and it finds the amounts the rounding changed (R109)."""
    import numpy as np

    each = [units[k % len(units)] for k in range(len(amounts))]
    expected = [Decimal(repr(a)).quantize(u, rounding="ROUND_HALF_UP") for a, u in zip(amounts, each, strict=True)]
    changed = [k for k, (a, e) in enumerate(zip(amounts, expected, strict=True)) if Decimal(repr(a)) != e]
    found, extra = cells.decimals(np.array(amounts, dtype=np.float64), each)
    assert list(map(repr, found)) == list(map(repr, expected)) and extra == changed
    found, extra = cells.decimals(np.array(amounts, dtype=np.float64), units[0])
    assert found == [Decimal(repr(a)).quantize(units[0], rounding="ROUND_HALF_UP") for a in amounts]
    assert list(map(repr, found)) == [repr(Decimal(repr(a)).quantize(units[0], rounding="ROUND_HALF_UP"))
                                      for a in amounts]


INVOICE_BAD = {
    "invoice_id": ["", "  ", 1001.0, 12, True, None, "F1", " F1 "],
    "customer_id": ["", "C9", 1.0, None, " C1 ", "c1"],
    "issue_date": ["31/02/2025", "2025-03-01", "demain", 45000, 45000.0, 9e9, True, "", None,
                   dt.datetime(2025, 3, 1, 10), dt.date(1850, 1, 1), dt.date(2300, 1, 1), Decimal("sNaN")],
    "due_date": ["31/02/2025", "2025-04-01", 45000, True, dt.datetime(2025, 3, 1), dt.date(2024, 1, 1),
                 dt.date(2300, 1, 1), dt.date(2025, 12, 31), Decimal("sNaN"), "  "],
    "amount": ["1 234,56", "abc", "-5", -12.5, 0.0, -0.0, 12.345, 1e13, float("nan"), float("inf"), True, 250,
               Decimal("99.99"), Decimal("sNaN"), "", None, "12.50 €", 1e12, 5e-05, 0.001],
    "currency": ["eur", "XXX", " EUR", 3, "KWD", "JPY", "CLF", Decimal("sNaN")],
    "kind": ["bizarre", 1, "Avoir ", "AVOIR", "credit_note"],
    "applies_to": [1.0, " F1 ", "F2", "F3"],
    "paid_amount": ["abc", -1.0, -0.0, 0.0, 12.345, 10.0, "10,5", 1e12, True, 7],
    "payment_terms": ["xyz", 30, 30.0, 75.5, True, "999 FDM", "90", "46 FDM", "  ", "0"],
    "status": ["bad", 2, " Litige", "LITIGE"],
    "pdf_url": [" u ", 5.0, True], "payment_url": [7, True, dt.date(2025, 1, 1)],
}
PAYMENT_BAD = {
    "date": ["31/02/2025", "2025-03-01", 45000, True, dt.datetime(2025, 3, 1), dt.date(1850, 1, 1), "", None,
             Decimal("sNaN")],
    "amount": ["abc", "-5", -1.0, 0.0, -0.0, 12.345, 1e13, float("nan"), True, 250, Decimal("1.5"), None, 5e-05],
    "invoice_id": [1.0, " F2", "F99", "A1", None, True, "f1"],
    "customer_id": [2.0, None, "C2 ", "C3", "C9", True, ""],
    "currency": ["eur", "XXX", 1, "USD", " EUR", "JPY", Decimal("sNaN")],
    "reference": [12.0, True, " x "],
}


def test_each_bad_invoice_and_payment_cell_is_read_as_row_by_row():
    """Every bad cell above in an otherwise clean row of Factures and Reglements, beside clean
    rows, read a block of 1, 3 and 64 rows at a time: the fast path leaves nothing to chance."""
    invoice_columns, payment_columns = keys("invoices"), keys("payments")
    clean_invoice = ["F0", "C1", dt.date(2025, 1, 10), "", 120.5, "EUR", "", "", "", "", "", "", ""]
    invoices = [["F1", "C1", dt.date(2025, 1, 1), dt.date(2025, 2, 1), 100.0],
                ["F2", "C2", dt.date(2025, 1, 2), "", 200.0, "USD"],
                ["A1", "C1", dt.date(2025, 1, 3), "", 50.0, "", "avoir", "F1"]]
    for key, values in INVOICE_BAD.items():
        for value in values:
            row = list(clean_invoice)
            row[0] = f"X{len(invoices)}"
            row[invoice_columns.index(key)] = value
            invoices.append(row)
            invoices.append([f"Y{len(invoices)}", *clean_invoice[1:]])
    clean_payment = [dt.date(2025, 2, 1), 10.0, "F1", "", "", ""]
    payments = [[dt.date(2025, 2, 3), 5.0, "", "C1"], [dt.date(2025, 2, 3), 5.0, "F2", "C2", "USD"]]
    for key, values in PAYMENT_BAD.items():
        for value in values:
            row = list(clean_payment)
            row[payment_columns.index(key)] = value
            payments.append(row)
            payments.append(list(clean_payment))
    for params in ({}, {"default_currency": "USD", "default_customer_type": "B2B", "eom_method": "eom_then_days"}):
        sheets = load([], invoices, payments, params)
        by_row = records(sheets, by_row=True)
        for size in (1, 3, 64, cells.BLOCK):
            with blocks_of(size):
                assert records(sheets, by_row=False) == by_row


def test_equal_values_are_one_object(tmp_path):
    """On the demo book: one date object per distinct date (in each tab), the customer's own code in
    its invoices and payments, the invoice's own number in its payments, one text per currency,
    kind, status."""
    path = tmp_path / "demo.xlsx"
    build_demo_workbook(path, invoices=3000)
    book = load_book(XlsxBackend(path).read(lambda name: reads_tab(CONTRACT, name)), CONTRACT, {})
    invoices, payments = list(book.invoices.values()), book.payments
    for dates in ([d for inv in invoices for d in (inv.issue_date, inv.due_date)], [p.date for p in payments]):
        assert len(set(map(id, dates))) == len(set(dates))
    for field in ("currency", "kind", "status"):
        values = [getattr(inv, field) for inv in invoices]
        assert len(set(map(id, values))) == len(set(values))
    assert all(inv.customer_id is book.customers[inv.customer_id].id for inv in invoices)
    assert all(p.customer_id is book.customers[p.customer_id].id for p in payments)
    against = [p for p in payments if p.invoice_id]
    assert against and all(p.invoice_id is book.invoices[p.invoice_id].id for p in against)
