"""The seam between the app and a workbook, whatever holds it (.xlsx file, Google Sheets, Excel).

A backend reads every tab as raw cell values in one go and writes whole relance-owned tabs.
It never writes a cell of the user's own tabs. The values it trades in live in engine/sheets.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from relance.engine.sheets import OwnedTab, RawSheet


class WorkbookBackend(Protocol):
    """What the jobs need of a workbook: one read, whole-tab writes, a run lock, a change check."""

    location: str

    def read(self) -> list[RawSheet]:
        """Every tab of the workbook, in order."""
        ...

    def write(self, tabs: Sequence[OwnedTab]) -> None:
        """Replace (or add) the given owned tabs, leaving everything else as it was."""
        ...

    def run_lock(self) -> AbstractContextManager[None]:
        """Guards a run so that two overlapping runs never send the same action.

        Each backend holds the lock its storage allows: a kernel file lock beside an .xlsx
        (released when the process dies), a lease for a shared spreadsheet.
        """
        ...

    def changed_since_read(self) -> bool:
        """Whether the workbook may have changed since the last read (payments re-read)."""
        ...
