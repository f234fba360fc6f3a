"""Two checkouts of relance on a History of 200,000 rows: the same sending day, the same rerun.

    .venv/bin/python benchmarks/history_compare.py --old /path/to/other/checkout/src [--rows 200000]

The 100,000-invoice demo book (benchmarks/run.py), --rows older History rows added
(benchmarks/history_scale.FILL, written without an index: neither checkout's index), then, with
each checkout's code in a fresh process: the first run of the day (it sends, and writes History
and its index), the same-day rerun (History through that checkout's own index), and a rerun of
the other checkout's book (an index of another version: read in full, rewritten). It compares
what each step says (the JSON report), every cell of every tab but the index (History and its
archives included) and every outbox file, run ids, times and the folders' paths masked.
Prints SAME, or each difference; exit 1 on a difference.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from history_scale import FILL  # noqa: E402
from run import AS_OF, OUT, build  # noqa: E402

HERE = Path(__file__).resolve().parent
NEW = HERE.parent / "src"
INDEX = "relance_index"
RUN = ("import sys; from relance.cli import main; sys.exit(main())")
DUMP = r"""
import json, sys
from python_calamine import CalamineWorkbook
wb = CalamineWorkbook.from_path(sys.argv[1])
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for name in wb.sheet_names:
        if name == "relance_index":
            continue
        for i, row in enumerate(wb.get_sheet_by_name(name).to_python(skip_empty_area=False)):
            out.write(json.dumps([name, i, [repr(v) for v in row]], ensure_ascii=False) + "\n")
"""
MASKS = [
    (re.compile(r"\d{8}T\d{6}\.\d+Z"), "RUNID"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?"), "TS"),
    (re.compile(r"datetime\.datetime\([^)]*\)"), "DT"),
    (re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d+ \w+ \d{4} \d\d:\d\d:\d\d [+-]\d{4}"), "MAILDATE"),
    (re.compile(r"[0-9a-f]{32,}"), "HEX"),
]


def _env(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src)}


def relance(src: Path, book: Path, outbox: Path, report: Path) -> None:
    """`relance run BOOK` for today with `src`'s code (exit 4, anomalies, is expected)."""
    with report.open("wb") as f:
        subprocess.run([sys.executable, "-c", RUN, "run", str(book), "--as-of", AS_OF.isoformat(), "--json",
                        "--anytime", "--outbox", str(outbox)], env=_env(src), stdout=f, stderr=subprocess.DEVNULL,
                       check=False)
    subprocess.run([sys.executable, "-c", DUMP, str(book), str(report.with_suffix(".cells"))], check=True)


def start_book(rows: int) -> Path:
    """The demo book with `rows` older History rows (cached in benchmarks/out/)."""
    book = OUT / f"hist-compare-{rows}-{AS_OF}.xlsx"
    if not book.exists():
        work = book.with_suffix(".partial.xlsx")
        shutil.copy(build(100_000), work)
        subprocess.run([sys.executable, "-c", FILL, str(work), str(rows)], env=_env(NEW), check=True,
                       capture_output=True)
        work.rename(book)
    return book


def steps(src: Path, start: Path, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    book = folder / "b.xlsx"
    shutil.copy(start, book)
    relance(src, book, folder / "outbox", folder / "1-sending-day.json")
    relance(src, book, folder / "outbox", folder / "2-rerun.json")


def crossed(src: Path, other: Path, folder: Path) -> None:
    """A rerun of the other checkout's book (its index, of another version) with `src`'s code."""
    book = folder / "x.xlsx"
    shutil.copy(other / "b.xlsx", book)
    box = folder / "x-outbox"
    shutil.rmtree(box, ignore_errors=True)
    shutil.copytree(other / "outbox", box)
    relance(src, book, box, folder / "3-other-book-rerun.json")
    shutil.rmtree(box)


def _norm(text: str, root: Path) -> str:
    # the other checkout's folder too: the crossed rerun's book names its outbox in History
    for folder in (root, OUT / "hist-compare-old", OUT / "hist-compare-new"):
        text = text.replace(str(folder), "ROOT")
    for rx, said in MASKS:
        text = rx.sub(said, text)
    return text


def compare(old: Path, new: Path) -> int:
    def files(root: Path) -> dict[str, Path]:
        return {p.relative_to(root).as_posix(): p for p in root.rglob("*")
                if p.is_file() and p.suffix != ".xlsx" and ".relance-backups" not in p.parts}

    a, b = files(old), files(new)
    bad = 0
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b:
            print("ONLY IN", "old" if name in a else "new", name)
            bad += 1
            continue
        x, y = a[name].read_bytes(), b[name].read_bytes()
        if x == y:
            continue
        try:
            tx, ty = _norm(x.decode(), old), _norm(y.decode(), new)
        except UnicodeDecodeError:
            print("DIFF (binary)", name)
            bad += 1
            continue
        if tx != ty:
            lines = [(i, p, q) for i, (p, q) in enumerate(zip(tx.splitlines(), ty.splitlines(), strict=False)) if p != q]
            print("DIFF", name, len(lines), "lines;", lines[:2] or "lengths differ")
            bad += 1
    n = sum(1 for k in a if "outbox" in k)
    print("SAME" if not bad else f"{bad} differences", f"({len(a)} files, {n} outbox files)")
    return bad


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", required=True, type=Path, help="the other checkout's src folder")
    parser.add_argument("--new", default=NEW, type=Path, help="this checkout's src folder (default)")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--keep", action="store_true", help="keep the folders in benchmarks/out/")
    args = parser.parse_args()
    start = start_book(args.rows)
    old, new = OUT / "hist-compare-old", OUT / "hist-compare-new"
    steps(args.old, start, old)
    steps(args.new, start, new)
    crossed(args.old, new, old)
    crossed(args.new, old, new)
    for folder in (old, new):
        for report in sorted(folder.glob("*.json")):
            found = json.loads(report.read_text() or "{}")
            print(folder.name, report.stem, {k: found.get(k) for k in ("planned", "sent", "tasks_created", "failed")})
    bad = compare(old, new)
    if not args.keep:
        shutil.rmtree(old)
        shutil.rmtree(new)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
