"""Jinja's immutable sandbox, bounded: what a message template from the workbook may compute.

The sandbox of Jinja keeps a template away from Python's internals, not from work: two nested
``range(100000)`` loops, ``9 ** (9 ** 9)`` or ``'x' * 10 ** 9`` would hold the run (and its lock)
for ever. :class:`BoundedEnvironment` bounds every way a template spends time or memory, per
message (one :class:`Budget` per render), and raises :class:`LimitExceeded` past a bound:

- **steps** (``Limits.steps``): one per loop turn (a turn filtered out by ``{% for … if %}``
  included), per call (macro, ``caller()``, ``loop()``, method), per filter applied and per
  template loaded (include, import, extends). The code generator puts a step at the top of
  every loop body; calls and filters count in :meth:`BoundedEnvironment.call` and in the
  filter wrappers. Between two steps a template runs straight-line code: no longer than the
  template itself.
- **values** (``Limits.text``): no value a template makes (an operator's, a call's, a filter's
  result, a list, tuple or dict literal, a ``~`` concatenation) is larger than ``text``, as
  measured by :meth:`Budget.size`: characters of a string, about a third of an int's bits, and
  for a container its items' sizes summed, shared items counted each time they would print.
  So comparing, hashing or printing any value costs at most about ``text``. Integers are
  further kept under ``Limits.int_bits``.
- **before the work**: the operations whose result can be far larger than their operands are
  checked on their operands, so that none allocates past the bound before it could be measured:
  ``**`` (exponent and result size), ``*`` (repetition of strings and lists; products of
  ints), ``%`` and ``str.format`` (field widths and precisions, and each field's value),
  ``~``, ``join``, ``replace``, padding and width (``center``, ``ljust``, ``rjust``, ``zfill``,
  ``expandtabs``, ``indent``, ``wordwrap``), ``batch`` and ``slice`` counts, ``int`` of a
  huge Decimal, ``round``'s precision, and printing a value (``{{ x }}``, ``string``,
  ``pprint``, ``tojson``).
- **range** (``Limits.range``): ``range()`` gives at most 1000 items (Jinja's own bound is
  100000); ``lipsum`` is gone.
- **calls**: a template may call macros, ``caller``, ``loop``, ``super()`` and
  ``self.<block>()``, ``range``, ``dict``, ``namespace``, ``cycler``, ``joiner`` and
  ``loop.cycle``/``loop.changed``, and a closed list of methods of strings, dates, dicts and
  lists (:data:`STR_METHODS` …); calling anything else is a :class:`SecurityError`.
- **output** (``Limits.text`` for the message; ``Limits.produced`` for everything): every
  piece written, in a macro, a ``{% set %}`` block or at the top, and every value made, count
  into ``produced``; the rendered message must be at most ``text`` characters.
- **time**: with a ``clock`` (app/templates.py passes ``time.monotonic``; render/ never reads
  the clock itself), every 64th step and every template load compare it with the deadline
  (``Limits.seconds`` after the render started). A step is bounded work, so a render ends within
  its time limit plus the cost of a few steps; without a clock the bounds above still end it.

Constant folding at compile time would compute ``{{ 9 ** 9 ** 9 }}`` before any render: every
binary operator is intercepted (Jinja does not fold intercepted operators) and every filter
takes the context (Jinja does not fold those), so compiling a template costs its length.

What this does not bound: the size and cost of the values relance itself puts in the context
(trusted), and Python's own recursion limit, which ends a macro calling itself too deep with a
RecursionError (reported like any other template problem). A Budget is per render and a
Renderer is used by one thread at a time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from string import Formatter
from types import CodeType, MappingProxyType
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import TemplateModule
from jinja2.runtime import BlockReference, LoopContext, Macro, Undefined, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Cycler, Joiner, Namespace, pass_context
from markupsafe import Markup

from relance.engine.catalog import anomalies as A
from relance.render.limits import DEFAULT_LIMITS, CompiledTemplates, LimitExceeded, Limits

__all__ = ["Budget", "BoundedEnvironment", "CompiledTemplates", "LimitExceeded", "Limits"]


def _n(value: float) -> str:
    return f"{value:,}".replace(",", " ")


_LEAF = 8  # what a number, a date, a macro or another small value counts for
_SCALARS = frozenset({bool, float, Decimal, dt.date, dt.datetime, dt.time, dt.timedelta, type(None)})


class Budget:
    """What one render has spent; raises LimitExceeded past its Limits."""

    __slots__ = ("clock", "deadline", "limits", "memo", "produced", "steps", "_next_clock", "_next_check", "_max_steps",
                 "_max_text", "_max_produced")

    def __init__(self, limits: Limits = DEFAULT_LIMITS, clock: Callable[[], float] | None = None) -> None:
        self.limits = limits
        self.clock = clock
        self.deadline = clock() + limits.seconds if clock is not None else 0.0
        self.steps = 0
        self.produced = 0
        self._next_clock = 64
        self._next_check = min(64, limits.steps + 1)
        # the bounds, read on every step and every piece written
        self._max_steps = limits.steps
        self._max_text = limits.text
        self._max_produced = limits.produced
        # id -> (value, size) of the immutable containers measured during this render; the value
        # is kept so that its id is not reused while the render lasts
        self.memo: dict[int, tuple[object, int]] = {}

    # ------------------------------------------------------------------ counting

    def step(self) -> bool:
        steps = self.steps = self.steps + 1
        if steps >= self._next_check:  # the bound or the clock's turn: one comparison per step
            self._checkpoint(steps)
        return True

    def _checkpoint(self, steps: int) -> None:
        if steps > self._max_steps:
            raise LimitExceeded(f"stopped after {_n(self.limits.steps)} steps (loop turns, calls and filters)",
                                said=A.LIMIT_STEPS(count=self.limits.steps))
        if steps >= self._next_clock:
            self._next_clock = steps + 64
            self.check_time()
        self._next_check = min(self._next_clock, self._max_steps + 1)

    def check_time(self) -> None:
        if self.clock is not None and self.clock() > self.deadline:
            raise LimitExceeded(f"stopped after {self.limits.seconds:g} s, the time a message may take",
                                said=A.LIMIT_SECONDS(seconds=f"{self.limits.seconds:g}"))

    def produce(self, amount: int) -> None:
        self.produced += amount
        if self.produced > self._max_produced:
            raise self._too_much()

    def _too_much(self) -> LimitExceeded:
        return LimitExceeded(f"stopped after making {_n(self.limits.produced)} characters or items "
                             "(text written and values made)", said=A.LIMIT_PRODUCED(count=self.limits.produced))

    def too_big(self, what: str, size: int | None = None) -> LimitExceeded:
        said = f" ({_n(size)})" if size is not None else ""
        return LimitExceeded(f"{what} would be larger than {_n(self.limits.text)} characters or items{said}")

    # ------------------------------------------------------------------ measuring

    def size(self, value: object) -> int:
        """About how many characters `value` prints as; at most `limits.text` + 1 (past the
        bound, the exact figure does not matter). Shared items count each time they appear."""
        return self._size(value, self.limits.text + 1, 0, set())[0]

    def _size(self, value: object, cap: int, depth: int, busy: set[int]) -> tuple[int, bool]:
        """(size, whether it holds a Namespace, whose size may change later)."""
        kind = type(value)
        if kind is str or kind is Markup or isinstance(value, str):
            return len(value), False  # type: ignore[arg-type]
        if kind is int:
            return value.bit_length() // 3 + 1, False  # type: ignore[attr-defined]
        if kind in _SCALARS:
            return _LEAF, False
        if kind is range:
            return len(value) + _LEAF, False  # type: ignore[arg-type]
        is_namespace = kind is Namespace
        if not (is_namespace or isinstance(value, list | tuple | dict | set | frozenset)):
            return _LEAF, False  # macros, loops, undefined, generators: a short repr
        key = id(value)
        known = self.memo.get(key)
        if known is not None:
            return known[1], False
        if key in busy:  # a namespace holding itself prints as "..."
            return _LEAF, True
        if depth >= self.limits.depth:
            raise LimitExceeded(f"nests lists, dicts or namespaces more than {self.limits.depth} deep")
        pairs: dict[Any, Any] | None = None
        if is_namespace:
            pairs = object.__getattribute__(value, "_Namespace__attrs")
        elif isinstance(value, dict):
            pairs = value
        busy.add(key)
        total, mutable = 2, is_namespace
        inner = self._size
        # a string, an int or a scalar item is measured here, as `_size` would (no call per item)
        for item in (pairs if pairs is not None else value):  # type: ignore[attr-defined]
            kind = type(item)
            if kind is str:
                total += len(item) + 2
            elif kind is int:
                total += item.bit_length() // 3 + 3
            elif kind in _SCALARS:
                total += _LEAF + 2
            else:
                s, m = inner(item, cap, depth + 1, busy)
                total += s + 2
                mutable = mutable or m
            if pairs is not None:
                item = pairs[item]
                kind = type(item)
                if kind is str:
                    total += len(item) + 2
                elif kind is int:
                    total += item.bit_length() // 3 + 3
                elif kind in _SCALARS:
                    total += _LEAF + 2
                else:
                    s, m = inner(item, cap, depth + 1, busy)
                    total += s + 2
                    mutable = mutable or m
            if total > cap:
                total = cap
                break
        busy.discard(key)
        if not mutable:
            self.memo[key] = (value, total)
        return total, mutable

    def checked(self, value: object, what: str = "a value") -> object:
        """`value`, made by the template: within `limits.text` (and ints within int_bits)."""
        kind = type(value)
        if kind is str or kind is Markup:
            size = len(value)  # type: ignore[arg-type]
            if size > self._max_text:
                raise self.too_big(what, size)
            produced = self.produced = self.produced + size
            if produced > self._max_produced:
                raise self._too_much()
            return value
        if kind is int:
            if value.bit_length() > self.limits.int_bits:  # type: ignore[attr-defined]
                raise LimitExceeded(f"{what} would be a number of more than {self.limits.int_bits} bits",
                                    "a message needs no such number")
            return value
        if kind in _SCALARS:
            return value
        size = self.size(value)
        if size > self._max_text:
            raise self.too_big(what)
        if isinstance(value, list | tuple | dict | str):
            self.produce(len(value))
        return value

    def printed(self, value: object) -> object:
        """`value`, about to be written: its printed size counts into `produced`."""
        kind = type(value)
        size = len(value) if kind is str or kind is Markup else self.size(value)  # type: ignore[arg-type]
        if size > self._max_text:
            raise self.too_big("the text written")
        produced = self.produced = self.produced + size
        if produced > self._max_produced:
            raise self._too_much()
        return value

    def wrote(self, size: int, text: str) -> str:
        """A piece of the template itself (`size` is its length, counted when it was compiled),
        about to be written: what :meth:`printed` does for it, without measuring it again."""
        if size > self._max_text:
            raise self.too_big("the text written")
        produced = self.produced = self.produced + size
        if produced > self._max_produced:
            raise self._too_much()
        return text


# --------------------------------------------------------------------------- format strings

_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")
_SPEC = re.compile(r"(?:.?[<>=^])?[+\- ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?[a-zA-Z%]?")


def _widest(args: object, budget: Budget) -> int:
    if isinstance(args, Mapping):
        values: Iterable[object] = args.values()
    elif isinstance(args, tuple):
        values = args
    else:
        values = (args,)
    return max((budget.size(v) for v in values), default=0)


def check_percent(fmt: str, args: object, budget: Budget) -> None:
    """`fmt % args` would stay within the bound: widths, precisions and each field's value."""
    if "%" not in fmt:
        return
    widest = _widest(args, budget)
    total = len(fmt)
    for m in _PERCENT.finditer(fmt):
        if m[1] == "*" or m[2] == "*":
            raise SecurityError("a '*' width or precision is not allowed in a template; write the number")
        if m[3] == "%":
            continue
        total += int(m[1] or 0) + int(m[2] or 0) + widest
        if total > budget.limits.text:
            raise budget.too_big("the formatted text")


