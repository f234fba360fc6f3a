"""French typography (engine/i18n.py french_typography): the pass by marks writes what the former
word-by-word pass (tests/reference_typography.py) wrote, on generated texts and on every shipped
French message part."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from contexts import context, five_invoices
from reference_typography import reference_french_typography
from relance.app.resources import message_templates
from relance.engine.i18n import french_typography
from relance.render.messages import Renderer, TemplateProblem, sample_context

pieces = st.sampled_from([
    " ", "\u00a0", "\u202f", "\n", "\t", "\r", ":", ";", "!", "?", "«", "»", "« ", " »", " :", " ;", "  !",
    "\u00a0?", "://", "https://pay.example/x?id=1;b=2", "a@b.fr", "=", "{", "{x}", "?q", "mot", "é", "12:30",
    "1 234,56 €", "\u2028", "\u3000", "Total restant dû",
]) | st.text(max_size=8)


@settings(max_examples=3000, deadline=None)
@given(st.lists(pieces, max_size=30).map("".join))
@example("")
@example("Objet : « relance » ; payé ? oui !")
@example("https://pay.example/x?id=1 a@b.fr 12:30")
@example("«;» «! x? =? {? ?? a\n!b")
@example("ok!\nhttps://x.fr/?a  ;b")
def test_the_pass_by_marks_writes_what_the_word_by_word_pass_wrote(text: str) -> None:
    assert french_typography(text) == reference_french_typography(text)


def test_every_shipped_french_part_is_typeset_as_before() -> None:
    """The parts as rendered before typography (what Renderer.render typesets): the same text
    either way, for every shipped French template and part but the SMS."""
    r = Renderer(message_templates())
    import relance.render.messages as messages

    raw: list[str] = []
    original = messages.french_typography

    def keep(text: str) -> str:
        raw.append(text)
        return original(text)

    messages.french_typography = keep
    try:
        for ctx in (context(five_invoices()), sample_context("fr"), sample_context("fr", b2b=False, invoices=1),
                    sample_context("fr", addresses=True, step="reminder_2")):
            for name in sorted({n.split(".")[0] for lang, n in message_templates() if lang == "fr"}):
                if name.startswith("_"):
                    continue
                for part in ("subject", "text", "script", "html"):
                    if r.has(name, "fr", part):
                        try:
                            r.render(name, "fr", part, ctx)
                        except TemplateProblem:  # the weekly summary has a context of its own
                            continue
    finally:
        messages.french_typography = original
    assert len(raw) > 20
    for text in raw:
        assert french_typography(text) == reference_french_typography(text)
