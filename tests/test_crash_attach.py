"""A real process filing hand-off packages a batch at a time (the outbox's `attach_many`) killed with
SIGKILL in the middle of a batch, at many points: while it writes the temporary files, while it
renames them, between batches. After each kill:

- no half package: every ZIP in the folder has its whole bytes;
- no lost record: every package the process had recorded as filed (a line it wrote and fsynced once
  `attach_many` returned, as a run records its Taches rows once the packages are filed) is there,
  whole;
- the next opening of the folder removes the temporary files the killed process left;

and a rerun into the same folder files every package, whole. (What a power cut would leave, a disk
that keeps only what was synced: tests/test_outbox_attach.py, with tests/disk_model.py.)
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from relance.channels.outbox import OutboxChannel

# with the other crash tests, in one xdist worker one after the other (tests/test_crash.py says why)
pytestmark = [pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL"), pytest.mark.xdist_group("crash")]

BATCHES, PER_BATCH, SIZE = 3, 8, 96 * 1024
CHILD = rf"""
import hashlib, os, sys
from pathlib import Path
from relance.channels.outbox import OutboxChannel

folder, records = Path(sys.argv[1]), sys.argv[2]
BATCHES, PER_BATCH, SIZE = {BATCHES}, {PER_BATCH}, {SIZE}

def content(name):
    block = hashlib.sha256(name.encode()).digest()
    return (block * (SIZE // len(block) + 1))[:SIZE]

box = OutboxChannel(folder, "t")
fd = os.open(records, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
for b in range(BATCHES):
    names = [f"C{{b}}-{{i}}_dossier_recouvrement_R{{b:03d}}{{i:016X}}.zip" for i in range(PER_BATCH)]
    filed = box.attach_many([(name, content(name)) for name in names])
    assert filed == names, filed
    os.write(fd, "".join(name + "\n" for name in filed).encode())
    os.fsync(fd)
box.close()
print("done")
"""


def content(name: str) -> bytes:
    block = hashlib.sha256(name.encode()).digest()
    return (block * (SIZE // len(block) + 1))[:SIZE]


def start(folder: Path, records: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(folder), str(records)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def kill_when(child: subprocess.Popen[bytes], folder: Path, staged: int, renamed: int) -> bool:
    """SIGKILL `child` once the folder holds `staged` temporary packages or `renamed` packages in
    place (whichever comes first), polling the folder; False when it ended by itself first."""
    while child.poll() is None:
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            continue
        tmp = sum(name.endswith(".tmp") for name in names)
        done = sum(name.endswith(".zip") for name in names)
        if (staged and tmp >= staged) or (renamed and done >= renamed):
            child.send_signal(signal.SIGKILL)
            child.wait()
            return True
    return False


def check(folder: Path, records: Path) -> tuple[set[str], set[str]]:
    """The packages in place (each whole) and the packages recorded (each there): both checked."""
    in_place = {p.name for p in folder.iterdir() if p.name.endswith(".zip")}
    for name in in_place:
        assert (folder / name).read_bytes() == content(name), f"{name} is not whole"
    recorded = set(records.read_text().splitlines()) if records.exists() else set()
    assert recorded <= in_place, f"recorded but absent: {sorted(recorded - in_place)}"
    return in_place, recorded


POINTS = [(staged, 0) for staged in (1, 3, 6, 8)] + [(0, renamed) for renamed in (1, 4, 7, 9, 13, 17, 23)]


@pytest.mark.parametrize(("staged", "renamed"), POINTS)
def test_a_process_killed_in_a_batch_leaves_whole_packages_and_every_record(tmp_path: Path, staged: int,
                                                                           renamed: int) -> None:
    folder, records = tmp_path / "outbox", tmp_path / "records.txt"
    child = start(folder, records)
    killed = kill_when(child, folder, staged, renamed)
    if not killed:  # it ended first: everything filed and recorded
        assert child.returncode == 0, child.stderr.read() if child.stderr else ""
    in_place, recorded = check(folder, records)
    assert len(recorded) % PER_BATCH == 0  # a batch is recorded whole, once filed
    OutboxChannel(folder, "t").close()  # the next opening: the killed writer's temporary files go
    assert not list(folder.glob("*.tmp"))
    assert check(folder, records)[0] == in_place
    rerun = start(folder, tmp_path / "rerun.txt")
    assert rerun.wait() == 0, rerun.stderr.read() if rerun.stderr else ""
    in_place, _ = check(folder, tmp_path / "rerun.txt")
    assert len(in_place) == BATCHES * PER_BATCH
