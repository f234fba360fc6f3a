"""The Dashboard / Tableau_de_bord tab: the report's headline figures and native charts.

Built from the report records (engine/report.py: figures, names, reminder effectiveness) and the
DSO history, so
the tab, the terminal, the HTML page and `--json` always show the same figures. Every chart
reads cells of the tab itself: a user who copies the tab elsewhere keeps working charts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from relance.engine.catalog import tabs as T
from relance.engine.formats import formats, half_up
from relance.engine.i18n import Phrase
from relance.engine.kpi import period_text
from relance.engine.report import CurrencyFigures, Report
from relance.engine.sheets import CellFormat, CellValue, ChartSpec, OwnedTab

_BUCKET_LABELS = {"current": T.DASH_CURRENT, "1-30": T.DASH_1_30, "31-60": T.DASH_31_60,
                  "61-90": T.DASH_61_90, ">90": T.DASH_OVER_90}
BUCKETS = ("current", "1-30", "31-60", "61-90", ">90")


def _fraction(value: Decimal | None) -> Decimal | None:
    """Percentage points (82.5) as the fraction a percent-formatted cell holds (0.825), from the
    figure the JSON gives (half-up, 2 decimals)."""
    return None if value is None else half_up(value, 2) / 100


def _figure(value: Decimal | None) -> Decimal | None:
    """Days as the JSON gives them (half-up, 2 decimals): the tab and `--json` hold one number."""
    return None if value is None else half_up(value, 2)


def _month(value: object, lang: str) -> CellValue:
    """ "2026-11" as "novembre 2026" / "November 2026" (never an ISO date in French)."""
    text = str(value)
    try:
        return formats(lang).month(dt.date(int(text[:4]), int(text[5:7]), 1))
    except ValueError:
        return text


def _history(value: object) -> CellValue:
    """A month of the DSO history (kpi.dso_history: exact decimals) as the JSON figures are."""
    return _figure(value) if isinstance(value, Decimal) else _num(value)


def _num(value: object) -> CellValue:
    """Decimal strings become numbers (charts need numbers); None stays an empty cell."""
    if value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return str(value)


def _range(col: str, first: int, last: int) -> str:
    return f"{col}{first}:{col}{last}"


def _col(index: int) -> str:
    from relance.engine.anomaly import column_letter

    return column_letter(index)


#: The height of a row of the tab, in centimetres (15 points).
ROW_CM = 0.53


def _stacked(charts: list[ChartSpec], side_by_side: int, first_column: int) -> list[ChartSpec]:
    """The charts right of the figures (never over them), one under the other (the aging charts
    side by side at the top, ten default-width columns apart: 17 cm), each under the previous
    one's bottom whatever its height."""
    placed = [replace(c, anchor=f"{_col(first_column + 10 * i)}2") for i, c in enumerate(charts[:side_by_side])]
    row = 2 + (math.ceil(max((c.height_cm for c in placed), default=0) / ROW_CM) + 1 if placed else 0)
    for chart in charts[side_by_side:]:
        placed.append(replace(chart, anchor=f"{_col(first_column)}{row}"))
        row += math.ceil(chart.height_cm / ROW_CM) + 1
    return placed


