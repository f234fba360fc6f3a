"""A report shaped like build_report's (DESIGN.md §5) with every KPI filled in, and its extras:
what the HTML page and its benchmark draw without computing a book."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

EVIL = "<script>alert(1)</script>"
BUCKETS = ("current", "1-30", "31-60", "61-90", ">90")


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def aging(values: dict[str, Decimal], credits: Decimal = Decimal(0)) -> dict[str, str]:
    data = {b: money(values.get(b, Decimal(0))) for b in BUCKETS}
    gross = sum((values.get(b, Decimal(0)) for b in BUCKETS), Decimal(0))
    data["unapplied_credits"] = money(credits)
    data["net_total"] = money(gross + credits)
    data["past_due_total"] = money(sum((values.get(b, Decimal(0)) for b in BUCKETS[1:]), Decimal(0)))
    return data


def realistic(n_customers: int = 40, seed: int = 7, currencies: tuple[str, ...] = ("EUR",)
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    """A report shaped like build_report's (DESIGN.md §5) with every KPI filled in, and its extras."""
    rng = random.Random(seed)
    customers: list[dict[str, Any]] = []
    invoices: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    totals: dict[str, dict[str, Decimal]] = {c: dict.fromkeys(BUCKETS, Decimal(0)) for c in currencies}
    grades = "AABBBCCDE"
    for i in range(n_customers):
        cid = f"C{i:05d}"
        cur = currencies[i % len(currencies)]
        names[cid] = EVIL if i == 3 else f"Société {['Durand', 'Martin', 'Lefèvre', 'Moreau', 'Garnier'][i % 5]} & fils n°{i}"
        values = {b: Decimal(rng.choice([0, 0, rng.randint(100, 40000)])) + Decimal(rng.randint(0, 99)) / 100
                  for b in BUCKETS}
        if i == 0:  # a big, very late payer
            values[">90"] = Decimal("48210.50")
        for b in BUCKETS:
            totals[cur][b] += values[b]
            if values[b] > 0:
                invoices.append({"invoice_id": f"F{i}-{b}", "customer_id": cid, "currency": cur, "status": "open",
                                 "open_balance": money(values[b]), "bucket": b})
        grade = "E" if i == 0 else grades[i % len(grades)]
        customers.append({
            "customer_id": cid, "currency": cur, "aging": aging(values), "net_total": aging(values)["net_total"],
            "weighted_avg_days_late": {"signed": rng.uniform(-5, 60), "floored": rng.uniform(0, 60)},
            "avg_days_to_pay": rng.uniform(20, 90),
            "risk": {"grade": grade, "score": rng.randint(0, 100), "automatic": i % 4 != 1,
                     "reasons": [EVIL if i == 3 else "3 relances sans paiement",
                                 {"code": "trend", "points": 10, "fr": "retard moyen en hausse",
                                  "en": "average delay rising"}]},
        })
    kpis = {"countback": 52.4, "simple": {"1m": 49.0, "3m": 55.1, "6m": 57.3, "12m": 60.2}}
    report = {
        "as_of": "2026-11-23",
        "currencies": {cur: {
            "aging": aging(totals[cur], Decimal("-1250.00")),
            "dso": kpis, "bpdso": {"countback": 31.9, "simple": kpis["simple"]},
            "add": {"countback": 20.5, "simple": kpis["simple"]},
            "cei_percent": 78.4, "recovery_rate_percent": 41.7, "late_penalties_total": "1234.56",
        } for cur in currencies},
        "indemnity": {"count": 12, "amount_eur": "480.00"},
        "invoices": invoices,
        "customers": customers,
    }
    months = [f"{2025 + (m > 12)}-{(m - 1) % 12 + 1:02d}" for m in range(12, 24)]
    history = [[m, None if k == 4 else round(48 + 10 * rng.random() - k * 0.4, 1)] for k, m in enumerate(months)]
    extras = {
        "lang": "fr", "company": "Atelier Dumas", "customer_names": names,
        "dso_history": dict.fromkeys(currencies, history),
        "effectiveness": {
            "by_step": [
                {"scenario": "standard", "step": "courtesy", "label": {"fr": "Rappel courtois", "en": "Friendly reminder"},
                 "channel": "email", "messages": 212,
                 "paid_within": {"7": 38.2, "14": 55.0, "30": 71.4}},
                {"scenario": "standard", "step": "reminder_1", "label": {"fr": "Relance 1", "en": "First reminder"},
                 "channel": "email", "messages": 130,
                 "paid_within": {"7": 22.3, "14": 40.8, "30": 62.0}},
                {"scenario": "standard", "step": "reminder_2_sms", "label": {"fr": "Relance SMS", "en": "SMS reminder"},
                 "channel": "sms", "messages": 54,
                 "paid_within": {"7": 18.5, "14": 33.3, "30": 50.0}},
                {"scenario": "standard", "step": "call", "label": {"fr": "Appel", "en": "Phone call"},
                 "channel": "call", "messages": 21,
                 "paid_within": {"7": 14.3, "14": 28.6, "30": 42.9}},
                {"scenario": "standard", "step": "formal_notice_letter", "label": {"fr": "Mise en demeure", "en": "Formal notice"},
                 "channel": "letter", "messages": 6,
                 "paid_within": {"7": 16.7, "14": 33.3, "30": None}},
            ],
            "by_channel": {"email": 342, "sms": 54, "call": 21, "letter": 6},
            "promise_kept_rate_percent": 64.0,
            "days_first_reminder_to_payment": {"mean": 11.4, "median": 8.0, "count": 187},
        },
    }
    return report, extras
