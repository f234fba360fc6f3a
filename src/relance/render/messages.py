"""Message rendering: Jinja2 templates (files in scenarios/templates, overridable from the workbook).

A template is addressed by (template, lang, part), e.g. ("reminder_1", "fr", "html"). It is served,
in this order, from:

1. the overrides given to :class:`Renderer` (the workbook's Templates / Modeles tab);
2. the shipped file ``scenarios/templates/<lang>/<template>.<part>.j2``, given as a
   :data:`TemplateFiles` mapping (app/resources.py reads the folder; nothing here touches a file).

Inside templates the same naming holds: ``{% extends "_layout.html.j2" %}`` loads the part
``html`` of the template ``_layout`` in the current language (so the layout, too, can be
overridden from the workbook). Shared pieces start with an underscore.

Language: a message is rendered in the customer's language; only when the template does not
exist *at all* in that language (no part of it, neither file nor override) is another language
used (``en`` then ``fr``). Parts are never mixed across languages within one template.

Everything runs in Jinja's immutable sandbox with StrictUndefined, bounded (render/sandbox.py:
steps, sizes, range, time when the app gives a clock); html parts are autoescaped, the other
parts (subject, text, sms, script) are not. Any problem (syntax error, undefined variable,
sandbox violation, a bound exceeded, a filter given a wrong value) is raised as
:class:`TemplateProblem` with the template, language, part and line.

French typography is applied to what a French template renders, not only written in the shipped
files: every part but the SMS goes through ``french_typography`` (for HTML, the text nodes only:
tags, attributes, style and entities stay as written). The shipped templates carry the right
characters already, but a template pasted into the Modeles tab is typed with ordinary spaces
(a keyboard has no U+202F), and values (a customer's name, a note) come from cells: typesetting
the output is the only way every French message comes out right whatever wrote it. SMS are left
alone: they are GSM-7, where one no-break space turns the message into UCS-2 and halves its length.
Documents relance lays out itself (the formal notice's PDF, the hand-off package) take their
words from parts of :data:`DOCUMENT_PARTS` (``formal_notice.letter.j2``, ``handoff.package.j2``):
one ``{% block %}`` per paragraph, rendered alone by :meth:`Renderer.render_block`, on one line;
render/wording.py lets a Modeles row replace some blocks and keeps the shipped ones for the rest.
Filters (``money``, ``number``, ``percent``, ``days``, ``date``, ``of``, ``link``) all go through
the one formatter, relance.engine.formats, so an amount reads the same in a message, a letter
and the report.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from relance.engine.catalog import anomalies as A
from relance.engine.errors import ConfigError
from relance.engine.formats import formats
from relance.engine.i18n import Said, french_typography
from relance.render.limits import DEFAULT_LIMITS, CompiledTemplates, LimitExceeded, Limits

if TYPE_CHECKING:
    from jinja2 import Template

    from relance.render.sandbox import BoundedEnvironment


def _environment_class() -> type[BoundedEnvironment]:
    """The environment class Renderers make (`BoundedEnvironment`: tests put another in its
    place), imported with Jinja when a template is first compiled: a run that renders no
    message (a rerun that sends nothing) only asks which templates exist."""
    found = globals().get("BoundedEnvironment")
    if found is None:
        from relance.render.sandbox import BoundedEnvironment

        found = globals()["BoundedEnvironment"] = BoundedEnvironment
    return cast("type[BoundedEnvironment]", found)


def __getattr__(name: str) -> Any:
    if name == "BoundedEnvironment":
        return _environment_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DOCUMENT_PARTS", "HTML_PARTS", "Limits", "Renderer", "TemplateFiles", "TemplateProblem", "one_line", "sample_context",
           "typeset_html"]

#: Template sources by (language, file name), e.g. ("fr", "reminder_1.html.j2").
TemplateFiles = Mapping[tuple[str, str], str]
#: Where the shipped templates live, as messages name them.
SHIPPED_FOLDER = "scenarios/templates"

#: Parts rendered with HTML autoescaping.
HTML_PARTS = frozenset({"html"})
#: Parts that hold the wording of a document relance lays out itself (the formal notice's PDF,
#: the hand-off package): each ``{% block %}`` is one paragraph or label, rendered on its own by
#: :meth:`Renderer.render_block`; a Modeles row of such a part replaces the blocks it defines.
DOCUMENT_PARTS = frozenset({"letter", "package"})
#: Parts that are a single header line: whitespace (newlines included) is collapsed.
_LINE_PARTS = frozenset({"subject"})
#: Babel locale per language code; another code is parsed as a locale identifier as is.
_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
#: Fallback order when a template does not exist at all in the requested language.
_FALLBACK = ("en", "fr")
_SUFFIX = ".j2"
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_MAX_DIGITS = 20


class TemplateProblem(ConfigError):
    """A template cannot be compiled or rendered.

    ``template``/``lang``/``part`` name the source where the problem is (a layout or macro file
    when the error is there), ``line`` its 1-based line when known, ``message`` what is wrong.
    ``rendering`` is the template that was being rendered when it differs from ``template``.
    ``limit`` is true when a bound of render/sandbox.py stopped the render (steps, sizes, time):
    such a template fails the same way for every customer, and may take its time limit to do so.
    ``said`` and ``said_hint`` are the message and the hint in both languages, for the Anomalies
    tab (what Jinja itself says is kept as written inside them).
    """

    def __init__(
        self,
        template: str,
        lang: str,
        part: str,
        line: int | None,
        message: str,
        hint: str = "",
        rendering: str = "",
        limit: bool = False,
        said: Said | None = None,
        said_hint: Said | None = None,
    ) -> None:
        # RelanceError's `said`/`fix` are the problem and the fix in both languages (the catalog's
        # when given); `said_hint` is the same fix under the name the Anomalies code uses.
        super().__init__(said or message, said_hint or hint)
        self.english = message  # what the bound or Jinja said, as written
        self.template = template
        self.lang = lang
        self.part = part
        self.line = line
        self.rendering = rendering if rendering != template else ""
        self.limit = limit

    @property
    def said_hint(self) -> Said:
        return self.fix

    @property
    def where(self) -> str:
        at = f"template {self.template!r} ({', '.join(x for x in (self.lang, self.part) if x)})"
        if self.line is not None:
            at += f" line {self.line}"
        if self.rendering:
            at += f", while rendering {self.rendering!r}"
        return at

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}"
        return f"{text}\n  → {self.hint}" if self.hint else text

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            self.__class__,
            (
                self.template,
                self.lang,
                self.part,
                self.line,
                self.message,
                self.hint,
                self.rendering,
                self.limit,
                self.said,
                self.said_hint,
            ),
        )


# --------------------------------------------------------------------------- names


def _source_name(template: str, part: str) -> str:
    """Loader name of a (template, part): ``reminder_1.html.j2``; ``_macros.j2`` when part is ''."""
    return f"{template}.{part}{_SUFFIX}" if part else f"{template}{_SUFFIX}"


def _split_name(name: str) -> tuple[str, str]:
    """Inverse of :func:`_source_name`."""
    stem = name[: -len(_SUFFIX)] if name.endswith(_SUFFIX) else name
    template, _, part = stem.partition(".")
    return template, part


# --------------------------------------------------------------------------- filters


def _to_decimal(value: object, what: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        raise TypeError(f"{what}: expected an amount, got {value!r} (guard it with `is not none`)")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float | str):
        try:
            return Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            pass
    raise TypeError(f"{what}: expected an amount, got {value!r}")


def _make_filters(lang: str) -> dict[str, Callable[..., str]]:
    """The template filters, all through the one formatter (relance.engine.formats): an amount
    reads the same in an e-mail, a letter and the report, rounded half-up."""
    fmt = formats(_LOCALES.get(lang, lang))
    dates: dict[tuple[dt.date, str], str] = {}

    def money(value: object, currency: str) -> str:
        """``1 234,56 €`` (fr) / ``€1,234.56`` (en); rounded half-up to the currency's digits."""
        amount = _to_decimal(value, "money")
        if not str(currency).strip():
            raise ValueError("money: no currency given")
        return fmt.money(amount, str(currency))

    def number(value: object, digits: int | None = None) -> str:
        """Locale-formatted number; ``digits`` fixes the decimals (rounded half-up)."""
        amount = _to_decimal(value, "number")
        if digits is not None and not 0 <= int(digits) <= _MAX_DIGITS:
            raise ValueError(f"number: digits must be from 0 to {_MAX_DIGITS}, not {digits!r}")
        return fmt.number(amount, None if digits is None else int(digits))

    def percent(value: object, digits: int = 1) -> str:
        """Percentage points: 12.5 -> ``12,5 %`` (fr) / ``12.5%`` (en)."""
        if not 0 <= int(digits) <= _MAX_DIGITS:
            raise ValueError(f"percent: digits must be from 0 to {_MAX_DIGITS}, not {digits!r}")
        return fmt.percent(_to_decimal(value, "percent"), int(digits))

    def days(value: object, digits: int = 0) -> str:
        """A number of days: ``1 jour``, ``82 jours`` / ``1 day``, ``82 days``."""
        if not 0 <= int(digits) <= _MAX_DIGITS:
            raise ValueError(f"days: digits must be from 0 to {_MAX_DIGITS}, not {digits!r}")
        return fmt.days(_to_decimal(value, "days"), int(digits))

    def date(value: object, format: str = "long") -> str:
        """``15 mars 2025`` (fr, ``1er mars 2025`` on the first) / ``15 March 2025`` (en);
        ``short``: ``15/03/2025`` / ``15 Mar 2025``; any other babel pattern as babel writes it."""
        if isinstance(value, dt.datetime):
            value = value.date()
        elif isinstance(value, str):
            value = dt.date.fromisoformat(value.strip())
        if not isinstance(value, dt.date):
            raise TypeError(f"date: expected a date, got {value!r}")
        key = (value, format)
        text = dates.get(key)
        if text is None:
            text = fmt.date(value) if format == "long" else fmt.short_date(value) if format == "short" \
                else fmt.pattern_date(value, format)
            if len(dates) > 20_000:
                dates.clear()
            dates[key] = text
        return text

    def of(value: object) -> str:
        """French elision: ``d'Alain``, ``de Martin`` (``of Alain`` in English)."""
        return fmt.of("" if value is None else str(value))

    def link(value: object) -> str:
        """The URL when it is http(s) or mailto, else '' (so ``{% if x|link %}`` guards links)."""
        url = "" if value is None else str(value).strip()
        return url if url.lower().startswith(_SAFE_SCHEMES) else ""

    return {"money": money, "number": number, "percent": percent, "days": days, "date": date,
            "of": of, "link": link}


