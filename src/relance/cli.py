"""The `relance` command line: parse, call the library, show. Nothing else lives here.

Exit codes: 0 done; 1 `check` found rows it cannot use; 2 wrong usage or configuration;
3 the workbook cannot be read or written (missing, locked, not a workbook, protected);
4 some messages could not be sent (they are retried by the next run, never duplicated).

Language: every word printed is a phrase of `relance.engine.catalog.console`, shown in the
workbook's language (`Book.language`) as soon as a workbook is read; before that, and for
commands that read none, in the language of the global `--lang fr|en` option, else of the
environment (LC_ALL, LC_MESSAGES, LANG, through `lang_of`), else French.

`--help` is built by typer from the declarations below, whose help texts are the English forms
of catalog phrases (`_h` records them). The top-level command class (`_Group`) picks the
language from `--lang` in the arguments or from the environment when its context is made,
before any help is shown, and puts every help text, heading and usage line of the command tree
in that language (`_localize`, `_help_text`); this also works under typer's CliRunner.
"""

from __future__ import annotations

import codecs
import datetime as dt
import errno
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from typer.core import TyperCommand, TyperGroup

try:  # typer's coercion of values (see _PlainParam); a typer without these keeps its own
    from typer._coercion import RuntimeParam as _RuntimeParam
    from typer._coercion import build_runtime_param as _build_runtime_param
    from typer._param_types import coerce_cli_path as _coerce_cli_path
except ImportError:  # pragma: no cover - another typer
    _RuntimeParam = None  # type: ignore[assignment,misc]
    _coerce_cli_path = None  # type: ignore[assignment]

from relance.app.connect import open_channel, open_workbook
from relance.app.jobs import (
    RunResult,
    Snapshot,
    init_spreadsheet,
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
from relance.app.phases import recording_from_environment
from relance.app.templates import check_templates
from relance.engine.anomaly import Anomaly, Severity
from relance.engine.book import Book
from relance.engine.catalog import console as C
from relance.engine.errors import ConfigError, RelanceError
from relance.engine.formats import Formats, formats, half_up
from relance.engine.i18n import Lang, Phrase, Said, lang_of
from relance.engine.kpi import period_text
from relance.engine.owned_tabs import tab_name
from relance.engine.settings import blocked_channels

if TYPE_CHECKING:  # imported where used: a run that prints JSON never loads rich nor the report
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from relance.engine.report import CurrencyFigures, Report

# --------------------------------------------------------------------------- the language of the console


class _Ui:
    """The console's language and formatter; changed once a workbook says its language."""

    def __init__(self) -> None:
        self.lang = Lang.fr
        self.fmt: Formats = formats(Lang.fr)

    def set(self, lang: str) -> None:
        self.lang = Lang.en if lang == Lang.en else Lang.fr
        self.fmt = formats(self.lang)

    def t(self, phrase: Phrase, **args: object) -> str:
        """`phrase` in the console's language; counts (int) written with grouped digits."""
        shown = {k: self.fmt.number(v, 0) if isinstance(v, int) and not isinstance(v, bool) else v
                 for k, v in args.items()}
        return phrase.text(self.lang, **shown)

    def said(self, said: Said) -> str:
        return said.text(self.lang)


_UI = _Ui()


def _env_lang(environ: dict[str, str] | os._Environ[str] = os.environ) -> Lang:
    """The environment's language: the first of LC_ALL, LC_MESSAGES, LANG naming fr or en; French."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "").strip().lower()
        if value.startswith(("fr", "en")):
            return lang_of(value)
    return Lang.fr


def _args_lang(args: Sequence[str]) -> Lang | None:
    """The language `--lang X` or `--lang=X` names among the arguments, if any."""
    for i, arg in enumerate(args):
        value = arg.split("=", 1)[1] if arg.startswith("--lang=") else (
            args[i + 1] if arg == "--lang" and i + 1 < len(args) else None)
        if value is not None and value.strip().lower() in (Lang.fr, Lang.en):
            return Lang(value.strip().lower())
    return None


def _read(book: Book) -> Book:
    """A workbook was read: from now on the console speaks its language."""
    _UI.set(book.language)
    return book


# --------------------------------------------------------------------------- help in the console's language

#: English help text -> its phrase, for every help text declared below.
_HELPS: dict[str, Phrase] = {}


def _h(phrase: Phrase) -> str:
    """Declare a help text: typer gets the English form; `_localize` swaps in the console's."""
    _HELPS[phrase.en] = phrase
    return phrase.en


def _localize(command: Any) -> None:
    """Every help text of `command` and its subcommands in the console's language."""
    for item in (command, *getattr(command, "params", ())):
        english = item.__dict__.setdefault("_relance_en", getattr(item, "help", None))
        phrase = _HELPS.get(english or "")
        if phrase is not None:
            item.help = _UI.t(phrase)
    for sub in (getattr(command, "commands", None) or {}).values():
        _localize(sub)


_EXTRAS = re.compile(r"\[((?:default:\s+[^\]]*?|required)(?:;\s+(?:default:\s+[^\]]*?|required))*)\]")


def _help_text(text: str) -> str:
    """click's own words of a help screen (usage, headings, defaults) in the console's language."""
    if _UI.lang == Lang.en:
        return text

    def extra(part: str) -> str:
        if part == "required":
            return _UI.t(C.HELP_REQUIRED)
        return _UI.t(C.HELP_DEFAULT, value=re.sub(r"^default:\s+", "", part))

    def extras(m: re.Match[str]) -> str:
        return "[" + "; ".join(extra(p) for p in re.split(r";\s+", m[1])) + "]"

    text = _EXTRAS.sub(extras, text)
    text = text.replace("Show this message and exit.", _UI.t(C.HELP_HELP))
    text = re.sub(r"^Usage:", _UI.t(C.HELP_USAGE), text, flags=re.M)
    for heading, phrase in (("Options", C.HELP_OPTIONS), ("Arguments", C.HELP_ARGUMENTS),
                            ("Commands", C.HELP_COMMANDS)):
        text = re.sub(rf"^{heading}:$", _UI.t(phrase) + "\u00a0:", text, flags=re.M)
    return text


class _Command(TyperCommand):
    def get_help(self, ctx: Any) -> str:
        return _help_text(super().get_help(ctx))

    def get_help_option(self, ctx: Any) -> Any:
        return _plain_param(super().get_help_option(ctx))


if _RuntimeParam is not None:

    @dataclass(frozen=True)
    class _PlainParam(_RuntimeParam):
        """typer's coercion of a plain value (a str, an int, a path), without pydantic.

        typer converts every value through a pydantic TypeAdapter it builds on first use:
        importing pydantic and building the adapters cost a tenth of a second of every command.
        The values a command line gives are plain (a str from the arguments, a default): for
        those this returns what the adapter returns (the same str, the same int, the Path and
        its checks through typer's own `coerce_cli_path`); anything else, and any value the
        checks refuse, goes to typer's own runtime parameter, so every result and every error
        message stays typer's (tests/test_startup.py compares them)."""

        descriptor: Any = None

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            kind, annotation = type(value), self.annotation
            if annotation is str and kind is str:
                return value  # _parse_cli_str, then pydantic's str: the same object
            if (annotation is int and kind is int) or (annotation is bool and kind is bool):
                return value  # pydantic's int of an int, bool of a bool: the same value
            if annotation is Path and (kind is str or isinstance(value, Path)) and _coerce_cli_path is not None:
                try:
                    return _coerce_cli_path(Path(value), self.parameter_info, path_type=Path, param=param, ctx=ctx)
                except Exception:  # refused: typer's own runtime parameter says why, its way
                    pass
            return _build_runtime_param(self.descriptor)._coerce_value(value, param=param, ctx=ctx)


def _plain_param(param: Any) -> Any:
    """`param` with the `_PlainParam` coercion when it takes a plain str, bool, int or Path and
    has no coercion yet; any other parameter keeps typer's."""
    descriptor = getattr(param, "type_descriptor", None)
    if _RuntimeParam is None or descriptor is None or getattr(param, "_runtime_param", False) is not None:
        return param
    info, annotation = descriptor.parameter_info, descriptor.annotation
    if (annotation not in (str, bool, int, Path) or descriptor.file_annotation is not None
            or info.parser is not None or param.multiple or param.nargs != 1):
        return param
    if annotation is Path and getattr(info, "path_type", None) not in (None, Path):
        return param
    if annotation is int and (info.min is not None or info.max is not None or info.clamp):
        return param
    param._runtime_param = _PlainParam(parameter_info=info, annotation=annotation, descriptor=descriptor)
    return param


def _plain_params(command: Any) -> None:
    """`_plain_param` for every parameter of `command` and of its subcommands."""
    for param in getattr(command, "params", ()):
        _plain_param(param)
    for sub in (getattr(command, "commands", None) or {}).values():
        _plain_params(sub)


class _Group(TyperGroup):
    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        if parent is None:  # the whole command line: choose the language before any help is built
            _UI.set(_args_lang(args) or _env_lang())
            _localize(self)
            _plain_params(self)
        return super().make_context(info_name, args, parent, **extra)

    def get_help_option(self, ctx: Any) -> Any:
        return _plain_param(super().get_help_option(ctx))

    def get_help(self, ctx: Any) -> str:
        return _help_text(super().get_help(ctx))


app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None, cls=_Group,
                  help=_h(C.HELP_APP))


