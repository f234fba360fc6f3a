"""The shipped message templates (scenarios/templates): every part renders, and each says what it
must: the e-mails of the ladder, the J+1 notice, the SMS parts, the call and hand-off scripts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import yaml

from contexts import AS_OF, NBSP, context, five_invoices, invoice, one_invoice, plain
from htmlcheck import assert_balanced
from relance.app.resources import data_dir, message_templates
from relance.engine.contract import normalize
from relance.engine.pause import _OUTCOMES
from relance.engine.sms import is_gsm7, segments, to_gsm7
from relance.render.messages import Renderer, sample_context

LANGS = ("fr", "en")
EMAIL_TEMPLATES = ("courtesy", "reminder_1", "reminder_2", "formal_notice")
EMAIL_PARTS = ("subject", "html", "text")
ALL_PARTS = [(t, p) for t in EMAIL_TEMPLATES for p in EMAIL_PARTS] + [
    ("handoff", "subject"),
    ("handoff", "script"),
]
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


def sample(
    lang: str,
    template: str,
    *,
    b2b: bool = True,
    invoices: int = 1,
    pay: bool = True,
    days: int | None = None,
    currencies: tuple[str, ...] = ("EUR",),
) -> dict[str, Any]:
    """message.sample_context at the day `template`'s step runs (contexts.context builds one by hand)."""
    values = sample_context(
        lang,
        b2b=b2b,
        invoices=invoices,
        currencies=currencies,
        days_past_due=DAYS.get(template, 35) if days is None else days,
        step=template,
    )
    if not pay:
        for inv in values["invoices"]:  # type: ignore[attr-defined]
            inv["payment_url"] = ""
    return values


def sms_body(text: str) -> str:
    """What the executor hands to the SMS gateway."""
    return to_gsm7(" ".join(text.split()))


# --------------------------------------------------------------------------- every template of the ladder


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(("template", "part"), ALL_PARTS)
@pytest.mark.parametrize("b2b", [True, False], ids=["B2B", "B2C"])
@pytest.mark.parametrize("count", [1, 5])
def test_every_template_renders(
    renderer: Renderer, lang: str, template: str, part: str, b2b: bool, count: int
) -> None:
    invoices = one_invoice() if count == 1 else five_invoices()
    out = renderer.render(template, lang, part, context(invoices, lang=lang, b2b=b2b))
    assert out.strip()
    if part == "subject":
        assert "\n" not in out
        assert ("Boulangerie Martin" if template == "handoff" else "Atelier Dupont") in out
        assert invoices[0]["id"] in out if count == 1 else "5 " in out
    if part == "html":
        assert out.startswith("<!DOCTYPE html>")
        assert f'<html lang="{lang}">' in out
        assert "<style" not in out and "<img" not in out and "<script" not in out
        assert "Atelier Dupont" in out and "compta@dupont.example" not in out  # one address: the Reply-To
        assert "relances@dupont.example" in out
        assert 'href="https://dupont.example/confidentialite"' in out
        assert_balanced(out)
    if part in ("text", "script"):
        assert "<" not in out and "{{" not in out
    if part != "subject":
        assert all(inv["id"] in out for inv in invoices)


def test_sample_context_renders_everything(renderer: Renderer) -> None:
    for lang in ("fr", "en"):
        for b2b in (True, False):
            for template, part in ALL_PARTS:
                ctx = sample_context(lang, b2b=b2b, invoices=4, currencies=("EUR", "GBP"))
                assert renderer.render(template, lang, part, ctx)