def check_format(fmt: str, args: tuple[object, ...], kwargs: Mapping[str, object], budget: Budget) -> None:
    """`fmt.format(*args, **kwargs)` would stay within the bound."""
    widest = max(_widest(args, budget), _widest(kwargs, budget))
    total = len(fmt)
    try:
        fields = list(Formatter().parse(fmt))
    except ValueError:
        return  # format() itself says what is wrong
    for _, name, spec, _ in fields:
        if name is None:
            continue
        if spec and "{" in spec:
            raise SecurityError("a format field inside a format spec is not allowed in a template")
        m = _SPEC.fullmatch(spec or "")
        width, precision = (int(m[1] or 0), int(m[2] or 0)) if m else (0, 0)
        total += width + precision + widest
        if total > budget.limits.text:
            raise budget.too_big("the formatted text")


# --------------------------------------------------------------------------- what may be called

#: Methods of strings a template may call (the others are left out: translate, encode …).
STR_METHODS = frozenset({
    "capitalize", "casefold", "center", "count", "endswith", "expandtabs", "find", "format",
    "format_map", "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier",
    "islower", "isnumeric", "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower",
    "lstrip", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust",
    "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "striptags",
    "swapcase", "title", "unescape", "upper", "zfill",
})
DATE_METHODS = frozenset({"isoformat", "strftime", "weekday", "isoweekday", "isocalendar", "toordinal",
                          "replace", "date", "time"})
