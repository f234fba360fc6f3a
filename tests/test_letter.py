"""The formal notice letter (render/letter.py).

The PDFs are read back the way a person or a lawyer's software would: text with poppler's
pdftotext, positions with pdftotext -bbox, pages with pdfinfo, page 1 rasterised by pdftoppm.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from letters import (
    D,
    context,
    flat,
    formal_notice_pdf,
    invoice,
    pdf_info,
    pdf_to_text,
    poppler,
    preset,
)
from relance.render.letter import (
    french_spacing,
    long_date,
    money,
    pdf_text,
    short_date,
)

SENDER = ["5 rue du Faubourg Saint-Antoine", "75011 Paris"]
MM = 72 / 25.4  # PDF points per millimetre


# --------------------------------------------------------------------------- helpers


def words_at(pdf: bytes) -> list[tuple[str, float, float]]:
    """(word, x mm from the left edge, y mm from the top edge) of every word on page 1."""
    html = pdf_to_text(pdf, "-bbox", "-f", "1", "-l", "1")
    found = []
    for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>', html):
        found.append((m[3], float(m[1]) / MM, float(m[2]) / MM))
    return found


def row_of(text: str, iid: str) -> str:
    return flat(next(line for line in text.splitlines() if line.strip().startswith(iid + " ")))


# --------------------------------------------------------------------------- formatting helpers


def test_money_dates_and_characters() -> None:
    assert money(D("1234.56"), "EUR") == "1\u00a0234,56\u00a0€"
    assert money(D("1234.565"), "EUR") == "1\u00a0234,57\u00a0€"  # half-up
    assert money(D("1234.56"), "EUR", "en") == "€1,234.56"
    assert money(D("1234"), "JPY", "fr") == "1\u00a0234\u00a0JPY"
    assert long_date(dt.date(2026, 12, 1)) == "1er\u00a0décembre\u00a02026"
    assert long_date(dt.date(2026, 11, 23), "en") == "23\u00a0November\u00a02026"
    assert short_date("2026-10-01") == "01/10/2026"
    assert short_date(dt.date(2026, 10, 1), "en") == "1 Oct 2026"
    # everything Windows-1252 has stays, the rest comes close, nothing becomes a black box
    kept = "€œŒ«»’‘“”…–—àâçéèêëîïôùûüÿÀÇÉÈÊÔŸ°ß×\u00a0"
    assert pdf_text(kept) == kept
    assert pdf_text("Łódź Wiśniewski Őrség") == "Lódz Wisniewski Orség"
    assert pdf_text("1\u202f234") == "1\u00a0234"
    assert pdf_text("a\tb\nc☺") == "a b c?"


# --------------------------------------------------------------------------- the letter


@poppler
def test_b2b_letter_carries_every_mention() -> None:
    pdf = formal_notice_pdf(context(), SENDER)
    assert pdf.startswith(b"%PDF-")
    raw = pdf_to_text(pdf, "-layout")
    text = flat(raw)
    # parties
    for part in ("Atelier Dupont SARL", "5 rue du Faubourg Saint-Antoine", "75011 Paris",
                 "relances@dupont.example", "Boulangerie Martin", "À l'attention de Claire Martin",
                 "12 rue des Lilas", "Bâtiment B", "69003 LYON"):
        assert part in text, part
    assert "FRANCE" not in text  # the country is printed for mail abroad only
    # place and date, registered mail, object
    assert "Paris, le 23 novembre 2026" in text
    assert "LETTRE RECOMMANDÉE AVEC ACCUSÉ DE RÉCEPTION" in text
    assert "Objet : Mise en demeure de payer" in text
    assert "Réf. : factures F-2026-101, F-2026-102" in text
    # each debt: number, date, due date, amount, open balance, penalty
    assert row_of(raw, "F-2026-101") == "F-2026-101 01/09/2026 01/10/2026 53 j 1 500,00 € 1 500,00 € 12,34 €"
    assert row_of(raw, "F-2026-102") == "F-2026-102 15/09/2026 15/10/2026 39 j 2 400,00 € 1 900,00 € 9,60 €"
    # principal, penalties (L441-10), indemnity (D441-5), total, deadline
    assert "Le montant restant dû en principal s'élève à 3 400,00 €" in text
    assert "article L441-10 du Code de commerce" in text
    assert "qui s'élèvent à 21,94 € au 23 novembre 2026" in text
    assert "40,00 € par facture payée en retard prévue à l'article D441-5" in text
    assert "soit 80,00 € pour 2 factures" in text
    assert "Principal restant dû 3 400,00 €" in text
    assert "Pénalités de retard au 23/11/2026 (art. L441-10 C. com.) 21,94 €" in text
    assert "Indemnité forfaitaire de recouvrement (2 × 40,00 €, art. D441-5 C. com.) 80,00 €" in text
    assert "Total réclamé 3 501,94 €" in text
    assert ("nous vous mettons en demeure de nous régler la somme totale de 3 501,94 € "
            "au plus tard le 1er décembre 2026") in text
    assert "procédure judiciaire" in text and "injonction de payer" in text
    assert "vaut mise en demeure au sens de l'article 1344 du Code civil" in text
    assert "salutations distinguées" in text
    assert "Pour Atelier Dupont SARL, Jeanne Dupont, gérante" in text
    assert "\u25a0" not in raw  # reportlab's black box for a glyph the font lacks
    assert raw.count("\f") == 1  # one page


@poppler
def test_letter_layout_fits_a_window_envelope() -> None:
    pdf = formal_notice_pdf(context(), SENDER)
    words = words_at(pdf)

    def first(word: str) -> tuple[float, float]:
        return next((x, y) for w, x, y in words if w == word)

    sender_x, sender_y = first("Atelier")
    assert sender_x < 25 and sender_y < 25  # top left
    recipient_x, recipient_y = first("Boulangerie")
    assert 100 <= recipient_x <= 120 and 44 <= recipient_y <= 50  # the DL window: right, 45 mm down
    lyon = next((x, y) for w, x, y in words if w == "LYON")
    assert lyon[1] < 85 and lyon[0] < 190  # the whole block stays inside the window
    date_x, date_y = first("novembre")
    assert date_x > 100 and lyon[1] < date_y < 100
    assert first("LETTRE")[1] > date_y
    info = pdf_info(pdf)
    assert info["Page size"].startswith("595.276 x 841.89")  # A4
    assert info["Pages"] == "1"


@poppler
def test_letter_metadata_and_determinism() -> None:
    first = formal_notice_pdf(context(), SENDER)
    assert first == formal_notice_pdf(context(), SENDER)
    assert first != formal_notice_pdf(context(), ["1 autre rue", "75002 Paris"])
    info = pdf_info(first)
    assert info["Title"] == "Mise en demeure de payer – Boulangerie Martin"
    assert info["Author"] == "Atelier Dupont SARL"
    assert info["Subject"] == "Mise en demeure de payer\u00a0: F-2026-101, F-2026-102"  # French spacing


@poppler
def test_consumer_letter_claims_no_penalty_nor_indemnity() -> None:
    ctx = context(b2b=False)
    raw = pdf_to_text(formal_notice_pdf(ctx, SENDER), "-layout")
    text = flat(raw)
    assert "Claire Martin" in text and "69003 LYON" in text
    assert "À l'attention de" not in text  # the consumer is the addressee
    for absent in ("L441-10", "D441-5", "Pénalités", "pénalités", "ndemnité", "40,00 €", "Total réclamé"):
        assert absent not in text, absent
    assert row_of(raw, "F-2026-101") == "F-2026-101 01/09/2026 01/10/2026 53 j 1 500,00 € 1 500,00 €"
    assert "Le montant restant dû s'élève à 3 400,00 €" in text
    assert "Total dû 3 400,00 €" in text
    assert "nous vous mettons en demeure de nous régler la somme de 3 400,00 € au plus tard le 1er décembre 2026" in text
    assert "procédure judiciaire" in text and "injonction de payer" in text
    assert "article 1344 du Code civil" in text
    assert "un échéancier de paiement peut être convenu" in text


@poppler
def test_english_letter_for_a_foreign_customer() -> None:
    ctx = context(lang="en", name="Łódź Logistics Sp. z o.o.", contact_name="Paweł Wiśniewski",
                  address="ul. Piotrkowska 104", postal_code="90-926", city="Łódź", country="Poland")
    raw = pdf_to_text(formal_notice_pdf(ctx, [*SENDER, "France"], "en"), "-layout")
    text = flat(raw)
    for part in ("Lódz Logistics Sp. z o.o.", "Attn: Pawel Wisniewski", "ul. Piotrkowska 104",
                 "90-926 LÓDZ", "POLAND", "Paris, 23 November 2026",
                 "REGISTERED LETTER WITH ACKNOWLEDGEMENT OF RECEIPT",
                 "Re: Formal notice to pay (mise en demeure de payer)", "Dear Pawel Wisniewski,",
                 "The principal amount outstanding is €3,400.00",
                 "article L441-10 of the French Commercial Code", "as at 23 November 2026 it amounts to €21.94",
                 "€40.00 per invoice paid late under article D441-5", "i.e. €80.00 for 2 invoices",
                 "Total claimed €3,501.94",
                 "formal notice to pay the total sum of €3,501.94 by 1 December 2026",
                 "legal proceedings", "order for payment",
                 "formal notice to pay (mise en demeure) within the meaning of article 1344 of the French Civil Code",
                 "Yours sincerely,", "For Atelier Dupont SARL,"):
        assert part in text, part
    assert row_of(raw, "F-2026-101") == "F-2026-101 1 Sept 2026 1 Oct 2026 53 d €1,500.00 €1,500.00 €12.34"
    assert "\u25a0" not in raw


@poppler
def test_several_currencies_keep_their_totals_and_the_indemnity_stays_in_euros() -> None:
    items = [
        invoice("F-1", dt.date(2026, 9, 1), dt.date(2026, 10, 1), "1000.00", "1000.00", "5.00"),
        invoice("F-2", dt.date(2026, 9, 1), dt.date(2026, 10, 1), "2000.00", "2000.00", "10.00", "USD"),
    ]
    text = flat(pdf_to_text(formal_notice_pdf(context(invoices=items), SENDER), "-layout"))
    assert "Montants en EUR Principal restant dû 1 000,00 €" in text
    assert "Montants en USD Principal restant dû 2 000,00 $US" in text
    assert "(2 × 40,00 €, art. D441-5 C. com.) 80,00 € Total réclamé 1 085,00 €" in text
    assert "Total réclamé 2 010,00 $US" in text
    assert "la somme totale de 1 085,00 € et 2 010,00 $US" in text


@poppler
def test_a_long_list_goes_on_a_second_page_with_a_running_head(tmp_path: Path) -> None:
    items = [invoice(f"F-{n:03d}", dt.date(2026, 8, 1), dt.date(2026, 9, n), "100.00", "100.00", "1.00")
             for n in range(1, 21)]
    pdf = formal_notice_pdf(context(invoices=items), SENDER)
    raw = pdf_to_text(pdf, "-layout")
    assert pdf_info(pdf)["Pages"] == "2"
    assert "Réf. : 20 factures (détail ci-dessous)" in flat(raw)
    page2 = flat(raw.split("\f")[1])
    assert "Mise en demeure de payer – Boulangerie Martin – 23 novembre 2026 (suite)" in page2
    assert "2/2" in page2 and "Pour Atelier Dupont SARL" in page2
    assert all(f"F-{n:03d}" in raw for n in range(1, 21))


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_page_one_renders(tmp_path: Path) -> None:
    """pdftoppm draws page 1 without complaint (the PNG is what was looked at while designing)."""
    pdf = tmp_path / "mise_en_demeure.pdf"
    pdf.write_bytes(formal_notice_pdf(context(), SENDER))
    done = subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
                          capture_output=True, check=True)
    assert done.stderr == b""
    png = next(tmp_path.glob("p*.png")).read_bytes()
    assert png.startswith(b"\x89PNG")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert abs(height / width - 297 / 210) < 0.01


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="'de'"):
        formal_notice_pdf(context(), SENDER, "de")


@poppler
def test_today_s_render_context_without_address_fields_still_gives_a_letter() -> None:
    """message.render_context has no customer address nor company city yet: the letter
    degrades to the name alone and a date without a place."""
    from relance.render.messages import sample_context

    ctx = sample_context("fr", b2b=True, invoices=3)
    text = flat(pdf_to_text(formal_notice_pdf(ctx, SENDER), "-layout"))
    assert "Boulangerie Martin" in text and "Le 31 mars 2025" in text
    assert all(f"F-2025-00{n}" in text for n in (1, 2, 3))
    assert "Total réclamé" in text and "mise en demeure" in text


# --------------------------------------------------------------------------- how to pay, who signs, who is claimed

BANK = {"iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPP", "signatory": "",
        "signatory_name": "Jeanne Dupont", "signatory_title": "gérante", "portal_url": "https://portail.dupont.example",
        "legal_mentions": "SARL au capital de 10 000 € – RCS Paris 812 345 676 – TVA FR19 812345676"}


def with_bank(ctx: dict, **company: object) -> dict:
    ctx["company"].update({**BANK, **company})
    ctx["invoices"][0]["payment_url"] = "https://pay.example/F-2026-101"
    return ctx


@poppler
def test_the_letter_says_how_to_pay_and_who_signs() -> None:
    raw = pdf_to_text(formal_notice_pdf(with_bank(context()), SENDER), "-layout")
    text = flat(raw)
    assert ("Règlement : par virement, IBAN FR76 3000 6000 0112 3456 7890 189 – BIC AGRIFRPP, en indiquant "
            "la référence « F-2026-101, F-2026-102 ».") in text
    assert "Paiement en ligne de la facture F-2026-101 : https://pay.example/F-2026-101" in text
    assert "Vos factures et les moyens de paiement sont disponibles sur https://portail.dupont.example." in text
    assert "Pour Atelier Dupont SARL, Jeanne Dupont, gérante" in text
    # the footer: the sender's details, then the legal mentions
    assert "Atelier Dupont SARL · 5 rue du Faubourg Saint-Antoine · 75011 Paris · relances@dupont.example" in text
    assert text.index("relances@dupont.example SARL au capital") > 0
    assert "SARL au capital de 10 000 € – RCS Paris 812 345 676 – TVA FR19 812345676" in text
    assert raw.count("\f") == 1  # all of it still on one page


def test_french_wording_keeps_its_no_break_spaces() -> None:
    """pdftotext gives a no-break space back as a space: the wording itself is checked."""
    from relance.render import letter

    assert french_spacing("Objet : « F-1 » ? oui ; non !") == "Objet\u00a0: «\u202fF-1\u202f»\u202f? oui\u202f; non\u202f!"
    assert french_spacing("https://pay.example/F-1") == "https://pay.example/F-1"
    ctx = context()
    ctx["penalty_rate"] = {"mode": "legal_semester", "rate": D("12.15"), "ecb_rate": D("2.15"), "margin": D(10)}
    values = letter.letter_values(ctx, "fr")
    extra = {"days": 3, "invoice": values["invoices"][0], "url": "https://pay.example/F-1", "currency": "EUR",
             "contact": "Claire Martin"}
    blocks = preset().blocks("formal_notice", "fr", "letter")
    assert {"demand", "rate", "situation", "signoff", "pay_by"} <= blocks
    for block in blocks:
        text = preset().render_block("formal_notice", "fr", "letter", block, {**values, **extra})
        assert not re.search(r" [:;?!»]", text) and "« " not in text, block
    pay_by = preset().render_block("formal_notice", "fr", "letter", "pay_by", values)
    assert pay_by.endswith("«\u202fF-2026-101, F-2026-102\u202f».")


@poppler
def test_without_an_iban_the_letter_still_gives_the_reference() -> None:
    text = flat(pdf_to_text(formal_notice_pdf(context(), SENDER), "-layout"))
    assert "Règlement : merci d'indiquer la référence « F-2026-101, F-2026-102 » avec votre règlement." in text
    assert "IBAN" not in text


@poppler
def test_english_letter_says_how_to_pay() -> None:
    text = flat(pdf_to_text(formal_notice_pdf(with_bank(context(lang="en")), SENDER, "en"), "-layout"))
    assert ("How to pay: by bank transfer, IBAN FR76 3000 6000 0112 3456 7890 189 – BIC AGRIFRPP, quoting "
            "the reference \u201cF-2026-101, F-2026-102\u201d.") in text
    assert "Pay invoice F-2026-101 online: https://pay.example/F-2026-101" in text
    assert "For Atelier Dupont SARL, Jeanne Dupont, gérante" in text


@poppler
def test_the_sender_address_comes_from_the_context_when_not_given() -> None:
    ctx = context()
    ctx["company"]["address"] = ["27 rue des Forges", "69007 Lyon"]
    text = flat(pdf_to_text(formal_notice_pdf(ctx, []), "-layout"))
    assert "Atelier Dupont SARL 27 rue des Forges 69007 Lyon" in text
    assert "Atelier Dupont SARL · 27 rue des Forges · 69007 Lyon · relances@dupont.example" in text


@poppler
def test_a_customer_of_unknown_type_is_claimed_nothing() -> None:
    """A context without `is_b2b` (a hand-made one) and a blank type: unknown, not a business."""
    ctx = context()
    del ctx["is_b2b"]
    ctx["customer"]["type"] = ""
    text = flat(pdf_to_text(formal_notice_pdf(ctx, SENDER), "-layout"))
    for absent in ("L441-10", "D441-5", "Pénalités", "pénalités", "ndemnité", "Total réclamé"):
        assert absent not in text, absent
    assert "Total dû 3 400,00 €" in text
    ctx["customer"]["type"] = "B2B"
    assert "L441-10" in flat(pdf_to_text(formal_notice_pdf(ctx, SENDER), "-layout"))
