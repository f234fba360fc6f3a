"""The `relance` command line: parse, call the library, show. Nothing else lives here.

Exit codes: 0 done; 1 `check` found rows it cannot use; 2 wrong usage or configuration;
3 the workbook cannot be read or written (missing, locked, not a workbook, protected);
4 some messages could not be sent (they are retried by the next run, never duplicated).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from relance.app.connect import open_channel, open_workbook
from relance.app.jobs import (
    RunResult,
    Snapshot,
    init_workbook,
    month_period,
    report_bundle,
    report_page,
    run,
    run_id_for,
    snapshot,
    weekly_summary,
    write_dashboard,
    write_plan,
)
from relance.app.jobs import (
    baseline as baseline_job,
)
from relance.app.templates import check_templates
from relance.engine.anomaly import Anomaly, Severity
from relance.engine.errors import ConfigError, RelanceError
from relance.engine.owned_tabs import tab_name
from relance.engine.settings import blocked_channels

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="relance: accounts-receivable reminders driven from a workbook.")
out = Console()
err = Console(stderr=True)

BookArg = Annotated[str, typer.Argument(help="Path to an .xlsx workbook (gsheet:ID and excel: come later).")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="Run date, YYYY-MM-DD (default: today in the "
                                                          "workbook's time zone).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--as-of {value!r} is not a date", "write it as YYYY-MM-DD, e.g. 2025-03-31") from None
    if not dt.date(1900, 1, 1) <= day <= dt.date(2200, 12, 31):
        raise ConfigError(f"--as-of {value} is outside the years relance works with (1900 to 2200)",
                          "write the run date, e.g. 2025-03-31")
    return day


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except RelanceError as exc:
        err.print(f"[bold red]relance:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
        if exc.hint:
            err.print(f"  → {exc.hint}", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(exc.exit_code) from None
    except OSError as exc:  # a path the user gave that the system refuses: say which, no traceback
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"[bold red]relance:[/] {escape(exc.strerror or str(exc))}{escape(str(where))}",
                  highlight=False, soft_wrap=True)
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        err.print("  → the disk is full: free some space, then run again" if full
                  else "  → check the path and its permissions", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(3) from None


class _Phases:
    """One live display on stderr: a spinner while the workbook is read and checked, then a bar."""

    def __init__(self, enabled: bool, first: str) -> None:
        self.enabled = enabled
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True)
        self.current: TaskID | None = None
        if enabled:
            self.progress.start()
            self.current = self.progress.add_task(first, total=None)

    def __call__(self, label: str, total: int) -> Callable[[int], None]:
        if not self.enabled:
            return lambda n: None
        if self.current is not None:
            self.progress.update(self.current, visible=False)
        task = self.progress.add_task(label, total=total)
        self.current = task
        return lambda n: self.progress.advance(task, n)

    def close(self) -> None:
        if self.enabled:
            self.progress.stop()


def _show_anomalies(anomalies: list[Anomaly], lang: str, limit: int = 25) -> None:
    if not anomalies:
        out.print("[green]No anomaly: every row is usable.[/]")
        return
    errors = sum(1 for a in anomalies if a.severity == Severity.error)
    table = Table(title=f"Anomalies: {errors} errors, {len(anomalies) - errors} warnings", show_lines=False)
    for col in ("", "cell", "value", "problem", "fix"):
        table.add_column(col, overflow="fold")
    for a in anomalies[:limit]:
        mark = "[red]✗[/]" if a.severity == Severity.error else "[yellow]![/]"
        table.add_row(mark, f"{a.source.tab}!{a.source.cell}", a.value, a.problem.text(lang), a.hint.text(lang))
    out.print(table)
    if len(anomalies) > limit:
        out.print(f"… and {len(anomalies) - limit} more (all of them are in the Anomalies tab after a run, "
                  "or with --json)")


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _anomaly_json(a: Anomaly, lang: str) -> dict[str, Any]:
    return {"severity": str(a.severity), "tab": a.source.tab, "cell": a.source.cell, "column": a.source.header,
            "value": a.value, "problem": a.problem.text(lang), "hint": a.hint.text(lang), "code": a.code,
            "message": a.text(lang)}


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def _show_plan(result: RunResult, title: str) -> None:
    data = result.to_json()
    actions = result.snapshot.plan.actions
    steps = Counter((a.step, a.channel) for a in actions)
    out.print(f"[bold]{title}[/]")
    table = Table()
    table.add_column("step")
    table.add_column("channel")
    table.add_column("messages", justify="right")
    for (step, channel), n in sorted(steps.items()):
        table.add_row(step, channel, str(n))
    out.print(table)
    reasons = Counter(s.reason for s in result.snapshot.plan.skips)
    if reasons:
        out.print("Not sent, with reason: " + ", ".join(f"{r} {n}" for r, n in reasons.most_common()))
    for a in actions[:10]:
        amounts = ", ".join(f"{v} {c}" for c, v in a.totals)
        out.print(f"  {a.customer_id:<10} {a.step:<14} {a.channel:<7} {amounts:>14}  {a.recipient}  "
                  f"[dim]{';'.join(a.invoice_ids[:4])}{'…' if len(a.invoice_ids) > 4 else ''}[/]",
                  highlight=False)
    if len(actions) > 10:
        out.print(f"  … {len(actions) - 10} more")
    if result.simulation:
        out.print(_simulation_line(result), highlight=False, soft_wrap=True)
    elif not result.dry_run and data["planned"]:
        out.print(f"Sent {data['sent']}, tasks {data['tasks_created']}, failed {data['failed']}, "
                  f"awaiting approval {data['awaiting_approval']}.")


def _simulation_line(result: RunResult) -> str:
    """The one line that says a dated run sent nothing for real."""
    s = result.snapshot
    simulated = [e for e in result.execution.entries if e.status == "simulated"]
    tasks = sum(e.channel in ("call", "agency") for e in simulated)
    return (f"[bold yellow]Simulation, nothing sent:[/] {s.as_of.isoformat()} is not today "
            f"({result.today.isoformat() if result.today else '?'} in {s.book.settings.timezone}); "
            f"{_count(len(simulated) - tasks, 'message')} filed in {escape(result.outbox)}"
            + (f" ({_count(tasks, 'task')} not created)" if tasks else "")
            + ", marked simulated in History; a run without --as-of sends for real.")


@app.command()
def init(
    book: BookArg,
    lang: Annotated[str, typer.Option("--lang", help="fr or en")] = "fr",
    demo: Annotated[bool, typer.Option("--demo", help="Fill it with a realistic French SME.")] = False,
    seed: Annotated[int, typer.Option(help="Demo data seed.")] = 7,
    customers: Annotated[int, typer.Option(help="Demo customers.")] = 300,
    invoices: Annotated[int, typer.Option(help="Demo invoices.")] = 4000,
    as_of: AsOf = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a new workbook template (French or English), optionally with demo data."""
    with _errors():
        path = Path(book)
        if lang not in ("fr", "en"):
            raise ConfigError(f"--lang {lang!r} is not supported", "use --lang fr or --lang en")
        if path.exists() and not force:
            raise ConfigError(f"{path} already exists; relance never overwrites a workbook",
                              "choose another name, or add --force")
        if demo:
            from relance.demo import build_demo_workbook

            build_demo_workbook(path, seed=seed, customers=customers, invoices=invoices,
                                as_of=_as_of(as_of) or dt.date.today(), lang=lang)
        else:
            init_workbook(path, lang)
        out.print(f"Wrote {path}" + (f" ({customers} customers, {invoices} invoices)" if demo else ""))


