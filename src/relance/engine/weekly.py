"""What the weekly summary asks its reader to decide, and how the week moved (issue 11, item 3).

Pure: the book, the plan of the day, the report and `as_of` in, `Week` records out. "This week"
is the 7 days ending on as_of (as_of − 6 … as_of) for what happened, and the 7 days starting on it
(as_of … as_of + 6) for what falls due. Amounts are per currency, never added across currencies.

- Approvals waiting: the plan's actions that need a person's "oui" in the Plan tab (A_valider);
  the oldest is the one whose debt is the most days past due (the Plan tab keeps no date of its own).
- Tasks to do: Tasks (Taches) rows with no outcome yet; the oldest by creation date.
- Promises falling due: open promises whose promised date is in the coming 7 days, with what the
  invoices they cover still owe.
- Broken promises: open promises whose date plus grace days has passed with invoices still
  unpaid (the R415 anomaly's reading), and how many of them broke this week.
- Disputes: Litiges rows (and call outcomes) opened this week, resolved this week, open on as_of.
- Messages sent: History rows that left (sent, delivered, opened, clicked), dated by the run that
  sent them (the timestamp's day; the row's as_of when the timestamp is unreadable), not by the
  as_of they were planned for.
- A week ago: past due and DSO computed the same way as of as_of − 7 (DSO is read at the last
  month end on or before each day, so both are the same figure until a month end passes).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from relance.engine import cells
from relance.engine.book import Book
from relance.engine.effectiveness import ledgers_by_customer, promise_invoices
from relance.engine.history import HistoryEntry
from relance.engine.kpi import currency_kpis
from relance.engine.pause import broken_promises
from relance.engine.planner import Plan
from relance.engine.position import Position, aging, compute_positions
from relance.engine.report import CustomerLine, Report
from relance.engine.table import Collector

WEEK = dt.timedelta(days=7)
LEFT = frozenset({"sent", "delivered", "opened", "clicked"})  # History statuses of a message that left
TOP = 10


@dataclass(frozen=True)
class Tally:
    """How many, and how much per currency (largest first)."""

    count: int
    amounts: tuple[tuple[str, Decimal], ...] = ()

    @staticmethod
    def of(count: int, amounts: Mapping[str, Decimal]) -> Tally:
        return Tally(count, tuple(sorted(amounts.items())))


@dataclass(frozen=True)
class Oldest:
    """The item that has waited longest: whose, how late (days past due) or since when."""

    customer: str
    days_past_due: int | None = None
    since: dt.date | None = None


@dataclass(frozen=True)
class CurrencyWeek:
    currency: str
    past_due: Decimal
    past_due_week_ago: Decimal
    dso: Decimal | None
    dso_week_ago: Decimal | None
    top: tuple[CustomerLine, ...]  # the TOP largest past-due customers of this currency
    dso_measured: dt.date | None = None  # DSO is a month-end measure: the month end each is read at
    dso_week_ago_measured: dt.date | None = None

    @property
    def past_due_change(self) -> Decimal:
        return self.past_due - self.past_due_week_ago

    @property
    def dso_change(self) -> Decimal | None:
        return None if self.dso is None or self.dso_week_ago is None else self.dso - self.dso_week_ago


@dataclass(frozen=True)
class Week:
    as_of: dt.date
    approvals: Tally
    oldest_approval: Oldest | None
    tasks: Tally
    oldest_task: Oldest | None
    promises_due: Tally
    broken_promises: Tally
    broken_this_week: int
    disputes_opened: int
    disputes_resolved: int
    disputes_open: int
    messages_sent: int
    currencies: tuple[CurrencyWeek, ...]

    @property
    def decisions(self) -> int:
        """What waits for the reader: approvals, tasks and broken promises to follow up."""
        return self.approvals.count + self.tasks.count + self.broken_promises.count


def _name(book: Book, customer_id: str) -> str:
    customer = book.customers.get(customer_id)
    return customer.name if customer is not None and customer.name else customer_id


def _approvals(book: Book, plan: Plan) -> tuple[Tally, Oldest | None]:
    waiting = plan.awaiting_approval
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for a in waiting:
        for currency, amount in a.totals:
            amounts[currency] += amount
    oldest = max(waiting, key=lambda a: (a.days_past_due, a.key), default=None)
    return (Tally.of(len(waiting), amounts),
            Oldest(_name(book, oldest.customer_id), oldest.days_past_due) if oldest is not None else None)


def _tasks(book: Book) -> tuple[Tally, Oldest | None]:
    table = book.tables.get("tasks")
    if table is None:
        return Tally(0), None
    count = 0
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    oldest: tuple[dt.date, str] | None = None
    for row in table:
        if cells.text(row.raw("outcome")) or not cells.text(row.raw("task_id")):
            continue
        count += 1
        amount, _ = cells.parse_amount(row.raw("amount_due"))
        currency = cells.text(row.raw("currency")).upper() or book.settings.default_currency
        if amount is not None:
            amounts[currency] += amount
        created, _ = cells.parse_date(row.raw("created_on"))
        who = cells.text(row.raw("customer_name")) or _name(book, cells.text(row.raw("customer_id")))
        if created is not None and (oldest is None or created < oldest[0]):
            oldest = (created, who)
    return Tally.of(count, amounts), Oldest(oldest[1], since=oldest[0]) if oldest is not None else None


def _owed(ids: Iterable[str], positions: Mapping[str, Position]) -> dict[str, Decimal]:
    owed: dict[str, Decimal] = defaultdict(Decimal)
    for iid in set(ids):
        p = positions.get(iid)
        if p is not None and p.is_open and p.balance > 0:
            owed[p.currency] += p.balance
    return owed


def _add(total: dict[str, Decimal], more: Mapping[str, Decimal]) -> None:
    for currency, amount in more.items():
        total[currency] += amount


def run_day(entry: HistoryEntry) -> dt.date | None:
    """The day a History row was written by its run: its timestamp's date, else its as_of."""
    try:
        return dt.date.fromisoformat(entry.timestamp.strip()[:10])
    except ValueError:
        return entry.as_of


