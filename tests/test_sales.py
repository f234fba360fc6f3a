"""The Sales / CA_mensuel tab (engine/sales.py): monthly credit sales, read like a sheet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from books import book
from conftest import customer, invoice
from relance.engine.catalog.anomalies import NOT_A_MONTH
from relance.engine.i18n import NBSP, NNBSP
from relance.engine.kpi import currency_kpis
from relance.engine.sales import MONTH_HINT, parse_month

D = Decimal
SALES_HEADER = ["mois", "devise", "montant"]


def test_sales_tab_cells():
    b = book(
        [customer("C1")], [],
        settings={"default_currency": "EUR"},
        CA_mensuel=[SALES_HEADER,
                    ["2025-01", "EUR", "12 500,50"],
                    [dt.date(2025, 2, 1), None, 1000.1],
                    ["03/2025", "usd", 7],
                    [dt.datetime(2025, 4, 30, 0, 0), "EUR", 3],
                    ["2025-05-17", "EUR", 0]],
    )
    assert [a for a in b.anomalies if a.source.tab == "CA_mensuel"] == []
    assert {c: {m: s.amount for m, s in months.items()} for c, months in b.sales.items()} == {
        "EUR": {"2025-01": D("12500.50"), "2025-02": D("1000.1"), "2025-04": D(3), "2025-05": D(0)},
        "USD": {"2025-03": D(7)},
    }
    assert str(b.sales["EUR"]["2025-02"].source) == "CA_mensuel row 3"


def test_sales_tab_anomalies_say_where_what_and_how():
    b = book(
        [customer("C1")], [],
        CA_mensuel=[SALES_HEADER,
                    ["2025-01", "EUR", 100],
                    [None, "EUR", 100],
                    ["2025-13", "EUR", 100],
                    ["mars 2025", "EUR", 100],
                    ["2025-02-30", "EUR", 100],
                    ["2025-02", "EURO", 100],
                    ["2025-03", "EUR", "abc"],
                    ["2025-04", "EUR", None],
                    ["2025-05", "EUR", -5],
                    ["2025-06", "EUR", "10,555"],
                    [dt.date(2025, 1, 15), "EUR", 300]],
    )
    found = [(a.code, a.severity.value, str(a)) for a in b.anomalies if a.source.tab == "CA_mensuel"]
    assert found == [
        ("R801", "error", "CA_mensuel!A3: is blank; the row was skipped; "
                          "write the month as 2025-03 (YYYY-MM), or make it a date cell"),
        ("R801", "error", "CA_mensuel!A4: '2025-13' is not a month (no month 13); the row was skipped; "
                          "write the month as 2025-03 (YYYY-MM), or make it a date cell"),
        ("R801", "error", "CA_mensuel!A5: 'mars 2025' is not a month; the row was skipped; "
                          "write the month as 2025-03 (YYYY-MM), or make it a date cell"),
        ("R801", "error", "CA_mensuel!A6: '2025-02-30' is not a real date (February 2025 has 28 days); "
                          "the row was skipped; correct the day, e.g. 2025-02-28"),
        ("R802", "error", "CA_mensuel!B7: 'EURO' is not an ISO 4217 currency code; the row was skipped; "
                          "use a code such as EUR, USD, GBP or CHF"),
        ("R803", "error", "CA_mensuel!C8: 'abc' is not an amount; the row was skipped; "
                          "enter a number such as 1234.56 (or 1 234,56)"),
        ("R803", "error", "CA_mensuel!C9: is blank; the row was skipped; "
                          "enter the month's credit sales including VAT"),
        ("R804", "error", "CA_mensuel!C10: '-5' is negative; the row was skipped; "
                          "enter the month's net credit sales (invoices minus credit notes), zero or more"),
        ("R805", "warning", "CA_mensuel!C11: '10,555' has more decimals than EUR allows; €10.56 was used; "
                            "round the amount to cents"),
        ("R806", "error", "CA_mensuel!A12: '2025-01-15' is a second row for 2025-01 EUR "
                          "(first at CA_mensuel row 2); this row was skipped; keep one row per month and "
                          "currency: put the month's total in the first row and delete this one"),
    ]
    assert {m: s.amount for m, s in b.sales["EUR"].items()} == {"2025-01": D(100), "2025-06": D("10.56")}
    french = [a.text("fr") for a in b.anomalies if a.source.tab == "CA_mensuel"]
    assert french[3] == (f"CA_mensuel!A6{NBSP}: «{NNBSP}2025-02-30{NNBSP}» n'est pas une date réelle (février 2025 compte 28 jours)"
                         f"{NNBSP}; la ligne a été ignorée{NNBSP}; corrigez le jour, par exemple 28/02/2025")


def test_sales_tab_in_english_and_month_parsing():
    b = book([customer("C1")], [], Sales=[["month", "currency", "amount"], ["2025-7", "EUR", 5]])
    assert b.sales["EUR"]["2025-07"].amount == 5
    assert parse_month("  2025-03 ") == ("2025-03", None)
    assert parse_month(45748) == ("2025-04", None)  # an Excel serial number: 2025-04-01
    assert parse_month(2025.03) == (None, (NOT_A_MONTH(), MONTH_HINT))
    assert parse_month(True)[0] is None and parse_month(None) == (None, None)


def test_a_book_without_a_sales_tab_derives_everything():
    b = book([customer("C1")], [invoice("F1", "C1", "2025-03-03", "2025-04-02", 100)])
    assert b.sales == {}
    assert currency_kpis(b, dt.date(2025, 3, 31))["EUR"].dso.countback == D(31)
