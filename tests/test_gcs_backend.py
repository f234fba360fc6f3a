"""`gs://bucket/path/book.xlsx` workbooks: the real google-cloud-storage client against the local
stand-in tests/servers/gcs.py (STORAGE_EMULATOR_HOST), through `relance run` as a user types it.

Exactly once across instances rests on generations: every upload carries the generation last read
or written (412 otherwise: nothing overwritten, nothing sent), and the run lock is a lease object
created only if absent."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from cloudkit import small_book
from french import assert_french
from relance.app.connect import default_outbox, open_workbook
from relance.cli import app
from relance.engine.errors import WorkbookError, WorkbookLocked
from relance.engine.sheets import OwnedTab
from relance.workbook.gcs import GcsBackend, GcsConfig
from servers.gcs import FakeGcs, Fault

BUCKET = "relance-books"
NAME = "clients/atelier/book.xlsx"
URL = f"gs://{BUCKET}/{NAME}"
CUSTOMERS = 6
RELANCE = Path(sys.executable).parent / "relance"
MESSAGE_SUFFIXES = (".eml", ".sms.txt")
runner = CliRunner()


def make_book(path: Path, customers: int = CUSTOMERS, paid: int = 0) -> bytes:
    """A French workbook whose invoices are 18 days overdue today (a first reminder each); the
    first `paid` invoices are marked paid (another writer's version)."""
    return small_book(path, customers, paid=paid).read_bytes()


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> bytes:
    return make_book(tmp_path_factory.mktemp("gcs-book") / "book.xlsx")


@pytest.fixture
def gcs(monkeypatch, original):
    fake = FakeGcs(buckets={BUCKET, "locked-bucket"}, denied={"locked-bucket"})
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fake.start())
    monkeypatch.setenv("RELANCE_GCS_RETRY_WAIT", "0.01")  # the client's back-off, shortened
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    fake.put(BUCKET, NAME, original)
    yield fake
    fake.stop()


def relance(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def messages(folder: Path) -> list[str]:
    """The message files filed in an outbox (any depth), by name."""
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(MESSAGE_SUFFIXES))


def live(fake: FakeGcs) -> bytes:
    obj = fake.get(BUCKET, NAME)
    assert obj is not None
    return obj.data


