"""Cell values as a user types them (engine/cells.py): dates, amounts, yes/no, identifiers."""

import datetime as dt
from decimal import Decimal as D

import pytest

from relance.engine.cells import parse_amount, parse_bool, parse_date, text


@pytest.mark.parametrize("raw, expected", [
    (dt.date(2025, 2, 28), dt.date(2025, 2, 28)),
    (dt.datetime(2025, 2, 28, 13, 5), dt.date(2025, 2, 28)),
    ("2025-02-28", dt.date(2025, 2, 28)),
    ("28/02/2025", dt.date(2025, 2, 28)),
    ("1.3.2025", dt.date(2025, 3, 1)),
    (45716, dt.date(2025, 2, 28)),  # an Excel serial in a cell not formatted as a date
    (None, None),
])
def test_dates_read(raw, expected):
    assert parse_date(raw) == (expected, None)


@pytest.mark.parametrize("raw, problem, french", [
    ("31/02/2025", "is not a real date (February 2025 has 28 days)",
     "n'est pas une date réelle (février 2025 compte 28 jours)"),
    ("2024-02-30", "is not a real date (February 2024 has 29 days)",
     "n'est pas une date réelle (février 2024 compte 29 jours)"),
    ("next monday", "is not a date", "n'est pas une date"),
    (12, "is a number, not a date", "est un nombre, pas une date"),
    ("2025-13-01", "is not a real date (no month 13)", "n'est pas une date réelle (il n'y a pas de mois 13)"),
])
def test_bad_dates_say_why(raw, problem, french):
    value, found = parse_date(raw)
    assert value is None
    assert found is not None and found[0].en == problem and found[0].fr == french


@pytest.mark.parametrize("raw, expected", [
    (1234.56, D("1234.56")),
    (100, D("100")),
    ("1 234,56", D("1234.56")),
    ("1\u202f234,56\xa0€", D("1234.56")),
    ("1234.56", D("1234.56")),
    ("1.234,56", D("1234.56")),
    ("1,234.56", D("1234.56")),
    ("0,1", D("0.1")),
])
def test_amounts_are_exact(raw, expected):
    assert parse_amount(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["abc", "12,34,56", "1 234,56 kg", True])
def test_bad_amounts(raw):
    value, problem = parse_amount(raw)
    assert value is None and problem is not None


def test_float_cells_do_not_leak_binary_noise():
    assert parse_amount(0.1 + 0.2)[0] == D("0.30000000000000004")  # reported, then quantized by the caller
    assert parse_amount(19.99)[0] == D("19.99")


@pytest.mark.parametrize("raw", [float("nan"), float("inf"), float("-inf"), "NaN", "Infinity"])
def test_non_finite_numbers_are_not_amounts(raw):
    value, problem = parse_amount(raw)
    assert value is None and problem is not None


@pytest.mark.parametrize("raw, expected", [("oui", True), ("x", True), (True, True), ("non", False),
                                           (None, False), ("", False), ("peut-être", None)])
def test_bools(raw, expected):
    assert parse_bool(raw)[0] is expected


def test_ids_typed_as_numbers_stay_ids():
    assert text(1001.0) == "1001"
