"""Real `relance run --channel mailjet|smtp` processes killed with SIGKILL, then run again.

The same proof as tests/test_crash.py (the outbox), with the providers: the loopback Mailjet
(tests/servers/mailjet.py) and a real SMTP server (aiosmtpd) live in the test process, so they
outlive every kill and count what they were handed (a received-log each: one line per message
taken, written before the provider answers). Every customer is owed an e-mail and a text message
(after `relance baseline --step reminder_1`): Mailjet sends both (the text message through its SMS
API, which cannot be asked afterwards); SMTP sends the e-mails and files the text messages in the
outbox folder.

A trial copies the book and kills runs one after the other, each at a point chosen at random
(seeded; the seed is printed on failure):
- by the provider's received count: the process is killed as soon as the provider has taken n
  messages, that is after the provider accepted and before `sent` can be written (n = 0: after
  the pending write or before it, while reading);
- by the workbook's save: killed once the n-th temporary file of the workbook appears (the
  pending save, the final one);
- by time, anywhere from the start to the end of a run.
The first run that ends by itself ends the killing; then reruns until two in a row have nothing
left to do. With Mailjet, half of the trials run with Mailjet "lagging" (messages taken are not
yet listed by the lookup) and the default MAILJET_LOOKUP_GRACE: a `pending` row the lookup does
not find must stay `pending`, never resent; then the lag is over and "half an hour has passed"
(MAILJET_LOOKUP_GRACE=0 for the last reruns): each such row is completed (`sent`, Mailjet's id)
or, when Mailjet never had it, sent now. The other half run without lag and with no grace.

Messages through a transport that cannot be asked (SMTP's e-mails, Mailjet's text messages) are
noted in the run's attempt journal just before they are handed over, and their answer just after
(channels/attempts.py): so a kill leaves at most one of them `unknown`, the one being handed over.

Checked at the end of every trial:
- zero duplicates: no CustomID (Mailjet), no Message-ID (SMTP), no text message (Mailjet SMS, by
  number; SMTP's, by outbox file) received twice;
- zero lost: every e-mail through Mailjet was received exactly once and History says `sent` with
  Mailjet's id; every other message is either received exactly once and `sent` in History with its
  id, or left `unknown` ("à vérifier") for a person, received at most once, never resent; at
  most one `unknown` row per kill; nothing is left `pending`;
- the workbook opens (python-calamine reads it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from python_calamine import CalamineWorkbook

from cloudkit import small_book
from crashkit import serve
from relance.channels.mailjet import e164
from servers.mailjet import FakeMailjet
from servers.smtp import Handler, SmtpServer

# One xdist worker runs the crash tests one after the other: each already runs two trials side by
# side (two zygotes), and two of them at once would put four on this machine's two cores.
pytestmark = [pytest.mark.skipif(os.name != "posix" or not hasattr(os, "fork"), reason="needs fork and SIGKILL"),
              pytest.mark.xdist_group("crash")]

CUSTOMERS = 6  # 12 messages a run
KILL_POINTS = 100  # per provider, at least
REAL_PROCESSES = 2  # trials (per provider) whose first run is started from the console script
MAX_KILLS = 6  # killed runs in a row on one book, at most
WORKERS = 2
SEED = int(os.environ.get("RELANCE_CRASH_SEED", "20261201"))
TESTS = Path(__file__).parent
RELANCE = Path(sys.executable).parent / "relance"
TEMP = ".~relance-tmp."
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.MULTILINE | re.IGNORECASE)


# --------------------------------------------------------------------------- killing, from outside
def lines_in(path: str, seen: dict[str, int]) -> int:
    """Lines of the received-log (counted again only when its size changed)."""
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        return 0
    if size != seen.get("size"):
        with open(path, "rb") as f:
            seen["lines"] = f.read().count(b"\n")
        seen["size"] = size
    return seen.get("lines", 0)


def watch(pid: int, ended: Callable[[], int | None], kill: dict[str, object]) -> tuple[int, bool, int]:
    """Wait for `pid` to end, or SIGKILL it at the kill point; (exit code, killed, provider count).

    `kill`: {"log": path, "lines": n} (once the provider's log holds n lines), {"save": folder,
    "nth": n} (once the n-th workbook temporary file has appeared in that folder), or {"after":
    seconds}. Only our own child is killed, before it is reaped (its pid cannot have been reused).
    """
    start = time.monotonic()
    log = str(kill.get("log", ""))
    seen: dict[str, int] = {}
    temps: set[str] = set()
    while True:
        code = ended()
        if code is not None:
            return code, False, lines_in(log, seen) if log else 0
        if "lines" in kill:
            due = lines_in(log, seen) >= int(kill["lines"])  # type: ignore[call-overload]
        elif "save" in kill:
            with os.scandir(str(kill["save"])) as it:
                temps.update(e.name for e in it if e.name.startswith(TEMP))
            due = len(temps) >= int(kill["nth"])  # type: ignore[call-overload]
        else:
            due = time.monotonic() - start >= float(kill["after"])  # type: ignore[arg-type]
        if due:
            os.kill(pid, signal.SIGKILL)
            count = lines_in(log, seen) if log else 0
            while (code := ended()) is None:
                time.sleep(0.0005)
            return code, code == -signal.SIGKILL, count
        time.sleep(0.0002)  # polling what can be seen from outside, not waiting for a guessed moment


def zygote(warm_up: str, channel: str) -> None:
    """Imports relance and the provider's client once, warms up with a run of its own (outbox), then
    forks one `relance ...` process per request line, with the request's environment added, watches
    it, kills it at the point asked, reaps it and answers one line."""

    import mailjet_rest  # noqa: F401 - imported once here, not in every child
    import phonenumbers  # noqa: F401

    serve(warm_up, watch, "count")


class Zygote:
    def __init__(self, warm_up: Path, channel: str, env: dict[str, str]) -> None:
        self.env = {**os.environ, **env,
                    "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"import test_crash_providers as t; t.zygote({str(warm_up)!r}, {channel!r})"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=self.env, cwd=TESTS)

    def run(self, argv: list[str], cwd: Path, stdout: Path, kill: dict[str, object],
            env: dict[str, str]) -> dict[str, object]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"argv": argv, "cwd": str(cwd), "stdout": str(stdout),
                                             "kill": kill, "env": env}) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], 120)  # a hang guard only
        assert ready, "the zygote did not answer"
        return json.loads(self.process.stdout.readline())

    def real(self, argv: list[str], cwd: Path, stdout: Path, kill: dict[str, object],
             env: dict[str, str]) -> dict[str, object]:
        """The same run, from the console script, as a user starts it."""
        with open(stdout, "wb") as out:
            child = subprocess.Popen([str(RELANCE), *argv], cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                     env={**self.env, **env})
        code, killed, count = watch(child.pid, child.poll, kill)
        return {"code": code, "killed": killed, "count": count}

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


# --------------------------------------------------------------------------- the book
@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The book after `relance baseline --step reminder_1` a week ago, and the actions a run plans
    (action key -> channel)."""
    from typer.testing import CliRunner

    from relance.cli import app

    folder = tmp_path_factory.mktemp("template")
    book = folder / "book.xlsx"
    today = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    small_book(book, CUSTOMERS, phones=True)
    runner = CliRunner()
    done = runner.invoke(app, ["baseline", str(book), "--step", "reminder_1",
                               "--as-of", (today - dt.timedelta(days=7)).isoformat()])
    assert done.exit_code == 0, done.output
    plan = json.loads(runner.invoke(app, ["plan", str(book), "--json"]).output)
    actions = {a["action_key"]: a["channel"] for a in plan["actions"]}
    assert Counter(actions.values()) == {"email": CUSTOMERS, "sms": CUSTOMERS}
    return book, actions


