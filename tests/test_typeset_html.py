"""French typography on the text nodes of an HTML part (render/messages.py typeset_html): the
faster pass (text nodes without punctuation left alone, a part without any returned as is)
writes what the former one wrote, on generated HTML and on the shipped e-mails."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from contexts import context, five_invoices
from reference_typography import reference_french_typography as french_typography
from relance.app.resources import message_templates
from relance.render.messages import Renderer, typeset_html

_MARKUP = re.compile(r"(<!--.*?-->|<(style|script)\b.*?</\2\s*>|<[^>]*>)", re.DOTALL | re.IGNORECASE)
_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_HOLE = "\ue000"


def former_typeset_html(html: str) -> str:
    """typeset_html as it was until session 19 (the reference), with the French typography of
    then (tests/reference_typography.py)."""
    out: list[str] = []
    last = 0
    for match in _MARKUP.finditer(html):
        out.append(_former_text(html[last:match.start()]))
        out.append(match[0])
        last = match.end()
    out.append(_former_text(html[last:]))
    return "".join(out)


def _former_text(text: str) -> str:
    if not text or not any(c in text for c in ":;!?«»"):
        return text
    entities = _ENTITY.findall(text)
    if not entities:
        return french_typography(text)
    done = french_typography(_ENTITY.sub(_HOLE, text))
    pieces = done.split(_HOLE)
    if len(pieces) != len(entities) + 1:
        return text
    return "".join(p + e for p, e in zip(pieces, [*entities, ""], strict=True))


pieces = st.sampled_from([
    "<p>", "</p>", '<a href="https://x.fr/?a=1;b=2">', "</a>", "<br>", "<!-- note : x -->", "<style>a:b;</style>",
    "<script>if (a) { b(); }</script>", "&amp;", "&#39;", "&nbsp;", "&x", " ", "\u00a0", "\u202f", "\n",
    "Montant dû", ":", ";", "!", "?", "«", "»", "« ", " »", " :", "1 234,56 €", "mailto:a@b.fr", "<", ">", "=",
]) | st.text(max_size=12)


@settings(max_examples=2000, deadline=None)
@given(st.lists(pieces, max_size=40).map("".join))
@example("")
@example("<p>Bonjour : merci ; à bientôt ! Vraiment ? « oui »</p>")
@example("<p>pas de ponctuation</p><style>a:b</style>")
def test_the_faster_pass_writes_what_the_former_one_wrote(html):
    assert typeset_html(html) == former_typeset_html(html)


def test_the_shipped_french_emails_are_typeset_as_before():
    r = Renderer(message_templates())
    ctx = context(five_invoices())
    for name in ("courtesy", "reminder_1", "reminder_2", "notice", "formal_notice"):
        if r.has(name, "fr", "html"):
            html = r.render(name, "fr", "html", ctx)
            assert typeset_html(html) == former_typeset_html(html)


_SHARED: dict[str, str] = {}


@settings(max_examples=500, deadline=None)
@given(st.lists(pieces, max_size=40).map("".join))
def test_text_nodes_kept_typeset_across_parts_write_the_same(html):
    """A Renderer keeps the nodes it typeset (one memo for all its parts): reusing them writes the same."""
    assert typeset_html(html, _SHARED) == former_typeset_html(html)
    assert typeset_html(html, _SHARED) == former_typeset_html(html)
