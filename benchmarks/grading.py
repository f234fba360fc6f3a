"""Risk grading inside a 100,000-invoice run: what the daily run pays to grade (risk_moves: every
movable customer with something past due, graded on as_of and a week before) and what the report
pays (risk_grades over every customer).

    .venv/bin/python benchmarks/grading.py            # or: ... --size 10000 --repeat 5 --reference

The book is the demo workbook `benchmarks/run.py` builds (cached in benchmarks/out/), read once
through the .xlsx backend, its positions computed once as the run computes them: both outside the
timings. Each figure is the median (and the spread) of --repeat timed calls after one untimed
warm-up, in CPU milliseconds of this process (time.process_time), with the number of customers
graded; the cyclic garbage collector is paused, as the run pauses it while it plans (app/jobs.py
`_batch_gc`). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from relance.app.jobs import read_book, with_risk_ladder
from relance.engine.position import compute_positions
from relance.engine.scoring import risk_grades, risk_moves
from relance.workbook.xlsx import XlsxBackend

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
AS_OF = dt.date(2026, 12, 1)
CUSTOMERS = {10_000: 2_000, 100_000: 20_000}


def book_path(size: int) -> Path:
    path = OUT / f"bench-{size}-{AS_OF.isoformat()}.xlsx"
    if not path.exists():
        from relance.demo import build_demo_workbook

        OUT.mkdir(exist_ok=True)
        build_demo_workbook(path, seed=11, customers=CUSTOMERS.get(size, size // 5), invoices=size, as_of=AS_OF)
    return path


def cpu(work: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    result = work()
    found = []
    for _ in range(repeat):
        t0 = time.process_time()
        result = work()
        found.append(time.process_time() - t0)
    return found, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reference", action="store_true", help="also time the former implementation")
    args = parser.parse_args()
    book = with_risk_ladder(read_book(XlsxBackend(book_path(args.size))))
    positions = compute_positions(book, AS_OF, settled_penalties=False)
    print(f"Risk grading, {len(book.invoices):,} invoices, {len(book.customers):,} customers, as of {AS_OF}"
          f" (CPU ms, median of {args.repeat})\n")
    print("| work | median ms | min–max ms | result |")
    print("|---|---:|---:|---:|")
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("daily run: risk_moves (as_of and a week before)", lambda: risk_moves(book, positions, AS_OF)),
        ("report: risk_grades, every customer", lambda: risk_grades(book, positions, AS_OF)),
    ]
    if args.reference:  # the former implementation, kept by the tests as their reference
        sys.path.insert(0, str(HERE.parent / "tests"))
        import scoring_reference as ref

        cases += [
            ("former: risk_moves", lambda: ref.risk_moves(book, positions, AS_OF)),
            ("former: risk_grades, every customer", lambda: ref.risk_grades(book, positions, AS_OF)),
        ]
    gc.disable()
    for name, work in cases:
        runs, result = cpu(work, args.repeat)
        ms = [t * 1000 for t in runs]
        print(f"| {name} | {statistics.median(ms):.0f} | {min(ms):.0f}–{max(ms):.0f} | {len(result):,} |")


if __name__ == "__main__":
    main()
