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


def can_sync_filesystem() -> bool:
    """Whether `sync_filesystem` can make files durable on this platform (Linux)."""
    return sys.platform.startswith("linux")


def sync_filesystem(folder: Path) -> bool:
    """Make everything written so far on the file system holding `folder` durable, file data and
    names alike, in one call; True once it is, False where this platform cannot (the caller then
    fsyncs each file). Raises OSError when the disk reports a write that failed.

    Linux's syncfs(2) on the folder (it waits for the disk, and reports a failed write back since
    Linux 5.8); os.sync() where the C library has no syncfs: Linux's sync(2) waits for the disks
    too. Elsewhere sync(2) may return before the data is written: not used.
    """
    if not can_sync_filesystem():
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