def history(data: bytes) -> list[dict[str, object]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    if "Historique" not in book.sheet_names:
        return []
    rows = book.get_sheet_by_name("Historique").to_python()
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def user_parts(data: bytes, before: bytes) -> dict[str, bytes]:
    """The worksheet parts of `before` (the user's tabs: relance had written none yet), as they
    are in `data`."""
    with zipfile.ZipFile(io.BytesIO(before)) as old, zipfile.ZipFile(io.BytesIO(data)) as new:
        names = [n for n in old.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        assert names
        assert {n: old.read(n) for n in names} == {n: new.read(n) for n in names}
        return {n: new.read(n) for n in names}


def run(outbox: Path, *extra: str):
    return relance("run", URL, "--anytime", "--outbox", str(outbox), "--json", *extra)


# ------------------------------------------------------------------ a run, then a rerun


def test_a_run_on_a_gs_book_sends_writes_history_back_and_a_rerun_sends_nothing(gcs, original, tmp_path):
    outbox = tmp_path / "out"
    result = run(outbox)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    sent = messages(outbox)
    assert len(sent) == CUSTOMERS == report["sent"]
    data = live(gcs)
    rows = history(data)
    assert Counter(r["statut"] for r in rows) == {"envoyé": CUSTOMERS}, rows
    assert len({r["cle_action"] for r in rows}) == CUSTOMERS
    user_parts(data, original)  # the user's tabs byte for byte
    # every upload of the book carried the generation it was made on; the lease is gone
    book_uploads = gcs.uploads(NAME)
    assert len(book_uploads) == 2 and all("ifGenerationMatch" in r.query for r in book_uploads)
    generations = [g for g, _ in gcs.history[(BUCKET, NAME)]]
    assert generations == sorted(generations) and len(generations) == 3
    assert [int(r.query["ifGenerationMatch"]) for r in book_uploads] == generations[:2]
    assert gcs.get(BUCKET, NAME + ".lock") is None
    # the lease: created only if absent, then renewed before each write at the generation it holds
    leases = [g for g, _ in gcs.history[(BUCKET, NAME + ".lock")]]
    assert [int(r.query["ifGenerationMatch"]) for r in gcs.uploads(NAME + ".lock")] == [0, *leases[:-1]]

    again = run(outbox)
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["sent"] == 0 and messages(outbox) == sent
    assert len(history(live(gcs))) == CUSTOMERS
    user_parts(live(gcs), original)


def test_check_and_plan_read_a_gs_book_without_writing(gcs, original):
    result = relance("check", URL)
    assert result.exit_code == 0, result.output
    plan = relance("plan", URL, "--json")
    assert plan.exit_code == 0, plan.output
    assert len(json.loads(plan.output)["actions"]) == CUSTOMERS
    assert gcs.uploads() == [] and live(gcs) == original


# ------------------------------------------------------------------ concurrent writers


def test_two_real_processes_on_one_object_never_send_an_action_twice(gcs, tmp_path):
    outbox = tmp_path / "out"
    env = {**os.environ, "RELANCE_GCS_RETRY_WAIT": "0.01"}
    argv = [str(RELANCE), "run", URL, "--anytime", "--outbox", str(outbox), "--json"]
    children = [subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True) for _ in range(3)]
    outputs = [(c.returncode, text) for c in children for text, _ in [c.communicate(timeout=300)]]
    codes = [code for code, _ in outputs]
    assert codes.count(0) >= 1 and set(codes) <= {0, 3}, outputs
    for code, text in outputs:
        if code == 3:  # refused: the lease was held, or the book changed under it
            assert "Traceback" not in text and ("bail" in text or "generation" in text), text
    sent = messages(outbox)
    assert len(sent) == CUSTOMERS == len(set(sent))  # each action once, none lost
    rows = history(live(gcs))
    assert Counter(r["cle_action"] for r in rows if r["statut"] == "envoyé") == \
        {r["cle_action"]: 1 for r in rows}
    assert len(rows) == CUSTOMERS
    assert gcs.get(BUCKET, NAME + ".lock") is None
    assert run(outbox).exit_code == 0 and messages(outbox) == sent


def test_a_run_killed_while_sending_is_finished_by_the_next_once_its_lease_expired(gcs, tmp_path):
    """SIGKILL mid-batch: its lease stays (the instance is gone), the next run is refused until the
    lease expires, then settles the pending rows from the outbox and sends only the rest."""
    many = 40
    gcs.put(BUCKET, NAME, make_book(tmp_path / "many.xlsx", customers=many))
    outbox = tmp_path / "out"
    env = {**os.environ, "RELANCE_GCS_RETRY_WAIT": "0.01"}
    child = subprocess.Popen([str(RELANCE), "run", URL, "--anytime", "--outbox", str(outbox), "--json"],
                             cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300  # a hang guard only
    while child.poll() is None and len(messages(outbox)) < 3 and time.monotonic() < deadline:
        time.sleep(0.0005)  # polling the folder, not waiting for a guessed moment
    killed = child.poll() is None
    if killed:
        child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    before = messages(outbox)
    if killed:
        lease = gcs.get(BUCKET, NAME + ".lock")
        assert lease is not None  # left by the killed run
        refused = run(outbox)
        assert refused.exit_code == 3 and messages(outbox) == before
        info = json.loads(lease.data)
        info["expires"] = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()  # time passed
        gcs.put(BUCKET, NAME + ".lock", json.dumps(info).encode())
    result = run(outbox)
    assert result.exit_code == 0, result.output
    sent = messages(outbox)
    assert len(sent) == many == len(set(sent)) and set(before) <= set(sent)
    rows = history(live(gcs))
    done = Counter(r["cle_action"] for r in rows if r["statut"] == "envoyé")
    assert len(done) == many and set(done.values()) == {1}  # each action sent once, none lost
    # the killed run's rows that never left are closed as failed, then sent by the next run
    assert {r["statut"] for r in rows} <= {"envoyé", "échec"}
    assert gcs.get(BUCKET, NAME + ".lock") is None


def test_a_writer_between_read_and_write_is_refused_and_not_overwritten(gcs, tmp_path):
    theirs = make_book(tmp_path / "theirs.xlsx", paid=2)  # someone marks two invoices paid meanwhile
    gcs.faults.append(Fault("upload", "edit", theirs, name=NAME))
    outbox = tmp_path / "out"
    result = run(outbox)
    assert result.exit_code == 3 and "Traceback" not in result.output
    said = flat(result.output)
    # said in the workbook's language (French), the storage's reason and the run's meaning together
    assert "avant l'envoi" in said and "a été modifié par quelqu'un d'autre depuis que relance l'a lu" in said, said
    assert "rien n'a été écrasé" in said and "Rien n'a été envoyé" in said
    assert messages(outbox) == [] and live(gcs) == theirs  # their version stands
    assert gcs.get(BUCKET, NAME + ".lock") is None  # the lease is released

    again = run(outbox)  # the next run reads their version: the paid invoices are not reminded
    assert again.exit_code == 0, again.output
    assert len(messages(outbox)) == CUSTOMERS - 2
    user_parts(live(gcs), theirs)


def test_a_refused_write_after_sending_loses_nothing_and_the_rerun_sends_nothing_again(gcs, tmp_path):
    """Someone saves the object again while the messages leave: the outcomes cannot be written
    over their version, the pending rows stay, and the next run settles them from the outbox."""
    gcs.faults.append(Fault("upload", "edit", name=NAME, skip=1))  # at the second save, after sending
    outbox = tmp_path / "out"
    result = run(outbox)
    assert result.exit_code == 3 and "après l'envoi" in flat(result.output), result.output
    sent = messages(outbox)
    assert len(sent) == CUSTOMERS
    assert Counter(r["statut"] for r in history(live(gcs))) == {"en attente": CUSTOMERS}
    again = run(outbox)
    assert again.exit_code == 0, again.output
    report = json.loads(again.output)
    assert report["sent"] == 0 and report["settled_pending"] == CUSTOMERS and messages(outbox) == sent
    assert Counter(r["statut"] for r in history(live(gcs))) == {"envoyé": CUSTOMERS}


def test_a_lease_taken_over_stops_the_writes_of_the_run_that_lost_it(gcs, original):
    backend = GcsBackend(URL, GcsConfig(retry_wait=0.01))
    with backend.run_lock():
        backend.read()
        lease = gcs.get(BUCKET, NAME + ".lock")
        assert lease is not None and json.loads(lease.data)["pid"] == os.getpid()
        gcs.put(BUCKET, NAME + ".lock", b'{"token": "another run"}')  # took it over after expiry
        with pytest.raises(WorkbookLocked) as lost:
            backend.write([OwnedTab("Taches", ["a"], [["x"]])])
        assert f"le bail d'exécution {URL}.lock a été repris" in lost.value.said.fr
    assert live(gcs) == original and gcs.uploads(NAME) == []
    assert gcs.get(BUCKET, NAME + ".lock").data == b'{"token": "another run"}'  # theirs, not deleted


def test_two_backends_that_read_the_same_generation_cannot_both_write(gcs, original):
    config = GcsConfig(retry_wait=0.01)
    first, second = GcsBackend(URL, config), GcsBackend(URL, config)
    first.read(), second.read()
    tab = OwnedTab("Taches", ["a"], [["premier"]])
    first.write([tab])
    assert second.changed_since_read() and not first.changed_since_read()
    written = live(gcs)
    with pytest.raises(WorkbookLocked) as refused:
        second.write([OwnedTab("Taches", ["a"], [["second"]])])
    assert str(refused.value.said.fr).startswith(f"le classeur {URL} a été modifié par quelqu'un d'autre")
    assert live(gcs) == written
    with pytest.raises(WorkbookLocked):  # still refused until it reads again
        second.write([OwnedTab("Taches", ["a"], [["second"]])])
    second.read()
    second.write([OwnedTab("Taches", ["a"], [["second"]])])
    tasks = CalamineWorkbook.from_filelike(io.BytesIO(live(gcs))).get_sheet_by_name("Taches").to_python()
    assert tasks == [["a"], ["second"]]
    user_parts(live(gcs), original)


def test_a_book_over_8_mib_goes_up_as_a_resumable_upload_under_the_same_precondition(gcs, original):
    """A 100,000-invoice workbook weighs some 10 MB: the client sends it as a resumable upload."""
    buffer = io.BytesIO(original)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_STORED) as zf:  # the user's own large part
        zf.writestr("xl/media/scan.bin", os.urandom(9 << 20))
    big = buffer.getvalue()
    gcs.put(BUCKET, NAME, big)
    config = GcsConfig(retry_wait=0.01)
    first, second = GcsBackend(URL, config), GcsBackend(URL, config)
    first.read(), second.read()
    first.write([OwnedTab("Taches", ["a"], [["premier"]])])
    uploads = gcs.uploads(NAME)
    assert {r.query.get("uploadType") for r in uploads} == {"resumable"} and len(uploads) >= 2  # POST, PUT…
    assert uploads[0].method == "POST" and "ifGenerationMatch" in uploads[0].query
    with zipfile.ZipFile(io.BytesIO(live(gcs))) as zf:
        assert zf.read("xl/media/scan.bin") == zipfile.ZipFile(io.BytesIO(big)).read("xl/media/scan.bin")
    written = live(gcs)
    with pytest.raises(WorkbookLocked):
        second.write([OwnedTab("Taches", ["a"], [["second"]])])
    assert live(gcs) == written
    user_parts(written, original)


# ------------------------------------------------------------------ faults the client retries


def test_transient_errors_are_retried_and_an_applied_upload_is_recognised(gcs, original, tmp_path):
    gcs.faults += [Fault("metadata", "503", name=NAME), Fault("download", "503", name=NAME),
                   Fault("upload", "429", name=NAME + ".lock"),
                   Fault("upload", "503-after", name=NAME),  # the pending rows land, the answer is lost
                   Fault("upload", "503", name=NAME)]
    outbox = tmp_path / "out"
    result = run(outbox)
    assert result.exit_code == 0, result.output
    assert gcs.faults == []
    assert len(messages(outbox)) == CUSTOMERS
    rows = history(live(gcs))
    assert Counter(r["statut"] for r in rows) == {"envoyé": CUSTOMERS}
    user_parts(live(gcs), original)


def test_the_lease_refuses_a_second_run_until_it_expires(gcs, tmp_path):
    now = dt.datetime.now(dt.UTC)
    held = {"token": "other", "pid": 4242, "host": "instance-7", "started": now.isoformat(timespec="seconds"),
            "expires": (now + dt.timedelta(minutes=10)).isoformat(timespec="seconds")}
    gcs.put(BUCKET, NAME + ".lock", json.dumps(held).encode())
    outbox = tmp_path / "out"
    result = run(outbox)
    assert result.exit_code == 3
    said = flat(result.output)
    assert f"une autre exécution de relance utilise le classeur {URL} (processus 4242 sur instance-7" in said
    until = f"{(now + dt.timedelta(minutes=10)):%d/%m/%Y %H:%M} UTC"
    assert f"son bail court jusqu'au {until}" in said and f"{URL}.lock expire le {until}" in said, said
    assert_french(result.output)
    assert messages(outbox) == [] and gcs.uploads(NAME) == []

    held["expires"] = (now - dt.timedelta(minutes=1)).isoformat(timespec="seconds")  # its instance died
    gcs.put(BUCKET, NAME + ".lock", json.dumps(held).encode())
    result = run(outbox)
    assert result.exit_code == 0, result.output
    assert len(messages(outbox)) == CUSTOMERS
    assert gcs.get(BUCKET, NAME + ".lock") is None


# ------------------------------------------------------------------ what cannot be read


@pytest.mark.parametrize(("url", "words"), [
    (f"gs://{BUCKET}/clients/nope.xlsx", ["n'existe pas dans Cloud Storage", f"gcloud storage ls gs://{BUCKET}/"]),
    ("gs://no-such-bucket/book.xlsx", ["n'existe pas dans Cloud Storage", "pas de bucket no-such-bucket"]),
    ("gs://locked-bucket/book.xlsx", ["accès refusé au classeur gs://locked-bucket/book.xlsx",
                                      "roles/storage.objectUser"]),
    (f"gs://{BUCKET}/", ["n'est pas l'adresse d'un classeur dans Cloud Storage"]),
])
def test_an_unreadable_object_is_named_with_the_fix(gcs, url, words):
    result = relance("check", url)
    assert result.exit_code == 3 and "Traceback" not in result.output
    said = flat(result.output)
    for word in words:
        assert word in said, said
    if "locked" not in url:  # the service's own words for a 403 are English, shown as they are
        assert_french(result.output)
    assert "http://" not in said  # the request's address is not the reader's business


def test_init_on_a_gs_address_writes_nothing_here_and_says_how(gcs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = relance("init", URL)
    assert result.exit_code == 2 and "gcloud storage cp relances.xlsx " + URL in flat(result.output)
    assert list(tmp_path.iterdir()) == [] and gcs.get(BUCKET, NAME).data is not None


def test_the_english_messages_and_the_outbox_beside(gcs):
    with pytest.raises(WorkbookError) as missing:
        open_workbook(f"gs://{BUCKET}/nope.xlsx").read()
    assert missing.value.said.en.startswith(f"the workbook gs://{BUCKET}/nope.xlsx does not exist in Cloud Storage")
    assert "gcloud storage cp book.xlsx" in missing.value.fix.en
    assert default_outbox(URL) == Path("book_outbox")


def test_the_stand_in_serves_resumable_uploads_with_their_precondition(gcs):
    """Books over 8 MiB go up as resumable uploads: the same precondition, chunk by chunk."""
    from google.api_core.exceptions import PreconditionFailed
    from google.cloud import storage

    client = storage.Client()
    data = os.urandom(600 * 1024)
    blob = client.bucket(BUCKET).blob("big.xlsx", chunk_size=256 * 1024)
    blob.upload_from_file(io.BytesIO(data), if_generation_match=0)
    assert gcs.get(BUCKET, "big.xlsx").data == data
    stale = client.bucket(BUCKET).blob("big.xlsx", chunk_size=256 * 1024)
    with pytest.raises(PreconditionFailed):
        stale.upload_from_file(io.BytesIO(b"x" * 300 * 1024), if_generation_match=blob.generation - 1)
    assert gcs.get(BUCKET, "big.xlsx").data == data
    assert {r.query.get("uploadType") for r in gcs.uploads("big.xlsx")} == {"resumable"}
