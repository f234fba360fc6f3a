"""The formal notice letter (src/relance/letter.py) and the agency hand-off ZIP (src/relance/handoff.py).

The PDFs are read back the way a person or a lawyer's software would: text with poppler's
pdftotext, positions with pdftotext -bbox, pages with pdfinfo, page 1 rasterised by pdftoppm.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from relance.render.handoff import agency_package, reminder_rows
from relance.render.letter import formal_notice_pdf, long_date, money, pdf_text, short_date

D = Decimal
AS_OF = dt.date(2026, 11, 23)
DEADLINE = dt.date(2026, 12, 1)
SENDER = ["5 rue du Faubourg Saint-Antoine", "75011 Paris"]
MM = 72 / 25.4  # PDF points per millimetre

poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


# --------------------------------------------------------------------------- helpers


def pdf_to_text(pdf: bytes, *args: str) -> str:
    done = subprocess.run(["pdftotext", *args, "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def flat(text: str) -> str:
    """Whitespace (no-break spaces and line breaks included) as single spaces."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def pdf_info(pdf: bytes) -> dict[str, str]:
    done = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    info = {}
    for line in done.stdout.decode("utf-8").splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def words_at(pdf: bytes) -> list[tuple[str, float, float]]:
    """(word, x mm from the left edge, y mm from the top edge) of every word on page 1."""
    html = pdf_to_text(pdf, "-bbox", "-f", "1", "-l", "1")
    found = []
    for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>', html):
        found.append((m[3], float(m[1]) / MM, float(m[2]) / MM))
    return found


def invoice(iid: str, issued: dt.date, due: dt.date, amount: str, balance: str,
            penalty: str | None, currency: str = "EUR") -> dict[str, Any]:
    return {
        "id": iid, "issue_date": issued, "due_date": due, "amount": D(amount),
        "open_balance": D(balance), "currency": currency, "days_past_due": (AS_OF - due).days,
        "pdf_url": "", "payment_url": "", "late_penalty": D(penalty) if penalty is not None else None,
    }


def context(*, b2b: bool = True, lang: str = "fr", invoices: list[dict[str, Any]] | None = None,
            **customer: Any) -> dict[str, Any]:
    """A context shaped like message.render_context's, with the address fields the letter reads."""
    items = invoices if invoices is not None else [
        invoice("F-2026-101", dt.date(2026, 9, 1), dt.date(2026, 10, 1), "1500.00", "1500.00", "12.34"),
        invoice("F-2026-102", dt.date(2026, 9, 15), dt.date(2026, 10, 15), "2400.00", "1900.00", "9.60"),
    ]
    if not b2b:
        for item in items:
            item["late_penalty"] = None
    totals = []
    for cur in dict.fromkeys(i["currency"] for i in items):
        mine = [i for i in items if i["currency"] == cur]
        totals.append({"currency": cur, "open_balance": sum((i["open_balance"] for i in mine), D(0)),
                       "late_penalties": sum((i["late_penalty"] or D(0) for i in mine), D(0)) if b2b else None})
    late = sum(1 for i in items if i["days_past_due"] > 0)
    who = {
        "id": "C042", "name": "Boulangerie Martin" if b2b else "Claire Martin",
        "contact_name": "Claire Martin", "type": "B2B" if b2b else "B2C",
        "email": "claire@martin.example", "address": "12 rue des Lilas\nBâtiment B",
        "postal_code": "69003", "city": "Lyon", "country": "France",
    }
    who.update(customer)
    return {
        "lang": lang,
        "company": {"name": "Atelier Dupont SARL", "email": "compta@dupont.example",
                    "reply_to": "relances@dupont.example", "phone": "01 23 45 67 89",
                    "portal_url": "", "privacy_url": "", "city": "Paris",
                    "signatory": "Jeanne Dupont, gérante"},
        "customer": who,
        "step": {"name": "formal_notice", "label": "Mise en demeure", "offset_days": 30,
                 "channel": "letter", "tone": "formal"},
        "as_of": AS_OF,
        "invoices": items,
        "totals": totals,
        "indemnity": {"count": late if b2b else 0, "amount": D(40 * late) if b2b else D(0)},
        "is_b2b": b2b,
        "deadline": DEADLINE,
        "reminders_sent": 2,
        "action_key": "C042|F-2026-101;F-2026-102|standard|formal_notice",
    }


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
                 "compta@dupont.example", "Boulangerie Martin", "À l'attention de Claire Martin",
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
    assert info["Subject"] == "Mise en demeure de payer : F-2026-101, F-2026-102"


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


# --------------------------------------------------------------------------- the hand-off ZIP


