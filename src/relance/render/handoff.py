"""The file handed to a collection agency or a lawyer: one ZIP, built in memory.

Pure: ``as_of`` comes in (it dates the figures and every ZIP entry), bytes go out; the same
input gives the same bytes (sorted entries, fixed entry dates and attributes, reportlab's
``invariant`` mode for the PDF).

Contents:
- ``dossier.csv``: one row per open invoice (balance > 0): number, dates, amount, open
  balance, currency, days past due, late penalty and the fixed indemnity (B2B only);
- ``relances.csv``: every reminder that went out (History rows of a message channel whose
  status says it was sent: sent, delivered, opened, clicked, replied, bounced…), oldest first;
- ``synthese.pdf``: one page: the debtor, the totals per currency, penalties, indemnities and
  the reminder timeline (drawn straight on reportlab's canvas, the layout platypus gave it: lines
  broken where its Paragraph broke them, tables split between rows with their header repeated);
- ``preuves/<file>``: the proofs (the outbox's .eml / .pdf of each reminder), byte for byte.

The words (CSV headers, the summary's texts, the names of channels, steps and statuses) come from
the template ``handoff``, part ``package`` (scenarios/templates/<lang>/handoff.package.j2, one
block each, overridable block by block from the Modeles tab: render/wording.py).

The CSV files are UTF-8 with a byte-order mark and ``;`` separators, which is what Excel
opens correctly in a French locale; amounts have a decimal comma in French, a decimal point in
English, and no thousands separator; dates are ISO (YYYY-MM-DD), which Excel reads as dates in
every locale.

No cell of a CSV is a formula (CSV injection, OWASP): a cell that starts with ``=``, ``+``,
``-``, ``@``, a tab, a carriage return or a line feed, such as an invoice number
``=HYPERLINK(…)`` typed in Factures or a History status, is written with a single quote in
front, which spreadsheets show and never evaluate. A plain number is left as it is, minus sign
included (``-12,50``, ``-5`` days past due, the SMS recipient ``+33600000000``): digits with a
sign and one decimal separator are a number in every spreadsheet, never a formula, whether
relance computed them from a Decimal or copied them from a cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from relance.engine.catalog import anomalies as A
from relance.engine.formats import half_up, minor_unit
from relance.engine.history import SENT_STATUSES
from relance.render.letter import (
    CELL,
    CELL_R,
    DEFAULT_INDEMNITY,
    GREY,
    HEAD,
    HEAD_R,
    LOCALES,
    PLAIN,
    RULE,
    SHADE,
    SMALL,
    TITLE,
    Kit,
    as_date,
    as_decimal,
    money,
    pdf_text,
    recipient_lines,
    reply_address,
    short_date,
    text_style,
)
from relance.render.messages import Renderer, TemplateProblem
from relance.render.wording import Wording

__all__ = ["agency_package", "reminder_rows"]

#: History statuses that mean the message left (``pending``: outcome unknown, not claimed).
SENT = SENT_STATUSES - {"pending"}
#: Channels whose History rows are tasks for a person, not messages to the customer.
TASK_CHANNELS = frozenset({"call", "agency"})
#: Reminder rows shown in the one-page summary; the CSV always has all of them.
TIMELINE_ROWS = 18
PROOFS_LISTED = 12
H2 = text_style("h2", fontName="Helvetica-Bold", fontSize=11, leading=14)

#: Where the package's words are: the template ``handoff``, part ``package`` (one block per text),
#: in scenarios/templates/<lang>/handoff.package.j2 or a Modeles row.
TEMPLATE, PART = "handoff", "package"
#: Columns of dossier.csv and relances.csv (a header block must give as many).
DOSSIER_COLUMNS, RELANCES_COLUMNS = 9, 10


# --------------------------------------------------------------------------- data


def _kind(customer: Mapping[str, Any]) -> str:
    """"b2b", "b2c" or "unknown": ``is_b2b`` / ``is_b2c`` when given (render_context gives both),
    else ``type``. Only a customer known to be a business is claimed penalties and the indemnity;
    a blank or unreadable type is unknown, never a business by default."""
    if customer.get("is_b2b"):
        return "b2b"
    if customer.get("is_b2c"):
        return "b2c"
    kind = str(customer.get("type") or customer.get("customer_type") or "").strip().upper()
    if "is_b2b" in customer and kind == "B2B":
        return "unknown"  # is_b2b said no: it wins over the type
    return {"B2B": "b2b", "B2C": "b2c"}.get(kind, "unknown")


def _is_b2b(customer: Mapping[str, Any]) -> bool:
    return _kind(customer) == "b2b"


def _round(amount: Decimal, currency: str) -> Decimal:
    return half_up(amount, minor_unit(currency))


def _open_invoices(invoices: Sequence[Mapping[str, Any]], b2b: bool, as_of: dt.date,
                   indemnity_amount: Decimal) -> list[dict[str, Any]]:
    """The invoices with a positive open balance, oldest due date first, with their days past
    due on as_of, late penalty (as computed by the engine) and indemnity (B2B, past due)."""
    rows: list[dict[str, Any]] = []
    for inv in invoices:
        balance = as_decimal(inv.get("open_balance"))
        if balance is None or balance <= 0:
            continue
        due = as_date(inv.get("due_date"))
        days = (as_of - due).days if due is not None else int(inv.get("days_past_due") or 0)
        indemnity: Decimal | None = None
        penalty: Decimal | None = None
        if b2b:
            penalty = as_decimal(inv.get("late_penalty"))
            if "indemnity_due" in inv:
                flag = inv["indemnity_due"]
                indemnity = (indemnity_amount if flag else Decimal(0)) if isinstance(flag, bool) \
                    else as_decimal(flag) or Decimal(0)
            else:
                indemnity = indemnity_amount if days > 0 else Decimal(0)
        rows.append({
            "id": str(inv.get("id") or inv.get("invoice_id") or ""),
            "issue_date": as_date(inv.get("issue_date")), "due_date": due,
            "amount": as_decimal(inv.get("amount")), "open_balance": balance,
            "currency": str(inv.get("currency") or "EUR").strip().upper(),
            "days_past_due": days, "late_penalty": penalty, "indemnity": indemnity,
        })
    rows.sort(key=lambda r: (r["due_date"] or dt.date.max, r["id"]))
    return rows


def _when(timestamp: str) -> dt.datetime:
    """A sort key for History timestamps written with different offsets (naive: UTC)."""
    try:
        moment = dt.datetime.fromisoformat(timestamp.strip())
    except ValueError:
        try:
            moment = dt.datetime.combine(dt.date.fromisoformat(timestamp.strip()[:10]), dt.time())
        except ValueError:
            return dt.datetime.min.replace(tzinfo=dt.UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _ids(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.replace(",", ";").split(";") if part.strip()]
    if isinstance(value, Sequence):
        return [str(part) for part in value if str(part)]
    return [str(value)]


def reminder_rows(history_rows: Sequence[Mapping[str, Any]], customer_id: str = "") -> list[dict[str, Any]]:
    """The History rows of messages that went out to the customer, oldest first.

    Kept: a message channel (not a call or agency task) and a status meaning it was sent
    (``pending``, ``failed`` and ``skipped`` rows are left out: they prove nothing). When
    ``customer_id`` is given, another customer's rows are left out too.
    """
    rows: list[dict[str, Any]] = []
    for row in history_rows:
        status = str(row.get("status") or "").strip().lower()
        channel = str(row.get("channel") or "").strip().lower()
        if status not in SENT or channel in TASK_CHANNELS:
            continue
        owner = str(row.get("customer_id") or "")
        if customer_id and owner and owner != customer_id:
            continue
        timestamp = str(row.get("timestamp") or "")
        rows.append({
            "date": timestamp[:10], "timestamp": timestamp, "channel": channel,
            "step": str(row.get("step") or ""), "recipient": str(row.get("recipient") or ""),
            "status": status, "message_id": str(row.get("message_id") or ""),
            "invoice_ids": _ids(row.get("invoice_ids")),
            "amount_due": as_decimal(row.get("amount_due")),
            "currency": str(row.get("currency") or ""),
            "action_key": str(row.get("action_key") or ""),
        })
    rows.sort(key=lambda r: (_when(r["timestamp"]), r["action_key"], r["message_id"]))
    return rows


# --------------------------------------------------------------------------- CSV


#: What makes a spreadsheet read a cell as a formula (or a DDE command): OWASP's list, plus LF.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: A plain number (sign, digits, one decimal separator): what no spreadsheet reads as a formula.
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def neutralised(cell: str) -> str:
    """A CSV cell as no spreadsheet evaluates it: a leading single quote when it starts like a
    formula, unless it is a plain number (-12,50, +33600000000), which is data whoever wrote it."""
    if cell.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _number(amount: Decimal | None, currency: str, lang: str) -> str:
    if amount is None:
        return ""
    text = str(_round(amount, currency or "EUR"))
    return text.replace(".", ",") if lang == "fr" else text


def _csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralised(h) for h in header])
    writer.writerows([neutralised(cell if isinstance(cell, str) else str(cell)) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def _header(words: Wording, block: str, columns: int) -> list[str]:
    """A CSV header from its block (names separated by ';'); the shipped one when a Modeles row
    gives another number of columns."""
    names = [name.strip() for name in words(block).split(";")]
    if len(names) == columns:
        return names
    words.problems.append(TemplateProblem(
        TEMPLATE, words.lang, PART, None, f"{block}: {len(names)} columns instead of {columns}",
        said=A.HEADER_COLUMNS(block=block, found=len(names), columns=columns), said_hint=A.HEADER_COLUMNS_HINT()))
    preset = Wording(words.renderer.preset(), TEMPLATE, PART, words.lang, words.context)
    return [name.strip() for name in preset(block).split(";")]


def _dossier_csv(words: Wording, invoices: list[dict[str, Any]], lang: str) -> bytes:
    rows = []
    for inv in invoices:
        cur = inv["currency"]
        rows.append([
            inv["id"], inv["issue_date"].isoformat() if inv["issue_date"] else "",
            inv["due_date"].isoformat() if inv["due_date"] else "",
            _number(inv["amount"], cur, lang), _number(inv["open_balance"], cur, lang), cur,
            str(inv["days_past_due"]), _number(inv["late_penalty"], cur, lang),
            _number(inv["indemnity"], "EUR", lang),
        ])
    return _csv(_header(words, "dossier_header", DOSSIER_COLUMNS), rows)


class _Labels:
    """The names of the channels, steps and statuses (blocks ``channel``, ``step``, ``status`` of a
    ``value``), each rendered once per package: relances.csv and the summary name the same few values
    row after row, and a block renders the same text for the same value (the package's context is
    fixed and the sandbox immutable), so a Jinja render per row is paid only for a value not seen yet.
    A Modeles problem is still said (once, as Wording says each): at the first render of the block."""

    def __init__(self, words: Wording) -> None:
        self.words = words
        self._seen: dict[tuple[str, str], str] = {}

    def __call__(self, block: str, value: str) -> str:
        """``words(block, value=value)``, rendered at the first call for that block and value."""
        key = (block, value)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self.words(block, value=value)
        return found


def _relances_csv(words: Wording, reminders: list[dict[str, Any]], lang: str, labels: _Labels | None = None) -> bytes:
    named = labels or _Labels(words)
    rows = [[
        r["date"], r["timestamp"], named("channel", r["channel"]), named("step", r["step"]),
        r["recipient"], named("status", r["status"]), r["message_id"], ", ".join(r["invoice_ids"]),
        _number(r["amount_due"], r["currency"] or "EUR", lang), r["currency"],
    ] for r in reminders]
    return _csv(_header(words, "relances_header", RELANCES_COLUMNS), rows)


# --------------------------------------------------------------------------- summary PDF

#: The summary's page: A4, 20 mm margins left and right, 18 mm top and bottom (the frame platypus
#: drew it in: SimpleDocTemplate's margins less FRAME_PAD, plus the frame's own 6 pt padding).
PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT_EDGE, TOP_EDGE, BOTTOM_EDGE = 20 * mm, PAGE_HEIGHT - 18 * mm, 18 * mm
#: Table cells: 2 pt above and below, 3 pt left and right (what the TableStyle of _grid said).
PAD_V, PAD_H = 2.0, 3.0
SUB = text_style("sub", textColor=GREY)


def _split_words(text: str) -> list[str]:
    """The words of a text as reportlab's Paragraph splits them: pdf_text leaves no white space
    but the ASCII space (and the no-break space, which never breaks a line)."""
    return [word for word in text.split(" ") if word]


def _lines(text: str, style: ParagraphStyle, width: float) -> list[str]:
    """The lines a Paragraph of ``text`` in ``style`` makes in ``width``, broken where platypus breaks
    them: greedy, a space's width of shrinking allowed per 20 words (spaceShrinkage 0.05); a word
    wider than the line (a long e-mail address) is cut as platypus cuts it, by its own breaker."""
    words = _split_words(text)
    if not words:
        return []
    font, size = style.fontName, style.fontSize
    whole = " ".join(words)
    if stringWidth(whole, font, size) <= width:  # most cells: one line, one measure
        return [whole]
    widths = [stringWidth(word, font, size) for word in words]
    if max(widths) > width:  # a word to cut: reportlab's own breaker, for the same cuts
        broken = Paragraph(escape(text), style).breakLines([width])
        return [" ".join(map(str, line[1])) if isinstance(line, tuple)
                else "".join(str(frag.text) for frag in line.words).strip(" ") for line in broken.lines]
    space = stringWidth(" ", font, size)
    shrink = style.spaceShrinkage * space
    lines: list[str] = []
    line: list[str] = []
    current = -space
    for word, word_width in zip(words, widths, strict=True):
        new = current + space + word_width
        if new <= width + shrink * len(line) or not line:
            line.append(word)
            current = new
        else:
            lines.append(" ".join(line))
            line, current = [word], word_width
    lines.append(" ".join(line))
    return lines


class _Text:
    """A paragraph laid out: its lines, its style, the width it was broken in."""

    __slots__ = ("lines", "style", "width")

    def __init__(self, text: str, style: ParagraphStyle, width: float) -> None:
        self.lines = _lines(text, style, width)
        self.style = style
        self.width = width

    @property
    def height(self) -> float:
        return len(self.lines) * self.style.leading

    def draw(self, canvas: Canvas, x: float, top: float, lines: Sequence[str] | None = None) -> None:
        """Its lines (or ``lines``, a part of them) under ``top``, as a Paragraph draws them: the first
        baseline a font size under the top, one leading between baselines."""
        style = self.style
        canvas.setFont(style.fontName, style.fontSize)
        canvas.setFillColor(style.textColor)
        baseline = top - style.fontSize
        right = style.alignment == TA_RIGHT
        for line in self.lines if lines is None else lines:
            if right:
                canvas.drawRightString(x + self.width, baseline, line)
            else:
                canvas.drawString(x, baseline, line)
            baseline -= style.leading


class _Gap:
    """Vertical space (a platypus Spacer)."""

    __slots__ = ("height",)

    def __init__(self, height: float) -> None:
        self.height = height


class _Grid:
    """A table of paragraphs (the former ``_grid``): fixed column widths, cells padded, centred
    vertically; with a header: shaded, ruled above and below in black, rows ruled in grey, and
    repeated at the top of each page the table runs onto; the last row ruled in black."""

    __slots__ = ("rows", "widths", "header", "heights")

    def __init__(self, data: Sequence[Sequence[tuple[str, ParagraphStyle]]], widths: Sequence[float],
                 header: bool = True) -> None:
        self.widths = [x * mm for x in widths]
        self.rows = [[_Text(text, style, w - 2 * PAD_H) for (text, style), w in zip(row, self.widths, strict=True)]
                     for row in data]
        self.header = header
        self.heights = [max(cell.height for cell in row) + 2 * PAD_V for row in self.rows]


class _Pages:
    """The summary drawn on reportlab's canvas, page after page, as platypus placed it: blocks one
    under the other from the top of the frame; a paragraph that does not fit is split between lines
    (two at least stay behind), a table between rows (its header and one row at least), a gap goes
    whole to the next page."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.y = TOP_EDGE
        self.at_top = True

    def _next_page(self) -> None:
        self.canvas.showPage()
        self.y = TOP_EDGE
        self.at_top = True

    def gap(self, block: _Gap) -> None:
        if self.y - block.height < BOTTOM_EDGE and not self.at_top:
            self._next_page()
        self.y -= block.height
        self.at_top = False

    def text(self, block: _Text) -> None:
        lines = block.lines
        leading = block.style.leading
        while lines:
            room = self.y - BOTTOM_EDGE
            if len(lines) * leading <= room + 1e-8:
                block.draw(self.canvas, LEFT_EDGE, self.y, lines)
                self.y -= len(lines) * leading
                break
            fit = int(room / leading)
            if fit <= 1 or self.at_top and fit < 1:
                if self.at_top:  # nothing fits on an empty page: drawn anyway (platypus would refuse)
                    fit = max(fit, 1)
                else:
                    self._next_page()
                    continue
            block.draw(self.canvas, LEFT_EDGE, self.y, lines[:fit])
            lines = lines[fit:]
            self._next_page()
        self.at_top = False

    def grid(self, grid: _Grid) -> None:
        heads = 1 if grid.header else 0
        rows = list(range(heads, len(grid.rows)))
        while True:
            room = self.y - BOTTOM_EDGE
            taken = sum(grid.heights[:heads])
            fit = 0
            for index in rows:
                if taken + grid.heights[index] > room + 1e-8:
                    break
                taken += grid.heights[index]
                fit += 1
            if fit == len(rows):
                self._draw(grid, rows, last=True)
                break
            if fit == 0 and not self.at_top:
                self._next_page()
                continue
            fit = max(fit, 1)
            self._draw(grid, rows[:fit], last=False)
            rows = rows[fit:]
            self._next_page()
        self.at_top = False

    def _draw(self, grid: _Grid, rows: Sequence[int], last: bool) -> None:
        """The header (when the table has one) and ``rows``; the black rule under the last only when it
        is the table's last row."""
        canvas = self.canvas
        shown = ([0] if grid.header else []) + list(rows)
        x0 = LEFT_EDGE
        x1 = x0 + sum(grid.widths)
        tops: list[float] = []
        y = self.y
        for index in shown:
            tops.append(y)
            y -= grid.heights[index]
        if grid.header:
            canvas.setFillColor(SHADE)
            canvas.rect(x0, tops[0] - grid.heights[0], x1 - x0, grid.heights[0], stroke=0, fill=1)
        for top, index in zip(tops, shown, strict=True):
            height = grid.heights[index]
            x = x0
            for cell, width in zip(grid.rows[index], grid.widths, strict=True):
                # VALIGN MIDDLE: the paragraph centred between the paddings
                cell.draw(canvas, x + PAD_H, top - (height - cell.height) / 2)
                x += width
        canvas.setLineCap(0)
        if grid.header:
            canvas.setStrokeColor(colors.black)
            canvas.setLineWidth(0.6)
            canvas.line(x0, tops[0], x1, tops[0])
            canvas.line(x0, tops[0] - grid.heights[0], x1, tops[0] - grid.heights[0])
            canvas.setStrokeColor(RULE)
            canvas.setLineWidth(0.25)
            for top, index in zip(tops[1:], shown[1:], strict=True):
                if index != len(grid.rows) - 1:
                    canvas.line(x0, top - grid.heights[index], x1, top - grid.heights[index])
        if last:
            canvas.setStrokeColor(colors.black)
            canvas.setLineWidth(0.6)
            canvas.line(x0, y, x1, y)
        self.y = y


