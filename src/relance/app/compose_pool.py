"""A run's many messages composed on every core: forked workers, the same messages as one by one.

Composing a message is pure (a context in, text and PDF bytes out: no clock but the render time
limit, no file), so a run with many actions composes them in forked worker processes and the
executor (app/executor.py `compose`) takes each result in the plan's order, exactly where a
serial run would compute it. What crosses the process boundary is kept small:
- on the way in, two indices: a worker is forked, so it inherits the plan, the book, the
  positions, the History index and the renderer as they are in memory (nothing is pickled);
- on the way back, per action, the message's own strings and bytes (never its Action, which the
  parent already holds), its Modeles problems and the template problem it met, if any.

Whatever goes wrong, nothing is lost and nothing is composed twice into a run's output: an item
that does not come back (a worker killed, a result that cannot cross the boundary, the hang
guard) is None, and the parent composes that action itself, as a serial run does; a pool that
cannot or should not start (not Linux, one core, another thread in the process: app/letter_pool
`forkable`; too little memory left for what the workers copy: `roomy`) composes nothing. A worker writes nothing anywhere (its standard streams go to
/dev/null): a worker that dies leaves no half-written file, only a missing result.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from concurrent.futures import Future, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from relance.app import letter_pool

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

__all__ = ["CHUNK", "MEMORY_SHARE", "MIN_POOLED", "memory_room", "resident", "roomy", "run_forked"]

T = TypeVar("T")

#: Below this many actions a run composes them one by one (forking costs more than it saves).
MIN_POOLED = 32
#: At most this many actions in one round trip to a worker: small enough to even out letters
#: (milliseconds) and e-mails (about a millisecond) between the workers and to bound what one
#: result pickles, large enough that a chunk's round trip costs little beside its composing.
CHUNK = 128


#: The work of the pool being run, ``part(start, stop)``: set just before the pool forks, so that
#: the workers inherit it and all it closes over; None between runs.
_WORK: Callable[[int, int], list[Any]] | None = None


#: The workers copy the pages of the parent's memory they touch (reference counts): measured at
#: the 100k book, about a third of the parent's resident memory between them. A pool starts only
#: when the memory free for this process holds half of it (else composing goes one by one).
MEMORY_SHARE = 0.5


def _kib(text: str, field: str) -> int | None:
    """The value of ``field`` (in KiB) in a /proc/meminfo-like text."""
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == field:
            return int(value.split()[0])
    return None


def memory_room(meminfo: Path = Path("/proc/meminfo"), cgroup: Path = Path("/sys/fs/cgroup")) -> int | None:
    """Bytes this process may still take: the system's available memory, bounded by its control
    group's limit (cgroup v2 ``memory.max`` less ``memory.current``); None where nobody says."""
    room: int | None = None
    try:
        available = _kib(meminfo.read_text(), "MemAvailable")
        room = None if available is None else available * 1024
    except (OSError, ValueError):
        pass
    try:
        limit = (cgroup / "memory.max").read_text().strip()
        if limit != "max":
            left = int(limit) - int((cgroup / "memory.current").read_text().strip())
            room = left if room is None else min(room, left)
    except (OSError, ValueError):
        pass
    return room


def resident(status: Path = Path("/proc/self/status")) -> int | None:
    """This process's resident memory in bytes (None where the system does not say)."""
    try:
        found = _kib(status.read_text(), "VmRSS")
    except (OSError, ValueError):
        return None
    return None if found is None else found * 1024


def roomy() -> bool:
    """Whether the memory left holds what the workers will copy (MEMORY_SHARE of this process)."""
    room, used = memory_room(), resident()
    return room is None or used is None or room >= MEMORY_SHARE * used


def _start_worker(parent: int) -> None:
    """A worker ends with its parent and writes nothing (letter_pool._start_worker), and its
    collector leaves the inherited objects alone: a collection would touch every object's
    header, so copy every page of the parent's memory."""
    letter_pool._start_worker(parent)
    gc.freeze()


def _run_range(start: int, stop: int) -> list[object]:
    assert _WORK is not None
    return _WORK(start, stop)


def _chunks(total: int, workers: int, chunk: int) -> list[tuple[int, int]]:
    count = max(1, workers * letter_pool.CHUNKS_PER_WORKER, -(-total // chunk))
    count = min(count, total)
    bounds = [total * i // count for i in range(count + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(count) if bounds[i] < bounds[i + 1]]


def run_forked(total: int, part: Callable[[int, int], list[T]], *, workers: int | None = None,
               minimum: int | None = None, chunk: int = CHUNK,
               pool: Callable[[int], ProcessPoolExecutor] | None = None) -> list[T | None] | None:
    """The items 0..``total`` computed by ``part`` in ``workers`` forked processes (default: one
    per core), in order; an item whose range did not come back (a worker died, the hang guard
    ended the pool, its result could not be pickled) is None, for the caller to compute itself.
    None (compute everything in this process) when there are fewer than ``minimum`` (default
    MIN_POOLED) items, a single core, other threads, too little memory left (`roomy`), or the
    pool cannot start. ``pool`` makes
    the executor (tests)."""
    global _WORK
    workers = letter_pool.cores() if workers is None else workers
    if total < (MIN_POOLED if minimum is None else minimum) or workers < 2 or _WORK is not None:
        return None
    if pool is None:
        # fork on Linux only: macOS's system libraries may crash a forked child, Windows has none
        # (spawning would re-import everything and pickle the book: it costs more than it saves)
        if not sys.platform.startswith("linux") or not letter_pool.forkable() or not roomy():
            return None

        def pool(n: int) -> ProcessPoolExecutor:
            import multiprocessing  # with the process pool: loaded when one starts
            from concurrent.futures import ProcessPoolExecutor

            return ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork"),
                                       initializer=_start_worker, initargs=(os.getpid(),))

    _WORK = part
    executor: ProcessPoolExecutor | None = None
    try:
        try:
            executor = pool(workers)
            ranges = _chunks(total, workers, chunk)
            parts: list[Future[list[object]]] = [executor.submit(_run_range, start, stop) for start, stop in ranges]
        except Exception:  # noqa: BLE001 (no pool: everything is computed in this process)
            if executor is not None:
                letter_pool._stop(executor)
            return None
        _, late = wait(parts, timeout=letter_pool.HANG_GUARD + letter_pool.HANG_GUARD_PER_LETTER * total)
        out: list[T | None] = []
        broken = bool(late)
        for (start, stop), future in zip(ranges, parts, strict=True):
            got: list[object] | None = None
            if future.done() and not future.cancelled() and future.exception() is None:
                got = future.result()
                if len(got) != stop - start:  # never taken in part: the whole range is redone
                    got = None
            broken = broken or got is None
            out.extend(got if got is not None else [None] * (stop - start))  # type: ignore[arg-type]
        if broken:
            letter_pool._stop(executor)
        else:
            executor.shutdown()
        return out
    finally:
        _WORK = None
