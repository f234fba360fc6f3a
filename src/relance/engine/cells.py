"""Parsing one cell into a typed value, or a reason it could not be.

Each parser returns `(value, problem)`; `problem` is a `(message, hint)` pair or None, so the caller,
which knows the cell's address, builds the Anomaly. Nothing here raises on bad input.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType

from babel.numbers import get_currency_precision, list_currencies

Problem = tuple[str, str] | None

DATE_HINT = "write it as 2025-02-28 (ISO) or 28/02/2025, or make it a real date cell"
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre")


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


def _checked_date(y: int, m: int, d: int, raw: str) -> tuple[dt.date | None, Problem]:
    try:
        return dt.date(y, m, d), None
    except ValueError:
        if 1 <= m <= 12:
            last = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)).day
            return None, (
                f"is not a real date ({_MONTHS_FR[m - 1]} {y} has {last} days)",
                f"correct the day, e.g. {y:04d}-{m:02d}-{last:02d}",
            )
        return None, ("is not a real date (no month " + str(m) + ")", DATE_HINT)


def parse_date(value: object) -> tuple[dt.date | None, Problem]:
    """Date cells, ISO text, French dd/mm/yyyy text, or an Excel serial number."""
    if value is None or value == "":
        return None, None
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, bool):
        return None, ("is not a date", DATE_HINT)
    if isinstance(value, int | float):
        if 20000 <= value <= 80000:  # an Excel serial number in a cell not formatted as a date
            return _EXCEL_EPOCH + dt.timedelta(days=int(value)), None
        return None, ("is a number, not a date", DATE_HINT)
    raw = str(value).strip()
    if m := _ISO.match(raw):
        return _checked_date(int(m[1]), int(m[2]), int(m[3]), raw)
    if m := _DMY.match(raw):
        return _checked_date(int(m[3]), int(m[2]), int(m[1]), raw)
    return None, ("is not a date", DATE_HINT)


_AMOUNT_JUNK = re.compile(r"[\s\u00a0\u202f€$£]|EUR|USD|GBP|CHF", re.IGNORECASE)


def parse_amount(value: object) -> tuple[Decimal | None, Problem]:
    """Numbers, or text such as '1 234,56' / '1234.56' / '1 234,56 €'. Never goes through float math."""
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return None, ("is not an amount", "enter a number such as 1234.56")
    if isinstance(value, int):
        return Decimal(value), None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None, ("is not an amount", "enter a number such as 1234.56")
        # repr() is the shortest text that reads back as the same float: 1234.56, not 1234.5599…
        return Decimal(repr(value)), None
    if isinstance(value, Decimal):
        return value, None
    raw = _AMOUNT_JUNK.sub("", str(value))
    if raw.count(",") and raw.count("."):
        if raw.rfind(",") > raw.rfind("."):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", "")
    elif raw.count(",") == 1:
        raw = raw.replace(",", ".")
    elif raw.count(",") > 1:
        return None, ("is not an amount", "write it as 1234,56 or 1234.56")
    if raw.startswith("(") and raw.endswith(")"):
        raw = "-" + raw[1:-1]
    try:
        number = Decimal(raw)
    except InvalidOperation:
        return None, ("is not an amount", "enter a number such as 1234.56 (or 1 234,56)")
    if not number.is_finite():
        return None, ("is not an amount", "enter a number such as 1234.56")
    return number, None


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
    return None, ("is not an ISO 4217 currency code", "use a code such as EUR, USD, GBP or CHF")


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
    return None, ("is neither yes nor no", "write oui/non (or yes/no), or tick the box")


def parse_int(value: object) -> tuple[int | None, Problem]:
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return None, ("is not a whole number", "enter a whole number such as 7 or -5")
    if isinstance(value, int):
        return value, None
    if isinstance(value, float) and value.is_integer():
        return int(value), None
    try:
        return int(text(value).replace("J", "").replace("j", "").replace("+", "")), None
    except ValueError:
        return None, ("is not a whole number", "enter a whole number such as 7 or -5")
