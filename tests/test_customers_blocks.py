"""Clients read a block of rows at a time, e-mail columns tested in one match: the records and
anomalies are the row-by-row ones (tests/reference_records.py) whatever the block size, and an
e-mail column reads as _quiet_emails reads each of its cells (hypothesis).

The blocks of the engine hold 512 rows; here they hold 1 to 7, so that every generated tab
crosses block boundaries: duplicates across blocks, odd rows first or last in a block, values
shared across blocks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relance.engine import customer
from relance.engine.customer import _email_column, _quiet_emails
from relance.engine.sheets import RawSheet
from test_columnar import (
    CONTRACT,
    blank_rows,
    customer_cells,
    customer_records,
    header,
    load,
    rows_of,
    settings_cells,
    shuffled_header,
    tab_rows,
)

EXAMPLES = int(os.environ.get("RELANCE_FUZZ", 80))


@contextmanager
def blocks_of(size: int) -> Iterator[None]:
    saved = customer.BLOCK
    customer.BLOCK = size
    try:
        yield
    finally:
        customer.BLOCK = saved


def shared_cells() -> dict[str, object]:
    """The customer cells, with codes that repeat across blocks and addresses of every shape."""
    cells = dict(customer_cells)
    cells["customer_id"] = (st.sampled_from(["C1", "C2", "C3", "C4", "C5", "C6"]), customer_cells["customer_id"][1])
    cells["email"] = (st.sampled_from(["compta@dumas.example", "", "a@b.example; c@d.example", "Jean.Martin@Dumas.FR",
                                       "x@y.example, z@w.example;", " u@v.example "]),
                      st.sampled_from(["pas une adresse", "Jean <jean@martin.example>", "x@y", "é@x.example",
                                       "a@b.example\nc@d.example", "a @b.example", "a@b.example;\u00a0c@d.example"]))
    return cells


@settings(max_examples=EXAMPLES * 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_of("customers", shared_cells(), 40, clean=3), settings_cells, st.sampled_from(["", "B2B", "B2C"]),
       st.integers(1, 7))
def test_customers_read_in_blocks_are_the_former_customers(customers, params, default_type, size):
    sheets = load(customers, [], [], {**params, "default_customer_type": default_type})
    with blocks_of(size):
        fast = customer_records(sheets, fast=True)
    assert fast == customer_records(sheets, fast=False)


def test_equal_texts_are_one_object_across_blocks():
    """Cities, owners, countries repeat: each is kept once, whatever block its row is in."""
    rows = [[f"K{i}", f"Client {i}", f"c{i}@x.example", "", "", "fr", "B2B", "pme", "", "30", "", "", "Julie",
             f"{i} rue X", "69003", "".join(["Ly", "on"]), "FR", "".join(["Kar", "im"])] for i in range(40)]
    sheets = load(rows, [], [], {})
    with blocks_of(8):
        found, *_ = customer_records(sheets, fast=True)
    records = [c for _, c in found if c.city]
    assert len(records) == 40 and len({id(row[15]) for row in rows}) == 40  # 40 objects read
    assert len({id(c.city) for c in records}) == 1 and len({id(c.owner) for c in records}) == 1
    assert len({id(c.address) for c in records}) == len(records)  # distinct texts: left as they are
    assert found == customer_records(sheets, fast=False)[0]


addresses = st.one_of(
    st.sampled_from(["", " ", "a@b.example", "A.B@Dom.FR", "a@b.example;c@d.example", "a@b.example , c@D.example;",
                     "Jean <jean@martin.example>", "x@y", "é@x.example", "a@b.example\nc@d.example", "a..b@c.example",
                     "-a@b.example", "a@-b.example", "a@b-.example", "a@b.e", "a@b.example1", ";", ",,", "\ta@b.example",
                     "a" * 64 + "@b.example", "a" * 65 + "@b.example", "a@" + "b" * 63 + ".example",
                     "a@" + "b" * 64 + ".example", "a@" + ("b" * 60 + ".") * 4 + "example", "a@b.example\u00a0",
                     "a@b.example;\u2003c@d.example", "a@b.example\r", "a@b.example\x1c"]),
    st.none(),
    st.text(alphabet="ab@.;, \n-Z", max_size=12),
    st.lists(st.sampled_from(["a", "Z", "9", "-", ".", "@", "+", "_", "é", " ", ";", ","]), max_size=16).map("".join),
    st.builds("{}@{}.{}".format, st.text("aZ9.-+", min_size=0, max_size=66), st.text("aZ9.-", max_size=66),
              st.text("azZ9-", max_size=26)),
)


@settings(max_examples=EXAMPLES * 5, deadline=None)
@given(st.lists(addresses, max_size=12))
def test_an_email_column_reads_as_each_of_its_cells(column):
    assert _email_column(column) == [() if v is None or v == "" else _quiet_emails(v) for v in column]


def test_an_email_column_of_plain_addresses_in_one_match():
    column = ["compta@dumas.example", "", "Jean.Martin@Dumas.FR", None, "a@b.example; c@D.example", "  u@v.example "]
    assert _email_column(column) == [("compta@dumas.example",), (), ("Jean.Martin@dumas.fr",), (),
                                     ("a@b.example", "c@d.example"), ("u@v.example",)]
    assert _email_column([*column, "pas une adresse"])[-1] is None


# --- find_tables: tabs whose rows all have their cells (a reader pads them), read a column at a time ---

def padded(rows: list[list[object]], width: int, pad: object) -> list[list[object]]:
    return [list(r) + [pad] * (width - len(r)) for r in rows]


@settings(max_examples=EXAMPLES * 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fast_tables_of_full_rows_are_the_former_tables(data):
    """As test_columnar's tables test, each tab's rows padded to one width (with None or ""), so
    that the column-at-a-time test of blank and repeated header rows is the one taken."""
    sheets = []
    for tab, name in (("customers", st.sampled_from(["Clients", "Customers"])),
                      ("invoices", st.sampled_from(["Factures", "Invoices"])),
                      ("payments", st.sampled_from(["Reglements", "Payments"]))):
        lead = data.draw(st.lists(blank_rows, max_size=2))
        rows = [*lead, data.draw(shuffled_header(tab)), *data.draw(tab_rows(tab))]
        if data.draw(st.booleans()):  # every first cell text: the C-speed tests
            rows = [[("" if v is None else str(v)) if j == 0 else v for j, v in enumerate(r)] for r in rows]
        width = max(map(len, rows)) + data.draw(st.integers(0, 2))
        sheets.append(RawSheet(data.draw(name), padded(rows, width, data.draw(st.sampled_from([None, ""])))))
    assert customer_records(sheets, fast=True) == customer_records(sheets, fast=False)


def test_repeated_headers_and_blank_rows_in_full_rows():
    """The header again (as typed, in capitals, without accents, in English), blank rows, ids
    starting with the header's letter: found as the row-by-row reading finds them."""
    fr, en = header("customers"), CONTRACT.tab("customers").headers("en")
    width = len(fr)
    rows = [fr, ["C1", "Dumas"], ["", ""], ["  ", None], fr, [h.upper() for h in fr], en, ["Code", "x"],
            ["Code client", "Dumas"], ["Ｃｏｄｅ client", "y"], ["\u00a0", ""], ["C2", "Martin"], [" Code client", ""]]
    sheets = [RawSheet("Clients", padded(rows, width, "")), RawSheet("Factures", padded([header("invoices")], 13, ""))]
    found = customer_records(sheets, fast=True)
    assert found == customer_records(sheets, fast=False)
    assert {a.code for a in found[1]} >= {"R004", "R005"}
