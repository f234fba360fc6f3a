"""A workbook held in memory: the backend of engine tests and of callers that build tabs in code."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from relance.engine.errors import WorkbookLocked
from relance.engine.sheets import CellValue, OwnedTab, RawSheet


class MemoryBackend:
    def __init__(self, tabs: dict[str, Sequence[Sequence[CellValue]]], location: str = "memory") -> None:
        self.tabs: dict[str, list[list[CellValue]]] = {k: [list(r) for r in v] for k, v in tabs.items()}
        self.location = location
        self.writes = 0
        self._locked = False
        self._version = 0
        self._read_version = -1

    def read(self) -> list[RawSheet]:
        self._read_version = self._version
        return [RawSheet(name, [list(r) for r in rows]) for name, rows in self.tabs.items()]

    def write(self, tabs: Sequence[OwnedTab]) -> None:
        existing = {name.lower(): name for name in self.tabs}
        for tab in tabs:
            name = existing.get(tab.name.lower(), tab.name)
            self.tabs[name] = [list(tab.header), *[list(r) for r in tab.rows]]
        self.writes += 1

    def edit(self, tab: str, rows: Sequence[Sequence[CellValue]]) -> None:
        """A user's change between two reads (for tests of the payments re-read)."""
        self.tabs[tab] = [list(r) for r in rows]
        self._version += 1

    def changed_since_read(self) -> bool:
        return self._version != self._read_version

    @contextmanager
    def run_lock(self) -> Iterator[None]:
        if self._locked:
            raise WorkbookLocked("another relance run is using this workbook")
        self._locked = True
        try:
            yield
        finally:
            self._locked = False
