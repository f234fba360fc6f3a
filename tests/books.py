"""Books built in memory for engine tests: no workbook backend, no job shell, no preset read from disk.

A test writes its tabs as rows, the way a sheet reads them (tab name -> header row, then rows,
with the row builders of conftest), names the ladders it needs as `Scenario` / `Step` values,
and calls the engine itself: `load_book`, `compute_positions`, `plan` and the figures. Only the
workbook contract comes from app/resources: it is what a workbook is, not a preset.

    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000)])
    p = planned(b, dt.date(2025, 3, 31))          # positions, then engine.planner.plan
    figures = build_report(b, positions(b, as_of), as_of)
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from conftest import tabs
from relance.app.resources import shipped_contract
from relance.engine.action import Action
from relance.engine.anomaly import Anomaly, Source
from relance.engine.balance import apply_all
from relance.engine.baseline import baseline_entries
from relance.engine.book import Book, load_book
from relance.engine.history import HistoryEntry
from relance.engine.invoice import Invoice
from relance.engine.payment import Payment
from relance.engine.planner import Plan, plan
from relance.engine.position import Position, compute_positions
from relance.engine.scenario import Scenario, Step
from relance.engine.settings import Settings
from relance.engine.sheets import CellValue, RawSheet
from relance.engine.table import Collector

Rows = Sequence[Sequence[CellValue]]


def step(name: str, offset_days: int, channel: str = "email", template: str | None = None, *,
         min_balance: Decimal | int | str = 0, approval: bool = False, min_gap_days: int | None = None) -> Step:
    """A ladder step; its template is named after the step unless said otherwise."""
    return Step(name, offset_days, channel, name if template is None else template,
                min_balance=Decimal(min_balance), requires_approval=approval, min_gap_days=min_gap_days)


def ladder(name: str, *steps: Step) -> Scenario:
    """A scenario in the order the loader keeps: by offset, the e-mail leading its day."""
    return Scenario(name, tuple(sorted(steps, key=lambda s: (s.offset_days, s.channel != "email"))))


# The ladder of scenarios/standard.yaml, as far as the planner reads it (test_planner checks
# that the two agree).
STANDARD = ladder(
    "standard",
    step("courtesy", -5),
    step("notice", 1),
    step("reminder_1", 7),
    step("reminder_2", 15),
    step("reminder_2_sms", 15, "sms", "reminder_2"),
    step("call", 21, "call"),
    step("formal_notice", 30),
    step("formal_notice_letter", 30, "letter", "formal_notice"),
    step("handoff", 45, "agency", approval=True),
)

# The five-step ladder of the first version (conftest.CLASSIC is the same ladder as a Scenarios tab).
CLASSIC = ladder(
    "standard",
    step("courtesy", -5),
    step("reminder_1", 7),
    step("reminder_2", 15),
    step("formal_notice", 30),
    step("handoff", 45, "agency"),  # the planner still asks a person first
)


def load(sheets: Mapping[str, Rows], *scenarios: Scenario) -> Book:
    """`load_book` on tabs held as rows; `scenarios` are the presets (the standard ladder by default)."""
    presets = {s.name: s for s in (scenarios or (STANDARD,))}
    raw = [RawSheet(name, [list(row) for row in rows]) for name, rows in sheets.items()]
    return load_book(raw, shipped_contract(), presets)


def book(customers: Rows, invoices: Rows, payments: Rows = (), settings: dict[str, CellValue] | None = None,
         *, scenarios: Sequence[Scenario] = (STANDARD,), **extra: Rows) -> Book:
    """A Book from the Clients, Factures, Reglements and Parametres rows (and any other tab)."""
    return load(tabs(customers, invoices, payments, settings, **extra), *scenarios)


def positions(b: Book, as_of: dt.date) -> dict[str, Position]:
    """Every invoice's position, penalties of settled invoices included (what the report reads)."""
    return compute_positions(b, as_of, settled_penalties=True)


