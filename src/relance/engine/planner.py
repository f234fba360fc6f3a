"""plan(): for each customer, the next step of its ladder (docs/architecture.md, "One run").

Pure: positions, scenarios, History and `as_of` in; a Plan (actions, skips) out. No I/O, no clock.

Escalation follows the ladder. A ladder is a list of *levels*: the steps that share an offset
(the J+15 e-mail and SMS are one level, the J+30 e-mail and letter another). For each invoice:
- the level it reached is the last level of a message (or task) that listed it, capped at the
  level its own days past due gave it that day (an invoice mentioned in a firm reminder for an
  older one still gets its own reminders later);
- its next level is the first level after that whose offset is reached, skipping, with their
  reason, the levels that cannot apply (a courtesy once the invoice is due, a level none of
  whose channels reaches the customer). A formal notice needs a written reminder before it and
  an agency hand-off a formal notice whose deadline has passed: without it the invoice waits.
So a first run on an old ledger, or a missed fortnight, sends one message, the next step: never
a burst and never a jump.

With grouping `customer`, one message per customer, at the highest next level of its invoices;
it lists every overdue invoice (for a formal notice, those already reminded in writing; for a
hand-off, those whose notice's deadline has passed). A message leaves only when the step's gap
(`min_gap_days`, default Settings `cooldown_days`) has passed since the customer's last one.
Nothing is planned under Settings `min_balance` (per currency, of the customer's overdue
total), a step's own `min_balance`, or `agency_min_balance` for a hand-off; nor for paused,
disputed, on-hold, promised, opted-out invoices or customers, each said as a skip. A customer
whose scenario is broken or unknown is skipped, never put on another ladder. An action whose key
is already in History is never planned again.

A person's approval is never lost: a step ticked in A_valider that still applies but cannot go
today (the gap since the customer's last message, which a reminder for another of its invoices
may have reset; another message of the customer's going today; a sender setting missing) is
`Plan.held`, ticked, with the reason and the day it can go; the run that plans it again (same
key: the same customer, invoices, scenario and step) honours the tick.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import NamedTuple

from relance.engine.action import Action, Skip, action_key
from relance.engine.anomaly import Anomaly, Severity
from relance.engine.book import Book
from relance.engine.catalog import anomalies as A
from relance.engine.catalog import tabs as T
from relance.engine.customer import Customer
from relance.engine.delivery import bounced_addresses, opted_out
from relance.engine.history import PROGRESS_STATUSES, HistoryEntry, HistoryIndex
from relance.engine.i18n import Said
from relance.engine.message import FIRM_DEADLINE_DAYS
from relance.engine.position import Position
from relance.engine.scenario import Scenario, Step
from relance.engine.settings import blocked_channels
from relance.engine.sms import mobile_e164
from relance.engine.tab_values import STATUSES, shown, step_label

MESSAGE_CHANNELS = ("email", "sms", "letter")  # what a customer receives; tasks are for us
PAUSE_TEXT = {
    "disputed": "invoice disputed",
    "hold": "invoice on hold",
    "promise": "promise to pay open",
    "customer_paused": "customer paused",
    "opt_out": "customer opted out of reminders",
}


@dataclass(frozen=True, slots=True)
class Held:
    """A step a person approved that still applies but cannot go today: it keeps its tick in
    A_valider, with why (`note`, for the tab), until the run that plans it again sends it."""

    action: Action  # as it would go today, approved
    reason: str  # cooldown | another_message | setting_missing
    note: Said


@dataclass(frozen=True, slots=True)
class _Shown:
    """A step as a Said argument: its label and day in the language it is shown in."""

    step: Step

    def shown(self, lang: str) -> str:
        return step_label(self.step, lang)


@dataclass(frozen=True)
class Plan:
    as_of: dt.date
    actions: tuple[Action, ...]
    skips: tuple[Skip, ...]
    anomalies: tuple[Anomaly, ...] = field(default=())
    held: tuple[Held, ...] = field(default=())  # approved steps kept for a later day, never sent today

    @property
    def to_send(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if not a.requires_approval or a.approved)

    @property
    def awaiting_approval(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.requires_approval and not a.approved)


_ARTICLE = {"email": "an e-mail", "sms": "an SMS", "letter": "a letter"}
_MISSING = {"email": "e-mail address", "sms": "mobile phone number",
            "letter": "postal address (adresse, code_postal, ville)"}


def recipients_for(customer: Customer, channel: str) -> tuple[str, ...]:
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


def is_formal_notice(step: Step) -> bool:
    """A mise en demeure: the formal_notice template, or a letter (every letter is one)."""
    return step.template == "formal_notice" or step.channel == "letter"


def is_handoff(step: Step) -> bool:
    return step.channel == "agency"


@dataclass(frozen=True, slots=True)
class Level:
    """The steps of a ladder that share an offset, the e-mail first.

    What the planner asks of a level for every invoice (its first step, whether it holds a formal
    notice, a hand-off, a written message) is worked out once, when the level is made."""

    offset: int
    steps: tuple[Step, ...]
    top: Step = field(init=False, repr=False, compare=False)
    formal_notice: bool = field(init=False, repr=False, compare=False)
    handoff: bool = field(init=False, repr=False, compare=False)
    written: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        steps = self.steps
        object.__setattr__(self, "top", steps[0])
        object.__setattr__(self, "formal_notice", any(is_formal_notice(s) for s in steps))
        object.__setattr__(self, "handoff", any(is_handoff(s) for s in steps))
        object.__setattr__(self, "written", any(s.channel in MESSAGE_CHANNELS for s in steps))


def levels_of(scenario: Scenario) -> tuple[Level, ...]:
    """The ladder's levels by offset (its steps are already ordered, the e-mail leading its day)."""
    by_offset: dict[int, list[Step]] = {}
    for step in scenario.steps:
        by_offset.setdefault(step.offset_days, []).append(step)
    return tuple(Level(offset, tuple(steps)) for offset, steps in sorted(by_offset.items()))


