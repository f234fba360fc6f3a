"""For the Cloud Functions' tests and benchmark: functions-framework started for real on a
loopback port, and small workbooks with reminders due today.

`Function` runs `functions-framework --source cloud_functions/main.py --target NAME` as a
subprocess (gunicorn, as deployed), knows it is up when gunicorn says it listens (no polling,
no sleep), keeps its JSON log lines, and is killed at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "cloud_functions" / "main.py"
FRAMEWORK = Path(sys.executable).parent / "functions-framework"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Function:
    """One function target served by functions-framework on 127.0.0.1."""

    def __init__(self, target: str, env: Mapping[str, str] | None = None, *, threads: int = 4,
                 start_timeout: float = 120.0) -> None:
        self.target, self.port = target, free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.logs: list[dict[str, Any]] = []
        self._logged = threading.Condition()
        self.stderr: list[str] = []
        full = {**os.environ, "RELANCE_LOCAL_WORKBOOKS": "1", "PYTHONUNBUFFERED": "1",
                "GUNICORN_LOG_LEVEL": "info", "THREADS": str(threads), **(env or {})}
        self.proc = subprocess.Popen(
            [str(FRAMEWORK), "--source", str(SOURCE), "--target", target, "--host", "127.0.0.1",
             "--port", str(self.port)],
            env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        ready = threading.Event()
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=self._read_err, args=(ready,), daemon=True).start()
        if not ready.wait(start_timeout) or self.proc.poll() is not None:  # a hang guard only
            self.close()
            raise RuntimeError(f"functions-framework --target {target} did not start:\n" + "".join(self.stderr))

    def _read_out(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                entry = json.loads(line)
            except ValueError:
                entry = {"severity": "DEFAULT", "message": line.rstrip("\n"), "raw": True}
            with self._logged:
                self.logs.append(entry)
                self._logged.notify_all()

    def logged(self, predicate: Callable[[dict[str, Any]], bool], count: int = 1,
               timeout: float = 120.0) -> list[dict[str, Any]]:
        """The log lines matching `predicate`, once there are `count` of them: a line written
        before the answer may reach the pipe's reader just after it (the timeout is a hang guard)."""
        with self._logged:
            self._logged.wait_for(lambda: sum(map(predicate, self.logs)) >= count, timeout)
            return [x for x in self.logs if predicate(x)]

    def _read_err(self, ready: threading.Event) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)
            if "Booting worker" in line:
                ready.set()
        ready.set()  # the process ended: the waiter sees poll() is not None

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)

    def __enter__(self) -> Function:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def paris_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Paris")).date()


def small_book(path: Path, customers: int = 3, lang: str = "fr", *, phones: bool = False, paid: int = 0) -> Path:
    """A workbook whose `customers` each have one invoice 18 days overdue: today's run sends
    each a first reminder by e-mail (and, with `phones`, the step's SMS after a baseline). The
    first `paid` invoices are marked paid (another writer's version of the same book)."""
    from relance.app.jobs import init_workbook

    today = paris_today()
    init_workbook(path, lang, {
        "customers": [{"customer_id": f"C{i}", "name": f"Client {i}", "email": f"compta@c{i}.example",
                       **({"phone": f"06 12 34 56 {i:02d}"} if phones else {}), "customer_type": "B2B"}
                      for i in range(customers)],
        "invoices": [{"invoice_id": f"F{i}", "customer_id": f"C{i}", "issue_date": today - dt.timedelta(days=50),
                      "due_date": today - dt.timedelta(days=18), "amount": 100 + i,
                      **({"status": "payée"} if i < paid else {})} for i in range(customers)],
        "settings": [{"key": "company_name", "value": "Atelier Dumas"},
                     {"key": "company_address", "value": "12 rue des Artisans; 69003 Lyon"},
                     {"key": "sender_email", "value": "relances@dumas.example"}],
    })
    return path


def outbox_keys(folder: Path) -> list[str]:
    """The action keys filed in an outbox folder's index.jsonl, one per message, in order."""
    index = folder / "index.jsonl"
    if not index.exists():
        return []
    return [json.loads(line)["action_key"] for line in index.read_text(encoding="utf-8").splitlines() if line]


class Keys:
    """A local RSA key standing for Google's: its certificate as Google's certs URL serves it
    (`{kid: PEM}`), and ID tokens signed with it by google-auth's own JWT encoder."""

    def __init__(self, kid: str = "relance-test-key") -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self.kid = kid
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relance test")])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
        self.private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption())
        self.cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def certs(self) -> dict[str, str]:
        return {self.kid: self.cert_pem}

    def token(self, audience: str, email: str = "julie@dumas.example", *, expires_in: int = 3600,
              issued: dt.datetime | None = None, **claims: Any) -> str:
        """An ID token as `ScriptApp.getIdentityToken()` gives (issuer accounts.google.com)."""
        from google.auth import crypt, jwt

        at = int((issued or dt.datetime.now(dt.UTC)).timestamp())
        payload = {"iss": "https://accounts.google.com", "aud": audience, "azp": audience, "sub": "1098765",
                   "email": email, "email_verified": True, "iat": at, "exp": at + expires_in, **claims}
        signer = crypt.RSASigner.from_string(self.private_pem, key_id=self.kid)
        return jwt.encode(signer, payload).decode("ascii")


def history_rows(book: Path) -> list[dict[str, Any]]:
    """The History tab of an .xlsx workbook, one dict a row (French header)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(book))
    names = [n for n in ("Historique", "Reminder_log") if n in wb.sheet_names]
    if not names:
        return []
    rows = wb.get_sheet_by_name(names[0]).to_python()
    if not rows:
        return []
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]



def service_account_file(path: Path, keys: Keys, token_uri: str, project: str = "relance-test") -> Path:
    """A service-account key file whose key is `keys`' and whose token endpoint is `token_uri`
    (a loopback server): what GOOGLE_APPLICATION_CREDENTIALS names for google.auth.default()."""
    path.write_text(json.dumps({
        "type": "service_account", "project_id": project, "private_key_id": keys.kid,
        "private_key": keys.private_pem.decode("ascii"),
        "client_email": f"relance-dispatch@{project}.iam.gserviceaccount.com", "client_id": "1234567890",
        "token_uri": token_uri}), encoding="utf-8")
    return path


def attempt_of(run_id: str) -> str:
    """The scheduled run an attempt's run id belongs to: `sched-20261201T070000Z.3fa9c1` is an
    attempt of `sched-20261201T070000Z` (each attempt has an id of its own, see cloud/runs.py)."""
    head, dot, tail = run_id.rpartition(".")
    assert dot and len(tail) == 6, run_id
    return head
