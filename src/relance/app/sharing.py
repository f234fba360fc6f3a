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


def new_spreadsheet(title: str, lang: str, share: list[str], environ: Mapping[str, str] | None = None) -> str:
    """`relance init gsheet:new --share a@b.fr`: a new spreadsheet, in `lang`'s locale, shared as
    editor with each address (Google e-mails them the link); its `gsheet:` reference."""
    from relance.engine.catalog import console
    from relance.engine.errors import WorkbookError
    from relance.workbook.drive import FILE_SCOPE, DriveApi, DriveError

    env = os.environ if environ is None else environ
    drive = DriveApi(env, (FILE_SCOPE,))
    try:
        sid = drive.create_spreadsheet(title, "fr_FR" if lang == "fr" else "en_GB", "Europe/Paris")
    except DriveError as exc:  # e.g. a service account without Drive storage of its own
        raise WorkbookError(console.SHEETS_CREATE_REFUSED(cause=f"{exc.status} {exc.detail}".strip()),
                            console.SHEETS_CREATE_REFUSED_FIX()) from None
    for email in share:
        drive.share(sid, email, "writer")
    return f"gsheet:{sid}"
