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
from itertools import compress, count, repeat
from operator import is_
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
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

#: Rows the fast paths of Factures and Reglements read at a time: a block's cells (and the
#: records they meet: a payment's invoice) stay nearer the processor from one check to the next,
#: and its columns are the only per-row lists the reading keeps besides the records (a million
#: rows' columns at once would hold 100 MB more at the peak). Measured at 100k and 1M rows:
#: 16384 is as fast as the former row loop at 1M, smaller blocks cost more than they save.
BLOCK = 16384


def distinct_texts(column: Sequence[CellValue]) -> set[str | None]:
    """The distinct text (and blank) cells of a column; other cells are left to the row-by-row reading."""
    try:
        found: set[CellValue] = set(column)
    except TypeError:  # Decimal('sNaN') cannot be hashed
        found = {v for v in column if v is None or type(v) is str}
    return {v for v in found if v is None or type(v) is str}


def texts(column: Sequence[CellValue]) -> list[str]:
    """cells.text of every cell of a column (most such columns are blank)."""
    if column and type(column[0]) is str:
        try:  # text() of a str is its strip(): a column of text is read in one look at each cell
            return list(map(str.strip, column))  # type: ignore[arg-type]
        except TypeError:
            pass
    kinds = set(map(type, column))
    if kinds == {str}:  # text() of a str is its strip(), at C speed
        return list(map(str.strip, column))  # type: ignore[arg-type]
    if kinds <= {type(None)}:
        return [""] * len(column)
    if kinds <= {str, type(None)}:
        return ["" if v is None else v.strip() for v in column]  # type: ignore[union-attr]
    return list(map(text, column))


#: Rows transposed this many at a time: a block's cells stay in the processor's cache while its
#: columns are taken out (a whole 100k-row tab transposed at once costs 2-4x as much).
_TRANSPOSED = 2048


def columns(rows: Sequence[Sequence[CellValue]], indexes: Sequence[int | None]) -> list[list[CellValue]]:
    """The cells of several columns (0-based `indexes`; None: a column the tab lacks), one list
    per index, in row order; a column the tab lacks, or a short row, gives None. What
    engine/table.Table.raw_columns gives, transposed a block of rows at a time."""
    n = len(rows)
    found: list[list[CellValue]] = [[] for _ in indexes]
    wanted = [(column, j) for column, j in zip(found, indexes, strict=True) if j is not None]
    top = max((j for _, j in wanted), default=-1)
    for start in range(0, n, _TRANSPOSED):
        block = rows[start:start + _TRANSPOSED]
        if min(map(len, block)) > top:
            transposed = list(zip(*block, strict=False))
            for column, j in wanted:
                column.extend(transposed[j])
        else:  # ragged rows: a short one gives None
            for column, j in wanted:
                column.extend([r[j] if j < len(r) else None for r in block])
    for k, index in enumerate(indexes):
        if index is None:
            found[k] = [None] * n
    return found


def shared_dates(column: Sequence[CellValue], canon: dict[CellValue, CellValue],
                 day_of: dict[CellValue, int]) -> tuple[list[CellValue], list[int]]:
    """A column of date cells with one date object per distinct date (`canon`, kept across
    columns), and each cell's day number (`day_of`, kept with it): its ordinal for a date cell
    (exactly a date, not a datetime) from FIRST_DATE to LAST_DATE, 0 for a blank cell (None or
    ""), -1 for any other."""
    try:
        values: list[CellValue] = list(map(canon.setdefault, column, column))
    except TypeError:  # Decimal('sNaN') cannot be hashed: such a cell is read as it is
        values = [canon.setdefault(v, v) if v is None or type(v) in (str, dt.date) else v for v in column]
    first, last, date = FIRST_DATE, LAST_DATE, dt.date
    for v in canon.keys() - day_of.keys():
        day_of[v] = ((v.toordinal() if first <= v <= last else -1) if type(v) is date
                     else 0 if v is None or v == "" else -1)
    try:
        days = list(map(day_of.get, values, repeat(-1)))
    except TypeError:
        days = [day_of.get(v, -1) if v is None or type(v) in (str, dt.date) else -1 for v in values]
    return values, days


