"""The JSON of `relance report --json` is made once from the typed report (engine.report.report_json):
its shape is pinned here, key by key and in order, so that a change of the records never moves it."""

import datetime as dt
import json
from dataclasses import FrozenInstanceError, replace
from decimal import Decimal as D

import pytest

from books import book, positions
from conftest import customer, invoice, payment
from relance.engine.effectiveness import effectiveness
from relance.engine.report import Report, build_report, report_json
from relance.engine.scoring import predicted_payment_date, risk_grades

AS_OF = dt.date(2025, 3, 31)
BUCKETS = ["current", "1-30", "31-60", "61-90", ">90", "unapplied_credits", "net_total", "past_due_total"]
DAYS = {"countback", "simple"}


def small() -> Report:
    b = book([customer("C1", raison_sociale="Dupont & Fils"), customer("C2")],
             [invoice("F1", "C1", "2025-01-01", "2025-01-31", 1000), invoice("F2", "C2", "2025-03-01", "2025-03-20", 250),
              invoice("F3", "C2", "2025-02-01", "2025-03-03", 80, devise="USD")],
             [payment("2025-02-10", 400, "F1")])
    where = positions(b, AS_OF)
    built = build_report(b, where, AS_OF, risks=risk_grades(b, where, AS_OF),
                         predicted=predicted_payment_date(b, where, AS_OF))
    return replace(built, effectiveness_all=effectiveness(b, AS_OF))


def test_the_json_shape_is_pinned():
    data = report_json(small())
    assert list(data) == ["as_of", "period", "currencies", "indemnity", "invoices", "customers", "effectiveness"]
    assert data["as_of"] == "2025-03-31" and data["period"] == {"start": "2025-03-01", "end": "2025-03-31"}
    assert list(data["currencies"]) == ["EUR", "USD"]  # never merged
    eur = data["currencies"]["EUR"]
    assert list(eur) == ["aging", "dso", "bpdso", "add", "cei_percent", "recovery_rate_percent",
                         "late_penalties_total", "late_penalties_open", "late_penalties_paid_late", "notes"]
    assert list(eur["aging"]) == BUCKETS
    assert eur["aging"]["past_due_total"] == "850.00" and eur["aging"]["31-60"] == "600.00"
    assert set(eur["dso"]) == DAYS and list(eur["dso"]["simple"]) == ["1m", "3m", "6m", "12m"]
    assert all(isinstance(n, str) for n in eur["notes"])
    assert list(data["indemnity"]) == ["count", "amount_eur", "open_count", "open_amount_eur", "paid_late_count",
                                       "paid_late_amount_eur", "unit_eur"]
    assert list(data["invoices"][0]) == [
        "invoice_id", "customer_id", "currency", "status", "open_balance", "days_past_due", "bucket",
        "days_late_at_settlement", "late_penalty", "indemnity_due", "stage", "paused", "prescription_date",
        "predicted_payment_date"]
    assert list(data["customers"][0]) == ["customer_id", "currency", "aging", "net_total",
                                          "weighted_avg_days_late", "avg_days_to_pay", "risk"]
    assert list(data["customers"][0]["risk"]) == ["grade", "score", "reasons", "automatic"]
    assert list(data["effectiveness"]) == ["by_step", "by_channel", "promise_kept_rate_percent",
                                           "days_first_reminder_to_payment"]
    json.dumps(data)  # plain JSON: strings, numbers, null


def test_the_records_hold_decimals_and_the_json_rounds_them_once():
    report = small()
    eur = report.currencies["EUR"]
    assert isinstance(eur.aging.net_total, D) and eur.aging.net_total == D(850)
    assert isinstance(eur.dso.countback, D)  # exact: rounded only in report_json
    assert report_json(report)["currencies"]["EUR"]["dso"]["countback"] == float(
        eur.dso.countback.quantize(D("0.01"), rounding="ROUND_HALF_UP"))
    with pytest.raises(FrozenInstanceError):
        eur.cei_percent = D(1)  # type: ignore[misc]
    [c1] = report.overdue_customers("EUR")[:1]
    assert c1.name == "Dupont & Fils"  # names, not codes
    assert [c.currency for c in report.overdue_customers("USD")] == ["USD"]


def test_notes_are_phrases_said_in_the_language_asked():
    b = book([customer("C1")], [invoice("F1", "C1", "2025-03-01", "2025-03-10", 100)])
    day = dt.date(2025, 4, 15)
    fr = report_json(build_report(b, positions(b, day), day))
    en = report_json(build_report(b, positions(b, day), day, lang="en"))
    assert fr["currencies"]["EUR"]["notes"] and en["currencies"]["EUR"]["notes"]
    assert fr["currencies"]["EUR"]["notes"] != en["currencies"]["EUR"]["notes"]
    assert "mesurés au 31\u00a0mars\u00a02025" in fr["currencies"]["EUR"]["notes"][0]
    assert "measured at 31\u00a0March\u00a02025" in en["currencies"]["EUR"]["notes"][0]
