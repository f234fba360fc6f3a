"""The add-in's build (addin/build.py) and the VBA project it writes from source
(addin/vba_project.py), read back by independent readers: olefile (the compound file), oletools'
olevba (the VBA project: module list and exact source) and, in the slow test, LibreOffice (which
loads VBA into Basic modules)."""

from __future__ import annotations

import hashlib
import importlib
import re
import shutil
import struct
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# One xdist worker runs this module's tests, so that its module fixtures (the add-in's build) are
# made once, not once per worker.
pytestmark = pytest.mark.xdist_group("test_addin_build")

with warnings.catch_warnings():  # oletools still calls pyparsing's old names
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser, decompress_stream

ROOT = Path(__file__).resolve().parents[1]
ADDIN = ROOT / "addin"
NS = "{http://openoffice.org/2000/script}"
UI = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _addin_module(name: str):
    sys.path.insert(0, str(ADDIN))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(ADDIN))


vba = _addin_module("vba_project")
build = _addin_module("build")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dist")
    build.build(folder)
    return folder


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build.skeleton(tmp_path_factory.mktemp("skeleton"))


@pytest.fixture(scope="module")
def skeleton_project(skeleton: Path):
    return vba.read_project(vba_bin(skeleton))


def olevba_modules(data: bytes) -> dict[str, str]:
    """Module name -> source, as oletools' olevba reads a vbaProject.bin."""
    parser = VBA_Parser("vbaProject.bin", data=data)
    try:
        return {vba_name.rsplit(".", 1)[0]: code for _, _, vba_name, code in parser.extract_macros()}
    finally:
        parser.close()


def vba_bin(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/vbaProject.bin")


def ole_streams(data: bytes) -> dict[str, bytes]:
    """Every stream of a compound file, as olefile reads it."""
    ole = olefile.OleFileIO(data)
    try:
        return {"/".join(p): ole.openstream(p).read() for p in ole.listdir(streams=True, storages=False)}
    finally:
        ole.close()


# ----------------------------------------------------------------------------- MS-OVBA compression

SPEC_EXAMPLES = [  # [MS-OVBA] 3.2.1 (no compression) and 3.2.2 (normal compression)
    (b"abcdefghijklmnopqrstuv.",
     "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E"),
    (b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
     "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 30 6D 6E 6F"
     " 70 06 71 02 70 04 10 72 73 74 75 76 10 77 78 79 7A 00 3C"),
]


@pytest.mark.parametrize(("raw", "compressed"), SPEC_EXAMPLES)
def test_the_specifications_examples_decompress(raw: bytes, compressed: str):
    assert vba.decompress(bytes.fromhex(compressed)) == raw
    ours = vba.compress(raw)
    assert vba.decompress(ours) == raw and len(ours) == len(bytes.fromhex(compressed))


def test_a_run_is_one_literal_and_one_overlapping_copy():
    assert vba.compress(b"a" * 73) == bytes.fromhex("01 03 B0 02 61 45 00")


def test_an_incompressible_chunk_is_stored_raw():
    noise = hashlib.sha256(b"0").digest()
    while len(noise) < 9000:
        noise += hashlib.sha256(noise[-32:]).digest()
    packed = vba.compress(noise)
    header = struct.unpack_from("<H", packed, 1)[0]
    assert header == 0x3FFF  # a raw chunk: 4096 bytes as they are
    assert vba.decompress(packed) == noise == bytes(decompress_stream(bytearray(packed)))


text_like = st.lists(st.sampled_from([b"a", b"b", b" ", b"    ", b"\r\n", b"End Sub", b"x = 1"]),
                     max_size=3000).map(b"".join)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.binary(max_size=9000), text_like))
def test_compression_round_trips_and_olevba_decompresses_it_alike(data: bytes):
    packed = vba.compress(data)
    assert vba.decompress(packed) == data
    assert bytes(decompress_stream(bytearray(packed))) == data


