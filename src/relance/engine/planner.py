"""plan(): for each customer, the step that became due since the last one sent (DESIGN.md §4).

Pure: positions, scenarios, History and `as_of` in; a Plan (actions, skips) out. No I/O, no clock.

Rules, in order:
- an invoice is *due a step* when its stage (the step with the greatest offset <= days past due)
  is further than any step already sent for it; a missed week catches up with that single
  highest step, never a burst;
- paused invoices (dispute, hold, promise, paused or opted-out customer) and balances below the
  step's min_balance are skipped with their reason;
- with grouping `customer`, one message per customer at the highest newly due step lists all its
  overdue invoices (for a step before the due date, the invoices at that step only);
- an action whose key is already in History is never planned again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from relance.engine.action import Action, Skip, action_key
from relance.engine.anomaly import Anomaly, Severity
from relance.engine.book import Book
from relance.engine.customer import Customer
from relance.engine.history import HistoryEntry, HistoryIndex
from relance.engine.position import Position
from relance.engine.scenario import Scenario, Step
from relance.engine.sendwindow import cooldown_ok
from relance.engine.sms import mobile_e164

MESSAGE_CHANNELS = ("email", "sms", "letter")  # what a customer receives; tasks are for us
PAUSE_TEXT = {
    "disputed": "invoice disputed",
    "hold": "invoice on hold",
    "promise": "promise to pay open",
    "customer_paused": "customer paused",
    "opt_out": "customer opted out of reminders",
}


@dataclass(frozen=True)
class Plan:
    as_of: dt.date
    actions: tuple[Action, ...]
    skips: tuple[Skip, ...]
    anomalies: tuple[Anomaly, ...] = field(default=())

    @property
    def to_send(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if not a.requires_approval or a.approved)

    @property
    def awaiting_approval(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.requires_approval and not a.approved)


_MISSING = {"email": "e-mail address", "sms": "mobile phone number",
            "letter": "postal address (adresse, code_postal, ville)"}


def _recipients(customer: Customer, channel: str) -> tuple[str, ...]:
    """Where a message on this channel goes: e-mails, an E.164 mobile, a postal address, or
    for a task the customer's owner."""
    if channel == "email":
        return customer.emails
    if channel == "sms":
        mobile = mobile_e164(customer.phone) if customer.phone else None
        return (mobile,) if mobile else ()
    if channel == "letter":
        postal = " ".join(x for x in (customer.postal_code, customer.city) if x)
        return (f"{customer.address}, {postal}",) if customer.address and postal else ()
    return (customer.owner or "",)


def _customer_groups(
    due: list[tuple[Position, Step]], cid: str, scenario: Scenario, skips: list[Skip]
) -> list[list[tuple[Position, Step]]]:
    """One message per customer: the overdue invoices at the highest step due.

    Invoices not yet due (a courtesy step) never join an overdue message: they get their own
    courtesy message the same day only when the overdue step sends nothing to the customer today
    (a task, or a step awaiting approval); otherwise they wait for the cooldown.
    """
    overdue = [item for item in due if item[1].offset_days >= 0]
    courtesy = [item for item in due if item[1].offset_days < 0]
    if not overdue or not courtesy:
        return [overdue or courtesy]
    top = max(overdue, key=lambda item: item[1].offset_days)[1]
    if top.channel not in MESSAGE_CHANNELS or top.requires_approval:
        return [overdue, courtesy]
    step = courtesy[0][1]
    skips.append(Skip(cid, tuple(p.invoice_id for p, _ in courtesy), scenario.name, step.name, "cooldown",
                      f"a {top.name} message goes to this customer today; the courtesy reminder waits"))
    return [overdue]


def scenario_for(customer: Customer, book: Book, suggested: Mapping[str, str] | None = None) -> Scenario | None:
    """The customer's own scenario, else the one its risk grade suggests (business customers only,
    computed by the caller), else its segment's, else the Settings default."""
    graded = (suggested or {}).get(customer.id, "")
    for name in (customer.scenario, graded, customer.segment, book.settings.default_scenario):
        if name and name in book.scenarios:
            return book.scenarios[name]
    return None


def _last_sent_offsets(index: HistoryIndex, book: Book) -> dict[str, int]:
    """How far along its ladder each invoice already is, from what was sent (or is pending).

    An invoice listed in a message counts as having reached the message's step or the stage it
    had itself on that day, whichever is lower: a new invoice mentioned in a firm reminder for
    an older one still gets its own reminders later.
    """
    floor = -(10**6)
    furthest: dict[str, int] = {}
    for iid, entries in index.entries_by_invoice.items():
        inv = book.invoices.get(iid)
        for e in entries:
            scenario = book.scenarios.get(e.scenario)
            step = scenario.step(e.step) if scenario else None
            sent_on = e.as_of
            own: int | None = None
            if inv is not None and sent_on is not None:
                dpd_then = (sent_on - inv.due_date).days
                if scenario is not None:
                    stage = scenario.stage(dpd_then)
                    own = stage.offset_days if stage else floor
                else:
                    own = dpd_then  # a scenario that no longer exists: where the invoice stood
            if step is not None:
                offset = step.offset_days if own is None else min(step.offset_days, own)
            else:
                offset = own if own is not None else 10**6
            if offset > furthest.get(iid, floor):
                furthest[iid] = offset
    return furthest


