"""The weekly summary to the finance manager: headline figures and a chart, by e-mail.

It goes through the same channel as reminders (the outbox by default) with a key per ISO week,
so a scheduler that fires twice in a week sends it once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from relance.engine.action import Action, action_key
from relance.engine.catalog import report
from relance.engine.history import HistoryEntry
from relance.engine.kpi import period_text
from relance.engine.message import OutgoingMessage
from relance.engine.report import Report
from relance.engine.settings import Settings
from relance.render.messages import Renderer, one_line

#: The buckets' labels in the summary (words in relance.engine.catalog.report).
BUCKET_LABELS = {"current": report.SUMMARY_BUCKET_CURRENT, "1-30": report.SUMMARY_BUCKET_1_30,
                 "31-60": report.SUMMARY_BUCKET_31_60, "61-90": report.SUMMARY_BUCKET_61_90,
                 ">90": report.SUMMARY_BUCKET_OVER_90}
BUCKET_COLOURS = {"current": "#2f6fb0", "1-30": "#f2b134", "31-60": "#e8832a", "61-90": "#d4522a", ">90": "#b42318"}


def summary_key(recipient: str, as_of: dt.date) -> str:
    year, week, _ = as_of.isocalendar()
    return action_key("__summary__", (recipient.lower(),), "weekly_summary", f"{year}-W{week:02d}")


def summary_context(
    report: Report,
    settings: Settings,
    as_of: dt.date,
    lang: str,
    workbook: str,
    history: Sequence[HistoryEntry],
) -> dict[str, Any]:
    currencies = []
    for cur, figures in report.currencies.items():
        amounts = {b: figures.aging.buckets[b] for b in BUCKET_LABELS}
        largest = max((a for a in amounts.values() if a > 0), default=Decimal(0))
        currencies.append({
            "currency": cur,
            "net_total": figures.aging.net_total,
            "past_due_total": figures.aging.past_due_total,
            "dso": figures.dso.countback,
            "cei": figures.cei_percent,
            "penalties": figures.late_penalties_open,  # claimable: on open invoices
            "penalties_paid_late": figures.late_penalties_paid_late,
            "buckets": [
                {"label": BUCKET_LABELS[b].text(lang), "amount": a, "colour": BUCKET_COLOURS[b],
                 "share": int(a * 100 / largest) if largest > 0 and a > 0 else 0}
                for b, a in amounts.items()
            ],
        })
    top = [{"name": c.name, "currency": c.currency, "past_due": c.past_due}
           for cur in report.currencies for c in report.overdue_customers(cur, 5)]
    week_ago = as_of - dt.timedelta(days=7)
    recent = sum(1 for e in history if e.status in ("sent", "delivered", "opened", "clicked")
                 and e.as_of is not None and week_ago < e.as_of <= as_of)
    ind = report.indemnity
    return {
        "lang": lang,
        "period": period_text(*report.period, lang),
        "company": {"name": settings.company_name or settings.sender_name, "email": settings.sender_email},
        "as_of": as_of,
        "currencies": currencies,
        "top": top,
        "indemnity": {"count": ind.open_count, "amount": ind.open_amount,
                      "paid_late_count": ind.paid_late_count, "paid_late_amount": ind.paid_late_amount},
        "reminders_last_7_days": recent,
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
