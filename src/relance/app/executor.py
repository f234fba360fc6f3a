"""Performs a Plan exactly once: History rows written ahead as `pending`, then completed.

The order is what makes a rerun, a retried trigger or a crash safe:
1. every action's message is composed (a broken template skips only its messages);
2. `save(pending)` writes the History rows with status `pending` before anything leaves;
3. each message is handed to the channel and its row moves to `sent` (or `failed`);
4. the caller writes the final rows.
A `pending` row left by a crash blocks the action until `reconcile` settles it by asking the place
the row names (`via`: the outbox folder it was written to), whatever channel the next run opens;
when that place cannot be read, the row stays `pending` and the action is never sent again.
A transport that can take no more messages (`TransportDown`: a full disk) stops the sending; the
actions not attempted are `failed` (planned again) and `Execution.stopped` says why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from relance.app.templates import template_cell
from relance.channels.outbox import OutboxView
from relance.channels.port import (
    BLIND_TRANSPORTS,
    UNKNOWN,
    Channel,
    TransportDown,
    Witness,
    deliveries,
    via_of,
)
from relance.engine.action import Action
from relance.engine.anomaly import Anomaly, Severity, Source
from relance.engine.book import Book
from relance.engine.catalog import anomalies as A
from relance.engine.catalog import tabs as T
from relance.engine.catalog.channels import SMTP_UNKNOWN, UNKNOWN_HINT, UNKNOWN_PROBLEM
from relance.engine.errors import RelanceError, WorkbookError
from relance.engine.formats import formats
from relance.engine.history import SENT_STATUSES, HistoryEntry, HistoryIndex, note_text
from relance.engine.i18n import Lang, Phrase, Said
from relance.engine.message import Attachment, OutgoingMessage, render_context
from relance.engine.owned_tabs import tab_name
from relance.engine.planner import Plan
from relance.engine.position import Position
from relance.engine.sheets import CellValue
from relance.engine.sms import to_gsm7
from relance.engine.tab_values import CHANNELS, STATUSES
from relance.render.handoff import agency_package
from relance.render.letter import formal_notice_pdf
from relance.render.messages import Renderer, TemplateProblem, one_line


@dataclass
class Execution:
    entries: list[HistoryEntry] = field(default_factory=list)  # this run's rows, final statuses
    task_rows: list[list[CellValue]] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    messages: list[OutgoingMessage] = field(default_factory=list)
    stopped: TransportDown | None = None  # why sending stopped before the end (a full disk)

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)


def _reminders_sent(index: HistoryIndex, action: Action) -> int:
    """Earlier messages that listed any of these invoices (each message counted once)."""
    seen: set[str] = set()
    for iid in action.invoice_ids:
        seen.update(e.action_key for e in index.entries_by_invoice.get(iid, ()) if e.channel not in ("call", "agency"))
    return len(seen)


def _handoff_package(
    action: Action, book: Book, positions: dict[str, Position], as_of: dt.date, channel: Channel
) -> str:
    """For an agency step, the ZIP a person sends to the agency or lawyer if they decide to:
    open invoices, balances, penalties, and the proof of every reminder sent (render/handoff.py)."""
    context = render_context(action, book, positions, as_of)
    entries = [e for e in (*book.archived, *book.history) if e.customer_id == action.customer_id]
    rows = [asdict(e) for e in entries]
    proofs = channel.proofs([e.action_key for e in entries if e.status in SENT_STATUSES])
    elsewhere: dict[str, list[str]] = {}  # reminders filed in another outbox folder (--outbox)
    for e in entries:
        if e.status in SENT_STATUSES and e.via != channel.via and e.transport == "outbox" and e.place:
            elsewhere.setdefault(e.place, []).append(e.action_key)
    for place, keys in sorted(elsewhere.items()):
        view = OutboxView.open(Path(place))
        if view is not None:
            proofs = {**view.proofs(keys), **proofs}
    data = agency_package(context["customer"], context["invoices"], rows, proofs, as_of, action.language,
                          company=context["company"], indemnity_amount=book.settings.recovery_indemnity)
    return channel.attach(f"{action.customer_id}_dossier_recouvrement_{action.key}.zip", data)


def _notice_pdf(action: Action, context: dict[str, object], book: Book) -> bytes:
    """The formal notice as a PDF (render/letter.py), for the letter and the e-mailed notice alike."""
    s = book.settings
    sender_address = [line.strip() for line in s.company_address.replace("\n", ";").split(";") if line.strip()]
    return formal_notice_pdf(context, sender_address, action.language)


def notice_attachment(action: Action, context: dict[str, object], book: Book) -> Attachment:
    """The PDF an e-mailed formal notice carries: the same letter, named after the customer and date."""
    name = ("mise_en_demeure" if action.language == "fr" else "formal_notice")
    day = str(context.get("as_of") or "")
    filename = "_".join(x for x in (name, safe_name(action.customer_id), day) if x) + ".pdf"
    return Attachment(filename, "application/pdf", _notice_pdf(action, context, book))


def safe_name(text: str) -> str:
    """A piece of a file name: letters, digits, '-' and '_' only."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text).strip("_")


