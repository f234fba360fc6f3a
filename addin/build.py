"""Build the Relance Excel add-in and its workbook templates into addin/dist/ (works on Linux).

    python addin/build.py    # addin/dist/relance.xlam, modele-relance.xlsm, modele-relance.xlsx

- relance.xlam: the skeleton `xlwings quickstart relance --addin --ribbon` writes (xlwings' own
  add-in: its `_myaddin.conf` sheet, its VBA project named MyAddin) with OUR ribbon
  (addin/customUI.xml) as customUI/customUI.xml and a VBA project rewritten from source
  (addin/vba_project.py): xlwings' modules of the skeleton (xlwings, Dictionary and the
  document modules), their source byte for byte, plus our ribbon module (addin/relance.bas).
  The skeleton's sample module RibbonMyAddin goes: only the skeleton's ribbon called it. The
  buttons work once the add-in is opened; nothing is imported by hand.
- modele-relance.xlsm: `relance init`'s French template with the RELANCE_… worksheet functions
  placed beside the invoices (one array formula per column over the first rows), macro-enabled:
  its VBA project holds one document module per sheet and no code (the buttons and the
  functions come from the add-in; docs/excel.md says why).
- modele-relance.xlsx: the same template without a VBA project (no macro warning at all).

Every zip is written with fixed dates and fixed document times, so the same xlwings version and
the same sources give the same bytes (the SHA-256 of each file is printed).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # vba_project.py beside this file, however build.py is started
    sys.path.insert(0, str(HERE))

from vba_project import Module, Project, read_project, write_project  # noqa: E402

DIST = HERE / "dist"
CUSTOM_UI = "customUI/customUI.xml"
VBA_PROJECT = "xl/vbaProject.bin"
#: The zip entries' date: fixed, so that a build is reproducible.
FIXED_DATE = (2024, 1, 1, 0, 0, 0)
#: The templates' creation and modification time (docProps/core.xml), fixed for the same reason.
FIXED_TIME = "2024-01-01T00:00:00Z"
#: Rows the template's array formulas cover (invoices beyond them: extend the formulas).
TEMPLATE_ROWS = 2000
#: The skeleton's sample module: called by the skeleton's ribbon only, which ours replaces.
SAMPLE_MODULE = "RibbonMyAddin"
#: The macro-enabled workbook's content type and the VBA project's relationship ([MS-OFFMACRO2]).
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
VBA_CONTENT = "application/vnd.ms-office.vbaProject"
VBA_RELATION = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"


def skeleton(folder: Path) -> Path:
    """The add-in `xlwings quickstart relance --addin --ribbon` writes, in `folder`."""
    command = [sys.executable, "-c", "import sys; from xlwings.cli import main; sys.argv[0] = 'xlwings'; main()",
               "quickstart", "relance", "--addin", "--ribbon"]
    subprocess.run(command, cwd=folder, check=True, capture_output=True)
    return folder / "relance" / "relance.xlam"


def xlwings_file(name: str) -> Path:
    """A file shipped inside the installed xlwings package (its quickstart workbooks)."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or spec.origin is None:
        raise SystemExit("xlwings is not installed: pip install 'relance[excel]'")
    return Path(spec.origin).parent / name


def addin_project(skeleton_vba: bytes, ribbon_bas: str) -> bytes:
    """The add-in's vbaProject.bin: the skeleton's modules (its sample one excepted), their
    source unchanged, then our ribbon module; written from source (addin/vba_project.py)."""
    project = read_project(skeleton_vba)
    ours = Module.from_bas(ribbon_bas)
    kept = [m for m in project.modules if m.name not in (SAMPLE_MODULE, ours.name)]
    return write_project(project.with_modules([*kept, ours]))


