"""Every French text relance produces reads as French and is typeset (issue 10, "French
typography"): every shipped message template but the SMS, the formal-notice letter (its PDF, as
pdftotext reads it), the hand-off summary, the HTML report and the weekly summary, in both
languages; an amount is written the same way in an e-mail, a letter and the report."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
import zipfile
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from books import book, positions
from conftest import customer, invoice, payment
from french import assert_french
from letters import agency_package, formal_notice_pdf, pdf_to_text, poppler
from letters import context as letter_context
from relance.app.resources import message_templates, report_templates
from relance.engine.formats import formats
from relance.engine.report import build_report
from relance.render import letter, report_html
from relance.render.messages import DOCUMENT_PARTS, Renderer, sample_context
from reports import realistic, summary_of

SHOTS = Path("/work/i10/shots")
CHROMIUM = Path("/usr/bin/chromium")
#: Names, codes and words of the sample data that are not prose (and English column names the
#: French call script quotes on purpose for an English workbook).
ALLOW = ("Tasks", "outcome", "outcome_date")
#: French words that must not appear in English output.
FRENCH = ("facture", "factures", "échéance", "relances", "règlement", "montant", "reste dû", "merci",
          "bonjour", "cordialement", "jours", "pénalités", "encours", "client", "oui", "non")
_FRENCH = re.compile(r"(?<![\w@/.-])(" + "|".join(FRENCH) + r")(?![\w@/.-])", re.IGNORECASE)
#: The narrow no-break space, not the wide one, before ; ! ? and inside « ».
_WIDE_BEFORE = re.compile("\u00a0[;!?»]|«\u00a0")
_ORDINARY_BEFORE = re.compile(r"[^\s\u00a0\u202f] [:;!?»]|« ")


def visible(html: str) -> str:
    """The words of an HTML part: no tags, no style, entities decoded."""
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", html))


def typeset(text: str) -> None:
    assert not _WIDE_BEFORE.search(text), _WIDE_BEFORE.search(text)
    assert not _ORDINARY_BEFORE.search(text), text[max(0, _ORDINARY_BEFORE.search(text).start() - 40):][:80]  # type: ignore[union-attr]


def english(text: str) -> None:
    found = [m[1] for m in _FRENCH.finditer(text)]
    assert not found, found


def shipped() -> list[tuple[str, str, str]]:
    """(language, template, part) of every shipped template part but the SMS and shared pieces."""
    out = []
    for (lang, name) in message_templates():
        template, _, rest = name.partition(".")
        part = rest.removesuffix(".j2")
        if template.startswith("_") or part in ("sms", "") or part in DOCUMENT_PARTS:
            continue  # a document's wording (letter, package) is read in its PDF below
        out.append((lang, template, part))
    return sorted(out)


RENDERER = Renderer(message_templates())


def contexts(lang: str, template: str) -> list[dict[str, Any]]:
    step = template if template != "weekly_summary" else "reminder_1"
    return [sample_context(lang, step=step), sample_context(lang, step=step, b2b=False, invoices=1),
            sample_context(lang, step=step, invoices=5, currencies=("EUR", "USD"), addresses=True)]


def summary_sample(lang: str) -> dict[str, Any]:
    b = real_book()
    as_of = dt.date(2025, 3, 31)
    return summary_of(b, as_of, lang)


def real_book() -> Any:
    return book(
        [customer("C1", raison_sociale="Alain Durand SARL"), customer("C2", raison_sociale="Boulangerie Martin")],
        [invoice("F1", "C1", "2025-01-01", "2025-01-31", 1000),
         invoice("F2", "C1", "2025-02-01", "2025-03-01", 500),
         invoice("F3", "C2", "2025-03-01", "2025-04-30", 300),
         invoice("F4", "C2", "2025-01-10", "2025-02-09", 250, devise="USD")],
        [payment("2025-03-20", 250, "F2")],
    )


@pytest.mark.parametrize(("lang", "template", "part"), shipped())
def test_every_shipped_template_reads_in_its_language(lang: str, template: str, part: str) -> None:
    samples = [summary_sample(lang)] if template == "weekly_summary" else contexts(lang, template)
    for ctx in samples:
        out = RENDERER.render(template, lang, part, ctx)
        words = visible(out) if part == "html" else out
        if lang == "fr":
            assert_french(words, allow=ALLOW)
            typeset(words)
        else:
            english(words)


def test_courtesy_and_notice_say_what_remains_due() -> None:
    ctx = sample_context("fr", step="courtesy", invoices=1)
    inv = ctx["invoices"][0]  # type: ignore[index]
    inv.update(amount=Decimal("1138.46"), open_balance=Decimal("370.00"), partly_paid=True)
    for template in ("courtesy", "notice"):
        text = RENDERER.render(template, "fr", "text", ctx).replace("\u00a0", " ")
        assert "de 1 138,46 €, dont il reste dû 370,00 €" in text, template
        html = visible(RENDERER.render(template, "fr", "html", ctx)).replace("\u00a0", " ")
        assert "de 1 138,46 €, dont il reste dû  370,00 €" in " ".join(html.split("  ")) or \
            "dont il reste dû" in html
    en = RENDERER.render("notice", "en", "text", sample_context("en", step="notice", invoices=1) | {
        "invoices": [inv]}).replace("\u00a0", " ")
    assert "for €1,138.46, of which €370.00 remains outstanding" in en


def test_an_override_written_with_ordinary_spaces_is_typeset() -> None:
    """A user's template from the Modeles tab gets the same typography as the shipped ones."""
    r = Renderer(message_templates(), {
        ("reminder_1", "fr", "text"): "Montant : {{ invoices[0].open_balance|money('EUR') }} ; merci ! "
                                      "Une question ? « {{ invoices[0].id }} » https://x.example/?a=1;b",
        ("reminder_1", "fr", "html"): "<p style=\"color:red;\">Objet : « {{ customer.name }} » ?</p>&nbsp;&amp;",
        ("reminder_1", "fr", "sms"): "Rappel : facture {{ invoices[0].id }} ?",
    })
    ctx = sample_context("fr", step="reminder_1")
    text = r.render("reminder_1", "fr", "text", ctx)
    assert "Montant\u00a0: " in text and "\u202f; merci\u202f!" in text and "question\u202f?" in text
    assert "«\u202fF-2025-001\u202f»" in text and "https://x.example/?a=1;b" in text
    html = r.render("reminder_1", "fr", "html", ctx)
    assert html.startswith('<p style="color:red;">Objet\u00a0: «\u202fBoulangerie Martin\u202f»\u202f?</p>&nbsp;&amp;')
    assert r.render("reminder_1", "fr", "sms", ctx) == "Rappel : facture F-2025-001 ?\n"  # GSM-7: left alone