def test_standard_scenario_has_its_templates(renderer: Renderer) -> None:
    scenario = yaml.safe_load((data_dir("scenarios") / "standard.yaml").read_text("utf-8"))
    assert scenario["name"] == "standard"
    assert set(scenario["label"]) == set(scenario["description"]) == {"fr", "en"}
    steps = scenario["steps"]
    assert [(s["step"], s["offset_days"], s["channel"]) for s in steps] == [
        ("courtesy", -5, "email"), ("notice", 1, "email"), ("reminder_1", 7, "email"),
        ("reminder_2", 15, "email"), ("reminder_2_sms", 15, "sms"), ("call", 21, "call"),
        ("formal_notice", 30, "email"), ("formal_notice_letter", 30, "letter"), ("handoff", 45, "agency"),
    ]
    for s in steps:
        assert s["min_balance"] == "0" and s["requires_approval"] is (s["channel"] == "agency")
        assert set(s["label"]) == {"fr", "en"}
        parts = {"email": EMAIL_PARTS, "sms": ("sms",), "letter": ()}.get(s["channel"], ("subject", "script"))
        for lang in ("fr", "en"):
            assert renderer.parts(s["template"], lang) >= set(parts)
    assert steps[-1]["channel"] == "agency"
    assert renderer.check([s["template"] for s in steps], sample=sample_context) == []


# --------------------------------------------------------------------------- e-mail wording and formats


def test_french_amounts_and_dates(renderer: Renderer) -> None:
    ctx = context(one_invoice())
    text = renderer.render("reminder_1", "fr", "text", ctx)
    assert f"1{NBSP}234,56{NBSP}€" in text  # no-break spaces: an amount never wraps
    assert "1er mars 2025" in plain(text) and "30 janvier 2025" in plain(text)
    assert "Sauf erreur de notre part" in text
    html = renderer.render("reminder_1", "fr", "html", ctx)
    assert f"1{NBSP}234,56{NBSP}€" in html and "01/03/2025" in html


def test_english_amounts_and_dates(renderer: Renderer) -> None:
    text = plain(renderer.render("reminder_1", "en", "text", context(one_invoice(), lang="en")))
    assert "€1,234.56" in text and "1 March 2025" in text


def test_totals_per_currency(renderer: Renderer) -> None:
    ctx = context(five_invoices())
    text = plain(renderer.render("reminder_1", "fr", "text", ctx))
    assert "Total restant dû (EUR) : 1 059,99 €" in text
    assert "Total restant dû (USD) : 12 250,50 $US" in text
    html = plain(renderer.render("reminder_1", "fr", "html", ctx))
    assert "1 059,99 €" in html and "12 250,50 $US" in html
    en = renderer.render("reminder_1", "en", "text", context(five_invoices(), lang="en"))
    assert "€1,059.99 and US$12,250.50" in en


def test_subject_names_company_and_invoices(renderer: Renderer) -> None:
    invoices = five_invoices()
    one = renderer.render("reminder_1", "fr", "subject", context(invoices[:1]))
    assert one == "Atelier Dupont – Relance\u00a0: facture F-1 en attente de règlement"  # no-break space before :
    three = renderer.render("reminder_2", "fr", "subject", context(invoices[:3]))
    assert "factures F-1, F-2 et F-3" in three and "impayées" in three
    five = renderer.render("formal_notice", "fr", "subject", context(invoices))
    assert "5 factures" in five and "F-1" not in five and "Mise en demeure" in five
    en = renderer.render("reminder_2", "en", "subject", context(five_invoices()[:2], lang="en"))
    assert en == "Atelier Dupont – second reminder: invoices F-1 and F-2 remain unpaid"
    assert "5 invoices" in renderer.render(
        "courtesy", "en", "subject", context(five_invoices(), lang="en")
    )


def test_courtesy_before_the_due_date(renderer: Renderer) -> None:
    invoices = [invoice("F-9", AS_OF + dt.timedelta(days=5), "80.00", penalty=None)]
    fr = plain(renderer.render("courtesy", "fr", "text", context(invoices, step="courtesy")))
    assert "arrive à échéance le 5 avril 2025 (dans 5 jours)" in fr
    assert "échéance dans 5 jours" in fr
    en = plain(renderer.render("courtesy", "en", "text", context(invoices, lang="en")))
    assert "is due on 5 April 2025 (in 5 days)" in en
    today = [invoice("F-9", AS_OF, "80.00")]
    assert "aujourd'hui" in renderer.render("courtesy", "fr", "text", context(today))


