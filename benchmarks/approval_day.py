"""The approval day: every step waiting in A_valider ticked, then the run that sends them.

    make bench            # or: .venv/bin/python benchmarks/approval_day.py [--sizes 10000,100000]

For each size it builds (or reuses) the demo workbook of benchmarks/run.py as a company has
chased it before today: by hand up to the second reminder (`relance baseline --step reminder_2`),
then by relance: the calls 16 days ago, the formal notices (e-mails and letters) 9 days ago, filed
in the outbox. Then, in fresh processes, on a pristine copy of that workbook and outbox:
- first run: `relance run BOOK --json` (it files the automatic steps and leaves the others
  waiting in A_valider: mostly hand-offs to collection, whose packages carry the proofs filed
  in the outbox);
- the user's edit (not timed): every waiting row of A_valider gets "oui" (or "yes") in its
  approval column, the way a person types it, and the workbook is saved; only that tab changes;
- approval day: the same command again on the same day, which sends what was approved (the
  second reminders, the formal notices, the hand-offs to collection with their packages).
Each figure is the median of --repeat rounds (default 3). The approval day should cost at most
1.5x the first run: every lookup it makes (outbox files, History, approvals) is indexed once per run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import AS_OF, CUSTOMERS, OUT, aside, build, forget  # noqa: E402

TICK = r"""
import sys
from relance.app.resources import shipped_contract
from relance.engine.contract import normalize
from relance.engine.sheets import OwnedTab
from relance.workbook.xlsx import XlsxBackend
backend = XlsxBackend(sys.argv[1])
spec = shipped_contract().tab("plan")
sheet = next(s for s in backend.read(lambda n: normalize(n) in spec.names()) if normalize(s.name) in spec.names())
header = [str(h or "") for h in sheet.rows[0]]
approve, key = (next(i for i, h in enumerate(header) if spec.resolve_header(h) is spec.column(k))
                for k in ("approve", "action_key"))
word = "oui" if normalize(header[approve]) == normalize(spec.column("approve").fr) else "yes"
rows, ticked = [], 0
for row in sheet.rows[1:]:
    row = list(row) + [None] * (len(header) - len(row))
    if row[key]:
        row[approve] = word
        ticked += 1
    rows.append(row)
backend.write([OwnedTab(sheet.name, header, rows)])
print(ticked)
"""


class Measure(NamedTuple):
    wall: float  # seconds
    cpu: float  # user + system seconds of the process (the machine may be shared: read this too)
    peak: float  # MiB
    stdout: str


def measure(cmd: list[str]) -> Measure:
    """One fresh process: its wall and CPU seconds, peak RSS (from wait4) and stdout."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:  # a file: a chatty stderr never blocks the process
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True)
        assert proc.stdout is not None
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        if code not in (0, 4):
            errors.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n{errors.read()[-3000:]}")
    return Measure(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout)