# ----------------------------------------------------------------------------- MS-CFB


def _check_red_black(data: bytes) -> None:
    """Every storage's children form a binary search tree in [MS-CFB] order whose colours obey
    the red-black rules (no red child of a red node, the same black count on every path)."""
    (dir_start,) = struct.unpack_from("<I", data, 48)
    assert dir_start != 0xFFFFFFFE
    ole = olefile.OleFileIO(data)
    entries = ole.direntries
    ole.close()

    def key(i: int) -> tuple[int, str]:
        return len(entries[i].name) + 1, entries[i].name.upper()

    def walk(i: int, low: tuple[int, str] | None, high: tuple[int, str] | None, red_parent: bool) -> int:
        if i == olefile.NOSTREAM:
            return 1
        e = entries[i]
        red = e.color == 0  # [MS-CFB]: 0 red, 1 black
        assert not (red and red_parent), e.name
        assert (low is None or key(i) > low) and (high is None or key(i) < high), e.name
        left = walk(e.sid_left, low, key(i), red)
        right = walk(e.sid_right, key(i), high, red)
        assert left == right, e.name
        if e.entry_type in (olefile.STGTY_STORAGE, olefile.STGTY_ROOT):
            walk(e.sid_child, None, None, False)
        return left + (0 if red else 1)

    walk(0, None, None, False)


names = st.text(alphabet="abcXYZ_0", min_size=1, max_size=8)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.tuples(st.sampled_from(["", "VBA/", "VBA/deep/"]), names).map("".join),
                       st.binary(max_size=6000), min_size=1, max_size=14))
def test_the_compound_file_is_read_back_by_olefile(streams: dict[str, bytes]):
    # a name may not be both a stream and a storage
    streams = {p: d for p, d in streams.items() if not any(o.startswith(p + "/") for o in streams)}
    written = vba.write_cfb(streams)
    assert len(written) % 512 == 0
    assert ole_streams(written) == streams
    assert vba.read_cfb(written) == streams
    _check_red_black(written)


def test_a_name_twice_in_one_storage_is_refused():
    with pytest.raises(ValueError, match="two entries"):
        vba.write_cfb({"VBA/dir": b"1", "VBA/DIR": b"2"})
    with pytest.raises(ValueError, match="stream and a storage"):
        vba.write_cfb({"VBA": b"1", "VBA/dir": b"2"})


def test_a_stream_over_the_mini_stream_cutoff_and_many_entries():
    streams = {f"VBA/m{k:02d}": bytes([k]) * (k * 700) for k in range(1, 30)}
    streams["PROJECT"] = b"ID=x\r\n"
    written = vba.write_cfb(streams)
    assert ole_streams(written) == streams
    _check_red_black(written)
    assert vba.write_cfb(dict(reversed(streams.items()))) == written  # order of the input: no matter


# ----------------------------------------------------------------------------- the add-in


