"""Read and write an Office VBA project (xl/vbaProject.bin) without Office, after the public specs.

Why: the Relance add-in must carry our ribbon's VBA module next to xlwings' own, and the workbook
template must be a macro-enabled .xlsm; both need a vbaProject.bin, which Excel alone writes.
The format is public:

- [MS-CFB] the compound file (a small FAT file system in one file) holding the project;
- [MS-OVBA] the project inside it: the `PROJECT` text stream, the `PROJECTwm` name map, the
  `VBA/dir` stream (compressed: the project's records, its references and one record set per
  module), one `VBA/<module>` stream per module (an optional performance cache, then the
  module's compressed source) and `VBA/_VBA_PROJECT`.

What is written is a project *from source only*, the form [MS-OVBA] prescribes for a writer:
`_VBA_PROJECT` is the 7 bytes `CC 61 FF FF 00 01 00` (Version 0xFFFF, no performance cache; the
undefined last two bytes as xlwings' quickstart add-ins carry them) and every module stream is its
compressed source (MODULEOFFSET 0, no p-code). Office finds a version that is not its own, drops
any compiled form and compiles the modules from their source when it opens the file.

Everything is deterministic: no time stamp, no random identifier, the same input gives the same
bytes.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

# ----------------------------------------------------------------------------- [MS-OVBA] 2.4.1


_CHUNK = 4096
#: How many earlier places of the same three bytes the compressor tries (speed over size).
_CANDIDATES = 48


def _copy_token_split(position: int) -> tuple[int, int]:
    """(length bits, offset mask) of a copy token at `position` of the decompressed chunk."""
    bits = max((position - 1).bit_length(), 4)
    length_bits = 16 - bits
    return length_bits, (1 << length_bits) - 1


def decompress(data: bytes) -> bytes:
    """A CompressedContainer ([MS-OVBA] 2.4.1.1.1) back to its bytes."""
    if not data or data[0] != 1:
        raise ValueError("not an MS-OVBA compressed container (signature byte is not 1)")
    out = bytearray()
    pos = 1
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError("truncated chunk header")
        header = struct.unpack_from("<H", data, pos)[0]
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0b111 != 0b011:
            raise ValueError(f"bad chunk signature at byte {pos}")
        compressed = bool(header & 0x8000)
        end = min(pos + size, len(data))
        pos += 2
        start = len(out)
        if not compressed:
            out += data[pos : pos + _CHUNK]
            pos += _CHUNK
            continue
        while pos < end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= end:
                    break
                if not flags & (1 << bit):
                    out.append(data[pos])
                    pos += 1
                    continue
                token = struct.unpack_from("<H", data, pos)[0]
                pos += 2
                length_bits, length_mask = _copy_token_split(len(out) - start)
                length = (token & length_mask) + 3
                offset = (token >> length_bits) + 1
                if offset > len(out) - start:
                    raise ValueError("copy token points before its chunk")
                for _ in range(length):  # overlapping copies repeat bytes: one at a time
                    out.append(out[-offset])
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    """One DecompressedChunk compressed ([MS-OVBA] 2.4.1.3): at each place the longest earlier
    match (the farthest of equally long ones; any is valid), searched among the last
    `_CANDIDATES` places where the next three bytes were seen, else the byte itself."""
    out = bytearray()
    heads: dict[bytes, list[int]] = {}
    pos = 0
    while pos < len(chunk):
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= len(chunk):
                break
            length_bits, length_mask = _copy_token_split(pos)
            max_offset = 1 << (16 - length_bits)
            limit = min(length_mask + 3, len(chunk) - pos)
            best_len, best_off = 0, 0
            for cand in heads.get(chunk[pos : pos + 3], [])[-_CANDIDATES:]:  # farthest first
                offset = pos - cand
                if offset > max_offset:
                    continue
                n = 3
                while n < limit and chunk[cand + n] == chunk[pos + n]:
                    n += 1
                if n > best_len:
                    best_len, best_off = n, offset
                    if n == limit:
                        break
            step = 1
            if best_len >= 3:
                out += struct.pack("<H", ((best_off - 1) << length_bits) | (best_len - 3))
                flags |= 1 << bit
                step = best_len
            else:
                out.append(chunk[pos])
            for p in range(pos, min(pos + step, len(chunk) - 2)):
                heads.setdefault(chunk[p : p + 3], []).append(p)
            pos += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """`data` as an MS-OVBA CompressedContainer (what the dir and module streams hold)."""
    out = bytearray(b"\x01")
    for at in range(0, len(data), _CHUNK):
        chunk = data[at : at + _CHUNK]
        body = _compress_chunk(chunk)
        if len(body) <= _CHUNK:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
        else:  # a raw chunk holds exactly 4096 bytes
            out += struct.pack("<H", 0x3000 | (_CHUNK + 2 - 3)) + chunk.ljust(_CHUNK, b"\0")
    return bytes(out)


# ----------------------------------------------------------------------------- [MS-CFB]

_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_SECTOR = 512
_MINI = 64
_MINI_CUTOFF = 4096
_FREE, _END, _FAT_SECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_STORAGE, _STREAM, _ROOT = 1, 2, 5


def _chain(table: list[int], start: int) -> Iterator[int]:
    seen = 0
    while start not in (_END, _FREE):
        yield start
        start = table[start]
        seen += 1
        if seen > len(table):
            raise ValueError("cyclic sector chain")


def read_cfb(data: bytes) -> dict[str, bytes]:
    """Every stream of a compound file, by its path ("VBA/dir"); storages are implied."""
    if data[:8] != _SIGNATURE:
        raise ValueError("not a compound file")
    shift = struct.unpack_from("<H", data, 30)[0]
    size = 1 << shift
    mini_shift = struct.unpack_from("<H", data, 32)[0]
    dir_start, = struct.unpack_from("<I", data, 48)
    cutoff, = struct.unpack_from("<I", data, 56)
    mini_fat_start, mini_fat_count = struct.unpack_from("<II", data, 60)
    difat_start, difat_count = struct.unpack_from("<II", data, 68)

    def sector(n: int) -> bytes:
        return data[(n + 1) * size : (n + 2) * size]

    fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s != _FREE]
    nxt = difat_start
    for _ in range(difat_count):
        words = struct.unpack(f"<{size // 4}I", sector(nxt))
        fat_sectors += [s for s in words[:-1] if s != _FREE]
        nxt = words[-1]
    fat: list[int] = []
    for s in fat_sectors:
        fat += struct.unpack(f"<{size // 4}I", sector(s))

    def stream(start: int) -> bytes:
        return b"".join(sector(s) for s in _chain(fat, start))

    directory = stream(dir_start)
    entries = [directory[i : i + 128] for i in range(0, len(directory), 128)]
    mini_fat: list[int] = []
    if mini_fat_count:
        raw = stream(mini_fat_start)
        mini_fat = list(struct.unpack(f"<{len(raw) // 4}I", raw))
    root = entries[0]
    mini_stream = stream(struct.unpack_from("<I", root, 116)[0])

    def name(e: bytes) -> str:
        n = struct.unpack_from("<H", e, 64)[0]
        return e[: max(n - 2, 0)].decode("utf-16-le")

    found: dict[str, bytes] = {}
    visited: set[int] = set()

    def walk(index: int, prefix: str) -> None:
        if index == _NOSTREAM or index >= len(entries):
            return
        if index in visited:
            raise ValueError("a directory entry is reached twice: not a tree")
        visited.add(index)
        e = entries[index]
        left, right, child = struct.unpack_from("<III", e, 68)
        kind = e[66]
        start, length = struct.unpack_from("<IQ", e, 116)
        walk(left, prefix)
        walk(right, prefix)
        path = prefix + name(e)
        if kind == _STORAGE:
            walk(child, path + "/")
        elif kind == _STREAM:
            if shift == 9:  # version 3: the size's high half is undefined
                length &= 0xFFFFFFFF
            if length == 0:
                blob = b""
            elif length < cutoff:
                blob = b"".join(mini_stream[m * (1 << mini_shift) : (m + 1) * (1 << mini_shift)]
                                for m in _chain(mini_fat, start))
            else:
                blob = stream(start)
            found[path] = blob[:length]

    walk(struct.unpack_from("<I", root, 76)[0], "")
    return found


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    index: int = 0
    start: int = _END
    left: int = _NOSTREAM
    right: int = _NOSTREAM
    red: bool = False


def _cfb_key(name: str) -> tuple[int, str]:
    """The order [MS-CFB] 2.6.4 keeps siblings in: shorter names first, then by upper case."""
    return len(name.encode("utf-16-le")), name.upper()


def write_cfb(streams: dict[str, bytes]) -> bytes:
    """A version 3 compound file (512-byte sectors) holding `streams`, paths "storage/stream".

    Siblings are stored as a balanced red-black tree (tree()); CLSIDs, state bits and times
    are zero, and siblings are sorted, so the bytes depend on the streams only."""
    root = _Entry("Root Entry", _ROOT)
    for path, data in streams.items():
        node = root
        *folders, leaf = path.split("/")
        for folder in folders:
            found = next((c for c in node.children if c.name.upper() == folder.upper()), None)
            if found is not None and found.kind != _STORAGE:
                raise ValueError(f"{folder!r} is a stream and a storage")
            if found is None:
                found = _Entry(folder, _STORAGE)
                node.children.append(found)
            node = found
        if len(leaf.encode("utf-16-le")) > 62:
            raise ValueError(f"name too long for a compound file: {leaf}")
        if any(c.name.upper() == leaf.upper() for c in node.children):
            raise ValueError(f"two entries named {leaf!r} in one storage")
        node.children.append(_Entry(leaf, _STREAM, data))

    order: list[_Entry] = []

    def number(e: _Entry) -> None:
        e.index = len(order)
        order.append(e)
        e.children.sort(key=lambda c: _cfb_key(c.name))
        for c in e.children:
            number(c)

    number(root)

    # the mini stream: every stream under the cutoff, in 64-byte mini sectors
    mini = bytearray()
    mini_fat: list[int] = []
    for e in order:
        if e.kind == _STREAM and len(e.data) < _MINI_CUTOFF and e.data:
            count = -(-len(e.data) // _MINI)
            e.start = len(mini_fat)
            mini_fat += list(range(e.start + 1, e.start + count)) + [_END]
            mini += e.data.ljust(count * _MINI, b"\0")

    sectors: list[bytes] = []
    fat: list[int] = []

    def place(blob: bytes) -> int:
        if not blob:
            return _END
        count = -(-len(blob) // _SECTOR)
        first = len(sectors)
        for k in range(count):
            sectors.append(blob[k * _SECTOR : (k + 1) * _SECTOR].ljust(_SECTOR, b"\0"))
        fat.extend(list(range(first + 1, first + count)) + [_END])
        return first

    for e in order:
        if e.kind == _STREAM and len(e.data) >= _MINI_CUTOFF:
            e.start = place(e.data)
    root.start = place(bytes(mini))
    mini_fat_blob = b"".join(struct.pack("<I", v) for v in mini_fat)
    mini_fat_blob += b"\xff" * (-len(mini_fat_blob) % _SECTOR)
    mini_fat_start = place(mini_fat_blob) if mini_fat else _END

    def tree(children: list[_Entry]) -> int:
        """The root index of a balanced tree over `children` (sorted), setting left/right.

        Splitting at the middle fills every level but the deepest; its nodes are coloured red,
        all others black, which makes it a valid red-black tree ([MS-CFB] 2.6.4)."""
        levels: dict[int, list[_Entry]] = {}

        def build(part: list[_Entry], depth: int) -> int:
            if not part:
                return _NOSTREAM
            mid = len(part) // 2
            node = part[mid]
            levels.setdefault(depth, []).append(node)
            node.left = build(part[:mid], depth + 1)
            node.right = build(part[mid + 1 :], depth + 1)
            return node.index

        top = build(children, 0)
        if levels:
            deepest = max(levels)
            if len(levels[deepest]) < 2**deepest:
                for node in levels[deepest]:
                    node.red = True
        return top

    child_of = {e.index: tree(e.children) for e in order}
    directory = bytearray()
    for e in order:
        encoded = e.name.encode("utf-16-le") + b"\0\0"
        child = child_of[e.index] if e.kind in (_STORAGE, _ROOT) else _NOSTREAM
        size = len(bytes(mini)) if e.kind == _ROOT else len(e.data)
        start = e.start if e.kind in (_ROOT, _STREAM) else 0  # an empty one: ENDOFCHAIN
        directory += (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), e.kind, 0 if e.red else 1)
                      + struct.pack("<III", e.left, e.right, child) + bytes(16) + bytes(4)
                      + bytes(16) + struct.pack("<IQ", start, size))
    directory += (bytes(68) + struct.pack("<III", _NOSTREAM, _NOSTREAM, _NOSTREAM) + bytes(48)) * (
        -len(order) % 4)
    dir_start = place(bytes(directory))

    # the FAT covers every sector, its own included
    fat_count = 0
    while True:
        total = len(sectors) + fat_count
        needed = -(-total // (_SECTOR // 4))
        if needed == fat_count:
            break
        fat_count = needed
    if fat_count > 109:
        raise ValueError("compound file too large for a header-only DIFAT")
    first_fat = len(sectors)
    fat += [_FAT_SECT] * fat_count
    fat += [_FREE] * (fat_count * (_SECTOR // 4) - len(fat))
    fat_blob = b"".join(struct.pack("<I", v) for v in fat)
    for k in range(fat_count):
        sectors.append(fat_blob[k * _SECTOR : (k + 1) * _SECTOR])

    difat = [first_fat + k for k in range(fat_count)] + [_FREE] * (109 - fat_count)
    header = (_SIGNATURE + bytes(16) + struct.pack("<HHHHH", 0x003E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIII", 0, fat_count, dir_start, 0)
              + struct.pack("<IIIII", _MINI_CUTOFF, mini_fat_start, len(mini_fat_blob) // _SECTOR
                            if mini_fat else 0, _END, 0)
              + struct.pack("<109I", *difat))
    assert len(header) == _SECTOR
    return header + b"".join(sectors)


# ----------------------------------------------------------------------------- [MS-OVBA] 2.3

ModuleKind = Literal["standard", "class", "document"]

#: _VBA_PROJECT without a performance cache ([MS-OVBA] 2.3.4.1): Reserved1 0x61CC, Version 0xFFFF
#: (no Office's own, so Office compiles from source), Reserved2 0x00, then Reserved3 (undefined,
#: ignored on read), 0x0001 as in the 7-byte stream of xlwings' quickstart add-ins.
VBA_PROJECT_STREAM = bytes.fromhex("CC61FFFF000100")


@dataclass(frozen=True)
class Module:
    """One VBA module: its name, its kind and its source (the text the VBA editor exports,
    `Attribute VB_…` lines included), kept as it is: line ends included."""

    name: str
    kind: ModuleKind
    source: str
    #: The module's description (MODULEDOCSTRING), shown by the VBA editor's object browser.
    description: str = ""

    @classmethod
    def from_bas(cls, text: str) -> Module:
        """A standard module from a .bas file's text: its name from `Attribute VB_Name`, its
        lines ended by CRLF as the VBA editor writes them."""
        found = re.match(r'Attribute VB_Name = "(\w+)"', text)
        if found is None:
            raise ValueError('a .bas file starts with Attribute VB_Name = "<name>"')
        source = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return cls(found.group(1), "standard", source)


@dataclass(frozen=True)
class Project:
    """A VBA project as source: what a vbaProject.bin written from source holds.

    `head` is the dir stream's records before its modules (the project's information and its
    references, kept byte for byte from the project it was read from); `properties` is the
    PROJECT stream's first lines (ID, Name, protection fields...), its module lines excepted."""

    modules: tuple[Module, ...]
    head: bytes
    properties: tuple[str, ...]
    host_extenders: tuple[str, ...]
    codepage: int = 1252

    def module(self, name: str) -> Module:
        """The module named `name` (KeyError if there is none)."""
        for m in self.modules:
            if m.name == name:
                return m
        raise KeyError(name)

    def with_modules(self, modules: Iterable[Module]) -> Project:
        """The same project holding `modules` instead."""
        return replace(self, modules=tuple(modules))


