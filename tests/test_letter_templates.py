"""Issue 11 item 4: the letter's and the hand-off package's wording are templates
(scenarios/templates/<lang>/formal_notice.letter.j2, handoff.package.j2) that a Modeles row
overrides block by block, validated like an e-mail part: a block that cannot be used is an R520
warning on its Modeles cell and the shipped paragraph is printed instead. And the e-mailed notice
carries its PDF whatever the transport: the outbox's .eml, SMTP (aiosmtpd), Mailjet (the fake)."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import email.utils
import io
import zipfile
from pathlib import Path

import pytest

from books import book
from conftest import CLASSIC, NOW, customer, invoice, workbook
from letters import agency_package, context, flat, formal_notice_pdf, pdf_to_text, poppler
from relance.app.jobs import baseline, run
from relance.app.resources import message_templates
from relance.app.templates import check_templates
from relance.channels.mailjet import MailjetChannel, MailjetConfig
from relance.channels.outbox import OutboxChannel
from relance.channels.smtp import SmtpChannel, SmtpConfig
from relance.engine.anomaly import Severity
from relance.render.messages import Renderer, TemplateProblem
from servers.mailjet import FakeMailjet
from servers.smtp import SmtpServer

DAY = dt.date(2025, 3, 31)
MODELES = ["modele", "langue", "partie", "contenu"]
PRESET_DEMAND = "En conséquence, nous vous mettons en demeure de nous régler la somme totale de 3 501,94 €"
PAID_MEANWHILE = "Si votre règlement a croisé ce courrier, nous vous prions de ne pas en tenir compte."
MINE = "{% block paid_meanwhile %}Déjà réglé ? Merci d'écrire à {{ letter.reply_to }} : {{ letter.reference }}." \
       "{% endblock %}"


def letter_with(body: str, lang: str = "fr", **ctx: object) -> tuple[str, list[TemplateProblem]]:
    """The letter's text (pdftotext, spaces flattened) with one Modeles row of part `letter`."""
    renderer = Renderer(message_templates(), {("formal_notice", lang, "letter"): body})
    problems: list[TemplateProblem] = []
    c = context(lang=lang)
    c.update(ctx)
    pdf = formal_notice_pdf(c, ["1 rue des Artisans", "75011 Paris"], lang, renderer=renderer, problems=problems)
    return flat(pdf_to_text(pdf)), problems


# --------------------------------------------------------------------------- the letter, rendered


@poppler
def test_a_modeles_block_replaces_that_paragraph_only() -> None:
    preset, _ = letter_with("")
    text, problems = letter_with(MINE)
    assert problems == []
    assert "Déjà réglé ? Merci d'écrire à relances@dupont.example : F-2026-101, F-2026-102." in text
    assert PAID_MEANWHILE not in text and PAID_MEANWHILE in preset
    # every other paragraph as shipped
    assert text.replace("Déjà réglé ? Merci d'écrire à relances@dupont.example : F-2026-101, F-2026-102.",
                        PAID_MEANWHILE) == preset


def test_an_override_typed_with_ordinary_spaces_comes_out_typeset() -> None:
    renderer = Renderer(message_templates(), {("formal_notice", "fr", "letter"): MINE})
    values = {**context(), "letter": {"reply_to": "a@b.fr", "reference": "F-1"}}
    text = renderer.render_block("formal_notice", "fr", "letter", "paid_meanwhile", values)
    assert text == "Déjà réglé\u202f? Merci d'écrire à a@b.fr\u00a0: F-1."


@poppler
def test_an_english_override_changes_the_english_letter_only() -> None:
    body = "{% block greeting %}Hello {{ customer.name }},{% endblock %}"
    en, problems = letter_with(body, "en")
    assert problems == [] and "Hello Boulangerie Martin," in en and "Dear" not in en
    fr, _ = letter_with(body.replace("Hello", "Bonjour"), "en")
    assert "Madame, Monsieur," not in fr  # the row is English: the French letter is not asked