def test_the_addin_carries_xlwings_modules_and_ours(dist: Path, skeleton: Path):
    ours = vba_bin(dist / "relance.xlam")
    theirs = vba_bin(skeleton)
    got, skel = olevba_modules(ours), olevba_modules(theirs)
    assert set(got) == {"ThisWorkbook", "Sheet2", "Dictionary", "xlwings", "RibbonRelance"}
    assert "RibbonMyAddin" in skel  # the skeleton's sample module, dropped with its ribbon
    for name in ("ThisWorkbook", "Sheet2", "Dictionary", "xlwings"):
        assert got[name] == skel[name], name  # xlwings' source, byte for byte
    bas = (ADDIN / "relance.bas").read_text("utf-8")
    assert got["RibbonRelance"] == bas.replace("\n", "\r\n")
    assert "Aperçu des relances" in got["RibbonRelance"]
    dictionary = vba.read_project(ours).module("Dictionary")
    assert dictionary.kind == "class" and dictionary.description.startswith("Drop-in replacement")
    streams = ole_streams(ours)
    assert streams["VBA/_VBA_PROJECT"] == bytes.fromhex("CC61FFFF000100")  # no performance cache
    assert streams["VBA/_VBA_PROJECT"] == ole_streams(theirs)["VBA/_VBA_PROJECT"]  # as xlwings ships it
    project = streams["PROJECT"].decode("cp1252").splitlines()
    assert 'Name="MyAddin"' in project and "Module=RibbonRelance" in project
    assert {"Module=xlwings", "Class=Dictionary", "Document=ThisWorkbook/&H00000000"} <= set(project)
    assert project[0] == ole_streams(theirs)["PROJECT"].decode("cp1252").splitlines()[0]  # its ID
    assert b"R\x00i\x00b\x00b\x00o\x00n\x00R\x00e\x00l\x00a\x00n\x00c\x00e\x00" in streams["PROJECTwm"]
    # every other part of the skeleton, as it was
    with zipfile.ZipFile(dist / "relance.xlam") as built, zipfile.ZipFile(skeleton) as skel_zip:
        assert built.namelist() == skel_zip.namelist()
        for name in built.namelist():
            if name not in ("customUI/customUI.xml", "xl/vbaProject.bin"):
                assert built.read(name) == skel_zip.read(name), name
        assert built.read("customUI/customUI.xml") == (ADDIN / "customUI.xml").read_bytes()


def _module_offsets(data: bytes) -> dict[str, int]:
    """Module name -> MODULEOFFSET (where its source starts in its stream), from the dir stream."""
    offsets, name = {}, ""
    for rid, payload, _ in vba._records(vba.decompress(ole_streams(data)["VBA/dir"])):
        if rid == 0x0019:
            name = payload.decode("cp1252")
        elif rid == 0x0031:
            offsets[name] = struct.unpack("<I", payload)[0]
    return offsets


def test_our_form_is_the_one_xlwings_ships_its_xlwings_module_in(dist: Path, skeleton: Path):
    theirs, ours = vba_bin(skeleton), vba_bin(dist / "relance.xlam")
    assert len(ole_streams(theirs)["VBA/_VBA_PROJECT"]) == 7
    assert _module_offsets(theirs)["xlwings"] == 0  # source only, in the add-in every user opens
    assert _module_offsets(theirs)["ThisWorkbook"] > 0  # Office-saved: a compiled part first
    assert set(_module_offsets(ours).values()) == {0}


def test_every_ribbon_callback_is_a_sub_of_the_module_in_the_built_addin(dist: Path):
    code = olevba_modules(vba_bin(dist / "relance.xlam"))
    with zipfile.ZipFile(dist / "relance.xlam") as z:
        ui = ET.fromstring(z.read("customUI/customUI.xml"))
    callbacks = {v for el in ui.iter() for k, v in el.attrib.items() if k.startswith(("on", "get"))}
    assert len(callbacks) == 9  # 6 buttons, 3 label callbacks
    for callback in callbacks:
        module, _, sub = callback.partition(".")
        assert re.search(rf"^Sub {sub}\(control As IRibbonControl", code[module], re.M), callback
    # and the RunPython it calls is xlwings' own, in the same project
    assert re.search(r"^Public Function RunPython\(", code["xlwings"], re.M | re.I)
    assert code["RibbonRelance"].count('RunPython "import relance_addin.ribbon as r; r.') == 6


def test_the_project_reads_back_as_it_was_written(skeleton: Path):
    project = vba.read_project(vba_bin(skeleton))
    again = vba.read_project(vba.write_project(project))
    assert again == project
    assert [m.kind for m in project.modules] == ["document", "class", "standard", "document", "standard"]
    with pytest.raises(ValueError, match="Attribute VB_Name"):
        vba.Module.from_bas("Sub X()\nEnd Sub\n")
    with pytest.raises(ValueError, match="same name"):
        vba.write_project(project.with_modules([*project.modules, project.modules[0]]))


