"""The default workbook backend: a local .xlsx file.

Reading goes through python-calamine (fast), for the tabs relance needs only: the user's own
tabs are never inflated, whatever they hold. Before calamine sees a part, its size is checked
against its zip header and a bound, and the tab's used range against a cell budget, so that
memory stays bounded (xlsx_parts, "Reading within bounds"); a tab whose range is absurd only
because of blank cells far away is read without them. calamine parses a copy of the package (in
the temporary folder, removed after the read) whose tab parts start with an empty <mergeCells/>:
python-calamine looks for a tab's merged cells by parsing its XML a second time, and stops there
at once (xlsx_parts.MERGE_CELLS_FIRST); the cells are the same, parsed in half the time.

Writing never loads the workbook into an object model: the tabs relance owns are generated as
worksheet parts of their own and every other part of the package is copied byte for byte (see
xlsx_parts), so the user's sheets, formats, charts, images and macros come out exactly as they
went in. Each tab relance writes is marked as relance's by a hidden defined name (the next read
reports it `owned`), and its header row repeated on every printed page by
the print titles Excel reads (xlsx_parts.with_print_titles, kept as the marks are). Saves are atomic (temporary file, fsync, rename) and keep backups of the
previous file. A workbook reached through a symbolic link is read, locked and saved where the
link points: the link stays a link.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import math
import os
import re
import shutil
import socket
import stat
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from filelock import FileLock, Timeout
from python_calamine import CalamineWorkbook

from relance.disk import fsync_dir
from relance.engine.catalog import console
from relance.engine.errors import WorkbookError, WorkbookLocked
from relance.engine.formats import Moment
from relance.engine.history_index import IndexTab
from relance.engine.i18n import Said
from relance.engine.sheets import CellValue, OwnedTab, RawSheet, SheetRows
from relance.workbook import xlsx_charts as charts
from relance.workbook import xlsx_parts as parts
from relance.workbook import xlsx_styles
from relance.workbook.xlsx_styles import TabStyles

BACKUP_DIR = ".relance-backups"
#: Backups kept: every one of the last KEEP_DAYS days, and at least the newest KEEP_BACKUPS
#: (a run saves twice: its `pending` History rows, then its outcomes; so 20 runs).
KEEP_BACKUPS = 40
KEEP_DAYS = 30
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARKERS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
_RESAVE_HINT = console.RESAVE_XLSX()
_TRIM_HINT = console.TRIM_TAB()

Stamp = tuple[int, int]


@dataclass(frozen=True)
class _Layout:
    """What reading needs to know of the package: its members, tabs and relance's marks."""

    members: list[parts.ZipMember]
    by_name: dict[str, parts.ZipMember]
    sheets: list[parts.SheetEntry]
    marks: frozenset[str]  # casefolded names of the tabs relance marked as its own
    strings: parts.ZipMember | None  # the shared strings part


def _contains(f: BinaryIO, markers: Sequence[bytes]) -> bool:
    """Whether the rest of a file holds one of the byte strings, read 1 MiB at a time."""
    overlap = max(len(m) for m in markers) - 1
    tail = b""
    while block := f.read(1 << 20):
        data = tail + block
        if any(m in data for m in markers):
            return True
        tail = data[-overlap:]
    return False


def _backup_time(stamp: str) -> dt.datetime | None:
    """When a backup was taken, from its name (…20261123T091500123456.xlsx); mtimes are copied."""
    try:
        return dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S%f")
    except ValueError:
        return None


def _fingerprint(crc: int, size: int, packed: int) -> str:
    return f"{crc:08x}.{size}.{packed}"


