"""The hand-off summary (render/handoff.py ``_summary_pdf``), drawn on reportlab's canvas, reads as the
platypus one it replaced (tests/reference_handoff.py keeps it): the same words in the same order
(pdftotext), the same lines where they were (pdftotext -layout, page by page), the same page count
and size and the same metadata, for few and many invoices and reminders, long names and addresses
that wrap and split words, several currencies whose tables run onto a second page (their header
repeated), B2B, B2C and unknown customers, in French and in English, with the shipped, reworded and
broken wording."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import pytest

import reference_handoff
from letters import pdf_info, pdf_to_text, poppler
from relance.render import handoff
from test_handoff_speed import CASES, LONG_NAME, MANY, RENDERERS, long_history, make, renderer_of

#: A summary whose timeline runs onto the next page: a name and an address over many lines, six currencies.
SPLIT = dict(customer=dict(name=LONG_NAME * 2, contact_name="M. " + LONG_NAME, address=LONG_NAME * 3),
             invoices=MANY, history=long_history(40))

pytestmark = poppler


def summary(module: object, case: str, lang: str, wording: str) -> bytes:
    data, _ = make(module, SPLIT if case == "split timeline" else CASES[case], lang, renderer_of(wording, lang))
    return zipfile.ZipFile(io.BytesIO(data)).read("synthese.pdf")


def pages(pdf: bytes, flag: str) -> list[str]:
    """The text of each page, as pdftotext reads it (raw order, or laid out as printed)."""
    count = int(pdf_info(pdf)["Pages"])
    return [pdf_to_text(pdf, flag, "-f", str(page), "-l", str(page)) for page in range(1, count + 1)]


@pytest.mark.parametrize("wording", sorted(RENDERERS))
@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("case", [*sorted(CASES), "split timeline"])
def test_the_summary_reads_as_the_platypus_one(case: str, lang: str, wording: str) -> None:
    former, drawn = summary(reference_handoff, case, lang, wording), summary(handoff, case, lang, wording)
    assert pdf_to_text(drawn) == pdf_to_text(former)  # every word, in the same order
    assert pages(drawn, "-layout") == pages(former, "-layout")  # each line where it was, page by page
    info, before = pdf_info(drawn), pdf_info(former)
    for key in ("Pages", "Page size", "Title", "Subject", "Author", "Creator", "Producer"):
        assert info.get(key) == before.get(key), key


def test_long_tables_run_onto_a_second_page_with_their_header() -> None:
    pdf = summary(handoff, "split timeline", "fr", "shipped")
    first, second = pages(pdf, "-layout")
    assert "Devise" in first and "Relances envoyées" in first and "Statut" in first
    assert "Relances envoyées" not in second
    assert second.split()[:5] == ["Date", "Canal", "Étape", "Destinataire", "Statut"]  # the header, again
    assert "relances plus anciennes figurent dans relances.csv" in " ".join(second.split())


def test_the_summary_is_the_same_bytes_every_time_and_renders(tmp_path: Path) -> None:
    pdf = summary(handoff, "split timeline", "en", "shipped")
    assert pdf == summary(handoff, "split timeline", "en", "shipped")
    (tmp_path / "summary.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(tmp_path / "summary.pdf"), str(tmp_path / "page")],
                   capture_output=True, check=True)
    assert sorted(p.name for p in tmp_path.glob("page*.png")) == ["page-1.png", "page-2.png"]
