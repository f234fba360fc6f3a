"""Every user-facing string of relance, in French and English (see relance.engine.i18n).

One module per family of strings, each holding module-level `Phrase` constants only:

- `anomalies`: the problem and the fix of every anomaly (Anomalies tab, `check`);
- `console`: what the command line prints, its help and its errors;
- `tabs`: the values, notes and labels of the tabs relance writes, the Dashboard's charts;
- `template`: the template's headers notes and the instructions tab;
- `settings`: what each setting means, and the problems the Settings tab can have;
- `report`: the report's and the summary's labels and notes;
- `channels`: what the real transports (SMTP, Mailjet) say of a message and of their settings;
- `cloud`: what the Cloud Functions answer when they refuse a call or fail.

`every_phrase()` finds them all, so the catalog's tests check each one: both languages, the same
placeholders in both, French typography, no English word in the French text.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

from relance.engine.catalog import (
    anomalies,
    channels,
    cloud,
    console,
    report,
    settings,
    tabs,
    template,
)
from relance.engine.i18n import Phrase

MODULES: tuple[ModuleType, ...] = (anomalies, console, tabs, template, report, settings, channels, cloud)


def every_phrase() -> Iterator[tuple[str, Phrase]]:
    """("module.NAME", phrase) for every phrase of the catalog."""
    for module in MODULES:
        for name, value in vars(module).items():
            if isinstance(value, Phrase):
                yield f"{module.__name__.rsplit('.', 1)[-1]}.{name}", value
