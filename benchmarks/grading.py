"""Risk grading and the plan phase inside a 100,000-invoice run: what the daily run pays to grade
(risk_moves: every movable customer with something past due, graded on as_of and a week before),
what the report pays (risk_grades over every customer), and each part of the run's plan phase
(app/jobs.py `_snapshot`: the open positions by customer, the promises judged broken, the risk
moves, the plan itself) beside the session-20 code the tests keep as their reference.

    .venv/bin/python benchmarks/grading.py            # or: ... --size 10000 --repeat 5 --reference
    .venv/bin/python benchmarks/grading.py --book /tmp/after.xlsx --as-of 2026-12-02 --reference
      # a book as a same-day rerun finds it (History full of today's actions)

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

from relance.app.jobs import _promised_balances, approved_keys, read_book, with_risk_ladder
from relance.engine.pause import broken_promises
from relance.engine.planner import open_by_customer, plan
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
    parser.add_argument("--book", type=Path, help="this workbook (never written) instead of the cached one")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF)
    args = parser.parse_args()
    day: dt.date = args.as_of
    book = with_risk_ladder(read_book(XlsxBackend(args.book or book_path(args.size))))
    positions = compute_positions(book, day, settled_penalties=False)
    by_customer = open_by_customer(positions)
    moves = risk_moves(book, positions, day, by_customer)
    approved = approved_keys(book)
    grace = book.settings.promise_grace_days
    print(f"Risk grading and plan phase, {len(book.invoices):,} invoices, {len(book.customers):,} customers,"
          f" {len(book.history):,} History rows, as of {day} (CPU ms, median of {args.repeat})\n")
    print("| work | median ms | min–max ms | result |")
    print("|---|---:|---:|---:|")
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("daily run: risk_moves (as_of and a week before)", lambda: risk_moves(book, positions, day, by_customer)),
        ("report: risk_grades, every customer", lambda: risk_grades(book, positions, day)),
        ("plan phase: open positions by customer", lambda: open_by_customer(positions)),
        ("plan phase: promises judged broken", lambda: broken_promises(
            book.promises, _promised_balances(book, positions, by_customer, day), day, grace)),
        ("plan phase: plan (actions)", lambda: plan(book, positions, day, approved, moves, by_customer).actions),
    ]
    if args.reference:  # the former implementation, kept by the tests as their reference
        sys.path.insert(0, str(HERE.parent / "tests"))
        import reference_planner
        import scoring_reference as ref

        cases += [
            ("former: risk_moves", lambda: ref.risk_moves(book, positions, day)),
            ("former: risk_grades, every customer", lambda: ref.risk_grades(book, positions, day)),
            ("former: promises judged broken (every open invoice)", lambda: broken_promises(
                book.promises, {i: (p.customer_id, book.invoices[i].due_date, True)
                                for i, p in positions.items() if p.status == "open"}, day, grace)),
            ("former: plan (session 19, actions)",
             lambda: reference_planner.plan(book, positions, day, approved, moves).actions),
        ]
    gc.disable()
    for name, work in cases:
        runs, result = cpu(work, args.repeat)
        ms = [t * 1000 for t in runs]
        print(f"| {name} | {statistics.median(ms):.0f} | {min(ms):.0f}–{max(ms):.0f} | {len(result):,} |")


if __name__ == "__main__":
    main()