def _records(data: bytes) -> Iterator[tuple[int, bytes, int]]:
    """(id, payload, offset) of each dir stream record; PROJECTVERSION's 6 bytes are special."""
    pos = 0
    while pos < len(data):
        rid, size = struct.unpack_from("<HI", data, pos)
        if rid == 0x0009:  # PROJECTVERSION: Reserved=4, then 4 + 2 bytes
            size = 6
        yield rid, data[pos + 6 : pos + 6 + size], pos
        pos += 6 + size


def _record(rid: int, payload: bytes) -> bytes:
    return struct.pack("<HI", rid, len(payload)) + payload


_KINDS: dict[str, ModuleKind] = {"Document": "document", "Module": "standard", "Class": "class"}


def read_project(data: bytes) -> Project:
    """The project of a vbaProject.bin: its modules with their sources, its head and properties."""
    streams = read_cfb(data)
    prefix = next((p[: -len("dir")] for p in streams if p.upper().endswith("VBA/DIR")), None)
    if prefix is None:
        raise ValueError("no VBA/dir stream: not a VBA project")
    dir_data = decompress(streams[prefix + "dir"])
    codepage = 1252
    head = b""
    modules: list[Module] = []
    current: dict[str, object] = {}
    kinds: dict[str, ModuleKind] = {}
    project_text = streams["PROJECT"].decode("cp1252", "replace") if "PROJECT" in streams else ""
    for line in project_text.splitlines():
        key, _, value = line.partition("=")
        if key in _KINDS:
            kinds[value.split("/")[0]] = _KINDS[key]
    for rid, payload, offset in _records(dir_data):
        if rid == 0x0003:
            codepage = struct.unpack("<H", payload)[0]
        elif rid == 0x000F:
            head = dir_data[:offset]
        elif rid == 0x0019:
            current = {"name": payload.decode(f"cp{codepage}")}
        elif rid == 0x001A:
            current["stream"] = payload.decode(f"cp{codepage}")
        elif rid == 0x001C:
            current["description"] = payload.decode(f"cp{codepage}")
        elif rid == 0x0031:
            current["offset"] = struct.unpack("<I", payload)[0]
        elif rid == 0x0021:
            current["type"] = "standard"
        elif rid == 0x0022:
            current["type"] = "class"
        elif rid == 0x002B:
            name = str(current["name"])
            raw = streams[prefix + str(current["stream"])]
            text = decompress(raw[int(str(current.get("offset", 0))) :]).decode(f"cp{codepage}")
            kind = kinds.get(name, "class" if current.get("type") == "class" else "standard")
            modules.append(Module(name, kind, text, str(current.get("description", ""))))
    properties: list[str] = []
    extenders: list[str] = []
    section = ""
    for line in project_text.splitlines():
        if line.startswith("["):
            section = line
            continue
        if not line:
            continue
        if section == "" and line.partition("=")[0] not in (*_KINDS, "Package", "BaseClass"):
            properties.append(line)
        elif section == "[Host Extender Info]":
            extenders.append(line)
    return Project(tuple(modules), head, tuple(properties), tuple(extenders), codepage)


