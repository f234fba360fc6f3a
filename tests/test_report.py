"""The report's figures (engine/report.py, `relance report --json`) on small books worked by hand
(CONVENTIONS.md), built in memory."""

import datetime as dt

from books import book, positions
from conftest import customer, invoice, payment
from relance.engine.report import build_report, report_json

AS_OF = dt.date(2025, 3, 31)
SALES_HEADER = ["mois", "devise", "montant"]


def report(b, as_of=AS_OF, period=None):
    data = report_json(build_report(b, positions(b, as_of), as_of, period))
    return data, {i["invoice_id"]: i for i in data["invoices"]}


def test_statuses_balances_and_buckets():
    b = book(
        [customer("C1"), customer("C2", type_client="B2C")],
        [
            invoice("F1", "C1", "2025-01-01", "2025-01-31", 1000),           # paid 10 days late
            invoice("F2", "C1", "2025-02-01", "2025-03-03", 500),            # half paid, 28 days late
            invoice("F3", "C1", "2025-03-01", "2025-04-30", 300),            # not due
            invoice("F4", "C1", "2025-04-02", None, 300),                     # future
            invoice("F5", "C1", "2025-01-01", "2025-01-31", 0),              # zero
            invoice("F6", "C1", "2025-01-01", "2025-01-31", 200, statut="annulee"),
            invoice("F7", "C1", "2025-01-01", "2024-12-01", 100),            # overpaid
            invoice("F8", "C2", "2024-11-01", "2024-12-01", 400),            # B2C, > 90 days
            invoice("F9", "C1", "2025-01-10", "2025-02-09", 250, devise="USD"),
        ],
        [payment("2025-02-10", 1000, "F1"), payment("2025-03-20", 250, "F2"), payment("2024-12-01", 130, "F7")],
    )
    data, inv = report(b)
    assert {k: v["status"] for k, v in inv.items()} == {
        "F1": "settled", "F2": "open", "F3": "open", "F4": "excluded_future", "F5": "excluded_zero_amount",
        "F6": "cancelled", "F7": "overpaid", "F8": "open", "F9": "open"}
    assert inv["F1"]["days_late_at_settlement"] == 10 and inv["F1"]["open_balance"] == "0.00"
    assert (inv["F2"]["days_past_due"], inv["F2"]["bucket"]) == (28, "1-30")
    assert (inv["F3"]["days_past_due"], inv["F3"]["bucket"]) == (-30, "current")
    assert (inv["F8"]["bucket"], inv["F8"]["late_penalty"], inv["F8"]["indemnity_due"]) == (">90", None, False)
    assert inv["F8"]["prescription_date"] == "2026-12-01"  # B2C: 2 years
    assert inv["F2"]["prescription_date"] == "2030-03-03"  # B2B: 5 years
    eur = data["currencies"]["EUR"]["aging"]
    assert eur == {"current": "300.00", "1-30": "250.00", "31-60": "0.00", "61-90": "0.00", ">90": "400.00",
                   "unapplied_credits": "-30.00", "net_total": "920.00", "past_due_total": "650.00"}
    assert data["currencies"]["USD"]["aging"]["31-60"] == "250.00"  # never added to the euros


def test_penalties_and_indemnity():
    b = book(
        [customer("C1")],
        [invoice("F1", "C1", "2025-01-01", "2025-01-31", 36500),  # paid 10 days late: 10 days at 13.15 %
         invoice("F2", "C1", "2025-01-01", "2025-01-31", 1000),   # paid on its due date: nothing
         invoice("F3", "C1", "2025-01-01", "2025-03-30", 1000)],  # 1 day late, still open
        [payment("2025-02-10", 36500, "F1"), payment("2025-01-31", 1000, "F2")],
    )
    data, inv = report(b)
    assert inv["F1"]["late_penalty"] == "131.50"  # 36500 × 13.15 % × 10 / 365
    assert inv["F2"]["late_penalty"] == "0.00" and not inv["F2"]["indemnity_due"]
    assert inv["F1"]["indemnity_due"] and inv["F3"]["indemnity_due"]
    assert inv["F3"]["late_penalty"] == "0.36"  # 1000 × 13.15 % / 365
    assert {k: data["indemnity"][k] for k in ("count", "amount_eur")} == {"count": 2, "amount_eur": "80.00"}
    assert data["currencies"]["EUR"]["late_penalties_total"] == "131.86"


