"""From the words a person types to the objects that do the work.

`BOOK` (a path to an .xlsx file, `gs://bucket/book.xlsx`, `gsheet:<id or URL>`, `excel:[open workbook]`)
becomes a workbook backend, and
a channel name (`outbox`, `smtp`, `mailjet`) becomes a transport. This is the one place a new
backend or transport is plugged in; secrets and endpoints are read here from the environment
(SMTP_*, MAILJET_*: docs/sending.md) and never from the workbook.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from relance.channels.port import Channel
from relance.engine.book import Book
from relance.engine.catalog import channels as say
from relance.engine.catalog import console
from relance.engine.errors import ConfigError
from relance.workbook.port import WorkbookBackend

if TYPE_CHECKING:
    from relance.channels.mailjet import MailjetConfig
    from relance.channels.smtp import SmtpConfig

#: The channels a run may name, and whether this version can deliver through them.
CHANNELS = ("outbox", "mailjet", "smtp")
AVAILABLE_CHANNELS = ("outbox", "mailjet", "smtp")

ChannelFactory = Callable[[Book], Channel]


def open_workbook(book: str) -> WorkbookBackend:
    """The backend for a `BOOK` argument: a local .xlsx path, `gs://…`, `gsheet:…` or `excel:…`."""
    if book.startswith("gsheet:"):
        from relance.workbook.gsheet import GsheetBackend

        return GsheetBackend(book)
    if book.startswith("excel:"):  # a workbook open in Excel, through xlwings (docs/excel.md)
        from relance.workbook.excel import open_excel

        return open_excel(book)
    from relance.workbook.xlsx import XlsxBackend

    if book.startswith("gs://"):  # an .xlsx object in Cloud Storage (docs/cloud-storage.md)
        return gcs_workbook(book, os.environ)
    return XlsxBackend(Path(book))


def excel_workbook(book: object | None = None) -> WorkbookBackend:
    """The workbook that called a ribbon button (xlwings' `Book.caller()`), or `book` (an xlwings
    Book, a stand-in in tests). Excel waits for the macro meanwhile: nothing else changes it."""
    from relance.workbook.excel import ExcelBackend, xlwings_module

    if book is None:
        book = xlwings_module().Book.caller()
    return ExcelBackend(book, held=True)


def excel_outbox(backend: WorkbookBackend) -> Path:
    """Where a ribbon run files its messages: `<name>_outbox` beside the workbook's file, or in
    the home folder (`relance/<name>_outbox`) for a workbook never saved or kept online."""
    full = str(getattr(getattr(backend, "book", None), "fullname", "") or "")
    path = Path(full)
    if full and "://" not in full and path.is_absolute() and path.parent.is_dir():
        return path.with_name(path.stem + "_outbox")
    return Path.home() / "relance" / (Path(full or "excel").stem + "_outbox")


def default_outbox(book: str) -> Path:
    """Where the outbox goes when none is named: `<book>_outbox` beside the workbook."""
    if book.startswith("gs://"):  # a workbook in Cloud Storage: here, in the current folder
        return Path(Path(book.rstrip("/")).stem + "_outbox")
    if book.startswith("gsheet:"):  # a spreadsheet: here, named after its id (no ':' in a folder name)
        from relance.workbook.gsheet import spreadsheet_id

        return Path(f"gsheet-{spreadsheet_id(book)}_outbox")
    if book.startswith("excel:"):  # beside the file named, else here, after the workbook's name
        target = book.removeprefix("excel:").strip()
        path = Path(target or "excel")
        if not path.is_absolute():
            return Path(path.stem + "_outbox")
        return path.with_name(path.stem + "_outbox")
    path = Path(book)
    return path.with_name(path.stem + "_outbox")


def open_channel(name: str, book: str, now: dt.datetime, outbox: Path | None = None,
                 as_of: dt.date | None = None, environ: Mapping[str, str] | None = None) -> ChannelFactory:
    """The transport for a channel name, made once the workbook is read (it may need its Settings).

    A run dated another day than today in the workbook's time zone (`as_of`, `--as-of`) never
    really sends: with the outbox it is a simulation, filed in `simulation-<as_of>/`; any other
    channel refuses it, since it would deliver letters dated another day. Whether the date is
    today is known once the workbook's Settings (its time zone) are read, so the refusal comes
    from the factory; `--dry-run` never opens a channel and works for any date.

    `smtp` and `mailjet` read their settings from `environ` (the process environment by default)
    when the factory is called; they file letters (and, for SMTP, text messages) in the outbox
    folder, to be printed and posted.
    """
    env = os.environ if environ is None else environ
    if name not in CHANNELS:
        raise ConfigError(console.CHANNEL_UNKNOWN(name=repr(name)),
                          console.CHANNEL_USE(names=" | ".join(AVAILABLE_CHANNELS)))
    if as_of is None and name not in AVAILABLE_CHANNELS:
        raise ConfigError(console.CHANNEL_NOT_AVAILABLE(name=repr(name)), console.CHANNEL_USE_OUTBOX())
    folder = outbox or default_outbox(book)

    def factory(workbook: Book) -> Channel:
        from relance.channels.outbox import OutboxChannel

        today = local_today(workbook, now)
        dated = as_of is not None and as_of != today
        if dated and name != "outbox":
            raise ConfigError(
                console.DATED_RUN_REAL_CHANNEL(as_of=as_of, today=today, zone=workbook.settings.timezone,
                                               name=repr(name)),
                console.DATED_RUN_REAL_CHANNEL_FIX())
        if name not in AVAILABLE_CHANNELS:
            raise ConfigError(console.CHANNEL_NOT_AVAILABLE(name=repr(name)), console.CHANNEL_USE_OUTBOX())
        box = OutboxChannel(folder, now.isoformat(timespec="seconds"), now, simulation=as_of if dated else None)
        if name == "outbox":
            return box
        try:
            return _real_channel(name, env, box, now, workbook, book)
        except BaseException:
            box.close()
            raise

    return factory


def local_today(workbook: Book, now: dt.datetime) -> dt.date:
    """Today in the workbook's time zone (Settings `timezone`): the only date a run really sends for."""
    return now.astimezone(ZoneInfo(workbook.settings.timezone)).date()


