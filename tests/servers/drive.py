"""A local Drive API v3, the part relance calls: a file's sharing list (`permissions.list`, paged)
and sharing it (`permissions.create`), on the spreadsheets of a local SheetsServer.

A spreadsheet is a Drive file: the files here are the SheetsServer's books, and a permission
created here lets that address into the book on the Sheets side too (its editors). Access
tokens are the ones the SheetsServer's /token endpoint issued (one Google sign-in for both
APIs), with the scopes they were asked for: listing needs a Drive scope, as with Google. As
with Google, a file the caller cannot see answers 404, a caller without a valid token 401, and
`disabled` makes every call answer 403 `accessNotConfigured` (the API not enabled).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from servers.loopback import Loopback
from servers.sheets import SheetsServer

READ_SCOPES = {"https://www.googleapis.com/auth/drive", "https://www.googleapis.com/auth/drive.readonly",
               "https://www.googleapis.com/auth/drive.metadata.readonly",
               "https://www.googleapis.com/auth/drive.metadata", "https://www.googleapis.com/auth/drive.file"}
WRITE_SCOPES = {"https://www.googleapis.com/auth/drive", "https://www.googleapis.com/auth/drive.file"}
EDIT_ROLES = {"owner", "organizer", "fileOrganizer", "writer"}


class DriveError(Exception):
    def __init__(self, code: int, message: str, reason: str) -> None:
        super().__init__(message)
        self.code, self.message, self.reason = code, message, reason

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message,
                          "errors": [{"domain": "global", "reason": self.reason, "message": self.message}]}}


class DriveServer(Loopback):
    """`with DriveServer(sheets) as drive`: point RELANCE_DRIVE_API_URL at `drive.url`."""

    def __init__(self, sheets: SheetsServer, *, page_size: int | None = None) -> None:
        self.sheets = sheets
        self.page_size = page_size  # at most this many a page, whatever the client asks (paging tests)
        self.permissions: dict[str, list[dict[str, Any]]] = {}
        self.created: list[tuple[str, dict[str, Any], dict[str, list[str]]]] = []
        self.requests: list[tuple[str, str]] = []
        self.disabled = False
        self.lock = threading.RLock()
        self._ids = itertools.count(1)
        self._serve(self._handler())

    # ------------------------------------------------------------- test-side helpers

    def share(self, sid: str, role: str, *, email: str = "", domain: str = "", kind: str = "user",
              deleted: bool = False) -> dict[str, Any]:
        """Add an entry to the file's sharing list (a user, a group, a domain or anyone)."""
        entry: dict[str, Any] = {"kind": "drive#permission", "id": f"perm{next(self._ids)}", "type": kind,
                                 "role": role}
        if email:
            entry["emailAddress"] = email
        if domain:
            entry["domain"] = domain
        if deleted:
            entry["deleted"] = True
        with self.lock:
            self.permissions.setdefault(sid, []).append(entry)
            book = self.sheets.books.get(sid)
            if book is not None and book.editors is not None and kind == "user" and email:
                (book.editors if role in EDIT_ROLES else book.viewers).add(email)
        return entry

    # ------------------------------------------------------------- the API

    def _user(self, headers: Any) -> tuple[str, set[str]]:
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        user = self.sheets.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if not user:
            raise DriveError(401, "Request is missing required authentication credential.", "authError")
        return user, set(self.sheets.token_scopes.get(token.strip(), ()))

    def _visible(self, sid: str, user: str) -> list[dict[str, Any]]:
        creator = self.sheets.creators.get(sid)
        if sid not in self.permissions and creator:  # created through the Sheets API: its creator owns it
            self.share(sid, "owner", email=creator)
        entries = self.permissions.get(sid)
        if entries is None or sid not in self.sheets.books:
            raise DriveError(404, f"File not found: {sid}.", "notFound")
        if not any(e.get("emailAddress") == user and not e.get("deleted") for e in entries):
            raise DriveError(404, f"File not found: {sid}.", "notFound")  # Google hides what one cannot see
        return entries

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: dict[str, Any],
               headers: Any) -> Any:
        if self.disabled:
            raise DriveError(403, "Google Drive API has not been used in project 1234567890 before or it is "
                                  "disabled.", "accessNotConfigured")
        user, scopes = self._user(headers)
        m = re.fullmatch(r"/drive/v3/files/([A-Za-z0-9_-]+)/permissions", path)
        if not m:
            raise DriveError(404, f"Not found: {path}", "notFound")
        sid = m.group(1)
        with self.lock:
            self.requests.append((method, sid))
            if method == "GET":
                if not scopes & READ_SCOPES:
                    raise DriveError(403, "Request had insufficient authentication scopes.",
                                     "insufficientPermissions")
                entries = self._visible(sid, user)
                return self._page(entries, query)
            if method == "POST":
                if not scopes & WRITE_SCOPES:
                    raise DriveError(403, "Request had insufficient authentication scopes.",
                                     "insufficientPermissions")
                entries = self._visible(sid, user)
                mine = [e for e in entries if e.get("emailAddress") == user]
                if not any(e["role"] in EDIT_ROLES for e in mine):
                    raise DriveError(403, "The user does not have sufficient permissions for this file.",
                                     "insufficientFilePermissions")
                if body.get("type") not in ("user", "group", "domain", "anyone") or not body.get("role"):
                    raise DriveError(400, "Invalid permission.", "invalid")
                made = self.share(sid, str(body["role"]), email=str(body.get("emailAddress", "")),
                                  domain=str(body.get("domain", "")), kind=str(body["type"]))
                self.created.append((sid, body, query))
                return made
        raise DriveError(405, f"Method not allowed: {method}", "methodNotAllowed")

    def _page(self, entries: list[dict[str, Any]], query: dict[str, list[str]]) -> dict[str, Any]:
        asked = int((query.get("pageSize") or ["100"])[0])
        size = min(asked, self.page_size or asked)
        start = int((query.get("pageToken") or ["0"])[0])
        page = entries[start:start + size]
        fields = (query.get("fields") or [""])[0]
        if "emailAddress" not in fields:  # Google's default answer: kind, id, type, role only
            page = [{k: v for k, v in e.items() if k in ("kind", "id", "type", "role")} for e in page]
        answer: dict[str, Any] = {"kind": "drive#permissionList", "permissions": page}
        if start + size < len(entries):
            answer["nextPageToken"] = str(start + size)
        return answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                size = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(size) if size else b""
                try:
                    body = json.loads(raw) if raw.strip() else {}
                    status, answer = 200, server.handle(method, parts.path, parse_qs(parts.query), body,
                                                        self.headers)
                except DriveError as exc:
                    status, answer = exc.code, exc.body()
                except ValueError:
                    status, answer = 400, DriveError(400, "Invalid JSON payload.", "parseError").body()
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        return Handler
