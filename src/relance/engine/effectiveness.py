"""How well reminders work: what got paid after each step, promises kept, time from first reminder to payment.

Pure: the book, `as_of` and a period in, typed records out (`effectiveness_json` for the JSON). A message is a History row (or archive row)
that counts as sent (`HistoryEntry.blocks_resend`, `pending` excluded: its outcome is unknown),
dated by the run it was planned for (`HistoryEntry.as_of`); rows dated after `as_of` are ignored,
so a report at an earlier date sees what was known then.

Readings chosen here (CONVENTIONS.md leaves them open):
* "paid within N days" — every invoice the message lists has a balance ≤ 0 at the end of the day
  message date + N. Unknown and cancelled invoices are left out of that check; a message with no
  invoice left to check is counted in `messages` but not in any denominator. A message younger
  than N days on `as_of` is not in N's denominator (its outcome is not known yet).
* "first reminder" of an invoice — the first message listing it dated after its due date (a
  courtesy message before the due date is not a reminder) and no later than its settlement.
* A promise with no invoice listed covers the customer's invoices due by the promised date and
  still open at the end of the day before it (what the customer owed when the promise fell due).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from relance.engine.balance import InvoiceLedger
from relance.engine.book import Book
from relance.engine.formats import json_number
from relance.engine.history import HistoryEntry
from relance.engine.pause import Promise
from relance.engine.scenario import CHANNELS
from relance.engine.tab_values import qualified_step

WINDOWS = (7, 14, 30)  # days after a message for "paid within"
ZERO = Decimal(0)


def sent_messages(book: Book, as_of: dt.date) -> list[tuple[dt.date, HistoryEntry]]:
    """Messages that left by `as_of`, once each (an action key is sent at most once), oldest first."""
    seen: set[str] = set()
    found: list[tuple[dt.date, HistoryEntry]] = []
    for e in (*book.archived, *book.history):
        if not e.blocks_resend or e.status == "pending" or e.action_key in seen:
            continue
        day = e.as_of
        if day is None or day > as_of:
            continue
        seen.add(e.action_key)
        found.append((day, e))
    found.sort(key=lambda de: (de[0], de[1].action_key))
    return found


def counted(ledger: InvoiceLedger, as_of: dt.date) -> bool:
    """An invoice that exists on `as_of` (issued, not cancelled, not zero): what every figure counts."""
    inv = ledger.invoice
    return inv.status != "cancelled" and inv.amount > 0 and inv.issue_date <= as_of


def _settled_by(ledgers: list[InvoiceLedger], day: dt.date) -> bool:
    return all(lg.balance(day) <= 0 for lg in ledgers)


def ledgers_by_customer(book: Book) -> dict[str, list[InvoiceLedger]]:
    """Index for promises that list no invoice (a scan of 100k ledgers per promise is too slow)."""
    index: dict[str, list[InvoiceLedger]] = defaultdict(list)
    for iid in sorted(book.ledgers):
        index[book.ledgers[iid].invoice.customer_id].append(book.ledgers[iid])
    return index


def promise_invoices(
    book: Book, promise: Promise, by_customer: Mapping[str, list[InvoiceLedger]] | None = None
) -> list[InvoiceLedger]:
    """The invoices a promise covers (see the module docstring for a promise with none listed)."""
    if promise.invoice_ids:
        found = (book.ledgers.get(iid) for iid in promise.invoice_ids)
        return [lg for lg in found if lg is not None and lg.invoice.status != "cancelled"]
    eve = promise.promised_date - dt.timedelta(days=1)
    mine = (by_customer.get(promise.customer_id, []) if by_customer is not None
            else ledgers_by_customer(book).get(promise.customer_id, []))
    return [lg for lg in mine if counted(lg, promise.promised_date)
            and lg.invoice.due_date <= promise.promised_date and lg.balance(eve) > 0]


def promise_outcome(
    book: Book, promise: Promise, as_of: dt.date, by_customer: Mapping[str, list[InvoiceLedger]] | None = None
) -> str | None:
    """`kept`, `broken`, or None while promised date + grace days is still ahead (or nothing to judge).

    A status written by a person (kept / broken) wins over what the payments say. Pass
    `by_customer` (from `ledgers_by_customer`) when judging many promises.
    """
    deadline = promise.promised_date + dt.timedelta(days=book.settings.promise_grace_days)
    if deadline > as_of:
        return None
    if promise.status in ("kept", "broken"):
        return promise.status
    ledgers = promise_invoices(book, promise, by_customer)
    if promise.invoice_ids and not ledgers:
        return None  # it names only unknown or cancelled invoices: nothing to judge
    return "kept" if _settled_by(ledgers, deadline) else "broken"


def _step_order(book: Book) -> dict[tuple[str, str], int]:
    order: dict[tuple[str, str], int] = {}
    for scenario in book.scenarios.values():
        for i, step in enumerate(scenario.steps):
            order[(scenario.name, step.name)] = i
    return order


def _percent(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else Decimal(part * 100) / whole


def _median(values: list[int]) -> Decimal:
    s = sorted(values)
    mid = len(s) // 2
    return Decimal(s[mid]) if len(s) % 2 else Decimal(s[mid - 1] + s[mid]) / 2


@dataclass(frozen=True)
class StepEffect:
    """One step of one ladder on one channel: how many messages, how many got paid in N days."""

    scenario: str
    step: str
    channel: str
    messages: int
    paid_within: Mapping[int, Decimal | None]  # WINDOWS -> percentage, None when nothing to judge
    label: Mapping[str, str]  # "fr"/"en": "Standard – Relance amiable (J+7)"

    def label_in(self, lang: str) -> str:
        return self.label.get(lang) or f"{self.scenario} – {self.step}"


@dataclass(frozen=True)
class Effectiveness:
    """The reminder-effectiveness figures, over `period` (None: everything up to as_of)."""

    by_step: tuple[StepEffect, ...]
    by_channel: Mapping[str, int]
    promise_kept_rate_percent: Decimal | None
    days_to_payment_mean: Decimal | None
    days_to_payment_median: Decimal | None
    days_to_payment_count: int
    period: tuple[dt.date, dt.date] | None = None

    @property
    def has_data(self) -> bool:
        return bool(self.by_step or any(self.by_channel.values()) or self.days_to_payment_count
                    or self.promise_kept_rate_percent is not None)


def effectiveness(book: Book, as_of: dt.date, period: tuple[dt.date, dt.date] | None = None) -> Effectiveness:
    """Reminder effectiveness at `as_of`, over `period` (first and last day, never past as_of) when
    given, else over every message up to as_of.

    Over a period: a step's and a channel's messages are those sent in it; "paid within N days"
    judges the messages whose N days ended in it (so every window has a month of outcomes, each
    known on as_of); a promise counts when its deadline (promised date + grace days) falls in it;
    "first reminder to payment" is over the invoices settled in it.

    `by_step` is ordered by scenario, then the step's place in its ladder; `by_channel` always
    lists the five channels (0 when unused), so a dashboard's columns do not come and go.
    """
    if period is not None:
        period = (period[0], min(period[1], as_of))

    def inside(day: dt.date) -> bool:
        return period is None or period[0] <= day <= period[1]

    messages = sent_messages(book, as_of)
    by_step: dict[tuple[str, str, str], list[tuple[dt.date, list[InvoiceLedger]]]] = defaultdict(list)
    by_channel: dict[str, int] = dict.fromkeys(CHANNELS, 0)
    first_reminder: dict[str, dt.date] = {}
    for day, e in messages:
        ledgers = [lg for lg in (book.ledgers.get(i) for i in e.invoice_ids)
                   if lg is not None and lg.invoice.status != "cancelled" and lg.invoice.amount > 0]
        if period is None or any(inside(day + dt.timedelta(days=n)) for n in (0, *WINDOWS)):
            by_step[(e.scenario, e.step, e.channel)].append((day, ledgers))
        if inside(day):
            by_channel[e.channel] = by_channel.get(e.channel, 0) + 1
        for lg in ledgers:
            inv = lg.invoice
            if day > inv.due_date and inv.id not in first_reminder:
                settled = lg.settlement_date(as_of)
                if settled is None or settled >= day:
                    first_reminder[inv.id] = day
    order = _step_order(book)
    steps: list[StepEffect] = []
    for key in sorted(by_step, key=lambda k: (k[0], order.get((k[0], k[1]), len(order)), k[1], k[2])):
        sent = by_step[key]
        within: dict[int, Decimal | None] = {}
        for n in WINDOWS:
            judged = [(day, lgs) for day, lgs in sent
                      if lgs and day + dt.timedelta(days=n) <= as_of and inside(day + dt.timedelta(days=n))]
            paid = sum(1 for day, lgs in judged if _settled_by(lgs, day + dt.timedelta(days=n)))
            within[n] = _percent(paid, len(judged))
        steps.append(StepEffect(key[0], key[1], key[2], sum(1 for day, _ in sent if inside(day)), within,
                                {lang: qualified_step(book.scenarios, key[0], key[1], lang) for lang in ("fr", "en")}))
    delays: list[int] = []
    for iid, day in first_reminder.items():
        settled = book.ledgers[iid].settlement_date(as_of)
        if settled is not None and inside(settled):
            delays.append((settled - day).days)
    index = ledgers_by_customer(book) if book.promises else {}
    grace = dt.timedelta(days=book.settings.promise_grace_days)
    outcomes = [promise_outcome(book, p, as_of, index) for p in book.promises if inside(p.promised_date + grace)]
    kept, broken = outcomes.count("kept"), outcomes.count("broken")
    return Effectiveness(
        tuple(steps), by_channel, _percent(kept, kept + broken),
        Decimal(sum(delays)) / len(delays) if delays else None,
        _median(delays) if delays else None, len(delays), period)


def effectiveness_json(e: Effectiveness) -> dict[str, Any]:
    """The effectiveness block of `relance report --json`, percentages and days half-up to 2 decimals::

        {"by_step": [{"scenario", "step", "channel", "messages": int,
                      "paid_within": {"7": pct|None, "14": pct|None, "30": pct|None},
                      "label": {"fr": "Standard – Relance amiable (J+7)", "en": ...}}],
         "by_channel": {"email": int, "sms": int, "letter": int, "call": int, "agency": int, ...},
         "promise_kept_rate_percent": n|None,
         "days_first_reminder_to_payment": {"mean": n|None, "median": n|None, "count": int}}

    A period-scoped block also has "period": {"start", "end"} (first key).
    """
    data: dict[str, Any] = {}
    if e.period is not None:
        data["period"] = {"start": e.period[0].isoformat(), "end": e.period[1].isoformat()}
    data.update({
        "by_step": [{"scenario": s.scenario, "step": s.step, "channel": s.channel, "messages": s.messages,
                     "paid_within": {str(n): json_number(v, 2) for n, v in s.paid_within.items()},
                     "label": dict(s.label)} for s in e.by_step],
        "by_channel": dict(e.by_channel),
        "promise_kept_rate_percent": json_number(e.promise_kept_rate_percent, 2),
        "days_first_reminder_to_payment": {
            "mean": json_number(e.days_to_payment_mean, 2),
            "median": json_number(e.days_to_payment_median, 2),
            "count": e.days_to_payment_count,
        },
    })
    return data
