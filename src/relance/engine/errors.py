"""Exceptions are for infrastructure and bugs; data problems are Anomaly values (anomaly.py).

An error says its problem and its fix as `Said` (catalog phrases, relance.engine.catalog.console),
so the command line shows them in the reader's language; a plain str is still accepted where the
text is a third party's (a library's message, an OS error) and is shown the same in both.
"""

from __future__ import annotations

from relance.engine.i18n import Said


def said(text: str | Said) -> Said:
    """`text` as a Said: a catalog phrase as it is, a plain text verbatim."""
    return text if isinstance(text, Said) else Said.verbatim(text)


class SaidError(Exception):
    """An exception that says its problem and its fix in both languages.

    `said` and `fix` are what is said; `message` and `hint` are their English texts (logs, tests,
    the History notes written by code that predates the catalog).
    """

    def __init__(self, message: str | Said, hint: str | Said = "") -> None:
        self.said = said(message)
        self.fix = said(hint)
        super().__init__(self.said.en)

    @property
    def message(self) -> str:
        return self.said.en

    @message.setter
    def message(self, value: str | Said) -> None:  # subclasses that set it themselves
        self.said = said(value)

    @property
    def hint(self) -> str:
        return self.fix.en if self.fix else ""

    @hint.setter
    def hint(self, value: str | Said) -> None:
        self.fix = said(value)

    def text(self, lang: str) -> str:
        """The problem in `lang`."""
        return self.said.text(lang)

    def hint_text(self, lang: str) -> str:
        """The fix in `lang` ("" when there is none)."""
        return self.fix.text(lang) if self.fix else ""

    def __reduce__(self):  # pickleable, for worker processes and cloud functions
        return (self.__class__, (self.said, self.fix))


class RelanceError(SaidError):
    """Base of every exception relance raises on purpose. The CLI prints its message, no traceback."""

    exit_code = 3

    def __str__(self) -> str:
        return f"{self.message}\n  → {self.hint}" if self.hint else self.message


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
