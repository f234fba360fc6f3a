"""A run on Google Sheets against the .xlsx run of the same book.

    .venv/bin/python benchmarks/gsheet.py [--sizes 10000,100000]

For each size the demo book of benchmarks/run.py (cached in benchmarks/out/) is loaded into the
local Sheets server of the tests (tests/servers/sheets.py, in this process, on loopback), with
the service-account flow for real; then, in fresh processes, `relance run gsheet:<id>` (the
first, catch-up run, then a rerun the same day) and `relance run book.xlsx` on a pristine copy.
Wall time and peak RSS (wait4) of each relance process, and the Sheets requests the server
answered, are printed as a Markdown table. The server's own work is not in the peak memory,
but shares the machine's cores with the run (as Google's would not).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from run import AS_OF, CUSTOMERS, OUT, build, measure  # noqa: E402

from servers.sheets import SheetsServer, service_account_key  # noqa: E402


def load(server: SheetsServer, book: Path) -> str:
    """The .xlsx book's tabs as a spreadsheet on the server (dates as serial numbers, as Sheets holds them)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(book))
    tabs = {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in wb.sheet_names}
    return server.add_book(book.stem, tabs)


def bench(size: int) -> dict[str, float | int]:
    source = build(size)
    relance = str(Path(sys.executable).with_name("relance"))
    flags = ["--as-of", AS_OF.isoformat(), "--json", "--anytime"]
    with SheetsServer(require_auth=True) as server, tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GOOGLE_APPLICATION_CREDENTIALS": service_account_key(server, Path(tmp) / "sa.json"),
               "RELANCE_SHEETS_API_URL": server.url}
        sid = load(server, source)
        outbox = OUT / f"gsheet-outbox-{size}"
        shutil.rmtree(outbox, ignore_errors=True)
        cmd = [relance, "run", f"gsheet:{sid}", *flags, "--outbox", str(outbox)]
        before = server.requests
        run_s, run_mb, stdout = measure_env(cmd, env)
        run_requests = server.requests - before
        before = server.requests
        rerun_s, rerun_mb, _ = measure_env(cmd, env)
        rerun_requests = server.requests - before
        largest = server.largest_body
    summary = json.loads(stdout)
    work = OUT / f"gsheet-work-{size}.xlsx"
    shutil.copy(source, work)
    xlsx_outbox = OUT / f"gsheet-xlsx-outbox-{size}"
    shutil.rmtree(xlsx_outbox, ignore_errors=True)
    xlsx_s, xlsx_mb, _ = measure([relance, "run", str(work), *flags, "--outbox", str(xlsx_outbox)])
    return {"invoices": size, "customers": CUSTOMERS.get(size, size // 5), "messages": summary["sent"],
            "run_s": run_s, "run_mb": run_mb, "requests": run_requests, "rerun_s": rerun_s,
            "rerun_mb": rerun_mb, "rerun_requests": rerun_requests, "largest_mb": largest / 1e6,
            "xlsx_s": xlsx_s, "xlsx_mb": xlsx_mb}


def measure_env(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return measure(cmd)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    rows = [bench(int(s)) for s in args.sizes.split(",")]
    print(f"One run each, fresh processes, as of {AS_OF.isoformat()}; Sheets: the local server on loopback.\n")
    print("| invoices | messages | gsheet run (s) | peak (MiB) | requests | rerun (s) | rerun requests "
          "| largest request (MB) | .xlsx run (s) | .xlsx peak (MiB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['invoices']:,} | {r['messages']:,} | {r['run_s']:.1f} | {r['run_mb']:.0f} | {r['requests']} "
              f"| {r['rerun_s']:.1f} | {r['rerun_requests']} | {r['largest_mb']:.2f} | {r['xlsx_s']:.1f} "
              f"| {r['xlsx_mb']:.0f} |")


if __name__ == "__main__":
    main()
