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
