"""Reminder_log (formerly History) / Historique: one row per message, the proof of what was sent and the idempotency index.

Rows are only appended; a row's status moves from `pending` to its outcome. Any status that may
mean the customer received the message (pending included: its outcome is unknown) blocks the
same action from being sent again.

Each row says, in columns of its own, the run date its action was planned for (`as_of`) and
where its message went (`via`: the transport and, for a folder, its absolute path, e.g.
`outbox:/home/compta/relances_outbox`); a `pending` row left by a crash is settled by asking
that very place. Rows written before these columns existed said both in `detail`
("via outbox; as of 2026-11-23"): they are read from there, and only for those rows.

`detail` is a note for people, written in the workbook's language from the catalog
(`with_status`, `note_text`); nothing reads it back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from itertools import repeat
from operator import attrgetter
from typing import TypeVar, cast

from relance.engine import cells
from relance.engine.catalog import tabs as T
from relance.engine.contract import TabSpec, normalize
from relance.engine.i18n import Said
from relance.engine.scenario import Scenario
from relance.engine.sheets import CellValue, RawSheet
from relance.engine.tab_values import CHANNELS, STATUSES, StepNames, key_of
from relance.engine.table import Table

# statuses after which the action must never be sent again (`unknown`: sent through a server
# that cannot be asked whether it took the message, SMTP; a person decides)
SENT_STATUSES = frozenset(
    {"pending", "sent", "created", "delivered", "opened", "clicked", "replied", "bounced", "blocked", "spam",
     "unknown", "unsub"}
)
#: ... and the statuses that say a step was reached: those, and a `baseline` row recording a
#: reminder made outside relance (`relance baseline`), which was never sent by relance.
PROGRESS_STATUSES = SENT_STATUSES | {"baseline"}
_AS_OF = re.compile(r"as of (\d{4}-\d{2}-\d{2})")
_VIA = re.compile(r"^via ([^;]+)")
#: Archive tabs: Historique_2026, Reminder_log_2026, and History_2026 (the English name before
#: Reminder_log, still read; a workbook whose log is "History" keeps archiving under that name);
#: a year past a sheet's row limit goes on in Historique_2026_2, Historique_2026_3...
ARCHIVE_TAB = re.compile(r"^(history|historique|reminder_log)_(\d{4})(?:_(\d{1,3}))?$")


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    run_id: str
    timestamp: str
    action_key: str
    customer_id: str
    invoice_ids: tuple[str, ...]
    scenario: str
    step: str
    channel: str
    recipient: str
    status: str
    message_id: str
    amount_due: Decimal | None
    currency: str
    detail: str
    #: The run date the action was planned for (may differ from the timestamp with --as-of).
    #: Left out, it is read from an older row's detail ("as of 2026-11-23"), else the timestamp.
    as_of: dt.date | None = None
    #: Where the message went: `outbox:/abs/folder`, `simulation:/abs/folder`, `baseline`, a
    #: provider's name. Left out, it is read from an older row's detail ("via outbox"): a bare
    #: transport name, without the folder.
    via: str = ""

    def __post_init__(self) -> None:
        if self.as_of is None:
            object.__setattr__(self, "as_of", _legacy_as_of(self.detail, self.timestamp))
        if not self.via:
            found = _VIA.match(self.detail)
            if found:
                object.__setattr__(self, "via", found[1].strip())

    @property
    def blocks_resend(self) -> bool:
        return self.status in SENT_STATUSES

    @property
    def transport(self) -> str:
        """The transport's name in `via` ("outbox" for `outbox:/abs/folder`)."""
        return self.via.partition(":")[0]

    @property
    def place(self) -> str:
        """The folder (or account) in `via`; "" for a row that names only its transport."""
        return self.via.partition(":")[2]

    def with_status(self, status: str, lang: str, message_id: str = "", note: Said | None = None) -> HistoryEntry:
        """The row with its outcome; `note` said in `lang` (the workbook's) after what it says."""
        detail = self.detail
        if note:
            detail = T.DETAIL_THEN.text(lang, first=detail, then=note) if detail else note_text(note, lang)
        return replace(self, status=status, message_id=message_id or self.message_id, detail=detail)

    def row(self) -> list[CellValue]:
        return [self.run_id, self.timestamp, self.action_key, self.customer_id, ";".join(self.invoice_ids),
                self.scenario, self.step, self.channel, self.recipient, self.status, self.message_id,
                self.amount_due, self.currency, self.detail,
                self.as_of.isoformat() if self.as_of else "", self.via]


