"""Sales / CA_mensuel: monthly credit sales incl. VAT, per currency (optional tab).

A month written here replaces the sales relance would derive from the invoices, so a user who
keeps only open invoices in the sheet still gets a true DSO. A bad row is skipped and reported;
the month then falls back to the invoices.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import NamedTuple

from relance.engine import cells
from relance.engine.anomaly import Source
from relance.engine.catalog import anomalies as A
from relance.engine.cells import Problem
from relance.engine.formats import Money
from relance.engine.settings import Settings
from relance.engine.table import Collector, Table

MONTH_HINT = A.MONTH_HINT()
#: What parse_date says of a date cell that is kept as said (the others become "is not a month").
_KEPT = (A.NOT_A_REAL_DAY, A.NO_SUCH_MONTH_DATE, A.YEAR_OUT_OF_RANGE, A.SERIAL_OUT_OF_RANGE)
_YEAR_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/.](\d{4})$")


class MonthlySales(NamedTuple):
    month: str  # YYYY-MM
    currency: str
    amount: Decimal
    source: Source


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _checked(year: int, month: int) -> tuple[str | None, Problem]:
    if problem := cells.year_out_of_range(year):
        return None, problem
    if 1 <= month <= 12:
        return f"{year:04d}-{month:02d}", None
    return None, (A.NO_SUCH_MONTH(month=month), MONTH_HINT)


def parse_month(value: object) -> tuple[str | None, Problem]:
    """`YYYY-MM` text (also `MM/YYYY`), a date cell or ISO date text: the month it falls in."""
    if value is None or value == "":
        return None, None
    if isinstance(value, dt.date):  # datetime too
        return (None, problem) if (problem := cells.out_of_range(value)) else (month_of(value), None)
    if isinstance(value, bool):
        return None, (A.NOT_A_MONTH(), MONTH_HINT)
    raw = value.strip() if isinstance(value, str) else value
    if isinstance(raw, str):
        if m := _YEAR_MONTH.match(raw):
            return _checked(int(m[1]), int(m[2]))
        if m := _MONTH_YEAR.match(raw):
            return _checked(int(m[2]), int(m[1]))
    day, problem = cells.parse_date(raw)  # a full date (text or Excel serial) names its month
    if problem:
        if problem[0].phrase in _KEPT:
            return None, problem
        return None, (A.NOT_A_MONTH(), MONTH_HINT)
    return (month_of(day), None) if day is not None else (None, None)


_KEYS = ("month", "currency", "amount")


def parse_sales(
    table: Table | None, settings: Settings, out: Collector
) -> dict[str, dict[str, MonthlySales]]:
    """Sales per currency then month; duplicates keep the first row."""
    sales: dict[str, dict[str, MonthlySales]] = {}
    if table is None:
        return sales
    indexes = table.indexes(_KEYS)
    for row in table:
        raw_month, raw_currency, raw_amount = row.values(indexes)
        month, problem = parse_month(raw_month)
        if problem or month is None:
            out.add(row.source("month"), raw_month, A.ROW_SKIPPED(problem=problem[0] if problem else A.BLANK()),
                    problem[1] if problem else MONTH_HINT, "R801")
            continue
        currency, problem = cells.parse_currency(raw_currency, settings.default_currency)
        if problem or currency is None:
            out.add(row.source("currency"), raw_currency, A.ROW_SKIPPED(problem=A.NOT_A_CURRENCY()),
                    A.CURRENCY_HINT(), "R802")
            continue
        amount, problem = cells.parse_amount(raw_amount)
        if problem or amount is None:
            out.add(row.source("amount"), raw_amount, A.ROW_SKIPPED(problem=problem[0] if problem else A.BLANK()),
                    problem[1] if problem else A.R803_HINT(), "R803")
            continue
        if amount < 0:
            out.add(row.source("amount"), raw_amount, A.ROW_SKIPPED(problem=A.NEGATIVE()), A.R804_HINT(), "R804")
            continue
        rounded = cells.quantize(amount, currency)
        if rounded != amount:
            out.warn(row.source("amount"), raw_amount, A.MORE_DECIMALS(currency=currency, rounded=Money(rounded, currency)),
                     A.ROUND_TO_CENTS(), "R805")
        months = sales.setdefault(currency, {})
        first = months.get(month)
        if first is not None:
            out.add(row.source("month"), raw_month,
                    A.R806_SECOND_ROW(month=month, currency=currency, first=first.source.said()), A.R806_HINT(),
                    "R806")
            continue
        months[month] = MonthlySales(month, currency, rounded, row.source())
    return sales
