"""The balances and positions as session 19 left them (one pass per ledger, row by row): the
reference the session-20 fast path (engine/balance.py apply_all, engine/position.py
compute_positions) is compared with in tests/test_figures_reference.py.

Kept verbatim from the engine of session 19 (apply_all, _allocate_fifo, compute_positions,
_penalty, _unit_rate_days); the ledgers are the engine's InvoiceLedger, whose methods did not change.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from relance.engine.anomaly import Source
from relance.engine.balance import ZERO, Allocation, Credit, InvoiceLedger
from relance.engine.book import Book
from relance.engine.catalog import anomalies as A
from relance.engine.cells import MAX_AMOUNT
from relance.engine.invoice import Invoice
from relance.engine.pause import Dispute, Promise
from relance.engine.payment import Payment
from relance.engine.penalty import (
    CENT,
    DAYS_PER_YEAR,
    RateTable,
    late_penalty,
    semester,
    semester_end,
)
from relance.engine.position import (
    _COUNTED,
    _NO_DISPUTES,
    _NO_PROMISES,
    Position,
    _runs,
    bucket,
    pause_reason,
)
from relance.engine.table import Collector
from relance.engine.terms import add_years


def apply_all(
    invoices: dict[str, Invoice], payments: list[Payment], out: Collector, disputes: Iterable[Dispute] = ()
) -> tuple[dict[str, InvoiceLedger], list[Credit]]:
    """Every payment and credit note applied; `disputes` (Litiges rows, call outcomes) keep FIFO
    payments off the invoices they cover on the payment's date."""
    # inv.kind, not the is_credit_note property: a call less per invoice, 100k times
    ledgers = {iid: InvoiceLedger(inv) for iid, inv in invoices.items() if inv.kind != "credit_note"}
    credits: list[Credit] = []
    direct_total: dict[str, Decimal] = defaultdict(Decimal)
    unassigned: dict[tuple[str, str], list[Payment]] = defaultdict(list)
    new = tuple.__new__  # Allocation(...) without its Python-level __new__
    for p in payments:
        if p.invoice_id:
            ledger = ledgers.get(p.invoice_id)
            if ledger is None:  # a payment recorded against a credit note: keep the money as credit
                credits.append(Credit(p.customer_id, p.currency, p.date, p.amount, "payment_excess", p.reference))
                continue
            ledger.allocations.append(new(Allocation, (p.date, p.amount, "payment", p.reference)))
            direct_total[p.invoice_id] += p.amount
        else:
            unassigned[(p.customer_id, p.currency)].append(p)
    for inv in invoices.values():
        if inv.kind == "credit_note":
            target = ledgers.get(inv.applies_to) if inv.applies_to else None
            if (
                target is not None
                and target.invoice.currency == inv.currency
                and target.invoice.customer_id == inv.customer_id
                and inv.status != "cancelled"
            ):
                target.allocations.append(Allocation(inv.issue_date, inv.amount, "credit_note", inv.id))
            elif inv.status != "cancelled" and inv.amount > 0:
                credits.append(Credit(inv.customer_id, inv.currency, inv.issue_date, inv.amount, "credit_note", inv.id))
            continue
        if inv.paid_amount is not None:
            paid = direct_total.get(inv.id)
            if paid is None:
                if inv.paid_amount > 0:
                    ledgers[inv.id].allocations.append(Allocation(inv.issue_date, inv.paid_amount, "paid_amount", ""))
            elif paid != inv.paid_amount:
                column = out.column("invoices", "paid_amount")
                out.warn(inv.source, str(inv.paid_amount),
                         A.R118_PAID_DISAGREES(column=column, tab=out.tab("payments"), invoice=inv.id, paid=paid),
                         A.R118_HINT(column=column), "R118")
    disputed_by: dict[str, list[Dispute]] = defaultdict(list)
    for d in disputes:
        disputed_by[d.invoice_id].append(d)
    _allocate_fifo(ledgers, unassigned, credits, disputed_by)
    for ledger in ledgers.values():
        ledger.freeze()
    return ledgers, credits


