"""E-mails rendered and filed: the outbox's MIME builder and writer against the former ones and a floor.

    .venv/bin/python benchmarks/mail.py            # or: ... --invoices 100000 --repeat 3

A demo workbook (cached in benchmarks/out/) is read and planned once per process (not timed);
then, each phase in a fresh process (median of --repeat), CPU seconds (user + sys, getrusage)
and wall seconds:
- render: the run's e-mails rendered (subject, HTML, text; the formal notice's PDF too) by a fresh
  Renderer, templates compiled on first use; `render again` is a second Renderer of the same
  process, the compiled templates reused;
- mime old / new: the same e-mails turned into bytes by the former builder (Python's email
  package, tests/mime_reference.py) and by channels/mime.py, in memory (their bytes are compared);
- file old: the former outbox write (each message: temporary file fsynced, renamed, folder
  fsynced, index line fsynced) with the former bytes; file fsync: the outbox as a run uses it
  (`port.deliveries`: `send_many`, 256 messages filed together) where the platform cannot sync a
  file system at once (an fsync per file, the folder and the index once per batch); file new: the
  same on Linux (one syncfs per batch before the renames, the folder and the index);
- floor: writing the same bytes as N small files (open, write, close; no rename, no fsync).
The machine may be shared: read CPU seconds and the ratios, not the wall times alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(HERE))

PHASES = ("render", "mime", "file-old", "file-fsync", "file-new", "floor")


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Clock:
    """CPU and wall seconds since it was made."""

    def __init__(self) -> None:
        self.cpu, self.wall = cpu(), time.perf_counter()

    def read(self) -> dict[str, float]:
        return {"cpu": cpu() - self.cpu, "wall": time.perf_counter() - self.wall}


def book_path(invoices: int) -> Path:
    from run import AS_OF, build  # the end-to-end benchmark's books (built once, cached)

    path = build(invoices)
    assert AS_OF
    return path


def composed(invoices: int):  # type: ignore[no-untyped-def]
    """The plan of the demo book of `invoices` invoices, and a snapshot to render it."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from run import AS_OF

    from relance.app.jobs import snapshot
    from relance.workbook.xlsx import XlsxBackend

    now = dt.datetime.combine(AS_OF, dt.time(9), ZoneInfo("Europe/Paris"))
    return snapshot(XlsxBackend(book_path(invoices)), now, AS_OF)


def render_all(snap):  # type: ignore[no-untyped-def]
    from relance.app.executor import compose

    found, _ = compose(snap.plan, snap.book, snap.positions, snap.renderer)
    return [m for a, m, _ in found if m is not None and a.channel == "email"]


