"""Claims are lawful for sure: late-payment penalties (C. com. L441-10) and the 40 € indemnity
(D441-5) are claimed in a message only from customers known to be businesses.

Books are built in memory (tests/books.py); the messages are the shipped templates rendered
through the real render context (engine/message.py) and renderer, the letter through
render/letter.py read back with pdftotext, the agency package through render/handoff.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest

from books import book, load, positions
from conftest import customer, invoice, tabs
from letters import agency_package, flat, formal_notice_pdf, pdf_to_text, poppler
from relance.app.resources import message_templates
from relance.engine.action import Action, action_key
from relance.engine.book import Book
from relance.engine.customer import parse_customers
from relance.engine.message import render_context
from relance.engine.report import build_report, report_json
from relance.engine.sheets import RawSheet
from relance.engine.table import Collector, read_table
from relance.render.messages import Renderer

AS_OF = dt.date(2025, 3, 31)
DUE = "2025-02-19"  # 40 days past due on AS_OF
LANGS = ("fr", "en")
#: words of a claim in a message to the customer (fr and en)
CLAIM_WORDS = ("pénalit", "penalt", "interest", "intérêt", "indemn", "compensation", "l441", "d441")
EMAILS = ("notice", "courtesy", "reminder_1", "reminder_2", "formal_notice")
#: (step of the standard ladder, channel, template, parts)
MESSAGES = [(t, "email", t, ("subject", "html", "text")) for t in ("reminder_1", "reminder_2", "formal_notice")] + [
    ("reminder_2_sms", "sms", "reminder_2", ("sms",)),
    ("call", "call", "call", ("subject", "script")),
    ("handoff", "agency", "handoff", ("subject", "script")),
]
SETTINGS = {"iban": "FR7630006000011234567890189", "bic": "AGRIFRPP", "legal_mentions": "SAS au capital de 10 000 €",
            "signatory_name": "Jeanne Dumas", "signatory_title": "gérante"}


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(message_templates())


def ledger(settings: dict[str, Any] | None = None) -> Book:
    """C1 a business, C2 a consumer, C3 of blank type: each owes one invoice 40 days past due."""
    return book(
        [customer("C1"), customer("C2", type_client="B2C"), customer("C3", type_client=None)],
        [invoice("F1", "C1", "2025-01-20", DUE, 1000), invoice("F2", "C2", "2025-01-20", DUE, 1000),
         invoice("F3", "C3", "2025-01-20", DUE, 1000)],
        settings={**SETTINGS, **(settings or {})},
    )


def action(b: Book, cid: str, step: str, channel: str, template: str, lang: str = "fr") -> Action:
    iids = tuple(i.id for i in b.invoices.values() if i.customer_id == cid)
    balance = sum((b.invoices[i].amount for i in iids), Decimal(0))
    return Action(action_key(cid, iids, "standard", step), cid, iids, "standard", step, 30, channel, template,
                  b.customers[cid].emails, (), (("EUR", balance),), (AS_OF - dt.date.fromisoformat(DUE)).days,
                  lang)


def context(b: Book, cid: str, step: str = "formal_notice", channel: str = "email", template: str = "formal_notice",
            lang: str = "fr") -> dict[str, Any]:
    return render_context(action(b, cid, step, channel, template, lang), b, positions(b, AS_OF), AS_OF, 2)


def rendered(renderer: Renderer, b: Book, cid: str, lang: str) -> dict[str, str]:
    """Every message part of the ladder for one customer, by 'template.part'."""
    out: dict[str, str] = {}
    for step, channel, template, parts in MESSAGES:
        ctx = context(b, cid, step, channel, template, lang)
        for part in parts:
            out[f"{template}.{part}"] = renderer.render(template, lang, part, ctx)
    for template in ("notice", "courtesy"):
        ctx = context(b, cid, "reminder_1", "email", template, lang)
        for part in ("subject", "html", "text", "sms"):
            out[f"{template}.{part}"] = renderer.render(template, lang, part, ctx)
    return out


def claims(text: str) -> list[str]:
    low = text.lower()
    return [w for w in CLAIM_WORDS if w in low]


def letter_text(b: Book, cid: str, lang: str = "fr") -> str:
    ctx = context(b, cid, "formal_notice_letter", "letter", "formal_notice", lang)
    return flat(pdf_to_text(formal_notice_pdf(ctx, ["12 rue des Artisans", "69003 Lyon"], lang)))


# --------------------------------------------------------------------------- the customer record


def test_a_blank_type_is_unknown_without_a_default_and_said_per_customer():
    b = ledger()
    assert [(c.id, c.type, c.claims_allowed, c.is_b2c) for c in b.customers.values()] == [
        ("C1", "B2B", True, False), ("C2", "B2C", False, True), ("C3", "", False, False)]
    said = [a for a in b.anomalies if a.code == "R209"]
    assert [(a.source.tab, a.source.cell, a.severity) for a in said] == [("Clients", "F4", "warning")]
    assert "default_customer_type is not set, so the type is unknown" in said[0].problem.en
    assert "no late-payment penalty nor indemnity is claimed" in said[0].problem.en
    assert said[0].hint.en == "write B2B or B2C in type_client"


def test_the_default_applies_to_blank_types_and_the_anomaly_says_which():
    rows = {"B2B": "B2B (Parametres default_customer_type) was applied",  # the tab as the workbook names it
            "B2C": "B2C (Parametres default_customer_type) was applied; no late-payment penalty"}
    for default, said in rows.items():
        sheets = tabs([customer("C1", type_client=None), customer("C2", type_client="pro"),
                       customer("C3", type_client="PME")], [])
        b = load(sheets)  # its tables' rows are freed once read: the Clients rows are read again
        table = read_table(RawSheet("Clients", sheets["Clients"]), b.contract.tab("customers"), Collector())
        out = Collector(tables=b.tables, contract=b.contract)
        found = parse_customers(table, "fr", out, default)
        assert [c.type for c in found.values()] == [default, "B2B", default]
        assert [(a.source.cell, a.code, a.value) for a in out.items] == [("F2", "R209", ""), ("F4", "R204", "PME")]
        assert all(said in a.problem.en for a in out.items)
        assert out.items[1].problem.en.startswith("is neither B2B nor B2C; ")


# --------------------------------------------------------------------------- figures still count them


def test_figures_count_penalties_of_businesses_and_unknown_types_never_of_consumers():
    b = ledger()
    found = positions(b, AS_OF)
    assert found["F1"].late_penalty and found["F1"].late_penalty > 0 and found["F1"].indemnity_due
    assert found["F3"].late_penalty == found["F1"].late_penalty and found["F3"].indemnity_due
    assert found["F2"].late_penalty is None and not found["F2"].indemnity_due
    # the unknown type gets the consumer's (earlier) limitation date, a business its 5 years
    assert found["F1"].prescription_date == dt.date(2030, 2, 19)
    assert found["F3"].prescription_date == found["F2"].prescription_date == dt.date(2027, 2, 19)
    report = report_json(build_report(b, found, AS_OF))
    rows = {r["invoice_id"]: r for r in report["invoices"]}
    assert rows["F3"]["late_penalty"] == rows["F1"]["late_penalty"] is not None
    assert rows["F3"]["indemnity_due"] is True and rows["F2"]["late_penalty"] is None
    assert report["indemnity"]["count"] == 2  # C1 and C3: what could be claimed
    assert Decimal(report["currencies"]["EUR"]["late_penalties_total"]) == 2 * found["F1"].late_penalty


# --------------------------------------------------------------------------- messages claim from businesses only


@pytest.mark.parametrize("lang", LANGS)
def test_no_message_claims_penalties_from_an_unknown_type_nor_a_consumer(renderer: Renderer, lang: str):
    b = ledger()
    found = positions(b, AS_OF)
    penalty = found["F3"].late_penalty
    assert penalty
    for cid in ("C2", "C3"):
        ctx = context(b, cid, lang=lang)
        # nothing claimed (the per-invoice amount is only the Settings rate the notice would state)
        assert ctx["is_b2b"] is False and ctx["indemnity"] == {"count": 0, "amount": Decimal(0), "per": Decimal(40)}
        assert all(inv["late_penalty"] is None for inv in ctx["invoices"])
        assert all(t["late_penalties"] is None for t in ctx["totals"])
        for name, out in rendered(renderer, b, cid, lang).items():
            if name.endswith(".script"):
                # a script for a person may say that nothing is claimed, never what or by which law
                assert "L441-10" not in out and "D441-5" not in out, (cid, name)
                assert "40,00" not in out and "40.00" not in out, (cid, name)
                assert str(penalty).replace(".", ",") not in out and str(penalty) not in out, (cid, name)
            else:
                assert claims(out) == [], (cid, name, out)


@pytest.mark.parametrize("lang", LANGS)
def test_a_known_business_is_claimed_both(renderer: Renderer, lang: str):
    b = ledger()
    out = rendered(renderer, b, "C1", lang)
    for part in ("html", "text"):
        assert "L441-10" in out[f"formal_notice.{part}"] and "D441-5" in out[f"formal_notice.{part}"]
        assert "L441-10" in out[f"reminder_2.{part}"]
    assert "D441-5" in out["handoff.script"]


def test_scripts_say_the_type_is_unknown_instead_of_guessing(renderer: Renderer):
    out = rendered(renderer, ledger(), "C3", "fr")
    assert "type de client non renseigné (B2B ou B2C\u202f?)" in out["call.script"]
    assert "client particulier" not in out["call.script"] and "client professionnel" not in out["call.script"]
    assert "type non renseigné" in out["handoff.script"]
    en = rendered(renderer, ledger(), "C3", "en")
    assert "customer type not stated (B2B or B2C?)" in en["call.script"]
    assert "Customer type not stated" in en["handoff.script"]


def test_an_explicit_default_b2b_claims_and_b2c_never(renderer: Renderer):
    b = ledger({"default_customer_type": "B2B"})
    assert b.customers["C3"].claims_allowed  # needs load_book to pass default_customer_type
    out = rendered(renderer, b, "C3", "fr")
    assert "L441-10" in out["formal_notice.text"] and "D441-5" in out["formal_notice.text"]
    consumers = ledger({"default_customer_type": "particulier"})
    assert consumers.customers["C3"].is_b2c
    assert claims(rendered(renderer, consumers, "C3", "fr")["formal_notice.text"]) == []
    assert all(claims(text) == [] for name, text in rendered(renderer, b, "C2", "fr").items()
               if not name.endswith(".script"))


# --------------------------------------------------------------------------- the letter and the agency package


@poppler
@pytest.mark.parametrize("lang", LANGS)
def test_the_letter_claims_only_from_a_known_business(lang: str):
    b = ledger()
    for cid in ("C2", "C3"):
        text = letter_text(b, cid, lang)
        assert claims(text) == [], (cid, text)
        assert ("mise en demeure" if lang == "fr" else "formal notice") in text.lower()
    business = letter_text(b, "C1", lang)
    assert "L441-10" in business and "D441-5" in business


def test_the_agency_package_of_an_unknown_type_claims_nothing():
    b = ledger()
    ctx = context(b, "C3", "handoff", "agency", "handoff")
    assert ctx["customer"]["type"] == "" and ctx["customer"]["is_b2b"] is False
    data = agency_package(ctx["customer"], ctx["invoices"], [], {}, AS_OF, "fr", company=ctx["company"])
    archive = zipfile.ZipFile(io.BytesIO(data))
    rows = list(csv.reader(io.StringIO(archive.read("dossier.csv").decode("utf-8-sig")), delimiter=";"))
    assert rows[1][0] == "F3" and rows[1][7] == "" and rows[1][8] == ""  # no penalty, no indemnity
    business = context(b, "C1", "handoff", "agency", "handoff")
    data = agency_package(business["customer"], business["invoices"], [], {}, AS_OF, "fr",
                          company=business["company"])
    rows = list(csv.reader(io.StringIO(zipfile.ZipFile(io.BytesIO(data)).read("dossier.csv")
                                       .decode("utf-8-sig")), delimiter=";"))
    assert rows[1][7] != "" and rows[1][8] == "40,00"


@poppler
def test_the_agency_summary_says_the_type_is_not_stated():
    b = ledger()
    ctx = context(b, "C3", "handoff", "agency", "handoff")
    data = agency_package(ctx["customer"], ctx["invoices"], [], {}, AS_OF, "fr", company=ctx["company"])
    text = flat(pdf_to_text(zipfile.ZipFile(io.BytesIO(data)).read("synthese.pdf")))
    assert "Non renseigné (B2B ou B2C ?)" in text
    assert "ni pénalités de retard ni indemnité forfaitaire ne sont réclamées" in text
    assert "L441-10" not in text and "Professionnel" not in text
