"""The serial compose as it was before composing went to every core (app/compose_pool.py): the
reference that the pooled compose of app/executor.py is compared with, action by action.

Kept as it was, except that its letters are rendered here one by one (the letter pool it used
gave the same bytes: tests/test_letter_pool.py proved it)."""

from __future__ import annotations

from relance.app.executor import _letter, _reminders_sent, _templates_tab, notice_attachment
from relance.app.letter_pool import Prerendered
from relance.app.templates import document_anomalies, template_cell
from relance.engine.action import Action
from relance.engine.anomaly import Anomaly, Source
from relance.engine.book import Book
from relance.engine.catalog import anomalies as A
from relance.engine.history import HistoryIndex
from relance.engine.message import OutgoingMessage, render_context
from relance.engine.planner import Plan
from relance.engine.position import Position
from relance.engine.sms import to_gsm7
from relance.render.messages import Renderer, TemplateProblem, one_line


def reference_compose(
    plan: Plan, book: Book, positions: dict[str, Position], renderer: Renderer, index: HistoryIndex | None = None,
) -> tuple[list[tuple[Action, OutgoingMessage | None, str]], list[Anomaly]]:
    s = book.settings
    out: list[tuple[Action, OutgoingMessage | None, str]] = []
    anomalies: list[Anomaly] = []
    broken: set[tuple[str, str, str]] = set()
    if index is None:
        index = HistoryIndex.build([*book.archived, *book.history])
    stopped: set[tuple[str, str]] = set()
    wording: list[TemplateProblem] = []
    ready = Prerendered()
    for action in plan.to_send:
        if (action.template, action.language) in stopped:
            continue
        ctx = render_context(action, book, positions, plan.as_of, _reminders_sent(index, action))
        try:
            if action.is_task:
                script = renderer.render(action.template, action.language, "script", ctx) \
                    if action.template and renderer.has(action.template, action.language, "script") else ""
                out.append((action, None, script))
                continue
            if action.channel == "letter":
                out.append((action, _letter(action, ctx, book, renderer, wording, ready), ""))
                continue
            if action.channel == "sms":
                body = to_gsm7(" ".join(renderer.render(action.template, action.language, "sms", ctx).split()))
                out.append((action, OutgoingMessage(
                    action=action, sender_email=s.sender_email, sender_name=s.sender_name or s.company_name,
                    reply_to=s.reply_to, subject="", html="", text=body), ""))
                continue
            message = OutgoingMessage(
                action=action, sender_email=s.sender_email, sender_name=s.sender_name or s.company_name,
                reply_to=s.reply_to,
                subject=one_line(renderer.render(action.template, action.language, "subject", ctx)),
                html=renderer.render(action.template, action.language, "html", ctx),
                text=renderer.render(action.template, action.language, "text", ctx),
                attachments=(notice_attachment(action, ctx, book, renderer, wording, ready),)
                if action.template == "formal_notice" else (),
            )
            out.append((action, message, ""))
        except TemplateProblem as problem:
            where = (problem.template, problem.lang, problem.part)
            if problem.limit:
                stopped.add((action.template, action.language))
            if where not in broken:
                broken.add(where)
                line = A.AT_LINE(line=problem.line) if problem.line else ""
                tab = _templates_tab(book)
                cell = template_cell(book, problem.template, problem.lang, problem.part) or Source(tab, 1)
                anomalies.append(Anomaly(
                    cell, f"{problem.template}.{problem.lang}.{problem.part}",
                    A.R701_SENDING(line=line, detail=problem.said), A.R701_SENDING_HINT(tab=tab), "R701"))
    return out, anomalies + document_anomalies(book, wording)
