"""The formal notice (mise en demeure) as a printed letter: a render context in, PDF bytes out.

Pure: no clock (every date comes from the context), no I/O; the same context gives the same
bytes (reportlab's ``invariant`` mode fixes the creation date and the document id).

The layout is the French business letter (NF Z 11-001 habits): sender block top left, the
recipient block where the window of a DL envelope (110 x 220 mm, window on the right) shows it,
place and date under it, the registered-mail mention, the object line, the body, the
signature on the right, and a footer with the sender's details and the page count.

The standard PDF fonts (Helvetica) are used, so nothing is embedded; they can only draw the
Windows-1252 repertoire, so every text goes through :func:`pdf_text`, which maps any other
character to a close one ("Łódź" -> "Lodz") instead of the black box reportlab would draw.
"""

from __future__ import annotations

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

from relance.engine.formats import formats
from relance.engine.i18n import french_typography

__all__ = [
    "LOCALES",
    "as_date",
    "as_decimal",
    "formal_notice_pdf",
    "french_spacing",
    "long_date",
    "money",
    "payment_reference",
    "pdf_text",
    "rate_text",
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


def pdf_text(text: object) -> str:
    """``text`` with every character the standard PDF fonts can draw (Windows-1252).

    U+202F (CLDR's French group separator) becomes a no-break space; accented letters from
    other scripts lose their accent ("ő" -> "o", "ł" -> "l"); control characters become
    spaces; anything else becomes "?".
    """
    out: list[str] = []
    for char in unicodedata.normalize("NFC", "" if text is None else str(text)):
        char = _CLOSE.get(char, char)
        if len(char) != 1:
            out.append(char)
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(" " if char not in "\u00ad" else "")
        elif _in_cp1252(char):
            out.append(char)
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(base if base and all(_in_cp1252(c) for c in base) else "?")
    return "".join(out)


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


def money(amount: object, currency: str, lang: str = "fr") -> str:
    """``1 234,56 €`` (fr, no-break spaces) / ``€1,234.56`` (en): relance.engine.formats, half-up."""
    return formats(_LOCALE.get(lang, lang)).money(_amount(amount), (currency or "EUR"))


def long_date(value: object, lang: str = "fr") -> str:
    """``1er décembre 2026`` (fr), ``23 November 2026`` (en), with no-break spaces (formats.date)."""
    day = as_date(value)
    return "" if day is None else formats(_LOCALE.get(lang, lang)).date(day)


def short_date(value: object, lang: str = "fr") -> str:
    """``31/03/2025`` (fr), ``31 Mar 2025`` (en: unambiguous on both sides of the Atlantic)."""
    day = as_date(value)
    return "" if day is None else formats(_LOCALE.get(lang, lang)).short_date(day)


def _join(items: Sequence[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    last = " et " if lang == "fr" else " and "
    return ", ".join(items[:-1]) + last + items[-1]


# --------------------------------------------------------------------------- styles


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

_WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "registered": "LETTRE RECOMMANDÉE AVEC ACCUSÉ DE RÉCEPTION",
        "object": "Objet : Mise en demeure de payer",
        "ref_one": "Réf. : facture {ids}",
        "ref_many": "Réf. : factures {ids}",
        "customer_ref": "Votre code client : {id}",
        "attn": "À l'attention {name}",  # name: "d'Alain", "de Martin" (formats.of)
        "place_date": "{city}, le {date}",
        "date_only": "Le {date}",
        "email": "E-mail : {v}",
        "phone": "Tél. : {v}",
        "greeting": "Madame, Monsieur,",
        "after_many": "Malgré nos {n} relances restées sans effet, ",
        "after_one": "Malgré notre relance restée sans effet, ",
        "after_none": "Sauf erreur de notre part, ",
        "unpaid_one": "la facture {id} du {date}, échue le {due}, demeure impayée à ce jour.",
        "unpaid_many": "les factures détaillées ci-dessous demeurent impayées à ce jour.",
        "principal_is": "Le montant restant dû en principal s'élève à {amounts}.",
        "due_is": "Le montant restant dû s'élève à {amounts}.",
        "col_id": "Facture n°", "col_date": "Date", "col_due": "Échéance", "col_late": "Retard",
        "col_amount": "Montant TTC", "col_open": "Reste dû", "col_penalty": "Pénalités",
        "days": "{n} j",
        "penalties_law": (
            "Conformément à l'article L441-10 du Code de commerce, ces sommes sont majorées de plein "
            "droit de pénalités de retard{so_far}, ainsi que de l'indemnité forfaitaire pour frais de "
            "recouvrement de {per} par facture payée en retard prévue à l'article D441-5 du même "
            "code{indemnity}. Les pénalités de retard continuent de courir jusqu'au complet paiement."
        ),
        "rate_legal": (
            "Taux des pénalités de retard : taux BCE du semestre ({ecb}) + {margin} points = {rate} "
            "l'an ; indemnité forfaitaire : {per} par facture."
        ),
        "rate_fixed": (
            "Taux des pénalités de retard : taux contractuel de {rate} l'an ; indemnité forfaitaire : "
            "{per} par facture."
        ),
        "so_far": ", qui s'élèvent à {amounts} au {date}",
        "indemnity_so": ", soit {amount} pour {n} {invoices}",
        "invoice": "facture", "invoices": "factures",
        "t_principal": "Principal restant dû",
        "t_penalties": "Pénalités de retard au {date} (art. L441-10 C. com.)",
        "t_indemnity": "Indemnité forfaitaire de recouvrement ({n} × {per}, art. D441-5 C. com.)",
        "t_total": "Total réclamé",
        "t_due": "Total dû",
        "t_currency": "Montants en {cur}",
        "ref_count": "Réf. : {n} factures (détail ci-dessous)",
        "demand_b2b": (
            "En conséquence, nous vous mettons en demeure de nous régler la somme totale de "
            "<b>{amounts}</b> au plus tard le <b>{deadline}</b>."
        ),
        "demand_b2c": (
            "En conséquence, nous vous mettons en demeure de nous régler la somme de "
            "<b>{amounts}</b> au plus tard le <b>{deadline}</b>."
        ),
        "consequence_b2b": (
            "À défaut de règlement intégral dans ce délai, nous engagerons sans autre avis une "
            "procédure judiciaire en recouvrement de notre créance, notamment par voie "
            "d'injonction de payer (articles 1405 et suivants du Code de procédure civile)."
        ),
        "consequence_b2c": (
            "À défaut de règlement dans ce délai, nous serons contraints d'engager une procédure "
            "judiciaire pour obtenir le paiement de cette somme, notamment par voie d'injonction "
            "de payer (articles 1405 et suivants du Code de procédure civile)."
        ),
        "article_1344": "La présente lettre vaut mise en demeure au sens de l'article 1344 du Code civil.",
        "how_to_pay": "Règlement :",
        "pay_by": "par virement, IBAN {iban}{bic}, en indiquant la référence « {ref} ».",
        "bic": " – BIC {bic}",
        "quote_ref": "merci d'indiquer la référence « {ref} » avec votre règlement.",
        "pay_online": "Paiement en ligne de la facture {id} : {url}",
        "portal": "Vos factures et les moyens de paiement sont disponibles sur {url}.",
        "paid_meanwhile": (
            "Si votre règlement a croisé ce courrier, nous vous prions de ne pas en tenir compte."
        ),
        "plan_b2c": (
            "Si vous rencontrez des difficultés pour régler cette somme, contactez-nous avant cette "
            "date{contact} : un échéancier de paiement peut être convenu."
        ),
        "contact": " ({v})",
        "signoff": "Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
        "for_company": "Pour {company},",
        "running": "Mise en demeure de payer – {customer} – {date} (suite)",
        "title": "Mise en demeure de payer – {customer}",
        "subject": "Mise en demeure de payer : {ids}",
    },
    "en": {
        "registered": "REGISTERED LETTER WITH ACKNOWLEDGEMENT OF RECEIPT",
        "object": "Re: Formal notice to pay (mise en demeure de payer)",
        "ref_one": "Ref.: invoice {ids}",
        "ref_many": "Ref.: invoices {ids}",
        "customer_ref": "Your customer code: {id}",
        "attn": "Attn: {name}",
        "place_date": "{city}, {date}",
        "date_only": "{date}",
        "email": "Email: {v}",
        "phone": "Tel.: {v}",
        "greeting": "Dear Sir or Madam,",
        "after_many": "Despite our {n} previous reminders, which have gone unanswered, ",
        "after_one": "Despite our previous reminder, which has gone unanswered, ",
        "after_none": "According to our records, ",
        "unpaid_one": "invoice {id} dated {date} and due on {due} remains unpaid.",
        "unpaid_many": "the invoices listed below remain unpaid.",
        "principal_is": "The principal amount outstanding is {amounts}.",
        "due_is": "The amount outstanding is {amounts}.",
        "col_id": "Invoice no.", "col_date": "Date", "col_due": "Due date", "col_late": "Overdue",
        "col_amount": "Amount", "col_open": "Outstanding", "col_penalty": "Interest",
        "days": "{n} d",
        "penalties_law": (
            "Under article L441-10 of the French Commercial Code (Code de commerce), late-payment "
            "interest accrues automatically on these amounts{so_far}. You are also liable for fixed "
            "compensation for recovery costs of {per} per invoice paid late under article D441-5 "
            "of the same code{indemnity}. Late-payment interest continues to accrue until payment "
            "in full."
        ),
        "so_far": "; as at {date} it amounts to {amounts}",
        "rate_legal": (
            "Late-payment interest rate: the semester's ECB rate ({ecb}) + {margin} points = {rate} "
            "a year; fixed recovery compensation: {per} per invoice."
        ),
        "rate_fixed": (
            "Late-payment interest rate: the contractual rate of {rate} a year; fixed recovery "
            "compensation: {per} per invoice."
        ),
        "indemnity_so": ", i.e. {amount} for {n} {invoices}",
        "invoice": "invoice", "invoices": "invoices",
        "t_principal": "Principal outstanding",
        "t_penalties": "Late-payment interest to {date} (art. L441-10 C. com.)",
        "t_indemnity": "Fixed recovery compensation ({n} × {per}, art. D441-5 C. com.)",
        "t_total": "Total claimed",
        "t_due": "Total due",
        "t_currency": "Amounts in {cur}",
        "ref_count": "Ref.: {n} invoices (listed below)",
        "demand_b2b": (
            "We therefore give you formal notice to pay the total sum of <b>{amounts}</b> "
            "by <b>{deadline}</b> at the latest."
        ),
        "demand_b2c": (
            "We therefore give you formal notice to pay the sum of <b>{amounts}</b> "
            "by <b>{deadline}</b> at the latest."
        ),
        "consequence_b2b": (
            "If full payment is not received by that date, we will, without further notice, bring "
            "legal proceedings to recover the debt, in particular an application for an order for "
            "payment (injonction de payer)."
        ),
        "consequence_b2c": (
            "If payment is not received by that date, we will have no choice but to bring legal "
            "proceedings to recover this sum, in particular an application for an order for payment "
            "(injonction de payer)."
        ),
        "article_1344": (
            "This letter constitutes formal notice to pay (mise en demeure) within the meaning of "
            "article 1344 of the French Civil Code (Code civil)."
        ),
        "how_to_pay": "How to pay:",
        "pay_by": "by bank transfer, IBAN {iban}{bic}, quoting the reference \u201c{ref}\u201d.",
        "bic": " – BIC {bic}",
        "quote_ref": "please quote the reference \u201c{ref}\u201d with your payment.",
        "pay_online": "Pay invoice {id} online: {url}",
        "portal": "Your invoices and payment options are available at {url}.",
        "paid_meanwhile": "If your payment has crossed with this letter, please disregard it.",
        "plan_b2c": (
            "If you are having difficulty paying this sum, please contact us before that date{contact}: "
            "a payment plan can be agreed."
        ),
        "contact": " ({v})",
        "signoff": "Yours faithfully,",
        "for_company": "For {company},",
        "running": "Formal notice to pay – {customer} – {date} (continued)",
        "title": "Formal notice to pay – {customer}",
        "subject": "Formal notice to pay: {ids}",
    },
}

def french_spacing(text: str) -> str:
    """French typography (relance.engine.i18n.french_typography): a no-break space before ':',
    a narrow one before ; ? ! and inside « », so that a colon or a guillemet never starts a line."""
    return french_typography(text)


_WORDS["fr"] = {key: french_spacing(text) for key, text in _WORDS["fr"].items()}

_FRANCE = {"", "france", "fr", "fra", "france metropolitaine", "france métropolitaine"}


def _lines(value: object) -> list[str]:
    """Non-empty lines of a text that may hold several (an address cell with line breaks)."""
    text = "" if value is None else str(value)
    return [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]


def recipient_lines(customer: Mapping[str, Any], lang: str = "fr", attention: bool = True) -> list[str]:
    """The address block as La Poste wants it: name, attention line (the contact, unless
    ``attention`` is false), street lines, ``POSTCODE CITY`` (city in capitals), and the
    country only for mail abroad."""
    words = _WORDS[lang]
    name = str(customer.get("name") or "").strip()
    contact = str(customer.get("contact_name") or "").strip()
    lines = [name] if name else []
    if attention and contact and contact.casefold() != name.casefold():
        lines.append(words["attn"].format(name=formats(lang).of(contact) if lang == "fr" else contact))
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


def _how_to_pay(company: Mapping[str, Any], invoices: Sequence[Mapping[str, Any]], lang: str) -> list[Flowable]:
    """The "how to pay" block: the transfer (IBAN, BIC) with the invoice numbers as its
    reference, each invoice's payment link, the customer portal."""
    w = _WORDS[lang]
    ref = payment_reference(invoices)
    lines: list[str] = []
    iban = str(company.get("iban") or "").strip()
    if iban:
        bic = str(company.get("bic") or "").strip()
        lines.append(w["pay_by"].format(iban=iban.replace(" ", "\u00a0"), ref=ref,
                                        bic=w["bic"].format(bic=bic) if bic else ""))
    elif ref:
        lines.append(w["quote_ref"].format(ref=ref))
    for inv in invoices:
        url = _link(inv.get("payment_url"))
        if url:
            lines.append(w["pay_online"].format(id=inv.get("id"), url=url))
    portal = _link(company.get("portal_url"))
    if portal:
        lines.append(w["portal"].format(url=portal))
    if not lines:
        return []
    label = f"<b>{markup(w['how_to_pay'])}</b> "
    return [Paragraph(label + "<br/>".join(markup(line) for line in lines), BODY)]


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


def rate_text(rate: Mapping[str, Any] | None, per: Decimal, lang: str = "fr") -> str:
    """How the penalty rate is made, and the indemnity per invoice: "taux BCE du semestre
    (2,15 %) + 10 points = 12,15 % l'an" (legal mode) or the contractual rate; "" without a rate."""
    if not rate or as_decimal(rate.get("rate")) is None:
        return ""
    fmt = formats(_LOCALE.get(lang, lang))
    ecb = as_decimal(rate.get("ecb_rate"))
    args = {"rate": fmt.percent(as_decimal(rate.get("rate")), 2), "per": money(per, "EUR", lang)}
    if rate.get("mode") == "fixed" or ecb is None:
        return _WORDS[lang]["rate_fixed"].format(**args)
    margin = as_decimal(rate.get("margin"))
    return _WORDS[lang]["rate_legal"].format(
        ecb=fmt.percent(ecb, 2), margin=fmt.number(margin if margin is not None else 10, 0), **args)


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


def _invoice_table(invoices: Sequence[Mapping[str, Any]], b2b: bool, lang: str) -> Table:
    w = _WORDS[lang]
    head = [w["col_id"], w["col_date"], w["col_due"], w["col_late"], w["col_amount"], w["col_open"]]
    widths = [34, 24, 24, 16, 36, 36]
    if b2b:
        head.append(w["col_penalty"])
        widths = [28, 22, 22, 16, 29, 29, 24]
    numeric_from = 3
    rows: list[list[Flowable]] = [
        [Paragraph(markup(h), HEAD_R if i >= numeric_from else HEAD) for i, h in enumerate(head)]
    ]
    for inv in invoices:
        currency = str(inv.get("currency") or "EUR")
        days = int(inv.get("days_past_due") or 0)
        cells = [
            str(inv.get("id") or ""), short_date(inv.get("issue_date"), lang),
            short_date(inv.get("due_date"), lang),
            w["days"].format(n=days) if days > 0 else "–",
            money(inv.get("amount"), currency, lang), money(inv.get("open_balance"), currency, lang),
        ]
        if b2b:
            penalty = inv.get("late_penalty")
            cells.append(money(penalty, currency, lang) if penalty is not None else "–")
        rows.append([Paragraph(markup(c), CELL_R if i >= numeric_from else CELL)
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


def _totals_table(rows: list[dict[str, Any]], count: int, per: Decimal, b2b: bool,
                  as_of: object, lang: str) -> Table:
    """Principal, penalties, indemnity and total claimed, under a heading per currency when
    there are several. A consumer owes the principal only: one line."""
    w = _WORDS[lang]
    several = len(rows) > 1
    data: list[list[Flowable]] = []
    total_rows: list[int] = []
    heading_rows: list[int] = []
    for row in rows:
        cur = row["currency"]
        if several:
            heading_rows.append(len(data))
            data.append([Paragraph(markup(w["t_currency"].format(cur=cur)), HEAD), ""])
        if b2b and not row.get("indemnity_only"):
            data.append([Paragraph(markup(w["t_principal"]), CELL),
                         Paragraph(markup(money(row["principal"], cur, lang)), CELL_R)])
            data.append([Paragraph(markup(w["t_penalties"].format(date=short_date(as_of, lang))), CELL),
                         Paragraph(markup(money(row["penalties"], cur, lang)), CELL_R)])
        if row["indemnity"]:
            label = w["t_indemnity"].format(n=count, per=money(per, "EUR", lang))
            data.append([Paragraph(markup(label), CELL),
                         Paragraph(markup(money(row["indemnity"], "EUR", lang)), CELL_R)])
        total_rows.append(len(data))
        data.append([Paragraph(markup(w["t_total"] if b2b else w["t_due"]), HEAD),
                     Paragraph(markup(money(row["total"], cur, lang)), HEAD_R)])
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


def formal_notice_pdf(context: Mapping[str, Any], sender_address: Sequence[str], lang: str = "fr") -> bytes:
    """The formal notice (mise en demeure de payer) for one customer, as PDF bytes.

    ``context`` is what :func:`relance.engine.message.render_context` returns; the letter also reads
    ``customer`` address fields (address, postal_code, city, country) and optional ``company``
    fields (city: the place before the date; signatory_name and signatory_title, or signatory;
    iban, bic and portal_url: the "how to pay" block, with each invoice's payment_url;
    legal_mentions: the footer's SIREN / RCS / capital line; address: the sender's lines when
    ``sender_address`` is empty), all of them blank when absent. ``sender_address`` holds the
    sender's postal address lines. ``lang`` is "fr" or "en" (English for foreign customers;
    the letter still cites French law).
    """
    if lang not in _WORDS:
        raise ValueError(f"no formal notice wording for language {lang!r}; use 'fr' or 'en'")
    w = _WORDS[lang]
    company: Mapping[str, Any] = context.get("company") or {}
    customer: Mapping[str, Any] = context.get("customer") or {}
    invoices: Sequence[Mapping[str, Any]] = context.get("invoices") or ()
    # penalties and the indemnity are claimed from a customer known to be a business only
    b2b = bool(context.get("is_b2b", str(customer.get("type") or "").strip().upper() == "B2B"))
    as_of = context.get("as_of")
    deadline = context.get("deadline")
    company_name = str(company.get("name") or "").strip()
    customer_name = str(customer.get("name") or "").strip()
    ids = [str(inv.get("id") or "") for inv in invoices]

    story: list[Flowable] = []

    # sender (top left) and recipient (window) blocks -------------------------------------
    address = [str(line).strip() for line in sender_address if str(line).strip()]
    if not address:  # the render context's own company address (Settings company_address)
        given = company.get("address") or ()
        address = _lines(given) if isinstance(given, str) else [str(x).strip() for x in given if str(x).strip()]
    sender = [f"<b>{markup(company_name)}</b>"] if company_name else []
    sender += [markup(line) for line in address]
    reply = reply_address(company)
    if reply:
        sender.append(markup(w["email"].format(v=reply)))
    if company.get("phone"):
        sender.append(markup(w["phone"].format(v=company["phone"])))
    recipient = recipient_lines(customer, lang)
    recipient_markup = [f"<b>{markup(line)}</b>" if i == 0 else markup(line) for i, line in enumerate(recipient)]
    head = Table(
        [[Paragraph("<br/>".join(sender), BLOCK), ""],
         ["", Paragraph("<br/>".join(recipient_markup), BLOCK)]],
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

    city = str(company.get("city") or "").strip()
    when = long_date(as_of, lang)
    place_date = w["place_date"].format(city=city, date=when) if city else w["date_only"].format(date=when)
    story.append(Paragraph(markup(place_date), text_style("date", leftIndent=SIGN_INDENT)))
    story.append(Spacer(1, 5 * mm))

    refs = (w["ref_one" if len(ids) == 1 else "ref_many"].format(ids=", ".join(ids)) if len(ids) <= 4
            else w["ref_count"].format(n=len(ids)))
    story.append(Paragraph(markup(w["registered"]), STRONG))
    story.append(Spacer(1, 2 * mm))
    story.append(Paragraph(markup(w["object"]), STRONG))
    ref_lines = [markup(refs)]
    if customer.get("id"):
        ref_lines.append(markup(w["customer_ref"].format(id=customer["id"])))
    story.append(Paragraph("<br/>".join(ref_lines), PLAIN))
    story.append(Spacer(1, 4 * mm))

    # body ------------------------------------------------------------------------------------
    contact = str(customer.get("contact_name") or "").strip()
    greeting = w["greeting"]
    if lang == "en" and contact:
        greeting = f"Dear {contact},"
    story.append(Paragraph(markup(greeting), BODY))

    sent = int(context.get("reminders_sent") or 0)
    opening = w["after_many"].format(n=sent) if sent > 1 else w["after_one"] if sent == 1 else w["after_none"]
    if len(invoices) == 1:
        inv = invoices[0]
        situation = w["unpaid_one"].format(id=inv.get("id"), date=long_date(inv.get("issue_date"), lang),
                                           due=long_date(inv.get("due_date"), lang))
    else:
        situation = w["unpaid_many"]
    totals: Sequence[Mapping[str, Any]] = context.get("totals") or ()
    principal = _join([money(t.get("open_balance"), str(t.get("currency") or "EUR"), lang)
                       for t in totals], lang)
    owed = w["principal_is" if b2b else "due_is"].format(amounts=principal)
    story.append(Paragraph(markup(f"{opening}{situation} {owed}"), BODY))
    story.append(Spacer(1, 1 * mm))
    story.append(_invoice_table(invoices, b2b, lang))
    story.append(Spacer(1, 3 * mm))

    rows, indemnity, count = _totals(context, b2b)
    given_per = as_decimal((context.get("indemnity") or {}).get("per"))
    per = given_per if given_per is not None else (indemnity / count) if count else DEFAULT_INDEMNITY
    if b2b:
        penalty_rows = [r for r in rows if r["penalties"]]
        so_far = w["so_far"].format(
            amounts=_join([money(r["penalties"], r["currency"], lang) for r in penalty_rows], lang),
            date=long_date(as_of, lang)) if penalty_rows else ""
        ind_text = w["indemnity_so"].format(
            amount=money(indemnity, "EUR", lang), n=count,
            invoices=w["invoice" if count == 1 else "invoices"]) if count else ""
        story.append(Paragraph(markup(w["penalties_law"].format(
            so_far=so_far, per=money(per, "EUR", lang), indemnity=ind_text)), BODY))
        rate_line = rate_text(context.get("penalty_rate"), per, lang)
        if rate_line:
            story.append(Paragraph(markup(rate_line), BODY))
    story.append(KeepTogether([_totals_table(rows, count, per, b2b, as_of, lang), Spacer(1, 3 * mm)]))

    claimed = _join([money(r["total"], r["currency"], lang) for r in rows], lang)
    demand = w["demand_b2b" if b2b else "demand_b2c"].format(
        amounts=markup(claimed), deadline=markup(long_date(deadline, lang)))
    story.append(Paragraph(demand, BODY))
    story.append(Paragraph(markup(w["consequence_b2b" if b2b else "consequence_b2c"]), BODY))
    story.append(Paragraph(markup(w["article_1344"]), BODY))

    story.append(KeepTogether(_how_to_pay(company, invoices, lang)))
    story.append(Paragraph(markup(w["paid_meanwhile"]), BODY))
    if not b2b:
        reach = ", ".join(str(x).strip() for x in (company.get("phone"), reply) if x and str(x).strip())
        story.append(Paragraph(markup(w["plan_b2c"].format(
            contact=w["contact"].format(v=reach) if reach else "")), BODY))
    signoff = w["signoff"]
    if lang == "en" and contact:
        signoff = "Yours sincerely,"
    # the salutation, "Pour <company>," then room for the handwritten signature, then who signs
    sign_style = text_style("sign", leftIndent=SIGN_INDENT)
    signer: list[Flowable] = [Paragraph(markup(signoff), BODY)]
    if company_name:
        signer.append(Paragraph(markup(w["for_company"].format(company=company_name)), sign_style))
    signer.append(Spacer(1, SIGNATURE_SPACE))
    signatory = _signatory(company)
    if signatory:
        signer.append(Paragraph("<br/>".join(markup(line) for line in signatory), sign_style))
    else:
        signer.append(_Rule(SIGN_INDENT, 55 * mm))
    story.append(KeepTogether(signer))

    # document ----------------------------------------------------------------------------
    footer_parts = [company_name, *address]
    if reply:
        footer_parts.append(reply)
    footer = " · ".join(p for p in footer_parts if p)
    legal = " ".join(str(company.get("legal_mentions") or "").split())
    running = w["running"].format(customer=customer_name, date=long_date(as_of, lang))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=LEFT - FRAME_PAD, rightMargin=RIGHT - FRAME_PAD,
        topMargin=TOP - FRAME_PAD, bottomMargin=BOTTOM - FRAME_PAD,
        title=w["title"].format(customer=customer_name),
        author=company_name, subject=w["subject"].format(ids=", ".join(ids)),
        creator="relance", producer="relance (ReportLab)", keywords="", invariant=1,
        lang="fr-FR" if lang == "fr" else "en-GB",
    )
    doc.build(story, canvasmaker=_footer_canvas(footer, running, legal))
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
