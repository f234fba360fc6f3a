"""daily_run on a Google Sheets workbook, as deployed: functions-framework for real, the real
gspread and google-auth clients against the local Sheets v4 server (tests/servers/sheets.py).

A spreadsheet has no lock: two function instances called at once with the same schedule time
(Scheduler's deadline retrying an attempt still running) both plan the same reminders. Each
attempt writes History under an id of its own (the scheduled run's id plus a suffix), so the
first row appended names the one attempt that sends: every reminder leaves once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from cloudkit import Function, Keys, attempt_of, outbox_keys
from conftest import CLASSIC, customer, invoice, tabs
from servers.sheets import SheetsServer, service_account_key

SCHEDULE = "2026-12-01T07:00:00Z"
RUN_ID = "sched-20261201T070000Z"


def call(function: Function, token: str, sid: str) -> requests.Response:
    return requests.post(function.url, data=json.dumps({"workbook": f"gsheet:{sid}", "anytime": True}),
                         timeout=300, headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                                               "User-Agent": "Google-Cloud-Scheduler", "X-CloudScheduler": "true",
                                               "X-CloudScheduler-ScheduleTime": SCHEDULE})


def test_two_instances_with_one_schedule_time_on_a_spreadsheet_send_each_reminder_once(tmp_path):
    today = dt.datetime.now(dt.UTC).date()
    n = 12
    book = tabs([customer(f"C{i:02d}") for i in range(n)],
                [invoice(f"F{i:02d}", f"C{i:02d}", (today - dt.timedelta(days=60)).isoformat(),
                         (today - dt.timedelta(days=10)).isoformat(), 100 + i) for i in range(n)],
                Scenarios=CLASSIC)
    token = Keys("scheduler").token("https://europe-west1-relance-test.cloudfunctions.net/daily_run",
                                    "relance-scheduler@relance-test.iam.gserviceaccount.com")
    with SheetsServer(require_auth=True) as server:
        sid = server.add_book(tabs=book)
        outboxes = tmp_path / "outboxes"  # shared by the instances, as a mounted bucket would be
        env = {"GOOGLE_APPLICATION_CREDENTIALS": service_account_key(server, tmp_path / "sa.json"),
               "RELANCE_SHEETS_API_URL": server.url, "RELANCE_SHEETS_RETRY_WAIT": "0.01",
               "RELANCE_OUTBOX_DIR": str(outboxes)}
        with Function("daily_run", env) as one, Function("daily_run", env) as two:
            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(lambda f: call(f, token, sid), (one, two)))
            assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
            summaries = [a.json()["workbooks"][0]["summary"] for a in answers]
            assert sum(s["sent"] for s in summaries) == n
            attempts = {s["run_id"] for s in summaries}
            assert len(attempts) == 2 and {attempt_of(r) for r in attempts} == {RUN_ID}
            for function in (one, two):  # Scheduler's later retries of the same schedule time
                again = call(function, token, sid)
                assert again.status_code == 200, again.text
                assert again.json()["workbooks"][0]["summary"]["sent"] == 0
        rows = server.values(sid, "Historique")
    [folder] = list(outboxes.iterdir())
    keys = outbox_keys(folder)
    assert len(keys) == n and set(Counter(keys).values()) == {1}  # zero lost, zero duplicates
    header, body = rows[0], rows[1:]
    status = header.index("statut")
    assert Counter(r[status] for r in body)["envoyé"] == n
    assert not [r for r in body if r[status] == "en attente"]
    assert {attempt_of(str(r[0])) for r in body} == {RUN_ID}
