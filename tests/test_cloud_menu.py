"""menu_action, served by functions-framework for real and called as the Sheets menu calls it.

Apps Script's `UrlFetchApp` sends `Authorization: Bearer <ScriptApp.getIdentityToken()>`; the
function verifies that token in code with google-auth against a certificates URL that these
tests serve on loopback (pytest-httpserver) with a local RSA key: valid, another audience,
expired, an unverified address, another key's signature, no token, a caller not on the list.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests
from pytest_httpserver import HTTPServer

from cloudkit import Function, Keys, free_port, history_rows, outbox_keys, paris_today, small_book
from french import assert_french

# One xdist worker runs this module's tests, so that its module fixtures (the functions-framework server) are
# made once, not once per worker.
pytestmark = pytest.mark.xdist_group("test_cloud_menu")

CLIENT_ID = "123456789-relance.apps.googleusercontent.com"
USER = "julie@dumas.example"


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys("google-key-1")


@pytest.fixture(scope="module")
def certs(keys):
    server = HTTPServer(host="127.0.0.1", port=free_port())
    server.expect_request("/oauth2/v1/certs").respond_with_json(keys.certs())
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture(scope="module")
def menu(certs):
    env = {"RELANCE_MENU_AUDIENCE": CLIENT_ID, "RELANCE_MENU_CERTS_URL": certs.url_for("/oauth2/v1/certs"),
           "RELANCE_MENU_USERS": f"{USER}, @cabinet-martin.example"}
    with Function("menu_action", env) as function:
        yield function


def call(menu: Function, token: str | None, body: dict[str, object], **headers: str) -> requests.Response:
    sent = {"Content-Type": "application/json", **headers}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    return requests.post(menu.url, data=json.dumps(body), headers=sent, timeout=300)


def test_send_now_sends_outside_the_window_once_and_never_twice(menu, keys, tmp_path):
    book = small_book(tmp_path / "book.xlsx", 3)
    token = keys.token(CLIENT_ID, USER)
    first = call(menu, token, {"action": "send", "workbook": str(book)})
    assert first.status_code == 200, first.text
    assert first.json()["ok"] and first.json()["summary"]["sent"] == 3
    assert first.json()["summary"]["deferred"] is None  # send now: the daily window does not hold it
    keys_sent = outbox_keys(tmp_path / "book_outbox")
    assert len(keys_sent) == 3
    second = call(menu, token, {"action": "send", "workbook": str(book)})  # a second click
    assert second.status_code == 200 and second.json()["summary"]["sent"] == 0
    assert outbox_keys(tmp_path / "book_outbox") == keys_sent and len(history_rows(book)) == 3


def test_send_now_never_inside_the_cooldown(menu, keys, tmp_path):
    from relance.app.jobs import baseline
    from relance.workbook.xlsx import XlsxBackend

    book = small_book(tmp_path / "book.xlsx", 2)
    yesterday = paris_today() - dt.timedelta(days=1)
    baseline(XlsxBackend(book), dt.datetime.now(dt.UTC), "reminder_1", yesterday)  # reminded yesterday
    reply = call(menu, keys.token(CLIENT_ID, USER), {"action": "send", "workbook": str(book)})
    assert reply.status_code == 200, reply.text
    summary = reply.json()["summary"]
    assert summary["sent"] == 0 and not outbox_keys(tmp_path / "book_outbox")
    assert {s["reason"] for s in summary["skips"]} >= {"cooldown"}


def test_check_preview_refresh_and_dashboard(menu, keys, tmp_path):
    from python_calamine import CalamineWorkbook

    book = small_book(tmp_path / "book.xlsx", 2)
    token = keys.token(CLIENT_ID, "paul@cabinet-martin.example")  # allowed by its domain
    check = call(menu, token, {"action": "check", "workbook": str(book)})
    assert check.status_code == 200, check.text
    assert isinstance(check.json()["anomalies"], list)
    preview = call(menu, token, {"action": "preview", "workbook": str(book)})
    assert preview.json()["summary"]["planned"] == 2 and preview.json()["summary"]["dry_run"] is True
    refresh = call(menu, token, {"action": "refresh", "workbook": str(book)})
    assert refresh.status_code == 200 and refresh.json()["written"] == "plan"
    dashboard = call(menu, token, {"action": "dashboard", "workbook": str(book)})
    assert dashboard.status_code == 200 and dashboard.json()["written"] == "dashboard", dashboard.text
    assert "Tableau_de_bord" in CalamineWorkbook.from_path(str(book)).sheet_names
    assert not outbox_keys(tmp_path / "book_outbox")  # none of them sends


def _refusals(keys: Keys) -> list[tuple[str, str | None, int, str]]:
    stranger = Keys("google-key-1")  # the same key id, another key: a forged signature
    hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    return [
        ("no token", None, 401, "no_token"),
        ("not a token", "abc.def", 401, "token_malformed"),
        ("another audience", keys.token("987-other.apps.googleusercontent.com", USER), 401, "token_audience"),
        ("expired", keys.token(CLIENT_ID, USER, issued=hour_ago), 401, "token_expired"),
        ("another key", stranger.token(CLIENT_ID, USER), 401, "token_signature"),
        ("another issuer", keys.token(CLIENT_ID, USER, iss="https://evil.example"), 401, "token_issuer"),
        ("unverified address", keys.token(CLIENT_ID, USER, email_verified=False), 403, "email_unverified"),
        ("not on the list", keys.token(CLIENT_ID, "mallory@elsewhere.example"), 403, "not_allowed"),
    ]


def test_refused_calls_say_why_in_the_callers_language_and_do_nothing(menu, keys, tmp_path):
    book = small_book(tmp_path / "book.xlsx", 2)
    for case, token, status, code in _refusals(keys):
        said = {}
        for lang in ("fr", "en"):
            reply = call(menu, token, {"action": "send", "workbook": str(book), "lang": lang})
            assert reply.status_code == status, (case, reply.text)
            error = reply.json()["error"]
            assert error["code"] == code and error["message"] and error["fix"], case
            said[lang] = error["message"]
        assert_french(said["fr"], allow=("Authorization", "Bearer"))
        assert said["en"] != said["fr"] and said["en"].isascii(), case
    assert not outbox_keys(tmp_path / "book_outbox") and not history_rows(book)


def test_the_language_comes_from_accept_language_and_unknown_actions_are_400(menu, keys, tmp_path):
    token = keys.token(CLIENT_ID, USER)
    reply = call(menu, None, {"action": "send", "workbook": "gsheet:x"}, **{"Accept-Language": "en-US"})
    assert reply.status_code == 401 and reply.json()["error"]["message"] == "the call carries no identity token"
    stranger = requests.post(menu.url, data="junk", headers={"Content-Type": "application/json"}, timeout=60)
    assert stranger.status_code == 401  # the caller first: a stranger learns nothing of the body
    junk = requests.post(menu.url, data="junk", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert junk.status_code == 400 and junk.json()["error"]["code"] == "bad_body"
    unknown = call(menu, token, {"action": "delete_everything", "workbook": "gsheet:x"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_action"
    assert "refresh, preview, send, dashboard, check" in unknown.json()["error"]["fix"]


def test_unreachable_certificates_are_a_503_and_a_missing_audience_a_500(keys, tmp_path):
    env = {"RELANCE_MENU_AUDIENCE": CLIENT_ID, "RELANCE_MENU_USERS": USER,
           "RELANCE_MENU_CERTS_URL": f"http://127.0.0.1:{free_port()}/oauth2/v1/certs"}
    with Function("menu_action", env) as lost:
        reply = call(lost, keys.token(CLIENT_ID, USER), {"action": "check", "workbook": "gsheet:x"})
    assert reply.status_code == 503 and reply.json()["error"]["code"] == "keys_unreachable"
    with Function("menu_action", {"RELANCE_MENU_AUDIENCE": ""}) as bare:
        reply = call(bare, keys.token(CLIENT_ID, USER), {"action": "check", "workbook": "gsheet:x"})
    assert reply.status_code == 500 and "RELANCE_MENU_AUDIENCE" in reply.json()["error"]["message"]
