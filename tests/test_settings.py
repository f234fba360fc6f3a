"""The Settings / Parametres tab (engine/settings.py): the new settings parsed, their bad values
reported on their cell, the settings a channel cannot do without, and `blocked_channels`."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from books import book, load
from conftest import customer, invoice, tabs
from relance.app.resources import shipped_contract
from relance.engine.anomaly import Severity
from relance.engine.book import Book
from relance.engine.catalog import settings as catalog_settings
from relance.engine.settings import Settings, blocked_channels, parse_bic, parse_iban

COMPLETE = {"company_name": "Atelier Dumas", "sender_email": "relances@dumas.example",
            "company_address": "12 rue des Artisans; 69003 Lyon"}


def loaded(settings: dict[str, object], *, complete: bool = True) -> Book:
    """A book whose Parametres tab holds `settings` only (rows 2, 3, …), plus the three required
    rows after them when `complete`."""
    sheets = tabs([customer("C1")], [invoice("F1", "C1", "2025-01-10", None, 100)])
    rows = [*settings.items(), *(COMPLETE.items() if complete else ())]
    sheets["Parametres"] = [["cle", "valeur"], *[[k, v] for k, v in rows]]
    return load(sheets)


def settings_anomalies(b: Book) -> list[tuple[str, str, str, str]]:
    """(cell, code, severity, value) of the Parametres anomalies."""
    return [(str(a.source), a.code, str(a.severity), a.value) for a in b.anomalies if a.source.tab == "Parametres"]


# --------------------------------------------------------------------------- IBAN and BIC


@pytest.mark.parametrize(("raw", "stored"), [
    ("FR76 3000 6000 0112 3456 7890 189", "FR76 3000 6000 0112 3456 7890 189"),
    ("FR7630006000011234567890189", "FR76 3000 6000 0112 3456 7890 189"),
    ("fr76 3000 6000 0112 3456 7890 189", "FR76 3000 6000 0112 3456 7890 189"),
    ("IBAN FR76-3000-6000-0112-3456-7890-189", "FR76 3000 6000 0112 3456 7890 189"),
    ("FR76\u00a03000\u00a06000\u00a00112\u00a03456\u00a07890\u00a0189", "FR76 3000 6000 0112 3456 7890 189"),
    ("DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00"),
    ("GB82WEST12345698765432", "GB82 WEST 1234 5698 7654 32"),
    ("BE68 5390 0754 7034", "BE68 5390 0754 7034"),
    ("CH93 0076 2011 6238 5295 7", "CH93 0076 2011 6238 5295 7"),
])
def test_good_ibans_are_stored_grouped_by_four(raw: str, stored: str):
    assert parse_iban(raw) == (stored, None)


@pytest.mark.parametrize(("raw", "problem"), [
    ("FR76 3000 6000 0112 3456 7890 188", "its check digits do not match"),  # one digit off
    ("FR67 3000 6000 0112 3456 7890 189", "its check digits do not match"),  # check digits swapped
    ("FR76 3000 6000 0112 3456 7890 18", "it has 26 characters, an IBAN of FR has 27"),
    ("DE89 3704 0044 0532 0130 000", "it has 23 characters, an IBAN of DE has 22"),
    ("FR76_3000/6000", "only letters and digits are allowed"),
    ("FR76 3000 6000 0112 3456 7890 18É", "only letters and digits are allowed"),
    ("7630006000011234567890189", "starts with a country code and two check digits"),
    ("ZZ12", "starts with a country code and two check digits"),
])
def test_bad_ibans_say_what_is_wrong(raw: str, problem: str):
    iban, said = parse_iban(raw)
    assert iban == "" and said is not None and problem in said.en and "IBAN" in said.fr


@pytest.mark.parametrize(("raw", "expected"), [
    ("AGRIFRPP", ("AGRIFRPP", None)), ("bnpa fr pp xxx", ("BNPAFRPPXXX", None)),
    ("DEUTDEFF500", ("DEUTDEFF500", None)),
])
def test_good_bics(raw: str, expected: tuple[str, None]):
    assert parse_bic(raw) == expected


@pytest.mark.parametrize(("raw", "problem"), [
    ("AGRIFRP", "it has 7 characters, a BIC has 8 or 11"),
    ("AGRIFRPPXX", "it has 10 characters"),
    ("AGR1FRPP", "4 letters (bank), 2 letters (country)"),
    ("AGRI12PP", "4 letters (bank), 2 letters (country)"),
])
def test_bad_bics(raw: str, problem: str):
    bic, said = parse_bic(raw)
    assert bic == "" and said is not None and problem in said.en and "BIC" in said.fr


def test_a_bad_iban_or_bic_is_an_error_on_its_cell_and_left_out():
    b = loaded({"iban": "FR76 3000 6000 0112 3456 7890 188", "bic": "AGRIFRP"})
    assert (b.settings.iban, b.settings.bic) == ("", "")
    assert settings_anomalies(b) == [
        ("Parametres!B2", "R080", "error", "FR76 3000 6000 0112 3456 7890 188"),
        ("Parametres!B3", "R081", "error", "AGRIFRP"),
    ]
    iban = next(a for a in b.anomalies if a.code == "R080")
    assert iban.problem.en == ("is not a valid IBAN: its check digits do not match (a mistyped character?); "
                            "it is left out of every message until corrected")
    assert "RIB" in iban.hint.en and "FR76 3000 6000 0112 3456 7890 189" in iban.hint.en


def test_a_good_iban_and_bic_are_kept_and_a_bic_of_another_country_is_a_warning():
    b = loaded({"iban": "fr7630006000011234567890189", "bic": "agrifrpp"})
    assert (b.settings.iban, b.settings.bic) == ("FR76 3000 6000 0112 3456 7890 189", "AGRIFRPP")
    assert settings_anomalies(b) == []
    other = loaded({"iban": "FR7630006000011234567890189", "bic": "DEUTDEFF"})
    assert settings_anomalies(other) == [("Parametres!B3", "R082", "warning", "DEUTDEFF")]


# --------------------------------------------------------------------------- the other new settings


def test_every_new_setting_is_read():
    b = loaded({
        "legal_mentions": "SAS au capital de 150 000 € – RCS Lyon 812 345 676",
        "signatory_name": " Claire Dumas ", "signatory_title": "Présidente",
        "default_customer_type": "professionnel", "min_balance": "12,50", "agency_min_balance": 300,
        "iban": "DE89370400440532013000", "bic": "DEUTDEFF500", "company_phone": "04 65 71 20 40",
    })
    s = b.settings
    assert s.legal_mentions == "SAS au capital de 150 000 € – RCS Lyon 812 345 676"
    assert (s.signatory_name, s.signatory_title) == ("Claire Dumas", "Présidente")
    assert s.default_customer_type == "B2B"
    assert (s.min_balance, s.agency_min_balance) == (Decimal("12.50"), Decimal(300))
    assert (s.iban, s.bic, s.company_phone) == ("DE89 3704 0044 0532 0130 00", "DEUTDEFF500", "04 65 71 20 40")
    assert settings_anomalies(b) == []


@pytest.mark.parametrize(("raw", "kind"), [("B2B", "B2B"), ("b2c", "B2C"), ("Particulier", "B2C"),
                                           ("entreprise", "B2B"), ("consumer", "B2C"), ("", "")])
def test_default_customer_type_spellings(raw: str, kind: str):
    assert loaded({"default_customer_type": raw}).settings.default_customer_type == kind


def test_defaults_when_the_rows_are_absent_and_what_init_writes():
    s = Settings()
    assert (s.min_balance, s.agency_min_balance, s.default_customer_type) == (Decimal(5), Decimal(150), "")
    assert (s.iban, s.bic, s.legal_mentions, s.signatory_name, s.signatory_title) == ("",) * 5
    assert loaded({}).settings == replace(Settings(), **COMPLETE)
    written = {spec.key: spec for spec in shipped_contract().settings}
    assert written["default_customer_type"].default == "B2B"  # `relance init` writes it explicitly
    assert (written["min_balance"].default, written["agency_min_balance"].default) == ("5", "150")
    for key in ("iban", "bic", "legal_mentions", "signatory_name", "signatory_title", "default_customer_type",
                "min_balance", "agency_min_balance", "company_phone"):
        help_text = getattr(catalog_settings, f"HELP_{key.upper()}")
        assert help_text.en and help_text.fr, key


def test_bad_values_of_the_new_settings_are_reported_on_their_cell():
    b = loaded({"default_customer_type": "PME", "min_balance": "-3", "agency_min_balance": "cent"})
    s = b.settings
    assert (s.default_customer_type, s.min_balance, s.agency_min_balance) == ("", Decimal(5), Decimal(150))
    found = [a for a in b.anomalies if a.source.tab == "Parametres"]
    assert [(str(a.source), a.code, str(a.severity), a.value) for a in found] == [
        ("Parametres!B2", "R092", "error", "PME"), ("Parametres!B3", "R092", "error", "-3"),
        ("Parametres!B4", "R092", "error", "cent")]
    assert "is neither B2B nor B2C for setting 'default_customer_type'" in found[0].problem.en
    assert "unknown type" in found[0].problem.en and found[0].hint.en == "write B2B (businesses) or B2C (consumers)"
    assert found[1].problem.en == "is not an amount of zero or more for setting 'min_balance'; the default was used"
    assert found[2].hint.en == "write an amount in euros such as 150"


def test_a_blank_value_keeps_the_default_silently():
    b = loaded({"iban": "   ", "min_balance": "", "default_customer_type": None})
    assert (b.settings.iban, b.settings.min_balance) == ("", Decimal(5))
    assert settings_anomalies(b) == []


# --------------------------------------------------------------------------- what a channel needs


def test_missing_name_sender_and_address_are_errors_naming_the_setting():
    b = loaded({"reply_to": "compta@dumas.example"}, complete=False)
    found = [(a.code, a.severity, a.value) for a in b.anomalies if a.source.tab == "Parametres"]
    assert found == [("R096", Severity.error, "sender_email"), ("R097", Severity.error, "company_name"),
                     ("R083", Severity.error, "company_address")]
    sender, name, address = (a for a in b.anomalies if a.source.tab == "Parametres")
    assert str(sender.source) == "Parametres row 1"
    assert sender.problem.en == "no sender address is set; no e-mail is sent until it is"
    assert sender.hint.en.startswith("add a Parametres row sender_email")
    assert "every e-mail, SMS and letter is signed with it" in name.problem.en
    assert name.hint.en == "add a Parametres row company_name with your company's name"
    assert "no letter is sent until it is" in address.problem.en and "lines separated by ';'" in address.hint.en
    assert blocked_channels(b.settings) == {"email": ("company_name", "sender_email"), "sms": ("company_name",),
                                            "letter": ("company_name", "company_address")}


def test_without_a_settings_tab_they_are_said_under_its_name():
    sheets = tabs([customer("C1")], [])
    del sheets["Parametres"]
    b = load(sheets)
    assert [(a.source.tab, a.code, a.severity) for a in b.anomalies] == [
        ("Parametres", "R096", "error"), ("Parametres", "R097", "error"), ("Parametres", "R083", "error")]


def test_a_complete_sender_is_no_anomaly_and_blocks_nothing():
    b = loaded({})
    assert settings_anomalies(b) == [] and blocked_channels(b.settings) == {}


@pytest.mark.parametrize(("missing", "blocked"), [
    ((), {}),
    (("sender_email",), {"email": ("sender_email",)}),
    (("company_address",), {"letter": ("company_address",)}),
    (("company_name",), {"email": ("company_name",), "sms": ("company_name",), "letter": ("company_name",)}),
    (("sender_email", "company_address"), {"email": ("sender_email",), "letter": ("company_address",)}),
    (("company_name", "sender_email", "company_address"),
     {"email": ("company_name", "sender_email"), "sms": ("company_name",),
      "letter": ("company_name", "company_address")}),
])
def test_blocked_channels(missing: tuple[str, ...], blocked: dict[str, tuple[str, ...]]):
    complete = replace(Settings(), **COMPLETE)
    assert blocked_channels(replace(complete, **{k: "" for k in missing})) == blocked
    # a value of spaces is no value
    assert blocked_channels(replace(complete, **{k: "  " for k in missing})) == blocked


def test_blocked_channels_of_the_defaults():
    assert blocked_channels(Settings()) == {"email": ("company_name", "sender_email"), "sms": ("company_name",),
                                            "letter": ("company_name", "company_address")}


def test_a_line_break_in_a_header_setting_is_said():
    b = book([customer("C1")], [], settings={"sender_name": "Dumas\nCompta", "company_name": "Atelier\r\nDumas"})
    said = {(a.code, a.value) for a in b.anomalies if a.code == "R084"}
    assert said == {("R084", "Dumas\nCompta"), ("R084", "Atelier\r\nDumas")}
