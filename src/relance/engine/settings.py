"""The Settings / Parametres tab: key/value rows, each checked, defaulted and reported.

`relance init` writes the rows of sheet_templates/workbook.yaml with their defaults; a row left
out takes the dataclass default below (the two differ on purpose for `default_customer_type`:
`init` writes B2B explicitly, a book without the row leaves blank customer types unknown). A
wrong value is reported and replaced by its default, so one typo never stops the daily run.

What a channel cannot do without (the company's name, the sender's address, the postal
address of letters) is an error, and `blocked_channels` says which channels it stops: no
message leaves signed by nobody, from a placeholder address, or without a return address.
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
from relance.engine.i18n import Said
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
    iban: str = ""  # validated (ISO 13616), grouped by 4: "FR76 3000 6000 0112 3456 7890 189"
    bic: str = ""  # validated (ISO 9362), 8 or 11 characters, upper case
    legal_mentions: str = ""  # SIREN / RCS / capital, printed on letters and under e-mails
    signatory_name: str = ""
    signatory_title: str = ""
    default_customer_type: str = ""  # "B2B" | "B2C" | "" (unknown: nothing is claimed)
    min_balance: Decimal = Decimal(5)  # per currency: below it, nothing is reminded
    agency_min_balance: Decimal = Decimal(150)  # EUR: the floor of agency hand-offs
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
#: Settings that go into e-mail headers (From, Reply-To): one line each.
_HEADER_TEXT = frozenset({"company_name", "sender_name"})
_TEXT = ("company_name", "sender_email", "sender_name", "reply_to", "default_scenario",
         "portal_url", "privacy_url", "company_phone", "holiday_country", "company_address", "company_city",
         "legal_mentions", "signatory_name", "signatory_title")
#: Spellings of default_customer_type, as the Clients type_client column accepts them.
_CUSTOMER_TYPES = {
    "b2b": "B2B", "entreprise": "B2B", "pro": "B2B", "professionnel": "B2B", "business": "B2B",
    "b2c": "B2C", "particulier": "B2C", "consumer": "B2C", "consommateur": "B2C",
}
#: What each message channel needs from Settings before anything may leave through it.
CHANNEL_NEEDS: dict[str, tuple[str, ...]] = {
    "email": ("company_name", "sender_email"),
    "sms": ("company_name",),
    "letter": ("company_name", "company_address"),
}

# ISO 13616 IBAN lengths by country (the SWIFT registry); another country is checked by its
# checksum and the general format only.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC_SHAPE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
_IBAN_EXAMPLE = "FR76 3000 6000 0112 3456 7890 189"


def parse_iban(value: object) -> tuple[str, str]:
    """``(iban, "")`` with the IBAN grouped by 4, or ``("", problem)``: spaces, hyphens and dots
    are allowed, case is not significant, the ISO 13616 mod-97 checksum must hold."""
    compact = re.sub(r"[\s.\-\u00a0\u202f]", "", cells.text(value)).upper()
    if compact.startswith("IBAN"):
        compact = compact[4:]
    if not compact:
        return "", "is blank"
    if not compact.isalnum() or not compact.isascii():
        return "", "is not an IBAN: only letters and digits are allowed"
    country = compact[:2]
    expected = _IBAN_LENGTHS.get(country)
    if expected is not None and len(compact) != expected:
        return "", f"is not an IBAN: it has {len(compact)} characters, an IBAN of {country} has {expected}"
    if not _IBAN_SHAPE.match(compact):
        return "", "is not an IBAN: it starts with a country code and two check digits, e.g. " + _IBAN_EXAMPLE
    digits = "".join(str(int(c, 36)) for c in compact[4:] + compact[:4])
    if int(digits) % 97 != 1:
        return "", "is not a valid IBAN: its check digits do not match (a mistyped character?)"
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4)), ""


def parse_bic(value: object) -> tuple[str, str]:
    """``(bic, "")`` upper case without spaces, or ``("", problem)`` (ISO 9362: 8 or 11 characters)."""
    compact = re.sub(r"[\s\u00a0]", "", cells.text(value)).upper()
    if len(compact) not in (8, 11):
        return "", f"is not a BIC: it has {len(compact)} characters, a BIC has 8 or 11"
    if not _BIC_SHAPE.match(compact):
        return "", "is not a BIC: 4 letters (bank), 2 letters (country), 2 letters or digits, then optionally 3"
    return compact, ""


def blocked_channels(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Each message channel ("email", "sms", "letter") mapped to the setting keys it lacks;
    empty when every channel has what it needs. Tasks (calls, agency hand-offs) need nothing."""
    blocked: dict[str, tuple[str, ...]] = {}
    for channel, keys in CHANNEL_NEEDS.items():
        missing = tuple(key for key in keys if not str(getattr(settings, key)).strip())
        if missing:
            blocked[channel] = missing
    return blocked


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
    at: dict[str, Source] = {}  # the value cell of each setting read
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
                _add(out, where, raw, "is not a rate", "write the ECB rate in percent, e.g. 2.15", "R090")
            else:
                ecb[(int(m[1]), int(m[2]))] = rate
            continue
        if key not in known:
            _warn(out, row.source("key"), raw_key, "is not a setting relance knows; it was ignored",
                     "check the spelling against the list in the README", "R091")
            continue
        if raw is None or cells.text(raw) == "":
            continue  # a blank value (spaces included) keeps the default
        at[key] = where

        def bad(problem: str, hint: str) -> None:
            _add(out, where, raw, f"{problem} for setting '{key}'; the default was used", hint, "R092")  # noqa: B023

        if key in ("sender_email", "reply_to"):
            try:
                values[key] = normalized_email(cells.text(raw))
            except EmailNotValidError as exc:
                bad(f"is not a valid e-mail address ({exc})", "write an address such as relances@example.fr")
        elif key in _TEXT:
            values[key] = cells.text(raw)
            if key in _HEADER_TEXT and any(ch in str(raw) for ch in "\r\n\u2028\u2029"):
                _warn(out, where, raw, f"has a line break; e-mails carry '{key}' on one line, the break as a space",
                         "write it on one line", "R084")
        elif key == "iban":
            iban, said = parse_iban(raw)
            if iban:
                values[key] = iban
            else:
                _add(out, where, raw, f"{said}; it is left out of every message until corrected",
                        f"copy the IBAN from your bank's RIB, e.g. {_IBAN_EXAMPLE}", "R080")
        elif key == "bic":
            bic, said = parse_bic(raw)
            if bic:
                values[key] = bic
            else:
                _add(out, where, raw, f"{said}; it is left out of every message until corrected",
                        "copy the BIC (code SWIFT) from your bank's RIB, e.g. AGRIFRPP or BNPAFRPPXXX", "R081")
        elif key == "default_customer_type":
            kind = _CUSTOMER_TYPES.get(normalize(raw))
            if kind:
                values[key] = kind
            else:
                _add(out, where, raw, "is neither B2B nor B2C for setting 'default_customer_type'; customers "
                        "with a blank type_client are of unknown type: no penalty nor indemnity is claimed "
                        "from them", "write B2B (businesses) or B2C (consumers)", "R092")
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
        elif key in ("min_balance", "agency_min_balance"):
            amount, problem = cells.parse_amount(raw)
            if amount is None or amount < 0:
                bad("is not an amount of zero or more",
                    "write an amount such as 5" if key == "min_balance" else "write an amount in euros such as 150")
            else:
                values[key] = amount
    settings = replace(Settings(), **values, ecb_rates=ecb)  # type: ignore[arg-type]
    if settings.penalty_rate_mode == "fixed" and settings.penalty_annual_rate is None:
        _add(out, table_source(table), "fixed",
                "penalty_rate_mode is 'fixed' but penalty_annual_rate is blank; the legal rate was used",
                "add a penalty_annual_rate row (percent), or set the mode to legal_semester", "R093")
        settings = replace(settings, penalty_rate_mode="legal_semester")
    if settings.iban and settings.bic and settings.iban[:2] != settings.bic[4:6]:
        _warn(out, at.get("bic", table_source(table)), settings.bic,
                 f"the BIC's country ({settings.bic[4:6]}) is not the IBAN's ({settings.iban[:2]})",
                 "check that the IBAN and the BIC are those of the same account", "R082")
    _check_sender(settings, table_source(table), out)
    return settings