def template_project(standalone_vba: bytes, sheets: int) -> bytes:
    """The template's vbaProject.bin: the project of xlwings' quickstart_standalone.xlsm (its
    name, its references: Office and MSForms, none to a file) holding only document modules,
    ThisWorkbook and Sheet1…Sheet<sheets>, the code names the template's workbook.xml gives."""
    project: Project = read_project(standalone_vba)
    book = project.module("ThisWorkbook")
    sheet = project.module("Sheet1")
    modules = [book] + [Module(f"Sheet{k}", "document",
                               sheet.source.replace('"Sheet1"', f'"Sheet{k}"', 1))
                        for k in range(1, sheets + 1)]
    return write_project(project.with_modules(modules))


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, FIXED_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def assemble(source: Path, custom_ui: bytes, target: Path, vba_project: bytes | None = None) -> None:
    """`source` with its customUI/customUI.xml replaced by `custom_ui` (and its
    xl/vbaProject.bin by `vba_project` when given), every other part as it was."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        names = [i.filename for i in zin.infolist()]
        if CUSTOM_UI not in names or VBA_PROJECT not in names:
            raise SystemExit(f"{source} has no {CUSTOM_UI}: not the ribbon skeleton")
        for name in names:
            data = zin.read(name)
            if name == CUSTOM_UI:
                data = custom_ui
            elif name == VBA_PROJECT and vba_project is not None:
                data = vba_project
            zout.writestr(_zip_info(name), data)


def vba_module(source: Path, target: Path) -> None:
    """relance.bas as the VBA editor imports it: Windows-1252, CRLF line ends."""
    text = source.read_text("utf-8").replace("\r\n", "\n")
    target.write_bytes(text.replace("\n", "\r\n").encode("cp1252"))


def _template_workbook(target: Path, code_names: bool) -> None:
    """The French workbook template with the RELANCE_… columns beside the invoices, saved by
    openpyxl at `target` (its code names set when `code_names`, for a VBA project)."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.formula import ArrayFormula

    from relance.app.jobs import init_workbook

    target.unlink(missing_ok=True)
    init_workbook(target, "fr")
    wb = load_workbook(target)
    ws = wb["Factures"]
    header = [c.value for c in ws[1]]
    col = {name: get_column_letter(i + 1) for i, name in enumerate(header) if name}
    first = len(header) + 2  # one blank column between the invoices and the functions
    last = TEMPLATE_ROWS + 1
    due, amount, number = col["Échéance"], col["Montant TTC"], col["N° facture"]
    columns = [
        ("RELANCE jours de retard", f"RELANCE_DAYS_LATE({due}2:{due}{last})"),
        ("RELANCE solde", f"RELANCE_BALANCE({number}2:{number}{last},{amount}2:{amount}{last},"
                          f"Reglements!C2:C{last * 2},Reglements!B2:B{last * 2})"),
    ]
    balance = get_column_letter(first + 1)
    columns.append(("RELANCE tranche", f"RELANCE_BUCKET({due}2:{due}{last},{balance}2:{balance}{last})"))
    for k, (title, formula) in enumerate(columns):
        letter = get_column_letter(first + k)
        ws[f"{letter}1"] = title
        ws[f"{letter}2"] = ArrayFormula(f"{letter}2:{letter}{last}", f"={formula}")
        ws.column_dimensions[letter].width = 18
    if code_names:
        wb.code_name = "ThisWorkbook"
        for k, sheet in enumerate(wb.worksheets, start=1):
            sheet.sheet_properties.codeName = f"Sheet{k}"
    wb.save(target)


def _fixed_times(core: bytes) -> bytes:
    """docProps/core.xml with its created and modified times fixed."""
    return re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + FIXED_TIME.encode() + rb"\3",
                  core)


def _repack(source: bytes, target: Path, vba_project: bytes | None) -> None:
    """openpyxl's zip rewritten with fixed dates and times; made macro-enabled when a VBA
    project is given (its content type, its relationship, the part itself)."""
    with zipfile.ZipFile(io.BytesIO(source)) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "docProps/core.xml":
                data = _fixed_times(data)
            elif vba_project is not None and name == "[Content_Types].xml":
                text = data.decode("utf-8")
                if XLSX_MAIN not in text:
                    raise SystemExit("openpyxl wrote no workbook content type: cannot make an .xlsm")
                text = text.replace(XLSX_MAIN, XLSM_MAIN).replace(
                    "</Types>", f'<Override PartName="/{VBA_PROJECT}" ContentType="{VBA_CONTENT}" /></Types>')
                data = text.encode("utf-8")
            elif vba_project is not None and name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", f'<Relationship Id="rIdVbaProject" Type="{VBA_RELATION}" '
                                    'Target="vbaProject.bin" /></Relationships>'.encode())
            zout.writestr(_zip_info(name), data)
            if vba_project is not None and name == "xl/workbook.xml":
                zout.writestr(_zip_info(VBA_PROJECT), vba_project)


def template(target: Path, standalone_vba: bytes | None = None) -> None:
    """The French template with the RELANCE_… columns beside the invoices, reproducibly: an
    .xlsx without `standalone_vba`, else an .xlsm whose VBA project is drawn from it
    (template_project)."""
    from openpyxl import load_workbook

    with tempfile.TemporaryDirectory(prefix="relance-template-") as folder:
        plain = Path(folder) / "modele.xlsx"
        _template_workbook(plain, code_names=standalone_vba is not None)
        vba = None
        if standalone_vba is not None:
            vba = template_project(standalone_vba, len(load_workbook(plain, read_only=True).sheetnames))
        _repack(plain.read_bytes(), target, vba)


def build(dist: Path) -> list[Path]:
    """Everything into `dist`: the add-in, the two templates, our ribbon's sources; the built
    files first."""
    dist.mkdir(parents=True, exist_ok=True)
    xlam = dist / "relance.xlam"
    with tempfile.TemporaryDirectory(prefix="relance-addin-") as folder:
        source = skeleton(Path(folder))
        with zipfile.ZipFile(source) as z:
            project = addin_project(z.read(VBA_PROJECT), (HERE / "relance.bas").read_text("utf-8"))
        assemble(source, (HERE / "customUI.xml").read_bytes(), xlam, project)
    with zipfile.ZipFile(xlwings_file("quickstart_standalone.xlsm")) as z:
        standalone = z.read(VBA_PROJECT)
    template(dist / "modele-relance.xlsm", standalone)
    template(dist / "modele-relance.xlsx")
    vba_module(HERE / "relance.bas", dist / "relance.bas")  # for a project edited by hand
    shutil.copy2(HERE / "customUI.xml", dist / "customUI.xml")
    return [xlam, dist / "modele-relance.xlsm", dist / "modele-relance.xlsx"]


def main() -> None:
    for built in build(DIST):
        print(f"{built} (sha256 {hashlib.sha256(built.read_bytes()).hexdigest()})")


if __name__ == "__main__":
    main()
