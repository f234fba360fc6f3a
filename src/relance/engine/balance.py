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
from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from typing import Any, NamedTuple

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


#: What apply_all keeps of an invoice: nothing applied (absent), one allocation (an Allocation, or
#: the Payment itself when it was a payment with the invoice's number: its date, amount and
#: reference are fields 0, 1 and 5 of both), or a frozen InvoiceLedger when there are several.
Applied = Any


class Ledgers(Mapping[str, InvoiceLedger]):
    """apply_all's ledgers, one per invoice that is not a credit note, in the invoices' order, each
    made when asked for from the invoice and what was applied to it (its InvoiceLedger is kept
    only when several things were applied to it).

    Why: a million InvoiceLedger objects, their lists, Allocation tuples and cumulative tuples held
    about 270 bytes an invoice (270 MB at 1M invoices) for what an invoice paid once needs:
    its payment, which the book holds anyway. The figures read `ledger_rows` (engine/position.py,
    engine/scoring.py), which makes no object; the others get InvoiceLedger objects equal to the
    ones session 21 kept (tests/test_figures_ledgers.py)."""

    __slots__ = ("_invoices", "_applied", "_size", "_asked", "_made")

    def __init__(self, invoices: Mapping[str, Invoice], applied: dict[str, Applied], size: int) -> None:
        self._invoices = invoices
        self._applied = applied
        self._size = size
        self._asked = 0  # ledgers made one by one so far
        self._made: dict[str, InvoiceLedger] | None = None  # every ledger, once a reader walks them all

    def __getitem__(self, iid: str) -> InvoiceLedger:
        made = self._made
        if made is not None:
            return made[iid]
        self._asked += 1
        if self._asked > _ASKED_MANY:  # a reader walking them (the report): made once for all
            return self._every()[iid]
        found = self._applied.get(iid)
        if found is None:
            inv = self._invoices[iid]
            if inv[6] == "credit_note":  # its kind
                raise KeyError(iid)
            return InvoiceLedger(inv)
        return ledger_of(self._invoices[iid], found)

    def values(self) -> ValuesView[InvoiceLedger]:
        """Every ledger, made once (the report's figures walk them several times; a run never)."""
        return self._every().values()

    def items(self) -> ItemsView[str, InvoiceLedger]:
        """Every (id, ledger), made once, as values()."""
        return self._every().items()

    def _every(self) -> dict[str, InvoiceLedger]:
        made = self._made
        if made is None:
            get = self._applied.get
            made = self._made = {iid: ledger_of(inv, get(iid)) for iid, inv in self._invoices.items()
                                 if inv[6] != "credit_note"}
        return made

    def __contains__(self, iid: object) -> bool:
        if iid in self._applied:
            return True
        inv = self._invoices.get(iid) if isinstance(iid, str) else None
        return inv is not None and inv[6] != "credit_note"

    def __iter__(self) -> Iterator[str]:
        for iid, inv in self._invoices.items():
            if inv[6] != "credit_note":
                yield iid

    def __len__(self) -> int:
        return self._size


#: ledgers Ledgers makes one by one before it makes them all at once (a run asks for a few dozen)
_ASKED_MANY = 4096


def ledger_rows(ledgers: Mapping[str, InvoiceLedger]
                ) -> tuple[Iterable[tuple[str, Invoice]], Callable[[str], Applied]]:
    """The ledgers as the figures read them without making one: (id, invoice) pairs in the ledgers'
    order, credit notes among them to skip (kind, field 6), and what was applied to an id (see
    Applied). For a mapping apply_all did not make (a test's dict of InvoiceLedger), each ledger
    itself is what was applied."""
    if type(ledgers) is Ledgers:
        return ledgers._invoices.items(), ledgers._applied.get
    return [(iid, lg.invoice) for iid, lg in ledgers.items()], ledgers.get