class _LazyConsole:
    """A rich Console made on first use: a command that prints only JSON never imports rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        console = self._console
        if console is None:
            from rich.console import Console

            console = self._console = Console(**self._options)
        return getattr(console, name)


out = cast("Console", _LazyConsole())
err = cast("Console", _LazyConsole(stderr=True))


def escape(markup: str) -> str:
    """rich's markup escaping (rich.markup.escape), imported on first use."""
    from rich.markup import escape as rich_escape

    return rich_escape(markup)

BookArg = Annotated[str, typer.Argument(help=_h(C.HELP_BOOK))]
AsOf = Annotated[str | None, typer.Option("--as-of", help=_h(C.HELP_AS_OF))]
JsonOpt = Annotated[bool, typer.Option("--json", help=_h(C.HELP_JSON))]


def _command(phrase: Phrase, name: str | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return app.command(name, help=_h(phrase), cls=_Command)


@app.callback()
def _main(lang: Annotated[str | None, typer.Option("--lang", help=_h(C.HELP_LANG))] = None) -> None:
    with _errors():
        if lang is not None:
            _UI.set(_valid_lang(lang))


def _valid_lang(lang: str) -> Lang:
    if lang.strip().lower() not in (Lang.fr, Lang.en):
        raise ConfigError(C.LANG_UNSUPPORTED(value=repr(lang)), C.LANG_USE())
    return Lang(lang.strip().lower())


# --------------------------------------------------------------------------- shared helpers


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(C.AS_OF_NOT_A_DATE(value=repr(value)), C.AS_OF_FORMAT()) from None
    if not dt.date(1900, 1, 1) <= day <= dt.date(2200, 12, 31):
        raise ConfigError(C.AS_OF_OUT_OF_RANGE(value=value), C.AS_OF_WRITE())
    return day


def _problem(text: str) -> None:
    """One line on stderr after the red `relance:` mark."""
    err.print(f"[bold red]{escape(_UI.t(C.ERROR_PREFIX))}[/] {escape(text)}", highlight=False, soft_wrap=True)


def _fix(text: str) -> None:
    err.print(f"  → {text}", highlight=False, soft_wrap=True, markup=False)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except RelanceError as exc:
        _problem(exc.text(_UI.lang))
        if exc.fix:
            _fix(exc.hint_text(_UI.lang))
        raise typer.Exit(exc.exit_code) from None
    except OSError as exc:  # a path the user gave that the system refuses: say which, no traceback
        where = f": {exc.filename}" if exc.filename else ""
        _problem(f"{exc.strerror or exc}{where}")
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        _fix(_UI.t(C.DISK_FULL if full else C.CHECK_PATH))
        raise typer.Exit(3) from None


_PROGRESS = {"Sending": C.PROGRESS_SENDING, "Simulating": C.PROGRESS_SIMULATING}


class _Phases:
    """One live display on stderr: a spinner while the workbook is read and checked, then a bar."""

    def __init__(self, enabled: bool, first: Phrase) -> None:
        self.enabled = enabled
        self.current: TaskID | None = None
        if enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress: Progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                               MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                                               transient=True)
            self.progress.start()
            self.current = self.progress.add_task(_UI.t(first), total=None)

    def __call__(self, label: str, total: int) -> Callable[[int], None]:
        if not self.enabled:
            return lambda n: None
        if self.current is not None:
            self.progress.update(self.current, visible=False)
        phrase = _PROGRESS.get(label)
        task = self.progress.add_task(_UI.t(phrase) if phrase else label, total=total)
        self.current = task
        return lambda n: self.progress.advance(task, n)

    def close(self) -> None:
        if self.enabled:
            self.progress.stop()


def _reading(factory: Callable[[Book], Any]) -> Callable[[Book], Any]:
    """A channel factory that first switches the console to the workbook's language."""
    return lambda book: factory(_read(book))