def test_elision_and_plurals() -> None:
    ctx = sample_context("fr", step="formal_notice")
    ctx["customer"]["name"] = "Alain Durand"  # type: ignore[index]
    text = RENDERER.render("formal_notice", "fr", "text", ctx)
    assert "À l'attention d'Alain Durand" in text
    f = formats("fr")
    assert f.count(1, "client", "clients") == "1\u00a0client"
    assert report_html.LABELS["eff_more"].text("fr", n=1) == "… et 1 autre étape."
    assert report_html.LABELS["top_chart"].text("fr", n=10) == "Les 10 clients les plus en retard"


@poppler
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_formal_notice_letter(lang: str) -> None:
    for b2b in (True, False):
        ctx = letter_context(b2b=b2b, lang=lang)
        text = pdf_to_text(formal_notice_pdf(ctx, ["12 rue des Artisans", "69003 Lyon"], lang))
        if lang == "fr":  # pdftotext gives no-break spaces back as spaces: the words are checked
            assert_french(text, allow=ALLOW, sms=True)
            assert "novembre 2026" in text.replace("\u00a0", " ") and not re.search(r"\d{4}-\d\d-\d\d", text)
        else:
            english(text.replace("(mise en demeure de payer)", "").replace("(mise en demeure)", ""))


@poppler
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_hand_off_summary(lang: str) -> None:
    ctx = letter_context(lang=lang)
    history = [{"timestamp": "2026-10-08T07:00:00Z", "channel": "email", "step": "reminder_1",
                "status": "sent", "customer_id": "C042", "recipient": "claire@martin.example",
                "invoice_ids": "F-2026-101", "amount_due": "1500.00", "currency": "EUR"}]
    data = agency_package(ctx["customer"], ctx["invoices"], history, {}, dt.date(2026, 11, 23), lang,
                          company={"name": "Atelier Dupont SARL"})
    archive = zipfile.ZipFile(BytesIO(data))
    text = pdf_to_text(archive.read("synthese.pdf"))
    relances = archive.read("relances.csv").decode("utf-8-sig")
    if lang == "fr":
        assert_french(text, allow=ALLOW, sms=True)
        assert "envoyé" in relances and "Relance amiable" in relances and ";sent;" not in relances
    else:
        english(text.replace("relances.csv", "").replace("preuves/", ""))


