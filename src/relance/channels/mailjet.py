"""Sending through Mailjet: e-mails with the Send API v3.1, text messages with the SMS API v4.

E-mails go in batches (`send_many`, at most 50 messages per call, the API's limit), each with
`CustomID` = its action key; the outcome of every message is read from the response, so one
refused address fails that message only (the API answers 400 for the call and still sends the
others: their statuses are in the body). `SandboxMode` (MAILJET_SANDBOX) validates without
delivering: the messages are `simulated`.

Retries are ours, bounded and jittered (tenacity), and the client's own urllib3 retries are
switched off (they would re-post a batch after a 5xx with no way to tell what went):
- 429, and 503 (the service refusing the call before taking it): nothing was taken; waited for
  (Retry-After when given) and posted again; still refused after the last try, the batch is
  `failed` (a clear row: planned again) and the channel stops;
- any other 5xx, a timeout, a lost connection: part of the batch may have been taken. Every
  message is looked up by its CustomID (GET /v3/REST/message); those found are `sent`. Those not
  found are NOT posted again: Mailjet lists a message some time after taking it, so "not found"
  right after such an answer may be a message it has. They stay `pending`, the channel stops
  (Mailjet is failing), and a later run settles them once older than the lookup grace
  (MAILJET_LOOKUP_GRACE): late, never twice. The lookup itself failing leaves them `pending` too;
- 401/403: `TransportDown`, the run stops sending.

Calls go concurrently: the batches a window holds (`batch_size` = 50 x `concurrency`) are posted
by a small thread pool, each thread with its own mailjet-rest client (a requests session is not
made to be shared between threads), all of them within `rate_per_second` calls a second
(`pacing.Pace`; lookups and text messages count too). The outcomes come back in the order of
the messages, whatever the threads' timing.

The daily cap (Settings `daily_send_cap`, MAILJET_DAILY_CAP overriding it: the account's plan)
is applied by the executor before anything leaves (app/daily_cap.py: most overdue first, the
rest held back for the next run); the channel keeps a guard of its own (`sent_today` + what it
sent) that stops the sending with `TransportDown` should it be reached anyway.

`lookup` asks Mailjet by CustomID, which is how a `pending` row left by a crash is settled.
Text messages cannot be looked up by key (the SMS API has no CustomID): their rows name
`mailjet-sms:` (`port.BLIND_TRANSPORTS`) and a crash leaves them `unknown`, never resent.

SMS: mailjet-rest 1.9.1 has no route for `POST /v4/sms-send` (its dynamic fallback builds
`/v4/REST/sms/send`): the client's generic `api_call` is called with the full, right URL and the
SMS token as Bearer. Numbers are sent in E.164 (phonenumbers); the sender name is 3 to 11 ASCII
letters or digits. Letters are filed in the outbox folder (to print and post), as the outbox does.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import phonenumbers
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
)
from tenacity.wait import wait_random_exponential

from relance.channels.outbox import SIMULATED, OutboxChannel
from relance.channels.pacing import Pace
from relance.channels.port import Delivery, TransportDown
from relance.engine.action import Action
from relance.engine.catalog import channels as say
from relance.engine.history import SENT_STATUSES
from relance.engine.message import OutgoingMessage

#: The Send API v3.1 takes at most this many messages per call.
BATCH = 50
SENDER = re.compile(r"[A-Za-z0-9]{3,11}")
MAX_DETAIL = 300
#: Seconds after which a message Mailjet took is surely listed by GET /v3/REST/message.
LOOKUP_GRACE = 1800.0


@dataclass(frozen=True, slots=True)
class MailjetConfig:
    """The account and how to use it (from MAILJET_* environment variables)."""

    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    sms_token: str = field(default="", repr=False)
    api_url: str = "https://api.mailjet.com/"
    sandbox: bool = False
    daily_cap: int = 0  # messages a day through this account (0: no cap)
    sent_today: int = 0  # already sent today, from History
    sms_sender: str = ""  # 3-11 letters or digits; blank: from the sender's name
    sms_region: str = "FR"  # for numbers written without their country code
    timeout: float = 30.0
    attempts: int = 4
    wait_first: float = 1.0
    wait_max: float = 30.0
    batch: int = BATCH
    concurrency: int = 4  # calls in flight at once (MAILJET_MAX_CONCURRENCY)
    rate_per_second: float = 10.0  # calls a second at most, all threads together; 0: no limit
    event_payload: str = ""  # sent as each e-mail's EventPayload: delivery events find their workbook
    #: Mailjet lists a message some time after taking it: a crashed run's `pending` row that the
    #: lookup does not find is taken for unsent only once it is older than this (docs/decisions.md)
    lookup_grace: float = LOOKUP_GRACE

    @property
    def account(self) -> str:
        """Names the account in `via` without showing its key."""
        return hashlib.sha256(self.api_key.encode()).hexdigest()[:12]


class _Retry(Exception):
    """Worth another try; `taken_maybe`: part of what was posted may have been taken."""

    def __init__(self, reply: str, taken_maybe: bool, retry_after: float | None = None) -> None:
        super().__init__(reply)
        self.reply = reply
        self.taken_maybe = taken_maybe
        self.retry_after = retry_after


def _client(auth: Any, version: str, config: MailjetConfig) -> Any:
    import requests
    from mailjet_rest import Client

    client = Client(auth=auth, version=version, api_url=config.api_url, timeout=config.timeout)
    # our retries only: the client's would re-post a batch after a 5xx, blindly
    client.session.mount("https://", requests.adapters.HTTPAdapter(max_retries=0))
    return client


def _status_of(exc: BaseException) -> tuple[int, str, float | None]:
    """(HTTP status, body, Retry-After seconds) of a mailjet-rest error (0 for a network one)."""
    status = int(getattr(exc, "status_code", 0) or 0)
    body = str(getattr(exc, "response_body", "") or "")
    response = getattr(exc.__cause__, "response", None)
    retry_after = None
    if response is not None:
        status = status or int(response.status_code)
        body = body or response.text
        raw = response.headers.get("Retry-After", "")
        try:
            retry_after = float(raw) if raw else None
        except ValueError:
            retry_after = None
    return status, body, retry_after


def _errors(entry: dict[str, Any]) -> str:
    found = [f"{e.get('ErrorCode', '')} {e.get('ErrorMessage', '')}".strip() for e in entry.get("Errors") or []]
    return "; ".join(found)[:MAX_DETAIL] or "error"


def e164(number: str, region: str) -> str | None:
    """The number in E.164 (+33612345678), or None when it is not a possible phone number."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def sms_sender(name: str) -> str:
    """A sender name Mailjet takes: the ASCII letters and digits of `name`, at most 11 ("" if < 3)."""
    kept = re.sub(r"[^A-Za-z0-9]", "", name)[:11]
    return kept if len(kept) >= 3 else ""


