"""The approval day costs what it sends: no lookup is a pass per action (issue: a quadratic day).

Every waiting hand-off ticked in A_valider, then one run: the outbox folders are listed and their
index read a fixed number of times, History is indexed once, whatever the number of hand-offs;
and each package still carries its own proofs, filed where this run writes or in another
outbox folder (--outbox changed between runs). Counted through wrappers, never timed.
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import CLASSIC, customer, invoice, on, workbook
from relance.app.jobs import baseline, run
from relance.channels import outbox as outbox_module
from relance.channels.outbox import OutboxChannel
from relance.engine.history import HistoryIndex
from relance.workbook.memory import MemoryBackend

NOTICE_DAY = dt.date(2025, 3, 31)  # 32 days past due: the formal notice
APPROVAL_DAY = dt.date(2025, 4, 22)  # 54 days past due, the notice's deadline over: the hand-off


class Counts:
    """Directory listings and index.jsonl reads under `root`, and History indexes built."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
        self.root = str(root)
        self.listings: Counter[str] = Counter()
        self.index_reads = 0
        self.history_indexes = 0
        scandir, listdir, opener = os.scandir, os.listdir, open
        build = HistoryIndex.build.__func__  # type: ignore[attr-defined]

        def counted_scandir(path: Any = ".") -> Any:
            self._listed(path)
            return scandir(path)

        def counted_listdir(path: Any = ".") -> list[str]:
            self._listed(path)
            return listdir(path)

        def counted_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if Path(str(file)).name == "index.jsonl" and "r" in mode:
                self.index_reads += 1
            return opener(file, mode, *args, **kwargs)

        def counted_build(cls: type[HistoryIndex], *args: Any, **kwargs: Any) -> HistoryIndex:
            self.history_indexes += 1
            return build(cls, *args, **kwargs)  # type: ignore[no-any-return]

        monkeypatch.setattr(os, "scandir", counted_scandir)
        monkeypatch.setattr(os, "listdir", counted_listdir)
        monkeypatch.setattr(outbox_module, "open", counted_open, raising=False)
        monkeypatch.setattr(HistoryIndex, "build", classmethod(counted_build))

    def _listed(self, path: Any) -> None:
        name = os.fspath(path)
        if isinstance(name, str) and name.startswith(self.root):
            self.listings[Path(name).name] += 1

    def total(self) -> tuple[int, int, int]:
        return sum(self.listings.values()), self.index_reads, self.history_indexes


def adopted(n: int) -> MemoryBackend:
    """n customers, one invoice each, chased by hand up to the second reminder."""
    wb = workbook([customer(f"C{i}") for i in range(1, n + 1)],
                  [invoice(f"F{i}", f"C{i}", "2025-01-01", "2025-02-27", 1000 + i) for i in range(1, n + 1)],
                  Scenarios=CLASSIC)
    baseline(wb, on(NOTICE_DAY), "reminder_2", NOTICE_DAY - dt.timedelta(days=10))
    return wb


def tick_every_approval(wb: MemoryBackend) -> int:
    """What a person does in A_valider: "oui" in the approval column of every waiting row."""
    rows = wb.tabs["A_valider"]
    for row in rows[1:]:
        row[0] = "oui"
    return len(rows) - 1


def approval_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n: int, before: Path, after: Path,
                 ) -> tuple[tuple[int, int, int], MemoryBackend]:
    """The formal notices filed in `before`; the hand-offs planned, ticked, then the approval
    day's run into `after`, counted."""
    wb = adopted(n)

    def channel(folder: Path) -> Callable[[object], OutboxChannel]:
        return lambda _: OutboxChannel(folder, "t")

    assert run(wb, channel(before), on(NOTICE_DAY), anytime=True).to_json()["sent"] == n  # the formal notices
    waiting = run(wb, channel(after), on(APPROVAL_DAY), anytime=True).to_json()
    assert waiting["awaiting_approval"] == n and waiting["tasks_created"] == 0
    assert tick_every_approval(wb) == n
    with monkeypatch.context() as patched:
        counts = Counts(patched, tmp_path)
        done = run(wb, channel(after), on(APPROVAL_DAY), anytime=True).to_json()
        figures = counts.total()
    assert done["tasks_created"] == n and done["failed"] == 0
    return figures, wb


@pytest.mark.parametrize("moved", [False, True], ids=["same-outbox", "outbox-changed"])
def test_the_approval_day_lists_each_folder_and_indexes_history_a_fixed_number_of_times(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moved: bool) -> None:
    few, many = [], []
    for n, found in ((2, few), (9, many)):
        before = tmp_path / f"{n}" / "before"
        after = tmp_path / f"{n}" / ("after" if moved else "before")
        figures, _ = approval_day(tmp_path, monkeypatch, n, before, after)
        found.append(figures)
    assert few == many  # 9 hand-offs look up no more than 2 do
    listings, index_reads, history_indexes = many[0]
    assert listings <= (3 if moved else 2) and index_reads <= (3 if moved else 2) and history_indexes <= 2


def test_each_package_carries_its_own_proofs_from_either_folder(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    before, after = tmp_path / "A", tmp_path / "B"
    approval_day(tmp_path, monkeypatch, 4, before, after)
    packages = sorted(after.glob("*_dossier_recouvrement_*.zip"))
    assert [p.name.split("_")[0] for p in packages] == ["C1", "C2", "C3", "C4"]
    for package in packages:
        cid = package.name.split("_")[0]
        with zipfile.ZipFile(package) as z:
            proofs = [n for n in z.namelist() if n.startswith("preuves/")]
            assert proofs and all(n.startswith(f"preuves/{cid}_formal_notice_") for n in proofs), proofs
            filed = next(before.glob(f"{cid}_formal_notice_*.eml"))
            assert z.read(f"preuves/{filed.name}") == filed.read_bytes()


def test_a_proof_filed_during_the_run_is_found_without_listing_again(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The listing made at opening is kept up to date by `send`: what the run filed is a proof."""
    from relance.app.executor import compose
    from relance.app.jobs import snapshot

    wb = adopted(1)
    snap = snapshot(wb, on(NOTICE_DAY), NOTICE_DAY)
    composed, _ = compose(snap.plan, snap.book, snap.positions, snap.renderer)
    box = OutboxChannel(tmp_path / "box", "t")
    found: dict[str, list[str]] = {}
    with monkeypatch.context() as patched:
        counts = Counts(patched, tmp_path)
        for action, message, _ in composed:
            assert message is not None
            box.send(message)
            found[action.key] = list(box.proofs([action.key]))
        box.close()
    assert counts.total()[:2] == (0, 0)
    assert found and all(names == [p.name for p in (tmp_path / "box").glob(f"*_{key}.*")]
                         for key, names in found.items())