def _show_anomalies(anomalies: list[Anomaly], lang: str, limit: int = 25) -> None:
    from rich.table import Table

    if not anomalies:
        out.print(f"[green]{escape(_UI.t(C.NO_ANOMALY))}[/]")
        return
    errors = sum(1 for a in anomalies if a.severity == Severity.error)
    title = _UI.t(C.ANOMALIES_TITLE, errors=_UI.t(C.N_ERRORS, n=errors),
                  warnings=_UI.t(C.N_WARNINGS, n=len(anomalies) - errors))
    table = Table(title=escape(title), show_lines=False)
    for col in ("", _UI.t(C.COL_CELL), _UI.t(C.COL_VALUE), _UI.t(C.COL_PROBLEM), _UI.t(C.COL_FIX)):
        table.add_column(col, overflow="fold")
    # errors (rows not used) before warnings: a long list of warnings never hides them
    shown = sorted(anomalies, key=lambda a: a.severity != Severity.error)
    for a in shown[:limit]:
        mark = "[red]✗[/]" if a.severity == Severity.error else "[yellow]![/]"
        table.add_row(mark, escape(f"{a.source.tab}!{a.source.cell}"), escape(str(a.value)),
                      escape(a.problem.text(lang)), escape(a.hint.text(lang)))
    out.print(table)
    if len(anomalies) > limit:
        out.print(escape(_UI.t(C.MORE_ANOMALIES, n=len(anomalies) - limit)))


def _anomaly_json(a: Anomaly, lang: str) -> dict[str, Any]:
    return {"severity": str(a.severity), "tab": a.source.tab, "cell": a.source.cell, "column": a.source.header,
            "value": a.value, "problem": a.problem.text(lang), "hint": a.hint.text(lang), "code": a.code,
            "message": a.text(lang)}


def _print_json(data: Any) -> None:
    """`data` printed as `json.dumps(data, ensure_ascii=False, indent=1)` writes it (DESIGN.md §5).

    A large report on a UTF-8 output goes out as msgspec's bytes, never made a str: the report
    of a million-invoice first run is 38 MB of text, held up to four times over otherwise (the
    bytes, the text, the text and its new line, the encoded text: 180 MiB at the run's end)."""
    out = sys.stdout
    buffer = getattr(out, "buffer", None)
    if buffer is not None and codecs.lookup(getattr(out, "encoding", None) or "ascii").name == "utf-8":
        packed = _msgspec_bytes(data)
        if packed is not None:
            out.flush()
            buffer.write(packed)
            del packed
            buffer.write(b"\n")
            buffer.flush()
            return
    out.write(json_text(data) + "\n")


class _NotPlainJson(Exception):
    """A value `json_text` leaves to the json module (a subclass, an unknown type, a cycle)."""


_INFINITY = float("inf")


def _float_text(value: float) -> str:
    """A float as the json module writes it (allow_nan: NaN, Infinity, -Infinity)."""
    if value != value:
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def _key_text(key: object) -> str:
    """A dict key that is not a str, as the json module writes it (a quoted str)."""
    kind = type(key)
    if kind is bool:
        return '"true"' if key else '"false"'
    if key is None:
        return '"null"'
    if kind is int:
        return '"' + int.__repr__(cast(int, key)) + '"'
    if kind is float:
        return '"' + _float_text(cast(float, key)) + '"'
    raise _NotPlainJson


_SCALARS = frozenset((str, int, bool, type(None)))
_PLAIN_TYPES = _SCALARS | {dict, list}
#: Below this many values the walk of `json_text` is as fast as importing msgspec (20 ms).
_MSGSPEC_FROM = 20_000
_MAX_LEVELS = 64
_MAX_VALUES = 16_000_000


def _plain_values(data: Any) -> int | None:
    """How many values `data` holds when msgspec writes it as the json module does: only dict
    (str keys), list, str, bool, None and ints of 64 bits, at most 64 levels deep and 16 million
    values (a cycle never ends: the json module says so); None otherwise (a float, a tuple, a
    subclass...).

    Checked a level at a time with C iterators (map, compress, chain): a tenth of a second for
    the report of a million invoices."""
    from itertools import chain, compress, repeat
    from operator import is_

    level: list[Any] = [data]
    count = 0
    for _ in range(_MAX_LEVELS):
        count += len(level)
        if count > _MAX_VALUES:
            return None
        kinds = list(map(type, level))
        found = set(kinds)
        if not found <= _PLAIN_TYPES:
            return None

        def only(kind: type) -> list[Any]:
            return level if len(found) == 1 else list(compress(level, map(is_, kinds, repeat(kind))))  # noqa: B023

        if int in found:
            ints = only(int)
            if min(ints) < -(2**63) or max(ints) >= 2**64:
                return None
        below: list[Any] = []
        if list in found:
            below.extend(chain.from_iterable(only(list)))
        if dict in found:
            maps = only(dict)
            if not set(map(type, chain.from_iterable(maps))) <= {str}:
                return None
            below.extend(chain.from_iterable(map(dict.values, maps)))
        if not below:
            return count
        level = below
    return None


def _msgspec_text(data: Any) -> str | None:
    """`json_text(data)` through msgspec (its encoder, then its formatter at one space per level),
    ten times as fast for a large report; None when msgspec could differ from the json module."""
    packed = _msgspec_bytes(data)
    return None if packed is None else packed.decode("utf-8")


def _msgspec_bytes(data: Any) -> bytes | None:
    """`json_text(data)` encoded in UTF-8, through msgspec; None as `_msgspec_text` says."""
    values = _plain_values(data)
    if values is None or values < _MSGSPEC_FROM:
        return None
    try:
        import msgspec
    except ImportError:  # pragma: no cover - an installation without it: the walk
        return None
    try:
        packed = msgspec.json.encode(data)
    except (UnicodeEncodeError, TypeError, ValueError, OverflowError):  # a lone surrogate: the walk
        return None
    formatted: bytes = msgspec.json.format(packed, indent=1)
    return formatted