@poppler
@pytest.mark.parametrize(("body", "said"), [
    ("{% block demand %}Payez {{ letter.claimed }} avant le {{ deadline|date }}.{% endblock", "syntax"),
    ("{% block demand %}Payez {{ letter.claimed }} avant le {{ deadline.jour }}.{% endblock %}", "undefined"),
    ("{% block demand %}Payez au plus vite.{% endblock %}", "leaves out"),
    ("{% block demande %}Payez {{ letter.claimed }}.{% endblock %}", "unknown paragraphs: demande"),
    ("Payez {{ letter.claimed }}.", "unknown paragraphs"),
])
def test_a_block_that_cannot_be_used_is_said_and_the_shipped_paragraph_printed(body: str, said: str) -> None:
    text, problems = letter_with(body)
    assert PRESET_DEMAND in text and "Payez" not in text
    assert "au plus tard le 1er décembre 2026." in text
    assert len(problems) == 1, problems
    assert said in problems[0].said.en, problems[0].said.en
    assert (problems[0].template, problems[0].lang, problems[0].part) == ("formal_notice", "fr", "letter")


@poppler
def test_the_demand_may_be_reworded_if_it_still_says_the_amount_and_the_deadline() -> None:
    body = ("{% block demand %}Nous vous mettons en demeure de payer {{ letter.claimed }} "
            "d'ici le {{ deadline|date }}.{% endblock %}")
    text, problems = letter_with(body)
    assert problems == []
    assert "Nous vous mettons en demeure de payer 3 501,94 € d'ici le 1er décembre 2026." in text


def test_a_broken_package_header_keeps_the_shipped_columns() -> None:
    renderer = Renderer(message_templates(), {("handoff", "fr", "package"):
                                              "{% block dossier_header %}Facture;Montant{% endblock %}"
                                              "{% block no_proof %}Pas de pièce jointe.{% endblock %}"})
    ctx = context()
    problems: list[TemplateProblem] = []
    data = agency_package(ctx["customer"], ctx["invoices"], [], {}, ctx["as_of"], "fr", company=ctx["company"],
                          renderer=renderer, problems=problems)
    archive = zipfile.ZipFile(io.BytesIO(data))
    header = archive.read("dossier.csv").decode("utf-8-sig").splitlines()[0]
    assert header.startswith("N° facture;Date facture;Échéance;") and header.count(";") == 8
    assert [p.said.en for p in problems] == ["header 'dossier_header' has 2 columns instead of 9"]
    assert "Pas de pièce jointe." in pdf_to_text(archive.read("synthese.pdf"))


# --------------------------------------------------------------------------- check and run


def test_check_reports_each_unusable_block_on_its_modeles_cell() -> None:
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-01", 100)],
             Modeles=[MODELES,
                      ["formal_notice", "fr", "letter", MINE],
                      ["formal_notice", "en", "letter", "{% block demand %}Pay up.{% endblock %}"],
                      ["handoff", "fr", "package", "{% block title %}Dossier {{ package.nom }}{% endblock %}"]])
    found = check_templates(b)
    by_cell = {(a.source.tab, a.source.cell): a for a in found}
    assert set(by_cell) == {("Modeles", "D3"), ("Modeles", "D4")}, [a.text("en") for a in found]
    assert all(a.code == "R520" and a.severity == Severity.warning for a in found)
    assert "leaves out the amount claimed" in by_cell[("Modeles", "D3")].problem.en
    assert "the shipped wording is used instead" in by_cell[("Modeles", "D3")].problem.en
    assert "{{ letter.claimed }}" in by_cell[("Modeles", "D3")].hint.en
    assert "nom" in by_cell[("Modeles", "D4")].problem.en
    assert "le texte fourni avec relance est utilisé à sa place" in by_cell[("Modeles", "D4")].problem.fr


def _run(tmp_path: Path, channel_factory, modeles: list[list[object]] | None = None):
    extra = {"Modeles": [MODELES, *modeles]} if modeles else {}
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-27", 1000)],
                  settings={"signatory_name": "Claire Dumas", "signatory_title": "Présidente",
                            "reply_to": "compta@dumas.example"},
                  Scenarios=CLASSIC, **extra)
    baseline(wb, NOW, "reminder_2", DAY - dt.timedelta(days=10))
    return run(wb, channel_factory, NOW, DAY)