def test_reminder_2_asks_for_a_payment_date(renderer: Renderer) -> None:
    fr = plain(renderer.render("reminder_2", "fr", "text", context(one_invoice(), reminders_sent=2)))
    assert "au plus tard le 8 avril 2025" in fr and "la date à laquelle le paiement" in fr
    assert "Malgré nos 2 précédents messages" in fr
    en = plain(renderer.render("reminder_2", "en", "html", context(one_invoice(), lang="en")))
    assert "let us know when payment will be made" in en and "8 April 2025" in en


def test_formal_notice_b2b_states_penalties_and_indemnity(renderer: Renderer) -> None:
    ctx = context(five_invoices(), step="formal_notice")
    for part in ("text", "html"):
        out = plain(renderer.render("formal_notice", "fr", part, ctx))
        assert "MISE EN DEMEURE" in out and "mise en demeure" in out
        assert "L441-10" in out and "D441-5" in out
        assert "40,00 € par facture" in out and "200,00 € pour 5 factures" in out
        assert "22,00 € et 134,12 $US" in out  # penalties per currency
        assert "au plus tard le 8 avril 2025" in out
        assert "Total réclamé (EUR)" in out and "1 281,99 €" in out  # 1059.99 + 22.00 + 200
        assert "Total réclamé (USD)" in out and "12 384,62 $US" in out
    subject = renderer.render("formal_notice", "fr", "subject", ctx)
    assert subject.startswith("Mise en demeure")


def test_formal_notice_b2c_has_no_penalties_nor_indemnity(renderer: Renderer) -> None:
    ctx = context(one_invoice(), b2b=False, step="formal_notice")
    for part in EMAIL_PARTS:
        out = plain(renderer.render("formal_notice", "fr", part, ctx)).lower()
        assert "mise en demeure" in out
        for word in ("l441-10", "d441-5", "pénalité", "indemnité", "40,00"):
            assert word not in out, (part, word)
        en = renderer.render("formal_notice", "en", part, context(one_invoice(), b2b=False))
        for word in ("L441-10", "D441-5", "interest", "compensation", "€40"):
            assert word not in en, (part, word)
    text = plain(renderer.render("formal_notice", "fr", "text", ctx))
    assert "la somme de 1 234,56 € au plus tard le 8 avril 2025" in text
    assert "article 1344 du Code civil" in text


def test_formal_notice_english_b2b(renderer: Renderer) -> None:
    ctx = context(one_invoice(), lang="en", step="formal_notice")
    text = renderer.render("formal_notice", "en", "text", ctx)
    assert "article L441-10 of the French Commercial Code" in text
    assert "fixed compensation for recovery costs of €40.00 per invoice" in text
    assert "€13.73" in text and "Total due: €1,288.29" in text
    assert "Yours sincerely," in text
    anonymous = context(one_invoice(), lang="en", contact="")
    text = renderer.render("formal_notice", "en", "text", anonymous)
    assert "Dear Sir or Madam," in text and "Yours faithfully," in text


def test_reminder_2_mentions_late_fees_only_to_businesses(renderer: Renderer) -> None:
    b2b = renderer.render("reminder_2", "fr", "text", context(one_invoice()))
    b2c = renderer.render("reminder_2", "fr", "text", context(one_invoice(), b2b=False))
    assert "L441-10" in b2b and "L441-10" not in b2c and "pénalités" not in b2c


