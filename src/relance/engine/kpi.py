"""Receivables KPIs per currency: DSO, BPDSO, ADD, CEI and recovery rate (CONVENTIONS.md).

Pure: the Book, `as_of` and a period in, Decimals out; no I/O, no clock. Every figure belongs to
one currency and is computed from that currency's invoices, credits and sales only.

Readings where CONVENTIONS.md is silent (each is tested in tests/test_kpi.py):
- DSO, BPDSO and ADD are month-end measures: they are taken at the last month end on or before
  `as_of` (as_of itself when it is one), since nothing after as_of may be looked at.
- A currency's sales history starts at its first month with a non-cancelled, non-zero invoice or
  credit note, or a Sales tab row; earlier months are unknown ("history runs out"), later months
  without invoices are months of zero sales.
- A month whose net sales are zero or negative absorbs nothing in the countback: it adds its full days.
- Net AR at or below zero gives a countback of 0 days (nothing to exhaust).
- The CEI and recovery period never runs past as_of; whole months in it take their sales from the
  Sales tab when present, a partial month from the invoices issued in its days.
"""

from __future__ import annotations

import calendar
import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate
from typing import NamedTuple

from relance.engine.book import Book
from relance.engine.catalog import report as report_phrases
from relance.engine.formats import Days as FDays
from relance.engine.formats import formats
from relance.engine.i18n import Said, lang_of

ZERO = Decimal(0)
HUNDRED = Decimal(100)
WINDOWS = (1, 3, 6, 12)  # rolling months of the simple DSO
ONE_DAY = dt.timedelta(days=1)