def _real_channel(name: str, env: Mapping[str, str], box: Channel, now: dt.datetime, workbook: Book,
                  book: str = "") -> Channel:
    from relance.channels.outbox import OutboxChannel

    assert isinstance(box, OutboxChannel)
    lang = workbook.language
    if name == "smtp":
        from relance.channels.smtp import SmtpChannel

        return SmtpChannel(smtp_config(env, lang), box, now, lang)
    if name == "mailjet":
        try:
            import mailjet_rest  # noqa: F401
        except ImportError:
            raise ConfigError(say.MISSING_LIBRARY.text(lang, channel="mailjet", library="mailjet-rest"),
                              say.MISSING_LIBRARY_HINT.text(lang)) from None
        from dataclasses import replace

        from relance.channels.mailjet import MailjetChannel, sent_today

        config = mailjet_config(env, lang)
        via = f"mailjet:{config.account}"
        # the cap: the Settings row, unless MAILJET_DAILY_CAP says otherwise (docs/sending.md)
        cap = config.daily_cap if _env(env, "MAILJET_DAILY_CAP") else workbook.settings.daily_send_cap
        config = replace(config, daily_cap=cap,
                         sent_today=sent_today(workbook.history, via, local_today(workbook, now)))
        if book:  # delivery events name their workbook (app/events.py)
            from relance.app.events import event_payload

            config = replace(config, event_payload=event_payload(book))
        return MailjetChannel(config, box, lang)
    raise ConfigError(console.CHANNEL_NOT_AVAILABLE(name=repr(name)), console.CHANNEL_USE_OUTBOX())