# --------------------------------------------------------------------------- rendering


#: Parts left as written: an SMS is GSM-7, where no-break spaces cost a whole UCS-2 message.
_ASCII_PARTS = frozenset({"sms"})
#: A tag, a comment, or an element whose content is not prose (style, script).
#: (The '<' put in front of the three, which finds the same pieces faster.)
_MARKUP = re.compile(r"(<(?:!--.*?-->|(style|script)\b.*?</\2\s*>|[^>]*>))", re.DOTALL | re.IGNORECASE)
_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_HOLE = "\ue000"  # a private-use character standing for an entity while the text is typeset


def typeset_html(html: str, memo: dict[str, str] | None = None) -> str:
    """French typography on the text nodes of an HTML part: tags, attributes, comments, style
    and script stay byte for byte, and so do entities (``&amp;``, ``&#39;``). ``memo``: text
    nodes already typeset (a Renderer keeps one: the layouts' nodes come back in every message)."""
    if not _PUNCTUATION.search(html):
        return html  # nothing French typography changes, in any text node
    # text, markup, the markup's inner group, text, ...: the text nodes are every third piece
    pieces = _MARKUP.split(html)
    if memo is None:
        memo = {}
    elif len(memo) > _MEMO_SIZE:
        memo.clear()
    texts = pieces[::3]
    for i, text in enumerate(texts):
        done = memo.get(text)
        if done is None:
            done = memo[text] = _typeset_text(text) if _PUNCTUATION.search(text) else text
        texts[i] = done
    pieces[::3] = texts
    del pieces[2::3]
    return "".join(pieces)


