"""The tabs relance owns, rebuilt from records: History, Plan, Tasks, Anomalies.

Tab names follow the workbook: an existing tab keeps its name, a new one is named in the
workbook's language (French when the invoices tab is "Factures").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter

from relance.engine import tab_values as tv
from relance.engine.action import Action, Skip
from relance.engine.anomaly import Anomaly, Severity
from relance.engine.book import Book
from relance.engine.catalog import tabs as T
from relance.engine.contract import normalize
from relance.engine.history import PROGRESS_STATUSES, HistoryEntry
from relance.engine.i18n import Phrase, Said
from relance.engine.planner import Plan
from relance.engine.position import Position
from relance.engine.sheets import CellFormat, CellValue, OwnedTab


def tab_name(book: Book, key: str) -> str:
    sheet = book.owned.get(key)
    return sheet.name if sheet is not None else book.contract.tab(key).name(book.language)


#: How each column relance writes is shown (by column key, whatever the tab): dates as dates,
#: amounts in their row's currency, long text wrapped. Columns not listed are plain text.
_KINDS: Mapping[str, str] = {
    "timestamp": "datetime", "as_of": "date", "planned_on": "date", "created_on": "date",
    "outcome_date": "date", "amount_due": "money", "days_past_due": "integer",
    "script": "wrap", "notes": "wrap", "problem": "wrap", "hint": "wrap",
}
#: Width (characters) at least, by kind: a date or an amount never shows as ####.
_MIN_WIDTH: Mapping[str, float] = {"date": 12, "datetime": 17, "money": 14, "integer": 8}
#: Widths of the columns whose text is read, not scanned.
_WIDTHS: Mapping[str, float] = {"script": 90, "problem": 55, "hint": 55, "note": 45, "detail": 45,
                                "step": 30, "scenario": 16, "status": 14, "channel": 10, "kind": 24, "outcome": 16,
                                "severity": 14}


def _formats(book: Book, key: str) -> list[CellFormat | None]:
    spec = book.contract.tab(key)
    keys = [c.key for c in spec.columns]
    found: list[CellFormat | None] = []
    for col in spec.columns:
        kind = _KINDS.get(col.key) or {"money": "money", "date": "date"}.get(col.type)
        if col.key == "approve":
            found.append(CellFormat("text", choices=tv.choices(tv.BOOLEANS, book.language)))
        elif col.key == "outcome":
            found.append(CellFormat("text", choices=tv.choices(tv.OUTCOMES, book.language)))
        elif kind == "money":
            found.append(CellFormat("money", currency_column=keys.index("currency") if "currency" in keys else None,
                                    currency=book.settings.default_currency if "currency" not in keys else ""))
        elif kind is not None:
            found.append(CellFormat(kind))
        else:
            found.append(None)
    return found


def _widths(book: Book, key: str) -> list[float]:
    spec = book.contract.tab(key)
    widths = []
    for col in spec.columns:
        kind = _KINDS.get(col.key, col.type)
        width = max(col.width, _WIDTHS.get(col.key, 0), _MIN_WIDTH.get(kind, 0))
        widths.append(max(width, min(len(col.header(book.language)) * 1.15 + 3, 40)))
    return widths


def _owned(book: Book, key: str, rows: Sequence[Sequence[CellValue]], name: str | None = None) -> OwnedTab:
    spec = book.contract.tab(key)
    return OwnedTab(
        name=name or tab_name(book, key),
        header=spec.headers(book.language),
        rows=rows,
        widths=_widths(book, key),
        formats=_formats(book, key),
        header_style=True,
        lang=book.language,
    )


def _stamp(text: str) -> CellValue:
    """An ISO timestamp as a date-and-time cell, in the wall-clock time it was written in."""
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return text


def history_row(book: Book, e: HistoryEntry) -> list[CellValue]:
    """A History row as the tab shows it: in the workbook's language, dates as dates."""
    lang = book.language
    scenario = book.scenarios.get(e.scenario)
    step = scenario.step(e.step) if scenario is not None else None
    return [e.run_id, _stamp(e.timestamp), e.action_key, e.customer_id, ";".join(e.invoice_ids),
            e.scenario, tv.step_label(step, lang) if step is not None else e.step,
            tv.shown(tv.CHANNELS, e.channel, lang), e.recipient, tv.shown(tv.STATUSES, e.status, lang),
            e.message_id, e.amount_due, e.currency, e.detail, e.as_of, e.via]


