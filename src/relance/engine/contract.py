"""The workbook contract: tabs, columns and settings, built from the mapping app/ reads from
sheet_templates/workbook.yaml (docs/workbook.md describes it for people).

Header and tab names are matched after `normalize`: case, accents, spaces, hyphens and signs such
as "°" ignored, so "Échéance", "echeance" and "ECHEANCE" all name the due date, and "N° facture",
"N facture" and "n_facture" the invoice number. A choice cell ("bloquée", "hold") is matched the
same way against the spellings of both languages.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def normalize(name: object) -> str:
    """The spelling a header, tab or choice is matched on: ASCII, lower case, '_' for separators."""
    text = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode()
    text = text.strip().lower()
    for ch in " -./'’":
        text = text.replace(ch, "_")
    while "__" in text:
        text = text.replace("__", "_")
    return text.strip("_")


#: What a yes/no column offers in each language (engine/cells.parse_bool reads both, and more).
BOOL_DROPDOWN: dict[str, tuple[str, ...]] = {"fr": ("oui", "non"), "en": ("yes", "no")}


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    key: str
    en: str
    fr: str
    type: str
    width: float = 12
    required: bool = False
    aliases: tuple[str, ...] = ()
    dropdowns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # language -> values offered
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    choice_map: dict[str, str] = field(default_factory=dict)  # normalized spelling -> canonical
    format: str = ""  # "text": cells keep what is typed (codes, phone numbers)

    def header(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en

    def dropdown(self, lang: str) -> tuple[str, ...]:
        """The values the template's dropdown offers in `lang` (empty: no dropdown)."""
        return self.dropdowns.get("fr" if lang == "fr" else "en", ())

    def names(self) -> set[str]:
        return {normalize(n) for n in (self.key, self.en, self.fr, *self.aliases)}

    def choice(self, raw: object) -> str | None:
        """The canonical choice for a cell's text, or None when it is not one of them."""
        if type(raw) is str:
            exact = self.choice_map.get(raw)  # most cells are spelt as the dropdown offers
            if exact is not None:
                return exact
        return self.choice_map.get(normalize(raw))


@dataclass(frozen=True, slots=True)
class TabSpec:
    key: str
    en: str
    fr: str
    role: str
    columns: tuple[ColumnSpec, ...]
    required: bool = False
    #: Older names still read as this tab, by language (History, the English name before
    #: Reminder_log: English Excel reserves it); a tab found under one keeps it when rewritten.
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def name(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en

    def names(self) -> set[str]:
        found = {normalize(self.key), normalize(self.en), normalize(self.fr)}
        return found | {normalize(n) for names in self.aliases.values() for n in names}

    def english_names(self) -> tuple[str, ...]:
        """The English name and the older English names this tab is still read under."""
        return (self.en, *self.aliases.get("en", ()))

    def column(self, key: str) -> ColumnSpec:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    def headers(self, lang: str) -> list[str]:
        return [c.header(lang) for c in self.columns]

    def resolve_header(self, header: object) -> ColumnSpec | None:
        wanted = normalize(header)
        if not wanted:
            return None
        for col in self.columns:
            if wanted in col.names():
                return col
        return None


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """A Settings row `init` writes: its key and canonical default (engine/settings.py `spelled`
    gives the value in the template's language; catalog/settings.py its help)."""

    key: str
    default: str


@dataclass(frozen=True, slots=True)
class Contract:
    tabs: tuple[TabSpec, ...]
    settings: tuple[SettingSpec, ...]

    def tab(self, key: str) -> TabSpec:
        for t in self.tabs:
            if t.key == key:
                return t
        raise KeyError(key)

    def resolve_tab(self, sheet_name: str) -> TabSpec | None:
        wanted = normalize(sheet_name)
        for t in self.tabs:
            if wanted in t.names():
                return t
        return None

    @property
    def input_tabs(self) -> tuple[TabSpec, ...]:
        return tuple(t for t in self.tabs if t.role == "input")

    @property
    def output_tabs(self) -> tuple[TabSpec, ...]:
        return tuple(t for t in self.tabs if t.role == "output")


def _dropdowns(raw: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    given = raw.get("dropdown")
    if isinstance(given, Mapping):
        return {lang: tuple(str(v) for v in given[lang]) for lang in ("fr", "en")}
    if given:
        return {lang: tuple(str(v) for v in given) for lang in ("fr", "en")}
    if raw.get("type") == "bool":
        return dict(BOOL_DROPDOWN)
    if raw.get("choices"):
        return {lang: tuple(str(k) for k in raw["choices"]) for lang in ("fr", "en")}
    return {}


def _column(raw: dict[str, Any]) -> ColumnSpec:
    choices = {k: tuple(v) for k, v in (raw.get("choices") or {}).items()}
    choice_map = {normalize(s): k for k, spellings in choices.items() for s in (k, *spellings)}
    choice_map.update({s: k for k, spellings in choices.items() for s in (k, *spellings)})
    col = ColumnSpec(
        key=raw["key"],
        en=raw["en"],
        fr=raw["fr"],
        type=raw.get("type", "text"),
        width=float(raw.get("width", 12)),
        required=bool(raw.get("required", False)),
        aliases=tuple(raw.get("aliases", ())),
        dropdowns=_dropdowns(raw),
        choices=choices,
        choice_map=choice_map,
        format=str(raw.get("format", "")),
    )
    if choices:
        for lang, values in col.dropdowns.items():
            unread = [v for v in values if col.choice(v) is None]
            if unread:  # a dropdown must offer only what the reader understands
                raise ValueError(f"column {col.key}: the {lang} dropdown offers {unread}, not among its choices")
    return col


def _tab(raw: Mapping[str, Any]) -> TabSpec:
    tab = TabSpec(
        key=raw["key"],
        en=raw["en"],
        fr=raw["fr"],
        role=raw["role"],
        required=bool(raw.get("required", False)),
        columns=tuple(_column(c) for c in raw["columns"]),
        aliases={lang: tuple(str(n) for n in names) for lang, names in (raw.get("aliases") or {}).items()},
    )
    seen: dict[str, str] = {}
    for col in tab.columns:
        for name in col.names():
            if seen.setdefault(name, col.key) != col.key:  # a header must name one column only
                raise ValueError(f"tab {tab.key}: '{name}' names both {seen[name]} and {col.key}")
    return tab


def parse_contract(raw: Mapping[str, Any]) -> Contract:
    """The contract from its YAML document, already parsed (app/resources.py reads the file)."""
    tabs = tuple(_tab(t) for t in raw["tabs"])
    settings = tuple(SettingSpec(key=s["key"], default=str(s.get("default", ""))) for s in raw["settings"])
    return Contract(tabs=tabs, settings=settings)
