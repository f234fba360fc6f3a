"""Message templates (scenarios/templates) and the Renderer (src/relance/render.py)."""

from __future__ import annotations

import datetime as dt
import pickle
import time
from decimal import Decimal
from typing import Any

import pytest
import yaml

from htmlcheck import assert_balanced
from relance.app.resources import data_dir, message_templates
from relance.render.messages import Renderer, TemplateProblem, sample_context

D = Decimal
NBSP = "\u00a0"
AS_OF = dt.date(2025, 3, 31)
EMAIL_TEMPLATES = ("courtesy", "reminder_1", "reminder_2", "formal_notice")
EMAIL_PARTS = ("subject", "html", "text")
ALL_PARTS = [(t, p) for t in EMAIL_TEMPLATES for p in EMAIL_PARTS] + [
    ("handoff", "subject"),
    ("handoff", "script"),
]


def plain(text: str) -> str:
    """Non-breaking spaces (amounts, French punctuation) as ordinary spaces, for readable asserts."""
    return text.replace(NBSP, " ").replace("\u202f", " ")


def invoice(
    iid: str,
    due: dt.date,
    amount: str,
    *,
    balance: str | None = None,
    currency: str = "EUR",
    penalty: str | None = "0.00",
    pdf_url: str = "",
    payment_url: str = "",
) -> dict[str, Any]:
    return {
        "id": iid,
        "issue_date": due - dt.timedelta(days=30),
        "due_date": due,
        "amount": D(amount),
        "open_balance": D(balance if balance is not None else amount),
        "currency": currency,
        "days_past_due": (AS_OF - due).days,
        "pdf_url": pdf_url,
        "payment_url": payment_url,
        "late_penalty": D(penalty) if penalty is not None else None,
    }


def context(
    invoices: list[dict[str, Any]],
    *,
    lang: str = "fr",
    b2b: bool = True,
    step: str = "reminder_1",
    name: str = "Boulangerie Martin",
    contact: str = "Claire Martin",
    privacy_url: str = "https://dupont.example/confidentialite",
    reminders_sent: int = 1,
) -> dict[str, Any]:
    if not b2b:
        for inv in invoices:
            inv["late_penalty"] = None
    totals = []
    for cur in dict.fromkeys(inv["currency"] for inv in invoices):
        mine = [inv for inv in invoices if inv["currency"] == cur]
        totals.append(
            {
                "currency": cur,
                "open_balance": sum((inv["open_balance"] for inv in mine), D(0)),
                "late_penalties": (
                    sum((inv["late_penalty"] or D(0) for inv in mine), D(0)) if b2b else None
                ),
            }
        )
    late = sum(1 for inv in invoices if inv["days_past_due"] > 0)
    return {
        "lang": lang,
        "company": {
            "name": "Atelier Dupont",
            "email": "compta@dupont.example",
            "reply_to": "relances@dupont.example",
            "phone": "01 23 45 67 89",
            "portal_url": "",
            "privacy_url": privacy_url,
        },
        "customer": {
            "id": "C042",
            "name": name,
            "contact_name": contact,
            "type": "B2B" if b2b else "B2C",
            "email": "claire@martin.example",
        },
        "step": {
            "name": step,
            "label": step,
            "offset_days": 7,
            "channel": "email",
            "tone": "polite",
        },
        "as_of": AS_OF,
        "invoices": invoices,
        "totals": totals,
        "indemnity": {"count": late if b2b else 0, "amount": D(40 * late) if b2b else D(0)},
        "is_b2b": b2b,
        "deadline": AS_OF + dt.timedelta(days=8),
        "reminders_sent": reminders_sent,
        "action_key": "k1",
    }


def one_invoice(**kw: Any) -> list[dict[str, Any]]:
    return [
        invoice(
            "F-2025-017",
            dt.date(2025, 3, 1),
            "1234.56",
            penalty="13.73",
            pdf_url="https://dupont.example/F-2025-017.pdf",
            payment_url="https://pay.example/F-2025-017",
            **kw,
        )
    ]


def five_invoices() -> list[dict[str, Any]]:
    return [
        invoice("F-1", dt.date(2025, 2, 1), "1000.00", penalty="21.26"),
        invoice("F-2", dt.date(2025, 2, 10), "250.50", currency="USD", penalty="4.40"),
        invoice("F-3", dt.date(2025, 2, 20), "99.99", balance="49.99", penalty="0.70"),
        invoice("F-4", dt.date(2025, 3, 1), "12000.00", currency="USD", penalty="129.72"),
        invoice("F-5", dt.date(2025, 3, 20), "10.00", penalty="0.04"),
    ]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(message_templates())


# --------------------------------------------------------------------------- every template


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
        assert "Atelier Dupont" in out and "compta@dupont.example" in out
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


# --------------------------------------------------------------------------- wording and formats


def test_french_amounts_and_dates(renderer: Renderer) -> None:
    ctx = context(one_invoice())
    text = renderer.render("reminder_1", "fr", "text", ctx)
    assert f"1{NBSP}234,56{NBSP}€" in text  # no-break spaces: an amount never wraps
    assert "1er mars 2025" in text and "30 janvier 2025" in text
    assert "Sauf erreur de notre part" in text
    html = renderer.render("reminder_1", "fr", "html", ctx)
    assert f"1{NBSP}234,56{NBSP}€" in html and "01/03/2025" in html


