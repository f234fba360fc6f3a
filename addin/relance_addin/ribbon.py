"""The Relance ribbon's buttons: each VBA callback of addin/relance.bas is one RunPython call into
a function here (`RunPython "import relance_addin.ribbon as r; r.send_now()"`).

Every button works on the workbook that called it (xlwings' `Book.caller()`), read live from
Excel, the user's unsaved edits included, through the `excel:` backend; it drives the same jobs
as the command line (relance.app.jobs), says its progress in Excel's status bar and its result in
a message box, both in the workbook's language (Settings `language`). A user's mistake is said
with its fix, never as a traceback; nothing is ever sent twice, whichever button is pressed again.

- Refresh aging: recalculates the workbook (the RELANCE_… columns) and says the open and past-due
  totals per currency, as `relance report` computes them.
- Preview reminders: `relance plan --write`: the plan in the A_valider (Plan) tab, nothing sent.
- Send now: `relance run --anytime`: sends what is due now, outside the daily window too.
- Update dashboard: `relance report --write`: the Tableau_de_bord (Dashboard) tab rebuilt.
- Check workbook: `relance check`, the findings written to the Anomalies tab.
- Help: what each button does.

Each function takes the xlwings Book as an optional argument (tests pass a stand-in) and the
clock (`now`); from Excel both are left out.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from relance.app import connect, jobs
from relance.app.templates import check_templates
from relance.engine.anomaly import Severity
from relance.engine.book import Book
from relance.engine.catalog import console as C
from relance.engine.errors import RelanceError
from relance.engine.formats import formats
from relance.engine.i18n import Lang, Phrase, lang_of
from relance.engine.owned_tabs import anomalies_tab, tab_name

#: Status bar updates while sending: at most this many (each is a call into Excel).
STATUS_UPDATES = 20


class _Session:
    """One button press: the book, its backend, the language once the workbook says it."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.backend = connect.excel_workbook(book)
        self.app = book.app
        env = os.environ.get("RELANCE_LANG", "") or os.environ.get("LANG", "")
        self.lang = lang_of(env) if env[:2].lower() in ("fr", "en") else Lang.fr

    def read(self, b: Book) -> Book:
        self.lang = lang_of(b.language)
        return b

    def t(self, phrase: Phrase, **args: object) -> str:
        fmt = formats(self.lang)
        shown = {k: fmt.number(v, 0) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in args.items()}
        return phrase.text(self.lang, **shown)

    def status(self, step: Phrase, **args: object) -> None:
        self.app.status_bar = self.t(C.RIBBON_WORKING, step=self.t(step, **args))

    def say(self, text: str, critical: bool = False) -> None:
        self.app.status_bar = False  # Excel's own status bar back
        self.app.alert(text, title=self.t(C.RIBBON_TITLE), mode="critical" if critical else "info")


@contextmanager
def _pressed(book: Any | None) -> Iterator[_Session]:
    """The session of one button: errors become a message box, the status bar is given back."""
    if book is None:
        book = connect.excel_workbook().book  # type: ignore[attr-defined]
    session: _Session | None = None
    try:
        session = _Session(book)
        session.status(C.RIBBON_STEP_READING)
        yield session
    except RelanceError as exc:
        lang = session.lang if session is not None else Lang.fr
        text = C.RIBBON_FAILED.text(lang, problem=exc.text(lang), fix=exc.hint_text(lang) if exc.fix else "")
        _alert(book, session, text)
    except Exception as exc:  # noqa: BLE001 - a bug: said in one line, the details on stderr
        traceback.print_exc(file=sys.stderr)
        lang = session.lang if session is not None else Lang.fr
        _alert(book, session, C.RIBBON_BUG.text(lang, cause=f"{type(exc).__name__}: {exc}"))
    finally:
        with suppress(Exception):  # Excel gone: nothing left to tidy
            book.app.status_bar = False


def _alert(book: Any, session: _Session | None, text: str) -> None:
    try:
        if session is not None:
            session.say(text, critical=True)
        else:
            book.app.alert(text, title="Relance", mode="critical")
    except Exception:  # noqa: BLE001 - no Excel to tell: stderr is all there is
        print(text, file=sys.stderr)


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


# ------------------------------------------------------------------------------ the buttons


def refresh_aging(book: Any | None = None, now: dt.datetime | None = None) -> None:
    """Refresh aging: recalculate the RELANCE_… columns, then the totals in a message box."""
    with _pressed(book) as s:
        s.status(C.RIBBON_STEP_AGING)
        s.app.calculate()
        snap = jobs.snapshot(s.backend, _now(now), None, for_report=True)
        s.read(snap.book)
        report, _ = jobs.report_bundle(snap, jobs.month_period(None, snap.as_of))
        fmt = formats(s.lang)
        opened = ", ".join(fmt.money(c.aging.net_total, cur) for cur, c in report.currencies.items()) or "0"
        late = ", ".join(fmt.money(c.aging.past_due_total, cur) for cur, c in report.currencies.items()) or "0"
        s.say(s.t(C.RIBBON_AGING_DONE, day=fmt.date(snap.as_of), open=opened, past_due=late))