def decimals(amounts: npt.NDArray[np.float64], units: Decimal | Sequence[Decimal],
             shared: dict[int, dict[int, Decimal]] | None = None) -> tuple[list[Decimal], list[int]]:
    """Float amounts as Decimals rounded half-up to their unit (one for all, or one each): what
    `Decimal(repr(amount)).quantize(unit, rounding=ROUND_HALF_UP)` gives, computed on whole
    columns; and the positions of the amounts with more decimals than their unit (the rounding
    changed them).

    An amount below MAX_AMOUNT whose unit has at most 3 decimals (every ISO 4217 currency but
    two) is exact at the unit when `rint(amount * 10**p) / 10**p == amount`: then that integer
    over 10**p, a number of at most 15 digits, is the number repr() writes (a float holds every
    number of 15 digits apart from the others), so the Decimal is that integer scaled. Any other
    amount takes the Decimal(repr()) road.

    `shared` (kept by the caller across blocks: places -> integer -> its Decimal) makes equal
    amounts of that exact road one object: a Decimal is 104 bytes, and a big book's amounts repeat."""
    n = len(amounts)
    found: list[Decimal] = []
    extra: list[int] = []
    values = amounts
    groups: list[tuple[Decimal, npt.NDArray[np.intp] | None]]
    if isinstance(units, Decimal):
        groups = [(units, None)]
    else:
        distinct = {id(u): u for u in units}
        code = {key: k for k, key in enumerate(distinct)}
        unit_code = np.fromiter(map(code.__getitem__, map(id, units)), np.intp, n)
        groups = [(u, np.flatnonzero(unit_code == code[key])) for key, u in distinct.items()]
        found = [_ZERO] * n
    scaleb, half_up = Decimal.scaleb, ROUND_HALF_UP
    for unit, at in groups:
        sign, digits, exponent = unit.as_tuple()
        x = values if at is None else values[at]
        places = -exponent if isinstance(exponent, int) else 99
        made: list[Decimal]
        if (sign, digits) == (0, (1,)) and 0 <= places <= 3 and bool((abs(x) < 1e12).all()):
            scale = 10.0 ** places
            scaled = np.rint(x * scale)
            exact = scaled / scale == x
            ints = scaled.astype(np.int64).tolist()
            if shared is None:
                made = list(map(scaleb, map(Decimal, ints), repeat(-places)))
            else:
                of = shared.setdefault(places, {})
                made = list(map(of.get, ints))  # type: ignore[arg-type]  # None: not met yet
                for k in compress(count(), map(is_, made, repeat(None))):
                    i = ints[k]
                    known = of.get(i)
                    made[k] = known if known is not None else of.setdefault(i, scaleb(Decimal(i), -places))
            inexact = np.flatnonzero(~exact).tolist()
        else:
            made = [_ZERO] * len(x)
            inexact = list(range(len(x)))
        for k in inexact:
            given = Decimal(repr(float(x[k])))
            made[k] = given.quantize(unit, rounding=half_up)
            if made[k] != given:
                extra.append(k if at is None else int(at[k]))
        if at is None:
            found = made
        else:
            for k, d in zip(at.tolist(), made, strict=True):
                found[k] = d
    extra.sort()
    return found, extra


_ZERO = Decimal(0)


def text_cells(column: Sequence[CellValue], blank: bool) -> tuple[list[str], list[int]]:
    """`texts(column)`, and the positions of the cells that are not text (nor None, if `blank`):
    one look at each cell's type (each look at a cell read from a sheet is a trip to memory)."""
    if column and type(column[0]) is str:
        try:  # a column of text, in one look at each cell
            return list(map(str.strip, column)), []  # type: ignore[arg-type]
        except TypeError:
            pass
    kinds = set(map(type, column))
    allowed = _TEXT_OR_BLANK if blank else _TEXT
    odd = [] if kinds <= allowed else [k for k, v in enumerate(column) if type(v) not in allowed]
    if kinds <= _TEXT_OR_BLANK:
        return ["" if v is None else v.strip() for v in column], odd  # type: ignore[union-attr]
    return list(map(text, column)), odd


_TEXT = frozenset({str})
_TEXT_OR_BLANK = frozenset({str, type(None)})


def positive_floats(column: Sequence[CellValue]) -> tuple[npt.NDArray[np.float64], list[int]]:
    """A column of amounts as floats, and the positions of the cells that are not a float above 0
    and below MAX_AMOUNT (1.0 stands in for them)."""
    n = len(column)
    if set(map(type, column)) == {float}:
        values = np.fromiter(column, np.float64, n)
        bad = np.flatnonzero(~((values > 0) & (values < 1e12))).tolist()
    else:
        bad = [k for k, v in enumerate(column) if type(v) is not float or not 0 < v < 1e12]
        values = np.fromiter((1.0 if type(v) is not float else v for v in column), np.float64, n)
    if bad:
        values[bad] = 1.0
    return values, bad
