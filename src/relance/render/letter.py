"""The formal notice (mise en demeure) as a printed letter: a render context in, PDF bytes out.

Pure: no clock (every date comes from the context), no I/O; the same context gives the same
bytes (reportlab's ``invariant`` mode fixes the creation date and the document id).

The layout is the French business letter (NF Z 11-001 habits): sender block top left, the
recipient block where the window of a DL envelope (110 x 220 mm, window on the right) shows it,
place and date under it, the registered-mail mention, the object line, the body, the
signature on the right, and a footer with the sender's details and the page count.

Every word comes from the template ``formal_notice``, part ``letter`` (scenarios/templates/<lang>/
formal_notice.letter.j2, one block per paragraph or label, overridable block by block from the
Modeles tab: render/wording.py); the layout, the figures and the order of the paragraphs are here.

The standard PDF fonts (Helvetica) are used, so nothing is embedded; they can only draw the
Windows-1252 repertoire, so every text goes through :func:`pdf_text`, which maps any other
character to a close one ("Łódź" -> "Lodz") instead of the black box reportlab would draw.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.paragraph import cleanBlockQuotedText
from reportlab.platypus.paraparser import ParaParser

from relance.engine.catalog import anomalies as A
from relance.engine.formats import Formats, formats
from relance.engine.i18n import french_typography
from relance.render.messages import Renderer, TemplateProblem
from relance.render.wording import Wording

__all__ = [
    "LOCALES",
    "Kit",
    "Para",
    "as_date",
    "as_decimal",
    "formal_notice_pdf",
    "french_spacing",
    "long_date",
    "money",
    "payment_reference",
    "pdf_text",
    "letter_values",
    "rate_of",
    "reply_address",
    "short_date",
]

#: Babel locale per letter language (the same choice as the message templates).
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
_LOCALE = LOCALES
DEFAULT_INDEMNITY = Decimal(40)

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT = RIGHT = 20 * mm
TOP = 15 * mm
BOTTOM = 22 * mm
BODY_WIDTH = PAGE_WIDTH - LEFT - RIGHT  # 170 mm
#: The recipient block: 110 mm from the left edge, 45 mm from the top, 80 x 38 mm, which is
#: what the window of a DL (110 x 220 mm) envelope shows of an A4 sheet folded in three.
WINDOW_LEFT = 110 * mm
WINDOW_TOP = 45 * mm
WINDOW_HEIGHT = 38 * mm
SENDER_WIDTH = WINDOW_LEFT - LEFT
#: The recipient block, the date and the signature start 4 mm inside the window.
SIGN_INDENT = SENDER_WIDTH + 4 * mm
SIGNATURE_SPACE = 13 * mm
#: platypus frames pad their content by 6 pt: the margins are set that much smaller.
FRAME_PAD = 6

GREY = colors.Color(0.35, 0.35, 0.35)
RULE = colors.Color(0.55, 0.55, 0.55)
SHADE = colors.Color(0.92, 0.92, 0.92)

# --------------------------------------------------------------------------- text helpers

#: Characters outside Windows-1252 that Unicode decomposition does not bring back into it.
_CLOSE = {
    "\u202f": "\u00a0", "\u2007": "\u00a0", "\u2060": "", "\ufeff": "", "\u200b": "",
    "\u2000": " ", "\u2001": " ", "\u2002": " ", "\u2003": " ", "\u2004": " ", "\u2005": " ",
    "\u2006": " ", "\u2008": " ", "\u2009": " ", "\u200a": " ", "\u3000": " ",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2015": "—", "\u2212": "-", "\u2043": "-",
    "\u2032": "'", "\u2033": '"', "\u201b": "'", "\u201f": '"', "\u2039": "‹", "\u2044": "/",
    "\u2116": "N°", "\u2192": "->", "\u2190": "<-", "\u2264": "<=", "\u2265": ">=", "\u2260": "!=",
    "\u2248": "~", "\u00d7": "×", "\u2713": "v", "\u2714": "v", "\u2022": "•",
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i", "ŀ": "l", "Ŀ": "L",
    "ŧ": "t", "Ŧ": "T", "ĸ": "k", "ŉ": "'n", "ſ": "s", "ə": "e", "Ə": "E", "ɛ": "e", "ɔ": "o",
    "ß": "ß", "ẞ": "SS", "Ω": "Ohm",
}


def _in_cp1252(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _char(char: str) -> str:
    """One character (after NFC) as the standard PDF fonts can draw it."""
    mapped = _CLOSE.get(char, char)
    if len(mapped) != 1:
        return mapped
    if unicodedata.category(mapped) in ("Cc", "Cf", "Zl", "Zp"):
        return " " if mapped not in "\u00ad" else ""
    if _in_cp1252(mapped):
        return mapped
    base = "".join(c for c in unicodedata.normalize("NFKD", mapped) if not unicodedata.combining(c))
    return base if base and all(_in_cp1252(c) for c in base) else "?"


#: The characters of Windows-1252 that :func:`_char` does not keep as they are (controls, the
#: soft hyphen, a few mapped to a neighbour): a text of Windows-1252 without any is drawn as is.
_REDRAWN = frozenset(c for c in bytes(range(256)).decode("cp1252", errors="ignore") if _char(c) != c)


def pdf_text(text: object) -> str:
    """``text`` with every character the standard PDF fonts can draw (Windows-1252).

    U+202F (CLDR's French group separator) becomes a no-break space; accented letters from
    other scripts lose their accent ("ő" -> "o", "ł" -> "l"); control characters become
    spaces; anything else becomes "?".
    """
    raw = "" if text is None else str(text)
    try:
        raw.encode("cp1252")  # Windows-1252 characters are composed already: NFC keeps them
    except UnicodeEncodeError:
        pass
    else:
        if _REDRAWN.isdisjoint(raw):
            return raw
    return "".join([_char(char) for char in unicodedata.normalize("NFC", raw)])


def markup(text: object) -> str:
    """Paragraph markup for plain text: mapped to Windows-1252, then XML-escaped."""
    return escape(pdf_text(text))


def as_decimal(value: object) -> Decimal | None:
    """An amount from a context value (Decimal, int, text with a dot or comma); None stays None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    try:
        return Decimal(str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None


def _amount(value: object) -> Decimal:
    found = as_decimal(value)
    return Decimal(0) if found is None else found


def as_date(value: object) -> dt.date | None:
    """A date from a context value (date, datetime, ISO text); None or '' gives None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def money(amount: object, currency: str, lang: str = "fr", fmt: Formats | None = None) -> str:
    """``1 234,56 €`` (fr, no-break spaces) / ``€1,234.56`` (en): relance.engine.formats, half-up.
    ``fmt``: the formatter of ``lang`` when the caller has one (it learns each currency once)."""
    return (fmt or formats(_LOCALE.get(lang, lang))).money(_amount(amount), (currency or "EUR"))


def long_date(value: object, lang: str = "fr", fmt: Formats | None = None) -> str:
    """``1er décembre 2026`` (fr), ``23 November 2026`` (en), with no-break spaces (formats.date)."""
    day = as_date(value)
    return "" if day is None else (fmt or formats(_LOCALE.get(lang, lang))).date(day)


def short_date(value: object, lang: str = "fr", fmt: Formats | None = None) -> str:
    """``31/03/2025`` (fr), ``31 Mar 2025`` (en: unambiguous on both sides of the Atlantic)."""
    day = as_date(value)
    return "" if day is None else (fmt or formats(_LOCALE.get(lang, lang))).short_date(day)


def _join(items: Sequence[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    last = " et " if lang == "fr" else " and "
    return ", ".join(items[:-1]) + last + items[-1]


# --------------------------------------------------------------------------- styles


#: What reportlab's markup parser would act on in a text: tags and entities.
_MARKUP = frozenset("<>&")


class Kit:
    """What one document reuses from paragraph to paragraph: its formatter (which learns each
    currency's layout once) and, per style, the fragment reportlab's parser makes of a plain text,
    so that a plain text (no tag, no entity) needs no parsing: :meth:`plain`."""

    def __init__(self, lang: str, fmt: Formats | None = None) -> None:
        self.fmt = fmt or formats(_LOCALE.get(lang, lang))
        self._probes: dict[int, tuple[ParagraphStyle, Any]] = {}

    def plain(self, text: object, style: ParagraphStyle) -> Para:
        """``Para(markup(text), style)``: the same paragraph, parsed once per style."""
        shown = pdf_text(text)
        if not shown or not _MARKUP.isdisjoint(shown) or cleanBlockQuotedText(shown) != shown:
            return Para(escape(shown), style)
        found = self._probes.get(id(style))
        if found is None or found[0] is not style:
            _, frags, _ = ParaParser().parse("x", style)
            found = self._probes[id(style)] = (style, frags[0])
        frag = copy.copy(found[1])  # what the parser's handle_data does with each piece of text
        frag.text = shown
        return Para(shown, style, frags=[frag])


class Para(Paragraph):
    """reportlab's Paragraph, laid out once per width. Platypus asks a table cell for its size
    when it lays the table out and again when it draws it, a kept-together block when it checks
    the room left and again when it places it; the answer is a function of the width alone (the
    text and the style do not change), so it is worked out again only for another width."""

    _wrapped: tuple[float, object, float, float] | None = None  # width, lines, then the size

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 (reportlab's names)
        done = self._wrapped
        if done is not None and done[0] == availWidth and self.__dict__.get("blPara") is done[1]:
            return done[2], done[3]  # the same width, and no split since: the same lines
        size: tuple[float, float] = super().wrap(availWidth, availHeight)
        lines = self.__dict__.get("blPara")
        self._wrapped = (availWidth, lines, *size) if lines is not None else None
        return size



def text_style(name: str, **kw: Any) -> ParagraphStyle:
    base: dict[str, Any] = {"fontName": "Helvetica", "fontSize": 9.5, "leading": 12.5}
    base.update(kw)
    return ParagraphStyle(name, **base)


#: Left-aligned, never justified: a justified line holding an e-mail address or an IBAN would
#: stretch its spaces across the page.
BODY = text_style("body", alignment=TA_LEFT, spaceAfter=3)
PLAIN = text_style("plain")
BLOCK = text_style("block", leading=12)
SMALL = text_style("small", fontSize=8, leading=10, textColor=GREY)
CELL = text_style("cell", fontSize=8.5, leading=10.5)
CELL_R = text_style("cell_r", fontSize=8.5, leading=10.5, alignment=TA_RIGHT)
HEAD = text_style("head", fontName="Helvetica-Bold", fontSize=8.5, leading=10.5)
HEAD_R = text_style("head_r", fontName="Helvetica-Bold", fontSize=8.5, leading=10.5, alignment=TA_RIGHT)
STRONG = text_style("strong", fontName="Helvetica-Bold")
TITLE = text_style("title", fontName="Helvetica-Bold", fontSize=13, leading=16)


def _footer_canvas(footer: str, running_head: str, legal: str = "") -> Callable[..., Canvas]:
    """A canvas maker that writes the footer (the sender's details, then the legal mentions on
    at most two lines) and 'page n/N' once the page count is known."""
    legal_lines = simpleSplit(pdf_text(legal), "Helvetica", 6.5, BODY_WIDTH)[:2] if legal else []

    class _Numbered(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            self.saveState()
            self.setStrokeColor(RULE)
            self.setLineWidth(0.4)
            self.line(LEFT, 15 * mm, PAGE_WIDTH - RIGHT, 15 * mm)
            self.setFont("Helvetica", 7.5)
            self.setFillColor(GREY)
            self.drawString(LEFT, 11 * mm, pdf_text(footer))
            self.setFont("Helvetica", 6.5)
            for i, line in enumerate(legal_lines):
                self.drawString(LEFT, (8 - 2.8 * i) * mm, line)
            self.setFont("Helvetica", 7.5)
            if total > 1:
                self.drawRightString(PAGE_WIDTH - RIGHT, 11 * mm, f"{number}/{total}")
            if number > 1 and running_head:
                self.drawString(LEFT, PAGE_HEIGHT - 8 * mm, pdf_text(running_head))
            self.restoreState()

    return _Numbered


# --------------------------------------------------------------------------- wording

#: Where the letter's words are: the template ``formal_notice``, part ``letter`` (one block per
#: paragraph or label), in scenarios/templates/<lang>/formal_notice.letter.j2 or a Modeles row.
TEMPLATE, PART = "formal_notice", "letter"


def french_spacing(text: str) -> str:
    """French typography (relance.engine.i18n.french_typography): a no-break space before ':',
    a narrow one before ; ? ! and inside « », so that a colon or a guillemet never starts a line."""
    return french_typography(text)


_FRANCE = {"", "france", "fr", "fra", "france metropolitaine", "france métropolitaine"}


def _lines(value: object) -> list[str]:
    """Non-empty lines of a text that may hold several (an address cell with line breaks)."""
    text = "" if value is None else str(value)
    return [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]


def recipient_lines(customer: Mapping[str, Any], words: Wording | None = None) -> list[str]:
    """The address block as La Poste wants it: name, attention line (the contact, when ``words``
    can say it: block ``attention``), street lines, ``POSTCODE CITY`` (city in capitals), and
    the country only for mail abroad."""
    name = str(customer.get("name") or "").strip()
    contact = str(customer.get("contact_name") or "").strip()
    lines = [name] if name else []
    if words is not None and contact and contact.casefold() != name.casefold():
        lines.append(words("attention", contact=contact))
    lines += _lines(customer.get("address"))
    city_line = " ".join(
        part for part in (str(customer.get("postal_code") or "").strip(),
                          str(customer.get("city") or "").strip().upper()) if part
    )
    if city_line:
        lines.append(city_line)
    country = str(customer.get("country") or "").strip()
    if country.casefold() not in _FRANCE:
        lines.append(country.upper())
    return lines


# --------------------------------------------------------------------------- how to pay, who signs

_SAFE_LINKS = ("http://", "https://")


def _link(value: object) -> str:
    url = "" if value is None else str(value).strip()
    return url if url.lower().startswith(_SAFE_LINKS) else ""


def payment_reference(invoices: Sequence[Mapping[str, Any]]) -> str:
    """The transfer reference a debtor is asked to quote: the invoice numbers."""
    return ", ".join(str(inv.get("id") or "") for inv in invoices if inv.get("id"))


def _how_to_pay(words: Wording, company: Mapping[str, Any], invoices: Sequence[Mapping[str, Any]]) -> list[Flowable]:
    """The "how to pay" block: the transfer (IBAN, BIC) with the invoice numbers as its
    reference, each invoice's payment link, the customer portal."""
    lines: list[str] = []
    if str(company.get("iban") or "").strip():
        lines.append(words("pay_by"))
    elif payment_reference(invoices):
        lines.append(words("quote_ref"))
    for inv in invoices:
        url = _link(inv.get("payment_url"))
        if url:
            lines.append(words("pay_online", invoice=inv, url=url))
    portal = _link(company.get("portal_url"))
    if portal:
        lines.append(words("portal", url=portal))
    if not lines:
        return []
    label = f"<b>{markup(words('how_to_pay'))}</b> "
    return [Para(label + "<br/>".join(markup(line) for line in lines), BODY)]


def _signatory(company: Mapping[str, Any]) -> list[str]:
    """Who signs: Settings signatory_name and signatory_title ("Jeanne Dupont, gérante"), else
    the context's one-line ``signatory``; [] when nobody is named (a line is drawn to sign on)."""
    name = str(company.get("signatory_name") or "").strip()
    title = str(company.get("signatory_title") or "").strip()
    if name or title:
        return [", ".join(x for x in (name, title) if x)]
    single = str(company.get("signatory") or "").strip()
    return [single] if single else []


def reply_address(company: Mapping[str, Any]) -> str:
    """The one address a debtor is told to write to: the Reply-To of the e-mails (Settings
    reply_to), else the From address (sender_email) — never a second address."""
    return str(company.get("reply_to") or company.get("email") or "").strip()


def rate_of(rate: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The context's ``penalty_rate`` with Decimal figures (mode, rate, ecb_rate, margin), or
    None when it gives no rate: the rate paragraph is then left out."""
    if not rate or as_decimal(rate.get("rate")) is None:
        return None
    ecb = as_decimal(rate.get("ecb_rate"))
    fixed = rate.get("mode") == "fixed" or ecb is None
    margin = as_decimal(rate.get("margin"))
    return {**rate, "mode": "fixed" if fixed else str(rate.get("mode") or "legal_semester"),
            "rate": as_decimal(rate.get("rate")), "ecb_rate": None if fixed else ecb,
            "margin": None if fixed else (margin if margin is not None else Decimal(10))}


# --------------------------------------------------------------------------- the letter


def _totals(context: Mapping[str, Any], b2b: bool) -> tuple[list[dict[str, Any]], Decimal, int]:
    """Per currency: principal, penalties, indemnity (EUR only) and total; plus the indemnity
    total and count. The indemnity is stated in EUR (D441-5): it joins the EUR total, or gets
    a line of its own when nothing is owed in EUR."""
    indemnity = context.get("indemnity") or {}
    count = int(indemnity.get("count") or 0) if b2b else 0
    amount = _amount(indemnity.get("amount")) if b2b and count else Decimal(0)
    rows: list[dict[str, Any]] = []
    for total in context.get("totals") or ():
        currency = str(total.get("currency") or "EUR").upper()
        principal = _amount(total.get("open_balance"))
        penalties = as_decimal(total.get("late_penalties")) if b2b else None
        ind = amount if currency == "EUR" else Decimal(0)
        rows.append({
            "currency": currency, "principal": principal, "penalties": penalties or Decimal(0),
            "indemnity": ind, "total": principal + (penalties or Decimal(0)) + ind,
        })
    if amount and not any(r["currency"] == "EUR" for r in rows):
        rows.append({"currency": "EUR", "principal": Decimal(0), "penalties": Decimal(0),
                     "indemnity": amount, "total": amount, "indemnity_only": True})
    return rows, amount, count


def _invoice_table(words: Wording, invoices: Sequence[Mapping[str, Any]], b2b: bool, lang: str,
                   kit: Kit) -> Table:
    fmt = kit.fmt
    head = [words(x) for x in ("col_id", "col_date", "col_due", "col_late", "col_amount", "col_open")]
    widths = [34, 24, 24, 16, 36, 36]
    if b2b:
        head.append(words("col_penalty"))
        widths = [28, 22, 22, 16, 29, 29, 24]
    numeric_from = 3
    rows: list[list[Flowable]] = [
        [kit.plain(h, HEAD_R if i >= numeric_from else HEAD) for i, h in enumerate(head)]
    ]
    for inv in invoices:
        currency = str(inv.get("currency") or "EUR")
        days = int(inv.get("days_past_due") or 0)
        cells = [
            str(inv.get("id") or ""), short_date(inv.get("issue_date"), lang, fmt),
            short_date(inv.get("due_date"), lang, fmt),
            words("days_late", days=days) if days > 0 else "–",
            money(inv.get("amount"), currency, lang, fmt), money(inv.get("open_balance"), currency, lang, fmt),
        ]
        if b2b:
            penalty = inv.get("late_penalty")
            cells.append(money(penalty, currency, lang, fmt) if penalty is not None else "–")
        rows.append([kit.plain(c, CELL_R if i >= numeric_from else CELL)
                     for i, c in enumerate(cells)])
    table = Table(rows, colWidths=[x * mm for x in widths], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEABOVE", (0, 0), (-1, 0), 0.6, colors.black),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
        ("LINEBELOW", (0, -1), (-1, -1), 0.6, colors.black),
        ("LINEBELOW", (0, 1), (-1, -2), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _totals_table(words: Wording, rows: list[dict[str, Any]], b2b: bool, lang: str, kit: Kit) -> Table:
    """Principal, penalties, indemnity and total claimed, under a heading per currency when
    there are several. A consumer owes the principal only: one line."""
    several = len(rows) > 1
    data: list[list[Flowable]] = []
    total_rows: list[int] = []
    heading_rows: list[int] = []
    for row in rows:
        cur = row["currency"]
        if several:
            heading_rows.append(len(data))
            data.append([kit.plain(words("t_currency", currency=cur), HEAD), ""])
        if b2b and not row.get("indemnity_only"):
            data.append([kit.plain(words("t_principal"), CELL),
                         kit.plain(money(row["principal"], cur, lang, kit.fmt), CELL_R)])
            data.append([kit.plain(words("t_penalties"), CELL),
                         kit.plain(money(row["penalties"], cur, lang, kit.fmt), CELL_R)])
        if row["indemnity"]:
            data.append([kit.plain(words("t_indemnity"), CELL),
                         kit.plain(money(row["indemnity"], "EUR", lang, kit.fmt), CELL_R)])
        total_rows.append(len(data))
        data.append([kit.plain(words("t_total"), HEAD),
                     kit.plain(money(row["total"], cur, lang, kit.fmt), HEAD_R)])
    table = Table(data, colWidths=[105 * mm, 35 * mm], hAlign="RIGHT")
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for index in total_rows:
        style += [("LINEABOVE", (0, index), (-1, index), 0.6, colors.black),
                  ("BACKGROUND", (0, index), (-1, index), SHADE)]
    for index in heading_rows:
        style += [("SPAN", (0, index), (-1, index))]
        if index:
            style += [("TOPPADDING", (0, index), (-1, index), 6)]
    table.setStyle(TableStyle(style))
    return table


def _bold(text: str, shown: Sequence[str]) -> str:
    """Paragraph markup of ``text`` with each of ``shown`` (the amounts, the deadline) in bold."""
    out = markup(text)
    for piece in dict.fromkeys(markup(x) for x in shown if x):
        out = out.replace(piece, f"<b>{piece}</b>")
    return out


def letter_values(context: Mapping[str, Any], lang: str = "fr", fmt: Formats | None = None) -> dict[str, Any]:
    """What the letter's templates see: the render context (engine/message.render_context) with
    its gaps filled (``is_b2b``, ``reminders_sent``, ``penalty_rate`` as Decimals), and
    ``letter``: the figures the letter computed, already formatted (see docs/sending.md)."""
    fmt = fmt or formats(_LOCALE.get(lang, lang))
    company: Mapping[str, Any] = context.get("company") or {}
    customer: Mapping[str, Any] = context.get("customer") or {}
    invoices: Sequence[Mapping[str, Any]] = context.get("invoices") or ()
    # penalties and the indemnity are claimed from a customer known to be a business only
    b2b = bool(context.get("is_b2b", str(customer.get("type") or "").strip().upper() == "B2B"))
    rows, indemnity, count = _totals(context, b2b)
    given_per = as_decimal((context.get("indemnity") or {}).get("per"))
    per = given_per if given_per is not None else (indemnity / count) if count else DEFAULT_INDEMNITY
    totals: Sequence[Mapping[str, Any]] = context.get("totals") or ()
    reply = reply_address(company)
    iban = str(company.get("iban") or "").strip()
    letter = {
        "b2b": b2b,
        "ids": [str(inv.get("id") or "") for inv in invoices],
        "reference": payment_reference(invoices),
        "reply_to": reply,
        "company": str(company.get("name") or "").strip(),
        "city": str(company.get("city") or "").strip(),
        "contact_name": str(customer.get("contact_name") or "").strip(),
        "iban": iban.replace(" ", "\u00a0"), "bic": str(company.get("bic") or "").strip(),
        "principal": _join([money(t.get("open_balance"), str(t.get("currency") or "EUR"), lang, fmt) for t in totals],
                           lang),
        "penalties": _join([money(r["penalties"], r["currency"], lang, fmt) for r in rows if r["penalties"]], lang),
        "per": money(per, "EUR", lang, fmt), "per_amount": per,
        "count": count, "indemnity": money(indemnity, "EUR", lang, fmt), "indemnity_amount": indemnity,
        "claims": rows,
        "claimed": _join([money(r["total"], r["currency"], lang, fmt) for r in rows], lang),
        "contact": ", ".join(str(x).strip() for x in (company.get("phone"), reply) if x and str(x).strip()),
    }
    return {**context, "is_b2b": b2b, "reminders_sent": int(context.get("reminders_sent") or 0),
            "penalty_rate": rate_of(context.get("penalty_rate")), "letter": letter,
            "company": company, "customer": customer, "invoices": invoices, "totals": totals}


def formal_notice_pdf(context: Mapping[str, Any], sender_address: Sequence[str], lang: str = "fr", *,
                      renderer: Renderer, problems: list[TemplateProblem] | None = None,
                      fmt: Formats | None = None) -> bytes:
    """The formal notice (mise en demeure de payer) for one customer, as PDF bytes.

    ``context`` is what :func:`relance.engine.message.render_context` returns; the letter also reads
    ``customer`` address fields (address, postal_code, city, country) and optional ``company``
    fields (city: the place before the date; signatory_name and signatory_title, or signatory;
    iban, bic and portal_url: the "how to pay" block, with each invoice's payment_url;
    legal_mentions: the footer's SIREN / RCS / capital line; address: the sender's lines when
    ``sender_address`` is empty), all of them blank when absent. ``sender_address`` holds the
    sender's postal address lines. ``lang`` is "fr" or "en" (English for foreign customers;
    the letter still cites French law).

    The words come from ``renderer``: template ``formal_notice``, part ``letter``, one block per
    paragraph (render/wording.py); a Modeles block that cannot be used is added to ``problems``
    and the shipped paragraph is printed instead. ``fmt``: the formatter of ``lang`` to reuse (a run
    that renders many letters passes one: it learns each currency's layout once).
    """
    if lang not in _LOCALE:
        raise ValueError(f"no formal notice wording for language {lang!r}; use 'fr' or 'en'")
    kit = Kit(lang, fmt)
    fmt = kit.fmt
    values = letter_values(context, lang, fmt)
    letter: Mapping[str, Any] = values["letter"]
    words = Wording(renderer, TEMPLATE, PART, lang, values, problems if problems is not None else [])
    company: Mapping[str, Any] = values["company"]
    customer: Mapping[str, Any] = values["customer"]
    invoices: Sequence[Mapping[str, Any]] = values["invoices"]
    b2b = letter["b2b"]
    deadline = context.get("deadline")
    company_name = letter["company"]

    story: list[Flowable] = []

    # sender (top left) and recipient (window) blocks -------------------------------------
    address = [str(line).strip() for line in sender_address if str(line).strip()]
    if not address:  # the render context's own company address (Settings company_address)
        given = company.get("address") or ()
        address = _lines(given) if isinstance(given, str) else [str(x).strip() for x in given if str(x).strip()]
    sender = [f"<b>{markup(company_name)}</b>"] if company_name else []
    sender += [markup(line) for line in address]
    reply = letter["reply_to"]
    if reply:
        sender.append(markup(words("email")))
    if company.get("phone"):
        sender.append(markup(words("phone")))
    recipient = recipient_lines(customer, words)
    recipient_markup = [f"<b>{markup(line)}</b>" if i == 0 else markup(line) for i, line in enumerate(recipient)]
    head = Table(
        [[Para("<br/>".join(sender), BLOCK), ""],
         ["", Para("<br/>".join(recipient_markup), BLOCK)]],
        colWidths=[SENDER_WIDTH, BODY_WIDTH - SENDER_WIDTH],
        rowHeights=[WINDOW_TOP - TOP, WINDOW_HEIGHT],
    )
    head.setStyle(TableStyle([
        ("SPAN", (0, 0), (0, 1)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        ("LEFTPADDING", (1, 1), (1, 1), 4 * mm),  # the block sits inside the window, not on its edge
    ]))
    story.append(head)

    story.append(kit.plain(words("place_date"), text_style("date", leftIndent=SIGN_INDENT)))
    story.append(Spacer(1, 5 * mm))

    story.append(kit.plain(words("registered"), STRONG))
    story.append(Spacer(1, 2 * mm))
    story.append(kit.plain(words("object"), STRONG))
    ref_lines = [markup(words("reference"))]
    if customer.get("id"):
        ref_lines.append(markup(words("customer_code")))
    story.append(Para("<br/>".join(ref_lines), PLAIN))
    story.append(Spacer(1, 4 * mm))

    # body ------------------------------------------------------------------------------------
    story.append(kit.plain(words("greeting"), BODY))
    principal_required = [(A.WHAT_PRINCIPAL(amount=letter["principal"]), letter["principal"], "{{ letter.principal }}")]
    story.append(kit.plain(words("situation", required=principal_required), BODY))
    story.append(Spacer(1, 1 * mm))
    story.append(_invoice_table(words, invoices, b2b, lang, kit))
    story.append(Spacer(1, 3 * mm))

    rows = letter["claims"]
    if b2b:
        story.append(kit.plain(words("penalties_law"), BODY))
        rate = values["penalty_rate"]
        if rate is not None:
            shown = fmt.percent(rate["rate"], 2)
            story.append(kit.plain(words("rate", required=[
                (A.WHAT_RATE(rate=shown), shown, "{{ penalty_rate.rate|percent(2) }}"),
                (A.WHAT_INDEMNITY(amount=letter["per"]), letter["per"], "{{ letter.per }}")]), BODY))
    story.append(KeepTogether([_totals_table(words, rows, b2b, lang, kit), Spacer(1, 3 * mm)]))

    claimed = [money(r["total"], r["currency"], lang, fmt) for r in rows]
    when = long_date(deadline, lang, fmt)
    required = [(A.WHAT_CLAIMED(amount=x), x, "{{ letter.claimed }}") for x in claimed]
    required.append((A.WHAT_DEADLINE(date=when), when, "{{ deadline|date }}"))
    demand = words("demand", required=required)
    bold = [letter["claimed"]] if markup(letter["claimed"]) in markup(demand) else claimed
    story.append(Para(_bold(demand, [*bold, when]), BODY))
    story.append(kit.plain(words("consequence"), BODY))
    story.append(kit.plain(words("article_1344"), BODY))

    story.append(KeepTogether(_how_to_pay(words, company, invoices)))
    story.append(kit.plain(words("paid_meanwhile"), BODY))
    if not b2b:
        story.append(kit.plain(words("plan_b2c"), BODY))
    # the salutation, "Pour <company>," then room for the handwritten signature, then who signs
    sign_style = text_style("sign", leftIndent=SIGN_INDENT)
    signer: list[Flowable] = [kit.plain(words("signoff"), BODY)]
    if company_name:
        signer.append(kit.plain(words("for_company"), sign_style))
    signer.append(Spacer(1, SIGNATURE_SPACE))
    signatory = _signatory(company)
    if signatory:
        signer.append(Para("<br/>".join(markup(line) for line in signatory), sign_style))
    else:
        signer.append(_Rule(SIGN_INDENT, 55 * mm))
    story.append(KeepTogether(signer))

    # document ----------------------------------------------------------------------------
    footer_parts = [company_name, *address]
    if reply:
        footer_parts.append(reply)
    footer = " · ".join(p for p in footer_parts if p)
    legal = " ".join(str(company.get("legal_mentions") or "").split())
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=LEFT - FRAME_PAD, rightMargin=RIGHT - FRAME_PAD,
        topMargin=TOP - FRAME_PAD, bottomMargin=BOTTOM - FRAME_PAD,
        title=pdf_text(words("title")), author=company_name, subject=pdf_text(words("subject")),
        creator="relance", producer="relance (ReportLab)", keywords="", invariant=1,
        lang="fr-FR" if lang == "fr" else "en-GB",
    )
    doc.build(story, canvasmaker=_footer_canvas(footer, words("running"), legal))
    return buf.getvalue()


class _Rule(Flowable):
    """A short horizontal line (where the letter is signed)."""

    def __init__(self, indent: float, width: float) -> None:
        super().__init__()
        self.indent = indent
        self.rule_width = width

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return available_width, 1

    def draw(self) -> None:
        self.canv.setStrokeColor(RULE)
        self.canv.setLineWidth(0.5)
        self.canv.line(self.indent, 0, self.indent + self.rule_width, 0)
