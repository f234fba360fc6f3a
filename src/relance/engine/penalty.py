"""Late-payment penalties (C. com. L441-10) and the 40 EUR recovery indemnity (D441-5).

CONVENTIONS.md: interest accrues on each day t with due < t <= min(as_of, settlement), on the
positive balance at the end of day t-1, at annual rate / 365 (leap years included), rounded
half-up to the cent per invoice. In `legal_semester` mode the rate is the ECB refinancing rate
in force on 1 January or 1 July, plus 10 points, applied to the semester each day falls in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

# ECB main refinancing operations rate in force on 1 January (H1) and 1 July (H2), percent.
ECB_REFI_RATES: dict[tuple[int, int], Decimal] = {
    (2011, 1): Decimal("1.00"), (2011, 2): Decimal("1.25"),
    (2012, 1): Decimal("1.00"), (2012, 2): Decimal("1.00"),
    (2013, 1): Decimal("0.75"), (2013, 2): Decimal("0.50"),
    (2014, 1): Decimal("0.25"), (2014, 2): Decimal("0.15"),
    (2015, 1): Decimal("0.05"), (2015, 2): Decimal("0.05"),
    (2016, 1): Decimal("0.05"), (2016, 2): Decimal("0.00"),
    **{(y, h): Decimal("0.00") for y in range(2017, 2022) for h in (1, 2)},
    (2022, 1): Decimal("0.00"), (2022, 2): Decimal("0.00"),
    (2023, 1): Decimal("2.50"), (2023, 2): Decimal("4.00"),
    (2024, 1): Decimal("4.50"), (2024, 2): Decimal("4.25"),
    (2025, 1): Decimal("3.15"), (2025, 2): Decimal("2.15"),
    (2026, 1): Decimal("2.15"),
}
LEGAL_MARGIN = Decimal(10)
CENT = Decimal("0.01")
DAYS_PER_YEAR = Decimal(365)


def semester(day: dt.date) -> tuple[int, int]:
    return (day.year, 1 if day.month <= 6 else 2)


def semester_end(day: dt.date) -> dt.date:
    return dt.date(day.year, 6, 30) if day.month <= 6 else dt.date(day.year, 12, 31)


@dataclass
class RateTable:
    """Annual penalty rate (percent) per semester; remembers semesters it had to guess."""

    mode: str = "legal_semester"
    fixed_rate: Decimal | None = None
    overrides: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    guessed: set[tuple[int, int]] = field(default_factory=set)

    _cache: dict[tuple[int, int], Decimal] = field(default_factory=dict)

    def annual_rate(self, sem: tuple[int, int]) -> Decimal:
        found = self._cache.get(sem)
        if found is None:
            found = self._cache[sem] = self._annual_rate(sem)
        return found

    def _annual_rate(self, sem: tuple[int, int]) -> Decimal:
        if self.mode == "fixed" and self.fixed_rate is not None:
            return self.fixed_rate
        table = {**ECB_REFI_RATES, **self.overrides}
        if sem in table:
            return table[sem] + LEGAL_MARGIN
        earlier = [s for s in table if s < sem]
        self.guessed.add(sem)
        base = table[max(earlier)] if earlier else table[min(table)]
        return base + LEGAL_MARGIN


def _rate_days(balance: Decimal, first: dt.date, last: dt.date, rates: RateTable) -> Decimal:
    """Σ balance × days × annual rate (percent) over the days from `first` to `last` inclusive.

    Divided by 100 × 365 once, by the caller, so that a penalty is exact before its rounding.
    """
    total = Decimal(0)
    day = first
    while day <= last:
        end = min(semester_end(day), last)
        total += balance * ((end - day).days + 1) * rates.annual_rate(semester(day))
        day = end + dt.timedelta(days=1)
    return total


def interest(balance: Decimal, first: dt.date, last: dt.date, rates: RateTable) -> Decimal:
    """Unrounded interest on `balance` for every day from `first` to `last` inclusive."""
    return _rate_days(balance, first, last, rates) / (100 * DAYS_PER_YEAR)


def late_penalty(
    amount: Decimal,
    due: dt.date,
    allocations: Iterable[tuple[dt.date, Decimal]],
    as_of: dt.date,
    rates: RateTable,
) -> Decimal:
    """The penalty on one invoice at `as_of`, rounded half-up to the cent."""
    if as_of <= due:
        return Decimal("0.00")
    balance = amount
    events: dict[dt.date, Decimal] = {}
    for day, value in allocations:
        if day <= due:
            balance -= value
        elif day <= as_of:
            events[day] = events.get(day, Decimal(0)) + value
    if balance <= 0:
        return Decimal("0.00")
    total = Decimal(0)
    previous = due  # `balance` is the balance at the end of day `previous`
    for day in sorted(events):
        if balance <= 0:
            break
        total += _rate_days(balance, previous + dt.timedelta(days=1), day, rates)
        balance -= events[day]
        previous = day
    if balance > 0 and previous < as_of:
        total += _rate_days(balance, previous + dt.timedelta(days=1), as_of, rates)
    return (total / (100 * DAYS_PER_YEAR)).quantize(CENT, rounding=ROUND_HALF_UP)