def history(book: Path) -> list[dict[str, object]]:
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Historique").to_python()
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


# --------------------------------------------------------------------------- the providers
class LoggingHandler(Handler):
    """aiosmtpd's handler of tests/servers/smtp.py, also writing a line per message it takes to a
    log file (before it answers), for the watcher in another process."""

    log: str = ""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        found = MESSAGE_ID.search(envelope.original_content or b"")
        if self.log:
            with open(self.log, "a", encoding="utf-8") as f:
                f.write(json.dumps({"Message-ID": found[1].decode() if found else ""}) + "\n")
        return await super().handle_DATA(server, session, envelope)


@dataclass
class Provider:
    """One worker's provider, reset at the start of each of its trials."""

    name: str
    env: dict[str, str]
    mailjet: FakeMailjet | None = None
    smtp: SmtpServer | None = None

    def reset(self, log: Path, lag: bool) -> None:
        if self.mailjet is not None:
            with self.mailjet.lock:
                self.mailjet.messages.clear()
                self.mailjet.sms.clear()
                self.mailjet.hidden.clear()
                self.mailjet.log = str(log)
                self.mailjet.lag = lag
        else:
            assert self.smtp is not None
            handler = self.smtp.handler
            assert isinstance(handler, LoggingHandler)
            with handler.lock:
                handler.received.clear()
                handler.log = str(log)

    def catch_up(self) -> None:
        if self.mailjet is not None:
            self.mailjet.lag = False
            self.mailjet.catch_up()


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    killed: int = 0
    completed: int = 0
    trials: int = 0
    real: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    at_count: Counter[int] = field(default_factory=Counter)
    unknown: int = 0  # rows left `unknown` for a person
    unknown_received: int = 0  # of which the provider did take the message
    held: int = 0  # Mailjet rows kept `pending` while Mailjet lagged (settled once it caught up)
    failures: list[str] = field(default_factory=list)