#: Text nodes a Renderer keeps typeset (then it starts again).
_MEMO_SIZE = 8192


#: What French typography changes: the spaces around these marks.
_PUNCTUATION = re.compile("[:;!?«»]")


def _typeset_text(text: str) -> str:
    if not _PUNCTUATION.search(text):
        return text
    entities = _ENTITY.findall(text)
    if not entities:
        return french_typography(text)
    done = french_typography(_ENTITY.sub(_HOLE, text))
    pieces = done.split(_HOLE)
    if len(pieces) != len(entities) + 1:  # a hole was moved: keep the text as written
        return text
    return "".join(p + e for p, e in zip(pieces, [*entities, ""], strict=True))


_ASCII_SPACE = re.compile(r"[ \t\r\n\f\v]+")


def one_line(text: str) -> str:
    """A header line: runs of ordinary white space collapsed, no-break spaces kept (French
    typography puts one before « : ; ? ! »)."""
    return _ASCII_SPACE.sub(" ", text).strip()


def _normalise(text: str, part: str) -> str:
    if part in _LINE_PARTS:
        return one_line(text)
    if part in HTML_PARTS:
        return text.strip() + "\n"
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


class Renderer:
    """Renders messages from templates; compiled templates are cached for the Renderer's life,
    and for the process's when the app gives its CompiledTemplates (`compiled`)."""

    def __init__(
        self,
        files: TemplateFiles,
        overrides: Mapping[tuple[str, str, str], str] | None = None,
        *,
        limits: Limits = DEFAULT_LIMITS,
        clock: Callable[[], float] | None = None,
        compiled: CompiledTemplates | None = None,
    ) -> None:
        """``limits`` bound what one message may cost (render/sandbox.py); ``clock`` (seconds,
        monotonic: the app passes ``time.monotonic``) adds the time limit ``limits.seconds``;
        ``compiled``: the compiled templates this Renderer shares with others (its own if None)."""
        self._files = files
        self.compiled = compiled if compiled is not None else CompiledTemplates()
        self.limits = limits
        self._clock = clock
        # lang -> file names of that language, for parts() and the shared pieces
        self._names: dict[str, list[str]] = {}
        for lang, name in files:
            self._names.setdefault(lang, []).append(name)
        # lang -> loader name -> source
        self._overrides: dict[str, dict[str, str]] = {}
        for (template, lang, part), source in (overrides or {}).items():
            key = (str(template).strip(), _lang_code(lang), str(part).strip().lower())
            self._overrides.setdefault(key[1], {})[_source_name(key[0], key[2])] = str(source)
        self._envs: dict[tuple[str, bool], BoundedEnvironment] = {}
        self._compiled: dict[tuple[str, str, str], tuple[Template, str]] = {}
        self._resolved: dict[tuple[str, str], str | None] = {}
        self._parts_cache: dict[tuple[str, str], frozenset[str]] = {}
        # template filename (as Jinja reports it in tracebacks) -> (template, lang, part)
        self._filenames: dict[str, tuple[str, str, str]] = {}
        self._preset: Renderer | None = None
        self._typeset: dict[str, str] = {}  # HTML text nodes typeset, by their text

    # ------------------------------------------------------------------ public API

    def render(self, template: str, lang: str, part: str, context: Mapping[str, object]) -> str:
        """Render one part. ``context['lang']`` is set to the language actually used."""
        compiled, used = self._get(template, lang, part)
        env = cast("BoundedEnvironment", compiled.environment)
        env.start(self._clock)
        try:
            text = compiled.render(context, lang=used)  # one copy of the context, 'lang' set in it
        except Exception as exc:  # template code is user data: every failure is its problem
            raise self._problem(exc, template, used, part, {**context, "lang": used}) from exc
        finally:
            env.stop()
        if len(text) > self.limits.text:
            raise TemplateProblem(
                template, used, part, None,
                f"the message would be {_spaced(len(text))} characters long, more than the "
                f"{_spaced(self.limits.text)} a message may have",
                hint="a message lists what is due; it needs far less text", rendering=template, limit=True,
                said=A.MESSAGE_TOO_LONG(size=len(text), limit=self.limits.text), said_hint=A.MESSAGE_TOO_LONG_HINT())
        text = _normalise(text, part)
        if used == "fr" and part not in _ASCII_PARTS:
            text = typeset_html(text, self._typeset) if part in HTML_PARTS else french_typography(text)
        return text

    def render_block(self, template: str, lang: str, part: str, block: str,
                     context: Mapping[str, object]) -> str:
        """Render one ``{% block %}`` of a document part (a paragraph of the letter) on one line:
        white space collapsed, French typography applied to French; the same sandbox, bounds and
        problems as :meth:`render`. A block sees the context, not what the file sets outside it."""
        compiled, used = self._get(template, lang, part)
        render = compiled.blocks.get(block)
        if render is None:
            raise TemplateProblem(
                template, used, part, None, f"no block {block!r}", rendering=template,
                said=A.NO_BLOCK(block=block),
                said_hint=A.TEMPLATE_ADD_HINT(path=f"{SHIPPED_FOLDER}/{used}/{_source_name(template, part)}"))
        env = cast("BoundedEnvironment", compiled.environment)
        env.start(self._clock)
        try:
            try:  # the context copied once (by Jinja), 'lang' set in the copy
                text = "".join(render(compiled.new_context(context, locals={"lang": used})))  # type: ignore[arg-type]
            except Exception:
                env.handle_exception()  # raises again, the traceback on the template's own lines
        except Exception as exc:  # template code is user data: every failure is its problem
            raise self._problem(exc, template, used, part, {**context, "lang": used}) from exc
        finally:
            env.stop()
        if len(text) > self.limits.text:
            raise TemplateProblem(
                template, used, part, None, f"the text would be {_spaced(len(text))} characters long",
                rendering=template, limit=True,
                said=A.MESSAGE_TOO_LONG(size=len(text), limit=self.limits.text), said_hint=A.MESSAGE_TOO_LONG_HINT())
        text = one_line(text)
        return french_typography(text) if used == "fr" else text

    def blocks(self, template: str, lang: str, part: str) -> frozenset[str]:
        """The block names of a part as served (the Modeles row when there is one, else the file);
        raises TemplateProblem when it does not compile."""
        compiled, _ = self._get(template, lang, part)
        return frozenset(compiled.blocks)

    def overridden(self, template: str, lang: str, part: str) -> bool:
        """Whether a Modeles row gives this part in this language (the shipped file is not used)."""
        return _source_name(template, part) in self._overrides.get(_lang_code(lang), {})

    def preset(self) -> Renderer:
        """The same templates without the Modeles rows: what a broken override falls back to."""
        if self._preset is None:
            self._preset = self if not self._overrides else Renderer(self._files, limits=self.limits,
                                                                     clock=self._clock, compiled=self.compiled)
        return self._preset

    def has(self, template: str, lang: str, part: str) -> bool:
        """Whether :meth:`render` would find this part (after the language fallback)."""
        used = self.language(template, lang)
        return used is not None and part in self.parts(template, used)

    def language(self, template: str, lang: str) -> str | None:
        """The language a template renders in for a customer speaking ``lang`` (None: no template)."""
        key = (template, lang)
        if key not in self._resolved:
            lang = _lang_code(lang)
            order = [lang] + [other for other in _FALLBACK if other != lang]
            self._resolved[key] = next((c for c in order if self.parts(template, c)), None)
        return self._resolved[key]

    def parts(self, template: str, lang: str) -> frozenset[str]:
        """The parts of a template that exist in exactly this language (files and overrides)."""
        key = (template, lang)
        if key not in self._parts_cache:
            found: set[str] = set()
            for name in self._overrides.get(lang, {}):
                stem, part = _split_name(name)
                if stem == template:
                    found.add(part)
            for name in self._names.get(lang, ()):
                stem, part = _split_name(name)
                if stem == template:
                    found.add(part)
            self._parts_cache[key] = frozenset(found)
        return self._parts_cache[key]

    def check(
        self,
        names: Iterable[str],
        langs: Iterable[str] = ("fr", "en"),
        *,
        sample: Callable[[str], Mapping[str, object]] | None = None,
    ) -> list[TemplateProblem]:
        """Compile every part of the named templates (and the shared ``_*`` pieces) in each
        language; report every problem at once. With ``sample`` (lang -> render context), each
        part is also rendered, which catches misspelt variables and filter misuse."""
        problems: list[TemplateProblem] = []
        seen: set[tuple[str, str, str]] = set()
        reported: set[tuple[object, ...]] = set()  # a broken layout is reported once
        langs = list(langs)
        names = list(dict.fromkeys(names))
        for lang in langs:
            for shared in self._shared_names(lang):
                for part in sorted(self.parts(shared, lang)):
                    seen.add((shared, lang, part))
                    problem = self._try_compile(shared, lang, part)
                    if problem is not None:
                        reported.add(_key(problem))
                        problems.append(problem)
        for name in names:
            used_langs = {self.language(name, lang) for lang in langs}
            if used_langs == {None}:
                problems.append(
                    TemplateProblem(
                        name,
                        ",".join(langs),
                        "",
                        None,
                        "template not found",
                        hint=f"add files {SHIPPED_FOLDER}/<lang>/{name}.<part>{_SUFFIX} "
                        "or rows in the Templates tab",
                        said=A.TEMPLATE_NOT_FOUND(),
                        said_hint=A.TEMPLATE_ADD_FILES_HINT(path=f"{SHIPPED_FOLDER}/<lang>/{name}.<part>{_SUFFIX}"),
                    )
                )
                continue
            for lang in langs:
                used = self.language(name, lang)
                if used is None:
                    continue
                for part in sorted(self.parts(name, used)):
                    if (name, used, part) in seen or part in DOCUMENT_PARTS:
                        continue  # a document's wording is checked by rendering the document
                    seen.add((name, used, part))
                    problem = self._try_compile(name, used, part)
                    if problem is None and sample is not None:
                        try:
                            self.render(name, used, part, sample(used))
                        except TemplateProblem as exc:
                            problem = exc
                    if problem is not None and _key(problem) not in reported:
                        reported.add(_key(problem))
                        problems.append(problem)
        return problems

    # ------------------------------------------------------------------ internals

    def _shared_names(self, lang: str) -> list[str]:
        names = {_split_name(n)[0] for n in self._overrides.get(lang, {}) if n.startswith("_")}
        names.update(_split_name(n)[0] for n in self._names.get(lang, ()) if n.startswith("_"))
        return sorted(names)

    def _try_compile(self, template: str, lang: str, part: str) -> TemplateProblem | None:
        try:
            self._get(template, lang, part, fallback=False)
        except TemplateProblem as exc:
            return exc
        return None

    def _env(self, lang: str, autoescape: bool) -> BoundedEnvironment:
        key = (lang, autoescape)
        env = self._envs.get(key)
        if env is None:
            from jinja2 import StrictUndefined

            from relance.render.loader import Loader

            env = _environment_class()(
                limits=self.limits,
                filters=_make_filters(lang),
                compiled=self.compiled,
                loader=Loader(
                    lang, self._overrides.get(lang, {}), self._files, self._filenames
                ),
                autoescape=autoescape,
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                auto_reload=False,
                cache_size=-1,
            )
            self._envs[key] = env
        return env

    def _get(
        self, template: str, lang: str, part: str, *, fallback: bool = True
    ) -> tuple[Template, str]:
        key = (template, lang, part)
        hit = self._compiled.get(key)
        if hit is not None:
            return hit
        used = self.language(template, lang) if fallback else _lang_code(lang)
        if used is None or part not in self.parts(template, used):
            tried = lang if not fallback or used in (None, lang) else f"{lang}, then {used}"
            raise TemplateProblem(
                template,
                lang,
                part,
                None,
                f"template not found (language tried: {tried})",
                hint=f"add {SHIPPED_FOLDER}/{used or lang}/{_source_name(template, part)} "
                "or a row in the Templates tab",
                said=A.TEMPLATE_NOT_FOUND_IN(tried=tried),
                said_hint=A.TEMPLATE_ADD_HINT(path=f"{SHIPPED_FOLDER}/{used or lang}/{_source_name(template, part)}"),
            )
        env = self._env(used, part in HTML_PARTS)
        name = _source_name(template, part)
        try:
            compiled = env.get_template(name)
        except Exception as exc:
            raise self._problem(exc, template, used, part, None) from exc
        hit = (compiled, used)
        self._compiled[key] = hit
        return hit

    def _problem(
        self,
        exc: BaseException,
        template: str,
        lang: str,
        part: str,
        context: Mapping[str, object] | None,
    ) -> TemplateProblem:
        from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError
        from jinja2.sandbox import SecurityError

        where = (template, lang, part)
        line: int | None = None
        said: Said | None = None
        said_hint: Said | None = None
        if isinstance(exc, TemplateSyntaxError):
            line = exc.lineno
            if exc.name:
                stem, spart = _split_name(exc.name)
                where = (stem, lang, spart)
            said, said_hint = A.SYNTAX_ERROR(detail=exc.message), A.SYNTAX_HINT()
        else:
            found = self._locate(exc.__traceback__)
            if found is not None:
                where, line = found[0], found[1]
            if isinstance(exc, LimitExceeded):
                said, said_hint = exc.said, exc.said_hint
            elif isinstance(exc, TemplateNotFound):
                said = A.INCLUDED_NOT_FOUND(name=exc.name)
            elif isinstance(exc, SecurityError):
                said, said_hint = A.NOT_ALLOWED(detail=exc), A.NOT_ALLOWED_HINT()
            elif isinstance(exc, UndefinedError):
                said = A.UNDEFINED_VALUE(detail=exc.message)
                if context is not None:
                    said_hint = A.VARIABLES_HINT(names=sorted(map(str, context)))
            else:
                said = Said.verbatim(f"{type(exc).__name__}: {exc}")
        message = exc.message if isinstance(exc, LimitExceeded) else said.en
        hint = exc.hint if isinstance(exc, LimitExceeded) else (said_hint.en if said_hint else "")
        return TemplateProblem(
            where[0], where[1], where[2], line, message, hint, rendering=template,
            limit=isinstance(exc, LimitExceeded), said=said, said_hint=said_hint,
        )

    def _locate(self, tb: TracebackType | None) -> tuple[tuple[str, str, str], int] | None:
        """The innermost traceback frame that belongs to a template, and its line."""
        found: tuple[tuple[str, str, str], int] | None = None
        while tb is not None:
            where = self._filenames.get(tb.tb_frame.f_code.co_filename)
            if where is not None:
                found = (where, tb.tb_lineno)
            tb = tb.tb_next
        return found


