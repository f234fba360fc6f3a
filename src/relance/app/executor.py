"""Performs a Plan exactly once: History rows written ahead as `pending`, then completed.

The order is what makes a rerun, a retried trigger or a crash safe:
1. every action's message is composed (a broken template skips only its messages), on every core
   when there are many (app/compose_pool.py: the same messages, in the same order);
2. `save(pending)` writes the History rows with status `pending` before anything leaves;
3. each message is handed to the channel and its row moves to `sent` (or `failed`);
4. the caller writes the final rows.
A `pending` row left by a crash blocks the action until `reconcile` settles it by asking the place
the row names (`via`: the outbox folder it was written to), whatever channel the next run opens;
when that place cannot be read, the row stays `pending` and the action is never sent again.
Mailjet is asked by CustomID, and believed when it has no such message only for a row older than
its `lookup_grace` (it lists a message some time after taking it). A transport that cannot be
asked (SMTP) is settled from the run's attempt journal (channels/attempts.py), which notes each
such message just before it is handed over and the server's answer just after: only the message
being handed over when the run died is left `unknown`, for a person.
A transport that can take no more messages (`TransportDown`: a full disk) stops the sending; the
actions not attempted are `failed` (planned again) and `Execution.stopped` says why.
A channel with a daily cap (Mailjet: its plan) gets only what today's room takes, the most overdue
first (app/daily_cap.py); the others are held back before any History row is written
(`Execution.held_back`), so the next run plans them again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from relance.app import compose_pool, letter_pool
from relance.app.daily_cap import DailyCap, daily_cap, held_back
from relance.app.letter_pool import Prerendered
from relance.app.phases import begin
from relance.app.templates import document_anomalies, template_cell
from relance.channels.attempts import Attempt, AttemptJournal, attempted, prune
from relance.channels.outbox import OutboxView
from relance.channels.port import (
    BLIND_TRANSPORTS,
    UNKNOWN,
    Channel,
    Delivery,
    TransportDown,
    Witness,
    deliveries,
    one_by_one,
    via_of,
)
from relance.engine.action import Action
from relance.engine.anomaly import Anomaly, Severity, Source
from relance.engine.book import Book
from relance.engine.catalog import anomalies as A
from relance.engine.catalog import console
from relance.engine.catalog import tabs as T
from relance.engine.catalog.channels import SMTP_UNKNOWN, UNKNOWN_HINT, UNKNOWN_PROBLEM
from relance.engine.errors import RelanceError, SaidError, WorkbookError
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
from relance.render.messages import Renderer, TemplateProblem, one_line

if TYPE_CHECKING:
    from relance.render.letter import Kit


@dataclass
class Execution:
    entries: list[HistoryEntry] = field(default_factory=list)  # this run's rows, final statuses
    task_rows: list[list[CellValue]] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    # no longer filled: a run lets each message go once it is filed (a million-invoice run composes
    # tens of thousands); the field stays for the callers that read it
    messages: list[OutgoingMessage] = field(default_factory=list)
    stopped: TransportDown | None = None  # why sending stopped before the end (a full disk)
    held_back: list[Action] = field(default_factory=list)  # beyond the daily cap: next run, most overdue first
    cap: DailyCap | None = None  # the channel's daily cap, as counted before sending

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)


def _reminders_sent(index: HistoryIndex, action: Action) -> int:
    """Earlier messages that listed any of these invoices (each message counted once)."""
    seen: set[str] = set()
    for iid in action.invoice_ids:
        seen.update(e.action_key for e in index.entries_by_invoice.get(iid, ()) if e.channel not in ("call", "agency"))
    return len(seen)


class Proofs:
    """Where a run finds the proofs its hand-off packages carry, indexed once per run.

    History by customer (one HistoryIndex), the channel's outbox (listed once when it opened)
    and every other outbox folder History names (opened once, at the first hand-off that needs
    it): a hand-off's package costs its own rows and files, never a pass over History or a
    listing of a folder.
    """

    def __init__(self, index: HistoryIndex, channel: Channel) -> None:
        self.index = index
        self.channel = channel
        self._views: dict[str, OutboxView | None] = {}

    def view(self, place: str) -> OutboxView | None:
        """The read-only view of another outbox folder, opened once a run (None: unreadable)."""
        if place not in self._views:
            self._views[place] = OutboxView.open(Path(place))
        return self._views[place]

    def of(self, entries: Sequence[HistoryEntry]) -> dict[str, bytes]:
        """The files proving what was sent for these rows: this channel's first, then those filed in
        another outbox folder (--outbox changed between runs)."""
        sent = [e for e in entries if e.status in SENT_STATUSES]
        proofs = self.channel.proofs([e.action_key for e in sent])
        elsewhere: dict[str, list[str]] = {}  # reminders filed in another outbox folder (--outbox)
        for e in sent:
            if e.via != self.channel.via and e.transport == "outbox" and e.place:
                elsewhere.setdefault(e.place, []).append(e.action_key)
        for place, keys in sorted(elsewhere.items()):
            view = self.view(place)
            if view is not None:
                proofs = {**view.proofs(keys), **proofs}
        return proofs


class Packages:
    """What a run's hand-off packages share: the index of their proofs (`Proofs`), one letter Kit per
    language (its formatter learns each currency once, its paragraphs skip reportlab's markup parser)
    and the packages made ahead on every core (`ahead`, by action key: each ZIP with the Modeles
    problems its wording met), taken once each."""

    def __init__(self, found: Proofs) -> None:
        self.found = found
        self.ahead: dict[str, tuple[bytes, list[TemplateProblem]]] = {}
        #: packages already filed (`_file_ahead`), by action key: where (or why not), and their problems
        self.filed: dict[str, tuple[str | BaseException, list[TemplateProblem]]] = {}
        self._kits: dict[str, Kit] = {}

    def kit(self, lang: str) -> Kit | None:
        """The run's Kit of `lang` (None for a language without hand-off wording: the package says so)."""
        from relance.render.letter import LOCALES, Kit  # reportlab: loaded when a package is made

        if lang not in LOCALES:
            return None
        found = self._kits.get(lang)
        if found is None:
            found = self._kits[lang] = Kit(lang)
        return found


def _package_bytes(action: Action, book: Book, positions: dict[str, Position], as_of: dt.date,
                   renderer: Renderer, problems: list[TemplateProblem], packages: Packages) -> bytes:
    """The ZIP of an agency step (render/handoff.py agency_package): pure, nothing filed, so that the
    workers of `_packages_ahead` make it too; its Modeles problems go to `problems`."""
    found = packages.found
    context = render_context(action, book, positions, as_of)
    entries = found.index.customer_rows(action.customer_id)
    rows = [asdict(e) for e in entries]
    proofs = found.of(entries)
    from relance.render.handoff import agency_package  # reportlab: loaded when a package is made

    return agency_package(context["customer"], context["invoices"], rows, proofs, as_of, action.language,
                          company=context["company"], indemnity_amount=book.settings.recovery_indemnity,
                          renderer=renderer, context=context, problems=problems,
                          kit=packages.kit(action.language))


def _handoff_package(
    action: Action, book: Book, positions: dict[str, Position], as_of: dt.date, channel: Channel,
    renderer: Renderer, problems: list[TemplateProblem], found: Proofs | Packages,
) -> str:
    """For an agency step, the ZIP a person sends to the agency or lawyer if they decide to:
    open invoices, balances, penalties, and the proof of every reminder sent (render/handoff.py).
    `found`: the run's index of History and outbox files, or its `Packages` (with the packages
    made ahead on every core: the same bytes and problems as made here)."""
    packages = found if isinstance(found, Packages) else Packages(found)
    filed = packages.filed.pop(action.key, None)
    if filed is not None:  # filed with the next ones (`_file_ahead`): its outcome at its turn
        where, own = filed
        problems.extend(own)
        if isinstance(where, BaseException):
            raise where
        return where
    ready = packages.ahead.pop(action.key, None)
    if ready is not None:
        data, own = ready
        problems.extend(own)
    else:
        data = _package_bytes(action, book, positions, as_of, renderer, problems, packages)
    return channel.attach(_package_name(action), data)


#: Hand-off packages filed together (`_file_ahead`): one sync of the disk and one folder fsync for
#: them all, where `attach` waits twice for each.
FILED_TOGETHER = 64


def _package_name(action: Action) -> str:
    """The file name of an agency step's package in the outbox."""
    return f"{action.customer_id}_dossier_recouvrement_{action.key}.zip"


def _file_ahead(upcoming: Sequence[Action], book: Book, positions: dict[str, Position], as_of: dt.date,
                channel: Channel, renderer: Renderer, packages: Packages) -> None:
    """The packages of the next agency steps (`upcoming`, in the plan's order, the first one's turn
    now), made (or taken from those made ahead) and filed together through the channel's
    `attach_many` into `packages.filed`; each step takes its outcome at its turn
    (`_handoff_package`), so History and Taches say what one by one would. A package whose making
    fails ends the group before it (it is made at its turn, where the run meets its error as
    before); after a full disk, the rest is not filed (their turn never comes: the run stops)."""
    attach_many = getattr(channel, "attach_many", None)
    if not callable(attach_many):
        return
    group: list[tuple[Action, bytes, list[TemplateProblem]]] = []
    for action in upcoming[:FILED_TOGETHER]:
        ready = packages.ahead.pop(action.key, None)
        if ready is None:
            problems: list[TemplateProblem] = []
            try:
                data = _package_bytes(action, book, positions, as_of, renderer, problems, packages)
            except Exception:  # noqa: BLE001 (made again at its turn, where the run meets the error)
                break
            ready = (data, problems)
        group.append((action, *ready))
    if len(group) < 2:  # one alone: attached at its turn, as it was
        for action, data, problems in group:
            packages.ahead[action.key] = (data, problems)
        return
    outcomes = list(attach_many([(_package_name(a), data) for a, data, _ in group]))
    for (action, data, problems), outcome in zip(group, [*outcomes, *[None] * (len(group) - len(outcomes))],
                                                strict=True):
        if outcome is None:  # not filed (the disk filled up before it): made ready, as before
            packages.ahead[action.key] = (data, problems)
        else:
            packages.filed[action.key] = (outcome, problems)


def _packages_ahead(actions: Sequence[Action], book: Book, positions: dict[str, Position], as_of: dt.date,
                    renderer: Renderer, packages: Packages) -> None:
    """When a run hands off many customers (an approval day: hundreds of agency steps), their packages
    are made ahead in forked workers (app/compose_pool.run_forked: the letters' machinery, its
    serial fallback, hang guard and workers that end with the run) into `packages.ahead`. The
    first is made here before forking (the wording compiled, the Kit warmed: once, not per
    worker). A package whose worker raised or did not come back is not there: `_handoff_package`
    makes it in the run, where a serial run meets its error. Nothing is filed here."""
    if len(actions) < compose_pool.MIN_POOLED:
        return

    def part(start: int, stop: int) -> list[tuple[bytes, tuple[letter_pool._Reduced, ...]] | None]:
        out: list[tuple[bytes, tuple[letter_pool._Reduced, ...]] | None] = []
        for action in actions[start:stop]:
            problems: list[TemplateProblem] = []
            try:
                data = _package_bytes(action, book, positions, as_of, renderer, problems, packages)
            except Exception:  # noqa: BLE001 (raised again, exactly, when the run makes it)
                out.append(None)
                continue
            out.append((data, tuple(map(letter_pool._reduce, problems))))
        return out

    head = part(0, 1)  # made here: what each worker would load and warm on its own
    rest = compose_pool.run_forked(len(actions) - 1, lambda start, stop: part(start + 1, stop + 1)) \
        or [None] * (len(actions) - 1)
    for action, made in zip(actions, [*head, *rest], strict=True):
        if made is not None:
            data, reduced = made
            packages.ahead[action.key] = (data, [letter_pool._rebuild(p) for p in reduced])


def _notice_pdf(action: Action, context: dict[str, object], book: Book, renderer: Renderer,
                problems: list[TemplateProblem], ready: Prerendered | None = None) -> bytes:
    """The formal notice as a PDF (render/letter.py), for the letter and the e-mailed notice alike;
    a Modeles paragraph that cannot be used goes to `problems` (the shipped one is printed).
    `ready`: the letters rendered ahead on every core (app/letter_pool.py), the same bytes."""
    pdf = ready.take(action.key, problems) if ready is not None else None
    if pdf is not None:
        return pdf
    from relance.render.letter import formal_notice_pdf  # reportlab: loaded when a letter is drawn

    return formal_notice_pdf(context, _sender_address(book), action.language, renderer=renderer, problems=problems,
                             fmt=ready.formats(action.language) if ready is not None else None)


def _sender_address(book: Book) -> list[str]:
    """Settings company_address as the letter's sender lines (';' or line breaks between them)."""
    return [line.strip() for line in book.settings.company_address.replace("\n", ";").split(";") if line.strip()]


def notice_attachment(action: Action, context: dict[str, object], book: Book, renderer: Renderer,
                      problems: list[TemplateProblem], ready: Prerendered | None = None) -> Attachment:
    """The PDF an e-mailed formal notice carries: the same letter, named after the customer and date."""
    name = ("mise_en_demeure" if action.language == "fr" else "formal_notice")
    day = str(context.get("as_of") or "")
    filename = "_".join(x for x in (name, safe_name(action.customer_id), day) if x) + ".pdf"
    return Attachment(filename, "application/pdf", _notice_pdf(action, context, book, renderer, problems, ready))


def safe_name(text: str) -> str:
    """A piece of a file name: letters, digits, '-' and '_' only."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text).strip("_")


def _letter(action: Action, context: dict[str, object], book: Book, renderer: Renderer,
            problems: list[TemplateProblem], ready: Prerendered | None = None) -> OutgoingMessage:
    """A letter step: the formal notice as a PDF (render/letter.py), filed in the outbox to be posted."""
    s = book.settings
    pdf = _notice_pdf(action, context, book, renderer, problems, ready)
    subject = ("Mise en demeure" if action.language == "fr" else "Formal notice") + f" – {action.customer_id}"
    return OutgoingMessage(action=action, sender_email=s.sender_email, sender_name=s.sender_name or s.company_name,
                           reply_to=s.reply_to, subject=subject, html="", text="", pdf=pdf)


def _compose_action(action: Action, ctx: dict[str, object], book: Book, renderer: Renderer,
                    wording: list[TemplateProblem], ready: Prerendered) -> tuple[OutgoingMessage | None, str]:
    """One action's message (None for a task) and task script; raises TemplateProblem. The same
    function composes in this process and in the workers of app/compose_pool.py."""
    s = book.settings
    if action.is_task:
        script = renderer.render(action.template, action.language, "script", ctx) \
            if action.template and renderer.has(action.template, action.language, "script") else ""
        return None, script
    if action.channel == "letter":
        return _letter(action, ctx, book, renderer, wording, ready), ""
    if action.channel == "sms":
        body = to_gsm7(" ".join(renderer.render(action.template, action.language, "sms", ctx).split()))
        return OutgoingMessage(
            action=action, sender_email=s.sender_email, sender_name=s.sender_name or s.company_name,
            reply_to=s.reply_to, subject="", html="", text=body), ""
    return OutgoingMessage(
        action=action, sender_email=s.sender_email, sender_name=s.sender_name or s.company_name,
        reply_to=s.reply_to,
        subject=one_line(renderer.render(action.template, action.language, "subject", ctx)),
        html=renderer.render(action.template, action.language, "html", ctx),
        text=renderer.render(action.template, action.language, "text", ctx),
        # the e-mailed formal notice carries the letter itself (what a lawyer will produce)
        attachments=(notice_attachment(action, ctx, book, renderer, wording, ready),)
        if action.template == "formal_notice" else (),
    ), ""


_Reduced = tuple[type[TemplateProblem], tuple[object, ...], dict[str, object]]
_Fields = tuple[object, ...]
#: Every field of a message but its Action, in order: what crosses the process boundary (a field
#: added to OutgoingMessage later crosses it too).
_MESSAGE_FIELDS = tuple(f.name for f in dataclasses.fields(OutgoingMessage) if f.name != "action")


class _Pack:
    """The messages of one worker's chunk, pickled and compressed together (zlib's fastest level):
    what a run holds of them between composing and filing, about a tenth of their text in memory
    (French typography makes most of a message two bytes a character there, and the messages of
    a chunk share their template's words). Opened when the first of them is filed; each message
    is let go once taken (`take`), so that a run holds at once only the chunk being filed."""

    def __init__(self, fields: Sequence[_Fields]) -> None:
        self.blob = zlib.compress(pickle.dumps(list(fields), protocol=pickle.HIGHEST_PROTOCOL), 1)
        self.opened: list[_Fields | None] | None = None

    def take(self, at: int) -> _Fields:
        """The fields of the pack's message `at`, once (the pack forgets them)."""
        if self.opened is None:
            self.opened = pickle.loads(zlib.decompress(self.blob))  # noqa: S301 (this run's own workers)
            self.blob = b""
        found = self.opened[at]
        assert found is not None, "a packed message is taken once"
        self.opened[at] = None
        return found


class _Packed(NamedTuple):
    """A message waiting in its chunk's `_Pack`: made (`_made`) when it is filed."""

    pack: _Pack
    at: int


class _Ahead(NamedTuple):
    """One action as a worker composed it (app/compose_pool.py): its script, its message's
    fields but its Action (None: a task; packed with its chunk's, `_Packed`) or the template
    problem it met, and the Modeles problems met on the way; problems travel reduced
    (letter_pool._reduce). A NamedTuple pickles as a plain tuple."""

    script: str
    fields: _Fields | _Packed | None
    problem: _Reduced | None
    wording: tuple[_Reduced, ...]


#: A worker's answer for an action a bound stopped in an earlier one (the parent skips it too).
SKIPPED = "skipped"


def _fields(message: OutgoingMessage) -> _Fields:
    """A message as it crosses the process boundary: its strings and bytes, not its Action."""
    return tuple(getattr(message, name) for name in _MESSAGE_FIELDS)


def _message(action: Action, fields: _Fields) -> OutgoingMessage:
    """The message of `action` made again from its `_fields`."""
    return OutgoingMessage(action, **dict(zip(_MESSAGE_FIELDS, fields, strict=True)))  # type: ignore[arg-type]


#: A composed action's message as a run holds it until filing: made, packed (`_Packed`), or None (a task).
_Held = OutgoingMessage | _Packed | None
#: From this many actions a run holds its messages packed until it files them (`_Pack`: the
#: workers' chunks, or CHUNK at a time when composing one by one on one core): about 16 KB a
#: message otherwise, 700 MB for the 42,615 messages of a million-invoice first run. Below, what
#: a run holds is at most ~130 MB and packing would only cost (~0.1 ms a message).
PACKED_FROM = 8192


def _made(action: Action, held: _Held) -> OutgoingMessage | None:
    """The message of `action` as it is filed (a packed one is made now, and let go by its pack)."""
    return _message(action, held.pack.take(held.at)) if isinstance(held, _Packed) else held


def _packed(part: Callable[[int, int], list[_Ahead | str | None]]) -> Callable[[int, int], list[_Ahead | str | None]]:
    """`part` as a worker runs it: the messages of its chunk packed together (`_Pack`)."""

    def packing(start: int, stop: int) -> list[_Ahead | str | None]:
        got = part(start, stop)
        fields = [g.fields for g in got if isinstance(g, _Ahead) and g.fields is not None]
        if not fields:
            return got
        pack, at = _Pack(fields), 0  # part never packs: only fields here
        out: list[_Ahead | str | None] = []
        for g in got:
            if isinstance(g, _Ahead) and g.fields is not None:
                g, at = g._replace(fields=_Packed(pack, at)), at + 1
            out.append(g)
        return out

    return packing


def _composed_ahead(plan: Plan, book: Book, positions: dict[str, Position], renderer: Renderer,
                    index: HistoryIndex, packing: bool = False) -> list[_Ahead | str | None] | None:
    """When the plan has many actions, each one composed on every core (app/compose_pool.py), in
    the plan's order; None (or a None item) where composing here is the answer. With `packing`,
    each worker's chunk comes back packed (`_Pack`)."""
    actions = plan.to_send
    if len(actions) < compose_pool.MIN_POOLED:
        return None
    stopped: set[tuple[str, str]] = set()  # in a worker: templates a bound stopped (its later chunks too)

    first: dict[int, _Ahead | str | None] = {}  # composed here before forking: not again in a worker
    ready = Prerendered()  # the formatters of the letters (warmed here, then each worker's own)

    def part(start: int, stop: int) -> list[_Ahead | str | None]:
        got: list[_Ahead | str | None] = []
        for i in range(start, stop):
            action = actions[i]
            if i in first or (action.template, action.language) in stopped:
                got.append(SKIPPED)  # stopped in the parent too by then (an earlier action's problem)
                continue
            wording: list[TemplateProblem] = []
            try:
                ctx = render_context(action, book, positions, plan.as_of, _reminders_sent(index, action))
            except Exception:  # noqa: BLE001 (the parent meets it where a serial run does)
                got.append(None)
                continue
            try:
                message, script = _compose_action(action, ctx, book, renderer, wording, ready)
            except TemplateProblem as problem:
                if problem.limit:
                    stopped.add((action.template, action.language))
                got.append(_Ahead("", None, letter_pool._reduce(problem), tuple(map(letter_pool._reduce, wording))))
            except Exception:  # noqa: BLE001 (raised again, exactly, when the parent composes it)
                got.append(None)
            else:
                got.append(_Ahead(script, None if message is None else _fields(message), None,
                                  tuple(map(letter_pool._reduce, wording))))
        return got

    # the first action of each kind composed here, before forking: what every worker would
    # otherwise load on its own (compiled templates, fonts, locale data) is loaded once, and a
    # bound that stops a template stops it in the workers too
    heads: dict[tuple[str, str, str | None], int] = {}
    for i, action in enumerate(actions):
        heads.setdefault((action.channel, action.language, action.template), i)
    for i in sorted(heads.values()):
        first[i] = part(i, i + 1)[0]
    found = compose_pool.run_forked(len(actions), _packed(part) if packing else part) or [None] * len(actions)
    for i, item in first.items():
        found[i] = item
    return found


def compose(
    plan: Plan, book: Book, positions: dict[str, Position], renderer: Renderer, index: HistoryIndex | None = None,
) -> tuple[list[tuple[Action, OutgoingMessage | None, str]], list[Anomaly]]:
    """Each action to perform with its message (None for tasks) and its task script; `index`: the
    run's index of History (built here when not given). Many actions are composed on every core
    (app/compose_pool.py), each taken here in the plan's order: the same output as one by one."""
    held, anomalies = _compose(plan, book, positions, renderer, index)  # nothing packed: all made now
    return [(action, _made(action, m), script) for action, m, script in held], anomalies


def _compose(
    plan: Plan, book: Book, positions: dict[str, Position], renderer: Renderer, index: HistoryIndex | None = None,
    packing: bool = False,
) -> tuple[list[tuple[Action, _Held, str]], list[Anomaly]]:
    """`compose`; with `packing` (a run that files them) and PACKED_FROM actions or more, the
    messages (composed in the workers, or here) are left packed (`_Packed`) until `_made`."""
    out: list[tuple[Action, _Held, str]] = []
    anomalies: list[Anomaly] = []
    broken: set[tuple[str, str, str]] = set()
    if index is None:
        index = HistoryIndex.build([*book.archived, *book.history])
    stopped: set[tuple[str, str]] = set()  # templates a bound stopped: not tried again this run
    wording: list[TemplateProblem] = []  # letter paragraphs of the Modeles tab that could not be used
    ready = Prerendered()  # the run's formatters of the letters composed here
    packing = packing and len(plan.to_send) >= PACKED_FROM
    ahead = _composed_ahead(plan, book, positions, renderer, index, packing)
    # composed here one by one (one core: a Cloud Function's), the messages are packed too
    loose: list[int] | None = [] if packing else None

    def pack_loose() -> None:
        if loose:
            made = [m for j in loose if isinstance(m := out[j][1], OutgoingMessage)]
            pack = _Pack([_fields(m) for m in made])
            for at, j in enumerate(loose):
                a, _, script = out[j]
                out[j] = (a, _Packed(pack, at), script)
            loose.clear()
    for i, action in enumerate(plan.to_send):
        if (action.template, action.language) in stopped:
            continue
        got = ahead[i] if ahead is not None else None
        if isinstance(got, _Ahead):  # composed in a worker: taken here, where a serial run composes it
            wording.extend(map(letter_pool._rebuild, got.wording))
            if got.problem is not None:
                _template_broken(letter_pool._rebuild(got.problem), action, book, stopped, broken, anomalies)
            else:
                fields = got.fields
                out.append((action, fields if fields is None or isinstance(fields, _Packed)
                            else _message(action, fields), got.script))
            continue
        ctx = render_context(action, book, positions, plan.as_of, _reminders_sent(index, action))
        try:
            message, script = _compose_action(action, ctx, book, renderer, wording, ready)
            out.append((action, message, script))
            if loose is not None and message is not None:
                loose.append(len(out) - 1)
                if len(loose) >= compose_pool.CHUNK:
                    pack_loose()
        except TemplateProblem as problem:
            _template_broken(problem, action, book, stopped, broken, anomalies)
    if loose is not None:
        pack_loose()
    return out, anomalies + document_anomalies(book, wording)


def _template_broken(problem: TemplateProblem, action: Action, book: Book, stopped: set[tuple[str, str]],
                     broken: set[tuple[str, str, str]], anomalies: list[Anomaly]) -> None:
    """A template that could not be rendered for `action`: said once per part (R701); a bound that
    stopped it (it would fail for every customer) is not tried again this run."""
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
    # once a run: every lookup goes through it (none when there is nothing to send: a rerun)
    index = HistoryIndex.build([*book.archived, *book.history]) if plan.to_send else HistoryIndex(frozenset(), {})
    begin("render")
    # the messages composed in the workers stay packed until they are filed, then are let go
    composed, result.anomalies = _compose(plan, book, positions, renderer, index, packing=True)
    begin("files")
    stamp = now.astimezone(ZoneInfo(book.settings.timezone)).isoformat(timespec="seconds")
    pending: list[HistoryEntry] = []
    done = {action.key for action, _, _ in composed}
    for action in plan.to_send:
        if action.key not in done:  # its template could not be rendered: said, and planned again
            result.entries.append(_entry(action, run_id, stamp, plan.as_of, channel, lang).with_status(
                "failed", lang, note=T.DETAIL_TEMPLATE_BROKEN(tab=tab_name(book, "anomalies"))))
    composed = _within_cap(result, composed, book, channel, now)
    for action, _, _ in composed:
        pending.append(_entry(action, run_id, stamp, plan.as_of, channel, lang))
    if not pending:
        return result
    journal = _journal(channel, run_id, [a for a, m, _ in composed if m is not None])
    try:
        mine = save_pending(pending)  # None: every action is this run's (a run lock keeps others out)
        theirs = set() if mine is None else {a.key for a, _, _ in composed} - mine
        # sent as the loop reaches them: in batches for a transport that has them (Mailjet), else one by one
        outcomes = deliveries(channel if journal is None else _Noting(channel, journal),
                              (made for a, m, _ in composed if m is not None and a.key not in theirs
                               if (made := _made(a, m)) is not None))
        _perform(result, composed, pending, outcomes, book, positions, plan, channel, renderer, lang, progress,
                 theirs, Proofs(index, channel))
    finally:
        if journal is not None:
            journal.close()
    return result


def _blind(channel: Channel, action: Action) -> bool:
    """Whether this action goes through a transport that cannot be asked afterwards (SMTP)."""
    return via_of(channel, action).partition(":")[0] in BLIND_TRANSPORTS


def journal_folder(channel: Channel) -> Path | None:
    """The outbox folder where `channel` keeps its runs' attempt journals (channels/attempts.py)."""
    box = getattr(channel, "outbox", channel)
    folder = getattr(box, "root", None) or getattr(box, "folder", None)
    return Path(folder) if folder is not None else None


def _journal(channel: Channel, run_id: str, actions: Sequence[Action]) -> AttemptJournal | None:
    """This run's attempt journal, on disk before History is saved `pending`, when some message goes
    through a transport that cannot be asked; None when none does or it cannot be written (then a
    crash leaves those rows `unknown`, as without a journal)."""
    folder = journal_folder(channel)
    if folder is None or not any(_blind(channel, a) for a in actions):
        return None
    try:
        return AttemptJournal(folder, run_id)
    except OSError:
        return None


def prune_journals(channel: Channel, saved: Iterable[HistoryEntry], now: dt.datetime) -> int:
    """Remove the attempt journals of `channel`'s outbox folder that no reconcile can need any more
    (channels/attempts.prune), given every History and archive row the workbook now holds saved.
    Called once a run's final save succeeded; never fails a run. Returns how many went."""
    folder = journal_folder(channel)
    if folder is None:
        return 0
    try:
        return len(prune(folder, ((e.run_id, e.action_key, e.status) for e in saved), now))
    except OSError:
        return 0


class _Noting:
    """`channel`, noting each message to a blind transport in the attempt journal just before it is
    handed over and its answer just after (`send`; `send_many` for a batching transport, a blind
    message alone in its call). It forwards nothing else on purpose: a sending path added to a
    transport later is not used through it, so no message can leave without its note."""

    def __init__(self, channel: Channel, journal: AttemptJournal) -> None:
        self._channel = channel
        self._journal = journal
        self.name, self.location, self.via = channel.name, channel.location, channel.via
        send_many = getattr(channel, "send_many", None)
        if callable(send_many):
            self.batch_size = getattr(channel, "batch_size", 1)

            def noting_many(messages: Sequence[OutgoingMessage]) -> list[object]:
                # in order, a blind message alone (noted just before it, answered just after), the
                # others between them in one call (the transport flushes its batch there anyway)
                groups: list[list[OutgoingMessage]] = []
                for m in messages:
                    if not groups or _blind(self._channel, m.action) or _blind(self._channel, groups[-1][-1].action):
                        groups.append([m])
                    else:
                        groups[-1].append(m)
                out: list[object] = []
                for group in groups:
                    self._journal.note(m.action.key for m in group if _blind(self._channel, m.action))
                    outcomes = list(send_many(group))
                    for m, outcome in zip(group, outcomes, strict=False):
                        self._answered(m, outcome)
                    out.extend(outcomes)
                    if len(outcomes) < len(group):  # it stopped (TransportDown last): nothing more goes
                        break
                return out

            self.send_many = noting_many

    def _answered(self, message: OutgoingMessage, outcome: object) -> None:
        if isinstance(outcome, Delivery) and outcome.status in ("sent", "failed") \
                and _blind(self._channel, message.action):
            self._journal.answered(message.action.key, outcome.status, outcome.message_id)

    def send(self, message: OutgoingMessage) -> Delivery:
        if _blind(self._channel, message.action):
            self._journal.note([message.action.key])
        delivery = self._channel.send(message)
        self._answered(message, delivery)
        return delivery

    def lookup(self, action_key: str) -> str | None:
        return self._channel.lookup(action_key)

    def attach(self, name: str, data: bytes) -> str:
        return self._channel.attach(name, data)

    def attach_many(self, documents: Sequence[tuple[str, bytes]]) -> list[str | BaseException]:
        """The channel's own (documents are no messages: nothing to note), one by one without it."""
        many = getattr(self._channel, "attach_many", None)
        if callable(many):
            return list(many(documents))
        return one_by_one(documents, lambda document: self._channel.attach(*document))

    def detach(self, names: Sequence[str]) -> None:
        """The channel's own, when it has one."""
        detach = getattr(self._channel, "detach", None)
        if callable(detach):
            detach(names)

    def proofs(self, action_keys: Iterable[str]) -> dict[str, bytes]:
        return self._channel.proofs(action_keys)

    def close(self) -> None:
        self._channel.close()


def _perform(
    result: Execution, composed: list[tuple[Action, _Held, str]], pending: list[HistoryEntry],
    outcomes: Iterator[Delivery | Exception], book: Book, positions: dict[str, Position], plan: Plan,
    channel: Channel, renderer: Renderer, lang: str, progress: Callable[[int], None],
    theirs: set[str] | frozenset[str] = frozenset(), found: Proofs | None = None,
) -> None:
    """Each action's outcome, in order, into `result` (see `execute`); `theirs`: the actions an
    overlapping run claimed first (it sends them); `found`: the run's index of proofs (built
    here, once, when not given)."""
    if found is None:
        found = Proofs(HistoryIndex.build([*book.archived, *book.history]), channel)
    packages = Packages(found)
    handoffs = [a for a, m, _ in composed if m is None and a.channel == "agency" and a.key not in theirs]
    _packages_ahead(handoffs, book, positions, plan.as_of, renderer, packages)
    try:
        _perform_each(result, composed, pending, outcomes, book, positions, plan, channel, renderer, lang, progress,
                      theirs, packages, handoffs)
    finally:
        unreached = [where for where, _ in packages.filed.values() if isinstance(where, str)]
        detach = getattr(channel, "detach", None)
        if unreached and callable(detach):  # filed ahead, their turn never came (the run stopped)
            detach(unreached)


def _perform_each(
    result: Execution, composed: list[tuple[Action, _Held, str]], pending: list[HistoryEntry],
    outcomes: Iterator[Delivery | Exception], book: Book, positions: dict[str, Position], plan: Plan,
    channel: Channel, renderer: Renderer, lang: str, progress: Callable[[int], None],
    theirs: set[str] | frozenset[str], packages: Packages, handoffs: list[Action],
) -> None:
    """`_perform`'s loop: each action's outcome, in order; the hand-off packages filed a group at a
    time (`_file_ahead`: `handoffs`, the agency steps in the plan's order)."""
    upcoming = 0  # handoffs[upcoming]: the next agency step whose turn has not come
    for (action, message, script), entry in zip(composed, pending, strict=True):
        if upcoming < len(handoffs) and handoffs[upcoming].key == action.key:
            upcoming += 1
            if result.stopped is None and action.key not in packages.filed:
                _file_ahead(handoffs[upcoming - 1:], book, positions, plan.as_of, channel, renderer, packages)
        if action.key in theirs:  # an overlapping run appended its row first: it sends this one
            result.entries.append(entry.with_status("skipped", lang, note=T.DETAIL_OTHER_RUN()))
        elif result.stopped is not None:
            result.entries.append(entry.with_status(
                "failed", lang, note=T.DETAIL_NOT_ATTEMPTED(cause=result.stopped.said)))
        elif message is None:
            customer = book.customers[action.customer_id]
            try:
                wording: list[TemplateProblem] = []
                package = _handoff_package(action, book, positions, plan.as_of, channel, renderer, wording,
                                           packages) if action.channel == "agency" else ""
                result.anomalies += [a for a in document_anomalies(book, wording) if a not in result.anomalies]
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
        progress(1)


def _within_cap(result: Execution, composed: list[tuple[Action, _Held, str]], book: Book,
                channel: Channel, now: dt.datetime) -> list[tuple[Action, _Held, str]]:
    """What today's room of the channel's daily cap takes; the rest goes to `result.held_back`."""
    today = now.astimezone(ZoneInfo(book.settings.timezone)).date()
    cap = daily_cap(channel, book.history, today)
    if cap is None:
        return composed
    result.cap = cap
    count_today = getattr(channel, "count_today", None)
    if callable(count_today):  # the channel's own guard counts as the executor does
        count_today(cap.used)
    counted = [a for a, m, _ in composed if m is not None and via_of(channel, a) in cap.vias]
    result.held_back = held_back(counted, cap.room)
    if not result.held_back:
        return composed
    held = {a.key for a in result.held_back}
    return [c for c in composed if c[0].key not in held]


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


def _too_recent(entry: HistoryEntry, witness: Witness, now: dt.datetime | None) -> bool:
    """Whether `witness` may not list this row's message yet: a provider whose records appear some
    time after it took a message (Mailjet: `lookup_grace` seconds) can only say "absent" of a row
    older than that. A row whose time cannot be read is never taken for old (never sent twice)."""
    grace = float(getattr(witness, "lookup_grace", 0) or 0)
    if grace <= 0 or now is None:
        return False
    try:
        written = dt.datetime.fromisoformat(entry.timestamp)
    except ValueError:
        return True
    if written.tzinfo is None:
        return True
    return now - written < dt.timedelta(seconds=grace)


def reconcile(
    entries: Sequence[HistoryEntry], channel: Channel, task_ids: frozenset[str],
    open_witness: Callable[[str, Channel], Witness | None] = witness_for, lang: str = Lang.fr,
    now: dt.datetime | None = None,
) -> Reconciled:
    """Settle `pending` rows left by an interrupted run, asking the place each row names what it has.

    A message the place holds is `sent` (its id from there), one it surely lacks is `failed` and
    planned again; a row whose place cannot be read (the folder is gone, unmounted, unreadable)
    or that no transport of this version can ask stays `pending`: never sent twice. A message
    found where this run's channel writes (a folder moved or copied there) is `sent` too. A row
    sent through a transport that cannot be asked (`BLIND_TRANSPORTS`: SMTP) becomes `unknown`.
    Each row says so in its detail, in `lang` (the workbook's); only its columns are read.
    A provider that lists a message only some time after taking it (Mailjet, `lookup_grace`) is
    believed when it has none only for a row older than that (at `now`): a younger row stays
    `pending`, blocking, and is looked up again by a later run (docs/decisions.md).
    """
    settled = 0
    fixed: list[HistoryEntry] = []
    unsettled: list[HistoryEntry] = []
    witnesses: dict[str, Witness | None] = {}
    journals: dict[str, dict[str, Attempt] | None] = {}  # run id -> what its attempt journal holds
    for e in entries:
        if e.status == UNKNOWN:  # a person decides: said on every run until they do
            fixed.append(e)
            unsettled.append(e)
            continue
        if e.status != "pending":
            fixed.append(e)
            continue
        if e.transport in BLIND_TRANSPORTS and e.channel not in ("call", "agency"):
            if e.run_id not in journals:
                folder = journal_folder(channel)
                journals[e.run_id] = attempted(folder, e.run_id) if folder is not None else None
            tried = journals[e.run_id]
            if tried is not None and (e.action_key not in tried or tried[e.action_key].status):
                attempt = tried.get(e.action_key)
                if attempt is None:  # not in its run's journal: never handed over
                    fixed.append(e.with_status("failed", lang, note=T.DETAIL_INTERRUPTED()))
                elif attempt.status == "sent":  # the server's answer, journaled before the crash
                    fixed.append(e.with_status("sent", lang, attempt.message_id, T.DETAIL_CONFIRMED()))
                else:
                    fixed.append(e.with_status("failed", lang, note=T.DETAIL_INTERRUPTED()))
                settled += 1
                continue
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
            elif witness is None or _too_recent(e, witness, now):
                fixed.append(e)  # only that place can tell, and it cannot (yet): stays blocking
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


def not_saved(exc: BaseException, meaning: Phrase, error: type[RelanceError] | None = None,
              **args: object) -> RelanceError:
    """The workbook could not be saved at some point of a run: why, and what it means (`meaning`,
    a console phrase with a `{cause}` and its own `args`), in both languages."""
    if isinstance(exc, SaidError):
        cause: Said = exc.said
    elif isinstance(exc, OSError):
        cause = Said.verbatim(f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""))
    else:
        cause = Said.verbatim(str(exc))
    hint = exc.fix if isinstance(exc, SaidError) and exc.fix else console.NOT_SAVED_HINT()
    kind = error or (type(exc) if isinstance(exc, RelanceError) else WorkbookError)
    return kind(meaning(cause=cause, **args), hint)


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
                    A.R622_NOT_LISTED_YET(customer=e.customer_id),
                    A.R622_HINT(failed=_said_value(STATUSES, 'failed'), sent=_said_value(STATUSES, 'sent')),
                    "R622", Severity.warning) if e.status == "pending" and e.transport == "mailjet" else
            Anomaly(Source(name, position.get(id(e), 0) + 2), e.action_key,
                    UNKNOWN_PROBLEM(channel=_said_value(CHANNELS, e.channel), customer=e.customer_id, via=e.via),
                    UNKNOWN_HINT(failed=_said_value(STATUSES, 'failed'), sent=_said_value(STATUSES, 'sent')),
                    "R621", Severity.warning) if e.status == UNKNOWN else
            Anomaly(Source(name, position.get(id(e), 0) + 2), e.action_key,
                    A.R620_UNSETTLED(place=e.place or e.via, customer=e.customer_id),
                    A.R620_HINT(failed=_said_value(STATUSES, 'failed')), "R620", Severity.warning)
            for e in rows]