@app.command()
def check(book: BookArg, as_of: AsOf = None, json_: JsonOpt = False) -> None:
    """Validate the workbook and render every template once on sample data; exit 1 when a row
    is unusable or a template broken."""
    with _errors():
        snap = snapshot(open_workbook(book), _now(), _as_of(as_of))
        anomalies = [*snap.anomalies, *check_templates(snap.book)]
        if json_:
            _print_json({"as_of": snap.as_of.isoformat(), "anomalies": [_anomaly_json(a, snap.book.language) for a in anomalies]})
        else:
            b = snap.book
            out.print(f"Read {_count(len(b.customers), 'customer')}, "
                      f"{_count(len(b.invoices), 'invoice or credit note', 'invoices and credit notes')} and "
                      f"{_count(len(b.payments), 'payment')}.")
            _show_anomalies(anomalies, b.language)
        if any(a.severity == Severity.error for a in anomalies):
            raise typer.Exit(1)


@app.command()
def plan(book: BookArg, as_of: AsOf = None, json_: JsonOpt = False,
         write: Annotated[bool, typer.Option("--write", help="Fill the Plan tab.")] = False) -> None:
    """Preview what the next run would send; nothing is sent."""
    with _errors():
        backend = open_workbook(book)
        now = _now()
        snap = snapshot(backend, now, _as_of(as_of))
        result = RunResult(run_id_for(now), snap, True)
        if write:
            write_plan(backend, snap, result.run_id)
        if json_:
            data = result.to_json()
            data["anomalies"] = [_anomaly_json(a, snap.book.language) for a in snap.anomalies]
            _print_json(data)
        else:
            _show_plan(result, f"Plan for {snap.as_of.isoformat()}: {len(snap.plan.actions)} messages")
            if write:
                out.print("The Plan tab lists them; tick 'approve' where a step needs approval.")
            _summary_anomalies(snap)