def pages() -> dict[str, str]:
    report, extras = realistic()
    b = real_book()
    as_of = dt.date(2025, 3, 31)
    out = {}
    for lang in ("fr", "en"):
        out[lang] = report_html.render_html(report, {**extras, "lang": lang}, report_templates())
        computed = build_report(b, positions(b, as_of), as_of, lang=lang)
        out[f"{lang}-book"] = report_html.render_html(computed, {"lang": lang}, report_templates())
    return out


def test_the_html_report_in_both_languages() -> None:
    for name, page in pages().items():
        words = visible(page)
        if name.startswith("fr"):
            assert_french(words, allow=("Société", "fils", "<script>alert(1)</script>"))
            typeset(words)
        else:
            english(words.replace("Société", "").replace("relance", ""))
    french_book = visible(pages()["fr-book"])
    assert "mesurés au 28\u00a0février\u00a02025" not in french_book  # as of a month end: no such note
    assert "measured" not in french_book


def test_effectiveness_steps_carry_their_scenario_labels() -> None:
    rendered = pages()
    for code in ("courtesy", "reminder_2_sms", "formal_notice_letter"):
        assert code not in visible(rendered["fr"]) and code not in visible(rendered["en"])
    assert "Rappel courtois" in rendered["fr"] and "Friendly reminder" in rendered["en"]
    assert "Rappel courtois" not in rendered["en"]


def test_money_is_written_one_way_everywhere() -> None:
    """The same amount reads the same in an e-mail, a letter and the report: one rule, half-up."""
    for lang, expected in (("fr", "1\u00a0234,57\u00a0€"), ("en", "€1,234.57")):
        amount = Decimal("1234.565")
        ctx = sample_context(lang)
        r = Renderer(message_templates(), {("t", lang, "text"): "{{ x|money('EUR') }}"})
        assert r.render("t", lang, "text", {**ctx, "x": amount}).strip() == expected
        assert letter.money(amount, "EUR", lang) == expected
        fmt = report_html._Fmt(lang)
        assert fmt.money(amount, "EUR") == expected
        assert formats(lang).money(amount, "EUR") == expected


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_screenshots_of_the_report(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    shots = SHOTS if SHOTS.parent.exists() else tmp_path
    shots.mkdir(exist_ok=True)
    rendered = pages()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            for lang in ("fr", "en"):
                page_file = tmp_path / f"report-{lang}.html"
                page_file.write_text(rendered[lang], encoding="utf-8")
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(page_file.as_uri(), wait_until="load")
                shot = shots / f"report-{lang}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000
        finally:
            browser.close()
