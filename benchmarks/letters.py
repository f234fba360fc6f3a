"""Formal notices: CPU and wall time of N letters rendered one by one and on every core; and the
collection agency's hand-off packages (render/handoff.agency_package), one by one.

    .venv/bin/python benchmarks/letters.py [--letters 368] [--repeat 3] [--baseline-src ../main/src]
    .venv/bin/python benchmarks/letters.py --handoffs 661 [--repeat 3] [--baseline-src ../main/src]

The letters are the demo book's customers (relance.demo, cached in benchmarks/out/), each given
the formal notice step, so names, addresses, invoice counts and amounts are the demo's. In fresh
processes (medians of --repeat):
- floor: a one-page PDF per letter drawn on reportlab's canvas (the letter's lines as plain
  strings, no layout): what any PDF costs here;
- serial: render/letter.formal_notice_pdf for every letter, one after the other;
- pooled: app/letter_pool.render_letters (forked workers, one per core), CPU of the parent and
  its workers together.
With --baseline-src, the serial figure is measured again with that source tree first on the path
(another checkout's src/: the letters as they were). Output: a Markdown table.
With --handoffs N: N hand-off packages of the same customers, in turn (the 100k approval day files 661), each
with 8 reminders in its History (long and short recipients) and one proof, one after the other with
the run's Kit per language, as app/executor.py makes them: CPU ms per package (summary PDF, CSV files,
ZIP), beside --baseline-src's; then the same packages filed into a fresh folder beside benchmarks/out
(the outbox's file system): one by one (OutboxChannel.attach: two fsyncs each) and 64 at a time
(attach_many: one file system sync and one folder fsync a group), wall seconds being the disk's waits.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
AS_OF = dt.date(2026, 11, 23)
#: The demo customers the hand-off packages are made for, in turn (the demo book plans 370).
HANDOFF_CUSTOMERS = 360


def _book() -> Path:
    path = OUT / "letters-demo.xlsx"
    if not path.exists():
        from relance.demo import build_demo_workbook

        OUT.mkdir(exist_ok=True)
        build_demo_workbook(path, seed=11, customers=1500, invoices=12000, as_of=AS_OF)
    return path


def _jobs(count: int) -> tuple[Any, list[Any]]:
    """(renderer, jobs): the formal notice of the first `count` planned customers of the demo book."""
    from zoneinfo import ZoneInfo

    from relance.app import jobs as app_jobs
    from relance.engine.message import render_context
    from relance.workbook.xlsx import XlsxBackend

    snap = app_jobs.snapshot(XlsxBackend(_book()), dt.datetime.now(ZoneInfo("UTC")), AS_OF)
    sender = [x.strip() for x in snap.book.settings.company_address.replace("\n", ";").split(";") if x.strip()]
    found = []
    seen: set[str] = set()
    for action in snap.plan.actions:
        if action.channel != "email" or action.customer_id in seen:
            continue
        seen.add(action.customer_id)
        notice = dataclasses.replace(action, channel="letter", template="formal_notice", step="formal_notice_letter")
        found.append((action.key, render_context(notice, snap.book, snap.positions, AS_OF, 2), action.language))
        if len(found) == count:
            break
    if len(found) < count:
        raise SystemExit(f"the demo book plans only {len(found)} customers; ask for fewer letters")
    return snap.renderer, [(key, ctx, tuple(sender), lang) for key, ctx, lang in found]


def _floor(texts: list[list[str]]) -> None:
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    for lines in texts:
        canvas = Canvas(io.BytesIO(), pagesize=A4, invariant=1)
        canvas.setFont("Helvetica", 9.5)
        for i, line in enumerate(lines):
            canvas.drawString(57, 800 - 12.5 * (i % 60), line[:110])
        canvas.showPage()
        canvas.save()


def _package_args(i: int, ctx: dict[str, Any], lang: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """agency_package's arguments for one demo customer: 8 reminders sent, one proof."""
    from decimal import Decimal

    customer = ctx["customer"]
    steps = ("courtesy", "reminder_1", "reminder_2", "formal_notice")
    history = [{"run_id": "r", "timestamp": f"2026-10-{1 + d:02d}T09:00:00+02:00", "action_key": f"K{i}x{d}",
                "customer_id": customer["id"], "invoice_ids": ";".join(inv["id"] for inv in ctx["invoices"][:3]),
                "scenario": "standard", "step": steps[d % 4], "channel": ("email", "sms")[d % 2],
                "recipient": str(customer.get("email") or "") if d % 2 == 0 else "+33600000000",
                "status": ("sent", "delivered", "opened")[d % 3], "message_id": f"<K{i}x{d}@bench.example>",
                "amount_due": Decimal("1234.50"), "currency": "EUR", "detail": ""} for d in range(8)]
    proofs = {f"{customer['id']}_reminder_1_K{i}x1.eml": b"From: x\r\n\r\nBonjour\r\n"}
    return ((customer, ctx["invoices"], history, proofs, AS_OF, lang),
            {"company": ctx["company"], "context": ctx, "problems": []})


