"""One rounding rule for every figure of `relance report --json`: half-up (docs/figures.md).

Each family is tried on a half case, a 5 in the first dropped decimal, where half-even (Python's
and Decimal's default) would round the other way: amounts, the days figures (DSO/BPDSO/ADD,
weighted days late, days to pay), the percentages (CEI, recovery rate, effectiveness), and the
figures risk grades are computed from.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from books import book, positions
from conftest import customer, invoice, payment
from relance.engine.effectiveness import _percent
from relance.engine.formats import half_up, json_number
from relance.engine.kpi import WINDOWS, CurrencyKpis, Days
from relance.engine.report import build_report, kpi_json, money, report_json
from relance.engine.scoring import Paid, weighted_days_late

AS_OF = dt.date(2025, 3, 31)
ENGINE = Path(__file__).resolve().parents[1] / "src" / "relance" / "engine"


def test_the_helper_rounds_half_up_away_from_zero():
    assert json_number(Decimal("12.345")) == 12.35  # half-even: 12.34
    assert json_number(Decimal("0.125")) == 0.13  # half-even: 0.12
    assert json_number(Decimal("-2.345")) == -2.35
    assert json_number(Decimal("2.5"), 0) == 3.0 and json_number(Decimal("0.25"), 1) == 0.3
    assert json_number(None) is None
    assert half_up(Decimal("12.345")) == Decimal("12.35")


def test_amounts_round_half_up():
    assert money(Decimal("0.125")) == "0.13" and money(Decimal("1138.465")) == "1138.47"
    assert money(Decimal("-0.125")) == "-0.13" and money(Decimal("5")) == "5.00"


def test_weighted_days_late_and_days_to_pay_round_half_up():
    """700 paid on its due date, 100 a day late: 100 × 1 / 800 = 0.125 day late on average."""
    b = book([customer("C1")],
             [invoice("F1", "C1", "2025-01-01", "2025-01-31", 700),
              invoice("F2", "C1", "2025-01-01", "2025-01-31", 100),
              invoice("F3", "C1", "2025-03-01", "2025-03-31", 50)],  # open, unpaid: weighs nothing
             [payment("2025-01-31", 700, "F1"), payment("2025-02-01", 100, "F2")])
    [c1] = report_json(build_report(b, positions(b, AS_OF), AS_OF))["customers"]
    assert c1["weighted_avg_days_late"] == {"signed": 0.13, "floored": 0.13}  # half-even said 0.12
    assert c1["avg_days_to_pay"] == 30.13  # (700 × 30 + 100 × 31) / 800 = 30.125


def test_dso_bpdso_add_cei_and_recovery_round_half_up():
    half = Decimal("82.525")
    days = Days(half, {n: Decimal("0.005") for n in WINDOWS})
    k = CurrencyKpis("EUR", AS_OF, (dt.date(2025, 3, 1), AS_OF), Decimal(100), Decimal(0), days, days,
                     days.minus(Days(Decimal("80"), {n: Decimal(0) for n in WINDOWS})),
                     Decimal("1.875"), Decimal("48.125"))
    data = kpi_json(k)
    for key in ("dso", "bpdso"):
        assert data[key] == {"countback": 82.53, "simple": {f"{n}m": 0.01 for n in WINDOWS}}  # half-even: 82.52, 0.0
    assert data["add"]["countback"] == 2.53  # 82.525 − 80 = 2.525
    assert data["add"]["simple"] == {f"{n}m": 0.01 for n in WINDOWS}
    assert data["cei_percent"] == 1.88 and data["recovery_rate_percent"] == 48.13


def test_effectiveness_percentages_and_delays_round_half_up():
    assert json_number(_percent(1, 800)) == 0.13  # 0.125 %
    assert json_number(_percent(1, 8)) == 12.5
    assert json_number(Decimal(9) / 8) == 1.13  # a mean of 9 days over 8 reminders: 1.125


def test_risk_figures_round_half_up():
    day = dt.date(2025, 1, 31)
    paid = [Paid("F1", day, Decimal(700), 0), Paid("F2", day, Decimal(100), 1)]
    assert weighted_days_late(paid) == Decimal("0.13")


def test_no_figure_module_rounds_another_way():
    """Every rounding of these modules goes through formats.half_up (json_number is built on it)."""
    for name in ("report.py", "kpi.py", "scoring.py", "effectiveness.py"):
        text = (ENGINE / name).read_text(encoding="utf-8")
        assert ".quantize(" not in text and "ROUND_HALF" not in text and "round(" not in text, name
        assert "float(" not in text.replace("float(half_up(", ""), name
