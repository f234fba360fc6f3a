"""From an Action to the message a customer reads: the render context and the composed parts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from relance.engine.action import Action
from relance.engine.book import Book
from relance.engine.penalty import LEGAL_MARGIN, RateTable, semester
from relance.engine.position import Position

FIRM_DEADLINE_DAYS = 8


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file an e-mail carries (the formal notice's PDF): what the mail client shows and saves."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    action: Action
    sender_email: str
    sender_name: str
    reply_to: str
    subject: str
    html: str
    text: str
    pdf: bytes | None = None  # a letter: the PDF the outbox files and a person posts
    attachments: tuple[Attachment, ...] = ()  # an e-mail's files (the e-mailed notice's PDF)

    @property
    def key(self) -> str:
        return self.action.key


def address_lines(address: str) -> list[str]:
    """Settings company_address as lines: separated by ';' or line breaks in the cell."""
    return [line.strip() for line in address.replace("\r", "\n").replace("\n", ";").split(";") if line.strip()]


def penalty_rate(book: Book, as_of: dt.date) -> dict[str, Any]:
    """The late-payment rate a notice states, for the semester of `as_of`: in legal mode the ECB
    rate of that semester plus 10 points (C. com. L441-10), else the contractual rate; percent."""
    s = book.settings
    table = RateTable(s.penalty_rate_mode, s.penalty_annual_rate, dict(s.ecb_rates))
    sem = semester(as_of)
    rate = table.annual_rate(sem)
    fixed = s.penalty_rate_mode == "fixed" and s.penalty_annual_rate is not None
    return {
        "mode": "fixed" if fixed else "legal_semester", "rate": rate,
        "ecb_rate": None if fixed else rate - LEGAL_MARGIN, "margin": None if fixed else LEGAL_MARGIN,
        "year": sem[0], "half": sem[1], "guessed": sem in table.guessed,
    }


def render_context(
    action: Action, book: Book, positions: dict[str, Position], as_of: dt.date, reminders_sent: int = 0
) -> dict[str, Any]:
    s = book.settings
    customer = book.customers[action.customer_id]
    # `b2b` means known to be a business: only then may a message claim late-payment penalties
    # (C. com. L441-10) and the fixed indemnity (D441-5). A customer of unknown type (blank
    # type_client, no Settings default_customer_type) is claimed neither, like a consumer,
    # although its positions still count them (what the report shows could be claimed).
    b2b = customer.claims_allowed
    invoices = []
    penalties: dict[str, Decimal] = {}
    indemnity_count = 0
    for iid in action.invoice_ids:
        inv = book.invoices[iid]
        p = positions[iid]
        invoices.append({
            "id": iid, "issue_date": inv.issue_date, "due_date": inv.due_date, "amount": inv.amount,
            "open_balance": p.balance, "currency": inv.currency,
            # part of it was paid or credited: a message says "de X €, dont il reste dû Y €"
            "partly_paid": p.balance != inv.amount,
            "days_past_due": p.days_past_due if p.days_past_due is not None else 0,
            "pdf_url": inv.pdf_url, "payment_url": inv.payment_url,
            "late_penalty": p.late_penalty if b2b else None,
        })
        if b2b and p.late_penalty is not None:
            penalties[inv.currency] = penalties.get(inv.currency, Decimal(0)) + p.late_penalty
        indemnity_count += b2b and p.indemnity_due
    totals = [
        {"currency": cur, "open_balance": amount, "late_penalties": penalties.get(cur) if b2b else None}
        for cur, amount in action.totals
    ]
    scenario = book.scenarios.get(action.scenario)
    step = scenario.step(action.step) if scenario else None
    return {
        "lang": action.language,
        "company": {
            "name": s.company_name or s.sender_name, "email": s.sender_email,
            "reply_to": s.reply_to or s.sender_email, "phone": s.company_phone,
            "portal_url": s.portal_url, "privacy_url": s.privacy_url, "city": s.company_city,
            "address": address_lines(s.company_address),
            "iban": s.iban, "bic": s.bic, "legal_mentions": s.legal_mentions,
            "signatory_name": s.signatory_name, "signatory_title": s.signatory_title,
            "signatory": ", ".join(x for x in (s.signatory_name, s.signatory_title) if x),
        },
        "customer": {
            "id": customer.id, "name": customer.name, "contact_name": customer.contact_name,
            "type": customer.type,  # "B2B", "B2C", or "" (unknown)
            "is_b2b": customer.is_b2b, "is_b2c": customer.is_b2c, "email": ";".join(customer.emails),
            "address": customer.address, "postal_code": customer.postal_code, "city": customer.city,
            "country": customer.country,
        },
        "step": {
            "name": action.step, "label": step.label(action.language) if step else action.step,
            "offset_days": action.offset_days, "channel": action.channel, "tone": step.tone if step else "",
        },
        "as_of": as_of,
        "invoices": invoices,
        "totals": totals,
        "indemnity": {"count": indemnity_count, "per": s.recovery_indemnity,
                      "amount": s.recovery_indemnity * indemnity_count if b2b else Decimal(0)},
        "penalty_rate": penalty_rate(book, as_of),
        "is_b2b": b2b,  # known business: penalties and the indemnity may be claimed
        "is_b2c": customer.is_b2c,  # known consumer (neither: the type is unknown)
        "deadline": as_of + dt.timedelta(days=FIRM_DEADLINE_DAYS),
        "reminders_sent": reminders_sent,
        "action_key": action.key,
    }