def write_project(project: Project) -> bytes:
    """The vbaProject.bin of `project`, written from source only (no performance cache)."""
    cp = f"cp{project.codepage}"
    names = [m.name for m in project.modules]
    if len(set(n.upper() for n in names)) != len(names):
        raise ValueError("two modules with the same name")
    for n in names:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,30}", n):
            raise ValueError(f"not a VBA module name: {n!r}")
    dir_data = bytearray(project.head)
    dir_data += _record(0x000F, struct.pack("<H", len(project.modules)))
    dir_data += _record(0x0013, struct.pack("<H", 0xFFFF))
    streams: dict[str, bytes] = {}
    for m in project.modules:
        encoded = m.name.encode(cp)
        dir_data += _record(0x0019, encoded)
        dir_data += _record(0x0047, m.name.encode("utf-16-le"))
        dir_data += _record(0x001A, encoded) + _record(0x0032, m.name.encode("utf-16-le"))
        dir_data += _record(0x001C, m.description.encode(cp))
        dir_data += _record(0x0048, m.description.encode("utf-16-le"))
        dir_data += _record(0x0031, struct.pack("<I", 0))
        dir_data += _record(0x001E, struct.pack("<I", 0))
        dir_data += _record(0x002C, struct.pack("<H", 0xFFFF))
        dir_data += _record(0x0022 if m.kind in ("class", "document") else 0x0021, b"")
        dir_data += _record(0x002B, b"")
        try:
            encoded_source = m.source.encode(cp)
        except UnicodeEncodeError as error:
            bad = m.source[error.start : error.end]
            raise ValueError(f"module {m.name}: {bad!r} is not in the project's code page {cp}") from None
        streams["VBA/" + m.name] = compress(encoded_source)
    dir_data += _record(0x0010, b"")
    streams["VBA/dir"] = compress(bytes(dir_data))
    streams["VBA/_VBA_PROJECT"] = VBA_PROJECT_STREAM

    lines = [p for p in project.properties if p.startswith("ID=")]
    for m in project.modules:
        lines.append({"document": f"Document={m.name}/&H00000000", "standard": f"Module={m.name}",
                      "class": f"Class={m.name}"}[m.kind])
    lines += [p for p in project.properties if not p.startswith("ID=")]
    lines += ["", "[Host Extender Info]", *project.host_extenders, "", "[Workspace]"]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in project.modules]
    streams["PROJECT"] = ("\r\n".join(lines) + "\r\n").encode(cp)
    streams["PROJECTwm"] = b"".join(m.name.encode(cp) + b"\0" + m.name.encode("utf-16-le") + b"\0\0"
                                    for m in project.modules) + b"\0\0"
    return write_cfb(streams)
