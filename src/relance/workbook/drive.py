"""Who a Google Sheets workbook is shared with, through the Drive API v3, as the service account.

A spreadsheet is a Drive file: its sharing list (`files/{id}/permissions`) says who may edit it.
The Sheets menu's function reads it to check that the person at the menu may edit the sheet
it acts on (the identity token says who they are, not what they may open; Drive offers no way
to ask "may this person edit?" for someone else, so the list is read and matched). `share` gives
a person a role on a spreadsheet relance created (`relance init gsheet:new --share`), which
`create_spreadsheet` makes with the Sheets API (owned by the service account, seen by no one
until shared).

`RELANCE_DRIVE_API_URL` replaces `https://www.googleapis.com` and `RELANCE_SHEETS_API_URL`
`https://sheets.googleapis.com` (loopback servers in tests).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from relance.engine.catalog import console
from relance.engine.errors import WorkbookError
from relance.workbook.gsheet import API_ROOT as SHEETS_ROOT
from relance.workbook.gsheet import SCOPES as SHEETS_SCOPES

API_ROOT = "https://www.googleapis.com"
#: Reading a file's sharing list (the menu's check).
READ_SCOPE = "https://www.googleapis.com/auth/drive.metadata.readonly"
#: Sharing a file relance itself created (`init gsheet:new --share`), and nothing else of Drive.
FILE_SCOPE = "https://www.googleapis.com/auth/drive.file"
#: The roles that may edit a file (a shared drive's organizers and content managers included).
EDIT_ROLES = frozenset({"owner", "organizer", "fileOrganizer", "writer"})
_FIELDS = "nextPageToken,permissions(id,type,role,emailAddress,domain,deleted)"
_TIMEOUT = 60.0


@dataclass(frozen=True)
class Permission:
    """One entry of a file's sharing list: `type` user, group, domain or anyone; its role; the
    address (user, group) or the domain (domain)."""

    type: str
    role: str
    email: str = ""
    domain: str = ""
    deleted: bool = False

    @property
    def edits(self) -> bool:
        return self.role in EDIT_ROLES and not self.deleted


def may_edit(email: str, permissions: list[Permission]) -> bool:
    """Whether the person whose verified address is `email` may edit the file: an editor's entry
    of their own, or of their whole domain, or "anyone with the link can edit". A group's entry
    does not count: who is in a group is not for the service account to see."""
    address = email.strip().lower()
    domain = address.rpartition("@")[2]
    for p in permissions:
        if not p.edits:
            continue
        if p.type == "user" and p.email.lower() == address:
            return True
        if p.type == "domain" and p.domain.lower() == domain:
            return True
        if p.type == "anyone":
            return True
    return False


class DriveApi:
    """The two Drive calls relance makes, as the service account (GOOGLE_APPLICATION_CREDENTIALS,
    else application default credentials)."""

    def __init__(self, environ: Mapping[str, str], scopes: tuple[str, ...] = (READ_SCOPE,)) -> None:
        self._env = environ
        self._scopes = scopes
        self._http: Any = None
        self.root = (environ.get("RELANCE_DRIVE_API_URL", "").strip() or API_ROOT).rstrip("/")

    def _session(self) -> Any:
        if self._http is None:
            import google.auth
            from google.auth.exceptions import DefaultCredentialsError
            from google.auth.transport.requests import AuthorizedSession

            key_file = self._env.get("GOOGLE_APPLICATION_CREDENTIALS", "").strip()
            scopes = list(dict.fromkeys([*self._scopes, *SHEETS_SCOPES]))
            try:
                if key_file:
                    from google.oauth2 import service_account

                    creds = service_account.Credentials.from_service_account_file(key_file, scopes=scopes)
                else:
                    creds, _ = google.auth.default(scopes=scopes)
            except (DefaultCredentialsError, OSError, ValueError, KeyError) as exc:
                raise WorkbookError(console.SHEETS_NO_CREDENTIALS(cause=str(exc) or type(exc).__name__),
                                    console.SHEETS_NO_CREDENTIALS_FIX()) from None
            self._http = AuthorizedSession(creds)
        return self._http

    def _call(self, method: str, path: str, file_id: str, root: str = "", **kwargs: Any) -> dict[str, Any]:
        import requests

        try:
            reply = self._session().request(method, (root or self.root) + path, timeout=_TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise drive_error(0, "", file_id, type(exc).__name__) from None
        except Exception as exc:  # google-auth's RefreshError: the token endpoint refused the key
            from google.auth.exceptions import GoogleAuthError

            if isinstance(exc, GoogleAuthError):
                raise drive_error(401, "", file_id, str(exc)[:200]) from None
            raise
        if reply.status_code >= 400:
            reason, message = "", reply.text[:200]
            try:
                error = reply.json().get("error", {})
                message = str(error.get("message", message))[:200]
                reason = str((error.get("errors") or [{}])[0].get("reason", "") or error.get("status", ""))
            except (ValueError, AttributeError, IndexError):
                pass
            raise drive_error(reply.status_code, reason, file_id, message)
        data: dict[str, Any] = reply.json() if reply.content else {}
        return data

    def permissions(self, file_id: str) -> list[Permission]:
        """The file's whole sharing list (every page), as the service account sees it."""
        found: list[Permission] = []
        token = ""
        while True:
            params = {"fields": _FIELDS, "pageSize": "100", "supportsAllDrives": "true"}
            if token:
                params["pageToken"] = token
            page = self._call("GET", f"/drive/v3/files/{file_id}/permissions", file_id, params=params)
            for p in page.get("permissions", []):
                found.append(Permission(str(p.get("type", "")), str(p.get("role", "")),
                                        str(p.get("emailAddress", "") or ""), str(p.get("domain", "") or ""),
                                        bool(p.get("deleted", False))))
            token = str(page.get("nextPageToken", "") or "")
            if not token:
                return found

    def create_spreadsheet(self, title: str, locale: str, time_zone: str) -> str:
        """A new, empty spreadsheet (its locale sets the menu's language); its id."""
        root = (self._env.get("RELANCE_SHEETS_API_URL", "").strip() or SHEETS_ROOT).rstrip("/")
        body = {"properties": {"title": title, "locale": locale, "timeZone": time_zone}}
        made = self._call("POST", "/v4/spreadsheets", "", root, data=json.dumps(body),
                          headers={"Content-Type": "application/json"})
        return str(made["spreadsheetId"])

    def share(self, file_id: str, email: str, role: str = "writer") -> Permission:
        """Give `email` a role on the file (Google e-mails them the link)."""
        body = {"type": "user", "role": role, "emailAddress": email}
        made = self._call("POST", f"/drive/v3/files/{file_id}/permissions", file_id,
                          params={"sendNotificationEmail": "true", "supportsAllDrives": "true",
                                  "fields": "id,type,role,emailAddress"},
                          data=json.dumps(body), headers={"Content-Type": "application/json"})
        return Permission(str(made.get("type", "user")), str(made.get("role", role)),
                          str(made.get("emailAddress", email) or email))


class DriveError(WorkbookError):
    """The Drive API refused or did not answer: its HTTP status (0: no answer) and reason."""

    status: int = 0
    reason: str = ""
    detail: str = ""


def drive_error(status: int, reason: str, file_id: str, message: str) -> DriveError:
    """What a Drive failure means for the person, and what to do."""
    if status == 0:
        exc = DriveError(console.DRIVE_UNREACHABLE(cause=message), console.DRIVE_UNREACHABLE_FIX())
    elif status == 404:
        exc = DriveError(console.DRIVE_NOT_SHARED(id=file_id), console.DRIVE_NOT_SHARED_FIX())
    elif reason in ("accessNotConfigured", "SERVICE_DISABLED"):
        exc = DriveError(console.DRIVE_DISABLED(cause=message), console.DRIVE_DISABLED_FIX())
    else:
        exc = DriveError(console.DRIVE_REFUSED(status=status, cause=message), console.DRIVE_REFUSED_FIX())
    exc.status, exc.reason, exc.detail = status, reason, message
    return exc