def json_text(data: Any) -> str:
    """`json.dumps(data, ensure_ascii=False, indent=1)`, the same text, about twice as fast
    (a large report of plain values: ten times, through msgspec, see `_msgspec_text`).

    The json module writes indented JSON with its pure-Python encoder (its C encoder does no
    indent); a report of 100,000 invoices is megabytes of it. This walks plain data (dict,
    list, tuple, str, int, float, bool, None: exactly those types) with the json module's own C
    string encoder; anything else (a subclass, another type, a cycle) is left to json.dumps
    itself, so every output and every error stays the module's."""
    fast = _msgspec_text(data)
    if fast is not None:
        return fast
    from json.encoder import encode_basestring as string  # the C function, as json.dumps uses it

    parts: list[str] = []
    add = parts.append
    pads = ["\n"]  # pads[n]: a new line and the indent of depth n

    def walk(value: Any, depth: int) -> None:
        kind = type(value)
        if kind is dict:
            if not value:
                add("{}")
                return
            if depth + 1 == len(pads):
                pads.append("\n" + " " * (depth + 1))
            pad = pads[depth + 1]
            head = "{" + pad
            for key, item in value.items():
                add(head + (string(key) if type(key) is str else _key_text(key)) + ": ")
                head = "," + pad
                if type(item) is str:
                    add(string(item))
                else:
                    walk(item, depth + 1)
            add(pads[depth] + "}")
        elif kind is list or kind is tuple:
            if not value:
                add("[]")
                return
            if depth + 1 == len(pads):
                pads.append("\n" + " " * (depth + 1))
            pad = pads[depth + 1]
            head = "[" + pad
            for item in value:
                add(head)
                head = "," + pad
                if type(item) is str:
                    add(string(item))
                else:
                    walk(item, depth + 1)
            add(pads[depth] + "]")
        elif kind is str:
            add(string(value))
        elif value is None:
            add("null")
        elif value is True:
            add("true")
        elif value is False:
            add("false")
        elif kind is int:
            add(int.__repr__(value))
        elif kind is float:
            add(_float_text(value))
        else:
            raise _NotPlainJson

    try:
        walk(data, 0)
    except (_NotPlainJson, RecursionError):
        return json.dumps(data, ensure_ascii=False, indent=1)
    return "".join(parts)


def _catalog(prefix: str, code: str) -> str:
    """The label of a code (a channel, a reason) in the console's language; the code itself if unknown."""
    phrase = getattr(C, prefix + re.sub(r"\W", "_", code).upper(), None)
    return _UI.t(phrase) if isinstance(phrase, Phrase) else code


def _reasons(codes: Counter[str]) -> str:
    return ", ".join(_UI.t(C.REASON_COUNT, reason=_catalog("REASON_", r), n=n) for r, n in codes.most_common())


def _step_label(book: Book, scenario: str, step: str) -> str:
    found = book.scenarios.get(scenario)
    spec = found.step(step) if found else None
    return spec.label(_UI.lang) if spec else step


def _show_plan(result: RunResult, title: str) -> None:
    from rich.table import Table

    data = result.to_json()
    book = result.snapshot.book
    actions = result.snapshot.plan.actions
    steps = Counter((_step_label(book, a.scenario, a.step), a.channel) for a in actions)
    fmt = _UI.fmt
    out.print(f"[bold]{escape(title)}[/]")
    table = Table()
    table.add_column(_UI.t(C.COL_STEP))
    table.add_column(_UI.t(C.COL_CHANNEL))
    table.add_column(_UI.t(C.COL_MESSAGES), justify="right")
    for (step, channel), n in sorted(steps.items()):
        table.add_row(escape(step), _catalog("CHANNEL_", channel), fmt.number(n, 0))
    out.print(table)
    reasons = Counter(s.reason for s in result.snapshot.plan.skips)
    if reasons:
        out.print(escape(_UI.t(C.NOT_SENT, reasons=_reasons(reasons))), highlight=False)
    for a in actions[:10]:
        amounts = ", ".join(fmt.money(v, c) for c, v in a.totals)
        step = _step_label(book, a.scenario, a.step)
        out.print(f"  {escape(a.customer_id):<10} {escape(step):<14} {_catalog('CHANNEL_', a.channel):<8} "
                  f"{amounts:>14}  {escape(a.recipient)}  "
                  f"[dim]{escape(';'.join(a.invoice_ids[:4]))}{'…' if len(a.invoice_ids) > 4 else ''}[/]",
                  highlight=False)
    if len(actions) > 10:
        out.print(escape(_UI.t(C.MORE_ACTIONS, n=len(actions) - 10)))
    if result.simulation:
        out.print(_simulation_line(result), highlight=False, soft_wrap=True)
    elif not result.dry_run and data["planned"]:
        out.print(escape(_UI.t(C.RUN_TOTALS, sent=data["sent"], tasks=data["tasks_created"], failed=data["failed"],
                               waiting=data["awaiting_approval"])), highlight=False)


def _simulation_line(result: RunResult) -> str:
    """The one line that says a dated run sent nothing for real."""
    s = result.snapshot
    simulated = [e for e in result.execution.entries if e.status == "simulated"]
    tasks = sum(e.channel in ("call", "agency") for e in simulated)
    n = len(simulated) - tasks
    line = _UI.t(C.SIMULATION_LINE, n=n, messages=_UI.t(C.N_MESSAGES, n=n), day=_UI.fmt.date(s.as_of),
                 today=_UI.fmt.date(result.today) if result.today else "?", zone=s.book.settings.timezone,
                 folder=result.outbox,
                 tasks=_UI.t(C.SIMULATION_TASKS, n=tasks, tasks=_UI.t(C.N_TASKS, n=tasks)) if tasks else "")
    head, _, rest = line.partition(":" if _UI.lang == Lang.en else "\u00a0:")
    return f"[bold yellow]{escape(head)}{':' if _UI.lang == Lang.en else chr(0xa0) + ':'}[/]{escape(rest)}"


def _window_reason(reason: str) -> str:
    """Why the send window is closed (the engine's words), in the console's language."""
    if reason == "weekend":
        return _UI.t(C.WINDOW_WEEKEND)
    if reason.startswith("public holiday: "):
        return _UI.t(C.WINDOW_HOLIDAY, name=reason.removeprefix("public holiday: "))
    m = re.fullmatch(r"before (\d+):00 (\S+)", reason)
    if m:
        return _UI.t(C.WINDOW_BEFORE, hour=m[1], zone=m[2])
    return reason


def _when(iso: str) -> str:
    try:
        return _UI.fmt.datetime(dt.datetime.fromisoformat(iso))
    except ValueError:
        return iso