@dataclass
class Planned:
    """What the planner made of a book on one day."""

    book: Book
    as_of: dt.date
    positions: dict[str, Position]
    plan: Plan
    anomalies: list[Anomaly]  # loading, positions, then planning: the order the daily job lists them

    @property
    def actions(self) -> set[tuple[str, str, tuple[str, ...]]]:
        """(customer, step, invoices) of every planned action."""
        return {(a.customer_id, a.step, a.invoice_ids) for a in self.plan.actions}

    @property
    def skips(self) -> set[tuple[str, tuple[str, ...], str]]:
        """(customer, invoices, reason) of every skip."""
        return {(s.customer_id, s.invoice_ids, s.reason) for s in self.plan.skips}


def planned(b: Book, as_of: dt.date, approved: frozenset[str] = frozenset(),
            suggested: Mapping[str, str] | None = None) -> Planned:
    """Positions on `as_of` as the daily run computes them, then `engine.planner.plan` itself."""
    out = Collector()
    found = compute_positions(b, as_of, out, settled_penalties=False)
    the_plan = plan(b, found, as_of, approved, suggested)
    return Planned(b, as_of, found, the_plan, [*b.anomalies, *out.items, *the_plan.anomalies])


def large_book(n: int) -> Book:
    """n invoices over 18 months, two thirds paid (some late, some in part), built without a workbook."""
    rnd = random.Random(3)
    start = dt.date(2025, 6, 1)
    invoices: dict[str, Invoice] = {}
    payments: list[Payment] = []
    src = Source("Factures", 2)
    for i in range(n):
        issued = start + dt.timedelta(days=rnd.randrange(540))
        due = issued + dt.timedelta(days=rnd.choice((30, 45, 60)))
        amount = Decimal(rnd.randrange(5000, 500000)) / 100
        currency = "USD" if i % 40 == 0 else "EUR"
        iid = f"F{i}"
        invoices[iid] = Invoice(iid, f"C{i % 20000}", issued, due, amount, currency, "invoice", "", None,
                                "open", "", "", src)
        if rnd.random() < 0.66:
            paid = due + dt.timedelta(days=rnd.randrange(-20, 60))
            share = amount if rnd.random() < 0.8 else (amount / 2).quantize(Decimal("0.01"))
            payments.append(Payment(paid, share, iid, f"C{i % 20000}", currency, "", src))
    ledgers, credits = apply_all(invoices, payments, Collector())
    return Book(shipped_contract(), Settings(), {}, invoices, payments, ledgers, credits, [], [], {}, [], [], {}, {}, [])


def record(b: Book, p: Plan, *, approve: bool = False, status: str = "sent") -> Book:
    """The book as the next run reads it: the plan's actions in History, as the executor writes them
    (tasks `created`, messages `status`); actions awaiting approval only when `approve`."""
    rows = [HistoryEntry(
        run_id=f"run-{p.as_of.isoformat()}", timestamp=f"{p.as_of.isoformat()}T09:00:00+01:00",
        action_key=a.key, customer_id=a.customer_id, invoice_ids=a.invoice_ids, scenario=a.scenario,
        step=a.step, channel=a.channel, recipient=a.recipient,
        status="created" if a.is_task else status, message_id="", amount_due=a.amount_due,
        currency=a.currency, detail=f"via outbox; as of {p.as_of.isoformat()}",
    ) for a in p.actions if approve or not a.requires_approval or a.approved]
    return replace(b, history=[*b.history, *rows])


def simulate(b: Book, days: Sequence[dt.date], *, approve: bool = False) -> tuple[Book, list[Action]]:
    """Plan and 'send' on each day in turn; every action planned, in order."""
    done: list[Action] = []
    for day in days:
        p = planned(b, day).plan
        done.extend(a for a in p.actions if approve or not a.requires_approval)
        b = record(b, p, approve=approve)
    return b, done


def baselined(b: Book, step_name: str, day: dt.date) -> Book:
    """The book after `relance baseline --step step_name --as-of day` (engine/baseline.py)."""
    entries, _ = baseline_entries(b, compute_positions(b, day), day, step_name, f"baseline-{day}",
                                  f"{day.isoformat()}T09:00:00+01:00")
    return replace(b, history=[*b.history, *entries])
