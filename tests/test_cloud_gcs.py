"""daily_run on a workbook kept in Cloud Storage, as deployed: functions-framework for real, the
real google-cloud-storage client against the loopback stand-in (tests/servers/gcs.py).

Two function instances (two processes, as Cloud Run scales out) called at once for the same
`gs://` workbook, then Scheduler's retries: every reminder leaves once, History is written back to
the object, and nothing is overwritten.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from python_calamine import CalamineWorkbook

from cloudkit import Function, Keys, outbox_keys, small_book
from servers.gcs import FakeGcs

BUCKET = "relance-books"
NAME = "clients/atelier/book.xlsx"
URL = f"gs://{BUCKET}/{NAME}"
SCHEDULE = "2026-12-01T07:00:00Z"


@pytest.fixture
def gcs(tmp_path):
    fake = FakeGcs(buckets={BUCKET})
    host = fake.start()
    fake.put(BUCKET, NAME, small_book(tmp_path / "book.xlsx", 4).read_bytes())
    yield fake, host
    fake.stop()


def history(data: bytes) -> list[dict[str, object]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = book.get_sheet_by_name("Historique").to_python() if "Historique" in book.sheet_names else []
    return [dict(zip([str(h) for h in rows[0]], row, strict=False)) for row in rows[1:]] if rows else []


def call(function: Function, token: str, schedule: str = SCHEDULE) -> requests.Response:
    return requests.post(function.url, data=json.dumps({"workbook": URL, "anytime": True}), timeout=300,
                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                                  "User-Agent": "Google-Cloud-Scheduler", "X-CloudScheduler": "true",
                                  "X-CloudScheduler-ScheduleTime": schedule})


def test_two_instances_and_the_retries_on_a_gs_workbook_send_each_reminder_once(gcs, tmp_path):
    fake, host = gcs
    outboxes = tmp_path / "outboxes"  # shared by the instances, as a mounted bucket would be
    env = {"STORAGE_EMULATOR_HOST": host, "RELANCE_GCS_RETRY_WAIT": "0.01", "RELANCE_OUTBOX_DIR": str(outboxes)}
    token = Keys("scheduler").token("https://europe-west1-relance-test.cloudfunctions.net/daily_run",
                                    "relance-scheduler@relance-test.iam.gserviceaccount.com")
    with Function("daily_run", env) as one, Function("daily_run", env) as two:
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda f: call(f, token), (one, two)))
        # one instance ran; the other found the lease taken (409: Scheduler retries) or nothing left
        assert sorted(a.status_code for a in answers) in ([200, 200], [200, 409]), [a.text for a in answers]
        ran = [a.json()["workbooks"][0]["summary"] for a in answers if a.status_code == 200]
        assert sum(s["sent"] for s in ran) == 4
        for function in (one, two):  # Scheduler's retries of the same schedule time
            again = call(function, token)
            assert again.status_code == 200, again.text
            assert again.json()["workbooks"][0]["summary"]["sent"] == 0
    [folder] = list(outboxes.iterdir())
    keys = outbox_keys(folder)
    assert len(keys) == 4 and Counter(keys).most_common(1)[0][1] == 1
    stored = fake.get(BUCKET, NAME)
    assert stored is not None
    rows = history(stored.data)
    assert sorted(str(r["cle_action"]) for r in rows) == sorted(keys)
    assert Counter(r["statut"] for r in rows) == {"envoyé": 4}
    assert fake.get(BUCKET, NAME + ".lock") is None  # the lease is given back
    # every write of the workbook carried the generation it was made on
    assert all("ifGenerationMatch" in r.query for r in fake.uploads(NAME))