def _outbox_notice(tmp_path: Path) -> email.message.EmailMessage:
    found = [p for p in (tmp_path / "out").glob("*.eml") if "formal_notice" in p.name]
    assert len(found) == 1
    message = email.message_from_bytes(found[0].read_bytes(), policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def _pdf_of(message: email.message.EmailMessage) -> bytes:
    [pdf] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == "mise_en_demeure_C1_2025-03-31.pdf"
    content = pdf.get_content()
    assert isinstance(content, bytes)
    return content


@poppler
def test_a_run_prints_the_modeles_paragraph_and_reports_the_broken_one(tmp_path: Path) -> None:
    result = _run(tmp_path, lambda _: OutboxChannel(tmp_path / "out", "t"), [
        ["formal_notice", "fr", "letter", MINE + "{% block signoff %}{{ letter.signature }}{% endblock %}"]])
    assert result.execution.count("sent") == 1
    text = flat(pdf_to_text(_pdf_of(_outbox_notice(tmp_path))))
    assert "Déjà réglé ? Merci d'écrire à compta@dumas.example : F1." in text
    assert "Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées." in text  # preset
    [warning] = [a for a in result.execution.anomalies if a.code == "R520"]
    assert (warning.source.tab, warning.source.cell) == ("Modeles", "D2")
    assert "signature" in warning.problem.en and warning.severity == Severity.warning


@poppler
def test_the_notice_states_rate_signatory_and_total_with_its_attachment_in_the_eml(tmp_path: Path) -> None:
    _run(tmp_path, lambda _: OutboxChannel(tmp_path / "out", "t"))
    text = flat(pdf_to_text(_pdf_of(_outbox_notice(tmp_path))))
    assert "Taux des pénalités de retard : taux BCE du semestre (3,15 %) + 10 points = 13,15 % l'an" in text
    assert "indemnité forfaitaire : 40,00 € par facture" in text
    assert "Claire Dumas, Présidente" in text
    assert "Total réclamé 11,53 € 40,00 € 1 051,53 €" in text  # 1 000 + 11,53 (32 days at 13,15 %) + 40


@poppler
def test_smtp_sends_the_notice_with_its_pdf(tmp_path: Path) -> None:
    with SmtpServer() as server:
        config = SmtpConfig(host="127.0.0.1", port=server.port, security="none", timeout=5, wait_first=0, wait_max=0)
        result = _run(tmp_path, lambda _: SmtpChannel(config, OutboxChannel(tmp_path / "out", "t"), NOW,
                                                      lang="fr", sleep=lambda s: None))
    assert result.execution.count("sent") == 1
    [received] = server.received  # the one message of the run: the formal notice
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    assert "Claire Dumas, Présidente" in flat(pdf_to_text(_pdf_of(message)))


@poppler
def test_mailjet_sends_the_notice_with_its_pdf(tmp_path: Path) -> None:
    with FakeMailjet() as fake:
        config = MailjetConfig(api_key=fake.key, api_secret=fake.secret, sms_token=fake.sms_token,
                               api_url=fake.url, timeout=5, wait_first=0.01, wait_max=0.05)
        result = _run(tmp_path, lambda _: MailjetChannel(config, OutboxChannel(tmp_path / "out", "t"), "fr",
                                                         sleep=lambda s: None))
    assert result.execution.count("sent") == 1
    [sent] = fake.messages  # the one message of the run: the formal notice
    [attachment] = sent["Attachments"]
    assert attachment["ContentType"] == "application/pdf"
    assert attachment["Filename"] == "mise_en_demeure_C1_2025-03-31.pdf"
    text = flat(pdf_to_text(base64.b64decode(attachment["Base64Content"])))
    assert "Claire Dumas, Présidente" in text and "13,15 % l'an" in text


def test_the_emails_name_the_reply_address_only(tmp_path: Path) -> None:
    _run(tmp_path, lambda _: OutboxChannel(tmp_path / "out", "t"))
    message = _outbox_notice(tmp_path)
    sender = email.utils.parseaddr(str(message["From"]))[1]
    assert sender and sender != "compta@dumas.example" and str(message["Reply-To"]) == "compta@dumas.example"
    for kind in ("plain", "html"):
        body = message.get_body((kind,))
        assert body is not None
        content = body.get_content()
        assert "compta@dumas.example" in content and sender not in content, kind
