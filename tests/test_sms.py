"""SMS (engine/sms.py): the GSM-7 alphabet, message segments and mobile numbers in E.164."""

from __future__ import annotations

import pytest

from relance.engine.sms import GSM7_BASIC, GSM7_EXTENSION, is_gsm7, mobile_e164, segments, to_gsm7

# ---------------------------------------------------------------- GSM-7


def test_gsm7_tables_are_the_3gpp_ones():
    assert len(GSM7_BASIC) == 127  # 128 codes less the escape
    assert set("éèùìòÇàÉÄÖÑÜäöñüÅåØøÆæß") <= GSM7_BASIC
    assert not set("êâîôûëïçÀÈœ’€") & GSM7_BASIC
    assert set("€[]{}\\^~|") <= GSM7_EXTENSION


@pytest.mark.parametrize(("text", "expected"), [
    ("1\u202f234,50\u00a0€", "1 234,50 €"),  # babel's narrow and plain no-break spaces
    ("Cœur d’Œuvre", "Coeur d'OEuvre"),
    ("fenêtre âge île hôtel sûr Noël naïf reçu", "fenetre age ile hotel sur Noel naif recu"),
    ("été, où, là, déjà, Ça, É", "été, où, là, déjà, Ça, É"),  # already GSM-7
    ("À bientôt — «merci»…", 'A bientot - "merci"...'),
    ("facture n° 12", "facture no 12"),
    ("e\u0301te\u0301", "été"),  # decomposed accents are composed first
    ("merci 😀", "merci ?"),
    ("[ref] {x} ~ | ^ \\", "[ref] {x} ~ | ^ \\"),
])
def test_to_gsm7(text, expected):
    assert to_gsm7(text) == expected
    assert is_gsm7(to_gsm7(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("", ("GSM-7", 0, 0)),
    ("a" * 160, ("GSM-7", 160, 1)),
    ("a" * 161, ("GSM-7", 161, 2)),
    ("a" * 306, ("GSM-7", 306, 2)),
    ("a" * 307, ("GSM-7", 307, 3)),
    ("a" * 159 + "€", ("GSM-7", 161, 2)),
    ("€" * 80, ("GSM-7", 160, 1)),
    ("é" * 160, ("GSM-7", 160, 1)),
    # an escape pair is never split: 152 + € does not fit the first 153, so three parts
    ("a" * 152 + "€" + "a" * 152, ("GSM-7", 306, 3)),
    ("ê" * 70, ("UCS-2", 70, 1)),
    ("ê" * 71, ("UCS-2", 71, 2)),
    ("a" * 134 + "ê", ("UCS-2", 135, 3)),
    ("Payez 😀", ("UCS-2", 8, 1)),
    ("😀" * 35, ("UCS-2", 70, 1)),
    ("😀" * 36, ("UCS-2", 72, 2)),
    ("a" * 66 + "😀" + "a", ("UCS-2", 69, 1)),
    ("a" * 66 + "😀" + "a" * 3, ("UCS-2", 71, 2)),
])
def test_segments(text, expected):
    assert segments(text) == expected


def test_a_babel_amount_costs_three_times_less_after_to_gsm7():
    text = ("Bonjour, votre facture F-2025-001 de 1\u202f234,50\u00a0€ est échue depuis 15 jours. "
            "Merci de régulariser ou d’appeler le 01 23 45 67 89. Société Exemple.")
    assert segments(text)[0] == "UCS-2" and segments(text)[2] == 3
    assert segments(to_gsm7(text)) == ("GSM-7", len(to_gsm7(text)) + 1, 1)  # "€" counts twice


# ---------------------------------------------------------------- mobile numbers


@pytest.mark.parametrize(("raw", "expected"), [
    ("06 12 34 56 78", "+33612345678"),
    ("07 81 23 45 67", "+33781234567"),
    ("06.12.34.56.78", "+33612345678"),
    ("+33 (0)6 12 34 56 78", "+33612345678"),
    ("0033 6 12 34 56 78", "+33612345678"),
    ("+44 7911 123456", "+447911123456"),
    ("01 42 68 53 00", None),  # Paris landline
    ("09 70 12 34 56", None),  # VoIP
    ("06 12", None),
    ("not a number", None),
    ("", None),
    (None, None),
])
def test_mobile_e164(raw, expected):
    assert mobile_e164(raw) == expected


def test_mobile_e164_default_region():
    assert mobile_e164("07911 123456", "GB") == "+447911123456"
    assert mobile_e164("0612345678", "") is None  # no region and no +: cannot tell
    assert mobile_e164("+1 415 555 2671") == "+14155552671"  # FIXED_LINE_OR_MOBILE in North America
