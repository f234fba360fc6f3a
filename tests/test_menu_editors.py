"""Who may use the Sheets menu on a `gsheet:` workbook: the spreadsheet's editors, read from its
Drive sharing list as the service account (relance/workbook/drive.py) over the local Drive API
(tests/servers/drive.py), then menu_action served by functions-framework for real."""

from __future__ import annotations

import json

import pytest
import requests
from pytest_httpserver import HTTPServer

from cloudkit import Function, Keys, free_port
from conftest import customer, invoice, tabs
from french import assert_french
from relance.workbook.drive import READ_SCOPE, DriveApi, DriveError, Permission, may_edit
from servers.drive import DriveServer
from servers.sheets import SheetsServer, service_account_key

SA = "relance@demo-project.iam.gserviceaccount.com"
CLIENT_ID = "123456789-relance.apps.googleusercontent.com"


def test_who_may_edit_by_the_sharing_list():
    listed = [Permission("user", "owner", "Paul@Dumas.example"), Permission("user", "reader", "lea@dumas.example"),
              Permission("user", "commenter", "max@dumas.example"), Permission("group", "writer", "compta@dumas.example"),
              Permission("user", "writer", "old@dumas.example", deleted=True),
              Permission("domain", "writer", domain="cabinet-martin.example"),
              Permission("domain", "reader", domain="dumas.example")]
    assert may_edit("paul@dumas.example", listed)  # the owner, whatever the case of the address
    assert may_edit("zoe@cabinet-martin.example", listed)  # the whole domain, as editor
    assert not may_edit("lea@dumas.example", listed)  # a reader
    assert not may_edit("max@dumas.example", listed)  # a commenter
    assert not may_edit("compta@dumas.example", listed)  # a group's address is no person
    assert not may_edit("old@dumas.example", listed)  # a deleted account's entry
    assert not may_edit("jo@dumas.example", listed)  # the domain as reader only
    assert not may_edit("paul@dumas.example.evil", listed)
    assert may_edit("anyone@anywhere.example", [Permission("anyone", "writer")])
    assert not may_edit("anyone@anywhere.example", [Permission("anyone", "reader")])
    for role in ("organizer", "fileOrganizer"):  # a shared drive's managers
        assert may_edit("paul@dumas.example", [Permission("user", role, "paul@dumas.example")])


@pytest.fixture()
def google(tmp_path):
    with SheetsServer(require_auth=True) as sheets, DriveServer(sheets, page_size=2) as drive:
        sid = sheets.add_book(tabs=tabs([customer("C1")], [invoice("F1", "C1", "2026-09-01", "2026-10-01", 100)]))
        sheets.books[sid].editors = set()
        drive.share(sid, "owner", email="paul@dumas.example")
        drive.share(sid, "writer", email=SA)
        drive.share(sid, "writer", email="julie@dumas.example")
        drive.share(sid, "reader", email="lea@dumas.example")
        drive.share(sid, "writer", kind="group", email="compta@dumas.example")
        env = {"GOOGLE_APPLICATION_CREDENTIALS": service_account_key(sheets, tmp_path / "sa.json", SA),
               "RELANCE_SHEETS_API_URL": sheets.url, "RELANCE_DRIVE_API_URL": drive.url,
               "RELANCE_SHEETS_RETRY_WAIT": "0.01"}
        yield sheets, drive, sid, env


def test_the_sharing_list_is_read_whole_page_by_page_with_the_read_scope(google):
    sheets, drive, sid, env = google
    found = DriveApi(env).permissions(sid)
    assert [(p.type, p.role, p.email) for p in found] == [
        ("user", "owner", "paul@dumas.example"), ("user", "writer", SA), ("user", "writer", "julie@dumas.example"),
        ("user", "reader", "lea@dumas.example"), ("group", "writer", "compta@dumas.example")]
    assert len(drive.requests) == 3  # pages of 2
    [token] = list(sheets.token_scopes)
    assert READ_SCOPE in sheets.token_scopes[token]
    assert not [s for s in sheets.token_scopes[token] if s.endswith("/auth/drive")]  # never the whole Drive