def history(**kw: Any) -> dict[str, Any]:
    row = {"run_id": "r", "timestamp": "2026-10-08T09:00:00+02:00", "action_key": "k", "customer_id": "C042",
           "invoice_ids": ("F-2026-101",), "scenario": "standard", "step": "reminder_1", "channel": "email",
           "recipient": "claire@martin.example", "status": "sent", "message_id": "<k@dupont.example>",
           "amount_due": D("1500.00"), "currency": "EUR", "detail": ""}
    row.update(kw)
    return row


HISTORY = [
    history(timestamp="2026-11-18T09:00:00+01:00", action_key="k3", step="formal_notice", channel="letter",
            recipient="Boulangerie Martin", message_id="<file:C042_formal_notice_k3.pdf>",
            invoice_ids="F-2026-101;F-2026-102", amount_due=D("3400.00")),
    history(timestamp="2026-10-08T07:00:00Z", action_key="k1", status="opened"),
    history(timestamp="2026-10-22T09:00:00+02:00", action_key="k2", step="reminder_2", channel="sms",
            recipient="+33600000000", status="delivered", message_id="sms-2",
            invoice_ids=["F-2026-101", "F-2026-102"], amount_due=D("3400.00")),
    history(action_key="k4", status="failed"),
    history(action_key="k5", status="pending"),
    history(action_key="k6", status="skipped"),
    history(action_key="k7", channel="call", status="created", recipient=""),
    history(action_key="k8", customer_id="C999"),
]
PROOFS = {"outbox/C042_reminder_1_k1.eml": b"From: compta@dupont.example\r\n\r\nBonjour\r\n",
          "C042_formal_notice_k3.pdf": b"%PDF-1.4\n% the letter\n"}
CUSTOMER = {"id": "C042", "name": "Boulangerie Martin", "contact_name": "Claire Martin", "type": "B2B",
            "email": "claire@martin.example", "phone": "04 72 00 00 00", "address": "12 rue des Lilas",
            "postal_code": "69003", "city": "Lyon", "country": "France"}
COMPANY = {"name": "Atelier Dupont SARL", "email": "compta@dupont.example"}


def package(customer: dict[str, Any] = CUSTOMER, lang: str = "fr", **kw: Any) -> zipfile.ZipFile:
    ctx = context(b2b=customer.get("type") != "B2C")
    paid = invoice("F-2026-090", dt.date(2026, 8, 1), dt.date(2026, 9, 1), "300.00", "0.00", "0.00")
    data = agency_package(customer, [paid, *ctx["invoices"]], HISTORY, PROOFS, AS_OF, lang,
                          company=COMPANY, **kw)
    return zipfile.ZipFile(io.BytesIO(data))


