"""The words of a document relance lays out itself (the formal notice, the hand-off package), read
from templates: ``scenarios/templates/<lang>/<template>.<part>.j2``, one ``{% block %}`` per
paragraph or label, overridable from the Modeles tab like every e-mail part.

A Modeles row of a document part (``formal_notice`` / ``letter``, ``handoff`` / ``package``) holds
only the blocks it changes: ``{% block demand %}…{% endblock %}`` replaces that paragraph, every
other paragraph keeps the shipped wording. A row that cannot be used for a paragraph (a syntax
error, an unknown variable, a bound of the sandbox, a block name the document does not have, or a
paragraph that would leave out what it must say, such as the amount claimed) is a
:class:`TemplateProblem` collected in ``problems``, and the shipped wording is used instead: the
letter still goes out complete, and the app reports the problem on the Modeles cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from relance.engine.catalog import anomalies as A
from relance.engine.i18n import Said
from relance.render.messages import Renderer, TemplateProblem

__all__ = ["Wording", "same_text"]


def same_text(text: str) -> str:
    """Text compared whatever its spaces: no-break, narrow and line breaks as one space."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@dataclass
class Wording:
    """The paragraphs of one document in one language: ``words("demand", required=[...], **extra)``.

    ``context`` is the render context of the e-mails (engine/message.render_context); ``extra``
    adds what a paragraph needs beyond it (the figures the letter computed). ``problems``
    receives each problem with a Modeles row once; the shipped wording is then used.
    """

    renderer: Renderer
    template: str
    part: str
    lang: str
    context: Mapping[str, Any]
    problems: list[TemplateProblem] = field(default_factory=list)
    _override: bool | None = field(default=None, init=False)
    _blocks: frozenset[str] = field(default=frozenset(), init=False)
    _said: set[tuple[object, ...]] = field(default_factory=set, init=False)

    def __call__(self, block: str, required: Iterable[tuple[Said, str, str]] = (), **extra: Any) -> str:
        """The paragraph ``block``; ``required``: what an override must print, as (what, the text, the
        variable that prints it)."""
        values = {**self.context, **extra}
        if self._uses_override() and block in self._blocks:
            try:
                text = self.renderer.render_block(self.template, self.lang, self.part, block, values)
                missing = [(what, variable) for what, shown, variable in required
                           if same_text(shown) not in same_text(text)]
                if not missing:
                    return text
                what, variable = missing[0]
                self._record(TemplateProblem(
                    self.template, self.lang, self.part, None, f"{block}: leaves out {what.en}",
                    said=A.LETTER_LEAVES_OUT(block=block, what=what),
                    said_hint=A.LETTER_LEAVES_OUT_HINT(variable=variable)))
            except TemplateProblem as problem:
                self._record(problem)
        return self.renderer.preset().render_block(self.template, self.lang, self.part, block, values)

    def _uses_override(self) -> bool:
        if self._override is None:
            self._override = False
            if self.renderer.overridden(self.template, self.lang, self.part):
                try:
                    self._blocks = self.renderer.blocks(self.template, self.lang, self.part)
                    self._override = True
                    known = self.renderer.preset().blocks(self.template, self.lang, self.part)
                    unknown = sorted(self._blocks - known)
                    if unknown or not self._blocks:
                        self._record(TemplateProblem(
                            self.template, self.lang, self.part, None,
                            f"unknown blocks {unknown}" if unknown else "no block",
                            said=A.LETTER_UNKNOWN_BLOCKS(names=", ".join(unknown) or "–"),
                            said_hint=A.LETTER_BLOCKS_HINT(names=", ".join(sorted(known)))))
                except TemplateProblem as problem:
                    self._record(problem)
        return self._override

    def _record(self, problem: TemplateProblem) -> None:
        key = (problem.template, problem.lang, problem.part, problem.line, problem.english)
        if key not in self._said:
            self._said.add(key)
            self.problems.append(problem)