def _level_at(levels: Sequence[Level], offset: int) -> int:
    """The index of the last level whose offset is <= `offset` (-1: before the first)."""
    found = -1
    for i, level in enumerate(levels):
        if level.offset <= offset:
            found = i
    return found


def _offsets(levels: Sequence[Level]) -> list[int]:
    """The levels' offsets, ascending and distinct (levels_of): `bisect_right(offsets, x) - 1` is
    `_level_at(levels, x)`."""
    return [level.offset for level in levels]


def scenario_for(customer: Customer, book: Book, suggested: Mapping[str, str] | None = None) -> Scenario | None:
    """The customer's ladder: its own `scenario` column, else a scenario named like its segment,
    else the one its risk grade suggests (business customers on the default ladder only,
    computed by the caller), else the Settings default."""
    graded = (suggested or {}).get(customer.id, "")
    for name in (customer.scenario, customer.segment, graded, book.settings.default_scenario):
        if name and name in book.scenarios:
            return book.scenarios[name]
    return None


def _chosen_name(customer: Customer, book: Book) -> str:
    """The scenario name the customer's rows point at, usable or not."""
    if customer.scenario:
        return customer.scenario
    if customer.segment and (customer.segment in book.scenarios or customer.segment in book.broken_scenarios):
        return customer.segment
    return book.settings.default_scenario


@dataclass
class _Progress:
    """What History says of one invoice: the level reached, and the facts the guards need."""

    reached: int = -1
    written_on: dt.date | None = None  # the first written reminder below the formal notice
    notice_on: dt.date | None = None  # the first formal notice


class _Named(NamedTuple):
    """What the ladder and step a History row names say, whatever the customer's ladder."""

    step: Step | None  # the step, if its ladder still has it
    offset: int  # its offset (0 without a step)
    notice: bool  # a formal notice
    dated: bool  # no step, or one at or after the due date (a written message there counts)
    baseline_notice: bool | None  # for a baseline row: a formal notice at or before it (None: no ladder)


def _named(book: Book, scenario: str, name: str) -> _Named:
    own = book.scenarios.get(scenario)
    step = own.step(name) if own else None
    if step is None:
        return _Named(None, 0, False, True, None)
    baseline_notice = (any(is_formal_notice(s) and s.offset_days <= step.offset_days for s in own.steps)
                       if own is not None else None)
    return _Named(step, step.offset_days, is_formal_notice(step), step.offset_days >= 0, baseline_notice)


