"""Formal notices rendered on every core when a run has many: the same bytes as one by one.

A letter is pure (render/letter.py: a context in, PDF bytes out, no clock, no file), so a run
with many of them renders them in forked worker processes before composing, and composing
takes each PDF from here instead of rendering it. What composing sees is exactly what a serial
run gives:
- the bytes: the same function on the same context (reportlab's invariant mode);
- the Modeles problems (R520): each letter's own list, handed over in the order composing asks
  for the letters, as a serial run collects them;
- an error: a letter that raised is not taken from here; composing renders it again itself, and
  the error is raised there, as in a serial run;
- a pool that cannot or should not start (not Linux, one core, another thread in the process) or
  that breaks or hangs (a worker killed, a result that cannot cross the process boundary, the
  hang guard): nothing is taken from here, every letter is rendered serially.

Workers are forked, so they inherit the renderer and the contexts as they are in memory: nothing
is pickled on the way in (the contexts are plain data, but the renderer holds compiled
templates); only the PDFs and the problems come back.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relance.engine.formats import Formats, formats
from relance.render.messages import Renderer, TemplateProblem

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

__all__ = ["MIN_POOLED", "LetterJob", "Prerendered", "cgroup_cpus", "cores", "forkable", "render_letters"]

#: Below this many letters a run renders them one by one (starting workers costs more).
MIN_POOLED = 32
#: A pool that has not given every letter back after this long (seconds, plus so much per letter:
#: a letter takes milliseconds) is taken as hung: its workers are ended and composing renders the
#: letters itself. A hang guard, never a timing.
HANG_GUARD, HANG_GUARD_PER_LETTER = 120.0, 1.0
#: Chunks per worker: small enough to even out long and short letters, large enough that a
#: chunk's round trip costs little beside its rendering.
CHUNKS_PER_WORKER = 4


@dataclass(frozen=True)
class LetterJob:
    """One formal notice to render: what render/letter.formal_notice_pdf takes (plain data)."""

    key: str  # the action's key: how composing asks for it
    context: dict[str, Any]
    sender_address: tuple[str, ...]
    lang: str


@dataclass
class Prerendered:
    """The PDFs rendered ahead, by action key, each with the Modeles problems it met; and the
    run's formatters, for the letters rendered when composing."""

    pdfs: dict[str, tuple[bytes, list[TemplateProblem]]] = field(default_factory=dict)
    formatters: dict[str, Formats] = field(default_factory=dict)

    def formats(self, lang: str) -> Formats:
        """The formatter of letters in ``lang``, one per run (it learns each currency once)."""
        found = self.formatters.get(lang)
        if found is None:
            from relance.render.letter import LOCALES  # reportlab: loaded when a letter is drawn

            found = self.formatters[lang] = formats(LOCALES.get(lang, lang))
        return found

    def take(self, key: str, problems: list[TemplateProblem]) -> bytes | None:
        """The PDF of action ``key`` (its problems added to ``problems``, as rendering it would),
        or None when it was not rendered ahead: the caller renders it."""
        found = self.pdfs.pop(key, None)
        if found is None:
            return None
        pdf, own = found
        problems.extend(own)
        return pdf


def cores() -> int:
    """The cores this process may use: those it may run on, bounded by its control group's CPU
    quota (a container or a Cloud Function may see the host's cores but have one of them)."""
    try:
        found = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        found = os.cpu_count() or 1
    quota = cgroup_cpus()
    return max(1, min(found, quota)) if quota is not None else found


def cgroup_cpus(path: Path = Path("/sys/fs/cgroup/cpu.max")) -> int | None:
    """Whole CPUs of the cgroup v2 quota (``cpu.max``: "quota period", or "max" for none)."""
    try:
        quota, period = path.read_text().split()[:2]
        return None if quota == "max" else int(quota) // int(period)
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------- in the workers

#: What the forked workers render: set just before the pool starts, cleared after.
_WORK: tuple[Renderer, Sequence[LetterJob]] | None = None

_Reduced = tuple[type[TemplateProblem], tuple[Any, ...], dict[str, Any]]


def _reduce(problem: TemplateProblem) -> _Reduced:
    # TemplateProblem's constructor does not take back its own ``args``, so the default pickling
    # of exceptions cannot rebuild it: it travels as (class, args, attributes) instead.
    return type(problem), problem.args, dict(problem.__dict__)


def _rebuild(reduced: _Reduced) -> TemplateProblem:
    cls, args, state = reduced
    problem = cls.__new__(cls)
    problem.args = args
    problem.__dict__.update(state)
    return problem


