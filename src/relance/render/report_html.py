"""The report as one self-contained HTML page (`relance report --html FILE`).

:func:`render_html` takes the :class:`relance.engine.report.Report` records (the figures, the
customers' names and grades, the reminder effectiveness) and a few extras and returns one page with no external resource of any kind: inline CSS, charts drawn as inline SVG
(no JavaScript), and a Content-Security-Policy that forbids scripts and remote loads, so the
file can be mailed, archived or printed as is.

Python computes every figure and every chart's geometry (the :class:`Chart` shapes below);
the Jinja2 templates in ``report_templates/`` only lay them out, with autoescaping on, so every
value from the workbook (customer names, notes, risk reasons) is escaped wherever it lands,
HTML or SVG.

Extras (all optional):

``lang``             ``"fr"`` (figures in fr_FR) or anything else (English, en_GB)
``company_name``     shown in the header (``company`` is read too)
``generated_at``     free text shown in the footer (the engine never reads the clock)
``dso_history``      ``{currency: [("2025-12", Decimal("45.2")), ("2026-01", None), ...]}`` (kpi.dso_history)

Amounts of different currencies are never added: each currency has its own cards and charts.
Only the top customers are charted and only the riskiest listed, so the page stays small
(a few dozen kilobytes) whatever the size of the book.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_currency_name
from jinja2 import DictLoader, Environment, StrictUndefined

from relance.engine.catalog import report
from relance.engine.effectiveness import Effectiveness, StepEffect
from relance.engine.formats import formats, half_up
from relance.engine.i18n import Phrase, Said
from relance.engine.kpi import period_text
from relance.engine.report import AgingFigures, CurrencyFigures, CustomerLine, Report
from relance.engine.scoring import Reason as RiskReason
from relance.engine.scoring import Risk

__all__ = ["Chart", "render_html"]

BUCKETS = ("current", "1-30", "31-60", "61-90", ">90")
PAST_DUE = BUCKETS[1:]
#: Bucket colours, from healthy to worrying; the same in every chart and in print.
BUCKET_COLOURS = {
    "current": "#3f8f6b", "1-30": "#e9b949", "31-60": "#e58a3a", "61-90": "#cf4f3f", ">90": "#8c1d3a",
}
PAID_WITHIN = ("7", "14", "30")
PAID_COLOURS = {"7": "#9cc3e6", "14": "#4f8fcb", "30": "#1f4e79"}
GRADES = ("A", "B", "C", "D", "E")
TOP_OVERDUE = 10
TOP_RISK = 15
MAX_STEPS = 16
REASONS_SHOWN = 3

#: The page's labels by the key the code and the templates use; the words are in the catalog.
LABELS: dict[str, Phrase] = {
    "title": report.TITLE,
    "subtitle": report.SUBTITLE,
    "period": report.PERIOD,
    "generated": report.GENERATED,
    "by": report.BY,
    "no_currency": report.NO_CURRENCY,
    "net": report.NET,
    "net_sub_credits": report.NET_SUB_CREDITS,
    "net_sub_open": report.NET_SUB_OPEN,
    "past_due": report.PAST_DUE,
    "past_due_sub": report.PAST_DUE_SUB,
    "past_due_none": report.PAST_DUE_NONE,
    "dso": report.DSO,
    "dso_sub_add": report.DSO_SUB_ADD,
    "dso_sub_simple": report.DSO_SUB_SIMPLE,
    "bpdso": report.BPDSO,
    "bpdso_sub": report.BPDSO_SUB,
    "cei": report.CEI,
    "cei_sub": report.CEI_SUB,
    "recovery": report.RECOVERY,
    "recovery_sub": report.RECOVERY_SUB,
    "penalties": report.PENALTIES,
    "penalties_sub": report.PENALTIES_SUB,
    "unavailable": report.UNAVAILABLE,
    "notes": report.NOTES,
    "days": report.DAYS,
    "days_unit": report.DAYS_UNIT,
    "current": report.BUCKET_CURRENT,
    "1-30": report.BUCKET_1_30,
    "31-60": report.BUCKET_31_60,
    "61-90": report.BUCKET_61_90,
    ">90": report.BUCKET_OVER_90,
    "unapplied_credits": report.UNAPPLIED_CREDITS,
    "net_total": report.NET_TOTAL,
    "bucket": report.BUCKET,
    "amount": report.AMOUNT,
    "share": report.SHARE,
    "aging_chart": report.AGING_CHART,
    "aging_desc": report.AGING_DESC,
    "aging_empty": report.AGING_EMPTY,
    "dso_chart": report.DSO_CHART,
    "dso_desc": report.DSO_DESC,
    "dso_empty": report.DSO_EMPTY,
    "dso_gap": report.DSO_GAP,
    "kpi_table": report.KPI_TABLE,
    "method": report.METHOD,
    "countback": report.COUNTBACK,
    "1m": report.MONTHS_1,
    "3m": report.MONTHS_3,
    "6m": report.MONTHS_6,
    "12m": report.MONTHS_12,
    "dso_row": report.DSO_ROW,
    "bpdso_row": report.BPDSO_ROW,
    "add_row": report.ADD_ROW,
    "top_chart": report.TOP_CHART,
    "top_desc": report.TOP_DESC,
    "top_note": report.TOP_NOTE,
    "top_empty": report.TOP_EMPTY,
    "eff_title": report.EFF_TITLE,
    "eff_chart": report.EFF_CHART,
    "eff_desc": report.EFF_DESC,
    "eff_empty": report.EFF_EMPTY,
    "eff_more": report.EFF_MORE,
    "eff_period": report.EFF_PERIOD,
    "eff_empty_period": report.EFF_EMPTY_PERIOD,
    "eff_all": report.EFF_ALL,
    "paid7": report.PAID7,
    "paid14": report.PAID14,
    "paid30": report.PAID30,
    "messages": report.MESSAGES,
    "promises": report.PROMISES,
    "first_to_paid": report.FIRST_TO_PAID,
    "first_to_paid_sub": report.FIRST_TO_PAID_SUB,
    "by_channel": report.BY_CHANNEL,
    "too_recent": report.TOO_RECENT,
    "risk_title": report.RISK_TITLE,
    "risk_section": report.RISK_SECTION,
    "graded": report.GRADED,
    "risk_note": report.RISK_NOTE,
    "grades": report.GRADES,
    "customer": report.CUSTOMER,
    "grade": report.GRADE,
    "score": report.SCORE,
    "late": report.LATE,
    "reasons": report.REASONS,
    "mode": report.MODE,
    "automatic": report.AUTOMATIC,
    "advice": report.ADVICE,
    "more_reasons": report.MORE_REASONS,
    "mode_note": report.MODE_NOTE,
    "indemnity": report.INDEMNITY,
    "indemnity_sub": report.INDEMNITY_SUB,
    "indemnity_open_sub": report.INDEMNITY_OPEN_SUB,
    "legal": report.LEGAL,
    "glossary": report.GLOSSARY,
    "g_dso": report.G_DSO,
    "g_bpdso": report.G_BPDSO,
    "g_cei": report.G_CEI,
    "g_recovery": report.G_RECOVERY,
    "email": report.CHANNEL_EMAIL,
    "sms": report.CHANNEL_SMS,
    "letter": report.CHANNEL_LETTER,
    "call": report.CHANNEL_CALL,
    "agency": report.CHANNEL_AGENCY,
    "yes": report.YES,
    "no": report.NO,
}


def labels(lang: str) -> dict[str, str]:
    """The labels of the page in `lang`, for the templates; a phrase with a singular form also
    gives it as ``key_1``."""
    out: dict[str, str] = {}
    for key, phrase in LABELS.items():
        out[key] = phrase.pattern(lang)
        if phrase.fr_one is not None or phrase.en_one is not None:
            out[f"{key}_1"] = phrase.pattern(lang, 1)
    return out


# --------------------------------------------------------------------------- chart shapes


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    tip: str = ""
    kind: str = "rect"


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    cls: str = "grid"
    kind: str = "line"


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"
    cls: str = ""
    tip: str = ""
    kind: str = "text"


@dataclass(frozen=True)
class Polyline:
    points: str
    cls: str = "series"
    kind: str = "polyline"


@dataclass(frozen=True)
class Dot:
    cx: float
    cy: float
    r: float
    cls: str = "dot"
    tip: str = ""
    kind: str = "dot"


Shape = Rect | Line | Text | Polyline | Dot


@dataclass
class Chart:
    """One inline SVG: a title and a description (read by screen readers), then shapes in
    drawing order. ``name`` is the chart's kind (``aging``, ``dso``, ``top``, ``effectiveness``)."""

    name: str
    ident: str
    title: str
    desc: str
    width: int
    height: int
    shapes: list[Shape] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, label)