def test_handoff_script_is_a_task_for_a_person(renderer: Renderer) -> None:
    ctx = context(five_invoices(), step="handoff", reminders_sent=4)
    script = plain(renderer.render("handoff", "fr", "script", ctx))
    assert "société de recouvrement" in script and "tribunal" in script
    assert "Relances déjà envoyées pour ces factures : 4" in script
    assert all(i in script for i in ("F-1", "F-2", "F-3", "F-4", "F-5"))
    assert "1 059,99 € et 12 250,50 $US" in script
    assert "5 × 40,00 € = 200,00 €" in script
    b2c = plain(
        renderer.render(
            "handoff", "fr", "script", context(one_invoice(), b2b=False, step="handoff")
        )
    )
    assert "particulier" in b2c and "D441-5" not in b2c
    en = renderer.render("handoff", "en", "script", context(five_invoices(), lang="en"))
    assert "collection agency" in en and "court" in en
    assert "Decision needed" in renderer.render("handoff", "en", "subject", ctx)


def test_links_only_when_present_and_safe(renderer: Renderer) -> None:
    ctx = context(one_invoice())
    html = renderer.render("reminder_1", "fr", "html", ctx)
    assert 'href="https://dupont.example/F-2025-017.pdf"' in html and "Voir la facture" in html
    assert 'href="https://pay.example/F-2025-017"' in html and ">Payer<" in html
    bare = context([invoice("F-1", dt.date(2025, 3, 1), "10.00")])
    html = renderer.render("reminder_1", "fr", "html", bare)
    assert "Voir la facture" not in html and ">Payer<" not in html
    evil = context([invoice("F-1", dt.date(2025, 3, 1), "10", pdf_url="javascript:alert(1)")])
    for part in ("html", "text"):
        assert "javascript" not in renderer.render("reminder_1", "fr", part, evil)


def test_privacy_notice(renderer: Renderer) -> None:
    html = renderer.render("courtesy", "fr", "html", context(one_invoice()))
    assert 'href="https://dupont.example/confidentialite"' in html
    assert "politique de confidentialité" in html
    without = context(one_invoice(), privacy_url="")
    for lang in ("fr", "en"):
        html = renderer.render("courtesy", lang, "html", without)
        assert "confidentialite" not in html and "relances@dupont.example" in html
        text = renderer.render("courtesy", lang, "text", without)
        assert "relances@dupont.example." in text


@pytest.mark.parametrize("sent", [0, 1, 3])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_first_sentence_reads_well_whatever_was_sent_before(
    renderer: Renderer, lang: str, sent: int
) -> None:
    for template in ("reminder_2", "formal_notice"):
        for count in (1, 5):
            invoices = one_invoice() if count == 1 else five_invoices()
            ctx = context(invoices, lang=lang, reminders_sent=sent)
            text = renderer.render(template, lang, "text", ctx)
            body = text.split(",\n\n", 1)[1]  # after the greeting
            assert body[0].isupper(), body[:60]


# --------------------------------------------------------------------------- every new part


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("template", "part"), NEW_PARTS)
@pytest.mark.parametrize("b2b", [True, False], ids=["B2B", "B2C"])
@pytest.mark.parametrize("count", [1, 3])
@pytest.mark.parametrize("pay", [True, False], ids=["pay_url", "no_pay_url"])
def test_every_new_part_renders(
    renderer: Renderer, lang: str, template: str, part: str, b2b: bool, count: int, pay: bool
) -> None:
    context = sample(lang, template, b2b=b2b, invoices=count, pay=pay)
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
    out = renderer.render(template, lang, "sms", sample(lang, template, b2b=b2b, pay=pay))
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
    out = plain(renderer.render(template, lang, "sms", sample(lang, template)))
    assert expected in out
    pay = "Payer: " if lang == "fr" else "Pay: "
    reply = "Question? " if lang == "fr" else "Questions? "
    assert out.rstrip().endswith(f"{pay}{PAY} {reply}+33123456789")


