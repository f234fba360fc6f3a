"""An approval day's hand-off packages made ahead on every core (app/executor.py `_packages_ahead`,
through app/compose_pool.run_forked) file what a serial run files, byte for byte: the ZIPs, the
messages, History and Taches; a package a worker does not give back is made by the run itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import on
from relance.app import compose_pool, executor, letter_pool
from relance.app.jobs import run
from relance.channels.outbox import OutboxChannel
from relance.workbook.memory import MemoryBackend
from test_approval_day import APPROVAL_DAY, NOTICE_DAY, adopted, tick_every_approval

HANDOFFS = 36  # more than compose_pool.MIN_POOLED: the packages are made ahead


def approval_day(folder: Path, monkeypatch: pytest.MonkeyPatch, *, pooled: bool,
                 spoil: Callable[[list[Any]], list[Any]] | None = None) -> tuple[dict[str, bytes], list[Any], int]:
    """The formal notices, the hand-offs waiting, every one ticked, then the approval day into
    `folder`: every file filed that day, the rows of History and Taches, and how many packages
    the pool gave back (-1: it did not start)."""
    wb: MemoryBackend = adopted(HANDOFFS)

    def channel(_: object) -> OutboxChannel:
        return OutboxChannel(folder, "t")

    assert run(wb, channel, on(NOTICE_DAY), anytime=True).to_json()["sent"] == HANDOFFS
    assert run(wb, channel, on(APPROVAL_DAY), anytime=True).to_json()["awaiting_approval"] == HANDOFFS
    before = {f.name for f in folder.iterdir()}
    assert tick_every_approval(wb) == HANDOFFS
    given: list[int] = []
    forked = compose_pool.run_forked

    def spy(total: int, part: Any, **kw: Any) -> Any:
        found = forked(total, part, **kw)
        if found is not None and spoil is not None and part.__qualname__.startswith("_packages_ahead"):
            found = spoil(found)
        if part.__qualname__.startswith("_packages_ahead"):
            given.append(-1 if found is None else sum(1 for item in found if item is not None))
        return found

    with monkeypatch.context() as patched:
        patched.setattr(compose_pool, "MIN_POOLED", 32 if pooled else 10**9)
        patched.setattr(letter_pool, "forkable", lambda: True)  # whatever threads earlier tests left
        patched.setattr(compose_pool, "run_forked", spy)
        done = run(wb, channel, on(APPROVAL_DAY), anytime=True).to_json()
    assert done["tasks_created"] == HANDOFFS and done["failed"] == 0
    files = {f.name: f.read_bytes() for f in sorted(folder.iterdir()) if f.is_file() and f.name not in before}
    def same(cells: list[Any]) -> list[Any]:  # the folder's own path aside (History's `via`)
        return [cell.replace(str(folder), "FOLDER") if isinstance(cell, str) else cell for cell in cells]

    history = [same(row[:1] + row[2:]) for row in wb.tabs["Historique"][1:]]  # the run id aside
    tasks = [same(row[1:]) for row in wb.tabs["Taches"][1:]]
    return files, [history, tasks], given[0] if given else -1


def test_pooled_packages_are_the_serial_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serial, rows, unpooled = approval_day(tmp_path / "serial", monkeypatch, pooled=False)
    pooled, pooled_rows, given = approval_day(tmp_path / "pooled", monkeypatch, pooled=True)
    assert unpooled == -1 and given == HANDOFFS - 1  # the first is made in the run, before forking
    assert sum(name.endswith(".zip") for name in serial) == HANDOFFS
    assert pooled.keys() == serial.keys()
    zips = [name for name in serial if name.endswith(".zip")]
    assert [pooled[name] for name in zips] == [serial[name] for name in zips]
    assert pooled_rows == rows


def test_a_package_the_pool_does_not_give_back_is_made_by_the_run(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    serial, rows, _ = approval_day(tmp_path / "serial", monkeypatch, pooled=False)

    def lose_some(found: list[Any]) -> list[Any]:
        return [None if i % 3 == 0 else item for i, item in enumerate(found)]  # a worker killed, say

    pooled, pooled_rows, given = approval_day(tmp_path / "pooled", monkeypatch, pooled=True, spoil=lose_some)
    assert 0 < given < HANDOFFS - 1
    zips = [name for name in serial if name.endswith(".zip")]
    assert [pooled[name] for name in zips] == [serial[name] for name in zips] and pooled_rows == rows


def test_a_package_that_raises_in_a_worker_raises_in_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a serial run: the error is met when the run makes that package (here: every package)."""
    def fails(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("no package")

    monkeypatch.setattr(executor, "_package_bytes", fails)
    with pytest.raises(RuntimeError, match="no package"):
        approval_day(tmp_path / "pooled", monkeypatch, pooled=True)


def test_few_handoffs_are_made_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[int] = []
    monkeypatch.setattr(compose_pool, "run_forked", lambda total, part, **kw: called.append(total))
    packages = executor.Packages(executor.Proofs(None, None))  # type: ignore[arg-type]
    executor._packages_ahead([], None, {}, dt.date(2025, 4, 22), None, packages)  # type: ignore[arg-type]
    assert called == [] and packages.ahead == {}