def check_trial(provider: Provider, book: Path, actions: dict[str, str], work: Path,
                tally: Tally) -> int:
    """Checks one trial's end (see the module's doc); how many rows were left `unknown`."""
    rows = history(book)  # the workbook opens
    assert not [r for r in rows if r["statut"] == "en attente"], "nothing left pending"
    by_key: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        if r["cle_action"] in actions:
            by_key.setdefault(str(r["cle_action"]), []).append(r)
    sent = {k: [r for r in v if r["statut"] == "envoyé"] for k, v in by_key.items()}
    unknown = {k: [r for r in v if r["statut"] == "à vérifier"] for k, v in by_key.items()}
    phone = {k: str(r["destinataire"]) for k, v in by_key.items() for r in v}
    received_email: Counter[str] = Counter()
    ids: dict[str, str] = {}
    received_sms: Counter[str] = Counter()
    if provider.mailjet is not None:
        for m in provider.mailjet.messages:
            received_email[m["CustomID"]] += 1
            ids[m["CustomID"]] = str(m["ID"])
        for s in provider.mailjet.sms:
            received_sms[s["To"]] += 1
            ids[s["To"]] = str(s["MessageId"])
        assert max(received_sms.values(), default=0) <= 1, f"a text message received twice: {received_sms}"
    else:
        assert provider.smtp is not None
        for got in provider.smtp.received:
            found = MESSAGE_ID.search(got.data)
            assert found, "every e-mail carries its Message-ID"
            received_email[found[1].decode()] += 1
    assert max(received_email.values(), default=0) <= 1, f"received twice: {received_email}"
    for key, channel in actions.items():
        assert len(sent.get(key, [])) + len(unknown.get(key, [])) == 1, \
            f"{key}: one outcome per action, sent or left to a person: {by_key.get(key)}"
        if provider.mailjet is not None and channel == "email":
            assert received_email[key] == 1, f"{key}: received exactly once by Mailjet"
            assert sent.get(key) and str(sent[key][0]["id_message"]) == ids[key], f"{key}: Mailjet's id in History"
        elif provider.mailjet is not None:  # text messages: the SMS API cannot be asked
            number = e164(phone[key], "FR") or ""
            if sent.get(key):
                assert received_sms[number] == 1 and str(sent[key][0]["id_message"]) == ids[number], key
            else:
                tally.unknown += 1
                tally.unknown_received += received_sms[number]
        elif channel == "email":  # SMTP: the server cannot be asked
            mid = f"<{key}@dumas.example>"
            if sent.get(key):
                assert received_email[mid] == 1 and str(sent[key][0]["id_message"]) == mid, key
            else:
                tally.unknown += 1
                tally.unknown_received += received_email[mid]
        else:  # SMTP files text messages in the outbox: asked there, never unknown
            assert sent.get(key), f"{key}: a text message filed in the outbox is settled from there"
            filed = [p for p in (work / "book_outbox").iterdir() if p.name.endswith(f"_{key}.sms.txt")]
            assert len(filed) == 1, f"{key}: filed once"
    assert not [p.name for p in (work / "book_outbox").iterdir() if p.name.endswith(".tmp")] \
        if (work / "book_outbox").is_dir() else True
    return sum(len(v) for v in unknown.values())