@_command(C.HELP_INIT)
def init(
    book: BookArg,
    lang: Annotated[str | None, typer.Option("--lang", help=_h(C.HELP_INIT_LANG))] = None,
    demo: Annotated[bool, typer.Option("--demo", help=_h(C.HELP_INIT_DEMO))] = False,
    seed: Annotated[int, typer.Option(help=_h(C.HELP_SEED))] = 7,
    customers: Annotated[int, typer.Option(help=_h(C.HELP_CUSTOMERS))] = 300,
    invoices: Annotated[int, typer.Option(help=_h(C.HELP_INVOICES))] = 4000,
    as_of: AsOf = None,
    force: Annotated[bool, typer.Option("--force", help=_h(C.HELP_FORCE))] = False,
    share: Annotated[list[str] | None, typer.Option("--share", help=_h(C.HELP_INIT_SHARE))] = None,
) -> None:
    """Write a new workbook template (French or English), optionally with demo data."""
    with _errors():
        if share and book != "gsheet:new":
            raise ConfigError(C.INIT_SHARE_ONLY_NEW(), C.INIT_SHARE_ONLY_NEW_FIX())
        if book == "gsheet:new" and not demo:  # created by the service account, shared, then laid out
            if not share:
                raise ConfigError(C.INIT_SHARE_NEEDED(), C.INIT_SHARE_NEEDED_FIX())
            language = _valid_lang(lang) if lang is not None else _UI.lang
            _UI.set(language)
            from relance.app.sharing import new_spreadsheet

            book = new_spreadsheet(_UI.t(C.INIT_SHEET_TITLE), str(language), share)
            init_spreadsheet(open_workbook(book), str(language))
            url = f"https://docs.google.com/spreadsheets/d/{book.removeprefix('gsheet:')}/edit"
            out.print(escape(_UI.t(C.INIT_SHEET_CREATED, emails=", ".join(share), url=url)), highlight=False)
            return
        if book.startswith("gs://"):  # written here, then copied to its bucket (docs/cloud-storage.md)
            raise ConfigError(C.GCS_INIT_LOCAL(url=book), C.GCS_INIT_LOCAL_FIX(url=book))
        if book.startswith("excel:") or (book.startswith("gsheet:") and demo):  # in a later version
            raise ConfigError(C.INIT_SHEET_LATER(kind=book.split(":")[0] + (" --demo" if demo else "")),
                              C.INIT_SHEET_LATER_FIX())
        if book.startswith("gsheet:"):  # an empty spreadsheet shared with the service account
            language = _valid_lang(lang) if lang is not None else _UI.lang
            _UI.set(language)
            init_spreadsheet(open_workbook(book), str(language))
            out.print(escape(_UI.t(C.WROTE, path=book)), highlight=False)
            return
        path = Path(book)
        language = _valid_lang(lang) if lang is not None else _UI.lang
        _UI.set(language)
        if path.exists() and not force:
            raise ConfigError(C.EXISTS(path=str(path)), C.EXISTS_FIX())
        if demo:
            from relance.demo import build_demo_workbook

            build_demo_workbook(path, seed=seed, customers=customers, invoices=invoices,
                                as_of=_as_of(as_of) or dt.date.today(), lang=str(language))
            out.print(escape(_UI.t(C.WROTE_DEMO, path=str(path), customers=_UI.t(C.N_CUSTOMERS, n=customers),
                                   invoices=_UI.t(C.N_INVOICES, n=invoices))), highlight=False)
        else:
            init_workbook(path, str(language))
            out.print(escape(_UI.t(C.WROTE, path=str(path))), highlight=False)


@_command(C.HELP_CHECK)
def check(book: BookArg, as_of: AsOf = None, json_: JsonOpt = False) -> None:
    """Validate the workbook and render every template once on sample data; exit 1 when a row
    is unusable or a template broken."""
    with _errors():
        snap = snapshot(open_workbook(book), _now(), _as_of(as_of))
        _keep(snap)
        b = _read(snap.book)
        anomalies = [*snap.anomalies, *check_templates(b)]
        if json_:
            _print_json({"as_of": snap.as_of.isoformat(), "anomalies": [_anomaly_json(a, b.language) for a in anomalies]})
        else:
            out.print(escape(_UI.t(C.READ_BOOK, customers=_UI.t(C.N_CUSTOMERS, n=len(b.customers)),
                                   documents=_UI.t(C.N_DOCUMENTS, n=len(b.invoices)),
                                   payments=_UI.t(C.N_PAYMENTS, n=len(b.payments)))), highlight=False)
            _show_anomalies(anomalies, b.language)
        if any(a.severity == Severity.error for a in anomalies):
            raise typer.Exit(1)


@_command(C.HELP_PLAN)
def plan(book: BookArg, as_of: AsOf = None, json_: JsonOpt = False,
         write: Annotated[bool, typer.Option("--write", help=_h(C.HELP_PLAN_WRITE))] = False) -> None:
    """Preview what the next run would send; nothing is sent."""
    with _errors():
        backend = open_workbook(book)
        now = _now()
        snap = snapshot(backend, now, _as_of(as_of))
        _keep(snap)
        _read(snap.book)
        result = RunResult(run_id_for(now), snap, True)
        if write:
            write_plan(backend, snap, result.run_id)
        if json_:
            data = result.to_json()
            data["anomalies"] = [_anomaly_json(a, snap.book.language) for a in snap.anomalies]
            _print_json(data)
        else:
            n = len(snap.plan.actions)
            _show_plan(result, _UI.t(C.PLAN_TITLE, day=_UI.fmt.date(snap.as_of), messages=_UI.t(C.N_MESSAGES, n=n)))
            if write:
                out.print(escape(_UI.t(C.PLAN_WRITTEN, tab=tab_name(snap.book, "plan"))), highlight=False)
            _summary_anomalies(snap)


def _summary_anomalies(snap: Snapshot) -> None:
    errors = sum(1 for a in snap.anomalies if a.severity == Severity.error)
    if snap.anomalies:
        said = _UI.t(C.BOOK_ANOMALIES, errors=_UI.t(C.N_ERRORS, n=errors),
                     warnings=_UI.t(C.N_WARNINGS, n=len(snap.anomalies) - errors))
        out.print(f"[yellow]{escape(said)}[/] {escape(_UI.t(C.SEE_CHECK))}", highlight=False)


