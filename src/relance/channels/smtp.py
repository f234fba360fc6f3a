"""Sending e-mails through an SMTP server (STARTTLS, implicit TLS or none; optional login).

What leaves is, byte for byte, what the outbox would file (channels/mime.py builds both). Letters
(the formal notice's PDF, to print and post) and text messages cannot go by SMTP: they are filed
in the outbox folder, as the outbox files them, and their History rows name that folder
(`via_for`), so that a crash is settled there.

One connection is opened at the first e-mail and reused for every other one. Errors are sorted:
- transient (a 4xx reply, a timeout, a dropped connection): the message is tried again, on a new
  connection when the old one is gone, a bounded number of times with jittered exponential waits
  (tenacity); still refused, it is `failed` (planned again by the next run);
- permanent (a 5xx reply): never retried; a refused recipient is reported with the server's reply
  (the message still goes to the recipients the server took);
- the server cannot be reached at all, refuses the login or the TLS handshake: `TransportDown`,
  the run stops sending (what is left is planned again).
The one case that cannot be told is a connection lost after the whole message was handed over
and before the server answered: the server may have taken it. It is never retried; its Delivery
is `unknown` (a person decides, History keeps it blocking). An SMTP server cannot be asked later
either: `lookup` knows nothing, and a `pending` row left by a crash is settled `unknown` by the
executor (`port.BLIND_TRANSPORTS`).

The configuration (`SmtpConfig`) is read from the environment by app/connect.py; the password is
never shown (not in `repr`, not in any message, and smtplib's debug output stays off).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import smtplib
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from relance.channels.mime import email_bytes, message_id_for
from relance.channels.outbox import OutboxChannel
from relance.channels.port import UNKNOWN, Delivery, TransportDown
from relance.engine.action import Action
from relance.engine.catalog import channels as say
from relance.engine.message import OutgoingMessage

SECURITIES = ("starttls", "ssl", "none")
#: Longest server reply kept in a History detail (a reply may be several lines long).
MAX_REPLY = 300
_LINE_START_DOT = re.compile(rb"(?m)^\.")


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how to reach the SMTP server (from SMTP_* environment variables)."""

    host: str
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    username: str = ""
    password: str = field(default="", repr=False)
    envelope_from: str = ""  # MAIL FROM (bounces); blank: the message's sender address
    timeout: float = 30.0  # seconds, for the connection and each command
    ca_file: str = ""  # a certificate authority of one's own (self-signed servers)
    attempts: int = 3  # tries per message on transient errors (and per connection)
    wait_first: float = 1.0  # seconds: jittered exponential waits between tries...
    wait_max: float = 20.0  # ... at most this long

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def via(self) -> str:
        return f"smtp:{self.host}:{self.port}"


class _Transient(Exception):
    """Worth another try: a 4xx reply, a timeout, a dropped connection (`reconnect`)."""

    def __init__(self, reply: str, reconnect: bool) -> None:
        super().__init__(reply)
        self.reply = reply
        self.reconnect = reconnect


class _Ambiguous(Exception):
    """The connection was lost after the whole message was handed over: it may have been taken."""


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}"[:MAX_REPLY]


