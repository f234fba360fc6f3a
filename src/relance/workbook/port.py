"""The seam between the app and a workbook, whatever holds it (.xlsx file, Google Sheets, Excel).

A backend reads the tabs relance needs as raw cell values in one go and writes whole
relance-owned tabs, marking each tab it writes as relance's (RawSheet.owned on the next read).
It never writes a cell of the user's own tabs. The values it trades in live in engine/sheets.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from relance.engine.sheets import OwnedTab, RawSheet


class WorkbookBackend(Protocol):
    """What the jobs need of a workbook: one read, whole-tab writes, a run lock, a change check."""

    location: str

    def read(self, wanted: Callable[[str], bool] | None = None) -> list[RawSheet]:
        """Every tab of the workbook, in order, with its `owned` mark.

        Only the tabs whose name `wanted` accepts are read (every tab when it is None); the
        others come back with no rows, whatever they hold. Memory stays bounded whatever the
        workbook holds: a tab or part too large to read safely is refused with a WorkbookError
        saying which and what to do.
        """
        ...

    def write(self, tabs: Sequence[OwnedTab]) -> None:
        """Replace (or add) the given owned tabs, leaving everything else as it was, and mark
        each of them as relance's. The caller makes sure none of them is a user's tab."""
        ...

    def run_lock(self) -> AbstractContextManager[None]:
        """Guards a run so that two overlapping runs never send the same action; every job that
        writes the workbook or sends (run, baseline, plan --write, report --write, summary)
        holds it, and one that finds it taken raises WorkbookLocked.

        Each backend holds the lock its storage allows: a kernel file lock beside an .xlsx
        (released when the process dies), a lease for a shared spreadsheet.
        """
        ...

    def changed_since_read(self) -> bool:
        """Whether the workbook may have changed since the last read (payments re-read)."""
        ...