def dashboard_tab(
    name: str,
    report: Report,
    extras: Mapping[str, Any],
    lang: str = "fr",
) -> OwnedTab:
    """The Dashboard tab: figures formatted as the template formats them (amounts in their
    currency, days, percentages, dates), and native charts whose axes say what they count.
    `extras` may give the DSO history (kpi.dso_history)."""
    lang = "en" if lang == "en" else "fr"

    def say(phrase: Phrase, **args: object) -> str:
        return phrase.text(lang, **args)

    figures = report.currencies
    currencies: list[str] = list(figures)
    header = [say(T.DASH_FIGURE), *currencies]
    rows: list[list[CellValue]] = []
    row_formats: dict[int, list[CellFormat | None]] = {}
    charts: list[ChartSpec] = []

    def add(label: str, values: Sequence[CellValue], fmt: Sequence[CellFormat | None] | CellFormat | None = None
            ) -> int:
        rows.append([label, *values])
        if isinstance(fmt, CellFormat):
            row_formats[len(rows) - 1] = [None, *[fmt] * len(values)]
        elif fmt is not None:
            row_formats[len(rows) - 1] = [None, *fmt]
        return len(rows) + 1  # sheet row number (row 1 is the header)

    def each(get: Callable[[CurrencyFigures], Decimal | None]) -> list[CellValue]:
        return [get(figures[c]) for c in currencies]

    money = [CellFormat("money", currency=c) for c in currencies]
    days = CellFormat("number", digits=1)
    percent = CellFormat("percent", digits=1)
    add(say(T.DASH_AS_OF), [report.as_of] * len(currencies), CellFormat("date"))
    first_bucket = last_bucket = add(say(_BUCKET_LABELS[BUCKETS[0]]), each(lambda f: f.aging.buckets[BUCKETS[0]]),
                                     money)
    for bucket in BUCKETS[1:]:
        last_bucket = add(say(_BUCKET_LABELS[bucket]), [figures[c].aging.buckets[bucket] for c in currencies], money)
    add(say(T.DASH_UNAPPLIED), each(lambda f: f.aging.unapplied_credits), money)
    add(say(T.DASH_NET), each(lambda f: f.aging.net_total), money)
    add(say(T.DASH_PAST_DUE), each(lambda f: f.aging.past_due_total), money)
    add(say(T.DASH_DSO), each(lambda f: _figure(f.dso.countback)), days)
    add(say(T.DASH_DSO3), each(lambda f: _figure(f.dso.simple[3])), days)
    add(say(T.DASH_BPDSO), each(lambda f: _figure(f.bpdso.countback)), days)
    add(say(T.DASH_ADD), each(lambda f: _figure(f.add.countback)), days)
    over = period_text(*report.period, lang)
    add(say(T.DASH_CEI, period=over), [_fraction(figures[c].cei_percent) for c in currencies], percent)
    add(say(T.DASH_RECOVERY, period=over), [_fraction(figures[c].recovery_rate_percent) for c in currencies],
        percent)
    add(say(T.DASH_PENALTIES), each(lambda f: f.late_penalties_open), money)
    add(say(T.DASH_PENALTIES_PAID_LATE), each(lambda f: f.late_penalties_paid_late), money)
    indemnity = report.indemnity
    blanks: list[CellValue] = [None] * (len(currencies) - 1)
    add(say(T.DASH_INDEMNITY_COUNT), [indemnity.open_count, *blanks], CellFormat("integer"))
    add(say(T.DASH_INDEMNITY_AMOUNT), [indemnity.open_amount, *blanks], [CellFormat("money", currency="EUR")])
    add(say(T.DASH_INDEMNITY_LATE_COUNT), [indemnity.paid_late_count, *blanks], CellFormat("integer"))
    add(say(T.DASH_INDEMNITY_LATE_AMOUNT), [indemnity.paid_late_amount, *blanks],
        [CellFormat("money", currency="EUR")])
    chart_col = _col(len(currencies) + 2)
    for i, cur in enumerate(currencies):  # one chart per currency: amounts never share an axis
        charts.append(ChartSpec(
            "bar", say(T.CHART_AGING, currency=cur), f"A{first_bucket}:A{last_bucket}",
            [(cur, _range(_col(i + 1), first_bucket, last_bucket))],
            anchor=f"{_col(len(currencies) + 2 + 9 * i)}2", axis=f"money:{cur}", lang=lang))

    history: Mapping[str, Sequence[Sequence[Any]]] = extras.get("dso_history") or {}
    months = sorted({str(m) for series in history.values() for m, _ in series})
    if months:
        rows.append([])
        add(say(T.DASH_DSO_HISTORY), list(currencies))
        by_cur = {c: {str(m): v for m, v in history.get(c, [])} for c in currencies}
        first = last = 0
        for month in months:
            last = add(str(_month(month, lang)), [_history(by_cur[c].get(month)) for c in currencies], days)
            first = first or last
        charts.append(ChartSpec(
            "line", say(T.CHART_DSO), f"A{first}:A{last}",
            [(c, _range(_col(i + 1), first, last)) for i, c in enumerate(currencies)],
            anchor=f"{chart_col}20", axis="days", lang=lang))

    if currencies:
        main = currencies[0]  # one currency per chart: amounts of two currencies never share an axis
        ranked = report.overdue_customers(main, 10)
        if ranked:
            rows.append([])
            add(say(T.DASH_TOP, currency=main), [main])
            first = last = 0
            for c in ranked:
                last = add(c.name, [c.past_due], [CellFormat("money", currency=main)])
                first = first or last
            charts.append(ChartSpec("bar", say(T.CHART_TOP, currency=main), f"A{first}:A{last}",
                                    [(main, _range("B", first, last))], anchor=f"{chart_col}38",
                                    horizontal=True, axis=f"money:{main}", lang=lang,
                                    height_cm=max(8.0, 1.0 * len(ranked) + 3)))

    eff = report.effectiveness_shown()
    steps = eff.by_step if eff is not None else ()
    if steps:
        rows.append([])
        windows = (T.DASH_PAID_7, T.DASH_PAID_14, T.DASH_PAID_30)
        title = say(T.DASH_EFFECTIVENESS)
        if eff is not None and eff.period is not None:
            title = say(T.DASH_EFFECTIVENESS_OVER, period=period_text(*eff.period, lang))
        elif report.effectiveness is not None:  # nothing in the period: everything up to as_of, said so
            title = say(T.DASH_EFFECTIVENESS_ALL, day=report.as_of, period=period_text(*report.period, lang))
        add(title, [*(say(w) for w in windows), say(T.DASH_MESSAGES)])
        first = last = 0
        for s in steps:
            last = add(s.label_in(lang), [_fraction(s.paid_within.get(7)), _fraction(s.paid_within.get(14)),
                                          _fraction(s.paid_within.get(30)), s.messages],
                       [percent, percent, percent, CellFormat("integer")])
            first = first or last
        charts.append(ChartSpec(
            "bar", say(T.CHART_EFFECTIVENESS), f"A{first}:A{last}",
            [(say(w), _range(_col(i + 1), first, last)) for i, w in enumerate(windows)],
            anchor=f"{chart_col}56", horizontal=True, axis="percent", lang=lang,
            width_cm=20.0, height_cm=max(9.0, 1.2 * len(steps) + 3)))

    width = max([len(header), *(len(r) for r in rows)])
    charts = _stacked(charts, len(currencies), width + 1)
    rows = [r + [None] * (width - len(r)) for r in rows]
    label_width = max([34, *(len(str(r[0])) + 2 for r in rows if r and r[0])])
    return OwnedTab(name=name, header=header + [""] * (width - len(header)),
                    rows=rows, widths=[min(label_width, 60)] + [17] * (width - 1), freeze_header=True,
                    autofilter=False, charts=tuple(charts), row_formats=row_formats, header_style=True,
                    lang=lang, pages_tall=1)  # a one-page report: its last chart never alone on a page