def _summary_anomalies(snap: Snapshot) -> None:
    errors = sum(1 for a in snap.anomalies if a.severity == Severity.error)
    if snap.anomalies:
        out.print(f"[yellow]{errors} errors and {len(snap.anomalies) - errors} warnings in the workbook[/] "
                  "(see `relance check`, or the Anomalies tab after a run).")


@app.command("run")
def run_cmd(
    book: BookArg,
    as_of: AsOf = None,
    channel: Annotated[str, typer.Option(help="outbox (default), mailjet or smtp.")] = "outbox",
    outbox: Annotated[Path | None, typer.Option(help="Outbox folder (default: BOOK_outbox beside it).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan and render, send and write nothing.")] = False,
    anytime: Annotated[bool, typer.Option("--anytime", help="Send now even outside the send window "
                                                            "(weekend, holiday, before send_hour).")] = False,
    json_: JsonOpt = False,
) -> None:
    """The daily job: plan, send exactly once, write History, Tasks, Plan and Anomalies back."""
    with _errors():
        now = _now()
        day = _as_of(as_of)
        factory = open_channel(channel, book, now, outbox, day)  # a dated run: a simulation, outbox only
        phases = _Phases(not json_ and err.is_terminal, "Reading and checking the workbook")
        try:
            result = run(open_workbook(book), factory, now, day, dry_run, phases, anytime)
        finally:
            phases.close()
        data = result.to_json()
        if json_:
            _print_json(data)
        elif result.deferred:
            out.print(f"Nothing sent now: {result.deferred}. The next send window opens "
                      f"{result.next_window} ({len(result.snapshot.plan.to_send)} messages wait for it; "
                      "--anytime sends now).")
        else:
            title = ("Dry run" if dry_run else "Simulation" if result.simulation else "Run") + \
                f" {result.run_id} for {result.snapshot.as_of.isoformat()}"
            _show_plan(result, title)
            if data["settled_pending"]:
                out.print(f"Settled {data['settled_pending']} rows left pending by an interrupted run.")
            if data.get("unsettled_pending"):
                out.print(f"[yellow]{data['unsettled_pending']} History rows stay pending: the outbox folder they "
                          "name cannot be read, so they are never sent again until it can (Anomalies, R620).[/]")
            if result.outbox:
                out.print(f"Outbox: {result.outbox}")
            _summary_anomalies(result.snapshot)
        missing = _missing_settings(result)
        if missing:
            err.print(f"[bold red]relance:[/] {_count(missing.count, 'message')} could not leave: "
                      f"the Parametres tab has no {', '.join(missing.keys)}", highlight=False, soft_wrap=True)
            err.print("  → fill " + ", ".join(missing.keys) + " in Parametres (the sender of every reminder, "
                      "and the return address of letters), then run again; nothing else was held back",
                      highlight=False, soft_wrap=True, markup=False)
            raise typer.Exit(2)
        if data["failed"]:
            raise typer.Exit(4)