def test_a_sharing_list_that_cannot_be_read_is_said(google):
    sheets, drive, sid, env = google
    with pytest.raises(DriveError) as lost:
        DriveApi(env).permissions("sheet9999AbCdEfGhIjKlMnOpQrStUvWxYz")
    assert lost.value.status == 404 and "partagez la feuille" in lost.value.hint_text("fr")
    drive.disabled = True
    with pytest.raises(DriveError) as off:
        DriveApi(env).permissions(sid)
    assert off.value.reason == "accessNotConfigured" and "Google Drive API" in off.value.hint_text("en")
    assert_french(off.value.text("fr") + " " + off.value.hint_text("fr"), allow=("Google", "Drive", "API"))
    with pytest.raises(DriveError) as down:
        DriveApi({**env, "RELANCE_DRIVE_API_URL": f"http://127.0.0.1:{free_port()}"}).permissions(sid)
    assert down.value.status == 0 and "ne répond pas" in down.value.text("fr")


def call(menu: Function, token: str, body: dict[str, object]) -> requests.Response:
    return requests.post(menu.url, data=json.dumps(body), timeout=300,
                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})


def test_menu_action_acts_only_for_the_spreadsheets_editors(google, tmp_path):
    sheets, drive, sid, env = google
    keys = Keys("google-key-1")
    certs = HTTPServer(host="127.0.0.1", port=free_port())
    certs.expect_request("/oauth2/v1/certs").respond_with_json(keys.certs())
    certs.start()
    menu_env = {**env, "RELANCE_MENU_AUDIENCE": CLIENT_ID, "RELANCE_OUTBOX_DIR": str(tmp_path / "out"),
                "RELANCE_MENU_CERTS_URL": certs.url_for("/oauth2/v1/certs"), "RELANCE_MENU_USERS": ""}
    book = f"gsheet:{sid}"
    try:
        with Function("menu_action", menu_env) as menu:
            for editor in ("julie@dumas.example", "paul@dumas.example"):
                ok = call(menu, keys.token(CLIENT_ID, editor), {"action": "preview", "workbook": book})
                assert ok.status_code == 200 and ok.json()["ok"], ok.text
            for outsider in ("lea@dumas.example", "compta@dumas.example", "mallory@elsewhere.example"):
                said = {}
                for lang in ("fr", "en"):
                    no = call(menu, keys.token(CLIENT_ID, outsider), {"action": "send", "workbook": book, "lang": lang})
                    assert no.status_code == 403 and no.json()["error"]["code"] == "not_editor", no.text
                    said[lang] = no.json()["error"]["message"] + " " + no.json()["error"]["fix"]
                assert outsider in said["fr"] and "éditeur" in said["fr"]
                assert_french(said["fr"], allow=(outsider,))
                assert "may not edit this spreadsheet" in said["en"]
            local = call(menu, keys.token(CLIENT_ID, "julie@dumas.example"),
                         {"action": "check", "workbook": str(tmp_path / "book.xlsx")})
            assert local.status_code == 403 and local.json()["error"]["code"] == "not_allowed"  # no list, no Drive
            drive.disabled = True
            off = call(menu, keys.token(CLIENT_ID, "julie@dumas.example"), {"action": "preview", "workbook": book})
            assert off.status_code == 502 and off.json()["error"]["code"] == "sharing_unknown", off.text
            assert "Google Drive API" in off.json()["error"]["message"]
            drive.disabled = False
        with Function("menu_action", {**menu_env, "RELANCE_MENU_USERS": "paul@dumas.example"}) as narrowed:
            listed = call(narrowed, keys.token(CLIENT_ID, "paul@dumas.example"), {"action": "preview", "workbook": book})
            assert listed.status_code == 200, listed.text
            unlisted = call(narrowed, keys.token(CLIENT_ID, "julie@dumas.example"),
                            {"action": "preview", "workbook": book})  # an editor, not on the list
            assert unlisted.status_code == 403 and unlisted.json()["error"]["code"] == "not_allowed"
        assert not [s for s in sheets.titles(sid) if s.startswith("Historique")]  # nobody sent anything
    finally:
        certs.clear()
        certs.stop()
