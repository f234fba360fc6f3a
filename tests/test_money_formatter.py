"""The money formatter writes every amount as babel does (half-up to the currency's digits,
U+00A0 for CLDR's narrow no-break space), whether it is a currency's first amount (written by
babel itself: a phrase's one figure costs no fast formatter) or a later one (the fast formatter)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from relance.engine.formats import Formats, Money, _CurrencyFormat, formats

CURRENCIES = ["EUR", "USD", "GBP", "JPY", "CHF", "BHD", "XOF", "CAD", "XYZ"]
LOCALES = ["fr", "en", "fr_FR", "en_GB", "fr_CH", "de_CH", "en_US", "ar_EG", "hi_IN"]
amounts = st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**13, max_value=10**13, places=4) | \
    st.sampled_from([Decimal("0"), Decimal("-0"), Decimal("-0.004"), Decimal("0.005"), Decimal("1234567.895")])


def by_babel(amount: Decimal, currency: str, locale: str) -> str:
    step = Decimal(1).scaleb(-get_currency_precision(currency))
    return format_currency(amount.quantize(step, rounding=ROUND_HALF_UP), currency,
                           locale=Formats(locale).locale).replace("\u202f", "\u00a0")


def as_before(amount: Decimal, currency: str, locale: str) -> str:
    """What Formats.money wrote before session 19: every amount through the fast formatter."""
    return _CurrencyFormat(Formats(locale).locale, currency)(amount).replace("\u202f", "\u00a0")


@settings(max_examples=300, deadline=None)
@given(st.lists(amounts, min_size=1, max_size=6), st.sampled_from(CURRENCIES), st.sampled_from(LOCALES))
@example([Decimal("1234.56"), Decimal("-1234.56"), Decimal("0.5")], "EUR", "fr")
@example([Decimal("-0"), Decimal("-0.001"), Decimal("5")], "EUR", "fr")
@example([Decimal("-0.001"), Decimal("5")], "INR", "hi_IN")
def test_the_first_and_later_amounts_of_a_currency_read_as_before(values, currency, locale):
    f = Formats(locale)
    assert [f.money(v, currency) for v in values * 2] == [as_before(v, currency, locale) for v in values * 2]
    assert Money(values[0], currency).shown(locale) == as_before(values[0], currency, locale)


@settings(max_examples=300, deadline=None)
@given(amounts, st.sampled_from(CURRENCIES), st.sampled_from(LOCALES))
def test_an_amount_other_than_zero_reads_as_babel_writes_it(value, currency, locale):
    assume(value.quantize(Decimal(1).scaleb(-get_currency_precision(currency)), rounding=ROUND_HALF_UP) != 0)
    assert Formats(locale).money(value, currency) == by_babel(value, currency, locale)


def test_a_figure_of_a_phrase_reads_as_a_formatter_of_the_run_writes_it():
    run = formats("fr")
    run.money(1, "EUR")
    run.money(2, "EUR")  # its fast formatter built
    for value in (Decimal("1234.56"), Decimal("-0.005"), Decimal("1e9")):
        assert Money(value, "EUR").shown("fr") == run.money(value, "EUR") == by_babel(value, "EUR", "fr")
    assert Money(Decimal("1234.5"), "eur ").shown("en") == "€1,234.50"

