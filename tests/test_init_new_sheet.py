"""`relance init gsheet:new --share you@example.fr`: a spreadsheet created by the service account
(Sheets API spreadsheets.create), shared as editor (Drive permissions.create, scope drive.file
only) and laid out, against the local Sheets and Drive servers."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from relance.cli import app
from relance.workbook.drive import FILE_SCOPE
from servers.drive import DriveServer
from servers.sheets import Fault, SheetsServer, service_account_key

SA = "relance@demo-project.iam.gserviceaccount.com"


@pytest.fixture()
def google(tmp_path, monkeypatch):
    with SheetsServer(require_auth=True) as sheets, DriveServer(sheets) as drive:
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", service_account_key(sheets, tmp_path / "sa.json", SA))
        monkeypatch.setenv("RELANCE_SHEETS_API_URL", sheets.url)
        monkeypatch.setenv("RELANCE_DRIVE_API_URL", drive.url)
        monkeypatch.setenv("RELANCE_SHEETS_RETRY_WAIT", "0.01")
        monkeypatch.chdir(tmp_path)
        yield sheets, drive


def test_init_new_creates_shares_and_lays_out_a_spreadsheet(google, tmp_path):
    sheets, drive = google
    result = CliRunner().invoke(app, ["init", "gsheet:new", "--lang", "fr", "--share", "julie@dumas.example",
                                      "--share", "paul@dumas.example"])
    assert result.exit_code == 0, result.output
    [sid] = list(sheets.creators)
    assert sheets.creators[sid] == SA
    assert f"https://docs.google.com/spreadsheets/d/{sid}/edit" in result.output
    assert "partagée avec julie@dumas.example, paul@dumas.example" in result.output
    book = sheets.books[sid]
    assert book.title == "Relances" and book.locale == "fr_FR"  # the menu speaks French there
    assert {"Factures", "Clients", "Reglements", "Parametres"} <= set(sheets.titles(sid))
    shared = [(sid_, body["emailAddress"], body["role"], q.get("sendNotificationEmail")) for sid_, body, q in drive.created]
    assert shared == [(sid, "julie@dumas.example", "writer", ["true"]), (sid, "paul@dumas.example", "writer", ["true"])]
    scopes = {s for token in sheets.token_scopes.values() for s in token}
    assert FILE_SCOPE in scopes and not [s for s in scopes if s.endswith("/auth/drive")]  # never the whole Drive
    assert list(tmp_path.iterdir()) == [tmp_path / "sa.json"]  # no file written


def test_init_new_in_english(google):
    sheets, _ = google
    result = CliRunner().invoke(app, ["init", "gsheet:new", "--lang", "en", "--share", "jo@example.com"])
    assert result.exit_code == 0, result.output
    [sid] = list(sheets.creators)
    assert sheets.books[sid].title == "Reminders" and sheets.books[sid].locale.startswith("en")
    assert "Invoices" in sheets.titles(sid) and "Created the spreadsheet, shared with jo@example.com" in result.output


def test_init_new_needs_someone_to_share_with_and_share_needs_new(google):
    sheets, drive = google
    alone = CliRunner().invoke(app, ["init", "gsheet:new", "--lang", "fr"])
    assert alone.exit_code == 2 and "--share" in alone.output
    existing = CliRunner().invoke(app, ["init", "gsheet:1AbCdEfGhIjKlMnOpQrStUvWxYz0123", "--share", "a@b.example"])
    assert existing.exit_code == 2 and "gsheet:new" in existing.output
    assert not sheets.creators and not drive.created  # nothing created


def test_a_refused_creation_is_said_with_the_way_around(google):
    sheets, drive = google
    sheets.faults.append(Fault("create", status=403))
    result = CliRunner().invoke(app, ["init", "gsheet:new", "--lang", "fr", "--share", "julie@dumas.example"])
    assert result.exit_code == 3, result.output
    assert "Google a refusé de créer la feuille" in result.output
    assert "relance init gsheet:<identifiant>" in result.output
    assert "Traceback" not in result.output and not drive.created
