"""The one formatter: money, numbers, percentages and dates as the reader's language writes them.

Every text relance produces (messages, letters, the report, the Dashboard, the console, the
Anomalies tab) formats through here, so an amount reads the same everywhere and rounds one way:
half-up to the currency's minor unit (babel alone rounds half-even). French output uses
no-break spaces inside figures (U+00A0, which every mail client and font knows) and writes the
first of the month "1er".
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import (
    format_compact_currency,
    format_currency,
    format_decimal,
    get_currency_precision,
)

from relance.engine.i18n import Lang, lang_of

#: The locale each language is formatted with when the workbook names none.
LOCALES = {Lang.fr: "fr_FR", Lang.en: "en_GB"}
_VOWEL_START = re.compile(r"^[aeiouyhàâäéèêëîïôöûüœæAEIOUYHÀÂÄÉÈÊËÎÏÔÖÛÜŒÆ]")


def half_up(amount: Decimal, digits: int = 2) -> Decimal:
    """`amount` rounded half-up to `digits` decimals: the one rounding rule of every figure shown."""
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def json_number(value: Decimal | None, digits: int = 2) -> float | None:
    """A figure (days, a percentage, a ratio) as `relance report --json` gives it: half-up to
    `digits` decimals, then a float; None stays null. The one rounding rule of the JSON figures,
    the same as the text's (docs/figures.md)."""
    return None if value is None else float(half_up(value, digits))


def minor_unit(currency: str) -> int:
    """The currency's decimals (2 for EUR, 0 for JPY); 2 for a code babel does not know."""
    try:
        return int(get_currency_precision(currency.strip().upper()))
    except (ValueError, AttributeError):
        return 2


