"""Render contexts built by hand, shaped like message.render_context's (company "Atelier Dupont",
customer "Boulangerie Martin", as of 31 March 2025), for the renderer and template tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

D = Decimal
NBSP = "\u00a0"
AS_OF = dt.date(2025, 3, 31)


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
        "partly_paid": balance is not None and D(balance) != D(amount),
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