@pytest.mark.parametrize("lang", LANGS)
def test_sms_notice_after_a_few_days_gives_the_due_date(renderer: Renderer, lang: str) -> None:
    out = plain(renderer.render("notice", lang, "sms", sample(lang, "notice", days=3)))
    assert ("échue le 28/03" if lang == "fr" else "fell due on 28 Mar") in out
    assert len(sms_body(out)) <= 160


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_sms_with_several_invoices_and_currencies(
    renderer: Renderer, lang: str, template: str
) -> None:
    context = sample(lang, template, invoices=4, currencies=("EUR", "GBP"))
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
    context = sample(lang, "reminder_1", pay=False)
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
        context = sample(lang, "formal_notice", b2b=b2b, invoices=count)
        out = renderer.render("formal_notice", lang, "sms", context)
        assert ("mise en demeure envoyée" if lang == "fr" else "formal notice sent") in out
        assert not any(w in out.lower() for w in PENALTY_WORDS)
        assert "41,00" not in plain(out) and "€40" not in out and "40 €" not in plain(out)


# --------------------------------------------------------------------------- J+1 notice


@pytest.mark.parametrize("b2b", [True, False], ids=["B2B", "B2C"])
def test_notice_french(renderer: Renderer, b2b: bool) -> None:
    context = sample("fr", "notice", b2b=b2b)
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
    context = sample("en", "notice", b2b=b2b)
    subject = renderer.render("notice", "en", "subject", context)
    assert subject == "Atelier Dupont SARL – invoice F-2025-001 fell due yesterday"
    text = plain(renderer.render("notice", "en", "text", context))
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
    context = sample(lang, "notice", days=3)
    subject = plain(renderer.render("notice", lang, "subject", context))
    text = plain(renderer.render("notice", lang, "text", context))
    if lang == "fr":
        assert subject.endswith("arrivée à échéance le 28 mars 2025")
        assert "est arrivée à échéance le 28 mars 2025." in text and "hier" not in text
    else:
        assert subject.endswith("fell due on 28 March 2025")
        assert "fell due on 28 March 2025." in text and "yesterday" not in text


@pytest.mark.parametrize("lang", LANGS)
def test_notice_several_invoices(renderer: Renderer, lang: str) -> None:
    # 35, 28 and 21 days late: all past due
    context = sample(lang, "notice", invoices=3, days=35)
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
    context = sample(lang, "notice", invoices=3, days=8)
    text = plain(renderer.render("notice", lang, "text", context))
    subject = renderer.render("notice", lang, "subject", context)
    assert "F-2025-003" not in subject
    assert ("2 des factures ci-dessous" if lang == "fr" else "2 of the invoices below") in text
    # 1, -6 and -13 days: only the first is late
    context = sample(lang, "notice", invoices=3, days=1)
    text = plain(renderer.render("notice", lang, "text", context))
    if lang == "fr":
        assert "la facture F-2025-001 est arrivée à échéance hier." in text
    else:
        assert "invoice F-2025-001 fell due yesterday." in text


def test_notice_subject_with_many_invoices(renderer: Renderer) -> None:
    fr = renderer.render("notice", "fr", "subject", sample("fr", "notice", invoices=5, days=40))
    assert fr == "Atelier Dupont SARL – 5 factures arrivées à échéance"
    en = renderer.render("notice", "en", "subject", sample("en", "notice", invoices=5, days=40))
    assert en == "Atelier Dupont SARL – 5 invoices now past due"


@pytest.mark.parametrize("lang", LANGS)
def test_notice_without_payment_link(renderer: Renderer, lang: str) -> None:
    for count in (1, 3):
        context = sample(lang, "notice", invoices=count, pay=False)
        text = renderer.render("notice", lang, "text", context)
        html = renderer.render("notice", lang, "html", context)
        assert "pay.example.com" not in text and "pay.example.com" not in html
        assert ("moyen de paiement habituel" if lang == "fr" else "usual payment method") in text


# --------------------------------------------------------------------------- escaping