def trials(zygote: Zygote, provider: Provider, book0: Path, actions: dict[str, str], root: Path,
           tally: Tally) -> None:
    """Trials one after the other until the kill points are reached (shared by the workers)."""
    durations: list[float] = [0.3]
    argv = ["run", "book.xlsx", "--anytime", "--json", "--channel", provider.name]
    while True:
        with tally.lock:
            if tally.killed >= KILL_POINTS:
                return
            tally.trials += 1
            trial = tally.trials
            real = tally.real < REAL_PROCESSES
            tally.real += real
        seed = SEED + trial + (0 if provider.name == "mailjet" else 10**6)
        rnd = random.Random(seed)
        work = root / f"t{trial}"
        work.mkdir()
        book = work / "book.xlsx"
        shutil.copy(book0, book)
        log = work / "received.jsonl"
        lag = provider.mailjet is not None and rnd.random() < 0.5
        provider.reset(log, lag)
        # what the provider is handed: every message (Mailjet), the e-mails only (SMTP)
        total = len(actions) if provider.mailjet is not None else list(actions.values()).count("email")
        env = {} if lag else {"MAILJET_LOOKUP_GRACE": "0"}
        try:
            kills = 0
            for n in range(MAX_KILLS):  # killed runs, until one ends by itself
                taken = lines_in(str(log), {})
                left = total - taken
                pick = rnd.random()
                if pick < 0.45:  # by the provider's count: after it accepted, before `sent` is written
                    kill: dict[str, object] = {"lines": taken + rnd.randint(0, left), "log": str(log)}
                elif pick < 0.6:  # during the pending save or the final one
                    kill = {"save": str(work), "nth": rnd.randint(1, 2), "log": str(log)}
                else:  # by time: anywhere from the start (reading) to the end (saving)
                    kill = {"after": rnd.uniform(0, 1.2 * max(durations[-20:])), "log": str(log)}
                launch = zygote.real if real and n == 0 else zygote.run
                began = time.monotonic()
                outcome = launch(argv, work, work / f"run{n}.out", kill, env)
                if outcome["killed"]:
                    kills += 1
                    with tally.lock:
                        tally.killed += 1
                        tally.kinds["count" if "lines" in kill else "save" if "save" in kill else "time"] += 1
                        if "lines" in kill:
                            tally.at_count[int(outcome["count"])] += 1  # type: ignore[call-overload]
                    continue
                if launch == zygote.run:
                    durations.append(time.monotonic() - began)
                assert outcome["code"] in (0, 4), (work / f"run{n}.out").read_text()
                with tally.lock:
                    tally.completed += 1
                break
            if lag:  # while Mailjet lags, a crashed row it does not list stays pending: never resent
                outcome = zygote.run(argv, work, work / "run_lag.out", {"lines": 10**6, "log": str(log)}, env)
                assert outcome["code"] in (0, 4), (work / "run_lag.out").read_text()
                held = [r for r in history(book) if r["statut"] == "en attente"]
                assert all(str(r["transport"]).startswith("mailjet:") for r in held), held
                with tally.lock:
                    tally.held += len(held)
                provider.catch_up()
                env = {"MAILJET_LOOKUP_GRACE": "0"}  # half an hour later
            idle = 0
            for n in range(100, 108):  # then reruns until two in a row have nothing to do
                outcome = zygote.run(argv, work, work / f"run{n}.out", {"lines": 10**6, "log": str(log)}, env)
                assert outcome["code"] == 0, (work / f"run{n}.out").read_text()
                data = json.loads((work / f"run{n}.out").read_text())
                idle = 0 if data["sent"] or data["settled_pending"] or data["failed"] else idle + 1
                if idle == 2:
                    break
            else:
                pytest.fail("still sending after eight reruns")
            left_to_a_person = check_trial(provider, book, actions, work, tally)
            # the attempt journal: only a message being handed over when the kill came is `unknown`
            assert left_to_a_person <= kills, f"{left_to_a_person} rows unknown after {kills} kills"
        except BaseException as exc:
            with tally.lock:
                tally.failures.append(f"{provider.name} trial {trial} (seed {seed}, lag {lag}, {work}): {exc}")
            raise


