"""The Relance menu (sheet_templates/apps_script/): node's own test runner on Code.gs, and the
menu against a real menu_action (functions-framework on loopback, the local Sheets server).

tests/apps_script/fakes.js runs Code.gs in a `vm` context with fakes of SpreadsheetApp,
ScriptApp, UrlFetchApp, HtmlService and PropertiesService; roundtrip.test.js wires the fake
UrlFetchApp to the function served here, with an identity token minted by a local key.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cloudkit import Function, Keys, free_port, outbox_keys
from conftest import CLASSIC, customer, invoice, tabs
from french import assert_french
from servers.drive import DriveServer
from servers.sheets import SheetsServer, service_account_key

ROOT = Path(__file__).resolve().parents[1]
APPS_SCRIPT = ROOT / "sheet_templates" / "apps_script"
NODE = shutil.which("node") or shutil.which("nodejs")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed (make system-deps installs nodejs)")
CLIENT_ID = "123456789-relance.apps.googleusercontent.com"
USER = "julie@dumas.example"


def node_test(*files: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run([NODE, "--test", *files], cwd=ROOT, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=900)


def passed(out: subprocess.CompletedProcess[str]) -> tuple[int, int, int]:
    """Node's TAP summary: (pass, fail, skipped)."""
    def count(name: str) -> int:
        m = re.search(rf"^# {name} (\d+)$", out.stdout, re.M)
        assert m, out.stdout[-2000:] + out.stderr[-2000:]
        return int(m[1])
    return count("pass"), count("fail"), count("skipped")


@needs_node
def test_the_menu_against_fakes_of_the_apps_script_services():
    out = node_test("tests/apps_script/")
    ok, failed, skipped = passed(out)
    assert out.returncode == 0 and failed == 0, out.stdout[-6000:] + out.stderr[-2000:]
    assert ok >= 14 and skipped == 1  # the round trip, run below with its servers


@needs_node
def test_the_menu_against_a_real_menu_action(tmp_path):
    keys = Keys("google-key-1")
    today = dt.datetime.now(dt.UTC).date()
    due = 3
    book = tabs([customer(f"C{i:02d}") for i in range(due)],
                [invoice(f"F{i:02d}", f"C{i:02d}", (today - dt.timedelta(days=40)).isoformat(),
                         (today - dt.timedelta(days=10)).isoformat(), 100 + i) for i in range(due)],
                Scenarios=CLASSIC)
    certs = HTTPServer(host="127.0.0.1", port=free_port())
    certs.expect_request("/oauth2/v1/certs").respond_with_json(keys.certs())
    certs.start()
    try:
        with SheetsServer(require_auth=True) as sheets, DriveServer(sheets) as drive:
            sid = sheets.add_book(tabs=book)
            key = service_account_key(sheets, tmp_path / "sa.json")
            drive.share(sid, "owner", email=USER)  # who may use the menu: the sheet's editors
            drive.share(sid, "writer", email=json.loads(Path(key).read_text(encoding="utf-8"))["client_email"])
            outboxes = tmp_path / "outboxes"
            env = {"GOOGLE_APPLICATION_CREDENTIALS": key, "RELANCE_DRIVE_API_URL": drive.url,
                   "RELANCE_SHEETS_API_URL": sheets.url, "RELANCE_SHEETS_RETRY_WAIT": "0.01",
                   "RELANCE_OUTBOX_DIR": str(outboxes), "RELANCE_MENU_AUDIENCE": CLIENT_ID,
                   "RELANCE_MENU_CERTS_URL": certs.url_for("/oauth2/v1/certs"), "RELANCE_MENU_USERS": ""}
            with Function("menu_action", env) as menu:
                out = node_test("tests/apps_script/roundtrip.test.js", env={
                    "RELANCE_RT_URL": menu.url, "RELANCE_RT_SHEET": sid, "RELANCE_RT_DUE": str(due),
                    "RELANCE_RT_TOKEN": keys.token(CLIENT_ID, USER),
                    "RELANCE_RT_STRANGER_TOKEN": keys.token(CLIENT_ID, "mallory@elsewhere.example")})
            rows = sheets.values(sid, "Historique") if "Historique" in sheets.titles(sid) else [[]]
    finally:
        certs.clear()
        certs.stop()
    assert out.returncode == 0 and passed(out) == (1, 0, 0), out.stdout[-6000:] + out.stderr[-2000:]
    [folder] = list(outboxes.iterdir())
    assert sorted(Counter(outbox_keys(folder)).values()) == [1] * due  # each reminder once
    status = rows[0].index("statut")
    assert Counter(r[status] for r in rows[1:]) == {"envoyé": due}


def _texts(lang: str) -> dict[str, str]:
    assert NODE is not None
    script = ("const {load} = require('./tests/apps_script/fakes');"
              f"process.stdout.write(JSON.stringify(load({{}}).script.RELANCE_TEXTS.{lang}));")
    out = subprocess.run([NODE, "-e", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    texts: dict[str, str] = json.loads(out.stdout)
    return texts


@needs_node
def test_the_menus_french_is_french():
    for key, text in _texts("fr").items():
        assert_french(re.sub(r"\{\w+\}", "1", text), allow=("openid",)), key
    assert all(text.isascii() or "…" in text or "€" in text for text in _texts("en").values())


def test_the_manifest_asks_only_for_the_documented_scopes():
    manifest = json.loads((APPS_SCRIPT / "appsscript.json").read_text(encoding="utf-8"))
    scopes = manifest["oauthScopes"]
    assert "openid" in scopes and "https://www.googleapis.com/auth/userinfo.email" in scopes
    assert not [s for s in scopes if s.endswith("/spreadsheets") or "drive" in s]  # this sheet only
    docs = (ROOT / "docs" / "google-sheets.md").read_text(encoding="utf-8")
    for scope in scopes:
        rows = [line for line in docs.splitlines() if line.startswith("|") and f"`{scope}`" in line]
        assert rows, f"docs/google-sheets.md does not say what {scope} is for"
    code = (APPS_SCRIPT / "Code.gs").read_text(encoding="utf-8")
    assert "RELANCE_FUNCTION_URL" in code and "RELANCE_FUNCTION_URL" in docs
    clasp = json.loads((APPS_SCRIPT / ".clasp.json.example").read_text(encoding="utf-8"))
    assert set(clasp) == {"scriptId", "rootDir"}