def child(mode: str, count: int) -> dict[str, float]:
    """One measurement, in this (fresh) process."""
    from relance.render.letter import formal_notice_pdf

    renderer, jobs = _jobs(min(count, HANDOFF_CUSTOMERS) if mode in ("handoff", "attach", "attach_many") else count)
    formal_notice_pdf(jobs[0][1], list(jobs[0][2]), jobs[0][3], renderer=renderer)  # templates compiled
    before, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    if mode == "serial":
        import inspect

        shared: dict[str, Any] = {}  # a run's formatters, where formal_notice_pdf takes one
        if "fmt" in inspect.signature(formal_notice_pdf).parameters:
            from relance.engine.formats import formats

            shared = {lang: {"fmt": formats({"fr": "fr_FR", "en": "en_GB"}[lang])} for lang in ("fr", "en")}
        for _key, ctx, sender, lang in jobs:
            formal_notice_pdf(ctx, list(sender), lang, renderer=renderer, problems=[], **shared.get(lang, {}))
    elif mode == "pooled":
        from relance.app.letter_pool import LetterJob, render_letters

        ready = render_letters([LetterJob(*job) for job in jobs], renderer, minimum=1)
        if ready is None:
            raise SystemExit("the pool did not start")
    elif mode == "handoff":
        from relance.render.handoff import agency_package
        from relance.render.letter import Kit

        kits = {lang: Kit(lang) for lang in ("fr", "en")}
        packages = [_package_args(i, jobs[i % len(jobs)][1], jobs[i % len(jobs)][3]) for i in range(count)]
        agency_package(*packages[0][0], renderer=renderer, **packages[0][1], kit=kits[packages[0][0][5]])
        before, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        for args, kwargs in packages:
            agency_package(*args, renderer=renderer, **kwargs, kit=kits[args[5]])
    elif mode in ("attach", "attach_many"):
        import shutil
        import tempfile

        from relance.channels.outbox import OutboxChannel
        from relance.render.handoff import agency_package
        from relance.render.letter import Kit

        kits = {lang: Kit(lang) for lang in ("fr", "en")}
        made = []
        for i in range(count):
            args, kwargs = _package_args(i, jobs[i % len(jobs)][1], jobs[i % len(jobs)][3])
            made.append((f"{args[0]['id']}_dossier_recouvrement_R{i:019X}.zip",
                         agency_package(*args, renderer=renderer, **kwargs, kit=kits[args[5]])))
        folder = Path(tempfile.mkdtemp(prefix="attach-", dir=OUT))  # the outbox's file system
        try:
            box = OutboxChannel(folder, "t")
            before, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
            if mode == "attach":
                for name, data in made:
                    box.attach(name, data)
            else:
                for start in range(0, count, 64):  # app/executor.py FILED_TOGETHER
                    box.attach_many(made[start:start + 64])
            wall = time.perf_counter() - wall
            after = resource.getrusage(resource.RUSAGE_SELF)
            box.close()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return {"cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, "wall": wall}
    elif mode == "floor":
        texts = [[str(v) for inv in ctx["invoices"] for v in inv.values()] + [str(ctx["customer"].get("name"))] * 30
                 for _key, ctx, _sender, _lang in jobs]
        before, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        _floor(texts)
    wall = time.perf_counter() - wall
    after, children_after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
           + children_after.ru_utime + children_after.ru_stime - children.ru_utime - children.ru_stime)
    return {"cpu": cpu, "wall": wall}


def measure(mode: str, count: int, repeat: int, src: str | None = None) -> dict[str, float]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    runs = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, __file__, "--child", mode, "--letters", str(count)],
                              capture_output=True, text=True, env=env, check=False)
        if done.returncode:
            raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {k: statistics.median(r[k] for r in runs) for k in ("cpu", "wall")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", type=int, default=368)  # the 100k first run's count
    parser.add_argument("--handoffs", type=int, default=0, help="measure this many hand-off packages instead")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-src", default=None, help="another checkout's src/ (the letters as they were)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.letters)))
        return
    _book()
    if args.handoffs:
        n = args.handoffs
        trees = ([(f"hand-off packages, serial, {args.baseline_src}", "handoff", args.baseline_src)]
                 if args.baseline_src else []) + [("hand-off packages, serial", "handoff", None),
                                                  ("filed one by one (attach)", "attach", None),
                                                  ("filed 64 at a time (attach_many)", "attach_many", None)]
        runs: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in trees}
        for _ in range(args.repeat):  # interleaved: A, B, A, B… (a shared machine's load hits both)
            for name, mode, src in trees:
                runs[name].append(measure(mode, n, 1, src))
        rows = [(name, {k: statistics.median(r[k] for r in found) for k in ("cpu", "wall")})
                for name, found in runs.items()]
        print(f"\n{n} hand-off packages, medians of {args.repeat} fresh processes, interleaved\n")
        print("| path | CPU s | wall s | CPU ms/package |")
        print("|---|---:|---:|---:|")
        for name, figures in rows:
            print(f"| {name} | {figures['cpu']:.2f} | {figures['wall']:.2f} | {figures['cpu'] / n * 1000:.1f} |")
        return
    from relance.app.letter_pool import cores

    n = args.letters
    rows = [("floor: canvas, no layout", measure("floor", n, args.repeat))]
    if args.baseline_src:
        rows.append((f"serial, {args.baseline_src}", measure("serial", n, args.repeat, args.baseline_src)))
    rows.append(("serial", measure("serial", n, args.repeat)))
    rows.append((f"pooled ({cores()} cores)", measure("pooled", n, args.repeat)))
    floor = rows[0][1]["cpu"] / n * 1000
    print(f"\n{n} formal notices, medians of {args.repeat} fresh processes\n")
    print("| path | CPU s | wall s | CPU ms/letter | × floor |")
    print("|---|---:|---:|---:|---:|")
    for name, figures in rows:
        per = figures["cpu"] / n * 1000
        print(f"| {name} | {figures['cpu']:.2f} | {figures['wall']:.2f} | {per:.1f} | {per / floor:.1f} |")


if __name__ == "__main__":
    main()