# --- months as consecutive integers (year * 12 + month - 1) --------------------------------------


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_label(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def label_index(label: str) -> int:
    year, month = label.split("-")
    return int(year) * 12 + int(month) - 1


def month_days(month: int) -> int:
    return calendar.monthrange(month // 12, month % 12 + 1)[1]


def month_start(month: int) -> dt.date:
    return dt.date(month // 12, month % 12 + 1, 1)


def month_end(month: int) -> dt.date:
    return dt.date(month // 12, month % 12 + 1, month_days(month))


def last_month_end(as_of: dt.date) -> dt.date:
    """The last month end on or before as_of: DSO is read at a month end, never past as_of."""
    if (as_of + ONE_DAY).day == 1:
        return as_of
    return as_of.replace(day=1) - ONE_DAY


# --- receivables at the end of a day ----------------------------------------------------------------


class Receivable(NamedTuple):
    net: Decimal  # buckets + unapplied credits (negative): CONVENTIONS "Aging", net AR
    current: Decimal  # positive balances not yet due (due date >= the day)


def _counted(status: str, amount: Decimal) -> bool:
    return status != "cancelled" and amount != 0


def receivables_at(book: Book, days: Iterable[dt.date]) -> dict[str, dict[dt.date, Receivable]]:
    """Net AR and the current bucket per currency at the end of each day, as `aging` would give.

    Net AR moves only on dated events (an invoice issued, something applied to it, a credit), so
    it is summed once per date and read by bisection; an invoice counts in `current` only for the
    days between its issue and due dates, found by bisection too. Cost: one pass over the book.
    """
    wanted = sorted(set(days))
    deltas: dict[str, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    current: dict[str, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for ledger in book.ledgers.values():
        inv = ledger.invoice
        if not _counted(inv.status, inv.amount):
            continue
        issued = inv.issue_date
        moves = deltas[inv.currency]
        moves[issued] += inv.amount
        for a in ledger.allocations:  # applied before the invoice exists: it counts from its issue
            moves[a.date if a.date > issued else issued] -= a.amount
        lo = bisect_left(wanted, issued)
        hi = bisect_right(wanted, inv.due_date)
        if lo < hi:
            bucket = current[inv.currency]
            for day in wanted[lo:hi]:
                balance = ledger.balance(day)
                if balance > 0:
                    bucket[day] += balance
    for credit in book.credits:
        deltas[credit.currency][credit.date] -= credit.amount
    result: dict[str, dict[dt.date, Receivable]] = {}
    for currency, moves in deltas.items():
        dates = sorted(moves)
        totals = list(accumulate(moves[d] for d in dates))
        cur = current.get(currency, {})
        at: dict[dt.date, Receivable] = {}
        for day in wanted:
            i = bisect_right(dates, day)
            at[day] = Receivable(totals[i - 1] if i else ZERO, cur.get(day, ZERO))
        result[currency] = at
    return result


# --- sales --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SalesHistory:
    """One currency's net credit sales by month, the Sales tab overriding the invoices."""

    by_month: dict[int, Decimal]
    first: int | None  # the first month on record; earlier months are unknown
    from_tab: frozenset[int] = frozenset()

    def get(self, month: int) -> Decimal | None:
        """The month's sales; None when the month is before the history starts."""
        if self.first is None or month < self.first:
            return None
        return self.by_month.get(month, ZERO)


def derived_sales(book: Book, start: dt.date, end: dt.date) -> dict[str, Decimal]:
    """Invoices minus credit notes issued in [start, end], per currency (TTC; cancelled, zero excluded)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for inv in book.invoices.values():
        if _counted(inv.status, inv.amount) and start <= inv.issue_date <= end:
            totals[inv.currency] += -inv.amount if inv.is_credit_note else inv.amount
    return dict(totals)


def monthly_sales(book: Book, as_of: dt.date) -> dict[str, SalesHistory]:
    """Per currency, each month's sales up to as_of's month: a Sales tab row wins over the invoices."""
    last = month_index(as_of)
    derived: dict[str, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for inv in book.invoices.values():
        if _counted(inv.status, inv.amount) and inv.issue_date <= as_of:
            derived[inv.currency][month_index(inv.issue_date)] += (
                -inv.amount if inv.is_credit_note else inv.amount)
    result: dict[str, SalesHistory] = {}
    for currency in set(derived) | set(book.sales):
        by_month = dict(derived.get(currency, {}))
        tab = {label_index(m): s.amount for m, s in book.sales.get(currency, {}).items()}
        tab = {m: amount for m, amount in tab.items() if m <= last}
        by_month.update(tab)
        result[currency] = SalesHistory(by_month, min(by_month) if by_month else None, frozenset(tab))
    return result


# --- the formulas -------------------------------------------------------------------------------------


def simple_days(ar: Decimal, sales: Sequence[Decimal], days: Sequence[int]) -> Decimal | None:
    """AR / Σ sales × Σ days; None when the months sold nothing (no rate to divide by)."""
    total = sum(sales, ZERO)
    if total <= 0:
        return None
    return ar * sum(days) / total


def countback_days(ar: Decimal, months: Iterable[tuple[Decimal | None, int]]) -> Decimal | None:
    """Exhaust `ar` with each month's sales, most recent first; the month that finishes it counts pro rata.

    `months` gives (sales, days) going back; sales None means the history ran out (result None).
    A month with zero (or negative) sales absorbs nothing and adds its full days.
    """
    if ar <= 0:
        return ZERO
    remaining = ar
    total = ZERO
    for sales, days in months:
        if sales is None:
            return None
        if sales <= 0:
            total += days
            continue
        if remaining <= sales:
            return total + remaining * days / sales
        remaining -= sales
        total += days
    return None


def cei_percent(
    ar_begin: Decimal, sales: Decimal, ar_end_net: Decimal, ar_end_current: Decimal
) -> Decimal | None:
    """(AR_begin + sales − AR_end_net) / (AR_begin + sales − AR_end_current) × 100.

    None when nothing was collectible (the denominator is zero or less): no rate to speak of.
    """
    collectible = ar_begin + sales - ar_end_current
    if collectible <= 0:
        return None
    return (ar_begin + sales - ar_end_net) * HUNDRED / collectible


# --- per-currency figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Days:
    """A days figure by both methods: countback and simple over 1/3/6/12 rolling months."""

    countback: Decimal | None
    simple: dict[int, Decimal | None]

    def minus(self, other: Days) -> Days:
        """ADD = DSO − BPDSO, method by method; None where either side is None."""
        def sub(a: Decimal | None, b: Decimal | None) -> Decimal | None:
            return None if a is None or b is None else a - b
        return Days(sub(self.countback, other.countback),
                    {n: sub(v, other.simple[n]) for n, v in self.simple.items()})


@dataclass
class CurrencyKpis:
    currency: str
    measured_at: dt.date  # the month end DSO, BPDSO and ADD are read at
    period: tuple[dt.date, dt.date]  # CEI and recovery rate
    net_ar: Decimal
    current_ar: Decimal
    dso: Days
    bpdso: Days
    add: Days
    cei_percent: Decimal | None
    recovery_rate_percent: Decimal | None
    notes: list[Said] = field(default_factory=list)  # why a figure is null (catalog/report.py)


def _months_back(
    history: SalesHistory, month: int, days_per_month: int | None
) -> Iterator[tuple[Decimal | None, int]]:
    m = month
    while (sales := history.get(m)) is not None:
        yield sales, days_per_month or month_days(m)
        m -= 1
    yield None, 0


def _countback(
    ar: Decimal, history: SalesHistory | None, month: int, days_per_month: int | None
) -> Decimal | None:
    """None when the month itself is before the sales history: a DSO needs sales, even for no AR."""
    if history is None or history.get(month) is None:
        return None
    return countback_days(ar, _months_back(history, month, days_per_month))


def _days(ar: Decimal, history: SalesHistory | None, month: int, days_per_month: int | None) -> Days:
    simple: dict[int, Decimal | None] = {}
    for n in WINDOWS:
        months = range(month - n + 1, month + 1)
        sales = [history.get(m) for m in months] if history is not None else [None]
        known = [s for s in sales if s is not None]
        simple[n] = (simple_days(ar, known, [days_per_month or month_days(m) for m in months])
                     if len(known) == len(sales) else None)
    return Days(_countback(ar, history, month, days_per_month), simple)


def _span(first: int, last: int) -> Said:
    """Months `first` to `last` in prose: "du 1er janvier 2025 au 28 février 2025"."""
    return report_phrases.SPAN(first=month_start(first), last=month_end(last))


def default_period(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The last complete month on or before as_of (the month DSO is measured at): a month-to-date
    period on the 1st would cover one day and read as a collapse."""
    month = month_index(last_month_end(as_of))
    return month_start(month), month_end(month)


def effective_period(period: tuple[dt.date, dt.date] | None, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The days CEI and recovery rate really cover: `period` (default `default_period`), never past as_of."""
    start, end = period if period is not None else default_period(as_of)
    return start, min(end, as_of)


def whole_month(start: dt.date, end: dt.date) -> bool:
    m = month_index(start)
    return start == month_start(m) and end == month_end(m)


def period_text(start: dt.date, end: dt.date, locale: str) -> str:
    """The period beside a CEI or recovery figure, in the reader's language: "novembre 2026", or
    the days and a warning when it is shorter than a month ("du 1er au 1er décembre, 1 jour")."""
    fmt = formats(locale)
    if whole_month(start, end):
        return fmt.month(start)
    days = (end - start).days + 1
    span = fmt.period(start, end)
    if days < 1:
        return span
    shorter = days < month_days(month_index(start))
    phrase = report_phrases.PERIOD_SHORT if shorter else report_phrases.PERIOD_DAYS
    return phrase.text(lang_of(locale), period=span, days=FDays(days, 0))


def period_label(start: dt.date, end: dt.date) -> str:
    m = month_index(start)
    if start == month_start(m) and end == month_end(m):
        return month_label(m)
    return f"{start.isoformat()} to {end.isoformat()}"


def sales_tab_name(book: Book) -> str:
    table = book.tables.get("sales")
    return table.name if table is not None else book.contract.tab("sales").name(book.language)


def _dso_notes(k: CurrencyKpis, history: SalesHistory | None, month: int, tab: str) -> list[Said]:
    notes: list[Said] = []
    first = history.first if history is not None else None
    if first is None or first > month:
        return [report_phrases.NOTE_NO_SALES(currency=k.currency, last=month_end(month), tab=tab)]
    for n in WINDOWS:
        oldest = month - n + 1
        if oldest < first:
            notes.append(report_phrases.NOTE_SALES_MISSING(span=_span(oldest, first - 1), months=n, tab=tab))
        elif k.dso.simple[n] is None:
            notes.append(report_phrases.NOTE_NO_NET_SALES(span=_span(oldest, month), months=n))
    short = [name for name, value in (("DSO", k.dso.countback), ("BPDSO", k.bpdso.countback))
             if value is None]
    if short:
        figures = (report_phrases.BOTH(first=short[0], second=short[1]) if len(short) == 2
                   else Said.verbatim(short[0]))
        notes.append(report_phrases.NOTE_COUNTBACK_SHORT(figures=figures, measured=k.measured_at,
                                                         first=month_start(first), tab=tab))
    return notes


def recovery_rates(book: Book, start: dt.date, end: dt.date) -> dict[str, tuple[Decimal, Decimal]]:
    """Per currency: (recovered, overdue base) over [start, end] (CONVENTIONS "Taux de recouvrement").

    The base is each invoice's balance at the end of the day before the period, when it was past
    due (dpd >= 1); what it recovers is the payments applied to it in the period, capped at that
    balance. Credit notes are not payments.
    """
    eve = start - ONE_DAY
    result: dict[str, tuple[Decimal, Decimal]] = {}
    for ledger in book.ledgers.values():
        inv = ledger.invoice
        if not _counted(inv.status, inv.amount) or inv.issue_date > eve or inv.due_date >= eve:
            continue
        overdue = ledger.balance(eve)
        if overdue <= 0:
            continue
        paid = sum((a.amount for a in ledger.allocations
                    if a.kind == "payment" and start <= a.date <= end), ZERO)
        recovered, base = result.get(inv.currency, (ZERO, ZERO))
        result[inv.currency] = (recovered + min(paid, overdue), base + overdue)
    return result


def _period_sales(
    book: Book, sales: dict[str, SalesHistory], start: dt.date, end: dt.date
) -> dict[str, Decimal]:
    """Whole months from the monthly figures (Sales tab first); partial months from the invoices."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for m in range(month_index(start), month_index(end) + 1):
        a, b = max(start, month_start(m)), min(end, month_end(m))
        if (a, b) == (month_start(m), month_end(m)):
            for currency, history in sales.items():
                totals[currency] += history.by_month.get(m, ZERO)
        else:
            for currency, amount in derived_sales(book, a, b).items():
                totals[currency] += amount
    return dict(totals)


def currencies_of(book: Book) -> set[str]:
    return ({inv.currency for inv in book.invoices.values()} | {c.currency for c in book.credits}
            | set(book.sales))


def currency_kpis(
    book: Book,
    as_of: dt.date,
    period: tuple[dt.date, dt.date] | None = None,
    days_per_month: int | None = None,
) -> dict[str, CurrencyKpis]:
    """DSO, BPDSO, ADD (at the last month end ≤ as_of), CEI and recovery rate (over `period`, by
    default the last complete month, never past as_of), per currency, with a note for every null.

    `days_per_month` replaces calendar days (for published examples that count 30-day months).
    """
    measured = last_month_end(as_of)
    month = month_index(measured)
    start, end = effective_period(period, as_of)
    eve = start - ONE_DAY
    sales = monthly_sales(book, as_of)
    ar = receivables_at(book, (measured, eve, end) if start <= end else (measured,))
    valid_period = start <= end
    period_sales = _period_sales(book, sales, start, end) if valid_period else {}
    recovery = recovery_rates(book, start, end) if valid_period else {}
    tab = sales_tab_name(book)
    span = report_phrases.SPAN(first=start, last=end)
    result: dict[str, CurrencyKpis] = {}
    nothing = Receivable(ZERO, ZERO)
    for currency in sorted(currencies_of(book)):
        at = ar.get(currency, {})
        now = at.get(measured, nothing)
        history = sales.get(currency)
        dso = _days(now.net, history, month, days_per_month)
        bpdso = _days(now.current, history, month, days_per_month)
        cei: Decimal | None = None
        rate: Decimal | None = None
        if valid_period:
            cei = cei_percent(at.get(eve, nothing).net, period_sales.get(currency, ZERO),
                              at.get(end, nothing).net, at.get(end, nothing).current)
            recovered, base = recovery.get(currency, (ZERO, ZERO))
            rate = recovered * HUNDRED / base if base > 0 else None
        k = CurrencyKpis(currency, measured, (start, end), now.net, now.current, dso, bpdso,
                         dso.minus(bpdso), cei, rate)
        if measured != as_of:
            k.notes.append(report_phrases.NOTE_MEASURED_AT(measured=measured, as_of=as_of))
        k.notes.extend(_dso_notes(k, history, month, tab))
        if not valid_period:
            k.notes.append(report_phrases.NOTE_PERIOD_NOT_BEGUN(start=start, as_of=as_of))
        else:
            if cei is None:
                k.notes.append(report_phrases.NOTE_CEI_NOTHING(span=span))
            if rate is None:
                k.notes.append(report_phrases.NOTE_RECOVERY_NOTHING(span=span, eve=eve))
        result[currency] = k
    return result


def dso_history(
    book: Book, as_of: dt.date, months: int = 12, days_per_month: int | None = None
) -> dict[str, list[tuple[str, Decimal | None]]]:
    """Per currency, (YYYY-MM, DSO countback at that month end) for the `months` month ends up to
    the last one on or before as_of, oldest first: the series of the Dashboard chart."""
    last = month_index(last_month_end(as_of))
    wanted = list(range(last - months + 1, last + 1))
    ar = receivables_at(book, [month_end(m) for m in wanted])
    sales = monthly_sales(book, as_of)
    series: dict[str, list[tuple[str, Decimal | None]]] = {}
    for currency in sorted(currencies_of(book)):
        at = ar.get(currency, {})
        history = sales.get(currency)
        series[currency] = [
            (month_label(m), _countback(at[month_end(m)].net if month_end(m) in at else ZERO, history, m,
                                        days_per_month))
            for m in wanted
        ]
    return series
