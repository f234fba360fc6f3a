"""The local Sheets server itself, driven by the real gspread client as an application would."""

from __future__ import annotations

import gspread
import pytest
import requests
from gspread.exceptions import APIError

from servers.sheets import Fault, SheetsServer, service_account_key


class Rewrite(requests.Session):
    def __init__(self, root: str) -> None:
        super().__init__()
        self.root = root

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        url = url.replace("https://sheets.googleapis.com", self.root)
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def server():
    with SheetsServer() as s:
        yield s


@pytest.fixture
def gc(server: SheetsServer) -> gspread.Client:
    return gspread.Client(auth=None, session=Rewrite(server.url))  # type: ignore[arg-type]


def test_quoted_tab_names_ranges_and_render_options(server, gc):
    sid = server.add_book(tabs={"Mes factures": [["numero", "montant", "date"], ["F1", 12.5, 45747]],
                                "Clients d'Anne": [["a"]]})
    sh = gc.open_by_key(sid)
    ws = sh.worksheet("Mes factures")
    got = sh.values_batch_get(["'Mes factures'!A1:Z", "'Clients d''Anne'!A:A"],
                              params={"valueRenderOption": "UNFORMATTED_VALUE",
                                      "dateTimeRenderOption": "SERIAL_NUMBER"})
    assert got["valueRanges"][0]["values"] == [["numero", "montant", "date"], ["F1", 12.5, 45747]]
    assert got["valueRanges"][1]["values"] == [["a"]]
    assert ws.get("B2:C2", value_render_option="FORMATTED_VALUE") == [["12.5", "45747"]]
    with pytest.raises(APIError) as caught:
        sh.values_get("'Nope'!A1")
    assert caught.value.code == 400


def test_raw_keeps_text_user_entered_parses_it(server, gc):
    sid = server.add_book(tabs={"T": [[]]})
    ws = gc.open_by_key(sid).sheet1
    ws.update(values=[["=HYPERLINK(\"x\")", "1,5", "2026-12-01"]], range_name="A1", raw=True)
    ws.update(values=[["=1+1", "42", "2026-12-01", "TRUE"]], range_name="A2", raw=False)
    values = server.values(sid, "T", "UNFORMATTED_VALUE")
    assert values[0] == ["=HYPERLINK(\"x\")", "1,5", "2026-12-01"]  # text, as typed
    assert values[1] == ["=1+1", 42, 46357, True]  # a formula (kept, not computed), a number, a serial date


def test_append_finds_the_end_and_grows_the_grid_writes_past_it_are_refused(server, gc):
    sid = server.add_book(tabs={"H": [["k"], ["a"]]})
    sh = gc.open_by_key(sid)
    ws = sh.worksheet("H")
    answer = ws.append_rows([["b"], ["c"]], value_input_option="RAW")
    assert answer["updates"]["updatedRange"] == "'H'!A3:A4"
    assert server.values(sid, "H") == [["k"], ["a"], ["b"], ["c"]]
    with pytest.raises(APIError) as caught:
        ws.update(values=[["x"]], range_name="A5000")
    assert "exceeds grid limits" in str(caught.value)
    ws.append_rows([["z"]] * 1200)
    assert server.sheet(sid, "H").rows >= 1204


def test_batch_update_is_atomic(server, gc):
    sid = server.add_book(tabs={"T": [["a"]]})
    sh = gc.open_by_key(sid)
    with pytest.raises(APIError):
        sh.batch_update({"requests": [{"addSheet": {"properties": {"title": "New"}}},
                                      {"addSheet": {"properties": {"title": "T"}}}]})  # T exists
    assert server.titles(sid) == ["T"]
    reply = sh.batch_update({"requests": [{"addSheet": {"properties": {"title": "New", "sheetId": 77}}},
                                          {"updateSheetProperties": {"properties": {
                                              "sheetId": 77, "gridProperties": {"frozenRowCount": 1}},
                                              "fields": "gridProperties.frozenRowCount"}},
                                          {"createDeveloperMetadata": {"developerMetadata": {
                                              "metadataKey": "k", "metadataValue": "v",
                                              "location": {"sheetId": 77}, "visibility": "DOCUMENT"}}}]})
    assert reply["replies"][0]["addSheet"]["properties"]["title"] == "New"
    meta = sh.fetch_sheet_metadata()
    new = [s for s in meta["sheets"] if s["properties"]["sheetId"] == 77][0]
    assert new["properties"]["gridProperties"]["frozenRowCount"] == 1
    assert new["developerMetadata"][0]["metadataValue"] == "v"


def test_values_batch_update_clear_and_create(server, gc):
    from gspread.urls import SPREADSHEETS_API_V4_BASE_URL

    created = gc.http_client.request("post", SPREADSHEETS_API_V4_BASE_URL, json={
        "properties": {"title": "Nouveau"}, "sheets": [{"properties": {"title": "Feuille 1"}}]}).json()
    sh = gc.open_by_key(created["spreadsheetId"])
    assert server.titles(sh.id) == ["Feuille 1"]
    sh.values_batch_update({"valueInputOption": "RAW", "data": [{"range": "A1:B1", "values": [["x", "y"]]}]})
    assert server.values(sh.id, server.titles(sh.id)[0]) == [["x", "y"]]
    sh.values_clear("A1")
    assert server.values(sh.id, server.titles(sh.id)[0]) == [["", "y"]]


def test_counter_quota_on_the_test_clock_and_faults(server, gc):
    sid = server.add_book(tabs={"T": [["a"]]})
    server.quota = 3
    sh = gc.open_by_key(sid)  # 1
    sh.values_get("T!A1")  # 2
    sh.values_get("T!A1")  # 3
    with pytest.raises(APIError) as caught:
        sh.values_get("T!A1")
    assert caught.value.code == 429 and caught.value.response.headers["Retry-After"] == "60"
    server.now += 61  # a minute later the quota is back: no sleeping
    sh.values_get("T!A1")
    assert server.requests == 5 and server.per_user["anonymous"] == 5
    server.faults.append(Fault("values.update", 500, after_apply=True))
    with pytest.raises(APIError):
        sh.values_update("T!A1", params={"valueInputOption": "RAW"}, body={"values": [["b"]]})
    assert server.values(sid, "T") == [["b"]]  # applied, though the client was told it failed


def test_the_service_account_flow(server, tmp_path):
    from google.oauth2 import service_account

    server.require_auth = True
    key = service_account_key(server, tmp_path / "key.json")
    creds = service_account.Credentials.from_service_account_file(key, scopes=["https://www.googleapis.com/auth/spreadsheets"])
    from google.auth.transport.requests import AuthorizedSession

    class Session(AuthorizedSession):
        def request(self, method, url, *args, **kwargs):  # type: ignore[override]
            return super().request(method, url.replace("https://sheets.googleapis.com", server.url), *args, **kwargs)

    sid = server.add_book(tabs={"T": [["a"]]})
    gc = gspread.Client(auth=None, session=Session(creds))  # type: ignore[arg-type]
    assert gc.open_by_key(sid).sheet1.get("A1") == [["a"]]
    assert server.per_user["relance@demo-project.iam.gserviceaccount.com"] == 3  # gspread: 2 metadata, 1 values
    anonymous = gspread.Client(auth=None, session=Rewrite(server.url))  # type: ignore[arg-type]
    with pytest.raises(APIError) as caught:
        anonymous.open_by_key(sid)
    assert caught.value.code == 401