def messages_sent(history: Iterable[HistoryEntry], as_of: dt.date) -> int:
    """Messages that left in the 7 days ending on as_of, by the day their run sent them, once each."""
    keys = {e.action_key for e in history
            if e.status in LEFT and (day := run_day(e)) is not None and as_of - WEEK < day <= as_of}
    return len(keys)


def week(book: Book, plan: Plan, report: Report, positions: Mapping[str, Position], as_of: dt.date) -> Week:
    """The decisions waiting on as_of and how the week moved (see the module docstring)."""
    approvals, oldest_approval = _approvals(book, plan)
    tasks, oldest_task = _tasks(book)
    grace = book.settings.promise_grace_days
    soon = as_of + WEEK
    index = ledgers_by_customer(book) if book.promises else {}
    due_count = 0
    due: dict[str, Decimal] = defaultdict(Decimal)
    for p in book.promises:
        if p.status == "open" and as_of <= p.promised_date < soon:
            due_count += 1
            _add(due, _owed((lg.invoice.id for lg in promise_invoices(book, p, index)), positions))
    open_balances = {i: (p.customer_id, book.invoices[i].due_date, True) for i, p in positions.items() if p.is_open}
    broken = broken_promises(book.promises, open_balances, as_of, grace)
    unpaid: dict[str, Decimal] = defaultdict(Decimal)
    for _, ids, _ in broken:
        _add(unpaid, _owed(ids, positions))
    start = as_of - WEEK  # exclusive: the 7 days as_of − 6 … as_of
    opened = sum(1 for d in book.disputes if d.opened is not None and start < d.opened <= as_of)
    resolved = sum(1 for d in book.disputes
                   if d.status == "resolved" and d.resolved_on is not None and start < d.resolved_on <= as_of)
    open_now = len({d.invoice_id for d in book.disputes if d.is_open(as_of)})
    ago = as_of - WEEK
    before = compute_positions(book, ago, Collector(), settled_penalties=False)
    past_due_ago: dict[str, Decimal] = defaultdict(Decimal)
    for (_, currency), a in aging(book, before, ago).items():
        past_due_ago[currency] += a.past_due_total
    kpis_ago = currency_kpis(book, ago)
    currencies = tuple(
        CurrencyWeek(cur, figures.aging.past_due_total, past_due_ago.get(cur, Decimal(0)), figures.dso.countback,
                     kpis_ago[cur].dso.countback if cur in kpis_ago else None,
                     tuple(report.overdue_customers(cur, TOP)), figures.measured_at,
                     kpis_ago[cur].measured_at if cur in kpis_ago else None)
        for cur, figures in report.currencies.items())
    return Week(as_of, approvals, oldest_approval, tasks, oldest_task, Tally.of(due_count, due),
                Tally.of(len(broken), unpaid), sum(1 for _, _, day in broken if start < day <= as_of),
                opened, resolved, open_now, messages_sent(book.history, as_of), currencies)