def run_provider(name: str, book0: Path, actions: dict[str, str], root: Path) -> Tally:
    tally = Tally()
    providers: list[Provider] = []
    servers: list[FakeMailjet | SmtpServer] = []
    try:
        for _ in range(WORKERS):
            if name == "mailjet":
                fake = FakeMailjet()
                fake.__enter__()
                servers.append(fake)
                providers.append(Provider(name, {
                    "MAILJET_API_KEY": fake.key, "MAILJET_API_SECRET": fake.secret,
                    "MAILJET_SMS_TOKEN": fake.sms_token, "MAILJET_API_URL": fake.url,
                    "MAILJET_TIMEOUT": "20", "MAILJET_RETRY_WAIT": "0"}, mailjet=fake))
            else:
                server = SmtpServer(LoggingHandler())
                server.__enter__()
                servers.append(server)
                providers.append(Provider(name, {
                    "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port), "SMTP_SECURITY": "none",
                    "SMTP_TIMEOUT": "20", "SMTP_RETRY_WAIT": "0"}, smtp=server))
        zygotes = [Zygote(book0, name, p.env) for p in providers]
        try:
            with ThreadPoolExecutor(WORKERS) as pool:
                done = [pool.submit(trials, z, p, book0, actions, root, tally) for z, p in zip(zygotes, providers, strict=True)]
                for d in done:
                    d.exception()
                for d in done:
                    d.result()
        finally:
            for z in zygotes:
                z.close()
    except BaseException:
        print(f"\nRELANCE_CRASH_SEED={SEED}; failed trials: {tally.failures}")
        raise
    finally:
        for s in servers:
            s.__exit__(None, None, None)
    return tally


@pytest.mark.parametrize("name", ["mailjet", "smtp"])
def test_killed_runs_never_lose_nor_repeat_a_message_at_the_provider(name, template, tmp_path):
    book0, actions = template
    start = time.monotonic()
    tally = run_provider(name, book0, actions, tmp_path)
    print(f"\n{name}: {tally.killed} kill points {dict(tally.kinds)} over {tally.trials} trials "
          f"({REAL_PROCESSES} opened by the console script), {tally.completed} killing runs ended by themselves; "
          f"{time.monotonic() - start:.1f} s; provider count when killed: {sorted(tally.at_count.items())}; "
          f"left to a person (unknown): {tally.unknown}, of which the provider took {tally.unknown_received}; "
          f"kept pending while Mailjet lagged: {tally.held}; seed {SEED}")
    assert tally.killed >= KILL_POINTS
    assert len(tally.at_count) >= len(actions) // 2  # kills spread over the sending, not bunched
    assert tally.kinds["save"] > 0 and tally.kinds["time"] > 0
