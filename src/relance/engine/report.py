"""The figures of `relance report --json` (DESIGN.md §5), per currency, amounts as decimal strings.

KPIs that need sales history (DSO, BPDSO, ADD, CEI, recovery rate) come from `kpi` as Decimals and
become numbers rounded half-up to 2 decimals here (formats.json_number: one rule for every figure); a figure that cannot be computed is null, and the
currency's "notes" say why.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from relance.engine.balance import InvoiceLedger
from relance.engine.book import Book
from relance.engine.formats import half_up, json_number
from relance.engine.i18n import lang_of
from relance.engine.kpi import WINDOWS, CurrencyKpis, Days, currency_kpis, effective_period
from relance.engine.planner import scenario_for
from relance.engine.position import BUCKETS, Aging, Position, aging

ZERO = Decimal(0)


def money(value: Decimal | None) -> str | None:
    """An amount as a decimal string with 2 decimals, rounded half-up (formats.half_up)."""
    return None if value is None else str(half_up(value, 2))


def _aging_json(a: Aging) -> dict[str, Any]:
    data: dict[str, Any] = {b: money(a.buckets[b]) for b in BUCKETS}
    data["unapplied_credits"] = money(a.unapplied_credits)
    data["net_total"] = money(a.net_total)
    data["past_due_total"] = money(a.past_due_total)
    return data


def _number(value: Decimal | None) -> float | None:
    """Days and percentages at the JSON boundary: half-up to 2 decimals, then a float."""
    return json_number(value, 2)


def _days_json(days: Days) -> dict[str, Any]:
    return {"countback": _number(days.countback),
            "simple": {f"{n}m": _number(days.simple[n]) for n in WINDOWS}}


def _kpi_json(k: CurrencyKpis) -> dict[str, Any]:
    return {"dso": _days_json(k.dso), "bpdso": _days_json(k.bpdso), "add": _days_json(k.add),
            "cei_percent": _number(k.cei_percent), "recovery_rate_percent": _number(k.recovery_rate_percent)}


def _behaviour(ledgers: list[InvoiceLedger], as_of: dt.date) -> tuple[Any, Any, Any]:
    """Weighted average days late (signed, floored) and days to pay, over applied payments only."""
    weight = late = floored = to_pay = ZERO
    for ledger in ledgers:
        inv = ledger.invoice
        if inv.status == "cancelled" or inv.amount == 0 or inv.issue_date > as_of:
            continue
        remaining = inv.amount
        for a in ledger.allocations:
            if a.date > as_of or remaining <= 0:
                break
            if a.kind == "credit_note":
                remaining -= a.amount
                continue
            if a.kind != "payment":  # a paid_amount shortcut has no real date
                remaining -= a.amount
                continue
            applied = min(a.amount, remaining)
            remaining -= applied
            d_late = (a.date - inv.due_date).days
            weight += applied
            late += applied * d_late
            floored += applied * max(d_late, 0)
            to_pay += applied * (a.date - inv.issue_date).days
    if weight == 0:
        return None, None, None
    return _number(late / weight), _number(floored / weight), _number(to_pay / weight)


def build_report(book: Book, positions: dict[str, Position], as_of: dt.date,
                 period: tuple[dt.date, dt.date] | None = None, lang: str | None = None) -> dict[str, Any]:
    """The report's JSON; `period` (first and last day) scopes CEI and recovery rate, by default
    the last complete month; `period` in the JSON is the days they really cover (never past as_of). The notes are written in `lang`, by default the workbook's language (its
    Settings `locale`), like every other word the report shows."""
    lang = lang_of(lang or book.settings.language)
    per_customer = aging(book, positions, as_of)
    kpis = currency_kpis(book, as_of, period)
    groups: dict[tuple[str, str], list[InvoiceLedger]] = defaultdict(list)
    for ledger in book.ledgers.values():
        groups[(ledger.invoice.customer_id, ledger.invoice.currency)].append(ledger)
    currencies: dict[str, Aging] = defaultdict(Aging.empty)
    for (_, cur), a in per_customer.items():
        total = currencies[cur]
        for b in BUCKETS:
            total.buckets[b] += a.buckets[b]
        total.unapplied_credits += a.unapplied_credits
    # Claimable versus accrued: what a notice may claim today is on open invoices; what accrued on
    # invoices since paid late stays recoverable until prescription but is not claimed.
    penalties: dict[str, Decimal] = defaultdict(Decimal)
    penalties_open: dict[str, Decimal] = defaultdict(Decimal)
    indemnity_count = indemnity_open = 0
    for p in positions.values():
        if p.status != "excluded_future":
            currencies.setdefault(p.currency, Aging.empty())
        if p.late_penalty is not None:
            penalties[p.currency] += p.late_penalty
            if p.is_open:
                penalties_open[p.currency] += p.late_penalty
        indemnity_count += p.indemnity_due
        indemnity_open += p.indemnity_due and p.is_open
    indemnity_unit = book.settings.recovery_indemnity
    indemnity_paid_late = indemnity_count - indemnity_open
    invoices_json = []
    for iid in sorted(positions):
        p = positions[iid]
        inv = book.invoices[iid]
        customer = book.customers[inv.customer_id]
        stage = None
        if p.is_open and p.days_past_due is not None:
            scenario = scenario_for(customer, book)
            step = scenario.stage(p.days_past_due) if scenario else None
            stage = step.name if step else "none"
        invoices_json.append({
            "invoice_id": iid, "customer_id": p.customer_id, "currency": p.currency, "status": p.status,
            "open_balance": money(p.balance), "days_past_due": p.days_past_due, "bucket": p.bucket,
            "days_late_at_settlement": p.days_late_at_settlement, "late_penalty": money(p.late_penalty),
            "indemnity_due": p.indemnity_due, "stage": stage, "paused": p.paused or None,
            "prescription_date": p.prescription_date.isoformat(),
        })
    customers_json = []
    for (cid, cur) in sorted(per_customer):
        a = per_customer[(cid, cur)]
        signed, floored, to_pay = _behaviour(groups.get((cid, cur), []), as_of)
        customers_json.append({
            "customer_id": cid, "currency": cur, "aging": _aging_json(a), "net_total": money(a.net_total),
            "weighted_avg_days_late": {"signed": signed, "floored": floored}, "avg_days_to_pay": to_pay,
            "risk": None,
        })
    start, end = effective_period(period, as_of)
    return {
        "as_of": as_of.isoformat(),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "currencies": {
            cur: {
                "aging": _aging_json(currencies[cur]),
                **_kpi_json(kpis[cur]),  # every currency of the book has its figures
                "late_penalties_total": money(penalties.get(cur, ZERO)),
                "late_penalties_open": money(penalties_open.get(cur, ZERO)),
                "late_penalties_paid_late": money(penalties.get(cur, ZERO) - penalties_open.get(cur, ZERO)),
                "notes": [note.text(lang) for note in kpis[cur].notes],
            }
            for cur in sorted(currencies)
        },
        "indemnity": {"count": indemnity_count, "amount_eur": money(indemnity_unit * indemnity_count),
                      "open_count": indemnity_open, "open_amount_eur": money(indemnity_unit * indemnity_open),
                      "paid_late_count": indemnity_paid_late,
                      "paid_late_amount_eur": money(indemnity_unit * indemnity_paid_late),
                      "unit_eur": money(indemnity_unit)},
        "invoices": invoices_json,
        "customers": customers_json,
    }
