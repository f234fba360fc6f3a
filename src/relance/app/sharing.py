"""Who may act on a Google Sheets workbook, and sharing the ones relance creates: the Drive side
of a `gsheet:` BOOK, for the faces (the Sheets menu's function, `relance init gsheet:new`)."""

from __future__ import annotations

import os
from collections.abc import Mapping


def may_edit(book: str, email: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether the person with the verified address `email` may edit the `gsheet:` workbook, by
    its Drive sharing list read as the service account. Raises a WorkbookError (DriveError) when
    the list cannot be read: the caller refuses then, it never guesses."""
    from relance.workbook.drive import DriveApi
    from relance.workbook.drive import may_edit as listed_editor
    from relance.workbook.gsheet import spreadsheet_id

    env = os.environ if environ is None else environ
    return listed_editor(email, DriveApi(env).permissions(spreadsheet_id(book)))
