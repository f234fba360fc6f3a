"""From raw tabs to checked records: the first stage of the pipeline, pure and total.

`load_book(sheets)` never raises on bad data: every problem becomes an Anomaly and the row is
skipped (or kept with a safe default, as the anomaly says).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from relance.engine.anomaly import Anomaly, Source
from relance.engine.balance import Credit, InvoiceLedger, apply_all
from relance.engine.catalog import anomalies as A
from relance.engine.contract import Contract, normalize
from relance.engine.customer import Customer, parse_customers
from relance.engine.history import HistoryEntry, entries_of, read_archives, read_history
from relance.engine.history_index import IndexedTab, is_history_tab, is_index_tab
from relance.engine.i18n import Lang, lang_of
from relance.engine.invoice import Invoice, parse_invoices
from relance.engine.pause import (
    Dispute,
    Promise,
    parse_call_outcomes,
    parse_disputes,
    parse_promises,
)
from relance.engine.payment import Payment, hold_unread, parse_payments
from relance.engine.sales import MonthlySales, parse_sales
from relance.engine.scenario import Scenario, load_scenarios
from relance.engine.settings import Settings, parse_settings
from relance.engine.sheets import RawSheet
from relance.engine.table import Collector, Table, find_tables


@dataclass
class Book:
    """Everything read from a workbook, checked, with the anomalies found on the way."""

    contract: Contract  # the workbook contract the tabs were read with
    settings: Settings
    customers: dict[str, Customer]
    invoices: dict[str, Invoice]
    payments: list[Payment]
    ledgers: Mapping[str, InvoiceLedger]
    credits: list[Credit]
    disputes: list[Dispute]
    promises: list[Promise]
    scenarios: dict[str, Scenario]
    history: list[HistoryEntry]  # the History tab
    archived: list[HistoryEntry]  # History_2026-style archive tabs
    tables: dict[str, Table]
    owned: dict[str, RawSheet]
    sheet_names: list[str]
    anomalies: list[Anomaly] = field(default_factory=list)
    language: str = "fr"  # the workbook's own language: its locale setting, else its tab names
    sales: dict[str, dict[str, MonthlySales]] = field(default_factory=dict)  # Sales tab: currency -> YYYY-MM
    # Scenarios-tab ladders with an error: name -> the first cell to fix. Not in `scenarios` (nor
    # replaced by the preset of that name): their customers are stopped, not moved to another ladder.
    broken_scenarios: dict[str, Source] = field(default_factory=dict)
    #: History and its archives as read (casefolded name -> cells): what the History index of the
    #: next save says of the tabs that save leaves as they are; and the index tab itself, when
    #: there is one (engine/history_index.py).
    history_sheets: dict[str, RawSheet] = field(default_factory=dict)
    #: Whether History came from an index matching the workbook: a save that changes no History
    #: row then leaves History, its archives and the index as they are.
    history_indexed: bool = False
    #: The index's entry of each History tab taken from it (casefolded name): what the next
    #: index says of a tab that save leaves as it is, copied as it is. Such a tab's sheet in
    #: `history_sheets` holds only its rows down to the header.
    history_index: Mapping[str, IndexedTab] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return any(a.severity == "error" for a in self.anomalies)

    def tab_name(self, key: str) -> str:
        """A tab's name as the workbook spells it; in the workbook's language when it has none."""
        table = self.tables.get(key)
        if table is not None:
            return table.name
        sheet = self.owned.get(key)
        return sheet.name if sheet is not None else self.contract.tab(key).name(self.language)


def book_language(tables: Mapping[str, Table]) -> str:
    """The workbook's language: its Settings/Parametres `locale` row when it has one that names
    French or English, else its tab names (English when the invoices tab is "Invoices")."""
    said: str | None = None
    settings = tables.get("settings")
    for row in settings or ():
        if normalize(row.raw("key")) == "locale":
            raw = row.raw("value")
            if lang_of(raw, Lang.fr) == lang_of(raw, Lang.en):  # the value names a language
                said = str(lang_of(raw))  # the last readable row wins, as in parse_settings
    if said is not None:
        return said
    invoices_tab = tables.get("invoices")
    return "en" if invoices_tab is not None and invoices_tab.name.lower() == "invoices" else "fr"


def _drop_rows(tables: Mapping[str, Table], key: str) -> None:
    """Forget a tab's rows once its records are built (Table.drop_rows): the table still names
    its tab and columns (what anomalies about its cells say later)."""
    table = tables.get(key)
    if table is not None:
        table.drop_rows()


def load_book(sheets: Sequence[RawSheet], contract: Contract, presets: Mapping[str, Scenario],
              history_indexed: bool = False,
              history_parsed: Mapping[str, Sequence[Sequence[object]] | None] | None = None,
              history_index: Mapping[str, IndexedTab] | None = None) -> Book:
    """Every tab checked and turned into records.

    `contract` and `presets` (the shipped scenarios) come from the caller: the engine reads no file.
    `history_indexed`: the History tabs came from the History index, not from a read;
    `history_parsed`: what it keeps of a tab read without an anomaly (casefolded name -> the
    field columns of its records, engine/history.history_columns: its sheet then holds only
    its rows down to the header), read instead of cells; `history_index`: its entry of each tab.
    """
    c = contract
    out = Collector()
    tables, owned = find_tables(sheets, c, out)
    language = book_language(tables)
    out.lang = language
    settings = parse_settings(tables.get("settings"), (s.key for s in c.settings), out,
                              c.tab("settings").name(language))
    # each big tab read once, into records, its raw cells freed at once (before the next tab's
    # records are built): the peak of a big book is its biggest tab's rows, not all of them
    customers = parse_customers(tables.get("customers"), settings.language, out, settings.default_customer_type)
    _drop_rows(tables, "customers")
    invoices = parse_invoices(tables.get("invoices"), customers, settings, out)
    _drop_rows(tables, "invoices")
    before = len(out.items)
    payments = parse_payments(tables.get("payments"), invoices, customers, settings, out)
    hold_unread(tables.get("payments"), out.items[before:], invoices, customers, out)
    _drop_rows(tables, "payments")
    disputes = parse_disputes(tables.get("disputes"), invoices, out)
    promises = parse_promises(tables.get("promises"), invoices, out)
    called_promises, called_disputes = parse_call_outcomes(tables.get("tasks"), invoices, out)
    promises += called_promises
    disputes += called_disputes
    # disputes first: a payment without an invoice number skips the invoices contested on its date
    ledgers, credits = apply_all(invoices, payments, out, disputes)
    sales = parse_sales(tables.get("sales"), settings, out)
    scenarios, broken_scenarios = load_scenarios(tables.get("scenarios"), presets, out)
    history_table = tables.get("history")
    parsed = history_parsed or {}
    if history_table is not None and history_table.name.casefold() in parsed:
        history = entries_of(parsed[history_table.name.casefold()], scenarios)
    else:
        history = read_history(history_table, scenarios)
    archived = read_archives(sheets, c.tab("history"), scenarios, parsed)
    if settings.default_scenario not in scenarios and settings.default_scenario not in broken_scenarios:
        out.add(Source(out.tab("settings"), 1), settings.default_scenario,
                A.R094_SCENARIO(setting="default_scenario"), A.ONE_OF(choices=sorted(scenarios)), "R094")
    return Book(c, settings, customers, invoices, payments, ledgers, credits, disputes, promises, scenarios,
                history, archived, tables, owned, [s.name for s in sheets], out.items, language, sales=sales,
                broken_scenarios=broken_scenarios,
                history_sheets={s.name.casefold(): s for s in sheets if is_history_tab(c, s.name) or is_index_tab(s.name)},
                history_indexed=history_indexed, history_index=dict(history_index or {}))
