"""A workbook held in memory: the backend of engine tests and of callers that build tabs in code.

Cells keep their Python values (a date stays a date, an amount a Decimal), as the .xlsx backend
gives them back once formatted; how each column is shown is kept in `written`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from relance.engine.errors import WorkbookLocked
from relance.engine.history_index import IndexTab
from relance.engine.sheets import CellValue, OwnedTab, RawSheet


class MemoryBackend:
    """Tabs as rows. Like the .xlsx backend it marks the tabs it writes: they read back
    `owned=True`; the tabs given at construction are the user's (`owned=False`) unless named in
    `owned` (a workbook built as relance had already written it)."""

    def __init__(self, tabs: dict[str, Sequence[Sequence[CellValue]]], location: str = "memory",
                 owned: Iterable[str] = ()) -> None:
        self.tabs: dict[str, list[list[CellValue]]] = {k: [list(r) for r in v] for k, v in tabs.items()}
        self.location = location
        self.owned: set[str] = {name.casefold() for name in owned}
        #: The last OwnedTab written under each name (casefolded): how it asked to be shown
        #: (column formats, dropdowns, header style), for tests of what a run writes.
        self.written: dict[str, OwnedTab] = {}
        self.writes = 0
        self.reads = 0
        self._locked = False
        self._version = 0
        self._read_version = -1
        self._prints: dict[str, str] = {}

    def read(self, wanted: Callable[[str], bool] | None = None) -> list[RawSheet]:
        self._read_version = self._version
        self.reads += 1
        self._prints = {name.casefold(): _fingerprint(rows) for name, rows in self.tabs.items()}
        return [
            RawSheet(name, [list(r) for r in rows] if wanted is None or wanted(name) else [],
                     owned=name.casefold() in self.owned)
            for name, rows in self.tabs.items()
        ]

    def write(self, tabs: Sequence[OwnedTab]) -> None:
        existing = {name.casefold(): name for name in self.tabs}
        index = [t for t in tabs if isinstance(t, IndexTab)]
        for tab in [t for t in tabs if not isinstance(t, IndexTab)]:
            name = existing.get(tab.name.casefold(), tab.name)
            self.tabs[name] = [list(tab.header), *[list(r) for r in tab.rows]]
            self.owned.add(name.casefold())
            self.written[name.casefold()] = tab
        for tab in index:  # last: stamped with the tabs as this write leaves them
            prints = {name.casefold(): _fingerprint(rows) for name, rows in self.tabs.items()}
            name = existing.get(tab.name.casefold(), tab.name)
            stamped = tab.stamped(prints)
            self.tabs[name] = [list(stamped.header), *[list(r) for r in stamped.rows]]
            self.owned.add(name.casefold())
            self.written[name.casefold()] = stamped
        self.writes += 1

    def fingerprints(self) -> Mapping[str, str]:
        """Each tab's cells as the last read saw them, hashed (workbook/port.IndexesHistory)."""
        return dict(self._prints)

    def as_read(self, rows: Sequence[Sequence[CellValue]]) -> list[Sequence[CellValue]]:
        """Cells come back as they were written."""
        return [list(r) for r in rows]

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


def _fingerprint(rows: Sequence[Sequence[CellValue]]) -> str:
    """A tab's cells hashed, types included (a test that edits `tabs` directly is seen too)."""
    return hashlib.sha256(repr([list(r) for r in rows]).encode("utf-8", "surrogatepass")).hexdigest()
