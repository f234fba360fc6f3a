"""Issue 15 item 4: many formal notices are rendered on every core (app/letter_pool.py), and what
composing gives is exactly what a serial run gives: the same messages and PDF bytes in the same
order, the same R520 problems of the Modeles tab, the same R701 error for a letter that fails, and
the serial rendering whenever the pool cannot start or breaks."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from books import baselined, book, planned
from conftest import CUSTOMERS_HEADER, customer, invoice
from relance.app import compose_pool, letter_pool
from relance.app.compose_pool import run_forked
from relance.app.executor import compose
from relance.app.letter_pool import LetterJob, render_letters
from relance.app.templates import message_renderer
from relance.engine.book import Book
from relance.engine.history import HistoryIndex
from relance.render.messages import Renderer, TemplateProblem

DAY = dt.date(2025, 3, 31)
MODELES = ["modele", "langue", "partie", "contenu"]
#: A Modeles block that leaves out the amount claimed: an R520 problem, the shipped paragraph printed.
SHORT_DEMAND = "{% block demand %}Payez.{% endblock %}{% block paid_meanwhile %}Déjà réglé ? " \
               "{{ letter.reference }}{% endblock %}"


def _book(customers: int = 12, **extra: Any) -> Book:
    """`customers` customers at the formal notice (e-mail and letter), French and English, businesses
    and consumers, one to a dozen invoices each (a few multi-page letters)."""
    people, bills = [], []
    for i in range(customers):
        cid = f"C{i:02d}"
        people.append([*customer(cid, raison_sociale=f"Établissements Numéro {i} et Fils " * (1 + i % 3),
                                 langue="en" if i % 4 == 3 else "fr", type_client="B2C" if i % 5 == 4 else "B2B"),
                       f"{i} rue des Lilas" + "\nZone artisanale des Grands Champs" * (i % 2), "69003", "Lyon"])
        for j in range(1 + (i * 7) % 12 + (30 if i == 5 else 0)):
            bills.append(invoice(f"F{i:02d}-{j:02d}", cid, "2025-01-01", "2025-02-27", 100 + 17 * j + i))
    b = book([], bills, Clients=[[*CUSTOMERS_HEADER, "adresse", "code_postal", "ville"], *people], settings={"company_address": "1 rue des Artisans;75011 Paris",
                                      "signatory_name": "Claire Dumas"}, **extra)
    return baselined(b, "call", DAY - dt.timedelta(days=5))


def _compose(b: Book, monkeypatch: pytest.MonkeyPatch, pooled: bool, renderer: Renderer | None = None) -> Any:
    p = planned(b, DAY)
    with monkeypatch.context() as patched:
        patched.setattr(letter_pool, "MIN_POOLED", 4 if pooled else 10**9)
        patched.setattr(compose_pool, "MIN_POOLED", 4 if pooled else 10**9)  # letters go with every message
        patched.setattr(letter_pool, "forkable", lambda: True)  # whatever threads earlier tests left
        return compose(p.plan, b, p.positions, renderer or message_renderer(b),
                       HistoryIndex.build([*b.archived, *b.history]))


def _letters(composed: Any) -> int:
    return sum(1 for a, m, _ in composed if m is not None and (m.pdf or m.attachments))


def test_pooled_letters_are_the_serial_ones_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    b = _book(Modeles=[MODELES, ["formal_notice", "fr", "letter", SHORT_DEMAND]])
    ahead: list[int] = []

    def spy(total: int, part: Any, **kw: Any) -> Any:
        found = run_forked(total, part, **kw)
        ahead.append(-1 if found is None else sum(1 for item in found if item is not None))
        return found

    monkeypatch.setattr(compose_pool, "run_forked", spy)
    serial, serial_anomalies = _compose(b, monkeypatch, pooled=False)
    assert ahead == []
    pooled, pooled_anomalies = _compose(b, monkeypatch, pooled=True)
    # every message composed in the workers (app/compose_pool.py): 12 letters, 12 e-mails carrying
    # the same notice
    assert ahead == [len(serial)] == [24] and _letters(serial) == 24
    assert {a.channel for a, m, _ in serial if m is not None and (m.pdf or m.attachments)} == {"email", "letter"}
    assert pooled == serial  # actions, messages, PDF bytes and attachments, in the same order
    # one R520 per French customer (the amount left out is theirs; e-mail and letter say it once)
    assert [a.code for a in pooled_anomalies] == ["R520"] * 9 and pooled_anomalies == serial_anomalies
    assert "leaves out the amount claimed" in pooled_anomalies[0].problem.en


class _Failing(Renderer):
    """The shipped templates, except that one customer's letter cannot be rendered (fault injection)."""

    def render_block(self, template: str, lang: str, part: str, block: str, context: Any) -> str:
        if template == "formal_notice" and context["customer"]["id"] == "C03" and block == "demand":
            raise TemplateProblem(template, lang, part, 3, "C03 cannot be rendered")
        return super().render_block(template, lang, part, block, context)

    def preset(self) -> Renderer:
        return self


