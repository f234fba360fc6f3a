"""Payment terms (engine/terms.py): "30", "45 FDM", "30 jours fin de mois" and the legal maximum."""

import datetime as dt

import pytest

from relance.engine.terms import Terms, parse_terms


@pytest.mark.parametrize("raw, terms, issue, due_days_eom, due_eom_days", [
    ("30", Terms(30), dt.date(2025, 1, 15), dt.date(2025, 2, 14), dt.date(2025, 2, 14)),
    ("60 jours", Terms(60), dt.date(2025, 1, 15), dt.date(2025, 3, 16), dt.date(2025, 3, 16)),
    ("45 FDM", Terms(45, True), dt.date(2025, 1, 15), dt.date(2025, 3, 31), dt.date(2025, 3, 17)),
    ("30 jours fin de mois", Terms(30, True), dt.date(2025, 1, 31), dt.date(2025, 3, 31), dt.date(2025, 3, 2)),
    ("30 EOM", Terms(30, True), dt.date(2024, 1, 31), dt.date(2024, 3, 31), dt.date(2024, 3, 1)),
])
def test_payment_terms(raw, terms, issue, due_days_eom, due_eom_days):
    parsed = parse_terms(raw)
    assert parsed == terms
    assert parsed.due_date(issue, "days_then_eom") == due_days_eom
    assert parsed.due_date(issue, "eom_then_days") == due_eom_days


def test_legal_maximum():
    assert parse_terms("61").beyond_legal_maximum
    assert not parse_terms("60").beyond_legal_maximum
    assert parse_terms("46 FDM").beyond_legal_maximum
    assert parse_terms("trente") is None
