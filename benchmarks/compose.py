"""Composing a first run's messages: one by one, and on every core (app/compose_pool.py).

    .venv/bin/python benchmarks/compose.py [--invoices 100000] [--repeat 3] [--book PATH]

The book is benchmarks/run.py's demo book of that size (cached in benchmarks/out/). In fresh
processes (medians of --repeat), after the snapshot (read, records, figures, plan), the run's
`executor.compose` is timed alone:
- serial: the pool switched off (MIN_POOLED out of reach): what a run with other threads, one
  core or too little memory does;
- pooled: forked workers, one per core: CPU of the parent and its workers together (the workers
  share the chunks out as they come: with the cores free, the wall is about the parent's CPU plus
  the workers' divided by the cores).
Also: what crosses the process boundary (pickled bytes per message, and the time to pickle and
unpickle them), and a check that both give the same output. Output: a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import datetime as dt, hashlib, json, os, pickle, resource, sys, time
from relance.app import compose_pool, executor, jobs
from relance.workbook.xlsx import XlsxBackend
from relance.engine.history import HistoryIndex

path, mode = sys.argv[1], sys.argv[2]
snap = jobs.snapshot(XlsxBackend(path), dt.datetime.now(dt.timezone.utc), None)
index = HistoryIndex.build([*snap.book.archived, *snap.book.history])
if mode == "serial":
    compose_pool.MIN_POOLED = 10**9
def rusage():
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime, b.ru_utime + b.ru_stime


wall, (own0, kids0) = time.perf_counter(), rusage()
out, anomalies = executor.compose(snap.plan, snap.book, snap.positions, snap.renderer, index)
wall, (own1, kids1) = time.perf_counter() - wall, rusage()
h = hashlib.sha256()
for action, message, script in out:  # by value (pickled bytes depend on which strings are shared)
    h.update(repr((action, script, message and executor._fields(message))).encode())
h.update(repr(anomalies).encode())
digest = h.hexdigest()
fields = [executor._Ahead(s, None if m is None else executor._fields(m), None, ()) for _, m, s in out]
t = time.process_time()
data = pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL)
t_dump = time.process_time() - t
t = time.process_time()
pickle.loads(data)
t_load = time.process_time() - t
# held until filed from executor.PACKED_FROM actions: packed CHUNK at a time, then taken back
made = [executor._fields(m) for _, m, _ in out if m is not None]
held = sum(sys.getsizeof(v) for v in {id(v): v for f in made for v in f if isinstance(v, (str, bytes))}.values())
t = time.process_time()
packs = [executor._Pack(made[i:i + compose_pool.CHUNK]) for i in range(0, len(made), compose_pool.CHUNK)]
t_pack = time.process_time() - t
packed = sum(len(p.blob) for p in packs)
t = time.process_time()
for k, p in enumerate(packs):
    for i in range(len(made[k * compose_pool.CHUNK:(k + 1) * compose_pool.CHUNK])):
        p.take(i)
t_take = time.process_time() - t
print(json.dumps({"wall": wall, "parent": own1 - own0, "children": kids1 - kids0, "messages": len(out),
                  "digest": digest, "anomalies": len(anomalies), "pickled": len(data), "dump": t_dump,
                  "load": t_load, "made": len(made), "held": held, "packed": packed, "pack": t_pack,
                  "take": t_take}))
"""


def once(book: Path, mode: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(book), mode], capture_output=True, text=True,
                          check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--book", type=Path, help="a copy of a cached book (default: built by benchmarks/run.py)")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from run import build

    book = args.book or build(args.invoices)
    runs: dict[str, list[dict[str, float]]] = {"serial": [], "pooled": []}
    for _ in range(args.repeat):
        for mode in runs:
            runs[mode].append(once(book, mode))
    digests = {r["digest"] for mode in runs for r in runs[mode]}  # type: ignore[misc]

    def med(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[mode])

    n = int(runs["serial"][0]["messages"])
    print(f"Composing the {n:,} actions of the {args.invoices:,}-invoice first run (medians of {args.repeat} "
          f"fresh processes; output identical: {'yes' if len(digests) == 1 else 'NO'})\n")
    print("| compose | wall s | CPU s (parent + workers) | parent CPU s | workers CPU s |")
    print("|---|---:|---:|---:|---:|")
    for mode in runs:
        print(f"| {mode} | {med(mode, 'wall'):.2f} | {med(mode, 'parent') + med(mode, 'children'):.2f} | "
              f"{med(mode, 'parent'):.2f} | {med(mode, 'children'):.2f} |")
    pickled = med("pooled", "pickled")
    print(f"\nCrossing the process boundary: {pickled / n:,.0f} bytes a message pickled, "
          f"{1e6 * med('pooled', 'dump') / n:.0f} µs of CPU to pickle and {1e6 * med('pooled', 'load') / n:.0f} µs "
          f"to unpickle one (what the workers send back: the message's strings and bytes, not its Action).")
    made = med("pooled", "made")
    print(f"\nHeld until filed (runs of {executor_packed_from():,} actions or more): {med('pooled', 'held') / made:,.0f} "
          f"bytes a message as its strings and bytes (letters' PDFs included), {med('pooled', 'packed') / made:,.0f} packed (app/executor.py `_Pack`: "
          f"{compose_pool_chunk()} messages pickled and compressed together); {1e6 * med('pooled', 'pack') / made:.0f} µs "
          f"of CPU to pack one (in the workers), {1e6 * med('pooled', 'take') / made:.0f} µs to open and take it back "
          f"(the parent, as it files it).")


def executor_packed_from() -> int:
    from relance.app.executor import PACKED_FROM

    return PACKED_FROM


def compose_pool_chunk() -> int:
    from relance.app.compose_pool import CHUNK

    return CHUNK


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"\n({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