def ledger_of(invoice: Invoice, applied: Applied) -> InvoiceLedger:
    """The frozen InvoiceLedger of an invoice and what apply_all applied to it (see Applied)."""
    if applied is None:
        return InvoiceLedger(invoice)
    if isinstance(applied, InvoiceLedger):
        return applied
    ledger = InvoiceLedger(invoice)
    first = _allocation(applied)
    ledger.allocations.append(first)
    ledger.dates, ledger.cumulative = (first[0],), (first[1],)
    return ledger


def allocations_of(applied: Applied) -> Sequence[Allocation]:
    """What was applied (see Applied) as the allocations of its ledger, in date order."""
    if applied is None:
        return ()
    if isinstance(applied, InvoiceLedger):
        return applied.allocations
    return (_allocation(applied),)


def _allocation(one: Any) -> Allocation:
    if type(one) is Allocation:
        return one
    # a Payment with the invoice's number: (date, amount, invoice_id, customer_id, currency, reference, …)
    return tuple.__new__(Allocation, (one[0], one[1], "payment", one[5]))


def apply_all(
    invoices: dict[str, Invoice], payments: list[Payment], out: Collector, disputes: Iterable[Dispute] = ()
) -> tuple[Ledgers, list[Credit]]:
    """Every payment and credit note applied; `disputes` (Litiges rows, call outcomes) keep FIFO
    payments off the invoices they cover on the payment's date.

    No object is made per invoice: what was applied is kept per invoice id (see Applied), an
    InvoiceLedger only for the invoices several things were applied to (Ledgers makes the others
    when asked)."""
    special: list[Invoice] = []  # credit notes and invoices with a paid_amount, in the invoices' order
    notes = 0
    # Fields by position (an attribute of a NamedTuple is a generic lookup, 1M times):
    # Invoice 6 kind, 8 paid_amount; Payment (date, amount, invoice_id, customer_id, currency, reference, source).
    for inv in invoices.values():
        if inv[6] == "credit_note":
            special.append(inv)
            notes += 1
        elif inv[8] is not None:
            special.append(inv)
    applied: dict[str, Applied] = {}
    credits: list[Credit] = []
    unassigned: dict[tuple[str, str], list[Payment]] = defaultdict(list)
    new = tuple.__new__  # Allocation(...) without its Python-level __new__
    known = invoices.get
    for p in payments:
        iid = p[2]
        if iid:
            was = applied.get(iid)
            if was is None:
                to = known(iid)
                if to is None or to[6] == "credit_note":  # a payment recorded against a credit note:
                    credits.append(Credit(p[3], p[4], p[0], p[1], "payment_excess", p[5]))  # kept as credit
                    continue
                applied[iid] = p  # paid once, by this payment (most invoices): no Allocation made
            elif type(was) is list:
                was.append(new(Allocation, (p[0], p[1], "payment", p[5])))
            else:
                applied[iid] = [_allocation(was), new(Allocation, (p[0], p[1], "payment", p[5]))]
        else:
            unassigned[(p[3], p[4])].append(p)
    # what the payments with its number paid, for an invoice with a paid_amount (only those payments
    # are applied to it until the credit notes below), summed in the payments' order
    direct_total = {inv.id: sum((a[1] for a in _listed(applied[inv.id])), ZERO) for inv in special
                    if inv.kind != "credit_note" and inv.id in applied}
    for inv in special:
        if inv.kind == "credit_note":
            target = known(inv.applies_to) if inv.applies_to else None
            if (
                target is not None
                and target.kind != "credit_note"
                and target.currency == inv.currency
                and target.customer_id == inv.customer_id
                and inv.status != "cancelled"
            ):
                _add(applied, target.id, Allocation(inv.issue_date, inv.amount, "credit_note", inv.id))
            elif inv.status != "cancelled" and inv.amount > 0:
                credits.append(Credit(inv.customer_id, inv.currency, inv.issue_date, inv.amount, "credit_note", inv.id))
            continue
        paid_amount = inv.paid_amount
        assert paid_amount is not None
        paid = direct_total.get(inv.id)
        if paid is None:
            if paid_amount > 0:
                _add(applied, inv.id, Allocation(inv.issue_date, paid_amount, "paid_amount", ""))
        elif paid != paid_amount:
            column = out.column("invoices", "paid_amount")
            out.warn(inv.source, str(paid_amount),
                     A.R118_PAID_DISAGREES(column=column, tab=out.tab("payments"), invoice=inv.id, paid=paid),
                     A.R118_HINT(column=column), "R118")
    disputed_by: dict[str, list[Dispute]] = defaultdict(list)
    for d in disputes:
        disputed_by[d.invoice_id].append(d)
    _allocate_fifo(invoices, applied, unassigned, credits, disputed_by)
    for iid, found in applied.items():
        if type(found) is list:  # several: the one InvoiceLedger kept (freeze() sorts them by date)
            ledger = InvoiceLedger(invoices[iid])
            ledger.allocations = found
            ledger.freeze()
            applied[iid] = ledger
    return Ledgers(invoices, applied, len(invoices) - notes), credits


