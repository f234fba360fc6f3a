"""relance's Excel functions (xlwings UDFs): aging, balances, penalties, DSO, stage and risk beside
the user's own invoice rows, computed by relance's engine so that they agree with `relance report`.

Each function takes whole columns (`@xw.arg(..., np.array, ndim=2)`) and returns a whole column
(a dynamic array that spills). Cells are read the way the engine reads a workbook (engine.cells:
ISO or dd/mm/yyyy text dates, Excel serials, amounts as text, ids typed as numbers); money is
exact: every float becomes a Decimal through its shortest text (`repr`), rounded to the
currency's minor unit, and the figures are computed in integer minor units; floats are given back
to Excel only at the end. A bad cell gives a short error text in ITS row only (`#VALUE! date?`,
`#VALEUR! date ?` for the French names); an unexpected failure gives one error cell, never a
traceback. The figures themselves come from the engine's own functions (position.bucket,
penalty.RateTable/interest, kpi's DSO, scenario.stage, scoring.grade_columns): this module only
parses, fans the engine's answers out over the rows with numpy, and formats.

The Python names are the Excel names (RELANCE_DAYS_LATE, ...); each French alias
(RELANCE_JOURS_RETARD, ...) is the same function registered a second time under its own name,
with French help and error texts. On Linux xlwings' decorators do nothing: the functions are
plain Python, which is how tests/test_udfs.py checks them against `relance report --json`.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import inspect
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from relance.app.resources import shipped_presets
from relance.engine import cells
from relance.engine.catalog import report as R
from relance.engine.catalog import tabs as T
from relance.engine.formats import Days, Formats, Money, Number, Percent, formats, half_up
from relance.engine.i18n import Phrase, Said
from relance.engine.kpi import SalesHistory, last_month_end, month_index
from relance.engine.kpi import _days as kpi_days
from relance.engine.penalty import DAYS_PER_YEAR, RateTable, interest
from relance.engine.position import bucket as engine_bucket
from relance.engine.scenario import Scenario
from relance.engine.scoring import Grades, LedgerColumns, grade_columns

log = logging.getLogger(__name__)

CATEGORY = "Relance"
#: Excel's own name for a bad value, before our short word: a token, not a phrase to translate.
EXCEL_VALUE_ERROR = {"fr": "#VALEUR!", "en": "#VALUE!"}
DEFAULT_CURRENCY = "EUR"
DEFAULT_SCENARIO = "standard"
DEFAULT_INDEMNITY = Decimal(40)
_DAY = np.timedelta64(1, "D")
_EPOCH = np.datetime64("1970-01-01", "D")
_FIRST = np.datetime64(cells.FIRST_DATE, "D")
_LAST = np.datetime64(cells.LAST_DATE, "D")

Grid = list[list[Any]]


def error_text(phrase: Phrase, lang: str) -> str:
    """`#VALUE! date?`: Excel's error name, then what is wrong, in the function's language."""
    return f"{EXCEL_VALUE_ERROR[lang]} {phrase.text(lang)}"


# --- reading the ranges ---------------------------------------------------------------------------


def blank_cells(cells_: np.ndarray) -> np.ndarray:
    """Empty cells: None (empty=None), NaN (the numpy converter's default) or empty text."""
    return np.asarray(pd.isna(cells_) | (cells_ == ""), dtype=bool)


class Column:
    """One range as a flat array of cells and the shape it came in (a column, or a row)."""

    def __init__(self, values: object) -> None:
        arr = np.asarray(values if values is not None else [[None]], dtype=object)
        if arr.ndim == 0:
            arr = arr.reshape(1, 1)
        elif arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        self.shape: tuple[int, int] = (arr.shape[0], arr.shape[1])
        self.cells: np.ndarray = arr.reshape(-1)

    def __len__(self) -> int:
        return len(self.cells)

    def fitted(self, n: int) -> np.ndarray:
        """The cells, cut or padded with blanks to n rows (ranges of different heights)."""
        if len(self.cells) >= n:
            return self.cells[:n]
        return np.concatenate([self.cells, np.full(n - len(self.cells), None, dtype=object)])


def _only_floats(cells_: np.ndarray) -> bool:
    return pd.api.types.infer_dtype(cells_, skipna=True) in ("floating", "integer", "mixed-integer-float", "empty")


def read_dates(cells_: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(days as datetime64[D], blank, bad) for a column of date cells, read as engine.cells reads them.

    Date cells (datetimes, the common case) are converted by numpy in one call; any other cell
    (text, a serial number) goes through `cells.parse_date`, one by one, as in a workbook.
    """
    n = len(cells_)
    days = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    bad = np.zeros(n, dtype=bool)
    kind = pd.api.types.infer_dtype(cells_, skipna=True)
    if kind in ("datetime", "date", "datetime64"):  # date cells and blanks only: one numpy call
        days = pd.to_datetime(cells_, errors="coerce", cache=False).to_numpy().astype("datetime64[D]")
        blank = np.isnat(days)
        rest = np.zeros(n, dtype=bool)
    else:
        blank = blank_cells(cells_)
        is_date = np.fromiter((isinstance(v, dt.date) for v in cells_), dtype=bool, count=n)
        if is_date.any():
            days[is_date] = pd.to_datetime(cells_[is_date], errors="coerce", cache=False).to_numpy().astype(
                "datetime64[D]")
        rest = ~is_date & ~blank
    for i in np.flatnonzero(rest):
        value, problem = cells.parse_date(cells_[i])
        if problem or value is None:
            bad[i] = True
        else:
            days[i] = np.datetime64(value, "D")
    out = ~blank & ~bad & ((days < _FIRST) | (days > _LAST))
    bad |= out
    days[bad | blank] = np.datetime64("NaT")
    return days, blank, bad


def read_amounts(cells_: np.ndarray, exponent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(amounts in integer minor units, blank, bad): each cell as engine.cells.parse_amount reads it,
    rounded half-up to its currency's minor unit (`exponent` decimals, per row).

    A float with no more decimals than the currency has (the common case) is exactly its
    minor units times 10^-exponent; numpy checks that for the whole column at once. Any other
    cell goes through Decimal(repr(float)) or the text parser, one by one.
    """
    n = len(cells_)
    minor = np.zeros(n, dtype=np.int64)
    blank = blank_cells(cells_)
    bad = np.zeros(n, dtype=bool)
    scale = 10.0 ** exponent
    if _only_floats(cells_):
        try:
            x = cells_.astype(np.float64)  # numbers only: one C loop
        except (TypeError, ValueError):  # None among them
            x = pd.to_numeric(pd.Series(cells_), errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            units = np.rint(x * scale)
            exact = ~np.isnan(x) & (np.abs(x) < 1e12) & (units / scale == x)
        minor[exact] = units[exact].astype(np.int64)
        rest = ~exact & ~blank
    else:
        rest = ~blank
    for i in np.flatnonzero(rest):
        value, problem = cells.parse_amount(cells_[i])
        if problem or value is None:
            bad[i] = True
            continue
        minor[i] = int(value.scaleb(int(exponent[i])).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    return minor, blank, bad


def read_ids(cells_: np.ndarray) -> np.ndarray:
    """Each cell as text the way the engine reads an id (1001.0 typed as a number is '1001')."""
    if pd.api.types.infer_dtype(cells_, skipna=False) == "string":  # text cells: str.strip each
        return np.array([v.strip() for v in cells_.tolist()], dtype=object)
    return np.array([cells.text(v) if not (isinstance(v, float) and v != v) else "" for v in cells_],
                    dtype=object)


def read_currencies(values: object, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(minor-unit exponent per row, bad): one cell for every row, or a column; blank is EUR.

    engine.cells.parse_currency reads each distinct code once; numpy fans the answers out."""
    col = Column(values)
    one = len(col) == 1  # one cell (or none) for every row
    codes, distinct = pd.factorize(read_ids(col.cells if one else col.fitted(n)), use_na_sentinel=False)
    exponent = np.empty(len(distinct), dtype=np.int64)
    bad = np.zeros(len(distinct), dtype=bool)
    for i, code in enumerate(distinct):
        currency, problem = cells.parse_currency(code or None, DEFAULT_CURRENCY)
        bad[i] = problem is not None or currency is None
        exponent[i] = -int(cells.minor_unit(currency).as_tuple().exponent) if currency and not bad[i] else 2
    if one:
        return np.full(n, exponent[0], dtype=np.int64), np.full(n, bad[0], dtype=bool)
    return exponent[codes], bad[codes]


def read_as_of(value: object) -> dt.date | None:
    """The as-of date: one cell; blank is today (Excel's TODAY() recalculates it every day)."""
    if isinstance(value, list | tuple | np.ndarray):
        flat = np.asarray(value, dtype=object).reshape(-1)
        value = flat[0] if len(flat) else None
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return dt.date.today()
    day, problem = cells.parse_date(value)
    return None if problem or day is None else day


def read_number(value: object) -> Decimal | None | str:
    """An optional one-cell number (a rate, an amount): Decimal, None when blank, "bad" otherwise."""
    if isinstance(value, list | tuple | np.ndarray):
        flat = np.asarray(value, dtype=object).reshape(-1)
        value = flat[0] if len(flat) else None
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return None
    number, problem = cells.parse_amount(value)
    return "bad" if problem or number is None or number < 0 else number


def read_text(value: object) -> str:
    if isinstance(value, list | tuple | np.ndarray):
        flat = np.asarray(value, dtype=object).reshape(-1)
        value = flat[0] if len(flat) else None
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return cells.text(value)


def as_days(days: np.ndarray) -> np.ndarray:
    """datetime64[D] as int64 days since 1970 (NaT gives a large negative number: mask it)."""
    return (days - _EPOCH).astype(np.int64)


def _grid(result: np.ndarray, shape: tuple[int, int]) -> Grid:
    """A flat result back into the shape of the range it answers (a column, or a row)."""
    if result.ndim == 2:
        return result.tolist()
    return result.reshape(shape).tolist()


def _from_minor(minor: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """Integer minor units back to floats for Excel (the only float step): 123456 -> 1234.56."""
    return minor / (10.0 ** exponent)


def _to_date(day: np.datetime64) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int((day - _EPOCH) // _DAY))


class Invoices:
    """The invoice rows (numbers, amounts, optional dates) and the payments that carry their numbers,
    in integer minor units, with the error text of every bad row (None: the row is good)."""

    def __init__(self, lang: str, invoice_ids: object, amounts: object, payment_invoice_ids: object,
                 payment_amounts: object, payment_dates: object = None, *,
                 currencies: object = None, dates: dict[str, object] | None = None) -> None:
        ids_col = Column(invoice_ids)
        n = len(ids_col)
        self.n = n
        self.shape = ids_col.shape
        self.ids = read_ids(ids_col.cells)
        self.exponent, bad_currency = read_currencies(currencies, n)
        amount_cells = Column(amounts).fitted(n)
        self.amount, blank_amount, bad_amount = read_amounts(amount_cells, self.exponent)
        self.empty = (self.ids == "") & blank_amount  # an empty row answers an empty cell
        errors = np.full(n, None, dtype=object)
        self.dates: dict[str, np.ndarray] = {}
        for name, values in (dates or {}).items():
            days, blank, bad = read_dates(Column(values).fitted(n))
            self.dates[name] = days
            errors[(bad | blank) & ~self.empty] = error_text(T.UDF_BAD_DATE, lang)
        # engine.invoice: an amount below zero skips the row (a credit note is a positive amount)
        errors[(bad_amount | blank_amount | (self.amount < 0)) & ~self.empty] = error_text(T.UDF_BAD_AMOUNT, lang)
        errors[bad_currency & ~self.empty] = error_text(T.UDF_BAD_CURRENCY, lang)
        errors[(self.ids == "") & ~self.empty] = error_text(T.UDF_BAD_NUMBER, lang)
        # one code per distinct number, invoices and payments together (one hash pass)
        pay_ids = read_ids(Column(payment_invoice_ids).cells)
        m = len(pay_ids)
        codes, distinct = pd.factorize(np.concatenate([self.ids, pay_ids]))
        inv_codes, pay_codes = codes[:n], codes[n:]
        # engine.invoice: a number already read on a good row makes any later row a duplicate
        candidate = np.flatnonzero(np.asarray(errors == None) & ~self.empty)  # noqa: E711 - elementwise
        first = np.full(len(distinct), -1, dtype=np.int64)
        first[inv_codes[candidate[::-1]]] = candidate[::-1]  # the last write is the first good row
        first_of_row = first[inv_codes]
        duplicate = (first_of_row >= 0) & (np.arange(n) > first_of_row)
        errors[duplicate] = error_text(T.UDF_DUPLICATE, lang)
        self.errors = errors
        self.ok = np.asarray(errors == None) & ~self.empty  # noqa: E711 - elementwise
        # payments: to a good invoice row, a positive readable amount (and date), in its currency
        invoice_of = np.where(pay_codes >= 0, first[pay_codes], -1) if m else np.zeros(0, dtype=np.int64)
        known = invoice_of >= 0
        pay_exponent = np.where(known, self.exponent[np.maximum(invoice_of, 0)], 2)
        pay_amount, pay_blank, pay_bad = read_amounts(Column(payment_amounts).fitted(m), pay_exponent)
        keep = known & ~pay_blank & ~pay_bad & (pay_amount > 0)
        self.pay_date: np.ndarray | None = None
        if payment_dates is not None:
            pay_days, day_blank, day_bad = read_dates(Column(payment_dates).fitted(m))
            keep &= ~day_blank & ~day_bad
            self.pay_date = pay_days[keep]
        self.pay_invoice = invoice_of[keep]
        self.pay_amount = pay_amount[keep]

    def paid(self, by: np.ndarray | None = None) -> np.ndarray:
        """Per invoice row, the payments applied (all, or those dated on or before `by` per row)."""
        keep = np.ones(len(self.pay_invoice), dtype=bool)
        if by is not None and self.pay_date is not None:
            keep = self.pay_date <= by[self.pay_invoice]
        total = pd.Series(self.pay_amount[keep]).groupby(self.pay_invoice[keep]).sum()
        out = np.zeros(self.n, dtype=np.int64)
        out[total.index.to_numpy(dtype=np.int64)] = total.to_numpy(dtype=np.int64)
        return out

    def answer(self, values: np.ndarray, blank: object = "") -> Grid:
        """One value per row, each bad row its error text, each empty row `blank`."""
        out = values.astype(object)
        out[self.empty] = blank
        bad = self.errors != None  # noqa: E711
        out[bad] = self.errors[bad]
        return _grid(out, self.shape)


def _one_cell(value: object) -> Grid:
    return [[value]]


def _rates(rate: Decimal | None) -> RateTable:
    """The engine's rate table: the legal semester rates, or one fixed annual rate (percent)."""
    if rate is None:
        return RateTable("legal_semester")
    return RateTable("fixed", rate)


def _cumulative_rate_days(days: np.ndarray, rates: RateTable) -> tuple[np.ndarray, np.ndarray, int]:
    """For each date, Σ annual rate (percent) over every day from the first date (excluded) to it,
    as integers scaled by 10^q, with q.

    Each step between two consecutive dates is the engine's own `interest` on 100 × 365: that is
    exactly the Σ days × rate the engine's late_penalty divides by 100 × 365 once, so sums of
    steps times balances are the engine's penalty before its rounding, exactly.
    """
    unique = np.unique(days)
    steps = [Decimal(0)]
    for a, b in zip(unique[:-1], unique[1:], strict=True):
        steps.append(interest(100 * DAYS_PER_YEAR, _to_date(a) + dt.timedelta(days=1), _to_date(b), rates))
    total = Decimal(0)
    cumulative = []
    for s in steps:
        total += s
        cumulative.append(total)
    q = max([0, *(-int(c.as_tuple().exponent) for c in cumulative)])
    scaled = np.array([int(c.scaleb(q)) for c in cumulative], dtype=object)
    return unique, scaled, q


def penalty_minor_cents(inv: Invoices, due: np.ndarray, as_of: dt.date, rates: RateTable) -> np.ndarray:
    """Per invoice row, the engine's late_penalty in cents, with numpy over the rows.

    late_penalty charges, on each day after the due date up to as_of, the balance left at the end
    of the day before: Σ over the stretches between payments of balance × Σ days × rate. With
    C(d) the cumulative rate-days, a stretch (a, b] costs balance × (C(b) − C(a)); the balance of a
    stretch is the balance on the due date less the payments before it, never below zero. All in
    integers (int64 when the products fit, Python integers otherwise): exact, then half-up.
    """
    n = inv.n
    end = np.datetime64(as_of, "D")
    ok = inv.ok & (due < end)
    assert inv.pay_date is not None
    base = inv.amount - inv.paid(by=due)  # the balance at the end of the due date
    p_inv, p_day, p_amt = inv.pay_invoice, inv.pay_date, inv.pay_amount
    after = ok[p_inv] & (p_day > due[p_inv]) & (p_day <= end)
    events = pd.DataFrame({"inv": p_inv[after], "day": as_days(p_day[after]), "amt": p_amt[after]})
    events = events.groupby(["inv", "day"], sort=True, as_index=False)["amt"].sum()
    rows = events["inv"].to_numpy(dtype=np.int64)
    ev_day = events["day"].to_numpy(dtype=np.int64)
    ev_amt = events["amt"].to_numpy(dtype=np.int64)
    grouped = events.groupby("inv", sort=False)
    paid_before = grouped["amt"].cumsum().to_numpy(dtype=np.int64) - ev_amt
    due_days = as_days(due)
    # the stretch before each payment starts at the previous payment, or at the due date
    first_of_invoice = np.ones(len(rows), dtype=bool)
    first_of_invoice[1:] = rows[1:] != rows[:-1]
    previous = np.where(first_of_invoice, due_days[rows], np.concatenate([[0], ev_day[:-1]]))
    end_day = int(as_days(np.array([end]))[0])
    unique, cumulative, q = _cumulative_rate_days(
        np.concatenate([due_days[ok], ev_day, [end_day]]).astype("datetime64[D]"), rates)
    unique_days = as_days(unique)
    wide = int(cumulative[-1]) >= 2**62 or q > 6
    table = cumulative if wide else cumulative.astype(np.int64)

    def c(days_: np.ndarray) -> np.ndarray:
        return table[np.searchsorted(unique_days, days_)]

    # what is left after the last payment (or the due date) runs to as_of
    paid_after = np.zeros(n, dtype=np.int64)
    np.add.at(paid_after, rows, ev_amt)
    last = due_days.copy()
    last_event = np.ones(len(rows), dtype=bool)
    last_event[:-1] = rows[:-1] != rows[1:]
    last[rows[last_event]] = ev_day[last_event]
    idx = np.flatnonzero(ok)
    stretch = np.maximum(base[rows] - paid_before, 0)
    remaining = np.maximum(base[idx] - paid_after[idx], 0)
    top = max(int(stretch.max(initial=0)), int(remaining.max(initial=0)), 1)
    per_invoice = int(np.bincount(rows).max(initial=0)) + 1 if len(rows) else 1
    # int64 while every product, summed per invoice and times 200, stays below 2^63
    wide = wide or top * int(table[-1]) * per_invoice * 200 >= 2**62
    kind: Any = object if wide else np.int64
    total = np.zeros(n, dtype=kind)
    if len(rows):
        np.add.at(total, rows, stretch.astype(kind) * (c(ev_day) - c(previous)).astype(kind))
    total[idx] += remaining.astype(kind) * (table[-1] - c(last[idx])).astype(kind)
    # total × 10^-(exponent + q) / (100 × 365) euros, half-up to the cent
    by_exponent = np.array([10 ** (e + q) * 36500 for e in range(int(inv.exponent.max(initial=2)) + 1)],
                           dtype=object if wide else np.int64)
    denominator = by_exponent[inv.exponent]
    cents = (total * 200 + denominator) // (denominator * 2)
    cents[~ok] = 0
    return cents


def _guarded(default_phrase: Phrase = T.UDF_FAILED) -> Callable[[Callable[..., Grid]], Callable[..., Grid]]:
    """Never a traceback in Excel: an unexpected failure is logged and answers one error cell.

    The cyclic collector is paused during the call (as app/jobs does while a book is built):
    reference counting frees everything as usual, and the call costs a third less."""

    def wrap(f: Callable[..., Grid]) -> Callable[..., Grid]:
        @functools.wraps(f)
        def guarded(lang: str, *args: object) -> Grid:
            was_enabled = gc.isenabled()
            gc.disable()  # 100k cells are 100k young objects: no collector pass over them mid-call
            try:
                return f(lang, *args)
            except Exception:  # a bug, not a user's mistake: the log has it, the cell says so
                log.exception("relance: %s failed", f.__name__)
                return _one_cell(error_text(default_phrase, lang))
            finally:
                if was_enabled:
                    gc.enable()

        return guarded

    return wrap


# --- the computations, in the language of the name they are called by ------------------------------


@_guarded()
def days_late(lang: str, due_dates: object, as_of: object = None) -> Grid:
    """RELANCE_DAYS_LATE: as_of − due date per row (position.days_past_due of an open invoice)."""
    day = read_as_of(as_of)
    if day is None:
        return _one_cell(error_text(T.UDF_BAD_AS_OF, lang))
    col = Column(due_dates)
    days, blank, bad = read_dates(col.cells)
    late = np.datetime64(day, "D") - days
    out = np.where(bad | blank, 0, late.astype("timedelta64[D]").astype(np.int64)).astype(object)
    out[blank] = ""
    out[bad] = error_text(T.UDF_BAD_DATE, lang)
    return _grid(out, col.shape)


def distinct_days(dpd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct values of an int array, each row's index among them), without sorting the rows
    when the values span a few thousand days (they always do: as_of − due dates)."""
    if not len(dpd):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lo, hi = int(dpd.min()), int(dpd.max())
    if hi - lo > 4 * len(dpd) + 100_000:
        unique, where = np.unique(dpd, return_inverse=True)
        return unique, where.reshape(-1)
    present = np.flatnonzero(np.bincount(dpd - lo, minlength=hi - lo + 1))
    rank = np.zeros(hi - lo + 1, dtype=np.int64)
    rank[present] = np.arange(len(present))
    return present + lo, rank[dpd - lo]


def _bucket_labels(dpd: np.ndarray) -> np.ndarray:
    """engine.position.bucket for every row, called once per distinct number of days."""
    unique, where = distinct_days(dpd)
    return np.array([engine_bucket(int(d)) for d in unique], dtype=object)[where]


@_guarded()
def aging_bucket(lang: str, due_dates: object, balances: object, as_of: object = None) -> Grid:
    """RELANCE_BUCKET: position.bucket of the days past due, for the rows with a positive balance."""
    day = read_as_of(as_of)
    if day is None:
        return _one_cell(error_text(T.UDF_BAD_AS_OF, lang))
    col = Column(due_dates)
    n = len(col)
    days, blank, bad = read_dates(col.cells)
    balance, blank_balance, bad_balance = read_amounts(Column(balances).fitted(n), np.full(n, 2))
    dpd = np.where(bad | blank, 0, (np.datetime64(day, "D") - days).astype(np.int64))
    out = _bucket_labels(dpd)
    out[(balance <= 0) | blank_balance] = ""
    out[blank & blank_balance] = ""
    out[bad_balance] = error_text(T.UDF_BAD_AMOUNT, lang)
    out[(bad | blank) & ~blank_balance & (balance > 0)] = error_text(T.UDF_BAD_DATE, lang)
    return _grid(out, col.shape)


@_guarded()
def open_balance(lang: str, invoice_ids: object, amounts: object, payment_invoice_ids: object,
                 payment_amounts: object, currencies: object = None) -> Grid:
    """RELANCE_BALANCE: the amount less the payments carrying the invoice's number."""
    inv = Invoices(lang, invoice_ids, amounts, payment_invoice_ids, payment_amounts, currencies=currencies)
    return inv.answer(_from_minor(inv.amount - inv.paid(), inv.exponent))


@_guarded()
def late_penalty(lang: str, invoice_ids: object, amounts: object, due_dates: object,
                 payment_invoice_ids: object, payment_dates: object, payment_amounts: object,
                 as_of: object = None, annual_rate: object = None, currencies: object = None) -> Grid:
    """RELANCE_PENALTY: penalty.late_penalty per row, legal semester rate or a fixed one."""
    day = read_as_of(as_of)
    if day is None:
        return _one_cell(error_text(T.UDF_BAD_AS_OF, lang))
    rate = read_number(annual_rate)
    if isinstance(rate, str):
        return _one_cell(error_text(T.UDF_BAD_RATE, lang))
    inv = Invoices(lang, invoice_ids, amounts, payment_invoice_ids, payment_amounts, payment_dates,
                   currencies=currencies, dates={"due": due_dates})
    cents = penalty_minor_cents(inv, inv.dates["due"], day, _rates(rate))
    return inv.answer(cents.astype(np.float64) / 100)


@_guarded()
def recovery_indemnity(lang: str, invoice_ids: object, amounts: object, due_dates: object,
                       payment_invoice_ids: object, payment_dates: object, payment_amounts: object,
                       as_of: object = None, indemnity: object = None) -> Grid:
    """RELANCE_INDEMNITY: the indemnity when the due date ended unpaid (engine.position)."""
    day = read_as_of(as_of)
    if day is None:
        return _one_cell(error_text(T.UDF_BAD_AS_OF, lang))
    unit = read_number(indemnity)
    if isinstance(unit, str):
        return _one_cell(error_text(T.UDF_BAD_AMOUNT, lang))
    unit = DEFAULT_INDEMNITY if unit is None else unit
    inv = Invoices(lang, invoice_ids, amounts, payment_invoice_ids, payment_amounts, payment_dates,
                   dates={"due": due_dates})
    due = inv.dates["due"]
    # engine.position: owed when as_of is after the due date and the due date ended with a balance
    owed = inv.ok & (np.datetime64(day, "D") > due) & (inv.amount - inv.paid(by=due) > 0)
    return inv.answer(np.where(owed, float(unit), 0.0))


@_guarded()
def dso(lang: str, invoice_ids: object, issue_dates: object, amounts: object, payment_invoice_ids: object,
        payment_dates: object, payment_amounts: object, as_of: object = None, method: object = None,
        months: object = None) -> Grid:
    """RELANCE_DSO: kpi's countback or simple DSO at the last month end, from these rows alone."""
    day = read_as_of(as_of)
    if day is None:
        return _one_cell(error_text(T.UDF_BAD_AS_OF, lang))
    how = read_text(method).lower() or "countback"
    window = read_number(months)
    if how not in ("countback", "simple") or isinstance(window, str) or (
            window is not None and int(window) not in (1, 3, 6, 12)):
        return _one_cell(error_text(T.UDF_BAD_METHOD, lang))
    inv = Invoices(lang, invoice_ids, amounts, payment_invoice_ids, payment_amounts, payment_dates,
                   dates={"issue": issue_dates})
    issue = inv.dates["issue"]
    end = np.datetime64(day, "D")
    measured = last_month_end(day)
    month = month_index(measured)
    counted = inv.ok & (inv.amount != 0)
    # sales per month of issue, up to as_of (engine.kpi.monthly_sales, invoices only)
    sold = counted & (issue <= end)
    issue_month = issue.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    by_month = pd.Series(inv.amount[sold]).groupby(issue_month[sold]).sum()
    history = SalesHistory({int(m): Decimal(int(v)).scaleb(-2) for m, v in by_month.items()},
                           int(by_month.index.min()) if len(by_month) else None)
    # net receivables at the end of the measured day (engine.kpi.receivables_at)
    at = np.datetime64(measured, "D")
    issued = counted & (issue <= at)
    assert inv.pay_date is not None  # payment dates were given
    pay_from = np.maximum(inv.pay_date, issue[inv.pay_invoice])
    applied = issued[inv.pay_invoice] & (pay_from <= at)
    ar = int(inv.amount[issued].sum()) - int(inv.pay_amount[applied].sum())
    figures = kpi_days(Decimal(ar).scaleb(-2), history, month, None)
    value = figures.countback if how == "countback" else figures.simple[int(window or 3)]
    if value is None:
        return _one_cell(error_text(T.UDF_NO_SALES, lang))
    return _one_cell(float(half_up(value, 2)))


def _scenario(name: object) -> Scenario | None:
    return shipped_presets().get(read_text(name) or DEFAULT_SCENARIO)


@_guarded()
def stage(lang: str, due_dates: object, balances: object, as_of: object = None, scenario: object = None) -> Grid:
    """RELANCE_STAGE: scenario.stage (the report's `stage`), the next level of the ladder and its date."""
    from relance.engine.planner import levels_of

    day = read_as_of(as_of)
    if day is None:
        return _one_cell(error_text(T.UDF_BAD_AS_OF, lang))
    ladder = _scenario(scenario)
    if ladder is None:
        return _one_cell(error_text(T.UDF_BAD_SCENARIO, lang))
    col = Column(due_dates)
    n = len(col)
    days, blank, bad = read_dates(col.cells)
    balance, blank_balance, bad_balance = read_amounts(Column(balances).fitted(n), np.full(n, 2))
    open_ = ~bad & ~blank & ~bad_balance & ~blank_balance & (balance > 0)
    dpd = np.where(open_, (np.datetime64(day, "D") - days).astype(np.int64), 0)
    levels = levels_of(ladder)
    unique, where = distinct_days(dpd)
    names, nexts, offsets = [], [], []
    for d in unique:
        step = ladder.stage(int(d))
        names.append(step.name if step else "none")
        following = next((lv for lv in levels if lv.offset > d), None)
        nexts.append(following.top.name if following else "")
        offsets.append(following.offset if following else 0)
    name = np.array(names, dtype=object)[where]
    nxt = np.array(nexts, dtype=object)[where]
    offset = np.array(offsets, dtype=np.int64)[where]
    has_next = open_ & (nxt != "")
    when = np.full(n, "", dtype=object)
    if has_next.any():
        stamps = (days[has_next] + offset[has_next].astype("timedelta64[D]")).astype("datetime64[s]")
        when[has_next] = stamps.astype(dt.datetime)
    out = np.empty((n, 3), dtype=object)
    out[:, 0], out[:, 1], out[:, 2] = name, nxt, when
    out[~open_] = ""
    out[bad & ~blank_balance, :] = ""
    out[bad & ~blank_balance, 0] = error_text(T.UDF_BAD_DATE, lang)
    out[bad_balance, :] = ""
    out[bad_balance, 0] = error_text(T.UDF_BAD_AMOUNT, lang)
    return out.tolist()


@_guarded()
def risk(lang: str, customer_ids: object, invoice_ids: object, issue_dates: object, due_dates: object,
         amounts: object, payment_invoice_ids: object, payment_dates: object, payment_amounts: object,
         as_of: object = None) -> Grid:
    """Grades need each customer's whole history (payments, lateness, trend, exposure): the rows,
    read as the other functions read them, become the engine's own ledger columns (each good
    row an open invoice of a business customer, in euros, each payment applied to the invoice it
    names, in date order, as balance.apply_all applies it) graded by scoring.grade_columns, the
    grading of scoring.risk_grades; the positions are those compute_positions gives on as_of."""
    day = read_as_of(as_of)
    if day is None:
        return _one_cell(error_text(T.UDF_BAD_AS_OF, lang))
    inv = Invoices(lang, invoice_ids, amounts, payment_invoice_ids, payment_amounts, payment_dates,
                   dates={"issue": issue_dates, "due": due_dates})
    codes, distinct = customer_codes(Column(customer_ids).fitted(inv.n))
    no_customer = (distinct == "")[codes] & inv.ok
    inv.errors[no_customer] = error_text(T.UDF_BAD_CUSTOMER, lang)
    ok = inv.ok & ~no_customer
    columns, group_of = _ledger_columns(inv, ok, codes, distinct)
    grades = grade_columns(columns, day)
    # per distinct customer (group -1, none: the blank answer appended last)
    graded = np.append(grades.present, False)[group_of]
    letter = np.where(graded, np.append(grades.grade.astype(object), "")[group_of], "")
    reason = np.where(graded, np.append(reason_texts(grades, lang), "")[group_of], "")
    out = np.column_stack([letter[codes], reason[codes]])
    out[~ok] = ""
    bad = inv.errors != None  # noqa: E711 - elementwise
    out[bad, 0] = inv.errors[bad]
    out[bad, 1] = ""
    return out.tolist()


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def customer_codes(cells_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each row's code, the distinct customer ids): `read_ids` of the cells, factorized. A column
    of text cells (the common case) is factorized first and each distinct text read once."""
    if len(cells_) and pd.api.types.infer_dtype(cells_, skipna=False) == "string":
        raw_codes, raw = pd.factorize(cells_)
        codes, distinct = pd.factorize(read_ids(np.asarray(raw, dtype=object)))
        return codes[raw_codes], distinct
    return pd.factorize(read_ids(cells_))


def _ledger_columns(inv: Invoices, ok: np.ndarray, codes: np.ndarray,
                    distinct: np.ndarray) -> tuple[LedgerColumns, np.ndarray]:
    """The good rows as the engine's ledger columns, in euros (RELANCE_RISK takes one currency),
    and the group of each distinct customer (-1: none of its rows can be counted).

    A row of amount zero is a ledger no figure counts (effectiveness.counted): left out."""
    rows = np.flatnonzero(ok & (inv.amount > 0))
    used = np.flatnonzero(np.bincount(codes[rows], minlength=len(distinct)))
    order = used[np.argsort(distinct[used], kind="stable")]  # keys sorted by customer id (texts)
    group_of = np.full(len(distinct), -1, dtype=np.int64)
    group_of[order] = np.arange(len(order))
    local = np.full(inv.n, -1, dtype=np.int64)
    local[rows] = np.arange(len(rows))
    assert inv.pay_date is not None
    mine = local[inv.pay_invoice] >= 0
    entry_row = local[inv.pay_invoice[mine]]
    entry_day = as_days(inv.pay_date[mine]) + _EPOCH_ORDINAL
    sort = np.argsort(entry_row * (1 << 22) + entry_day, kind="stable")  # by row, then day (ordinals < 2^22),
    # stable: one day's payments stay in the order of their rows, as the ledger applies them
    columns = LedgerColumns(
        [(str(cid), DEFAULT_CURRENCY) for cid in distinct[order].tolist()], group_of[codes[rows]],
        inv.ids[rows], as_days(inv.dates["issue"][rows]) + _EPOCH_ORDINAL,
        as_days(inv.dates["due"][rows]) + _EPOCH_ORDINAL, inv.amount[rows].astype(np.int64),
        entry_row[sort], entry_day[sort], inv.pay_amount[mine][sort].astype(np.int64),
        np.ones(len(sort), dtype=bool), 2)
    return columns, group_of


def reason_texts(grades: Grades, lang: str) -> np.ndarray:
    """Per group, the text of the reason that took the most points (max() over the reasons).

    The two reasons that are most often the main one (days late, past due) are the catalog's
    pattern filled with their figures, each distinct number of days formatted once and the
    amounts by `money_texts`; the others through their Reason, as reason_text writes it.
    tests/test_udfs.py and tests/test_scoring_udf.py compare the texts with the report's."""
    fmt = formats(lang)
    main = grades.main_reason()
    out = np.full(len(main), "", dtype=object)
    days_text = days_texts(fmt)

    def days(hundredths: np.ndarray) -> list[str]:
        """days_text of each value, called once per distinct tenth (what the text shows)."""
        tenths = np.where(hundredths >= 0, (hundredths + 5) // 10, -((5 - hundredths) // 10))
        unique, where = np.unique(tenths, return_inverse=True)
        return np.array([days_text(10 * t) for t in unique.tolist()] or [""], dtype=object)[where].tolist()

    present = grades.present
    late = np.flatnonzero(present & (main == 0))
    paying = grades.has_level[late]
    out[late[~paying]] = R.REASON_NO_PAYMENT.pattern(lang)
    out[late[paying]] = list(map(R.REASON_DAYS_LATE.pattern(lang).format_map,
                                 ({"days": d} for d in days(grades.level[late[paying]]))))
    due = np.flatnonzero(present & (main == 3))
    owed = due[grades.past_due[due] > 0]
    out[due[grades.past_due[due] <= 0]] = R.REASON_NOTHING_PAST_DUE.pattern(lang)
    amounts = grades.past_due[owed]
    layout = money_template(fmt)
    if layout is not None and grades.columns.scale == 2 and amounts.dtype != object and not (amounts < 0).any():
        template, group = layout  # the amount's own pattern inside the reason's: one format a row
        pattern = _braced(R.REASON_PAST_DUE.pattern(lang)).replace("{{amount}}", template).replace("{{days}}", "{2}")
        out[owed] = _money_texts(amounts, pattern, group, days(grades.past_due_days[owed]))
    else:
        fill = _filler(R.REASON_PAST_DUE.pattern(lang), ("amount", "days"))
        out[owed] = list(map(fill, money_texts(amounts, grades.columns.scale, fmt), days(grades.past_due_days[owed])))
    shown: dict[object, object] = {}
    for g in np.flatnonzero(present & (main != 0) & (main != 3)).tolist():
        (only,) = grades.reasons(g, int(main[g]))
        out[g] = reason_text(only.said, lang, fmt, shown, days_text)
    return out


def _braced(text: str) -> str:
    """`text` as the literal part of a str.format pattern."""
    return text.replace("{", "{{").replace("}", "}}")


def _filler(pattern: str, names: tuple[str, ...]) -> Callable[..., str]:
    """`pattern.format(**dict(zip(names, values)))` as a positional str.format (one C call a row)."""
    positional = _braced(pattern)
    for i, name in enumerate(names):
        positional = positional.replace("{{" + name + "}}", "{" + str(i) + "}")
    return positional.format


_DAYS_PROBES = (0, 1, 5, 10, 15, 19, 20, 21, 25, 99, 100, 1000, 9999, 10000, 12345, 100000, 1234567)


def days_texts(fmt: Formats) -> Callable[[int], str]:
    """The text of Days(hundredths / 100, None) in `fmt`, for days of 0 and more, remembered per
    value: the number is rounded half-up to one decimal (what Days(…, None) shows) and written with
    the separators of the formatter's own 1234567,5, checked on probes against `fmt.days` (which
    writes every value when a probe disagrees)."""
    known: dict[int, str] = {}
    match = re.fullmatch(r"1(\D*)234(\D*)567(\D*)5", fmt.number(Decimal("1234567.5")))

    def slow(tenths: int) -> str:
        return fmt.days(Decimal(tenths).scaleb(-1), None)

    def fast(tenths: int) -> str:
        assert match is not None
        units, frac = divmod(tenths, 10)
        head = f"{units:,}".replace(",", match[1])
        number = head if frac == 0 else f"{head}{match[3]}{frac}"
        one = tenths < 20 if fmt.french else tenths == 10
        word = ("jour" if one else "jours") if fmt.french else ("day" if one else "days")
        return f"{number}\u00a0{word}"

    write = fast if match is not None and match[1] == match[2] and all(
        fast(t) == slow(t) for t in _DAYS_PROBES) else slow

    def text(hundredths: int) -> str:
        tenths = (hundredths + 5) // 10 if hundredths >= 0 else -((-hundredths + 5) // 10)
        found = known.get(tenths)
        if found is None:
            found = known[tenths] = write(tenths) if tenths >= 0 else slow(tenths)
        return found

    return text


_MONEY_PROBES = (0, 1, 9, 50, 700, 1230, 99_999, 100_000, 1_234_560, 123_456_789, 10_000_000_000, 99_999_999_999)


def money_template(fmt: Formats) -> tuple[str, str] | None:
    """(a str.format pattern of an amount in euros from its grouped units {0} and its cents {1:02d},
    the group separator) that writes what `fmt.money` writes, or None.

    The layout (prefix, separators, suffix) is read from the formatter's own text of 1234567.89
    and checked on probes; the units are then grouped by str.format's ",", a few hundred
    nanoseconds an amount."""
    match = re.fullmatch(r"(\D*?)1(\D*)234(\D*)567(\D*)89(\D*?)", fmt.money(Decimal("1234567.89"), DEFAULT_CURRENCY))
    if match is None or match[2] != match[3]:
        return None
    template = f"{_braced(match[1])}{{0}}{_braced(match[4])}{{1:02d}}{_braced(match[5])}"
    found = _money_texts(np.array(_MONEY_PROBES, dtype=np.int64), template, match[2])
    if found != [fmt.money(Decimal(m).scaleb(-2), DEFAULT_CURRENCY) for m in _MONEY_PROBES]:
        return None
    return template, match[2]


def _money_texts(minor: np.ndarray, template: str, group: str, *more: list[str]) -> list[str]:
    """`template` filled with each amount's grouped units and cents (then `more`, row by row)."""
    grouped = "\n".join(map("{:,}".format, (minor // 100).tolist())).replace(",", group).split("\n")
    return list(map(template.format, grouped, (minor % 100).tolist(), *more)) if len(minor) else []


def money_texts(minor: np.ndarray, scale: int, fmt: Formats) -> list[str]:
    """`fmt.money` of each amount in euros (integer minor units of `scale` decimals): by
    `money_template` when it can (cents, none below zero), else by `fmt.money` itself."""
    layout = money_template(fmt)
    if layout is None or scale != 2 or (minor < 0).any():
        return [fmt.money(Decimal(m).scaleb(-scale), DEFAULT_CURRENCY) for m in minor.tolist()]
    return _money_texts(minor, *layout)


def reason_text(said: Said, lang: str, fmt: Formats, shown: dict[object, object] | None = None,
                days_text: Callable[[int], str] | None = None) -> str:
    """`said.text(lang)`, its amounts formatted by one formatter for the whole call.

    Money.shown and Days.shown build a formatter per figure (probing babel each time: more than
    the grading itself at 20,000 customers); the text is the same, tests/test_udfs.py compares it with the
    report's. `shown` remembers each other figure's text across calls (babel takes tens of
    microseconds a number); `days_text` (days_texts) writes Days of up to two decimals shown
    without fixed decimals."""
    memo: dict[object, object] = {} if shown is None else shown

    def text(v: object) -> object:
        if isinstance(v, Money):
            return fmt.money(v.amount, v.currency)
        if isinstance(v, Days):
            if days_text is not None and v.digits is None and isinstance(v.value, Decimal) and v.value.is_finite() \
                    and v.value.as_tuple().exponent in (0, -1, -2):
                return days_text(int(v.value.scaleb(2)))
            return fmt.days(v.value, v.digits)
        if not isinstance(v, Number | Percent):
            return v  # a count, a text: Said shows it as it is
        key = (type(v), v)
        found = memo.get(key)
        if found is None:
            found = memo[key] = fmt.percent(v.points, v.digits) if isinstance(v, Percent) else v.shown(lang)
        return found

    values = {name: text(v) for name, v in said.args}
    return replace(said, args=tuple(values.items())).text(lang)


# --- the Excel names -----------------------------------------------------------------------------

#: (English name, French name, help) of every argument; ranges take whole columns.
_ARGS: dict[str, tuple[str, str, Phrase]] = {
    "due_dates": ("due_dates", "echeances", T.UDF_ARG_DUE_DATES),
    "issue_dates": ("issue_dates", "dates_factures", T.UDF_ARG_ISSUE_DATES),
    "as_of": ("as_of", "date_arrete", T.UDF_ARG_AS_OF),
    "balances": ("balances", "soldes", T.UDF_ARG_BALANCES),
    "invoice_ids": ("invoice_ids", "numeros", T.UDF_ARG_INVOICE_IDS),
    "customer_ids": ("customer_ids", "codes_clients", T.UDF_ARG_CUSTOMER_IDS),
    "amounts": ("amounts", "montants", T.UDF_ARG_AMOUNTS),
    "payment_invoice_ids": ("payment_invoice_ids", "numeros_reglements", T.UDF_ARG_PAYMENT_INVOICE_IDS),
    "payment_dates": ("payment_dates", "dates_reglements", T.UDF_ARG_PAYMENT_DATES),
    "payment_amounts": ("payment_amounts", "montants_reglements", T.UDF_ARG_PAYMENT_AMOUNTS),
    "currencies": ("currencies", "devises", T.UDF_ARG_CURRENCIES),
    "annual_rate": ("annual_rate", "taux_annuel", T.UDF_ARG_RATE),
    "indemnity": ("indemnity", "indemnite", T.UDF_ARG_INDEMNITY),
    "method": ("method", "methode", T.UDF_ARG_METHOD),
    "months": ("months", "mois", T.UDF_ARG_MONTHS),
    "scenario": ("scenario", "scenario", T.UDF_ARG_SCENARIO),
}
#: One-cell arguments: read as the cell's value, not as a range.
_SCALARS = frozenset({"as_of", "annual_rate", "indemnity", "method", "months", "scenario"})


def excel_function(impl: Callable[..., Grid], name: str, lang: str, help_text: Phrase) -> Callable[..., Grid]:
    """`impl` registered with xlwings as the Excel function `name`, in `lang`.

    A new function object each time (xlwings keeps its metadata on the function): its name, its
    wizard description (the docstring) and each argument's name and help are `lang`'s; ranges
    arrive as 2-D numpy arrays of cells (`ndim=2`), one-cell arguments as their value. `impl` is
    kept as `.impl`, so that a test sees that an alias is the same computation.
    """
    parameters = list(inspect.signature(impl).parameters.values())[1:]  # after `lang`
    keys = [p.name for p in parameters]
    names = [english if lang == "en" else french for english, french, _ in (_ARGS[k] for k in keys)]

    def udf(*values: object) -> Grid:
        return impl(lang, *values)

    udf.__name__ = udf.__qualname__ = name
    udf.__doc__ = help_text.text(lang)
    udf.__annotations__ = {}
    udf.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [p.replace(name=new) for p, new in zip(parameters, names, strict=True)])
    udf.impl = impl  # type: ignore[attr-defined]
    udf.lang = lang  # type: ignore[attr-defined]
    udf.help = help_text  # type: ignore[attr-defined]
    udf.arg_help = {new: _ARGS[k][2].text(lang) for k, new in zip(keys, names, strict=True)}  # type: ignore[attr-defined]
    f: Callable[..., Grid] = udf
    for key, new in zip(keys, names, strict=True):
        help_ = _ARGS[key][2].text(lang)
        if key in _SCALARS:
            f = xw.arg(new, doc=help_)(f)
        else:
            f = xw.arg(new, np.array, ndim=2, dtype=object, doc=help_)(f)
    return xw.func(category=CATEGORY)(f)


RELANCE_DAYS_LATE = excel_function(days_late, "RELANCE_DAYS_LATE", "en", T.UDF_DAYS_LATE)
RELANCE_BUCKET = excel_function(aging_bucket, "RELANCE_BUCKET", "en", T.UDF_BUCKET)
RELANCE_BALANCE = excel_function(open_balance, "RELANCE_BALANCE", "en", T.UDF_BALANCE)
RELANCE_PENALTY = excel_function(late_penalty, "RELANCE_PENALTY", "en", T.UDF_PENALTY)
RELANCE_INDEMNITY = excel_function(recovery_indemnity, "RELANCE_INDEMNITY", "en", T.UDF_INDEMNITY)
RELANCE_DSO = excel_function(dso, "RELANCE_DSO", "en", T.UDF_DSO)
RELANCE_STAGE = excel_function(stage, "RELANCE_STAGE", "en", T.UDF_STAGE)
RELANCE_RISK = excel_function(risk, "RELANCE_RISK", "en", T.UDF_RISK)

RELANCE_JOURS_RETARD = excel_function(days_late, "RELANCE_JOURS_RETARD", "fr", T.UDF_DAYS_LATE)
RELANCE_TRANCHE = excel_function(aging_bucket, "RELANCE_TRANCHE", "fr", T.UDF_BUCKET)
RELANCE_SOLDE = excel_function(open_balance, "RELANCE_SOLDE", "fr", T.UDF_BALANCE)
RELANCE_PENALITES = excel_function(late_penalty, "RELANCE_PENALITES", "fr", T.UDF_PENALTY)
RELANCE_INDEMNITE = excel_function(recovery_indemnity, "RELANCE_INDEMNITE", "fr", T.UDF_INDEMNITY)
RELANCE_ETAPE = excel_function(stage, "RELANCE_ETAPE", "fr", T.UDF_STAGE)
RELANCE_RISQUE = excel_function(risk, "RELANCE_RISQUE", "fr", T.UDF_RISK)

#: Excel name -> (English name it aliases, or itself). RELANCE_DSO is the same word in French.
ALIASES = {
    "RELANCE_JOURS_RETARD": "RELANCE_DAYS_LATE", "RELANCE_TRANCHE": "RELANCE_BUCKET",
    "RELANCE_SOLDE": "RELANCE_BALANCE", "RELANCE_PENALITES": "RELANCE_PENALTY",
    "RELANCE_INDEMNITE": "RELANCE_INDEMNITY", "RELANCE_ETAPE": "RELANCE_STAGE", "RELANCE_RISQUE": "RELANCE_RISK",
}
UDFS: dict[str, Callable[..., Grid]] = {
    name: value for name, value in globals().items() if name.startswith("RELANCE_") and callable(value)}
