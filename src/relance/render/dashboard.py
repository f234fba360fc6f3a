"""The Dashboard / Tableau_de_bord tab: the report's headline figures and native charts.

Built from the report dict (report.py) and its extras (DSO history, reminder effectiveness), so
the tab, the terminal, the HTML page and `--json` always show the same figures. Every chart
reads cells of the tab itself: a user who copies the tab elsewhere keeps working charts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from relance.engine.sheets import CellValue, ChartSpec, OwnedTab

_LABELS = {
    "fr": {
        "figure": "indicateur", "as_of": "au", "current": "non échu", "1-30": "échu 1-30 j",
        "31-60": "échu 31-60 j", "61-90": "échu 61-90 j", ">90": "échu > 90 j",
        "unapplied_credits": "avoirs et trop-perçus", "net_total": "encours net",
        "past_due_total": "dont échu", "dso": "DSO (countback, jours)", "dso3": "DSO 3 mois (jours)",
        "bpdso": "BPDSO (jours)", "add": "ADD (jours)", "cei": "CEI (%)", "recovery": "taux de recouvrement (%)",
        "penalties": "pénalités de retard", "indemnity_count": "indemnités forfaitaires (nombre)",
        "indemnity_amount": "indemnités forfaitaires (EUR)", "dso_history": "DSO des 12 derniers mois",
        "top": "clients les plus en retard", "effectiveness": "efficacité des relances (% payé sous N jours)",
        "aging_chart": "Balance âgée", "dso_chart": "DSO (jours)", "top_chart": "Échu par client",
        "eff_chart": "Payé après relance (%)", "paid7": "payé sous 7 j", "paid14": "payé sous 14 j",
        "paid30": "payé sous 30 j",
    },
    "en": {
        "figure": "figure", "as_of": "as of", "current": "current", "1-30": "1-30 days past due",
        "31-60": "31-60 days", "61-90": "61-90 days", ">90": "> 90 days",
        "unapplied_credits": "unapplied credits", "net_total": "net receivables",
        "past_due_total": "of which past due", "dso": "DSO (countback, days)", "dso3": "DSO 3 months (days)",
        "bpdso": "BPDSO (days)", "add": "ADD (days)", "cei": "CEI (%)", "recovery": "recovery rate (%)",
        "penalties": "late-payment interest", "indemnity_count": "fixed indemnities (count)",
        "indemnity_amount": "fixed indemnities (EUR)", "dso_history": "DSO over the last 12 months",
        "top": "most overdue customers", "effectiveness": "reminder effectiveness (% paid within N days)",
        "aging_chart": "Aged balance", "dso_chart": "DSO (days)", "top_chart": "Past due by customer",
        "eff_chart": "Paid after a reminder (%)", "paid7": "paid within 7 days",
        "paid14": "paid within 14 days", "paid30": "paid within 30 days",
    },
}
BUCKETS = ("current", "1-30", "31-60", "61-90", ">90")


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


def dashboard_tab(
    name: str,
    report: Mapping[str, Any],
    extras: Mapping[str, Any],
    lang: str = "fr",
) -> OwnedTab:
    labels = _LABELS["en" if lang == "en" else "fr"]
    currencies: list[str] = list(report.get("currencies", {}))
    header = [labels["figure"], *currencies]
    rows: list[list[CellValue]] = []
    charts: list[ChartSpec] = []

    def add(label: str, values: Sequence[CellValue]) -> int:
        rows.append([label, *values])
        return len(rows) + 1  # sheet row number (row 1 is the header)

    def figures(cur: str) -> Mapping[str, Any]:
        return report["currencies"][cur]

    add(labels["as_of"], [report.get("as_of")] * len(currencies))
    first_bucket = add(labels[BUCKETS[0]], [_num(figures(c)["aging"][BUCKETS[0]]) for c in currencies])
    for bucket in BUCKETS[1:]:
        last_bucket = add(labels[bucket], [_num(figures(c)["aging"][bucket]) for c in currencies])
    for key in ("unapplied_credits", "net_total", "past_due_total"):
        add(labels[key], [_num(figures(c)["aging"][key]) for c in currencies])
    add(labels["dso"], [_num((figures(c).get("dso") or {}).get("countback")) for c in currencies])
    add(labels["dso3"], [_num(((figures(c).get("dso") or {}).get("simple") or {}).get("3m")) for c in currencies])
    add(labels["bpdso"], [_num((figures(c).get("bpdso") or {}).get("countback")) for c in currencies])
    add(labels["add"], [_num((figures(c).get("add") or {}).get("countback")) for c in currencies])
    add(labels["cei"], [_num(figures(c).get("cei_percent")) for c in currencies])
    add(labels["recovery"], [_num(figures(c).get("recovery_rate_percent")) for c in currencies])
    add(labels["penalties"], [_num(figures(c).get("late_penalties_total")) for c in currencies])
    indemnity = report.get("indemnity", {})
    add(labels["indemnity_count"], [indemnity.get("count")] + [None] * (len(currencies) - 1))
    add(labels["indemnity_amount"], [_num(indemnity.get("amount_eur"))] + [None] * (len(currencies) - 1))
    chart_col = _col(len(currencies) + 2)
    for i, cur in enumerate(currencies):  # one chart per currency: amounts never share an axis
        charts.append(ChartSpec(
            "bar", f"{labels['aging_chart']} ({cur})", f"A{first_bucket}:A{last_bucket}",
            [(cur, _range(_col(i + 1), first_bucket, last_bucket))],
            anchor=f"{_col(len(currencies) + 2 + 9 * i)}2"))

    history: Mapping[str, Sequence[Sequence[Any]]] = extras.get("dso_history") or {}
    months = sorted({str(m) for series in history.values() for m, _ in series})
    if months:
        rows.append([])
        add(labels["dso_history"], list(currencies))
        by_cur = {c: {str(m): v for m, v in history.get(c, [])} for c in currencies}
        first = last = 0
        for month in months:
            last = add(month, [_num(by_cur[c].get(month)) for c in currencies])
            first = first or last
        charts.append(ChartSpec(
            "line", labels["dso_chart"], f"A{first}:A{last}",
            [(c, _range(_col(i + 1), first, last)) for i, c in enumerate(currencies)],
            anchor=f"{chart_col}20"))

    top = [c for c in report.get("customers", []) if Decimal(c["aging"]["past_due_total"]) > 0]
    if currencies and top:
        main = currencies[0]  # one currency per chart: amounts of two currencies never share an axis
        ranked = sorted((c for c in top if c["currency"] == main),
                        key=lambda c: -Decimal(c["aging"]["past_due_total"]))[:10]
        if ranked:
            rows.append([])
            add(f"{labels['top']} ({main})", [main])
            names: Mapping[str, str] = extras.get("customer_names") or {}
            first = last = 0
            for c in ranked:
                last = add(names.get(c["customer_id"], c["customer_id"]), [_num(c["aging"]["past_due_total"])])
                first = first or last
            charts.append(ChartSpec("bar", f"{labels['top_chart']} ({main})", f"A{first}:A{last}",
                                    [(main, _range("B", first, last))], anchor=f"{chart_col}38"))

    steps = (extras.get("effectiveness") or {}).get("by_step") or []
    if steps:
        rows.append([])
        add(labels["effectiveness"], [labels["paid7"], labels["paid14"], labels["paid30"]])
        first = last = 0
        for s in steps:
            paid = s.get("paid_within") or {}
            last = add(f"{s.get('step')} ({s.get('channel')}, {s.get('messages')})",
                       [_num(paid.get("7")), _num(paid.get("14")), _num(paid.get("30"))])
            first = first or last
        charts.append(ChartSpec(
            "bar", labels["eff_chart"], f"A{first}:A{last}",
            [(labels[k], _range(_col(i + 1), first, last)) for i, k in enumerate(("paid7", "paid14", "paid30"))],
            anchor=f"{chart_col}56"))

    width = max([len(header), *(len(r) for r in rows)])
    rows = [r + [None] * (width - len(r)) for r in rows]
    return OwnedTab(name=name, header=header + [""] * (width - len(header)),
                    rows=rows, widths=[34] + [16] * (width - 1), freeze_header=True, autofilter=False,
                    charts=tuple(charts))
