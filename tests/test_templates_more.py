"""Templates beyond the standard ladder: the J+1 notice, the SMS parts and the call script."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from htmlcheck import assert_balanced
from relance.app.resources import data_dir, message_templates
from relance.engine.contract import normalize
from relance.engine.pause import _OUTCOMES
from relance.engine.sms import is_gsm7, segments, to_gsm7
from relance.render.messages import Renderer, sample_context

LANGS = ("fr", "en")
SMS_TEMPLATES = ("notice", "courtesy", "reminder_1", "reminder_2", "formal_notice")
NEW_PARTS = (
    [("notice", p) for p in ("subject", "html", "text")]
    + [(t, "sms") for t in SMS_TEMPLATES]
    + [("call", "subject"), ("call", "script")]
)
#: days past due of the first (oldest) invoice when each step runs
DAYS = {"notice": 1, "courtesy": -5, "call": 21}
PAY = "https://pay.example.com/F-2025-001"
PENALTY_WORDS = ("pénalit", "penalt", "interest", "intérêt", "indemn", "compensation", "L441")


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(message_templates())


def ctx(
    lang: str,
    template: str,
    *,
    b2b: bool = True,
    invoices: int = 1,
    pay: bool = True,
    days: int | None = None,
    currencies: tuple[str, ...] = ("EUR",),
) -> dict[str, Any]:
    context = sample_context(
        lang,
        b2b=b2b,
        invoices=invoices,
        currencies=currencies,
        days_past_due=DAYS.get(template, 35) if days is None else days,
        step=template,
    )
    if not pay:
        for inv in context["invoices"]:  # type: ignore[attr-defined]
            inv["payment_url"] = ""
    return context


def plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def sms_body(text: str) -> str:
    """What the executor hands to the SMS gateway."""
    return to_gsm7(" ".join(text.split()))




# --------------------------------------------------------------------------- every new part


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("template", "part"), NEW_PARTS)
@pytest.mark.parametrize("b2b", [True, False], ids=["B2B", "B2C"])
@pytest.mark.parametrize("count", [1, 3])
@pytest.mark.parametrize("pay", [True, False], ids=["pay_url", "no_pay_url"])
def test_every_new_part_renders(
    renderer: Renderer, lang: str, template: str, part: str, b2b: bool, count: int, pay: bool
) -> None:
    context = ctx(lang, template, b2b=b2b, invoices=count, pay=pay)
    out = renderer.render(template, lang, part, context)
    assert out.strip() and "{{" not in out and "{%" not in out
    if part == "subject":
        assert "\n" not in out
        assert (
            "Atelier Dupont SARL" if template == "notice" else context["customer"]["name"]
        ) in out
    elif part == "html":
        assert out.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in out
        assert "<style" not in out and "<img" not in out and "<script" not in out
        assert "Atelier Dupont SARL" in out and "relances@atelier-dupont.example" in out
        assert_balanced(out)
    elif part == "sms":
        assert out.count("\n") == 1 and out.endswith("\n"), "one paragraph, one line"
        assert "  " not in out and out == out.lstrip()
        assert out.startswith("Atelier Dupont SARL: ")
        assert (PAY in out) == pay
        if count == 1:
            assert "F-2025-001" in out
        else:
            assert f"{count} {'factures' if lang == 'fr' else 'invoices'} (" in out
    else:
        assert "<" not in out
    if part in ("html", "text", "script"):
        assert all(inv["id"] in out for inv in context["invoices"])
    if not b2b and template != "call":
        assert not any(w in out.lower() for w in PENALTY_WORDS), out


def test_the_checker_finds_no_problem(renderer: Renderer) -> None:
    names = ["notice", "courtesy", "reminder_1", "reminder_2", "formal_notice", "call"]
    assert Renderer(message_templates()).check(names) == []
    for b2b in (True, False):
        for count in (1, 4):
            problems = renderer.check(
                names,
                sample=lambda lang, b2b=b2b, count=count: sample_context(
                    lang, b2b=b2b, invoices=count, currencies=("EUR", "GBP")
                ),
            )
            assert problems == []
    for lang in LANGS:
        for name in ("notice", "call"):
            assert renderer.language(name, lang) == lang  # its own files, no fallback
        for name in SMS_TEMPLATES:
            assert renderer.has(name, lang, "sms")


# --------------------------------------------------------------------------- SMS


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("template", SMS_TEMPLATES)
@pytest.mark.parametrize("b2b", [True, False], ids=["B2B", "B2C"])
@pytest.mark.parametrize("pay", [True, False], ids=["pay_url", "no_pay_url"])
def test_sms_with_one_invoice_fits_one_part(
    renderer: Renderer, lang: str, template: str, b2b: bool, pay: bool
) -> None:
    out = renderer.render(template, lang, "sms", ctx(lang, template, b2b=b2b, pay=pay))
    body = sms_body(out)
    assert body == " ".join(out.split()).replace("\u00a0", " ")  # nothing else to replace
    assert len(body) <= 160
    encoding, units, parts = segments(body)
    assert (encoding, parts) == ("GSM-7", 1) and units <= 160
    assert segments(body)[2] == 1
    # the template itself writes only GSM-7 (the no-break spaces come from the money filter)
    assert is_gsm7(plain(out).strip())


@pytest.mark.parametrize(
    ("lang", "template", "expected"),
    [
        (
            "fr",
            "notice",
            "Atelier Dupont SARL: un oubli? Facture F-2025-001 de 1 234,56 € échue hier.",
        ),
        ("fr", "courtesy", "petit rappel, facture F-2025-001 de 1 234,56 € à régler le 05/04."),
        ("fr", "reminder_1", "rappel, facture F-2025-001 de 1 234,56 € impayée depuis le 24/02."),
        (
            "fr",
            "reminder_2",
            "2e rappel, facture F-2025-001 de 1 234,56 € impayée depuis 35 jours.",
        ),
        (
            "fr",
            "formal_notice",
            "mise en demeure envoyée, facture F-2025-001 de 1 234,56 € échue le 24/02.",
        ),
        ("en", "notice", "friendly nudge, invoice F-2025-001 for €1,234.56 fell due yesterday."),
        ("en", "courtesy", "friendly reminder, invoice F-2025-001 for €1,234.56 is due on 5 Apr."),
        ("en", "reminder_1", "reminder, invoice F-2025-001 for €1,234.56 unpaid since 24 Feb."),
        (
            "en",
            "reminder_2",
            "second reminder, invoice F-2025-001 for €1,234.56 now 35 days overdue.",
        ),
        (
            "en",
            "formal_notice",
            "formal notice sent, invoice F-2025-001 for €1,234.56 unpaid since 24 Feb.",
        ),
    ],
)
def test_sms_says_what_how_much_and_when(
    renderer: Renderer, lang: str, template: str, expected: str
) -> None:
    out = plain(renderer.render(template, lang, "sms", ctx(lang, template)))
    assert expected in out
    pay = "Payer: " if lang == "fr" else "Pay: "
    reply = "Question? " if lang == "fr" else "Questions? "
    assert out.rstrip().endswith(f"{pay}{PAY} {reply}+33123456789")


@pytest.mark.parametrize("lang", LANGS)
def test_sms_notice_after_a_few_days_gives_the_due_date(renderer: Renderer, lang: str) -> None:
    out = plain(renderer.render("notice", lang, "sms", ctx(lang, "notice", days=3)))
    assert ("échue le 28/03" if lang == "fr" else "fell due on 28 Mar") in out
    assert len(sms_body(out)) <= 160


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_sms_with_several_invoices_and_currencies(
    renderer: Renderer, lang: str, template: str
) -> None:
    context = ctx(lang, template, invoices=4, currencies=("EUR", "GBP"))
    out = plain(renderer.render(template, lang, "sms", context))
    assert out.count("\n") == 1
    if lang == "fr":
        assert "4 factures (2 669,12 € + 2 469,12 £GB)" in out
        assert f"Payer la F-2025-001: {PAY} " in out
    else:
        assert "4 invoices (€2,669.12 + £2,469.12)" in out
        assert f"Pay F-2025-001: {PAY} " in out
    assert "F-2025-002" not in out  # no room for every number: the count and the totals


@pytest.mark.parametrize("lang", LANGS)
def test_sms_reply_falls_back_to_the_reply_address(renderer: Renderer, lang: str) -> None:
    context = ctx(lang, "reminder_1", pay=False)
    context["company"]["phone"] = ""  # type: ignore[index]
    out = renderer.render("reminder_1", lang, "sms", context)
    assert out.rstrip().endswith("? relances@atelier-dupont.example")
    context["company"]["phone"] = "01\u00a023.45.67.89"  # type: ignore[index]
    assert renderer.render("reminder_1", lang, "sms", context).rstrip().endswith("? 0123456789")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("count", [1, 3])
def test_formal_notice_sms_announces_the_notice_without_penalties_to_consumers(
    renderer: Renderer, lang: str, count: int
) -> None:
    for b2b in (False, True):
        context = ctx(lang, "formal_notice", b2b=b2b, invoices=count)
        out = renderer.render("formal_notice", lang, "sms", context)
        assert ("mise en demeure envoyée" if lang == "fr" else "formal notice sent") in out
        assert not any(w in out.lower() for w in PENALTY_WORDS)
        assert "41,00" not in plain(out) and "€40" not in out and "40 €" not in plain(out)


# --------------------------------------------------------------------------- J+1 notice


@pytest.mark.parametrize("b2b", [True, False], ids=["B2B", "B2C"])
def test_notice_french(renderer: Renderer, b2b: bool) -> None:
    context = ctx("fr", "notice", b2b=b2b)
    subject = renderer.render("notice", "fr", "subject", context)
    assert subject == "Atelier Dupont SARL – Facture F-2025-001 arrivée à échéance hier"
    text = plain(renderer.render("notice", "fr", "text", context))
    assert text.startswith("Bonjour Claire Martin,\n")
    assert (
        "la facture F-2025-001 du 28 février 2025, d'un montant de 1 234,56 €, "
        "est arrivée à échéance hier, le 30 mars 2025." in text
    )
    assert "simple oubli" in text
    assert f"Vous pouvez la régler en ligne en quelques clics : {PAY}" in text
    assert "ne pas tenir compte de ce message" in text and "Répondez simplement" in text
    assert text.count("Bien cordialement,") == 1
    html = plain(renderer.render("notice", "fr", "html", context))
    assert f'<a href="{PAY}" style="display:inline-block;' in html
    assert ">Payer la facture F-2025-001</a>" in html
    assert "<strong>hier</strong>, le 30 mars 2025" in html
    assert "Pénalités" not in html and "Mise en demeure" not in html


@pytest.mark.parametrize("b2b", [True, False], ids=["B2B", "B2C"])
def test_notice_english(renderer: Renderer, b2b: bool) -> None:
    context = ctx("en", "notice", b2b=b2b)
    subject = renderer.render("notice", "en", "subject", context)
    assert subject == "Atelier Dupont SARL – invoice F-2025-001 fell due yesterday"
    text = renderer.render("notice", "en", "text", context)
    assert text.startswith("Dear Claire Martin,\n")
    assert (
        "invoice F-2025-001 dated 28 February 2025, for €1,234.56, "
        "fell due yesterday (30 March 2025)." in text
    )
    assert "slipped through the net" in text
    assert f"You can pay it online in a couple of clicks: {PAY}" in text
    html = renderer.render("notice", "en", "html", context)
    assert f'<a href="{PAY}" style="display:inline-block;' in html
    assert ">Pay invoice F-2025-001</a>" in html
    assert "Late interest" not in html


@pytest.mark.parametrize("lang", LANGS)
def test_notice_a_few_days_late_gives_the_date(renderer: Renderer, lang: str) -> None:
    context = ctx(lang, "notice", days=3)
    subject = renderer.render("notice", lang, "subject", context)
    text = renderer.render("notice", lang, "text", context)
    if lang == "fr":
        assert subject.endswith("arrivée à échéance le 28 mars 2025")
        assert "est arrivée à échéance le 28 mars 2025." in text and "hier" not in text
    else:
        assert subject.endswith("fell due on 28 March 2025")
        assert "fell due on 28 March 2025." in text and "yesterday" not in text


@pytest.mark.parametrize("lang", LANGS)
def test_notice_several_invoices(renderer: Renderer, lang: str) -> None:
    # 35, 28 and 21 days late: all past due
    context = ctx(lang, "notice", invoices=3, days=35)
    text = plain(renderer.render("notice", lang, "text", context))
    subject = renderer.render("notice", lang, "subject", context)
    if lang == "fr":
        assert subject.endswith("Factures F-2025-001, F-2025-002 et F-2025-003 arrivées à échéance")
        assert (
            "les factures ci-dessous sont arrivées à échéance, pour un total de 3 803,68 €" in text
        )
        assert "grâce aux liens « Payer »" in text
    else:
        assert subject.endswith("invoices F-2025-001, F-2025-002 and F-2025-003 now past due")
        assert "the invoices below are now past due, for a total of €3,803.68" in text
        assert '"Pay now" links' in text
    # 8, 1 and -6 days: two are late, one is not due yet
    context = ctx(lang, "notice", invoices=3, days=8)
    text = plain(renderer.render("notice", lang, "text", context))
    subject = renderer.render("notice", lang, "subject", context)
    assert "F-2025-003" not in subject
    assert ("2 des factures ci-dessous" if lang == "fr" else "2 of the invoices below") in text
    # 1, -6 and -13 days: only the first is late
    context = ctx(lang, "notice", invoices=3, days=1)
    text = plain(renderer.render("notice", lang, "text", context))
    if lang == "fr":
        assert "la facture F-2025-001 est arrivée à échéance hier." in text
    else:
        assert "invoice F-2025-001 fell due yesterday." in text


def test_notice_subject_with_many_invoices(renderer: Renderer) -> None:
    fr = renderer.render("notice", "fr", "subject", ctx("fr", "notice", invoices=5, days=40))
    assert fr == "Atelier Dupont SARL – 5 factures arrivées à échéance"
    en = renderer.render("notice", "en", "subject", ctx("en", "notice", invoices=5, days=40))
    assert en == "Atelier Dupont SARL – 5 invoices now past due"


@pytest.mark.parametrize("lang", LANGS)
def test_notice_without_payment_link(renderer: Renderer, lang: str) -> None:
    for count in (1, 3):
        context = ctx(lang, "notice", invoices=count, pay=False)
        text = renderer.render("notice", lang, "text", context)
        html = renderer.render("notice", lang, "html", context)
        assert "pay.example.com" not in text and "pay.example.com" not in html
        assert ("moyen de paiement habituel" if lang == "fr" else "usual payment method") in text


# --------------------------------------------------------------------------- escaping


@pytest.mark.parametrize("lang", LANGS)
def test_html_is_escaped_other_parts_are_not(renderer: Renderer, lang: str) -> None:
    context = ctx(lang, "notice")
    context["customer"]["name"] = "<script>alert(1)</script>"  # type: ignore[index]
    context["customer"]["contact_name"] = "<b>Zoé</b> & Co"  # type: ignore[index]
    context["company"]["name"] = "Dupont & Fils <SA>"  # type: ignore[index]
    context["invoices"][0]["payment_url"] = 'https://pay.example.com/x?a=1&b="2"'  # type: ignore[index]
    html = renderer.render("notice", lang, "html", context)
    assert "&lt;b&gt;Zoé&lt;/b&gt; &amp; Co" in html and "<b>Zoé" not in html
    assert "Dupont &amp; Fils &lt;SA&gt;" in html
    assert 'href="https://pay.example.com/x?a=1&amp;b=&#34;2&#34;"' in html
    assert_balanced(html)
    text = renderer.render("notice", lang, "text", context)
    assert "<b>Zoé</b> & Co" in text and "Dupont & Fils <SA>" in text
    sms = renderer.render("reminder_1", lang, "sms", context)
    assert sms.startswith("Dupont & Fils <SA>: ")
    script = renderer.render(
        "call", lang, "script", ctx(lang, "call") | {"customer": context["customer"]}
    )
    assert "<script>alert(1)</script>" in script and "<b>Zoé</b> & Co" in script


@pytest.mark.parametrize("lang", LANGS)
def test_unsafe_links_are_left_out(renderer: Renderer, lang: str) -> None:
    context = ctx(lang, "notice")
    context["invoices"][0]["payment_url"] = "javascript:alert(1)"  # type: ignore[index]
    for template, part in NEW_PARTS:
        out = renderer.render(template, lang, part, context)
        assert "javascript:" not in out, (template, part)


# --------------------------------------------------------------------------- call script


def _tasks_columns() -> dict[str, dict[str, str]]:
    book = yaml.safe_load((data_dir("sheet_templates") / "workbook.yaml").read_text("utf-8"))
    tasks = next(tab for tab in book["tabs"] if tab["key"] == "tasks")
    cols = {c["key"]: c for c in tasks["columns"]}
    return {"tab": {"fr": tasks["fr"], "en": tasks["en"]}, **cols}


@pytest.mark.parametrize("b2b", [True, False], ids=["B2B", "B2C"])
@pytest.mark.parametrize("count", [1, 3])
def test_call_script_french(renderer: Renderer, b2b: bool, count: int) -> None:
    context = ctx("fr", "call", b2b=b2b, invoices=count, currencies=("EUR", "GBP"))
    script = plain(renderer.render("call", "fr", "script", context))
    name = "Boulangerie Martin" if b2b else "Claire Martin"
    assert script.startswith(f"APPEL À PASSER : {name}")
    assert f"Qui appeler : {'Claire Martin, ' if b2b else ''}{name} – " in script
    assert "colonne telephone" in script
    assert "2 relances déjà envoyées" in script
    assert (
        "- F-2025-001 du 8 février 2025, échue le 10 mars 2025 (21 jours de retard) : "
        "reste dû 1 234,56 € sur 1 234,56 €" in script
    )
    if count == 3:
        assert "(14 jours de retard) : reste dû 1 134,56 £GB sur 1 334,56 £GB" in script
        assert (
            "Total restant dû (EUR) : 2 669,12 €\nTotal restant dû (GBP) : 1 134,56 £GB" in script
        )
    else:
        assert "Total restant dû : 1 234,56 €" in script
    assert f"Lien de paiement à communiquer : {PAY}" in script
    for point in ("date de paiement précise", "contestée", "renvoyer", "courtois"):
        assert point in script
    assert ("échéancier" in script) and ("ni pénalités de retard" in script) != b2b
    if b2b:
        assert "Les pénalités de retard (" in script and "à ce jour)" in script
    else:
        assert "à ce jour)" not in script
    assert "onglet Taches" in script
    assert "colonne resultat = promesse, et colonne date_resultat = la date promise" in script
    assert "resultat = litige" in script and "resultat = pas de réponse" in script
    assert "Tasks" in script and "outcome et outcome_date" in script
    subject = plain(renderer.render("call", "fr", "subject", context))
    assert subject.startswith(f"Appel à passer : {name} (C001) – ") and "\n" not in subject


@pytest.mark.parametrize("b2b", [True, False], ids=["B2B", "B2C"])
@pytest.mark.parametrize("count", [1, 3])
def test_call_script_english(renderer: Renderer, b2b: bool, count: int) -> None:
    context = ctx("en", "call", b2b=b2b, invoices=count, currencies=("EUR", "GBP"))
    script = renderer.render("call", "en", "script", context)
    name = "Boulangerie Martin" if b2b else "Claire Martin"
    assert script.startswith(f"CALL TO MAKE: {name}")
    assert "2 reminders already sent" in script
    assert (
        "- F-2025-001 dated 8 February 2025, due 10 March 2025 (21 days overdue): "
        "€1,234.56 outstanding of €1,234.56" in script
    )
    if count == 3:
        assert "Total outstanding (EUR): €2,669.12\nTotal outstanding (GBP): £1,134.56" in script
    else:
        assert "Total outstanding: €1,234.56" in script
    for point in ("specific payment date", "disputed", "resend", "polite"):
        assert point in script
    assert "payment plan" in script
    assert ("no late-payment interest" in script) != b2b
    assert "Tasks tab" in script
    assert "outcome column = promise, and outcome_date column = the promised date" in script
    assert "outcome = dispute" in script and "outcome = no answer" in script
    assert "Taches" in script and "resultat and date_resultat" in script
    subject = renderer.render("call", "en", "subject", context)
    assert subject.startswith(f"Call to make: {name} (C001) – ") and "\n" not in subject


def test_call_script_names_the_real_columns_and_outcomes(renderer: Renderer) -> None:
    cols = _tasks_columns()
    fr = renderer.render("call", "fr", "script", ctx("fr", "call"))
    en = renderer.render("call", "en", "script", ctx("en", "call"))
    for script in (fr, en):
        assert cols["tab"]["fr"] in script and cols["tab"]["en"] in script
        for key in ("outcome", "outcome_date"):
            assert cols[key]["fr"] in script and cols[key]["en"] in script
    understood = {name for names in _OUTCOMES.values() for name in names}
    for word in (
        "promesse",
        "litige",
        "pas de réponse",
        "payé",
        "promise",
        "dispute",
        "no answer",
        "paid",
    ):
        assert normalize(word) in understood, word
    assert "date_resultat = la date promise (ex. 15/04/2025 ou 2025-04-15)" in fr
    assert dt.date(2025, 4, 15).isoformat() in en