def _as_read(value: CellValue) -> CellValue:
    kind = type(value)
    if kind is str:
        assert isinstance(value, str)
        text = parts.clean_text(value)
        return text if len(text) <= parts.MAX_CELL_CHARS else text[: parts.MAX_CELL_CHARS - 1] + "…"
    if value is None:
        return ""
    if kind is bool or isinstance(value, dt.date | dt.time):
        return value
    if isinstance(value, int | float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else str(value)
    return parts.clean_text(str(value))


#: A read of more cells than this hands the memory calamine freed back to the system (below, the
#: few MB are not worth the walk through the heap).
_TRIM_AFTER_CELLS = 2_000_000


def _give_back_freed_memory() -> None:
    """Return to the system the heap pages calamine's copies of the tabs held: glibc keeps freed
    small blocks for later (10 MB after a 100,000-invoice read), and what comes next in a run is
    Python objects, which live elsewhere. Nothing where the C library has no malloc_trim."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # only here: most reads are small

    with suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


#: A tab's XML past this is inflated by a thread of its own while the check scans it (zlib lets
#: go of the GIL): the check of a million-invoice Factures takes its scan's time, not the sum.
#: Not for smaller tabs: their checks run two at a time already, and each such thread's heap
#: keeps the chunks it inflated (+15-20 MiB at the peak of a 100,000-invoice read).
_INFLATE_BESIDE = 100_000_000


def _cells(rows: list[list[CellValue]]) -> int:
    return len(rows) * max((len(r) for r in rows[:1]), default=0)


#: The worksheet XML (inflated bytes) calamine may hold at once, parsed or waiting for its rows to
#: be made: two tabs are parsed side by side only within it. Calamine's copy of a tab is a few
#: times its XML (a million-invoice Factures: 400 MB of XML, 900 MB while parsed), so a big book is
#: read one tab at a time; a 100,000-invoice book (80 MB for its three big tabs) two at a time.
PARALLEL_XML = 256_000_000
#: A book past PARALLEL_XML is parsed by one thread (one C heap, whose memory each tab's copy
#: gives back to the next), its tabs' checks made ahead by another; the next tab may be parsed
#: while the rows of the one before are made when the XML of both stays within this. 0: never,
#: one tab's copy at a time. At 600 MB a million-invoice book's Clients (174 MB XML) is parsed
#: while the rows of its Factures (400 MB) are made, and its Reglements while those of Clients
#: are (1.5 s sooner measured in session 21). The read's peak may then be that moment's (1,584
#: MiB measured then; 1,457 against 1,445 in session 22), but a run's peak is later, in its plan
#: (2,259-2,268 MiB either way): the read's is not what a run needs.
PAIRED_XML = 600_000_000


class _Turns:
    """Who parses next, for _read_sheets' two threads: the tabs in their order, at most two at
    once (one workbook each: a workbook parses one tab at a time); a tab goes in alone, or beside
    the tabs parsed whose rows are not made yet while their XML with its own (and, for the second
    workbook, the shared strings it loads again) stays within the budget. In order, so that the
    oldest tab never waits for a later one: the reading thread makes the rows in that order and
    gives back each tab's share (`converted`), which lets the next one in."""

    def __init__(self, budget: int, strings: int, workbooks: int = 2) -> None:
        self._ready = threading.Condition()
        self._budget, self._strings = budget, strings
        self._turn = 0
        self._held = 0  # XML parsed or being parsed whose rows are not made yet
        self._tabs = 0  # how many tabs that is
        self._free = list(range(workbooks))  # the workbooks no thread is parsing with
        self._closed = False

    def _room(self, size: int) -> bool:
        if not self._free:
            return False
        extra = self._strings if self._free[0] == 1 else 0  # the second workbook loads them again
        return self._tabs == 0 or self._held + size + extra <= self._budget

    def enter(self, k: int, size: int) -> int | None:
        """Wait for tab k's turn and room; the workbook to parse it with (None: the read stopped)."""
        with self._ready:
            self._ready.wait_for(lambda: self._closed or (self._turn == k and self._room(size)))
            if self._closed:
                return None
            self._turn += 1
            self._held += size
            self._tabs += 1
            self._ready.notify_all()  # the next tab's turn: it may go in beside this one
            return self._free.pop(0)

    def skip(self, k: int) -> None:
        """Tab k is not parsed (its check failed or asks for an exact parse): the next one's turn."""
        with self._ready:
            self._ready.wait_for(lambda: self._closed or self._turn == k)
            self._turn = max(self._turn, k + 1)
            self._ready.notify_all()

    def parsed(self, slot: int) -> None:
        with self._ready:
            self._free = sorted([*self._free, slot])
            self._ready.notify_all()

    def converted(self, size: int) -> None:
        with self._ready:
            self._held -= size
            self._tabs -= 1
            self._ready.notify_all()

    def close(self) -> None:
        """The read is over (done or failed): no thread waits any longer."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()


class XlsxBackend:
    """A workbook stored in a local .xlsx (or .xlsm) file."""

    def __init__(self, path: Path | str) -> None:
        self.given = Path(path)
        # Everything happens beside the file itself: a symbolic link is followed once, here, so
        # that the lock, the temporary file, the backups and the atomic rename are where the
        # workbook really is (renaming over the link would replace the link, not the workbook).
        self.path = Path(os.path.realpath(self.given))
        self.location = str(self.given)
        self._read_stamp: Stamp | None = None
        self._prints: dict[str, str] = {}

    # ---------------------------------------------------------------- checks and refusals

    @property
    def run_lock_path(self) -> Path:
        return self.path.parent / f".~relance.{self.path.name}.lock"

    def office_lock_files(self) -> list[Path]:
        """The owner/lock files Excel (~$name) and LibreOffice (.~lock.name#) keep beside an
        open workbook: saving under them would lose the user's edits or be lost at their save."""
        found: list[Path] = []
        for path in dict.fromkeys((self.path, self.given)):  # opened through the link, or not
            folder, name = path.parent, path.name
            found += [p for p in (folder / f"~${name}", folder / f".~lock.{name}#") if p.exists()]
        return found

    def _refuse_if_open(self) -> None:
        locks = self.office_lock_files()
        if locks:
            raise WorkbookLocked(
                console.OPEN_IN_OFFICE(name=self.path.name, lock=locks[0].name),
                console.OPEN_IN_OFFICE_FIX(lock=locks[0]),
            )

    def _check_file(self) -> None:
        """Refuse, with a reason and a fix, anything that is not a readable .xlsx package."""
        path, name = self.path, self.path.name
        try:
            st = path.stat()
        except FileNotFoundError:
            raise WorkbookError(console.BOOK_MISSING(path=path), console.BOOK_MISSING_FIX(path=path)) from None
        except OSError as exc:
            raise WorkbookError(console.BOOK_UNOPENABLE(path=path, cause=exc.strerror or exc),
                                console.BOOK_UNOPENABLE_FIX()) from None
        if stat.S_ISDIR(st.st_mode):
            raise WorkbookError(console.BOOK_IS_FOLDER(path=path), console.BOOK_IS_FOLDER_FIX())
        if not stat.S_ISREG(st.st_mode):
            raise WorkbookError(console.BOOK_NOT_REGULAR(path=path), console.BOOK_NOT_REGULAR_FIX())
        try:
            with open(path, "rb") as f:
                head = f.read(8)
                if head == _CFB_MAGIC:
                    if _contains(f, _ENCRYPTED_MARKERS):
                        raise WorkbookError(console.BOOK_PASSWORD(name=name), console.BOOK_PASSWORD_FIX())
                    raise WorkbookError(console.BOOK_XLS(name=name), console.BOOK_XLS_FIX())
                if not head.startswith(b"PK"):
                    raise self._not_xlsx()
                self._check_package(f)
        except PermissionError:
            raise WorkbookError(console.BOOK_PERMISSION(name=name), console.BOOK_PERMISSION_FIX()) from None
        except OSError as exc:
            raise WorkbookError(console.BOOK_UNREADABLE(name=name, cause=exc.strerror or exc),
                                console.CHECK_FILE_AND_DISK()) from None

    def _not_xlsx(self, detail: Said | str = "") -> WorkbookError:
        return WorkbookError(console.NOT_XLSX(name=self.path.name, detail=detail), console.NOT_XLSX_FIX())

    def _check_package(self, f: BinaryIO) -> None:
        try:
            with zipfile.ZipFile(f) as zf:
                names = {n.casefold(): n for n in zf.namelist()}
                rels_name = names.get("_rels/.rels")
                package_rels = None
                if rels_name:
                    info = zf.getinfo(rels_name)
                    parts.check_declared(info, parts.MAX_OTHER_PART, console.LABEL_PART(part=rels_name))
                    package_rels = zf.read(info)
                main = parts.main_part(package_rels)
                if main.casefold() not in names:
                    if "xl/workbook.bin" in names:
                        raise self._not_xlsx(console.NOT_XLSX_XLSB())
                    if "content.xml" in names:
                        raise self._not_xlsx(console.NOT_XLSX_ODS())
                    raise self._not_xlsx(console.NOT_XLSX_NO_PART())
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, KeyError):
            raise self._not_xlsx() from None
        except parts.PackageError as exc:
            raise WorkbookError(console.IN_BOOK(name=self.path.name, problem=exc.said), exc.fix) from None

    def _check_writable(self) -> None:
        folder = self.path.parent
        if not os.access(folder, os.W_OK | os.X_OK):
            raise WorkbookError(console.FOLDER_READ_ONLY(folder=folder), console.FOLDER_READ_ONLY_FIX())
        if not os.access(self.path, os.W_OK):
            raise WorkbookError(console.BOOK_READ_ONLY(name=self.path.name), console.BOOK_READ_ONLY_FIX())

    def _stamp(self) -> Stamp | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    # ---------------------------------------------------------------- read

    def read(self, wanted: Callable[[str], bool] | None = None) -> list[RawSheet]:
        """The workbook's tabs in order, each with its `owned` mark; the cells of the tabs
        `wanted` accepts (all when None): rows[i][j] is the cell at row i+1, column j+1.

        Only the parts these tabs need are inflated, each checked first (xlsx_parts.inflate,
        SheetScan): a part past its bound or its declared size, or a tab whose used range holds
        more than MAX_TAB_CELLS cells, is refused with a WorkbookError naming it and the fix,
        before calamine builds anything. A tab whose range is that large only because of blank
        cells beyond the data (a stray formatted cell at XFD1048576) is read without them.
        """
        self._check_file()
        stamp = self._stamp()  # before reading: a change during the read shows up later
        name = self.path.name
        try:
            with open(self.path, "rb") as f:
                layout = self._layout(f)
            self._remember_prints(layout)
            needed = [
                (i, s) for i, s in enumerate(layout.sheets)
                if s.is_worksheet and s.part and (wanted is None or wanted(s.name))
            ]
            rows = self._read_sheets(layout, needed)
        except parts.PackageError as exc:
            raise WorkbookError(console.IN_BOOK(name=name, problem=exc.said), exc.fix) from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
            raise self._not_xlsx() from None
        except WorkbookError:
            raise
        except OSError as exc:
            raise WorkbookError(console.BOOK_UNREADABLE(name=name, cause=exc.strerror or exc),
                                console.CHECK_FILE_AND_DISK()) from None
        except Exception as exc:  # calamine's errors have no common base worth naming
            raise WorkbookError(console.BOOK_UNREADABLE(name=name, cause=exc), _RESAVE_HINT) from None
        self._read_stamp = stamp
        # SheetRows: the engine lets the big tabs' cells go once their records are built
        return [
            RawSheet(s.name, SheetRows(rows.pop(i, [])), owned=s.name.casefold() in layout.marks)
            for i, s in enumerate(layout.sheets)
        ]

    def _layout(self, f: BinaryIO) -> _Layout:
        """The package's members and tabs, relance's marks, and every part calamine inflates when
        it opens the workbook checked within its bound."""
        members, _ = parts.read_members(f)
        by_name: dict[str, parts.ZipMember] = {}
        twice: set[str] = set()
        for m in members:
            key = m.name.casefold()
            if key in by_name:
                twice.add(key)
            by_name[key] = m

        def member(part: str) -> parts.ZipMember | None:
            key = part.casefold()
            if key in twice:  # which one would a reader take? Checking one would prove nothing
                raise parts.PackageError(console.TWO_PARTS(part=part), _RESAVE_HINT)
            return by_name.get(key)

        def small(part: str, label: str = "") -> bytes | None:
            found = member(part)
            if found is None:
                return None
            return b"".join(parts.inflate(f, found, parts.MAX_OTHER_PART, label))

        wb_part = parts.main_part(small("_rels/.rels"))
        wb_xml = small(wb_part)
        if wb_xml is None:
            raise parts.PackageError(console.PART_MISSING(part=wb_part), _RESAVE_HINT)
        rels_part = parts.rels_path(wb_part)
        rels = parts.parse_relationships(small(rels_part) or b"<Relationships/>", rels_part)
        sheets = parts.parse_sheets(wb_xml, rels, wb_part)
        for sheet in sheets:
            if sheet.part:
                member(sheet.part)
        marks = frozenset(n.casefold() for n in parts.owned_marks(wb_xml, wb_part))
        # What calamine inflates when it opens the workbook, besides workbook.xml and its rels:
        # the shared strings and the styles (found by relationship, and where Excel puts them).
        folder = _part_folder(wb_part).rstrip("/")
        strings_parts = {"xl/sharedstrings.xml"}
        other = {"[content_types].xml", "xl/styles.xml"}
        for rel in rels:
            if not rel.external and rel.type.endswith(("/sharedStrings", "/styles")):
                target = parts.resolve_target(folder, rel.target)
                (strings_parts if rel.type.endswith("/sharedStrings") else other).add(target.casefold())
        strings = None
        for part in sorted(strings_parts):
            found = member(part)
            if found is not None:
                strings = found
                for _ in parts.inflate(f, found, parts.MAX_OTHER_PART,
                                       console.LABEL_STRINGS(part=found.name)):
                    pass
        for part in sorted(other):
            if member(part) is not None:
                small(part)
        return _Layout(members, by_name, sheets, marks, strings)

    def _read_sheets(
        self, layout: _Layout, needed: Sequence[tuple[int, parts.SheetEntry]]
    ) -> dict[int, list[list[CellValue]]]:
        """The rows of the needed tabs, by position; each tab's XML is checked before calamine
        builds it.

        Two threads check and parse the tabs in their order (calamine parses without the GIL, one
        tab at a time per workbook: each thread opens its own), so that a small book's two big tabs
        are parsed side by side, when all the tabs' XML together stays within PARALLEL_XML (see
        _Turns); a big book's tabs are checked ahead by one thread and parsed by another, the next
        tab while the rows of the one before are made when both stay within PAIRED_XML. The rows
        are made here (that holds the GIL), each tab's as soon as calamine has it, then calamine's
        copy is dropped; refusals are told in tab order. calamine parses a headed copy of the
        package (_headed_copy), in a temporary folder removed after the read."""
        rows: dict[int, list[list[CellValue]]] = {}
        if not needed:
            return rows
        members = [layout.by_name.get((s.part or "").casefold()) for _, s in needed]
        with ExitStack() as stack:
            # the copy is made while the first tabs are checked (its folder goes with `stack`)
            copying = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relance-xlsx-copy")
            try:
                source = copying.submit(self._headed_copy, layout, [m for m in members if m is not None], stack)
                rows = self._parse_sheets(layout, needed, members, source)
            finally:
                copying.shutdown(wait=True)
        return rows

    def _headed_copy(self, layout: _Layout, members: Sequence[parts.ZipMember], stack: ExitStack) -> Path:
        """The package calamine parses: a copy (in a temporary folder `stack` removes) of the
        members it may read, each of the needed tabs' parts headed by an empty <mergeCells/>
        (xlsx_parts.MERGE_CELLS_FIRST: calamine then parses each tab once, not twice), the user's
        other tabs left out; the workbook itself when no part can be headed or the copy cannot
        be made (no temporary folder, a full disk)."""
        needed = {m.name.casefold() for m in members}
        worksheets = {(s.part or "").casefold() for s in layout.sheets if s.is_worksheet} - needed
        try:
            with open(self.path, "rb") as src:
                headed = {m.name.casefold() for m in members if parts.may_head(src, m)}
                if not headed:
                    return self.path
                folder = stack.enter_context(
                    tempfile.TemporaryDirectory(prefix="relance-read-", ignore_cleanup_errors=True))
                copy = Path(folder) / f"headed{self.path.suffix}"
                with open(copy, "wb") as out:
                    writer = parts.RawZipWriter(out)
                    for member in layout.members:
                        key = member.name.casefold()
                        if key in headed:
                            parts.copy_headed(writer, src, member, parts.MERGE_CELLS_FIRST)
                        elif key not in worksheets:
                            writer.copy(src, member)
                    writer.close()
        except Exception:  # (OSError, PackageError...) the workbook read as it is, at calamine's usual pace
            return self.path
        return copy

    def _parse_sheets(
        self, layout: _Layout, needed: Sequence[tuple[int, parts.SheetEntry]],
        members: Sequence[parts.ZipMember | None], source: Future[Path],
    ) -> dict[int, list[list[CellValue]]]:
        """_read_sheets' work, calamine parsing `source` (the workbook or its headed copy, once made)."""
        rows: dict[int, list[list[CellValue]]] = {}
        sizes = [m.info.file_size if m is not None else 0 for m in members]
        strings = layout.strings.info.file_size if layout.strings is not None else 0
        # A small book: two threads check and parse, two tabs at once within PARALLEL_XML. A big
        # one: one thread parses (calamine's memory then comes back to one C heap, tab after tab:
        # glibc gives each thread a heap of its own, and memory one thread freed does not serve
        # another's next tab), another checks the tabs ahead of it.
        big = sum(sizes) + strings > PARALLEL_XML
        turns = _Turns(PAIRED_XML, 0, workbooks=1) if big else _Turns(PARALLEL_XML, strings)
        checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relance-xlsx-check") if big else None
        checks = [checker.submit(self._check_sheet, m, s.name) if checker is not None and m is not None else None
                  for (_, s), m in zip(needed, members, strict=True)]
        if checker is not None:  # the checks' buffers, freed in that thread's heap, back to the system
            checker.submit(_give_back_freed_memory)
        books: list[CalamineWorkbook | None] = [None, None]
        trimmed: dict[int, tuple[parts.ZipMember, parts.Extent]] = {}
        total = 0

        def job(k: int) -> tuple[parts.Extent | None, Any]:
            """Tab k checked, then (unless the check says only an exact parse can tell) parsed."""
            member, name = members[k], needed[k][1].name
            entered = False
            try:
                check = checks[k]
                if check is not None:
                    extent = check.result()
                else:
                    extent = self._check_sheet(member, name) if member is not None else parts.Extent(0, 0)
                if member is not None and (extent is None or extent.cells > parts.MAX_TAB_CELLS):
                    return extent, None
                slot = turns.enter(k, sizes[k])
                entered = True
                if slot is None:  # the read stopped meanwhile
                    return extent, None
                try:
                    return extent, self._parse(books, slot, source.result(), name)
                finally:
                    turns.parsed(slot)
            finally:
                if not entered:
                    turns.skip(k)

        pool = ThreadPoolExecutor(max_workers=1 if big else 2, thread_name_prefix="relance-xlsx-read")
        try:
            futures = {pool.submit(job, k): k for k in range(len(needed))}
            # Each tab's rows are made as soon as calamine has it, whichever comes first (a small
            # tab while a big one is parsed); what the read says and refuses goes in tab order:
            # the first tab refused, the first total past the budget, as one tab after the other.
            outcome: dict[int, BaseException | None] = {}  # None: made (or to read trimmed)
            cells: dict[int, int] = {}
            ready = 0  # the tabs before this one are accounted for, in order
            while ready < len(needed):
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                while done:
                    future = done.pop()  # the future holds calamine's copy: let it go with it
                    k = futures.pop(future)
                    try:
                        extent, found = future.result()
                    except BaseException as exc:  # told in its turn
                        outcome[k] = exc
                        continue
                    outcome[k] = None
                    del future
                    if found is not None:
                        rows[needed[k][0]] = self._sheet_rows(found)
                        del found  # calamine's copy of the tab goes before the next one is parsed
                        turns.converted(sizes[k])
                        cells[k] = _cells(rows[needed[k][0]])
                        if big and cells[k] > _TRIM_AFTER_CELLS:  # its heap pages, for what comes next
                            _give_back_freed_memory()
                while ready < len(needed) and ready in outcome:
                    failed, (i, sheet), member = outcome.pop(ready), needed[ready], members[ready]
                    if failed is not None:
                        raise failed
                    if ready not in cells:
                        assert member is not None
                        trimmed[i] = (member, self._exact_extent(layout, member, sheet.name))
                    total += cells.pop(ready, 0)
                    if total > parts.MAX_BOOK_CELLS:
                        raise self._too_many(total)
                    ready += 1
        finally:
            turns.close()
            if checker is not None:
                checker.shutdown(wait=False, cancel_futures=True)
            pool.shutdown(wait=True, cancel_futures=True)
            if checker is not None:
                checker.shutdown(wait=True)
            for book in books:
                if book is not None:
                    book.close()
        if trimmed:
            rows.update(self._read_trimmed(layout, needed, trimmed))
            total += sum(_cells(rows[i]) for i in trimmed)
            if total > parts.MAX_BOOK_CELLS:
                raise self._too_many(total)
        if total > _TRIM_AFTER_CELLS:
            _give_back_freed_memory()
        return rows

    def _parse(self, books: list[CalamineWorkbook | None], slot: int, source: Path, name: str) -> Any:
        """Tab `name` parsed by calamine (without the GIL) with workbook `slot`, opened on
        `source` if need be. Should the headed copy fail where the workbook may not, the
        workbook itself is parsed: whatever calamine says of it is what the user is told."""
        try:
            book = books[slot]
            if book is None:
                book = books[slot] = CalamineWorkbook.from_path(str(source))
            return book.get_sheet_by_name(name)
        except Exception:
            if source == self.path:
                raise
        book = CalamineWorkbook.from_path(str(self.path))
        try:
            return book.get_sheet_by_name(name)
        finally:
            book.close()

    def _tab_label(self, sheet: str, member: parts.ZipMember) -> Said:
        return console.LABEL_TAB(tab=sheet, part=member.name)

    def _check_sheet(self, member: parts.ZipMember, sheet: str) -> parts.Extent | None:
        """The used range of a tab, from its XML by regex (xlsx_parts.SheetScan); None when only
        an exact parse can tell."""
        label = self._tab_label(sheet, member)
        extent = None
        with open(self.path, "rb") as f:
            for precise in (False, True):  # the fast scan, then, if it cannot vouch for a range, the exact one
                scan = parts.SheetScan(precise=precise)
                chunks = parts.inflate(f, member, parts.MAX_SHEET_PART, label, _TRIM_HINT)
                if member.info.file_size > _INFLATE_BESIDE:  # inflated by a thread while scanned
                    chunks = parts.in_background(chunks, depth=2)
                for chunk in chunks:
                    scan.feed(chunk)
                extent = scan.extent()
                if extent is not None and extent.cells <= parts.MAX_TAB_CELLS:
                    break
        return extent

    def _exact_extent(self, layout: _Layout, member: parts.ZipMember, sheet: str) -> parts.Extent:
        """The range up to the last cell holding something, parsed exactly; refused past the budget."""
        label = self._tab_label(sheet, member)
        strings: list[bytearray] = []

        def blank_strings() -> bytearray:
            if not strings:
                found = bytearray()
                if layout.strings is not None:
                    with open(self.path, "rb") as g:
                        found = parts.blank_shared_strings(parts.inflate(g, layout.strings, parts.MAX_OTHER_PART))
                strings.append(found)
            return strings[0]

        with open(self.path, "rb") as f:
            extent = parts.exact_extent(parts.inflate(f, member, parts.MAX_SHEET_PART, label, _TRIM_HINT),
                                        label, blank_strings)
        if extent.cells > parts.MAX_TAB_CELLS:
            phrase = console.TAB_TOO_LARGE if " and " in extent.far else console.TAB_TOO_LARGE_ONE
            raise WorkbookError(phrase(name=self.path.name, tab=sheet, far=extent.far, rows=f"{extent.rows:,}",
                                       cols=f"{extent.cols:,}", limit=f"{parts.MAX_TAB_CELLS:,}"), _TRIM_HINT)
        return extent

    def _too_many(self, total: int) -> WorkbookError:
        return WorkbookError(
            console.BOOK_TOO_LARGE(name=self.path.name, total=f"{total:,}", limit=f"{parts.MAX_BOOK_CELLS:,}"),
            console.BOOK_TOO_LARGE_FIX())

    def _read_trimmed(
        self, layout: _Layout, needed: Sequence[tuple[int, parts.SheetEntry]],
        trimmed: dict[int, tuple[parts.ZipMember, parts.Extent]],
    ) -> dict[int, list[list[CellValue]]]:
        """Read the tabs whose far blank cells are left out, from a copy of the package (in the
        temporary folder) whose only difference is those tabs' parts, cut to their extent."""
        replaced = {member.name.casefold(): (member, extent, i) for i, (member, extent) in trimmed.items()}
        names = {i: s.name for i, s in needed}
        rows: dict[int, list[list[CellValue]]] = {}
        with tempfile.TemporaryDirectory(prefix="relance-read-") as folder:
            copy = Path(folder) / f"trimmed{self.path.suffix}"
            with open(self.path, "rb") as src, open(copy, "wb") as out:
                writer = parts.RawZipWriter(out)
                for member in layout.members:
                    key = member.name.casefold()
                    if key in replaced:
                        _, extent, i = replaced[key]
                        label = self._tab_label(names[i], member)
                        with open(self.path, "rb") as g:
                            chunks = parts.inflate(g, member, parts.MAX_SHEET_PART, label, _TRIM_HINT)
                            writer.add(member.name, parts.trimmed_sheet(chunks, label, extent), level=1)
                    else:
                        writer.copy(src, member)
                writer.close()
            book = CalamineWorkbook.from_path(str(copy))
            try:
                for i in trimmed:
                    rows[i] = self._sheet_rows(book.get_sheet_by_name(names[i]))
            finally:
                book.close()
        return rows

    @staticmethod
    def _sheet_rows(sheet: Any) -> list[list[CellValue]]:
        rows: list[list[CellValue]] = sheet.to_python(skip_empty_area=False)
        # skip_empty_area=False makes calamine start at A1; should a version ever start at the
        # first used cell instead, pad so that row and column numbers stay right.
        start = sheet.start
        if not rows or not start:
            return rows
        row0, col0 = start
        if col0 and len(rows[0]) == sheet.width:
            pad: list[CellValue] = [""] * col0
            rows = [pad + list(r) for r in rows]
        if row0 and len(rows) == sheet.height:
            blank: list[CellValue] = [""] * len(rows[0])
            rows = [list(blank) for _ in range(row0)] + rows
        return rows

    def _remember_prints(self, layout: _Layout) -> None:
        """Each worksheet's fingerprint as this read finds it (see `fingerprints`)."""
        self._prints = {}
        for sheet in layout.sheets:
            member = layout.by_name.get((sheet.part or "").casefold()) if sheet.is_worksheet else None
            if member is not None:
                self._prints[sheet.name.casefold()] = _fingerprint(member.info.CRC, member.info.file_size,
                                                                   member.info.compress_size)

    def fingerprints(self) -> Mapping[str, str]:
        """For each worksheet as the last read found it, the CRC-32 and sizes of its part, from the
        zip directory (nothing is inflated): any change to a tab's cells changes them, whoever saved
        it (workbook/port.IndexesHistory; engine/history_index.py)."""
        return dict(self._prints)

    def as_read(self, rows: Sequence[Sequence[CellValue]]) -> list[Sequence[CellValue]]:
        """The cells a read of a tab written with these rows returns (calamine): numbers as floats,
        blank cells as "", text without the characters XML cannot carry; dates stay dates."""
        return [[_as_read(v) for v in row] for row in rows]

    def changed_since_read(self) -> bool:
        """Whether the file differs (mtime, size) from what the last read() saw."""
        return self._read_stamp is None or self._stamp() != self._read_stamp

    # ---------------------------------------------------------------- write

    def write(self, tabs: Sequence[OwnedTab]) -> None:
        """Replace (or append) the given tabs; every other part of the file stays identical."""
        tabs = list(tabs)
        if not tabs:
            return
        seen: set[str] = set()
        for tab in tabs:
            try:
                parts.validate_owned_tab(tab)
                charts.validate_charts(tab)
            except parts.PackageError as exc:
                raise WorkbookError(exc.said, exc.fix) from None
            if tab.name.casefold() in seen:
                raise WorkbookError(console.TAB_WRITTEN_TWICE(tab=repr(tab.name)), console.REPORT_BUG())
            seen.add(tab.name.casefold())
        self._check_file()
        self._refuse_if_open()
        self._check_writable()
        name = self.path.name
        try:
            for _attempt in range(3):
                before = self._stamp()
                tmp = self._build(tabs)
                try:
                    if self._stamp() != before:
                        continue  # saved by someone else meanwhile: rebuild from their version
                    self._commit(tmp)
                finally:
                    tmp.unlink(missing_ok=True)
                if self._read_stamp is not None and self._read_stamp == before:
                    self._read_stamp = self._stamp()  # our own save is not a change to re-read
                break
            else:
                raise WorkbookError(console.BOOK_KEPT_CHANGING(name=name), console.BOOK_KEPT_CHANGING_FIX())
        except parts.PackageError as exc:
            raise WorkbookError(console.IN_BOOK(name=name, problem=exc.said), exc.fix) from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
            raise self._not_xlsx() from None
        except OSError as exc:
            raise WorkbookError(console.BOOK_NOT_SAVED(name=name, cause=exc.strerror or exc),
                                console.BOOK_NOT_SAVED_FIX()) from None
        self._prune_backups()

    def _build(self, tabs: Sequence[OwnedTab]) -> Path:
        """Write the new package to a temporary file beside the workbook, fsynced."""
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".~relance-tmp.{self.path.stem}.", suffix=self.path.suffix, dir=self.path.parent
        )
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, open(self.path, "rb") as src:
                _assemble(src, out, tabs)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp

    def _commit(self, tmp: Path) -> None:
        """Back up the current file, then atomically put the new one in its place."""
        st = self.path.stat()
        backup = self._backup(link=True)
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        if hasattr(os, "chown") and hasattr(os, "geteuid") and os.geteuid() == 0:
            with suppress(OSError):  # root saving a user's workbook must leave it theirs
                os.chown(tmp, st.st_uid, st.st_gid)
        try:
            os.replace(tmp, self.path)
        except PermissionError as exc:
            with suppress(OSError):  # a link to the file left in place would change with it: no backup
                if backup.parent == self.backup_dir and os.path.samefile(backup, self.path):
                    backup.unlink()
            raise WorkbookLocked(
                f"{self.path.name} could not be replaced: {exc.strerror or exc}",
                "close it in Excel or any other program that has it open and run again",
            ) from None
        fsync_dir(self.path.parent)

    @property
    def backup_dir(self) -> Path:
        return self.path.parent / BACKUP_DIR

    def _backup(self, link: bool = False) -> Path:
        """The workbook as it is now, kept in the backup folder. `link`: the file is about to be
        replaced by a rename, never changed in place, so a hard link keeps its very bytes without
        copying them (a million-invoice book is 110 MB, copied at every save); a copy where the
        file system has no hard links."""
        folder = self.backup_dir
        folder.mkdir(exist_ok=True)
        moment = dt.datetime.now()
        while True:
            target = folder / f"{self.path.stem}.{moment:%Y%m%dT%H%M%S%f}{self.path.suffix}"
            if not target.exists():
                break
            moment += dt.timedelta(microseconds=1)
        if link:
            try:
                os.link(self.path, target)
                return target
            except OSError:  # no hard links here (FAT, some network shares): copied
                pass
        shutil.copy2(self.path, target)
        return target

    def backup(self) -> Path:
        """A copy of the workbook as it is now, kept with the others (call it under the run lock)."""
        found = self._backup()
        self._prune_backups()
        return found

    def _remove_leftovers(self) -> None:
        """Temporary files of a save that a crash cut short: every save happens under the run lock,
        so whatever is found once the lock is held belongs to a writer that is gone."""
        pattern = f".~relance-tmp.{glob.escape(self.path.stem)}.*{glob.escape(self.path.suffix)}"
        for leftover in self.path.parent.glob(pattern):
            with suppress(OSError):
                leftover.unlink()

    def backups(self) -> list[Path]:
        """This workbook's backups, oldest first."""
        pattern = re.compile(
            re.escape(self.path.stem) + r"\.\d{8}T\d{12}" + re.escape(self.path.suffix) + "$"
        )
        try:
            entries = list(self.backup_dir.iterdir())
        except OSError:
            return []
        return sorted(p for p in entries if pattern.fullmatch(p.name))

    def _prune_backups(self, now: dt.datetime | None = None) -> None:
        """Keep every backup of the last KEEP_DAYS days, and at least the newest KEEP_BACKUPS."""
        cutoff = (now or dt.datetime.now()) - dt.timedelta(days=KEEP_DAYS)
        for old in self.backups()[:-KEEP_BACKUPS]:
            taken = _backup_time(old.name[len(self.path.stem) + 1:].split(".", 1)[0])
            if taken is not None and taken >= cutoff:
                continue
            with suppress(OSError):  # a backup we cannot delete is only disk space
                old.unlink()

    # ---------------------------------------------------------------- run lock

    @property
    def run_holder_path(self) -> Path:
        """Who holds the run lock (pid, host, start), for the message of a run that must wait."""
        return self.path.parent / f".~relance.{self.path.name}.holder"

    @contextmanager
    def run_lock(self) -> Iterator[None]:
        """Hold `.~relance.<name>.lock` for the duration of a run (see DESIGN §4).

        A kernel file lock (filelock: flock on POSIX, LockFileEx on Windows): the kernel releases
        it when the process ends, however it ends, so a crashed run never leaves a stale lock.
        The lock file itself stays in place between runs (removing it would let two runs lock
        two different files).
        """
        self._refuse_if_open()
        lock = FileLock(self.run_lock_path, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise WorkbookLocked(
                console.RUN_LOCKED(name=self.path.name, holder=self._holder()),
                console.RUN_LOCKED_FIX(lock=self.run_lock_path),
            ) from None
        except OSError as exc:
            raise WorkbookError(console.RUN_LOCK_UNCREATABLE(lock=self.run_lock_path, cause=exc.strerror or exc),
                                console.RUN_LOCK_UNCREATABLE_FIX()) from None
        try:
            self._remove_leftovers()
            with suppress(OSError):  # only the message of a waiting run needs it
                self.run_holder_path.write_text(json.dumps({
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                }), encoding="utf-8")
            yield
        finally:
            with suppress(OSError):
                self.run_holder_path.unlink(missing_ok=True)
            lock.release()

    def _holder(self) -> Said | str:
        """': process 123 (started …)' when the holder said who it is, else ''."""
        try:
            info = json.loads(self.run_holder_path.read_text("utf-8"))
            return console.RUN_HOLDER(pid=int(info["pid"]), host=info["host"], started=Moment(str(info["started"])))
        except (OSError, ValueError, KeyError, TypeError):
            return ""


def _assemble(src: BinaryIO, out: BinaryIO, tabs: Sequence[OwnedTab]) -> None:
    """Copy the package from `src` to `out`, replacing or adding the owned tabs' worksheets."""
    members, comment = parts.read_members(src)
    by_name = {m.name.casefold(): m for m in members}

    def content(part: str) -> bytes | None:
        member = by_name.get(part.casefold())
        return parts.read_member(src, member) if member else None

    def text(part: str) -> str:
        data = content(part)
        if data is None:
            raise parts.PackageError(console.PART_MISSING(part=part), _RESAVE_HINT)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise parts.PackageError(console.PART_NOT_UTF8(part=part), _RESAVE_HINT) from None

    wb_part = parts.main_part(content("_rels/.rels"))
    wb_rels_part = parts.rels_path(wb_part)
    types_part = "[Content_Types].xml"
    wb_xml, wb_rels, types_xml = text(wb_part), text(wb_rels_part), text(types_part)
    rels = parts.parse_relationships(wb_rels.encode("utf-8"), wb_rels_part)
    sheets = parts.parse_sheets(wb_xml.encode("utf-8"), rels, wb_part)
    existing = {s.name.casefold(): s for s in sheets}
    folder = _part_folder(wb_part)

    replaced: dict[str, tuple[str, OwnedTab]] = {}  # member key -> (part name, tab)
    added: list[OwnedTab] = []
    for tab in tabs:
        sheet = existing.get(tab.name.casefold())
        if sheet is None:
            added.append(tab)
        elif not sheet.is_worksheet or sheet.part is None:
            raise parts.PackageError(console.NOT_A_WORKSHEET(tab=repr(sheet.name)),
                                     console.NOT_A_WORKSHEET_FIX(name=repr(tab.name)))
        else:
            replaced[sheet.part.casefold()] = (sheet.part, tab)

    drop = {parts.rels_path(part).casefold() for part, _ in replaced.values()}
    types_before = types_xml
    edited: dict[str, str] = {}
    # relance's marks (xlsx_parts.OWNED_MARK): the tabs written now, and the tabs marked before
    # that still exist; workbook.xml is edited only when that set changes.
    marked_before = parts.owned_marks(wb_xml.encode("utf-8"), wb_part)
    marked = {n.casefold() for n in marked_before} | {tab.name.casefold() for tab in tabs}
    keep = [n for n in [*(s.name for s in sheets), *(tab.name for tab in added)] if n.casefold() in marked]
    if sorted(n.casefold() for n in marked_before) != sorted(n.casefold() for n in keep):
        wb_xml = parts.with_owned_marks(wb_xml, keep)
        edited[wb_part.casefold()] = wb_xml
    # Their header row printed atop every page (xlsx_parts.PRINT_TITLES), kept as the marks are:
    # set when the tab is written, renumbered with its position, gone with the tab.
    order = [*(s.name for s in sheets), *(tab.name for tab in added)]
    headless = {tab.name.casefold() for tab in tabs if not tab.header}
    present = {n.casefold() for n in order}
    titled_xml = parts.with_print_titles(
        wb_xml, order, [n for n in keep if n.casefold() not in headless], keep,
        gone=[n for n in marked_before if n.casefold() not in present],
    )
    if titled_xml != wb_xml:
        wb_xml = edited[wb_part.casefold()] = titled_xml
    if added:
        taken = set(by_name) | {s.part.casefold() for s in sheets if s.part}
        sheet_id = max((s.sheet_id for s in sheets), default=0)
        rid_numbers = [int(m.group(1)) for r in rels if (m := re.fullmatch(r"rId(\d+)", r.rid))]
        rid_n = max(rid_numbers, default=0)
        rids = {r.rid for r in rels}
        n = len(sheets)
        new_sheets, new_rels, new_types = [], [], []
        for tab in added:
            sheet_id += 1
            rid_n += 1
            while f"rId{rid_n}" in rids:
                rid_n += 1
            n += 1
            while f"{folder}worksheets/sheet{n}.xml".casefold() in taken:
                n += 1
            part = f"{folder}worksheets/sheet{n}.xml"
            taken.add(part.casefold())
            new_sheets.append((tab.name, sheet_id, f"rId{rid_n}"))
            new_rels.append((f"rId{rid_n}", parts.REL_WORKSHEET, f"worksheets/sheet{n}.xml"))
            new_types.append(("/" + part, parts.CT_WORKSHEET))
            replaced[part.casefold()] = (part, tab)
        edited[wb_part.casefold()] = parts.add_sheets(
            wb_xml, new_sheets, hidden={t.name for t in added if isinstance(t, IndexTab)})
        wb_rels = edited[wb_rels_part.casefold()] = parts.add_relationships(wb_rels, new_rels)
        types_xml = parts.add_overrides(types_xml, new_types)

    if any(key in by_name for key in replaced):
        # The calculation chain lists formula cells by sheet; an owned sheet replaced without
        # its formulas would make Excel report the file as damaged. Excel rebuilds the chain.
        calc_parts = {f"{folder}calcChain.xml"}
        for rel in rels:
            if rel.type == parts.REL_CALC_CHAIN and not rel.external:
                calc_parts.add(parts.resolve_target(folder.rstrip("/"), rel.target))
                wb_rels = edited[wb_rels_part.casefold()] = parts.remove_relationship(
                    wb_rels, rel.rid
                )
        for part in calc_parts:
            if part.casefold() in by_name:
                drop.add(part.casefold())
                types_xml = parts.remove_override(types_xml, part)

    # What the replaced sheets' old relationships alone kept in the package (the drawing and
    # charts relance wrote for a tab last time) goes with them, so parts never accumulate.
    cut = {key for key in replaced if parts.rels_path(key) in by_name}
    dead = _orphaned(src, members, cut, {wb_rels_part.casefold(): wb_rels}) if cut else set()
    for key in dead:
        if key in by_name:
            name = by_name[key].name
            drop.update((key, parts.rels_path(key)))
            types_xml = parts.remove_override(types_xml, name)

    # The owned tabs' charts: a drawing, its charts and relationships, in free part names.
    generated: dict[str, tuple[str, bytes]] = {}
    drawing_rids: dict[str, str] = {}
    if any(tab.charts for _, tab in replaced.values()):
        taken = (set(by_name) - drop) | set(replaced)
        new_types = []
        for key, (part, tab) in replaced.items():
            if not tab.charts:
                continue
            plan = charts.chart_parts(tab, part, folder, taken)
            drawing_rids[key] = plan.drawing_rid
            sheet_rels = parts.rels_path(part)
            for name, data in [(sheet_rels, plan.sheet_rels), *plan.members]:
                generated[name.casefold()] = (name, data)
            new_types.extend(plan.overrides)
        for part_name, _ in new_types:  # a stale override of a name now reused
            types_xml = parts.remove_override(types_xml, part_name.lstrip("/"))
        types_xml = parts.add_overrides(types_xml, new_types)
        types_xml = parts.ensure_default(types_xml, "rels", charts.CT_RELATIONSHIPS)
    if types_xml != types_before:
        edited[types_part.casefold()] = types_xml

    tab_styles = _styles(content, rels, folder, replaced, edited)

    writer = parts.RawZipWriter(out)
    now = time.localtime()[:6]
    written: set[str] = set()
    prints: dict[str, str] = {}  # member key -> fingerprint of what this save wrote there
    late: list[tuple[str, str, IndexTab]] = []  # the History index: written last, stamped
    for member in members:
        key = member.name.casefold()
        if key in written:
            continue
        if key in generated:
            written.add(key)
            writer.add(
                member.name,
                [generated[key][1]],
                method=member.info.compress_type,
                date_time=now,
            )
            continue
        if key in drop:
            continue
        written.add(key)
        if key in replaced:
            _, tab = replaced[key]
            if isinstance(tab, IndexTab):
                late.append((key, member.name, tab))
                continue
            prints[key] = _fingerprint(*writer.add(
                member.name,
                parts.in_background(_sheet_chunks(tab, drawing_rids.get(key), tab_styles.get(key))),
                method=member.info.compress_type,
                level=parts.SHEET_COMPRESS_LEVEL,
                date_time=now,
            ))
        elif key in edited:
            writer.add(
                member.name,
                [edited[key].encode("utf-8")],
                method=member.info.compress_type,
                date_time=member.info.date_time,
            )
        else:
            writer.copy(src, member)
    for key, (part, tab) in replaced.items():
        if key not in written:  # new tabs, or a sheet whose part was missing
            written.add(key)
            if isinstance(tab, IndexTab):
                late.append((key, part, tab))
                continue
            prints[key] = _fingerprint(*writer.add(
                part,
                parts.in_background(_sheet_chunks(tab, drawing_rids.get(key), tab_styles.get(key))),
                level=parts.SHEET_COMPRESS_LEVEL,
                date_time=now,
            ))
    for key, (name, data) in generated.items():
        if key not in written:
            writer.add(name, [data], date_time=now)
    if late:
        # every tab's fingerprint as the next read will find it: written now, or copied as it was
        by_tab: dict[str, str] = {}
        parts_of = {s.name.casefold(): s.part.casefold() for s in sheets if s.part}
        parts_of.update({tab.name.casefold(): key for key, (_, tab) in replaced.items()})
        for name, key in parts_of.items():
            if key in prints:
                by_tab[name] = prints[key]
            elif key in by_name:
                info = by_name[key].info
                by_tab[name] = _fingerprint(info.CRC, info.file_size, info.compress_size)
        for key, part, index in late:
            method = by_name[key].info.compress_type if key in by_name else zipfile.ZIP_DEFLATED
            writer.add(part, _sheet_chunks(index.stamped(by_tab), None, None), method=method,
                       level=parts.SHEET_COMPRESS_LEVEL, date_time=now)
    writer.close(comment)


def _sheet_chunks(tab: OwnedTab, drawing_rid: str | None, styles: TabStyles | None = None) -> Iterator[bytes]:
    if styles is not None:
        return parts.worksheet_chunks(tab, drawing_rid=drawing_rid, styles=styles)
    if drawing_rid is None:
        return parts.worksheet_chunks(tab)
    return parts.worksheet_chunks(tab, drawing_rid=drawing_rid)


def _styles(
    content: Callable[[str], bytes | None], rels: Sequence[parts.Relationship], folder: str,
    replaced: Mapping[str, tuple[str, OwnedTab]], edited: dict[str, str],
) -> dict[str, TabStyles]:
    """The styles the owned tabs use, appended to the package's styles part when missing there
    (xlsx_styles.py); by worksheet part. Empty when the package has no styles part relance can
    extend: the tabs are then written without formats."""
    wanted: set[xlsx_styles.CellStyle] = set()
    for _, tab in replaced.values():
        wanted |= xlsx_styles.wanted(tab)
    if not wanted:
        return {}
    part = next((parts.resolve_target(folder.rstrip("/"), r.target) for r in rels
                 if r.type.endswith("/styles") and not r.external), None)
    data = content(part) if part else None
    if part is None or data is None:
        return {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    result = xlsx_styles.with_styles(text, wanted)
    if result is None:
        return {}
    new_text, index = result
    if new_text != text:
        edited[part.casefold()] = new_text
    return {key: TabStyles(index, tab.lang) for key, (_, tab) in replaced.items()}


def _orphaned(
    src: BinaryIO, members: Sequence[parts.ZipMember], cut: set[str], edited: dict[str, str]
) -> set[str]:
    """The members (casefolded) that only the relationships of the `cut` parts referenced.

    Every relationships part of the package is read (they are small); should one not parse,
    nothing is removed, since what it references cannot be known.
    """
    sources: list[tuple[str, parts.ZipMember]] = []
    for member in members:
        source = parts.rels_source(member.name)
        if source is not None:
            sources.append((source, member))
    contents = parts.read_many(src, [m for _, m in sources])
    graph: dict[str, list[str]] = {}
    for (source, member), data in zip(sources, contents, strict=True):
        key = member.name.casefold()
        if key in edited:
            data = edited[key].encode("utf-8")
        try:
            rels = parts.parse_relationships(data, member.name)
        except parts.PackageError:
            return set()
        targets = [t.casefold() for t in parts.relationship_targets(rels, source)]
        graph.setdefault(source.casefold(), []).extend(targets)
    return parts.orphaned_parts(graph, cut)


def _part_folder(part: str) -> str:
    """The folder of a part with a trailing slash ("xl/"), or "" at the package root."""
    folder = part.rsplit("/", 1)[0] if "/" in part else ""
    return folder + "/" if folder else ""