def _letter(action: Action, context: dict[str, object], book: Book) -> OutgoingMessage:
    """A letter step: the formal notice as a PDF (render/letter.py), filed in the outbox to be posted."""
    s = book.settings
    pdf = _notice_pdf(action, context, book)
    subject = ("Mise en demeure" if action.language == "fr" else "Formal notice") + f" – {action.customer_id}"
    return OutgoingMessage(action=action, sender_email=s.sender_email, sender_name=s.sender_name or s.company_name,
                           reply_to=s.reply_to, subject=subject, html="", text="", pdf=pdf)


def compose(
    plan: Plan, book: Book, positions: dict[str, Position], renderer: Renderer
) -> tuple[list[tuple[Action, OutgoingMessage | None, str]], list[Anomaly]]:
    """Each action to perform with its message (None for tasks) and its task script."""
    s = book.settings
    out: list[tuple[Action, OutgoingMessage | None, str]] = []
    anomalies: list[Anomaly] = []
    broken: set[tuple[str, str, str]] = set()
    index = HistoryIndex.build([*book.archived, *book.history])
    stopped: set[tuple[str, str]] = set()  # templates a bound stopped: not tried again this run
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
                out.append((action, _letter(action, ctx, book), ""))
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
                # the e-mailed formal notice carries the letter itself (what a lawyer will produce)
                attachments=(notice_attachment(action, ctx, book),) if action.template == "formal_notice" else (),
            )
            out.append((action, message, ""))
        except TemplateProblem as problem:
            where = (problem.template, problem.lang, problem.part)
            if problem.limit:
                stopped.add((action.template, action.language))  # it would fail for every customer
            if where not in broken:
                broken.add(where)
                line = A.AT_LINE(line=problem.line) if problem.line else ""
                tab = _templates_tab(book)
                cell = template_cell(book, problem.template, problem.lang, problem.part) or Source(tab, 1)
                anomalies.append(Anomaly(
                    cell, f"{problem.template}.{problem.lang}.{problem.part}",
                    A.R701_SENDING(line=line, detail=problem.said), A.R701_SENDING_HINT(tab=tab), "R701"))
    return out, anomalies


def _templates_tab(book: Book) -> str:
    """The Modeles / Templates tab as the workbook names it."""
    table = book.tables.get("templates")
    return table.name if table is not None else book.contract.tab("templates").name(book.language)


def _entry(action: Action, run_id: str, stamp: str, as_of: dt.date, channel: Channel, lang: str) -> HistoryEntry:
    """The History row of an action about to be handed to `channel`, status `pending`.

    The run date and the transport go to their own columns (`as_of`, `via`), which every later
    run reads; the detail is only a note for people in the workbook's language (`lang`): the
    amounts due when the action is in several currencies, then what became of the message."""
    fmt = formats(lang)
    amounts = "" if len(action.totals) < 2 else note_text(
        T.DETAIL_AMOUNTS(amounts=[fmt.money(v, c) for c, v in action.totals]), lang)
    return HistoryEntry(
        run_id=run_id, timestamp=stamp, action_key=action.key, customer_id=action.customer_id,
        invoice_ids=action.invoice_ids, scenario=action.scenario, step=action.step,
        channel=action.channel, recipient=action.recipient, status="pending", message_id="",
        amount_due=action.amount_due, currency=action.currency,
        detail=amounts, as_of=as_of, via=via_of(channel, action),
    )


