"""disk.sync_filesystem: one call that makes every file written on a file system durable, or a
plain False where the platform has none (the caller then fsyncs each file)."""

import os
import sys

import pytest

from relance import disk


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's syncfs")
def test_linux_syncs_the_folders_file_system(tmp_path):
    (tmp_path / "a").write_bytes(b"x")
    assert disk.can_sync_filesystem()
    assert disk.sync_filesystem(tmp_path) is True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's sync")
def test_a_c_library_without_syncfs_falls_back_to_sync_which_waits_on_linux(tmp_path, monkeypatch):
    called = []
    monkeypatch.setattr(disk, "_syncfs", lambda: None)
    monkeypatch.setattr(os, "sync", lambda: called.append(True))
    assert disk.sync_filesystem(tmp_path) is True
    assert called == [True]


def test_elsewhere_nothing_is_synced_and_the_caller_fsyncs_each_file(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")  # sync(2) may return before the data is written
    called = []
    monkeypatch.setattr(os, "sync", lambda: called.append(True))
    assert not disk.can_sync_filesystem()
    assert disk.sync_filesystem(tmp_path) is False
    assert called == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's syncfs")
def test_a_failed_sync_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(disk, "_syncfs", lambda: lambda fd: -1)
    with pytest.raises(OSError):
        disk.sync_filesystem(tmp_path)
    with pytest.raises(OSError):  # a folder that is gone
        disk.sync_filesystem(tmp_path / "gone")
