"""Message templates as the app renders them: the shipped files, the workbook's Modeles rows, the
bounds of render/sandbox.py and the time limit, which needs the clock (render/ never reads it).

`check_templates` is what `relance check` adds to the snapshot's anomalies: every template a
ladder of the book names, every template of the Modeles tab and the shared pieces, compiled and
rendered once per language on sample data (render.messages.sample_context), each problem an
Anomaly on the Modeles cell it comes from (or on the first row of the tab for a shipped file).
The documents relance lays out (the formal notice's letter, the hand-off package) are made once per
language on sample data instead (`check_documents`): a Modeles block they cannot use is a warning
R520, since the shipped paragraph is printed in its place.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from relance.app.resources import message_templates
from relance.engine import cells
from relance.engine.anomaly import Anomaly, Severity, Source
from relance.engine.book import Book
from relance.engine.catalog import anomalies as A
from relance.render.limits import CompiledTemplates
from relance.render.messages import Limits, Renderer, TemplateProblem, sample_context

#: The clock of the time limit: seconds, monotonic.
CLOCK: Callable[[], float] = time.monotonic
#: Languages a template is checked in (the shipped ones; a customer of another language falls back).
LANGUAGES = ("fr", "en")
#: The templates this process compiled, shared by the Renderers of its runs: a template is
#: compiled once per process, not once per run (render/sandbox.py, CompiledTemplates).
COMPILED = CompiledTemplates()


def template_overrides(book: Book) -> dict[tuple[str, str, str], str]:
    """The Modeles rows: (template, language, part) -> source."""
    return {key: body for key, (body, _) in _override_rows(book).items()}


def _override_rows(book: Book) -> dict[tuple[str, str, str], tuple[str, Source]]:
    """The Modeles rows with the cell of each body (a later row of the same part wins, as in Renderer)."""
    table = book.tables.get("templates")
    found: dict[tuple[str, str, str], tuple[str, Source]] = {}
    if table is None:
        return found
    for row in table:
        name, lang, part = (cells.text(row.raw(k)) for k in ("template", "language", "part"))
        body = row.raw("body")
        if name and part and body is not None:
            found[(name, (lang or "fr").lower(), part.lower())] = (str(body), row.source("body"))
    return found


def template_cell(book: Book, template: str, lang: str, part: str) -> Source | None:
    """The Modeles cell that holds this part of this template, if a row overrides it."""
    found = _override_rows(book).get((template, lang, part))
    return found[1] if found else None


def message_renderer(book: Book, limits: Limits | None = None,
                     clock: Callable[[], float] | None = CLOCK) -> Renderer:
    """The Renderer of a run: shipped templates, the book's Modeles rows, the bounds and the time limit."""
    return Renderer(message_templates(), template_overrides(book), limits=limits or Limits(), clock=clock,
                    compiled=COMPILED)


def template_names(book: Book) -> list[str]:
    """The templates a run of this book may render: those its ladders name, then the Modeles ones."""
    names = [step.template for scenario in book.scenarios.values() for step in scenario.steps if step.template]
    names += [name for name, _, _ in _override_rows(book) if not name.startswith("_")]
    return list(dict.fromkeys(names))


def check_templates(book: Book, renderer: Renderer | None = None) -> list[Anomaly]:
    """Every template the book may use, compiled and rendered once per language on sample data;
    what fails, or goes past a bound (steps, sizes, time), as an error on its Modeles cell.

    A template no ladder step finds is R507 in the snapshot already: it is not said again here.
    """
    renderer = renderer or message_renderer(book)
    rows = _override_rows(book)
    tab = book.tables.get("templates")
    tab_name = tab.name if tab is not None else book.contract.tab("templates").name(book.language)
    found: list[Anomaly] = []
    problems = renderer.check(template_names(book), LANGUAGES, sample=_sample)
    for problem in problems:
        if problem.message == "template not found":
            continue
        found.append(_anomaly(problem, rows, tab_name))
    return found + check_documents(book, renderer)


def check_documents(book: Book, renderer: Renderer) -> list[Anomaly]:
    """The formal notice and the hand-off package made once per language on sample data (a
    business and a consumer), with the book's Modeles rows: each paragraph that cannot be used
    (the shipped one would be printed instead) as a warning on its Modeles cell (R520)."""
    # reportlab: loaded when documents are checked
    from relance.render.handoff import agency_package
    from relance.render.letter import formal_notice_pdf

    problems: list[TemplateProblem] = []
    for lang in LANGUAGES:
        for b2b in (True, False):
            formal_notice_pdf(sample_context(lang, b2b=b2b, addresses=True), [], lang,
                              renderer=renderer, problems=problems)
        ctx: dict[str, Any] = sample_context(lang, step="handoff", addresses=True)
        agency_package(ctx["customer"], ctx["invoices"], [], {}, ctx["as_of"], lang, company=ctx["company"],
                       renderer=renderer, context=ctx, problems=problems)
    return document_anomalies(book, problems)


def document_anomalies(book: Book, problems: list[TemplateProblem]) -> list[Anomaly]:
    """Letter or hand-off wording of the Modeles tab that could not be used, once each, as R520
    warnings on the cell of its row: the shipped wording was (or would be) used instead."""
    rows = _override_rows(book)
    tab = book.tables.get("templates")
    tab_name = tab.name if tab is not None else book.contract.tab("templates").name(book.language)
    found: list[Anomaly] = []
    for problem in problems:
        at = rows.get((problem.template, problem.lang, problem.part))
        line = A.AT_LINE(line=problem.line) if problem.line else ""
        anomaly = Anomaly(at[1] if at is not None else Source(tab_name, 1),
                          f"{problem.template}.{problem.lang}.{problem.part}",
                          A.R520_DOCUMENT(template=problem.template, part=problem.part, line=line, detail=problem.said),
                          problem.said_hint if problem.hint else A.R520_HINT(), "R520", Severity.warning)
        if anomaly not in found:
            found.append(anomaly)
    return found


def _sample(lang: str) -> Mapping[str, object]:
    return sample_context(lang, addresses=True)  # every key a real context has


def _anomaly(problem: TemplateProblem, rows: Mapping[tuple[str, str, str], tuple[str, Source]],
             tab_name: str) -> Anomaly:
    key = (problem.template, problem.lang, problem.part)
    at = rows.get(key)
    line = A.AT_LINE(line=problem.line) if problem.line else ""
    where = f"{problem.template}.{problem.lang}.{problem.part}" if problem.part else problem.template
    rendering = A.WHILE_RENDERING(template=problem.rendering) if problem.rendering else ""
    if at is not None:
        source, hint = at[1], problem.said_hint or A.R701_CELL_HINT()
        said = A.R701_CELL(line=line, rendering=rendering, detail=problem.said)
    else:  # a shipped file (a layout a Modeles row extends, say): said on the tab
        source = Source(tab_name, 1)
        hint = problem.said_hint or A.R701_SHIPPED_HINT(tab=tab_name)
        said = A.R701_SHIPPED(template=where, line=line, rendering=rendering, detail=problem.said)
    return Anomaly(source, where, said, hint, "R701", Severity.error)
