"""What one message may cost and the compiled code Renderers share: the part of
render/sandbox.py that needs no Jinja, so that a run which renders no message does not import
it (16 ms of the start). render/sandbox.py gives these names too."""

from __future__ import annotations

from dataclasses import dataclass
from types import CodeType
from typing import Any

from relance.engine.catalog import anomalies as A
from relance.engine.i18n import Said

__all__ = ["DEFAULT_LIMITS", "CompiledTemplates", "LimitExceeded", "Limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    """What one message may cost. The defaults leave a wide margin above the shipped templates
    for a customer with 2000 open invoices (2.3 MB of HTML, 28 000 steps, 2.8 million characters made)."""

    steps: int = 500_000
    text: int = 5_000_000
    produced: int = 20_000_000
    range: int = 1000
    int_bits: int = 1024
    depth: int = 100
    seconds: float = 5.0


DEFAULT_LIMITS = Limits()

_HINT = A.LIMIT_HINT.en


class LimitExceeded(Exception):
    """A template went past one of its Limits; ``hint`` says what to look for.

    ``said`` and ``said_hint`` are the same in both languages (the catalog), for the Anomalies
    tab; a bound without its own phrase is said as written."""

    def __init__(self, message: str, hint: str = _HINT, said: Said | None = None,
                 said_hint: Said | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.said = said or Said.verbatim(message)
        self.said_hint = said_hint or (A.LIMIT_HINT() if hint == _HINT else Said.verbatim(hint))

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.message, self.hint, self.said, self.said_hint))


class CompiledTemplates:
    """The compiled code of templates, shared by the environments of several Renderers: parsing
    and compiling a template costs about 13 ms, rendering it a fraction of that.

    The code is keyed by everything it is made of: the template's source, name and file name,
    and what of the environment the compiler reads (its class, options, filter and test names).
    The same source compiled by an equal environment is the same code, so sharing it changes no
    output. The app keeps one for its process (app/templates.py); a Renderer given none keeps
    its own. At most `size` codes are kept (then it starts again): the workbooks' own templates
    are few, but a long-lived process may see many workbooks.
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._code: dict[tuple[object, ...], CodeType] = {}

    def __len__(self) -> int:
        return len(self._code)

    def get(self, key: tuple[object, ...]) -> CodeType | None:
        return self._code.get(key)

    def put(self, key: tuple[object, ...], code: CodeType) -> None:
        if len(self._code) >= self.size:
            self._code.clear()
        self._code[key] = code