def plan(
    book: Book,
    positions: dict[str, Position],
    as_of: dt.date,
    approved: frozenset[str] = frozenset(),
    suggested: Mapping[str, str] | None = None,
    resume: Mapping[str, dt.date] | None = None,
) -> Plan:
    index = HistoryIndex.build([*book.archived, *book.history])
    sent_offset = _last_sent_offsets(index, book)
    anomalies: list[Anomaly] = []
    by_customer: dict[str, list[Position]] = defaultdict(list)
    for p in positions.values():
        if p.is_open:
            by_customer[p.customer_id].append(p)
    actions: list[Action] = []
    skips: list[Skip] = []
    grouping = book.settings.grouping
    cooldown = max(book.settings.cooldown_days, 1)  # two runs on one day never both write to a customer
    recent: dict[str, list[HistoryEntry]] = defaultdict(list)
    if cooldown > 0:
        for entry in (*book.archived, *book.history):
            if entry.channel in MESSAGE_CHANNELS:
                recent[entry.customer_id].append(entry)
    for cid in sorted(by_customer):
        customer = book.customers[cid]
        scenario = scenario_for(customer, book, suggested)
        if scenario is None:
            anomalies.append(Anomaly(customer.source, customer.scenario or customer.segment,
                                     "has no usable scenario; no reminder is planned for this customer",
                                     "name an existing scenario, or fix default_scenario in Parametres", "R601"))
            continue
        if customer.scenario and customer.scenario not in book.scenarios:
            anomalies.append(Anomaly(customer.source, customer.scenario,
                                     f"is not a known scenario; '{scenario.name}' is used",
                                     "use one of: " + ", ".join(sorted(book.scenarios)), "R602",
                                     Severity.warning))
        due: list[tuple[Position, Step]] = []
        for p in sorted(by_customer[cid], key=lambda p: (-(p.days_past_due or 0), p.invoice_id)):
            step = scenario.stage(p.days_past_due or 0)
            last = sent_offset.get(p.invoice_id, -(10**6))
            broken_on = (resume or {}).get(p.invoice_id)
            if (step is None or step.offset_days <= last) and broken_on is not None and not any(
                e.as_of is not None and e.as_of >= broken_on for e in index.entries_by_invoice.get(p.invoice_id, ())
            ):
                # a broken promise: the ladder resumes at the step after the last one sent, once
                step = next((s for s in scenario.steps if s.offset_days > last and s.offset_days >= 0), step)
            if step is None or step.offset_days <= last:
                continue
            if p.paused:
                skips.append(Skip(cid, (p.invoice_id,), scenario.name, step.name, p.paused, PAUSE_TEXT[p.paused]))
                continue
            if p.balance < step.min_balance:
                skips.append(Skip(cid, (p.invoice_id,), scenario.name, step.name, "below_min_balance",
                                  f"balance {p.balance} below the step's minimum {step.min_balance}"))
                continue
            due.append((p, step))
        if not due:
            continue
        groups = [[item] for item in due] if grouping == "invoice" else _customer_groups(due, cid, scenario, skips)
        for group in groups:
            top = max(group, key=lambda item: item[1].offset_days)[1]
            if top.channel in MESSAGE_CHANNELS:
                ok, last_message = cooldown_ok(cid, as_of, recent.get(cid, ()), cooldown)
                if not ok and last_message is not None:
                    waits_until = last_message + dt.timedelta(days=cooldown)
                    skips.append(Skip(cid, tuple(p.invoice_id for p, _ in group), scenario.name, top.name, "cooldown",
                                      f"last message on {last_message.isoformat()}; a customer gets at most one "
                                      f"message every {cooldown} days (Settings cooldown_days), so this one waits "
                                      f"until {waits_until.isoformat()}"))
                    continue
            if grouping == "invoice":
                listed = [group[0][0]]
            elif top.offset_days < 0:
                listed = [p for p, s in group if s.offset_days < 0]
            else:
                # the whole overdue picture: every overdue invoice not paused, even those reminded
                # before. Never an invoice not yet due: a reminder, let alone a formal notice, must
                # not demand what is not owed yet (their courtesy message waits for the cooldown).
                triggered = {p.invoice_id for p, s in group if s.offset_days >= 0}
                listed = [p for p in by_customer[cid]
                          if ((p.days_past_due or 0) > 0 or p.invoice_id in triggered)
                          and not p.paused and p.balance >= top.min_balance]
            listed.sort(key=lambda p: (-(p.days_past_due or 0), p.invoice_id))
            ids = tuple(p.invoice_id for p in listed)
            totals: dict[str, Decimal] = defaultdict(Decimal)
            for p in listed:
                totals[p.currency] += p.balance
            siblings = scenario.siblings(top)
            for step in siblings:  # an e-mail and an SMS on the same day are two actions
                key = action_key(cid, ids, scenario.name, step.name)
                if key in index.keys:
                    continue
                channel = step.channel
                recipients = _recipients(customer, channel)
                if (channel == "email" and not recipients and step.template == "formal_notice"
                        and not any(s.channel == "letter" for s in siblings) and _recipients(customer, "letter")):
                    channel, recipients = "letter", _recipients(customer, "letter")  # no e-mail: by post
                if channel in MESSAGE_CHANNELS and not recipients:
                    skips.append(Skip(cid, ids, scenario.name, step.name, "no_address",
                                      f"no {_MISSING[channel]} for {customer.name} ({customer.source})"))
                    continue
                actions.append(Action(
                    key=key, customer_id=cid, invoice_ids=ids, scenario=scenario.name, step=step.name,
                    offset_days=step.offset_days, channel=channel, template=step.template,
                    recipients=recipients, cc=customer.cc if channel == "email" else (),
                    totals=tuple(sorted(totals.items())), days_past_due=max(p.days_past_due or 0 for p in listed),
                    language=customer.language, approved=key in approved,
                    # a hand-off to an agency or to court is always a person's decision (DESIGN §7)
                    requires_approval=step.requires_approval or channel == "agency",
                ))
    return Plan(as_of, tuple(actions), tuple(skips), tuple(anomalies))