class MailjetChannel:
    """The `mailjet` transport."""

    name = "mailjet"
    batch_size = BATCH

    def __init__(self, config: MailjetConfig, outbox: OutboxChannel, lang: str = "fr",
                 sleep: Callable[[float], None] | None = None, pace: Pace | None = None) -> None:
        self.config = config
        self.outbox = outbox
        self.lang = lang
        self.per_call = max(1, min(BATCH, config.batch))  # messages in one call
        self.concurrency = max(1, config.concurrency)  # calls in flight at once
        self.batch_size = self.per_call * self.concurrency  # messages `port.deliveries` hands over at once
        self.lookup_grace = config.lookup_grace  # read by the executor's reconcile
        self.via = f"mailjet:{config.account}"
        self.sms_via = f"mailjet-sms:{config.account}"
        self.location = "Mailjet" + (" (SandboxMode)" if config.sandbox else "")
        self.pace = pace or Pace(config.rate_per_second)
        self._sleep = sleep
        self._lock = threading.Lock()
        self._local = threading.local()  # one pair of clients (requests sessions) per thread
        self._opened: list[Any] = []
        self._pool: ThreadPoolExecutor | None = None
        self._stopped: TransportDown | None = None  # the channel takes nothing more (see the module's doc)
        self._window_stop = 0  # in the window being sent: the first batch that stopped the channel
        self._email, self._rest = self._clients()
        self._sms = _client(config.sms_token, "v4", config) if config.sms_token else None
        self.sent = 0  # messages handed over by this channel (for the daily cap)
        self.send_calls = 0

    # --- where things go -----------------------------------------------------------------------
    def via_for(self, action: Action) -> str:
        if action.channel == "letter":
            return self.outbox.via
        return self.sms_via if action.channel == "sms" else self.via

    @property
    def daily_cap(self) -> int:
        """Messages a day this account may send (0: no cap), applied by the executor (app/daily_cap.py)."""
        return self.config.daily_cap

    @property
    def cap_vias(self) -> frozenset[str]:
        """The `via` of the History rows the daily cap counts: this account's e-mails and text messages."""
        return frozenset({self.via, self.sms_via})

    def count_today(self, used: int) -> None:
        """What History says this account already sent today (the executor counts it)."""
        self.config = replace(self.config, sent_today=used)

    def _clients(self) -> tuple[Any, Any]:
        """This thread's Send API and REST API clients (made on its first call)."""
        local = self._local
        if getattr(local, "email", None) is None:
            auth = (self.config.api_key, self.config.api_secret)
            local.email, local.rest = _client(auth, "v3.1", self.config), _client(auth, "v3", self.config)
            with self._lock:
                self._opened += [local.email, local.rest]
        return local.email, local.rest

    def _cap_reached(self) -> TransportDown:
        return TransportDown(say.MAILJET_CAP.text(self.lang, cap=self.config.daily_cap),
                             say.MAILJET_CAP_HINT.text(self.lang))

    def _capped(self) -> TransportDown | None:
        cap = self.config.daily_cap
        if cap and self.config.sent_today + self.sent >= cap:
            return self._cap_reached()
        return None

    def _stop(self, exc: TransportDown) -> None:
        self._local.stopped_here = True
        with self._lock:
            if self._stopped is None:
                self._stopped = exc

    def _count(self, sent: int = 0, calls: int = 0) -> None:
        with self._lock:
            self.sent += sent
            self.send_calls += calls

    def _retrying(self) -> Retrying:
        c = self.config
        jitter = wait_random_exponential(multiplier=c.wait_first, max=c.wait_max)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome is not None else None
            if isinstance(exc, _Retry) and exc.retry_after is not None:
                return min(exc.retry_after, c.wait_max)
            return float(jitter(state))

        retrying = Retrying(stop=stop_after_attempt(max(1, c.attempts)), wait=wait,
                            retry=retry_if_exception_type(_Retry), reraise=False)
        return retrying if self._sleep is None else retrying.copy(sleep=self._sleep)

    def _down(self, exc: BaseException, attempts: int) -> TransportDown:
        status, body, _ = _status_of(exc)
        why = exc.reply if isinstance(exc, _Retry) else (f"HTTP {status}" if status else type(exc).__name__)
        if status in (401, 403):
            return TransportDown(say.MAILJET_AUTH.text(self.lang, reply=f"HTTP {status}"),
                                 say.MAILJET_AUTH_HINT.text(self.lang))
        return TransportDown(say.MAILJET_DOWN.text(self.lang, why=why, attempts=attempts),
                             say.MAILJET_DOWN_HINT.text(self.lang))

    # --- e-mails ---------------------------------------------------------------------------------
    def _payload(self, m: OutgoingMessage) -> dict[str, Any]:
        a = m.action
        one: dict[str, Any] = {
            "From": {"Email": m.sender_email, **({"Name": m.sender_name} if m.sender_name else {})},
            "To": [{"Email": r} for r in a.recipients],
            "Subject": m.subject, "TextPart": m.text, "HTMLPart": m.html,
            "CustomID": a.key,
            "Headers": {"X-Relance-Action-Key": a.key},
        }
        if self.config.event_payload:
            one["EventPayload"] = self.config.event_payload
        if a.cc:
            one["Cc"] = [{"Email": r} for r in a.cc]
        if m.reply_to:
            one["ReplyTo"] = {"Email": m.reply_to}
        files = [{"ContentType": x.content_type, "Filename": x.filename,
                  "Base64Content": base64.b64encode(x.data).decode("ascii")} for x in m.attachments]
        if m.pdf is not None:
            files.insert(0, {"ContentType": "application/pdf", "Filename": f"{a.customer_id}_{a.step}.pdf",
                             "Base64Content": base64.b64encode(m.pdf).decode("ascii")})
        if files:
            one["Attachments"] = files
        return one

    def _post(self, messages: Sequence[OutgoingMessage]) -> list[dict[str, Any]]:
        """One call; the per-message entries of the response, in the order posted."""
        from mailjet_rest.errors import ApiError

        data: dict[str, Any] = {"Messages": [self._payload(m) for m in messages]}
        if self.config.sandbox:
            data["SandboxMode"] = True
        email, _ = self._clients()
        self.pace.wait()
        self._count(calls=1)
        try:
            response = email.send.create(data=data)
            body = response.json()
        except ApiError as exc:
            status, text, retry_after = _status_of(exc)
            if status == 429:
                raise _Retry("HTTP 429", False, retry_after) from None
            if status in (401, 403):
                raise self._down(exc, 1) from None
            if status == 400:  # per-message errors: the others were still sent
                try:
                    entries = json.loads(text).get("Messages")
                except (ValueError, AttributeError):
                    entries = None
                if isinstance(entries, list) and len(entries) == len(messages):
                    return entries
                detail = text[:MAX_DETAIL] or "HTTP 400"
                return [{"Status": "error", "Errors": [{"ErrorMessage": detail}]} for _ in messages]
            # 503: the service refused the call before taking it (overloaded), like a 429; any
            # other 5xx, or no answer, may come after Mailjet took part of the batch
            raise _Retry(f"HTTP {status}" if status else type(exc).__name__, status != 503, retry_after) from None
        except ValueError:  # a 200 without a JSON body
            raise _Retry("no JSON answer", True) from None
        entries = body.get("Messages") if isinstance(body, dict) else None
        if not isinstance(entries, list) or len(entries) != len(messages):
            raise _Retry("an answer without the messages' statuses", True)
        return entries

    def _delivery(self, entry: dict[str, Any]) -> Delivery:
        if entry.get("Status") != "success":
            return Delivery("failed", "", say.MAILJET_REFUSED(errors=_errors(entry)))
        ids = [str(t.get("MessageID", "")) for t in entry.get("To") or [] if t.get("MessageID")]
        if self.config.sandbox:
            return Delivery(SIMULATED, ";".join(ids), say.MAILJET_SANDBOX())
        self._count(sent=1)
        return Delivery("sent", ";".join(ids), say.MAILJET_ACCEPTED())

    def _batch(self, messages: list[OutgoingMessage]) -> list[Delivery]:
        """Post one batch (<= 50) until each message has its outcome; see the module's doc.

        Raises TransportDown only when nothing of the batch was taken (credentials refused)."""
        done: dict[str, Delivery] = {}
        left = list(messages)
        try:
            for attempt in self._retrying():
                with attempt:
                    try:
                        for m, entry in zip(left, self._post(left), strict=True):
                            done[m.action.key] = self._delivery(entry)
                        left = []
                    except _Retry as exc:
                        if exc.taken_maybe and not self.config.sandbox:  # what went, before posting again
                            try:
                                for m in left:
                                    found = self._find(m.action.key)
                                    if found is not None:
                                        self._count(sent=1)
                                        done[m.action.key] = Delivery("sent", found, say.MAILJET_ACCEPTED())
                            except TransportDown as lost:  # cannot be told: the next run looks them up
                                self._stop(lost)
                                unsure = say.MAILJET_UNSURE(why=exc.reply)
                                done.update((m.action.key, Delivery("pending", "", unsure))
                                            for m in left if m.action.key not in done)
                                left = []
                                break
                            # What the lookup does not find is not posted again: Mailjet lists a
                            # message some time after taking it, so "not found" right after a 5xx or
                            # a timeout may be a message it has. The row stays pending and a later
                            # run settles it once older than the lookup grace (docs/decisions.md):
                            # late, never twice.
                            # Mailjet is failing, too: this run posts nothing more (the rest is
                            # planned again by the next run).
                            unsure = say.MAILJET_UNSURE(why=exc.reply)
                            done.update((m.action.key, Delivery("pending", "", unsure))
                                        for m in left if m.action.key not in done)
                            if left and any(m.action.key not in done or done[m.action.key].status == "pending"
                                            for m in left):
                                self._stop(self._down(exc, attempt.retry_state.attempt_number))
                            left = []
                            break
                        raise
        except RetryError as exc:  # the bound is reached: a clear failure for what did not go
            last = exc.last_attempt.exception() or exc
            self._stop(self._down(last, self.config.attempts))
            reply = last.reply if isinstance(last, _Retry) else type(last).__name__
            gave_up = say.MAILJET_GAVE_UP(reply=reply, attempts=self.config.attempts)
            done.update((m.action.key, Delivery("failed", "", gave_up)) for m in left)
        except TransportDown as exc:  # refused credentials: what was found stays sent
            if not done:
                raise
            self._stop(exc)
            done.update((m.action.key, Delivery("failed", "", say.MAILJET_NOT_POSTED(cause=exc.said)))
                        for m in left if m.action.key not in done)
        return [done[m.action.key] for m in messages]

    def _start(self, index: int, chunk: list[OutgoingMessage]) -> list[Delivery] | TransportDown | None:
        """Batch `index` of the window as a worker posts it: its outcomes, the TransportDown that
        took none of it, or None when an earlier batch had stopped the channel (nothing posted).
        A batch before the one that stopped still goes, as it would have one call at a time."""
        if self._stopped is not None and index > self._window_stop:
            return None
        self._local.stopped_here = False
        try:
            return self._batch(chunk)
        except TransportDown as exc:
            self._stop(exc)
            return exc
        finally:
            if self._local.stopped_here:
                with self._lock:
                    self._window_stop = min(self._window_stop, index)

    def _send_emails(self, emails: list[OutgoingMessage]) -> list[Delivery | BaseException]:
        """E-mails in calls of at most 50, up to `concurrency` of them in flight: an outcome per
        message in order, or the list ends with the TransportDown that stopped it."""
        if self._stopped is not None:
            return [self._stopped]
        capped = self._capped()
        if capped is not None:
            return [capped]
        cap = self.config.daily_cap
        room = cap - self.config.sent_today - self.sent if cap else len(emails)
        allowed = emails[:room]
        chunks = [allowed[i:i + self.per_call] for i in range(0, len(allowed), self.per_call)]
        self._window_stop = len(chunks)
        if self.concurrency == 1 or len(chunks) == 1:
            results = [self._start(i, chunk) for i, chunk in enumerate(chunks)]
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="mailjet")
            futures = [self._pool.submit(self._start, i, chunk) for i, chunk in enumerate(chunks)]
            results = [f.result() for f in futures]  # in the order posted, whatever the timing
        out: list[Delivery | BaseException] = []
        for i, (chunk, result) in enumerate(zip(chunks, results, strict=True)):
            if isinstance(result, list):
                out.extend(result)
                continue
            cause = result if result is not None else self._stopped
            assert cause is not None
            if not any(isinstance(r, list) for r in results[i:]):
                out.append(cause)  # nothing of the rest was posted: the list ends here
                return out
            out.extend(Delivery("failed", "", say.MAILJET_NOT_POSTED(cause=cause.said)) for _ in chunk)
        if len(allowed) < len(emails):
            out.append(self._cap_reached())
        return out

    def _find(self, action_key: str) -> str | None:
        """The Mailjet id of the message carrying this CustomID, None if Mailjet has none."""
        from mailjet_rest.errors import ApiError

        _, rest = self._clients()
        self.pace.wait()
        try:
            body = rest.message.get(filters={"CustomID": action_key}).json()
        except ApiError as exc:
            raise self._down(exc, 1) from None
        except ValueError:
            raise TransportDown(say.MAILJET_DOWN.text(self.lang, why=say.NO_JSON(), attempts=1),
                                say.MAILJET_DOWN_HINT.text(self.lang)) from None
        data = body.get("Data") if isinstance(body, dict) else None
        if data:
            return ";".join(str(d.get("ID", "")) for d in data)
        return None

    # --- text messages -------------------------------------------------------------------------
    def _send_sms(self, m: OutgoingMessage) -> Delivery:
        from mailjet_rest.errors import ApiError

        number = e164(m.action.recipient, self.config.sms_region)
        if number is None:
            return Delivery("failed", "", say.SMS_BAD_NUMBER(number=m.action.recipient))
        sender = self.config.sms_sender or sms_sender(m.sender_name)
        if not SENDER.fullmatch(sender):
            return Delivery("failed", "", say.SMS_BAD_SENDER(name=repr(sender or m.sender_name)))
        if self._sms is None:
            raise TransportDown(say.MISSING_ENV.text(self.lang, channel="mailjet", names="MAILJET_SMS_TOKEN"),
                                say.MISSING_ENV_HINT.text(self.lang))
        url = self._sms.config.api_url + "v4/sms-send"  # not the client's route: see the module's doc
        data = {"From": sender, "To": number, "Text": m.text}
        for attempt in range(max(1, self.config.attempts)):
            self.pace.wait()
            try:
                body = self._sms.api_call("POST", url, data=data, headers={"Content-Type": "application/json"}).json()
            except ApiError as exc:
                status, text, retry_after = _status_of(exc)
                if status == 429 and attempt + 1 < self.config.attempts:  # not taken: wait and post again
                    (self._sleep or _pause)(min(retry_after or self.config.wait_first * 2 ** attempt,
                                                self.config.wait_max))
                    continue
                if status in (401, 403) or status == 429:
                    raise self._down(exc, attempt + 1) from None
                if 400 <= status < 500:
                    try:
                        reason = json.loads(text).get("ErrorMessage", "")
                    except (ValueError, AttributeError):
                        reason = ""
                    return Delivery("failed", "", say.MAILJET_REFUSED(errors=(reason or text)[:MAX_DETAIL]))
                # a 5xx or a lost answer: it may have gone, and the SMS API cannot be asked by key
                return Delivery("unknown", "", say.MAILJET_UNSURE(why=f"HTTP {status}" if status else type(exc).__name__))
            except ValueError:
                return Delivery("unknown", "", say.MAILJET_UNSURE(why=say.NO_JSON()))
            self._count(sent=1)
            return Delivery("sent", str(body.get("MessageId") or body.get("ID") or ""), say.MAILJET_ACCEPTED())
        raise AssertionError("unreachable")

    # --- the Channel protocol --------------------------------------------------------------------
    def send_many(self, messages: Sequence[OutgoingMessage]) -> list[Delivery | BaseException]:
        """Letters filed, text messages one by one, e-mails in calls of at most 50 (several at
        once); an outcome per message in order (a TransportDown ends the list: the rest was not
        attempted)."""
        out: list[Delivery | BaseException] = []
        emails: list[OutgoingMessage] = []

        def flush() -> bool:
            """Send the e-mails gathered; False when the channel stopped (the list says why)."""
            if emails:
                out.extend(self._send_emails(emails))
                emails.clear()
                if isinstance(out[-1], TransportDown):
                    return False
            if self._stopped is not None:
                out.append(self._stopped)
                return False
            return True

        for m in messages:
            if m.action.channel == "letter" or (m.pdf is not None and m.action.channel != "email"):
                if not flush():
                    return out
                try:
                    out.append(self.outbox.send(m))
                except TransportDown as exc:
                    out.append(exc)
                    return out
            elif m.action.channel == "sms":
                if not flush():
                    return out
                capped = self._capped()
                try:
                    if capped is not None:
                        raise capped
                    out.append(self._send_sms(m))
                except TransportDown as exc:
                    out.append(exc)
                    return out
            else:
                emails.append(m)
        if emails:
            out.extend(self._send_emails(emails))
        return out

    def send(self, message: OutgoingMessage) -> Delivery:
        outcome = self.send_many([message])[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def lookup(self, action_key: str) -> str | None:
        """Mailjet's id for the message with this CustomID (a letter: the outbox's), else None."""
        return self.outbox.lookup(action_key) or self._find(action_key)

    def attach(self, name: str, data: bytes) -> str:
        return self.outbox.attach(name, data)

    def attach_many(self, documents: Sequence[tuple[str, bytes]]) -> list[str | BaseException]:
        """The outbox's: documents filed together (channels/outbox.py)."""
        return self.outbox.attach_many(documents)

    def detach(self, names: Iterable[str]) -> None:
        """The outbox's: documents filed ahead and never handed over, removed."""
        self.outbox.detach(names)

    def proofs(self, action_keys: Iterable[str]) -> dict[str, bytes]:
        return self.outbox.proofs(action_keys)

    def close(self) -> None:
        try:
            if self._pool is not None:  # an interrupted run starts no batch more (its rows stay pending)
                self._pool.shutdown(wait=True, cancel_futures=True)
            for client in (*self._opened, self._sms):
                if client is not None:
                    client.close()
        finally:
            self.outbox.close()


def _pause(seconds: float) -> None:
    import time

    time.sleep(seconds)


def sent_today(entries: Iterable[Any], via: str, today: dt.date) -> int:
    """How many messages History says went through this account today (for the daily cap)."""
    return sum(1 for e in entries
               if e.via in (via, "mailjet-sms" + via[len("mailjet"):]) and e.status in SENT_STATUSES  # delivered... too
               and str(e.timestamp)[:10] == today.isoformat())
