"""Micro-benchmarks of the in-process hot spots whose speed the tests used to assert.

    .venv/bin/python benchmarks/micro.py            # or: ... benchmarks/micro.py --repeat 7

Each figure is the median (and the spread) of --repeat timed runs in this process, after one
untimed warm-up; data is built once, outside the timings, with the builders the tests use
(tests/books.py, tests/contexts.py, tests/reports.py). The "former bound" column is the
wall-clock limit the test suite asserted before these timings moved here: a reference, not a
pass/fail (a slow machine is not a failing test). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from books import large_book  # noqa: E402
from contexts import context, five_invoices  # noqa: E402
from relance.app.resources import message_templates, report_templates  # noqa: E402
from relance.engine.kpi import currency_kpis, dso_history, receivables_at  # noqa: E402
from relance.render.messages import Renderer  # noqa: E402
from relance.render.report_html import render_html  # noqa: E402
from reports import realistic  # noqa: E402

RENDERS = 50  # messages per timed run of the render benchmark


def timed(work: Callable[[], Any], repeat: int) -> list[float]:
    """Seconds of each of `repeat` runs of `work`, after one warm-up run."""
    work()
    found = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        found.append(time.perf_counter() - start)
    return found


def shown(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure (default 5)")
    repeat = parser.parse_args().repeat

    rows: list[tuple[str, list[float], str]] = []

    renderer = Renderer(message_templates())
    ctx = context(five_invoices(), step="formal_notice")

    def render_fifty() -> None:
        for _ in range(RENDERS):
            renderer.render("formal_notice", "fr", "html", ctx)

    per_render = [t / RENDERS for t in timed(render_fifty, repeat)]
    rows.append(("formal notice e-mail, HTML part, 5 invoices (one render)", per_render, "10 ms"))

    book = large_book(100_000)
    as_of = dt.date(2026, 11, 30)
    ends = [dt.date(2025 + (m // 12), m % 12 + 1, 1) - dt.timedelta(days=1) for m in range(11, 23)]
    rows.append(("receivables at 12 month ends, 100k invoices",
                 timed(lambda: receivables_at(book, ends), repeat), "1.5 s"))
    rows.append(("KPIs and their 12-month DSO history, 100k invoices",
                 timed(lambda: (currency_kpis(book, as_of), dso_history(book, as_of)), repeat), "3.0 s"))

    report, extras = realistic(n_customers=20_000, seed=3, currencies=("EUR", "USD"))
    templates = report_templates()
    rows.append(("HTML report page, 20,000 customers in 2 currencies",
                 timed(lambda: render_html(report, extras, templates), repeat), "3.0 s"))

    print(f"Python {platform.python_version()} on {platform.machine()}, median of {repeat} runs\n")
    print("| measure | median | min | max | former bound |")
    print("|---|---:|---:|---:|---:|")
    for label, seconds, bound in rows:
        print(f"| {label} | {shown(statistics.median(seconds))} | {shown(min(seconds))} | "
              f"{shown(max(seconds))} | {bound} |")


if __name__ == "__main__":
    main()
