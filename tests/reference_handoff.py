"""The hand-off package as render/handoff.py made it before session 22 (a new formatter, reportlab
parsing probe and Jinja block render for every label of every package): the reference the faster
module is compared with, byte for byte (tests/test_handoff_speed.py), and the platypus summary PDF the
canvas-drawn one is read against (same words, lines and pages: tests/test_handoff_summary.py). Kept as
it was but for this docstring; its helpers, the CSV and ZIP writers included, are its own copies."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from relance.engine.catalog import anomalies as A
from relance.engine.formats import half_up, minor_unit
from relance.engine.history import SENT_STATUSES
from relance.render.letter import (
    CELL,
    CELL_R,
    DEFAULT_INDEMNITY,
    FRAME_PAD,
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
    Para,
    as_date,
    as_decimal,
    markup,
    money,
    pdf_text,
    recipient_lines,
    reply_address,
    short_date,
    text_style,
)
from relance.render.messages import Renderer, TemplateProblem
from relance.render.wording import Wording

__all__ = ["agency_package"]

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


def _relances_csv(words: Wording, reminders: list[dict[str, Any]], lang: str) -> bytes:
    rows = [[
        r["date"], r["timestamp"], words("channel", value=r["channel"]), words("step", value=r["step"]),
        r["recipient"], words("status", value=r["status"]), r["message_id"], ", ".join(r["invoice_ids"]),
        _number(r["amount_due"], r["currency"] or "EUR", lang), r["currency"],
    ] for r in reminders]
    return _csv(_header(words, "relances_header", RELANCES_COLUMNS), rows)


# --------------------------------------------------------------------------- summary PDF


def _grid(data: list[list[Any]], widths: Sequence[float], header: bool = True) -> Table:
    table = Table(data, colWidths=[x * mm for x in widths], hAlign="LEFT", repeatRows=1 if header else 0)
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, -1), (-1, -1), 0.6, colors.black),
    ]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), SHADE),
                  ("LINEABOVE", (0, 0), (-1, 0), 0.6, colors.black),
                  ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                  ("LINEBELOW", (0, 1), (-1, -2), 0.25, RULE)]
    table.setStyle(TableStyle(style))
    return table


def _p(text: object, style: Any = CELL) -> Paragraph:
    return Para(markup(text), style)


def _summary_pdf(words: Wording, customer: Mapping[str, Any], company: Mapping[str, Any], b2b: bool,
                 invoices: list[dict[str, Any]], reminders: list[dict[str, Any]],
                 proof_names: list[str], as_of: dt.date, lang: str) -> bytes:
    w = words
    kit = Kit(lang)  # one formatter for the summary, plain texts made without the markup parser
    fmt = kit.fmt

    def p(text: object, style: Any = CELL) -> Paragraph:
        return kit.plain(text, style)

    name = str(customer.get("name") or customer.get("id") or "")
    story: list[Flowable] = [
        p(w("title"), TITLE),
        p(w("subtitle"), text_style("sub", textColor=GREY)),
        Spacer(1, 5 * mm),
    ]

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
    story.append(_grid([[p(k, HEAD), p(v)] for k, v in facts], [35, 135], header=False))
    story.append(Spacer(1, 5 * mm))

    # the claims, per currency; the indemnity (EUR) joins the EUR line
    story.append(p(w("claims"), H2))
    story.append(Spacer(1, 1.5 * mm))
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
    data: list[list[Any]] = [[p(h, HEAD if i == 0 else HEAD_R) for i, h in enumerate(head)]]
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
    story.append(_grid(data, [30, 20, 35, 30, 25, 30] if b2b else [40, 30, 50, 50]))
    story.append(Spacer(1, 2 * mm))
    dated = [inv for inv in invoices if inv["due_date"] is not None]
    if dated:
        oldest = dated[0]
        story.append(p(w("oldest", due=oldest["due_date"], days=oldest["days_past_due"]), SMALL))
        story.append(p(w("prescription", limit=_years_later(oldest["due_date"], 5 if b2b else 2)), SMALL))
    story.append(p(w("note"), SMALL))
    story.append(Spacer(1, 5 * mm))

    # the reminder timeline
    story.append(p(w("timeline"), H2))
    story.append(Spacer(1, 1.5 * mm))
    if reminders:
        shown = reminders[-TIMELINE_ROWS:]
        data = [[p(w(h), HEAD) for h in ("col_date", "col_channel", "col_step", "col_to", "col_status")]]
        for r in shown:
            data.append([
                p(short_date(r["date"], lang, fmt) if _iso(r["date"]) else r["date"]),
                p(w("channel", value=r["channel"])),
                p(w("step", value=r["step"])),
                p(r["recipient"]),
                p(w("status", value=r["status"])),
            ])
        story.append(_grid(data, [22, 20, 45, 63, 20]))
        if len(reminders) > len(shown):
            story.append(Spacer(1, 1.5 * mm))
            more = len(reminders) - len(shown)
            story.append(p(w("earlier", count=more), SMALL))
    else:
        story.append(p(w("no_reminder"), PLAIN))
    story.append(Spacer(1, 5 * mm))
    if proof_names:
        more = max(len(proof_names) - PROOFS_LISTED, 0)
        story.append(p(w("proofs", names=proof_names[:PROOFS_LISTED], more=more), PLAIN))
    else:
        story.append(p(w("no_proof"), PLAIN))
    story.append(p(w("files"), PLAIN))

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=20 * mm - FRAME_PAD, rightMargin=20 * mm - FRAME_PAD,
        topMargin=18 * mm - FRAME_PAD, bottomMargin=18 * mm - FRAME_PAD,
        title=pdf_text(w("pdf_title")), author=str(company.get("name") or ""),
        subject=pdf_text(w("pdf_subject")), creator="relance",
        producer="relance (ReportLab)", keywords="", invariant=1,
        lang="fr-FR" if lang == "fr" else "en-GB",
    )
    doc.build(story)
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
    """
    if lang not in LOCALES:
        raise ValueError(f"no hand-off wording for language {lang!r}; use 'fr' or 'en'")
    b2b = _is_b2b(customer)
    values: dict[str, Any] = dict(context) if context is not None else {
        "lang": lang, "customer": customer, "company": company or {}, "invoices": invoices}
    values["as_of"] = as_of
    values["package"] = {"name": str(customer.get("name") or customer.get("id") or ""), "kind": _kind(customer),
                         "per": money(indemnity_amount, "EUR", lang)}
    words = Wording(renderer, TEMPLATE, PART, lang, values, problems if problems is not None else [])
    rows = _open_invoices(invoices, b2b, as_of, indemnity_amount)
    reminders = reminder_rows(history_rows, str(customer.get("id") or ""))
    members: dict[str, bytes] = {
        "dossier.csv": _dossier_csv(words, rows, lang),
        "relances.csv": _relances_csv(words, reminders, lang),
    }
    for name, data in proofs.items():
        path = f"preuves/{_proof_name(name)}"
        if path in members:
            raise ValueError(f"two proofs are named {path!r}")
        members[path] = bytes(data)
    proof_names = sorted(path.removeprefix("preuves/") for path in members if path.startswith("preuves/"))
    members["synthese.pdf"] = _summary_pdf(words, customer, company or {}, b2b, rows, reminders, proof_names,
                                           as_of, lang)
    return _zip(members, as_of)