def note_text(note: Said, lang: str) -> str:
    """A History note as its cell shows it: in `lang`, starting with a capital."""
    text = note.text(lang)
    return text[:1].upper() + text[1:]


def _legacy_as_of(detail: str, timestamp: str) -> dt.date | None:
    found = _AS_OF.search(detail)
    try:
        return dt.date.fromisoformat(found[1] if found else timestamp[:10])
    except ValueError:
        return None


def _timestamp(value: object) -> str:
    """A timestamp cell as ISO text: a date-and-time cell (to the second), or the text written."""
    if isinstance(value, dt.datetime):
        return (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0).isoformat()
    return cells.text(value)


def read_status(raw: object) -> str:
    """A History status cell as its key. Blank is `pending` (a row written ahead); a word relance
    never writes (a hand edit, a damaged cell) is `unknown`, "to check": the message may have
    left, so it is never sent again on its own, and the row is listed for a person to settle."""
    status = key_of(STATUSES, raw)
    if not status:
        return "pending"
    return status if status in STATUSES else "unknown"


def _entry(get: Callable[[str], object], steps: StepNames | None) -> HistoryEntry:
    amount, _ = cells.parse_amount(get("amount_due"))
    ids = tuple(i for i in cells.text(get("invoice_ids")).split(";") if i)
    key, customer, scenario = cells.text(get("action_key")), cells.text(get("customer_id")), cells.text(get("scenario"))
    step = cells.text(get("step"))
    if steps is not None:
        step = steps.name(scenario, step, key, customer, ids)
    return HistoryEntry(
        run_id=cells.text(get("run_id")), timestamp=_timestamp(get("timestamp")),
        action_key=key, customer_id=customer, invoice_ids=ids, scenario=scenario, step=step,
        channel=key_of(CHANNELS, get("channel")) if get("channel") not in (None, "") else "",
        recipient=cells.text(get("recipient")),
        status=read_status(get("status")), message_id=cells.text(get("message_id")),
        amount_due=amount, currency=cells.text(get("currency")), detail=cells.text(get("detail")),
        as_of=cells.parse_date(get("as_of"))[0], via=cells.text(get("via")),
    )


_SAME_WHEN_EQUAL = frozenset({str, int, bool, type(None), dt.date})
_T = TypeVar("_T")
_ZONE = attrgetter("tzinfo")  # naive date-times (what a sheet holds) are the same when equal


def _column(values: Sequence[CellValue], parse: Callable[[CellValue], _T]) -> list[_T]:
    """`parse` of each cell of a column, computed once per distinct cell (a History column holds
    few: statuses, channels, dates, amounts, customers); a blank cell ("") is read as None, as
    Table rows give it. Cells equal yet different (1 and 1.0, 1.0 and 1.00, -0.0 and 0.0, one
    instant in two time zones) are told apart by their type and repr."""
    kinds = set(map(type, values))
    if (kinds <= _SAME_WHEN_EQUAL and not {bool, int} <= kinds) or (
            kinds == {dt.datetime} and not any(map(_ZONE, values))):
        # no two cells of different types are equal here (True == 1 is the one such pair):
        # a cell is its own key
        parsed_by_cell = {value: parse(None if value == "" else value) for value in dict.fromkeys(values)}
        return list(map(parsed_by_cell.__getitem__, values))
    if kinds <= _SAME_WHEN_EQUAL:
        keys: list[tuple[type, object]] = list(zip(map(type, values), values, strict=True))
    else:
        keys = list(zip(map(type, values), map(repr, values), strict=True))
    distinct = dict(zip(keys, values, strict=True))  # one cell per key (any: they read the same)
    parsed = {key: parse(None if value == "" else value) for key, value in distinct.items()}
    return list(map(parsed.__getitem__, keys))


def _texts(values: Sequence[CellValue]) -> list[str]:
    """cells.text of each cell of a column: a column of text (most) stripped at C speed."""
    if set(map(type, values)) <= {str}:
        return list(map(str.strip, values))  # type: ignore[arg-type]
    return _column(values, cells.text)


#: HistoryEntry's fields in order, and each one's slot: entries built a column at a time
_FIELDS = tuple(f.name for f in fields(HistoryEntry))
_SLOTS = tuple(getattr(HistoryEntry, name) for name in _FIELDS)


