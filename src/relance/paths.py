"""Where the data shipped with relance lives: scenarios/ and sheet_templates/.

In a wheel they are under relance/_data; in a source checkout (editable install) at the repo root.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    for candidate in (_HERE / "_data" / name, _HERE.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"relance data folder {name!r} not found (broken installation)")
