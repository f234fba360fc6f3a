"""The report: aging, KPIs, penalties and indemnities, per invoice and per customer, as typed records.

`build_report` computes a `Report` (frozen dataclasses, Decimal amounts and days, notes as `Said`);
the CLI, the HTML page, the Dashboard tab and the weekly summary read those records. The JSON of
`relance report --json` (DESIGN.md §5) is made once, at the boundary, by `report_json`: amounts as
strings with 2 decimals, days and percentages as numbers, both rounded half-up to 2 decimals
(formats.half_up / formats.json_number: one rule for every figure, docs/figures.md); a figure that
cannot be computed is null, and the currency's notes say why, in the report's language.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from relance.engine.balance import InvoiceLedger
from relance.engine.book import Book
from relance.engine.formats import half_up, json_number
from relance.engine.i18n import Lang, Said, lang_of
from relance.engine.kpi import WINDOWS, CurrencyKpis, Days, currency_kpis, effective_period
from relance.engine.planner import scenario_for
from relance.engine.position import BUCKETS, Aging, Position, aging

if TYPE_CHECKING:
    from relance.engine.effectiveness import Effectiveness
    from relance.engine.scoring import Risk

ZERO = Decimal(0)


def money(value: Decimal | None) -> str | None:
    """An amount as a decimal string with 2 decimals, rounded half-up (formats.half_up)."""
    return None if value is None else str(half_up(value, 2))


def _number(value: Decimal | None) -> float | None:
    """Days and percentages at the JSON boundary: half-up to 2 decimals, then a float."""
    return json_number(value, 2)


# --- the records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgingFigures:
    """Open balances by bucket (BUCKETS order), unapplied credits (zero or negative) and totals."""

    buckets: Mapping[str, Decimal]
    unapplied_credits: Decimal

    @classmethod
    def of(cls, a: Aging) -> AgingFigures:
        return cls({b: a.buckets[b] for b in BUCKETS}, a.unapplied_credits)

    @property
    def net_total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO) + self.unapplied_credits

    @property
    def past_due_total(self) -> Decimal:
        return sum((v for k, v in self.buckets.items() if k != "current"), ZERO)

    @property
    def gross_total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)


@dataclass(frozen=True)
class CurrencyFigures:
    """One currency's figures: never added to another currency's."""

    currency: str
    aging: AgingFigures
    measured_at: dt.date  # the month end DSO, BPDSO and ADD are read at
    dso: Days
    bpdso: Days
    add: Days
    cei_percent: Decimal | None
    recovery_rate_percent: Decimal | None
    late_penalties_total: Decimal
    late_penalties_open: Decimal  # on open invoices: what a notice may claim today
    notes: tuple[Said, ...] = ()  # why a figure is null, rendered in the reader's language

    @property
    def late_penalties_paid_late(self) -> Decimal:
        """Accrued on invoices since paid late: recoverable until prescription, not claimed."""
        return self.late_penalties_total - self.late_penalties_open


@dataclass(frozen=True)
class IndemnityFigures:
    """The fixed recovery indemnities (40 € by default, Settings `recovery_indemnity`), in euros."""

    count: int
    open_count: int
    unit: Decimal

    @property
    def paid_late_count(self) -> int:
        return self.count - self.open_count

    @property
    def amount(self) -> Decimal:
        return self.unit * self.count

    @property
    def open_amount(self) -> Decimal:
        return self.unit * self.open_count

    @property
    def paid_late_amount(self) -> Decimal:
        return self.unit * self.paid_late_count


@dataclass(frozen=True)
class InvoiceLine:
    invoice_id: str
    customer_id: str
    currency: str
    status: str
    open_balance: Decimal
    days_past_due: int | None
    bucket: str | None
    days_late_at_settlement: int | None
    late_penalty: Decimal | None
    indemnity_due: int
    stage: str | None  # the ladder step an open past-due invoice is at ("none" before the first)
    paused: str  # "" or why reminders are paused (disputed, hold, promise, ...)
    prescription_date: dt.date
    predicted_payment_date: dt.date | None = None


@dataclass(frozen=True)
class CustomerLine:
    customer_id: str
    name: str
    currency: str
    aging: AgingFigures
    days_late_signed: Decimal | None  # weighted by the amounts paid, early payments negative
    days_late_floored: Decimal | None  # the same with early payments counted as on time
    avg_days_to_pay: Decimal | None
    risk: Risk | None = None

    @property
    def past_due(self) -> Decimal:
        return self.aging.past_due_total


@dataclass(frozen=True)
class Report:
    """Everything `relance report` shows, computed once; `report_json` is its §5 JSON."""

    as_of: dt.date
    period: tuple[dt.date, dt.date]  # the days CEI, recovery rate (and effectiveness) cover
    lang: Lang  # the language of the notes in the JSON (the workbook's by default)
    currencies: Mapping[str, CurrencyFigures]
    indemnity: IndemnityFigures
    invoices: tuple[InvoiceLine, ...]
    customers: tuple[CustomerLine, ...]
    predictions: bool = False  # invoices carry a predicted payment date (report_bundle)
    effectiveness: Effectiveness | None = None
    effectiveness_all: Effectiveness | None = field(default=None, compare=False)

    def effectiveness_shown(self) -> Effectiveness | None:
        """The effectiveness to show: over the period, or, when nothing was sent or judged in it,
        every message up to as_of (its `period` is None: the reader is told so)."""
        scoped = self.effectiveness
        if scoped is not None and not scoped.has_data and self.effectiveness_all is not None \
                and self.effectiveness_all.has_data:
            return self.effectiveness_all
        return scoped or self.effectiveness_all

    def overdue_customers(self, currency: str, limit: int = 10) -> list[CustomerLine]:
        """The `limit` customers owing the most past due in `currency`, largest first (ties by name)."""
        found = [c for c in self.customers if c.currency == currency and c.past_due > 0]
        found.sort(key=lambda c: (-c.past_due, c.name.casefold(), c.customer_id))
        return found[:limit]


# --- building --------------------------------------------------------------------------------------


def _behaviour(ledgers: list[InvoiceLedger], as_of: dt.date
               ) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
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
    return late / weight, floored / weight, to_pay / weight


def _currency(k: CurrencyKpis, a: Aging, total: Decimal, open_: Decimal) -> CurrencyFigures:
    return CurrencyFigures(k.currency, AgingFigures.of(a), k.measured_at, k.dso, k.bpdso, k.add,
                           k.cei_percent, k.recovery_rate_percent, total, open_, tuple(k.notes))


def build_report(book: Book, positions: dict[str, Position], as_of: dt.date,
                 period: tuple[dt.date, dt.date] | None = None, lang: str | None = None,
                 risks: Mapping[tuple[str, str], Risk] | None = None,
                 predicted: Mapping[str, dt.date] | None = None) -> Report:
    """The report at `as_of`; `period` (first and last day) scopes CEI and recovery rate, by default
    the last complete month, and is kept as the days it really covers (never past as_of). The JSON
    notes are in `lang`, by default the workbook's language. `risks` and `predicted` (engine.scoring)
    add the payer grades and predicted payment dates."""
    language = lang_of(lang or book.settings.language)
    per_customer = aging(book, positions, as_of)
    kpis = currency_kpis(book, as_of, period)
    groups: dict[tuple[str, str], list[InvoiceLedger]] = defaultdict(list)
    for ledger in book.ledgers.values():
        groups[(ledger.invoice.customer_id, ledger.invoice.currency)].append(ledger)
    totals: dict[str, Aging] = defaultdict(Aging.empty)
    for (_, cur), a in per_customer.items():
        total = totals[cur]
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
            totals.setdefault(p.currency, Aging.empty())
        if p.late_penalty is not None:
            penalties[p.currency] += p.late_penalty
            if p.is_open:
                penalties_open[p.currency] += p.late_penalty
        indemnity_count += p.indemnity_due
        indemnity_open += p.indemnity_due and p.is_open
    invoices: list[InvoiceLine] = []
    for iid in sorted(positions):
        p = positions[iid]
        inv = book.invoices[iid]
        customer = book.customers[inv.customer_id]
        stage = None
        if p.is_open and p.days_past_due is not None:
            scenario = scenario_for(customer, book)
            step = scenario.stage(p.days_past_due) if scenario else None
            stage = step.name if step else "none"
        invoices.append(InvoiceLine(
            iid, p.customer_id, p.currency, p.status, p.balance, p.days_past_due, p.bucket,
            p.days_late_at_settlement, p.late_penalty, p.indemnity_due, stage, p.paused,
            p.prescription_date, predicted.get(iid) if predicted is not None else None))
    customers: list[CustomerLine] = []
    for (cid, cur) in sorted(per_customer):
        signed, floored, to_pay = _behaviour(groups.get((cid, cur), []), as_of)
        known = book.customers.get(cid)
        customers.append(CustomerLine(
            cid, known.name if known is not None and known.name else cid, cur, AgingFigures.of(per_customer[(cid, cur)]),
            signed, floored, to_pay, risks.get((cid, cur)) if risks is not None else None))
    return Report(
        as_of=as_of, period=effective_period(period, as_of), lang=language,
        currencies={cur: _currency(kpis[cur], totals[cur], penalties.get(cur, ZERO), penalties_open.get(cur, ZERO))
                    for cur in sorted(totals)},  # every currency of the book has its figures
        indemnity=IndemnityFigures(indemnity_count, indemnity_open, book.settings.recovery_indemnity),
        invoices=tuple(invoices), customers=tuple(customers), predictions=predicted is not None)


# --- the JSON boundary -----------------------------------------------------------------------------


def aging_json(a: AgingFigures) -> dict[str, Any]:
    data: dict[str, Any] = {b: money(a.buckets[b]) for b in BUCKETS}
    data["unapplied_credits"] = money(a.unapplied_credits)
    data["net_total"] = money(a.net_total)
    data["past_due_total"] = money(a.past_due_total)
    return data


def days_json(days: Days) -> dict[str, Any]:
    return {"countback": _number(days.countback),
            "simple": {f"{n}m": _number(days.simple[n]) for n in WINDOWS}}


def kpi_json(k: CurrencyFigures | CurrencyKpis) -> dict[str, Any]:
    return {"dso": days_json(k.dso), "bpdso": days_json(k.bpdso), "add": days_json(k.add),
            "cei_percent": _number(k.cei_percent), "recovery_rate_percent": _number(k.recovery_rate_percent)}


_kpi_json = kpi_json  # the name tests/test_json_rounding.py knew


def _currency_json(c: CurrencyFigures, lang: Lang) -> dict[str, Any]:
    return {
        "aging": aging_json(c.aging),
        **kpi_json(c),
        "late_penalties_total": money(c.late_penalties_total),
        "late_penalties_open": money(c.late_penalties_open),
        "late_penalties_paid_late": money(c.late_penalties_paid_late),
        "notes": [note.text(lang) for note in c.notes],
    }


def _invoice_json(line: InvoiceLine, predictions: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "invoice_id": line.invoice_id, "customer_id": line.customer_id, "currency": line.currency,
        "status": line.status, "open_balance": money(line.open_balance), "days_past_due": line.days_past_due,
        "bucket": line.bucket, "days_late_at_settlement": line.days_late_at_settlement,
        "late_penalty": money(line.late_penalty), "indemnity_due": line.indemnity_due, "stage": line.stage,
        "paused": line.paused or None, "prescription_date": line.prescription_date.isoformat(),
    }
    if predictions:
        day = line.predicted_payment_date
        data["predicted_payment_date"] = day.isoformat() if day else None
    return data


def _customer_json(line: CustomerLine) -> dict[str, Any]:
    return {
        "customer_id": line.customer_id, "currency": line.currency, "aging": aging_json(line.aging),
        "net_total": money(line.aging.net_total),
        "weighted_avg_days_late": {"signed": _number(line.days_late_signed),
                                   "floored": _number(line.days_late_floored)},
        "avg_days_to_pay": _number(line.avg_days_to_pay),
        "risk": line.risk.to_json() if line.risk is not None else None,
    }


def report_json(report: Report) -> dict[str, Any]:
    """The JSON of `relance report --json` (DESIGN.md §5): the one place the records become
    strings and numbers (amounts "1234.50", days and percentages half-up to 2 decimals)."""
    from relance.engine.effectiveness import effectiveness_json

    ind = report.indemnity
    start, end = report.period
    data: dict[str, Any] = {
        "as_of": report.as_of.isoformat(),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "currencies": {cur: _currency_json(c, report.lang) for cur, c in report.currencies.items()},
        "indemnity": {"count": ind.count, "amount_eur": money(ind.amount),
                      "open_count": ind.open_count, "open_amount_eur": money(ind.open_amount),
                      "paid_late_count": ind.paid_late_count, "paid_late_amount_eur": money(ind.paid_late_amount),
                      "unit_eur": money(ind.unit)},
        "invoices": [_invoice_json(line, report.predictions) for line in report.invoices],
        "customers": [_customer_json(line) for line in report.customers],
    }
    if report.effectiveness_all is not None:
        data["effectiveness"] = effectiveness_json(report.effectiveness_all)
    if report.effectiveness is not None:
        data["effectiveness_period"] = effectiveness_json(report.effectiveness)
    return data
