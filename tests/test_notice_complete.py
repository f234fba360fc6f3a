"""Issue 11 item 4, a formal notice complete: the letter states the penalty rate and how it is made,
the indemnity per invoice and who signs; it names one reply address (the e-mails' Reply-To); its
text is left-aligned; and the e-mailed notice carries the letter as a PDF attachment."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from decimal import Decimal
from pathlib import Path

from conftest import CLASSIC, NOW, customer, invoice, workbook
from letters import context, flat, formal_notice_pdf, pdf_to_text, poppler, preset
from relance.app.jobs import baseline, run
from relance.channels.outbox import OutboxChannel
from relance.render.letter import BODY, letter_values, rate_of, reply_address

D = Decimal
DAY = dt.date(2025, 3, 31)
LEGAL = {"mode": "legal_semester", "rate": D("12.15"), "ecb_rate": D("2.15"), "margin": D(10)}
FIXED = {"mode": "fixed", "rate": D("8"), "ecb_rate": None, "margin": None}


def letter_text(lang: str = "fr", rate: dict[str, object] | None = None, **company: object) -> str:
    ctx = context(lang=lang)
    ctx["penalty_rate"] = LEGAL if rate is None else rate
    ctx["indemnity"]["per"] = D(40)
    ctx["company"].update({"signatory_name": "Jeanne Dupont", "signatory_title": "Gérante", **company})
    return flat(pdf_to_text(formal_notice_pdf(ctx, ["1 rue des Artisans", "75011 Paris"], lang)))


def rate_text(rate: dict[str, object] | None, per: Decimal, lang: str = "fr") -> str:
    """The letter's rate paragraph (block ``rate`` of formal_notice.letter.j2) as relance prints it."""
    ctx = context(lang=lang)
    ctx["penalty_rate"], ctx["indemnity"]["per"] = rate, per
    return preset().render_block("formal_notice", lang, "letter", "rate", letter_values(ctx, lang))


def test_rate_wording_in_both_languages_and_both_modes() -> None:
    nb = "\u00a0"
    assert f"taux BCE du semestre (2,15{nb}%) + 10 points = 12,15{nb}% l'an" in rate_text(LEGAL, D(40))
    assert f"indemnité forfaitaire{nb}: 40,00{nb}€ par facture" in rate_text(LEGAL, D(40))
    assert "the semester's ECB rate (2.15%) + 10 points = 12.15% a year" in rate_text(LEGAL, D(40), "en")
    assert "€50.00 per invoice" in rate_text(LEGAL, D(50), "en")
    assert f"taux contractuel de 8,00{nb}% l'an" in rate_text(FIXED, D(40))
    assert "the contractual rate of 8.00% a year" in rate_text(FIXED, D(40), "en")
    assert rate_of(None) is None and rate_of({"rate": None}) is None


@poppler
def test_the_printed_notice_states_rate_signatory_and_total() -> None:
    fr = letter_text()
    assert "Taux des pénalités de retard : taux BCE du semestre (2,15 %) + 10 points = 12,15 % l'an" in fr
    assert "indemnité forfaitaire : 40,00 € par facture" in fr
    assert "Jeanne Dupont, Gérante" in fr
    assert "Total réclamé" in fr and "3 501,94 €" in fr  # 3 400 + 21,94 + 2 × 40
    en = letter_text("en")
    assert "the semester's ECB rate (2.15%) + 10 points = 12.15% a year" in en
    assert "Jeanne Dupont, Gérante" in en and "€3,501.94" in en
    assert "taux contractuel de 8,00 % l'an" in letter_text(rate=FIXED)


@poppler
def test_the_letter_names_the_reply_address_only() -> None:
    text = letter_text(email="compta@dupont.example", reply_to="relances@dupont.example")
    assert "relances@dupont.example" in text and "compta@dupont.example" not in text
    assert reply_address({"email": "compta@dupont.example", "reply_to": ""}) == "compta@dupont.example"


@poppler
def test_the_consumer_letter_says_to_write_to_the_reply_address() -> None:
    ctx = context(b2b=False)
    ctx["company"].update({"email": "compta@dupont.example", "reply_to": "relances@dupont.example"})
    text = flat(pdf_to_text(formal_notice_pdf(ctx, [], "fr")))
    assert "contactez-nous avant cette date (01 23 45 67 89, relances@dupont.example)" in text
    assert "compta@dupont.example" not in text


def test_letter_paragraphs_are_left_aligned() -> None:
    assert BODY.alignment == 0  # TA_LEFT: never justified around an e-mail address


def _notice_eml(tmp_path: Path, **settings: object) -> email.message.EmailMessage:
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-27", 1000)],
                  settings={"signatory_name": "Claire Dumas", "signatory_title": "Présidente", **settings},
                  Scenarios=CLASSIC)
    box = tmp_path / "out"
    baseline(wb, NOW, "reminder_2", DAY - dt.timedelta(days=10))
    run(wb, lambda _: OutboxChannel(box, "t"), NOW, DAY)
    found = [p for p in box.glob("*.eml") if "formal_notice" in p.name]
    assert len(found) == 1, sorted(p.name for p in box.iterdir())
    message = email.message_from_bytes(found[0].read_bytes(), policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


@poppler
def test_the_emailed_notice_carries_the_letter_as_a_pdf(tmp_path: Path) -> None:
    message = _notice_eml(tmp_path, reply_to="compta@dumas.example")
    assert message.get_content_type() == "multipart/mixed"
    pdfs = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1
    assert pdfs[0].get_filename() == "mise_en_demeure_C1_2025-03-31.pdf"
    body = message.get_body(("plain",))
    assert body is not None and "taux BCE du semestre" in body.get_content()
    text = flat(pdf_to_text(pdfs[0].get_content()))
    assert "taux BCE du semestre (3,15 %) + 10 points = 13,15 % l'an" in text  # 2025 H1
    assert "Claire Dumas, Présidente" in text
    assert str(message["Reply-To"]) == "compta@dumas.example"
    assert "E-mail : compta@dumas.example" in text


@poppler
def test_without_reply_to_the_letter_names_the_from_address(tmp_path: Path) -> None:
    message = _notice_eml(tmp_path)
    assert message["Reply-To"] is None
    sender = email.utils.parseaddr(str(message["From"]))[1]
    pdf = next(p for p in message.iter_attachments() if p.get_content_type() == "application/pdf")
    assert f"E-mail : {sender}" in flat(pdf_to_text(pdf.get_content()))
