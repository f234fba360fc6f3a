"""End-to-end benchmark of `relance run` against a floor measured in the same run.

    make bench            # or: .venv/bin/python benchmarks/run.py [--sizes 10000,100000]

For each size it builds a demo workbook (cached in benchmarks/out/), then in fresh processes:
- floor: python-calamine reads every tab to Python values, and the History rows the run wrote
  are written back alone (one owned-tab write through the same .xlsx writer);
- run: `relance run BOOK --json` on a pristine copy (the first, catch-up run: the heaviest day);
- rerun: the same command again on the same day (nothing new to send: the steady daily cost).
Each figure is the median of --repeat runs (default 3).
Wall time and peak RSS (from wait4) of each process are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
# A run sends only for today (a dated run is a simulation): the books are built as of today.
AS_OF = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
CUSTOMERS = {10_000: 2_000, 100_000: 20_000}

FLOOR = r"""
import sys, json
from pathlib import Path
from python_calamine import CalamineWorkbook
from relance.engine.sheets import OwnedTab
from relance.workbook.xlsx import XlsxBackend
book, rows_file = Path(sys.argv[1]), Path(sys.argv[2])
wb = CalamineWorkbook.from_path(str(book))
cells = sum(len(wb.get_sheet_by_name(n).to_python(skip_empty_area=False)) for n in wb.sheet_names)
rows = json.loads(rows_file.read_text())
XlsxBackend(book).write([OwnedTab("Historique", rows[0], rows[1:])])
"""


def measure(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB and stdout of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout_chunks = []
    assert proc.stdout is not None
    stdout_chunks.append(proc.stdout.read())
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.returncode not in (0, 4):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024, "".join(stdout_chunks)


def build(size: int) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"bench-{size}-{AS_OF.isoformat()}.xlsx"
    if not path.exists():
        from relance.demo import build_demo_workbook

        t = time.perf_counter()
        build_demo_workbook(path, seed=11, customers=CUSTOMERS.get(size, size // 5), invoices=size, as_of=AS_OF)
        print(f"built {path.name} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return path


def median_of(runs: list[tuple[float, float, str]]) -> tuple[float, float, str]:
    ordered = sorted(runs, key=lambda r: r[0])
    return ordered[len(ordered) // 2]


def bench(size: int, repeat: int) -> dict[str, float | int]:
    source = build(size)
    work = OUT / f"work-{size}.xlsx"
    outbox = OUT / f"outbox-{size}"
    relance = str(Path(sys.executable).with_name("relance"))
    cmd = [relance, "run", str(work), "--as-of", AS_OF.isoformat(), "--json", "--outbox", str(outbox), "--anytime"]
    runs, reruns = [], []
    for _ in range(repeat):
        shutil.copy(source, work)  # each first run starts from the pristine workbook and outbox
        shutil.rmtree(outbox, ignore_errors=True)
        runs.append(measure(cmd))
        reruns.append(measure(cmd))
    run_s, run_mb, stdout = median_of(runs)
    rerun_s, rerun_mb, _ = median_of(reruns)
    summary = json.loads(stdout)
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(work))
    history = wb.get_sheet_by_name("Historique").to_python()
    rows_file = OUT / f"history-{size}.json"
    rows_file.write_text(json.dumps([[str(c) for c in r] for r in history]))
    floor_copy = OUT / f"floor-{size}.xlsx"
    floors = []
    for _ in range(repeat):
        shutil.copy(source, floor_copy)
        floors.append(measure([sys.executable, "-c", FLOOR, str(floor_copy), str(rows_file)]))
    floor_s, floor_mb, _ = median_of(floors)
    return {"invoices": size, "customers": CUSTOMERS.get(size, size // 5), "messages": summary["sent"],
            "tasks": summary["tasks_created"], "run_s": run_s, "run_mb": run_mb, "rerun_s": rerun_s,
            "rerun_mb": rerun_mb, "floor_s": floor_s, "floor_mb": floor_mb}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is shown")
    args = parser.parse_args()
    rows = [bench(int(s), args.repeat) for s in args.sizes.split(",")]
    print(f"Median of {args.repeat} runs each, fresh processes, as of {AS_OF.isoformat()}.\n")
    print("| invoices | customers | messages sent | tasks | run (s) | run peak (MiB) | rerun (s) "
          "| floor (s) | floor peak (MiB) | run / floor | rerun / floor |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['invoices']:,} | {r['customers']:,} | {r['messages']:,} | {r['tasks']:,} "
              f"| {r['run_s']:.2f} | {r['run_mb']:.0f} | {r['rerun_s']:.2f} | {r['floor_s']:.2f} "
              f"| {r['floor_mb']:.0f} | {r['run_s'] / r['floor_s']:.1f}× | {r['rerun_s'] / r['floor_s']:.1f}× |")


if __name__ == "__main__":
    main()
