"""Late-payment penalties, worked by hand from CONVENTIONS.md."""

import datetime as dt
from decimal import Decimal as D

from relance.engine.penalty import RateTable, late_penalty

LEGAL = RateTable()


def test_worked_example_with_credit_note_and_partial_payment():
    # 1200 due 2025-02-09; credit 200 on 02-15, payment 300 on 02-20; as_of 03-31; 2025-H1 = 3.15 + 10
    # days 10..15 on 1200, 16..20 on 1000, 21 Feb..31 Mar (39 days) on 700
    allocations = [(dt.date(2025, 2, 15), D(200)), (dt.date(2025, 2, 20), D(300))]
    expected = (D(1200) * 6 + D(1000) * 5 + D(700) * 39) * D("13.15") / 100 / 365
    assert expected.quantize(D("0.01")) == D("14.23")
    assert late_penalty(D(1200), dt.date(2025, 2, 9), allocations, dt.date(2025, 3, 31), LEGAL) == D("14.23")


def test_payment_day_still_bears_interest():
    # paid in full on the 11th: interest for the 10th and the 11th
    got = late_penalty(D(36500), dt.date(2025, 3, 9), [(dt.date(2025, 3, 11), D(36500))], dt.date(2025, 6, 1),
                       RateTable("fixed", D(10)))
    assert got == D("20.00")  # 36500 * 10% / 365 * 2 days


def test_nothing_before_or_on_the_due_date():
    assert late_penalty(D(1000), dt.date(2025, 3, 31), [], dt.date(2025, 3, 31), LEGAL) == D("0.00")
    assert late_penalty(D(1000), dt.date(2025, 3, 30), [(dt.date(2025, 3, 30), D(1000))],
                        dt.date(2025, 4, 30), LEGAL) == D("0.00")


def test_semesters_change_the_rate_day_by_day():
    # 2024-06-29 .. 2024-07-02: two days at 4.50+10 (H1), two days at 4.25+10 (H2)
    got = late_penalty(D(36500), dt.date(2024, 6, 28), [], dt.date(2024, 7, 2), LEGAL)
    expected = (D(36500) * 2 * D("14.50") + D(36500) * 2 * D("14.25")) / 100 / 365
    assert got == expected.quantize(D("0.01")) == D("57.50")


def test_leap_year_still_divides_by_365():
    # 29 days of February 2024 plus 1 March at a fixed 36.5 %: exactly 1 % of the balance per 10 days
    got = late_penalty(D(10000), dt.date(2024, 1, 31), [], dt.date(2024, 3, 1), RateTable("fixed", D("36.5")))
    assert got == D("300.00")


def test_unknown_semester_uses_latest_rate_and_says_so():
    table = RateTable()
    late_penalty(D(1000), dt.date(2026, 6, 1), [], dt.date(2026, 11, 23), table)
    assert (2026, 2) in table.guessed
    override = RateTable(overrides={(2026, 2): D("2.00")})
    late_penalty(D(1000), dt.date(2026, 6, 1), [], dt.date(2026, 11, 23), override)
    assert not override.guessed


def test_half_up_rounding_per_invoice():
    # 1 day on 1825 at 10 %: 0.5 exactly -> 0.50; on 1 EUR -> 0.000274 -> 0.00
    assert late_penalty(D(1825), dt.date(2025, 1, 1), [], dt.date(2025, 1, 2), RateTable("fixed", D(10))) == D("0.50")
    assert late_penalty(D(1), dt.date(2025, 1, 1), [], dt.date(2025, 1, 2), RateTable("fixed", D(10))) == D("0.00")
