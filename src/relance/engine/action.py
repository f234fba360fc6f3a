"""Actions: what the planner decided to do, each with a deterministic key.

The key is a hash of (customer, invoices, scenario, step): the same decision made twice, by a
rerun, a retried trigger or a second click, has the same key and is recognised in History.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal


def action_key(customer_id: str, invoice_ids: tuple[str, ...], scenario: str, step: str) -> str:
    text = "\x1f".join((customer_id, ",".join(sorted(invoice_ids)), scenario, step))
    return "R" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:19].upper()


@dataclass(frozen=True, slots=True)
class Action:
    key: str
    customer_id: str
    invoice_ids: tuple[str, ...]  # oldest first
    scenario: str
    step: str
    offset_days: int
    channel: str  # email | sms | letter | call | agency
    template: str
    recipients: tuple[str, ...]
    cc: tuple[str, ...]
    totals: tuple[tuple[str, Decimal], ...]  # (currency, open balance) per currency
    days_past_due: int  # of the oldest invoice
    language: str
    requires_approval: bool = False
    approved: bool = False

    @property
    def is_task(self) -> bool:
        return self.channel in ("call", "agency")

    @property
    def recipient(self) -> str:
        return ";".join(self.recipients)

    @property
    def amount_due(self) -> Decimal | None:
        return self.totals[0][1] if len(self.totals) == 1 else None

    @property
    def currency(self) -> str:
        return ";".join(c for c, _ in self.totals)


@dataclass(frozen=True, slots=True)
class Skip:
    """A reminder that was due but is not sent, and why (shown in the plan, never silent)."""

    customer_id: str
    invoice_ids: tuple[str, ...]
    scenario: str
    step: str
    reason: str  # disputed | hold | promise | customer_paused | opt_out | no_address | below_min_balance | ...
    detail: str
