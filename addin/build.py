"""Build the Relance Excel add-in and its workbook template into addin/dist/ (works on Linux).

    python addin/build.py            # addin/dist/relance.xlam, relance.bas, modele-relance.xlsx

What is built, and what is not:
- relance.xlam: the skeleton `xlwings quickstart relance --addin --ribbon` writes (xlwings' own
  add-in: its xlwings VBA module with RunPython, its `_myaddin.conf` sheet), with OUR ribbon
  (addin/customUI.xml) put in as customUI/customUI.xml. Every other part is copied byte for
  byte; the zip is written with fixed dates in the skeleton's order, so the same xlwings version
  gives the same file (its SHA-256 is printed).
- The VBA project (xl/vbaProject.bin) is a compound binary only Excel writes: our ribbon module
  (addin/relance.bas) cannot be put into it here. relance.bas is copied to dist/ in the encoding
  the VBA editor imports (Windows-1252, CRLF); once, in Excel, the person who ships the add-in
  imports it (VBA editor: File > Import File...) and saves the add-in (docs/excel.md). Until
  then the Relance tab shows, but its buttons say the macro cannot be found.
- modele-relance.xlsx: `relance init`'s French template with the RELANCE_… worksheet functions
  already placed beside the invoices (one array formula per column over the first rows). An
  .xlsm would need a VBA project, which cannot be written without Excel either; an .xlsx needs
  none: the functions come from the add-in.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DIST = HERE / "dist"
CUSTOM_UI = "customUI/customUI.xml"
#: The zip entries' date: fixed, so that a build is reproducible.
FIXED_DATE = (2024, 1, 1, 0, 0, 0)
#: Rows the template's array formulas cover (invoices beyond them: extend the formulas).
TEMPLATE_ROWS = 2000


def skeleton(folder: Path) -> Path:
    """The add-in `xlwings quickstart relance --addin --ribbon` writes, in `folder`."""
    command = [sys.executable, "-c", "import sys; from xlwings.cli import main; sys.argv[0] = 'xlwings'; main()",
               "quickstart", "relance", "--addin", "--ribbon"]
    subprocess.run(command, cwd=folder, check=True, capture_output=True)
    return folder / "relance" / "relance.xlam"


def assemble(source: Path, custom_ui: bytes, target: Path) -> None:
    """`source` with its customUI/customUI.xml replaced by `custom_ui`, every other part as it was."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        names = [i.filename for i in zin.infolist()]
        if CUSTOM_UI not in names:
            raise SystemExit(f"{source} has no {CUSTOM_UI}: not the ribbon skeleton")
        for name in names:
            data = custom_ui if name == CUSTOM_UI else zin.read(name)
            info = zipfile.ZipInfo(name, FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, data)


def vba_module(source: Path, target: Path) -> None:
    """relance.bas as the VBA editor imports it: Windows-1252, CRLF line ends."""
    text = source.read_text("utf-8").replace("\r\n", "\n")
    target.write_bytes(text.replace("\n", "\r\n").encode("cp1252"))


def template(target: Path) -> None:
    """The French workbook template with the RELANCE_… columns beside the invoices."""
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
    wb.save(target)


def main() -> None:
    DIST.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="relance-addin-") as folder:
        xlam = DIST / "relance.xlam"
        assemble(skeleton(Path(folder)), (HERE / "customUI.xml").read_bytes(), xlam)
    vba_module(HERE / "relance.bas", DIST / "relance.bas")
    shutil.copy2(HERE / "customUI.xml", DIST / "customUI.xml")
    template(DIST / "modele-relance.xlsx")
    digest = hashlib.sha256(xlam.read_bytes()).hexdigest()
    print(f"{xlam} (sha256 {digest})\n{DIST / 'relance.bas'}  <- import it once in Excel's VBA editor "
          f"(docs/excel.md)\n{DIST / 'modele-relance.xlsx'}")


if __name__ == "__main__":
    main()