def test_english_amounts_and_dates(renderer: Renderer) -> None:
    text = renderer.render("reminder_1", "en", "text", context(one_invoice(), lang="en"))
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
    assert one == "Atelier Dupont – Relance : facture F-1 en attente de règlement"
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
    fr = renderer.render("courtesy", "fr", "text", context(invoices, step="courtesy"))
    assert "arrive à échéance le 5 avril 2025 (dans 5 jours)" in fr
    assert "échéance dans 5 jours" in fr
    en = renderer.render("courtesy", "en", "text", context(invoices, lang="en"))
    assert "is due on 5 April 2025 (in 5 days)" in en
    today = [invoice("F-9", AS_OF, "80.00")]
    assert "aujourd'hui" in renderer.render("courtesy", "fr", "text", context(today))


def test_reminder_2_asks_for_a_payment_date(renderer: Renderer) -> None:
    fr = renderer.render("reminder_2", "fr", "text", context(one_invoice(), reminders_sent=2))
    assert "au plus tard le 8 avril 2025" in fr and "la date à laquelle le paiement" in fr
    assert "Malgré nos 2 précédents messages" in fr
    en = renderer.render("reminder_2", "en", "html", context(one_invoice(), lang="en"))
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


# --------------------------------------------------------------------------- escaping and safety


def test_html_is_escaped_text_is_not(renderer: Renderer) -> None:
    ctx = context(one_invoice(), name="<script>alert(1)</script>", contact="<b>Zoé</b> & Co")
    html = renderer.render("formal_notice", "fr", "html", ctx)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Zoé&lt;/b&gt; &amp; Co" in html
    text = renderer.render("formal_notice", "fr", "text", ctx)
    assert "<script>alert(1)</script>" in text and "<b>Zoé</b> & Co" in text
    subject = renderer.render("handoff", "fr", "subject", ctx)
    assert "<script>alert(1)</script>" in subject


def test_subject_is_one_line(renderer: Renderer) -> None:
    r = Renderer(message_templates(), {("reminder_1", "fr", "subject"): "A\n\n  {{ customer.name }}\r\nB"})
    ctx = context(one_invoice(), name="X\nBcc: evil@example.com")
    assert r.render("reminder_1", "fr", "subject", ctx) == "A X Bcc: evil@example.com B"


def test_sandbox_blocks_python_internals() -> None:
    r = Renderer(
        message_templates(),
        {
            ("reminder_1", "fr", "text"): "ok\n{{ ''.__class__.__mro__ }}",
            ("reminder_2", "fr", "text"): "{{ invoices.append(1) }}",
            ("courtesy", "fr", "text"): "{{ company.__class__.__subclasses__() }}",
        }
    )
    ctx = context(one_invoice())
    with pytest.raises(TemplateProblem) as err:
        r.render("reminder_1", "fr", "text", ctx)
    assert (err.value.template, err.value.part, err.value.line) == ("reminder_1", "text", 2)
    assert "unsafe" in err.value.message
    for name in ("reminder_2", "courtesy"):
        with pytest.raises(TemplateProblem):
            r.render(name, "fr", "text", ctx)
    assert len(ctx["invoices"]) == 1


# --------------------------------------------------------------------------- overrides and errors


def test_overrides_win_over_files() -> None:
    r = Renderer(
        message_templates(),
        {
            ("reminder_1", "fr", "subject"): "Votre facture, {{ customer.name }}",
            ("_layout", "en", "html"): "<p>{% block intro %}{% endblock %}</p>",
        }
    )
    ctx = context(one_invoice())
    assert r.render("reminder_1", "fr", "subject", ctx) == "Votre facture, Boulangerie Martin"
    assert "Sauf erreur" in r.render("reminder_1", "fr", "text", ctx)  # other parts: files
    html = r.render("reminder_1", "en", "html", context(one_invoice(), lang="en"))
    assert html.startswith("<p>") and "According to our records" in html
    assert "<table" not in html  # the overridden layout was used


def test_broken_override_raises_with_template_part_and_line() -> None:
    source = "<p>\n{% if is_b2b %}\nferme\n{{ customer.name }\n{% endif %}</p>"
    r = Renderer(message_templates(), {("reminder_2", "fr", "html"): source})
    with pytest.raises(TemplateProblem) as err:
        r.render("reminder_2", "fr", "html", context(one_invoice()))
    problem = err.value
    assert (problem.template, problem.lang, problem.part) == ("reminder_2", "fr", "html")
    assert problem.line == 4 and "syntax error" in problem.message
    assert "reminder_2" in str(problem) and "line 4" in str(problem)
    assert [p.part for p in r.check(["reminder_2"])] == ["html"]