def _entries(columns: Sequence[Sequence[object]]) -> list[HistoryEntry]:
    """HistoryEntry(*row) for each row of these columns (one per field, in order; `as_of` and
    `via` already read from an older row's detail where left out: history_columns), filled a
    slot at a time across every row: what the constructor and __post_init__ make, without their
    per-field cost (a frozen dataclass sets each field through object.__setattr__)."""
    n = len(columns[0])
    made = list(map(object.__new__, repeat(HistoryEntry, n)))
    for slot, column in zip(_SLOTS, columns, strict=True):
        deque(map(slot.__set__, made, column), maxlen=0)
    return made


#: The position of `step` among the columns (HistoryEntry's fields, in order).
STEP = _FIELDS.index("step")


def history_columns(table: Table | None) -> list[Sequence[object]] | None:
    """History's rows as HistoryEntry's field values, one column per field in order, with each
    step as written (a label or a name: `named_steps` reads it); None when there is no row.

    Read column by column, each distinct value of a column once, exactly as `_entry` reads a row
    (read_history_by_row, the reference test_history_index holds it to): 200,000 rows cost
    their rows, not their cells. What the History index keeps of a tab (engine/history_index.py)."""
    if table is None:
        return None
    keyed = table.columns.get("action_key")
    data = [r for _, r in table.data if keyed < len(r) and r[keyed]] if keyed is not None else []
    if not data:
        return None

    width = min(map(len, data))
    wanted = [j for j in table.columns.values() if j is not None]
    transposed: list[tuple[CellValue, ...]] = (
        list(zip(*data, strict=True)) if wanted and max(wanted) < width and max(map(len, data)) == width else [])

    def column(key: str) -> Sequence[CellValue]:
        j = table.columns.get(key)
        if j is None:
            return [None] * len(data)
        if transposed:
            found, transposed[j] = transposed[j], ()  # each column is read once: freed as it is parsed
            return found
        return [r[j] for r in data] if j < width else [r[j] if j < len(r) else None for r in data]

    text = cells.text
    run_ids = _texts(column("run_id"))
    stamps = _column(column("timestamp"), _timestamp)
    keys = _texts(column("action_key"))
    customers = _texts(column("customer_id"))
    ids = _column(column("invoice_ids"), lambda v: tuple(i for i in text(v).split(";") if i))
    scenario_names = _texts(column("scenario"))
    steps = _texts(column("step"))
    channels = _column(column("channel"), lambda v: key_of(CHANNELS, v) if v is not None else "")
    recipients = _texts(column("recipient"))
    statuses = _column(column("status"), read_status)
    message_ids = _texts(column("message_id"))
    amounts = _column(column("amount_due"), lambda v: cells.parse_amount(v)[0])
    currencies = _texts(column("currency"))
    detail = _texts(column("detail"))
    as_of = _column(column("as_of"), lambda v: cells.parse_date(v)[0])
    via = _texts(column("via"))
    # what HistoryEntry.__post_init__ reads of an older row's detail: its run date, its transport
    if None in as_of:
        as_of = [_legacy_as_of(d, t) if a is None else a for a, d, t in zip(as_of, detail, stamps, strict=True)]
    if "" in via:
        found = [_VIA.match(d) if not v else None for v, d in zip(via, detail, strict=True)]
        via = [m[1].strip() if m else v for v, m in zip(via, found, strict=True)]
    return [run_ids, stamps, keys, customers, ids, scenario_names, steps, channels, recipients, statuses,
            message_ids, amounts, currencies, detail, as_of, via]


def named_steps(columns: Sequence[Sequence[object]], scenarios: Mapping[str, Scenario] | None) -> list[object]:
    """The step column of `history_columns`, each step read by name or by label through
    `scenarios` (their labels, else the row's action key); as written without scenarios.
    Each distinct (scenario, step) pair is looked up once; only a row whose step no ladder
    names is settled by its own key."""
    steps = list(columns[STEP])
    if not scenarios or not steps:
        return steps
    names = StepNames.of(scenarios)
    scenario_names = cast(Sequence[str], columns[_FIELDS.index("scenario")])
    pairs = list(zip(scenario_names, cast(Sequence[str], steps), strict=True))
    labels: dict[tuple[str, str], str | None] = {}
    for scenario, raw in dict.fromkeys(pairs):
        words = names.by_scenario.get(scenario)
        labels[(scenario, raw)] = raw if words is None else (words.get(raw) or words.get(normalize(raw)))
    named: list[object] = list(map(labels.__getitem__, pairs))
    if None in named:
        keys, customers, ids = (columns[_FIELDS.index(k)] for k in ("action_key", "customer_id", "invoice_ids"))
        for i, known in enumerate(named):
            if known is None:
                scenario, raw = pairs[i]
                named[i] = names.name(scenario, raw, cast(str, keys[i]), cast(str, customers[i]),
                                      cast(tuple[str, ...], ids[i]))
    return named


