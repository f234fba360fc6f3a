"""The Renderer (render/messages.py): escaping and the sandbox, workbook overrides, template
problems with their line, language fallback and filters. What the shipped templates say is in
test_message_templates.py."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest

from contexts import D, context, five_invoices, one_invoice, plain
from relance.app.resources import message_templates
from relance.render.messages import Renderer, TemplateProblem, sample_context


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(message_templates())


# --------------------------------------------------------------------------- escaping and safety


def test_html_is_escaped_text_is_not(renderer: Renderer) -> None:
    ctx = context(one_invoice(), name="<script>alert(1)</script>", contact="<b>Zoé</b> & Co")
    html = renderer.render("formal_notice", "fr", "html", ctx)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Zoé&lt;/b&gt; &amp; Co" in html
    text = renderer.render("formal_notice", "fr", "text", ctx)
    assert "<script>alert(1)</script>" in text and "<b>Zoé</b> & Co" in text
    subject = renderer.render("handoff", "fr", "subject", ctx)
    assert "<script>alert(1)</script>" in subject


def test_subject_is_one_line(renderer: Renderer) -> None:
    r = Renderer(message_templates(), {("reminder_1", "fr", "subject"): "A\n\n  {{ customer.name }}\r\nB"})
    ctx = context(one_invoice(), name="X\nBcc: evil@example.com")
    assert r.render("reminder_1", "fr", "subject", ctx) == "A X Bcc: evil@example.com B"


def test_sandbox_blocks_python_internals() -> None:
    r = Renderer(
        message_templates(),
        {
            ("reminder_1", "fr", "text"): "ok\n{{ ''.__class__.__mro__ }}",
            ("reminder_2", "fr", "text"): "{{ invoices.append(1) }}",
            ("courtesy", "fr", "text"): "{{ company.__class__.__subclasses__() }}",
        }
    )
    ctx = context(one_invoice())
    with pytest.raises(TemplateProblem) as err:
        r.render("reminder_1", "fr", "text", ctx)
    assert (err.value.template, err.value.part, err.value.line) == ("reminder_1", "text", 2)
    assert "unsafe" in err.value.message
    for name in ("reminder_2", "courtesy"):
        with pytest.raises(TemplateProblem):
            r.render(name, "fr", "text", ctx)
    assert len(ctx["invoices"]) == 1


# --------------------------------------------------------------------------- overrides and errors


def test_overrides_win_over_files() -> None:
    r = Renderer(
        message_templates(),
        {
            ("reminder_1", "fr", "subject"): "Votre facture, {{ customer.name }}",
            ("_layout", "en", "html"): "<p>{% block intro %}{% endblock %}</p>",
        }
    )
    ctx = context(one_invoice())
    assert r.render("reminder_1", "fr", "subject", ctx) == "Votre facture, Boulangerie Martin"
    assert "Sauf erreur" in r.render("reminder_1", "fr", "text", ctx)  # other parts: files
    html = r.render("reminder_1", "en", "html", context(one_invoice(), lang="en"))
    assert html.startswith("<p>") and "According to our records" in html
    assert "<table" not in html  # the overridden layout was used


def test_broken_override_raises_with_template_part_and_line() -> None:
    source = "<p>\n{% if is_b2b %}\nferme\n{{ customer.name }\n{% endif %}</p>"
    r = Renderer(message_templates(), {("reminder_2", "fr", "html"): source})
    with pytest.raises(TemplateProblem) as err:
        r.render("reminder_2", "fr", "html", context(one_invoice()))
    problem = err.value
    assert (problem.template, problem.lang, problem.part) == ("reminder_2", "fr", "html")
    assert problem.line == 4 and "syntax error" in problem.message
    assert "reminder_2" in str(problem) and "line 4" in str(problem)
    assert [p.part for p in r.check(["reminder_2"])] == ["html"]


def test_undefined_variable_raises_with_line() -> None:
    r = Renderer(message_templates(), {("reminder_1", "en", "text"): "Hello\n\n{{ customer.nmae }}"})
    with pytest.raises(TemplateProblem) as err:
        r.render("reminder_1", "en", "text", context(one_invoice(), lang="en"))
    assert (err.value.template, err.value.part, err.value.line) == ("reminder_1", "text", 3)
    assert "nmae" in err.value.message and "customer" in err.value.hint


def test_problem_in_the_layout_names_the_layout() -> None:
    r = Renderer(message_templates(), {("_layout", "fr", "html"): "<div>\n{% block intro %}{% endblock %}\n{{ oops }}"})
    with pytest.raises(TemplateProblem) as err:
        r.render("courtesy", "fr", "html", context(one_invoice()))
    assert (err.value.template, err.value.part, err.value.line) == ("_layout", "html", 3)
    assert err.value.rendering == "courtesy"


def test_check_reports_every_problem_once() -> None:
    r = Renderer(
        message_templates(),
        {
            ("_layout", "fr", "html"): "{% block intro %}{% endblock %}{{ oops }}",
            ("reminder_1", "en", "subject"): "{{ x",
            ("reminder_2", "fr", "text"): "{{ step.nom }}",
        }
    )
    names = ["courtesy", "reminder_1", "reminder_2", "formal_notice", "unknown"]
    compiled_only = {(p.template, p.lang, p.part) for p in r.check(names)}
    assert compiled_only == {("reminder_1", "en", "subject"), ("unknown", "fr,en", "")}
    problems = r.check(names, sample=sample_context)
    where = [(p.template, p.lang, p.part) for p in problems]
    assert sorted(where) == sorted(
        [
            ("_layout", "fr", "html"),
            ("reminder_1", "en", "subject"),
            ("reminder_2", "fr", "text"),
            ("unknown", "fr,en", ""),
        ]
    )


def test_missing_template_and_language_fallback() -> None:
    r = Renderer(
        message_templates(),
        {
            ("thanks", "en", "subject"): "Thanks ({{ lang }})",
            ("thanks", "en", "text"): "Thank you",
            ("partial", "fr", "subject"): "Merci",
            ("partial", "en", "text"): "Thank you",
        }
    )
    ctx = context(one_invoice())
    assert r.render("thanks", "fr", "subject", ctx) == "Thanks (en)"  # only in English
    assert r.language("thanks", "fr") == "en" and r.has("thanks", "fr", "text")
    assert r.language("reminder_1", "en") == "en" and r.language("reminder_1", "de") == "en"
    assert r.language("partial", "fr") == "fr"
    assert not r.has("partial", "fr", "text")  # exists in French: never mixed with English
    with pytest.raises(TemplateProblem) as err:
        r.render("partial", "fr", "text", ctx)
    assert "not found" in err.value.message
    with pytest.raises(TemplateProblem):
        r.render("nowhere", "fr", "html", ctx)
    assert not r.has("nowhere", "fr", "html")
    assert not r.has("../fr/reminder_1", "fr", "text")


def test_filters() -> None:
    r = Renderer(
        message_templates(),
        {
            ("f", "fr", "text"): "{{ a|money('EUR') }}|{{ b|money('EUR') }}|{{ c|money('JPY') }}"
            "|{{ d|number }}|{{ e|date }}|{{ e|date('short') }}",
            ("f", "en", "text"): "{{ a|money('EUR') }}|{{ b|money('GBP') }}|{{ c|money('JPY') }}"
            "|{{ d|number }}|{{ e|date }}",
            ("g", "fr", "text"): "{{ none|money('EUR') }}",
        }
    )
    values = {"a": D("0.005"), "b": D("-1234567.891"), "c": D("1234.5"), "d": D("1234.5")}
    values["e"] = dt.date(2025, 7, 14)
    values["none"] = None
    fr = plain(r.render("f", "fr", "text", values))
    assert fr == "0,01 €|-1 234 567,89 €|1 235 JPY|1 234,5|14 juillet 2025|14/07/2025\n"
    en = plain(r.render("f", "en", "text", values))
    assert en == "€0.01|-£1,234,567.89|JP¥1,235|1,234.5|14 July 2025\n"
    with pytest.raises(TemplateProblem) as err:
        r.render("g", "fr", "text", values)
    assert "money" in err.value.message


def test_template_problem_pickles() -> None:
    problem = TemplateProblem("reminder_1", "fr", "html", 12, "syntax error: x", "fix it", "y")
    again = pickle.loads(pickle.dumps(problem))
    assert (again.template, again.lang, again.part, again.line, again.message) == (
        "reminder_1",
        "fr",
        "html",
        12,
        "syntax error: x",
    )
    assert str(again) == str(problem)


def test_rendering_is_repeatable(renderer: Renderer) -> None:
    """The same context renders the same message every time (benchmarks/micro.py measures how fast)."""
    ctx = context(five_invoices(), step="formal_notice")
    first = renderer.render("formal_notice", "fr", "html", ctx)
    assert first.startswith("<!DOCTYPE html>")
    assert all(renderer.render("formal_notice", "fr", "html", ctx) == first for _ in range(50))
