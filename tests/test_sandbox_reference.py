"""The cheaper checks of the bounded sandbox (render/sandbox.py) spend what the former ones spent
(tests/reference_sandbox.py): the same output, the same steps and the same characters produced
for every shipped part in both languages, the same attribute reads, sizes and step bounds on
generated values; and a template past a bound stops where it stopped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import StrictUndefined

import relance.render.messages as messages
from contexts import context, five_invoices
from reference_sandbox import ReferenceBudget, ReferenceEnvironment
from relance.app.resources import message_templates
from relance.render.messages import Renderer, TemplateProblem, sample_context
from relance.render.sandbox import BoundedEnvironment, Budget, CompiledTemplates, Limits

CONTEXTS = [
    ("fr", sample_context("fr")), ("fr", sample_context("fr", b2b=False, invoices=1, step="notice")),
    ("fr", sample_context("fr", invoices=7, currencies=("EUR", "USD"), addresses=True)),
    ("fr", context(five_invoices())),
    ("en", sample_context("en")), ("en", sample_context("en", invoices=1, b2b=False, addresses=True)),
    ("en", sample_context("en", invoices=4, currencies=("GBP", "EUR"), step="reminder_2")),
]


def _parts(lang: str) -> list[tuple[str, str]]:
    names = sorted({n.split(".")[0] for lg, n in message_templates() if lg == lang and not n.startswith("_")})
    return [(n, p) for n in names for p in ("subject", "html", "text", "sms", "script")]


def _spending(renderer: Renderer, lang: str, name: str, part: str, ctx: dict[str, Any]) -> tuple[object, ...]:
    spent: list[Budget] = []
    for key in ((lang, True), (lang, False)):
        renderer._env(*key)
    for env in renderer._envs.values():
        if not hasattr(env, "spent"):
            stop = env.stop
            env.stop = lambda env=env, stop=stop: (spent.append(env.budget), stop())[1]  # type: ignore[misc]
    if not renderer.has(name, lang, part):
        return ("absent",)
    kept = {key: len(getattr(env, "spent", ())) for key, env in renderer._envs.items()}
    try:
        text = renderer.render(name, lang, part, ctx)
    except TemplateProblem as problem:
        text = f"problem: {problem}"
    for key, env in renderer._envs.items():  # a reference environment keeps what it spent
        spent.extend(getattr(env, "spent", [])[kept.get(key, 0):])
    assert len(spent) == 1
    return text, spent[0].steps, spent[0].produced


def test_every_shipped_part_spends_what_it_spent(monkeypatch: pytest.MonkeyPatch) -> None:
    files = message_templates()
    reference = Renderer(files, compiled=CompiledTemplates())
    with monkeypatch.context() as patch:
        patch.setattr(messages, "BoundedEnvironment", ReferenceEnvironment)
        before = [_spending(reference, lang, n, p, ctx) for lang, ctx in CONTEXTS for n, p in _parts(lang)]
    assert all(isinstance(env, ReferenceEnvironment) for env in reference._envs.values())
    now = Renderer(files, compiled=CompiledTemplates())
    after = [_spending(now, lang, n, p, ctx) for lang, ctx in CONTEXTS for n, p in _parts(lang)]
    assert sum(1 for x in before if x != ("absent",)) > 100
    assert after == before


BOUNDED = [
    "{% for i in range(1000) %}{% for j in range(1000) %}x{% endfor %}{% endfor %}",
    "{% for i in range(900) %}" + "y" * 5000 + "{% endfor %}",
    "{% macro f(n) %}{{ 'ab' * 100 }}{% for i in range(n) %}{{ f(n - 1) }}{% endfor %}{% endmacro %}{{ f(60) }}",
    "{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "{% for i in range(1000) %}{{ invoices|map(attribute='id')|join(', ') }}{% endfor %}",
]


@pytest.mark.parametrize("source", BOUNDED)
@pytest.mark.parametrize("limits", [Limits(), Limits(steps=5000, text=200_000, produced=1_000_000)])
def test_a_template_past_a_bound_stops_where_it_stopped(monkeypatch: pytest.MonkeyPatch, source: str,
                                                        limits: Limits) -> None:
    ctx = sample_context("fr")

    def outcome(renderer: Renderer) -> tuple[object, ...]:
        try:
            return ("text", renderer.render("x", "fr", "text", ctx))
        except TemplateProblem as problem:
            return (problem.message, problem.line, problem.limit)

    with monkeypatch.context() as patch:
        patch.setattr(messages, "BoundedEnvironment", ReferenceEnvironment)
        before = outcome(Renderer({}, {("x", "fr", "text"): source}, limits=limits, compiled=CompiledTemplates()))
    after = outcome(Renderer({}, {("x", "fr", "text"): source}, limits=limits, compiled=CompiledTemplates()))
    assert after == before


# --------------------------------------------------------------------------- generated values

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6), st.decimals(allow_nan=False),
                    st.dates(), st.just(dt.datetime(2025, 1, 2, 3, 4)), st.just(range(7)))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.lists(inner, max_size=5).map(tuple), st.frozensets(scalars, max_size=4),
    st.dictionaries(st.one_of(st.text(max_size=4), st.integers()), inner, max_size=5)), max_leaves=30)


@settings(max_examples=500, deadline=None)
@given(values, st.integers(min_value=10, max_value=400), st.integers(min_value=1, max_value=6))
def test_a_value_measures_what_it_measured(value: object, text: int, depth: int) -> None:
    limits = Limits(text=text, depth=depth)
    shared = [value, value, {"again": value}]

    def measure(budget: Budget) -> object:
        try:
            return budget.size(shared)
        except Exception as exc:  # noqa: BLE001 (the same error either way)
            return repr(exc)

    assert measure(Budget(limits)) == measure(ReferenceBudget(limits))


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=300), st.integers(min_value=1, max_value=400))
def test_a_step_stops_and_reads_the_clock_when_it_did(steps: int, bound: int) -> None:
    def run(kind: type[Budget]) -> tuple[object, ...]:
        readings: list[int] = []
        holder: list[Budget] = []

        def clock() -> float:
            readings.append(holder[0].steps if holder else -1)
            return 0.0

        budget = kind(Limits(steps=bound), clock)
        holder.append(budget)
        try:
            for _ in range(steps):
                budget.step()
        except Exception as exc:  # noqa: BLE001
            return ("stopped", budget.steps, readings, str(exc))
        return ("done", budget.steps, readings)

    assert run(Budget) == run(ReferenceBudget)


class _Thing:
    value = 3


keys = st.sampled_from(["id", "items", "get", "keys", "values", "pop", "__class__", "__len__", "_x", "name",
                        "copy", "update", "fromkeys", "missing", "format"])


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, st.one_of(st.integers(), st.text(max_size=3)), max_size=6), keys)
def test_an_attribute_reads_what_the_sandbox_read(obj: dict[str, object], attribute: str) -> None:
    fast = BoundedEnvironment(undefined=StrictUndefined)
    slow = ReferenceEnvironment(undefined=StrictUndefined)

    def read(env: Any, target: object) -> object:
        value = env.getattr(target, attribute)
        if "Undefined" in type(value).__name__:
            return ("undefined", type(value).__name__)
        if callable(value):  # a method, or the sandbox's own wrapper of str.format
            return ("callable", type(value).__name__, getattr(value, "name", getattr(value, "__name__", None)))
        return value

    for target in (obj, _Thing(), "text", Decimal(1), [1, 2]):
        assert read(fast, target) == read(slow, target)


def test_a_macro_and_a_loop_read_what_the_sandbox_read(monkeypatch: pytest.MonkeyPatch) -> None:
    source = ("{% import '_macros.j2' as m %}{% for i in [1, 2, 3] %}{{ loop.index }}{{ loop.last }}{{ loop.length }}"
              "{{ loop.cycle('a', 'b') }}{{ m.plural(i, 'x', 'y') }}{{ loop._after is defined }}{% endfor %}"
              "{{ m.missing is defined }} {{ m.__class__ is defined }} {{ m._body_stream is defined }}")
    files = {("fr", "_macros.j2"): message_templates()[("fr", "_macros.j2")]}

    def out() -> str:
        return Renderer(files, {("t", "fr", "text"): source}, compiled=CompiledTemplates()).render("t", "fr", "text", {})

    with monkeypatch.context() as patch:
        patch.setattr(messages, "BoundedEnvironment", ReferenceEnvironment)
        before = out()
    assert out() == before == "1False3axFalse2False3byFalse3True3ayFalseFalse False False\n"
