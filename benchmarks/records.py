"""Benchmark of the read and records stages: read, tables, customers, invoices, payments,
balances, positions, at 10k and 100k invoices.

    .venv/bin/python benchmarks/records.py                 # or: ... --sizes 10000,100000 --repeat 3

Each figure is the median of --repeat fresh processes (CPU seconds, user + sys, from
time.process_time in the child), on the demo books benchmarks/run.py builds (cached in
benchmarks/out/). Every process times the stages twice: `reference`, the row-by-row functions
kept as the reference (relance.engine.reference), and `fast`, the column-wise path the run uses;
the last line is the floor measured in the same process, python-calamine reading the same tabs
to Python values. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import AS_OF, build  # noqa: E402

CHILD = r"""
import gc, json, sys, time
from pathlib import Path
from python_calamine import CalamineWorkbook
from relance.app.resources import shipped_contract, shipped_presets
from relance.engine import book as book_module, reference
from relance.engine.position import compute_positions
from relance.engine.table import reads_tab
from relance.workbook.xlsx import XlsxBackend
import datetime as dt

path, mode, as_of = Path(sys.argv[1]), sys.argv[2], dt.date.fromisoformat(sys.argv[3])
contract, presets = shipped_contract(), shipped_presets()
gc.disable()  # as the run does while it builds records (app/jobs._batch_gc)
times = {}
def timed(name, work):
    t = time.process_time()
    value = work()
    times[name] = times.get(name, 0.0) + time.process_time() - t
    return value

if mode == "floor":
    wanted = lambda n: reads_tab(contract, n)
    def floor():
        wb = CalamineWorkbook.from_path(str(path))
        return [wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names if wanted(n)]
    timed("floor", floor)
else:
    sheets = timed("read", lambda: XlsxBackend(path).read(lambda n: reads_tab(contract, n)))
    stages = reference.STAGES if mode == "reference" else book_module.STAGES
    book = book_module.load_book(sheets, contract, presets, stages=stages, timer=timed)
    positions = reference.compute_positions if mode == "reference" else compute_positions
    timed("positions", lambda: positions(book, as_of, None, settled_penalties=False))
print(json.dumps(times))
"""

STAGES = ("read", "tables", "customers", "invoices", "payments", "balances", "positions")


def child(path: Path, mode: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), mode, AS_OF.isoformat()],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"CPU seconds, median of {args.repeat} fresh processes, as of {AS_OF.isoformat()}.\n")
    print("| invoices | path | " + " | ".join(STAGES) + " | total | floor (calamine read) | total / floor |")
    print("|---:|---|" + "---:|" * (len(STAGES) + 3))
    for size in (int(s) for s in args.sizes.split(",")):
        path = build(size)
        floor = statistics.median(child(path, "floor")["floor"] for _ in range(args.repeat))
        for mode in ("reference", "fast"):
            runs = [child(path, mode) for _ in range(args.repeat)]
            med = {k: statistics.median(r.get(k, 0.0) for r in runs) for k in STAGES}
            total = statistics.median(sum(r.get(k, 0.0) for k in STAGES) for r in runs)
            print(f"| {size:,} | {mode} | " + " | ".join(f"{med[k]:.2f}" for k in STAGES)
                  + f" | {total:.2f} | {floor:.2f} | {total / floor:.1f}× |")


if __name__ == "__main__":
    main()