def _allocate_fifo(
    ledgers: dict[str, InvoiceLedger],
    unassigned: dict[tuple[str, str], list[Payment]],
    credits: list[Credit],
    disputed_by: Mapping[str, Sequence[Dispute]],
) -> None:
    if not unassigned:
        return
    by_group: dict[tuple[str, str], list[InvoiceLedger]] = defaultdict(list)
    paying = {customer for customer, _ in unassigned}  # few customers pay without an invoice number
    for ledger in ledgers.values():
        inv = ledger.invoice
        if inv.customer_id not in paying:
            continue
        key = (inv.customer_id, inv.currency)
        if key in unassigned and inv.status not in ("cancelled", "disputed") and inv.amount > 0:
            by_group[key].append(ledger)
    for key, pays in unassigned.items():
        group = sorted(by_group.get(key, []),
                       key=lambda lg: (lg.invoice.due_date, lg.invoice.issue_date, lg.invoice.id))
        remaining = [lg.invoice.amount - (sum((a.amount for a in lg.allocations), ZERO) if lg.allocations else ZERO)
                     for lg in group]
        contested = [disputed_by.get(lg.invoice.id, ()) for lg in group]
        first_open = 0
        for p in sorted(pays, key=lambda p: (p.date, p.source.row)):
            left = p.amount
            while first_open < len(group) and remaining[first_open] <= 0:
                first_open += 1
            for i in range(first_open, len(group)):
                if left <= 0:
                    break
                if remaining[i] <= 0 or group[i].invoice.issue_date > p.date:
                    continue
                if contested[i] and any(d.is_open(p.date) for d in contested[i]):
                    continue  # paying while contesting an invoice is not paying that one
                take = min(left, remaining[i])
                group[i].allocations.append(Allocation(p.date, take, "payment", p.reference))
                remaining[i] -= take
                left -= take
            if left > 0:
                credits.append(Credit(p.customer_id, p.currency, p.date, left, "payment_excess", p.reference))