@_command(C.HELP_RUN, "run")
def run_cmd(
    book: BookArg,
    as_of: AsOf = None,
    channel: Annotated[str, typer.Option(help=_h(C.HELP_CHANNEL))] = "outbox",
    outbox: Annotated[Path | None, typer.Option(help=_h(C.HELP_OUTBOX))] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_h(C.HELP_DRY_RUN))] = False,
    anytime: Annotated[bool, typer.Option("--anytime", help=_h(C.HELP_ANYTIME))] = False,
    json_: JsonOpt = False,
) -> None:
    """The daily job: plan, send exactly once, write History, Tasks, Plan and Anomalies back."""
    with _errors():
        now = _now()
        day = _as_of(as_of)
        factory = _reading(open_channel(channel, book, now, outbox, day))  # a dated run: a simulation, outbox only
        phases = _Phases(not json_ and err.is_terminal, C.PROGRESS_READING)
        try:
            result = run(open_workbook(book), factory, now, day, dry_run, phases, anytime)
        finally:
            phases.close()
        _keep(result)
        s = result.snapshot
        _read(s.book)
        data = result.to_json()
        if json_:
            _print_json(data)
        elif result.deferred:
            waiting = len(s.plan.to_send)
            out.print(escape(_UI.t(C.DEFERRED, why=_window_reason(result.deferred), when=_when(result.next_window),
                                   n=waiting, messages=_UI.t(C.N_MESSAGES, n=waiting))), highlight=False)
        else:
            title = C.TITLE_DRY_RUN if dry_run else C.TITLE_SIMULATION if result.simulation else C.TITLE_RUN
            _show_plan(result, _UI.t(title, run=result.run_id, day=_UI.fmt.date(s.as_of)))
            if data["settled_pending"]:
                n = data["settled_pending"]
                out.print(escape(_UI.t(C.SETTLED, n=n, rows=_UI.t(C.N_ROWS, n=n))), highlight=False)
            if data.get("held_back"):
                n, cap = data["held_back"], data["daily_cap"]
                said = _UI.t(C.HELD_BACK, n=n, messages=_UI.t(C.N_MESSAGES, n=n), cap=cap["limit"],
                             used=cap["used_before"])
                out.print(f"[yellow]{escape(said)}[/]", highlight=False)
            if data.get("unsettled_pending"):
                n = data["unsettled_pending"]
                out.print(f"[yellow]{escape(_UI.t(C.UNSETTLED, n=n, rows=_UI.t(C.N_ROWS, n=n)))}[/]", highlight=False)
            if result.outbox:
                out.print(escape(_UI.t(C.OUTBOX_AT, folder=result.outbox)), highlight=False)
            _summary_anomalies(s)
        missing = _missing_settings(result)
        if missing:
            tab = tab_name(s.book, "settings")
            keys = ", ".join(missing.keys)
            _problem(_UI.t(C.MISSING_SETTINGS, n=missing.count, messages=_UI.t(C.N_MESSAGES, n=missing.count),
                           tab=tab, keys=keys))
            _fix(_UI.t(C.MISSING_SETTINGS_FIX, keys=keys, tab=tab))
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


@_command(C.HELP_BASELINE)
def baseline(
    book: BookArg,
    step: Annotated[str, typer.Option("--step", help=_h(C.HELP_STEP))],
    customer: Annotated[list[str] | None, typer.Option("--customer", help=_h(C.HELP_CUSTOMER))] = None,
    as_of: AsOf = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_h(C.HELP_BASELINE_DRY))] = False,
    json_: JsonOpt = False,
) -> None:
    """Say once where you stand before relance: record in History the step already reached outside
    relance, so the next run goes on from the following step. Sends nothing."""
    with _errors():
        backend = open_workbook(book)
        result = baseline_job(backend, _now(), step, _as_of(as_of), customer or (), dry_run)
        if json_:
            _print_json(result.to_json())
            return
        _UI.set(result.language)
        verb = C.BASELINE_WOULD if dry_run else C.BASELINE_DONE
        n = len(result.entries)
        out.print(escape(_UI.t(verb, step=step, day=_UI.fmt.date(result.as_of),
                               customers=_UI.t(C.N_CUSTOMERS, n=n))), highlight=False)
        reasons = Counter(s.reason for s in result.skips)
        if reasons:
            out.print(escape(_UI.t(C.LEFT_OUT, reasons=_reasons(reasons))), highlight=False)


@_command(C.HELP_REPORT)
def report(
    book: BookArg,
    as_of: AsOf = None,
    period: Annotated[str | None, typer.Option(help=_h(C.HELP_PERIOD))] = None,
    json_: JsonOpt = False,
    html: Annotated[Path | None, typer.Option(help=_h(C.HELP_HTML))] = None,
    write: Annotated[bool, typer.Option("--write", help=_h(C.HELP_REPORT_WRITE))] = False,
) -> None:
    """Aging, DSO, CEI, penalties, indemnity, reminder effectiveness and payer grades."""
    with _errors():
        if period is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
            raise ConfigError(C.PERIOD_NOT_A_MONTH(value=repr(period)), C.PERIOD_FORMAT())
        backend = open_workbook(book)
        now = _now()
        snap = snapshot(backend, now, _as_of(as_of), for_report=True)
        _keep(snap)
        _read(snap.book)
        data, extras = report_bundle(snap, month_period(period, snap.as_of))
        _keep((data, extras))
        if html is not None:
            html.write_text(report_page(data, extras), encoding="utf-8")
        if write:
            write_dashboard(backend, snap, data, extras)
        if json_:
            from relance.engine.report import report_json

            _print_json(report_json(data))
            return
        _show_report(data, snap.book.settings.locale, snap.book.language)
        if html is not None:
            out.print(escape(_UI.t(C.HTML_REPORT, path=str(html))), highlight=False)
        if write:
            out.print(escape(_UI.t(C.DASHBOARD_REBUILT, tab=tab_name(snap.book, "dashboard"), book=book)),
                      highlight=False)


@_command(C.HELP_SUMMARY)
def summary(
    book: BookArg,
    to: Annotated[str, typer.Option("--to", help=_h(C.HELP_TO))],
    as_of: AsOf = None,
    outbox: Annotated[Path | None, typer.Option(help=_h(C.HELP_OUTBOX))] = None,
    channel: Annotated[str, typer.Option(help=_h(C.HELP_SUMMARY_CHANNEL))] = "outbox",
) -> None:
    """The weekly summary e-mail: headline figures and a chart; sent once per ISO week."""
    with _errors():
        from relance.engine.customer import normalized_email

        try:
            recipient = normalized_email(to)
        except ValueError:
            raise ConfigError(C.TO_NOT_AN_ADDRESS(value=repr(to)), C.TO_FORMAT()) from None
        now = _now()
        day = _as_of(as_of)
        factory = _reading(open_channel(channel, book, now, outbox, day))  # a dated summary: a simulation
        snap, delivery = weekly_summary(open_workbook(book), factory, now, day, recipient, Path(book).name)
        _read(snap.book)
        if delivery.again:
            out.print(escape(_UI.t(C.SUMMARY_AGAIN, to=recipient)), highlight=False)
        elif delivery.status == "simulated":
            out.print(escape(_UI.t(C.SUMMARY_SIMULATED, day=_UI.fmt.date(snap.as_of), to=recipient,
                                   file=delivery.file)), highlight=False)
        else:
            out.print(escape(_UI.t(C.SUMMARY_SENT, to=recipient, file=delivery.file or delivery.detail)),
                      highlight=False)


_BUCKETS = (("current", C.BUCKET_CURRENT), ("1-30", C.BUCKET_1_30), ("31-60", C.BUCKET_31_60),
            ("61-90", C.BUCKET_61_90), (">90", C.BUCKET_OVER_90))


