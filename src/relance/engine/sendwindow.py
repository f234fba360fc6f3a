"""When a run may send: time zone, send_hour, weekends and public holidays.

Only the moment of sending moves; due dates are never shifted. (The gap between two messages
to one customer is the planner's.) Everything here is
pure: `now` and dates come in as parameters, the clock is never read. The daily job runs in UTC
on Cloud Functions, so `now` is converted to the workbook's zone before any comparison.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:  # imported where a calendar is made: 40 ms a run that sends "anytime" never pays
    import holidays as _holidays

# date -> holiday name; a `holidays.HolidayBase` is one, and so is a plain dict in tests
Holidays = Mapping[dt.date, str]


# Alsace (67, 68) and Moselle (57) keep the local law: Good Friday and 26 December are holidays.
_ALSACE_MOSELLE = {"57", "67", "68", "6ae", "moselle", "alsace", "bas-rhin", "haut-rhin",
                   "alsace-moselle"}
_ALSACE = {"67", "68", "6ae", "alsace", "bas-rhin", "haut-rhin"}
_SEARCH_LIMIT = 370  # a year of closed days means a broken calendar, not a long weekend


def _fold(text: str) -> str:
    """Case, accents and separators ignored, so 'Alsace Moselle' matches 'alsace-moselle'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(plain.casefold().replace("_", " ").replace("-", " ").split())


def _subdivision(cls: type[_holidays.HolidayBase], country: str, raw: str) -> str:
    """The holidays package's code for a subdivision written as a user would write it."""
    codes: tuple[str, ...] = tuple(getattr(cls, "subdivisions", ()))
    aliases: dict[str, str] = dict(getattr(cls, "subdivisions_aliases", {}) or {})
    wanted = _fold(raw)
    if country == "FR" and wanted in _ALSACE_MOSELLE:
        # 0.109 knows 57 and 6AE (Collectivité européenne d'Alsace); both add the same two days,
        # so an older package without 6AE still gives the right calendar through 57.
        preferred = ("6AE", "57") if wanted in _ALSACE else ("57", "6AE")
        for code in preferred:
            if code in codes:
                return code
    for code in codes:
        if _fold(code) == wanted:
            return code
    for alias, code in aliases.items():
        if _fold(alias) == wanted:
            return code
    shown = ", ".join(codes[:12]) + ("…" if len(codes) > 12 else "")
    raise ValueError(f"'{raw}' is not a subdivision of {country} known to the holidays package"
                     + (f" (known: {shown})" if shown else ""))


def holiday_calendar(country: str = "FR", subdivision: str | None = None,
                     years: Iterable[int] = (), *, language: str | None = "fr") -> Holidays:
    """Public holidays of `country` ("FR", "FR-57", "FR-67"… or country + subdivision).

    The result also answers for years not listed (the package fills them on lookup), so a
    search for the next send day may cross New Year. Names are in `language` when the country
    has them (French for France), else in the country's own default.
    Raises ValueError with a readable message for an unknown country or subdivision.
    """
    import holidays as _holidays

    text = (country or "").strip() or "FR"
    code, _, embedded = text.partition("-")
    code = code.strip().upper()
    supported = _holidays.list_supported_countries()
    if code not in supported:
        raise ValueError(f"holiday_country '{text}' is not a country the holidays package knows; "
                         "use a two-letter ISO code such as FR (or FR-57 for Moselle)")
    cls = type(_holidays.country_holidays(code, years=()))
    subdiv = None
    if embedded.strip() or subdivision:
        if embedded.strip() and subdivision and (
                _subdivision(cls, code, embedded.strip()) != _subdivision(cls, code, subdivision)):
            raise ValueError(f"holiday_country '{text}' and subdivision '{subdivision}' disagree")
        subdiv = _subdivision(cls, code, subdivision or embedded.strip())
    # without an explicit language the package answers in its English source strings
    languages = tuple(getattr(cls, "supported_languages", ()))
    base = (language or "").replace("-", "_").split("_")[0].lower()
    matches = [lg for lg in languages if lg == language] + [lg for lg in languages
                                                             if base and lg.split("_")[0] == base]
    lang = matches[0] if matches else getattr(cls, "default_language", None)
    return _holidays.country_holidays(code, subdiv=subdiv, years=sorted(set(years)), language=lang)


def closed_reason(day: dt.date, business_days_only: bool, holidays: Holidays) -> str | None:
    """Why nothing is sent on `day` ("public holiday: Lundi de Pâques", "weekend"), None if it is open.

    Holidays only matter when business_days_only is set, as DESIGN §4 says. A holiday on a
    Saturday is named as the holiday; France has no substitute Monday, and none is invented.
    """
    if not business_days_only:
        return None
    name = holidays.get(day)
    if name is not None:
        return f"public holiday: {name}"
    weekend: Iterable[int] = getattr(holidays, "weekend", None) or (5, 6)
    if day.weekday() in weekend:
        return "weekend"
    return None


def is_send_day(day: dt.date, business_days_only: bool, holidays: Holidays) -> bool:
    return closed_reason(day, business_days_only, holidays) is None


def next_send_day(day: dt.date, business_days_only: bool, holidays: Holidays, *,
                  include_day: bool = False) -> dt.date:
    """The first send day after `day` (or `day` itself when include_day and it is open)."""
    candidate = day if include_day else day + dt.timedelta(days=1)
    for _ in range(_SEARCH_LIMIT):
        if is_send_day(candidate, business_days_only, holidays):
            return candidate
        candidate += dt.timedelta(days=1)
    raise ValueError(f"no send day within {_SEARCH_LIMIT} days after {day}; check the holiday calendar")


@dataclass(frozen=True, slots=True)
class SendWindow:
    """Whether a run at `local_now` may send, why not, and when it next may.

    `reason` is empty when open. `next_open` is the first opening strictly after now: today at
    send_hour when it is a send day not yet reached, else send_hour of the next send day.
    """

    local_now: dt.datetime
    local_date: dt.date
    open: bool
    reason: str
    next_open: dt.datetime


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"'{timezone}' is not a time zone; use a name such as Europe/Paris") from exc


def _at_hour(day: dt.date, hour: int, zone: ZoneInfo) -> dt.datetime:
    """`hour`:00 local on `day`; a wall time skipped by a DST change becomes the instant after it."""
    wall = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)  # fold=0: first if repeated
    return wall.astimezone(dt.UTC).astimezone(zone)


def send_window(now: dt.datetime, timezone: str, send_hour: int, business_days_only: bool,
                holidays: Holidays) -> SendWindow:
    """Open when the local date is a send day and the local hour is at least send_hour.

    `now` must be aware (UTC on Cloud Functions is fine): a naive time would silently be read
    in the server's zone, which is exactly the mistake this function exists to prevent.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime (e.g. in UTC)")
    if not 0 <= send_hour <= 23:
        raise ValueError(f"send_hour {send_hour} is not an hour from 0 to 23")
    zone = _zone(timezone)
    local = now.astimezone(zone)
    today = local.date()
    closed = closed_reason(today, business_days_only, holidays)
    if closed is None and local.hour < send_hour:
        return SendWindow(local, today, False, f"before {send_hour}:00 {timezone}",
                          _at_hour(today, send_hour, zone))
    following = next_send_day(today, business_days_only, holidays)
    return SendWindow(local, today, closed is None, closed or "", _at_hour(following, send_hour, zone))