def _progress(index: HistoryIndex, book: Book, levels: Sequence[Level],
              positions: Mapping[str, Position],
              steps: dict[tuple[str, str], _Named] | None = None
              ) -> dict[str, _Progress]:
    """The level each open invoice of this customer reached, from its History rows (`steps`: what
    the ladder and step a History row names say, remembered from one customer to the next)."""
    found: dict[str, _Progress] = {}
    known = steps if steps is not None else {}
    offsets = _offsets(levels)
    by_invoice = index.entries_by_invoice
    invoices = book.invoices
    for iid in positions:
        entries = by_invoice.get(iid)
        if not entries:
            continue
        inv = invoices.get(iid)
        progress = _Progress()
        for e in entries:
            sent_on = e.as_of
            named = known.get((e.scenario, e.step))
            if named is None:
                named = known[(e.scenario, e.step)] = _named(book, e.scenario, e.step)
            step = named.step
            if sent_on is not None and inv is not None:
                own_day = bisect_right(offsets, (sent_on - inv.due_date).days) - 1  # the level of its age then
                # a step no ladder knows any more: placed by its age alone
                level = own_day if step is None else min(bisect_right(offsets, named.offset) - 1, own_day)
            elif step is not None:
                level = bisect_right(offsets, named.offset) - 1
            else:
                level = len(levels) - 1  # nothing to place it by: never send it again from the start
            if level > progress.reached:
                progress.reached = level
            if sent_on is None:
                continue
            notice = named.notice
            written = e.channel in MESSAGE_CHANNELS and not notice and named.dated
            if e.status == "baseline" and named.baseline_notice is not None:
                # "reached up to this step outside relance": the steps before it were done too
                written = named.dated
                notice = named.baseline_notice
            if written and (progress.written_on is None or sent_on < progress.written_on):
                progress.written_on = sent_on
            if notice and (progress.notice_on is None or sent_on < progress.notice_on):
                progress.notice_on = sent_on
        found[iid] = progress
    return found


@dataclass(frozen=True, slots=True)
class _Next:
    level: int
    blocked: str = ""  # why the invoice waits at this level (a guard), '' when it is due


def _next_level(levels: Sequence[Level], p: Position, progress: _Progress | None, customer: Customer,
                as_of: dt.date, noted: dict[tuple[int, str], list[str]],
                reach: dict[int, bool] | None = None, due: dict[int, _Next] | None = None) -> _Next | None:
    """The invoice's next level, None when none is due yet; levels that cannot apply are noted.
    `reach`: whether each level reaches this customer, remembered from one invoice to the next;
    `due`: the _Next of each level an invoice is due at, one (frozen) object shared by all."""
    dpd = p.days_past_due or 0
    reached = progress.reached if progress else -1
    for k in range(reached + 1, len(levels)):
        level = levels[k]
        if level.offset > dpd:
            return None
        if level.offset < 0 and dpd > 0:
            noted[(k, "courtesy_past")].append(p.invoice_id)
            continue
        if level.offset < 0 and reached >= 0:
            return None  # a courtesy after an overdue step was already sent: nothing to add
        reaches = reach.get(k) if reach is not None else None
        if reaches is None:
            reaches = any(recipients_for(customer, s.channel) for s in level.steps) or _by_post(level, customer)
            if reach is not None:
                reach[k] = reaches
        if not reaches:
            noted[(k, "no_address")].append(p.invoice_id)
            continue
        if level.formal_notice and (progress is None or progress.written_on is None):
            return _Next(k, "no_written_reminder")
        if level.handoff:
            notice_on = progress.notice_on if progress else None
            if notice_on is None:
                return _Next(k, "no_formal_notice")
            if (as_of - notice_on).days < FIRM_DEADLINE_DAYS:
                return _Next(k, "notice_deadline")
        if due is None:
            return _Next(k)
        found = due.get(k)
        if found is None:
            found = due[k] = _Next(k)
        return found
    return None


def _ids(positions: Sequence[Position]) -> list[str]:
    return sorted(p.invoice_id for p in positions)


def _most_days(positions: Sequence[Position]) -> int:
    """The most days past due of these positions (None counts as 0)."""
    most = None
    for p in positions:
        days = p.days_past_due or 0
        if most is None or days > most:
            most = days
    if most is None:
        raise ValueError("no position")  # as max() of nothing
    return most


