"""The daily run, phase by phase, beside floors measured in the same benchmark run.

    make bench            # 10k and 100k invoices, then the approval day and the 200k-History rerun
    make bench-1m         # the million-row book (its build takes minutes; cached in benchmarks/out/)
    .venv/bin/python benchmarks/run.py [--sizes 10000,100000] [--repeat 3] [--approval-sizes ...]

For each size it builds a demo workbook once (cached in benchmarks/out/), then, in fresh processes:
- first run: `relance run BOOK --json` on a pristine copy (the catch-up run: the heaviest day);
- rerun: the same command again on the same day (nothing new to send: the steady daily cost);
  both with RELANCE_PHASES set, so that each process writes where its time went (app/phases.py:
  read, records, figures, plan, render, files, save, other), without changing what it does:
    read     the tabs relance reads, unzipped and parsed (workbook backend.read)
    records  the rows made typed records (load_book), History's pending rows reconciled
    figures  balances, allocation, days past due, penalties, broken promises, the risk ladder
    plan     risk grades, the plan, templates loaded, send window, History index
    render   every message composed: e-mails, SMS, the letters' PDFs
    files    handing them to the channel: outbox files, hand-off packages, the attempt journal
    save     History written ahead of sending, then every tab relance owns (the final save)
    other    the CLI around the job: arguments, opening the book and channel, the JSON printed
  (the interpreter and the imports before that are "startup": the process less the recording);
- floors, each in a fresh process, timed inside it (imports left out):
  read: fastexcel -> Arrow of the very tabs relance reads, on the book as the first run finds it
  and as the rerun finds it; render: one trivial jinja template (compiled once) rendered once per
  message the first run sent; files: as many small files as the first run wrote in its outbox,
  of the same mean size, each written with Path.write_bytes; save: the History tab the run wrote,
  written alone through relance's own .xlsx writer.
Each figure is the median of --repeat fresh processes (default 3), phases included (each phase's
median on its own); peak RSS is the largest of them. The machine may be shared: CPU seconds are
given beside wall seconds. Then the issue's targets, met or not, and the approval day
(benchmarks/approval_day.py) and the rerun over 200,000 History rows (benchmarks/history_scale.py,
when present). The Markdown is printed and kept in benchmarks/out/bench-<sizes>.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
# A run sends only for today (a dated run is a simulation): the books are built as of today.
AS_OF = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
CUSTOMERS = {10_000: 2_000, 100_000: 20_000, 1_000_000: 200_000}
PHASES = ("read", "records", "figures", "plan", "render", "files", "save", "other")
MIB = 1024 * 1024


def build(size: int) -> Path:
    """The demo workbook of `size` invoices as of today (cached: built once a day and size)."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"bench-{size}-{AS_OF.isoformat()}.xlsx"
    if not path.exists():
        from relance.demo import build_demo_workbook

        t = time.perf_counter()
        partial = path.with_suffix(".partial.xlsx")  # an interrupted build is never taken for a book
        build_demo_workbook(partial, seed=11, customers=CUSTOMERS.get(size, size // 5), invoices=size, as_of=AS_OF)
        partial.replace(path)
        print(f"built {path.name} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return path


# ------------------------------------------------------------------------------ one process


@dataclass
class Process:
    """One fresh process: wall and CPU seconds (user + system, from wait4), peak RSS, output."""

    wall: float
    cpu: float
    peak_mib: float
    stdout: str
    phases: dict[str, dict[str, float]] = field(default_factory=dict)


def spawn(cmd: list[str], phases_file: Path | None = None) -> Process:
    """Run `cmd` in a fresh process (its phases recorded into `phases_file` when given)."""
    env = dict(os.environ)
    env.pop("RELANCE_PHASES", None)
    if phases_file is not None:
        phases_file.unlink(missing_ok=True)
        env["RELANCE_PHASES"] = str(phases_file)
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:  # a file: a chatty stderr never blocks the process
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
        assert proc.stdout is not None
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in (0, 4):
            errors.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n{errors.read()[-3000:]}")
    phases = json.loads(phases_file.read_text()) if phases_file is not None else {}
    return Process(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout, phases)


def measure(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB and stdout of one fresh process (the earlier interface)."""
    p = spawn(cmd)
    return p.wall, p.peak_mib, p.stdout


def median_of(runs: list[tuple[float, float, str]]) -> tuple[float, float, str]:
    ordered = sorted(runs, key=lambda r: r[0])
    return ordered[len(ordered) // 2]


@dataclass
class Figure:
    """The median of fresh processes: wall, CPU, the largest peak, each phase's medians."""

    wall: float
    cpu: float
    peak_mib: float
    phases: dict[str, tuple[float, float]]  # phase -> (wall, cpu)
    stdout: str
    inside: tuple[float, float] = (0.0, 0.0)  # what a floor timed inside its process: (wall, cpu)

    @property
    def startup(self) -> tuple[float, float]:
        """The process outside the recorded phases: interpreter, imports, exit."""
        total = self.phases.get("total", (0.0, 0.0))
        return self.wall - total[0], self.cpu - total[1]


def figure(runs: list[Process], floor: bool = False) -> Figure:
    """The median figure of `runs`; a floor's own timing (its JSON line) too when `floor`."""
    names = {k for r in runs for k in r.phases}
    phases = {k: (statistics.median(r.phases.get(k, {}).get("wall", 0.0) for r in runs),
                  statistics.median(r.phases.get(k, {}).get("cpu", 0.0) for r in runs)) for k in names}
    middle = sorted(runs, key=lambda r: r.wall)[len(runs) // 2]
    inside = (0.0, 0.0)
    if floor:  # a floor prints what it timed inside, imports left out
        inside = (statistics.median(json.loads(r.stdout)["wall"] for r in runs),
                  statistics.median(json.loads(r.stdout)["cpu"] for r in runs))
    return Figure(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs),
                  max(r.peak_mib for r in runs), phases, middle.stdout, inside)


# ------------------------------------------------------------------------------ the floors

FLOOR_READ = r"""
import json, resource, sys, time
import fastexcel, pyarrow
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
book, names = sys.argv[1], json.loads(sys.argv[2])
wall, used = time.perf_counter(), cpu()
reader = fastexcel.read_excel(book)
rows = sum(reader.load_sheet(name).to_arrow().num_rows for name in names)
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": cpu() - used, "rows": rows}))
"""

FLOOR_RENDER = r"""
import json, resource, sys, time
from decimal import Decimal
import jinja2
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
n = int(sys.argv[1])
wall, used = time.perf_counter(), cpu()
template = jinja2.Environment(autoescape=True).from_string(
    "<p>Bonjour {{ name }},</p><p>La facture {{ invoice }} de {{ amount }} € est échue depuis le {{ due }}.</p>")
size = sum(len(template.render(name=f"Client {i}", invoice=f"F{i:07d}", amount=Decimal(i) / 100, due="2026-11-02"))
           for i in range(n))
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": cpu() - used, "bytes": size}))
"""

FLOOR_FILES = r"""
import json, resource, sys, time
from pathlib import Path
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
folder, n, size = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
data = b"x" * size
wall, used = time.perf_counter(), cpu()
folder.mkdir(parents=True)
for i in range(n):
    (folder / f"{i:07d}.eml").write_bytes(data)
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": cpu() - used}))
"""

FLOOR_SAVE = r"""
import json, resource, sys, time
from pathlib import Path
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
from relance.engine.sheets import OwnedTab
from relance.workbook.xlsx import XlsxBackend
book, rows_file = Path(sys.argv[1]), Path(sys.argv[2])
rows = json.loads(rows_file.read_text())
wall, used = time.perf_counter(), cpu()
XlsxBackend(book).write([OwnedTab(rows[0], rows[1], rows[2:])])
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": cpu() - used}))
"""


def tabs_read(book: Path) -> list[str]:
    """The tabs relance reads in `book` (the contract's and History's archives), by name."""
    from python_calamine import CalamineWorkbook

    from relance.app.resources import shipped_contract
    from relance.engine.table import reads_tab

    contract = shipped_contract()
    return [n for n in CalamineWorkbook.from_path(str(book)).sheet_names if reads_tab(contract, n)]


def outbox_files(folder: Path) -> tuple[int, int]:
    """How many files a run left in its outbox, and their bytes."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def history_rows(book: Path) -> Path:
    """The History tab of `book` as [name, header, rows...] in a JSON file (for the save floor)."""
    from python_calamine import CalamineWorkbook

    from relance.app.resources import shipped_contract
    from relance.engine.contract import normalize

    names = shipped_contract().tab("history").names()
    wb = CalamineWorkbook.from_path(str(book))
    name = next(n for n in wb.sheet_names if normalize(n) in names)
    rows = wb.get_sheet_by_name(name).to_python()
    path = OUT / f"history-{book.stem}.json"
    path.write_text(json.dumps([name, *[["" if c is None else str(c) for c in r] for r in rows]]))
    return path


# ------------------------------------------------------------------------------ one size


@dataclass
class Size:
    invoices: int
    customers: int
    messages: int
    tasks: int
    files: int
    file_bytes: int
    first: Figure
    rerun: Figure
    read_first: Figure
    read_rerun: Figure
    render: Figure
    write: Figure
    save: Figure
    tabs: list[str]


#: The folders of this benchmark's runs, removed at its end (see `bench`).
LEFT: list[Path] = []


def aside(folder: Path) -> None:
    """Make room for a fresh copy of `folder` at its path without freeing its inodes now: it is
    renamed, and removed with the others at the end (`forget`; see `bench` for why)."""
    if folder.exists():
        moved = folder.with_name(f".aside-{folder.name}-{os.getpid()}-{len(LEFT)}")
        folder.rename(moved)
        LEFT.append(moved)


def forget() -> None:
    """Remove the outbox and floor folders this benchmark wrote."""
    for folder in LEFT:
        shutil.rmtree(folder, ignore_errors=True)
    LEFT.clear()


def bench(size: int, repeat: int) -> Size:
    source = build(size)
    work = OUT / f"work-{size}.xlsx"
    relance = str(Path(sys.executable).with_name("relance"))
    firsts, reruns = [], []
    files = file_bytes = 0
    for i in range(repeat):
        # Each first run starts from the pristine workbook and a new, empty outbox folder. The
        # outboxes of earlier runs are removed only once the whole benchmark is done (`forget`):
        # ext4 without a journal, as on this machine, skips the inodes freed in the last minutes
        # when it gives out new ones, so removing an outbox of 4,363 files just before a run made
        # that run's files phase three times slower (3.5 s against 1.2 s at 100k).
        outbox = OUT / f"outbox-{size}-{os.getpid()}-{i}"
        LEFT.append(outbox)
        cmd = [relance, "run", str(work), "--as-of", AS_OF.isoformat(), "--json", "--outbox", str(outbox), "--anytime"]
        shutil.copy(source, work)
        firsts.append(spawn(cmd, OUT / f"phases-{size}-first-{i}.json"))
        files, file_bytes = outbox_files(outbox)
        reruns.append(spawn(cmd, OUT / f"phases-{size}-rerun-{i}.json"))
    first, rerun = figure(firsts), figure(reruns)
    summary = json.loads(first.stdout)
    print(f"  {size:,}: first run {first.wall:.1f} s, rerun {rerun.wall:.1f} s; floors…", file=sys.stderr)

    after = OUT / f"read-{size}.xlsx"  # the book as the rerun finds it (a copy: reading never changes it)
    shutil.copy(work, after)
    tabs_first, tabs_after = tabs_read(source), tabs_read(after)
    py = sys.executable

    def floor(*args: str) -> Figure:
        return figure([spawn([py, "-c", *args]) for _ in range(repeat)], floor=True)

    read_first = floor(FLOOR_READ, str(source), json.dumps(tabs_first))
    read_rerun = floor(FLOOR_READ, str(after), json.dumps(tabs_after))
    render = floor(FLOOR_RENDER, str(summary["sent"]))
    writes = []
    for i in range(repeat):
        folder = OUT / f"floor-files-{size}-{os.getpid()}-{i}"
        LEFT.append(folder)
        writes.append(spawn([py, "-c", FLOOR_FILES, str(folder), str(files), str(file_bytes // max(files, 1))]))
    rows = history_rows(after)
    saves = []
    for _ in range(repeat):
        copy = OUT / f"floor-{size}.xlsx"
        shutil.copy(source, copy)
        saves.append(spawn([py, "-c", FLOOR_SAVE, str(copy), str(rows)]))
    return Size(size, CUSTOMERS.get(size, size // 5), summary["sent"], summary["tasks_created"], files, file_bytes,
                first, rerun, read_first, read_rerun, render, figure(writes, floor=True),
                figure(saves, floor=True), tabs_after)


# ------------------------------------------------------------------------------ the tables


def _s(pair: tuple[float, float]) -> str:
    return f"{pair[0]:.2f} | {pair[1]:.2f}"


def size_table(r: Size) -> str:
    out = io.StringIO()
    first_phases, rerun_phases = r.first.phases, r.rerun.phases
    floors = {
        "read": (f"fastexcel → Arrow, the {len(r.tabs)} tabs relance reads (first run's book / rerun's)",
                 f"{r.read_first.inside[0]:.2f} / {r.read_rerun.inside[0]:.2f}",
                 f"{r.read_first.inside[1]:.2f} / {r.read_rerun.inside[1]:.2f}"),
        "render": (f"one trivial jinja template × {r.messages:,} messages", f"{r.render.inside[0]:.2f}",
                   f"{r.render.inside[1]:.2f}"),
        "files": (f"{r.files:,} small files written ({r.file_bytes / max(r.files, 1) / 1024:.1f} KiB each)",
                  f"{r.write.inside[0]:.2f}", f"{r.write.inside[1]:.2f}"),
        "save": ("the History tab alone through relance's .xlsx writer", f"{r.save.inside[0]:.2f}",
                 f"{r.save.inside[1]:.2f}"),
    }
    print(f"#### {r.invoices:,} invoices, {r.customers:,} customers: {r.messages:,} messages sent, "
          f"{r.tasks:,} tasks, {r.files:,} files written on the first run\n", file=out)
    print("| phase | first run (s) | CPU (s) | rerun (s) | CPU (s) | floor measured in the same run "
          "| floor (s) | CPU (s) |", file=out)
    print("|---|---:|---:|---:|---:|---|---:|---:|", file=out)
    for name in PHASES:
        floor = floors.get(name, ("", "", ""))
        print(f"| {name} | {_s(first_phases.get(name, (0.0, 0.0)))} | {_s(rerun_phases.get(name, (0.0, 0.0)))} "
              f"| {floor[0]} | {floor[1]} | {floor[2]} |", file=out)
    print(f"| startup (interpreter, imports, exit) | {_s(r.first.startup)} | {_s(r.rerun.startup)} | | | |", file=out)
    print(f"| **whole process** | **{r.first.wall:.2f}** | **{r.first.cpu:.2f}** | **{r.rerun.wall:.2f}** "
          f"| **{r.rerun.cpu:.2f}** | | | |", file=out)
    print(f"| peak RSS (MiB) | {r.first.peak_mib:.0f} | | {r.rerun.peak_mib:.0f} | | "
          f"fastexcel read peak (MiB) | {r.read_rerun.peak_mib:.0f} | |", file=out)
    return out.getvalue()


def targets_table(rows: list[Size]) -> str:
    """The issue's targets (100k: ratios and peak; 1M: seconds and peak), met or not: on wall
    seconds as the issue states them, and on CPU seconds (the machine may be shared)."""
    out = io.StringIO()
    print("| invoices | target | wall | met (wall) | CPU | met (CPU) |", file=out)
    print("|---:|---|---|---|---|---|", file=out)

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    def ratio(r: Size, target: str, run: Figure, read: Figure, limit: float) -> None:
        """The ratio targets are the issue's at 100k invoices; at other sizes they are only shown."""
        wall, cpu = run.wall / read.inside[0], run.cpu / max(read.inside[1], 1e-9)
        judged = r.invoices == 100_000
        print(f"| {r.invoices:,} | {target} | {wall:.1f}× ({run.wall:.2f} / {read.inside[0]:.2f} s) "
              f"| {verdict(wall <= limit) if judged else '(100k target)'} "
              f"| {cpu:.1f}× ({run.cpu:.2f} / {read.inside[1]:.2f} s) "
              f"| {verdict(cpu <= limit) if judged else '(100k target)'} |", file=out)

    def seconds(r: Size, target: str, run: Figure, limit: float) -> None:
        print(f"| {r.invoices:,} | {target} | {run.wall:.1f} s | {verdict(run.wall <= limit)} "
              f"| {run.cpu:.1f} s | {verdict(run.cpu <= limit)} |", file=out)

    for r in rows:
        ratio(r, "same-day rerun ≤ 3× the fastexcel read", r.rerun, r.read_rerun, 3)
        ratio(r, "first run ≤ 10× the fastexcel read", r.first, r.read_first, 10)
        peak = max(r.first.peak_mib, r.rerun.peak_mib)
        if r.invoices >= 1_000_000:
            seconds(r, "same-day rerun ≤ 30 s", r.rerun, 30)
            seconds(r, "first run ≤ 90 s", r.first, 90)
            print(f"| {r.invoices:,} | peak < 2 GiB | {peak:.0f} MiB | {verdict(peak < 2048)} | | |", file=out)
        elif r.invoices >= 100_000:
            print(f"| {r.invoices:,} | peak < 500 MiB | {peak:.0f} MiB | {verdict(peak < 500)} | | |", file=out)
    return out.getvalue()


def approval_table(sizes: list[int], repeat: int) -> str:
    """benchmarks/approval_day.py's figures (its own bench), as one table."""
    import approval_day

    out = io.StringIO()
    print("| invoices | first run: sent / tasks | first run (s, CPU s) | approvals ticked "
          "| approval day: sent / tasks | approval day (s, CPU s) | peak (MiB) "
          "| approval day / first run (wall, CPU) | ≤ 1.5× (wall, CPU) |", file=out)
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|", file=out)
    for size in sizes:
        r = approval_day.bench(size, repeat)
        ratio, cpu = r["day_s"] / r["first_s"], r["day_cpu"] / r["first_cpu"]
        print(f"| {r['invoices']:,} | {r['first_sent']:,} / {r['first_tasks']:,} "
              f"| {r['first_s']:.2f}, {r['first_cpu']:.2f} | {r['ticked']:,} | {r['day_sent']:,} / {r['day_tasks']:,} "
              f"| {r['day_s']:.2f}, {r['day_cpu']:.2f} | {r['peak']:.0f} "
              f"| {ratio:.2f}×, {cpu:.2f}× | {'met' if ratio <= 1.5 else 'not met'}, {'met' if cpu <= 1.5 else 'not met'} |",
              file=out)
    return out.getvalue()


def history_section(repeat: int) -> str:
    """benchmarks/history_scale.py's own output (the rerun over 200,000 History rows), when present."""
    script = HERE / "history_scale.py"
    if not script.exists():
        return "benchmarks/history_scale.py is not there yet: the 200,000-History rerun is skipped.\n"
    done = subprocess.run([sys.executable, str(script), "--repeat", str(repeat)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        return f"benchmarks/history_scale.py failed ({done.returncode}):\n\n```\n{done.stderr[-2000:]}\n```\n"
    return done.stdout


def bytecode() -> None:
    """relance's modules compiled to bytecode before anything is timed, as an installed package has
    them: with PYTHONDONTWRITEBYTECODE set (as on this machine) an editable install never writes its
    .pyc, and every run compiled 71 modules from source first (0.18 s of each process)."""
    import compileall

    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "src"), quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per figure; the median is shown")
    parser.add_argument("--approval-sizes", default="10000,100000",
                        help="sizes of the approval day (benchmarks/approval_day.py); empty: none")
    parser.add_argument("--no-history", action="store_true", help="skip the 200,000-History rerun")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    report = io.StringIO()
    bytecode()

    def say(text: str) -> None:
        print(text, flush=True)
        print(text, file=report)

    rows = []
    for size in sizes:
        print(f"benchmarking {size:,} invoices…", file=sys.stderr)
        rows.append(bench(size, args.repeat))
    say(f"### The daily run, phase by phase\n\nMedian of {args.repeat} fresh processes each, as of "
        f"{AS_OF.isoformat()}, on {os.cpu_count()} cores (peak: the largest of them). Phases are timed inside "
        "`relance run` (RELANCE_PHASES); floors inside their own processes, imports left out.\n")
    for r in rows:
        say(size_table(r))
    say("#### Targets\n\nRatios: the whole `relance run` process against the fastexcel read alone (imports "
        "left out), both measured in this benchmark run.\n")
    say(targets_table(rows))
    approvals = [int(s) for s in args.approval_sizes.split(",") if s]
    if approvals:
        print("the approval day…", file=sys.stderr)
        say(f"### The approval day\n\nbenchmarks/approval_day.py, median of {args.repeat} rounds.\n")
        say(approval_table(approvals, args.repeat))
    if not args.no_history:
        print("the 200,000-History rerun…", file=sys.stderr)
        say("### The rerun over 200,000 History rows\n")
        say(history_section(args.repeat))
    (OUT / f"bench-{'-'.join(str(s) for s in sizes)}.md").write_text(report.getvalue(), encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))  # approval_day and history_scale sit beside this file
    try:
        main()
    finally:
        forget()
