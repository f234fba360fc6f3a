"""What the letter and hand-off tests share: PDFs read back with poppler, and a context shaped
like message.render_context's with the address fields the letter reads."""

from __future__ import annotations

import datetime as dt
import functools
import shutil
import subprocess
from decimal import Decimal
from typing import Any

import pytest

from relance.app.resources import message_templates
from relance.render import handoff, letter
from relance.render.messages import Renderer, TemplateProblem

D = Decimal
AS_OF = dt.date(2026, 11, 23)
DEADLINE = dt.date(2026, 12, 1)

poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


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


@functools.cache
def preset() -> Renderer:
    """The shipped templates, no Modeles row: the letter's and the package's wording as shipped."""
    return Renderer(message_templates())


def formal_notice_pdf(context: dict[str, Any], sender_address: list[str], lang: str = "fr",
                      renderer: Renderer | None = None, problems: list[TemplateProblem] | None = None) -> bytes:
    """render.letter.formal_notice_pdf with the shipped wording unless ``renderer`` says otherwise."""
    return letter.formal_notice_pdf(context, sender_address, lang, renderer=renderer or preset(), problems=problems)


def agency_package(*args: Any, renderer: Renderer | None = None, **kwargs: Any) -> bytes:
    """render.handoff.agency_package with the shipped wording unless ``renderer`` says otherwise."""
    return handoff.agency_package(*args, renderer=renderer or preset(), **kwargs)
