"""A workbook held in memory: the backend of engine tests and of callers that build tabs in code.

Cells keep their Python values (a date stays a date, an amount a Decimal), as the .xlsx backend
gives them back once formatted; how each column is shown is kept in `written`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from relance.engine.errors import WorkbookLocked
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

    def read(self, wanted: Callable[[str], bool] | None = None) -> list[RawSheet]:
        self._read_version = self._version
        self.reads += 1
        return [
            RawSheet(name, [list(r) for r in rows] if wanted is None or wanted(name) else [],
                     owned=name.casefold() in self.owned)
            for name, rows in self.tabs.items()
        ]

    def write(self, tabs: Sequence[OwnedTab]) -> None:
        existing = {name.casefold(): name for name in self.tabs}
        for tab in tabs:
            name = existing.get(tab.name.casefold(), tab.name)
            self.tabs[name] = [list(tab.header), *[list(r) for r in tab.rows]]
            self.owned.add(name.casefold())
            self.written[name.casefold()] = tab
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