def _summary_pdf(words: Wording, customer: Mapping[str, Any], company: Mapping[str, Any], b2b: bool,
                 invoices: list[dict[str, Any]], reminders: list[dict[str, Any]],
                 proof_names: list[str], as_of: dt.date, lang: str, kit: Kit | None = None,
                 labels: _Labels | None = None) -> bytes:
    """The one-page summary (longer when its tables run long), drawn on reportlab's canvas: the texts,
    figures, rows, fonts, margins and page breaks platypus gave it (tests/reference_handoff.py keeps
    that version; tests/test_handoff_summary.py compares their text), for a fifth of its time."""
    w = words
    kit = kit if kit is not None else Kit(lang)
    fmt = kit.fmt
    named = labels or _Labels(words)
    body = PAGE_WIDTH - 2 * LEFT_EDGE

    def p(text: object, style: ParagraphStyle = CELL) -> tuple[str, ParagraphStyle]:
        return pdf_text(text), style

    def para(text: object, style: ParagraphStyle) -> _Text:
        return _Text(pdf_text(text), style, body)

    name = str(customer.get("name") or customer.get("id") or "")
    story: list[_Text | _Gap | _Grid] = [para(w("title"), TITLE), para(w("subtitle"), SUB), _Gap(5 * mm)]

    # the parties
    lines = recipient_lines(customer)
    facts: list[tuple[str, str]] = []
    if company.get("name"):
        creditor = str(company["name"])
        if reply_address(company):  # the one address relance gives (the Reply-To, else the From)
            creditor += f" – {reply_address(company)}"
        facts.append((w("creditor"), creditor))
    facts.append((w("debtor"), name))
    if customer.get("id"):
        facts.append((w("customer_id"), str(customer["id"])))
    facts.append((w("kind"), w("kind_value")))
    contact = str(customer.get("contact_name") or "").strip()
    if contact and contact.casefold() != name.casefold():
        facts.append((w("contact"), contact))
    if len(lines) > 1:
        facts.append((w("address"), ", ".join(lines[1:])))
    emails = customer.get("email") or customer.get("emails") or ""
    if not isinstance(emails, str):
        emails = "; ".join(str(e) for e in emails)
    if emails:
        facts.append((w("email"), emails))
    if customer.get("phone"):
        facts.append((w("phone"), str(customer["phone"])))
    story.append(_Grid([[p(k, HEAD), p(v)] for k, v in facts], [35, 135], header=False))
    story.append(_Gap(5 * mm))

    # the claims, per currency; the indemnity (EUR) joins the EUR line
    story.append(para(w("claims"), H2))
    story.append(_Gap(1.5 * mm))
    per_currency: dict[str, dict[str, Any]] = {}
    for inv in invoices:
        slot = per_currency.setdefault(inv["currency"], {"count": 0, "principal": Decimal(0),
                                                         "penalties": Decimal(0), "indemnity": Decimal(0)})
        slot["count"] += 1
        slot["principal"] += inv["open_balance"]
        slot["penalties"] += inv["late_penalty"] or Decimal(0)
    indemnity_total = sum((inv["indemnity"] or Decimal(0) for inv in invoices), Decimal(0))
    if indemnity_total:
        per_currency.setdefault("EUR", {"count": 0, "principal": Decimal(0), "penalties": Decimal(0),
                                        "indemnity": Decimal(0), "indemnity_only": True})
        per_currency["EUR"]["indemnity"] = indemnity_total
    head = [w("col_currency"), w("col_count"), w("col_principal")]
    if b2b:
        head += [w("col_penalties"), w("col_indemnity")]
    head.append(w("col_total"))
    data: list[list[tuple[str, ParagraphStyle]]] = [[p(h, HEAD if i == 0 else HEAD_R) for i, h in enumerate(head)]]
    for cur in sorted(per_currency):
        slot = per_currency[cur]
        total = slot["principal"] + slot["penalties"] + slot["indemnity"]
        label = w("indemnity_only", currency=cur) if slot.get("indemnity_only") else cur
        row = [p(label), p(str(slot["count"]), CELL_R), p(money(slot["principal"], cur, lang, fmt), CELL_R)]
        if b2b:
            row += [p(money(slot["penalties"], cur, lang, fmt), CELL_R),
                    p(money(slot["indemnity"], "EUR", lang, fmt), CELL_R)]
        row.append(p(money(total, cur, lang, fmt), HEAD_R))
        data.append(row)
    story.append(_Grid(data, [30, 20, 35, 30, 25, 30] if b2b else [40, 30, 50, 50]))
    story.append(_Gap(2 * mm))
    dated = [inv for inv in invoices if inv["due_date"] is not None]
    if dated:
        oldest = dated[0]
        story.append(para(w("oldest", due=oldest["due_date"], days=oldest["days_past_due"]), SMALL))
        story.append(para(w("prescription", limit=_years_later(oldest["due_date"], 5 if b2b else 2)), SMALL))
    story.append(para(w("note"), SMALL))
    story.append(_Gap(5 * mm))

    # the reminder timeline
    story.append(para(w("timeline"), H2))
    story.append(_Gap(1.5 * mm))
    if reminders:
        shown = reminders[-TIMELINE_ROWS:]
        data = [[p(w(h), HEAD) for h in ("col_date", "col_channel", "col_step", "col_to", "col_status")]]
        for r in shown:
            data.append([
                p(short_date(r["date"], lang, fmt) if _iso(r["date"]) else r["date"]),
                p(named("channel", r["channel"])),
                p(named("step", r["step"])),
                p(r["recipient"]),
                p(named("status", r["status"])),
            ])
        story.append(_Grid(data, [22, 20, 45, 63, 20]))
        if len(reminders) > len(shown):
            story.append(_Gap(1.5 * mm))
            more = len(reminders) - len(shown)
            story.append(para(w("earlier", count=more), SMALL))
    else:
        story.append(para(w("no_reminder"), PLAIN))
    story.append(_Gap(5 * mm))
    if proof_names:
        more = max(len(proof_names) - PROOFS_LISTED, 0)
        story.append(para(w("proofs", names=proof_names[:PROOFS_LISTED], more=more), PLAIN))
    else:
        story.append(para(w("no_proof"), PLAIN))
    story.append(para(w("files"), PLAIN))

    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4, invariant=1, lang="fr-FR" if lang == "fr" else "en-GB")
    canvas.setAuthor(str(company.get("name") or ""))
    canvas.setTitle(pdf_text(w("pdf_title")))
    canvas.setSubject(pdf_text(w("pdf_subject")))
    canvas.setCreator("relance")
    canvas.setProducer("relance (ReportLab)")
    canvas.setKeywords("")
    pages = _Pages(canvas)
    for block in story:
        if isinstance(block, _Gap):
            pages.gap(block)
        elif isinstance(block, _Text):
            pages.text(block)
        else:
            pages.grid(block)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _iso(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _years_later(day: dt.date, years: int) -> dt.date:
    """Same day and month ``years`` later (29 February: the 28th)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --------------------------------------------------------------------------- ZIP


def _proof_name(name: str) -> str:
    """The file name alone: a proof never lands outside preuves/."""
    base = str(name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    if base in ("", ".", "..") or any(ord(c) < 32 for c in base):
        raise ValueError(f"proof name {name!r} is not a file name")
    return base


def _zip(members: Mapping[str, bytes], as_of: dt.date) -> bytes:
    stamp = max((as_of.year, as_of.month, as_of.day, 0, 0, 0), (1980, 1, 1, 0, 0, 0))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, wherever it runs
            info.external_attr = 0o100644 << 16
            archive.writestr(info, members[name], compresslevel=9)
    return buf.getvalue()


def agency_package(
    customer: Mapping[str, Any],
    invoices: Sequence[Mapping[str, Any]],
    history_rows: Sequence[Mapping[str, Any]],
    proofs: Mapping[str, bytes],
    as_of: dt.date,
    lang: str = "fr",
    *,
    company: Mapping[str, Any] | None = None,
    indemnity_amount: Decimal = DEFAULT_INDEMNITY,
    renderer: Renderer,
    context: Mapping[str, Any] | None = None,
    problems: list[TemplateProblem] | None = None,
    kit: Kit | None = None,
) -> bytes:
    """The ZIP for a collection agency or a lawyer (see the module docstring for its content).

    ``customer``: id, name, type ("B2B"/"B2C"/"" unknown, or is_b2b and is_b2c), contact_name, address, postal_code,
    city, country, email, phone. ``invoices``: the render context's invoice dicts (id,
    issue_date, due_date, amount, open_balance, currency, late_penalty, and optionally
    indemnity_due); those with no open balance are left out. ``history_rows``: History rows
    as mappings (``dataclasses.asdict`` of HistoryEntry does). ``proofs``: file name -> bytes,
    stored under ``preuves/``. ``company``: the creditor (name, email) for the summary.
    ``indemnity_amount``: Settings ``recovery_indemnity`` (D441-5: 40 EUR).
    The words come from ``renderer`` (template ``handoff``, part ``package``, render/wording.py),
    rendered with ``context`` (the step's render context: the variables the e-mails have; without
    it, customer, company, invoices and as_of) and ``package`` (name, kind, per); a Modeles block
    that cannot be used goes to ``problems`` and the shipped text is written instead.
    ``kit``: the run's :class:`~relance.render.letter.Kit` of ``lang`` when it makes many packages (its
    formatter learns each currency once, its paragraphs skip the markup parser): the same bytes.
    """
    if lang not in LOCALES:
        raise ValueError(f"no hand-off wording for language {lang!r}; use 'fr' or 'en'")
    if kit is None or str(kit.fmt.locale) != LOCALES[lang]:  # not the formatter of this language
        kit = Kit(lang)
    b2b = _is_b2b(customer)
    values: dict[str, Any] = dict(context) if context is not None else {
        "lang": lang, "customer": customer, "company": company or {}, "invoices": invoices}
    values["as_of"] = as_of
    values["package"] = {"name": str(customer.get("name") or customer.get("id") or ""), "kind": _kind(customer),
                         "per": money(indemnity_amount, "EUR", lang, kit.fmt)}
    words = Wording(renderer, TEMPLATE, PART, lang, values, problems if problems is not None else [])
    labels = _Labels(words)
    rows = _open_invoices(invoices, b2b, as_of, indemnity_amount)
    reminders = reminder_rows(history_rows, str(customer.get("id") or ""))
    members: dict[str, bytes] = {
        "dossier.csv": _dossier_csv(words, rows, lang),
        "relances.csv": _relances_csv(words, reminders, lang, labels),
    }
    for name, data in proofs.items():
        path = f"preuves/{_proof_name(name)}"
        if path in members:
            raise ValueError(f"two proofs are named {path!r}")
        members[path] = bytes(data)
    proof_names = sorted(path.removeprefix("preuves/") for path in members if path.startswith("preuves/"))
    members["synthese.pdf"] = _summary_pdf(words, customer, company or {}, b2b, rows, reminders, proof_names,
                                           as_of, lang, kit, labels)
    return _zip(members, as_of)
