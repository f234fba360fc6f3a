"""The ribbon's buttons at scale, through the fake of xlwings (no Excel on Linux).

    .venv/bin/python benchmarks/excel_fake.py [--sizes 10000,100000]

For each size the demo book of benchmarks/run.py (cached in benchmarks/out/) is typed into the
fake Excel of the tests (tests/xlwings_fake.py: the values as xlwings gives them, floats,
datetimes, None), then the buttons are pressed in this process: Send now (the first, catch-up
run), Send now again (nothing more to send), Preview, Update dashboard, Check. Each line gives
the wall time, the calls the backend made into "Excel" (value reads, value assignments, number
formats, other range calls) and the process' peak RSS so far. What this measures is relance's
side: the engine, the conversions and the number of round trips; a real Excel adds its own time
per call (COM on Windows, Apple events on macOS), which the call counts let one estimate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent / "addin"))

from relance_addin import ribbon  # noqa: E402
from run import OUT, build  # noqa: E402

import xlwings_fake as fake  # noqa: E402
from relance.workbook.xlsx import XlsxBackend  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(size: int) -> list[dict[str, object]]:
    source = build(size)
    folder = OUT / f"excel-fake-{size}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t = time.perf_counter()
    sheets = XlsxBackend(source).read()
    book = fake.Book.from_tabs([(s.name, s.rows) for s in sheets], name="relances.xlsx",
                               fullname=str(folder / "relances.xlsx"))
    del sheets
    print(f"{size:,} invoices typed into the fake Excel in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    now = dt.datetime.now(dt.UTC)
    rows: list[dict[str, object]] = []
    presses = [("Send now", ribbon.send_now), ("Send now again", ribbon.send_now), ("Preview", ribbon.preview),
               ("Update dashboard", ribbon.update_dashboard), ("Check", ribbon.check)]
    for label, press in presses:
        book.reset_counts()
        alerts = len(book.app.alerts)
        t = time.perf_counter()
        press(book, now)
        seconds = time.perf_counter() - t
        said = book.app.alerts[alerts]
        if said["mode"] == "critical" and label != "Check":
            raise SystemExit(f"{label}: {said['prompt']}")
        rows.append({"size": size, "button": label, "seconds": round(seconds, 2),
                     "reads": book.calls["read"], "writes": book.calls["write"], "formats": book.calls["format"],
                     "other": book.calls["range"] + book.calls["style"] + book.calls["clear"],
                     "peak_mb": round(peak_mb()), "said": str(said["prompt"]).splitlines()[0][:90]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000")
    args = parser.parse_args()
    print("| invoices | button | seconds | value reads | value writes | number formats | other calls | "
          "peak RSS (MiB) | message |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        for r in bench(size):
            print(f"| {r['size']:,} | {r['button']} | {r['seconds']} | {r['reads']} | {r['writes']} | "
                  f"{r['formats']} | {r['other']} | {r['peak_mb']} | {r['said']} |", flush=True)


if __name__ == "__main__":
    main()