_FIELDS = ("run_id", "timestamp", "action_key", "customer_id", "invoice_ids", "scenario", "step", "channel",
           "recipient", "status", "message_id", "amount_due", "currency", "detail", "as_of", "via")
_GET = {name: attrgetter(name) for name in _FIELDS}


def history_rows(book: Book, entries: Sequence[HistoryEntry]) -> list[list[CellValue]]:
    """history_row of each entry, a column at a time: each distinct timestamp, step, channel and
    status is shown once (a History of 200,000 rows holds a few thousand of them)."""
    if not entries:
        return []
    lang = book.language
    columns = {name: list(map(get, entries)) for name, get in _GET.items()}

    def label(scenario_name: str, name: str) -> str:
        scenario = book.scenarios.get(scenario_name)
        step = scenario.step(name) if scenario is not None else None
        return tv.step_label(step, lang) if step is not None else name

    stamps = {t: _stamp(t) for t in dict.fromkeys(columns["timestamp"])}
    pairs = list(zip(columns["scenario"], columns["step"], strict=True))
    labels = {pair: label(*pair) for pair in dict.fromkeys(pairs)}
    channels = {c: tv.shown(tv.CHANNELS, c, lang) for c in dict.fromkeys(columns["channel"])}
    statuses = {c: tv.shown(tv.STATUSES, c, lang) for c in dict.fromkeys(columns["status"])}
    columns["timestamp"] = list(map(stamps.__getitem__, columns["timestamp"]))
    columns["invoice_ids"] = list(map(";".join, columns["invoice_ids"]))
    columns["step"] = list(map(labels.__getitem__, pairs))
    columns["channel"] = list(map(channels.__getitem__, columns["channel"]))
    columns["status"] = list(map(statuses.__getitem__, columns["status"]))
    return list(map(list, zip(*columns.values(), strict=True)))


#: A sheet's row limit (Excel's; Google Sheets and LibreOffice hold as many): the header and
#: SHEET_ROWS - 1 rows, in History as in each archive tab.
SHEET_ROWS = 1_048_576


def history_tabs(book: Book, entries: Sequence[HistoryEntry], sheet_rows: int = SHEET_ROWS) -> list[OwnedTab]:
    """History, with the oldest rows moved to History_YYYY tabs past history_max_rows.

    No tab goes past `sheet_rows` rows, header included: History keeps at most that many rows
    whatever history_max_rows says, and a year's archive too large for one tab goes on in
    History_YYYY_2, History_YYYY_3... (read back in that order: tabs are added after the others)."""
    room = sheet_rows - 1
    limit = min(book.settings.history_max_rows, room)
    name = tab_name(book, "history")
    tabs: list[OwnedTab] = []
    if len(entries) > limit:
        overflow, entries = entries[: len(entries) - limit], entries[len(entries) - limit:]
        by_year: dict[str, list[HistoryEntry]] = defaultdict(list)
        for e in book.archived:
            by_year[e.timestamp[:4] or "0000"].append(e)
        for e in overflow:
            by_year[e.timestamp[:4] or "0000"].append(e)
        existing = {normalize(n): n for n in book.sheet_names}
        for year, archived in sorted(by_year.items()):
            for part, start in enumerate(range(0, len(archived), room), start=1):
                wanted = f"{name}_{year}" if part == 1 else f"{name}_{year}_{part}"
                archive_name = existing.get(normalize(wanted), wanted)
                tabs.append(_owned(book, "history", history_rows(book, archived[start:start + room]), archive_name))
    tabs.insert(0, _owned(book, "history", history_rows(book, entries), name))
    return tabs


def anomalies_tab(book: Book, anomalies: Iterable[Anomaly], run_id: str) -> OwnedTab:
    lang = book.language
    rows: list[list[CellValue]] = [
        [tv.shown(tv.SEVERITIES, str(a.severity), lang), a.source.tab,
         a.source.cell if a.source.col is not None else T.ROW.text(lang, row=a.source.row), a.source.header,
         a.value, a.problem.text(lang), a.hint.text(lang), a.code, run_id]
        for a in anomalies
    ]
    return _owned(book, "anomalies", rows)


