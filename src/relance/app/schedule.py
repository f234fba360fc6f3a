"""`relance schedule`: the daily job on the user's own machine, without any cloud (docs/scheduling.md).

The job is `relance run BOOK` on working days at the workbook's Settings `send_hour` in its
`timezone`. A systemd timer says the time in the workbook's own zone (systemd converts, summer
time included); cron and the Windows Task Scheduler count in the machine's zone, so the hour is
converted. When the two zones change their clocks on different dates, the same send_hour falls on
two machine hours in the year: cron runs at both (the first run of the day sends, the second finds
everything sent and sends nothing: never twice), Windows at the later one (a run before send_hour
would wait for the send window and send nothing; an hour late, it sends all the same). `--install` writes the crontab entry (a marked line, replaced and
never duplicated) or the systemd user units.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from relance.engine.catalog import console as C
from relance.engine.errors import ConfigError
from relance.engine.i18n import Said

#: cron's day numbers (0 Sunday) and the names systemd and schtasks use, Monday first.
_CRON_DAYS = (1, 2, 3, 4, 5, 6, 0)
_SYSTEMD_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SCHTASKS_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
MARK = "# relance schedule:"


@dataclass(frozen=True)
class Schedule:
    """When and what the daily job runs, and its three spellings."""

    relance: Path  # the executable, absolute
    book: Path  # the workbook, absolute
    zone: str  # the workbook's time zone (Settings timezone)
    hour: int  # Settings send_hour, in `zone`
    weekdays: tuple[int, ...]  # 0 Monday .. 6 Sunday, in the workbook's zone
    machine_zone: str
    machine_hour: int  # the same moment on the machine's clock (the later one, see the module doc)
    machine_hours: tuple[int, ...]  # every hour it falls on in the year (two when the zones drift)
    machine_weekdays: tuple[int, ...]  # the days on the machine's clock (a run may cross midnight)
    drifts: bool  # the two zones change their clocks on different dates
    channel: str = ""  # `--channel` of the run; "" the default (the outbox)

    @property
    def name(self) -> str:
        """A name for the units and the task: the book's stem and a hash of its path (two books
        of the same name in two folders get two jobs)."""
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", self.book.stem).strip("-") or "book"
        return f"relance-{stem}-{hashlib.sha256(str(self.book).encode()).hexdigest()[:8]}"

    @property
    def converted(self) -> bool:
        return (self.machine_hour, self.machine_weekdays) != (self.hour, self.weekdays) or self.drifts

    def command(self) -> str:
        channel = f" --channel {self.channel}" if self.channel else ""
        return f"{_quote(str(self.relance))} run {_quote(str(self.book))}{channel}"

    @property
    def log(self) -> Path:
        return self.book.with_name(self.book.stem + "_relance.log")

    def cron_line(self) -> str:
        days = ",".join(str(_CRON_DAYS[d]) for d in self.machine_weekdays)
        hours = ",".join(str(h) for h in self.machine_hours)
        return (f"0 {hours} * * {days} {self.command()} >> {_quote(str(self.log))} 2>&1 "
                f"{MARK} {self.book}")

    def service_unit(self, description: Said, lang: str) -> str:
        return (f"[Unit]\nDescription={description.text(lang)}\n\n[Service]\nType=oneshot\n"
                f"EnvironmentFile=-%h/.config/relance/env\nExecStart={self.command()}\n")

    def timer_unit(self, description: Said, lang: str) -> str:
        days = ",".join(_SYSTEMD_DAYS[d] for d in self.weekdays)
        return (f"[Unit]\nDescription={description.text(lang)}\n\n[Timer]\n"
                f"OnCalendar={days} *-*-* {self.hour:02d}:00:00 {self.zone}\nPersistent=true\n"
                f"Unit={self.name}.service\n\n[Install]\nWantedBy=timers.target\n")

    def schtasks(self) -> str:
        days = ",".join(_SCHTASKS_DAYS[d] for d in self.machine_weekdays)
        run = self.command().replace('"', '\\"')
        return (f'schtasks /Create /TN "{self.name}" /TR "{run}" /SC WEEKLY /D {days} '
                f"/ST {self.machine_hour:02d}:00 /F")


def _quote(text: str) -> str:
    return f'"{text}"' if re.search(r"[\s'\"$`\\;&|<>()*?#%]", text) else text


def schedule(relance: Path, book: Path, zone: str, hour: int, business_days_only: bool, machine_zone: str,
             year: int, channel: str = "") -> Schedule:
    """The daily job of `book`: at `hour` in `zone` on weekdays (every day when business_days_only
    is off), seen from a machine whose clock runs in `machine_zone`, over the year `year`."""
    weekdays = tuple(range(5)) if business_days_only else tuple(range(7))
    there, here = ZoneInfo(zone), ZoneInfo(machine_zone)
    seen: set[tuple[int, int]] = set()  # (day shift, hour) on the machine, every day of the year
    day = dt.date(year, 1, 1)
    while day.year == year:
        moment = dt.datetime.combine(day, dt.time(hour), tzinfo=there)
        local = moment.astimezone(here)
        seen.add(((local.date() - day).days, local.hour))
        day += dt.timedelta(days=1)
    shift, machine_hour = max(seen)  # the later one: never before send_hour
    hours = tuple(sorted({h for d, h in seen if d == shift}))
    machine_weekdays = tuple(sorted((d + shift) % 7 for d in weekdays))
    return Schedule(relance, book, zone, hour, weekdays, machine_zone, machine_hour, hours, machine_weekdays,
                    len(seen) > 1, channel)


def machine_zone() -> str:
    """The machine's time zone name (TZ, /etc/timezone, /etc/localtime), UTC when none is found."""
    import os

    name = os.environ.get("TZ", "").lstrip(":")
    if name and _known(name):
        return name
    try:
        text = Path("/etc/timezone").read_text(encoding="utf-8").strip()
        if _known(text):
            return text
    except OSError:
        pass
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target and _known(target.split("zoneinfo/", 1)[1]):
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return "UTC"


