"""Data problems as values: where (tab, cell), what (value, problem) and how to fix it (hint).

Like beancount's errors, anomalies are collected, never raised: a bad row is skipped and the
run goes on. They are rebuilt into the Anomalies tab at every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


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
        return f"{self.tab}!{self.cell}" if self.col is not None else f"{self.tab} row {self.row}"


@dataclass(frozen=True, slots=True)
class Anomaly:
    source: Source
    value: str
    problem: str
    hint: str
    code: str
    severity: Severity = Severity.error

    def __str__(self) -> str:
        shown = f" {self.value!r}" if self.value != "" else ""
        return f"{self.source}:{shown} {self.problem}; {self.hint}"


def describe(value: object) -> str:
    """How a cell value is shown in a message: short, and recognisable by the user."""
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