cp1252_text = st.text(alphabet=st.characters(codec="cp1252", exclude_characters="\x00"), max_size=400)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,20}", fullmatch=True),
                          st.sampled_from(["standard", "class"]), cp1252_text),
                min_size=1, max_size=6, unique_by=lambda m: m[0].upper()))
def test_olevba_reads_any_module_back_exactly(skeleton_project, modules):
    written = vba.write_project(skeleton_project.with_modules(
        vba.Module(name, kind, f'Attribute VB_Name = "{name}"\r\n{text}') for name, kind, text in modules))
    got = olevba_modules(written)
    assert got == {name: f'Attribute VB_Name = "{name}"\r\n{text}' for name, _, text in modules}


@pytest.mark.parametrize("name", ["quickstart.xlsm", "quickstart_standalone.xlsm", "quickstart_addin.xlam",
                                  "quickstart_addin_ribbon.xlam"])
def test_every_quickstart_project_of_xlwings_is_rewritten_with_the_same_sources(name: str):
    original = vba_bin(build.xlwings_file(name))
    rewritten = vba.write_project(vba.read_project(original))
    assert olevba_modules(rewritten) == olevba_modules(original)
    assert vba.read_project(rewritten) == vba.read_project(original)
    before, after = ole_streams(original), ole_streams(rewritten)
    for module in vba.read_project(original).modules:  # each stream: its source from byte 0, no p-code
        assert vba.decompress(after[f"VBA/{module.name}"]) == module.source.encode("cp1252")
    assert after["VBA/_VBA_PROJECT"] == vba.VBA_PROJECT_STREAM
    assert before["PROJECT"].split(b"\r\n")[0] == after["PROJECT"].split(b"\r\n")[0]  # the same ID


def test_a_character_outside_the_code_page_is_said(skeleton_project):
    module = vba.Module("Fleche", "standard", 'Attribute VB_Name = "Fleche"\r\n\' a \u2192 b\r\n')
    with pytest.raises(ValueError, match="Fleche.*cp1252"):
        vba.write_project(skeleton_project.with_modules([module]))


def test_the_build_is_reproducible(dist: Path, tmp_path: Path):
    again = build.build(tmp_path)
    assert [p.name for p in again] == ["relance.xlam", "modele-relance.xlsm", "modele-relance.xlsx"]
    for path in again:
        assert path.read_bytes() == (dist / path.name).read_bytes(), path.name
        with zipfile.ZipFile(path) as z:
            assert {i.date_time for i in z.infolist()} == {build.FIXED_DATE}


# ----------------------------------------------------------------------------- the .xlsm template