@pytest.mark.parametrize("lang", LANGS)
def test_html_is_escaped_other_parts_are_not(renderer: Renderer, lang: str) -> None:
    context = sample(lang, "notice")
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
        "call", lang, "script", sample(lang, "call") | {"customer": context["customer"]}
    )
    assert "<script>alert(1)</script>" in script and "<b>Zoé</b> & Co" in script


@pytest.mark.parametrize("lang", LANGS)
def test_unsafe_links_are_left_out(renderer: Renderer, lang: str) -> None:
    context = sample(lang, "notice")
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
    context = sample("fr", "call", b2b=b2b, invoices=count, currencies=("EUR", "GBP"))
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
    context = sample("en", "call", b2b=b2b, invoices=count, currencies=("EUR", "GBP"))
    script = plain(renderer.render("call", "en", "script", context))
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
    fr = renderer.render("call", "fr", "script", sample("fr", "call"))
    en = renderer.render("call", "en", "script", sample("en", "call"))
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
    assert "date_resultat = la date promise (par exemple 15/04/2025)" in fr
    assert dt.date(2025, 4, 15).isoformat() in en


# --------------------------------------------------------------------------- how to pay, and nothing broken

IBAN = "FR76 3000 6000 0112 3456 7890 189"
EMAILS = ("notice", "courtesy", "reminder_1", "reminder_2", "formal_notice")


def with_bank(ctx: dict[str, Any], **company: Any) -> dict[str, Any]:
    """A context with what render_context gives from the new settings."""
    ctx["company"].update({"iban": IBAN, "bic": "AGRIFRPP", "legal_mentions": "SAS au capital de 10 000 € – RCS Lyon",
                           "signatory_name": "Jeanne Dupont", "signatory_title": "gérante",
                           "address": ["12 rue des Artisans", "69003 Lyon"],
                           "portal_url": "https://portail.dupont.example", **company})
    return ctx


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("template", EMAILS)
@pytest.mark.parametrize("part", ["html", "text"])
def test_every_email_says_how_to_pay(renderer: Renderer, lang: str, template: str, part: str) -> None:
    fr = lang == "fr"
    many = with_bank(context(five_invoices(), lang=lang, step=template))
    out = plain(renderer.render(template, lang, part, many))
    assert ("Comment régler" if fr else "How to pay") in out
    assert f"IBAN {IBAN}" in out.replace("<strong style=\"white-space:nowrap;\">", "").replace("</strong>", "")
    assert "BIC" in out and "AGRIFRPP" in out
    reference = "F-1, F-2, F-3, F-4, F-5"
    assert reference in out  # the invoice numbers are the transfer reference
    assert ("Référence du virement" if fr else "Transfer reference") in out
    assert "https://portail.dupont.example" in out
    # the signature and the footer: who signs, the address, the legal mentions
    assert "Jeanne Dupont, gérante" in out and "12 rue des Artisans, 69003 Lyon" in out
    assert "SAS au capital de 10 000 € – RCS Lyon" in out
    # one invoice: its payment link is in the block (the notice gives it in its own words)
    one = with_bank(context(one_invoice(), lang=lang, step=template))
    out = renderer.render(template, lang, part, one)
    assert "https://pay.example/F-2025-017" in out
    if template != "notice":
        block = out.split("Comment régler" if fr else "How to pay", 1)[1]
        assert "https://pay.example/F-2025-017" in block
    # without an IBAN the block still asks to quote the reference, and says no IBAN
    bare = context(one_invoice(), lang=lang, step=template)
    out = plain(renderer.render(template, lang, part, bare))
    assert "IBAN" not in out
    assert ("Référence à rappeler avec votre règlement : « F-2025-017 »" if fr
            else "Please quote this reference with your payment:") in out.replace("<strong>", "").replace("</strong>", "")


