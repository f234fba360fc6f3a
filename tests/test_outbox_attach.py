"""The outbox files documents that are not messages (hand-off packages) together: `attach_many` gives
what `attach` one by one gives (the same files, names and bytes), waits for the disk three times a
batch instead of twice a document, never renames a document before its bytes are durable, and a full
disk in the middle of a batch files what came before and nothing after, leaving no temporary file.
A real process killed in the middle of a batch: tests/test_crash_attach.py."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from disk_model import Disk
from relance import disk
from relance.channels import outbox as outbox_module
from relance.channels.outbox import OutboxChannel
from relance.channels.port import TransportDown


def documents(n: int, start: int = 0) -> list[tuple[str, bytes]]:
    """Hand-off packages as a run names them, of different sizes."""
    return [(f"C{i}_dossier_recouvrement_R{i:019X}.zip", bytes([i % 251]) * (1000 + 7919 * i))
            for i in range(start, start + n)]


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "index.jsonl"}


def test_documents_filed_together_are_the_ones_filed_one_by_one(tmp_path: Path) -> None:
    one, many = OutboxChannel(tmp_path / "one", "t"), OutboxChannel(tmp_path / "many", "t")
    alone = [one.attach(name, data) for name, data in documents(9)]
    together = many.attach_many(documents(9))
    assert together == alone
    assert files(tmp_path / "many") == files(tmp_path / "one")
    assert (tmp_path / "many" / "index.jsonl").read_bytes() == b""  # a document is no message: no line
    # a long name is bounded as attach bounds it; a letter-like name is listed as a message file
    long = [("C" * 300 + "_dossier.zip", b"zip"), ("C1_notice_RAAAA0000000000000000001.pdf", b"%PDF")]
    assert many.attach_many(long) == [one.attach(*doc) for doc in long]
    assert many.files.names_for(["RAAAA0000000000000000001"]) == ["C1_notice_RAAAA0000000000000000001.pdf"]
    one.close()
    many.close()


@pytest.mark.skipif(not disk.can_sync_filesystem(Path(tempfile.gettempdir())), reason="needs Linux's syncfs")
def test_a_batch_of_documents_is_made_durable_by_one_sync_before_any_rename(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    box = OutboxChannel(tmp_path, "t")
    model = Disk(monkeypatch, tmp_path, outbox_module)
    model.adopt(box._fd, box.index_path)
    names = box.attach_many(documents(6))
    monkeypatch.undo()
    box.close()
    assert model.violations == []
    kinds = [k for k, _ in model.events]
    assert kinds == ["write"] * 6 + ["syncfs"] + ["rename"] * 6 + ["fsync"]  # one sync, one folder fsync
    assert model.kinds("rename") == names and model.kinds("fsync") == [tmp_path.name]


def test_without_a_file_system_sync_each_document_is_fsynced_before_its_rename(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Elsewhere than Linux, on a network share, or when the sync reports a failed write."""
    for way, sync in (("none", lambda folder: False), ("failed", lambda folder: (_ for _ in ()).throw(OSError(5, "EIO")))):
        folder = tmp_path / way
        box = OutboxChannel(folder, "t")
        with monkeypatch.context() as patch:
            model = Disk(patch, folder, outbox_module)
            model.adopt(box._fd, box.index_path)
            patch.setattr(outbox_module, "sync_filesystem", sync)
            names = box.attach_many(documents(4))
        box.close()
        assert model.violations == [], way
        assert len(model.kinds("fsync")) == 4 + 1 and model.kinds("rename") == names, way  # each, then the folder


def test_the_disk_model_catches_a_document_renamed_before_its_bytes_are_durable(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    box = OutboxChannel(tmp_path, "t")
    model = Disk(monkeypatch, tmp_path, outbox_module)
    model.adopt(box._fd, box.index_path)
    monkeypatch.setattr(outbox_module, "sync_filesystem", lambda folder: True)  # says it synced; did not
    box.attach_many(documents(3))
    monkeypatch.undo()
    box.close()
    assert len(model.violations) == 3 and "renamed into place before its bytes were durable" in model.violations[0]


def _full_at(folder: Path, name: str) -> None:
    """The temporary file of `name` lands on /dev/full: the kernel answers ENOSPC to its write."""
    os.symlink("/dev/full", folder / f"{name}.{outbox_module._HOST}-{os.getpid()}.tmp")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_in_the_middle_of_a_batch_files_what_came_before_and_nothing_after(tmp_path: Path) -> None:
    box = OutboxChannel(tmp_path, "t")
    docs = documents(5)
    _full_at(tmp_path, docs[2][0])
    outcomes = box.attach_many(docs)
    assert outcomes[:2] == [docs[0][0], docs[1][0]]
    assert len(outcomes) == 3 and isinstance(outcomes[2], TransportDown)  # the rest was not attempted
    assert "disk is full" in outcomes[2].message
    assert files(tmp_path) == dict(docs[:2])  # whole, and no temporary file left
    assert box.attach_many(docs) == [name for name, _ in docs]  # once there is room again
    assert files(tmp_path) == dict(docs)
    box.close()


def test_a_document_that_cannot_be_written_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    box = OutboxChannel(tmp_path, "t")
    docs = documents(4)
    real_replace = os.replace

    def refused(src: str, dst: str) -> None:
        if dst.endswith(docs[1][0]):
            raise PermissionError(13, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refused)
    outcomes = box.attach_many(docs)
    monkeypatch.undo()
    assert isinstance(outcomes[1], PermissionError)
    assert [o for i, o in enumerate(outcomes) if i != 1] == [docs[0][0], docs[2][0], docs[3][0]]
    assert files(tmp_path) == {name: data for i, (name, data) in enumerate(docs) if i != 1}
    box.close()


def test_the_same_name_twice_is_filed_then_replaced_as_one_by_one(tmp_path: Path) -> None:
    box = OutboxChannel(tmp_path, "t")
    first, second = ("C1_dossier_recouvrement_R1.zip", b"first"), ("C1_dossier_recouvrement_R1.zip", b"second")
    assert box.attach_many([first, *documents(2), second]) == [first[0], *(n for n, _ in documents(2)), second[0]]
    assert files(tmp_path) == {**dict(documents(2)), first[0]: b"second"}
    box.close()


def test_documents_filed_ahead_and_never_handed_over_are_taken_back(tmp_path: Path) -> None:
    box = OutboxChannel(tmp_path, "t")
    names = box.attach_many(documents(4))
    box.detach(names[2:] + ["never_filed.zip"])
    assert files(tmp_path) == dict(documents(2))
    box.close()


def test_an_attach_of_its_own_is_the_way_in(tmp_path: Path) -> None:
    """A subclass's attach (a fault a test injects) is called for every document, one by one."""
    class Counting(OutboxChannel):
        seen: list[str] = []

        def attach(self, name: str, data: bytes) -> str:
            self.seen.append(name)
            if name == documents(3)[1][0]:
                raise TransportDown("full")
            return super().attach(name, data)

    box = Counting(tmp_path, "t")
    outcomes = box.attach_many(documents(3))
    assert box.seen == [n for n, _ in documents(2)] and isinstance(outcomes[1], TransportDown) and len(outcomes) == 2
    box.close()
