"""The Settings / Parametres tab: key/value rows, each checked, defaulted and reported.

Defaults come from sheet_templates/workbook.yaml, the same list `relance init` writes. A wrong
value is reported and replaced by its default, so one typo never stops the daily run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError

from relance.engine import cells
from relance.engine.anomaly import Source
from relance.engine.contract import normalize
from relance.engine.customer import normalized_email
from relance.engine.table import Collector, Table
from relance.engine.terms import TERMS_HINT, Terms, parse_terms

_ECB_KEY = re.compile(r"^ecb_rate_(\d{4})_?h([12])$")


@dataclass(frozen=True)
class Settings:
    company_name: str = ""
    sender_email: str = ""
    sender_name: str = ""
    reply_to: str = ""
    default_currency: str = "EUR"
    locale: str = "fr_FR"
    timezone: str = "Europe/Paris"
    default_payment_terms: Terms = Terms(30)
    eom_method: str = "days_then_eom"
    default_scenario: str = "standard"
    send_hour: int = 9
    business_days_only: bool = True
    holiday_country: str = "FR"
    grouping: str = "customer"
    penalty_rate_mode: str = "legal_semester"
    penalty_annual_rate: Decimal | None = None
    recovery_indemnity: Decimal = Decimal(40)
    promise_grace_days: int = 3
    cooldown_days: int = 3
    history_max_rows: int = 200_000
    portal_url: str = ""
    privacy_url: str = ""
    channel: str = "outbox"
    company_phone: str = ""
    company_address: str = ""
    company_city: str = ""
    ecb_rates: dict[tuple[int, int], Decimal] = field(default_factory=dict)

    @property
    def language(self) -> str:
        return "en" if self.locale.lower().startswith("en") else "fr"


_CHOICES = {
    "eom_method": ("days_then_eom", "eom_then_days"),
    "grouping": ("customer", "invoice"),
    "penalty_rate_mode": ("legal_semester", "fixed"),
    "channel": ("outbox", "mailjet", "smtp"),
}
_TEXT = ("company_name", "sender_email", "sender_name", "reply_to", "default_scenario",
         "portal_url", "privacy_url", "company_phone", "holiday_country", "company_address", "company_city")


def parse_settings(table: Table | None, known_keys: Iterable[str], out: Collector,
                   tab_name: str = "Parametres") -> Settings:
    """Settings from the tab (`known_keys`: the contract's settings; `tab_name`: how a missing tab
    is named in anomalies)."""
    if table is None:
        settings = Settings()
        _check_sender(settings, Source(tab_name, 1), out)
        return settings
    known = {*known_keys, "company_phone"}
    values: dict[str, object] = {}
    ecb: dict[tuple[int, int], Decimal] = {}
    for row in table:
        raw_key = row.raw("key")
        key = normalize(raw_key)
        raw = row.raw("value")
        where = row.source("value")
        if not key:
            continue
        if m := _ECB_KEY.match(key):
            rate, problem = cells.parse_amount(raw)
            if rate is None or problem:
                out.add(where, raw, "is not a rate", "write the ECB rate in percent, e.g. 2.15", "R090")
            else:
                ecb[(int(m[1]), int(m[2]))] = rate
            continue
        if key not in known:
            out.warn(row.source("key"), raw_key, "is not a setting relance knows; it was ignored",
                     "check the spelling against the list in the README", "R091")
            continue
        if raw is None or raw == "":
            continue

        def bad(problem: str, hint: str) -> None:
            out.add(where, raw, f"{problem} for setting '{key}'; the default was used", hint, "R092")  # noqa: B023

        if key in ("sender_email", "reply_to"):
            try:
                values[key] = normalized_email(cells.text(raw))
            except EmailNotValidError as exc:
                bad(f"is not a valid e-mail address ({exc})", "write an address such as relances@example.fr")
        elif key in _TEXT:
            values[key] = cells.text(raw)
        elif key in _CHOICES:
            choice = normalize(raw)
            if choice in _CHOICES[key]:
                values[key] = choice
            else:
                bad("is not a valid choice", "use one of: " + ", ".join(_CHOICES[key]))
        elif key == "default_currency":
            cur, problem = cells.parse_currency(raw, "")
            if cur:
                values[key] = cur
            else:
                bad("is not an ISO 4217 currency code", "use EUR, USD, GBP…")
        elif key == "locale":
            loc = cells.text(raw).replace("-", "_")
            if loc.lower()[:2] in ("fr", "en"):
                values[key] = loc
            else:
                bad("is not a supported locale", "use fr_FR or en_GB")
        elif key == "timezone":
            try:
                ZoneInfo(cells.text(raw))
                values[key] = cells.text(raw)
            except (ZoneInfoNotFoundError, ValueError):
                bad("is not a time zone", "use a name such as Europe/Paris")
        elif key == "default_payment_terms":
            terms = parse_terms(raw)
            if terms:
                values[key] = terms
            else:
                bad("is not a payment term", TERMS_HINT)
        elif key in ("send_hour", "promise_grace_days", "history_max_rows", "cooldown_days"):
            number, problem = cells.parse_int(raw)
            limits = {"send_hour": (0, 23), "promise_grace_days": (0, 90), "cooldown_days": (0, 60),
                      "history_max_rows": (1000, 5_000_000)}[key]
            if number is None or not limits[0] <= number <= limits[1]:
                bad("is out of range", f"use a whole number from {limits[0]} to {limits[1]}")
            else:
                values[key] = number
        elif key == "business_days_only":
            flag, problem = cells.parse_bool(raw)
            if flag is None:
                bad("is neither yes nor no", "write oui/non")
            else:
                values[key] = flag
        elif key in ("penalty_annual_rate", "recovery_indemnity"):
            amount, problem = cells.parse_amount(raw)
            if amount is None or amount < 0:
                bad("is not a positive number", "write a number such as 12.5 (percent) or 40")
            else:
                values[key] = amount
    settings = replace(Settings(), **values, ecb_rates=ecb)  # type: ignore[arg-type]
    if settings.penalty_rate_mode == "fixed" and settings.penalty_annual_rate is None:
        out.add(table_source(table), "fixed",
                "penalty_rate_mode is 'fixed' but penalty_annual_rate is blank; the legal rate was used",
                "add a penalty_annual_rate row (percent), or set the mode to legal_semester", "R093")
        settings = replace(settings, penalty_rate_mode="legal_semester")
    _check_sender(settings, table_source(table), out)
    return settings


def _check_sender(settings: Settings, where: Source, out: Collector) -> None:
    """Messages name the company and come from an address: say so when either is missing."""
    if not settings.sender_email:
        out.warn(where, "sender_email", "no sender address is set; e-mails carry a placeholder sender",
                 "add a Parametres row sender_email with the address reminders come from", "R096")
    if not settings.company_name:
        out.warn(where, "company_name", "no company name is set; messages are signed without it",
                 "add a Parametres row company_name", "R097")


def table_source(table: Table) -> Source:
    """The tab as a whole."""
    return Source(table.name, table.header_row)