@pytest.mark.parametrize("lang", LANGS)
def test_sms_stays_one_part_with_the_bank_details_set(renderer: Renderer, lang: str) -> None:
    for template in SMS_TEMPLATES:
        ctx = with_bank(sample(lang, template))
        body = sms_body(renderer.render(template, lang, "sms", ctx))
        assert len(body) <= 160 and segments(body)[2] == 1 and "F-2025-001" in body and PAY in body
        assert IBAN not in body  # no room for it: the e-mail and the letter give it


def blank_sender(ctx: dict[str, Any]) -> dict[str, Any]:
    ctx["company"].update({"name": "", "email": "", "reply_to": "", "phone": "", "privacy_url": ""})
    return ctx


@pytest.mark.parametrize("lang", LANGS)
def test_a_blank_sender_never_gives_a_broken_sentence(renderer: Renderer, lang: str) -> None:
    for template in EMAILS:
        ctx = blank_sender(context(one_invoice(), lang=lang, step=template))
        for part in ("html", "text"):
            out = renderer.render(template, lang, part, ctx)
            assert "écrivez à ." not in out and "écrivez à\n" not in out and "write to ." not in out
            assert "écrivez à" not in out and "write to" not in out  # no address: the sentence is left out
            assert "mailto:\"" not in out and 'href="mailto:"' not in out
            assert "E-mail\u00a0: \n" not in out and "Email: \n" not in out
            assert " traite vos coordonnées" not in out and " processes your contact" not in out
        subject = renderer.render(template, lang, "subject", ctx)
        assert subject == subject.strip() and subject[0].isupper(), subject
        assert not subject.startswith(("–", "-", ":")) and not subject.endswith(("–", "-")), subject
        assert " – " not in subject[:3]
        sms = renderer.render(template, lang, "sms", ctx)
        assert not sms[0].islower() and not sms.startswith(":"), sms  # "Rappel, …", "2e rappel, …"
        assert not sms.rstrip().endswith("?"), sms  # no "Question?" without a number or an address
    with_reply = context(one_invoice(), lang=lang, privacy_url="")
    text = renderer.render("reminder_1", lang, "text", with_reply)
    assert ("écrivez à relances@dupont.example." if lang == "fr" else "write to relances@dupont.example.") in text


def test_subjects_keep_the_company_name_first_when_there_is_one(renderer: Renderer) -> None:
    ctx = context(one_invoice())
    assert renderer.render("reminder_1", "fr", "subject", ctx).startswith("Atelier Dupont – Relance")
    assert renderer.render("formal_notice", "fr", "subject", ctx).endswith(" – Atelier Dupont")
    en = context(one_invoice(), lang="en")
    assert renderer.render("courtesy", "en", "subject", en).startswith("Atelier Dupont – friendly reminder")
    assert renderer.render("courtesy", "en", "subject", blank_sender(en)).startswith("Friendly reminder: ")


_BAD_SPACE = re.compile(r"[^\s\u00a0][ \t]+[:;?!»](?=\s|$|<)|« ", re.M)


def visible_text(html: str) -> str:
    """The words of an HTML part (tags, and the attributes in them, removed)."""
    return re.sub(r"<[^>]*>", "", html)


@pytest.mark.parametrize(("template", "part"), [(t, p) for t in EMAILS for p in ("html", "text")]
                         + [("call", "script"), ("handoff", "script")])
@pytest.mark.parametrize("b2b", [True, False], ids=["B2B", "B2C"])
def test_french_typography(renderer: Renderer, template: str, part: str, b2b: bool) -> None:
    ctx = with_bank(context(five_invoices(), b2b=b2b, step=template, reminders_sent=2))
    out = renderer.render(template, "fr", part, ctx)
    words = visible_text(out) if part == "html" else out
    assert not _BAD_SPACE.search(words), _BAD_SPACE.search(words)
    assert "\u00a0:" in words
    if part != "script":
        assert "«\u202f" in words and "\u202f»" in words  # the reference, in guillemets (narrow)