def phase(name: str, invoices: int) -> dict[str, float]:
    """One phase, in this process: its figures."""
    import datetime as dt

    snap = composed(invoices)
    out: dict[str, float] = {}
    if name == "render":
        clock = Clock()
        messages = render_all(snap)
        out.update({f"render_{k}": v for k, v in clock.read().items()})
        from relance.app.templates import message_renderer

        again = dataclasses.replace(snap, renderer=message_renderer(snap.book))
        clock = Clock()
        render_all(again)
        out.update({f"again_{k}": v for k, v in clock.read().items()})
        out["messages"] = len(messages)
        return out
    messages = render_all(snap)
    sent_at = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    out["messages"] = len(messages)
    if name == "mime":
        from mime_reference import reference_bytes
        from relance.channels.mime import email_bytes

        clock = Clock()
        old = [reference_bytes(m, sent_at) for m in messages]
        out.update({f"old_{k}": v for k, v in clock.read().items()})
        clock = Clock()
        new = [email_bytes(m, sent_at) for m in messages]
        out.update({f"new_{k}": v for k, v in clock.read().items()})
        assert old == new, "the direct builder wrote other bytes"
        out["bytes"] = sum(map(len, new))
        return out
    folder = OUT / f"mail-{name}-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        if name in ("file-new", "file-fsync"):
            from relance.channels import outbox
            from relance.channels.outbox import OutboxChannel
            from relance.channels.port import deliveries

            if name == "file-fsync":
                outbox.sync_filesystem = lambda folder: False  # type: ignore[assignment]

            clock = Clock()
            box = OutboxChannel(folder, "t", sent_at)
            outcomes = list(deliveries(box, messages))  # as a run hands them over: in batches
            box.close()
            assert all(getattr(o, "status", None) == "sent" for o in outcomes)
        elif name == "file-old":
            clock = Clock()
            former_outbox(folder, messages, sent_at)
        else:
            from relance.channels.mime import email_bytes

            data = [email_bytes(m, sent_at) for m in messages]
            clock = Clock()
            for i, d in enumerate(data):
                fd = os.open(folder / f"{i}.eml", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.write(fd, d)
                os.close(fd)
        out.update(clock.read())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


def former_outbox(folder: Path, messages, sent_at) -> None:  # type: ignore[no-untyped-def]
    """What `OutboxChannel.send` did per e-mail until session 19 (the former bytes, three fsyncs,
    a folder opened per message, the index's size asked before each line)."""
    from mime_reference import reference_bytes
    from relance.channels.mime import message_id_for
    from relance.channels.outbox import file_stem
    from relance.disk import fsync_dir

    index = os.open(folder / "index.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    for m in messages:
        a = m.action
        data, message_id = reference_bytes(m, sent_at), message_id_for(m)
        name = file_stem(a.customer_id, a.step, a.key) + ".eml"
        tmp = folder / f"{name}.x-{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.replace(tmp, folder / name)
        fsync_dir(folder)
        line = json.dumps({"action_key": a.key, "channel": a.channel, "customer_id": a.customer_id,
                           "recipient": a.recipient, "invoice_ids": list(a.invoice_ids), "step": a.step,
                           "file": name, "message_id": message_id, "at": "t"}, ensure_ascii=False) + "\n"
        os.fstat(index)
        os.write(index, line.encode("utf-8"))
        os.fsync(index)
    os.close(index)


def fresh(name: str, invoices: int) -> dict[str, float]:
    """One phase in a fresh process."""
    done = subprocess.run([sys.executable, __file__, "--phase", name, "--invoices", str(invoices)],
                          capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per phase; the median is shown")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.invoices)))
        return
    book_path(args.invoices)
    got = {name: median([fresh(name, args.invoices) for _ in range(args.repeat)]) for name in PHASES}
    n = int(got["render"]["messages"])
    print(f"{n:,} e-mails of the {args.invoices:,}-invoice demo book; median of {args.repeat} fresh processes.\n")
    print("| phase | CPU (s) | wall (s) | CPU per e-mail | vs floor (CPU) |")
    print("|---|---:|---:|---:|---:|")
    floor = got["floor"]["cpu"]
    rows = [("render (first Renderer: templates compiled)", got["render"]["render_cpu"], got["render"]["render_wall"]),
            ("render again (a second Renderer, same process)", got["render"]["again_cpu"],
             got["render"]["again_wall"]),
            ("MIME bytes, former builder (email package)", got["mime"]["old_cpu"], got["mime"]["old_wall"]),
            ("MIME bytes, channels/mime.py", got["mime"]["new_cpu"], got["mime"]["new_wall"]),
            ("filed, former outbox (former bytes, 3 fsyncs)", got["file-old"]["cpu"], got["file-old"]["wall"]),
            ("filed, outbox without syncfs (an fsync per file)", got["file-fsync"]["cpu"],
             got["file-fsync"]["wall"]),
            ("filed, outbox now (send_many, 256 at a time, one syncfs)", got["file-new"]["cpu"],
             got["file-new"]["wall"]),
            ("floor: the same bytes as N small files", floor, got["floor"]["wall"])]
    for label, c, w in rows:
        print(f"| {label} | {c:.2f} | {w:.2f} | {c / max(n, 1) * 1e6:.0f} µs | {c / floor:.1f}× |")


if __name__ == "__main__":
    main()
