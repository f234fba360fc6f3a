"""The weekly summary to the finance manager: what waits for his decision, how the week moved,
the headline figures and a chart, by e-mail.

It goes through the same channel as reminders (the outbox by default) with a key per ISO week,
so a scheduler that fires twice in a week sends it once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from relance.engine.action import Action, action_key
from relance.engine.catalog import report
from relance.engine.kpi import period_text
from relance.engine.message import OutgoingMessage
from relance.engine.report import Report
from relance.engine.settings import Settings
from relance.engine.weekly import Oldest, Tally, Week
from relance.render.messages import Renderer, one_line

#: The buckets' labels in the summary (words in relance.engine.catalog.report).
BUCKET_LABELS = {"current": report.SUMMARY_BUCKET_CURRENT, "1-30": report.SUMMARY_BUCKET_1_30,
                 "31-60": report.SUMMARY_BUCKET_31_60, "61-90": report.SUMMARY_BUCKET_61_90,
                 ">90": report.SUMMARY_BUCKET_OVER_90}
BUCKET_COLOURS = {"current": "#2f6fb0", "1-30": "#f2b134", "31-60": "#e8832a", "61-90": "#d4522a", ">90": "#b42318"}


def summary_key(recipient: str, as_of: dt.date) -> str:
    year, week, _ = as_of.isocalendar()
    return action_key("__summary__", (recipient.lower(),), "weekly_summary", f"{year}-W{week:02d}")


def _oldest(oldest: Oldest | None) -> dict[str, Any] | None:
    if oldest is None:
        return None
    return {"customer": oldest.customer, "days_past_due": oldest.days_past_due, "since": oldest.since}


def _amounts(tally: Tally) -> list[dict[str, Any]]:
    return [{"currency": cur, "amount": amount} for cur, amount in tally.amounts]


def summary_context(
    report: Report,
    week: Week,
    settings: Settings,
    lang: str,
    workbook: str,
    tabs: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What the weekly summary templates show: the report's figures (the same records, the same
    formatter) and the week's decisions (engine.weekly), per currency, never added across them.
    `tabs` names the Plan and Tasks tabs in the workbook's language."""
    moved = {c.currency: c for c in week.currencies}
    currencies = []
    for cur, figures in report.currencies.items():
        amounts = {b: figures.aging.buckets[b] for b in BUCKET_LABELS}
        largest = max((a for a in amounts.values() if a > 0), default=Decimal(0))
        this = moved.get(cur)
        currencies.append({
            "currency": cur,
            "net_total": figures.aging.net_total,
            "past_due_total": figures.aging.past_due_total,
            "past_due_week_ago": this.past_due_week_ago if this is not None else None,
            "past_due_change": this.past_due_change if this is not None else None,
            "dso": figures.dso.countback,
            "dso_week_ago": this.dso_week_ago if this is not None else None,
            "dso_change": this.dso_change if this is not None else None,
            "dso_measured": this.dso_measured if this is not None else None,
            "dso_week_ago_measured": this.dso_week_ago_measured if this is not None else None,
            "cei": figures.cei_percent,
            "penalties": figures.late_penalties_open,  # claimable: on open invoices
            "penalties_paid_late": figures.late_penalties_paid_late,
            "buckets": [
                {"label": BUCKET_LABELS[b].text(lang), "amount": a, "colour": BUCKET_COLOURS[b],
                 "share": int(a * 100 / largest) if largest > 0 and a > 0 else 0}
                for b, a in amounts.items()
            ],
            "top": [{"name": c.name, "past_due": c.past_due, "days_late": c.days_late_floored}
                    for c in (this.top if this is not None else ())],
        })
    ind = report.indemnity
    names = tabs or {}
    return {
        "lang": lang,
        "period": period_text(*report.period, lang),
        "company": {"name": settings.company_name or settings.sender_name, "email": settings.sender_email},
        "as_of": report.as_of,
        "week_start": report.as_of - dt.timedelta(days=6),
        "week_ago": report.as_of - dt.timedelta(days=7),
        "week_end": report.as_of + dt.timedelta(days=6),
        "currencies": currencies,
        "decisions": {
            "count": week.decisions,
            "approvals": {"count": week.approvals.count, "amounts": _amounts(week.approvals),
                          "oldest": _oldest(week.oldest_approval), "tab": names.get("plan", "A_valider")},
            "tasks": {"count": week.tasks.count, "amounts": _amounts(week.tasks), "oldest": _oldest(week.oldest_task),
                      "tab": names.get("tasks", "Taches")},
            "promises_due": {"count": week.promises_due.count, "amounts": _amounts(week.promises_due)},
            "broken": {"count": week.broken_promises.count, "amounts": _amounts(week.broken_promises),
                       "this_week": week.broken_this_week},
            "disputes": {"opened": week.disputes_opened, "resolved": week.disputes_resolved,
                         "open": week.disputes_open},
        },
        "indemnity": {"count": ind.open_count, "amount": ind.open_amount,
                      "paid_late_count": ind.paid_late_count, "paid_late_amount": ind.paid_late_amount},
        "messages_sent": week.messages_sent,
        "workbook": workbook,
    }


def compose_summary(
    context: Mapping[str, Any], renderer: Renderer, settings: Settings, recipient: str, as_of: dt.date
) -> OutgoingMessage:
    lang = str(context["lang"])
    key = summary_key(recipient, as_of)
    action = Action(
        key=key, customer_id="", invoice_ids=(), scenario="weekly_summary", step="weekly_summary",
        offset_days=0, channel="email", template="weekly_summary", recipients=(recipient,), cc=(),
        totals=(), days_past_due=0, language=lang,
    )
    return OutgoingMessage(
        action=action,
        sender_email=settings.sender_email,
        sender_name=settings.sender_name or settings.company_name,
        reply_to=settings.reply_to,
        subject=one_line(renderer.render("weekly_summary", lang, "subject", context)),
        html=renderer.render("weekly_summary", lang, "html", context),
        text=renderer.render("weekly_summary", lang, "text", context),
    )
