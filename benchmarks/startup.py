"""What every run pays before and around its work: the interpreter and the imports ("startup"), and
the command line around the job ("other": arguments, opening the book and the channel, the JSON
printed), beside the interpreter alone.

    .venv/bin/python benchmarks/startup.py [--sizes 10000,100000] [--repeat 5] [--no-bytecode-cache]

Each figure is the median of --repeat fresh processes, wall and CPU seconds (user + system, from
wait4: the machine may be shared, read the CPU column):
- `python -c pass`: the interpreter alone, the floor;
- `python -c "import relance.cli"`: the imports of the command line;
- `relance --help`;
- `relance run BOOK --json` on the same-day rerun of the benchmark book of each size (built and
  cached by benchmarks/run.py in benchmarks/out/; the first run happens once, unmeasured, on a
  copy): "startup" is the process less what RELANCE_PHASES recorded (interpreter, imports, exit),
  "other" the recorded phase of that name (app/phases.py), and the whole process beside them.
Each line twice: as the environment has it (with PYTHONDONTWRITEBYTECODE set, nothing under src/
is ever compiled to a .pyc, so every start compiles relance's own modules again), and with a warm
bytecode cache (PYTHONPYCACHEPREFIX, a temporary folder filled once): what an installed wheel
gets, pip compiling its .pyc at install time. Then the imports that cost most (`-X importtime`).
The Markdown is printed and kept in benchmarks/out/startup.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
BIN = Path(sys.executable).parent
RELANCE = str(BIN / "relance")


@dataclass(frozen=True)
class Sample:
    """One fresh process: wall and CPU seconds, and what its RELANCE_PHASES file recorded."""

    wall: float
    cpu: float
    phases: dict[str, dict[str, float]]

    @property
    def startup(self) -> tuple[float, float]:
        total = self.phases.get("total", {})
        return self.wall - total.get("wall", 0.0), self.cpu - total.get("cpu", 0.0)

    @property
    def other(self) -> tuple[float, float]:
        other = self.phases.get("other", {})
        return other.get("wall", 0.0), other.get("cpu", 0.0)


def spawn(cmd: list[str], env: dict[str, str], phases: Path | None = None, cwd: Path | None = None) -> Sample:
    """Run `cmd` in a fresh process, its output dropped; its phases read back when `phases`."""
    env = dict(env)
    env.pop("RELANCE_PHASES", None)
    if phases is not None:
        phases.unlink(missing_ok=True)
        env["RELANCE_PHASES"] = str(phases)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 4):
        raise SystemExit(f"{' '.join(cmd)} failed ({code})")
    recorded = json.loads(phases.read_text("utf-8")) if phases is not None else {}
    return Sample(wall, usage.ru_utime + usage.ru_stime, recorded)


def median(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def cell(pair: tuple[float, float]) -> str:
    return f"{pair[0]:.3f} / {pair[1]:.3f}"


def environments(bytecode_cache: bool, cache: Path) -> list[tuple[str, dict[str, str]]]:
    """(label, environment) pairs: as it is, and with a warm bytecode cache in `cache`."""
    found = [("as the environment has it" + (" (PYTHONDONTWRITEBYTECODE set)"
                                             if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""),
              dict(os.environ))]
    if bytecode_cache:  # every module's .pyc written there the first time it is imported, then read
        warm = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        warm["PYTHONPYCACHEPREFIX"] = str(cache)
        for cmd in ([sys.executable, "-c", "import relance.cli"], [RELANCE, "--help"]):
            subprocess.run(cmd, env=warm, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        found.append(("with a warm bytecode cache (as an installed wheel)", warm))
    return found


def rerun_book(size: int, folder: Path, env: dict[str, str]) -> Path:
    """A copy of the benchmark book of `size`, its first run and one rerun done (unmeasured: every
    module the run imports has been imported once): the next run is the measured rerun."""
    sys.path.insert(0, str(HERE))
    from run import build  # benchmarks/run.py: the demo book as of today, cached in benchmarks/out/

    book = folder / f"book-{size}.xlsx"
    shutil.copyfile(build(size), book)
    for _ in range(2):
        spawn([RELANCE, "run", str(book), "--json"], env, cwd=folder)
    return book


def import_times(env: dict[str, str], top: int = 15) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, module) of `import relance.cli`, the largest cumulative first,
    for the modules imported at the first three levels."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import relance.cli"], env=env,
                          capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        depth = (len(name) - len(name.lstrip(" "))) // 2
        if depth <= 3:
            rows.append((int(own), int(cumulative), name.rstrip()))
    return sorted(rows, key=lambda r: -r[1])[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="benchmark books (invoices), comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per figure (median)")
    parser.add_argument("--no-bytecode-cache", action="store_true", help="skip the warm-bytecode-cache lines")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    lines = ["# Startup and the command line around the job", "",
             f"Medians of {args.repeat} fresh processes, wall / CPU seconds (CPU: user + system).", ""]
    with tempfile.TemporaryDirectory(prefix="relance-startup-") as tmp:
        work = Path(tmp)
        for label, env in environments(not args.no_bytecode_cache, work / "pycache"):
            lines += [f"## {label}", "", "| process | startup | other | whole process |", "|---|---:|---:|---:|"]

            def plain(cmd: list[str], env: dict[str, str] = env) -> tuple[float, float]:
                return median([(s.wall, s.cpu) for s in (spawn(cmd, env) for _ in range(args.repeat))])

            lines.append(f"| `python -c pass` (the floor) | | | {cell(plain([sys.executable, '-c', 'pass']))} |")
            lines.append(f"| `import relance.cli` | | | "
                         f"{cell(plain([sys.executable, '-c', 'import relance.cli']))} |")
            lines.append(f"| `relance --help` | | | {cell(plain([RELANCE, '--help']))} |")
            for size in sizes:
                folder = work / f"{size}-{len(lines)}"
                folder.mkdir()
                book = rerun_book(size, folder, env)
                runs = [spawn([RELANCE, "run", str(book), "--json"], env, folder / "phases.json", folder)
                        for _ in range(args.repeat)]
                lines.append(f"| rerun of {size:,} invoices | {cell(median([r.startup for r in runs]))} | "
                             f"{cell(median([r.other for r in runs]))} | "
                             f"{cell(median([(r.wall, r.cpu) for r in runs]))} |")
                shutil.rmtree(folder, ignore_errors=True)
            lines += ["", "Imports that cost most (`-X importtime`, one process, µs; wall, so noisy):", "",
                      "| module | self | cumulative |", "|---|---:|---:|"]
            lines += [f"| `{name.strip()}` | {own:,} | {cumulative:,} |" for own, cumulative, name in import_times(env)]
            lines.append("")
    text = "\n".join(lines)
    print(text)
    OUT.mkdir(exist_ok=True)
    (OUT / "startup.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