def test_fifo_excess_is_an_unapplied_credit_and_payment_behaviour():
    b = book(
        [customer("C1")],
        [invoice("F1", "C1", "2025-01-01", "2025-01-31", 100),
         invoice("F2", "C1", "2025-01-15", "2025-02-14", 100),
         invoice("A1", "C1", "2025-02-01", None, 40, type="avoir")],
        [payment("2025-02-10", 250, None, "C1")],
    )
    data, inv = report(b)
    assert inv["F1"]["status"] == inv["F2"]["status"] == "settled"
    eur = data["currencies"]["EUR"]["aging"]
    assert eur["unapplied_credits"] == "-90.00"  # 50 paid too much + a 40 credit note on no invoice
    c1 = data["customers"][0]
    # 100 paid 10 days late, 100 paid 4 days early
    assert c1["weighted_avg_days_late"] == {"signed": 3.0, "floored": 5.0}
    assert c1["avg_days_to_pay"] == 33.0  # paid 40 and 26 days after issue


def test_settings_switch_to_a_fixed_rate_and_back_when_it_is_missing():
    fixed = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-21", 36500)],
                 settings={"penalty_rate_mode": "fixed", "penalty_annual_rate": "12"})
    assert report(fixed)[1]["F1"]["late_penalty"] == "120.00"  # 10 days at 12 %
    missing = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-21", 36500)],
                   settings={"penalty_rate_mode": "fixed"})
    assert any(a.code == "R093" for a in missing.anomalies)
    assert report_json(build_report(missing, positions(missing, AS_OF), AS_OF))["invoices"][0]["late_penalty"] == "131.50"


def test_report_json_rounds_to_two_decimals_per_currency():
    b = book(
        [customer("C1")],
        [invoice("F1", "C1", "2025-03-03", "2025-04-02", 212000),
         invoice("U1", "C1", "2025-03-03", "2025-03-20", 100, devise="USD")],
        CA_mensuel=[SALES_HEADER, ["2025-01", None, 70000], ["2025-02", "EUR", 80000],
                    ["2025-03", "eur", 100000], ["2025-03", "USD", 300]],
    )
    data = report(b)[0]
    eur, usd = data["currencies"]["EUR"], data["currencies"]["USD"]
    # calendar days here: 31 + 28 + 32,000 / 70,000 × 31
    assert eur["dso"]["countback"] == 73.17
    assert eur["dso"]["simple"] == {"1m": 65.72, "3m": 76.32, "6m": None, "12m": None}
    assert eur["bpdso"] == eur["dso"] and eur["add"]["countback"] == 0.0
    # March: 0 + 100,000 sold − 212,000 current is below zero: the Sales tab and the invoices disagree
    assert eur["cei_percent"] is None and eur["recovery_rate_percent"] is None
    assert usd["dso"]["countback"] == 10.33 and usd["bpdso"]["countback"] == 0.0
    assert usd["add"]["simple"]["1m"] == 10.33
    assert usd["notes"][0].replace("\u00a0", " ").startswith(
        "Aucune vente enregistrée du 1er janvier 2025 au 28 février 2025 : le DSO sur 3 mois")
    data = report(b, AS_OF, (dt.date(2025, 1, 1), dt.date(2025, 3, 31)))[0]
    # (0 + 250,000 − 212,000) / (0 + 250,000 − 212,000): all of it current
    assert data["currencies"]["EUR"]["cei_percent"] == 100.0
