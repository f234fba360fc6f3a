"""The balances and positions as session 21 left them: one InvoiceLedger object per invoice,
built up as payments are applied, and the positions read from those objects. The reference the
session-22 ledgers (engine/balance.py: made on demand from what was applied, apply_all making none)
and positions (engine/position.py) are compared with in tests/test_figures_ledgers.py.

Kept verbatim from the engine of session 21 (apply_all, _allocate_fifo, compute_positions); the
ledgers are InvoiceLedger objects as session 21 made them (the class is the engine's, unchanged).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from relance.engine.anomaly import Source
from relance.engine.balance import ZERO, Allocation, Credit, InvoiceLedger
from relance.engine.book import Book
from relance.engine.catalog import anomalies as A
from relance.engine.invoice import Invoice
from relance.engine.pause import Dispute, Promise
from relance.engine.payment import Payment
from relance.engine.penalty import RateTable
from relance.engine.position import (
    _NO_DISPUTES,
    _NO_PENALTY,
    _NO_PROMISES,
    Position,
    _Facts,
    _facts_of,
    _penalty,
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
    ledgers: dict[str, InvoiceLedger] = {}
    special: list[Invoice] = []  # credit notes and invoices with a paid_amount, in the invoices' order
    # Fields by position (an attribute of a NamedTuple is a generic lookup, 100k times):
    # Invoice 6 kind, 8 paid_amount; Payment (date, amount, invoice_id, customer_id, currency, reference, source).
    for iid, inv in invoices.items():
        if inv[6] == "credit_note":
            special.append(inv)
            continue
        ledgers[iid] = InvoiceLedger(inv)
        if inv[8] is not None:
            special.append(inv)
    credits: list[Credit] = []
    unassigned: dict[tuple[str, str], list[Payment]] = defaultdict(list)
    new = tuple.__new__  # Allocation(...) without its Python-level __new__
    for p in payments:
        day, amount, iid, cid, currency, reference, _ = p
        if iid:
            ledger = ledgers.get(iid)
            if ledger is None:  # a payment recorded against a credit note: keep the money as credit
                credits.append(Credit(cid, currency, day, amount, "payment_excess", reference))
                continue
            ledger.allocations.append(new(Allocation, (day, amount, "payment", reference)))
        else:
            unassigned[(cid, currency)].append(p)
    # what the payments with its number paid, for an invoice with a paid_amount (its ledger holds
    # those payments alone until the credit notes below), summed in the payments' order
    direct_total = {inv.id: sum((a.amount for a in ledgers[inv.id].allocations), ZERO) for inv in special
                    if inv.kind != "credit_note" and ledgers[inv.id].allocations}
    for inv in special:
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
        paid_amount = inv.paid_amount
        assert paid_amount is not None
        paid = direct_total.get(inv.id)
        if paid is None:
            if paid_amount > 0:
                ledgers[inv.id].allocations.append(Allocation(inv.issue_date, paid_amount, "paid_amount", ""))
        elif paid != paid_amount:
            column = out.column("invoices", "paid_amount")
            out.warn(inv.source, str(paid_amount),
                     A.R118_PAID_DISAGREES(column=column, tab=out.tab("payments"), invoice=inv.id, paid=paid),
                     A.R118_HINT(column=column), "R118")
    disputed_by: dict[str, list[Dispute]] = defaultdict(list)
    for d in disputes:
        disputed_by[d.invoice_id].append(d)
    _allocate_fifo(ledgers, unassigned, credits, disputed_by)
    one_day: dict[dt.date, tuple[dt.date]] = {}  # the `dates` of the ledgers paid on that day alone, shared
    for ledger in ledgers.values():
        allocations = ledger.allocations
        if not allocations:
            continue
        if len(allocations) == 1:  # freeze(), inline: most invoices are paid once
            first = allocations[0]
            day = first[0]  # its date
            try:
                ledger.dates = one_day[day]
            except KeyError:
                ledger.dates = one_day[day] = (day,)
            ledger.cumulative = (first[1],)  # its amount
        else:
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
    # Only the invoices something is still due on can take a FIFO payment (the walk below skips the
    # others, and what is due never grows), so only they are grouped: (due, issue, id, ledger, due now).
    by_group: dict[tuple[str, str], list[tuple[dt.date, dt.date, str, InvoiceLedger, Decimal]]] = defaultdict(list)
    paying = {customer for customer, _ in unassigned}  # few customers pay without an invoice number
    for ledger in ledgers.values():
        inv = ledger.invoice
        if inv[1] not in paying:  # its customer_id (by position: a NamedTuple attribute costs, 100k times)
            continue
        iid, cid, issue, due, amount, currency, _, _, _, status, _, _, _ = inv
        if status in ("cancelled", "disputed") or not amount > ZERO:
            continue
        key = (cid, currency)
        if key not in unassigned:
            continue
        applied = ledger.allocations
        if not applied:
            left = amount - ZERO
        elif len(applied) == 1:  # most: paid once, in full (then no subtraction is needed to know it)
            paid = applied[0][1]  # its amount
            if paid >= amount:
                continue
            left = amount - (ZERO + paid)  # sum((a.amount, ...), ZERO), exactly
        else:
            left = amount - sum((a.amount for a in applied), ZERO)
        if left > ZERO:
            by_group[key].append((due, issue, iid, ledger, left))
    for key, pays in unassigned.items():
        found = by_group.get(key, [])
        found.sort(key=_fifo_order)  # by due date, issue date, id (ids are unique)
        group = [lg for _, _, _, lg, _ in found]
        remaining = [left for _, _, _, _, left in found]
        contested = [disputed_by.get(lg.invoice.id, ()) for lg in group]
        issued = [lg.invoice.issue_date for lg in group]
        size = len(group)
        first_open = 0
        for p in sorted(pays, key=_paid_order):
            left = p.amount
            day = p.date
            while first_open < size and remaining[first_open] <= 0:
                first_open += 1
            for i in range(first_open, size):
                if left <= 0:
                    break
                if remaining[i] <= 0 or issued[i] > day:
                    continue
                if contested[i] and any(d.is_open(day) for d in contested[i]):
                    continue  # paying while contesting an invoice is not paying that one
                take = min(left, remaining[i])
                group[i].allocations.append(Allocation(day, take, "payment", p.reference))
                remaining[i] -= take
                left -= take
            if left > 0:
                credits.append(Credit(p.customer_id, p.currency, day, left, "payment_excess", p.reference))


def _fifo_order(item: tuple[dt.date, dt.date, str, InvoiceLedger, Decimal]) -> tuple[dt.date, dt.date, str]:
    return item[0], item[1], item[2]


def _paid_order(p: Payment) -> tuple[dt.date, int]:
    return p.date, p.source.row


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
    prescribed: dict[int, dict[dt.date, dt.date]] = {5: {}, 2: {}}
    days_to: dict[dt.date, tuple[int, str]] = {}
    factors: dict[dt.date, Decimal | None] = {}
    facts: dict[str, _Facts] = {}
    new = tuple.__new__  # Position(...) without its Python-level __new__
    for iid, ledger in book.ledgers.items():
        # the fields at once (an attribute of a NamedTuple is a generic lookup, 100k times)
        _, cid, issued, due, amount, currency, _, _, _, kind, _, _, _ = ledger.invoice
        fact = facts.get(cid)
        if fact is None:
            fact = facts[cid] = _facts_of(customers[cid], promises.get(cid, _NO_PROMISES), prescribed)
        b2c, years_of, may_pause, years = fact
        prescription = years_of.get(due)
        if prescription is None:
            prescription = years_of[due] = add_years(due, years)
        if kind == "cancelled":
            status = "cancelled"
        elif issued > as_of:
            status = "excluded_future"
        elif not amount:  # a zero amount (Decimal truth: no comparison, 100k times)
            status = "excluded_zero_amount"
        else:
            status = ""
        if status:  # not counted: neither balance nor lateness
            positions[iid] = new(Position, (
                iid, cid, currency, status, ZERO, None, None, None, None, None, False, prescription, ""))
            continue
        settlement: dt.date | None = None
        dates = ledger.dates
        if not dates:  # nothing applied (most open invoices)
            balance = at_due = amount
            status = "open" if amount > ZERO else "overpaid"  # the amount is not zero
        elif len(dates) == 1:  # paid once (most settled invoices)
            paid_on = dates[0]
            total = ledger.cumulative[0]
            if paid_on <= as_of:  # one subtraction for both balances (a Decimal operation costs)
                balance = amount - total
                at_due = balance if paid_on <= due else amount
                if total >= amount:  # balance <= 0: exact, or rounded keeping its sign
                    settlement = paid_on
                    status = "overpaid" if balance else "settled"
                else:
                    status = "open"
            else:
                balance = amount
                at_due = amount - total if paid_on <= due else amount
                status = "open" if amount > ZERO else "overpaid"
        else:
            balance, settlement, at_due = ledger.standing(as_of, due)
            status = "open" if balance > ZERO else "overpaid" if balance else "settled"
        penalty: Decimal | None = None
        indemnity = False
        if status == "open":
            past = days_to.get(due)
            if past is None:
                dpd = (as_of - due).days
                past = days_to[due] = (dpd, bucket(dpd))
            dpd, bucket_of = past
            if may_pause or kind == "disputed" or kind == "hold" or iid in disputes:
                customer = customers[cid]
                paused = pause_reason(iid, kind, customer.opt_out, customer.paused_until,
                                      disputes.get(iid, _NO_DISPUTES), promises.get(cid, _NO_PROMISES), as_of,
                                      grace)
            else:
                paused = ""
            if not b2c:
                if as_of <= due:  # not due yet: late_penalty's own first answer, without the calls
                    penalty = _NO_PENALTY
                else:
                    penalty = _penalty(amount, due, ledger.allocations, as_of, rates, factors)
                    indemnity = at_due > ZERO
            positions[iid] = new(Position, (
                iid, cid, currency, "open", balance, dpd, bucket_of, settlement,
                (settlement - due).days if settlement else None, penalty, indemnity, prescription, paused))
            continue
        if not b2c:
            if settled_penalties:
                penalty = _penalty(amount, due, ledger.allocations, as_of, rates, factors)
            indemnity = as_of > due and at_due > ZERO
        positions[iid] = new(Position, (
            iid, cid, currency, status, balance, None, None, settlement,
            (settlement - due).days if settlement else None, penalty, indemnity, prescription, ""))
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
