"""What the file-writing layers share about the disk: making a rename or a new file durable.

Below workbook/ and channels/ (both write files) and above nothing relance reads: the engine
and render never touch a file.

Two ways to make files durable: `os.fsync` of each file (one disk flush per file, and a file
system's journal commit each time), or `sync_filesystem` of the folder that holds them (one call
for every file written there so far: Linux's syncfs(2)). A writer of many small files (the outbox)
writes them all, then syncs once; where the platform has no such call, it fsyncs each file.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable (POSIX; a no-op where a directory cannot
    be opened, as on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@cache
def _syncfs() -> Callable[[int], int] | None:
    """The C library's syncfs(2), or None (not Linux, or a C library without it)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # here: a run that syncs no folder never loads it

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.syncfs
    except (OSError, AttributeError):
        return None
    call.argtypes = [ctypes.c_int]
    call.restype = ctypes.c_int
    return call


#: The local file systems whose sync (syncfs(2)) writes and waits for every file's data and names,
#: as an fsync of each would. On others (a network share, a FUSE mount whose server may not be
#: asked to sync, one not known here) each file is fsynced.
SYNCED_FILESYSTEMS = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "jfs", "bcachefs", "zfs",
                                "tmpfs", "overlay"})


def file_system_of(folder: Path, mountinfo: str = "/proc/self/mountinfo") -> str | None:
    """The type of the file system `folder` is on, from the mount table (None: not known)."""
    try:
        with open(mountinfo, encoding="utf-8", errors="replace") as f:
            mounts = f.read().splitlines()
        path = os.path.realpath(folder)
    except OSError:
        return None
    best, found = -1, None
    for line in mounts:
        fields = line.split(" ")
        if "-" not in fields[6:] or len(fields) < 5:
            continue
        point = _unescape(fields[4])
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= best:  # the deepest mount point; the last one mounted there
            best, found = len(point), fields[fields.index("-", 6) + 1]
    return found


def _unescape(field: str) -> str:
    """A mount point as mountinfo writes it: space, tab, newline and backslash as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def kernel_reports_sync_errors(release: str | None = None) -> bool:
    """Whether this Linux kernel's syncfs(2) says when a file could not be written back (5.8 and
    later): an older one answers success anyway, where an fsync of the file would have failed."""
    found = re.match(r"(\d+)\.(\d+)", os.uname().release if release is None else release)
    return found is not None and (int(found[1]), int(found[2])) >= (5, 8)


def can_sync_filesystem(folder: Path) -> bool:
    """Whether `sync_filesystem` makes the files of `folder` durable: Linux 5.8 or later, on a
    local file system whose sync waits for data and names (SYNCED_FILESYSTEMS)."""
    return (sys.platform.startswith("linux") and kernel_reports_sync_errors()
            and file_system_of(folder) in SYNCED_FILESYSTEMS)


def sync_filesystem(folder: Path) -> bool:
    """Make everything written so far on the file system holding `folder` durable, file data and
    names alike, in one call; True once it is, False where it cannot be done so (another
    platform, a file system not known to sync so: the caller then fsyncs each file). Raises
    OSError when the disk reports a write that failed.

    Linux's syncfs(2) on the folder (it waits for the disk, and reports a failed write back since
    Linux 5.8: not used before); os.sync() where the C library has no syncfs: Linux's sync(2)
    waits for the disks too. Elsewhere sync(2) may return before the data is written: not used.
    """
    if not can_sync_filesystem(folder):
        return False
    call = _syncfs()
    if call is None:
        os.sync()
        return True
    fd = os.open(folder, os.O_RDONLY)
    try:
        if call(fd) != 0:
            import ctypes

            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(folder))
    finally:
        os.close(fd)
    return True