def _r(value: float) -> float:
    return round(value, 1)


def _nice_scale(top: float, ticks: int = 4) -> tuple[float, float]:
    """(axis maximum, tick step) with a round step (1, 2, 2.5 or 5 × 10^k) covering ``top``."""
    if top <= 0 or not math.isfinite(top):
        return 1.0, 0.25
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        step = m * magnitude
        if step * ticks >= top:
            return step * ticks, step
    return 10 * magnitude * ticks, 10 * magnitude  # pragma: no cover - 10 always covers


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(chars - 1, 1)].rstrip() + "…"


# --------------------------------------------------------------------------- formatting


def _dec(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def _num(value: object) -> float | None:
    d = _dec(value)
    return None if d is None or not d.is_finite() else float(d)


class _Fmt:
    """The page's formatting, through the one formatter (relance.engine.formats): fr_FR
    ``1 234,56 €``, en_GB ``€1,234.56``, half-up, the same figures as the messages and letters."""

    def __init__(self, lang: str) -> None:
        self.lang = "fr" if lang.lower().startswith("fr") else "en"
        self.formats = formats(self.lang)
        self.locale = self.formats.locale
        self.labels = labels(self.lang)

    def t(self, key: str, **kw: object) -> str:
        return LABELS[key].text(self.lang, **kw)

    def money(self, value: object, currency: str) -> str:
        amount = _dec(value)
        if amount is None:
            return "—"
        return self.formats.money(amount, currency)

    def compact(self, value: float, currency: str) -> str:
        """``123,5 k€``-style amounts for chart labels (exact figures are in the tables)."""
        return self.formats.compact_money(value, currency)

    def number(self, value: float, digits: int = 1, fixed: bool = False) -> str:
        amount = half_up(Decimal(repr(float(value))), digits)
        if fixed:
            return self.formats.number(amount, digits)
        text = self.formats.number(amount.normalize() if amount else Decimal(0))
        return text

    def integer(self, value: int) -> str:
        return self.formats.number(value, 0)

    def days(self, value: object, digits: int = 1) -> str:
        n = _num(value)
        return "—" if n is None else self.t("days", value=self.number(n, digits))

    def percent(self, value: object, digits: int = 1, fixed: bool = False) -> str:
        n = _num(value)
        if n is None:
            return "—"
        body = self.number(n, digits, fixed)
        return f"{body}\u00a0%" if self.lang == "fr" else f"{body}%"

    def date(self, day: dt.date) -> str:
        return self.formats.date(day)

    def month(self, ym: str, pattern: str = "LLLL yyyy") -> str:
        day = _month_start(ym)
        return ym if day is None else self.formats.pattern_date(day, pattern)

    def currency_name(self, code: str) -> str:
        try:
            name = str(get_currency_name(code, locale=self.locale))
        except (ValueError, LookupError):
            return code
        return name[:1].upper() + name[1:]


def _month_start(ym: str) -> dt.date | None:
    try:
        year, month = str(ym)[:7].split("-")
        return dt.date(int(year), int(month), 1)
    except ValueError:
        return None


# --------------------------------------------------------------------------- cards


@dataclass
class Card:
    key: str
    label: str
    value: str
    sub: str = ""
    missing: bool = False
    tip: str = ""
    notes: list[int] = field(default_factory=list)  # footnote numbers
    tone: str = ""  # "", "alert", "good"
    bar: float | None = None  # 0..100, a small gauge under the value


#: The card a note explains (the others are shown under every missing figure).
_NOTE_CARDS = {
    report.NOTE_CEI_NOTHING: "cei", report.NOTE_RECOVERY_NOTHING: "recovery",
    report.NOTE_NO_SALES: "dso", report.NOTE_COUNTBACK_SHORT: "dso",
}


def _cards(fmt: _Fmt, cur: str, figures: CurrencyFigures, period: str,
           counts: tuple[int, int], notes: list[tuple[str, str]]) -> list[Card]:
    """The headline cards of one currency; ``notes`` are (card key or '', text) pairs."""
    aging = figures.aging
    open_count, overdue_count = counts
    net = aging.net_total
    past_due = aging.past_due_total
    gross = aging.gross_total
    credits = aging.unapplied_credits
    share = float(past_due / gross * 100) if gross > 0 else 0.0

    cards = [
        Card("net", fmt.t("net"), fmt.money(net, cur),
             fmt.t("net_sub_credits", amount=fmt.money(credits, cur)) if credits else
             fmt.t("net_sub_open", n=fmt.integer(open_count))),
        Card("past_due", fmt.t("past_due"), fmt.money(past_due, cur),
             fmt.t("past_due_sub", share=fmt.percent(share, 0), n=fmt.integer(overdue_count))
             if past_due > 0 else fmt.t("past_due_none"),
             tone="alert" if past_due > 0 else "good", bar=min(max(share, 0.0), 100.0)),
        Card("penalties", fmt.t("penalties"),
             fmt.money(figures.late_penalties_open, cur),
             fmt.t("penalties_sub", late=fmt.money(figures.late_penalties_paid_late, cur))),
    ]
    add = figures.add.countback
    simple3 = figures.dso.simple[3]
    dso_sub = (fmt.t("dso_sub_add", add=fmt.days(add)) if add is not None
               else fmt.t("dso_sub_simple", value=fmt.days(simple3)) if simple3 is not None else "")
    cards.append(Card("dso", fmt.t("dso"), fmt.days(figures.dso.countback), dso_sub))
    cards.append(Card("bpdso", fmt.t("bpdso"), fmt.days(figures.bpdso.countback), fmt.t("bpdso_sub")))
    cards.append(Card("cei", fmt.t("cei"), fmt.percent(figures.cei_percent), fmt.t("cei_sub", period=period)))
    cards.append(Card("recovery", fmt.t("recovery"), fmt.percent(figures.recovery_rate_percent),
                      fmt.t("recovery_sub", period=period)))

    general = [i for i, (key, _) in enumerate(notes, 1) if not key]
    for card in cards:
        own = [i for i, (key, _) in enumerate(notes, 1) if key == card.key]
        if card.value == "—":
            card.missing = True
            card.notes = own or general
            if not card.sub:
                card.sub = fmt.t("unavailable")
        else:
            card.notes = own
        texts = [notes[i - 1][1] for i in card.notes]
        if card.missing:
            card.tip = " ".join(texts) or fmt.t("unavailable")
        elif texts:
            card.tip = " ".join(texts)
    return cards


def _notes(notes: Sequence[Said], lang: str) -> list[tuple[str, str]]:
    """A currency's notes in the page's language, each with the card it explains ('' for all)."""
    return [(_NOTE_CARDS.get(note.phrase, ""), note.text(lang)) for note in notes]


# --------------------------------------------------------------------------- charts


def _aging_chart(fmt: _Fmt, cur: str, aging: AgingFigures, as_of: str) -> Chart | None:
    values = [(b, aging.buckets[b]) for b in BUCKETS]
    gross = sum((v for _, v in values if v > 0), Decimal(0))
    top = max(float(v) for _, v in values)
    if top <= 0:
        return None
    width, height = 520, 300
    left, right, upper, lower = 64, 12, 30, 48
    plot_w, plot_h = width - left - right, height - upper - lower
    axis_max, step = _nice_scale(top)
    chart = Chart("aging", f"aging-{cur}", f"{fmt.t('aging_chart')} ({cur})",
                  fmt.t("aging_desc", cur=cur, date=as_of), width, height)
    base = upper + plot_h
    ticks = round(axis_max / step)
    for i in range(ticks + 1):
        y = base - plot_h * i / ticks
        chart.shapes.append(Line(left, _r(y), width - right, _r(y), "grid" if i else "axis"))
        chart.shapes.append(Text(left - 6, _r(y + 4), fmt.compact(step * i, cur), "end", "tick"))
    slot = plot_w / len(values)
    bar_w = slot * 0.62
    for i, (bucket, value) in enumerate(values):
        x = left + slot * i + (slot - bar_w) / 2
        h = max(float(value), 0.0) / axis_max * plot_h
        label = fmt.t(bucket)
        exact = fmt.money(value, cur)
        if h > 0:
            chart.shapes.append(Rect(_r(x), _r(base - h), _r(bar_w), _r(max(h, 1.0)),
                                     BUCKET_COLOURS[bucket], f"{label}\u00a0: {exact}" if fmt.lang == "fr"
                                     else f"{label}: {exact}"))
        chart.shapes.append(Text(_r(x + bar_w / 2), _r(base - h - 7), fmt.compact(float(value), cur),
                                 "middle", "value", exact))
        chart.shapes.append(Text(_r(x + bar_w / 2), base + 18, label, "middle", "label"))
        share = float(value / gross * 100) if gross > 0 and value > 0 else 0.0
        chart.shapes.append(Text(_r(x + bar_w / 2), base + 34, fmt.percent(share, 0), "middle", "muted"))
    return chart


def _dso_chart(fmt: _Fmt, cur: str, series: Sequence[Sequence[Any]]) -> Chart | None:
    points: list[tuple[str, float | None]] = []
    for item in series:
        if isinstance(item, Sequence) and not isinstance(item, str) and len(item) >= 2:
            points.append((str(item[0]), _num(item[1])))
    points.sort(key=lambda p: p[0])
    points = points[-12:]
    known = [v for _, v in points if v is not None]
    if not known:
        return None
    width, height = 520, 300
    left, right, upper, lower = 48, 18, 30, 48
    plot_w, plot_h = width - left - right, height - upper - lower
    axis_max, step = _nice_scale(max(max(known), 1.0) * 1.1)
    chart = Chart("dso", f"dso-{cur}", f"{fmt.t('dso_chart')} ({cur})", fmt.t("dso_desc", cur=cur),
                  width, height)
    base = upper + plot_h
    ticks = round(axis_max / step)
    for i in range(ticks + 1):
        y = base - plot_h * i / ticks
        chart.shapes.append(Line(left, _r(y), width - right, _r(y), "grid" if i else "axis"))
        chart.shapes.append(Text(left - 6, _r(y + 4), fmt.number(step * i, 0), "end", "tick"))
    chart.shapes.append(Text(left - 6, upper - 14, fmt.t("days_unit"), "end", "tick"))
    n = len(points)
    slot = plot_w / max(n, 1)
    xs = [left + slot * (i + 0.5) for i in range(n)]
    segments: list[list[tuple[float, float]]] = [[]]
    for i, (month, value) in enumerate(points):
        day = _month_start(month)
        first = i == 0 or (day is not None and day.month == 1)
        chart.shapes.append(Text(_r(xs[i]), base + 18, fmt.month(month, "LLL"), "middle", "label"))
        if first and day is not None:
            chart.shapes.append(Text(_r(xs[i]), base + 33, str(day.year), "middle", "muted"))
        if value is None:
            if segments[-1]:
                segments.append([])
            chart.shapes.append(Text(_r(xs[i]), base - 8, "—", "middle", "muted", fmt.t("dso_gap")))
            continue
        segments[-1].append((xs[i], base - value / axis_max * plot_h))
    for seg in segments:
        if len(seg) >= 2:
            chart.shapes.append(Polyline(" ".join(f"{_r(x)},{_r(y)}" for x, y in seg)))
    for i, (month, value) in enumerate(points):
        if value is None:
            continue
        y = base - value / axis_max * plot_h
        tip = f"{fmt.month(month)}\u00a0: {fmt.days(value)}" if fmt.lang == "fr" else \
            f"{fmt.month(month)}: {fmt.days(value)}"
        chart.shapes.append(Dot(_r(xs[i]), _r(y), 3.5, "dot", tip))
        chart.shapes.append(Text(_r(xs[i]), _r(y - 9), fmt.number(value, 0), "middle",
                                 "value" if i == n - 1 else "point"))
    return chart


def _top_chart(fmt: _Fmt, cur: str, ranked: Sequence[CustomerLine]) -> Chart:
    width = 1040
    row_h, upper, lower, name_w, right = 30, 10, 28, 250, 130
    height = upper + row_h * len(ranked) + lower
    plot_w = width - name_w - right
    totals = [c.past_due for c in ranked]
    axis_max, step = _nice_scale(float(max(totals)) if totals else 1.0)
    chart = Chart("top", f"top-{cur}", f"{fmt.t('top_chart', n=len(ranked))} ({cur})",
                  fmt.t("top_desc", cur=cur), width, height,
                  legend=[(BUCKET_COLOURS[b], fmt.t(b)) for b in PAST_DUE])
    base = upper + row_h * len(ranked)
    ticks = round(axis_max / step)
    for i in range(ticks + 1):
        x = name_w + plot_w * i / ticks
        chart.shapes.append(Line(_r(x), upper - 6, _r(x), base, "grid" if i else "axis"))
        chart.shapes.append(Text(_r(x), base + 18, fmt.compact(step * i, cur), "middle", "tick"))
    for row, (customer, total) in enumerate(zip(ranked, totals, strict=True)):
        cid = customer.customer_id
        name = customer.name or cid
        y = upper + row_h * row
        full = name if name == cid else f"{name} ({cid})"
        chart.shapes.append(Text(name_w - 10, _r(y + row_h / 2 + 4), _clip(name, 34), "end", "label", full))
        x = float(name_w)
        for bucket in PAST_DUE:
            value = customer.aging.buckets[bucket]
            if value <= 0:
                continue
            w = float(value) / axis_max * plot_w
            chart.shapes.append(Rect(_r(x), _r(y + 6), _r(max(w, 0.8)), row_h - 12, BUCKET_COLOURS[bucket],
                                     f"{full} · {fmt.t(bucket)} · {fmt.money(value, cur)}"))
            x += w
        chart.shapes.append(Text(_r(max(x, name_w) + 8), _r(y + row_h / 2 + 4), fmt.money(total, cur),
                                 "start", "value"))
    return chart


def _step_label(step: StepEffect, lang: str) -> str:
    """The step's label from its scenario ("Relance amicale (J-5)"), else its name."""
    return (step.label.get(lang) or "").strip() or step.step


def _effectiveness_chart(fmt: _Fmt, steps: Sequence[StepEffect]) -> Chart:
    width = 520
    bar_h, gap, group_pad, upper, lower, label_w, right = 11, 2, 18, 10, 30, 200, 44
    group_h = 3 * bar_h + 2 * gap + group_pad
    height = upper + group_h * len(steps) + lower
    plot_w = width - label_w - right
    chart = Chart("effectiveness", "effectiveness", fmt.t("eff_chart"), fmt.t("eff_desc"), width, height,
                  legend=[(PAID_COLOURS[k], fmt.t(f"paid{k}")) for k in PAID_WITHIN])
    base = upper + group_h * len(steps)
    for pct in (0, 25, 50, 75, 100):
        x = label_w + plot_w * pct / 100
        chart.shapes.append(Line(_r(x), upper - 4, _r(x), base, "grid" if pct else "axis"))
        chart.shapes.append(Text(_r(x), base + 18, fmt.percent(pct, 0), "middle", "tick"))
    for i, step in enumerate(steps):
        y = upper + group_h * i + group_pad / 2
        name = _step_label(step, fmt.lang)
        label = _clip(name or "—", 26)
        messages = step.messages
        channel = step.channel
        detail = " · ".join(x for x in (
            _clip(step.scenario, 14),
            fmt.labels.get(channel, channel),
            fmt.t("messages", n=fmt.integer(messages)),
        ) if x)
        full = " · ".join(x for x in (step.scenario, name,
                                      fmt.labels.get(channel, channel)) if x)
        chart.shapes.append(Text(label_w - 10, _r(y + 14), label, "end", "label", full))
        chart.shapes.append(Text(label_w - 10, _r(y + 30), detail, "end", "muted"))
        for j, key in enumerate(PAID_WITHIN):
            value = _num(step.paid_within.get(int(key)))
            by = y + j * (bar_h + gap)
            if value is None:
                chart.shapes.append(Text(label_w + 4, _r(by + bar_h - 1), fmt.t("too_recent"), "start",
                                         "small", fmt.t(f"paid{key}")))
                continue
            w = max(min(value, 100.0), 0.0) / 100 * plot_w
            tip = f"{full} · {fmt.t(f'paid{key}')} · {fmt.percent(value)}"
            chart.shapes.append(Rect(label_w, _r(by), _r(max(w, 0.8)), bar_h, PAID_COLOURS[key], tip))
            chart.shapes.append(Text(_r(label_w + w + 4), _r(by + bar_h - 1), fmt.percent(value, 0),
                                     "start", "small"))
    return chart


# --------------------------------------------------------------------------- page


@dataclass
class AgingRow:
    label: str
    amount: str
    share: str
    colour: str = ""
    total: bool = False


SIMPLE = ("1m", "3m", "6m", "12m")


def _kpi_rows(fmt: _Fmt, figures: CurrencyFigures) -> list[tuple[str, list[str]]]:
    """DSO, BPDSO and ADD by method (countback, then simple over 1, 3, 6, 12 months), in days."""
    rows = []
    for key, kpi in (("dso", figures.dso), ("bpdso", figures.bpdso), ("add", figures.add)):
        values = [kpi.countback, *(kpi.simple[int(m[:-1])] for m in SIMPLE)]
        rows.append((fmt.t(f"{key}_row"), ["—" if _num(v) is None else fmt.number(_num(v) or 0.0, 1, fixed=True)
                                           for v in values]))
    return rows if any(v != "—" for _, values in rows for v in values) else []


@dataclass
class CurrencySection:
    code: str
    name: str
    cards: list[Card]
    notes: list[str]
    aging_rows: list[AgingRow]
    aging: Chart | None
    aging_empty: str
    dso: Chart | None
    kpi_rows: list[tuple[str, list[str]]]
    top: Chart | None
    top_title: str
    dso_title: str
    top_note: str


@dataclass
class RiskRow:
    name: str
    customer_id: str
    grade: str
    grade_class: str
    score: str
    past_due: str
    net: str
    late: str
    reasons: list[Reason]
    automatic: bool

    @property
    def shown(self) -> list[Reason]:
        return self.reasons[:REASONS_SHOWN]

    @property
    def hidden(self) -> list[Reason]:
        return self.reasons[REASONS_SHOWN:]


def _past_due(customer: CustomerLine) -> Decimal:
    return customer.past_due


def _aging_rows(fmt: _Fmt, cur: str, aging: AgingFigures) -> list[AgingRow]:
    gross = sum((max(aging.buckets[b], Decimal(0)) for b in BUCKETS), Decimal(0))
    rows = []
    for b in BUCKETS:
        value = aging.buckets[b]
        share = fmt.percent(float(value / gross * 100), 1, fixed=True) if gross > 0 else "—"
        rows.append(AgingRow(fmt.t(b), fmt.money(value, cur), share, BUCKET_COLOURS[b]))
    rows.append(AgingRow(fmt.t("unapplied_credits"), fmt.money(aging.unapplied_credits, cur), ""))
    rows.append(AgingRow(fmt.t("net_total"), fmt.money(aging.net_total, cur), "", total=True))
    return rows


def _currency_sections(fmt: _Fmt, report: Report, extras: Mapping[str, Any],
                       as_of_text: str, period: str) -> list[CurrencySection]:
    history: Mapping[str, Sequence[Sequence[Any]]] = extras.get("dso_history") or {}

    open_counts: Counter[str] = Counter()
    overdue_counts: Counter[str] = Counter()
    for inv in report.invoices:
        if inv.status != "open":
            continue
        open_counts[inv.currency] += 1
        if inv.bucket in PAST_DUE:
            overdue_counts[inv.currency] += 1
    overdue: dict[str, list[CustomerLine]] = {}
    for c in report.customers:
        if c.past_due > 0:
            overdue.setdefault(c.currency, []).append(c)

    sections = []
    for cur in sorted(report.currencies):
        figures = report.currencies[cur]
        aging = figures.aging
        notes = _notes(figures.notes, fmt.lang)
        cards = _cards(fmt, cur, figures, period, (open_counts[cur], overdue_counts[cur]), notes)
        late = overdue.get(cur, [])
        ranked = heapq.nlargest(TOP_OVERDUE, late, key=_past_due)
        sections.append(CurrencySection(
            code=cur, name=fmt.currency_name(cur), cards=cards, notes=[text for _, text in notes],
            aging_rows=_aging_rows(fmt, cur, aging),
            aging=_aging_chart(fmt, cur, aging, as_of_text), aging_empty=fmt.t("aging_empty", cur=cur),
            dso=_dso_chart(fmt, cur, history.get(cur) or []), kpi_rows=_kpi_rows(fmt, figures),
            top=_top_chart(fmt, cur, ranked) if ranked else None,
            top_title=f"{fmt.t('top_chart', n=TOP_OVERDUE)} ({cur})",
            dso_title=f"{fmt.t('dso_chart')} ({cur})",
            top_note=fmt.t("top_note", shown=len(ranked), n=fmt.integer(len(late)))
            if len(late) > len(ranked) else "",
        ))
    return sections


@dataclass
class Reason:
    text: str
    points: str = ""  # "−15" when the factor cost points, "+3" when it gave some back


def _reason(fmt: _Fmt, reason: RiskReason) -> tuple[float, Reason] | None:
    """A risk reason (engine.scoring.Reason) in the page's language, with its weight so that the
    reasons that cost most come first."""
    text = reason.said.text(fmt.lang).strip()
    if not text:
        return None
    points = float(reason.points)
    if not points:
        return 0.0, Reason(text)
    sign = "−" if points > 0 else "+"  # points are what the factor took off the score
    return points, Reason(text, f"{sign}{fmt.number(abs(points), 0)}")


def _grade(value: object) -> str:
    return str(value or "?").strip().upper() or "?"


def _grade_class(grade: str) -> str:
    return f"grade-{grade}" if grade in GRADES else "grade-unknown"


def _risk(fmt: _Fmt, report: Report) -> tuple[list[RiskRow], list[tuple[str, str, int]], int]:
    graded = [c for c in report.customers if c.risk is not None]
    if not graded:
        return [], [], 0

    def risk_of(c: CustomerLine) -> Risk:
        assert c.risk is not None
        return c.risk

    grades = Counter(_grade(risk_of(c).grade) for c in graded)

    def severity(c: CustomerLine) -> tuple[int, float, Decimal]:
        """Worst grade first; within a grade the lowest score (scores start at 100 and lose
        points for each risk factor), then the largest past-due amount."""
        grade = _grade(risk_of(c).grade)
        return (GRADES.index(grade) if grade in GRADES else -1, -float(risk_of(c).score), c.past_due)

    rows = []
    for c in heapq.nlargest(TOP_RISK, graded, key=severity):
        risk = risk_of(c)
        weighed = [r for r in (_reason(fmt, raw) for raw in risk.reasons) if r is not None]
        weighed.sort(key=lambda wr: -wr[0])  # stable: equal weights keep the scorer's order
        rows.append(RiskRow(
            name=c.name or c.customer_id, customer_id=c.customer_id,
            grade=_grade(risk.grade), grade_class=_grade_class(_grade(risk.grade)),
            score=str(risk.score),
            past_due=fmt.money(c.past_due, c.currency), net=fmt.money(c.aging.net_total, c.currency),
            late=fmt.days(c.days_late_floored),
            reasons=[r for _, r in weighed], automatic=risk.automatic,
        ))
    distribution = [(g, _grade_class(g), grades[g]) for g in GRADES if grades[g]]
    distribution += [(g, _grade_class(g), n) for g, n in sorted(grades.items()) if g not in GRADES]
    return rows, distribution, len(graded)


def _effectiveness(fmt: _Fmt, report: Report) -> dict[str, Any]:
    eff: Effectiveness | None = report.effectiveness_shown()
    if eff is None:
        return {"chart": None, "more": "", "promises": "—", "first_to_paid": "—", "first_to_paid_sub": "",
                "channels": [], "has_data": False, "period": "", "empty": fmt.t("eff_empty")}
    steps = list(eff.by_step)
    chart = _effectiveness_chart(fmt, steps[:MAX_STEPS]) if steps else None
    channels = [(fmt.labels.get(k, k), fmt.integer(v))
                for k, v in sorted(eff.by_channel.items(), key=lambda kv: -kv[1]) if v > 0]
    return {
        "chart": chart,
        "more": fmt.t("eff_more", n=len(steps) - MAX_STEPS) if len(steps) > MAX_STEPS else "",
        "promises": fmt.percent(eff.promise_kept_rate_percent, 0),
        "first_to_paid": fmt.days(eff.days_to_payment_mean),
        "first_to_paid_sub": fmt.t("first_to_paid_sub", median=fmt.days(eff.days_to_payment_median),
                                   count=fmt.integer(eff.days_to_payment_count)),
        "channels": channels,
        "has_data": eff.has_data,
        "period": (fmt.t("eff_period", period=period_text(*eff.period, fmt.lang)) if eff.period is not None
                   else fmt.t("eff_all", day=fmt.date(report.as_of), period=period_text(*report.period, fmt.lang))
                   if report.effectiveness is not None else ""),
        "empty": (fmt.t("eff_empty_period", period=period_text(*eff.period, fmt.lang)) if eff.period is not None
                  else fmt.t("eff_empty")),
    }


def _environment(templates: Mapping[str, str]) -> Environment:
    env = Environment(
        loader=DictLoader(dict(templates)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def render_html(report: Report, extras: Mapping[str, Any], templates: Mapping[str, str]) -> str:
    """The report as one self-contained HTML page (see the module docstring for ``extras``).

    `templates` are the page's Jinja2 sources by file name (render/report_templates, read by app/).
    """
    fmt = _Fmt(str(extras.get("lang") or "en"))
    as_of = report.as_of
    as_of_text = fmt.date(as_of)
    period = period_text(*report.period, fmt.lang)
    sections = _currency_sections(fmt, report, extras, as_of_text, period)
    risk_rows, grades, graded = _risk(fmt, report)
    indemnity = report.indemnity
    indemnity_count = indemnity.open_count
    context = {
        "lang": fmt.lang,
        "t": fmt.labels,
        "methods": [fmt.t(m) for m in ("countback", *SIMPLE)],
        "company": str(extras.get("company_name") or extras.get("company") or ""),
        "title": fmt.t("title", date=as_of_text),
        "as_of": as_of.isoformat(),
        "as_of_text": as_of_text,
        "period": fmt.t("period", period=period),
        "generated": fmt.t("generated", when=str(extras["generated_at"])) if extras.get("generated_at")
        else fmt.t("by"),
        "sections": sections,
        "effectiveness": _effectiveness(fmt, report),
        "risk_rows": risk_rows,
        "risk_note": fmt.t("risk_note", shown=len(risk_rows), n=fmt.integer(graded)),
        "grades": grades,
        "graded_note": fmt.t("graded", n=fmt.integer(graded)),
        "indemnity": {
            "count": indemnity_count,
            "amount": fmt.money(indemnity.open_amount, "EUR"),
            "sub": fmt.t("indemnity_open_sub", n=fmt.integer(indemnity_count),
                         unit=fmt.money(indemnity.unit, "EUR"),
                         late_n=fmt.integer(indemnity.paid_late_count),
                         late=fmt.money(indemnity.paid_late_amount, "EUR")),
        },
    }
    return _environment(templates).get_template("report.html.j2").render(context)