def _check_sender(settings: Settings, where: Source, out: Collector) -> None:
    """Every message is signed with the company's name, an e-mail comes from the sender's address,
    a letter gives the company's postal address: without them nothing leaves through that channel
    (`blocked_channels`), and each missing one is an error."""
    if not settings.sender_email:
        _add(out, where, "sender_email", "no sender address is set; no e-mail is sent until it is",
                f"add a {where.tab} row sender_email with the address reminders come from, "
                "e.g. relances@example.fr", "R096")
    if not settings.company_name:
        _add(out, where, "company_name", "no company name is set; no message is sent until it is "
                "(every e-mail, SMS and letter is signed with it)",
                f"add a {where.tab} row company_name with your company's name", "R097")
    if not settings.company_address:
        _add(out, where, "company_address", "no company address is set; no letter is sent until it is "
                "(a formal notice gives the sender's postal address)",
                f"add a {where.tab} row company_address, lines separated by ';', "
                "e.g. 12 rue des Artisans; 69003 Lyon", "R083")


def _add(out: Collector, where: Source, value: object, problem: str, hint: str, code: str) -> None:
    """Until this module's texts are in the catalog: said as written, in both languages."""
    out.add(where, value, Said.verbatim(problem), Said.verbatim(hint), code)


def _warn(out: Collector, where: Source, value: object, problem: str, hint: str, code: str) -> None:
    out.warn(where, value, Said.verbatim(problem), Said.verbatim(hint), code)


def table_source(table: Table) -> Source:
    """The tab as a whole."""
    return Source(table.name, table.header_row)