def plan_tab(book: Book, actions: Iterable[Action], as_of: dt.date, note: str,
             kept: Iterable[tuple[Action, Said]] = ()) -> OwnedTab:
    """The Plan (A_valider) rows: `actions`, then the approved steps `kept` for a later run (each
    ticked, with its own note: why it did not go today), so that no tick is lost."""
    lang = book.language
    rows: list[list[CellValue]] = []
    notes = {a.key: n.text(lang) for a, n in kept}
    for a in [*actions, *(a for a, _ in kept)]:
        customer = book.customers[a.customer_id]
        scenario = book.scenarios.get(a.scenario)
        step = scenario.step(a.step) if scenario is not None else None
        rows.append([
            (T.YES if a.approved else T.NO).text(lang), a.key, as_of, a.customer_id, customer.name,
            ";".join(a.invoice_ids), a.scenario, tv.step_label(step, lang) if step is not None else a.step,
            tv.shown(tv.CHANNELS, a.channel, lang), a.recipient, a.amount_due, a.currency, a.days_past_due,
            notes[a.key] if a.key in notes else note if a.requires_approval else T.NOTE_AUTOMATIC.text(lang),
        ])
    return _owned(book, "plan", rows)


def approval_note(book: Book) -> str:
    """The Plan note of an action waiting for a person's "oui"."""
    column = book.contract.tab("plan").column("approve").header(book.language)
    return T.NOTE_APPROVE.text(book.language, column=column)


def task_row(book: Book, values: Sequence[CellValue]) -> list[CellValue]:
    """A Tasks row in the workbook's language: its kind (call, agency) said in words."""
    spec = book.contract.tab("tasks")
    row = list(values)
    keys = [c.key for c in spec.columns]
    if "kind" in keys and keys.index("kind") < len(row):
        i = keys.index("kind")
        kind = tv.key_of(tv.KINDS, row[i]) if row[i] not in (None, "") else ""
        if kind in tv.KINDS:
            row[i] = tv.shown(tv.KINDS, kind, book.language)
    return row


def approved_keys(book: Book) -> frozenset[str]:
    """Action keys ticked in the Plan tab."""
    from relance.engine import cells
    from relance.engine.table import Collector, read_table

    sheet = book.owned.get("plan")
    if sheet is None:
        return frozenset()
    table = read_table(sheet, book.contract.tab("plan"), Collector())
    keys = set()
    for row in table:
        flag, _ = cells.parse_bool(row.raw("approve"))
        if flag:
            keys.add(cells.text(row.raw("action_key")))
    return frozenset(keys)


def existing_task_rows(book: Book) -> list[list[CellValue]]:
    """The Tasks rows already there, as the user left them (outcomes included)."""
    from relance.engine.table import Collector, read_table

    sheet = book.owned.get("tasks")
    if sheet is None:
        return []
    spec = book.contract.tab("tasks")
    table = read_table(sheet, spec, Collector())
    return [[row.raw(c.key) for c in spec.columns] for row in table]


def tasks_tab(book: Book, new_rows: Sequence[Sequence[CellValue]]) -> OwnedTab:
    return _owned(book, "tasks", [task_row(book, r) for r in (*existing_task_rows(book), *new_rows)])


