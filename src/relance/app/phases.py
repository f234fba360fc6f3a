"""Where a run's time goes: wall and CPU seconds per phase, written for the benchmarks.

Off unless the CLI is started with RELANCE_PHASES naming a file (benchmarks/run.py does):
then `relance` writes there one JSON object, phase -> {"wall": s, "cpu": s}, when it ends.
Switched off, every hook below is a lookup that does nothing; nothing a run computes, sends or
writes depends on it (the engine never sees a clock: the hooks live in the app layer only).

Two hooks, so that the jobs need one added line per phase:
- `begin("figures")`: from here on, the time counts to "figures", until the next `begin`;
- `phase("save")` (a `with` block or a decorator): a nested scope; the time inside counts to
  "save" except what the `begin`s and phases inside it claim, then the outer phase goes on.
Every second is counted once (a phase's figure leaves out the phases nested in it), so the
figures add up to the recorded total; the time no hook claims is "other". CPU seconds are the
process's user + system time (every thread) plus that of the child processes it waited for.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

try:
    import resource
except ImportError:  # Windows (the Excel face): os.times() instead, children included there too
    resource = None  # type: ignore[assignment]

ENVIRONMENT = "RELANCE_PHASES"
OTHER = "other"
TOTAL = "total"


def cpu_seconds() -> float:
    """User + system seconds of this process and of the children it has waited for."""
    if resource is None:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def peak_mib() -> float | None:
    """The process's peak resident memory so far (None where the system does not say)."""
    if resource is None:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes there, KiB on Linux


@dataclass
class Timing:
    wall: float = 0.0
    cpu: float = 0.0


@dataclass
class _Scope:
    """One nesting level: the phase its time goes to now, since when."""

    name: str
    wall: float
    cpu: float


@dataclass
class Recorder:
    """The phases of one process (the thread that started recording; other threads are not timed)."""

    timings: dict[str, Timing] = field(default_factory=dict)
    thread: int = field(default_factory=threading.get_ident)
    started_wall: float = field(default_factory=time.perf_counter)
    started_cpu: float = field(default_factory=cpu_seconds)
    scopes: list[_Scope] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.scopes.append(_Scope(OTHER, self.started_wall, self.started_cpu))

    def _close(self, wall: float, cpu: float) -> None:
        """The current scope's time since its last switch goes to its phase."""
        scope = self.scopes[-1]
        timing = self.timings.setdefault(scope.name, Timing())
        timing.wall += wall - scope.wall
        timing.cpu += cpu - scope.cpu

    def switch(self, name: str) -> None:
        wall, cpu = time.perf_counter(), cpu_seconds()
        self._close(wall, cpu)
        self.scopes[-1] = _Scope(name, wall, cpu)

    def enter(self, name: str) -> None:
        wall, cpu = time.perf_counter(), cpu_seconds()
        self._close(wall, cpu)
        self.scopes.append(_Scope(name, wall, cpu))

    def leave(self) -> None:
        wall, cpu = time.perf_counter(), cpu_seconds()
        self._close(wall, cpu)
        self.scopes.pop()
        outer = self.scopes[-1]
        self.scopes[-1] = _Scope(outer.name, wall, cpu)

    def result(self) -> dict[str, dict[str, float | None]]:
        """phase -> {"wall", "cpu"} (seconds), then "total": the whole recording and its peak memory."""
        wall, cpu = time.perf_counter(), cpu_seconds()
        self._close(wall, cpu)
        self.scopes[-1] = _Scope(self.scopes[-1].name, wall, cpu)
        out: dict[str, dict[str, float | None]] = {
            name: {"wall": round(t.wall, 6), "cpu": round(t.cpu, 6)} for name, t in self.timings.items()}
        out[TOTAL] = {"wall": round(wall - self.started_wall, 6), "cpu": round(cpu - self.started_cpu, 6),
                      "cpu_before": round(self.started_cpu, 6), "peak_mib": peak_mib()}
        return out


_recorder: ContextVar[Recorder | None] = ContextVar("relance_phases", default=None)


def _active() -> Recorder | None:
    recorder = _recorder.get()
    if recorder is None or recorder.thread != threading.get_ident():
        return None
    return recorder


def begin(name: str) -> None:
    """From here on, the time of the current scope counts to `name` (nothing when not recording)."""
    recorder = _active()
    if recorder is not None:
        recorder.switch(name)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """A nested scope timed as `name` (a `with` block or a decorator; nothing when not recording)."""
    recorder = _active()
    if recorder is None:
        yield
        return
    recorder.enter(name)
    try:
        yield
    finally:
        recorder.leave()


@contextmanager
def recording(path: Path | None) -> Iterator[Recorder | None]:
    """Record the phases of what runs inside, and write them to `path` as JSON at the end
    (even when it ends with an error or an exit). None: nothing is recorded."""
    if path is None:
        yield None
        return
    recorder = Recorder()
    token = _recorder.set(recorder)
    try:
        yield recorder
    finally:
        _recorder.reset(token)
        try:
            path.write_text(json.dumps(recorder.result(), indent=1), encoding="utf-8")
        except OSError as exc:  # a developer's variable: said on stderr, the run's outcome stands
            print(f"{ENVIRONMENT}: {path}: {exc.strerror or exc}", file=sys.stderr)


def recording_from_environment() -> AbstractContextManager[Recorder | None]:
    """`recording` into the file RELANCE_PHASES names, or nothing when it is unset or empty."""
    value = os.environ.get(ENVIRONMENT, "").strip()
    return recording(Path(value) if value else None)