def _most_overdue(p: Position) -> tuple[int, str]:
    """The planner's order of a customer's invoices: most overdue first, then by number."""
    return (-(p.days_past_due or 0), p.invoice_id)


def _by_post(level: Level, customer: Customer) -> bool:
    """A formal notice e-mail to a customer without e-mail goes by letter."""
    return level.formal_notice and bool(recipients_for(customer, "letter"))


_GUARD_TEXT = {
    "no_written_reminder": "a formal notice needs a written reminder before it; none was sent for these invoices",
    "no_formal_notice": "a hand-off needs a formal notice whose deadline has passed; none was sent",
    "notice_deadline": "the formal notice's deadline has not passed yet",
}
_LEVEL_TEXT = {
    "courtesy_past": "the invoice is already due: the courtesy reminder no longer applies",
    "no_address": "no address for this step's channels",
    "address_bounced": "the customer's e-mail address bounced (History) and no other address reaches it",
}


def _last_contact(entries: Sequence[HistoryEntry]) -> dt.date | None:
    """The date of the customer's last message or task (what the gap counts from)."""
    dates = [e.as_of for e in entries if e.status in PROGRESS_STATUSES]
    known = [d for d in dates if d is not None]
    return max(known) if known else None


def open_by_customer(positions: Mapping[str, Position]) -> dict[str, list[Position]]:
    """The open positions of each customer, in the positions' order: what the plan, the promises
    judged broken and the risk grades of a run start from (one walk over every position)."""
    by_customer: dict[str, list[Position]] = {}
    for p in positions.values():
        if p.status == "open":  # not the is_open property: 100k times
            mine = by_customer.get(p.customer_id)
            if mine is None:
                by_customer[p.customer_id] = [p]
            else:
                mine.append(p)
    return by_customer


def plan(
    book: Book,
    positions: dict[str, Position],
    as_of: dt.date,
    approved: frozenset[str] = frozenset(),
    suggested: Mapping[str, str] | None = None,
    open_positions: Mapping[str, list[Position]] | None = None,
) -> Plan:
    """Every action due on `as_of`, each customer's next step, with the skips and their reasons.

    `open_positions`: open_by_customer(positions), when the caller has it already."""
    everything = [*book.archived, *book.history]
    index = HistoryIndex.build(everything, PROGRESS_STATUSES)
    by_customer = open_positions if open_positions is not None else open_by_customer(positions)
    contacts = index.rows_by_customer  # every row of each customer, archives first
    planner = _Planner(book, as_of, index, approved, suggested or {})
    planner.delivery_events(everything)
    for cid in sorted(by_customer):
        planner.customer(book.customers[cid], by_customer[cid], contacts.get(cid, ()))
    return Plan(as_of, tuple(planner.actions), tuple(planner.skips), tuple(planner.anomalies), tuple(planner.held))