def test_the_xlsm_template_is_macro_enabled_with_one_document_module_per_sheet(dist: Path):
    from openpyxl import load_workbook

    path = dist / "modele-relance.xlsm"
    with zipfile.ZipFile(path) as z:
        types = z.read("[Content_Types].xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        workbook = ET.fromstring(z.read("xl/workbook.xml"))
        assert b"2024-01-01T00:00:00Z" in z.read("docProps/core.xml")
    assert build.XLSM_MAIN in types and 'PartName="/xl/vbaProject.bin"' in types
    assert build.VBA_RELATION in rels
    assert workbook.find(f"{UI}workbookPr").get("codeName") == "ThisWorkbook"
    wb = load_workbook(path, keep_vba=True)
    code_names = [ws.sheet_properties.codeName for ws in wb.worksheets]
    assert code_names == [f"Sheet{k}" for k in range(1, len(wb.worksheets) + 1)]
    modules = olevba_modules(vba_bin(path))
    assert set(modules) == {"ThisWorkbook", *code_names}
    for name, code in modules.items():  # no code: the buttons and functions are the add-in's
        assert all(line.startswith("Attribute VB_") for line in code.splitlines() if line), name
    assert 'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"' in modules["Sheet3"]
    assert 'Attribute VB_Name = "Sheet3"' in modules["Sheet3"]
    project = ole_streams(vba_bin(path))["PROJECT"].decode("cp1252")
    assert "Document=Sheet10/&H00000000" in project and "Module=" not in project
    formulas = [c.value for c in wb["Factures"][2] if c.value is not None and hasattr(c.value, "text")]
    assert [f.text.split("(")[0] for f in formulas] == ["=RELANCE_DAYS_LATE", "=RELANCE_BALANCE", "=RELANCE_BUCKET"]


def test_relance_reads_the_xlsm_as_the_xlsx_and_keeps_its_vba_project(dist: Path, tmp_path: Path):
    from relance.app.jobs import read_book
    from relance.engine.sheets import OwnedTab
    from relance.workbook.xlsx import XlsxBackend

    xlsm, xlsx = tmp_path / "modele.xlsm", dist / "modele-relance.xlsx"
    shutil.copy(dist / "modele-relance.xlsm", xlsm)
    codes = sorted(a.code for a in read_book(XlsxBackend(xlsm)).anomalies)
    assert codes == sorted(a.code for a in read_book(XlsxBackend(xlsx)).anomalies)
    XlsxBackend(xlsm).write([OwnedTab("Anomalies", ["onglet", "cellule"], [["Factures", "B7"]])])
    with zipfile.ZipFile(xlsm) as z:
        assert z.read("xl/vbaProject.bin") == vba_bin(dist / "modele-relance.xlsm")
        assert build.XLSM_MAIN in z.read("[Content_Types].xml").decode()
        assert "Anomalies" in z.read("xl/workbook.xml").decode()


# ----------------------------------------------------------------------------- LibreOffice


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _basic_modules(ods: Path) -> dict[str, tuple[str, str]]:
    """"library/module" -> (module type, code) of the Basic modules LibreOffice saved."""
    found = {}
    with zipfile.ZipFile(ods) as z:
        for name in z.namelist():
            if name.startswith("Basic/") and name.count("/") == 2 and not name.endswith("script-lb.xml"):
                root = ET.fromstring(z.read(name))
                found[name[len("Basic/"):-len(".xml")]] = (root.get(f"{NS}moduleType"), root.text or "")
    return found


def _without_loader_lines(code: str) -> str:
    """LibreOffice's module text without the two lines it adds on loading VBA."""
    first, second, rest = code.split("\n", 2)
    assert first.startswith("Rem Attribute VBA_ModuleType=") and second == "Option VBASupport 1"
    return rest.rstrip("\n")


@pytest.mark.slow
@pytest.mark.skipif(_soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_loads_our_module_from_the_addin_and_the_template(dist: Path, tmp_path: Path):
    out = tmp_path / "ods"
    for name in ("relance.xlam", "modele-relance.xlsm"):
        done = subprocess.run(
            [_soffice() or "soffice", f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
             "--headless", "--norestore", "--infilter=Calc MS Excel 2007 VBA XML",
             "--convert-to", "ods", "--outdir", str(out), str(dist / name)],
            capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stderr
    addin = _basic_modules(out / "relance.ods")
    assert set(addin) == {f"MyAddin/{m}" for m in ("ThisWorkbook", "Sheet2", "Dictionary", "xlwings", "RibbonRelance")}
    kind, code = addin["MyAddin/RibbonRelance"]
    source = (ADDIN / "relance.bas").read_text("utf-8")
    expected = "\n".join(line for line in source.splitlines() if not line.startswith("Attribute VB_"))
    assert kind == "normal" and _without_loader_lines(code) == expected.rstrip("\n")
    assert "Function RunPython" in addin["MyAddin/xlwings"][1]
    assert addin["MyAddin/Dictionary"][0] == "class" and addin["MyAddin/ThisWorkbook"][0] == "document"
    template = _basic_modules(out / "modele-relance.ods")
    assert set(template) == {"VBAProject/ThisWorkbook", *(f"VBAProject/Sheet{k}" for k in range(1, 11))}
    assert {kind for kind, _ in template.values()} == {"document"}
