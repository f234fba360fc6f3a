"""A disk that keeps only what was made durable: what a power cut leaves, checked as files are written.

The real calls go through (the files are really written); beside them this model keeps, for
each file, the bytes written and the bytes made durable (by an fsync of the file or a sync of the
whole file system), and for each folder its names as they are and as they are on disk (an fsync
of the folder or a file system sync). A kernel may write anything back at any moment, so a
rename may reach the disk as soon as it is made, and an index line as soon as it is written. Two
orders follow, which the model checks at the moment of each call (`violations`):

- a message file (or a hand-off package) is renamed into place only once its bytes are durable:
  else a power cut could leave the name with an empty or partial file, which the next opening
  would take for the message (and give it an index line);
- an index line is written only once the file it names is durable, name and bytes: else a power
  cut could leave a line (a proof of sending) for a file that is not there.

`events` is what was asked of the disk, in order: ("write", name), ("fsync", name),
("syncfs", folder), ("rename", name).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType

import pytest

MESSAGE_SUFFIXES = (".eml", ".pdf", ".txt")
#: Documents filed beside the messages (hand-off packages): whole or absent after a power cut too.
DOCUMENT_SUFFIXES = (".zip",)


class Disk:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, folder: Path, outbox_module: ModuleType) -> None:
        self.folder = str(folder)
        self.names: dict[str, int] = {}  # path -> inode, as the folder is now
        self.durable_names: dict[str, int] = {}  # path -> inode, as the disk holds it
        self.data: dict[int, bytearray] = {}
        self.durable: dict[int, bytes] = {}
        self.fds: dict[int, tuple[str, int | None, int]] = {}  # fd -> (path, inode or None: a folder, flags)
        self.offsets: dict[int, int] = {}
        self.events: list[tuple[str, str]] = []
        self.violations: list[str] = []
        self._next = 0
        for entry in os.scandir(folder):  # what was there before: on disk
            if entry.is_file():
                inode = self._inode()
                self.names[entry.path] = self.durable_names[entry.path] = inode
                content = Path(entry.path).read_bytes()
                self.data[inode], self.durable[inode] = bytearray(content), content
        real = {name: getattr(os, name) for name in ("open", "write", "fsync", "replace", "unlink", "close",
                                                      "ftruncate")}
        real_sync = outbox_module.sync_filesystem

        def open_(path, flags, mode=0o777, *, dir_fd=None):  # type: ignore[no-untyped-def]
            fd = real["open"](path, flags, mode, dir_fd=dir_fd)
            key = os.path.abspath(os.fspath(path))
            if os.path.isdir(key):
                self.fds[fd] = (key, None, flags)
                return fd
            if key not in self.names:
                inode = self._inode()
                self.names[key], self.data[inode], self.durable[inode] = inode, bytearray(), b""
            inode = self.names[key]
            if flags & os.O_TRUNC:
                self.data[inode] = bytearray()
            self.fds[fd], self.offsets[fd] = (key, inode, flags), 0
            return fd

        def write(fd, data):  # type: ignore[no-untyped-def]
            n = real["write"](fd, data)
            if fd in self.fds:
                path, inode, flags = self.fds[fd]
                assert inode is not None
                chunk = bytes(data)[:n]
                buf = self.data[inode]
                at = len(buf) if flags & os.O_APPEND else self.offsets[fd]
                buf[at:at + n] = chunk
                self.offsets[fd] = at + n
                self.events.append(("write", Path(path).name))
                if path.endswith(".jsonl"):
                    self._index_lines(path, chunk)
            return n

        def fsync(fd):  # type: ignore[no-untyped-def]
            real["fsync"](fd)
            if fd in self.fds:
                path, inode, _ = self.fds[fd]
                self.events.append(("fsync", Path(path).name))
                if inode is None:  # a folder: its names as they are now
                    inside = {p for p in (*self.names, *self.durable_names) if os.path.dirname(p) == path}
                    for p in inside:
                        if p in self.names:
                            self.durable_names[p] = self.names[p]
                        else:
                            self.durable_names.pop(p, None)
                else:
                    self.durable[inode] = bytes(self.data[inode])

        def replace(src, dst, **kw):  # type: ignore[no-untyped-def]
            real["replace"](src, dst, **kw)
            src, dst = os.path.abspath(os.fspath(src)), os.path.abspath(os.fspath(dst))
            self.events.append(("rename", Path(dst).name))
            inode = self.names.pop(src)
            if dst.endswith(MESSAGE_SUFFIXES + DOCUMENT_SUFFIXES) and self.durable[inode] != bytes(self.data[inode]):
                self.violations.append(f"{Path(dst).name} renamed into place before its bytes were durable")
            self.names[dst] = inode

        def unlink(path, **kw):  # type: ignore[no-untyped-def]
            real["unlink"](path, **kw)
            self.names.pop(os.path.abspath(os.fspath(path)), None)

        def close(fd):  # type: ignore[no-untyped-def]
            real["close"](fd)
            self.fds.pop(fd, None)

        def ftruncate(fd, length):  # type: ignore[no-untyped-def]
            real["ftruncate"](fd, length)
            if fd in self.fds and self.fds[fd][1] is not None:
                del self.data[self.fds[fd][1]][length:]

        def sync_filesystem(folder):  # type: ignore[no-untyped-def]
            done = real_sync(folder)
            if done:
                self.events.append(("syncfs", Path(folder).name))
                self.durable_names = dict(self.names)
                self.durable = {inode: bytes(buf) for inode, buf in self.data.items()}
            return done

        for name, fake in (("open", open_), ("write", write), ("fsync", fsync), ("replace", replace),
                           ("unlink", unlink), ("close", close), ("ftruncate", ftruncate)):
            monkeypatch.setattr(os, name, fake)
        monkeypatch.setattr(outbox_module, "sync_filesystem", sync_filesystem)

    def adopt(self, fd: int, path: Path) -> None:
        """A file opened for appending before the model was (an outbox's index)."""
        key = os.path.abspath(path)
        self.fds[fd], self.offsets[fd] = (key, self.names[key], os.O_APPEND), 0

    def _inode(self) -> int:
        self._next += 1
        return self._next

    def _index_lines(self, path: str, chunk: bytes) -> None:
        for raw in chunk.split(b"\n"):
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            file = os.path.join(os.path.dirname(path), str(entry.get("file", "")))
            if "file" not in entry:
                continue
            inode = self.durable_names.get(file)
            if inode is None:
                self.violations.append(f"the index names {entry['file']} before its name is durable")
            elif self.durable[inode] != bytes(self.data[inode]) or not self.durable[inode]:
                self.violations.append(f"the index names {entry['file']} before its bytes are durable")

    def kinds(self, kind: str) -> list[str]:
        return [name for k, name in self.events if k == kind]