def entries_of(columns: Sequence[Sequence[object]] | None,
               scenarios: Mapping[str, Scenario] | None = None) -> list[HistoryEntry]:
    """The HistoryEntry of each row of `history_columns`, steps named through `scenarios`."""
    if not columns or not columns[0]:
        return []
    return _entries([*columns[:STEP], named_steps(columns, scenarios), *columns[STEP + 1:]])


def read_history(table: Table | None, scenarios: Mapping[str, Scenario] | None = None) -> list[HistoryEntry]:
    """History rows with their machine values, whatever language they were written in.

    Statuses and channels are read in French or English (`envoyé`, `sent`); steps by name or by
    label, through `scenarios` (their labels, else the row's action key). Column by column
    (history_columns, named_steps)."""
    return entries_of(history_columns(table), scenarios)


def read_history_by_row(table: Table | None, scenarios: Mapping[str, Scenario] | None = None) -> list[HistoryEntry]:
    """read_history as it was, cell by cell (`_entry`): the reference the tests hold it to."""
    if table is None:
        return []
    steps = StepNames.of(scenarios) if scenarios else None
    return [_entry(row.raw, steps) for row in table if row.raw("action_key")]


def read_archives(sheets: Sequence[RawSheet], history_spec: TabSpec,
                  scenarios: Mapping[str, Scenario] | None = None,
                  parsed: Mapping[str, Sequence[Sequence[object]] | None] | None = None) -> list[HistoryEntry]:
    """Rows moved to History_2026-style tabs still count for idempotency. `parsed`: the field
    columns the History index keeps of a tab (casefolded name -> history_columns), read instead
    of its cells."""
    from relance.engine.table import Collector, read_table

    entries: list[HistoryEntry] = []
    for sheet in sheets:
        if ARCHIVE_TAB.match(normalize(sheet.name)):
            key = sheet.name.casefold()
            if parsed is not None and key in parsed:
                entries.extend(entries_of(parsed[key], scenarios))
            else:
                entries.extend(read_history(read_table(sheet, history_spec, Collector()), scenarios))
    return entries


_STATUS, _KEY, _CUSTOMER = attrgetter("status"), attrgetter("action_key"), attrgetter("customer_id")


@dataclass(frozen=True)
class HistoryIndex:
    """What has been sent: by action key, and the furthest step each invoice has reached; and
    every row of each customer, whatever its status (what a hand-off package lists).

    Built once per run: a lookup per action costs that action's rows, never a pass over History
    (a pass per hand-off made the approval day quadratic)."""

    keys: frozenset[str]
    entries_by_invoice: dict[str, tuple[HistoryEntry, ...]]
    rows_by_customer: Mapping[str, tuple[HistoryEntry, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, entries: Iterable[HistoryEntry], statuses: frozenset[str] = SENT_STATUSES) -> HistoryIndex:
        """The rows whose status is in `statuses` (by default: those that block a resend) by key
        and invoice; every row by customer, in the order given."""
        rows = entries if isinstance(entries, list | tuple) else list(entries)
        by_customer: defaultdict[str, list[HistoryEntry]] = defaultdict(list)
        for customer, e in zip(map(_CUSTOMER, rows), rows, strict=True):
            by_customer[customer].append(e)
        kept = [e for e, status in zip(rows, map(_STATUS, rows), strict=True) if status in statuses]
        by_invoice: defaultdict[str, list[HistoryEntry]] = defaultdict(list)
        for e in kept:
            for iid in e.invoice_ids:
                by_invoice[iid].append(e)
        return cls(frozenset(map(_KEY, kept)), {k: tuple(v) for k, v in by_invoice.items()},
                   {k: tuple(v) for k, v in by_customer.items()})

    def customer_rows(self, customer_id: str) -> tuple[HistoryEntry, ...]:
        """Every row of this customer (archives first, as given to `build`)."""
        return self.rows_by_customer.get(customer_id, ())