@dataclass(frozen=True)
class _Missing:
    keys: list[str]
    count: int


def _missing_settings(result: RunResult) -> _Missing | None:
    """The settings whose absence held messages back in this run (exit 2), if any."""
    held = [s for s in result.snapshot.plan.skips if s.reason == "setting_missing"]
    if not held:
        return None
    book = result.snapshot.book
    blocked = blocked_channels(book.settings)
    keys: set[str] = set()
    for s in held:
        scenario = book.scenarios.get(s.scenario)
        step = scenario.step(s.step) if scenario else None
        keys.update(blocked.get(step.channel if step else "", ()) or (k for v in blocked.values() for k in v))
    return _Missing(sorted(keys), len(held))


@app.command()
def baseline(
    book: BookArg,
    step: Annotated[str, typer.Option("--step", help="The last step already sent outside relance, e.g. "
                                                     "reminder_2 (a step of the customers' ladders).")],
    customer: Annotated[list[str] | None, typer.Option("--customer", help="Only this customer (repeatable; "
                                                                          "default: every customer with "
                                                                          "overdue invoices).")] = None,
    as_of: AsOf = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be recorded; write nothing.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Say once where you stand before relance: record in History the step already reached outside
    relance, so the next run goes on from the following step. Sends nothing."""
    with _errors():
        result = baseline_job(open_workbook(book), _now(), step, _as_of(as_of), customer or (), dry_run)
        if json_:
            _print_json(result.to_json())
            return
        verb = "Would record" if dry_run else "Recorded"
        out.print(f"{verb} step {step} as reached on {result.as_of.isoformat()} for "
                  f"{_count(len(result.entries), 'customer')}; nothing was sent.")
        reasons = Counter(s.reason for s in result.skips)
        if reasons:
            out.print("Left out, with reason: " + ", ".join(f"{r} {n}" for r, n in reasons.most_common()))


@app.command()
def report(
    book: BookArg,
    as_of: AsOf = None,
    period: Annotated[str | None, typer.Option(help="YYYY-MM for CEI and recovery rate (default: the month of "
                                                    "as_of).")] = None,
    json_: JsonOpt = False,
    html: Annotated[Path | None, typer.Option(help="Write a one-page HTML report with charts.")] = None,
    write: Annotated[bool, typer.Option("--write", help="Rebuild the Dashboard tab (figures and native "
                                                        "charts).")] = False,
) -> None:
    """Aging, DSO, CEI, penalties, indemnity, reminder effectiveness and payer grades."""
    with _errors():
        if period is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
            raise ConfigError(f"--period {period!r} is not a month", "write it as YYYY-MM, e.g. 2025-03")
        backend = open_workbook(book)
        now = _now()
        snap = snapshot(backend, now, _as_of(as_of), for_report=True)
        data, extras = report_bundle(snap, month_period(period, snap.as_of))
        if html is not None:
            html.write_text(report_page(data, extras), encoding="utf-8")
        if write:
            write_dashboard(backend, snap, data, extras)
        if json_:
            _print_json(data)
            return
        _show_report(data, snap.book.settings.locale)
        if html is not None:
            out.print(f"HTML report: {html}")
        if write:
            out.print(f"Tab {tab_name(snap.book, 'dashboard')} rebuilt in {book}.")


@app.command()
def summary(
    book: BookArg,
    to: Annotated[str, typer.Option("--to", help="Who receives it (the finance manager).")],
    as_of: AsOf = None,
    outbox: Annotated[Path | None, typer.Option(help="Outbox folder (default: BOOK_outbox beside it).")] = None,
    channel: Annotated[str, typer.Option(help="outbox (default).")] = "outbox",
) -> None:
    """The weekly summary e-mail: headline figures and a chart; sent once per ISO week."""
    with _errors():
        from relance.engine.customer import normalized_email

        try:
            recipient = normalized_email(to)
        except ValueError:
            raise ConfigError(f"--to {to!r} is not an e-mail address", "write it as daf@example.fr") from None
        now = _now()
        day = _as_of(as_of)
        factory = open_channel(channel, book, now, outbox, day)  # a dated summary: a simulation
        snap, delivery = weekly_summary(open_workbook(book), factory, now, day, recipient, Path(book).name)
        if delivery.detail == "already in the outbox":
            out.print(f"This week's summary was already sent to {recipient}; nothing sent.")
        elif delivery.status == "simulated":
            out.print(f"Simulation, nothing sent: the summary of {snap.as_of.isoformat()} (not today) was filed "
                      f"for {recipient} as {delivery.detail}.")
        else:
            out.print(f"Weekly summary sent to {recipient} ({delivery.detail}).")


_BUCKET_LABELS = {
    "fr": {"current": "non échu", "1-30": "1-30 j", "31-60": "31-60 j", "61-90": "61-90 j", ">90": "> 90 j",
           "unapplied_credits": "avoirs et trop-perçus", "net_total": "encours net",
           "past_due_total": "dont échu"},
    "en": {"current": "current", "1-30": "1-30 days", "31-60": "31-60 days", "61-90": "61-90 days",
           ">90": "> 90 days", "unapplied_credits": "unapplied credits", "net_total": "net receivables",
           "past_due_total": "of which past due"},
}


def _show_report(data: dict[str, Any], locale: str = "fr_FR") -> None:
    """The report for a person: one column per currency, amounts in the workbook's locale."""
    from babel.numbers import format_currency, format_decimal

    lang = "en" if locale.lower().startswith("en") else "fr"

    def fmt(amount: str | None, cur: str) -> str:
        return "" if amount is None else format_currency(Decimal(amount), cur, locale=locale)

    currencies = list(data["currencies"])
    table = Table(title=("Balance âgée au " if lang == "fr" else "Aged balance on ") + data["as_of"])
    table.add_column("")
    for cur in currencies:
        table.add_column(cur, justify="right")
    for key, label in _BUCKET_LABELS[lang].items():
        table.add_row(label, *(fmt(data["currencies"][c]["aging"][key], c) for c in currencies),
                      end_section=key in (">90", "unapplied_credits"))
    table.add_row("pénalités de retard (L441-10)" if lang == "fr" else "late-payment interest (L441-10)",
                  *(fmt(data["currencies"][c]["late_penalties_total"], c) for c in currencies), end_section=True)

    def figure(value: object, unit: str) -> str:
        if value is None:
            return "—"
        return format_decimal(Decimal(str(value)), format="#,##0.0", locale=locale) + unit

    day = " j" if lang == "fr" else " d"
    kpis = (("DSO (countback)", lambda f: (f.get("dso") or {}).get("countback"), day),
            ("DSO 3 mois" if lang == "fr" else "DSO 3 months",
             lambda f: ((f.get("dso") or {}).get("simple") or {}).get("3m"), day),
            ("BPDSO", lambda f: (f.get("bpdso") or {}).get("countback"), day),
            ("ADD", lambda f: (f.get("add") or {}).get("countback"), day),
            ("CEI", lambda f: f.get("cei_percent"), " %"),
            ("taux de recouvrement" if lang == "fr" else "recovery rate", lambda f: f.get("recovery_rate_percent"),
             " %"))
    for label, get, unit in kpis:
        table.add_row(label, *(figure(get(data["currencies"][c]), unit) for c in currencies))
    out.print(table)
    for c in currencies:
        for note in data["currencies"][c].get("notes", []):
            out.print(f"[dim]{c}: {escape(str(note))}[/]")
    ind = data["indemnity"]
    open_due = sum(1 for i in data["invoices"] if i["indemnity_due"] and i["status"] == "open")
    out.print(("Indemnités forfaitaires (D441-5) : " if lang == "fr" else "Fixed recovery indemnities (D441-5): ")
              + f"{ind['count']} × 40 € = {fmt(ind['amount_eur'], 'EUR')}"
              + (f" ({open_due} sur des factures encore ouvertes)" if lang == "fr"
                 else f" ({open_due} on invoices still open)"))
    top = sorted((c for c in data["customers"] if c["aging"]["past_due_total"] != "0.00"),
                 key=lambda c: -Decimal(c["aging"]["past_due_total"]))[:10]
    if top:
        table = Table(title="Clients les plus en retard" if lang == "fr" else "Most overdue customers")
        for col in (("client", "échu", "retard moyen (j)") if lang == "fr"
                    else ("customer", "past due", "avg days late")):
            table.add_column(col, justify="left" if col in ("client", "customer") else "right")
        for c in top:
            late = c["weighted_avg_days_late"]["signed"]
            table.add_row(c["customer_id"], fmt(c["aging"]["past_due_total"], c["currency"]),
                          "" if late is None else f"{late:.0f}")
        out.print(table)


@app.command()
def demo(
    folder: Annotated[Path, typer.Argument(help="Where to build the demo.")] = Path("relance-demo"),
    as_of: AsOf = None,
) -> None:
    """Build a demo workbook, then plan, run and report on it: the whole product in one command."""
    with _errors():
        from relance.demo import build_demo_workbook

        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "relance-demo.xlsx"
        given = _as_of(as_of)  # None: today in the workbook's time zone, a real run
        day = given or dt.date.today()
        build_demo_workbook(path, as_of=day)
        out.print(f"[bold]1. Demo workbook[/] {path} (a French SME, as of {day.isoformat()})")
        book = str(path)
        now = _now()
        snap = snapshot(open_workbook(book), now, given)
        out.print("[bold]2. Plan[/]")
        _show_plan(RunResult(run_id_for(now), snap, True), f"{len(snap.plan.actions)} messages planned")
        out.print("[bold]3. Run[/]")
        phases = _Phases(err.is_terminal, "Reading and checking the workbook")
        try:
            result = run(open_workbook(book), open_channel("outbox", book, now, folder / "outbox", given), now,
                         given, progress=phases, anytime=True)  # a demo shows sending whatever the hour
        finally:
            phases.close()
        _show_plan(result, ("Simulation" if result.simulation else "Run") + f" {result.run_id}")
        again = run(open_workbook(book), open_channel("outbox", book, now, folder / "outbox", given), now,
                    given, anytime=True)
        out.print(f"A second run the same day sends {again.execution.count('sent')} messages "
                  "(never twice).")
        out.print("[bold]4. Report[/]")
        snap = snapshot(open_workbook(book), now, given, for_report=True)
        data, extras = report_bundle(snap, month_period(None, snap.as_of))
        _show_report(data, snap.book.settings.locale)
        page = folder / "rapport.html"
        page.write_text(report_page(data, extras), encoding="utf-8")
        write_dashboard(open_workbook(book), snap, data, extras)
        out.print(f"HTML report: {page}; Dashboard tab {tab_name(snap.book, 'dashboard')} rebuilt.")
        _, delivery = weekly_summary(open_workbook(book), open_channel("outbox", book, now, folder / "outbox", given),
                                     now, given, "daf@atelier-dumas.example", path.name)
        out.print(f"Weekly summary to the finance manager: {folder / 'outbox' / delivery.detail}")
        tabs = ", ".join(tab_name(snap.book, k) for k in ("history", "tasks", "anomalies", "dashboard"))
        out.print(f"\nOpen {path} (tabs {tabs}), {page}, and the e-mails in {folder / 'outbox'}.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