DICT_METHODS = frozenset({"get", "items", "keys", "values"})
SEQUENCE_METHODS = frozenset({"index", "count"})
_CALLABLE_TYPES = (Macro, LoopContext, BlockReference, Joiner)
_CALLABLE_CLASSES = frozenset({dict, Namespace, Cycler, Joiner})
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})
#: Every name ``getattr`` finds on a plain dict (its methods and object's): any other name is a key.
_DICT_ATTRIBUTES = frozenset(dir(dict))
#: What a module's or a loop's public attribute may be for the sandbox to give it as is (a macro,
#: a counter, a flag): the sandbox's checks let these through, and ``str.format`` is not one.
_PLAIN_ATTRIBUTE_VALUES = frozenset({Macro, int, bool})
_ABSENT = object()


class _Checked:
    """A callable the environment made itself (range, a bounded str.format)."""

    __slots__ = ("func", "name")

    def __init__(self, func: Callable[..., Any], name: str) -> None:
        self.func = func
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<{self.name}>"


def _allowed_method(obj: object) -> str | None:
    """The method's name if a template may call it."""
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if owner is None or type(owner) is type:
        return None
    if isinstance(owner, str):
        return name if name in STR_METHODS else None
    if isinstance(owner, dt.date | dt.time):
        return name if name in DATE_METHODS else None
    if isinstance(owner, dict):
        return name if name in DICT_METHODS else None
    if isinstance(owner, list | tuple):
        return name if name in SEQUENCE_METHODS else None
    if isinstance(owner, LoopContext | Cycler):
        return name
    return None


