"""The catalog's mechanism: every word relance shows is a Phrase, written in French and English.

Why a typed catalog rather than gettext: a Phrase cannot exist without both languages (the
constructor requires them, mypy checks every use by name), placeholders are checked to agree
between the languages by a test, no .mo file has to be compiled or found at run time (the engine
reads no file), and French typography is applied once, where the phrase is defined.

A Phrase called with its arguments gives a `Said`: a value that remembers what was said and is
rendered in a language only where it is shown (the Anomalies tab, the console, the JSON report),
so the pipeline never needs to know the reader's language to report a problem.

The strings themselves live in `relance.engine.catalog`, one module per family.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Lang(StrEnum):
    fr = "fr"
    en = "en"


def lang_of(locale: object, default: Lang = Lang.fr) -> Lang:
    """The language of a locale or language code (fr_FR, en-GB, en, FR.UTF-8); `default` otherwise."""
    text = str(locale or "").strip().lower()
    if text.startswith("en"):
        return Lang.en
    if text.startswith("fr"):
        return Lang.fr
    return default


# --------------------------------------------------------------------------- typography

NBSP = "\u00a0"  # before ":" and inside figures
NNBSP = "\u202f"  # before ";", "!", "?" and inside « »
_SPACE_BEFORE = re.compile(r"[ \u00a0\u202f]+([:;!?»])")
_BARE_BEFORE = re.compile(r"(?<=[^\s\u00a0\u202f])([;!?»])")
_SPACE_AFTER = re.compile(r"«[ \u00a0\u202f]*")


def french_typography(text: str) -> str:
    """French spacing: a no-break space before ':', a narrow one before ';', '!', '?' and inside « ».

    Only spaces already written before ':' are replaced (a colon glued to a word is a URL, a time
    or a ratio); before ';', '!', '?' and '»' a missing space is added, except in a URL or an
    e-mail-style token, where those characters are not punctuation.

    One pass per rule over the whole text, each skipped when its marks are absent: a text without
    any of ``: ; ! ? « »`` comes back as it is, and a glued mark is looked at in its own word only
    (tests/reference_typography.py keeps the word-by-word pass this replaces, and the tests compare
    them).
    """
    if not text or _MARKS.search(text) is None:
        return text
    text = _spaced_before(text)
    if "«" in text:
        text = _SPACE_AFTER.sub("«" + NNBSP, text)
    return _glued(text)


_MARKS = re.compile("[:;!?«»]")
_AFTER_SPACE = re.compile("[:;!?»]")
_SPACES = " \u00a0\u202f"
#: a mark glued to what comes before it (not a space of any kind): matched on the mark first
_GLUED = re.compile("[;!?»](?<=[^\\s\u00a0\u202f][;!?»])")


def _spaced_before(text: str) -> str:
    """Each run of spaces (ordinary, no-break, narrow) before a mark made one no-break space
    before ':', one narrow no-break space before the others (what ``_SPACE_BEFORE.sub`` did)."""
    out: list[str] = []
    last = 0
    for match in _AFTER_SPACE.finditer(text):
        at = match.start()
        start = at
        while start > last and text[start - 1] in _SPACES:
            start -= 1
        if start == at:
            continue
        out.append(text[last:start])
        out.append(NBSP if match[0] == ":" else NNBSP)
        last = at
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _glued(text: str) -> str:
    """A narrow no-break space before each ';', '!', '?', '»' glued to the word before it, unless
    that word (the text between two ordinary spaces) is a URL, an address or a parameter."""
    out: list[str] = []
    last = 0
    for match in _GLUED.finditer(text):
        at = match.start()
        start = text.rfind(" ", 0, at) + 1
        end = text.find(" ", at)
        if _kept(text[start:] if end < 0 else text[start:end]):
            continue
        out.append(text[last:at])
        out.append(NNBSP)
        last = at
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _kept(word: str) -> bool:
    """A word whose marks are not punctuation: a URL, an e-mail address, a placeholder, a query."""
    return "://" in word or "@" in word or word.startswith(("{", "?")) or "=" in word


# --------------------------------------------------------------------------- phrases

_FIELDS = string.Formatter()


def placeholders(pattern: str) -> frozenset[str]:
    """The names a pattern substitutes ({n}, {tab}, ...)."""
    return frozenset(name.split(".")[0].split("[")[0] for _, name, _, _ in _FIELDS.parse(pattern)
                     if name)


@dataclass(frozen=True, slots=True)
class Phrase:
    """One user-facing string in both languages; `fr_one`/`en_one` are the singular forms, chosen
    by the `n` argument (French: 0 and 1 are singular; English: 1 only)."""

    fr: str
    en: str
    fr_one: str | None = None
    en_one: str | None = None
    key: str = field(default="", compare=False)  # module.NAME, set by the catalog

    def __post_init__(self) -> None:
        object.__setattr__(self, "fr", french_typography(self.fr))
        if self.fr_one is not None:
            object.__setattr__(self, "fr_one", french_typography(self.fr_one))

    def __call__(self, **args: object) -> Said:
        return Said(self, tuple(args.items()))

    def text(self, lang: str, **args: object) -> str:
        """The phrase in `lang` with its arguments."""
        return Said(self, tuple(args.items())).text(lang)

    def pattern(self, lang: str, n: object = None) -> str:
        """The pattern of `lang`, singular or plural by `n`."""
        if lang == Lang.en:
            return self.en_one if self.en_one is not None and _is_one(n, Lang.en) else self.en
        return self.fr_one if self.fr_one is not None and _is_one(n, Lang.fr) else self.fr

    def patterns(self) -> Iterable[tuple[str, str]]:
        """(language, pattern) for every form, for the catalog's tests."""
        yield "fr", self.fr
        yield "en", self.en
        if self.fr_one is not None:
            yield "fr", self.fr_one
        if self.en_one is not None:
            yield "en", self.en_one