def preview(book: Any | None = None, now: dt.datetime | None = None) -> None:
    """Preview reminders: the plan written to the Plan tab (A_valider); nothing is sent."""
    with _pressed(book) as s:
        clock = _now(now)
        s.status(C.RIBBON_STEP_PLANNING)
        snap = jobs.snapshot(s.backend, clock, None)
        s.read(snap.book)
        snap = jobs.write_plan(s.backend, snap, jobs.run_id_for(clock))
        n = len(snap.plan.actions)
        s.say(s.t(C.RIBBON_PREVIEW_DONE, day=formats(s.lang).date(snap.as_of),
                  messages=s.t(C.N_MESSAGES, n=n), tab=tab_name(snap.book, "plan")))


def send_now(book: Any | None = None, now: dt.datetime | None = None, channel: str | None = None) -> None:
    """Send now: the daily job at once, outside the send window too; never an action twice.

    The channel is RELANCE_CHANNEL (outbox by default; mailjet and smtp read their settings
    from the environment, docs/sending.md); the outbox is beside the workbook's file."""
    with _pressed(book) as s:
        clock = _now(now)
        name = channel or os.environ.get("RELANCE_CHANNEL", "").strip() or "outbox"
        outbox = connect.excel_outbox(s.backend)
        factory = connect.open_channel(name, s.backend.location, clock, outbox)

        def opened(b: Book) -> Any:
            s.read(b)
            s.status(C.RIBBON_STEP_PLANNING)
            return factory(b)

        result = jobs.run(s.backend, opened, clock, None, False, _progress(s), anytime=True)
        data = result.to_json()
        s.read(result.snapshot.book)
        s.say(s.t(C.RIBBON_SENT, sent=data["sent"] + data["tasks_created"], planned=data["planned"],
                  failed=data["failed"], place=result.outbox or str(outbox),
                  tab=tab_name(result.snapshot.book, "history")), critical=bool(data["failed"]))


def _progress(s: _Session) -> Callable[[str, int], Callable[[int], None]]:
    """jobs.run's progress as the status bar: `sending 40/200`, a few times in all."""

    def start(label: str, total: int) -> Callable[[int], None]:
        done = 0
        every = max(1, total // STATUS_UPDATES)
        s.status(C.RIBBON_STEP_SENDING, done=0, total=total)

        def tick(n: int) -> None:
            nonlocal done
            before, done = done, done + n
            if done // every != before // every or done == total:
                s.status(C.RIBBON_STEP_SENDING, done=done, total=total)

        return tick

    return start


def update_dashboard(book: Any | None = None, now: dt.datetime | None = None) -> None:
    """Update dashboard: the Dashboard tab rebuilt with this month's figures and charts."""
    with _pressed(book) as s:
        snap = jobs.snapshot(s.backend, _now(now), None, for_report=True)
        s.read(snap.book)
        s.status(C.RIBBON_STEP_DASHBOARD)
        report, extras = jobs.report_bundle(snap, jobs.month_period(None, snap.as_of))
        name = jobs.write_dashboard(s.backend, snap, report, extras)
        s.say(s.t(C.RIBBON_DASHBOARD_DONE, day=formats(s.lang).date(snap.as_of), tab=name))


def check(book: Any | None = None, now: dt.datetime | None = None) -> None:
    """Check workbook: every finding (rows relance cannot use, templates that fail) written to the
    Anomalies tab, the count and the first one in a message box."""
    with _pressed(book) as s:
        clock = _now(now)
        s.status(C.RIBBON_STEP_CHECKING)
        snap = jobs.snapshot(s.backend, clock, None)
        b = s.read(snap.book)
        found = [*snap.anomalies, *check_templates(b)]
        with s.backend.run_lock():
            s.backend.write([anomalies_tab(b, found, jobs.run_id_for(clock))])
        counts = {"customers": s.t(C.N_CUSTOMERS, n=len(b.customers)),
                  "documents": s.t(C.N_DOCUMENTS, n=len(b.invoices)),
                  "payments": s.t(C.N_PAYMENTS, n=len(b.payments))}
        if not found:
            s.say(s.t(C.RIBBON_CHECK_OK, **counts))
            return
        errors = sum(1 for a in found if a.severity == Severity.error)
        first = sorted(found, key=lambda a: a.severity != Severity.error)[0]
        s.say(s.t(C.RIBBON_CHECK_FOUND, **counts, errors=s.t(C.N_ERRORS, n=errors),
                  warnings=s.t(C.N_WARNINGS, n=len(found) - errors), tab=tab_name(b, "anomalies"),
                  first=f"{first.source.tab}!{first.source.cell} — {first.problem.text(s.lang)}"),
              critical=errors > 0)


def show_help(book: Any | None = None) -> None:
    """Help: what each button does, in the workbook's language (read from its Settings)."""
    with _pressed(book) as s:
        b = s.read(jobs.read_book(s.backend))
        s.say(s.t(C.RIBBON_HELP, plan=tab_name(b, "plan"), dashboard=tab_name(b, "dashboard"),
                  anomalies=tab_name(b, "anomalies")))
