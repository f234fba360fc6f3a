"""A local Pub/Sub on loopback: the REST publish, and push deliveries the way Eventarc makes them.

`POST /v1/projects/{project}/topics/{topic}:publish` with `{"messages": [{"data": <base64>,
"attributes": {...}}]}` answers `{"messageIds": [...]}` as the real API does (400 for an empty
list, more than 1,000 messages, a message without data or attributes, data that is not Base64;
404 for another topic). Each message is then pushed to `push_endpoint` as a Pub/Sub trigger of a
2nd-gen Cloud Function receives it: a binary-mode CloudEvent (`ce-id` = the message id,
`ce-source` = `//pubsub.googleapis.com/projects/P/topics/T`, `ce-type` =
`google.cloud.pubsub.topic.v1.messagePublished`, `ce-specversion: 1.0`, `ce-time`) whose JSON body
is the push envelope `{"message": {"data", "attributes", "messageId", "publishTime"},
"subscription", "deliveryAttempt"}`.

Delivery is at least once, as Pub/Sub's: a push answered with anything but 2xx is delivered again
(`deliveryAttempt` + 1), up to `max_attempts`, then kept in `dead_letters`. Pub/Sub waits a
back-off before a redelivery; here "later" is an event, not a time: the redelivery waits until
every other push in flight when the push was refused has been answered; `duplicate=True`
pushes every message twice, and `redeliver(message_id)` pushes one again as after a lost ack.
Faults: `publish_faults` (status codes answered by the next publish calls).

Authentication as Google's: `POST /token` is an OAuth 2.0 token endpoint for service-account
keys (a JWT bearer assertion, checked against `public_keys` when given, in exchange for an
access token), and with `require_token` every publish must carry `Authorization: Bearer` with a
token it issued (401 otherwise); `token_requests` counts the exchanges.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import itertools
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

PUBLISH = re.compile(r"^/v1/projects/([^/]+)/topics/([^/:]+):publish$")
MESSAGE_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"


@dataclass
class Message:
    message_id: str
    data: str
    attributes: dict[str, str]
    publish_time: str

    def payload(self) -> dict[str, Any]:
        return json.loads(base64.b64decode(self.data))


@dataclass
class Delivery:
    message_id: str
    attempt: int
    status: int
    seconds: float = 0.0  # how long the endpoint took to answer (for the benchmark)


@dataclass
class PubSubServer:
    project: str = "relance-test"
    topic: str = "relance-runs"
    subscription: str = "relance-runs-worker"
    push_endpoint: str = ""
    max_attempts: int = 5
    concurrency: int = 4
    duplicate: bool = False
    publish_faults: list[int] = field(default_factory=list)
    published: list[Message] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    dead_letters: list[Message] = field(default_factory=list)
    publish_calls: int = 0
    require_token: bool = False
    public_keys: dict[str, str] = field(default_factory=dict)
    token_requests: int = 0

    def __post_init__(self) -> None:
        self._ids = itertools.count(1_000_000_001)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._pushing: set[int] = set()
        self._push_ids = itertools.count()
        self._tokens: set[str] = set()
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="pubsub-push")
        self._http = requests.Session()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/token":
                    status, answer = server._token(body)
                elif server.require_token and not server._authorized(self.headers.get("Authorization", "")):
                    status, answer = 401, {"error": {"code": 401, "message": "Request had invalid authentication "
                                                     "credentials.", "status": "UNAUTHENTICATED"}}
                else:
                    status, answer = server._publish(self.path, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> PubSubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._http.close()

    # --- OAuth 2.0 -------------------------------------------------------------------------------
    def _token(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        from urllib.parse import parse_qs

        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or "assertion" not in form:
            return 400, {"error": "unsupported_grant_type"}
        if self.public_keys:
            from google.auth import jwt

            try:
                claims = jwt.decode(form["assertion"], certs=self.public_keys,  # the audience Google checks
                                    audience="https://oauth2.googleapis.com/token")
            except ValueError:
                return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            if "https://www.googleapis.com/auth/pubsub" not in str(claims.get("scope", "")).split():
                return 400, {"error": "invalid_scope"}
        with self._lock:
            self.token_requests += 1
            token = f"ya29.local-{self.token_requests}"
            self._tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        return scheme == "Bearer" and token in self._tokens

    # --- the REST publish -------------------------------------------------------------------------
    def _publish(self, path: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.publish_calls += 1
            if self.publish_faults:
                code = self.publish_faults.pop(0)
                return code, {"error": {"code": code, "message": "injected", "status": "UNAVAILABLE"}}
        found = PUBLISH.match(path)
        if not found:
            return 404, {"error": {"code": 404, "message": f"no such method {path}", "status": "NOT_FOUND"}}
        if found.groups() != (self.project, self.topic):
            return 404, {"error": {"code": 404, "message": "Resource not found", "status": "NOT_FOUND"}}
        try:
            messages = json.loads(raw)["messages"]
        except (ValueError, KeyError, TypeError):
            return 400, _invalid("Invalid JSON payload")
        if not isinstance(messages, list) or not messages or len(messages) > 1000:
            return 400, _invalid("The value for message_count is too small or too large")
        made: list[Message] = []
        for m in messages:
            data, attributes = m.get("data", ""), m.get("attributes") or {}
            if not data and not attributes:
                return 400, _invalid("Some messages are empty")
            try:
                base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                return 400, _invalid("Invalid value at 'messages[0].data' (TYPE_BYTES)")
            made.append(Message(str(next(self._ids)), data, dict(attributes),
                                dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")))
        with self._lock:
            self.published.extend(made)
            self._in_flight += len(made) * (2 if self.duplicate else 1)
        for message in made:
            for _ in range(2 if self.duplicate else 1):
                self._pool.submit(self._deliver, message)
        return 200, {"messageIds": [m.message_id for m in made]}

    # --- push -------------------------------------------------------------------------------------
    def push(self, message: Message, attempt: int) -> int:
        """One push of `message`, as Eventarc sends it: the status the endpoint answered."""
        envelope = {"message": {"data": message.data, "attributes": message.attributes,
                                "messageId": message.message_id, "message_id": message.message_id,
                                "publishTime": message.publish_time, "publish_time": message.publish_time},
                    "subscription": f"projects/{self.project}/subscriptions/{self.subscription}",
                    "deliveryAttempt": attempt}
        headers = {"Content-Type": "application/json", "ce-id": message.message_id, "ce-specversion": "1.0",
                   "ce-source": f"//pubsub.googleapis.com/projects/{self.project}/topics/{self.topic}",
                   "ce-type": MESSAGE_PUBLISHED, "ce-time": message.publish_time,
                   "User-Agent": "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)"}
        with self._lock:
            token = next(self._push_ids)
            self._pushing.add(token)
        started = time.perf_counter()
        try:
            status = self._http.post(self.push_endpoint, json=envelope, headers=headers, timeout=600).status_code
        except requests.RequestException:
            status = 0
        with self._lock:
            self._pushing.discard(token)
            self.deliveries.append(Delivery(message.message_id, attempt, status, time.perf_counter() - started))
            self._idle.notify_all()
        return status

    def _deliver(self, message: Message) -> None:
        try:
            for attempt in range(1, self.max_attempts + 1):
                if 200 <= self.push(message, attempt) < 300:
                    return
                with self._idle:  # the back-off: until the pushes in flight now have been answered
                    others = set(self._pushing)
                    self._idle.wait_for(lambda others=others: not (others & self._pushing), 600)
            with self._lock:
                self.dead_letters.append(message)
        finally:
            with self._lock:
                self._in_flight -= 1
                self._idle.notify_all()

    def redeliver(self, message_id: str) -> int:
        """Push a message once more, as Pub/Sub does when an acknowledgement is lost."""
        message = next(m for m in self.published if m.message_id == message_id)
        return self.push(message, 2)

    def wait_idle(self, timeout: float = 300.0) -> bool:
        """Wait until every published message was acknowledged or dead-lettered (hang guard)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)


def _invalid(text: str) -> dict[str, Any]:
    return {"error": {"code": 400, "message": text, "status": "INVALID_ARGUMENT"}}