# --------------------------------------------------------------------------- filters


def _positive(value: object, bound: int, what: str, budget: Budget) -> None:
    if isinstance(value, int) and value > bound:
        raise LimitExceeded(f"{what} {_n(value)} is more than {_n(bound)}")


def _text_of(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def _check_joined(items: list[object], sep: object, budget: Budget) -> None:
    total = len(_text_of(sep)) * max(len(items) - 1, 0)
    for item in items:
        total += budget.size(item)
        if total > budget.limits.text:
            raise budget.too_big("the joined text")


def _check_replace(s: object, old: object, new: object, count: object, budget: Budget) -> None:
    text, old_text, new_text = _text_of(s), _text_of(old), _text_of(new)
    n = text.count(old_text) if old_text else len(text) + 1
    if isinstance(count, int) and count >= 0:
        n = min(n, count)
    size = len(text) + n * (len(new_text) - len(old_text))
    if size > budget.limits.text:
        raise budget.too_big("the replaced text", size)


_PRINTING = MappingProxyType({"string": 1, "pprint": 4, "tojson": 6, "xmlattr": 6, "urlencode": 12, "urlize": 8})


#: The filters `_filter_check` checks before they run (a branch each; tests/test_template_bounds.py
#: reads them from its code): the other filters' wrappers do not call it.
CHECKED_FILTERS = frozenset({"center", "indent", "wordwrap", "batch", "slice", "format", "join", "replace", "int",
                             "round", *_PRINTING})


def _filter_check(name: str, budget: Budget, value: object, args: tuple[Any, ...],
                  kwargs: dict[str, Any]) -> tuple[object, tuple[Any, ...]]:
    """Check a filter's arguments before it runs; return the value (materialised when the check
    had to read it) and the arguments."""
    limits = budget.limits

    def arg(index: int, key: str, default: object = None) -> object:
        return args[index] if len(args) > index else kwargs.get(key, default)

    if name == "center":
        _positive(arg(0, "width", 80), limits.text, "a width of", budget)
    elif name == "indent":
        width = arg(0, "width", 4)
        pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        size = len(_text_of(value)) + (_text_of(value).count("\n") + 1) * pad
        if size > limits.text:
            raise budget.too_big("the indented text", size)
    elif name == "wordwrap":
        width = arg(0, "width", 79)
        wrap = arg(2, "wrapstring", None)
        text = _text_of(value)
        lines = len(text) // max(width if isinstance(width, int) else 1, 1) + text.count("\n") + 1
        size = len(text) + lines * len(_text_of(wrap if wrap is not None else "\n"))
        if size > limits.text:
            raise budget.too_big("the wrapped text", size)
    elif name == "batch":
        if arg(1, "fill_with") is not None:
            _positive(arg(0, "linecount"), limits.range, "a batch of", budget)
    elif name == "slice":
        _positive(arg(0, "slices"), limits.range, "slicing into", budget)
    elif name == "format":
        check_percent(_text_of(value), kwargs or args, budget)
    elif name == "join":
        items = list(value)  # type: ignore[call-overload]
        _check_joined(items, arg(0, "d", ""), budget)
        value = items
    elif name == "replace":
        _check_replace(value, arg(0, "old", ""), arg(1, "new", ""), arg(2, "count"), budget)
    elif name == "int":
        if isinstance(value, Decimal) and value.is_finite() and value.adjusted() > limits.int_bits // 3:
            raise LimitExceeded(f"int of a number with {_n(value.adjusted() + 1)} digits",
                                "a message needs no such number")
    elif name == "round":
        precision = arg(0, "precision", 0)
        if isinstance(precision, int) and abs(precision) > 100:
            raise LimitExceeded(f"a precision of {_n(precision)} digits", "round to at most 100 digits")
    elif name in _PRINTING:
        # what these filters write, at most, per character of the value printed
        factor = _PRINTING[name]
        if name == "tojson" and arg(0, "indent", None):
            raise SecurityError("tojson(indent=…) is not available in a message template")
        if name == "urlize":
            factor += sum(len(_text_of(arg(i, k) or "")) for i, k in ((2, "target"), (3, "rel")))
        size = budget.size(value) * factor
        if size > limits.text:
            raise budget.too_big(f"the text of '{name}'", size)
    return value, args


# --------------------------------------------------------------------------- code generation


#: Jinja allows no custom node: a step is an environment attribute whose "name" is the call
#: (the code generator writes ``environment.<name>``, so this becomes ``environment.budget.step()``,
#: which is true, for a loop's ``if`` filter too).
_STEP = "budget.step()"


class BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, plus a step in every loop, checked `~`, list, tuple and dict
    literals, and every piece of output measured before it is written."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        step = nodes.ExprStmt(nodes.EnvironmentAttribute(_STEP, lineno=node.lineno), lineno=node.lineno)
        test = node.test
        if test is not None:
            test = nodes.And(nodes.EnvironmentAttribute(_STEP, lineno=node.lineno), test, lineno=node.lineno)
        bounded = nodes.For(node.target, node.iter, [step, *node.body], node.else_, test, node.recursive,
                            lineno=node.lineno)
        bounded.set_environment(self.environment)
        super().visit_For(bounded, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            markup = "context.eval_ctx.autoescape"
        else:
            markup = "True" if frame.eval_ctx.autoescape else "False"
        self.write(f"environment.concat_checked({markup}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def _checked(self, visit: Callable[[Any, Frame], None], node: Any, frame: Frame) -> None:
        self.write("environment.budget.checked(")
        visit(node, frame)
        self.write(")")

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self._checked(super().visit_List, node, frame)

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self._checked(super().visit_Dict, node, frame)

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx == "load":
            self._checked(super().visit_Tuple, node, frame)
        else:
            super().visit_Tuple(node, frame)

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        # the piece's length is known here: the render only adds it up (Budget.wrote)
        pieces = list(group)
        size = len("".join(str(item) for item in pieces))
        return f"environment.budget.wrote({size}, {super()._output_const_repr(pieces)})"

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        super()._output_child_pre(node, frame, finalize)
        self.write("environment.budget.printed(")

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        self.write(")")
        super()._output_child_post(node, frame, finalize)


# --------------------------------------------------------------------------- the environment

_BINOPS = frozenset({"+", "-", "*", "/", "//", "%", "**"})


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox with a Budget per render (see the module's docstring)."""

    code_generator_class = BoundedCodeGenerator
    intercepted_binops = _BINOPS

    def __init__(self, *, limits: Limits = DEFAULT_LIMITS, filters: Mapping[str, Callable[..., Any]] | None = None,
                 compiled: CompiledTemplates | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.compiled = compiled
        self.limits = limits
        self.budget = Budget(limits)
        self.globals["range"] = _Checked(self._range, "range")
        self.globals.pop("lipsum", None)
        self.filters.update(filters or {})
        self.filters = {name: self._bounded_filter(name, f) for name, f in self.filters.items()}

    # ------------------------------------------------------------------ compiling

    def compile(self, source: str | nodes.Template, name: str | None = None,  # type: ignore[override]
                filename: str | None = None, raw: bool = False, defer_init: bool = False) -> str | CodeType:
        """Jinja's compile, once per source and environment when a CompiledTemplates is shared."""
        shared = self.compiled
        if shared is None or raw or not isinstance(source, str):
            return super().compile(source, name, filename, raw, defer_init)  # type: ignore[call-overload]
        key = (self._compiler_inputs(), source, name, filename, defer_init)
        code = shared.get(key)
        if code is None:
            made = super().compile(source, name, filename, raw, defer_init)
            assert isinstance(made, CodeType)
            shared.put(key, made)
            code = made
        return code

    def _compiler_inputs(self) -> tuple[object, ...]:
        """What of this environment the parser and the code generator read."""
        return (type(self), self.code_generator_class, self.autoescape, self.optimized, self.finalize,
                self.is_async, self.trim_blocks, self.lstrip_blocks, self.keep_trailing_newline,
                self.newline_sequence, self.block_start_string, self.block_end_string,
                self.variable_start_string, self.variable_end_string, self.comment_start_string,
                self.comment_end_string, self.line_statement_prefix, self.line_comment_prefix,
                tuple(self.extensions), frozenset(self.filters), frozenset(self.tests))

    # ------------------------------------------------------------------ a render

    def start(self, clock: Callable[[], float] | None = None) -> Budget:
        """A fresh Budget for the render about to begin."""
        self.budget = Budget(self.limits, clock)
        return self.budget

    def stop(self) -> None:
        """The render is over: what its Budget kept alive is released."""
        self.budget = Budget(self.limits)

    # ------------------------------------------------------------------ hooks of the sandbox

    def _range(self, *args: int) -> range:
        rng = range(*args)
        if len(rng) > self.limits.range:
            raise LimitExceeded(f"range() of {_n(len(rng))} items; at most {_n(self.limits.range)} are allowed",
                                "loop over the values given (invoices, totals), not over a large range")
        return rng

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        budget = self.budget
        if operator == "**":
            self._check_power(left, right)
        elif operator == "*":
            self._check_product(left, right)
        elif operator == "%" and isinstance(left, str):
            check_percent(left, right, budget)
        return budget.checked(self.binop_table[operator](left, right), f"the result of '{operator}'")

    def _check_power(self, base: Any, exponent: Any) -> None:
        if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
            bits = exponent * (abs(base).bit_length() - 1)
            if bits > self.limits.int_bits:
                raise LimitExceeded(f"{base} ** {exponent} would be a number of about {_n(bits)} bits "
                                    f"(at most {self.limits.int_bits})", "a message needs no such number")

    def _check_product(self, left: Any, right: Any) -> None:
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > self.limits.int_bits + 1:
                raise LimitExceeded(f"a product of more than {self.limits.int_bits} bits",
                                    "a message needs no such number")
            return
        seq, times = (left, right) if isinstance(right, int) else (right, left)
        if isinstance(times, int) and isinstance(seq, str | list | tuple) and times > 0:
            size = self.budget.size(seq) * times
            if size > self.limits.text or len(seq) * times > self.limits.text:
                raise self.budget.too_big("the repeated text or list", size)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        budget = __self.budget
        budget.step()
        if isinstance(__obj, Undefined):
            return super().call(__context, __obj, *args, **kwargs)  # says what is undefined
        if not (type(__obj) is _Checked or isinstance(__obj, _CALLABLE_TYPES)
                or (isinstance(__obj, type) and __obj in _CALLABLE_CLASSES)):
            name = _allowed_method(__obj)
            if name is None:
                raise SecurityError(f"calling {getattr(__obj, '__name__', type(__obj).__name__)!r} "
                                    "is not allowed in a message template")
            __self._check_method(__obj.__self__, name, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        return budget.checked(result, "the result of a call")

    def _check_method(self, owner: object, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        budget = self.budget
        if not isinstance(owner, str):
            return
        first = args[0] if args else None
        if name in _WIDTH_METHODS:
            _positive(first, self.limits.text, "a width of", budget)
        elif name == "expandtabs":
            size = len(owner) + owner.count("\t") * (first if isinstance(first, int) else 8)
            if size > self.limits.text:
                raise budget.too_big("the expanded text", size)
        elif name == "join":
            items = list(first) if first is not None else []
            _check_joined(items, owner, budget)
        elif name == "replace":
            _check_replace(owner, first, args[1] if len(args) > 1 else "",
                           args[2] if len(args) > 2 else kwargs.get("count", -1), budget)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        fmt: str = value.__self__
        is_map = value.__name__ == "format_map"

        def bounded(*args: Any, **kwargs: Any) -> str:
            if is_map:
                check_format(fmt, (), args[0] if args and isinstance(args[0], Mapping) else {}, self.budget)
            else:
                check_format(fmt, args, kwargs, self.budget)
            return wrapper(*args, **kwargs)

        return _Checked(bounded, value.__name__)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """The sandbox's ``obj.attribute``, without its detours where their outcome is known: a
        plain dict's key (no dict attribute has that name: the sandbox would try the attribute,
        fail, then read the key), a macro of an imported module, a loop's counter."""
        kind = type(obj)
        if kind is dict and type(attribute) is str and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        if (kind is TemplateModule or kind is LoopContext) and type(attribute) is str \
                and not attribute.startswith("_"):
            value = getattr(obj, attribute, _ABSENT)
            if type(value) in _PLAIN_ATTRIBUTE_VALUES:
                return value
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        result = super().getitem(obj, argument)
        if isinstance(argument, slice):  # a slice is a copy
            return self.budget.checked(result, "a slice")
        return result

    def get_template(self, name: Any, parent: str | None = None, globals: Any = None) -> Any:  # noqa: A002
        self.budget.step()
        self.budget.check_time()
        return super().get_template(name, parent, globals)

    def concat_checked(self, markup: bool, parts: tuple[object, ...]) -> str:
        budget = self.budget
        total = 0
        for part in parts:
            total += budget.size(part)
            if total > self.limits.text:
                raise budget.too_big("the text joined with '~'")
        return budget.checked(markup_join(parts) if markup else str_join(parts), "the text joined with '~'")  # type: ignore[return-value]

    def _bounded_filter(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        pass_arg = getattr(func, "jinja_pass_arg", None)
        kind = getattr(pass_arg, "name", None)  # context, eval_context, environment or None

        checks = name in CHECKED_FILTERS  # the others have nothing to check before they run
        what = f"the result of the filter '{name}'"
        env = self

        if checks or kind is not None:
            @pass_context
            def bounded(context: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
                budget = env.budget
                budget.step()
                if checks:
                    value, args = _filter_check(name, budget, value, args, kwargs)
                if kind == "context":
                    result = func(context, value, *args, **kwargs)
                elif kind == "eval_context":
                    result = func(context.eval_ctx, value, *args, **kwargs)
                elif kind == "environment":
                    result = func(env, value, *args, **kwargs)
                else:
                    result = func(value, *args, **kwargs)
                return budget.checked(result, what)
        else:  # the usual filter: a step, the filter, its result checked
            @pass_context
            def bounded(context: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
                budget = env.budget
                budget.step()
                return budget.checked(func(value, *args, **kwargs), what)

        bounded.__name__ = getattr(func, "__name__", name)
        bounded.__doc__ = func.__doc__
        return bounded