def test_undefined_variable_raises_with_line() -> None:
    r = Renderer(message_templates(), {("reminder_1", "en", "text"): "Hello\n\n{{ customer.nmae }}"})
    with pytest.raises(TemplateProblem) as err:
        r.render("reminder_1", "en", "text", context(one_invoice(), lang="en"))
    assert (err.value.template, err.value.part, err.value.line) == ("reminder_1", "text", 3)
    assert "nmae" in err.value.message and "customer" in err.value.hint


def test_problem_in_the_layout_names_the_layout() -> None:
    r = Renderer(message_templates(), {("_layout", "fr", "html"): "<div>\n{% block intro %}{% endblock %}\n{{ oops }}"})
    with pytest.raises(TemplateProblem) as err:
        r.render("courtesy", "fr", "html", context(one_invoice()))
    assert (err.value.template, err.value.part, err.value.line) == ("_layout", "html", 3)
    assert err.value.rendering == "courtesy"


def test_check_reports_every_problem_once() -> None:
    r = Renderer(
        message_templates(),
        {
            ("_layout", "fr", "html"): "{% block intro %}{% endblock %}{{ oops }}",
            ("reminder_1", "en", "subject"): "{{ x",
            ("reminder_2", "fr", "text"): "{{ step.nom }}",
        }
    )
    names = ["courtesy", "reminder_1", "reminder_2", "formal_notice", "unknown"]
    compiled_only = {(p.template, p.lang, p.part) for p in r.check(names)}
    assert compiled_only == {("reminder_1", "en", "subject"), ("unknown", "fr,en", "")}
    problems = r.check(names, sample=sample_context)
    where = [(p.template, p.lang, p.part) for p in problems]
    assert sorted(where) == sorted(
        [
            ("_layout", "fr", "html"),
            ("reminder_1", "en", "subject"),
            ("reminder_2", "fr", "text"),
            ("unknown", "fr,en", ""),
        ]
    )


def test_missing_template_and_language_fallback() -> None:
    r = Renderer(
        message_templates(),
        {
            ("thanks", "en", "subject"): "Thanks ({{ lang }})",
            ("thanks", "en", "text"): "Thank you",
            ("partial", "fr", "subject"): "Merci",
            ("partial", "en", "text"): "Thank you",
        }
    )
    ctx = context(one_invoice())
    assert r.render("thanks", "fr", "subject", ctx) == "Thanks (en)"  # only in English
    assert r.language("thanks", "fr") == "en" and r.has("thanks", "fr", "text")
    assert r.language("reminder_1", "en") == "en" and r.language("reminder_1", "de") == "en"
    assert r.language("partial", "fr") == "fr"
    assert not r.has("partial", "fr", "text")  # exists in French: never mixed with English
    with pytest.raises(TemplateProblem) as err:
        r.render("partial", "fr", "text", ctx)
    assert "not found" in err.value.message
    with pytest.raises(TemplateProblem):
        r.render("nowhere", "fr", "html", ctx)
    assert not r.has("nowhere", "fr", "html")
    assert not r.has("../fr/reminder_1", "fr", "text")


def test_filters() -> None:
    r = Renderer(
        message_templates(),
        {
            ("f", "fr", "text"): "{{ a|money('EUR') }}|{{ b|money('EUR') }}|{{ c|money('JPY') }}"
            "|{{ d|number }}|{{ e|date }}|{{ e|date('short') }}",
            ("f", "en", "text"): "{{ a|money('EUR') }}|{{ b|money('GBP') }}|{{ c|money('JPY') }}"
            "|{{ d|number }}|{{ e|date }}",
            ("g", "fr", "text"): "{{ none|money('EUR') }}",
        }
    )
    values = {"a": D("0.005"), "b": D("-1234567.891"), "c": D("1234.5"), "d": D("1234.5")}
    values["e"] = dt.date(2025, 7, 14)
    values["none"] = None
    fr = plain(r.render("f", "fr", "text", values))
    assert fr == "0,01 €|-1 234 567,89 €|1 235 JPY|1 234,5|14 juillet 2025|14/07/2025\n"
    en = r.render("f", "en", "text", values)
    assert en == "€0.01|-£1,234,567.89|JP¥1,235|1,234.5|14 July 2025\n"
    with pytest.raises(TemplateProblem) as err:
        r.render("g", "fr", "text", values)
    assert "money" in err.value.message


def test_template_problem_pickles() -> None:
    problem = TemplateProblem("reminder_1", "fr", "html", 12, "syntax error: x", "fix it", "y")
    again = pickle.loads(pickle.dumps(problem))
    assert (again.template, again.lang, again.part, again.line, again.message) == (
        "reminder_1",
        "fr",
        "html",
        12,
        "syntax error: x",
    )
    assert str(again) == str(problem)


def test_rendering_is_fast(renderer: Renderer) -> None:
    ctx = context(five_invoices(), step="formal_notice")
    renderer.render("formal_notice", "fr", "html", ctx)
    start = time.perf_counter()
    for _ in range(50):
        renderer.render("formal_notice", "fr", "html", ctx)
    per_render = (time.perf_counter() - start) / 50
    assert per_render < 0.01  # ≈ 0.4 ms here; thousands of messages per run


# --------------------------------------------------------------------------- helpers




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