def _quiet() -> None:
    """A worker writes nothing: its standard streams are fresh ones (a lock that another thread
    of the parent held at fork time, on stderr say, can never block it)."""
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (lives as long as the worker)
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115


def _bound_to_parent(parent: int) -> None:
    """A worker ends when the run that forked it does: a run killed mid-way (SIGKILL, the OOM
    killer) leaves no worker behind waiting for ever for work (on Linux: PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # no prctl here: the parent's death is only noticed below
        pass
    if os.getppid() != parent:  # the parent died before the line above: end now
        os._exit(1)


def _start_worker(parent: int) -> None:
    """A worker ends with its parent and writes nothing (see `_bound_to_parent`, `_quiet`)."""
    _bound_to_parent(parent)
    _quiet()


def _render_range(start: int, stop: int) -> list[tuple[bytes, list[_Reduced]] | None]:
    """Letters ``start`` to ``stop`` of the work; None for a letter that raised (composing renders
    it again and meets the error itself)."""
    from relance.render.letter import formal_notice_pdf  # loaded by the parent before the fork

    assert _WORK is not None
    renderer, jobs = _WORK
    out: list[tuple[bytes, list[_Reduced]] | None] = []
    run = Prerendered()
    for job in jobs[start:stop]:
        problems: list[TemplateProblem] = []
        try:
            pdf = formal_notice_pdf(job.context, job.sender_address, job.lang, renderer=renderer, problems=problems,
                                    fmt=run.formats(job.lang))
        except Exception:  # noqa: BLE001 (raised again, exactly, by the serial rendering)
            out.append(None)
            continue
        out.append((pdf, [_reduce(p) for p in problems]))
    return out


# --------------------------------------------------------------------------- in the parent


def _chunks(total: int, workers: int) -> list[tuple[int, int]]:
    count = max(1, min(total, workers * CHUNKS_PER_WORKER))
    bounds = [total * i // count for i in range(count + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(count) if bounds[i] < bounds[i + 1]]


def forkable() -> bool:
    """Whether forking is safe: this thread is the process's only one. A lock another thread holds
    at fork time (babel's locale cache, a stream) stays held for ever in the child; a process
    with other threads (a server's, a live progress bar's) renders its letters one by one."""
    return threading.active_count() == 1


def render_letters(jobs: Sequence[LetterJob], renderer: Renderer, *, workers: int | None = None,
                   minimum: int | None = None,
                   pool: Callable[[int], ProcessPoolExecutor] | None = None) -> Prerendered | None:
    """The letters of ``jobs`` rendered in ``workers`` forked processes (default: one per core),
    in their order; None (render them one by one) when there are fewer than ``minimum`` (default
    MIN_POOLED), a single core, other threads, or when the pool cannot start, breaks or hangs
    (HANG_GUARD). ``pool`` makes the executor (tests)."""
    global _WORK
    workers = cores() if workers is None else workers
    if len(jobs) < (MIN_POOLED if minimum is None else minimum) or workers < 2 or _WORK is not None:
        return None
    if pool is None:
        # fork on Linux only: macOS's system libraries may crash a forked child, Windows has none
        if not sys.platform.startswith("linux") or not forkable():
            return None

        def pool(n: int) -> ProcessPoolExecutor:
            import multiprocessing  # with the process pool: loaded when one starts
            from concurrent.futures import ProcessPoolExecutor

            return ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker,
                                       initargs=(os.getpid(),))

    import relance.render.letter  # noqa: F401 (reportlab loaded once, before the fork: the workers inherit it)

    _WORK = (renderer, jobs)
    executor: ProcessPoolExecutor | None = None
    try:
        executor = pool(workers)
        parts = [executor.submit(_render_range, start, stop) for start, stop in _chunks(len(jobs), workers)]
        _, late = wait(parts, timeout=HANG_GUARD + HANG_GUARD_PER_LETTER * len(jobs))
        if late:
            _stop(executor)
            return None
        results = [item for part in parts for item in part.result()]
        executor.shutdown()
        ready = Prerendered()
        for job, result in zip(jobs, results, strict=True):
            if result is not None:
                pdf, problems = result
                ready.pdfs[job.key] = (pdf, [_rebuild(p) for p in problems])
    except Exception:  # noqa: BLE001 (any failure of the pool: the serial rendering is the answer)
        if executor is not None:
            _stop(executor)
        return None
    finally:
        _WORK = None
    return ready


def _stop(executor: ProcessPoolExecutor) -> None:
    """End the workers now (a hung or broken pool): nothing they would still give is used."""
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        process.kill()
    executor.shutdown(wait=False, cancel_futures=True)
