"""Issue 15 item 4: a run's many messages (e-mails, SMS, call scripts, letters) are composed on
every core (app/compose_pool.py, app/executor.py `compose`), and what composing gives is exactly
what the serial compose gave (tests/reference_compose.py): the same actions, messages, PDF bytes,
scripts and anomalies in the same order, on generated books too; and whatever breaks in the pool
(a worker killed, a result that cannot cross the process boundary, the hang guard, other
threads), nothing is lost and nothing is composed twice: the outbox files and History rows of a
run are byte for byte those of a serial run. A run killed while its workers compose leaves no
worker behind."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import os
import select
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from books import book, planned, simulate
from conftest import CUSTOMERS_HEADER, customer, invoice
from reference_compose import reference_compose
from relance.app import compose_pool, executor, letter_pool
from relance.app.executor import compose, execute
from relance.app.templates import message_renderer, template_overrides
from relance.channels.outbox import OutboxChannel
from relance.engine.book import Book
from relance.engine.history import HistoryIndex
from relance.render.messages import Renderer

DAY = dt.date(2025, 3, 31)
NOW = dt.datetime(2025, 3, 31, 9, 0, tzinfo=dt.UTC)
OFFSETS = (-5, 1, 7, 15, 21, 30, 45)  # the standard ladder's days: every step falls on DAY for someone
MODELES = ["modele", "langue", "partie", "contenu"]
#: A letter paragraph that leaves out the amount claimed: R520, the shipped paragraph printed.
SHORT_DEMAND = "{% block demand %}Payez.{% endblock %}{% block paid_meanwhile %}Déjà réglé ? " \
               "{{ letter.reference }}{% endblock %}"
#: A template that goes past the steps bound (limit): R701 once, the template stopped for the run.
ENDLESS = "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}"


def _book(customers: int = 70, *, seed: int = 0, **extra: Any) -> Book:
    """`customers` customers spread over every step of the standard ladder on DAY (e-mails, SMS,
    calls, formal notices by e-mail and letter), French and English, businesses and consumers,
    one to four invoices each; History as the earlier days' runs wrote it."""
    people, bills = [], []
    for i in range(customers):
        cid = f"C{i:02d}"
        k = i + seed
        people.append([*customer(cid, langue="en" if k % 4 == 3 else "fr", type_client="B2C" if k % 5 == 4 else "B2B",
                                 telephone="+33612345678" if k % 3 == 0 else "",
                                 raison_sociale=f"Établissements n° {i} & Fils" * (1 + k % 2)),
                       f"{i} rue des Lilas", "69003", "Lyon"])
        due = DAY - dt.timedelta(days=OFFSETS[k % len(OFFSETS)])
        for j in range(1 + (k * 5) % 4):
            bills.append(invoice(f"F{i:02d}-{j}", cid, (due - dt.timedelta(days=30)).isoformat(), due.isoformat(),
                                 100 + 17 * j + k))
    b = book([], bills, Clients=[[*CUSTOMERS_HEADER, "adresse", "code_postal", "ville"], *people],
             settings={"company_address": "1 rue des Artisans;75011 Paris", "signatory_name": "Claire Dumas"},
             **extra)
    b, _ = simulate(b, [DAY - dt.timedelta(days=d) for d in range(50, 0, -1)], approve=True)
    return b


def _compose(b: Book, monkeypatch: pytest.MonkeyPatch, *, pooled: bool, renderer: Renderer | None = None,
             chunk: int = compose_pool.CHUNK) -> Any:
    p = planned(b, DAY)
    with monkeypatch.context() as patched:
        patched.setattr(compose_pool, "MIN_POOLED", 4 if pooled else 10**9)
        patched.setattr(compose_pool, "CHUNK", chunk)
        patched.setattr(letter_pool, "forkable", lambda: True)  # whatever threads earlier tests left
        return compose(p.plan, b, p.positions, renderer or message_renderer(b),
                       HistoryIndex.build([*b.archived, *b.history]))


def _reference(b: Book, renderer: Renderer | None = None) -> Any:
    p = planned(b, DAY)
    return reference_compose(p.plan, b, p.positions, renderer or message_renderer(b))


