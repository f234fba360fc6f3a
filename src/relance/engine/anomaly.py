"""Data problems as values: where (tab, cell), what (value, problem) and how to fix it (hint).

Like beancount's errors, anomalies are collected, never raised: a bad row is skipped and the
run goes on. They are rebuilt into the Anomalies tab at every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from relance.engine.catalog.anomalies import ANOMALY_LINE, AT_ROW, LINE_VALUE
from relance.engine.i18n import Said


class Severity(StrEnum):
    error = "error"  # the row (or value) was not used
    warning = "warning"  # the row was used; the user should still look


def column_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 26 -> AA)."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


class Source(NamedTuple):
    """The place a value came from: sheet name as the user spelt it, 1-based row, 0-based column."""

    tab: str
    row: int
    col: int | None = None
    header: str = ""

    @property
    def cell(self) -> str:
        if self.col is None:
            return f"{self.row}"
        return f"{column_letter(self.col)}{self.row}"

    def at(self, col: int | None, header: str = "") -> Source:
        return Source(self.tab, self.row, col, header)

    def __str__(self) -> str:
        return self.text("en")

    def said(self) -> Said:
        """The place, said in both languages ("Factures!B3", "Factures, ligne 3" / "Factures row 3")."""
        if self.col is not None:
            return Said.verbatim(f"{self.tab}!{self.cell}")
        return AT_ROW(tab=self.tab, row=self.row)

    def text(self, lang: str) -> str:
        return self.said().text(lang)


@dataclass(frozen=True, slots=True, init=False)
class Anomaly:
    """One problem: `problem` and `hint` are said in both languages (relance.engine.catalog) and
    rendered in the workbook's language where they are shown (`text`). `code` is stable."""

    source: Source
    value: str
    problem: Said
    hint: Said
    code: str
    severity: Severity = Severity.error

    def __init__(self, source: Source, value: str, problem: Said, hint: Said, code: str,
                 severity: Severity = Severity.error) -> None:
        if not isinstance(problem, Said) or not isinstance(hint, Said):  # every text is in the catalog
            raise TypeError("an anomaly's problem and hint are Said (relance.engine.catalog.anomalies)")
        setattr_ = object.__setattr__
        setattr_(self, "source", source)
        setattr_(self, "value", value)
        setattr_(self, "problem", problem)
        setattr_(self, "hint", hint)
        setattr_(self, "code", code)
        setattr_(self, "severity", severity)

    def text(self, lang: str) -> str:
        """The whole anomaly in one line, in `lang`."""
        shown = LINE_VALUE(value=self.value) if self.value != "" else ""
        return ANOMALY_LINE.text(lang, place=self.source.said(), value=shown, problem=self.problem, hint=self.hint)

    def __str__(self) -> str:
        return self.text("en")


def describe(value: object) -> str:
    """How a cell value is shown in a message: short, and recognisable by the user."""
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