def _known(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return False
    return True


# --- installing ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Installed:
    """What --install did: the lines replaced (0 or more) or the files written."""

    replaced: int = 0
    files: tuple[Path, ...] = ()


def install_cron(plan: Schedule, lang: str, env: Mapping[str, str] | None = None) -> Installed:
    """Put the job's line in the user's crontab (`crontab -l`, then `crontab -`): a line carrying
    this book's mark is replaced, never duplicated; every other line is kept as it was."""
    try:
        listed = subprocess.run(["crontab", "-l"], capture_output=True, text=True, env=env, check=False)
    except OSError as exc:
        raise ConfigError(C.SCHEDULE_NO_CRONTAB(error=str(exc)), C.SCHEDULE_NO_CRONTAB_FIX()) from None
    # `crontab -l` fails when the user has no crontab yet: that is an empty one
    lines = listed.stdout.splitlines() if listed.returncode == 0 else []
    mark = f"{MARK} {plan.book}"
    kept = [line for line in lines if not line.rstrip().endswith(mark)]
    text = "\n".join([*kept, plan.cron_line()]) + "\n"
    written = subprocess.run(["crontab", "-"], input=text, capture_output=True, text=True, env=env, check=False)
    if written.returncode != 0:
        raise ConfigError(C.SCHEDULE_CRONTAB_REFUSED(error=(written.stderr or written.stdout).strip()[:300]),
                          C.SCHEDULE_NO_CRONTAB_FIX())
    return Installed(replaced=len(lines) - len(kept))


def install_systemd(plan: Schedule, config_home: Path, lang: str) -> Installed:
    """Write the service and timer units under `config_home`/systemd/user (XDG_CONFIG_HOME)."""
    folder = config_home / "systemd" / "user"
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for suffix, text in (("service", plan.service_unit(C.SCHEDULE_SERVICE_DESCRIPTION(book=plan.book), lang)),
                         ("timer", plan.timer_unit(C.SCHEDULE_TIMER_DESCRIPTION(book=plan.book.name), lang))):
        path = folder / f"{plan.name}.{suffix}"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return Installed(files=tuple(files))


def texts(plan: Schedule, lang: str) -> Sequence[tuple[Said, str]]:
    """What `relance schedule` prints: each way to run the job, its title and its text."""
    return (
        (C.SCHEDULE_CRON_TITLE(), plan.cron_line()),
        (C.SCHEDULE_SYSTEMD_TITLE(name=plan.name),
         f"# ~/.config/systemd/user/{plan.name}.service\n"
         + plan.service_unit(C.SCHEDULE_SERVICE_DESCRIPTION(book=plan.book), lang)
         + f"\n# ~/.config/systemd/user/{plan.name}.timer\n"
         + plan.timer_unit(C.SCHEDULE_TIMER_DESCRIPTION(book=plan.book.name), lang)
         + f"\nsystemctl --user daemon-reload && systemctl --user enable --now {plan.name}.timer"),
        (C.SCHEDULE_WINDOWS_TITLE(), plan.schtasks()),
    )
