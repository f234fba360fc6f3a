"""Parsing one cell into a typed value, or a reason it could not be.

Each parser returns `(value, problem)`; `problem` is a `(problem, fix)` pair of Said (the catalog's
words, relance.engine.catalog.anomalies) or None, so the caller, which knows the cell's address,
builds the Anomaly. Nothing here raises on bad input.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType

from babel.numbers import get_currency_precision, list_currencies

from relance.engine.catalog import anomalies as A
from relance.engine.i18n import Said
from relance.engine.sheets import CellValue

Problem = tuple[Said, Said] | None

DATE_HINT = A.DATE_HINT()
#: The dates relance reads. Outside, a date is a typo (9999-12-31, 0025-03-01), and the
#: arithmetic done on it (due date + terms, + 5 years of prescription, penalties day by day)
#: could leave what Python's dates can hold (year 9999): such a cell is an error on its row.
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2200, 12, 31)
RANGE_HINT = A.RANGE_HINT(first=FIRST_DATE.year, last=LAST_DATE.year)
#: The largest amount, in absolute value, relance reads: 999 999 999 999.99. Beyond, a cell is a
#: typo or a pasted reference; Decimal arithmetic at 28 digits (cents, penalties day by day,
#: sums over 100 000 invoices) stays exact well past it.
MAX_AMOUNT = Decimal(10) ** 12
AMOUNT_RANGE_HINT = A.AMOUNT_RANGE_HINT()
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_LAST_SERIAL = 2958465  # 9999-12-31, the last date Excel has
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_MONTHS = (A.JANUARY, A.FEBRUARY, A.MARCH, A.APRIL, A.MAY, A.JUNE, A.JULY, A.AUGUST, A.SEPTEMBER,
           A.OCTOBER, A.NOVEMBER, A.DECEMBER)


def text(value: object) -> str:
    """A cell as text: numbers typed as ids (1001.0) come back as '1001'."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value).strip()


def out_of_range(day: dt.date) -> Problem:
    """The problem with a date (or datetime) outside FIRST_DATE .. LAST_DATE, else None."""
    if isinstance(day, dt.datetime):
        day = day.date()
    if FIRST_DATE <= day <= LAST_DATE:
        return None
    return year_out_of_range(day.year)


def year_out_of_range(year: int) -> Problem:
    """The problem with a year outside FIRST_DATE.year .. LAST_DATE.year, else None."""
    if FIRST_DATE.year <= year <= LAST_DATE.year:
        return None
    return A.YEAR_OUT_OF_RANGE(year=year, first=FIRST_DATE.year, last=LAST_DATE.year), RANGE_HINT


def _in_range(day: dt.date) -> tuple[dt.date | None, Problem]:
    problem = out_of_range(day)
    return (None, problem) if problem else (day, None)


def _checked_date(y: int, m: int, d: int, raw: str) -> tuple[dt.date | None, Problem]:
    if problem := year_out_of_range(y):
        return None, problem
    try:
        return dt.date(y, m, d), None
    except ValueError:
        if 1 <= m <= 12:
            last = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)).day
            return None, (A.NOT_A_REAL_DAY(month=_MONTHS[m - 1](), year=y, last=last),
                          A.CORRECT_DAY(year=y, month=m, last=last))
        return None, (A.NO_SUCH_MONTH_DATE(month=m), DATE_HINT)


def parse_date(value: object) -> tuple[dt.date | None, Problem]:
    """Date cells, ISO text, French dd/mm/yyyy text, or an Excel serial number."""
    if value is None or value == "":
        return None, None
    if isinstance(value, dt.datetime):
        return _in_range(value.date())
    if isinstance(value, dt.date):
        return _in_range(value)
    if isinstance(value, bool):
        return None, (A.NOT_A_DATE(), DATE_HINT)
    if isinstance(value, int | float):
        if 20000 <= value <= 80000:  # an Excel serial number in a cell not formatted as a date
            return _EXCEL_EPOCH + dt.timedelta(days=int(value)), None  # 1954 .. 2119
        if 80000 < value <= _EXCEL_LAST_SERIAL:
            day = _EXCEL_EPOCH + dt.timedelta(days=int(value))
            return None, (A.SERIAL_OUT_OF_RANGE(day=day), RANGE_HINT)
        return None, (A.NUMBER_NOT_DATE(), DATE_HINT)
    raw = str(value).strip()
    if m := _ISO.match(raw):
        return _checked_date(int(m[1]), int(m[2]), int(m[3]), raw)
    if m := _DMY.match(raw):
        return _checked_date(int(m[3]), int(m[2]), int(m[1]), raw)
    return None, (A.NOT_A_DATE(), DATE_HINT)


_AMOUNT_JUNK = re.compile(r"[\s\u00a0\u202f€$£]|EUR|USD|GBP|CHF", re.IGNORECASE)


def amount_out_of_range(number: Decimal) -> Problem:
    """The problem with an amount of MAX_AMOUNT or more in absolute value, else None."""
    if -MAX_AMOUNT < number < MAX_AMOUNT:
        return None
    return A.AMOUNT_TOO_LARGE(), AMOUNT_RANGE_HINT