def test_a_letter_that_fails_fails_as_in_a_serial_run(monkeypatch: pytest.MonkeyPatch) -> None:
    b = _book()
    base = message_renderer(b)
    serial, serial_anomalies = _compose(b, monkeypatch, False, _Failing(base._files))
    pooled, pooled_anomalies = _compose(b, monkeypatch, True, _Failing(base._files))
    assert pooled == serial and pooled_anomalies == serial_anomalies
    assert [a.code for a in serial_anomalies] == ["R701"]
    assert "C03" not in {a.customer_id for a, m, _ in serial if m is not None and m.pdf}


class _DiesInWorker(Renderer):
    """A renderer whose letters kill the worker process they are rendered in (a worker killed)."""

    parent = os.getpid()

    def render_block(self, template: str, lang: str, part: str, block: str, context: Any) -> str:
        if os.getpid() != self.parent:
            os._exit(3)
        return super().render_block(template, lang, part, block, context)


def test_a_broken_pool_falls_back_to_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    b = _book()
    base = message_renderer(b)
    serial, _ = _compose(b, monkeypatch, False)
    pooled, _ = _compose(b, monkeypatch, True, _DiesInWorker(base._files))
    assert pooled == serial


def _jobs(n: int) -> list[LetterJob]:
    from letters import context

    return [LetterJob(f"k{i}", context(), ("1 rue X",), "fr") for i in range(n)]


def test_a_pool_that_cannot_start_renders_nothing_ahead() -> None:
    from letters import preset

    def no_pool(_: int) -> ProcessPoolExecutor:
        raise OSError("no processes here")

    assert render_letters(_jobs(4), preset(), workers=2, minimum=1, pool=no_pool) is None
    assert render_letters(_jobs(3), preset(), workers=2, minimum=4) is None  # few letters: serial
    assert render_letters(_jobs(4), preset(), workers=1, minimum=1) is None  # one core: serial


def test_problems_cross_the_process_boundary_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    from letters import preset

    monkeypatch.setattr(letter_pool, "forkable", lambda: True)  # whatever threads earlier tests left

    renderer = Renderer(preset()._files, {("formal_notice", "fr", "letter"): SHORT_DEMAND})
    jobs = _jobs(5)
    ready = render_letters(jobs, renderer, workers=2, minimum=1)
    assert ready is not None and set(ready.pdfs) == {j.key for j in jobs}
    from letters import formal_notice_pdf

    for job in jobs:
        expected: list[TemplateProblem] = []
        pdf = formal_notice_pdf(job.context, list(job.sender_address), "fr", renderer=renderer, problems=expected)
        got: list[TemplateProblem] = []
        assert ready.take(job.key, got) == pdf
        assert [(type(p), p.args, vars(p)) for p in got] == [(type(p), p.args, vars(p)) for p in expected]
        assert got and got[0].said.en == expected[0].said.en
    assert ready.take("k0", []) is None  # taken once


def test_a_cpu_quota_bounds_the_workers(tmp_path: Path) -> None:
    quota = tmp_path / "cpu.max"
    for text, expected in [("max 100000\n", None), ("150000 100000\n", 1), ("400000 100000", 4), ("", None)]:
        quota.write_text(text)
        assert letter_pool.cgroup_cpus(quota) == expected
    assert letter_pool.cgroup_cpus(tmp_path / "absent") is None
    assert letter_pool.cores() >= 1


def test_a_process_with_other_threads_renders_one_by_one() -> None:
    """A lock held by another thread at fork time would stay held in the worker: no pool then."""
    from letters import preset

    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not letter_pool.forkable()
        assert render_letters(_jobs(4), preset(), workers=2, minimum=1) is None
    finally:
        release.set()
        other.join()


def test_a_hung_pool_is_ended_and_nothing_is_taken_from_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hang guard at zero: the workers have not answered yet, so they are ended (not waited
    for) and the letters are left to the serial rendering."""
    from letters import preset

    monkeypatch.setattr(letter_pool, "HANG_GUARD", 0.0)
    monkeypatch.setattr(letter_pool, "HANG_GUARD_PER_LETTER", 0.0)
    monkeypatch.setattr(letter_pool, "forkable", lambda: True)
    workers: list[Any] = []

    class Watched(ProcessPoolExecutor):
        def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
            workers.extend((getattr(self, "_processes", None) or {}).values())
            super().shutdown(wait, cancel_futures=cancel_futures)

    def pool(n: int) -> ProcessPoolExecutor:
        return Watched(n, mp_context=multiprocessing.get_context("fork"))

    assert render_letters(_jobs(40), preset(), workers=2, minimum=1, pool=pool) is None
    assert workers
    for worker in workers:
        # killed, they are gone at once; the pool's own thread may reap a worker while this one
        # polls it, so its exit code can show a moment later (60 s: only a hang guard)
        deadline = time.monotonic() + 60
        while worker.exitcode is None and time.monotonic() < deadline:
            worker.join(timeout=0.5)
        assert worker.exitcode is not None and worker.exitcode < 0  # ended by a signal


def test_a_letter_job_is_plain_data() -> None:
    """What a worker renders from crosses a process boundary as it is (a spawned worker could)."""
    import pickle

    from relance.engine.message import render_context

    b = _book(4)
    p = planned(b, DAY)
    [action, *_] = [a for a in p.plan.to_send if a.channel == "letter"]
    job = LetterJob(action.key, render_context(action, b, p.positions, DAY), ("1 rue X",), action.language)
    assert pickle.loads(pickle.dumps(job)) == job
