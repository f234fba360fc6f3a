"""The seam between the app and a workbook, whatever holds it (.xlsx file, Google Sheets, Excel).

A backend reads the tabs relance needs as raw cell values in one go and writes whole
relance-owned tabs, marking each tab it writes as relance's (RawSheet.owned on the next read).
It never writes a cell of the user's own tabs. The values it trades in live in engine/sheets.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from relance.engine.sheets import CellValue, OwnedTab, RawSheet


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


class ClaimsActions(Protocol):
    """An optional capability of a backend that has no run lock (a shared spreadsheet): after a
    run has appended its `pending` History rows, which of those actions it may send.

    Two runs that planned the same action from the same History both append a row for it; the
    storage serialises appends, so the first row appended since the read names the one run that
    sends it. `lease` is how long another run's `pending` row is presumed to belong to a run still
    working: younger, it blocks its action without being reconciled; older, it was left by a
    crash and is settled as with the file backend.

    A backend finds its own rows by their run id, timestamp and action key: two runs that may
    overlap must have distinct run ids (jobs.run_id_for has microsecond resolution; a run id
    derived from a trigger, such as a Scheduler's schedule time, needs a suffix of its own).
    """

    lease: dt.timedelta

    def claim(self, tab: str, run_id: str, keys: Sequence[str]) -> frozenset[str]:
        ...


def claimed(backend: object, tab: str, run_id: str, keys: Sequence[str]) -> frozenset[str]:
    """The keys this run may send: all of them for a backend whose run lock already keeps other
    runs out (.xlsx, memory), the backend's answer for one that claims actions (ClaimsActions)."""
    claim = getattr(backend, "claim", None)
    return frozenset(keys) if claim is None else frozenset(claim(tab, run_id, keys))


def lease_of(backend: object) -> dt.timedelta | None:
    """How long another run's `pending` row is left alone (None: the run lock keeps runs apart)."""
    lease = getattr(backend, "lease", None)
    return lease if isinstance(lease, dt.timedelta) else None


class IndexesHistory(Protocol):
    """An optional capability of a backend that can say cheaply whether a tab changed: what lets
    a run take History from its index (engine/history_index.py) instead of reading it.

    `fingerprints()`: for each tab as the last `read()` saw it (casefolded name), a text that
    changes whenever the tab's cells change (for an .xlsx file: the CRC-32 and sizes of the
    tab's part, from the zip directory: nothing is inflated). `as_read(rows)`: the cells a read
    of a tab written with these rows returns (an .xlsx file gives numbers back as floats, blank
    cells as ""). `write()` accepts an engine.history_index.IndexTab among the tabs and writes
    it `stamped` with the fingerprints of the tabs as that same save leaves them, hidden.
    """

    def fingerprints(self) -> Mapping[str, str]:
        ...

    def as_read(self, rows: Sequence[Sequence[CellValue]]) -> list[Sequence[CellValue]]:
        ...


def indexes_history(backend: object) -> IndexesHistory | None:
    """The backend as an IndexesHistory, None when it cannot fingerprint its tabs (Google Sheets,
    Excel): History is then read in full on every run, as before."""
    if callable(getattr(backend, "fingerprints", None)) and callable(getattr(backend, "as_read", None)):
        return backend  # type: ignore[return-value]
    return None
