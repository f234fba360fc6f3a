"""Sending through Mailjet: e-mails with the Send API v3.1, text messages with the SMS API v4.

E-mails go in batches (`send_many`, at most 50 messages per call, the API's limit), each with
`CustomID` = its action key; the outcome of every message is read from the response, so one
refused address fails that message only (the API answers 400 for the call and still sends the
others: their statuses are in the body). `SandboxMode` (MAILJET_SANDBOX) validates without
delivering: the messages are `simulated`.

Retries are ours, bounded and jittered (tenacity), and the client's own urllib3 retries are
switched off (they would re-post a batch after a 5xx with no way to tell what went):
- 429: nothing was taken; waited for (Retry-After when given) and posted again;
- 5xx, a timeout, a lost connection: part of the batch may have been taken. Before posting again
  every message is looked up by its CustomID (GET /v3/REST/message); those found are `sent`,
  only the others go again;
- 401/403, or still failing after the last try: `TransportDown`, the run stops sending.
A daily cap (MAILJET_DAILY_CAP, the account's plan; counted with what History already holds for
today) stops the sending with `TransportDown` once reached: the messages left are planned again.

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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
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
from relance.channels.port import Delivery, TransportDown
from relance.engine.action import Action
from relance.engine.catalog import channels as say
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
                 sleep: Callable[[float], None] | None = None) -> None:
        self.config = config
        self.outbox = outbox
        self.lang = lang
        self.batch_size = max(1, min(BATCH, config.batch))
        self.lookup_grace = config.lookup_grace  # read by the executor's reconcile
        self.via = f"mailjet:{config.account}"
        self.sms_via = f"mailjet-sms:{config.account}"
        self.location = "Mailjet" + (" (SandboxMode)" if config.sandbox else "")
        self._sleep = sleep
        self._email = _client((config.api_key, config.api_secret), "v3.1", config)
        self._rest = _client((config.api_key, config.api_secret), "v3", config)
        self._sms = _client(config.sms_token, "v4", config) if config.sms_token else None
        self.sent = 0  # messages handed over by this channel (for the daily cap)
        self.send_calls = 0

    # --- where things go -----------------------------------------------------------------------
    def via_for(self, action: Action) -> str:
        if action.channel == "letter":
            return self.outbox.via
        return self.sms_via if action.channel == "sms" else self.via

    def _capped(self) -> TransportDown | None:
        cap = self.config.daily_cap
        if cap and self.config.sent_today + self.sent >= cap:
            return TransportDown(say.MAILJET_CAP.text(self.lang, cap=cap), say.MAILJET_CAP_HINT.text(self.lang))
        return None

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
        self.send_calls += 1
        try:
            response = self._email.send.create(data=data)
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
            raise _Retry(f"HTTP {status}" if status else type(exc).__name__, True, retry_after) from None
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
        self.sent += 1
        return Delivery("sent", ";".join(ids), say.MAILJET_ACCEPTED())

    def _batch(self, messages: list[OutgoingMessage]) -> list[Delivery]:
        """Post one batch (<= 50) until each message has its outcome; see the module's doc."""
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
                            for m in left:
                                found = self._find(m.action.key)
                                if found is not None:
                                    self.sent += 1
                                    done[m.action.key] = Delivery("sent", found, say.MAILJET_ACCEPTED())
                            left = [m for m in left if m.action.key not in done]
                            if not left:
                                break
                        raise
        except RetryError as exc:
            last = exc.last_attempt.exception() or exc
            raise self._down(last, self.config.attempts) from None
        return [done[m.action.key] for m in messages]

    def _find(self, action_key: str) -> str | None:
        """The Mailjet id of the message carrying this CustomID, None if Mailjet has none."""
        from mailjet_rest.errors import ApiError

        try:
            body = self._rest.message.get(filters={"CustomID": action_key}).json()
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
            self.sent += 1
            return Delivery("sent", str(body.get("MessageId") or body.get("ID") or ""), say.MAILJET_ACCEPTED())
        raise AssertionError("unreachable")

    # --- the Channel protocol --------------------------------------------------------------------
    def send_many(self, messages: Sequence[OutgoingMessage]) -> list[Delivery | BaseException]:
        """Letters filed, text messages one by one, e-mails in calls of at most 50; an outcome
        per message in order (a TransportDown ends the list: the rest was not attempted)."""
        out: list[Delivery | BaseException] = []
        emails: list[OutgoingMessage] = []

        def flush() -> bool:
            while emails:
                capped = self._capped()
                if capped is not None:
                    out.append(capped)
                    return False
                room = self.config.daily_cap - self.config.sent_today - self.sent if self.config.daily_cap else BATCH
                chunk, emails[:] = emails[: min(self.batch_size, room)], emails[min(self.batch_size, room):]
                try:
                    out.extend(self._batch(chunk))
                except TransportDown as exc:
                    out.append(exc)
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
        flush()
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

    def proofs(self, action_keys: Iterable[str]) -> dict[str, bytes]:
        return self.outbox.proofs(action_keys)

    def close(self) -> None:
        try:
            for client in (self._email, self._rest, self._sms):
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
               if e.via in (via, "mailjet-sms" + via[len("mailjet"):]) and e.status in ("sent", "pending", "unknown")
               and str(e.timestamp)[:10] == today.isoformat())
