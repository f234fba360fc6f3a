"""Benchmark of the read and records stages: read, tables, customers, invoices, payments,
balances, positions, at 10k and 100k invoices.

    .venv/bin/python benchmarks/records.py                 # or: ... --sizes 10000,100000 --repeat 3
    .venv/bin/python benchmarks/records.py --read          # the read phase alone, taken apart

Each figure is the median of --repeat fresh processes (CPU seconds, user + sys, from
time.process_time in the child), on the demo books benchmarks/run.py builds (cached in
benchmarks/out/). A process times the stages one way: `reference`, the row-by-row reading
(parse_*(by_row=True)) and the former balances and positions (tests/reference_records.py), or
`fast`, the column-wise path the run uses (positions as the daily run asks them: penalties of open
invoices only). The floor is python-calamine reading the same tabs to Python values, in a fresh
process of its own. Prints a Markdown table.
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
import reference_records as reference
from python_calamine import CalamineWorkbook
from relance.app.resources import shipped_contract, shipped_presets
from relance.engine import balance, position
from relance.engine.book import book_language, load_book
from relance.engine.customer import parse_customers
from relance.engine.invoice import parse_invoices
from relance.engine.payment import parse_payments
from relance.engine.settings import parse_settings
from relance.engine.table import Collector, find_tables, reads_tab
from relance.workbook.xlsx import XlsxBackend

path, mode, as_of = Path(sys.argv[1]), sys.argv[2], dt.date.fromisoformat(sys.argv[3])
contract = shipped_contract()
wanted = lambda name: reads_tab(contract, name)
gc.disable()  # as the run does while it builds records (app/jobs._batch_gc)
times = {}
def timed(name, work):
    t = time.process_time()
    value = work()
    times[name] = time.process_time() - t
    return value

if mode == "floor":
    def floor():
        wb = CalamineWorkbook.from_path(str(path))
        return [wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names if wanted(n)]
    timed("floor", floor)
else:
    by_row = mode == "reference"
    sheets = timed("read", lambda: XlsxBackend(path).read(wanted))
    out = Collector()
    tables, _ = timed("tables", lambda: find_tables(sheets, contract, out))
    out.lang = book_language(tables)
    s = parse_settings(tables.get("settings"), (k.key for k in contract.settings), out,
                       contract.tab("settings").name(out.lang))
    customers = timed("customers", lambda: parse_customers(tables.get("customers"), s.language, out,
                                                           s.default_customer_type, by_row=by_row))
    invoices = timed("invoices", lambda: parse_invoices(tables.get("invoices"), customers, s, out, by_row=by_row))
    payments = timed("payments", lambda: parse_payments(tables.get("payments"), invoices, customers, s, out,
                                                        by_row=by_row))
    book = load_book(sheets, contract, shipped_presets())  # disputes and the rest, untimed
    apply_all = reference.apply_all if by_row else balance.apply_all
    timed("balances", lambda: apply_all(invoices, payments, Collector(), book.disputes))
    positions = reference.compute_positions if by_row else position.compute_positions
    timed("positions", lambda: positions(book, as_of, Collector(), settled_penalties=False))
print(json.dumps(times))
"""

READ_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from relance.app.resources import shipped_contract
from relance.engine.table import reads_tab
from relance.workbook import xlsx_parts as parts
from relance.workbook.xlsx import XlsxBackend

path, mode = Path(sys.argv[1]), sys.argv[2]
contract = shipped_contract()
wanted = lambda name: reads_tab(contract, name)
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
wall, t = time.perf_counter(), cpu()
if mode == "backend":
    XlsxBackend(path).read(wanted)
elif mode == "check":  # the bounds check alone (xlsx_parts.SheetScan over each tab's XML)
    backend = XlsxBackend(path)
    with open(path, "rb") as f:
        layout = backend._layout(f)
    for s in layout.sheets:
        if s.is_worksheet and s.part and wanted(s.name):
            backend._check_sheet(layout.by_name[s.part.casefold()], s.name)
elif mode in ("parse", "rows", "headed"):  # calamine alone, one tab at a time; with or without Python rows
    # "headed": on the copy the backend parses (each tab's part headed by an empty <mergeCells/>,
    # which spares python-calamine its second pass over the tab), the copy's making included
    from contextlib import ExitStack
    from python_calamine import CalamineWorkbook
    source = path
    stack = ExitStack()
    if mode == "headed":
        backend = XlsxBackend(path)
        with open(path, "rb") as f:
            layout = backend._layout(f)
        members = [layout.by_name[s.part.casefold()] for s in layout.sheets
                   if s.is_worksheet and s.part and wanted(s.name)]
        source = backend._headed_copy(layout, members, stack)
    book = CalamineWorkbook.from_path(str(source))
    for name in book.sheet_names:
        if wanted(name):
            sheet = book.get_sheet_by_name(name)
            if mode == "rows":
                sheet.to_python(skip_empty_area=False)
            del sheet
elif mode == "fastexcel":  # the floor: the same tabs to Arrow
    import fastexcel
    reader = fastexcel.read_excel(str(path))
    tabs = [reader.load_sheet(n, header_row=None).to_arrow() for n in reader.sheet_names if wanted(n)]
# VmHWM: this program's own peak (ru_maxrss would keep the parent's from before the exec)
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) / 1024
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": cpu() - t, "peak": peak}))
"""
READ_MODES = ("backend", "check", "parse", "headed", "rows", "fastexcel")


def read_child(path: Path, mode: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", READ_CHILD, str(path), mode], check=True, capture_output=True,
                          text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def read_table(sizes: list[int], repeat: int) -> None:
    """The read phase taken apart: XlsxBackend.read of relance's tabs, its bounds check alone,
    calamine's parse alone (of the book itself, then of the headed copy the backend parses) and
    with the Python rows, and the fastexcel floor."""
    print(f"Read phase, median of {repeat} fresh processes: wall / CPU seconds, peak RSS MiB.\n")
    print("| invoices | " + " | ".join(READ_MODES) + " |")
    print("|---:|" + "---|" * len(READ_MODES))
    for size in sizes:
        path = build(size)
        cells = []
        for mode in READ_MODES:
            runs = [read_child(path, mode) for _ in range(repeat)]
            med = {k: statistics.median(r[k] for r in runs) for k in ("wall", "cpu", "peak")}
            cells.append(f"{med['wall']:.2f} / {med['cpu']:.2f} s, {med['peak']:.0f} MiB")
        print(f"| {size:,} | " + " | ".join(cells) + " |")


STAGES = ("read", "tables", "customers", "invoices", "payments", "balances", "positions")


def child(path: Path, mode: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), mode, AS_OF.isoformat(), str(HERE.parent / "tests")],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--read", action="store_true", help="only the read phase, taken apart")
    args = parser.parse_args()
    if args.read:
        read_table([int(s) for s in args.sizes.split(",")], args.repeat)
        return
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