def mailjet_config(env: Mapping[str, str], lang: str = "fr") -> MailjetConfig:
    """The Mailjet settings from the environment: MAILJET_API_KEY and MAILJET_API_SECRET
    (required), MAILJET_SMS_TOKEN (text messages), MAILJET_API_URL (a loopback server in tests),
    MAILJET_SANDBOX (1: validate only, nothing delivered), MAILJET_DAILY_CAP (messages a day, the
    account's plan, overriding Settings daily_send_cap; 0: none), MAILJET_SMS_SENDER (3-11 letters
    or digits), MAILJET_SMS_REGION (FR), MAILJET_TIMEOUT, MAILJET_RETRIES, MAILJET_RETRY_WAIT
    (seconds), MAILJET_MAX_CONCURRENCY (calls in flight at once, 1-16, default 4),
    MAILJET_RATE_PER_SECOND (calls a second at most, default 10; 0: no limit),
    MAILJET_LOOKUP_GRACE (seconds, 1800: how late Mailjet may list a message it took)."""
    from relance.channels.mailjet import LOOKUP_GRACE, SENDER, MailjetConfig

    key, secret = _env(env, "MAILJET_API_KEY"), _env(env, "MAILJET_API_SECRET")
    missing = [n for n, v in (("MAILJET_API_KEY", key), ("MAILJET_API_SECRET", secret)) if not v]
    if missing:
        raise ConfigError(say.MISSING_ENV.text(lang, channel="mailjet", names=" ".join(missing)),
                          say.MISSING_ENV_HINT.text(lang))
    sender = _env(env, "MAILJET_SMS_SENDER")
    if sender and not SENDER.fullmatch(sender):
        raise ConfigError(say.SMS_BAD_SENDER.text(lang, name=repr(sender)), say.BAD_ENV_HINT.text(lang))
    url = _env(env, "MAILJET_API_URL") or "https://api.mailjet.com/"
    try:
        from mailjet_rest.config import Config

        Config(api_url=url)  # the client's own check: https Mailjet, or a loopback address
    except ValueError as exc:
        raise ConfigError(say.BAD_ENV.text(lang, name="MAILJET_API_URL", value=repr(url), why=str(exc)),
                          say.BAD_ENV_HINT.text(lang)) from None
    return MailjetConfig(
        api_key=key, api_secret=secret, sms_token=_env(env, "MAILJET_SMS_TOKEN"), api_url=url,
        sandbox=_env(env, "MAILJET_SANDBOX").lower() in ("1", "true", "yes", "oui"),
        daily_cap=int(_number(env, "MAILJET_DAILY_CAP", 0, lang, True)), sms_sender=sender,
        sms_region=(_env(env, "MAILJET_SMS_REGION") or "FR").upper(),
        timeout=_number(env, "MAILJET_TIMEOUT", 30.0, lang) or 30.0,
        attempts=max(1, int(_number(env, "MAILJET_RETRIES", 4, lang, True))),
        wait_first=_number(env, "MAILJET_RETRY_WAIT", 1.0, lang),
        concurrency=_concurrency(env, lang),
        rate_per_second=_number(env, "MAILJET_RATE_PER_SECOND", 10.0, lang),
        lookup_grace=_number(env, "MAILJET_LOOKUP_GRACE", LOOKUP_GRACE, lang))


def _concurrency(env: Mapping[str, str], lang: str) -> int:
    """MAILJET_MAX_CONCURRENCY: 1 to 16 calls in flight (4 when not set)."""
    value = int(_number(env, "MAILJET_MAX_CONCURRENCY", 4, lang, True))
    if not 1 <= value <= 16:
        raise ConfigError(say.BAD_ENV.text(lang, name="MAILJET_MAX_CONCURRENCY", value=repr(str(value)),
                                           why="a whole number from 1 to 16 is expected"),
                          say.BAD_ENV_HINT.text(lang))
    return value


