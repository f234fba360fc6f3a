"""The tabs relance owns, rebuilt from records: History, Plan, Tasks, Anomalies.

Tab names follow the workbook: an existing tab keeps its name, a new one is named in the
workbook's language (French when the invoices tab is "Factures").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from relance.engine.action import Action
from relance.engine.anomaly import Anomaly, Severity
from relance.engine.book import Book
from relance.engine.contract import normalize
from relance.engine.history import HistoryEntry
from relance.engine.position import Position
from relance.engine.sheets import CellValue, OwnedTab


def tab_name(book: Book, key: str) -> str:
    sheet = book.owned.get(key)
    return sheet.name if sheet is not None else book.contract.tab(key).name(book.language)


def _owned(book: Book, key: str, rows: Sequence[Sequence[CellValue]], name: str | None = None) -> OwnedTab:
    spec = book.contract.tab(key)
    return OwnedTab(
        name=name or tab_name(book, key),
        header=spec.headers(book.language),
        rows=rows,
        widths=[c.width for c in spec.columns],
    )


def history_tabs(book: Book, entries: Sequence[HistoryEntry]) -> list[OwnedTab]:
    """History, with the oldest rows moved to History_YYYY tabs past history_max_rows."""
    limit = book.settings.history_max_rows
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
            archive_name = existing.get(normalize(f"{name}_{year}"), f"{name}_{year}")
            tabs.append(_owned(book, "history", [e.row() for e in archived], archive_name))
    tabs.insert(0, _owned(book, "history", [e.row() for e in entries], name))
    return tabs


def anomalies_tab(book: Book, anomalies: Iterable[Anomaly], run_id: str) -> OwnedTab:
    row_word = "ligne" if book.language == "fr" else "row"
    rows: list[list[CellValue]] = [
        [str(a.severity), a.source.tab,
         a.source.cell if a.source.col is not None else f"{row_word} {a.source.row}", a.source.header, a.value, a.problem.text(book.language), a.hint.text(book.language), a.code, run_id]
        for a in anomalies
    ]
    return _owned(book, "anomalies", rows)


def plan_tab(book: Book, actions: Iterable[Action], as_of: dt.date, note: str) -> OwnedTab:
    rows: list[list[CellValue]] = []
    for a in actions:
        customer = book.customers[a.customer_id]
        rows.append([
            a.approved, a.key, as_of.isoformat(), a.customer_id, customer.name, ";".join(a.invoice_ids),
            a.scenario, a.step, a.channel, a.recipient, a.amount_due, a.currency, a.days_past_due,
            note if a.requires_approval else _NOTES[book.language]["automatic"],
        ])
    return _owned(book, "plan", rows)


_NOTES = {
    "fr": {"approve": "cochez « valider » (oui) pour l'envoyer à la prochaine exécution",
           "automatic": "envoyé automatiquement à la prochaine exécution"},
    "en": {"approve": "tick 'approve' (yes) to send it with the next run",
           "automatic": "sent automatically by the next run"},
}


def approval_note(book: Book) -> str:
    return _NOTES[book.language]["approve"]


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
    return _owned(book, "tasks", [*existing_task_rows(book), *new_rows])


def dropped_approvals(book: Book, planned: frozenset[str], positions: Mapping[str, Position]) -> list[Anomaly]:
    """Ticked approvals whose action is no longer planned: said, never sent.

    Usually the invoices were paid (or paused) since the person approved; the approval is dropped
    and the Plan tab no longer lists it.
    """
    from relance.engine import cells
    from relance.engine.table import Collector, read_table

    sheet = book.owned.get("plan")
    if sheet is None:
        return []
    found: list[Anomaly] = []
    for row in read_table(sheet, book.contract.tab("plan"), Collector()):
        flag, _ = cells.parse_bool(row.raw("approve"))
        key = cells.text(row.raw("action_key"))
        if not flag or not key or key in planned:
            continue
        ids = [i for i in cells.text(row.raw("invoice_ids")).split(";") if i]
        paid = [i for i in ids if i in positions and positions[i].status in ("settled", "overpaid")]
        from relance.engine.catalog import anomalies as A

        why = A.R603_PAID(invoices=paid, n=len(paid)) if paid else A.R603_STALE()
        found.append(Anomaly(row.source("action_key"), key, A.R603_DROPPED(why=why), A.R603_HINT(), "R603",
                             Severity.warning))
    return found