def dropped_approvals(book: Book, the_plan: Plan, positions: Mapping[str, Position]) -> list[Anomaly]:
    """Ticked approvals that no longer apply: said with the reason, never sent, never silent.

    An approval still planned (`the_plan.actions`) or held for a later day (`the_plan.held`, the
    Plan tab keeps it ticked) is not dropped. The others are said: already done (History), invoices
    paid or paused since (disputed, on hold, under a promise, the customer paused or opted out)
    (R603); the step now listing other invoices, its new row waiting for a new "oui" (R650: a
    person approved a message about those invoices, not about others).
    """
    from relance.engine import cells
    from relance.engine.catalog import anomalies as A
    from relance.engine.table import Collector, read_table

    sheet = book.owned.get("plan")
    if sheet is None:
        return []
    planned = {a.key for a in the_plan.actions} | {h.action.key for h in the_plan.held}
    found: list[Anomaly] = []
    done: dict[str, HistoryEntry] | None = None
    by_customer: dict[str, list[Action]] | None = None
    waiting: dict[str, list[Skip]] = {}  # customer -> the steps the gap holds back today
    for row in read_table(sheet, book.contract.tab("plan"), Collector()):
        flag, _ = cells.parse_bool(row.raw("approve"))
        key = cells.text(row.raw("action_key"))
        if not flag or not key or key in planned:
            continue
        if done is None or by_customer is None:  # once, and only when a tick is not planned
            done = {e.action_key: e for e in (*book.archived, *book.history) if e.status in PROGRESS_STATUSES}
            by_customer = defaultdict(list)
            for a in the_plan.actions:
                by_customer[a.customer_id].append(a)
            waiting = defaultdict(list)
            for k in the_plan.skips:
                if k.reason == "cooldown":
                    waiting[k.customer_id].append(k)
        ids = [i for i in cells.text(row.raw("invoice_ids")).split(";") if i]
        cid, step = cells.text(row.raw("customer_id")), cells.text(row.raw("step"))
        paid = [i for i in ids if i in positions and positions[i].status in ("settled", "overpaid")]
        paused = {i: positions[i].paused for i in ids if i in positions and positions[i].paused}
        now_listed = [a for a in by_customer.get(cid, ()) if a.key != key
                      and _same_step(book, a, step) and set(a.invoice_ids) != set(ids)]
        later = [k for k in waiting.get(cid, ()) if _same_level(book, k, cells.text(row.raw("scenario")), step)
                 and set(k.invoice_ids) != set(ids)] if not now_listed else []
        where = row.source("action_key")
        if key in done and done[key].as_of is not None:
            found.append(Anomaly(where, key, A.R603_DONE(day=done[key].as_of), A.R603_HINT(), "R603",
                                 Severity.warning))
            continue
        if paid:
            why = A.R603_PAID(invoices=paid, n=len(paid))
        elif paused:
            reasons = sorted(set(paused.values()))
            why = A.R603_PAUSED(invoices=sorted(paused), n=len(paused),
                                why=[_PAUSED[r]() for r in reasons if r in _PAUSED])
        elif now_listed:
            new = now_listed[0]
            found.append(Anomaly(where, key, A.R650_CHANGED(invoices=list(new.invoice_ids), n=len(new.invoice_ids),
                                                           was=ids),
                                 A.R650_HINT(column=book.contract.tab("plan").column("approve").header(book.language),
                                             key=new.key), "R650", Severity.warning))
            continue
        elif later:  # the gap holds the step back today, and it will list other invoices when it goes
            listed = list(later[0].invoice_ids)
            found.append(Anomaly(where, key, A.R650_CHANGED(invoices=listed, n=len(listed), was=ids),
                                 A.R650_HINT_LATER(), "R650", Severity.warning))
            continue
        else:
            why = A.R603_STALE()
        found.append(Anomaly(where, key, A.R603_DROPPED(why=why), A.R603_HINT(), "R603", Severity.warning))
    return found


def _same_step(book: Book, action: Action, shown_step: str) -> bool:
    """Whether `action` is the step a Plan row names (by name, or by its label in either language)."""
    if shown_step == action.step:
        return True
    scenario = book.scenarios.get(action.scenario)
    step = scenario.step(action.step) if scenario is not None else None
    return step is not None and shown_step in (tv.step_label(step, "fr"), tv.step_label(step, "en"))


def _same_level(book: Book, skip: Skip, scenario_name: str, shown_step: str) -> bool:
    """Whether a skipped step (a level's first step) is on the same day of the ladder as the step a
    Plan row names (the letter of a formal notice shares its e-mail's level)."""
    scenario = book.scenarios.get(skip.scenario)
    if scenario is None or skip.scenario != scenario_name:
        return False
    skipped = scenario.step(skip.step)
    named = scenario.step(shown_step) or next(
        (s for s in scenario.steps if shown_step in (tv.step_label(s, "fr"), tv.step_label(s, "en"))), None)
    return skipped is not None and named is not None and skipped.offset_days == named.offset_days


def _paused_phrases() -> dict[str, Phrase]:
    from relance.engine.catalog import anomalies as A

    return {"disputed": A.R603_WHY_DISPUTED, "hold": A.R603_WHY_HOLD, "promise": A.R603_WHY_PROMISE,
            "customer_paused": A.R603_WHY_CUSTOMER_PAUSED, "opt_out": A.R603_WHY_OPT_OUT}


_PAUSED = _paused_phrases()