def _spaced(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _key(problem: TemplateProblem) -> tuple[object, ...]:
    return (problem.template, problem.lang, problem.part, problem.line, problem.message)


def _lang_code(lang: str) -> str:
    """``"FR"``, ``"fr-FR"``, ``"fr_FR"`` -> ``"fr"``."""
    return re.split(r"[-_]", str(lang).strip().lower(), maxsplit=1)[0]


# --------------------------------------------------------------------------- sample context


def sample_context(
    lang: str = "fr",
    *,
    b2b: bool = True,
    invoices: int = 3,
    currencies: tuple[str, ...] = ("EUR",),
    as_of: dt.date = dt.date(2025, 3, 31),
    days_past_due: int = 35,
    step: str = "formal_notice",
    addresses: bool = False,
) -> dict[str, object]:
    """A complete render context with made-up values (the keys of engine/message.render_context),
    for ``Renderer.check(sample=...)``, previews and tests. ``addresses`` adds the postal
    addresses (the customer's, the company's lines and city) a real context has when the
    workbook gives them; without, a letter shows how it degrades. Invoices are oldest first (the first is ``days_past_due`` days past
    due, each next one 7 days less); currencies are dealt round-robin."""
    items: list[dict[str, object]] = []
    for i in range(invoices):
        dpd = days_past_due - 7 * i
        due = as_of - dt.timedelta(days=dpd)
        currency = currencies[i % len(currencies)]
        amount = Decimal("1234.56") + Decimal(100 * i)
        balance = amount if i % 2 == 0 else amount - Decimal("200.00")
        items.append(
            {
                "id": f"F-2025-{i + 1:03d}",
                "issue_date": due - dt.timedelta(days=30),
                "due_date": due,
                "amount": amount,
                "open_balance": balance,
                "partly_paid": balance != amount,
                "currency": currency,
                "days_past_due": dpd,
                "pdf_url": f"https://factures.example.com/F-2025-{i + 1:03d}.pdf"
                if i % 2 == 0
                else "",
                "payment_url": f"https://pay.example.com/F-2025-{i + 1:03d}" if i % 3 != 2 else "",
                "late_penalty": (
                    (balance * Decimal("0.1315") * max(dpd, 0) / 365).quantize(Decimal("0.01"))
                    if b2b
                    else None
                ),
            }
        )
    totals: list[dict[str, object]] = []
    for currency in dict.fromkeys(str(item["currency"]) for item in items):
        mine = [item for item in items if item["currency"] == currency]
        balance = sum((_to_decimal(item["open_balance"], "x") for item in mine), Decimal(0))
        penalties = (
            sum((_to_decimal(item["late_penalty"], "x") for item in mine), Decimal(0))
            if b2b
            else None
        )
        totals.append({"currency": currency, "open_balance": balance, "late_penalties": penalties})
    late = sum(1 for item in items if _to_decimal(item["days_past_due"], "x") > 0)
    labels = {
        "fr": {
            "courtesy": "Rappel avant échéance",
            "reminder_1": "Relance amiable",
            "reminder_2": "Deuxième relance",
            "formal_notice": "Mise en demeure",
            "handoff": "Transmission au recouvrement",
            "call": "Appel de relance",
            "notice": "Avis d'échéance dépassée",
        },
        "en": {
            "courtesy": "Upcoming due date",
            "reminder_1": "First reminder",
            "reminder_2": "Second reminder",
            "formal_notice": "Formal notice",
            "handoff": "Hand-off to collection",
            "call": "Reminder call",
            "notice": "Past-due notice",
        },
    }
    offsets = {
        "courtesy": -5,
        "reminder_1": 7,
        "reminder_2": 15,
        "formal_notice": 30,
        "handoff": 45,
    }
    tones = {
        "courtesy": "friendly",
        "reminder_1": "polite",
        "reminder_2": "firm",
        "handoff": "legal",
    }
    context: dict[str, Any] = {
        "lang": lang,
        "company": {
            "name": "Atelier Dupont SARL",
            "email": "compta@atelier-dupont.example",
            "reply_to": "relances@atelier-dupont.example",
            "phone": "+33 1 23 45 67 89",
            "portal_url": "https://portail.atelier-dupont.example",
            "privacy_url": "https://atelier-dupont.example/confidentialite",
            "iban": "FR7630006000011234567890189",
            "bic": "AGRIFRPP",
            "legal_mentions": "SARL au capital de 10 000 € – RCS Lyon 123 456 789",
            "signatory_name": "Jeanne Dupont",
            "signatory_title": "Gérante",
            "signatory": "Jeanne Dupont, Gérante",
        },
        "customer": {
            "id": "C001",
            "name": "Boulangerie Martin" if b2b else "Claire Martin",
            "contact_name": "Claire Martin",
            "type": "B2B" if b2b else "B2C",
            "is_b2b": b2b,
            "is_b2c": not b2b,
            "email": "claire.martin@example.com",
        },
        "step": {
            "name": step,
            "label": labels.get(lang, labels["en"]).get(step, step),
            "offset_days": offsets.get(step, 30),
            "channel": "agency" if step == "handoff" else "email",
            "tone": tones.get(step, "formal"),
        },
        "as_of": as_of,
        "invoices": items,
        "totals": totals,
        "indemnity": {
            "count": late if b2b else 0, "per": Decimal(40),
            "amount": Decimal(40 * late) if b2b else Decimal(0),
        },
        "penalty_rate": {"mode": "legal_semester", "rate": Decimal("12.15"), "ecb_rate": Decimal("2.15"),
                         "margin": Decimal(10), "year": as_of.year, "half": 1 if as_of.month <= 6 else 2,
                         "guessed": False},
        "is_b2b": b2b,
        "is_b2c": not b2b,
        "deadline": as_of + dt.timedelta(days=8),
        "reminders_sent": 2,
        "action_key": "C001|F-2025-001|standard|formal_notice",
    }
    if addresses:
        context["company"].update({"city": "Lyon", "address": ["12 rue des Artisans", "69003 Lyon"]})
        context["customer"].update({"address": "3 place du Marché", "postal_code": "69002", "city": "Lyon",
                                    "country": "France"})
    return context
