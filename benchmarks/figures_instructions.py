"""Instructions executed by the balances and the positions, counted by valgrind (callgrind):
the one figure of the figures stage a shared machine does not blur.

    .venv/bin/python benchmarks/figures_instructions.py [--size 10000]

On a machine shared by several processes the CPU seconds of a 20 ms stage swing by 2x from one
run to the next, in either direction; the count of instructions does not move. Each child reads
the demo book of benchmarks/run.py (cached in benchmarks/out/), runs the stage once untimed (the
hashes of its dates and strings cached, as in a run), then once more inside functools.reduce,
the one C function callgrind is told to count within (--toggle-collect), so that the read, the
imports and the interpreter are left out. The hash seed is fixed (PYTHONHASHSEED=0): with a random one
the dicts' collisions move a count by up to 10 %. `session 19` is the former balances and positions kept in
tests/reference_figures.py, `now` the engine's. Needs valgrind; a child takes about a minute at
10k invoices (the book is read under valgrind too). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import AS_OF, build  # noqa: E402

CHILD = r"""
import datetime as dt, functools, gc, sys
from pathlib import Path
sys.path.insert(0, sys.argv[4])
import reference_figures
from relance.app.jobs import _batch_gc, read_book
from relance.engine import balance, position
from relance.engine.table import Collector
from relance.workbook.xlsx import XlsxBackend

path, which, as_of = Path(sys.argv[1]), sys.argv[2], dt.date.fromisoformat(sys.argv[3])
with _batch_gc():
    book = read_book(XlsxBackend(path))
gc.disable()  # as the run does while it computes (app/jobs._batch_gc)
stage, mode = which.split(":")
old = mode == "reference"
if stage == "balances":
    apply_all = reference_figures.apply_all if old else balance.apply_all
    work = lambda: apply_all(book.invoices, book.payments, Collector(), book.disputes)
else:
    positions = reference_figures.compute_positions if old else position.compute_positions
    work = lambda: positions(book, as_of, Collector(), settled_penalties=False)
work()
functools.reduce(lambda a, b: work(), [0, 0])
"""


def instructions(path: Path, which: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=functools_reduce",
                        f"--callgrind-out-file={out}", sys.executable, "-c", CHILD, str(path), which,
                        AS_OF.isoformat(), str(HERE.parent / "tests")],
                       check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        for line in out.read_text().splitlines():
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError("callgrind wrote no total")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=10_000)
    args = parser.parse_args()
    path = build(args.size)
    cases = [f"{stage}:{mode}" for stage in ("balances", "positions") for mode in ("reference", "fast")]
    with ThreadPoolExecutor(2) as pool:
        counts = dict(zip(cases, pool.map(lambda c: instructions(path, c), cases), strict=True))
    print(f"Instructions (millions, callgrind) at {args.size:,} invoices, as of {AS_OF.isoformat()}.\n")
    print("| stage | session 19 | now | now / session 19 |")
    print("|---|---:|---:|---:|")
    for stage in ("balances", "positions"):
        old, new = counts[f"{stage}:reference"], counts[f"{stage}:fast"]
        print(f"| {stage} | {old / 1e6:.1f} | {new / 1e6:.1f} | {new / old:.2f} |")


if __name__ == "__main__":
    main()