def _is_one(n: object, lang: Lang) -> bool:
    if not isinstance(n, int | float) or isinstance(n, bool):
        try:
            n = float(str(n))
        except ValueError:
            return False
    return abs(n) < 2 if lang == Lang.fr else n == 1


#: A text said the same way in both languages (a value, a name, a code).
VERBATIM = Phrase("{text}", "{text}")


@dataclass(frozen=True, slots=True)
class Said:
    """What was said: a phrase and its arguments, rendered in a language where it is shown.

    An argument may itself be a Said (rendered in the same language), a date (written in prose),
    a figure of relance.engine.formats (Money, Number, Percent, Days: formatted in the language),
    a list of Said or texts (joined with commas), or anything str() shows.
    """

    phrase: Phrase
    args: tuple[tuple[str, object], ...] = ()

    @staticmethod
    def verbatim(text: object) -> Said:
        """A text that is the same in both languages."""
        return Said(VERBATIM, (("text", "" if text is None else str(text)),))

    def text(self, lang: str) -> str:
        """The sentence in `lang` ("fr" or "en")."""
        lang = Lang.en if lang == Lang.en else Lang.fr
        values = {name: _show(value, lang) for name, value in self.args}
        pattern = self.phrase.pattern(lang, dict(self.args).get("n"))
        try:
            return pattern.format(**values)
        except (KeyError, IndexError, ValueError):  # a catalog bug must not stop a run
            return pattern

    @property
    def fr(self) -> str:
        return self.text(Lang.fr)

    @property
    def en(self) -> str:
        return self.text(Lang.en)

    def __bool__(self) -> bool:
        return self.phrase is not VERBATIM or bool(dict(self.args).get("text"))

    def __add__(self, other: Said) -> Said:
        """Two sentences one after the other ("…; …")."""
        return JOINED(first=self, then=other)


#: Two Said one after the other.
JOINED = Phrase("{first}{then}", "{first}{then}")


def _show(value: object, lang: Lang) -> object:
    if isinstance(value, Said):
        return value.text(lang)
    shown = getattr(value, "shown", None)  # a figure of relance.engine.formats: Money, Days, ...
    if callable(shown):
        return shown(lang)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        from relance.engine.formats import formats  # formats imports i18n

        return formats(lang).date(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(_show(v, lang)) for v in value)
    return value
