"""Customers (engine/customer.py): the fast e-mail normalisation agrees with email-validator."""

from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from relance.engine.customer import normalized_email


@settings(deadline=None)  # a property, not a stopwatch
@given(st.one_of(st.emails(), st.text(max_size=40), st.emails().map(lambda e: e.replace(".", "..", 1))))
def test_fast_email_path_agrees_with_email_validator(address):
    try:
        expected = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        expected = None
    try:
        got = normalized_email(address)
    except EmailNotValidError:
        got = None
    assert got == expected


def test_a_customer_is_known_business_known_consumer_or_unknown():
    from books import load
    from conftest import customer, tabs
    from relance.engine.customer import parse_customers
    from relance.engine.sheets import RawSheet
    from relance.engine.table import Collector, read_table

    b = load(tabs([customer("C1"), customer("C2", type_client="particulier"), customer("C3", type_client=None)], []))
    kinds = {c.id: (c.type, c.type_known, c.is_b2b, c.is_b2c, c.claims_allowed) for c in b.customers.values()}
    assert kinds == {"C1": ("B2B", True, True, False, True), "C2": ("B2C", True, False, True, False),
                     "C3": ("", False, False, False, False)}
    # an English tab without the column: the hint names the column as that tab would
    english = {"Customers": [["customer_id", "name"], ["C9", "Acme"]], "Invoices": [["invoice_id"]]}
    out = Collector()
    contract = load(english).contract  # a book's tables keep no rows once read: the tab read again
    parse_customers(read_table(RawSheet("Customers", english["Customers"]), contract.tab("customers"), Collector()),
                    "en", out)
    assert [(str(a.source), a.code, a.hint.en) for a in out.items] == [
        ("Customers row 2", "R209", "write B2B or B2C in Customer type")]
