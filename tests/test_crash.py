"""A real `relance run` process killed with SIGKILL, at hundreds of points, then run again.

The book: every customer is at the J+15 step of the standard ladder after
`relance baseline --step reminder_1`, so each run sends an e-mail and an SMS per customer on the
same day. A trial copies the book and kills runs one after the other, each at a point chosen
either by the number of messages already written in the outbox (filed or under their temporary
names; the folder is polled) or by the time since the process started; the outbox alternates
between `--outbox A` and the default folder (`--outbox` left off). The first run that ends by
itself ends the killing; the trial then reruns, into one folder and the other, until two runs in
a row have nothing left to do (each folder opened once more: that is when a folder's temporary
files are removed), and checks:

- every planned action was sent exactly once: one file and one index line per action key,
  across both folders, and one `sent` row in History;
- History and the indexes agree (same keys, same message ids), nothing is left `pending`;
- the workbook opens (python-calamine reads it) and no temporary file is left in the outboxes.

So that hundreds of processes fit in seconds, runs are forked from a process that has imported
relance once (a zygote, which also does the killing, being their parent); a few are started
from the `relance` console script itself, as a user starts them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from python_calamine import CalamineWorkbook

from crashkit import serve

# One xdist worker runs the crash tests one after the other: each already runs two trials side by
# side (two zygotes), and two of them at once would put four on this machine's two cores.
pytestmark = [pytest.mark.skipif(os.name != "posix" or not hasattr(os, "fork"), reason="needs fork and SIGKILL"),
              pytest.mark.xdist_group("crash")]

CUSTOMERS = 8  # 16 messages a run
KILL_POINTS = 200
REAL_PROCESSES = 4  # trials whose first run is started from the console script
MAX_KILLS = 8  # killed runs in a row on one book, at most
WORKERS = 2  # trials run side by side, each worker with its zygote
SEED = 20261123
MESSAGE_SUFFIXES = (".eml", ".sms.txt")
TESTS = Path(__file__).parent
RELANCE = Path(sys.executable).parent / "relance"


def message_files(folder: Path) -> int:
    try:
        return sum(1 for e in os.scandir(folder) if e.name.endswith(MESSAGE_SUFFIXES))
    except FileNotFoundError:
        return 0


def written(folder: Path) -> int:
    """The messages written in the folder, filed or still under their temporary names: the outbox
    writes a batch's files one by one, then makes them durable at once and renames them all in a
    burst, so that counting only the filed ones would put almost every kill before or after it."""
    try:
        return sum(1 for e in os.scandir(folder) if e.name.endswith(MESSAGE_SUFFIXES)
                   or (e.name.endswith(".tmp") and any(s + "." in e.name for s in MESSAGE_SUFFIXES)))
    except FileNotFoundError:
        return 0


def watch(pid: int, ended, kill: dict[str, object]) -> tuple[int, bool, int]:
    """Wait for process `pid` to end, or SIGKILL it at the kill point; (exit code, killed, files).

    `ended()` says whether it ended (and reaps it); `kill` is {"files": n, "folder": path} (kill
    once the folder holds n messages written, filed or not yet renamed) or {"after": seconds}. Only our own children are
    killed, and only before they are reaped (their pid cannot have been reused).
    """
    start = time.monotonic()
    folder = Path(str(kill.get("folder", "")))
    while True:
        code = ended()
        if code is not None:
            return code, False, written(folder)
        due = (written(folder) >= int(kill["files"])) if "files" in kill else \
            time.monotonic() - start >= float(kill["after"])  # type: ignore[arg-type]
        if due:
            os.kill(pid, signal.SIGKILL)
            files = written(folder)
            while (code := ended()) is None:
                time.sleep(0.0005)
            return code, code == -signal.SIGKILL, files
        time.sleep(0.0002)  # polling the folder, not waiting for a guessed moment


def zygote(warm_up: str) -> None:
    """Imports relance once and warms it up with a run of its own on a copy of the book (every
    lazy import done, templates read), then for each request line forks a `relance ...` process,
    watches it, kills it at the point asked, reaps it and answers one line."""
    serve(warm_up, watch, "files")


class Zygote:
    def __init__(self, warm_up: Path) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"import test_crash; test_crash.zygote({str(warm_up)!r})"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env=env, cwd=TESTS)

    def run(self, argv: list[str], cwd: Path, stdout: Path, kill: dict[str, object]) -> dict[str, object]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"argv": argv, "cwd": str(cwd), "stdout": str(stdout),
                                             "kill": kill}) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], 120)
        assert ready, "the zygote did not answer"
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def run_real(argv: list[str], cwd: Path, stdout: Path, kill: dict[str, object]) -> dict[str, object]:
    """The same, from the console script, as a user starts it."""
    with open(stdout, "wb") as out:
        child = subprocess.Popen([str(RELANCE), *argv], cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    code, killed, files = watch(child.pid, child.poll, kill)
    return {"code": code, "killed": killed, "files": files}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, list[str]]:
    """The book after `relance baseline --step reminder_1` a week ago, and the keys a run plans."""
    from typer.testing import CliRunner

    from relance.app.jobs import init_workbook
    from relance.cli import app

    folder = tmp_path_factory.mktemp("template")
    book = folder / "book.xlsx"
    today = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    init_workbook(book, "fr", {
        "customers": [{"customer_id": f"C{i}", "name": f"Client {i}", "email": f"compta@c{i}.example",
                       "phone": f"06 12 34 {i // 100:02d} {i % 100:02d}", "customer_type": "B2B"}
                      for i in range(CUSTOMERS)],
        "invoices": [{"invoice_id": f"F{i}", "customer_id": f"C{i}", "issue_date": today - dt.timedelta(days=50),
                      "due_date": today - dt.timedelta(days=18), "amount": 100 + i} for i in range(CUSTOMERS)],
        "settings": [{"key": "company_name", "value": "Atelier Dumas"},
                     {"key": "company_address", "value": "12 rue des Artisans; 69003 Lyon"},
                     {"key": "sender_email", "value": "relances@dumas.example"}],
    })
    runner = CliRunner()
    done = runner.invoke(app, ["baseline", str(book), "--step", "reminder_1",
                               "--as-of", (today - dt.timedelta(days=7)).isoformat()])
    assert done.exit_code == 0, done.output
    plan = json.loads(runner.invoke(app, ["plan", str(book), "--json"]).output)
    keys = [a["action_key"] for a in plan["actions"]]
    assert Counter(a["step"] for a in plan["actions"]) == {"reminder_2": CUSTOMERS, "reminder_2_sms": CUSTOMERS}
    return book, keys


def history(book: Path) -> list[dict[str, object]]:
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Historique").to_python()
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def outbox_state(folders: list[Path]) -> tuple[Counter[str], Counter[str], dict[str, str]]:
    files: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    ids: dict[str, str] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if path.name.endswith(MESSAGE_SUFFIXES):
                stem = path.name.removesuffix(".sms.txt").removesuffix(".eml")
                files[stem.rpartition("_")[2]] += 1
        for line in (folder / "index.jsonl").read_text("utf-8").splitlines():
            entry = json.loads(line)  # every line whole: none cut by a kill
            lines[entry["action_key"]] += 1
            ids[entry["action_key"]] = entry["message_id"]
    return files, lines, ids


def check_trial(book: Path, keys: list[str], folders: list[Path]) -> None:
    rows = history(book)  # the workbook opens
    files, lines, ids = outbox_state(folders)
    assert files == Counter(keys), "every planned action filed exactly once, across both outboxes"
    assert lines == Counter(keys), "one index line per action"
    sent = [r for r in rows if r["statut"] == "envoyé"]
    assert Counter(r["cle_action"] for r in sent) == Counter(keys), "History: one sent row per action"
    assert {r["cle_action"]: r["id_message"] for r in sent} == ids, "History and the indexes agree"
    assert not [r for r in rows if r["statut"] == "en attente"]
    assert all(str(r["transport"]).startswith("outbox:/") for r in rows if r["statut"] == "envoyé")
    assert not [p.name for f in folders if f.is_dir() for p in f.iterdir() if p.name.endswith(".tmp")]


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.killed = self.completed = self.trials = self.real = 0
        self.by_files: Counter[int] = Counter()
        self.leftovers: list[str] = []


def trials(zygote: Zygote, book0: Path, keys: list[str], root: Path, tally: Tally) -> None:
    """Trials one after the other until the kill points are reached (shared by the workers)."""
    durations: list[float] = [0.15]
    while True:
        with tally.lock:
            if tally.killed >= KILL_POINTS:
                return
            tally.trials += 1
            trial = tally.trials
            real = tally.real < REAL_PROCESSES
            tally.real += real
        rnd = random.Random(SEED + trial)
        work = root / f"t{trial}"
        work.mkdir()
        book = work / "book.xlsx"
        shutil.copy(book0, book)
        folders = [work / "A", work / "book_outbox"]
        for n in range(MAX_KILLS):  # killed runs, until one ends by itself
            folder = folders[n % 2]
            argv = ["run", "book.xlsx", "--anytime", "--json", *(["--outbox", "A"] if n % 2 == 0 else [])]
            left = len(keys) - sum(message_files(f) for f in folders)
            if rnd.random() < 0.6:  # by the files already written by this run
                kill: dict[str, object] = {"files": message_files(folder) + rnd.randint(0, left),
                                           "folder": str(folder)}
            else:  # by time: anywhere from the start (reading) to the end (saving)
                kill = {"after": rnd.uniform(0, 1.2 * max(durations[-20:])), "folder": str(folder)}
            launch = run_real if real and n == 0 else zygote.run
            began = time.monotonic()
            outcome = launch(argv, work, work / f"run{n}.out", kill)
            if outcome["killed"]:
                with tally.lock:
                    tally.killed += 1
                    if "files" in kill:
                        tally.by_files[int(outcome["files"])] += 1  # type: ignore[arg-type]
                continue
            if launch is zygote.run:
                durations.append(time.monotonic() - began)
            assert outcome["code"] in (0, 4), (work / f"run{n}.out").read_text()
            with tally.lock:
                tally.completed += 1
            break
        idle = 0
        for n in range(100, 108):  # then reruns, into each folder, until neither has anything to do
            argv = ["run", "book.xlsx", "--anytime", "--json", *(["--outbox", "A"] if n % 2 == 0 else [])]
            outcome = zygote.run(argv, work, work / f"run{n}.out", {"files": 10**6, "folder": str(work)})
            assert outcome["code"] == 0, (work / f"run{n}.out").read_text()
            data = json.loads((work / f"run{n}.out").read_text())
            idle = 0 if data["sent"] or data["settled_pending"] or data["failed"] else idle + 1
            if idle == 2:
                break
        else:
            pytest.fail(f"trial {trial}: still sending after eight reruns")
        check_trial(book, keys, folders)
        with tally.lock:
            tally.leftovers += [p.name for p in work.iterdir() if p.name.startswith(".~relance-tmp.")]


def test_killed_runs_never_lose_nor_repeat_a_message(template, tmp_path):
    book0, keys = template
    tally = Tally()
    start = time.monotonic()
    zygotes = [Zygote(book0) for _ in range(WORKERS)]
    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            for done in [pool.submit(trials, z, book0, keys, tmp_path, tally) for z in zygotes]:
                done.result()
    finally:
        for z in zygotes:
            z.close()
    elapsed = time.monotonic() - start
    by_files = sum(tally.by_files.values())
    print(f"\n{tally.killed} kill points ({by_files} by file count, {tally.killed - by_files} by time; "
          f"{REAL_PROCESSES} trials opened by the console script) over {tally.trials} trials, "
          f"{tally.completed} killing runs ended by themselves; {elapsed:.1f} s; files in the outbox when "
          f"killed: {sorted(tally.by_files.items())}; workbook temporary files left: {len(tally.leftovers)}")
    assert tally.killed >= KILL_POINTS
    assert len(tally.by_files) >= len(keys) // 2  # kills spread over the sending, not bunched at one point
