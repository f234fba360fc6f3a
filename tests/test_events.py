"""Delivery events: Mailjet posts them to the `mailjet_events` function (functions-framework, for
real, on loopback), which records them on the messages' History rows; a duplicate or a late event
changes nothing; spam and unsub opt the customer out of the next run, a hard bounce marks the
address invalid (R630) until the Customers tab has another one."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from functions_framework import create_app
from werkzeug.serving import make_server

from conftest import customer, invoice, tabs
from handmade import write_book
from relance.app.events import event_payload, parse_mailjet, record_events, workbook_of
from relance.engine.delivery import DeliveryEvent, apply_events
from relance.engine.history import HistoryEntry
from relance.engine.tab_values import STATUSES, key_of
from relance.workbook.memory import MemoryBackend
from servers.mailjet import FakeMailjet

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "relance" / "cloud" / "events.py"
SECRET = "s3cret-hook"
PARIS = ZoneInfo("Europe/Paris")
T0 = 1_764_580_000  # a unix time, as Mailjet's `time` field


def _row(key: str, status: str = "sent", message_id: str = "1000", customer_id: str = "C1",
         recipient: str = "compta@c1.example") -> HistoryEntry:
    return HistoryEntry("r1", "2026-12-01T09:00:00+01:00", key, customer_id, ("F1",), "standard", "reminder_1",
                        "email", recipient, status, message_id, None, "EUR", "", dt.date(2026, 12, 1), "mailjet:abc")


def _event(kind: str, key: str = "K1", at: int = T0, message_id: str = "1000", **kw: object) -> DeliveryEvent:
    return DeliveryEvent(kind, dt.datetime.fromtimestamp(at, dt.UTC), message_id, key, **kw)  # type: ignore[arg-type]


# --- the rules, on History rows -------------------------------------------------------------------

def test_each_event_moves_its_row_forward_and_never_back():
    rows = [_row("K1"), _row("K2", message_id="2000")]
    events = [_event("open", at=T0 + 60), _event("sent", at=T0), _event("click", at=T0 + 120),
              _event("open", at=T0 + 600),  # a second open after the click: nothing
              _event("bounce", "K2", message_id="2000", hard_bounce=True, error="recipient user unknown"),
              _event("open", "K2", at=T0 + 9000, message_id="2000")]  # a late open never hides the bounce
    fixed, done = apply_events(rows, events, PARIS, "fr")
    assert [e.status for e in fixed] == ["clicked", "bounced"]
    assert (done.moved, done.unchanged, done.unmatched) == (4, 2, 0)
    assert "recipient user unknown" in fixed[1].detail and "non distribué" not in fixed[1].detail
    again, twice = apply_events(fixed, events, PARIS, "fr")
    assert again == fixed and twice.moved == 0  # the same batch posted again changes nothing


def test_out_of_order_arrival_gives_the_same_rows_as_in_order():
    events = [_event("sent"), _event("open", at=T0 + 5), _event("unsub", at=T0 + 9)]
    forward, _ = apply_events([_row("K1")], events, PARIS, "en")
    backward, _ = apply_events([_row("K1")], list(reversed(events)), PARIS, "en")
    one_by_one = [_row("K1")]
    for event in reversed(events):  # separate posts, the last event first
        one_by_one, _ = apply_events(one_by_one, [event], PARIS, "en")
    assert forward[0].status == backward[0].status == "unsub"
    assert one_by_one[0].status == "unsub"  # an event older than the row's status is a no-op


def test_a_soft_bounce_an_unknown_key_or_another_message_change_nothing():
    rows = [_row("K1")]
    fixed, done = apply_events(rows, [_event("bounce", hard_bounce=False), _event("open", "OTHER"),
                                      _event("open", message_id="9999")], PARIS, "fr")
    assert fixed == rows and done.moved == 0 and done.unmatched == 2 and done.unchanged == 1


def test_a_pending_row_left_by_a_crash_takes_the_event_and_its_message_id():
    fixed, _ = apply_events([_row("K1", status="pending", message_id="")], [_event("sent", message_id="4242")],
                            PARIS, "en")
    assert (fixed[0].status, fixed[0].message_id) == ("delivered", "4242")
    assert fixed[0].detail.startswith("Delivered on 1\u00a0December\u00a02025 at 10:06")


def test_events_parse_as_mailjet_posts_them_and_carry_their_workbook(tmp_path):
    payload = event_payload(str(tmp_path / "book.xlsx"))
    assert workbook_of(payload) == str((tmp_path / "book.xlsx").resolve())
    assert workbook_of("") == workbook_of("not json") == workbook_of('{"other": 1}') == ""
    one = {"event": "bounce", "time": T0, "MessageID": 19421777835146490, "Message_GUID": "1ab23cd4",
           "email": "api@mailjet.com", "mj_campaign_id": 0, "mj_contact_id": 0, "customcampaign": "",
           "CustomID": "K1", "Payload": payload, "blocked": False, "hard_bounce": True,
           "error_related_to": "recipient", "error": "user unknown"}
    [event] = parse_mailjet(one)
    assert (event.kind, event.message_id, event.action_key, event.hard_bounce) == ("bounce", "19421777835146490",
                                                                                  "K1", True)
    assert event.error == "recipient user unknown" and event.workbook == str((tmp_path / "book.xlsx").resolve())
    assert len(parse_mailjet([one, {**one, "event": "open"}])) == 2


# --- the webhook, served by functions-framework --------------------------------------------------

@pytest.fixture
def hook(monkeypatch) -> Iterator[str]:
    """`mailjet_events` served by functions-framework's own app (werkzeug) on a loopback port."""
    monkeypatch.setenv("MAILJET_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("RELANCE_LOCAL_WORKBOOKS", "1")
    server = make_server("127.0.0.1", 0, create_app("mailjet_events", str(SOURCE)), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join(timeout=30)


def _post(url: str, body: object, secret: str | None = SECRET) -> requests.Response:
    auth = ("mailjet", secret) if secret is not None else None
    return requests.post(url, data=json.dumps(body), auth=auth, headers={"Content-Type": "application/json"},
                         timeout=60)


def _mailjet_event(kind: str, sent: dict, at: int, **extra: object) -> dict:
    """An event as Mailjet posts it about a message the fake Mailjet took (its CustomID, Payload)."""
    return {"event": kind, "time": at, "MessageID": sent["ID"], "Message_GUID": f"guid-{sent['ID']}",
            "email": sent["To"], "mj_campaign_id": 7, "mj_contact_id": 8, "customcampaign": "",
            "CustomID": sent["CustomID"], "Payload": sent["EventPayload"], **extra}


def _history(path: Path) -> dict[str, tuple[str, str]]:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Historique").to_python()[1:]
    return {str(r[3]): (key_of(STATUSES, r[9]), str(r[10])) for r in rows if r and r[3]}


def _book(path: Path) -> Path:
    customers = [customer("C1"), customer("C2"), customer("C3"), customer("C4")]
    invoices = [invoice(f"F{n}", f"C{n}", "2025-01-15", "2025-02-14", 1200) for n in range(1, 5)]
    return write_book(path, tabs(customers, invoices, settings={"locale": "fr_FR"}))


def test_the_webhook_records_mailjet_events_and_the_next_run_and_check_follow_them(tmp_path, monkeypatch, hook,
                                                                                  capfd):
    from typer.testing import CliRunner

    from relance import cli
    from relance.cli import app

    book = _book(tmp_path / "book.xlsx")
    runner = CliRunner()
    monkeypatch.setattr(cli, "_now", lambda: dt.datetime(2025, 3, 3, 9, 30, tzinfo=dt.UTC))
    with FakeMailjet() as fake:
        for name, value in {"MAILJET_API_KEY": fake.key, "MAILJET_API_SECRET": fake.secret,
                            "MAILJET_API_URL": fake.url, "MAILJET_RETRY_WAIT": "0"}.items():
            monkeypatch.setenv(name, value)
        first = runner.invoke(app, ["run", str(book), "--channel", "mailjet", "--json"])
        assert first.exit_code == 0, first.output
        sent = {m["To"].split("@")[1].split(".")[0].upper(): m for m in fake.messages}
        assert set(sent) == {"C1", "C2", "C3", "C4"}
        assert all(workbook_of(m["EventPayload"]) == str(book.resolve()) for m in sent.values())

        assert _post(hook, _mailjet_event("sent", sent["C1"], T0), secret="wrong").status_code == 401
        assert _post(hook, _mailjet_event("sent", sent["C1"], T0), secret=None).status_code == 401
        assert {s for s, _ in _history(book).values()} == {"sent"}  # refused: nothing written

        opened = _mailjet_event("open", sent["C1"], T0 + 60, ip="127.0.0.1", geo="FR", agent="x")
        answer = _post(hook, opened)  # a single event, the opening before the delivery
        assert answer.status_code == 200, answer.text
        batch = [_mailjet_event("sent", sent["C1"], T0), opened,  # late and duplicate
                 _mailjet_event("unsub", sent["C2"], T0 + 30, mj_list_id=1, ip="", geo="", agent=""),
                 _mailjet_event("bounce", sent["C3"], T0 + 5, blocked=False, hard_bounce=True,
                                error_related_to="recipient", error="user unknown"),
                 _mailjet_event("open", sent["C3"], T0 + 99),  # never hides the bounce
                 _mailjet_event("bounce", sent["C4"], T0 + 5, blocked=False, hard_bounce=False,
                                error_related_to="domain", error="connection issue"),
                 {**_mailjet_event("open", sent["C1"], T0), "Payload": ""}]  # not relance's: ignored
        answer = _post(hook, batch)
        assert answer.status_code == 200, answer.text
        summary = answer.json()
        assert summary["events"] == 7 and summary["ignored"] == 1
        assert summary["workbooks"][str(book.resolve())] == {"moved": 2, "unchanged": 4, "unmatched": 0}
        again = _post(hook, batch).json()  # Mailjet posts again: nothing moves
        assert again["workbooks"][str(book.resolve())]["moved"] == 0

        logs = [json.loads(line) for line in capfd.readouterr().out.splitlines() if '"mailjet_events"' in line]
        assert {entry["severity"] for entry in logs} == {"INFO", "WARNING"}  # the two refusals, the records
        assert not any("@" in json.dumps(entry) for entry in logs)  # ids and counts, never an address

        history = _history(book)
        assert history["C1"] == ("opened", str(sent["C1"]["ID"]))
        assert history["C2"][0] == "unsub" and history["C3"][0] == "bounced" and history["C4"][0] == "sent"

        check = runner.invoke(app, ["check", str(book), "--json"])
        found = [a for a in json.loads(check.output)["anomalies"] if a["code"] == "R630"]
        assert len(found) == 1 and found[0]["value"] == "compta@c3.example"
        assert found[0]["cell"] == "C4"  # Clients, the e-mail column of C3's row

        monkeypatch.setattr(cli, "_now", lambda: dt.datetime(2025, 3, 17, 9, 30, tzinfo=dt.UTC))
        fake.messages.clear()
        later = runner.invoke(app, ["run", str(book), "--channel", "mailjet", "--json"])
        assert later.exit_code == 0, later.output
        result = json.loads(later.output)
        reasons = {s["customer_id"]: s["reason"] for s in result["skips"]}
        assert reasons["C2"] == "unsubscribed" and reasons["C3"] == "address_bounced"
        assert {m["To"] for m in fake.messages} == {"compta@c1.example", "compta@c4.example"}
    shown = runner.invoke(app, ["run", str(book), "--dry-run"]).output
    assert "désabonné" in shown and "adresse e-mail invalide" in shown


def test_a_run_holding_the_lock_makes_the_webhook_ask_for_the_events_again(tmp_path, hook):
    from relance.workbook.xlsx import XlsxBackend

    book = _book(tmp_path / "book.xlsx")
    event = {"event": "open", "time": T0, "MessageID": 1, "CustomID": "K", "Payload": event_payload(str(book))}
    with XlsxBackend(book).run_lock():
        assert _post(hook, event).status_code == 503  # Mailjet posts again later
    assert _post(hook, event).status_code == 200
    assert _post(hook, "not events").status_code == 400
    assert _post(hook, [1, 2]).status_code == 400


def test_local_workbooks_are_opened_only_when_allowed(tmp_path, hook, monkeypatch):
    book = _book(tmp_path / "book.xlsx")
    monkeypatch.setenv("RELANCE_LOCAL_WORKBOOKS", "0")
    event = {"event": "open", "time": T0, "MessageID": 1, "CustomID": "K", "Payload": event_payload(str(book))}
    answer = _post(hook, event)
    assert answer.status_code == 200 and answer.json()["ignored"] == 1


def test_record_events_on_a_memory_book_under_its_run_lock():
    from relance.app.jobs import read_book
    from relance.engine.owned_tabs import history_tabs

    backend = MemoryBackend(tabs([customer("C1")], [invoice("F1", "C1", "2025-01-15", "2025-02-14", 100)]))
    backend.write(history_tabs(read_book(backend), [_row("K1")]))
    assert record_events(backend, [_event("open")]).applied.moved == 1
    assert [e.status for e in read_book(backend).history] == ["opened"]
    assert record_events(backend, [_event("open"), _event("sent")]).applied.moved == 0


def test_the_function_served_by_the_functions_framework_command(tmp_path):
    """The `functions-framework` command itself, as a deployment runs it: 401 without the secret,
    200 for a valid post."""
    env = {**os.environ, "MAILJET_WEBHOOK_SECRET": SECRET, "RELANCE_LOCAL_WORKBOOKS": "1",
           "GUNICORN_LOG_LEVEL": "info"}  # gunicorn then says the address it listens at
    command = [str(Path(sys.executable).with_name("functions-framework")), "--target", "mailjet_events",
               "--source", str(SOURCE), "--host", "127.0.0.1", "--port", "0"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = ""
        assert process.stdout is not None
        for line in process.stdout:
            if "Listening at: " in line:
                url = line.split("Listening at: ")[1].split()[0] + "/"
                break
        assert url.startswith("http://127.0.0.1:"), "functions-framework did not start"
        assert _post(url, {"event": "open"}, secret="nope").status_code == 401
        token = base64.b64encode(f"mailjet:{SECRET}".encode()).decode()
        answer = requests.post(url, data=json.dumps([{"event": "open", "time": T0, "CustomID": "K"}]),
                               headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
                               timeout=60)
        assert answer.status_code == 200 and answer.json()["ignored"] == 1
    finally:
        process.terminate()
        process.wait(timeout=60)


# --- what the planner makes of them ----------------------------------------------------------------

def _with_statuses(b, statuses: dict[str, str]):
    """The book after one run whose messages then got these statuses (customer id -> status)."""
    from dataclasses import replace

    return replace(b, history=[replace(e, status=statuses.get(e.customer_id, e.status)) for e in b.history])


def test_the_planner_skips_an_opted_out_customer_and_writes_no_more_to_a_dead_address():
    from books import book, planned, record

    customers = [customer("C1"), customer("C2"), customer("C3", email="old@c3.example; new@c3.example"),
                 customer("C4", email="gone@c4.example")]
    invoices = [invoice(f"F{n}", f"C{n}", "2025-01-15", "2025-02-14", 1200) for n in range(1, 5)]
    start = book(customers, invoices)
    first = planned(start, dt.date(2025, 2, 21))
    assert {c for c, _, _ in first.actions} == {"C1", "C2", "C3", "C4"}
    b = _with_statuses(record(start, first.plan), {"C1": "spam", "C2": "unsub", "C4": "bounced"})
    # C3's message went to both addresses and bounced: a message keeps one status for all of them
    b = _with_statuses(b, {"C3": "bounced"})
    later = planned(b, dt.date(2025, 3, 3))
    reasons = {(c, r) for c, _, r in later.skips}
    assert ("C1", "unsubscribed") in reasons and ("C2", "unsubscribed") in reasons
    assert ("C3", "address_bounced") in reasons and not any(c in ("C1", "C2", "C3") for c, _, _ in later.actions)
    bounced = sorted((a.source.cell, a.value) for a in later.anomalies if a.code == "R630")
    assert bounced == [("C4", "new@c3.example"), ("C4", "old@c3.example"), ("C5", "gone@c4.example")]

    # the address corrected in Customers: the anomaly goes, the next step goes to the new address
    fixed = [customer("C1"), customer("C2"), customer("C3", email="compta@c3.example"), customers[3]]
    moved = _with_statuses(record(book(fixed, invoices), first.plan), {"C1": "spam", "C2": "unsub",
                                                                      "C3": "bounced", "C4": "bounced"})
    after = planned(moved, dt.date(2025, 3, 3))
    assert sorted(a.value for a in after.anomalies if a.code == "R630") == ["gone@c4.example"]
    to_c3 = [a for a in after.plan.actions if a.customer_id == "C3"]
    assert to_c3 and to_c3[0].recipients == ("compta@c3.example",)


def test_the_daily_cap_still_counts_a_message_whose_events_moved_it():
    from relance.channels.mailjet import sent_today

    rows = [_row("K1", status="delivered"), _row("K2", status="opened"), _row("K3", status="failed")]
    assert sent_today(rows, "mailjet:abc", dt.date(2026, 12, 1)) == 2