def _decimal(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError(f"expected a number, got {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise TypeError(f"expected a number, got {value!r}") from None


def _nbsp(text: str) -> str:
    # CLDR's French grouping separator is U+202F (narrow no-break space), which some mail
    # clients and fonts render badly; U+00A0 is a no-break space every client knows.
    return text.replace("\u202f", "\u00a0")


class Formats:
    """The formatter of one locale. Cheap to build; keep one per run or per language."""

    def __init__(self, locale: str | Lang = Lang.fr) -> None:
        self.lang = lang_of(locale)
        name = LOCALES[self.lang] if str(locale) in (Lang.fr, Lang.en) else str(locale)
        try:
            self.locale = Locale.parse(name.replace("-", "_"))
        except (ValueError, TypeError):
            self.locale = Locale.parse(LOCALES[self.lang])
        self.french = self.lang == Lang.fr
        self._currencies: dict[str, _CurrencyFormat] = {}
        self._seen: set[str] = set()  # currencies written once (by babel)

    def money(self, amount: object, currency: str) -> str:
        """``1 234,56 €`` (fr) / ``€1,234.56`` (en), rounded half-up to the currency's digits.

        The first amount of a currency is written by babel itself (unless it rounds to zero: the
        fast formatter writes -0 unsigned); the second builds the fast formatter of that currency
        (about twenty babel calls: worth it for a report or a run's messages, not for the one
        figure of a phrase), which writes what babel writes."""
        code = str(currency or "").strip().upper() or "EUR"
        fmt = self._currencies.get(code)
        if fmt is None:
            value = _decimal(amount)
            rounded = value.quantize(Decimal(1).scaleb(-get_currency_precision(code)), rounding=ROUND_HALF_UP)
            if code not in self._seen and rounded:  # a zero may be -0, which babel writes signed
                self._seen.add(code)
                return _nbsp(format_currency(rounded, code, locale=self.locale))
            fmt = self._currencies[code] = _CurrencyFormat(self.locale, code)
        return _nbsp(fmt(_decimal(amount)))

    def number(self, value: object, digits: int | None = None) -> str:
        """``1 234,5`` (fr) / ``1,234.5`` (en); `digits` fixes the decimals (half-up)."""
        amount = _decimal(value)
        if digits is None:
            return _nbsp(format_decimal(amount, locale=self.locale))
        amount = half_up(amount, digits)
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return _nbsp(format_decimal(amount, format=pattern, locale=self.locale))

    def percent(self, points: object, digits: int = 1) -> str:
        """Percentage points as written: 12.5 -> ``12,5 %`` (fr) / ``12.5%`` (en)."""
        text = self.number(points, digits)
        return f"{text}\u00a0%" if self.french else f"{text}%"

    def compact_money(self, amount: object, currency: str) -> str:
        """``123,5 k€`` / ``€123.5K``: an amount for a chart's axis or label (tables give it exactly)."""
        value = _decimal(amount)
        rounded = half_up(value, 0) if abs(value) < 1000 else value
        return _nbsp(format_compact_currency(rounded, str(currency or "EUR").strip().upper(),
                                             locale=self.locale, fraction_digits=1))

    def days(self, value: object, digits: int | None = 1) -> str:
        """A duration in days: ``82,5 jours`` / ``82.5 days`` (``1 jour`` / ``1 day``); with
        `digits` None, up to one decimal and no trailing zero (``100 jours``, ``12,5 jours``)."""
        amount = half_up(_decimal(value), 1 if digits is None else digits)
        if digits is None:
            amount = amount.normalize() if amount else Decimal(0)
            amount = amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount
        one = abs(amount) < 2 if self.french else amount == 1
        word = ("jour" if one else "jours") if self.french else ("day" if one else "days")
        return f"{self.number(amount, digits)}\u00a0{word}"

    def date(self, value: dt.date | None) -> str:
        """A date in prose: ``1er décembre 2026`` / ``1 December 2026`` (no-break spaces)."""
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            value = value.date()
        return self.pattern_date(value, "d MMMM y").replace(" ", "\u00a0")

    def pattern_date(self, value: dt.date, pattern: str) -> str:
        """A date in a babel pattern or format name (``medium``, ``EEEE d MMMM``); in French a
        day written alone first ("d MMMM") is "1er" on the first of the month."""
        if isinstance(value, dt.datetime):
            value = value.date()
        text = str(format_date(value, pattern, locale=self.locale))
        if self.french and value.day == 1 and re.match(r"1(?=[ \u00a0])", text) \
                and not pattern.startswith(("dd", "full")):
            text = "1er" + text[1:]
        return text

    def short_date(self, value: dt.date | None) -> str:
        """A date in a table: ``01/12/2026`` (fr) / ``1 Dec 2026`` (en, unambiguous)."""
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            value = value.date()
        return format_date(value, "dd/MM/y" if self.french else "d MMM y", locale=self.locale)

    def datetime(self, value: dt.datetime | None) -> str:
        """``01/12/2026 08:05`` (fr) / ``1 Dec 2026 08:05`` (en)."""
        if value is None:
            return ""
        pattern = "dd/MM/y HH:mm" if self.french else "d MMM y HH:mm"
        return format_datetime(value, pattern, locale=self.locale)

    def month(self, value: dt.date) -> str:
        """``novembre 2026`` / ``November 2026``."""
        return format_date(value, "LLLL y", locale=self.locale)

    def period(self, start: dt.date, end: dt.date) -> str:
        """``du 1er au 30 novembre 2026`` / ``1–30 November 2026``; a whole month as its name."""
        if self.french:
            return f"du {self.date(start)} au {self.date(end)}"
        return f"{self.date(start)} – {self.date(end)}"

    def of(self, name: str) -> str:
        """French elision: ``d'Alain``, ``de Martin``; English ``of Alain``."""
        name = name.strip()
        if not self.french:
            return f"of {name}"
        return f"d'{name}" if _VOWEL_START.match(name) else f"de {name}"

    def count(self, n: int, one: str, many: str) -> str:
        """``1 client`` / ``2 clients`` / ``0 client`` (fr) / ``0 customers`` (en), grouped digits."""
        single = abs(n) < 2 if self.french else n == 1
        return f"{self.number(n, 0)}\u00a0{one if single else many}"


def formats(locale: str | Lang) -> Formats:
    """A formatter for `locale` (fr_FR, en_GB, fr, en)."""
    return Formats(locale)


# Figures inside a catalog phrase (relance.engine.i18n.Said arguments), formatted in the language
# the phrase is rendered in.


class Moment(NamedTuple):
    """A time another run left in its lock or lease (ISO text), as the reader's language writes
    it: in UTC, said so, when `utc` (a lease kept by servers), else at its own offset (the local
    time of the machine that wrote it); the text as found when it is not a time."""

    text: str
    utc: bool = False

    def shown(self, lang: str) -> str:
        try:
            moment = dt.datetime.fromisoformat(self.text)
        except ValueError:
            return self.text or "?"
        if self.utc:
            return f"{formats(lang).datetime(moment.astimezone(dt.UTC))} UTC"
        return formats(lang).datetime(moment)


class Money(NamedTuple):
    amount: Decimal
    currency: str

    def shown(self, lang: str) -> str:
        return formats(lang).money(self.amount, self.currency)


class Number(NamedTuple):
    """`digits` fixes the decimals; `trim` rounds to them and drops trailing zeros (5,0 -> 5)."""

    value: Decimal | int
    digits: int | None = None
    trim: bool = False

    def shown(self, lang: str) -> str:
        if self.trim and self.digits is not None:
            q = half_up(Decimal(self.value), self.digits)
            q = q.quantize(Decimal(1)) if q == q.to_integral_value() else q.normalize()
            return formats(lang).number(q)
        return formats(lang).number(self.value, self.digits)


class Percent(NamedTuple):
    points: Decimal | int
    digits: int = 1

    def shown(self, lang: str) -> str:
        return formats(lang).percent(self.points, self.digits)


class Days(NamedTuple):
    value: Decimal | int
    digits: int | None = 1

    def shown(self, lang: str) -> str:
        return formats(lang).days(self.value, self.digits)


class _CurrencyFormat:
    """Formats amounts of one currency in one locale exactly as babel's format_currency does,
    about ten times faster: the locale's layout (prefix, suffix, separators) is read once from
    babel, then applied with str.format. Any disagreement with babel on a set of probes at
    construction (unusual grouping, digit systems) makes it defer to babel for every call."""

    _PROBES = ("0", "0.5", "7", "12.3", "999.99", "1000", "12345.6", "1234567.89", "100000000")

    def __init__(self, locale: Locale, currency: str) -> None:
        self.locale = locale
        self.currency = currency
        self.digits = get_currency_precision(currency)
        self.step = Decimal(1).scaleb(-self.digits)
        self.fast = False
        try:
            self.frac = ("89" + "1" * self.digits)[: self.digits]
            probe = Decimal("1234567." + self.frac) if self.digits else Decimal(1234567)
            self.pos = self._layout(probe)
            self.neg = self._layout(-probe)
            probes = [Decimal(p) for p in self._PROBES]
            probes += [-p for p in probes]
            self.fast = True
            for probe in probes:
                if self._fast(self._round(probe)) != self._babel(self._round(probe)):
                    self.fast = False
                    break
        except ValueError:
            self.fast = False

    def _round(self, amount: Decimal) -> Decimal:
        return amount.quantize(self.step, rounding=ROUND_HALF_UP)

    def _babel(self, amount: Decimal) -> str:
        return format_currency(amount, self.currency, locale=self.locale)

    def _layout(self, amount: Decimal) -> tuple[str, str, str, str]:
        """(prefix, group separator, decimal separator, suffix) of a formatted probe."""
        text = self._babel(self._round(amount))
        frac = f"(?:(\\D*){self.frac})" if self.digits else "()"
        match = re.fullmatch(rf"(\D*?)1(\D*)234(\D*)567{frac}(\D*?)", text)
        if match is None:
            raise ValueError(text)
        prefix, group, group2, decimal, suffix = match.groups()
        if group != group2 or (self.digits and decimal is None):
            raise ValueError(text)
        return prefix, group, decimal or "", suffix

    def _fast(self, amount: Decimal) -> str:
        prefix, group, decimal, suffix = self.neg if amount < 0 else self.pos
        body = f"{abs(amount):,.{self.digits}f}"
        if self.digits:
            whole, _, frac = body.partition(".")
            body = whole.replace(",", group) + decimal + frac
        else:
            body = body.replace(",", group)
        return prefix + body + suffix

    def __call__(self, amount: Decimal) -> str:
        amount = self._round(amount)
        return self._fast(amount) if self.fast else self._babel(amount)


