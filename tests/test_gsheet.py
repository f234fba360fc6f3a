"""`gsheet:` workbooks: the real gspread and google-auth clients against the local Sheets server.

Every test runs the service-account flow for real (a key generated here, its JWT checked by the
server's token endpoint) and counts the requests the server answered.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import CLASSIC, customer, invoice, on, tabs
from relance.app.connect import open_workbook
from relance.app.jobs import read_book, run
from relance.channels.outbox import OutboxChannel
from relance.engine.errors import ForeignTab, WorkbookError
from relance.workbook.gsheet import MARK, GsheetBackend, Retry, spreadsheet_id
from servers.sheets import Fault, SheetsServer, service_account_key

DAY = dt.date(2025, 3, 31)


@pytest.fixture
def server():
    with SheetsServer(require_auth=True) as s:
        yield s


@pytest.fixture
def env(server: SheetsServer, tmp_path: Path) -> dict[str, str]:
    return {"GOOGLE_APPLICATION_CREDENTIALS": service_account_key(server, tmp_path / "sa.json"),
            "RELANCE_SHEETS_API_URL": server.url}


def book_tabs(n: int = 3, **extra) -> dict:
    customers = [customer(f"C{i}") for i in range(1, n + 1)]
    invoices = [invoice(f"F{i}", f"C{i}", "2025-01-01", "2025-03-20", 100 * i) for i in range(1, n + 1)]
    return tabs(customers, invoices, Scenarios=CLASSIC, **extra)


def backend(sid: str, env: dict[str, str], slept: list[float] | None = None, attempts: int = 5) -> GsheetBackend:
    sleep = slept.append if slept is not None else (lambda s: None)
    return GsheetBackend(f"gsheet:{sid}", env, retry=Retry(attempts=attempts, sleep=sleep))


def day_run(b: GsheetBackend, box: Path):
    return run(b, lambda book: OutboxChannel(box, "t"), on(DAY), anytime=True)


def history(server: SheetsServer, sid: str) -> list[list]:
    return server.values(sid, "Historique")[1:]


def test_the_id_comes_from_the_id_or_the_address():
    sid = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-xy"
    assert spreadsheet_id(f"gsheet:{sid}") == sid
    assert spreadsheet_id(f"gsheet:https://docs.google.com/spreadsheets/d/{sid}/edit#gid=0") == sid
    with pytest.raises(WorkbookError) as caught:
        spreadsheet_id("gsheet:not an id")
    assert "gsheet:" in caught.value.fix.en and "gsheet:" in caught.value.fix.fr


def test_a_run_reads_sends_and_writes_back_through_the_service_account(server, env, tmp_path):
    sid = server.add_book(tabs=book_tabs())
    users = {t: [list(r) for r in server.sheet(sid, t).cells] for t in server.titles(sid)}
    b = backend(sid, env)
    result = day_run(b, tmp_path / "out")
    data = result.to_json()
    assert data["sent"] == 3
    assert server.token_requests == 1  # google-auth's JWT flow, against the key file's token_uri
    rows = history(server, sid)
    assert sorted(r[3] for r in rows) == ["C1", "C2", "C3"]
    assert {r[9] for r in rows} == {"envoyé"}  # the pending rows completed in place, not appended again
    assert len(rows) == 3
    # the owned tabs are created, marked, styled: header frozen, dates formatted, dropdowns
    assert {"Historique", "A_valider", "Taches", "Anomalies"} <= set(server.titles(sid))
    h = server.sheet(sid, "Historique")
    assert h.frozen_rows == 1 and h.header_format["textFormat"]["bold"]
    assert any(m["metadataKey"] == MARK for m in h.metadata)
    assert h.formats[1]["numberFormat"]["type"] == "DATE_TIME" and h.formats[14]["numberFormat"]["type"] == "DATE"
    plan = server.sheet(sid, "A_valider")
    assert any(rule["condition"]["type"] == "ONE_OF_LIST" for rule in plan.validations.values())
    # the user's tabs are never written
    assert all(server.sheet(sid, t).cells == cells for t, cells in users.items())
    assert server.requests <= 10


def test_a_rerun_reads_history_back_and_sends_nothing(server, env, tmp_path):
    sid = server.add_book(tabs=book_tabs())
    day_run(backend(sid, env), tmp_path / "out")
    before = server.requests
    again = day_run(backend(sid, env), tmp_path / "out").to_json()
    assert again["sent"] == 0 and again["planned"] == 0
    assert len(history(server, sid)) == 3
    assert len(list((tmp_path / "out").glob("*.eml"))) == 3
    assert server.requests - before <= 10
    # History was read back with its dates as dates (serial numbers in a date column)
    book = read_book(backend(sid, env))
    assert {e.as_of for e in book.history} == {DAY}
    assert all(e.timestamp.startswith("2025-03-31T") for e in book.history)


def test_text_that_looks_like_a_formula_stays_text(server, env, tmp_path):
    t = book_tabs(1)
    t["Clients"][1][1] = '=HYPERLINK("http://evil.example","x")'
    sid = server.add_book(tabs=t)
    b = backend(sid, env)
    b.write([*read_book(b).owned.values()])  # nothing owned yet
    from relance.engine.sheets import OwnedTab

    b.write([OwnedTab("Anomalies", ["a", "b"], [['=HYPERLINK("x")', "+33 1 23"]])])
    assert server.values(sid, "Anomalies", "FORMULA")[1] == ['=HYPERLINK("x")', "+33 1 23"]
    from servers.sheets import Formula

    assert not any(isinstance(v, Formula) for row in server.sheet(sid, "Anomalies").cells for v in row)


def test_anomalies_are_addressed_as_in_the_sheet(server, env, tmp_path):
    t = book_tabs(2)
    t["Factures"][2][4] = "douze"  # F2's amount
    sid = server.add_book(tabs=t)
    result = day_run(backend(sid, env), tmp_path / "out")
    found = [a for a in result.snapshot.anomalies if a.value == "douze"]
    assert [(a.source.tab, a.source.cell) for a in found] == [("Factures", "E3")]
    rows = server.values(sid, "Anomalies")
    assert any(r[1] == "Factures" and r[2] == "E3" for r in rows[1:])


def test_tabs_are_read_in_one_request_quoted_names_included(server, env):
    t = book_tabs(1)
    t["Clients d'Anne"] = [["x"], ["y"]]  # the user's: not even read
    sid = server.add_book(tabs=t)
    from relance.app.resources import shipped_contract
    from relance.engine.table import reads_tab

    b = backend(sid, env)
    sheets = {s.name: s for s in b.read(lambda name: reads_tab(shipped_contract(), name))}
    assert sheets["Clients d'Anne"].rows == []
    assert [e for e, _, _ in server.log] == ["get", "values.batchGet"]
    assert sheets["Factures"].rows[1][:3] == ["F1", "C1", "2025-01-01"]
    everything = {s.name: s for s in b.read()}
    assert everything["Clients d'Anne"].rows == [["x"], ["y"]]  # asked for as 'Clients d''Anne'


def test_a_users_tab_named_like_ours_is_refused_and_never_written(server, env, tmp_path):
    sid = server.add_book(tabs=book_tabs(2, Historique=[["mes notes"], ["à ne pas perdre"]]))
    with pytest.raises(ForeignTab):
        day_run(backend(sid, env), tmp_path / "out")
    assert server.values(sid, "Historique") == [["mes notes"], ["à ne pas perdre"]]
    assert not [e for e, _, _ in server.log if e == "batchUpdate"]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.eml"))


def test_transient_errors_are_retried_honouring_retry_after(server, env, tmp_path):
    sid = server.add_book(tabs=book_tabs())
    server.faults += [Fault("get", 429, retry_after="7"), Fault("values.batchGet", 503), Fault("batchUpdate", 500)]
    slept: list[float] = []
    assert day_run(backend(sid, env, slept), tmp_path / "out").to_json()["sent"] == 3
    assert slept[0] == 7.0 and len(slept) == 3 and all(0 <= s <= 64 for s in slept)
    assert len(history(server, sid)) == 3


def test_after_the_bound_a_clear_error_in_both_languages(server, env, tmp_path):
    sid = server.add_book(tabs=book_tabs())
    server.faults.append(Fault("get", 503, times=4))
    slept: list[float] = []
    with pytest.raises(WorkbookError) as caught:
        day_run(backend(sid, env, slept, attempts=4), tmp_path / "out")
    assert len(slept) == 3
    assert "4 tries" in caught.value.message and "4 essais" in caught.value.said.fr
    assert "60" in caught.value.hint and "60" in caught.value.fix.fr


def test_the_quota_answers_429_and_relance_waits_as_told(server, env, tmp_path):
    sid = server.add_book(tabs=book_tabs())
    server.quota = 2
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        server.now += seconds  # the quota's minute passes while relance waits

    b = GsheetBackend(f"gsheet:{sid}", env, retry=Retry(attempts=6, sleep=sleep))
    assert day_run(b, tmp_path / "out").to_json()["sent"] == 3
    assert slept and all(s >= 1 for s in slept)  # Retry-After from the quota, never a busy loop


def test_a_write_applied_before_its_answer_was_lost_is_not_sent_twice(server, env, tmp_path):
    sid = server.add_book(tabs=book_tabs())
    # the pending rows land, then the server fails; then the outcomes land and the answer is lost
    server.faults += [Fault("batchUpdate", 503, after_apply=True), Fault("batchUpdate", drop=True, after_apply=True)]
    result = day_run(backend(sid, env), tmp_path / "out").to_json()
    assert result["sent"] == 3
    rows = history(server, sid)
    assert len(rows) == 3 and {r[9] for r in rows} == {"envoyé"}
    assert len(list((tmp_path / "out").glob("*.eml"))) == 3


def test_a_timeout_is_retried(server, env, tmp_path):
    sid = server.add_book(tabs=book_tabs())
    server.faults.append(Fault("values.batchGet", hang=True))
    b = backend(sid, {**env, "RELANCE_SHEETS_TIMEOUT": "0.5"})
    assert day_run(b, tmp_path / "out").to_json()["sent"] == 3


def test_no_access_says_whom_to_share_the_sheet_with(server, env, tmp_path):
    sid = server.add_book(tabs=book_tabs())
    server.tokens.clear()
    server.require_auth = True
    b = backend(sid, env)
    b.api  # noqa: B018 - credentials loaded
    server.trusted.clear()  # the token endpoint no longer knows this account
    with pytest.raises(WorkbookError) as caught:
        b.read()
    assert "GOOGLE_APPLICATION_CREDENTIALS" in caught.value.hint


def test_unknown_spreadsheet_is_said(server, env):
    b = backend("1ZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", env)
    with pytest.raises(WorkbookError) as caught:
        b.read()
    assert "relance@demo-project" in caught.value.hint


def test_the_connect_seam_opens_gsheet_and_still_refuses_excel(server, env, monkeypatch):
    from relance.engine.errors import ConfigError

    for k, v in env.items():
        monkeypatch.setenv(k, v)
    sid = server.add_book(tabs=book_tabs(1))
    assert isinstance(open_workbook(f"gsheet:{sid}"), GsheetBackend)
    with pytest.raises(ConfigError):
        open_workbook("excel:")


def test_a_sheet_not_shared_or_shared_read_only(server, env, tmp_path):
    from relance.app.jobs import snapshot

    sid = server.add_book(tabs=book_tabs())
    account = "relance@demo-project.iam.gserviceaccount.com"
    server.books[sid].editors = set()
    with pytest.raises(WorkbookError) as caught:
        backend(sid, env).read()
    assert account in caught.value.hint and account in caught.value.fix.fr  # whom to share it with
    server.books[sid].viewers = {account}
    assert len(snapshot(backend(sid, env), on(DAY), None).plan.to_send) == 3  # check and plan work
    with pytest.raises(WorkbookError):
        day_run(backend(sid, env), tmp_path / "out")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.eml"))  # nothing left


def test_init_lays_the_template_onto_an_empty_spreadsheet(server, env, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from relance.cli import app

    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(tmp_path)
    sid = server.add_book(tabs={"Feuille 1": []})
    result = CliRunner().invoke(app, ["init", f"gsheet:{sid}", "--lang", "fr"])
    assert result.exit_code == 0, result.output
    assert list(tmp_path.iterdir()) == [tmp_path / "sa.json"]  # no file written
    titles = server.titles(sid)
    assert "Feuille 1" not in titles and {"Factures", "Clients", "Reglements", "Parametres"} <= set(titles)
    invoices = server.sheet(sid, "Factures")
    assert invoices.frozen_rows == 1 and invoices.notes[(0, 0)]  # a note on each header cell
    from relance.app.resources import shipped_contract

    assert server.values(sid, "Factures")[0] == shipped_contract().tab("invoices").headers("fr")
    assert any(r["condition"]["type"] == "DATE_IS_VALID" for r in invoices.validations.values())
    settings = server.values(sid, "Parametres")
    assert [r[0] for r in settings if r and r[0] == "company_name"] == ["company_name"]
    # the sheet so prepared is a workbook relance reads: a check finds only what is left to fill in
    book = read_book(backend(sid, env))
    assert not [a for a in book.anomalies if a.code in ("R000", "R006")]
    # a second init is refused: the sheet is no longer empty
    again = CliRunner().invoke(app, ["init", f"gsheet:{sid}"])
    assert again.exit_code == 3 and "Factures" in again.output


def test_init_refuses_excel_and_a_demo_on_a_spreadsheet(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from relance.cli import app

    monkeypatch.chdir(tmp_path)
    for args in (["init", "excel:"], ["init", "gsheet:1AbCdEfGhIjKlMnOpQrStUvWxYz0123", "--demo"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2 and "relance init" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_payment_typed_while_the_run_plans_is_seen_before_sending(server, env, tmp_path):
    sid = server.add_book(tabs=book_tabs())

    class Typing(GsheetBackend):
        def changed_since_read(self) -> bool:  # a person types C2's payment just now
            sheet = server.sheet(sid, "Reglements")
            sheet.put(1, 0, "2025-03-30")
            sheet.put(1, 1, 200)
            sheet.put(1, 2, "F2")
            sheet.put(1, 3, "C2")
            return super().changed_since_read()

    b = Typing(f"gsheet:{sid}", env, retry=Retry(sleep=lambda s: None))
    result = day_run(b, tmp_path / "out").to_json()
    assert sorted(a["customer_id"] for a in result["actions"]) == ["C1", "C3"]
    assert sorted(r[3] for r in history(server, sid)) == ["C1", "C3"]
    assert [e for e, _, _ in server.log].count("values.batchGet") == 4  # read, check, read again, claim


def test_nothing_changed_means_no_second_read(server, env, tmp_path):
    sid = server.add_book(tabs=book_tabs())
    day_run(backend(sid, env), tmp_path / "out")
    assert [e for e, _, _ in server.log] == ["get", "values.batchGet", "values.batchGet", "batchUpdate",
                                             "values.batchGet", "batchUpdate"]


def test_a_spreadsheet_s_default_outbox_is_named_after_its_id_in_the_current_folder():
    from pathlib import Path

    from relance.app.connect import default_outbox

    url = "gsheet:https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWx/edit#gid=0"
    assert default_outbox(url) == Path("gsheet-1AbCdEfGhIjKlMnOpQrStUvWx_outbox")
    assert default_outbox("gsheet:1AbCdEfGhIjKlMnOpQrStUvWx") == default_outbox(url)
