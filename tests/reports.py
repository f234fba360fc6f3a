"""A real report (engine.report.build_report on a book made in memory, tests/books.py) with every
KPI filled in, and its extras: what the HTML page and its benchmark draw.

The book has `n_customers` customers (one named like an injection, EVIL), a year and a half of
invoices, most of them paid, some late; the payer grades and predicted dates are the engine's.
Only the reminder effectiveness is given as records (a History of hundreds of sends would test
the planner, not the page): `Effectiveness` and `StepEffect` are the engine's own types.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace
from decimal import Decimal
from typing import Any

from books import book, positions
from conftest import customer, invoice, payment
from relance.engine.effectiveness import Effectiveness, StepEffect
from relance.engine.kpi import dso_history
from relance.engine.report import Report, build_report
from relance.engine.scoring import predicted_payment_date, risk_grades

EVIL = "<script>alert(1)</script>"
AS_OF = dt.date(2026, 11, 23)
START = dt.date(2025, 5, 1)


def _steps() -> tuple[StepEffect, ...]:
    def pct(*values: float | None) -> dict[int, Decimal | None]:
        return {n: None if v is None else Decimal(str(v)) for n, v in zip((7, 14, 30), values, strict=True)}

    return (
        StepEffect("standard", "courtesy", "email", 212, pct(38.2, 55.0, 71.4),
                   {"fr": "Rappel courtois", "en": "Friendly reminder"}),
        StepEffect("standard", "reminder_1", "email", 130, pct(22.3, 40.8, 62.0),
                   {"fr": "Relance 1", "en": "First reminder"}),
        StepEffect("standard", "reminder_2_sms", "sms", 54, pct(18.5, 33.3, 50.0),
                   {"fr": "Relance SMS", "en": "SMS reminder"}),
        StepEffect("standard", "call", "call", 21, pct(14.3, 28.6, 42.9), {"fr": "Appel", "en": "Phone call"}),
        StepEffect("standard", "formal_notice_letter", "letter", 6, pct(16.7, 33.3, None),
                   {"fr": "Mise en demeure", "en": "Formal notice"}),
    )


def effectiveness_sample(period: tuple[dt.date, dt.date] | None = None) -> Effectiveness:
    return Effectiveness(_steps(), {"email": 342, "sms": 54, "letter": 6, "call": 21, "agency": 0},
                         Decimal(64), Decimal("11.4"), Decimal(8), 187, period)


def realistic_book(n_customers: int = 40, seed: int = 7, currencies: tuple[str, ...] = ("EUR",)) -> Any:
    """The book behind `realistic`: customer 0 a big, very late payer; customer 3 named EVIL."""
    rng = random.Random(seed)
    customers, invoices, payments = [], [], []
    span = (AS_OF - START).days
    for i in range(n_customers):
        cid = f"C{i:05d}"
        cur = currencies[i % len(currencies)]
        name = EVIL if i == 3 else f"Société {['Durand', 'Martin', 'Lefèvre', 'Moreau', 'Garnier'][i % 5]} & fils n°{i}"
        customers.append(customer(cid, raison_sociale=name))
        late = 0 if i % 5 == 0 else rng.choice((0, 5, 20, 45))
        for k in range(rng.randint(2, 6)):
            issued = START + dt.timedelta(days=rng.randrange(span))
            due = issued + dt.timedelta(days=30)
            amount = Decimal(rng.randint(300, 20000)) + Decimal(rng.randint(0, 99)) / 100
            iid = f"F{i}-{k}"
            invoices.append(invoice(iid, cid, issued.isoformat(), due.isoformat(), amount, devise=cur))
            paid = due + dt.timedelta(days=late + rng.randint(-5, 15))
            if i != 0 and paid < AS_OF and (rng.random() < 0.7 or issued < AS_OF - dt.timedelta(days=150)):
                payments.append(payment(paid.isoformat(), amount, iid, currency=cur))
        if i == 0:
            invoices.append(invoice("F0-big", cid, "2026-05-02", "2026-06-01", Decimal("48210.50"), devise=cur))
    return book(customers, invoices, payments)


def realistic(n_customers: int = 40, seed: int = 7, currencies: tuple[str, ...] = ("EUR",)
              ) -> tuple[Report, dict[str, Any]]:
    """The report of `realistic_book` on 23 November 2026, and its extras."""
    b = realistic_book(n_customers, seed, currencies)
    where = positions(b, AS_OF)
    report = build_report(b, where, AS_OF, risks=risk_grades(b, where, AS_OF),
                          predicted=predicted_payment_date(b, where, AS_OF))
    report = replace(report, effectiveness_all=effectiveness_sample())
    extras = {"lang": "fr", "company": "Atelier Dumas", "dso_history": dso_history(b, AS_OF, months=12)}
    return report, extras


def summary_of(b: Any, as_of: dt.date, lang: str = "fr", report: Report | None = None,
               workbook: str = "classeur.xlsx") -> dict[str, Any]:
    """The weekly summary's context for book `b` on `as_of`, as `relance summary` builds it: the
    report, the planner's plan and the week's decisions (engine.weekly)."""
    from books import planned
    from relance.engine.weekly import week
    from relance.render.summary import summary_context

    where = positions(b, as_of)
    report = report if report is not None else build_report(b, where, as_of, lang=lang)
    decisions = week(b, planned(b, as_of).plan, report, where, as_of)
    return summary_context(report, decisions, b.settings, lang, workbook)