def _amount(number: Decimal) -> tuple[Decimal | None, Problem]:
    problem = amount_out_of_range(number)
    return (None, problem) if problem else (number, None)


def parse_amount(value: object) -> tuple[Decimal | None, Problem]:
    """Numbers, or text such as '1 234,56' / '1234.56' / '1 234,56 €'. Never goes through float math.

    Amounts are below MAX_AMOUNT in absolute value; decimals beyond the currency's are kept
    (the caller rounds them, and says so where it matters: Factures R109)."""
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return None, (A.NOT_AN_AMOUNT(), A.AMOUNT_HINT())
    if isinstance(value, int):
        return _amount(Decimal(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            return None, (A.NOT_AN_AMOUNT(), A.AMOUNT_HINT())
        # repr() is the shortest text that reads back as the same float: 1234.56, not 1234.5599…
        return _amount(Decimal(repr(value)))
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None, (A.NOT_AN_AMOUNT(), A.AMOUNT_HINT())
        return _amount(value)
    raw = _AMOUNT_JUNK.sub("", str(value))
    if raw.count(",") and raw.count("."):
        if raw.rfind(",") > raw.rfind("."):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", "")
    elif raw.count(",") == 1:
        raw = raw.replace(",", ".")
    elif raw.count(",") > 1:
        return None, (A.NOT_AN_AMOUNT(), A.AMOUNT_SEPARATORS_HINT())
    if raw.startswith("(") and raw.endswith(")"):
        raw = "-" + raw[1:-1]
    try:
        number = Decimal(raw)
    except InvalidOperation:
        return None, (A.NOT_AN_AMOUNT(), A.AMOUNT_TEXT_HINT())
    if not number.is_finite():
        return None, (A.NOT_AN_AMOUNT(), A.AMOUNT_HINT())
    return _amount(number)


#: ISO 4217 codes babel knows, and each one's minor unit (0.01 for EUR, 1 for JPY).
KNOWN_CURRENCIES = frozenset(list_currencies())
_MINOR_UNITS = MappingProxyType({c: Decimal(1).scaleb(-get_currency_precision(c)) for c in KNOWN_CURRENCIES})


def known_currencies() -> frozenset[str]:
    """The ISO 4217 codes a currency cell may hold."""
    return KNOWN_CURRENCIES


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of `currency` (0.01 for EUR)."""
    unit = _MINOR_UNITS.get(currency)
    return unit if unit is not None else Decimal(1).scaleb(-get_currency_precision(currency))


def parse_currency(value: object, default: str) -> tuple[str | None, Problem]:
    """An ISO 4217 code from a cell (blank: `default`), or the problem with it."""
    if type(value) is str and value in KNOWN_CURRENCIES:  # most cells: "EUR" as written
        return value, None
    raw = text(value).upper() or default
    if raw in KNOWN_CURRENCIES:
        return raw, None
    return None, (A.NOT_A_CURRENCY(), A.CURRENCY_HINT())


def quantize(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half-up to the currency's minor unit."""
    unit = _MINOR_UNITS.get(currency) or minor_unit(currency)
    return amount.quantize(unit, rounding=ROUND_HALF_UP)


_TRUE = {"1", "yes", "y", "oui", "o", "true", "vrai", "x", "✓", "✔", "on"}
_FALSE = {"0", "no", "n", "non", "false", "faux", "off", ""}


def parse_bool(value: object) -> tuple[bool | None, Problem]:
    if value is None:
        return False, None
    if isinstance(value, bool):
        return value, None
    raw = text(value).lower()
    if raw in _TRUE:
        return True, None
    if raw in _FALSE:
        return False, None
    return None, (A.NOT_YES_OR_NO(), A.YES_OR_NO_HINT())


def parse_int(value: object) -> tuple[int | None, Problem]:
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return None, (A.NOT_A_WHOLE_NUMBER(), A.WHOLE_NUMBER_HINT())
    if isinstance(value, int):
        return value, None
    if isinstance(value, float) and value.is_integer():
        return int(value), None
    try:
        return int(text(value).replace("J", "").replace("j", "").replace("+", "")), None
    except ValueError:
        return None, (A.NOT_A_WHOLE_NUMBER(), A.WHOLE_NUMBER_HINT())


# Column-wise helpers of the record parsers' fast paths (engine/invoice.py, payment.py, customer.py).


def distinct_texts(column: Sequence[CellValue]) -> set[str | None]:
    """The distinct text (and blank) cells of a column; other cells are left to the row-by-row reading."""
    try:
        found: set[CellValue] = set(column)
    except TypeError:  # Decimal('sNaN') cannot be hashed
        found = {v for v in column if v is None or type(v) is str}
    return {v for v in found if v is None or type(v) is str}


def texts(column: Sequence[CellValue]) -> list[str]:
    """cells.text of every cell of a column (most such columns are blank)."""
    kinds = set(map(type, column))
    if kinds == {str}:  # text() of a str is its strip(), at C speed
        return list(map(str.strip, column))  # type: ignore[arg-type]
    if kinds <= {type(None)}:
        return [""] * len(column)
    if kinds <= {str, type(None)}:
        return ["" if v is None else v.strip() for v in column]  # type: ignore[union-attr]
    return list(map(text, column))
