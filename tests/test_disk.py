"""disk.sync_filesystem: one call that makes every file written on a file system durable, or a
plain False where the platform has none (the caller then fsyncs each file)."""

import os
import sys
from pathlib import Path

import pytest

from relance import disk


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's syncfs")
def test_linux_syncs_the_folders_file_system(tmp_path):
    (tmp_path / "a").write_bytes(b"x")
    if not disk.can_sync_filesystem(tmp_path):
        pytest.skip(f"{tmp_path} is on {disk.file_system_of(tmp_path)}")
    assert disk.sync_filesystem(tmp_path) is True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's sync")
def test_a_c_library_without_syncfs_falls_back_to_sync_which_waits_on_linux(tmp_path, monkeypatch):
    called = []
    monkeypatch.setattr(disk, "file_system_of", lambda folder: "ext4")
    monkeypatch.setattr(disk, "_syncfs", lambda: None)
    monkeypatch.setattr(os, "sync", lambda: called.append(True))
    assert disk.sync_filesystem(tmp_path) is True
    assert called == [True]


def test_elsewhere_nothing_is_synced_and_the_caller_fsyncs_each_file(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")  # sync(2) may return before the data is written
    called = []
    monkeypatch.setattr(os, "sync", lambda: called.append(True))
    assert not disk.can_sync_filesystem(tmp_path)
    assert disk.sync_filesystem(tmp_path) is False
    assert called == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's syncfs")
def test_a_failed_sync_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(disk, "file_system_of", lambda folder: "ext4")
    monkeypatch.setattr(disk, "_syncfs", lambda: lambda fd: -1)
    with pytest.raises(OSError):
        disk.sync_filesystem(tmp_path)
    with pytest.raises(OSError):  # a folder that is gone
        disk.sync_filesystem(tmp_path / "gone")


MOUNTS = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
40 27 0:40 / /mnt/share rw,relatime shared:5 - nfs4 srv:/export rw
41 40 0:41 / /mnt/share/local\\040disk rw,relatime - xfs /dev/vdb rw
42 27 0:42 / /home/compta/drive rw,nosuid - fuse.rclone drive: rw
43 27 0:43 / /tmp rw - tmpfs tmpfs rw
44 27 0:44 / /tmp rw - ext4 /dev/vdc rw
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux mount table, Linux paths")
@pytest.mark.parametrize("folder, kind, synced", [
    ("/home/compta/relance/demo_outbox", "ext4", True),
    ("/mnt/share/outbox", "nfs4", False),  # a network share: each file fsynced
    ("/mnt/share/local disk/outbox", "xfs", True),  # the deepest mount point
    ("/mnt/shared/outbox", "ext4", True),  # /mnt/share is not a parent of /mnt/shared
    ("/home/compta/drive/outbox", "fuse.rclone", False),
    ("/tmp/outbox", "ext4", True),  # two mounts on /tmp: the last one is what the path reaches
])
def test_the_file_system_of_a_folder_and_whether_it_is_synced_at_once(tmp_path, monkeypatch, folder, kind, synced):
    table = tmp_path / "mountinfo"
    table.write_text(MOUNTS)
    assert disk.file_system_of(Path(folder), str(table)) == kind
    monkeypatch.setattr(disk, "file_system_of", lambda f: kind)
    assert disk.can_sync_filesystem(Path(folder)) is synced


def test_a_mount_table_that_cannot_be_read_knows_no_file_system(tmp_path):
    assert disk.file_system_of(tmp_path, str(tmp_path / "none")) is None


@pytest.mark.parametrize("release, reports", [
    ("6.18.44-fc-v669", True), ("5.8.0-1", True), ("5.15.0-91-generic", True), ("5.4.0-150-generic", False),
    ("4.18.0-513.el8.x86_64", False), ("weird", False)])
def test_a_kernel_older_than_5_8_is_not_trusted_to_report_a_failed_write_back(release, reports, monkeypatch):
    assert disk.kernel_reports_sync_errors(release) is reports
    monkeypatch.setattr(disk, "kernel_reports_sync_errors", lambda: reports)
    monkeypatch.setattr(disk, "file_system_of", lambda folder: "ext4")
    assert disk.can_sync_filesystem(Path("/srv/outbox")) is (reports and sys.platform.startswith("linux"))
