"""Exceptions are for infrastructure and bugs; data problems are Anomaly values (anomaly.py)."""

from __future__ import annotations


class RelanceError(Exception):
    """Base of every exception relance raises on purpose. The CLI prints its message, no traceback."""

    exit_code = 3

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  → {self.hint}" if self.hint else self.message

    def __reduce__(self):  # pickleable, for worker processes and cloud functions
        return (self.__class__, (self.message, self.hint))


class WorkbookError(RelanceError):
    """The workbook cannot be read or written (missing, locked, not a workbook, protected)."""


class WorkbookLocked(WorkbookError):
    """Another program (Excel, LibreOffice) or another relance run holds the workbook."""


class ForeignTab(WorkbookError):
    """A tab of the user's holds a name relance writes (History, Plan, Tasks...): relance neither
    writes nor sends until it is renamed, so that it is never overwritten."""


class ConfigError(RelanceError):
    """A scenario, template or setting is unusable as a whole."""

    exit_code = 2


class ChannelError(RelanceError):
    """A channel could not deliver; the action stays retryable, never duplicated."""

    exit_code = 4
