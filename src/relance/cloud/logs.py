"""Structured logs for Cloud Logging: one JSON object a line on stdout, ids and counts only.

Cloud Logging reads `severity` and `message` from such a line. Nothing personal is ever logged:
no names, addresses or amounts; a workbook is named by `workbook_ref`, a digest of its reference
(a file name may hold a customer's name), the same in every log line and in the HTTP answer.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import TextIO

#: The fields a log line may carry besides severity and message: ids and counts, nothing else.
ALLOWED = frozenset({
    "run_id", "workbook_ref", "action", "status", "code", "kind", "message_id", "delivery_attempt",
    "planned", "sent", "failed", "skipped", "awaiting_approval", "deferred", "settled_pending",
    "unsettled_pending", "tasks_created", "published", "workbooks", "caller_ref", "function",
})


def workbook_ref(book: str) -> str:
    """A short stable digest of a workbook's reference, to follow it through the logs."""
    return hashlib.sha256(book.encode("utf-8")).hexdigest()[:12]


def log(severity: str, message: str, *, stream: TextIO | None = None, **fields: object) -> None:
    """Write one log line; a field outside ALLOWED is a programming error, never written."""
    unknown = set(fields) - ALLOWED
    if unknown:
        raise ValueError(f"log fields not allowed (personal data stays out of logs): {sorted(unknown)}")
    line = {"severity": severity, "message": message, **{k: v for k, v in fields.items() if v is not None}}
    out = sys.stdout if stream is None else stream
    out.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
    out.flush()
