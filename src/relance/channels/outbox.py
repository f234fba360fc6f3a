"""The default channel: a folder holding one RFC 5322 .eml per e-mail and index.jsonl.

The outbox is also the proof of what was sent: index.jsonl has a line per message (action key,
channel, customer, recipient, invoices, file), which is what `lookup` reads to settle a `pending`
History row after a crash. A key already in the outbox is never written twice.

Nothing the outbox says was filed can be lost by a crash (kill -9, power cut): each message is
written to a temporary file, fsynced, renamed into place, the folder fsynced, and only then its
index line appended and fsynced; `send` returns after that. `send_many` (what a run uses: up to
`batch_size` messages at a time) keeps that order for the messages it is given together: each
written to its temporary file, all of them made durable at once (Linux, on a local file system:
one syncfs(2) of the outbox's file system, disk.sync_filesystem; elsewhere, and on a network
share, an fsync each), then all renamed, the folder fsynced once, their lines appended in one
write and fsynced once; it returns after that. Three waits for the disk a batch, where an fsync
per file was where a filed e-mail spent most of its time. No name reaches the disk before its
bytes, no index line before its file (tests/disk_model.py checks both on a disk that keeps only
what was synced). A crash between the rename and the index line leaves a message without its
line: the next opening of the folder adds the line back from the file (the file is the
message), so the index, the files and `lookup` always agree.
Temporary files left by a crash (`*.tmp`, named after the process that wrote them) are removed
by the next channel that opens the folder.

Documents that are not messages (an approval day's hand-off packages) are filed the same way:
`attach` one at a time (its fsync, its rename, the folder's fsync), `attach_many` a batch at a time
(each written to its temporary file, one sync of the file system, the renames, one folder fsync; no
index line: a document is not a proof of sending). A crash leaves each package whole or absent;
`detach` removes those a run filed ahead and then did not hand over (it stopped before their turn).

A channel or a view lists its folder once (`OutboxFiles`) and keeps that listing up to date as it
files messages: finding the proofs of one hand-off never lists the folder again.

A History row names its outbox by absolute folder (`via` = `outbox:/abs/folder`, see
`OutboxChannel.via`); `OutboxView` is the read-only look a later run takes at that folder,
whichever folder that run writes to.

A run dated another day than today (`--as-of`) is a simulation: the outbox files its messages in
a `simulation-<as_of>/` subfolder with its own index, answers `simulated` (a History status that
neither blocks a later real send nor counts as a reminder sent), and is named `simulation` (the
History rows say `via simulation`). The outbox itself never looks into its subfolders: `lookup`
and `proofs` of a real run cannot take a simulated message for a sent one.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import json.scanner
import os
import re
import socket
import time
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from relance.channels.mime import email_bytes, header_text, message_id_for
from relance.channels.port import Delivery, TransportDown, one_by_one
from relance.disk import fsync_dir, sync_filesystem
from relance.engine.catalog import console
from relance.engine.catalog import tabs as T
from relance.engine.errors import ConfigError
from relance.engine.message import OutgoingMessage

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")

#: The name of the outbox of a simulated run (a run dated another day): History rows say
#: `via simulation`, and a real channel never settles them.
SIMULATION = "simulation"
#: The History status of a message a simulation filed: not sent, and not blocking a real send.
SIMULATED = "simulated"
#: The suffixes of message files (an SMS is `.sms.txt`); anything else in the folder (index,
#: agency packages, temporary files) is not a message.
MESSAGE_SUFFIXES = (".eml", ".pdf", ".txt")
#: The longest file name the outbox writes, in characters (all ASCII): file systems allow 255
#: bytes, and the temporary name adds a suffix. A longer customer id is cut; the action key at
#: the end of every name keeps names unique.
MAX_NAME = 200
#: A temporary file whose writer cannot be told alive (another host, an older version) is
#: removed once this old: writing one message takes milliseconds. Removing one still in use only
#: makes that message fail (its rename finds nothing), and a failed message is planned again.
STALE_TMP_SECONDS = 600
#: The fewest messages `send_many` makes durable with one sync of the file system (disk.py) rather
#: than an fsync each: one message alone is cheaper fsynced (a file system sync waits for every
#: file written there, whoever wrote it).
SYNC_TOGETHER = 2
_NO_SPACE = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
_HOST = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]
_TMP = re.compile(r"\.([0-9a-f]{8})-(\d+)\.tmp$")
_KEY = re.compile(r"[A-Z][A-Z0-9]{3,}")  # an action key (engine/action.py: R + 19 hex digits)
#: A message file named after its action: `<anything>_<key><suffix>` (an SMS is `.sms.txt`).
_NAMED = re.compile(r".+_(" + _KEY.pattern + r")(?:\.sms\.txt|\.eml|\.pdf|\.txt)", re.DOTALL)


def simulation_folder(as_of: dt.date) -> str:
    """The subfolder of the outbox where a run dated `as_of` files what it would have sent."""
    return f"simulation-{as_of.isoformat()}"


def file_stem(customer_id: str, step: str, key: str) -> str:
    """`<customer>_<step>_<key>`, file-name safe and bounded: the customer id and the step are cut
    to fit MAX_NAME (with room for `.sms.txt`), the action key is always whole and last."""
    key = _SAFE.sub("_", key)
    head = _SAFE.sub("_", f"{customer_id or 'relance'}_{step}")
    room = MAX_NAME - len(".sms.txt") - len(key) - 1
    return f"{head[:room]}_{key}"


def _bounded(name: str) -> str:
    """A safe file name of at most MAX_NAME characters, keeping its end (key and extension)."""
    safe = _SAFE.sub("_", name)
    if len(safe) <= MAX_NAME:
        return safe
    tail = 80
    return safe[: MAX_NAME - tail - 1] + "_" + safe[-tail:]


def _key_of(name: str) -> str | None:
    """The action key of a message file name written by `send` (its last `_` part): one match
    (tests/test_outbox.py keeps the former step-by-step reading and compares the two)."""
    found = _NAMED.fullmatch(name)
    return found[1] if found is not None else None


def _message_id_in(path: Path) -> str:
    """The Message-ID a message file carries (e-mail and SMS headers), else `<file:NAME>`."""
    if path.suffix in (".eml", ".txt"):
        with suppress(OSError), open(path, "rb") as f:
            for raw in f.read(16384).split(b"\n"):
                line = raw.rstrip(b"\r")
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"message-id" and value.strip():
                    return value.strip().decode("ascii", "replace")
    return f"<file:{path.name}>"


def _read_index(path: Path) -> dict[str, str]:
    """Action key -> message id, from index.jsonl (a line cut by a crash is skipped)."""
    known: dict[str, str] = {}
    # json.loads(line), its steps inlined (the same decoder, the same errors): a rerun reads
    # every line the outbox ever filed, and the calls around the C scanner cost as much as it
    scan = _SCAN
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("\ufeff"):  # json.loads refuses a BOM
                continue
            try:
                entry, end = scan(line, len(line) - len(line.lstrip(_SPACE)))
            except (StopIteration, json.JSONDecodeError):
                continue
            if line[end:].strip(_SPACE):  # extra data after the value
                continue
            if isinstance(entry, dict) and entry.get("action_key"):
                known[str(entry["action_key"])] = str(entry.get("message_id", ""))
    return known


#: What json.loads calls: the default decoder's scanner, and the white space it skips around a value.
_SCAN = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_SPACE = " \t\n\r"


def _after_last_line(path: Path, size: int) -> int:
    """Where the last whole line of a file ends (0 when it has none)."""
    with open(path, "rb") as f:
        end = size
        while end > 0:
            start = max(0, end - 65536)
            f.seek(start)
            chunk = f.read(end - start)
            if end == size and chunk.endswith(b"\n"):
                return size
            found = chunk.rfind(b"\n")
            if found >= 0:
                return start + found + 1
            end = start
    return 0


class OutboxFiles:
    """The message files of one outbox folder (not its subfolders), listed once: by action key
    (the last `_` part of the names `send` writes), and the few others by name.

    A run lists the folder once and keeps this up to date as it files messages (`add`), so that
    finding the proofs of one hand-off costs the files it asks for, not a listing of the folder:
    a listing per hand-off made the approval day quadratic in the size of the outbox.
    """

    def __init__(self, folder: Path, names: Iterable[str] = ()) -> None:
        self.folder = Path(folder)
        self.by_key: dict[str, list[str]] = {}
        self.others: list[str] = []  # message files whose name ends with no action key
        for name in names:
            self.add(name)

    @classmethod
    def of(cls, folder: Path) -> OutboxFiles:
        """The message files `folder` holds now: one listing (OSError when it cannot be listed)."""
        with os.scandir(folder) as entries:
            names = [e.name for e in entries if e.name.endswith(MESSAGE_SUFFIXES) and e.is_file()]
        return cls(folder, names)

    @classmethod
    def listed(cls, folder: Path) -> OutboxFiles:
        """The files of `folder`, or none when it is gone or cannot be listed."""
        try:
            return cls.of(folder)
        except OSError:
            return cls(folder)

    def add(self, name: str) -> None:
        """A message file now in the folder (filed by this run, or found by the listing)."""
        key = _key_of(name)
        if key is None:
            self.others.append(name)
        else:
            names = self.by_key.setdefault(key, [])
            if name not in names:
                names.append(name)

    def discard(self, name: str) -> None:
        """A message file taken back (its index line could not be written)."""
        key = _key_of(name)
        names = self.others if key is None else self.by_key.get(key, [])
        if name in names:
            names.remove(name)
        if key is not None and not names:
            self.by_key.pop(key, None)

    def first(self) -> dict[str, Path]:
        """Action key -> its message file (the first listed when there are several)."""
        return {key: self.folder / names[0] for key, names in self.by_key.items()}

    def names_for(self, action_keys: Iterable[str]) -> list[str]:
        """The message files of these actions, sorted by name: those named after one of the keys,
        and any other message file whose name holds one of them."""
        wanted = set(action_keys)
        found = {name for key in wanted for name in self.by_key.get(key, ())}
        found.update(name for name in self.others if any(k in name for k in wanted))
        return sorted(found)

    def proofs(self, action_keys: Iterable[str]) -> dict[str, bytes]:
        """The bytes of the message files of these actions, by file name (sorted); a file that
        cannot be read (removed since) is left out."""
        found: dict[str, bytes] = {}
        for name in self.names_for(action_keys):
            with suppress(OSError):
                found[name] = (self.folder / name).read_bytes()
        return found


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would terminate it on Windows
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: alive
    return True


def remove_stale_temporaries(folder: Path) -> int:
    """Remove the `*.tmp` files a crashed writer left in `folder`; how many were removed.

    A temporary file names its writer (host and process id): one of this host whose process is
    gone is removed at once; any other once it is STALE_TMP_SECONDS old.
    """
    removed = 0
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.endswith(".tmp"):
            continue
        found = _TMP.search(entry.name)
        try:
            dead = found is not None and found[1] == _HOST and not _pid_alive(int(found[2]))
            if dead or now - entry.stat(follow_symlinks=False).st_mtime > STALE_TMP_SECONDS:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    if removed:
        fsync_dir(folder)
    return removed


class OutboxView:
    """A read-only look at an outbox folder: what its index and its files say was filed.

    Opened by a later run to settle the `pending` History rows that name this folder, whatever
    folder that run writes to; it never writes, never cleans and never repairs.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._known = _read_index(self.folder / "index.jsonl")
        self.files = OutboxFiles.of(self.folder)  # listed once: `proofs` asks it, never the folder
        for key, names in self.files.by_key.items():
            if key not in self._known:  # filed, its line never written: the file is the proof
                self._known[key] = _message_id_in(self.folder / names[0])

    @classmethod
    def open(cls, folder: Path) -> OutboxView | None:
        """The view of `folder`, or None when it cannot say anything for sure: the folder is gone,
        unreadable, or has no index.jsonl (every run that used it created one when it opened it)."""
        try:
            return cls(folder)
        except OSError:
            return None

    def lookup(self, action_key: str) -> str | None:
        return self._known.get(action_key)

    def proofs(self, action_keys: Iterable[str]) -> dict[str, bytes]:
        """The files this folder holds for these actions, from its listing made at opening."""
        return self.files.proofs(action_keys)


