"""A faithful local Mailjet (Send API v3.1, the message resource of v3, the SMS API v4) on loopback.

It checks what the documented API checks: Basic auth with the key and secret (Bearer with the
SMS token for /v4/sms-send), at most 50 messages per call, From.Email, a non-empty To of valid
addresses, a Subject, TextPart or HTMLPart, attachments with ContentType, Filename and valid
Base64Content; for a text message a 3-11 letter-or-digit From, an E.164 To and a Text. A call
with an invalid message answers 400 and still sends the valid ones (their statuses are in the
body); a call invalid as a whole (51 messages) answers 400 with an ErrorMessage.

Faults, consumed one per /v3.1/send call from `faults`: "429" (with Retry-After), "503" (the
service refuses the call before taking anything, as an overloaded front end does), "500",
"500-after" (the batch is taken, then 500), "timeout-after" (taken, then an answer later than the
client waits). `refused` addresses get a per-message error. Every taken message is kept in
`messages` (with its CustomID, looked up by GET /v3/REST/message?CustomID=...).

Concurrency, counted in the server and never timed: `in_flight` is the number of /v3.1/send
calls being handled, `max_in_flight` the most seen at once. With `gate` = N, each call waits
until N calls are in flight together (a generous hang guard, `gate_guard` seconds, lets a lonely
call go), then the N are handled last-arrived first: answers come back out of order.
`faults_for` maps the CustomID of a call's first message to faults for that call only (consumed
one per call, before `faults`): faults that threads racing for one list cannot take in turn.
`lookup_faults` ("500") are consumed one per GET /v3/REST/message: a lookup that fails.
For a crash test run in other processes: `log` (a file) gets one JSON line per message taken (the
CustomID and ID of an e-mail, the id and number of a text message), written and flushed before the
answer, so a watcher elsewhere can count what the provider holds. `lag` models Mailjet's message
records appearing some time after the Send API took them: while it is on, what is taken is left out
of the lookups until `catch_up()` (the test says when time has passed, no clock involved).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client gone mid-call (a killed run) is no error of the server's; anything else is shown."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class FakeMailjet:
    key: str = "mj-key"
    secret: str = "mj-secret"
    sms_token: str = "sms-token"
    faults: list[str] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    slow: float = 1.5  # seconds of a "timeout" answer
    retry_after: str = "0"
    messages: list[dict[str, Any]] = field(default_factory=list)
    sms: list[dict[str, Any]] = field(default_factory=list)
    calls: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    faults_for: dict[str, list[str]] = field(default_factory=dict)
    lookup_faults: list[str] = field(default_factory=list)  # "500": a GET /v3/REST/message that fails
    latency: float = 0.0  # seconds each /v3.1/send call takes, as a distant API does (benchmarks only)
    gate: int = 0
    gate_guard: float = 10.0
    in_flight: int = 0
    max_in_flight: int = 0
    arrivals: int = 0
    turns: list[int] = field(default_factory=list)  # which gated call answers next
    group: list[int] = field(default_factory=list)  # gated calls waiting for their group to fill
    flow: threading.Condition = field(default_factory=threading.Condition)
    log: str = ""  # a file: one JSON line per message taken (see the module's doc)
    lag: bool = False  # while on, messages taken stay out of the lookups until catch_up()
    hidden: set[int] = field(default_factory=set)  # ids left out of the lookups (lag)

    def catch_up(self) -> None:
        """Every message taken is now listed by the lookups (the lag is over)."""
        with self.lock:
            self.hidden.clear()

    def _logged(self, entry: dict[str, Any]) -> None:
        if self.log:
            with open(self.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def _basic(self) -> bool:
                want = "Basic " + base64.b64encode(f"{fake.key}:{fake.secret}".encode()).decode()
                return self.headers.get("Authorization") == want

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                with fake.lock:  # handlers run in threads of their own
                    fake.calls["GET " + url.path] += 1
                if not self._basic():
                    return self._answer(401, {"ErrorMessage": "API key authentication/authorization failure"})
                if url.path != "/v3/REST/message":
                    return self._answer(404, {"ErrorMessage": "Object not found"})
                with fake.lock:
                    lookup_fault = fake.lookup_faults.pop(0) if fake.lookup_faults else ""
                if lookup_fault == "500":
                    return self._answer(500, {"ErrorIdentifier": "E3", "ErrorMessage": "Internal Server Error"})
                wanted = parse_qs(url.query).get("CustomID", [""])[0]
                with fake.lock:
                    data = [{"ID": m["ID"], "CustomID": m["CustomID"], "Status": "sent"}
                            for m in fake.messages if m["CustomID"] == wanted and m["ID"] not in fake.hidden]
                self._answer(200, {"Count": len(data), "Data": data, "Total": len(data)})

            def do_POST(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                with fake.lock:  # handlers run in threads of their own
                    fake.calls["POST " + url.path] += 1
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._answer(400, {"ErrorMessage": "Malformed JSON"})
                if url.path == "/v4/sms-send":
                    return self._sms(body)
                if url.path != "/v3.1/send":
                    return self._answer(404, {"ErrorMessage": "Unknown resource"})
                if not self._basic():
                    return self._answer(401, {"ErrorMessage": "API key authentication/authorization failure"})
                with fake.flow:
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                    arrival = fake.arrivals
                    fake.arrivals += 1
                try:
                    if fake.gate:
                        self._wait_turn(arrival)
                    answer = self._send(body)
                finally:
                    with fake.flow:  # counted out before answering: the client may post again at once
                        fake.in_flight -= 1
                        if fake.turns and fake.turns[0] == arrival:
                            fake.turns.pop(0)
                        fake.flow.notify_all()
                self._answer(*answer)

            def _wait_turn(self, arrival: int) -> None:
                with fake.flow:
                    fake.group.append(arrival)
                    if len(fake.group) >= fake.gate:  # the group is full: last arrived answers first
                        fake.turns.extend(reversed(fake.group))
                        fake.group.clear()
                        fake.flow.notify_all()
                    fake.flow.wait_for(lambda: bool(fake.turns) and fake.turns[0] == arrival, timeout=fake.gate_guard)
                    if arrival in fake.group:  # the hang guard let a lonely call go
                        fake.group.remove(arrival)

            def _send(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str] | None]:
                messages = body.get("Messages")
                first = (messages[0].get("CustomID", "") if isinstance(messages, list) and messages
                         and isinstance(messages[0], dict) else "")
                with fake.lock:
                    own = fake.faults_for.get(first)
                    fault = own.pop(0) if own else fake.faults.pop(0) if fake.faults else ""
                if fault == "429":
                    return 429, {"ErrorMessage": "Too many requests"}, {"Retry-After": fake.retry_after}
                if fault == "503":
                    return 503, {"ErrorMessage": "Service Unavailable"}, None
                if fault == "500":
                    return 500, {"ErrorIdentifier": "E1", "ErrorMessage": "Internal Server Error"}, None
                if not isinstance(messages, list) or not messages:
                    return 400, {"ErrorMessage": "Messages is required"}, None
                if len(messages) > 50:
                    return 400, {"ErrorIdentifier": "E2", "StatusCode": 400,
                                 "ErrorMessage": "The number of messages exceeds the limit of 50"}, None
                sandbox = body.get("SandboxMode") is True
                if fake.latency:
                    time.sleep(fake.latency)
                entries = [self._one(m, sandbox) for m in messages]
                if fault == "500-after":
                    return 500, {"ErrorMessage": "Internal Server Error"}, None
                if fault == "timeout-after":
                    time.sleep(fake.slow)
                status = 400 if any(e["Status"] == "error" for e in entries) else 200
                return status, {"Messages": entries}, None

            def _one(self, m: dict[str, Any], sandbox: bool) -> dict[str, Any]:
                errors = []
                sender = (m.get("From") or {}).get("Email", "")
                if not EMAIL.match(sender):
                    errors.append(("mj-0013", f'"{sender}" is an invalid email address.', ["From"]))
                to = m.get("To") or []
                if not to:
                    errors.append(("mj-0003", 'Missing mandatory property "To".', ["To"]))
                for t in [*to, *(m.get("Cc") or [])]:
                    address = t.get("Email", "")
                    if not EMAIL.match(address):
                        errors.append(("mj-0013", f'"{address}" is an invalid email address.', ["To"]))
                    elif address in fake.refused:
                        errors.append(("send-0010", f'"{address}" is blocked (hard bounce).', ["To"]))
                if not (m.get("TextPart") or m.get("HTMLPart") or m.get("TemplateID")):
                    errors.append(("send-0003", 'At least "HTMLPart", "TextPart" or "TemplateID" must be provided.',
                                   ["HTMLPart", "TextPart"]))
                if not m.get("Subject"):
                    errors.append(("send-0004", 'Missing "Subject".', ["Subject"]))
                for a in m.get("Attachments") or []:
                    try:
                        base64.b64decode(a.get("Base64Content", ""), validate=True)
                        ok = bool(a.get("ContentType") and a.get("Filename") and a.get("Base64Content"))
                    except (binascii.Error, ValueError):
                        ok = False
                    if not ok:
                        errors.append(("mj-0004", "Invalid attachment.", ["Attachments"]))
                if errors:
                    return {"Status": "error", "Errors": [
                        {"ErrorIdentifier": "X", "ErrorCode": c, "StatusCode": 400, "ErrorMessage": msg,
                         "ErrorRelatedTo": rel} for c, msg, rel in errors]}
                out = []
                with fake.lock:
                    for t in to:
                        mid = 1000 + len(fake.messages)
                        if not sandbox:
                            fake.messages.append({"ID": mid, "CustomID": m.get("CustomID", ""), "To": t["Email"],
                                                  "Subject": m.get("Subject"),
                                                  "Attachments": m.get("Attachments") or [],
                                                  "EventPayload": m.get("EventPayload", "")})
                            if fake.lag:
                                fake.hidden.add(mid)
                            fake._logged({"CustomID": m.get("CustomID", ""), "ID": mid})
                        out.append({"Email": t["Email"], "MessageUUID": f"uuid-{mid}", "MessageID": mid,
                                    "MessageHref": f"https://api.mailjet.com/v3/REST/message/{mid}"})
                return {"Status": "success", "CustomID": m.get("CustomID", ""), "To": out, "Cc": [], "Bcc": []}

            def _sms(self, body: dict[str, Any]) -> None:
                if self.headers.get("Authorization") != f"Bearer {fake.sms_token}":
                    return self._answer(401, {"ErrorIdentifier": "S1", "StatusCode": 401, "ErrorMessage": "Unauthorized"})
                sender, to, text = body.get("From", ""), body.get("To", ""), body.get("Text", "")
                if not re.fullmatch(r"[A-Za-z0-9]{3,11}", str(sender)):
                    return self._answer(400, {"ErrorCode": "sms-0002", "StatusCode": 400,
                                              "ErrorMessage": "From must be 3 to 11 alphanumeric characters"})
                if not re.fullmatch(r"\+[1-9]\d{6,14}", str(to)):
                    return self._answer(400, {"ErrorCode": "sms-0003", "StatusCode": 400,
                                              "ErrorMessage": "To must be a number in E.164 format"})
                if not text:
                    return self._answer(400, {"ErrorCode": "sms-0004", "StatusCode": 400, "ErrorMessage": "Text is required"})
                with fake.lock:
                    mid = f"SMS{len(fake.sms) + 1}"
                    fake.sms.append({"MessageId": mid, **body})
                    fake._logged({"SMS": mid, "To": to, "Text": text})
                self._answer(200, {"From": sender, "To": to, "Text": text, "MessageId": mid, "SmsCount": 1,
                                   "Status": {"Code": 2, "Name": "sent", "Description": "Message sent"}})

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def send_calls(self) -> int:
        return self.calls["POST /v3.1/send"]

    def __enter__(self) -> FakeMailjet:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
