"""DSO, BPDSO, ADD, CEI and recovery rate (engine/kpi.py, CONVENTIONS.md), on books built in memory.

Published worked examples are reproduced to the cent; each case names its source. Some of them
count 30-day months: those cases say so and pass `days_per_month=30`.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

from books import book, large_book, positions
from conftest import customer, invoice, payment
from relance.engine.book import Book
from relance.engine.i18n import Said
from relance.engine.kpi import (
    Receivable,
    cei_percent,
    countback_days,
    currency_kpis,
    dso_history,
    monthly_sales,
    receivables_at,
    simple_days,
)
from relance.engine.position import aging, compute_positions
from relance.engine.report import build_report, report_json

D = Decimal
SALES_HEADER = ["mois", "devise", "montant"]


def plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def english(notes: list[Said]) -> list[str]:
    """The notes as the English report shows them, no-break spaces as spaces."""
    return [plain(note.en) for note in notes]


def french(notes: list[Said]) -> list[str]:
    return [plain(note.fr) for note in notes]


def cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def book_of(invoices, sales=(), payments=(), customers=None, settings=None) -> Book:
    return book(customers or [customer("C1")], invoices, payments, settings, CA_mensuel=[SALES_HEADER, *sales])


def kpis(book: Book, as_of: str, period=None, days_per_month=None):
    return currency_kpis(book, dt.date.fromisoformat(as_of), period, days_per_month)


def report(b: Book, as_of: str, period=None):
    day = dt.date.fromisoformat(as_of)
    return report_json(build_report(b, positions(b, day), day, period))


# --- published worked examples ------------------------------------------------------------------


def test_countback_benjipays_example_with_30_day_months():
    # https://support.benjipays.com/support/solutions/articles/150000179580-mastering-dso-calculation-the-count-back-method-explained
    # Sales 70,000 / 80,000 / 100,000 (oldest first), ending receivables 212,000, 30-day months:
    # 30 + 30 + 32,000 / 70,000 × 30 = 73.71 days (also quoted as 73.7 by
    # https://trymesha.com/blog/the-2-dso-calculation-formulas-simple-vs-countback-method-explained/).
    # This case uses 30-day months, as the source does.
    assert cents(countback_days(D(212000), [(D(100000), 30), (D(80000), 30), (D(70000), 30)])) == D("73.71")
    book = book_of([invoice("F1", "C1", "2025-03-03", "2025-04-02", 212000)],
                   [["2025-01", "EUR", 70000], ["2025-02", "EUR", 80000], ["2025-03", "EUR", 100000]])
    eur = kpis(book, "2025-03-31", days_per_month=30)["EUR"]
    assert cents(eur.dso.countback) == D("73.71")
    assert eur.dso.countback == 60 + D(32000) * 30 / D(70000)


def test_countback_anaplan_example_with_calendar_days():
    # https://community.anaplan.com/discussion/55580/count-back-for-turnover
    # AR at the end of January 2,000; sales Jan 200, Dec 400, Nov 600, Oct 700, Sep 500:
    # 31 (Jan) + 31 (Dec) + 30 (Nov) + 31 (Oct) + 100 / 500 × 30 (Sep) = 129 days.
    book = book_of([invoice("F1", "C1", "2025-01-06", "2025-02-05", 2000)],
                   [["2024-09", "EUR", 500], ["2024-10", "EUR", 700], ["2024-11", "EUR", 600],
                    ["2024-12", "EUR", 400], ["2025-01", "EUR", 200]])
    eur = kpis(book, "2025-01-31")["EUR"]
    assert eur.dso.countback == D(129)
    assert eur.bpdso.countback == D(129)  # the invoice is not due yet: all of it is current
    assert eur.add.countback == 0


def test_simple_dso_jd_edwards_example_with_30_day_months():
    # https://docs.oracle.com/en/applications/jd-edwards/financials/9.2/eoaar/current-balance-divided-by-sales.html
    # (10869 × 90) / (5538 + 4566 + 7570) = 55.35: three periods of 30 days, as the source counts them.
    assert cents(simple_days(D(10869), [D(5538), D(4566), D(7570)], [30, 30, 30])) == D("55.35")
    book = book_of([invoice("F1", "C1", "2025-03-10", "2025-04-09", 10869)],
                   [["2025-01", "EUR", 5538], ["2025-02", "EUR", 4566], ["2025-03", "EUR", 7570]])
    eur = kpis(book, "2025-03-31", days_per_month=30)["EUR"]
    assert cents(eur.dso.simple[3]) == D("55.35")


def test_simple_dso_over_a_year_of_calendar_days():
    # https://trymesha.com/blog/the-2-dso-calculation-formulas-simple-vs-countback-method-explained/
    # 150,000 receivables, 1,800,000 annual credit sales, 365 days: DSO = 30.4 days (30.42 to the cent).
    # The twelve calendar months of 2025 add up to the source's 365 days.
    sales = [[f"2025-{m:02d}", "EUR", 150000] for m in range(1, 13)]
    book = book_of([invoice("F1", "C1", "2025-12-10", "2026-01-09", 150000)], sales)
    eur = kpis(book, "2025-12-31")["EUR"]
    assert cents(eur.dso.simple[12]) == D("30.42")
    assert eur.dso.simple[12] == D(150000) * 365 / D(1800000)


def test_cei_published_examples():
    # https://wizedu.com/questions/116374/sales-on-credit-terms-ar-balance-current-31-60-61 (worked
    # solution on the sample aged trial balance of creditguru.com): beginning receivables 6,200,
    # credit sales 10,890, ending total 6,340, ending current 3,590: 10,750 / 13,500 = 79.63 %.
    assert cents(cei_percent(D(6200), D(10890), D(6340), D(3590))) == D("79.63")
    # https://gaviti.com/?p=3708: (100,000 + 1,000,000 − 120,000) / (100,000 + 1,000,000 − 100,000)
    # = 98 %.
    assert cei_percent(D(100000), D(1000000), D(120000), D(100000)) == D(98)
    # https://www.creditguru.com/index.php/collection-management/collection-metrics/collection-effectiveness-index-cei
    # states 55.9 % for the same three months because it divides the sales by N = 3 months. CONVENTIONS
    # takes the period's sales whole (the wizedu reading); the formula gives creditguru's figure when
    # handed its monthly average:
    assert cents(cei_percent(D(6200), D(10890) / 3, D(6340), D(3590))) == D("55.93")


def test_cei_on_a_book_reproduces_the_published_figures():
    # The creditguru / wizedu figures above, built as a book: the receivables at 2024-12-31 are
    # 6,200; the Sales tab gives 3,390 + 3,610 + 3,890 = 10,890; at 2025-03-31 6,340 are open, of
    # which 3,590 not yet due.
    book = book_of(
        [invoice("F0", "C1", "2024-12-01", "2024-12-31", 6200),
         invoice("F1", "C1", "2025-01-10", "2025-02-09", 2750),     # past due at the end
         invoice("F2", "C1", "2025-03-10", "2025-04-09", 3590)],    # current at the end
        [["2025-01", "EUR", 3390], ["2025-02", "EUR", 3610], ["2025-03", "EUR", 3890]],
        [payment("2025-01-15", 6200, "F0")],
    )
    period = (dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    eur = kpis(book, "2025-03-31", period)["EUR"]
    assert cents(eur.cei_percent) == D("79.63")
    assert eur.recovery_rate_percent is None  # F0 was due on 2024-12-31: not past due that evening
    assert "Recovery rate from 1 January 2025 to 31 March 2025: no invoice was past due on 31 December 2024, " \
           "so there was nothing to recover." in english(eur.notes)
    assert "Taux de recouvrement du 1er janvier 2025 au 31 mars 2025 : aucune facture n'était échue le " \
           "31 décembre 2024, il n'y avait donc rien à recouvrer." in french(eur.notes)


# --- calendar: leap years and month ends ----------------------------------------------------------


def test_february_2024_has_29_days():
    months = [(2023, m) for m in range(3, 13)] + [(2024, 1), (2024, 2)]
    sales = [[f"{y}-{m:02d}", "EUR", 1000] for y, m in months]
    book = book_of([invoice("F1", "C1", "2024-02-10", "2024-03-11", 1000)], sales)
    eur = kpis(book, "2024-02-29")["EUR"]
    assert eur.measured_at == dt.date(2024, 2, 29)
    assert eur.dso.countback == 29  # AR equals February's sales: the whole month
    assert eur.dso.simple[1] == 29
    assert eur.dso.simple[12] == D("30.5")  # 1,000 / 12,000 × 366 days (March 2023 to February 2024)

    book = book_of(
        [invoice("F1", "C1", "2024-02-10", "2024-03-11", 1000),
         invoice("F2", "C1", "2024-03-12", "2024-04-11", 2000)],
        [*sales, ["2024-03", "EUR", 2000]],
        [payment("2024-03-20", 500, "F1")],
    )
    eur = kpis(book, "2024-03-31")["EUR"]
    assert eur.net_ar == 2500
    assert eur.dso.countback == D("45.5")  # 31 (March) + 500 / 1,000 × 29 (February)
    assert cents(eur.dso.simple[3]) == D("56.88")  # 2,500 × (31 + 29 + 31) / 4,000


def test_month_ends_and_what_counts_on_the_day():
    book = book_of(
        [invoice("F1", "C1", "2025-02-01", "2025-02-28", 1000),   # due on the month end: current that day
         invoice("F2", "C1", "2025-02-01", "2025-02-27", 500),    # one day past due at the month end
         invoice("F3", "C1", "2025-02-05", "2025-03-07", 300),
         invoice("F4", "C1", "2025-03-01", "2025-03-31", 700)],   # issued after the month end
        [["2025-02", "EUR", 2500]],
        [payment("2025-02-28", 300, "F3"),                       # dated on the month end: counts
         payment("2025-03-01", 1000, "F1")],                     # the day after: does not
    )
    at = receivables_at(book, [dt.date(2025, 2, 28), dt.date(2025, 3, 1)])["EUR"]
    assert at[dt.date(2025, 2, 28)] == Receivable(D(1500), D(1000))
    assert at[dt.date(2025, 3, 1)] == Receivable(D(1200), D(700))  # F1 paid, F4 issued, F2 past due
    eur = kpis(book, "2025-03-15")["EUR"]
    assert eur.measured_at == dt.date(2025, 2, 28)
    assert eur.net_ar == 1500 and eur.current_ar == 1000
    assert eur.dso.countback == D(1500) * 28 / D(2500)
    assert eur.bpdso.countback == D(1000) * 28 / D(2500)
    assert eur.add.countback == D(500) * 28 / D(2500)
    assert english(eur.notes)[0] == ("DSO, BPDSO and ADD are measured at 28 February 2025, "
                                     "the last month end on or before 15 March 2025.")
    assert french(eur.notes)[0] == ("Le DSO, le BPDSO et l'ADD sont mesurés au 28 février 2025, "
                                    "dernière fin de mois au plus tard le 15 mars 2025.")
    assert eur.period == (dt.date(2025, 2, 1), dt.date(2025, 2, 28))  # by default the last complete month
    explicit = kpis(book, "2025-03-15", (dt.date(2025, 3, 1), dt.date(2025, 3, 31)))["EUR"]
    assert explicit.period == (dt.date(2025, 3, 1), dt.date(2025, 3, 15))  # never past as_of


def test_receivables_match_the_aging_at_every_day():
    rnd = random.Random(5)
    rows, pays = [], []
    for i in range(120):
        issued = dt.date(2025, 1, 1) + dt.timedelta(days=rnd.randrange(80))
        due = issued + dt.timedelta(days=rnd.choice([0, 15, 30, 45]))
        amount = rnd.choice([0, 90, 250, 1000])
        kind = "avoir" if i % 17 == 0 else "facture"
        status = "annulee" if i % 23 == 0 else None
        applies = f"F{i - 1}" if kind == "avoir" and i % 2 else None
        rows.append(invoice(f"F{i}", rnd.choice(["C1", "C2"]), issued.isoformat(), due.isoformat(), amount,
                            devise=rnd.choice(["EUR", "USD"]), type=kind, statut=status,
                            facture_liee=applies))
        if rnd.random() < 0.5:
            paid = issued + dt.timedelta(days=rnd.randrange(-3, 60))
            pays.append(payment(paid.isoformat(), rnd.choice([50, 250, 1200]), f"F{i}"))
    book = book_of(rows, (), pays, customers=[customer("C1"), customer("C2")])
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=d) for d in range(0, 150, 7)]
    at = receivables_at(book, days)
    for day in days:
        totals: dict[str, Receivable] = {}
        for (_, cur), a in aging(book, compute_positions(book, day), day).items():
            net, current = totals.get(cur, Receivable(D(0), D(0)))
            totals[cur] = Receivable(net + a.net_total, current + a.buckets["current"])
        assert {c: v for c, v in totals.items()} == {c: at[c][day] for c in totals}
        for cur in set(at) - set(totals):
            assert at[cur][day] == Receivable(D(0), D(0))


def test_unapplied_credits_are_in_net_ar_and_overpayments_never_in_current():
    book = book_of(
        [invoice("F1", "C1", "2025-03-01", "2025-04-30", 1000),
         invoice("F2", "C1", "2025-03-01", "2025-04-30", 200),          # overpaid, not yet due
         invoice("A1", "C1", "2025-03-20", None, 150, type="avoir")],   # a credit note on no invoice
        (),
        [payment("2025-03-10", 260, "F2")],
    )
    at = receivables_at(book, [dt.date(2025, 3, 15), dt.date(2025, 3, 31)])["EUR"]
    assert at[dt.date(2025, 3, 15)] == Receivable(D(940), D(1000))  # 1000 − 60 overpaid
    assert at[dt.date(2025, 3, 31)] == Receivable(D(790), D(1000))  # and − 150 credited on 03-20


# --- sales -------------------------------------------------------------------------------------------


def test_monthly_sales_are_invoices_minus_credit_notes_and_the_sales_tab_wins():
    book = book_of(
        [invoice("F1", "C1", "2025-02-03", "2025-03-05", 1000),
         invoice("A1", "C1", "2025-02-20", None, 200, type="avoir", facture_liee="F1"),
         invoice("F2", "C1", "2025-02-10", "2025-03-12", 999, statut="annulee"),
         invoice("F3", "C1", "2024-11-10", "2024-12-10", 0),             # zero: no sale, no history
         invoice("F4", "C1", "2025-03-04", "2025-04-03", 1000),
         invoice("F5", "C1", "2025-04-01", "2025-05-01", 555)],          # after as_of
        [["2025-03", "EUR", 4000]],
    )
    eur = monthly_sales(book, dt.date(2025, 3, 31))["EUR"]
    assert eur.first == 2025 * 12 + 1  # February 2025
    assert [eur.get(2025 * 12 + m) for m in (0, 1, 2)] == [None, D(800), D(4000)]
    assert eur.from_tab == frozenset({2025 * 12 + 2})
    k = kpis(book, "2025-03-31")["EUR"]
    assert k.net_ar == 1800  # F1 800 + F4 1000
    assert k.dso.simple[1] == D(1800) * 31 / D(4000)  # the Sales tab's March, not the invoices' 1,000
    assert k.dso.simple[3] is None


def test_a_month_with_zero_sales_adds_its_full_days():
    book = book_of(
        [invoice("F1", "C1", "2025-01-10", "2025-02-09", 1000),
         invoice("F2", "C1", "2025-03-05", "2025-04-04", 1000)],
        (),
        [payment("2025-02-15", 500, "F1")],
    )
    eur = kpis(book, "2025-03-31")["EUR"]
    # 31 (March) + 28 (February, no sales) + 500 / 1000 × 31 (January)
    assert eur.dso.countback == D("74.5")
    assert eur.dso.simple[1] == D("46.5")
    assert eur.dso.simple[3] == D("67.5")  # 1500 × 90 / 2000
    assert eur.bpdso.countback == 31  # the current 1,000 is exactly March's sales
    assert eur.add.countback == D("43.5")
    assert eur.add.simple[3] == D("67.5") - D(1000) * 90 / D(2000)
    # a zero row in the Sales tab counts the same way, and a window with no sales at all has no DSO
    book = book_of([invoice("F1", "C1", "2025-01-10", "2025-03-31", 1000)], [["2025-03", "EUR", 0]])
    eur = kpis(book, "2025-03-31")["EUR"]
    assert eur.dso.countback == 31 + 28 + 31
    assert eur.dso.simple[1] is None
    assert "No net sales from 1 March 2025 to 31 March 2025: the 1-month DSO cannot be computed." \
        in english(eur.notes)


def test_insufficient_history_gives_null_and_says_why():
    sales = [[f"{y}-{m:02d}", "EUR", 1000] for y, m in [(2024, 12)] + [(2025, m) for m in range(1, 11)]]
    book = book_of([invoice("F1", "C1", "2025-10-06", "2025-11-05", 500)], sales)
    eur = kpis(book, "2025-10-31")["EUR"]
    assert eur.dso.simple[12] is None and eur.bpdso.simple[12] is None and eur.add.simple[12] is None
    assert eur.dso.simple[6] == D(500) * 184 / D(6000)
    assert english(eur.notes)[0] == ("No sales recorded from 1 November 2024 to 30 November 2024: the 12-month "
                                     "DSO needs 12 months of sales; add them in the CA_mensuel tab.")
    assert len([n for n in english(eur.notes) if "DSO" in n]) == 1

    book = book_of([invoice("F1", "C1", "2025-03-06", "2025-04-05", 1000)],
                   [["2025-01", "EUR", 100], ["2025-02", "EUR", 100], ["2025-03", "EUR", 100]])
    eur = kpis(book, "2025-03-31")["EUR"]
    assert eur.dso.countback is None and eur.bpdso.countback is None and eur.add.countback is None
    assert english(eur.notes)[:3] == [
        "No sales recorded from 1 October 2024 to 31 December 2024: the 6-month DSO needs 6 months of sales; "
        "add them in the CA_mensuel tab.",
        "No sales recorded from 1 April 2024 to 31 December 2024: the 12-month DSO needs 12 months of sales; "
        "add them in the CA_mensuel tab.",
        "DSO and BPDSO countback: the receivables at 31 March 2025 exceed all the sales recorded since "
        "1 January 2025; add earlier months in the CA_mensuel tab.",
    ]
    data = report(book_of([invoice("F1", "C1", "2025-03-06", "2025-04-05", 1000)], [["2025-03", "EUR", 100]]),
                  "2025-03-31")
    eur_json = data["currencies"]["EUR"]
    assert eur_json["dso"] == {"countback": None,
                               "simple": {"1m": 310.0, "3m": None, "6m": None, "12m": None}}
    assert eur_json["add"]["countback"] is None
    assert plain(eur_json["notes"][0]) == (  # a French workbook: the notes are French
        "Aucune vente enregistrée du 1er janvier 2025 au 28 février 2025 : le DSO sur 3 mois a besoin "
        "de 3 mois de ventes ; ajoutez-les dans l'onglet CA_mensuel.")


def test_a_currency_with_no_sales_at_all():
    book = book_of([invoice("F1", "C1", "2025-04-02", "2025-05-02", 100)])  # only after the month end
    eur = kpis(book, "2025-04-15")["EUR"]
    assert eur.dso.countback is None and eur.dso.simple == {1: None, 3: None, 6: None, 12: None}
    assert english(eur.notes)[1] == ("No sales recorded in EUR up to 31 March 2025: DSO, BPDSO and ADD need "
                                     "monthly sales; add them in the CA_mensuel tab.")


def test_currencies_are_never_mixed():
    invoices = [invoice("F1", "C1", "2025-03-03", "2025-04-02", 1000),
                invoice("U1", "C1", "2025-03-03", "2025-04-02", 3000, devise="USD"),
                invoice("U2", "C1", "2025-01-03", "2025-02-02", 500, devise="USD")]
    alone = book_of(invoices[:1])
    both = book_of(invoices, [["2025-03", "USD", 6000], ["2025-01", "USD", 1000]])
    k_alone, k_both = kpis(alone, "2025-03-31"), kpis(both, "2025-03-31")
    assert k_alone["EUR"] == k_both["EUR"]
    assert k_both["EUR"].dso.simple[1] == 31 and k_both["EUR"].net_ar == 1000
    usd = k_both["USD"]
    assert usd.net_ar == 3500
    assert usd.dso.countback == D(3500) * 31 / D(6000)  # the USD Sales tab rows, never the euros
    assert usd.dso.simple[3] == D(3500) * 90 / D(7000)  # January 1,000 + February 0 + March 6,000
    assert set(receivables_at(both, [dt.date(2025, 3, 31)])) == {"EUR", "USD"}


def test_dso_history_for_the_chart():
    invoices = [invoice(f"F{m}", "C1", f"2025-{m:02d}-05", f"2025-{m:02d}-25", 1000) for m in range(1, 7)]
    pays = [payment(f"2025-{m + 1:02d}-10", 1000, f"F{m}") for m in range(1, 6)]
    book = book_of(invoices, (), pays)
    series = dso_history(book, dt.date(2025, 6, 30), months=8)["EUR"]
    assert [m for m, _ in series] == ["2024-11", "2024-12", "2025-01", "2025-02", "2025-03", "2025-04",
                                      "2025-05", "2025-06"]
    assert [v for _, v in series[:2]] == [None, None]  # before the first sale
    assert [v for _, v in series[2:]] == [31, 28, 31, 30, 31, 30]  # each month end: that month's invoice
    assert series[-1][1] == kpis(book, "2025-06-30")["EUR"].dso.countback


# --- CEI and recovery rate -------------------------------------------------------------------------


def test_recovery_rate_counts_payments_on_what_was_past_due_capped_per_invoice():
    book = book_of(
        [invoice("F1", "C1", "2025-01-10", "2025-02-15", 1000),    # 700 past due on 02-28
         invoice("F2", "C1", "2025-01-10", "2025-02-10", 500),     # 500 past due on 02-28
         invoice("F3", "C1", "2025-01-31", "2025-02-28", 400),     # due on 02-28: not past due that evening
         invoice("A2", "C1", "2025-03-05", None, 200, type="avoir", facture_liee="F2")],
        (),
        [payment("2025-02-20", 300, "F1"), payment("2025-03-10", 900, "F1"),   # capped at 700
         payment("2025-03-12", 100, "F2"), payment("2025-03-15", 400, "F3"),
         payment("2025-04-01", 200, "F2")],                                    # after the period
    )
    eur = kpis(book, "2025-03-31")["EUR"]
    # (700 + 100) / (700 + 500): the credit note on F2 is no payment
    assert eur.recovery_rate_percent == D(800) * 100 / D(1200)
    # CEI over March: AR at 02-28 = 700 + 500 + 400 = 1,600; March sales = −200 (the credit note);
    # AR at 03-31 = F1 −200 (received 1,200 for 1,000) + F2 200 + F3 0 = 0, nothing current.
    at = receivables_at(book, [dt.date(2025, 2, 28), dt.date(2025, 3, 31)])["EUR"]
    assert at[dt.date(2025, 2, 28)].net == 1600 and at[dt.date(2025, 3, 31)] == Receivable(D(0), D(0))
    assert eur.cei_percent == 100  # (1,600 − 200 − 0) / (1,600 − 200 − 0)


def test_cei_over_a_month_in_progress_uses_the_invoices_of_its_days():
    book = book_of(
        [invoice("F1", "C1", "2025-02-10", "2025-03-12", 1000),
         invoice("F2", "C1", "2025-03-05", "2025-04-04", 600),
         invoice("F3", "C1", "2025-03-20", "2025-04-19", 999)],     # after as_of: out of the period
        [["2025-03", "EUR", 9000]],                                 # the whole month: not used for 1-15
        [payment("2025-03-10", 400, "F1")],
    )
    eur = kpis(book, "2025-03-15", (dt.date(2025, 3, 1), dt.date(2025, 3, 15)))["EUR"]
    assert eur.period == (dt.date(2025, 3, 1), dt.date(2025, 3, 15))
    # AR at 02-28 = 1,000; sales 03-01..03-15 = 600; AR end 1,200 of which 600 current (F1 3 days late)
    assert eur.cei_percent == D(400) * 100 / D(1000)
    assert kpis(book, "2025-03-15", (dt.date(2025, 3, 1), dt.date(2025, 3, 31)))["EUR"] == eur
    february = kpis(book, "2025-03-15", (dt.date(2025, 2, 1), dt.date(2025, 2, 28)))["EUR"]
    # (0 + 1,000 − 1,000) / (0 + 1,000 − 1,000 current): nothing was due in February
    assert february.cei_percent is None
    assert ("CEI from 1 February 2025 to 28 February 2025: nothing was collectible (no receivables at the "
            "start and no sales in the period)." in english(february.notes))
    late = kpis(book, "2025-03-15", (dt.date(2025, 4, 1), dt.date(2025, 4, 30)))["EUR"]
    assert late.cei_percent is None and late.recovery_rate_percent is None
    assert english(late.notes)[-1] == ("CEI and recovery rate: the period starts 1 April 2025, after "
                                       "15 March 2025; choose a period that has begun.")


# --- at scale (how fast: benchmarks/micro.py) ------------------------------------------------------


def test_twelve_month_ends_over_100k_invoices():
    b = large_book(100_000)
    as_of = dt.date(2026, 11, 30)
    ends = [dt.date(2025 + (m // 12), m % 12 + 1, 1) - dt.timedelta(days=1) for m in range(11, 23)]
    at = receivables_at(b, ends)
    figures = currency_kpis(b, as_of)
    series = dso_history(b, as_of)
    assert len(at["EUR"]) == 12 and len(series["USD"]) == 12
    assert figures["EUR"].dso.countback is not None
