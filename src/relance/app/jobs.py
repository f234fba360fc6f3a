"""The daily job and its previews, over any workbook backend and channel (DESIGN.md §4).

This is the imperative shell around the pure engine: read the tabs, load, compute, plan, then
(for `run`) execute exactly once and write relance's own tabs back. Faces call these functions.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from relance.app.connect import local_today
from relance.app.executor import Execution, execute, not_saved, reconcile, unsettled_anomalies
from relance.app.phases import OTHER, begin, phase
from relance.app.resources import (
    message_templates,
    report_templates,
    shipped_contract,
    shipped_presets,
)
from relance.app.templates import message_renderer
from relance.channels.outbox import SIMULATED, SIMULATION, simulation_folder
from relance.channels.port import UNKNOWN, Channel, Delivery
from relance.engine.action import Action, Skip
from relance.engine.anomaly import Anomaly, Severity, Source
from relance.engine.baseline import baseline_entries
from relance.engine.book import Book, load_book
from relance.engine.catalog import anomalies as A
from relance.engine.catalog import console
from relance.engine.catalog import tabs as T
from relance.engine.contract import Contract
from relance.engine.errors import ChannelError, ConfigError, ForeignTab, RelanceError
from relance.engine.history import HistoryEntry
from relance.engine.history_index import (
    INDEX_TAB,
    IndexedTab,
    ParsedTab,
    index_tab,
    is_history_tab,
    is_index_tab,
    is_our_index,
    read_back,
    read_index,
)
from relance.engine.i18n import Said
from relance.engine.kpi import default_period
from relance.engine.owned_tabs import (
    anomalies_tab,
    approval_note,
    approved_keys,
    dropped_approvals,
    existing_task_rows,
    history_tabs,
    plan_tab,
    tab_name,
    tasks_tab,
)
from relance.engine.pause import broken_promises
from relance.engine.planner import Plan, plan
from relance.engine.position import Position, compute_positions
from relance.engine.sendwindow import SendWindow, holiday_calendar, send_window
from relance.engine.sheets import CellValue, OwnedTab, RawSheet
from relance.engine.table import Collector, foreign_tabs, reads_tab
from relance.render.messages import Renderer
from relance.workbook.port import WorkbookBackend, claimed, indexes_history, lease_of

if TYPE_CHECKING:  # the report, its page and the starter workbook are imported where they are made
    from relance.engine.report import Report

Progress = Callable[[str, int], Callable[[int], None]]


def _no_progress(label: str, total: int) -> Callable[[int], None]:
    return lambda n: None


@dataclass
class Snapshot:
    """A workbook read and computed at one date: the input of every command."""

    book: Book
    as_of: dt.date
    positions: dict[str, Position]
    plan: Plan
    anomalies: list[Anomaly]
    renderer: Renderer


def init_workbook(path: Path, lang: str = "fr", data: Mapping[str, Sequence[Mapping[str, object]]] | None = None,
                  *, write_only: bool = False) -> None:
    """`relance init`: a new .xlsx with every input tab of the shipped contract (see workbook/starter.py).

    Over an existing workbook (`--force`), it waits for no one: it takes the run lock (refused while
    a run holds it) and keeps a backup of the old file first, like every save.
    """
    from relance.workbook.starter import build_workbook

    if Path(path).exists():
        from relance.workbook.xlsx import XlsxBackend

        existing = XlsxBackend(path)
        with existing.run_lock():
            existing.backup()
            build_workbook(existing.path, shipped_contract(), lang, data, write_only=write_only)
        return
    build_workbook(path, shipped_contract(), lang, data, write_only=write_only)


def init_spreadsheet(backend: WorkbookBackend, lang: str = "fr") -> list[str]:
    """`relance init gsheet:<id>`: the template laid onto an empty spreadsheet shared with the
    service account (workbook/gsheet_template.py); the names of the tabs it added."""
    lay = getattr(backend, "lay_template", None)
    if lay is None:
        raise ConfigError(console.INIT_SHEET_LATER(kind=backend.location), console.INIT_SHEET_LATER_FIX())
    return list(lay(shipped_contract(), lang))


def read_book(backend: WorkbookBackend) -> Book:
    """The tabs relance needs (the contract's, History archives), checked, with the shipped
    contract and presets; the user's other tabs are not even read.

    A tab of the user's holding a name relance writes (engine/table.find_tables) stops every job
    here, before anything is sent or written: ForeignTab (exit 3) names it and the fix.
    """
    contract = shipped_contract()
    begin("read")
    sheets, indexed = _read_sheets(backend, contract)
    begin("records")
    book = load_book(sheets, contract, shipped_presets(), history_indexed=indexed is not None,
                     history_parsed={k: v.columns for k, v in (indexed or {}).items() if isinstance(v, ParsedTab)},
                     history_index=indexed.tabs if indexed is not None else None)
    refuse_foreign_tabs(book)
    return book


@dataclass(frozen=True)
class _Indexed:
    """What _read_sheets took from the History index: per History tab (casefolded name), its
    entry there (`tabs`) and what it keeps of the tab (a ParsedTab, or the tab's cells)."""

    tabs: Mapping[str, IndexedTab]
    kept: Mapping[str, ParsedTab | list[tuple[CellValue, ...]]]

    def items(self) -> Iterator[tuple[str, ParsedTab | list[tuple[CellValue, ...]]]]:
        return iter(self.kept.items())


def _read_sheets(backend: WorkbookBackend, contract: Contract) -> tuple[list[RawSheet], _Indexed | None]:
    """The tabs relance needs, as read_book loads them; what came from the History index (None:
    History was read).

    A backend that fingerprints its tabs (workbook/port.IndexesHistory) is read without History
    and its archives; they come from the History index (engine/history_index.py) when it covers
    exactly these tabs with the fingerprints this read found: a tab the index keeps as records
    is given as its rows down to the header (load_book takes its records from the index), one
    it keeps as cells as those cells. Otherwise they are read too, in a second read, and the
    index is written afresh with the next save.
    """
    fingerprinted = indexes_history(backend)
    if fingerprinted is None:
        return backend.read(lambda name: reads_tab(contract, name)), None
    sheets = backend.read(lambda name: (reads_tab(contract, name) and not is_history_tab(contract, name))
                          or is_index_tab(name))
    prints = dict(fingerprinted.fingerprints())
    names = [s.name for s in sheets if is_history_tab(contract, s.name)]
    stored = read_index(next((s for s in sheets if is_index_tab(s.name)), None))
    kept = stored.cells(names, prints) if stored is not None else None
    if stored is not None and kept is not None:
        def sheet(s: RawSheet) -> RawSheet:
            found = kept[s.name.casefold()]
            return RawSheet(s.name, found.head if isinstance(found, ParsedTab) else found, s.owned)

        return ([sheet(s) if is_history_tab(contract, s.name) else s for s in sheets],
                _Indexed({k: stored.tabs[k] for k in kept}, kept))
    again = {s.name.casefold(): s for s in backend.read(lambda name: is_history_tab(contract, name))}
    later = fingerprinted.fingerprints()
    if [s.name for s in again.values()] != [s.name for s in sheets] or any(
            later.get(k) != v for k, v in prints.items() if not is_history_tab(contract, k)):
        # the workbook changed between the two reads (a person saved it): read it whole again
        return backend.read(lambda name: reads_tab(contract, name)), None
    return [again[s.name.casefold()] if is_history_tab(contract, s.name) else s for s in sheets], None


def history_write(backend: WorkbookBackend, book: Book, entries: Sequence[HistoryEntry]) -> list[OwnedTab]:
    """History with these rows (engine/owned_tabs.history_tabs), and, for a backend that
    fingerprints its tabs, the History index of History and every archive as this save leaves
    them: the tabs written now from their rows, the others from the cells read, or copied from
    the index they came from."""
    tabs = history_tabs(book, entries)
    fingerprinted = indexes_history(backend)
    there = book.history_sheets.get(INDEX_TAB)
    if fingerprinted is None or (there is not None and not is_our_index(there)):
        return tabs  # a user's own tab under the index's name is never written over
    written = {t.name.casefold(): t for t in tabs}
    covered: list[tuple[str, Sequence[Sequence[CellValue]] | IndexedTab]] = []
    for key, sheet in book.history_sheets.items():
        if key not in written and not is_index_tab(key):
            copied = book.history_index.get(key)
            covered.append((sheet.name, copied if copied is not None else sheet.rows))
    for tab in tabs:
        covered.append((tab.name, read_back(fingerprinted.as_read, [list(tab.header), *tab.rows])))
    return [*tabs, index_tab(covered, book.contract.tab("history"))]


def refuse_foreign_tabs(book: Book) -> None:
    """Raise ForeignTab when the workbook has user tabs under names relance writes."""
    found = foreign_tabs(book.anomalies)
    if not found:
        return
    names = ", ".join(f"'{a.source.tab}'" for a in found)
    first = found[0]
    raise ForeignTab(
        (console.FOREIGN_TABS if len(found) > 1 else console.FOREIGN_TAB)(names=names),
        console.FOREIGN_TAB_OTHERS(hint=first.hint) if len(found) > 1 else first.hint,
    )


def as_of_for(book: Book, now: dt.datetime, as_of: dt.date | None) -> dt.date:
    """The run date in the workbook's time zone (Cloud Functions run in UTC)."""
    if as_of is not None:
        return as_of
    return local_today(book, now)


def is_simulation(book: Book, now: dt.datetime, as_of: dt.date | None) -> bool:
    """A run dated another day than today in the workbook's time zone: it never really sends."""
    return as_of is not None and as_of != local_today(book, now)


@contextmanager
def _batch_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a workbook's records are built.

    Loading 100k invoices allocates millions of acyclic objects; the collector's repeated
    generation-2 passes over them cost ~30 % of a run and free nothing. Reference counting
    still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # what was built lives for the run: later collections need not scan it again
        if was_enabled:
            gc.enable()


def snapshot(backend: WorkbookBackend, now: dt.datetime, as_of: dt.date | None,
             history_fix: Callable[[Book], Book] | None = None, book: Book | None = None,
             for_report: bool = False) -> Snapshot:
    """Read (unless a freshly loaded `book` is given), compute and plan."""
    with _batch_gc():
        return _snapshot(backend, now, as_of, history_fix, book, for_report)


def _snapshot(backend: WorkbookBackend, now: dt.datetime, as_of: dt.date | None,
              history_fix: Callable[[Book], Book] | None, book: Book | None, for_report: bool) -> Snapshot:
    if book is None:
        book = read_book(backend)
    if history_fix is not None:
        book = history_fix(book)
    day = as_of_for(book, now, as_of)
    out = Collector()
    begin("figures")
    by_customer: dict[str, list[Position]] = {}  # planner.open_by_customer(positions), gathered on the way
    positions = compute_positions(book, day, out, settled_penalties=for_report, open_by=by_customer)
    broken = broken_promises(book.promises, _promised_balances(book, positions, by_customer, day), day,
                             book.settings.promise_grace_days)
    for promise, unpaid, broken_on in broken:
        out.warn(promise.source, promise.promised_date.isoformat(),
                 A.R415_BROKEN(invoices=list(unpaid), day=broken_on, n=len(unpaid)),
                 A.R415_HINT(tab=promise.source.tab), "R415")
    book = with_risk_ladder(book)
    begin("plan")
    the_plan = plan(book, positions, day, approved_keys(book), graded_scenarios(book, positions, day, by_customer),
                    by_customer)
    renderer = message_renderer(book)
    dropped = dropped_approvals(book, the_plan, positions)
    anomalies = [*book.anomalies, *_missing_templates(book, renderer), *out.items, *the_plan.anomalies, *dropped]
    return Snapshot(book, day, positions, the_plan, anomalies, renderer)


def _promised_balances(book: Book, positions: Mapping[str, Position], by_customer: Mapping[str, list[Position]],
                       day: dt.date) -> dict[str, tuple[str, dt.date, bool]]:
    """What engine/pause.broken_promises reads of the invoices open on `day` (invoice -> customer,
    due date, True), for the promises it judges alone: the invoices an open promise past its grace
    names, and every open invoice of a customer whose such promise names none (the others are
    never read; a promise judged is judged on exactly what the whole mapping would say)."""
    grace = book.settings.promise_grace_days
    judged = [p for p in book.promises if p.status == "open" and day >= p.promised_date + dt.timedelta(days=grace + 1)]
    found: dict[str, tuple[str, dt.date, bool]] = {}
    invoices = book.invoices
    for promise in judged:
        if promise.invoice_ids:
            for iid in promise.invoice_ids:
                p = positions.get(iid)
                if p is not None and p.status == "open":
                    found[iid] = (p.customer_id, invoices[iid].due_date, True)
        else:
            for p in by_customer.get(promise.customer_id, ()):
                found[p.invoice_id] = (p.customer_id, invoices[p.invoice_id].due_date, True)
    return found


def _missing_templates(book: Book, renderer: Renderer) -> list[Anomaly]:
    """A step naming a template that exists in no language is reported once, at load."""
    found: list[Anomaly] = []
    for scenario in book.scenarios.values():
        for step in scenario.steps:
            part = "script" if step.channel in ("call", "agency") else "subject"
            if step.template and not any(renderer.has(step.template, lang, part) for lang in ("fr", "en")):
                where = scenario.source if step.source is None else _template_cell(book, step.source)
                found.append(Anomaly(where, step.template,
                                     A.R507_NO_TEMPLATE(scenario=scenario.name, step=step.name),
                                     A.R507_HINT(tab=book.tab_name("templates")), "R507"))
    return found


def _template_cell(book: Book, row: Source) -> Source:
    """The template cell of a Scenarios row."""
    table = book.tables.get("scenarios")
    if table is None or row.tab != table.name:
        return row
    return row.at(table.columns.get("template"), table.header_text.get("template", ""))


def graded_scenarios(book: Book, positions: dict[str, Position], as_of: dt.date,
                     open_positions: Mapping[str, list[Position]] | None = None) -> dict[str, str]:
    """Who a risk grade moves, for the planner's `suggested`: customer id -> scenario name.

    Only a known business on the default ladder moves (never a consumer, a customer of unknown
    type, nor one whose `scenario` column or segment chose its ladder), graded D or E on `as_of`
    and a week before (engine/scoring.risk_moves). It moves to `risque` guarded from the default
    ladder, which keeps every approval the default ladder asked for; when that adds one, the
    guarded ladder has its own name (`risque+<default>`) and must be in `book`: pass a book from
    `with_risk_ladder` (a name the book lacks moves nobody: the planner keeps the default).
    """
    from relance.engine.scoring import risk_moves

    return risk_moves(book, positions, as_of, open_positions)


def with_risk_ladder(book: Book) -> Book:
    """The book with the guarded risk ladder graded customers move to (engine/scoring.risk_ladder),
    when it is a ladder of its own; registered whether anyone moves today or not, so that History
    rows and approvals written under it keep their meaning from one run to the next."""
    from relance.engine.scoring import risk_ladder

    ladder = risk_ladder(book)
    if ladder is None or ladder.name in book.scenarios:
        return book
    return replace(book, scenarios={**book.scenarios, ladder.name: ladder})


def send_window_for(book: Book, now: dt.datetime) -> tuple[SendWindow, Anomaly | None]:
    """The send window from Settings; an unknown holiday_country is said and France used."""
    s = book.settings
    problem: Anomaly | None = None
    local_year = now.astimezone(ZoneInfo(s.timezone)).year
    try:
        holidays = holiday_calendar(s.holiday_country, None, (local_year, local_year + 1), language=s.language)
    except ValueError:
        where = Source(book.tab_name("settings"), 1)
        problem = Anomaly(where, s.holiday_country, A.R098_HOLIDAYS(setting="holiday_country"), A.R098_HINT(),
                          "R098", Severity.warning)
        holidays = holiday_calendar("FR", None, (local_year, local_year + 1), language=s.language)
    return send_window(now, s.timezone, s.send_hour, s.business_days_only, holidays), problem


def run_id_for(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")


@dataclass
class RunResult:
    run_id: str
    snapshot: Snapshot
    dry_run: bool
    execution: Execution = field(default_factory=Execution)
    settled_pending: int = 0
    outbox: str = ""
    deferred: str = ""  # why nothing was sent now (weekend, holiday, before send_hour)
    next_window: str = ""
    simulation: bool = False  # dated another day than today: filed as a simulation, nothing really sent
    today: dt.date | None = None  # today in the workbook's time zone, when the run was a simulation
    unsettled_pending: int = 0  # `pending` rows whose outbox folder cannot be read: still blocking

    def to_json(self) -> dict[str, Any]:
        s = self.snapshot
        ex = self.execution
        errors = sum(1 for a in s.anomalies if a.severity == Severity.error)
        by_key = {e.action_key: e for e in ex.entries}
        held = {a.key for a in ex.held_back}
        return {
            "run_id": self.run_id,
            "as_of": s.as_of.isoformat(),
            "dry_run": self.dry_run,
            "simulation": self.simulation,
            "planned": len(s.plan.actions),
            "sent": ex.count("sent"),
            "simulated": ex.count(SIMULATED),
            "tasks_created": ex.count("created"),
            "failed": ex.count("failed"),
            "awaiting_approval": len(s.plan.awaiting_approval),
            "skipped": len(s.plan.skips),
            "settled_pending": self.settled_pending,
            "unsettled_pending": self.unsettled_pending,
            "held_back": len(ex.held_back),  # beyond the daily cap: planned again next run, most overdue first
            "daily_cap": ({"limit": ex.cap.limit, "used_before": ex.cap.used} if ex.cap is not None else None),
            "deferred": self.deferred or None,
            "next_window": self.next_window or None,
            "anomalies": {"errors": errors, "warnings": len(s.anomalies) - errors},
            "outbox": self.outbox or None,
            "actions": [
                {
                    "action_key": a.key, "customer_id": a.customer_id, "invoice_ids": list(a.invoice_ids),
                    "scenario": a.scenario, "step": a.step, "channel": a.channel, "recipient": a.recipient,
                    "amounts": {c: str(v) for c, v in a.totals}, "days_past_due": a.days_past_due,
                    "requires_approval": a.requires_approval,
                    "status": by_key[a.key].status if a.key in by_key else "held_back" if a.key in held else
                    ("awaiting_approval" if a.requires_approval and not a.approved else
                     "planned" if self.dry_run else "deferred" if self.deferred else "not_sent"),
                    "message_id": by_key[a.key].message_id if a.key in by_key else None,
                }
                for a in s.plan.actions
            ],
            "skips": [
                {"customer_id": k.customer_id, "invoice_ids": list(k.invoice_ids), "scenario": k.scenario,
                 "step": k.step, "reason": k.reason, "detail": k.detail}
                for k in s.plan.skips
            ],
        }


@phase(OTHER)
def run(
    backend: WorkbookBackend,
    channel_factory: Callable[[Book], Channel],
    now: dt.datetime,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    progress: Progress = _no_progress,
    anytime: bool = False,
    run_id: str | None = None,
) -> RunResult:
    """The daily job. Never sends an action twice; writes History, Plan, Tasks and Anomalies.

    A run on the day it plans for sends only inside the send window (DESIGN §4: time zone,
    send_hour, business days and public holidays); outside it, nothing is sent or written and
    the result says when the window opens. `anytime` is a person's explicit "send now".

    A run for another day (`--as-of` not today in the workbook's time zone) is a simulation: it
    needs a simulating channel (the outbox of `connect.open_channel` files it in
    `simulation-<as_of>/`; any other channel is refused with a ConfigError), its History rows are
    `simulated` (they neither block a later real send nor count as sent), it creates no task and
    leaves A_valider and Taches as they are. It is not gated by the send window.

    `run_id` names the run in History and Anomalies (default: from `now`); a caller whose trigger
    is retried (Cloud Scheduler's `X-CloudScheduler-ScheduleTime`, a Pub/Sub message) passes the
    same id to every attempt, so that the attempts read as one run. What is sent never depends on
    it: each action's key and History make a retry send nothing more.
    """
    run_id = run_id or run_id_for(now)
    if dry_run:
        snap = snapshot(backend, now, as_of)
        result = RunResult(run_id, snap, True)
        from relance.app.executor import compose

        _, problems = compose(snap.plan, snap.book, snap.positions, snap.renderer)
        snap.anomalies.extend(problems)
        return result
    with backend.run_lock():
        with _batch_gc():
            book0 = read_book(backend)
        simulation = is_simulation(book0, now, as_of)
        channel = channel_factory(book0)
        if simulation and channel.name != SIMULATION:
            channel.close()
            raise ConfigError(
                console.DATED_RUN_SENDS(as_of=as_of, today=local_today(book0, now), zone=book0.settings.timezone,
                                        name=repr(channel.name)),
                console.DATED_RUN_SENDS_FIX())
        try:
            task_ids = frozenset(str(r[0]) for r in existing_task_rows(book0) if r and r[0])
            settled = 0
            unsettled: list[HistoryEntry] = []

            history_kept = False  # History as read, row for row: a save need not write it again

            def fix_history(book: Book) -> Book:
                nonlocal settled, unsettled, history_kept
                # only `pending` and `unknown` rows are settled or said (_settle_simulations,
                # _live_pending, reconcile: each row on its own): the others are not even looked at
                rows = book.history
                touched = [i for i, status in enumerate(map(_STATUS, rows)) if status in _UNSETTLED]
                mine = [rows[i] for i in touched]
                history, simulated = _settle_simulations(mine, book.language)
                live = _live_pending(history, lease_of(backend), now, book.settings.timezone)
                done = reconcile([e for e in history if id(e) not in live], channel, task_ids, lang=book.language,
                                 now=now)
                settled, unsettled = done.settled + simulated, done.unsettled
                settled_rows = iter(done.entries)
                fixed_rows = [e if id(e) in live else next(settled_rows) for e in history]
                history_kept = all(a is b for a, b in zip(fixed_rows, mine, strict=True))
                fixed = list(rows)
                for i, e in zip(touched, fixed_rows, strict=True):
                    fixed[i] = e
                return replace(book, history=fixed)

            snap = snapshot(backend, now, as_of, fix_history, book0)
            if not anytime and not simulation:
                window, problem = send_window_for(snap.book, now)
                if problem is not None:
                    snap.anomalies.append(problem)
                if (as_of is None or as_of == window.local_date) and not window.open:
                    if unsettled:  # (it indexes every History row to say where each one is)
                        snap.anomalies.extend(unsettled_anomalies(snap.book, unsettled))
                    return RunResult(run_id, snap, False, settled_pending=settled, outbox=channel.location,
                                     deferred=window.reason, next_window=window.next_open.isoformat(),
                                     unsettled_pending=len(unsettled))
            if backend.changed_since_read():  # payments re-read just before sending (DESIGN §4.3)
                snap = snapshot(backend, now, as_of, fix_history)
            book = snap.book
            if unsettled:  # (it indexes every History row to say where each one is)
                snap.anomalies.extend(unsettled_anomalies(book, unsettled))

            @phase("save")
            def save_pending(pending: Sequence[HistoryEntry]) -> frozenset[str]:
                try:
                    # without the index: the save after sending writes it (a crash between the two
                    # leaves it stale, and the next run reads History in full: slower, never wrong)
                    backend.write(history_tabs(book, [*book.history, *pending]))
                    # without a run lock (a shared spreadsheet), the actions another run appended first are its
                    return claimed(backend, tab_name(book, "history"), run_id, [e.action_key for e in pending])
                except (RelanceError, OSError) as exc:
                    raise not_saved(exc, console.NOT_SAVED_BEFORE) from exc

            tick = progress("Simulating" if simulation else "Sending", len(snap.plan.to_send))
            execution = execute(snap.plan, book, snap.positions, snap.renderer, channel, run_id, now,
                                save_pending, tick)
        finally:
            with suppress(OSError):
                channel.close()
        if simulation:
            _as_simulation(execution, snap.as_of, book.language)
        begin("save")
        snap.anomalies.extend(execution.anomalies)
        tabs: list[OwnedTab] = []
        if execution.entries or not (history_kept and book.history_indexed):
            tabs += history_write(backend, book, [*book.history, *execution.entries])
        if not simulation:  # a simulation leaves the approvals and the tasks as they are
            tabs += [plan_tab(book, snap.plan.awaiting_approval, snap.as_of, approval_note(book),
                              kept_approvals(snap.plan, execution)),
                     tasks_tab(book, execution.task_rows)]
        tabs.append(anomalies_tab(book, snap.anomalies, run_id))
        handed = sum(e.status in ("sent", SIMULATED) and e.channel not in ("call", "agency")
                     for e in execution.entries)
        tasks = execution.count("created")
        said_done = (console.DONE_FILED if simulation else console.DONE_SENT)(
            n=handed, messages=console.N_MESSAGES(n=handed), place=channel.location,
            tasks=console.DONE_TASKS(n=tasks, tasks=console.N_TASKS(n=tasks)) if tasks else "")
        try:
            backend.write(tabs)
        except (RelanceError, OSError) as exc:
            if not execution.entries:
                raise
            raise not_saved(
                exc, console.NOT_SAVED_AFTER, rows=len(execution.entries), done=said_done,
                stop=console.NOT_SAVED_STOP(cause=execution.stopped.said) if execution.stopped is not None else "",
                error=ChannelError if execution.stopped is not None else None) from exc
        if not simulation:  # History now holds this run's outcomes: journals no reconcile needs go
            from relance.app.executor import prune_journals

            prune_journals(channel, [*book.archived, *book.history, *execution.entries], now)
        if execution.stopped is not None:
            left = sum(e.status == "failed" for e in execution.entries)
            raise ChannelError(
                console.SENDING_STOPPED(cause=execution.stopped.said, done=said_done, left=left),
                execution.stopped.fix)
        return RunResult(run_id, snap, False, execution, settled, channel.location, simulation=simulation,
                         today=local_today(book, now) if simulation else None,
                         unsettled_pending=len(unsettled))


_STATUS = attrgetter("status")
#: The statuses of the rows a run may settle (`pending`) or must say (`unknown`: a person decides).
_UNSETTLED = frozenset({"pending", UNKNOWN})


def _live_pending(entries: Sequence[HistoryEntry], lease: dt.timedelta | None, now: dt.datetime,
                  zone: str) -> set[int]:
    """The `pending` rows (by id) of runs that may still be working, left alone by reconcile:
    younger than the backend's lease (workbook/port.lease_of). None for a backend whose run lock
    keeps runs apart: every `pending` row there was left by a run that is over."""
    if lease is None:
        return set()
    live: set[int] = set()
    for e in entries:
        if e.status != "pending":
            continue
        try:
            stamp = dt.datetime.fromisoformat(e.timestamp)
        except ValueError:
            continue
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=ZoneInfo(zone))
        if now - stamp < lease:
            live.add(id(e))
    return live


def _settle_simulations(entries: Sequence[HistoryEntry], lang: str) -> tuple[list[HistoryEntry], int]:
    """`pending` rows of a simulation cut short: simulated (nothing was really sent), never blocking.

    Known by their transport (`via`, or an older row's "via simulation" detail), said in `lang`."""
    settled = 0
    fixed: list[HistoryEntry] = []
    for e in entries:
        if e.status == "pending" and e.transport == SIMULATION:
            e = e.with_status(SIMULATED, lang, note=T.DETAIL_SIMULATION_INTERRUPTED())
            settled += 1
        fixed.append(e)
    return fixed, settled


def _as_simulation(execution: Execution, as_of: dt.date, lang: str) -> None:
    """A simulation's outcomes as History keeps them: nothing sent, no task created.

    The outbox already answers `simulated` for messages; a task (call, agency) is made
    `simulated` here and not written to Taches: a person must not act on a dated run.
    """
    folder = simulation_folder(as_of)
    for i, e in enumerate(execution.entries):
        if e.status == "created":
            execution.entries[i] = e.with_status(SIMULATED, lang, note=T.DETAIL_SIMULATION_NO_TASK(folder=folder))
        elif e.status == "sent":  # a simulating channel that answered "sent": still not a real send
            execution.entries[i] = e.with_status(SIMULATED, lang, note=T.DETAIL_SIMULATION(folder=folder))
    execution.task_rows.clear()


def kept_approvals(the_plan: Plan, execution: Execution) -> list[tuple[Action, Said]]:
    """The approved steps A_valider keeps ticked after a run, each with why it did not go: held by
    the planner (`Plan.held`: the gap, another message today, a setting), held back by the channel's
    daily cap, or failed (planned again by the next run, under the same key). A person's "oui" is
    never lost to a run that could not act on it."""
    kept = [(h.action, h.note) for h in the_plan.held]
    approved = {a.key: a for a in the_plan.to_send if a.requires_approval}
    for a in execution.held_back:
        if a.key in approved:
            kept.append((a, T.NOTE_KEPT_CAP()))
    for e in execution.entries:
        if e.status == "failed" and e.action_key in approved:
            kept.append((approved[e.action_key], T.NOTE_KEPT_FAILED()))
    return kept


def write_plan(backend: WorkbookBackend, snap: Snapshot, run_id: str) -> Snapshot:
    """`relance plan --write`: the Plan tab lists every planned action, approvals to tick.

    Under the run lock; should the workbook have changed since `snap` was read (a run in
    between, approvals ticked and saved), it is read again first, so that no tick is lost.
    Returns the snapshot written.
    """
    with backend.run_lock():
        if backend.changed_since_read():
            snap = snapshot(backend, dt.datetime.combine(snap.as_of, dt.time(12), dt.UTC), snap.as_of)
        backend.write([
            plan_tab(snap.book, snap.plan.actions, snap.as_of, approval_note(snap.book),
                     [(h.action, h.note) for h in snap.plan.held]),
            anomalies_tab(snap.book, snap.anomalies, run_id),
        ])
    return snap


def month_period(month: str | None, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """`--period YYYY-MM` as first and last day (default: the last complete month on or before
    as_of, so that the figures never cover a month just begun)."""
    if month is None:
        return default_period(as_of)
    else:
        year, number = (int(x) for x in month.split("-"))
        first = dt.date(year, number, 1)
    following = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
    return first, following - dt.timedelta(days=1)


def report_bundle(snap: Snapshot, period: tuple[dt.date, dt.date]) -> tuple[Report, dict[str, Any]]:
    """The report (DESIGN §5, with risk grades, predicted payment dates and reminder effectiveness)
    and what the HTML page, the Dashboard tab and the weekly summary show beside it (DSO history)."""
    from relance.engine.effectiveness import effectiveness
    from relance.engine.kpi import dso_history
    from relance.engine.report import build_report
    from relance.engine.scoring import predicted_payment_date, risk_grades

    book = snap.book
    report = build_report(book, snap.positions, snap.as_of, period=period,
                          risks=risk_grades(book, snap.positions, snap.as_of),
                          predicted=predicted_payment_date(book, snap.positions, snap.as_of))
    # everything up to as_of (the `effectiveness` key, issue 4) and over the report's period (shown)
    report = replace(report, effectiveness_all=effectiveness(book, snap.as_of),
                     effectiveness=effectiveness(book, snap.as_of, report.period))
    extras = {
        "lang": book.settings.language,
        "company": book.settings.company_name or book.settings.sender_name,
        "dso_history": dso_history(book, snap.as_of, months=12),
    }
    return report, extras


def report_page(report: Report, extras: Mapping[str, Any]) -> str:
    """`relance report --html`: the report as one self-contained page."""
    from relance.render.report_html import render_html

    return render_html(report, extras, report_templates())


def write_dashboard(backend: WorkbookBackend, snap: Snapshot, report: Report,
                    extras: Mapping[str, Any]) -> str:
    """`relance report --write`: rebuild the Dashboard tab (figures and native charts); its name."""
    from relance.render.dashboard import dashboard_tab

    name = tab_name(snap.book, "dashboard")
    with backend.run_lock():
        backend.write([dashboard_tab(name, report, extras, snap.book.language)])
    return name


def send_weekly_summary(snap: Snapshot, report: Report, extras: Mapping[str, Any],
                        recipient: str, workbook_name: str, channel: Channel) -> Delivery:
    """The weekly summary e-mail to the finance manager, once per ISO week (the key says which).

    The channel's "already sent this week?" is what it knew when it was opened: a caller that
    may run beside another sends through `weekly_summary`, which holds the run lock around it all.
    """
    from relance.engine.weekly import week
    from relance.render.summary import compose_summary, summary_context

    book = snap.book
    try:
        decisions = week(book, snap.plan, report, snap.positions, snap.as_of)
        context = summary_context(report, decisions, book.settings, book.settings.language, workbook_name,
                                  {"plan": tab_name(book, "plan"), "tasks": tab_name(book, "tasks")})
        message = compose_summary(context, Renderer(message_templates()), book.settings, recipient, snap.as_of)
        return channel.send(message)
    finally:
        channel.close()


def weekly_summary(backend: WorkbookBackend, channel_factory: Callable[[Book], Channel], now: dt.datetime,
                   as_of: dt.date | None, recipient: str, workbook_name: str) -> tuple[Snapshot, Delivery]:
    """`relance summary`: read, compute, open the channel and send this week's summary, all under
    the run lock, so that two summaries started together send one e-mail (the second waits for
    nothing: it finds the lock taken, WorkbookLocked, or this week's summary in the outbox)."""
    with backend.run_lock():
        snap = snapshot(backend, now, as_of, for_report=True)
        report, extras = report_bundle(snap, month_period(None, snap.as_of))
        channel = channel_factory(snap.book)
        return snap, send_weekly_summary(snap, report, extras, recipient, workbook_name, channel)


@dataclass
class BaselineResult:
    """What `relance baseline` recorded (or would record, with --dry-run)."""

    as_of: dt.date
    step: str
    entries: list[HistoryEntry]
    skips: list[Skip]
    dry_run: bool
    language: str = "fr"  # the workbook's, for the console

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "step": self.step, "dry_run": self.dry_run,
            "recorded": [{"customer_id": e.customer_id, "invoice_ids": list(e.invoice_ids),
                          "scenario": e.scenario, "step": e.step, "action_key": e.action_key}
                         for e in self.entries],
            "skipped": [{"customer_id": k.customer_id, "reason": k.reason, "detail": k.detail}
                        for k in self.skips],
        }


def baseline(backend: WorkbookBackend, now: dt.datetime, step: str, as_of: dt.date | None = None,
             customers: Sequence[str] = (), dry_run: bool = False) -> BaselineResult:
    """`relance baseline`: record, once, the step already reached outside relance; sends nothing."""
    with backend.run_lock():
        snap = snapshot(backend, now, as_of)
        book = snap.book
        stamp = now.astimezone(ZoneInfo(book.settings.timezone)).isoformat(timespec="seconds")
        entries, skips = baseline_entries(book, snap.positions, snap.as_of, step, run_id_for(now), stamp,
                                          frozenset(customers), graded_scenarios(book, snap.positions, snap.as_of))
        if entries and not dry_run:
            backend.write(history_write(backend, book, [*book.history, *entries]))
        return BaselineResult(snap.as_of, step, entries, skips, dry_run, book.language)