def _show_report(data: Report, locale: str = "fr_FR", language: str | None = None) -> None:
    """The report for a person: one column per currency, figures through relance.engine.formats,
    in the workbook's language (its locale's figures when the locale is of that language)."""
    from rich.table import Table

    lang = lang_of(language or locale)
    fmt = formats(locale) if lang_of(locale) == lang else formats(lang)

    def t(phrase: Phrase, **args: object) -> str:
        return phrase.text(lang, **args)

    def money(amount: Decimal | None, cur: str) -> str:
        return "" if amount is None else fmt.money(amount, cur)

    figures = data.currencies
    currencies = list(figures)
    table = Table(title=escape(t(C.AGED_BALANCE, day=fmt.date(data.as_of))))
    table.add_column("")
    for cur in currencies:
        table.add_column(cur, justify="right")
    for key, label in _BUCKETS:
        table.add_row(t(label), *(money(figures[c].aging.buckets[key], c) for c in currencies),
                      end_section=key == ">90")
    table.add_row(t(C.BUCKET_CREDITS), *(money(figures[c].aging.unapplied_credits, c) for c in currencies),
                  end_section=True)
    table.add_row(t(C.BUCKET_NET), *(money(figures[c].aging.net_total, c) for c in currencies))
    table.add_row(t(C.BUCKET_PAST_DUE), *(money(figures[c].aging.past_due_total, c) for c in currencies))
    table.add_row(t(C.LATE_PENALTIES), *(money(figures[c].late_penalties_open, c) for c in currencies))
    table.add_row(t(C.LATE_PENALTIES_PAID_LATE),
                  *(money(figures[c].late_penalties_paid_late, c) for c in currencies), end_section=True)

    def days(value: Decimal | None) -> str:
        return "—" if value is None else fmt.days(value)

    def percent(value: Decimal | None) -> str:
        return "—" if value is None else fmt.percent(value)

    kpis: tuple[tuple[Phrase, Callable[[CurrencyFigures], Decimal | None], Callable[[Decimal | None], str]], ...] = (
        (C.KPI_DSO, lambda f: f.dso.countback, days),
        (C.KPI_DSO_3M, lambda f: f.dso.simple[3], days),
        (C.KPI_BPDSO, lambda f: f.bpdso.countback, days),
        (C.KPI_ADD, lambda f: f.add.countback, days),
        (C.KPI_CEI, lambda f: f.cei_percent, percent),
        (C.KPI_RECOVERY, lambda f: f.recovery_rate_percent, percent))
    over = period_text(*data.period, locale if lang_of(locale) == lang else lang)
    for label, get, show in kpis:
        table.add_row(t(label, period=over), *(show(get(figures[c])) for c in currencies))
    out.print(table)
    for c in currencies:
        for note in figures[c].notes:
            out.print(f"[dim]{escape(t(C.NOTE_LINE, currency=c, note=note.text(lang)))}[/]", highlight=False)
    ind = data.indemnity
    out.print(escape(t(C.INDEMNITIES, count=fmt.number(ind.open_count, 0), unit=money(ind.unit, "EUR"),
                       amount=money(ind.open_amount, "EUR"), late_count=fmt.number(ind.paid_late_count, 0),
                       late_amount=money(ind.paid_late_amount, "EUR"))), highlight=False)
    for cur in currencies:  # one table per currency: EUR and USD rows are never ranked together
        top = data.overdue_customers(cur, 10)
        if not top:
            continue
        table = Table(title=escape(t(C.MOST_OVERDUE_IN, currency=cur)))
        table.add_column(t(C.COL_CUSTOMER), justify="left")
        table.add_column(t(C.COL_PAST_DUE), justify="right")
        table.add_column(t(C.COL_DAYS_LATE), justify="right")
        for line in top:
            late = line.days_late_signed
            table.add_row(escape(line.name), money(line.past_due, cur),
                          "" if late is None else fmt.days(half_up(late, 0) + 0, 0))
        out.print(table)