def read_csv(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    data = archive.read(name)
    assert data.startswith(codecs.BOM_UTF8)
    assert b"\r\n" in data
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_package_members_dates_and_proofs() -> None:
    archive = package()
    assert archive.namelist() == ["dossier.csv", "preuves/C042_formal_notice_k3.pdf",
                                  "preuves/C042_reminder_1_k1.eml", "relances.csv", "synthese.pdf"]
    assert archive.testzip() is None
    for info in archive.infolist():
        assert info.date_time == (2026, 11, 23, 0, 0, 0)
        assert info.compress_type == zipfile.ZIP_DEFLATED
    assert archive.read("preuves/C042_reminder_1_k1.eml") == PROOFS["outbox/C042_reminder_1_k1.eml"]
    assert archive.read("preuves/C042_formal_notice_k3.pdf") == PROOFS["C042_formal_notice_k3.pdf"]


def test_dossier_csv_french() -> None:
    rows = read_csv(package(), "dossier.csv")
    assert rows[0] == ["N° facture", "Date facture", "Échéance", "Montant TTC", "Solde dû", "Devise",
                       "Jours de retard", "Pénalités de retard", "Indemnité forfaitaire (EUR)"]
    assert rows[1:] == [  # the settled F-2026-090 is not there
        ["F-2026-101", "2026-09-01", "2026-10-01", "1500,00", "1500,00", "EUR", "53", "12,34", "40,00"],
        ["F-2026-102", "2026-09-15", "2026-10-15", "2400,00", "1900,00", "EUR", "39", "9,60", "40,00"],
    ]


def test_dossier_csv_english_and_consumer() -> None:
    consumer = dict(CUSTOMER, name="Claire Martin", type="B2C")
    rows = read_csv(package(consumer, "en"), "dossier.csv")
    assert rows[0][:4] == ["Invoice no.", "Invoice date", "Due date", "Amount"]
    assert rows[1] == ["F-2026-101", "2026-09-01", "2026-10-01", "1500.00", "1500.00", "EUR", "53", "", ""]


def test_relances_csv_lists_what_went_out_oldest_first() -> None:
    rows = read_csv(package(), "relances.csv")
    assert rows[0] == ["Date", "Horodatage", "Canal", "Étape", "Destinataire", "Statut",
                       "Identifiant du message", "Factures", "Montant réclamé", "Devise"]
    assert rows[1:] == [
        ["2026-10-08", "2026-10-08T07:00:00Z", "email", "reminder_1", "claire@martin.example", "opened",
         "<k@dupont.example>", "F-2026-101", "1500,00", "EUR"],
        ["2026-10-22", "2026-10-22T09:00:00+02:00", "sms", "reminder_2", "+33600000000", "delivered",
         "sms-2", "F-2026-101, F-2026-102", "3400,00", "EUR"],
        ["2026-11-18", "2026-11-18T09:00:00+01:00", "letter", "formal_notice", "Boulangerie Martin", "sent",
         "<file:C042_formal_notice_k3.pdf>", "F-2026-101, F-2026-102", "3400,00", "EUR"],
    ]


def test_reminder_rows_order_across_offsets() -> None:
    rows = reminder_rows([history(timestamp="2026-10-08T09:30:00+02:00", action_key="b"),
                          history(timestamp="2026-10-08T08:00:00Z", action_key="a")])
    assert [r["action_key"] for r in rows] == ["b", "a"]  # 07:30 UTC before 08:00 UTC


@poppler
def test_summary_pdf() -> None:
    archive = package()
    pdf = archive.read("synthese.pdf")
    assert pdf_info(pdf)["Pages"] == "1"
    text = flat(pdf_to_text(pdf, "-layout"))
    for part in ("Dossier de recouvrement – Boulangerie Martin", "Situation au 23 novembre 2026",
                 "Créancier Atelier Dupont SARL", "Débiteur Boulangerie Martin", "Code client C042",
                 "Professionnel (B2B)", "Contact Claire Martin", "Adresse 12 rue des Lilas, 69003 LYON",
                 "EUR 2 3 400,00 € 21,94 € 80,00 € 3 501,94 €",
                 "Plus ancienne échéance impayée : 01/10/2026 (53 jours de retard)",
                 "01/10/2031 (5 ans, art. L110-4 C. com.)", "L441-10", "D441-5",
                 "08/10/2026 e-mail Relance amiable claire@martin.example ouvert",
                 "22/10/2026 SMS Deuxième relance +33600000000 délivré",
                 "18/11/2026 courrier Mise en demeure Boulangerie Martin envoyé",
                 "C042_formal_notice_k3.pdf, C042_reminder_1_k1.eml"):
        assert part in text, part
    assert "appel" not in text


@poppler
def test_summary_pdf_consumer_english_and_a_long_history() -> None:
    consumer = dict(CUSTOMER, name="Claire Martin", type="B2C")
    ctx = context(b2b=False)
    many = [history(timestamp=f"2026-{m:02d}-{d:02d}T09:00:00+01:00", action_key=f"k{m}{d}")
            for m in (9, 10, 11) for d in range(1, 13)]
    data = agency_package(consumer, ctx["invoices"], many, {}, AS_OF, "en")
    pdf = zipfile.ZipFile(io.BytesIO(data)).read("synthese.pdf")
    assert pdf_info(pdf)["Pages"] == "1"
    text = flat(pdf_to_text(pdf, "-layout"))
    assert "Consumer (B2C)" in text and "no late-payment interest and no fixed indemnity" in text
    assert "EUR 2 €3,400.00 €3,400.00" in text
    assert "(2 years, art. L218-2 French Consumer Code)" in text
    assert "18 earlier reminders are listed in relances.csv" in text
    assert "12 Nov 2026" in text and "1 Sept 2026" not in text  # the latest are shown
    assert "No proof attached." in text


def test_package_is_deterministic_and_guards_proof_names() -> None:
    ctx = context()
    first = agency_package(CUSTOMER, ctx["invoices"], HISTORY, PROOFS, AS_OF, company=COMPANY)
    assert first == agency_package(CUSTOMER, ctx["invoices"], list(reversed(HISTORY)),
                                   dict(reversed(PROOFS.items())), AS_OF, company=COMPANY)
    assert first != agency_package(CUSTOMER, ctx["invoices"], HISTORY, PROOFS, AS_OF + dt.timedelta(days=1),
                                   company=COMPANY)
    with pytest.raises(ValueError, match="not a file name"):
        agency_package(CUSTOMER, ctx["invoices"], [], {"../..": b""}, AS_OF)
    with pytest.raises(ValueError, match="two proofs"):
        agency_package(CUSTOMER, ctx["invoices"], [], {"a/x.eml": b"1", "b/x.eml": b"2"}, AS_OF)
    names = zipfile.ZipFile(io.BytesIO(
        agency_package(CUSTOMER, ctx["invoices"], [], {"..\\..\\evil.eml": b"x"}, AS_OF))).namelist()
    assert "preuves/evil.eml" in names


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
