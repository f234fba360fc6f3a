"""`relance addin install`: the Relance add-in into Excel's startup folder, and its configuration.

The add-in is xlwings' custom add-in (addin/build.py), whose VBA project is named `myaddin`; it
reads its settings as xlwings does (its VBA `GetConfig`): the workbook's `myaddin.conf` sheet,
the add-in's own sheet, a `myaddin.conf` beside the workbook, then the user's file,
`%USERPROFILE%\\.myaddin\\myaddin.conf` on Windows or
`~/Library/Containers/com.microsoft.Excel/Data/myaddin.conf` on macOS, one `"KEY","value"` line
each. Installing writes the user's file (its other lines kept): the Python that runs relance
(`INTERPRETER_WIN` / `INTERPRETER_MAC`), the folder holding `relance_addin` (`PYTHONPATH`) and the
module of the worksheet functions (`UDF MODULES`).

The startup folder is Excel's XLSTART (Windows: `%APPDATA%\\Microsoft\\Excel\\XLSTART`; macOS: the
Office group container's `Startup.localized/Excel`): Excel opens every file there when it starts.
Without Excel (Linux), nothing is installed: a ConfigError says what to do instead.
"""

from __future__ import annotations

import os
import platform
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from relance.engine.catalog import console
from relance.engine.errors import ConfigError

#: The VBA project name of xlwings' custom add-in skeleton: its settings file is named after it.
PROJECT = "myaddin"
UDF_MODULE = "relance_addin.udfs"


@dataclass(frozen=True)
class Installed:
    target: Path
    config: Path
    python: str
    udfs: str


def excel_system(system: str | None = None) -> str:
    """"Windows" or "Darwin" where Excel runs; a ConfigError elsewhere."""
    system = system or platform.system() or os.name
    if system not in ("Windows", "Darwin"):
        raise ConfigError(console.ADDIN_NO_EXCEL(system=system), console.ADDIN_NO_EXCEL_FIX())
    return system


def startup_folder(system: str, home: Path, env: Mapping[str, str]) -> Path:
    """Excel's per-user XLSTART folder."""
    if system == "Windows":
        appdata = env.get("APPDATA") or str(home / "AppData" / "Roaming")
        return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"
    return (home / "Library" / "Group Containers" / "UBF8T346G9.Office" / "User Content.localized"
            / "Startup.localized" / "Excel")


def config_file(system: str, home: Path) -> Path:
    """The add-in's per-user settings file (read by its VBA GetConfig)."""
    if system == "Windows":
        return home / f".{PROJECT}" / f"{PROJECT}.conf"
    return home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / f"{PROJECT}.conf"


def write_config(path: Path, settings: Mapping[str, str]) -> None:
    """Set these keys in an xlwings-style settings file, every other line kept."""
    keep: list[str] = []
    if path.exists():
        for line in path.read_text("utf-8").splitlines():
            key = line.split(",", 1)[0].strip().strip('"').upper()
            if line.strip() and key not in {k.upper() for k in settings}:
                keep.append(line)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [*keep, *(f'"{k}","{v}"' for k, v in settings.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def install(xlam: Path, python: str, addin_dir: Path, *, system: str | None = None, home: Path | None = None,
            env: Mapping[str, str] | None = None) -> Installed:
    """Copy the add-in into XLSTART and write its settings (module docstring)."""
    found = excel_system(system)
    if not xlam.is_file():
        raise ConfigError(console.ADDIN_MISSING(path=xlam), console.ADDIN_MISSING_FIX())
    home = home or Path.home()
    folder = startup_folder(found, home, os.environ if env is None else env)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / xlam.name
    shutil.copyfile(xlam, target)
    config = config_file(found, home)
    interpreter = "INTERPRETER_WIN" if found == "Windows" else "INTERPRETER_MAC"
    write_config(config, {interpreter: python, "PYTHONPATH": str(addin_dir), "UDF MODULES": UDF_MODULE})
    return Installed(target, config, python, UDF_MODULE)
