"""Factures and Reglements into records: the block-wise column reading against the row-by-row one.

    .venv/bin/python benchmarks/columnar.py                  # or: --sizes 10000,100000 --repeat 3

For each book (benchmarks/run.py builds and caches them), fresh processes read the tabs once and
then time parse_invoices + parse_payments (CPU seconds, time.process_time, the collector off as in
a run), `fast` (the engine) or `reference` (tests/reference_records.py: the rows one by one, as
before session 21); and count what the records hold: Python memory blocks allocated by the two
parses (sys.getallocatedblocks, rows still held), distinct date and text objects in the records.
Prints a Markdown table of medians.
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

from run import build  # noqa: E402

CHILD = r"""
import gc, json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
import reference_records as reference
from relance.app.resources import shipped_contract
from relance.engine.book import book_language
from relance.engine.customer import parse_customers
from relance.engine.invoice import parse_invoices
from relance.engine.payment import parse_payments
from relance.engine.settings import parse_settings
from relance.engine.table import Collector, find_tables, reads_tab
from relance.workbook.xlsx import XlsxBackend

path, mode = Path(sys.argv[1]), sys.argv[2]
contract = shipped_contract()
sheets = XlsxBackend(path).read(lambda name: reads_tab(contract, name))
gc.disable()
out = Collector()
tables, _ = find_tables(sheets, contract, out)
out.lang = book_language(tables)
s = parse_settings(tables.get("settings"), (k.key for k in contract.settings), out,
                   contract.tab("settings").name(out.lang))
customers = parse_customers(tables.get("customers"), s.language, out, s.default_customer_type)
invoices_of, payments_of = ((parse_invoices, parse_payments) if mode == "fast" else
                            (reference.parse_invoices, reference.parse_payments))
blocks = sys.getallocatedblocks()
t = time.process_time()
invoices = invoices_of(tables.get("invoices"), customers, s, out)
t_invoices = time.process_time() - t
t = time.process_time()
payments = payments_of(tables.get("payments"), invoices, customers, s, out)
t_payments = time.process_time() - t
blocks = sys.getallocatedblocks() - blocks
records = list(invoices.values())
dates = [d for r in records for d in (r.issue_date, r.due_date)] + [p.date for p in payments]
texts = [r.customer_id for r in records] + [t for p in payments for t in (p.invoice_id, p.customer_id, p.currency)]
print(json.dumps({"invoices": t_invoices, "payments": t_payments, "blocks": blocks,
                  "dates": len(set(map(id, dates))), "texts": len(set(map(id, texts))),
                  "rows": len(records) + len(payments)}))
"""


def child(path: Path, mode: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), mode, str(HERE.parent / "tests")],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"Factures + Reglements into records, median of {args.repeat} fresh processes (CPU seconds).\n")
    print("| invoices | path | parse_invoices | parse_payments | both | memory blocks | date objects "
          "| code objects | records |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        path = build(size)
        for mode in ("reference", "fast"):
            runs = [child(path, mode) for _ in range(args.repeat)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(f"| {size:,} | {mode} | {med['invoices']:.3f} | {med['payments']:.3f} "
                  f"| {med['invoices'] + med['payments']:.3f} | {med['blocks']:,.0f} | {med['dates']:,.0f} "
                  f"| {med['texts']:,.0f} | {med['rows']:,.0f} |")


if __name__ == "__main__":
    main()
