"""History at scale: the 100k same-day rerun with an empty History vs one with 200,000 more rows.

    .venv/bin/python benchmarks/history_scale.py [--size 100000] [--rows 200000] [--repeat 3]

It builds (or reuses, in benchmarks/out/) the demo workbook of benchmarks/run.py, runs it once
(the first, catch-up run: its History holds that day's rows), then makes a second copy whose
History also holds --rows older rows (a year of reminders to the same customers, about invoices
paid and gone since, a run a day; built in code, written once through relance's own History writer, so past
history_max_rows the oldest go to an archive tab). Each copy is run once more untimed, so that
both are in their steady state (the History index written). Then, in fresh processes on
pristine copies, the same-day rerun of each (`relance run BOOK --json`: nothing new to send) is
timed: the median of --repeat rounds, wall and CPU (user+system) seconds, peak RSS. The ratio
History-full / History-empty is the figure: at most 1.3 (issue 15).

Then the save of a sending day at that scale (unless --no-save): in fresh processes, each
steady book read, the day's rows (--new, as many as the first run sent) appended, and History
written with its index (app/jobs.history_write, then the backend's write), CPU seconds of each
step; `--python` times another checkout's interpreter (its own relance).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from approval_day import Measure, measure, median_of  # noqa: E402
from run import AS_OF, OUT, aside, build, forget  # noqa: E402

FILL = r"""
import sys, datetime as dt
from decimal import Decimal
from relance.app import jobs
from relance.engine.history import HistoryEntry
from relance.engine.owned_tabs import history_tabs
from relance.workbook.xlsx import XlsxBackend
book_path, rows = sys.argv[1], int(sys.argv[2])
backend = XlsxBackend(book_path)
with backend.run_lock():
    book = jobs.read_book(backend)
    customers = sorted(book.customers)
    first = dt.date(2025, 1, 2)
    steps = [("reminder_1", "email"), ("reminder_2", "email"), ("call", "call")]
    old = []
    for n in range(rows):  # a year of daily runs, each stamping its rows as relance does
        cid = customers[n % len(customers)]
        step, channel = steps[n % len(steps)]
        day = first + dt.timedelta(days=n * 365 // rows)
        iid = f"OLD-{n // 3:07d}"
        old.append(HistoryEntry(
            run_id=f"{day:%Y%m%d}T090000.000000Z", timestamp=f"{day.isoformat()}T10:00:00+01:00",
            action_key=f"R{n:019X}",
            customer_id=cid, invoice_ids=(iid,), scenario="standard", step=step, channel=channel,
            recipient="" if channel == "call" else f"compta@{cid.lower()}.example",
            status="created" if channel == "call" else "delivered", message_id="" if channel == "call" else f"m{n}",
            amount_due=Decimal(1000 + n % 9000) / 4, currency="EUR", detail="", as_of=day,
            via="" if channel == "call" else "outbox:/srv/relance/outbox"))
    backend.write(history_tabs(book, [*old, *book.history]))
print(rows)
"""


def prepared(size: int, rows: int) -> tuple[Path, Path, Path]:
    """The outbox of the first run, the workbook after it (History: that day's rows) and the same
    with `rows` older rows (cached in benchmarks/out/)."""
    empty, full = OUT / f"hist-empty-{size}-{AS_OF}.xlsx", OUT / f"hist-{rows}-{size}-{AS_OF}.xlsx"
    outbox = OUT / f"hist-outbox-{size}-{AS_OF}"
    if not (empty.exists() and full.exists() and outbox.exists()):
        shutil.rmtree(outbox, ignore_errors=True)
        work = OUT / f"hist-work-{size}.xlsx"
        shutil.copy(build(size), work)
        subprocess.run(command(RELANCE, work, outbox), check=False, capture_output=True)  # exit 4: anomalies
        shutil.copy(work, empty)
        subprocess.run([sys.executable, "-c", FILL, str(work), str(rows)], check=True, capture_output=True)
        shutil.copy(work, full)
    return outbox, empty, full


RELANCE = str(Path(sys.executable).with_name("relance"))


def command(relance: str, book: Path, outbox: Path) -> list[str]:
    return [relance, "run", str(book), "--as-of", AS_OF.isoformat(), "--json", "--outbox", str(outbox), "--anytime"]


def steady(book: Path, outbox: Path, relance: str) -> Path:
    """The workbook after one more same-day run of `relance` (untimed): History's index written."""
    work, box = OUT / f"hist-steady-{book.name}", OUT / f"hist-steady-outbox-{book.stem}"
    shutil.copy(book, work)
    aside(box)  # not removed just before the run: see run.bench
    shutil.copytree(outbox, box)
    subprocess.run(command(relance, work, box), check=False, capture_output=True)
    return work


def rerun(book: Path, outbox: Path, relance: str) -> Measure:
    work, box = OUT / f"hist-rerun-{book.name}", OUT / f"hist-rerun-outbox-{book.stem}"
    shutil.copy(book, work)
    aside(box)  # not removed just before the run: see run.bench
    shutil.copytree(outbox, box)
    return measure(command(relance, work, box))


SAVE = r"""
import dataclasses, gc, resource, shutil, sys, json
from relance.app import jobs
from relance.workbook.xlsx import XlsxBackend
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
book_path, work, new = sys.argv[1], sys.argv[2], int(sys.argv[3])
shutil.copy(book_path, work)
backend = XlsxBackend(work)
gc.disable()  # as a run does while it builds records (app/jobs._batch_gc)
with backend.run_lock():
    book = jobs.read_book(backend)
    day = [dataclasses.replace(e, action_key=e.action_key + "+", status="pending")
           for e in (book.history * (new // max(len(book.history), 1) + 1))[:new]]
    t0 = cpu()
    tabs = jobs.history_write(backend, book, [*book.history, *day])
    t1 = cpu()
    backend.write(tabs)
    t2 = cpu()
print(json.dumps({"rows": len(book.history) + len(book.archived) + new, "tabs": t1 - t0, "write": t2 - t1}))
"""


def save(book: Path, python: str, new: int) -> dict[str, float]:
    """History written with the day's rows (what a sending run saves twice: ahead, then done)."""
    work = OUT / f"hist-save-{book.name}"
    done = subprocess.run([python, "-c", SAVE, str(book), str(work), str(new)], check=True, capture_output=True,
                          text=True)
    found: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds per figure; the median is shown")
    parser.add_argument("--relance", default=RELANCE, help="the relance command timed (another checkout's)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter the save is timed with")
    parser.add_argument("--new", type=int, default=4_363, help="rows a sending day appends (the save timed)")
    parser.add_argument("--no-save", action="store_true", help="time the reruns only")
    args = parser.parse_args()
    outbox, empty, full = prepared(args.size, args.rows)
    empty, full = steady(empty, outbox, args.relance), steady(full, outbox, args.relance)
    runs: dict[str, list[Measure]] = {"empty": [], "full": []}
    for _ in range(args.repeat):  # interleaved: a busy spell on the machine hits both
        runs["empty"].append(rerun(empty, outbox, args.relance))
        runs["full"].append(rerun(full, outbox, args.relance))
    cpu = {k: sorted(m.cpu for m in v)[len(v) // 2] for k, v in runs.items()}
    wall = {k: median_of(v) for k, v in runs.items()}
    print(f"Same-day rerun of the {args.size:,}-invoice demo book, median of {args.repeat} fresh processes, "
          f"as of {AS_OF.isoformat()}.\n")
    print("| History | rerun (s) | rerun CPU (s) | peak (MiB) |")
    print("|---|---:|---:|---:|")
    for key, label in (("empty", "that day's rows only"), ("full", f"+ {args.rows:,} older rows")):
        print(f"| {label} | {wall[key].wall:.2f} | {cpu[key]:.2f} | {wall[key].peak:.0f} |")
    print(f"\nratio with / without the older rows: {wall['full'].wall / wall['empty'].wall:.2f}× wall, "
          f"{cpu['full'] / cpu['empty']:.2f}× CPU (target: at most 1.3×)")
    if args.no_save:
        return
    saves: dict[str, list[dict[str, float]]] = {"empty": [], "full": []}
    for _ in range(args.repeat):
        saves["empty"].append(save(empty, args.python, args.new))
        saves["full"].append(save(full, args.python, args.new))
    print(f"\nHistory saved with {args.new:,} new rows (a sending day writes it twice: ahead, then done), "
          f"CPU seconds, median of {args.repeat} fresh processes.\n")
    print("| History | rows | History tabs and index (s) | file written (s) |")
    print("|---|---:|---:|---:|")
    for key, label in (("empty", "that day's rows only"), ("full", f"+ {args.rows:,} older rows")):
        found = saves[key]
        tabs, write = (sorted(m[k] for m in found)[len(found) // 2] for k in ("tabs", "write"))
        print(f"| {label} | {found[0]['rows']:,.0f} | {tabs:.2f} | {write:.2f} |")


if __name__ == "__main__":
    try:
        main()
    finally:
        forget()
