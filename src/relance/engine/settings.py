"""The Settings / Parametres tab: key/value rows, each checked, defaulted and reported.

`relance init` writes the rows of sheet_templates/workbook.yaml with their defaults; a row left
out takes the dataclass default below (the two differ on purpose for `default_customer_type`:
`init` writes B2B explicitly, a book without the row leaves blank customer types unknown). A
wrong value is reported and replaced by its default, so one typo never stops the daily run.

What a channel cannot do without (the company's name, the sender's address, the postal
address of letters) is an error, and `blocked_channels` says which channels it stops: no
message leaves signed by nobody, from a placeholder address, or without a return address.

Values are read in either language ("taux_legal_semestriel" or "legal_semester", "client" or
"customer", "oui" or "yes") and kept in their canonical English spelling; `spelled` gives the
spelling a template in a language writes. Every problem is said in both languages
(catalog/settings.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from relance.engine import cells
from relance.engine.anomaly import Source
from relance.engine.catalog import settings as say
from relance.engine.contract import normalize
from relance.engine.customer import email_not_valid, normalized_email
from relance.engine.i18n import Phrase, Said
from relance.engine.table import Collector, Table
from relance.engine.terms import Terms, parse_terms

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
    # --- s18-mailjet ---
    daily_send_cap: int = 0  # messages a day through the provider (its plan); 0: no cap

    @property
    def language(self) -> str:
        return "en" if self.locale.lower().startswith("en") else "fr"


#: Each choice setting: canonical value -> (its French spelling, other accepted spellings...).
#: The French spelling is what the French template writes; any spelling is read in any workbook.
CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "eom_method": {"days_then_eom": ("jours_puis_fin_de_mois", "jours_puis_fdm"),
                   "eom_then_days": ("fin_de_mois_puis_jours", "fdm_puis_jours")},
    "grouping": {"customer": ("client", "par_client"), "invoice": ("facture", "par_facture")},
    "penalty_rate_mode": {"legal_semester": ("taux_legal_semestriel", "taux_legal", "legal"),
                          "fixed": ("taux_fixe", "fixe")},
    "channel": {"outbox": ("outbox", "boite_d_envoi"), "mailjet": ("mailjet",), "smtp": ("smtp",)},
}
_CHOICE_OF = {key: {normalize(s): value for value, spellings in options.items() for s in (value, *spellings)}
              for key, options in CHOICES.items()}
#: Other spellings of a setting's key, read as the key (the template writes the key itself).
KEY_ALIASES = {"plafond_envois_jour": "daily_send_cap"}
#: Yes/no settings, as the template writes them.
_BOOLEANS = frozenset({"business_days_only"})
_YES_NO = {"fr": ("oui", "non"), "en": ("yes", "no")}
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


def spelled(key: str, value: str, lang: str) -> str:
    """How a template in `lang` writes a setting's value: "taux_legal_semestriel" for
    penalty_rate_mode legal_semester in French, "oui" for yes, "30 jours" for 30 days; a value
    without a spelling of its own (a name, a number, EUR, a value not understood) is kept as it is."""
    french = lang == "fr"
    if key in CHOICES and value in CHOICES[key]:
        return CHOICES[key][value][0] if french else value
    if key in _BOOLEANS and value:
        flag, _ = cells.parse_bool(value)
        return _YES_NO["fr" if french else "en"][0 if flag else 1]
    if key == "default_payment_terms" and value:
        terms = parse_terms(value)
        if terms is not None:
            unit = "jours" if french else "days"
            eom = (" fin de mois" if french else " end of month") if terms.end_of_month else ""
            return f"{terms.days} {unit}{eom}"
    return value


def choice_spellings(key: str, lang: str) -> tuple[str, ...]:
    """The values of a choice or yes/no setting as a template in `lang` offers them (its dropdown)."""
    if key in CHOICES:
        return tuple(s[0] if lang == "fr" else v for v, s in CHOICES[key].items())
    if key in _BOOLEANS:
        return _YES_NO["fr" if lang == "fr" else "en"]
    return ()


def parse_iban(value: object) -> tuple[str, Said | None]:
    """``(iban, None)`` with the IBAN grouped by 4, or ``("", problem)``: spaces, hyphens and dots
    are allowed, case is not significant, the ISO 13616 mod-97 checksum must hold."""
    compact = re.sub(r"[\s.\-\u00a0\u202f]", "", cells.text(value)).upper()
    if compact.startswith("IBAN"):
        compact = compact[4:]
    if not compact:
        return "", say.IS_BLANK()
    if not compact.isalnum() or not compact.isascii():
        return "", say.IBAN_CHARACTERS()
    country = compact[:2]
    expected = _IBAN_LENGTHS.get(country)
    if expected is not None and len(compact) != expected:
        return "", say.IBAN_LENGTH(n=len(compact), country=country, expected=expected)
    if not _IBAN_SHAPE.match(compact):
        return "", say.IBAN_SHAPE(example=_IBAN_EXAMPLE)
    digits = "".join(str(int(c, 36)) for c in compact[4:] + compact[:4])
    if int(digits) % 97 != 1:
        return "", say.IBAN_CHECKSUM()
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4)), None


def parse_bic(value: object) -> tuple[str, Said | None]:
    """``(bic, None)`` upper case without spaces, or ``("", problem)`` (ISO 9362: 8 or 11 characters)."""
    compact = re.sub(r"[\s\u00a0]", "", cells.text(value)).upper()
    if len(compact) not in (8, 11):
        return "", say.BIC_LENGTH(n=len(compact))
    if not _BIC_SHAPE.match(compact):
        return "", say.BIC_SHAPE()
    return compact, None


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
        key = KEY_ALIASES.get(key, key)
        raw = row.raw("value")
        where = row.source("value")
        if not key:
            continue
        if m := _ECB_KEY.match(key):
            rate, problem = cells.parse_amount(raw)
            if rate is None or problem:
                out.add(where, raw, say.NOT_A_RATE(), say.WRITE_ECB_RATE(), "R090")
            else:
                ecb[(int(m[1]), int(m[2]))] = rate
            continue
        if key not in known:
            out.warn(row.source("key"), raw_key, say.UNKNOWN_SETTING(), say.CHECK_SPELLING(), "R091")
            continue
        if raw is None or cells.text(raw) == "":
            continue  # a blank value (spaces included) keeps the default
        at[key] = where

        def bad(problem: Said, hint: Said) -> None:
            out.add(where, raw, say.DEFAULT_USED(problem=problem, key=key), hint, "R092")  # noqa: B023

        if key in ("sender_email", "reply_to"):
            try:
                values[key] = normalized_email(cells.text(raw))
            except email_not_valid() as exc:
                bad(say.NOT_AN_EMAIL(reason=exc), say.WRITE_AN_EMAIL())
        elif key in _TEXT:
            values[key] = cells.text(raw)
            if key in _HEADER_TEXT and any(ch in str(raw) for ch in "\r\n\u2028\u2029"):
                out.warn(where, raw, say.LINE_BREAK(key=key), say.ONE_LINE(), "R084")
        elif key == "iban":
            iban, said = parse_iban(raw)
            if iban:
                values[key] = iban
            else:
                out.add(where, raw, say.LEFT_OUT(problem=said), say.COPY_IBAN(example=_IBAN_EXAMPLE), "R080")
        elif key == "bic":
            bic, said = parse_bic(raw)
            if bic:
                values[key] = bic
            else:
                out.add(where, raw, say.LEFT_OUT(problem=said), say.COPY_BIC(), "R081")
        elif key == "default_customer_type":
            kind = _CUSTOMER_TYPES.get(normalize(raw))
            if kind:
                values[key] = kind
            else:
                out.add(where, raw, say.NOT_A_CUSTOMER_TYPE(), say.WRITE_CUSTOMER_TYPE(), "R092")
        elif key in CHOICES:
            choice = _CHOICE_OF[key].get(normalize(raw))
            if choice is not None:
                values[key] = choice
            else:
                listed = Phrase(", ".join(choice_spellings(key, "fr")), ", ".join(choice_spellings(key, "en")))
                bad(say.NOT_A_CHOICE(), say.USE_ONE_OF(choices=listed()))
        elif key == "default_currency":
            cur, problem = cells.parse_currency(raw, "")
            if cur:
                values[key] = cur
            else:
                bad(say.NOT_A_CURRENCY(), say.USE_A_CURRENCY())
        elif key == "locale":
            loc = cells.text(raw).replace("-", "_")
            if loc.lower()[:2] in ("fr", "en"):
                values[key] = loc
            else:
                bad(say.NOT_A_LOCALE(), say.USE_A_LOCALE())
        elif key == "timezone":
            try:
                ZoneInfo(cells.text(raw))
                values[key] = cells.text(raw)
            except (ZoneInfoNotFoundError, ValueError):
                bad(say.NOT_A_TIMEZONE(), say.USE_A_TIMEZONE())
        elif key == "default_payment_terms":
            terms = parse_terms(raw)
            if terms:
                values[key] = terms
            else:
                bad(say.NOT_TERMS(), say.WRITE_TERMS())
        elif key in ("send_hour", "promise_grace_days", "history_max_rows", "cooldown_days", "daily_send_cap"):
            number, problem = cells.parse_int(raw)
            limits = {"send_hour": (0, 23), "promise_grace_days": (0, 90), "cooldown_days": (0, 60),
                      "history_max_rows": (1000, 5_000_000), "daily_send_cap": (0, 10_000_000)}[key]
            if number is None or not limits[0] <= number <= limits[1]:
                bad(say.OUT_OF_RANGE(), say.WHOLE_NUMBER(low=limits[0], high=limits[1]))
            else:
                values[key] = number
        elif key in _BOOLEANS:
            flag, problem = cells.parse_bool(raw)
            if flag is None:
                bad(say.NOT_YES_NO(), say.WRITE_YES_NO())
            else:
                values[key] = flag
        elif key in ("penalty_annual_rate", "recovery_indemnity"):
            amount, problem = cells.parse_amount(raw)
            if amount is None or amount < 0:
                bad(say.NOT_POSITIVE(), say.WRITE_A_NUMBER())
            else:
                values[key] = amount
        elif key in ("min_balance", "agency_min_balance"):
            amount, problem = cells.parse_amount(raw)
            if amount is None or amount < 0:
                bad(say.NOT_AN_AMOUNT(), say.WRITE_AN_AMOUNT() if key == "min_balance" else say.WRITE_EUROS())
            else:
                values[key] = amount
    settings = replace(Settings(), **values, ecb_rates=ecb)  # type: ignore[arg-type]
    if settings.penalty_rate_mode == "fixed" and settings.penalty_annual_rate is None:
        out.add(table_source(table), "fixed",
                say.FIXED_WITHOUT_RATE(fixed=_spoken("penalty_rate_mode", "fixed")),
                say.ADD_ANNUAL_RATE(legal=_spoken("penalty_rate_mode", "legal_semester")), "R093")
        settings = replace(settings, penalty_rate_mode="legal_semester")
    if settings.iban and settings.bic and settings.iban[:2] != settings.bic[4:6]:
        out.warn(at.get("bic", table_source(table)), settings.bic,
                 say.BIC_COUNTRY(bic=settings.bic[4:6], iban=settings.iban[:2]), say.SAME_ACCOUNT(), "R082")
    _check_sender(settings, table_source(table), out)
    return settings


def _check_sender(settings: Settings, where: Source, out: Collector) -> None:
    """Every message is signed with the company's name, an e-mail comes from the sender's address,
    a letter gives the company's postal address: without them nothing leaves through that channel
    (`blocked_channels`), and each missing one is an error."""
    if not settings.sender_email:
        out.add(where, "sender_email", say.NO_SENDER(), say.ADD_SENDER(tab=where.tab), "R096")
    if not settings.company_name:
        out.add(where, "company_name", say.NO_COMPANY(), say.ADD_COMPANY(tab=where.tab), "R097")
    if not settings.company_address:
        out.add(where, "company_address", say.NO_ADDRESS(), say.ADD_ADDRESS(tab=where.tab), "R083")


def _spoken(key: str, value: str) -> Said:
    """A setting's value as each language's template spells it."""
    return Phrase(spelled(key, value, "fr"), spelled(key, value, "en"))()


def table_source(table: Table) -> Source:
    """The tab as a whole."""
    return Source(table.name, table.header_row)