def _env(env: Mapping[str, str], *names: str) -> str:
    """The first of these variables that is set and not blank, stripped ("" if none)."""
    for n in names:
        value = env.get(n, "").strip()
        if value:
            return value
    return ""


def _number(env: Mapping[str, str], name: str, default: float, lang: str, integer: bool = False) -> float:
    raw = _env(env, name)
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ConfigError(say.BAD_ENV.text(lang, name=name, value=repr(raw), why="a number >= 0 is expected"),
                          say.BAD_ENV_HINT.text(lang))
    return value


def smtp_config(env: Mapping[str, str], lang: str = "fr") -> SmtpConfig:
    """The SMTP settings from the environment: SMTP_HOST (required), SMTP_PORT (587 for starttls,
    465 for ssl, 25 for none), SMTP_SECURITY (starttls, the default; ssl; none), SMTP_USERNAME (or
    SMTP_USER) and SMTP_PASSWORD, SMTP_FROM (the envelope sender, for bounces), SMTP_TIMEOUT
    (seconds), SMTP_CA_FILE, SMTP_RETRIES (tries per message), SMTP_RETRY_WAIT (seconds)."""
    from relance.channels.smtp import SECURITIES, SmtpConfig

    host = _env(env, "SMTP_HOST")
    if not host:
        raise ConfigError(say.MISSING_ENV.text(lang, channel="smtp", names="SMTP_HOST"),
                          say.MISSING_ENV_HINT.text(lang))
    security = (_env(env, "SMTP_SECURITY") or "starttls").lower()
    if security not in SECURITIES:
        raise ConfigError(say.BAD_ENV.text(lang, name="SMTP_SECURITY", value=repr(security),
                                           why="starttls, ssl or none"), say.BAD_ENV_HINT.text(lang))
    port = int(_number(env, "SMTP_PORT", {"starttls": 587, "ssl": 465, "none": 25}[security], lang, True))
    username = _env(env, "SMTP_USERNAME", "SMTP_USER")
    password = env.get("SMTP_PASSWORD", "")
    if username and not password:
        raise ConfigError(say.MISSING_ENV.text(lang, channel="smtp", names="SMTP_PASSWORD"),
                          say.MISSING_ENV_HINT.text(lang))
    return SmtpConfig(host=host, port=port, security=security, username=username, password=password,
                      envelope_from=_env(env, "SMTP_FROM"), timeout=_number(env, "SMTP_TIMEOUT", 30.0, lang) or 30.0,
                      ca_file=_env(env, "SMTP_CA_FILE"),
                      attempts=max(1, int(_number(env, "SMTP_RETRIES", 3, lang, True))),
                      wait_first=_number(env, "SMTP_RETRY_WAIT", 1.0, lang))


def gcs_workbook(book: str, env: Mapping[str, str]) -> WorkbookBackend:
    """A `gs://bucket/path/book.xlsx` workbook. The client finds its credentials itself
    (Application Default Credentials; anonymous with STORAGE_EMULATOR_HOST, a local stand-in);
    RELANCE_GCS_LEASE_SECONDS (900: how long a crashed run's lease blocks the next),
    RELANCE_GCS_RETRY_WAIT (1: first wait between tries), RELANCE_GCS_RETRY_DEADLINE (120: the
    tries of one request stop there) and RELANCE_GCS_TIMEOUT (60: one answer) tune it."""
    from relance.workbook.gcs import GcsBackend, GcsConfig

    default = GcsConfig()
    config = GcsConfig(
        lease_seconds=_number(env, "RELANCE_GCS_LEASE_SECONDS", default.lease_seconds, "fr") or default.lease_seconds,
        retry_wait=_number(env, "RELANCE_GCS_RETRY_WAIT", default.retry_wait, "fr"),
        retry_deadline=_number(env, "RELANCE_GCS_RETRY_DEADLINE", default.retry_deadline, "fr"),
        timeout=_number(env, "RELANCE_GCS_TIMEOUT", default.timeout, "fr") or default.timeout)
    return GcsBackend(book, config)
