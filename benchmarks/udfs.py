"""The Excel functions over a 100,000-row invoice column, each in one call, as xlwings hands them over.

    .venv/bin/python benchmarks/udfs.py            # or: ... --rows 100000 --repeat 5

The columns are built once, outside the timings, the way xlwings' numpy converter gives them with
`ndim=2`: 2-D object arrays of datetimes (date cells), floats (numbers) and text (numbers typed as
ids), about two payments for three invoices. Each figure is the median (and the spread) of
--repeat timed calls after one untimed warm-up, in this process, in wall and in CPU milliseconds
(time.process_time: what a shared machine's noise does not inflate). The goal column is issue 14's:
under 200 ms per function, 50 ms for the day-based ones; a reference, not a pass/fail. Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "addin"))

from relance_addin import udfs  # noqa: E402

AS_OF = dt.datetime(2026, 12, 1)


def columns(n: int, seed: int = 3) -> dict[str, np.ndarray]:
    """n invoices over 18 months for 20,000 customers, two thirds paid (some late, some in part)."""
    rnd = random.Random(seed)
    start = dt.datetime(2025, 6, 1)
    ids, customers, issued, due, amounts = [], [], [], [], []
    pay_ids, pay_dates, pay_amounts = [], [], []
    for i in range(n):
        day = start + dt.timedelta(days=rnd.randrange(540))
        end = day + dt.timedelta(days=rnd.choice((30, 45, 60)))
        amount = rnd.randrange(5000, 500000) / 100
        ids.append(f"F{i}")
        customers.append(f"C{i % 20000}")
        issued.append(day)
        due.append(end)
        amounts.append(amount)
        if rnd.random() < 0.66:
            pay_ids.append(f"F{i}")
            pay_dates.append(end + dt.timedelta(days=rnd.randrange(-20, 60)))
            pay_amounts.append(amount if rnd.random() < 0.8 else round(amount / 2, 2))

    def col(values: list[Any]) -> np.ndarray:
        return np.array(values, dtype=object).reshape(-1, 1)

    balances = udfs.RELANCE_BALANCE(col(ids), col(amounts), col(pay_ids), col(pay_amounts))
    return {"ids": col(ids), "customers": col(customers), "issued": col(issued), "due": col(due),
            "amounts": col(amounts), "balances": np.array(balances, dtype=object),
            "pay_ids": col(pay_ids), "pay_dates": col(pay_dates), "pay_amounts": col(pay_amounts)}


def timed(work: Callable[[], Any], repeat: int) -> tuple[list[float], list[float]]:
    """(wall seconds, CPU seconds of this process) of each of `repeat` calls, after a warm-up."""
    work()
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        work()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    c = columns(args.rows)
    invoices = (c["ids"], c["amounts"])
    paid = (c["pay_ids"], c["pay_dates"], c["pay_amounts"])
    cases: list[tuple[str, int, Callable[[], Any]]] = [
        ("RELANCE_DAYS_LATE", 50, lambda: udfs.RELANCE_DAYS_LATE(c["due"], AS_OF)),
        ("RELANCE_BUCKET", 50, lambda: udfs.RELANCE_BUCKET(c["due"], c["balances"], AS_OF)),
        ("RELANCE_STAGE", 50, lambda: udfs.RELANCE_STAGE(c["due"], c["balances"], AS_OF)),
        ("RELANCE_BALANCE", 200, lambda: udfs.RELANCE_BALANCE(*invoices, c["pay_ids"], c["pay_amounts"])),
        ("RELANCE_PENALTY (legal)", 200, lambda: udfs.RELANCE_PENALTY(*invoices, c["due"], *paid, AS_OF)),
        ("RELANCE_PENALTY (fixed)", 200, lambda: udfs.RELANCE_PENALTY(*invoices, c["due"], *paid, AS_OF, 12.0)),
        ("RELANCE_INDEMNITY", 200, lambda: udfs.RELANCE_INDEMNITY(*invoices, c["due"], *paid, AS_OF)),
        ("RELANCE_DSO (countback)", 200, lambda: udfs.RELANCE_DSO(c["ids"], c["issued"], c["amounts"], *paid, AS_OF)),
        ("RELANCE_DSO (simple 3m)", 200,
         lambda: udfs.RELANCE_DSO(c["ids"], c["issued"], c["amounts"], *paid, AS_OF, "simple", 3.0)),
        ("RELANCE_RISK", 200, lambda: udfs.RELANCE_RISK(c["customers"], c["ids"], c["issued"], c["due"],
                                                         c["amounts"], *paid, AS_OF)),
    ]
    print(f"Excel functions over {args.rows:,} rows, one call each (median of {args.repeat}, "
          f"Python {platform.python_version()}, {platform.machine()})\n")
    print("| function | median ms | min–max ms | CPU ms (median) | goal ms |")
    print("|---|---:|---:|---:|---:|")
    for name, goal, work in cases:
        wall, cpu = timed(work, args.repeat)
        runs = [t * 1000 for t in wall]
        print(f"| {name} | {statistics.median(runs):.0f} | {min(runs):.0f}–{max(runs):.0f} "
              f"| {statistics.median(cpu) * 1000:.0f} | {goal} |")


if __name__ == "__main__":
    main()
