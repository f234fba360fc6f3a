"""Templates compiled once per process (render/sandbox.py CompiledTemplates): Renderers that share
the compiled code render exactly what Renderers of their own render, compile nothing twice, and
never serve one template's code for another source, environment or set of bounds."""

from __future__ import annotations

import pytest
from jinja2 import Environment, TemplateAssertionError

from contexts import context, five_invoices, one_invoice
from relance.app.resources import message_templates
from relance.app.templates import COMPILED, message_renderer
from relance.render.messages import Limits, Renderer, TemplateProblem, sample_context
from relance.render.sandbox import BoundedEnvironment, CompiledTemplates

PARTS = [(name, lang, part) for name in ("courtesy", "reminder_1", "formal_notice", "notice")
         for lang in ("fr", "en") for part in ("subject", "html", "text")]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates Jinja parses (each compile starts with a parse)."""
    seen: list[str] = []
    parse = Environment._parse

    def counted(self, source, name, filename):  # type: ignore[no-untyped-def]
        seen.append(name)
        return parse(self, source, name, filename)

    monkeypatch.setattr(Environment, "_parse", counted)
    return seen


def renders(r: Renderer) -> list[str]:
    out = []
    for name, lang, part in PARTS:
        if r.has(name, lang, part):
            out.append(r.render(name, lang, part, context(five_invoices(), lang=lang)))
    return out


def test_a_second_renderer_compiles_nothing_and_renders_the_same(parses: list[str]) -> None:
    shared = CompiledTemplates()
    first = renders(Renderer(message_templates(), compiled=shared))
    compiled = len(parses)
    assert compiled >= 10 and len(shared) == compiled
    second = renders(Renderer(message_templates(), compiled=shared))
    assert len(parses) == compiled  # nothing parsed or compiled again
    alone = renders(Renderer(message_templates()))  # a Renderer of its own compiles everything again
    assert len(parses) == 2 * compiled
    assert first == second == alone


def test_another_source_gets_its_own_code(parses: list[str]) -> None:
    shared = CompiledTemplates()
    ctx = context(one_invoice())
    a = Renderer(message_templates(), {("reminder_1", "fr", "subject"): "A {{ customer.name }}"}, compiled=shared)
    b = Renderer(message_templates(), {("reminder_1", "fr", "subject"): "B {{ customer.name }}"}, compiled=shared)
    plain = Renderer(message_templates(), compiled=shared)
    assert a.render("reminder_1", "fr", "subject", ctx).startswith("A ")
    assert b.render("reminder_1", "fr", "subject", ctx).startswith("B ")
    assert plain.render("reminder_1", "fr", "subject", ctx) == \
        Renderer(message_templates()).render("reminder_1", "fr", "subject", ctx)
    # the same source as a row of the Modeles tab and as the shipped file: two file names, two codes
    shipped = message_templates()[("fr", "reminder_1.subject.j2")]
    c = Renderer(message_templates(), {("reminder_1", "fr", "subject"): shipped}, compiled=shared)
    before = len(parses)
    assert c.render("reminder_1", "fr", "subject", ctx) == plain.render("reminder_1", "fr", "subject", ctx)
    assert len(parses) == before + 1


def test_environments_that_compile_differently_do_not_share_code() -> None:
    shared = CompiledTemplates()
    html = BoundedEnvironment(compiled=shared, autoescape=True)
    text = BoundedEnvironment(compiled=shared, autoescape=False)
    trimmed = BoundedEnvironment(compiled=shared, autoescape=False, trim_blocks=True)
    source = "{% if 1 %}\n{{ name }}{% endif %}"
    assert html.from_string(source).render(name="<b>") == "\n&lt;b&gt;"
    assert text.from_string(source).render(name="<b>") == "\n<b>"
    assert trimmed.from_string(source).render(name="<b>") == "<b>"
    with_money = BoundedEnvironment(compiled=shared, filters={"money": str})
    assert with_money.from_string("{{ 1|money }}").render() == "1"
    with pytest.raises(TemplateAssertionError):  # the filter is checked at compile time: not served
        text.from_string("{{ 1|money }}")
    assert len(shared) == 4


def test_problems_keep_their_line_and_bounds_their_renderer() -> None:
    shared = CompiledTemplates()
    overrides = {("reminder_1", "en", "text"): "Hello\n\n{{ customer.nmae }}",
                 ("reminder_2", "en", "text"): "{% for i in range(900) %}{{ i }}{% endfor %}"}
    for _ in range(2):  # the second Renderer runs the code the first compiled
        r = Renderer(message_templates(), overrides, compiled=shared)
        with pytest.raises(TemplateProblem) as err:
            r.render("reminder_1", "en", "text", context(one_invoice(), lang="en"))
        assert (err.value.template, err.value.part, err.value.line) == ("reminder_1", "text", 3)
    loose = Renderer(message_templates(), overrides, compiled=shared)
    assert loose.render("reminder_2", "en", "text", sample_context("en")).startswith("0123")
    tight = Renderer(message_templates(), overrides, limits=Limits(steps=100), compiled=shared)
    with pytest.raises(TemplateProblem) as err:
        tight.render("reminder_2", "en", "text", sample_context("en"))
    assert err.value.limit and "steps" in err.value.message


def test_a_full_cache_starts_again() -> None:
    shared = CompiledTemplates(size=3)
    r = Renderer(message_templates(), compiled=shared)
    renders(r)
    assert 0 < len(shared) <= 3
    assert renders(Renderer(message_templates(), compiled=shared)) == renders(Renderer(message_templates()))


def test_the_runs_of_a_process_share_one_cache() -> None:
    from books import book
    from conftest import customer, invoice

    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-01", 100)],
             templates=[["template", "language", "part", "body"], ["reminder_1", "fr", "subject", "Relance"]])
    one, two = message_renderer(b), message_renderer(b)
    assert one.compiled is two.compiled is COMPILED
    assert one.preset() is not one and one.preset().compiled is COMPILED