def execute(
    plan: Plan,
    book: Book,
    positions: dict[str, Position],
    renderer: Renderer,
    channel: Channel,
    run_id: str,
    now: dt.datetime,
    save_pending: Callable[[Sequence[HistoryEntry]], frozenset[str] | None],
    progress: Callable[[int], None] = lambda n: None,
) -> Execution:
    result = Execution()
    lang = book.language
    composed, result.anomalies = compose(plan, book, positions, renderer)
    stamp = now.astimezone(ZoneInfo(book.settings.timezone)).isoformat(timespec="seconds")
    pending: list[HistoryEntry] = []
    done = {action.key for action, _, _ in composed}
    for action in plan.to_send:
        if action.key not in done:  # its template could not be rendered: said, and planned again
            result.entries.append(_entry(action, run_id, stamp, plan.as_of, channel, lang).with_status(
                "failed", lang, note=T.DETAIL_TEMPLATE_BROKEN(tab=tab_name(book, "anomalies"))))
    for action, _, _ in composed:
        pending.append(_entry(action, run_id, stamp, plan.as_of, channel, lang))
    if not pending:
        return result
    mine = save_pending(pending)  # None: every action is this run's (a run lock keeps others out)
    theirs = set() if mine is None else {a.key for a, _, _ in composed} - mine
    # sent as the loop reaches them: in batches for a transport that has them (Mailjet), else one by one
    outcomes = deliveries(channel, [m for a, m, _ in composed if m is not None and a.key not in theirs])
    for (action, message, script), entry in zip(composed, pending, strict=True):
        if action.key in theirs:  # an overlapping run appended its row first: it sends this one
            result.entries.append(entry.with_status("skipped", lang, note=T.DETAIL_OTHER_RUN()))
        elif result.stopped is not None:
            result.entries.append(entry.with_status(
                "failed", lang, note=T.DETAIL_NOT_ATTEMPTED(cause=result.stopped.said)))
        elif message is None:
            customer = book.customers[action.customer_id]
            try:
                package = _handoff_package(action, book, positions, plan.as_of, channel) \
                    if action.channel == "agency" else ""
            except TransportDown as exc:
                result.stopped = exc
                result.entries.append(entry.with_status("failed", lang, note=T.DETAIL_STOPPED(cause=exc.said)))
                progress(1)
                continue
            result.task_rows.append([
                action.key, plan.as_of.isoformat(), action.channel, customer.owner, customer.id, customer.name,
                customer.phone, ";".join(action.invoice_ids), action.amount_due, action.currency,
                script + (f"\n\nDossier : {package}" if package else ""), "", "", "",
            ])
            task = T.DETAIL_TASK(owner=customer.owner) if customer.owner else T.DETAIL_TASK_TEAM()
            result.entries.append(entry.with_status(
                "created", lang, note=T.DETAIL_THEN(first=task, then=T.DETAIL_PACKAGE(package=package))
                if package else task))
        else:
            try:
                outcome = next(outcomes)
                if isinstance(outcome, Exception):
                    raise outcome
                delivery = outcome
            except TransportDown as exc:  # nothing of it was left behind: not sent
                result.stopped = exc
                result.entries.append(entry.with_status("failed", lang, note=T.DETAIL_STOPPED(cause=exc.said)))
            except Exception as exc:  # noqa: BLE001 - one failed send never stops the run
                error = exc.said if isinstance(exc, RelanceError) else Said.verbatim(f"{type(exc).__name__}: {exc}")
                result.entries.append(entry.with_status("failed", lang, note=T.DETAIL_SEND_ERROR(error=error)))
            else:
                result.entries.append(entry.with_status(delivery.status, lang, delivery.message_id, delivery.detail))
                result.messages.append(message)
        progress(1)
    return result


@dataclass
class Reconciled:
    """History after `reconcile`: every row, how many `pending` rows were settled, and those a
    person must look at: `pending` rows whose outbox folder is gone or unreadable (they stay
    `pending`, blocking) and `unknown` rows (sent through a server that cannot be asked, SMTP:
    blocking until a person writes `sent` or `failed` in their status)."""

    entries: list[HistoryEntry]
    settled: int
    unsettled: list[HistoryEntry]


def witness_for(via: str, channel: Channel) -> Witness | None:
    """Who can say whether a message sent `via` that place was handed over: the channel itself
    when it writes there, a read-only view of another outbox folder, else None (nobody can).

    A row written before History had its `via` column names only its transport ("outbox"):
    only the channel of that name can be asked, at the folder it writes to.
    """
    if via == channel.via:
        return channel
    transport, _, place = via.partition(":")
    if transport == "outbox" and place:
        return OutboxView.open(Path(place))
    if not place and transport == channel.name:
        return channel
    return None