def _failure(exc: BaseException) -> str:
    """A transport failure in a few words, never a secret (the exception's own text)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, TimeoutError):
        return "timeout"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:MAX_REPLY] if text else type(exc).__name__


class SmtpChannel:
    """The `smtp` transport: e-mails over one reused SMTP connection, letters and SMS in `outbox`."""

    name = "smtp"

    def __init__(self, config: SmtpConfig, outbox: OutboxChannel, sent_at: dt.datetime | None = None,
                 lang: str = "fr", sleep: Callable[[float], None] | None = None) -> None:
        if config.security not in SECURITIES:
            raise ValueError(f"security must be one of {SECURITIES}")
        self.config = config
        self.outbox = outbox
        self.sent_at = sent_at
        self.lang = lang
        self.via = config.via
        self.location = f"smtp://{config.server}"
        self._conn: smtplib.SMTP | None = None
        self._sleep = sleep
        self.connections = 0  # how many connections this channel opened (reused across messages)

    # --- where things go -----------------------------------------------------------------------
    def _filed(self, action: Action, message: OutgoingMessage | None = None) -> bool:
        """Letters and text messages are filed in the outbox folder, not sent by SMTP."""
        return action.channel in ("letter", "sms") or (message is not None and message.pdf is not None)

    def via_for(self, action: Action) -> str:
        return self.outbox.via if self._filed(action) else self.via

    # --- the connection --------------------------------------------------------------------------
    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.ca_file or None)

    def _open(self) -> smtplib.SMTP:
        """A connected, secured and logged-in session; transient failures raise _Transient."""
        c = self.config
        try:
            if c.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self._context())
            else:
                conn = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        except ssl.SSLError as exc:
            raise self._tls_down(exc) from None
        except smtplib.SMTPResponseException as exc:  # the greeting: 421 busy, 554 go away
            if 400 <= exc.smtp_code < 500:
                raise _Transient(_failure(exc), True) from None
            raise self._unreachable(exc, 1) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _Transient(_failure(exc), True) from None
        try:
            conn.ehlo()
            if c.security == "starttls":
                if not conn.has_extn("starttls"):
                    conn.close()
                    raise TransportDown(say.SMTP_NO_STARTTLS.text(self.lang, server=c.server),
                                        say.SMTP_TLS_HINT.text(self.lang))
                conn.starttls(context=self._context())
                conn.ehlo()
            if c.username:
                conn.login(c.username, c.password)
        except TransportDown:
            raise
        except ssl.SSLError as exc:
            conn.close()
            raise self._tls_down(exc) from None
        except smtplib.SMTPAuthenticationError as exc:
            conn.close()
            raise TransportDown(say.SMTP_AUTH.text(self.lang, server=c.server, user=c.username,
                                                   reply=_failure(exc)),
                                say.SMTP_AUTH_HINT.text(self.lang)) from None
        except smtplib.SMTPNotSupportedError as exc:
            conn.close()
            raise TransportDown(say.SMTP_AUTH.text(self.lang, server=c.server, user=c.username,
                                                   reply=_failure(exc)),
                                say.SMTP_AUTH_HINT.text(self.lang)) from None
        except smtplib.SMTPResponseException as exc:
            conn.close()
            if 400 <= exc.smtp_code < 500:
                raise _Transient(_failure(exc), True) from None
            raise self._unreachable(exc, 1) from None
        except (OSError, smtplib.SMTPException) as exc:
            conn.close()
            raise _Transient(_failure(exc), True) from None
        self.connections += 1
        return conn

    def _tls_down(self, exc: BaseException) -> TransportDown:
        return TransportDown(say.SMTP_TLS.text(self.lang, server=self.config.server, why=_failure(exc)),
                             say.SMTP_TLS_HINT.text(self.lang))

    def _unreachable(self, exc: BaseException | str, attempts: int) -> TransportDown:
        why = exc if isinstance(exc, str) else _failure(exc)
        return TransportDown(say.SMTP_UNREACHABLE.text(self.lang, server=self.config.server, why=why,
                                                       attempts=attempts),
                             say.SMTP_UNREACHABLE_HINT.text(self.lang))

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    # --- one transaction -------------------------------------------------------------------------
    def _transaction(self, sender: str, recipients: list[str], data: bytes) -> tuple[str, dict[str, str]]:
        """MAIL, RCPT, DATA on the open connection: (the server's final reply, refused recipients).

        A 4xx anywhere raises _Transient (after RSET: the next try starts clean); a 5xx to MAIL
        or DATA, or every recipient refused with a 5xx, returns an empty reply and the refusals.
        Only the last step, once the whole message is written, can be ambiguous.
        """
        if self._conn is None:
            self._conn = self._open()
        conn = self._conn
        try:
            code, text = conn.mail(sender)
            if code != 250:
                return self._refused(conn, code, text, {sender: _reply(code, text)})
            refused: dict[str, str] = {}
            transient = ""
            for r in recipients:
                code, text = conn.rcpt(r)
                if code not in (250, 251):
                    refused[r] = _reply(code, text)
                    if 400 <= code < 500:
                        transient = refused[r]
            if transient:  # tried again whole, for every recipient: never a partial message
                conn.rset()
                raise _Transient(transient, transient.startswith("421"))
            if len(refused) == len(recipients):
                conn.rset()
                return "", refused
            code, text = conn.docmd("data")
            if code != 354:
                return self._refused(conn, code, text, {"DATA": _reply(code, text)})
            body = _LINE_START_DOT.sub(b"..", data)
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            conn.send(body + b".\r\n")
        except _Transient:
            raise
        except smtplib.SMTPServerDisconnected as exc:
            raise _Transient(_failure(exc), True) from None
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise _Transient(_failure(exc), True) from None
            return "", {"SMTP": _failure(exc)}
        except (OSError, smtplib.SMTPException) as exc:  # the message was not all written: not taken
            raise _Transient(_failure(exc), True) from None
        try:  # everything was handed over: from here on a lost connection is ambiguous
            code, text = conn.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            raise _Ambiguous(_failure(exc)) from None
        if code == 250:
            return _reply(code, text), refused
        if 400 <= code < 500:
            raise _Transient(_reply(code, text), code == 421)
        return "", {**refused, "DATA": _reply(code, text)}

    def _refused(self, conn: smtplib.SMTP, code: int, text: bytes, refused: dict[str, str]
                 ) -> tuple[str, dict[str, str]]:
        if 400 <= code < 500:
            try:
                conn.rset()
            except (OSError, smtplib.SMTPException):
                raise _Transient(_reply(code, text), True) from None
            raise _Transient(_reply(code, text), code == 421)
        try:
            conn.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()
        return "", refused

    def _retrying(self) -> Retrying:
        c = self.config
        retrying = Retrying(stop=stop_after_attempt(max(1, c.attempts)),
                            wait=wait_random_exponential(multiplier=c.wait_first, max=c.wait_max),
                            retry=retry_if_exception_type(_Transient), reraise=False)
        return retrying if self._sleep is None else retrying.copy(sleep=self._sleep)

    # --- the Channel protocol --------------------------------------------------------------------
    def send(self, message: OutgoingMessage) -> Delivery:
        a = message.action
        if self._filed(a, message):
            delivery = self.outbox.send(message)
            if a.channel == "letter" and delivery.status == "sent":
                return Delivery(delivery.status, delivery.message_id,
                                say.LETTER_FILED(file=delivery.file, folder=self.outbox.location), file=delivery.file)
            return delivery
        data = email_bytes(message, self.sent_at)
        message_id = message_id_for(message)
        sender = self.config.envelope_from or message.sender_email
        recipients = [*a.recipients, *a.cc]
        server = self.config.server
        reconnects = 0
        try:
            for attempt in self._retrying():
                with attempt:
                    try:
                        reply, refused = self._transaction(sender, recipients, data)
                    except _Transient as exc:
                        if exc.reconnect:
                            self._drop()
                            reconnects += 1
                        raise
        except RetryError as exc:
            last = exc.last_attempt.exception()
            self._drop_if_dead()
            reply = last.reply if isinstance(last, _Transient) else _failure(last or exc)
            if isinstance(last, _Transient) and last.reconnect and reconnects >= self.config.attempts:
                raise self._unreachable(reply, self.config.attempts) from None
            return Delivery("failed", "", say.SMTP_GAVE_UP(server=server, reply=reply,
                                                                attempts=self.config.attempts))
        except _Ambiguous:
            self._drop()
            return Delivery(UNKNOWN, message_id, say.SMTP_LOST(server=server))
        if not reply:
            who = ", ".join(refused)
            return Delivery("failed", "", say.SMTP_REFUSED(
                server=server, who=who, reply="; ".join(dict.fromkeys(refused.values()))))
        if refused:
            return Delivery("sent", message_id, say.SMTP_SOME_REFUSED(
                server=server, reply=reply, who=", ".join(refused),
                refusal="; ".join(dict.fromkeys(refused.values()))))
        return Delivery("sent", message_id, say.SMTP_ACCEPTED(server=server, reply=reply))

    def _drop_if_dead(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            if conn.noop()[0] != 250:
                self._drop()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def lookup(self, action_key: str) -> str | None:
        """Only letters and text messages can be looked up (in the outbox folder they were filed in);
        an SMTP server cannot be asked, which is why its `pending` rows are settled `unknown`."""
        return self.outbox.lookup(action_key)

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
        conn, self._conn = self._conn, None
        try:
            if conn is not None:
                try:
                    conn.quit()
                except (OSError, smtplib.SMTPException):
                    conn.close()
        finally:
            self.outbox.close()
