"""Real SMTP servers on loopback (aiosmtpd) for the SMTP transport's tests, with faults to inject.

`SmtpServer` starts an aiosmtpd Controller on 127.0.0.1 (plain, STARTTLS, implicit TLS, with or
without AUTH) whose handler records every message it accepted (`received`: envelope sender,
recipients, the exact bytes) and can be told to misbehave:
- `drop_at_mail`: numbers of the MAIL commands (1, 2, ...) at which it closes the connection;
- `drop_after_data`: numbers of the messages it takes (the whole DATA received and kept) and then
  closes the connection without answering;
- `rcpt_replies`: address -> a list of replies given to RCPT TO for it, one per attempt (the last
  repeats), e.g. ["451 4.3.0 Try again later", "250 OK"] or ["550 5.1.1 No such user"].
`self_signed(tmp)` writes a certificate for 127.0.0.1 and localhost, made in the test.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (certificate, key) files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relance test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class Handler:
    drop_at_mail: set[int] = field(default_factory=set)
    drop_after_data: set[int] = field(default_factory=set)
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    mails: int = 0
    datas: int = 0
    rcpt_tries: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        self.mails += 1
        if self.mails in self.drop_at_mail:
            server.transport.close()
            return "421 4.4.2 closing (test)"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        replies = self.rcpt_replies.get(address)
        if replies:
            n = self.rcpt_tries[address]
            self.rcpt_tries[address] += 1
            reply = replies[min(n, len(replies) - 1)]
            if not reply.startswith("250"):
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.datas += 1
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        if self.datas in self.drop_after_data:
            server.transport.close()  # taken, and no answer: the client cannot know
        return f"250 2.0.0 Ok: queued as Q{self.datas}"


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1; use as a context manager."""

    def __init__(self, handler: Handler | None = None, *, security: str = "none", cert: tuple[Path, Path] | None = None,
                 users: dict[str, str] | None = None) -> None:
        self.handler = handler or Handler()
        self.port = free_port()
        self.logins: list[str] = []
        kwargs: dict = {}
        if security in ("starttls", "ssl"):
            assert cert is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(cert[0]), str(cert[1]))
            if security == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            else:
                kwargs.update(ssl_context=context)
        if users is not None:
            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = isinstance(auth_data, LoginPassword) and \
                    users.get(auth_data.login.decode()) == auth_data.password.decode()
                if ok:
                    self.logins.append(auth_data.login.decode())
                return AuthResult(success=ok, handled=False)
            kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=security != "none")
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