@dataclass(slots=True)
class _Staged:
    """A message written to its temporary file, waiting for its fsync, rename and index line."""

    message: OutgoingMessage
    name: str
    message_id: str
    tmp: str  # its path (a string: pathlib's joins cost more than the write of a small file)
    fd: int
    slot: int  # its place in the outcomes


def _done(out: list[Delivery | BaseException | None]) -> list[Delivery | BaseException]:
    assert all(o is not None for o in out)
    return [o for o in out if o is not None]


class OutboxChannel:
    name = "outbox"
    #: Messages `send_many` files together (one sync of their files, one folder fsync and one index
    #: fsync for all): 256 measured faster than 64 (a quarter of the waits for a busy disk), and a
    #: crash inside a batch costs nothing more (what was not renamed is planned again).
    batch_size = 256

    def __init__(self, folder: Path, now_iso: str, sent_at: dt.datetime | None = None,
                 simulation: dt.date | None = None) -> None:
        self.root = Path(folder)
        self.simulation = simulation
        self.prefix = "" if simulation is None else simulation_folder(simulation) + "/"
        self.folder = self.root if simulation is None else self.root / simulation_folder(simulation)
        if simulation is not None:
            self.name = SIMULATION
        self._status = "sent" if simulation is None else SIMULATED
        self.location = str(self.folder)
        self.index_path = self.folder / "index.jsonl"
        self._path = os.path.join(self.folder, "")  # the folder, ready for a name to be appended
        self.now_iso = now_iso
        self.sent_at = sent_at
        self._token = f"{_HOST}-{os.getpid()}"
        self._root_files: OutboxFiles | None = None  # a simulation's parent folder, listed when asked
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.via = f"{self.name}:{self.folder.resolve()}"
            created = not self.index_path.exists()
            self._fd = os.open(self.index_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            if exc.errno in _NO_SPACE:
                raise self._full(exc) from None
            raise ConfigError(console.OUTBOX_UNUSABLE(folder=self.folder, cause=exc.strerror),
                              console.OUTBOX_UNUSABLE_FIX()) from None
        try:
            if created:
                fsync_dir(self.folder)
            self.removed_temporaries = remove_stale_temporaries(self.folder)
            self._known = _read_index(self.index_path)
            self.files = OutboxFiles.of(self.folder)  # listed once a run; `send` adds what it files
            self._repair()
        except OSError as exc:
            os.close(self._fd)
            if exc.errno in _NO_SPACE:
                raise self._full(exc) from None
            raise ConfigError(console.OUTBOX_UNUSABLE(folder=self.folder, cause=exc.strerror),
                              console.OUTBOX_UNUSABLE_FIX()) from None
        except BaseException:
            os.close(self._fd)
            raise

    def _repair(self) -> None:
        """After a crash: take back a line cut short, and give back its index line to every
        message file that lacks one (renamed into place, killed before its line was written).

        A SIGKILL can cut a write where it crosses a page of the file: the line is then
        incomplete, never a record. Its message file, if it was renamed into place, gets a whole
        line below; if not, the message was never filed.
        """
        size = os.fstat(self._fd).st_size
        end = _after_last_line(self.index_path, size)
        if end < size:
            os.ftruncate(self._fd, end)
            os.fsync(self._fd)
        # only the files without a line become paths: at opening, most files have theirs
        for key in sorted(key for key in self.files.by_key if key not in self._known):
            path = self.folder / self.files.by_key[key][0]
            message_id = _message_id_in(path)
            self._append((json.dumps({"action_key": key, "file": path.name, "message_id": message_id,
                                      "at": self.now_iso, "recovered": True}, ensure_ascii=False)
                          + "\n").encode("utf-8"))
            self._known[key] = message_id

    def _append(self, data: bytes) -> None:
        """One index line, on disk (written and fsynced) before this returns; all or nothing."""
        before = os.fstat(self._fd).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
            os.fsync(self._fd)
        except OSError:
            with suppress(OSError):  # never leave half a line behind
                os.ftruncate(self._fd, before)
                os.fsync(self._fd)
            raise

    def _full(self, exc: OSError) -> TransportDown:
        return TransportDown(
            console.OUTBOX_FULL(cause=exc.strerror or exc, folder=self.folder), console.OUTBOX_FULL_FIX())

    def _write_file(self, name: str, data: bytes) -> Path:
        """`data` as `name` in the folder: a temporary file, fsynced, renamed, the folder fsynced.
        On failure no file is left (neither the message nor its temporary file)."""
        path = self.folder / name
        tmp = self.folder / f"{name}.{self._token}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except OSError as exc:
            with suppress(OSError):
                tmp.unlink(missing_ok=True)
            if exc.errno in _NO_SPACE:
                raise self._full(exc) from None
            raise
        fsync_dir(self.folder)
        return path

    def lookup(self, action_key: str) -> str | None:
        """Only this folder's index and files: a simulation's subfolder is never a proof of sending."""
        return self._known.get(action_key)

    def email(self, m: OutgoingMessage) -> tuple[bytes, str]:
        """The e-mail of a message as the shared MIME builder writes it, and its Message-ID."""
        return email_bytes(m, self.sent_at), message_id_for(m)

    def send(self, message: OutgoingMessage) -> Delivery:
        outcome = self._file([message])[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _file_of(self, message: OutgoingMessage) -> tuple[str, bytes, str]:
        """(file name, bytes, Message-ID) of a message: a letter's PDF, an SMS as a gateway
        would send it, an e-mail as the MIME builder writes it."""
        a = message.action
        stem = file_stem(a.customer_id, a.step, a.key)
        domain = message.sender_email.rpartition("@")[2] or "relance.invalid"
        if message.pdf is not None:  # a letter: the PDF to print and post
            return stem + ".pdf", message.pdf, f"<{a.key}@{domain}>"
        if a.channel == "sms":  # what an SMS gateway would send: the number, the sender, the text
            message_id = f"<{a.key}@sms.{header_text(domain)}>"
            data = (f"To: {header_text(a.recipient)}\nFrom: {header_text(message.sender_name)}\n"
                    f"Action-Key: {a.key}\nMessage-ID: {message_id}\n\n{message.text}\n").encode()
            return stem + ".sms.txt", data, message_id
        data, message_id = self.email(message)
        return stem + ".eml", data, message_id

    def send_many(self, messages: Sequence[OutgoingMessage]) -> list[Delivery | BaseException]:
        """Files these messages: an outcome per message, in order, each filed message durable
        (file, name and index line) before this returns. A TransportDown (the disk is full)
        ends the list: the messages after it were not filed.

        The messages are filed together (see the module's docstring): each written to its
        temporary file, all made durable by one sync of the file system (an fsync each where
        there is none), then all renamed, the folder fsynced once, their index lines appended
        and fsynced once. The same guarantees as one by one, for three waits for the disk
        (`port.deliveries` hands over `batch_size` messages at a time). When `send` is
        not this class's own (a subclass's, a fault a test injects), every message goes
        through it, one by one: `send` stays the way in.
        """
        if type(self).send is not _SEND:
            return one_by_one(messages, self.send)
        return self._file(messages)

    def _file(self, messages: Sequence[OutgoingMessage]) -> list[Delivery | BaseException]:
        """`send_many`, always filed together."""
        out: list[Delivery | BaseException | None] = []
        staged: list[_Staged] = []
        keys: set[str] = set()  # the actions staged
        for message in messages:
            a = message.action
            if a.key in keys:  # the same action twice: the first is filed, then known
                if self._commit(staged, out):
                    return _done(out)
                staged, keys = [], set()
            if a.key in self._known:
                out.append(Delivery(self._status, self._known[a.key], T.DETAIL_ALREADY(), again=True))
                continue
            try:
                name, data, message_id = self._file_of(message)
                staged.append(self._stage(message, name, data, message_id, len(out)))
                keys.add(a.key)
            except TransportDown as exc:
                out.append(None)
                if not self._commit(staged, out):
                    out[-1] = exc
                return _done(out)
            except Exception as exc:  # noqa: BLE001 - this message fails; the others go on
                out.append(exc)
                continue
            out.append(None)
        self._commit(staged, out)
        return _done(out)

    def _stage(self, message: OutgoingMessage, name: str, data: bytes, message_id: str, slot: int) -> _Staged:
        """`data` written to the temporary file of `name` (not yet fsynced); nothing left on failure."""
        tmp, fd = self._write_tmp(name, data)
        return _Staged(message, name, message_id, tmp, fd, slot)

    def _write_tmp(self, name: str, data: bytes) -> tuple[str, int]:
        """`data` in the temporary file of `name`, still open (not yet fsynced): its path and
        descriptor; nothing left on failure (TransportDown when the disk is full)."""
        tmp = f"{self._path}{name}.{self._token}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as exc:
            if exc.errno in _NO_SPACE:
                raise self._full(exc) from None
            raise
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        except OSError as exc:
            os.close(fd)
            with suppress(OSError):
                os.unlink(tmp)
            if exc.errno in _NO_SPACE:
                raise self._full(exc) from None
            raise
        return tmp, fd

    def _commit(self, staged: list[_Staged], out: list[Delivery | BaseException | None]) -> bool:
        """Make the staged messages durable and write their outcomes into `out`; True when the
        disk filled up (`out` then ends with the TransportDown: nothing after it was filed)."""
        renamed: list[_Staged] = []
        stop: int | None = None  # the slot of the TransportDown
        synced = self._sync_together(staged)
        for st in staged:
            if stop is not None:  # after a full disk: not filed
                os.close(st.fd)
                with suppress(OSError):
                    os.unlink(st.tmp)
                continue
            try:
                try:
                    if not synced:
                        os.fsync(st.fd)
                finally:
                    os.close(st.fd)
                os.replace(st.tmp, self._path + st.name)
            except OSError as exc:
                with suppress(OSError):
                    os.unlink(st.tmp)
                if exc.errno in _NO_SPACE:
                    out[st.slot], stop = self._full(exc), st.slot
                else:
                    out[st.slot] = exc
                continue
            self.files.add(st.name)
            renamed.append(st)
        if renamed:
            fsync_dir(self.folder)
            lines = b"".join((json.dumps({
                "action_key": st.message.action.key, "channel": st.message.action.channel,
                "customer_id": st.message.action.customer_id, "recipient": st.message.action.recipient,
                "invoice_ids": list(st.message.action.invoice_ids), "step": st.message.action.step,
                "file": st.name, "message_id": st.message_id, "at": self.now_iso,
            }, ensure_ascii=False) + "\n").encode("utf-8") for st in renamed)
            try:
                self._append(lines)
            except OSError as exc:
                # the messages must not stay without their lines: take them back (the next opening
                # would otherwise give them their lines back, and the run would count them failed)
                for st in renamed:
                    with suppress(OSError):
                        os.unlink(self._path + st.name)
                    self.files.discard(st.name)
                with suppress(OSError):
                    fsync_dir(self.folder)
                if exc.errno in _NO_SPACE:
                    out[renamed[0].slot], stop = self._full(exc), renamed[0].slot
                else:
                    for st in renamed:
                        out[st.slot] = exc
                renamed = []
        for st in renamed:
            if stop is not None and st.slot > stop:
                continue  # cannot happen: nothing after a full disk is renamed
            self._known[st.message.action.key] = st.message_id
            file = self.prefix + st.name
            note = T.DETAIL_SIMULATION_FILED(file=file) if self.prefix else T.DETAIL_FILED(file=file)
            out[st.slot] = Delivery(self._status, st.message_id, note, file=file)
        if stop is not None:
            del out[stop + 1:]
            return True
        return False

    def _sync_together(self, staged: list[_Staged]) -> bool:
        """Make the temporary files of these messages durable in one call, before any of them is
        renamed: True once they are. False when they are too few to gain from it, when the
        platform has no such call, or when the disk reports a failed write (then each file is
        fsynced, and the one that failed fails alone)."""
        if len(staged) < SYNC_TOGETHER:
            return False
        try:
            return sync_filesystem(self.folder)
        except OSError:
            return False

    def attach(self, name: str, data: bytes) -> str:
        """Files a document that is not a message (an agency hand-off package) beside the messages."""
        safe = _bounded(name)
        self._write_file(safe, data)
        if safe.endswith(MESSAGE_SUFFIXES):
            self.files.add(safe)  # what a listing would find there (a ZIP is no message file)
        return safe

    def attach_many(self, documents: Sequence[tuple[str, bytes]]) -> list[str | BaseException]:
        """Files these documents (name, bytes) as `attach` does, together: where each was filed or
        why it was not, in order, each filed one durable (bytes and name) before this returns. A
        TransportDown (the disk is full) ends the list: the documents after it were not filed.

        An approval day files hundreds of hand-off packages: `attach` waits for the disk twice for
        each (its fsync, its folder's). Here, as `send_many` does for messages: each written to its
        temporary file, all made durable by one sync of the file system (an fsync each where there is
        none), then all renamed and the folder fsynced once. No name reaches the disk before its
        bytes: a crash leaves a whole package or none (and a temporary file the next opening
        removes). When `attach` is not this class's own (a subclass's, a fault a test injects),
        every document goes through it, one by one."""
        if type(self).attach is not _ATTACH:
            return one_by_one(documents, lambda document: self.attach(*document))
        done: list[str | BaseException] = []
        staged: list[tuple[str, str, int, int]] = []  # name, temporary path, descriptor, slot
        names: set[str] = set()
        for name, data in documents:
            safe = _bounded(name)
            if safe in names:  # the same name twice: the first is filed, then replaced, as one by one
                if self._commit_documents(staged, done):
                    return done
                staged, names = [], set()
            try:
                tmp, fd = self._write_tmp(safe, data)
            except TransportDown as exc:
                done.append(exc)
                self._commit_documents(staged, done)  # a staged one's TransportDown ends `done` then
                return done
            except OSError as exc:
                done.append(exc)
                continue
            staged.append((safe, tmp, fd, len(done)))
            names.add(safe)
            done.append(safe)
        self._commit_documents(staged, done)
        return done

    def _commit_documents(self, staged: list[tuple[str, str, int, int]], done: list[str | BaseException]) -> bool:
        """Make the staged documents durable, then rename them into place and fsync the folder once;
        a document that fails takes its slot in `done`. True when the disk filled up: `done` then
        ends with the TransportDown (nothing after it was filed, its temporary files removed)."""
        stop: int | None = None
        try:
            synced = len(staged) >= SYNC_TOGETHER and sync_filesystem(self.folder)
        except OSError:
            synced = False
        renamed = 0
        for safe, tmp, fd, slot in staged:
            if stop is not None:
                os.close(fd)
                with suppress(OSError):
                    os.unlink(tmp)
                continue
            try:
                try:
                    if not synced:
                        os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(tmp, self._path + safe)
            except OSError as exc:
                with suppress(OSError):
                    os.unlink(tmp)
                if exc.errno in _NO_SPACE:
                    done[slot], stop = self._full(exc), slot
                else:
                    done[slot] = exc
                continue
            renamed += 1
            if safe.endswith(MESSAGE_SUFFIXES):
                self.files.add(safe)
        if renamed:
            fsync_dir(self.folder)
        if stop is not None:
            del done[stop + 1:]
            return True
        return False

    def detach(self, names: Iterable[str]) -> None:
        """Removes documents this run filed ahead (`attach_many`) and then did not hand over (it
        stopped before their turn), as if they had never been filed."""
        gone = False
        for name in names:
            with suppress(OSError):
                os.unlink(self._path + _bounded(name))
                gone = True
                self.files.discard(_bounded(name))
        if gone:
            with suppress(OSError):
                fsync_dir(self.folder)

    def proofs(self, action_keys: Iterable[str]) -> dict[str, bytes]:
        """The files the outbox holds for these actions: the proof of what was sent.

        Only the outbox's own files (a simulation reads its parent's): what a simulation filed
        proves nothing and is never read as a proof. The folder is listed once (at opening, or
        at the first call for a simulation's parent), then kept up to date by `send`.
        """
        if self.simulation is None:
            return self.files.proofs(action_keys)
        if self._root_files is None:
            self._root_files = OutboxFiles.listed(self.root)
        return self._root_files.proofs(action_keys)

    def close(self) -> None:
        """Every index line is already on disk: only the file is closed."""
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)


#: The outbox's own `send`: `send_many` files together only while `send` is this one.
_SEND = OutboxChannel.send
#: The outbox's own `attach`: `attach_many` files together only while `attach` is this one.
_ATTACH = OutboxChannel.attach
