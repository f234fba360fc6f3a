"""Issue 15 item 4: the letter's faster paths give exactly what the reference ones gave.

- ``pdf_text`` skips the per-character mapping for a text already drawable as it is: checked
  against the per-character reference on generated texts (hypothesis);
- one formatter per letter instead of one per amount: the same figures, the same bytes;
- a plain text's paragraph made without reportlab's markup parser, a paragraph laid out once per
  width: the same PDF as reportlab's own Paragraph (hypothesis, long tables, page breaks);
- the PDF is deterministic (reportlab's invariant mode): the same context gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Table

from letters import (
    context,
    flat,
    formal_notice_pdf,
    invoice,
    pdf_info,
    pdf_to_text,
    poppler,
    preset,
)
from relance.engine.formats import formats
from relance.render import letter


def reference_pdf_text(text: object) -> str:
    """pdf_text as it was written first: every character mapped, one by one."""
    out: list[str] = []
    for char in unicodedata.normalize("NFC", "" if text is None else str(text)):
        char = letter._CLOSE.get(char, char)
        if len(char) != 1:
            out.append(char)
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(" " if char not in "\u00ad" else "")
        elif letter._in_cp1252(char):
            out.append(char)
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(base if base and all(letter._in_cp1252(c) for c in base) else "?")
    return "".join(out)


#: What letters meet: French and foreign names, CLDR's spaces, typographic marks, controls.
SAMPLES = "aéèêàçôûïÉÀ Łódź Ærøskøbing İstanbul Œuvre ß€‰…–—‘’“”«»\u00a0\u202f\u2009\u00ad\t\n\r" \
          "\u200b\ufeff№→≤×✓•e\u0301A\u030a\u212b\u2126\u0130ǅﬁ①㎏"


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(alphabet=st.sampled_from(SAMPLES + "abcXYZ019 .,;:!?'\"<>&")), st.text()))
def test_pdf_text_is_the_per_character_mapping(text: str) -> None:
    assert letter.pdf_text(text) == reference_pdf_text(text)


def test_pdf_text_of_every_windows_1252_character() -> None:
    every = bytes(range(256)).decode("cp1252", errors="ignore")
    for char in every:
        assert letter.pdf_text(char) == reference_pdf_text(char), repr(char)
    assert letter.pdf_text(every) == reference_pdf_text(every)
    assert letter.pdf_text(None) == "" and letter.pdf_text(12) == "12"


def test_one_formatter_per_letter_writes_what_one_per_amount_wrote() -> None:
    fmt = formats("fr_FR")
    for amount, currency in [("1234.565", "EUR"), ("-0.005", "EUR"), ("12", "JPY"), ("1e6", "USD")]:
        assert letter.money(amount, currency, "fr", fmt) == letter.money(amount, currency, "fr")
    assert letter.long_date("2026-12-01", "fr", fmt) == letter.long_date("2026-12-01", "fr") == "1er\u00a0décembre\u00a02026"
    ctx = context()
    assert letter.letter_values(ctx, "fr", fmt) == letter.letter_values(ctx, "fr")


def test_the_same_context_gives_the_same_bytes() -> None:
    ctx = context()
    first = formal_notice_pdf(ctx, ["1 rue X", "75001 Paris"])
    assert formal_notice_pdf(context(), ["1 rue X", "75001 Paris"]) == first
    assert b"/CreationDate (D:20000101000000+00'00')" in first  # reportlab's invariant mode


def _pdf(flowables: list[Any]) -> bytes:
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, invariant=1).build(flowables)
    return buf.getvalue()


TEXTS = st.text(alphabet=st.sampled_from(SAMPLES + "abcXYZ019 .,;:!?'\"<>&-–/"), max_size=300)


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=8))
def test_a_plain_paragraph_is_the_parsed_one(texts: list[str]) -> None:
    """Kit.plain skips reportlab's parser for a text without markup: the same fragments, the same
    PDF as Paragraph(markup(text)), whatever the text (and the parser where it has work to do)."""
    kit = letter.Kit("fr")
    styles = [letter.BODY, letter.CELL_R, letter.HEAD, letter.text_style("x", leftIndent=30)]
    fast = [kit.plain(t, styles[i % 4]) for i, t in enumerate(texts)]
    slow = [Paragraph(letter.markup(t), styles[i % 4]) for i, t in enumerate(texts)]
    for a, b in zip(fast, slow, strict=True):
        assert [vars(f) for f in a.frags] == [vars(f) for f in b.frags]
    assert _pdf(fast) == _pdf(slow)


def test_paragraphs_laid_out_once_per_width_draw_what_paragraphs_draw() -> None:
    """letter.Para remembers its lines for a width: tables, kept-together blocks and paragraphs
    split across pages come out as reportlab's Paragraph lays them out."""
    def story(para: Any) -> list[Any]:
        long = "Une phrase assez longue pour passer à la ligne plusieurs fois dans une cellule étroite. " * 3
        rows = [[para(f"F-{i:04d} {long if i % 9 == 0 else ''}", letter.CELL),
                 para(f"{i * 1234.5:,.2f}\u00a0€", letter.CELL_R)] for i in range(120)]
        return [para("<b>Objet :</b> mise en demeure", letter.BODY),
                Table(rows, colWidths=[90 * mm, 40 * mm], repeatRows=1),
                KeepTogether([para(long, letter.BODY), para(long * 5, letter.BODY)]),
                *[para(long * 12, letter.BODY) for _ in range(4)]]

    assert _pdf(story(letter.Para)) == _pdf(story(Paragraph))


@poppler
def test_a_long_letter_with_the_run_s_formatter_reads_page_by_page() -> None:
    """70 invoices in two currencies: three pages, each numbered, the running head from page 2,
    every invoice listed once, the totals per currency; a run's shared formatter changes no byte."""
    many = [invoice(f"F-2026-{i:04d}", dt.date(2026, 1, 1) + dt.timedelta(days=i),
                    dt.date(2026, 2, 1) + dt.timedelta(days=i), f"{1000 + i * 37}.50", f"{900 + i * 13}.25",
                    f"{i}.11", "EUR" if i % 7 else "USD") for i in range(70)]
    pdf = formal_notice_pdf(context(invoices=many), ["1 rue X", "75001 Paris"])
    shared = letter.formal_notice_pdf(context(invoices=many), ["1 rue X", "75001 Paris"], "fr",
                                      renderer=preset(), fmt=formats("fr_FR"))
    assert shared == pdf
    assert pdf_info(pdf)["Pages"] == "3"
    pages = pdf_to_text(pdf).split("\f")
    assert [p for p in pages if p.strip()] == pages[:3]
    for number, page in enumerate(pages[:3], start=1):
        assert f"{number}/3" in page
        assert ("Mise en demeure de payer – Boulangerie Martin" in flat(page)) == (number > 1)
    text = flat(pdf_to_text(pdf))
    assert all(text.count(f"F-2026-{i:04d}") >= 1 for i in range(70))
    assert "Total réclamé" in text and "$US" in text
