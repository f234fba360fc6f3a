"""French typography as engine/i18n.py wrote it until session 20 (the reference the faster pass
is compared with): the whole text split on spaces, each word's glued marks spaced on its own."""

from __future__ import annotations

import re

NBSP = "\u00a0"
NNBSP = "\u202f"
_SPACE_BEFORE = re.compile(r"[ \u00a0\u202f]+([:;!?»])")
_BARE_BEFORE = re.compile(r"(?<=[^\s\u00a0\u202f])([;!?»])")
_SPACE_AFTER = re.compile(r"«[ \u00a0\u202f]*")


def reference_french_typography(text: str) -> str:
    """french_typography until session 20."""
    if not text:
        return text

    def before(match: re.Match[str]) -> str:
        mark = match[1]
        return (NBSP if mark == ":" else NNBSP) + mark

    text = _SPACE_BEFORE.sub(before, text)
    text = _SPACE_AFTER.sub("«" + NNBSP, text)
    return " ".join(_bare(word) for word in text.split(" "))


def _bare(word: str) -> str:
    if "://" in word or "@" in word or word.startswith(("{", "?")) or "=" in word:
        return word
    return _BARE_BEFORE.sub(lambda m: NNBSP + m[1], word)
