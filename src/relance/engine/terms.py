"""Payment terms ("30", "45 FDM", "60 jours fin de mois") and the due dates they give.

CONVENTIONS.md: `N` days from the issue date; `N FDM` per Settings eom_method, either
`days_then_eom` (issue + N days, then end of that month) or `eom_then_days` (end of the issue
month, then + N days). The law caps terms at 60 days, or 45 days end of month (C. com. L441-10).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

#: The longest terms read, in days: what three digits write (text terms are 1 to 3 digits too).
#: Due dates stay within what a date holds: the last issue date read (cells.LAST_DATE) + 999 days.
MAX_DAYS = 999
_TERMS = re.compile(
    r"^\s*(\d{1,3})\s*(?:j|jours?|d|days?)?\s*(fdm|fin\s*de\s*mois|eom|end\s*of\s*month)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Terms:
    days: int
    end_of_month: bool = False

    def __str__(self) -> str:
        return f"{self.days} FDM" if self.end_of_month else str(self.days)

    def due_date(self, issue: dt.date, eom_method: str = "days_then_eom") -> dt.date:
        if not self.end_of_month:
            return issue + dt.timedelta(days=self.days)
        if eom_method == "eom_then_days":
            return end_of_month(issue) + dt.timedelta(days=self.days)
        return end_of_month(issue + dt.timedelta(days=self.days))

    @property
    def beyond_legal_maximum(self) -> bool:
        return self.days > (45 if self.end_of_month else 60)


def parse_terms(value: object) -> Terms | None:
    if value is None:
        return None
    if type(value) is str:
        return _parse_text_terms(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Terms(value) if 0 <= value <= MAX_DAYS else None
    if isinstance(value, float):
        return Terms(int(value)) if value.is_integer() and 0 <= value <= MAX_DAYS else None
    return _parse_text_terms(str(value))


def _parse_text_terms(value: str) -> Terms | None:
    m = _TERMS.match(value)
    if not m:
        return None
    return Terms(int(m[1]), bool(m[2]))


TERMS_HINT = "write terms as 30, '60 jours', '45 FDM' or '30 jours fin de mois'"


def end_of_month(day: dt.date) -> dt.date:
    if day.month == 12:
        return day.replace(day=31)
    return day.replace(month=day.month + 1, day=1) - dt.timedelta(days=1)


def legal_latest_due(issue: dt.date) -> dt.date:
    """The latest due date the law allows: 60 days, or 45 days end of month, whichever is later."""
    return max(issue + dt.timedelta(days=60), end_of_month(issue + dt.timedelta(days=45)))


def add_years(day: dt.date, years: int) -> dt.date:
    """Same day and month N years later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
