"""An approval day files its hand-off packages a group at a time (app/executor.py `_file_ahead`,
through the outbox's `attach_many`: one sync of the disk and one folder fsync a group instead of two
fsyncs a package) and records what one by one records: the same ZIPs, History and Taches. A full disk
in the middle of the packages stops the run as before, and no package is left in the outbox without
its row (those filed ahead whose turn never came are taken back), none recorded without its file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from relance.app import executor
from relance.channels import outbox as outbox_module
from relance.channels.outbox import OutboxChannel
from relance.channels.port import TransportDown
from relance.engine.errors import ChannelError
from test_handoff_pool import HANDOFFS, approval_day


def groups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each `attach_many` call the run makes, from now on."""
    sizes: list[int] = []
    real = OutboxChannel.attach_many

    def spy(self: OutboxChannel, documents: Any) -> Any:
        sizes.append(len(documents))
        return real(self, documents)

    monkeypatch.setattr(OutboxChannel, "attach_many", spy)
    return sizes


@pytest.mark.parametrize("pooled", [False, True])
def test_packages_filed_together_are_the_ones_filed_one_by_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              pooled: bool) -> None:
    with monkeypatch.context() as patch:
        patch.delattr(OutboxChannel, "attach_many")  # a channel without it: each package attached at its turn
        alone, rows, _ = approval_day(tmp_path / "alone", monkeypatch, pooled=pooled)
    sizes = groups(monkeypatch)
    together, together_rows, _ = approval_day(tmp_path / "together", monkeypatch, pooled=pooled)
    assert sizes == [HANDOFFS]  # fewer than FILED_TOGETHER: one group
    assert together.keys() == alone.keys() and sum(name.endswith(".zip") for name in together) == HANDOFFS
    assert together == alone and together_rows == rows


def test_groups_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executor, "FILED_TOGETHER", 10)
    sizes = groups(monkeypatch)
    approval_day(tmp_path, monkeypatch, pooled=True)
    assert sizes == [10, 10, 10, 6]


def test_a_full_disk_among_the_packages_leaves_none_without_its_row(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[str] = []
    real = OutboxChannel._write_tmp

    def filling(self: OutboxChannel, name: str, data: bytes) -> tuple[str, int]:
        if name.endswith(".zip"):
            written.append(name)
            if len(written) == 13:  # the 13th package of the day finds the disk full
                raise TransportDown(outbox_module.console.OUTBOX_FULL(cause="No space left on device",
                                                                      folder=self.folder),
                                    outbox_module.console.OUTBOX_FULL_FIX())
        return real(self, name, data)

    monkeypatch.setattr(OutboxChannel, "_write_tmp", filling)
    with pytest.raises(ChannelError, match="12 tasks created"):  # the run stopped, History saved
        approval_day(tmp_path, monkeypatch, pooled=True)
    zips = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".zip"))
    assert len(zips) == 12 and zips == sorted(written[:12])
    assert not list(tmp_path.glob("*.tmp"))


def test_packages_filed_ahead_of_a_stop_are_taken_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A message's full disk stops the run between two packages of one group: the packages filed
    ahead whose turn never came are removed, the rest stays, each with its Taches row."""
    taken: list[list[str]] = []
    real_detach = OutboxChannel.detach

    def detach(self: OutboxChannel, names: Any) -> None:
        taken.append(sorted(names))
        real_detach(self, names)

    real_handoff = executor._handoff_package
    turns: list[str] = []

    def handoff(action: Any, *args: Any, **kwargs: Any) -> str:
        turns.append(action.key)
        if len(turns) == 20:
            raise TransportDown(outbox_module.console.OUTBOX_FULL(cause="No space left on device", folder=tmp_path),
                                outbox_module.console.OUTBOX_FULL_FIX())
        return real_handoff(action, *args, **kwargs)

    monkeypatch.setattr(OutboxChannel, "detach", detach)
    monkeypatch.setattr(executor, "_handoff_package", handoff)
    with pytest.raises(ChannelError, match="19 tasks created"):
        approval_day(tmp_path, monkeypatch, pooled=True)
    zips = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".zip"))
    assert len(zips) == 19 and all(any(key in name for name in zips) for key in turns[:19])
    assert len(taken) == 1 and len(taken[0]) == HANDOFFS - 19 and not set(taken[0]) & set(zips)