def reconcile(
    entries: Sequence[HistoryEntry], channel: Channel, task_ids: frozenset[str],
    open_witness: Callable[[str, Channel], Witness | None] = witness_for, lang: str = Lang.fr,
) -> Reconciled:
    """Settle `pending` rows left by an interrupted run, asking the place each row names what it has.

    A message the place holds is `sent` (its id from there), one it surely lacks is `failed` and
    planned again; a row whose place cannot be read (the folder is gone, unmounted, unreadable)
    or that no transport of this version can ask stays `pending`: never sent twice. A message
    found where this run's channel writes (a folder moved or copied there) is `sent` too. A row
    sent through a transport that cannot be asked (`BLIND_TRANSPORTS`: SMTP) becomes `unknown`.
    Each row says so in its detail, in `lang` (the workbook's); only its columns are read.
    """
    settled = 0
    fixed: list[HistoryEntry] = []
    unsettled: list[HistoryEntry] = []
    witnesses: dict[str, Witness | None] = {}
    for e in entries:
        if e.status == UNKNOWN:  # a person decides: said on every run until they do
            fixed.append(e)
            unsettled.append(e)
            continue
        if e.status != "pending":
            fixed.append(e)
            continue
        if e.transport in BLIND_TRANSPORTS and e.channel not in ("call", "agency"):
            e = e.with_status(UNKNOWN, lang, note=SMTP_UNKNOWN())  # cannot be asked: never resent on its own
            fixed.append(e)
            unsettled.append(e)
            settled += 1
            continue
        if e.channel not in ("call", "agency"):
            if e.via not in witnesses:
                witnesses[e.via] = open_witness(e.via, channel)
            witness = witnesses[e.via]
            found = witness.lookup(e.action_key) if witness is not None else None
            confirmed, failed = (T.DETAIL_CONFIRMED(), T.DETAIL_INTERRUPTED()) if witness is channel else (
                T.DETAIL_CONFIRMED_IN(place=e.place or e.via), T.DETAIL_INTERRUPTED_IN(place=e.place or e.via))
            if found is None and witness is not channel and e.transport == channel.via.partition(":")[0]:
                found = channel.lookup(e.action_key)  # filed where this run writes (a folder moved)
                if found is not None:
                    confirmed = T.DETAIL_CONFIRMED_FOUND(place=channel.location)
                else:
                    failed = T.DETAIL_INTERRUPTED()
            if found is not None:
                e = e.with_status("sent", lang, found, confirmed)
            elif witness is None:
                fixed.append(e)  # only that place can tell, and it cannot be read: stays blocking
                unsettled.append(e)
                continue
            else:
                e = e.with_status("failed", lang, note=failed)
            settled += 1
        elif e.action_key in task_ids:
            e = e.with_status("created", lang, note=T.DETAIL_TASK_CONFIRMED())
            settled += 1
        else:
            e = e.with_status("failed", lang, note=T.DETAIL_TASK_LOST())
            settled += 1
        fixed.append(e)
    return Reconciled(fixed, settled, unsettled)


def not_saved(exc: BaseException, when: str, meaning: str,
              error: type[RelanceError] | None = None) -> RelanceError:
    """The workbook could not be saved at some point of a run: when, why, and what it means."""
    if isinstance(exc, RelanceError):
        cause = exc.message
    elif isinstance(exc, OSError):
        cause = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    else:
        cause = str(exc)
    hint = exc.hint if isinstance(exc, RelanceError) else "check the free disk space and the permissions"
    kind = error or (type(exc) if isinstance(exc, RelanceError) else WorkbookError)
    return kind(f"the workbook could not be saved {when} ({cause}). {meaning}", hint)


def _said_value(values: Mapping[str, Phrase], key: str) -> Said:
    """A value of a written tab as that tab shows it (envoyé / sent), or the key itself."""
    phrase = values.get(key)
    return phrase() if phrase is not None else Said.verbatim(key)


def unsettled_anomalies(book: Book, rows: Sequence[HistoryEntry]) -> list[Anomaly]:
    """A `pending` row whose outbox cannot be read, or an `unknown` row, blocks its action: said,
    row by row."""
    name = tab_name(book, "history")
    position = {id(e): i for i, e in enumerate(book.history)}
    return [Anomaly(Source(name, position.get(id(e), 0) + 2), e.action_key,
                    UNKNOWN_PROBLEM(channel=_said_value(CHANNELS, e.channel), customer=e.customer_id, via=e.via),
                    UNKNOWN_HINT(failed=_said_value(STATUSES, 'failed'), sent=_said_value(STATUSES, 'sent')),
                    "R621", Severity.warning) if e.status == UNKNOWN else
            Anomaly(Source(name, position.get(id(e), 0) + 2), e.action_key,
                    A.R620_UNSETTLED(place=e.place or e.via, customer=e.customer_id),
                    A.R620_HINT(failed=_said_value(STATUSES, 'failed')), "R620", Severity.warning)
            for e in rows]
