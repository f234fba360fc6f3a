"""A Modeles template can no longer hold the run for ever (render/sandbox.py): loops, calls,
sizes, numbers and output are bounded per message, the time limit comes from the app's clock,
and `relance check` renders every template once and says which one fails, on its cell."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from books import book
from conftest import customer, invoice
from relance import cli
from relance.app.resources import message_templates
from relance.app.templates import check_templates, message_renderer
from relance.cli import app
from relance.engine.anomaly import Severity
from relance.render.messages import Limits, Renderer, TemplateProblem, sample_context
from relance.render.sandbox import Budget, LimitExceeded

# What each attack is stopped by (a word of the problem said).
ATTACKS = {
    "nested ranges": ("{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}x"
                      "{% endfor %}{% endfor %}{% endfor %}", "steps"),
    "a range too long": ("{% for i in range(100000) %}x{% endfor %}", "range()"),
    "a power tower": ("{{ 9**(9**9) }}", "bits"),
    "a big power": ("{{ 2 ** 100000 }}", "bits"),
    "repeated text": ("{{ 'x' * 10**9 }}", "repeated"),
    "repeated text, literal": ("{{ 'x' * 1000000000 }}", "repeated"),
    "repeated list": ("{{ ([1] * 1000000000)|length }}", "repeated"),
    "squaring in a loop": ("{% set ns = namespace(x=3) %}{% for i in range(100) %}{% set ns.x = ns.x * ns.x %}"
                           "{% endfor %}{{ ns.x }}", "bits"),
    "a wide center": ("{{ 'x'|center(1000000000) }}", "width"),
    "a wide ljust": ("{{ 'x'.ljust(1000000000) }}", "width"),
    "a wide %": ("{{ '%1000000000d' % 1 }}", "formatted"),
    "a wide format()": ("{{ '{:>1000000000}'.format(1) }}", "formatted"),
    "a wide |format": ("{{ '%1000000000s'|format(1) }}", "formatted"),
    "~ doubling": ("{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
                   "{{ ns.s|length }}", "larger"),
    "+ doubling": ("{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}"
                   "{% endfor %}{{ ns.s|length }}", "larger"),
    "a list printed exponentially": ("{% set ns = namespace(s=[1]) %}{% for i in range(100) %}"
                                     "{% set ns.s = [ns.s, ns.s] %}{% endfor %}{{ ns.s }}", "larger"),
    "namespaces printed exponentially": ("{% set ns = namespace(cur=1) %}{% for i in range(100) %}"
                                         "{% set n = namespace() %}{% set n.a = ns.cur %}{% set n.b = ns.cur %}"
                                         "{% set ns.cur = n %}{% endfor %}{{ ns.cur }}", "larger"),
    "a macro calling itself twice": ("{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}"
                                     "{{ f(60) }}", "steps"),
    "a macro without end": ("{% macro f(n) %}{{ f(n+1) }}{% endmacro %}{{ f(0) }}", "Recursion"),
    "an include of itself": ("{% include 'reminder_1.text.j2' %}{% include 'reminder_1.text.j2' %}", "Recursion"),
    "a long join": ("{% set s = 'x' * 1000000 %}{{ ([s] * 1000)|join }}", "larger"),
    "a replace that multiplies": ("{% set s = 'x' * 100000 %}{{ s|replace('x', s) }}", "replaced"),
    "a deep indent": ("{% set s = 'x\n' * 100000 %}{{ s|indent(10000) }}", "indented"),
    "a batch filled": ("{{ [1]|batch(1000000000, 0)|list|length }}", "batch"),
    "a slice into many": ("{{ [1]|slice(1000000000)|list|length }}", "slicing"),
    "a wordwrap that multiplies": ("{% set s = 'ab ' * 100000 %}{{ s|wordwrap(1, wrapstring=s) }}", "wrapped"),
    "a round of 10 million digits": ("{{ 7|round(-10000000) }}", "precision"),
    "a filter mapped": ("{{ ['x']|map('center', 1000000000)|list }}", "width"),
    "lipsum": ("{{ lipsum(100000) }}", "undefined"),
    "a method outside the list": ("{{ 'abc'.encode() }}", "not allowed"),
    "translate": ("{{ 'aaa'.translate({97: 'b' * 1000}) }}", "not allowed"),
    "fromkeys": ("{{ {}.fromkeys(range(10)) }}", "not allowed"),
    "a message too long": ("{% set s = 'x' * 4000000 %}{{ s }}{{ s }}", "characters"),
}


def render(source: str, *, limits: Limits | None = None, clock=None, part: str = "text") -> str:
    r = Renderer(message_templates(), {("reminder_1", "fr", part): source}, limits=limits or Limits(), clock=clock)
    return r.render("reminder_1", "fr", part, sample_context("fr"))


@pytest.mark.parametrize("name", list(ATTACKS))
def test_every_attack_stops_quickly_with_a_problem(name):
    import pickle

    source, word = ATTACKS[name]
    started = time.perf_counter()
    with pytest.raises(TemplateProblem) as err:
        render(source)
    assert time.perf_counter() - started < 60  # a guard against a hang, not a speed measure (bounds are counts)
    problem = err.value
    assert word in problem.message, problem.message
    assert problem.limit is (word not in ("Recursion", "undefined", "not allowed"))  # what a bound stopped
    assert pickle.loads(pickle.dumps(problem)).limit is problem.limit
    assert (problem.template, problem.lang, problem.part) == ("reminder_1", "fr", "text")
    if name == "a message too long":
        assert problem.line is None  # the whole message
    elif "Recursion" not in problem.message:
        assert problem.line in (1, 2)  # the line of the template that went past the bound


def test_ordinary_templates_still_render():
    out = render("{{ invoices|map(attribute='id')|join(', ') }} {{ '%05.2f' % 3.14159 }} {{ '{:>4}'.format('a') }} "
                 "{{ as_of.isoformat() }} {{ customer.get('name') }} {{ 'Ab'.lower() }} {{ 2 ** 10 }} "
                 "{{ 'x' * 3 }} {{ [1, 2] * 2 }} {% for i in range(3) %}{{ loop.cycle('a', 'b') }}{% endfor %} "
                 "{{ (invoices|first).id[:1] }} {{ 10 // 3 }} {{ 7 % 3 }} {{ dict(a=1).a }}")
    assert out == "F-2025-001, F-2025-002, F-2025-003 03.14    a 2025-03-31 Boulangerie Martin ab 1024 xxx " \
                  "[1, 2, 1, 2] aba F 3 1 1\n"


def test_the_shipped_templates_stay_far_below_the_bounds_for_2000_invoices():
    r = Renderer(message_templates())
    ctx = sample_context("fr", invoices=2000)
    html = r.render("formal_notice", "fr", "html", ctx)
    assert len(html) > 2_000_000  # 2000 rows: the bounds leave room for such a customer
    spent: list[Budget] = []
    env = r._env("fr", True)
    stop = env.stop
    env.stop = lambda: (spent.append(env.budget), stop())[1]  # type: ignore[method-assign]
    r.render("formal_notice", "fr", "html", ctx)
    limits = Limits()
    assert spent[0].steps * 10 < limits.steps and spent[0].produced * 5 < limits.produced


def test_a_clock_stops_a_slow_template():
    """The time limit: checked every 64 steps and at each template load, on the clock given."""
    now = [0.0]

    def clock() -> float:
        now[0] += 0.01  # each reading: 10 ms later
        return now[0]

    source = "{% for i in range(1000) %}{% for j in range(1000) %}x{% endfor %}{% endfor %}"
    with pytest.raises(TemplateProblem) as err:
        render(source, clock=clock, limits=Limits(seconds=1.0))
    assert "stopped after 1 s" in err.value.message
    assert now[0] < 1.2  # stopped at the first reading past the deadline
    assert render("{% for i in range(10) %}x{% endfor %}", clock=clock, limits=Limits(seconds=1.0)) == "x" * 10 + "\n"


def test_a_budget_is_per_render():
    r = Renderer(message_templates(), {("reminder_1", "fr", "text"): "{% for i in range(900) %}.{% endfor %}"},
                 limits=Limits(steps=1000))
    for _ in range(5):  # 900 steps each: the budget does not carry over
        assert r.render("reminder_1", "fr", "text", sample_context("fr")).strip() == "." * 900


def test_compiling_computes_nothing():
    """Jinja folds constants when it compiles; the bounded operators and filters are never folded."""
    started = time.perf_counter()
    r = Renderer(message_templates(), {("reminder_1", "fr", "text"): "{{ 9**9**9 }}{{ 'x'|center(1000000000) }}"})
    assert r.check(["reminder_1"]) == []  # compiles: nothing computed
    assert time.perf_counter() - started < 60  # a guard against a hang: 9**9**9 computed would not end


def test_limit_exceeded_pickles():
    import pickle

    exc = pickle.loads(pickle.dumps(LimitExceeded("m", "h")))
    assert (exc.message, exc.hint) == ("m", "h")


# --------------------------------------------------------------------------- check_templates and `check`

MODELES = ["modele", "langue", "partie", "contenu"]


def test_check_templates_says_the_broken_cell_and_passes_the_good_ones():
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-01", 100)],
             Modeles=[MODELES,
                      ["reminder_1", "fr", "text", "{% for i in range(1000) %}{% for j in range(1000) %}"
                                                   "{% for k in range(1000) %}x{% endfor %}{% endfor %}{% endfor %}"],
                      ["reminder_2", "fr", "subject", "Relance {{ customer.name }}"],
                      ["courtesy", "en", "text", "{{ 9**(9**9) }}"],
                      ["notice", "fr", "text", "{{ customer.nmae }}"]])
    found = check_templates(b)
    by_cell = {(a.source.tab, a.source.cell): a for a in found}
    assert set(by_cell) == {("Modeles", "D2"), ("Modeles", "D4"), ("Modeles", "D5")}, found
    assert all(a.severity == Severity.error and a.code == "R701" and a.hint.en for a in found)
    assert "steps" in by_cell[("Modeles", "D2")].problem.en
    assert "bits" in by_cell[("Modeles", "D4")].problem.en
    assert "nmae" in by_cell[("Modeles", "D5")].problem.en
    from relance.app.templates import template_cell

    assert template_cell(b, "courtesy", "en", "text") == by_cell[("Modeles", "D4")].source
    assert template_cell(b, "courtesy", "fr", "text") is None


def test_the_shipped_templates_pass_the_check():
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-01", 100)])
    assert check_templates(b) == []
    assert message_renderer(b).limits == Limits()


def test_the_sample_context_has_every_key_a_real_message_has():
    from books import planned
    from relance.engine.message import render_context

    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000)])
    p = planned(b, dt.date(2025, 3, 31))
    action = p.plan.actions[0]
    real = render_context(action, b, p.positions, p.as_of)
    sample = sample_context("fr", addresses=True)

    def keys(value, prefix=""):
        if isinstance(value, dict):
            return {k for key, v in value.items() for k in {prefix + key} | keys(v, prefix + key + ".")}
        if isinstance(value, list) and value:
            return keys(value[0], prefix + "[].")
        return set()

    assert keys(real) <= keys(sample), keys(real) - keys(sample)


NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


def test_relance_check_renders_the_templates_and_exits_1_on_a_broken_one(tmp_path: Path, monkeypatch):
    import openpyxl

    monkeypatch.setattr(cli, "_now", lambda: NOW)
    runner = CliRunner()
    path = tmp_path / "book.xlsx"
    assert runner.invoke(app, ["init", str(path), "--demo", "--as-of", "2026-11-23", "--customers", "10",
                               "--invoices", "40"]).exit_code == 0
    first = runner.invoke(app, ["check", str(path), "--json"])
    assert not [a for a in json.loads(first.output)["anomalies"] if a["code"] == "R701"]
    wb = openpyxl.load_workbook(path)
    wb["Modeles"].append(["reminder_1", "fr", "html", "{% for i in range(1000) %}{% for j in range(1000) %}"
                                                      "{% for k in range(1000) %}x{% endfor %}{% endfor %}{% endfor %}"])
    wb.save(path)
    started = time.perf_counter()
    result = runner.invoke(app, ["check", str(path), "--json"])
    assert time.perf_counter() - started < 120  # a guard against a hang, not a speed measure
    assert result.exit_code == 1, result.output
    broken = [a for a in json.loads(result.output)["anomalies"] if a["code"] == "R701"]
    assert len(broken) == 1 and broken[0]["tab"] == "Modeles" and broken[0]["column"] == "Contenu"
    assert "étapes de calcul" in broken[0]["problem"] and broken[0]["severity"] == "error"
    text = runner.invoke(app, ["check", str(path)])
    assert text.exit_code == 1 and "reminder_1" in text.output and "Traceback" not in text.output


def test_every_filter_checked_before_it_runs_is_named_in_checked_filters():
    """The filter wrappers call _filter_check only for CHECKED_FILTERS: the names its branches test."""
    import ast
    import inspect

    from relance.render import sandbox

    tree = ast.parse(inspect.getsource(sandbox._filter_check))
    named = {node.comparators[0].value for node in ast.walk(tree)
             if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == "name"
             and isinstance(node.ops[0], ast.Eq) and isinstance(node.comparators[0], ast.Constant)}
    assert "name in _PRINTING" in inspect.getsource(sandbox._filter_check)
    assert named | set(sandbox._PRINTING) == sandbox.CHECKED_FILTERS
