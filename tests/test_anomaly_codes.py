"""Anomaly codes are stable and documented: every code relance reports is in docs/anomalies.md, with
its severity and its texts in French and English, and every code documented there is still used."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "anomalies.md"
CODE = re.compile(r"""["'](R\d{3})["']""")


def used_codes() -> set[str]:
    """The codes the source passes to an anomaly (a literal "R123" anywhere in src/)."""
    return {m for path in (ROOT / "src").rglob("*.py") for m in CODE.findall(path.read_text(encoding="utf-8"))}


def documented() -> dict[str, str]:
    """Code -> its section of docs/anomalies.md."""
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^## (R\d{3}) \((error|warning)\)\n", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] + parts[i + 2] for i in range(1, len(parts) - 2, 3)}


def test_every_code_used_is_documented_and_every_documented_code_is_used():
    used, doc = used_codes(), documented()
    assert used, "no anomaly code found in src/"
    assert sorted(used - set(doc)) == [], "codes used in src/ but missing from docs/anomalies.md"
    assert sorted(set(doc) - used) == [], "codes in docs/anomalies.md that src/ no longer uses"


def test_each_code_says_its_severity_and_both_languages():
    for code, section in documented().items():
        assert section.startswith(("error", "warning")), code
        for label in ("- Problème :", "- Correction :", "- Problem:", "- Fix:"):
            assert label in section, f"{code}: no {label!r} line"