@_command(C.HELP_DEMO)
def demo(
    folder: Annotated[Path, typer.Argument(help=_h(C.HELP_DEMO_FOLDER))] = Path("relance-demo"),
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
        book = str(path)
        now = _now()
        snap = snapshot(open_workbook(book), now, given)
        _read(snap.book)
        out.print(f"[bold]{escape(_UI.t(C.DEMO_BOOK))}[/] "
                  f"{escape(_UI.t(C.DEMO_BOOK_AT, path=str(path), day=_UI.fmt.date(day)))}", highlight=False)
        out.print(f"[bold]{escape(_UI.t(C.DEMO_PLAN))}[/]")
        n = len(snap.plan.actions)
        _show_plan(RunResult(run_id_for(now), snap, True), _UI.t(C.PLANNED, n=n, messages=_UI.t(C.N_MESSAGES, n=n)))
        out.print(f"[bold]{escape(_UI.t(C.DEMO_RUN))}[/]")
        phases = _Phases(err.is_terminal, C.PROGRESS_READING)
        try:
            result = run(open_workbook(book), open_channel("outbox", book, now, folder / "outbox", given), now,
                         given, progress=phases, anytime=True)  # a demo shows sending whatever the hour
        finally:
            phases.close()
        title = C.TITLE_SIMULATION_SHORT if result.simulation else C.TITLE_RUN_SHORT
        _show_plan(result, _UI.t(title, run=result.run_id))
        again = run(open_workbook(book), open_channel("outbox", book, now, folder / "outbox", given), now,
                    given, anytime=True)
        sent = again.execution.count("sent")
        out.print(escape(_UI.t(C.DEMO_AGAIN, messages=_UI.t(C.N_MESSAGES, n=sent))), highlight=False)
        out.print(f"[bold]{escape(_UI.t(C.DEMO_REPORT))}[/]")
        snap = snapshot(open_workbook(book), now, given, for_report=True)
        data, extras = report_bundle(snap, month_period(None, snap.as_of))
        _show_report(data, snap.book.settings.locale, snap.book.language)
        page = folder / "rapport.html"
        page.write_text(report_page(data, extras), encoding="utf-8")
        write_dashboard(open_workbook(book), snap, data, extras)
        out.print(escape(_UI.t(C.DEMO_PAGE, page=str(page), tab=tab_name(snap.book, "dashboard"))), highlight=False)
        _, delivery = weekly_summary(open_workbook(book), open_channel("outbox", book, now, folder / "outbox", given),
                                     now, given, "daf@atelier-dumas.example", path.name)
        out.print(escape(_UI.t(C.DEMO_SUMMARY, file=str(folder / "outbox" / delivery.file))), highlight=False)
        tabs = ", ".join(tab_name(snap.book, k) for k in ("history", "tasks", "anomalies", "dashboard"))
        out.print("\n" + escape(_UI.t(C.DEMO_OPEN, path=str(path), tabs=tabs, page=str(page),
                                      outbox=str(folder / "outbox"))), highlight=False)


@_command(C.HELP_SCHEDULE, "schedule")
def schedule_cmd(
    book: BookArg,
    install: Annotated[bool, typer.Option("--install", help=_h(C.HELP_INSTALL))] = False,
    systemd: Annotated[bool, typer.Option("--systemd", help=_h(C.HELP_SYSTEMD))] = False,
    channel: Annotated[str | None, typer.Option(help=_h(C.HELP_CHANNEL))] = None,
) -> None:
    """Run the daily job on this machine: the crontab line, the systemd timer, the Windows task."""
    from relance.app import schedule as S
    from relance.app.connect import AVAILABLE_CHANNELS
    from relance.app.jobs import read_book

    with _errors():
        if channel is not None and channel not in AVAILABLE_CHANNELS:
            raise ConfigError(C.CHANNEL_UNKNOWN(name=repr(channel)),
                              C.CHANNEL_USE(names=" | ".join(AVAILABLE_CHANNELS)))
        b = _read(read_book(open_workbook(book)))
        s = b.settings
        exe = Path(sys.executable).with_name("relance.exe" if os.name == "nt" else "relance")
        plan = S.schedule(exe.absolute(), Path(book).resolve(), s.timezone, s.send_hour, s.business_days_only,
                          S.machine_zone(), _now().year, channel if channel not in (None, "outbox") else "")
        names = _UI.t(C.SCHEDULE_DAY_NAMES).split(",")

        def hour(h: int) -> str:
            return f"{h}\u00a0h" if _UI.lang == Lang.fr else f"{h:02d}:00"

        days = _UI.t(C.SCHEDULE_WEEKDAYS if s.business_days_only else C.SCHEDULE_EVERY_DAY)
        out.print(escape(_UI.t(C.SCHEDULE_INTRO, book=plan.book.name, days=days, hour=hour(plan.hour), zone=plan.zone,
                               tab=tab_name(b, "settings"))), highlight=False)
        if plan.converted:
            shifted = plan.machine_weekdays != plan.weekdays
            note = " " + _UI.t(C.SCHEDULE_DAYS_SHIFTED, days=", ".join(names[d] for d in plan.machine_weekdays)) \
                if shifted else ""
            out.print(escape(_UI.t(C.SCHEDULE_CONVERTED, machine_zone=plan.machine_zone, hour=hour(plan.hour),
                                   zone=plan.zone, machine_hour=hour(plan.machine_hour), days_note=note)),
                      highlight=False)
            if plan.drifts:
                out.print(escape(_UI.t(C.SCHEDULE_DRIFT, hour=hour(plan.hour), zone=plan.zone,
                                       hours=C.SCHEDULE_EITHER_HOUR(
                                           first=", ".join(hour(h) for h in plan.machine_hours[:-1]),
                                           last=hour(plan.machine_hours[-1])))), highlight=False)
        else:
            out.print(escape(_UI.t(C.SCHEDULE_SAME_ZONE, zone=plan.zone, hour=hour(plan.hour))), highlight=False)
        for title, text in S.texts(plan, _UI.lang):
            out.print()
            out.print(escape(_UI.said(title)), highlight=False, style="bold")
            out.print(escape(text), highlight=False, soft_wrap=True)
        out.print()
        out.print(escape(_UI.t(C.SCHEDULE_SECRETS)), highlight=False)
        if not install:
            return
        out.print()
        if systemd:
            home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
            done = S.install_systemd(plan, Path(home), _UI.lang)
            out.print(escape(_UI.t(C.SCHEDULE_SYSTEMD_INSTALLED, files=", ".join(str(f) for f in done.files),
                                   name=plan.name)), highlight=False, soft_wrap=True)
        else:
            done = S.install_cron(plan, _UI.lang)
            out.print(escape(_UI.t(C.SCHEDULE_CRON_REPLACED if done.replaced else C.SCHEDULE_CRON_INSTALLED,
                                   line=plan.cron_line())), highlight=False, soft_wrap=True)


@_command(C.HELP_ADDIN, "addin")
def addin_cmd(
    action: Annotated[str, typer.Argument(help=_h(C.HELP_ADDIN_ACTION))],
    file: Annotated[Path, typer.Option("--file", help=_h(C.HELP_ADDIN_FILE))] = Path("addin/dist/relance.xlam"),
) -> None:
    """Install the Relance Excel add-in (ribbon and functions) on Windows or macOS."""
    from relance.app.addin_install import install

    with _errors():
        if action != "install":
            raise ConfigError(C.CHANNEL_UNKNOWN(name=repr(action)), C.CHANNEL_USE(names="install"))
        xlam = file.resolve()
        # the folder holding relance_addin/: beside the add-in, or above its dist/ folder
        code = next((d for d in (xlam.parent, xlam.parent.parent) if (d / "relance_addin").is_dir()), xlam.parent)
        done = install(xlam, sys.executable, code)
        out.print(escape(_UI.t(C.ADDIN_INSTALLED, target=str(done.target), config=str(done.config),
                               python=done.python, udfs=done.udfs)), highlight=False, soft_wrap=True)


#: What a command computed (a workbook of 100,000 invoices is millions of objects), held until the
#: process ends when `main` runs it: freed one by one, they would cost a tenth of a second or more.
_KEPT: list[object] | None = None


def _keep(value: object) -> None:
    """Hold `value` until the process ends (only under `main`: tests invoking `app` keep nothing).

    What the command made so far is also left out of the collector's later passes (gc.freeze):
    it lives until the end, and a full pass over the millions of objects of a first run
    (messages, letters, History rows) while the report is printed would find nothing to free."""
    if _KEPT is not None:
        import gc

        _KEPT.append(value)
        gc.freeze()


def _leave(code: str | int | None) -> None:
    """End the process with `code` (SystemExit's) without freeing, one by one, what it computed.

    Everything is written by then (every file is closed and saved atomically, the phases file too).
    The standard output and error are flushed and the exit handlers run (atexit: logging,
    multiprocessing), as Python does before it ends; then the interpreter stops without tearing
    down its objects. Whenever that could differ from a normal exit (another thread still alive,
    an exit value that is not a number, a flush that fails, a profiler or tracer watching), it ends
    the usual way."""
    import atexit
    import threading

    if code is None:
        code = 0
    if type(code) is not int or threading.active_count() > 1:
        sys.exit(code)
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)  # a profiler, a debugger or coverage writes what it saw on a normal exit
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:  # a closed pipe: Python says so on its way out, as it always did
        sys.exit(code)
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:
        sys.exit(code)
    os._exit(code & 0xFF)


def main() -> None:
    """The `relance` command (the console script)."""
    global _KEPT
    _KEPT = []
    code: str | int | None = 0
    with recording_from_environment():  # RELANCE_PHASES=<file>: the run's phases timed (benchmarks/run.py)
        try:
            app()
        except SystemExit as exc:
            code = exc.code
    _leave(code)


if __name__ == "__main__":
    main()