class _Planner:
    """The per-customer decisions of one plan() call (state lives for that call only)."""

    def __init__(self, book: Book, as_of: dt.date, index: HistoryIndex, approved: frozenset[str],
                 suggested: Mapping[str, str]) -> None:
        self.book = book
        self.as_of = as_of
        self.index = index
        self.approved = approved
        self.suggested = suggested
        self.cooldown = max(book.settings.cooldown_days, 1)  # two runs on one day never both write
        self.blocked = blocked_channels(book.settings)
        settings_table = book.tables.get("settings")
        self.settings_tab = settings_table.name if settings_table else book.contract.tab("settings").name(book.language)
        self.actions: list[Action] = []
        self.skips: list[Skip] = []
        self.anomalies: list[Anomaly] = []
        self.held: list[Held] = []
        self.opted_out: dict[str, HistoryEntry] = {}
        self.dead: dict[str, dict[str, HistoryEntry]] = {}
        self.bounced_now: set[str] = set()  # customers with an address left out today
        self._levels: dict[str, tuple[Scenario, tuple[Level, ...]]] = {}  # levels_of, once per ladder
        self._steps: dict[tuple[str, str], _Named] = {}  # what History's steps say
        self._routes: dict[tuple[str, str, str], tuple[str, Scenario | None, tuple[Level, ...]]] = {}  # _route
        self._due: dict[int, _Next] = {}  # _next_level's answer for an invoice due at each level

    def levels(self, scenario: Scenario) -> tuple[Level, ...]:
        """levels_of(scenario), computed once per ladder of this plan."""
        known = self._levels.get(scenario.name)
        if known is not None and known[0] is scenario:
            return known[1]
        levels = levels_of(scenario)
        self._levels[scenario.name] = (scenario, levels)
        return levels

    def delivery_events(self, entries: Sequence[HistoryEntry]) -> None:
        """What delivery events left in History (engine/delivery.py): who opted out by an unsubscribe
        or a spam report, and which addresses bounced; each address still in Customers is an anomaly
        at its cell (R630), until the address there changes."""
        book = self.book
        self.opted_out = opted_out(entries)
        self.dead = bounced_addresses(entries)
        table = book.tables.get("customers")
        col = table.columns.get("email") if table is not None else None
        header = table.header_text.get("email", "") if table is not None else ""
        for cid in sorted(self.dead):
            customer = book.customers.get(cid)
            if customer is None:
                continue
            for address in customer.emails:
                row = self.dead[cid].get(address.lower())
                if row is None:
                    continue
                kind = shown(STATUSES, row.status, book.language)
                self.anomalies.append(Anomaly(
                    customer.source.at(col, header), address,
                    A.R630_BOUNCED(address=address, status=kind, day=row.as_of or self.as_of),
                    A.R630_HINT(tab=customer.source.tab), "R630", Severity.warning))

    def skip(self, cid: str, ids: Sequence[str], scenario: str, step: str, reason: str, detail: str) -> None:
        self.skips.append(Skip(cid, tuple(ids), scenario, step, reason, detail))

    def _route(self, customer: Customer) -> tuple[str, Scenario | None, tuple[Level, ...]]:
        """The scenario name the customer's rows point at, its ladder (scenario_for) and that
        ladder's levels: the same for every customer of the same `scenario`, segment and grade,
        so worked out once for each of them."""
        graded = self.suggested.get(customer.id, "") if self.suggested else ""
        key = (customer.scenario, customer.segment, graded)
        known = self._routes.get(key)
        if known is None:
            scenario = scenario_for(customer, self.book, self.suggested)
            known = self._routes[key] = (_chosen_name(customer, self.book), scenario,
                                         self.levels(scenario) if scenario is not None else ())
        return known

    def customer(self, customer: Customer, open_positions: list[Position], contacts: Sequence[HistoryEntry]) -> None:
        book = self.book
        cid = customer.id
        chosen, scenario, levels = self._route(customer)
        stop = self.opted_out.get(cid)
        if stop is not None:
            self.skip(cid, _ids(open_positions), chosen, "", "unsubscribed",
                      f"the customer {'reported a reminder as spam' if stop.status == 'spam' else 'unsubscribed'} "
                      f"(History, action {stop.action_key}); no reminder is planned")
            return
        dead = self.dead.get(cid)
        if dead and any(e.lower() in dead for e in customer.emails):
            customer = replace(customer, emails=tuple(e for e in customer.emails if e.lower() not in dead))
            self.bounced_now.add(cid)
        broken = book.broken_scenarios.get(chosen)
        if broken is not None:
            self.skip(cid, _ids(open_positions), chosen, "", "scenario_broken",
                      f"scenario {chosen} has errors (fix {broken}); no reminder is planned on another ladder")
            return
        if customer.scenario and customer.scenario not in book.scenarios:
            self.anomalies.append(Anomaly(customer.source, customer.scenario, A.R602_UNKNOWN(),
                                          A.ONE_OF(choices=sorted(book.scenarios)), "R602"))
            self.skip(cid, _ids(open_positions), customer.scenario, "", "scenario_unknown",
                      f"scenario {customer.scenario} does not exist")
            return
        if scenario is None:
            self.anomalies.append(Anomaly(customer.source, customer.scenario or customer.segment,
                                          A.R601_NO_SCENARIO(),
                                          A.R601_HINT(setting="default_scenario", tab=self.settings_tab), "R601"))
            return
        if (not levels or _most_days(open_positions) < levels[0].offset) and not any(
                e.status not in PROGRESS_STATUSES for e in contacts):
            # no invoice has reached the ladder's first offset and nothing failed to retry: every
            # invoice's next level is in the future (_next_level: None), nothing is planned nor said
            return
        ordered = sorted(open_positions, key=_most_overdue)
        open_now = {p.invoice_id: p for p in ordered}
        if self._retry_siblings(customer, scenario, levels, open_now, contacts):
            return  # a message that failed beside its sibling goes again today; the ladder waits
        progress = _progress(self.index, book, levels, open_now, self._steps)
        noted: dict[tuple[int, str], list[str]] = defaultdict(list)
        ready: list[tuple[Position, _Next]] = []
        reach: dict[int, bool] = {}
        for p in ordered:
            nxt = _next_level(levels, p, progress.get(p.invoice_id), customer, self.as_of, noted, reach,
                              self._due)
            if nxt is None:
                continue
            step = levels[nxt.level].top
            if p.paused:
                self.skip(cid, (p.invoice_id,), scenario.name, step.name, p.paused, PAUSE_TEXT[p.paused])
            elif nxt.blocked:
                self.skip(cid, (p.invoice_id,), scenario.name, step.name, nxt.blocked, _GUARD_TEXT[nxt.blocked])
            else:
                ready.append((p, nxt))
        for (k, reason), iids in sorted(noted.items()):
            if reason == "no_address" and cid in self.bounced_now:
                reason = "address_bounced"
            self.skip(cid, iids, scenario.name, levels[k].top.name, reason, _LEVEL_TEXT[reason])
        if book.settings.grouping == "invoice":  # one message per invoice: each its own ladder
            for p, nxt in ready:
                self._message(customer, scenario, levels[nxt.level], [p], contacts)
            return
        # One message per customer, at the highest level due. What it does not list (invoices at a
        # lower level, a courtesy) goes in another message only when the first one does not reach
        # the customer today (a task, or a step awaiting approval); otherwise it waits for the next.
        remaining = ready
        while remaining:
            level = levels[max(n.level for _, n in remaining)]
            listed = self._listed(remaining, level, levels, ordered, progress)
            taken = {p.invoice_id for p in listed}
            outcome = self._message(customer, scenario, level, listed, contacts)
            remaining = [item for item in remaining if item[0].invoice_id not in taken]
            if remaining and outcome in ("contacts", "waits"):
                first = levels[min(n.level for _, n in remaining)].top
                if outcome == "contacts":
                    self._hold_rest(customer, scenario, levels, remaining, ordered, progress, level.top)
                why = (f"a {level.top.name} message goes to this customer today" if outcome == "contacts"
                       else "the customer's last message is too recent")
                self.skip(cid, [p.invoice_id for p, _ in remaining], scenario.name, first.name, "cooldown",
                          f"{why}; these invoices wait for the next message")
                return
            if not taken:
                return

    def _retry_siblings(self, customer: Customer, scenario: Scenario, levels: Sequence[Level],
                        open_now: Mapping[str, Position], contacts: Sequence[HistoryEntry]) -> bool:
        """Plan again the steps that failed (or were cut off) while a step of the same day went:
        the e-mail left, its SMS did not. Their level counts as reached, so the ladder alone
        would never come back to them. True when one of them goes to the customer today."""
        failed = {e.action_key for e in contacts if e.status not in PROGRESS_STATUSES}
        if not failed:
            return False
        by_step = {s.name: (k, s) for k, level in enumerate(levels) for s in level.steps}
        outcome = ""
        seen: set[str] = set()
        for e in contacts:
            if e.status not in PROGRESS_STATUSES or e.status == "baseline" or e.scenario != scenario.name:
                continue
            found = by_step.get(e.step)
            if found is None:
                continue
            level = levels[found[0]]
            for sibling in level.steps:
                if sibling.name == e.step:
                    continue
                key = action_key(customer.id, e.invoice_ids, scenario.name, sibling.name)
                if key in self.index.keys or key not in failed or key in seen:
                    continue
                seen.add(key)
                still = [open_now[i] for i in e.invoice_ids if i in open_now and not open_now[i].paused]
                if not still:
                    continue  # paid or paused since: nothing left to remind
                if self._actions(customer, scenario, level, [sibling], still) == "contacts":
                    outcome = "contacts"
        return outcome == "contacts"

    def _listed(self, ready: list[tuple[Position, _Next]], level: Level, levels: Sequence[Level],
                ordered: list[Position], progress: Mapping[str, _Progress]) -> list[Position]:
        """The invoices a message at `level` lists: for a courtesy, the invoices due it; else every
        overdue invoice not paused (for a formal notice, those reminded in writing before; for a
        hand-off, those whose formal notice's deadline has passed). Never an invoice not yet due
        in an overdue message: a reminder, let alone a formal notice, must not demand what is not
        owed yet."""
        if level.offset < 0:
            return [p for p, n in ready if levels[n.level].offset < 0]
        triggered = {p.invoice_id for p, n in ready if levels[n.level].offset >= 0}
        overdue = [p for p in ordered
                   if ((p.days_past_due or 0) > 0 or p.invoice_id in triggered) and not p.paused]
        if level.handoff:
            return [p for p in overdue if (pr := progress.get(p.invoice_id)) is not None
                    and pr.notice_on is not None and (self.as_of - pr.notice_on).days >= FIRM_DEADLINE_DAYS]
        if level.formal_notice:
            return [p for p in overdue if (pr := progress.get(p.invoice_id)) is not None
                    and pr.written_on is not None]
        return overdue

    def _message(self, customer: Customer, scenario: Scenario, level: Level, listed: list[Position],
                 contacts: Sequence[HistoryEntry]) -> str:
        """Plan the actions of one message (its level's steps). Returns 'contacts' when a message
        reaches the customer today, 'waits' when the gap holds it back, '' otherwise."""
        cid = customer.id
        top = level.top
        gap = top.min_gap_days if top.min_gap_days is not None else self.cooldown
        last = _last_contact(contacts)
        ids = [p.invoice_id for p in listed]
        # an action of today's plan that failed or was cut off goes again today: it is not a second
        # message of the day but the first one, late
        failed_today = {e.action_key for e in contacts if e.status == "failed" and e.as_of == self.as_of}
        again = bool(failed_today) and any(action_key(cid, tuple(ids), scenario.name, s.name) in failed_today
                                           for s in level.steps)
        if last is not None and not again and (self.as_of - last).days < max(gap, 1 if level.written else 0):
            waits = last + dt.timedelta(days=max(gap, 1))
            self.skip(cid, ids, scenario.name, top.name, "cooldown",
                      f"last message or task on {last.isoformat()}; this step waits at least {gap} days "
                      f"after it (min_gap_days, else Settings cooldown_days), until {waits.isoformat()}")
            if self.approved:  # (the note is made only when a tick may need it)
                self._hold(customer, scenario, level, listed, "cooldown", T.NOTE_HELD_GAP(last=last, day=waits))
            return "waits"
        kept, dropped = self._tolerances(listed, level)
        for currency, (iids, total, floor) in sorted(dropped.items()):
            self.skip(cid, iids, scenario.name, top.name, "below_min_balance",
                      f"{currency} {total} overdue, below the minimum {floor} for this step")
        if not kept:
            return ""
        return self._actions(customer, scenario, level, level.steps, kept)

    def _hold(self, customer: Customer, scenario: Scenario, level: Level, listed: list[Position],
              reason: str, note: Said) -> None:
        """The approved steps of a message that does not go today although it still applies: held,
        tick and all, for the run that plans them again (never sent today, never a skip more)."""
        if not self.approved:
            return
        kept, _ = self._tolerances(listed, level)
        ids = tuple(p.invoice_id for p in kept)
        if kept and any(action_key(customer.id, ids, scenario.name, s.name) in self.approved for s in level.steps):
            self._actions(customer, scenario, level, level.steps, kept, hold=(reason, note))

    def _hold_rest(self, customer: Customer, scenario: Scenario, levels: Sequence[Level],
                   remaining: list[tuple[Position, _Next]], ordered: list[Position],
                   progress: Mapping[str, _Progress], today: Step) -> None:
        """The approved message the invoices left out of today's message would have made: held
        (the customer gets one message a day; this one waits for the next)."""
        if not self.approved:
            return
        level = levels[max(n.level for _, n in remaining)]
        listed = self._listed(remaining, level, levels, ordered, progress)
        self._hold(customer, scenario, level, listed, "another_message", T.NOTE_HELD_OTHER(step=_Shown(today)))

    def _actions(self, customer: Customer, scenario: Scenario, level: Level, steps: Sequence[Step],
                 kept: list[Position], hold: tuple[str, Said] | None = None) -> str:
        """The actions of these steps of one level for these invoices ('contacts' when one reaches
        the customer today). With `hold` (reason, note), nothing is planned nor skipped: the approved
        ones among them are held (`Held`)."""
        cid = customer.id
        kept = sorted(kept, key=_most_overdue)
        key_ids = tuple(p.invoice_id for p in kept)
        outcome = ""
        for step in steps:  # an e-mail and an SMS on the same day are two actions
            key = action_key(cid, key_ids, scenario.name, step.name)
            if key in self.index.keys:
                continue
            channel = step.channel
            recipients = recipients_for(customer, channel)
            if (channel == "email" and not recipients and is_formal_notice(step)
                    and not any(s.channel == "letter" for s in level.steps)
                    and recipients_for(customer, "letter")):
                channel, recipients = "letter", recipients_for(customer, "letter")  # no e-mail: by post
            if channel in MESSAGE_CHANNELS and not recipients:
                if hold is not None:
                    continue
                if channel == "email" and cid in self.bounced_now:
                    self.skip(cid, key_ids, scenario.name, step.name, "address_bounced", _LEVEL_TEXT["address_bounced"])
                else:
                    self.skip(cid, key_ids, scenario.name, step.name, "no_address",
                              f"no {_MISSING[channel]} for {customer.name} ({customer.source})")
                continue
            if channel in self.blocked and hold is None:
                # never a message without its sender: the run says which settings to fill (exit 2)
                if key in self.approved:
                    action = self._action(customer, scenario, step, channel, recipients, kept, key)
                    if action.requires_approval:
                        self.held.append(Held(action, "setting_missing", T.NOTE_HELD_SETTING(
                            tab=self.settings_tab, settings=list(self.blocked[channel]))))
                self.skip(cid, key_ids, scenario.name, step.name, "setting_missing",
                          f"{self.settings_tab}: " + ", ".join(self.blocked[channel]) + " must be filled "
                          f"before {_ARTICLE[channel]} can leave")
                continue
            action = self._action(customer, scenario, step, channel, recipients, kept, key)
            if hold is not None:
                if action.approved and action.requires_approval:
                    self.held.append(Held(action, hold[0], hold[1]))
                continue
            self.actions.append(action)
            if channel in MESSAGE_CHANNELS and not (action.requires_approval and not action.approved):
                outcome = "contacts"
        return outcome

    def _action(self, customer: Customer, scenario: Scenario, step: Step, channel: str,
                recipients: tuple[str, ...], kept: list[Position], key: str) -> Action:
        """One planned action (`kept` already ordered, most overdue first)."""
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for p in kept:
            totals[p.currency] += p.balance
        return Action(
            key=key, customer_id=customer.id, invoice_ids=tuple(p.invoice_id for p in kept), scenario=scenario.name,
            step=step.name, offset_days=step.offset_days, channel=channel, template=step.template,
            recipients=recipients, cc=customer.cc if channel == "email" else (),
            totals=tuple(sorted(totals.items())), days_past_due=max(p.days_past_due or 0 for p in kept),
            language=customer.language, approved=key in self.approved,
            # a hand-off to an agency or to court is always a person's decision
            requires_approval=step.requires_approval or channel == "agency",
        )

    def _tolerances(self, listed: list[Position], level: Level
                    ) -> tuple[list[Position], dict[str, tuple[list[str], Decimal, Decimal]]]:
        """Drop the currencies whose total is under the floor: Settings min_balance, the step's
        min_balance and, for a hand-off, Settings agency_min_balance (each per currency)."""
        s = self.book.settings
        floor = max(s.min_balance, *(st.min_balance for st in level.steps))
        if level.handoff:
            floor = max(floor, s.agency_min_balance)
        by_currency: dict[str, list[Position]] = defaultdict(list)
        for p in listed:
            by_currency[p.currency].append(p)
        kept: list[Position] = []
        dropped: dict[str, tuple[list[str], Decimal, Decimal]] = {}
        for currency, items in by_currency.items():
            total = sum((p.balance for p in items), Decimal(0))
            if total < floor or total <= 0:
                dropped[currency] = ([p.invoice_id for p in items], total, floor)
            else:
                kept.extend(items)
        return kept, dropped
