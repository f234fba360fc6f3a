"""Applying payments and credit notes to invoices (CONVENTIONS.md, "Invoice balance").

Payments with an invoice number go to that invoice; the others go to the customer's oldest open
invoices first (FIFO by due date), in the payment's currency, skipping invoices disputed on the
payment's date (status `disputed`, or a dispute of the Litiges tab or of a call outcome open that
day); credit notes reduce their invoice from their own date. What is left over is an unapplied
credit, never moved to another invoice.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from typing import NamedTuple

from relance.engine.catalog import anomalies as A
from relance.engine.invoice import Invoice
from relance.engine.pause import Dispute
from relance.engine.payment import Payment
from relance.engine.table import Collector

ZERO = Decimal(0)


class Allocation(NamedTuple):
    date: dt.date
    amount: Decimal
    kind: str  # payment | credit_note | paid_amount
    ref: str


class InvoiceLedger:
    """An invoice and what was applied to it, in date order.

    Once frozen (apply_all freezes every ledger), `dates` are the allocations' dates and
    `cumulative` what was applied up to and including each of them."""

    __slots__ = ("invoice", "allocations", "dates", "cumulative")

    def __init__(self, invoice: Invoice) -> None:
        self.invoice = invoice
        self.allocations: list[Allocation] = []
        self.dates: Sequence[dt.date] = ()  # until frozen with allocations
        self.cumulative: Sequence[Decimal] = ()

    def freeze(self) -> None:
        allocations = self.allocations
        if not allocations:
            return
        if len(allocations) == 1:  # most invoices: paid once
            self.dates, self.cumulative = (allocations[0].date,), (allocations[0].amount,)
            return
        allocations.sort(key=_date_of)
        self.dates = [a.date for a in allocations]
        self.cumulative = list(accumulate(a.amount for a in allocations))

    def applied_by(self, day: dt.date) -> Decimal:
        i = bisect_right(self.dates, day)
        return self.cumulative[i - 1] if i else ZERO

    def balance(self, day: dt.date) -> Decimal:
        return self.invoice.amount - self.applied_by(day)

    def settlement_date(self, day: dt.date) -> dt.date | None:
        """The first date the balance reached zero or less, if by `day`."""
        amount = self.invoice.amount
        for d, total in zip(self.dates, self.cumulative, strict=True):
            if d > day:
                return None
            if total >= amount:
                return d
        return None

    def standing(self, day: dt.date, due: dt.date) -> tuple[Decimal, dt.date | None, Decimal]:
        """balance(day), settlement_date(day) and balance(due) in one pass over the allocations
        (compute_positions asks the three of every invoice)."""
        amount = self.invoice.amount
        if not self.dates:
            return amount, None, amount
        at_day = at_due = amount
        settled = None
        for d, total in zip(self.dates, self.cumulative, strict=True):
            if d <= due:
                at_due = amount - total
            if d > day:
                if d > due:
                    break
                continue
            at_day = amount - total
            if settled is None and total >= amount:
                settled = d
        return at_day, settled, at_due


def _date_of(allocation: Allocation) -> dt.date:
    return allocation.date


@dataclass(frozen=True, slots=True)
class Credit:
    """Money the customer has in hand with us: an unapplied credit note or a payment's excess."""

    customer_id: str
    currency: str
    date: dt.date
    amount: Decimal  # positive
    kind: str  # credit_note | payment_excess
    ref: str


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
