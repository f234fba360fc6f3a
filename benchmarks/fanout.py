"""The 100-workbook fan-out on loopback: dispatch -> a local Pub/Sub -> worker, all for real.

    .venv/bin/python benchmarks/fanout.py                 # 100 workbooks of 3 customers
    .venv/bin/python benchmarks/fanout.py --workbooks 20 --customers 10 --threads 8

functions-framework serves `dispatch` and `worker` (gunicorn, as deployed; `--processes`
x `--threads` standing for instances), tests/servers/pubsub.py takes the REST publish and pushes each message to the
worker as a Pub/Sub trigger does (`--concurrency` pushes at once, standing for instances). Books
are built and servers started before the clock starts. Timed: the dispatch call (one publish
of every message), then until every message is acknowledged; then the same again with the same
schedule time (a Scheduler retry: every workbook runs again and sends nothing). Checks that each
workbook sent each of its reminders exactly once. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from cloudkit import Function, outbox_keys, small_book  # noqa: E402
from servers.pubsub import PubSubServer  # noqa: E402

SCHEDULE = "2026-12-01T07:00:00Z"


def one_pass(dispatcher: Function, pubsub: PubSubServer, books: list[Path]) -> dict[str, float]:
    seen = len(pubsub.deliveries)
    started = time.perf_counter()
    reply = requests.post(dispatcher.url, json={"workbooks": [str(b) for b in books], "anytime": True},
                          headers={"X-CloudScheduler-ScheduleTime": SCHEDULE}, timeout=600)
    published = time.perf_counter()
    if reply.status_code != 200:
        raise SystemExit(f"dispatch answered {reply.status_code}: {reply.text}")
    if not pubsub.wait_idle(3600):
        raise SystemExit("the fan-out did not finish within an hour")
    done = time.perf_counter()
    pushes = pubsub.deliveries[seen:]
    ok = [d.seconds for d in pushes if d.status == 200]
    return {"dispatch": published - started, "wall": done - started, "pushes": len(pushes),
            "ok": len(ok), "median_run": statistics.median(ok), "max_run": max(ok),
            "retried": len(pushes) - len(ok)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbooks", type=int, default=100)
    parser.add_argument("--customers", type=int, default=3, help="customers (reminders due) per workbook")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads of the worker")
    parser.add_argument("--processes", type=int, default=1, help="gunicorn worker processes (WORKERS)")
    parser.add_argument("--concurrency", type=int, default=4, help="pushes in flight at once")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="relance-fanout-") as scratch:
        folder = Path(scratch)
        built = time.perf_counter()
        books = [small_book(folder / f"book{i:03d}.xlsx", args.customers) for i in range(args.workbooks)]
        built = time.perf_counter() - built
        with PubSubServer(concurrency=args.concurrency) as pubsub, \
                Function("worker", {"WORKERS": str(args.processes)}, threads=args.threads) as worker:
            pubsub.push_endpoint = worker.url
            env = {"RELANCE_PUBSUB_API_URL": pubsub.url, "RELANCE_PUBSUB_PROJECT": pubsub.project,
                   "RELANCE_PUBSUB_TOPIC": pubsub.topic, "RELANCE_PUBSUB_ANONYMOUS": "1"}
            with Function("dispatch", env) as dispatcher:
                first = one_pass(dispatcher, pubsub, books)
                sent = {b: outbox_keys(b.with_name(b.stem + "_outbox")) for b in books}
                again = one_pass(dispatcher, pubsub, books)
                resent = {b: outbox_keys(b.with_name(b.stem + "_outbox")) for b in books}
            dead = len(pubsub.dead_letters)
    exact = all(len(k) == args.customers == len(set(k)) for k in sent.values()) and resent == sent
    n = args.workbooks
    print(f"## Fan-out: {n} workbooks x {args.customers} reminders, dispatch -> local Pub/Sub -> worker\n")
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPU(s); "
          f"worker processes {args.processes} x threads {args.threads}, pushes in flight {args.concurrency}; books built in {built:.1f} s "
          "(not timed)\n")
    print("| pass | dispatch call | wall time | per workbook (wall / n) | median run | slowest run | "
          "pushes refused, redelivered |")
    print("|---|---|---|---|---|---|---|")
    for name, p in (("first (sends)", first), ("retry, same schedule time (sends nothing)", again)):
        print(f"| {name} | {p['dispatch']:.2f} s | {p['wall']:.1f} s | {p['wall'] / n * 1000:.0f} ms | "
              f"{p['median_run'] * 1000:.0f} ms | {p['max_run'] * 1000:.0f} ms | {int(p['retried'])} |")
    total = sum(len(k) for k in sent.values())
    print(f"\nreminders sent: {total} (expected {n * args.customers}); each exactly once, none on the retry: "
          f"{'yes' if exact else 'NO'}; dead letters: {dead}")
    print(json.dumps({"workbooks": n, "first": first, "retry": again, "exactly_once": exact}), file=sys.stderr)
    if not exact:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
