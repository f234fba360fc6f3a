"""The Cloud Functions' entry points (deployed source; docs/deploy-gcp.md).

    functions-framework --source cloud_functions/main.py --target daily_run

Each target is relance.cloud's function under functions-framework's decorator; the decorator
registers the signature type under the function's name, which is the `--target`/`--entry-point`.
`mailjet_events` comes with relance.cloud.events.
"""

from __future__ import annotations

import functions_framework

from relance.cloud import fanout, menu, scheduler

daily_run = functions_framework.http(scheduler.daily_run)
menu_action = functions_framework.http(menu.menu_action)
dispatch = functions_framework.http(fanout.dispatch)
worker = functions_framework.cloud_event(fanout.worker)

try:  # the delivery events webhook, when this version has it
    from relance.cloud import events as _events
except ImportError:  # pragma: no cover
    _events = None  # type: ignore[assignment]
if _events is not None and hasattr(_events, "mailjet_events"):
    mailjet_events = functions_framework.http(_events.mailjet_events)