def compute_positions(
    book: Book, as_of: dt.date, out: Collector | None = None, settled_penalties: bool = True
) -> dict[str, Position]:
    """Every invoice's position on `as_of`.

    `settled_penalties=False` skips the penalty of invoices no longer open (left None): the
    daily run only needs those of the invoices it reminds, the report needs them all.
    """
    s = book.settings
    rates = RateTable(s.penalty_rate_mode, s.penalty_annual_rate, dict(s.ecb_rates))
    disputes: dict[str, list[Dispute]] = defaultdict(list)
    for d in book.disputes:
        disputes[d.invoice_id].append(d)
    promises: dict[str, list[Promise]] = defaultdict(list)
    for p in book.promises:
        promises[p.customer_id].append(p)
    positions: dict[str, Position] = {}
    customers, grace = book.customers, s.promise_grace_days
    prescribed: dict[tuple[dt.date, int], dt.date] = {}
    days_to: dict[dt.date, int] = {}
    factors: dict[dt.date, Decimal | None] = {}
    new = tuple.__new__  # Position(...) without its Python-level __new__
    for iid, ledger in book.ledgers.items():
        inv = ledger.invoice
        customer = customers[inv.customer_id]
        due = inv.due_date
        # Figures count penalties and the indemnity for businesses and for customers of unknown
        # type (what could be claimed once the type is known); a consumer never owes them.
        # Messages claim them from known businesses only (engine/message.py).
        b2c = customer.type == "B2C"
        # the 5-year limitation (C. com. L110-4) for known businesses; a consumer's 2 years
        # (C. conso. L218-2) otherwise: an unknown type gets the earlier, safer date
        years = 5 if customer.type == "B2B" else 2
        prescription = prescribed.get((due, years))
        if prescription is None:
            prescription = prescribed[(due, years)] = add_years(due, years)
        balance, settlement, at_due = ledger.standing(as_of, due)
        if inv.status == "cancelled":
            status = "cancelled"
        elif inv.issue_date > as_of:
            status = "excluded_future"
        elif inv.amount == 0:
            status = "excluded_zero_amount"
        elif balance > 0:
            status = "open"
        elif balance == 0:
            status = "settled"
        else:
            status = "overpaid"
        counted = status in _COUNTED
        dpd: int | None = None
        bucket_of: str | None = None
        paused = ""
        if status == "open":
            dpd = days_to.get(due)
            if dpd is None:
                dpd = days_to[due] = (as_of - due).days
            bucket_of = bucket(dpd)
            paused = pause_reason(iid, inv.status, customer.opt_out, customer.paused_until,
                                  disputes.get(iid, _NO_DISPUTES), promises.get(inv.customer_id, _NO_PROMISES), as_of,
                                  grace)
        penalty: Decimal | None = None
        indemnity = False
        if counted and not b2c:
            if settled_penalties or status == "open":
                penalty = _penalty(inv.amount, due, ledger.allocations, as_of, rates, factors)
            indemnity = as_of > due and at_due > 0
        if not counted:
            settlement, balance = None, ZERO
        positions[iid] = new(Position, (
            iid, inv.customer_id, inv.currency, status, balance, dpd, bucket_of, settlement,
            (settlement - due).days if settlement else None, penalty, indemnity, prescription, paused))
    if out is not None:
        tab = book.tab_name("settings")
        where = Source(tab, 1)
        for first, last in _runs(sorted(rates.guessed)):
            key = f"ecb_rate_{first[0]}_H{first[1]}"
            if first == last:
                out.warn(where, key, A.R095_RATE(year=first[0], half=first[1]), A.R095_HINT(tab=tab, key=key),
                         "R095")
            else:  # an invoice due long ago (a date cell reads from 1900): one remark, not hundreds
                out.warn(where, f"{key}…ecb_rate_{last[0]}_H{last[1]}",
                         A.R095_RATES(first=first[0], first_half=first[1], last=last[0], last_half=last[1]),
                         A.R095_RATES_HINT(tab=tab), "R095")
    return positions


def _penalty(amount: Decimal, due: dt.date, allocations: list[Allocation], as_of: dt.date, rates: RateTable,
             factors: dict[dt.date, Decimal | None]) -> Decimal:
    """penalty.late_penalty, with the sum of days × rate from a due date to `as_of` computed once
    per due date for the invoices nothing was applied to (most open ones): amount × Σ days × rate
    is Σ amount × days × rate, both exact (see _unit_rate_days; amounts have at most 4 decimals,
    rounded to their currency by parse_invoices), so the figure is the same."""
    if allocations or as_of <= due or amount <= 0:
        return late_penalty(amount, due, ((a.date, a.amount) for a in allocations), as_of, rates)
    factor = factors.get(due, _UNKNOWN)
    if factor is _UNKNOWN:
        factor = factors[due] = _unit_rate_days(due + dt.timedelta(days=1), as_of, rates)
    if factor is None or not amount < MAX_AMOUNT:
        return late_penalty(amount, due, (), as_of, rates)
    return (amount * factor / (100 * DAYS_PER_YEAR)).quantize(CENT, rounding=ROUND_HALF_UP)


_UNKNOWN = Decimal(-1)


def _unit_rate_days(first: dt.date, last: dt.date, rates: RateTable) -> Decimal | None:
    """Σ days × annual rate over the days from `first` to `last`, as penalty._rate_days sums them
    for a balance of 1; None when a rate is not one whose products stay exact at 28 digits
    (from 0 to 100 percent, at most 2 decimals: amount < 10^12 × 110 000 days × rate < 10^21)."""
    total = Decimal(0)
    day = first
    while day <= last:
        end = min(semester_end(day), last)
        rate = rates.annual_rate(semester(day))
        exponent = rate.as_tuple().exponent
        if not isinstance(exponent, int) or exponent < -2 or not 0 <= rate < 100:
            return None
        total += ((end - day).days + 1) * rate
        day = end + dt.timedelta(days=1)
    return total