def _pooled_items(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Spy on the pool: how many items each run of it gave back (-1: it did not start)."""
    seen: list[int] = []
    run = compose_pool.run_forked

    def spy(total: int, part: Any, **kw: Any) -> Any:
        found = run(total, part, **kw)
        seen.append(-1 if found is None else sum(1 for item in found if item not in (None, executor.SKIPPED)))
        return found

    monkeypatch.setattr(compose_pool, "run_forked", spy)
    return seen


def test_every_kind_of_message_composed_in_the_pool_is_the_serial_one(monkeypatch: pytest.MonkeyPatch) -> None:
    b = _book(Modeles=[MODELES, ["formal_notice", "fr", "letter", SHORT_DEMAND]])
    pooled_items = _pooled_items(monkeypatch)
    serial, serial_anomalies = _reference(b)
    pooled, pooled_anomalies = _compose(b, monkeypatch, pooled=True, chunk=5)
    kinds = Counter(a.channel for a, _, _ in serial)
    assert kinds["email"] >= 40 and kinds["sms"] and kinds["call"] and kinds["letter"]  # every kind
    assert any(script for _, m, script in serial if m is None)  # call scripts
    assert pooled_items and pooled_items[0] > len(serial) // 2  # most composed in the workers
    assert pooled == serial  # actions, messages, PDF bytes and attachments, scripts, in the same order
    assert pooled_anomalies == serial_anomalies and {a.code for a in serial_anomalies} == {"R520"}
    # the unpooled path (fewer actions than MIN_POOLED) is the reference too
    assert _compose(b, monkeypatch, pooled=False) == (serial, serial_anomalies)


def test_broken_and_bounded_templates_fail_as_in_a_serial_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A template that does not compile (R701 once, each of its actions failed), one that goes past
    a bound (R701 once, then stopped for the run), a letter paragraph left out (R520)."""
    b = _book(Modeles=[MODELES, ["reminder_1", "fr", "html", "{% if %}broken"],
                       ["reminder_2", "fr", "text", ENDLESS],
                       ["formal_notice", "fr", "letter", SHORT_DEMAND]])
    serial, serial_anomalies = _reference(b)
    pooled, pooled_anomalies = _compose(b, monkeypatch, pooled=True, chunk=3)
    assert pooled == serial and pooled_anomalies == serial_anomalies
    codes = Counter(a.code for a in serial_anomalies)
    assert codes["R701"] == 2 and codes["R520"] >= 1 and set(codes) == {"R701", "R520"}
    assert not any(a.template in ("reminder_1", "reminder_2") and a.language == "fr" for a, _, _ in serial)
    assert any(a.template == "reminder_2" and a.language == "fr" for a in planned(b, DAY).plan.to_send)


class _Fails(Renderer):
    """The shipped templates, except that one customer's messages raise an error that is no
    template problem: composing raises it, pooled or not (the worker leaves it to the parent)."""

    def render(self, template: str, lang: str, part: str, context: Any) -> str:
        if context["customer"]["id"] == "C33":
            raise ZeroDivisionError("C33")
        return super().render(template, lang, part, context)

    def preset(self) -> Renderer:
        return self


def test_an_error_is_raised_as_in_a_serial_run(monkeypatch: pytest.MonkeyPatch) -> None:
    b = _book()
    files = message_renderer(b)._files
    with pytest.raises(ZeroDivisionError, match="C33"):
        _reference(b, _Fails(files))
    with pytest.raises(ZeroDivisionError, match="C33"):
        _compose(b, monkeypatch, pooled=True, renderer=_Fails(files), chunk=4)


class _DiesInWorker(Renderer):
    """A renderer that kills the worker process composing customer C40's messages (fault injection:
    a worker killed mid-chunk, by the OOM killer say)."""

    parent = os.getpid()

    def render(self, template: str, lang: str, part: str, context: Any) -> str:
        if os.getpid() != self.parent and context["customer"]["id"] == "C40":
            os._exit(3)
        return super().render(template, lang, part, context)


class _Unpicklable(str):
    def __reduce__(self) -> Any:
        raise TypeError("cannot cross a process boundary")


class _UnpicklableInWorker(Renderer):
    """A renderer whose text for customer C41 cannot be pickled back from a worker."""

    parent = os.getpid()

    def render(self, template: str, lang: str, part: str, context: Any) -> str:
        text = super().render(template, lang, part, context)
        return _Unpicklable(text) if os.getpid() != self.parent and context["customer"]["id"] == "C41" else text


@pytest.mark.parametrize("faulty", [_DiesInWorker, _UnpicklableInWorker])
def test_what_a_broken_pool_does_not_give_back_is_composed_here_once(
        monkeypatch: pytest.MonkeyPatch, faulty: type[Renderer]) -> None:
    b = _book()
    serial, serial_anomalies = _reference(b)
    pooled_items = _pooled_items(monkeypatch)
    pooled, pooled_anomalies = _compose(b, monkeypatch, pooled=True, renderer=faulty(message_renderer(b)._files),
                                        chunk=4)
    assert pooled_items and 0 <= pooled_items[0] < len(serial)  # some did not come back
    assert pooled == serial and pooled_anomalies == serial_anomalies
    assert len({a.key for a, _, _ in pooled}) == len(pooled)  # none twice


def test_a_hung_pool_is_ended_and_its_actions_composed_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hang guard at zero: the workers have not answered yet, so they are ended (not waited
    for) and what they did not give back is composed here."""
    monkeypatch.setattr(letter_pool, "HANG_GUARD", 0.0)
    monkeypatch.setattr(letter_pool, "HANG_GUARD_PER_LETTER", 0.0)
    b = _book()
    assert _compose(b, monkeypatch, pooled=True, chunk=2) == _reference(b)


def test_no_pool_with_other_threads_one_core_or_few_actions() -> None:
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert compose_pool.run_forked(100, lambda a, b: list(range(a, b)), workers=2) is None
    finally:
        release.set()
        other.join()
    assert compose_pool.run_forked(100, lambda a, b: list(range(a, b)), workers=1) is None
    assert compose_pool.run_forked(3, lambda a, b: list(range(a, b)), workers=2, minimum=4) is None


def test_the_pool_gives_every_item_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(letter_pool, "forkable", lambda: True)
    got = compose_pool.run_forked(1000, lambda a, b: [(i, os.getpid()) for i in range(a, b)], workers=2, chunk=7)
    assert got is not None and [i for i, _ in got] == list(range(1000))  # type: ignore[misc]
    assert os.getpid() not in {pid for _, pid in got}  # type: ignore[misc]
    assert len({pid for _, pid in got}) == 2  # type: ignore[misc]


def test_no_pool_when_the_memory_left_cannot_hold_what_the_workers_copy(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    meminfo, status, cgroup = tmp_path / "meminfo", tmp_path / "status", tmp_path / "cgroup"
    cgroup.mkdir()
    meminfo.write_text("MemTotal:       24684000 kB\nMemAvailable:    2000000 kB\n")
    status.write_text("Name:\tpython\nVmRSS:\t  400000 kB\n")
    assert compose_pool.memory_room(meminfo, cgroup) == 2000000 * 1024  # no cgroup limit said
    (cgroup / "memory.max").write_text("max\n")
    assert compose_pool.memory_room(meminfo, cgroup) == 2000000 * 1024
    (cgroup / "memory.max").write_text(f"{1024**3}\n")
    (cgroup / "memory.current").write_text(f"{900 * 1024**2}\n")
    assert compose_pool.memory_room(meminfo, cgroup) == 124 * 1024**2  # the group's limit is nearer
    assert compose_pool.memory_room(tmp_path / "absent", tmp_path / "absent") is None
    assert compose_pool.resident(status) == 400000 * 1024
    assert compose_pool.resident(tmp_path / "absent") is None
    assert compose_pool.resident() is not None and compose_pool.memory_room() is not None  # this machine's
    monkeypatch.setattr(letter_pool, "forkable", lambda: True)
    assert compose_pool.roomy()
    monkeypatch.setattr(compose_pool, "MEMORY_SHARE", 10.0**12)
    assert not compose_pool.roomy()
    assert compose_pool.run_forked(100, lambda a, b: list(range(a, b)), workers=2) is None


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(customers=st.integers(8, 60), seed=st.integers(0, 1000), chunk=st.integers(1, 20))
def test_generated_books_compose_as_the_reference(monkeypatch: pytest.MonkeyPatch, customers: int, seed: int,
                                                  chunk: int) -> None:
    b = _book(customers, seed=seed)
    assert _compose(b, monkeypatch, pooled=True, chunk=chunk) == _reference(b)


def _run(b: Book, folder: Path, monkeypatch: pytest.MonkeyPatch, *, pooled: bool,
         renderer: Renderer | None = None) -> tuple[list[Any], dict[str, bytes], list[list[Any]]]:
    """A whole execution into an outbox (the same run id and time): History rows as saved
    `pending` then completed, every file of the outbox, the Taches rows."""
    p = planned(b, DAY)
    saved: list[Any] = []

    def save_pending(rows: Any) -> None:
        saved.extend(rows)
        assert not any(folder.glob("*.eml"))  # History `pending` before anything leaves

    with monkeypatch.context() as patched:
        patched.setattr(compose_pool, "MIN_POOLED", 4 if pooled else 10**9)
        patched.setattr(compose_pool, "CHUNK", 4)
        patched.setattr(letter_pool, "forkable", lambda: True)
        channel = OutboxChannel(folder, NOW.isoformat(), NOW)
        try:
            result = execute(p.plan, b, p.positions, renderer or message_renderer(b), channel, "run-1", NOW,
                             save_pending)
        finally:
            channel.close()
    files = {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file()}
    folder.rename(folder.with_name(f"{folder.name}-{'pooled' if pooled else 'serial'}"))  # the next run: afresh
    return [saved, result.entries], files, result.task_rows


@pytest.mark.parametrize("faulty", [None, _DiesInWorker])
def test_a_pooled_run_files_the_serial_run_byte_for_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         faulty: type[Renderer] | None) -> None:
    b = _book(Modeles=[MODELES, ["formal_notice", "fr", "letter", SHORT_DEMAND]])
    rows, files, tasks = _run(b, tmp_path / "outbox", monkeypatch, pooled=False)
    renderer = faulty(message_renderer(b)._files, template_overrides(b)) if faulty else None  # its Modeles rows too
    assert _run(b, tmp_path / "outbox", monkeypatch, pooled=True, renderer=renderer) == (rows, files, tasks)
    assert sum(name.endswith(".eml") for name in files) >= 40 and any(name.endswith(".pdf") for name in files)
    index = [json.loads(line) for line in files["index.jsonl"].splitlines()]
    assert len({line["action_key"] for line in index}) == len(index) == len(rows[1]) - len(tasks)  # none twice


#: A run composing in a pool whose workers each say they started (their pid on a pipe), then
#: never end (blocked); each process of it holds the write end of the `alive` pipe.
KILLED_RUN = """
import os, sys, threading
sys.path[:0] = {paths!r}
PARENT = os.getpid()
import pytest
from books import planned
from test_compose_pool import DAY, _book
from relance.app import compose_pool, letter_pool
from relance.app.executor import compose
from relance.app.templates import message_renderer, template_overrides
from relance.engine.history import HistoryIndex
from relance.render.messages import Renderer

class Blocks(Renderer):
    def render(self, template, lang, part, context):
        if os.getpid() != PARENT:
            os.write({started}, f"{{os.getpid()}}\\n".encode())
            threading.Event().wait()
        return super().render(template, lang, part, context)

b = _book(20)
patched = pytest.MonkeyPatch()
patched.setattr(compose_pool, "MIN_POOLED", 4)
patched.setattr(compose_pool, "CHUNK", 2)
patched.setattr(letter_pool, "forkable", lambda: True)
p = planned(b, DAY)
compose(p.plan, b, p.positions, Blocks(message_renderer(b)._files), HistoryIndex.build(b.history))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the pool forks on Linux only")
def test_a_run_killed_while_composing_leaves_no_worker_behind(tmp_path: Path) -> None:
    """The run is killed (SIGKILL: no cleanup of its own) while both workers compose: they end
    with it (PR_SET_PDEATHSIG), none is left waiting for ever for work that will never come.
    Every process of the run holds the write end of a pipe: when they are all gone, it reads
    end of file (120 s: a hang guard only)."""
    tests = Path(__file__).parent
    started_r, started_w = os.pipe()
    alive_r, alive_w = os.pipe()
    script = tmp_path / "run.py"
    script.write_text(KILLED_RUN.format(paths=[str(tests), str(tests.parent / "src")], started=started_w))
    process = subprocess.Popen([sys.executable, str(script)], pass_fds=(started_w, alive_w),
                               stdout=subprocess.DEVNULL)
    os.close(started_w)
    os.close(alive_w)
    workers: set[int] = set()
    said = b""
    try:
        while len(workers) < 2:
            ready, _, _ = select.select([started_r], [], [], 120)
            more = os.read(started_r, 4096) if ready else b""
            assert more, process.poll()  # the run ended, or the hang guard
            said += more
            workers = {int(pid) for pid in said.split()}
        assert all(Path(f"/proc/{pid}").exists() for pid in workers)
        process.send_signal(signal.SIGKILL)
        process.wait()
        ready, _, _ = select.select([alive_r], [], [], 120)
        assert ready and os.read(alive_r, 1) == b""  # every process of the run is gone
    finally:
        os.close(started_r)
        os.close(alive_r)
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()


# --------------------------------------------------------------------------- s21-memory: held packed, let go once filed


def test_a_pack_gives_each_message_back_once_and_forgets_it() -> None:
    """A worker's chunk travels and waits packed (pickled, compressed); each message's fields come
    back as they were, once, and the pack keeps nothing of a message taken."""
    fields = [("a@x.fr", "Ateliers", "", f"Relance n° {i}", "<p>Bonjour\u202f!</p>" * i, "Bonjour\u202f!", None, ())
              for i in range(5)]
    pack = executor._Pack(fields)
    assert len(pack.blob) < sum(len(repr(f)) for f in fields)
    assert [pack.take(i) for i in range(5)] == fields
    assert pack.blob == b"" and pack.opened == [None] * 5
    with pytest.raises(AssertionError):
        pack.take(0)


class _Counting(OutboxChannel):
    """An outbox that, as each message is filed, counts the messages alive in the process (it files
    `batch_size` at a time: the messages of a batch are made together)."""

    alive: list[int]
    batch_size = 4

    def send(self, message: Any) -> Any:
        self.alive.append(sum(1 for o in gc.get_objects() if isinstance(o, executor.OutgoingMessage)))
        return super().send(message)


@pytest.mark.parametrize("pooled", [True, False])
def test_a_run_makes_each_message_as_it_files_it_and_lets_it_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                pooled: bool) -> None:
    """The messages composed in the workers (or here, one by one, when there are PACKED_FROM or more)
    are held packed until they are filed, then let go: a run holds at once the batch being filed,
    never all of them (a million-invoice run composes tens of thousands); what it files is the
    serial run's, byte for byte (above, and `test_a_packed_serial_run_files_what_it_did`)."""
    b = _book()
    p = planned(b, DAY)
    with monkeypatch.context() as patched:
        patched.setattr(compose_pool, "MIN_POOLED", 4 if pooled else 10**9)
        patched.setattr(executor, "PACKED_FROM", 4)
        patched.setattr(compose_pool, "CHUNK", 4)
        patched.setattr(letter_pool, "forkable", lambda: True)
        channel = _Counting(tmp_path / "outbox", NOW.isoformat(), NOW)
        channel.alive = []
        gc.collect()
        before = sum(1 for o in gc.get_objects() if isinstance(o, executor.OutgoingMessage))  # earlier tests' runs'
        heads = len({(a.channel, a.language, a.template) for a in p.plan.to_send})  # composed here, before forking
        try:
            result = execute(p.plan, b, p.positions, message_renderer(b), channel, "run-1", NOW, lambda rows: None)
        finally:
            channel.close()
    filed = [e for e in result.entries if e.status == "sent"]
    assert len(channel.alive) == len(filed) >= 40
    assert max(channel.alive) <= before + 4 + heads < before + len(filed) // 2  # the batch being filed
    assert result.messages == []


@pytest.mark.parametrize("faulty", [None, _DiesInWorker])
def test_a_packed_run_files_what_it_did_unpacked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 faulty: type[Renderer] | None) -> None:
    """With PACKED_FROM actions or more, composed in the pool (a worker dying on the way) or one by
    one, a run holds its messages packed: it files and writes exactly what a serial run without
    packing does: History rows as saved `pending` then completed, every file, the Taches rows."""
    b = _book(Modeles=[MODELES, ["formal_notice", "fr", "letter", SHORT_DEMAND]])
    loose = _run(b, tmp_path / "outbox", monkeypatch, pooled=False)
    (tmp_path / "outbox-serial").rename(tmp_path / "outbox-loose")
    monkeypatch.setattr(executor, "PACKED_FROM", 4)
    renderer = faulty(message_renderer(b)._files, template_overrides(b)) if faulty else None
    assert _run(b, tmp_path / "outbox", monkeypatch, pooled=True, renderer=renderer) == loose
    assert _run(b, tmp_path / "outbox", monkeypatch, pooled=False) == loose
