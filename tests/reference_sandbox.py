"""The bounded sandbox as render/sandbox.py had it until session 20 (the reference its faster
checks are compared with): the Budget's step and measure, every piece of template text measured
when written, every attribute read through Jinja's sandbox."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace
from markupsafe import Markup

from relance.engine.catalog import anomalies as A
from relance.render.sandbox import (
    _LEAF,
    _SCALARS,
    BoundedCodeGenerator,
    BoundedEnvironment,
    Budget,
    LimitExceeded,
    _n,
)


class ReferenceBudget(Budget):
    """The former step (the bound and the clock compared on every step) and measure (a call per item)."""

    __slots__ = ()

    def step(self) -> bool:
        self.steps += 1
        if self.steps > self.limits.steps:
            raise LimitExceeded(f"stopped after {_n(self.limits.steps)} steps (loop turns, calls and filters)",
                                said=A.LIMIT_STEPS(count=self.limits.steps))
        if self.steps >= self._next_clock:
            self._next_clock = self.steps + 64
            self.check_time()
        return True

    def _size(self, value: object, cap: int, depth: int, busy: set[int]) -> tuple[int, bool]:
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
            return _LEAF, False
        key = id(value)
        known = self.memo.get(key)
        if known is not None:
            return known[1], False
        if key in busy:
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
        for item in (pairs if pairs is not None else value):  # type: ignore[attr-defined]
            s, m = self._size(item, cap, depth + 1, busy)
            total += s + 2
            mutable = mutable or m
            if pairs is not None:
                s, m = self._size(pairs[item], cap, depth + 1, busy)
                total += s + 2
                mutable = mutable or m
            if total > cap:
                total = cap
                break
        busy.discard(key)
        if not mutable:
            self.memo[key] = (value, total)
        return total, mutable


class ReferenceCodeGenerator(BoundedCodeGenerator):
    """Template text measured when written, as any printed value."""

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        return f"environment.budget.printed({BoundedCodeGenerator.__mro__[1]._output_const_repr(self, group)})"  # type: ignore[attr-defined]


class ReferenceEnvironment(BoundedEnvironment):
    """The bounded sandbox of session 19: its budgets are ReferenceBudgets; what each render spent
    is kept in ``spent``."""

    code_generator_class = ReferenceCodeGenerator

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.spent: list[Budget] = []

    def start(self, clock: Any = None) -> Budget:
        self.budget = ReferenceBudget(self.limits, clock)
        return self.budget

    def stop(self) -> None:
        self.spent.append(self.budget)
        super().stop()

    def getattr(self, obj: Any, attribute: str) -> Any:
        return ImmutableSandboxedEnvironment.getattr(self, obj, attribute)
