"""`relance baseline`: say once which step of the ladder was already reached outside relance.

A finance manager who starts relance on a ledger she has been chasing by hand tells it where she
stands ("I have sent the second reminder"). For each customer with overdue invoices and no
History yet, one History row with status `baseline` lists those invoices at that step. Nothing is
sent; the planner then takes the ladder up from the next step, after the step's gap, and each
invoice is placed no further than its own days past due allowed that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from decimal import Decimal

from relance.engine.action import Skip, action_key
from relance.engine.book import Book
from relance.engine.catalog import tabs as T
from relance.engine.history import HistoryEntry, note_text
from relance.engine.planner import scenario_for
from relance.engine.position import Position
from relance.engine.tab_values import step_label

BASELINE_STATUS = "baseline"


def baseline_entries(
    book: Book,
    positions: Mapping[str, Position],
    as_of: dt.date,
    step_name: str,
    run_id: str,
    timestamp: str,
    customers: Collection[str] = (),
    suggested: Mapping[str, str] | None = None,
) -> tuple[list[HistoryEntry], list[Skip]]:
    """The `baseline` rows to append to History, and the customers left out with their reason.

    `customers` limits it to those ids (empty: every customer with overdue invoices).
    """
    known = {e.customer_id for e in (*book.archived, *book.history)}
    overdue: dict[str, list[Position]] = {}
    for p in positions.values():
        if p.is_open and (p.days_past_due or 0) > 0 and not p.paused:
            overdue.setdefault(p.customer_id, []).append(p)
    entries: list[HistoryEntry] = []
    skips: list[Skip] = []
    for cid in sorted(overdue):
        if customers and cid not in customers:
            continue
        listed = sorted(overdue[cid], key=lambda p: (-(p.days_past_due or 0), p.invoice_id))
        ids = tuple(p.invoice_id for p in listed)
        scenario = scenario_for(book.customers[cid], book, suggested)
        if cid in known:
            skips.append(Skip(cid, ids, scenario.name if scenario else "", step_name, "has_history",
                              "this customer already has History rows: relance knows where it stands"))
            continue
        step = scenario.step(step_name) if scenario else None
        if scenario is None or step is None:
            skips.append(Skip(cid, ids, scenario.name if scenario else "", step_name, "step_unknown",
                              f"step {step_name} is not on this customer's ladder "
                              f"({scenario.name if scenario else 'none'})"))
            continue
        totals: dict[str, Decimal] = {}
        for p in listed:
            totals[p.currency] = totals.get(p.currency, Decimal(0)) + p.balance
        single = len(totals) == 1
        entries.append(HistoryEntry(
            run_id=run_id, timestamp=timestamp, action_key=action_key(cid, ids, scenario.name, step.name),
            customer_id=cid, invoice_ids=ids, scenario=scenario.name, step=step.name, channel=step.channel,
            recipient="", status=BASELINE_STATUS, message_id="",
            amount_due=next(iter(totals.values())) if single else None, currency=";".join(sorted(totals)),
            detail=note_text(T.DETAIL_BASELINE(step=step_label(step, book.language)), book.language),
            as_of=as_of, via="baseline",
        ))
    return entries, skips