def median_of(runs: list[Measure]) -> Measure:
    return sorted(runs, key=lambda r: r.wall)[len(runs) // 2]


#: How the book was chased before today: by hand up to the second reminder (recorded by
#: `relance baseline`), then by relance: the calls, then the formal notices (e-mails and letters,
#: filed in the outbox: the proofs the hand-off packages carry) more than 8 days ago, their deadline.
BASELINE_ON = AS_OF - dt.timedelta(days=20)
PAST_RUNS_ON = (AS_OF - dt.timedelta(days=16), AS_OF - dt.timedelta(days=9))

PAST_RUN = r"""
import sys, datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo
from relance.app import jobs
from relance.app.connect import open_channel, open_workbook
book, outbox, day = sys.argv[1], Path(sys.argv[2]), dt.date.fromisoformat(sys.argv[3])
now = dt.datetime.combine(day, dt.time(10, 0), ZoneInfo("Europe/Paris"))
result = jobs.run(open_workbook(book), open_channel("outbox", book, now, outbox), now, anytime=True)
print(result.to_json()["sent"])
"""


def work_paths(size: int) -> tuple[Path, Path]:
    """The workbook and outbox folder every round runs on (History names that folder)."""
    return OUT / f"approval-{size}.xlsx", OUT / f"approval-outbox-{size}"


def adopted(size: int) -> tuple[Path, Path]:
    """The demo book of that size as chased before this week, and its outbox (cached)."""
    book, outbox = OUT / f"adopted-{size}-{AS_OF.isoformat()}.xlsx", OUT / f"adopted-outbox-{size}-{AS_OF.isoformat()}"
    if not book.exists():
        work, work_outbox = work_paths(size)
        shutil.copy(build(size), work)
        shutil.rmtree(work_outbox, ignore_errors=True)
        relance = str(Path(sys.executable).with_name("relance"))
        subprocess.run([relance, "baseline", str(work), "--step", "reminder_2", "--as-of", BASELINE_ON.isoformat(),
                        "--json"], check=True, capture_output=True)
        for day in PAST_RUNS_ON:
            subprocess.run([sys.executable, "-c", PAST_RUN, str(work), str(work_outbox), day.isoformat()],
                           check=True, capture_output=True)
        shutil.rmtree(outbox, ignore_errors=True)
        shutil.copytree(work_outbox, outbox)
        shutil.copy(work, book)
    return book, outbox


def one_round(size: int) -> tuple[Measure, Measure, int]:
    book, box = adopted(size)
    work, outbox = work_paths(size)
    shutil.copy(book, work)
    aside(outbox)  # not removed just before the run: see run.bench
    shutil.copytree(box, outbox)
    relance = str(Path(sys.executable).with_name("relance"))
    cmd = [relance, "run", str(work), "--as-of", AS_OF.isoformat(), "--json", "--outbox", str(outbox), "--anytime"]
    first = measure(cmd)
    ticked = int(subprocess.run([sys.executable, "-c", TICK, str(work)], check=True, capture_output=True,
                                text=True).stdout.strip())
    return first, measure(cmd), ticked


def bench(size: int, repeat: int) -> dict[str, float | int]:
    rounds = [one_round(size) for _ in range(repeat)]
    first, day = median_of([r[0] for r in rounds]), median_of([r[1] for r in rounds])
    first_out, day_out = json.loads(first.stdout), json.loads(day.stdout)
    return {"invoices": size, "customers": CUSTOMERS.get(size, size // 5), "ticked": rounds[0][2],
            "first_sent": first_out["sent"], "first_tasks": first_out["tasks_created"],
            "day_sent": day_out["sent"], "day_tasks": day_out["tasks_created"], "first_s": first.wall,
            "first_cpu": first.cpu, "day_s": day.wall, "day_cpu": day.cpu, "peak": max(first.peak, day.peak)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per figure; the median is shown")
    args = parser.parse_args()
    try:
        rows = [bench(int(s), args.repeat) for s in args.sizes.split(",")]
    finally:
        forget()
    print(f"Approval day: median of {args.repeat} rounds each, fresh processes, as of {AS_OF.isoformat()}.\n")
    print("| invoices | first run: sent / tasks | first run (s, CPU s) | approvals ticked "
          "| approval day: sent / tasks | approval day (s, CPU s) | peak (MiB) | approval day / first run (wall, CPU) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['invoices']:,} | {r['first_sent']:,} / {r['first_tasks']:,} "
              f"| {r['first_s']:.2f}, {r['first_cpu']:.2f} | {r['ticked']:,} | {r['day_sent']:,} / {r['day_tasks']:,} "
              f"| {r['day_s']:.2f}, {r['day_cpu']:.2f} | {r['peak']:.0f} "
              f"| {r['day_s'] / r['first_s']:.2f}×, {r['day_cpu'] / r['first_cpu']:.2f}× |")


if __name__ == "__main__":
    main()
