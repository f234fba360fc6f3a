"""Benchmark of the figures and plan stages: balances (apply_all), positions, the risk moves the
planner reads, and the plan itself, at 10k and 100k invoices.

    .venv/bin/python benchmarks/figures.py                 # or: ... --sizes 10000,100000 --repeat 3

Each figure is the median of --repeat fresh processes (CPU seconds, user + sys, from
time.process_time in the child), on the demo books benchmarks/run.py builds (cached in
benchmarks/out/), read once per process (untimed). A process times the stages one way:
`session 19`, the former balances, positions and planner kept in tests/reference_figures.py and
tests/reference_planner.py (risk moves through held_risks, as they were made), or `now`, the
engine's. Both give the same figures and plan (tests/test_figures_reference.py). Prints a
Markdown table.
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
import datetime as dt, gc, json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
import reference_figures, reference_planner
from relance.app.jobs import _batch_gc, approved_keys, read_book, with_risk_ladder
from relance.engine import balance, planner, position, scoring
from relance.engine.table import Collector
from relance.workbook.xlsx import XlsxBackend

path, mode, as_of = Path(sys.argv[1]), sys.argv[2], dt.date.fromisoformat(sys.argv[3])
with _batch_gc():
    book = with_risk_ladder(read_book(XlsxBackend(path)))
gc.disable()  # as the run does while it computes (app/jobs._batch_gc)
old = mode == "reference"
times = {}
def timed(name, work):
    t = time.process_time()
    value = work()
    times[name] = time.process_time() - t
    return value

apply_all = reference_figures.apply_all if old else balance.apply_all
timed("balances", lambda: apply_all(book.invoices, book.payments, Collector(), book.disputes))
positions = reference_figures.compute_positions if old else position.compute_positions
where = timed("positions", lambda: positions(book, as_of, Collector(), settled_penalties=False))
if old:
    ladder = scoring.risk_ladder(book)
    def moves():
        if ladder is None:
            return {}
        candidates = {p.customer_id for p in where.values() if p.status == "open" and (p.days_past_due or 0) > 0}
        candidates = {c for c in candidates if c in book.customers and scoring.movable(book.customers[c], book)}
        held = scoring.held_risks(book, where, as_of, candidates) if candidates else {}
        return {cid: ladder.name for cid, _ in sorted(held)}
else:
    moves = lambda: scoring.risk_moves(book, where, as_of)
suggested = timed("risk moves", moves)
plan = reference_planner.plan if old else planner.plan
timed("plan", lambda: plan(book, where, as_of, approved_keys(book), suggested))
print(json.dumps(times))
"""

STAGES = ("balances", "positions", "risk moves", "plan")


def child(path: Path, mode: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), mode, AS_OF.isoformat(), str(HERE.parent / "tests")],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"CPU seconds, median of {args.repeat} fresh processes, as of {AS_OF.isoformat()}.\n")
    print("| invoices | path | " + " | ".join(STAGES) + " | total | now / session 19 |")
    print("|---:|---|" + "---:|" * (len(STAGES) + 2))
    for size in (int(s) for s in args.sizes.split(",")):
        path = build(size)
        totals: dict[str, float] = {}
        for mode, label in (("reference", "session 19"), ("fast", "now")):
            runs = [child(path, mode) for _ in range(args.repeat)]
            med = {k: statistics.median(r.get(k, 0.0) for r in runs) for k in STAGES}
            totals[mode] = statistics.median(sum(r.get(k, 0.0) for k in STAGES) for r in runs)
            ratio = f"{totals[mode] / totals['reference']:.2f}" if mode == "fast" else ""
            print(f"| {size:,} | {label} | " + " | ".join(f"{med[k]:.2f}" for k in STAGES)
                  + f" | {totals[mode]:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
