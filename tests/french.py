"""Checks that a French text is French and typeset: shared by every test of French output."""

from __future__ import annotations

import re

#: English words that must not appear in French output (outside quoted values and codes).
DENYLIST = ("sent", "courtesy", "handoff", "warning", "warnings", "invoice", "invoices", "customer",
            "customers", "payment", "payments", "failed", "planned", "skipped", "reminder", "pending",
            "approval", "settings", "overdue", "due", "agency", "call", "error", "errors", "yes", "no",
            "the", "and", "with", "row")
_DENY = re.compile(r"(?<![\w@/.#-])(" + "|".join(DENYLIST) + r")(?![\w@/.-])", re.IGNORECASE)
_ISO_DATE = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])")
_SPACE_BEFORE = re.compile(r"\w[ ]([:;!?»])")
_SPACE_AFTER_GUILLEMET = re.compile(r"«[ ]")


def french_problems(text: str, *, allow: tuple[str, ...] = (), iso_dates: bool = False,
                    sms: bool = False) -> list[str]:
    """What is wrong with `text` as French output: English words, ISO dates in prose, ordinary
    spaces where French typography wants a no-break one. `allow` lists words that may appear
    (a customer's name, a code); SMS (GSM-7) are exempt from typography."""
    found: list[str] = []
    allowed = {w.lower() for w in allow}
    for m in _DENY.finditer(text):
        if m[1].lower() not in allowed:
            found.append(f"English word {m[1]!r} in …{text[max(0, m.start() - 30):m.end() + 30]!r}…")
    if not iso_dates:
        found += [f"ISO date {m[0]} in …{text[max(0, m.start() - 30):m.end() + 30]!r}…"
                  for m in _ISO_DATE.finditer(text)]
    if not sms:
        found += [f"ordinary space before {m[1]!r} in …{text[max(0, m.start() - 30):m.end() + 30]!r}…"
                  for m in _SPACE_BEFORE.finditer(text)]
        found += [f"ordinary space after « in …{text[max(0, m.start() - 30):m.end() + 30]!r}…"
                  for m in _SPACE_AFTER_GUILLEMET.finditer(text)]
    return found


def assert_french(text: str, **kw: object) -> None:
    """Fail with every problem `french_problems` finds."""
    problems = french_problems(text, **kw)  # type: ignore[arg-type]
    assert not problems, "\n".join(problems[:20])