def _listed(found: Applied) -> list[Any]:
    """What apply_all holds for an invoice, as a list (before the ledgers are frozen)."""
    return found if type(found) is list else [found]


def _add(applied: dict[str, Applied], iid: str, allocation: Allocation) -> None:
    """One more allocation for an invoice, while apply_all works (a list once there are two)."""
    was = applied.get(iid)
    if was is None:
        applied[iid] = allocation
    elif type(was) is list:
        was.append(allocation)
    else:
        applied[iid] = [_allocation(was), allocation]


def _allocate_fifo(
    invoices: dict[str, Invoice],
    applied: dict[str, Applied],
    unassigned: dict[tuple[str, str], list[Payment]],
    credits: list[Credit],
    disputed_by: Mapping[str, Sequence[Dispute]],
) -> None:
    if not unassigned:
        return
    # Only the invoices something is still due on can take a FIFO payment (the walk below skips the
    # others, and what is due never grows), so only they are grouped: (due, issue, id, due now).
    by_group: dict[tuple[str, str], list[tuple[dt.date, dt.date, str, Decimal]]] = defaultdict(list)
    paying = {customer for customer, _ in unassigned}  # few customers pay without an invoice number
    get = applied.get
    for inv in invoices.values():
        if inv[1] not in paying:  # its customer_id (by position: a NamedTuple attribute costs, 1M times)
            continue
        iid, cid, issue, due, amount, currency, kind, _, _, status, _, _, _ = inv
        if kind == "credit_note" or status in ("cancelled", "disputed") or not amount > ZERO:
            continue
        key = (cid, currency)
        if key not in unassigned:
            continue
        found = get(iid)
        if found is None:
            left = amount - ZERO
        elif type(found) is not list:  # most: paid once, in full (then no subtraction is needed to know it)
            paid = found[1]  # its amount
            if paid >= amount:
                continue
            left = amount - (ZERO + paid)  # sum((a.amount, ...), ZERO), exactly
        else:
            left = amount - sum((a.amount for a in found), ZERO)
        if left > ZERO:
            by_group[key].append((due, issue, iid, left))
    for key, pays in unassigned.items():
        found_ = by_group.get(key, [])
        found_.sort(key=_fifo_order)  # by due date, issue date, id (ids are unique)
        group = [iid for _, _, iid, _ in found_]
        remaining = [left for _, _, _, left in found_]
        contested = [disputed_by.get(iid, ()) for iid in group]
        issued = [issue for _, issue, _, _ in found_]
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
                _add(applied, group[i], Allocation(day, take, "payment", p.reference))
                remaining[i] -= take
                left -= take
            if left > 0:
                credits.append(Credit(p.customer_id, p.currency, day, left, "payment_excess", p.reference))


def _fifo_order(item: tuple[dt.date, dt.date, str, Decimal]) -> tuple[dt.date, dt.date, str]:
    return item[0], item[1], item[2]


def _paid_order(p: Payment) -> tuple[dt.date, int]:
    row = p[6]  # a reading's payment holds its row's number (no Source made to sort it)
    return p.date, row if type(row) is int else p.source.row
