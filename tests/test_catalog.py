"""The catalog of user-facing strings: every phrase in both languages, consistent, typeset."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from relance.engine.catalog import every_phrase
from relance.engine.formats import formats
from relance.engine.i18n import NBSP, NNBSP, Phrase, Said, french_typography, placeholders

PHRASES = sorted(every_phrase())
#: English words that must never appear in French output.
ENGLISH_DENYLIST = re.compile(
    r"\b(sent|courtesy|handoff|warning|invoice|invoices|customer|customers|payment|failed|planned|"
    r"skipped|reminder|row|the|and|settings|approval|pending)\b")


def test_every_phrase_has_both_languages_and_the_same_placeholders():
    for key, phrase in PHRASES:
        assert phrase.fr.strip() and phrase.en.strip(), key
        names = {placeholders(p) for _, p in phrase.patterns()}
        assert len(names) == 1, f"{key}: placeholders differ between forms: {names}"


@pytest.mark.parametrize(("key", "phrase"), PHRASES or [("none", Phrase("x", "x"))])
def test_french_phrases_are_typeset_and_french(key, phrase):
    for lang, pattern in phrase.patterns():
        if lang != "fr":
            continue
        assert not re.search(r"[ ][:;!?»]", pattern), f"{key}: ordinary space before punctuation: {pattern!r}"
        assert not re.search(r"«[ ]", pattern), f"{key}: ordinary space after «: {pattern!r}"
        words = re.sub(r"\{[^}]*\}|'[^']*'|`[^`]*`", "", pattern)  # placeholders and quoted names
        assert not ENGLISH_DENYLIST.search(words), f"{key}: English word in French: {pattern!r}"
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", words), f"{key}: ISO date in French prose"


def test_typography_spaces_and_urls():
    assert french_typography("Objet : « relance » ; payé ? oui !") == (
        f"Objet{NBSP}: «{NNBSP}relance{NNBSP}»{NNBSP}; payé{NNBSP}? oui{NNBSP}!")
    assert french_typography("https://pay.example/x?id=1 a@b.fr 12:30") == "https://pay.example/x?id=1 a@b.fr 12:30"
    assert french_typography("vraiment?") == f"vraiment{NNBSP}?"


def test_plural_forms_follow_each_language():
    p = Phrase("{n} clients", "{n} customers", fr_one="{n} client", en_one="{n} customer")
    assert [p.text("fr", n=n) for n in (0, 1, 2)] == ["0 client", "1 client", "2 clients"]
    assert [p.text("en", n=n) for n in (0, 1, 2)] == ["0 customers", "1 customer", "2 customers"]


def test_said_renders_dates_and_nested_phrases_per_language():
    inner = Phrase("la facture", "the invoice")
    outer = Phrase("{what} échue le {day}", "{what} due on {day}")
    said = outer(what=inner(), day=dt.date(2026, 12, 1))
    assert said.fr == f"la facture échue le 1er{NBSP}décembre{NBSP}2026"
    assert said.en == f"the invoice due on 1{NBSP}December{NBSP}2026"
    assert Said.verbatim("R123").fr == "R123"


def test_formats_round_half_up_and_write_french_figures():
    fr, en = formats("fr_FR"), formats("en_GB")
    assert fr.money(Decimal("0.125"), "EUR") == f"0,13{NBSP}€"  # babel alone gives 0,12 (half-even)
    assert en.money(Decimal("1234.565"), "EUR") == "€1,234.57"
    assert fr.money(Decimal("1138.46"), "EUR") == f"1{NBSP}138,46{NBSP}€"
    assert fr.percent(Decimal("1.85")) == f"1,9{NBSP}%" and en.percent(Decimal("1.85")) == "1.9%"
    assert fr.days(Decimal("82.52")) == f"82,5{NBSP}jours" and en.days(1) == f"1.0{NBSP}day"
    assert fr.of("Alain") == "d'Alain" and fr.of("Martin") == "de Martin" and fr.of("Hélène") == "d'Hélène"
    assert fr.count(1, "client", "clients") == f"1{NBSP}client"
    assert fr.count(2654, "relance", "relances") == f"2{NBSP}654{NBSP}relances"
    assert fr.short_date(dt.date(2026, 12, 1)) == "01/12/2026"
