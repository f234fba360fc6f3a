"""Sending throughput: 5,000 e-mails through the loopback Mailjet, then through SMTP to aiosmtpd.

    make bench            # or: .venv/bin/python benchmarks/mailjet_send.py [--messages 5000]

Each server runs in a process of its own on 127.0.0.1 (the local Mailjet of tests/servers/mailjet.py,
which validates every payload as the Send API does; aiosmtpd for SMTP), so that the client's
figures are not the server's. The client is relance's own transport, as a run drives it
(`port.deliveries`): channels/mailjet.py through the real mailjet-rest client, channels/smtp.py
through smtplib over one reused connection. The messages are reminder-sized (about 4 KB of
HTML and 1.5 KB of text each).

Mailjet is measured as the loopback answers (the client's own cost) and with each call taking
--latency seconds (0.25 by default), as a distant API does: there the calls in flight at once pay
off, and the rate (10 calls a second by default) is what bounds the throughput.

Printed: a Markdown table of API calls (or SMTP connections), wall seconds and messages per
second. The number of Send API calls is counted by the server and must be ceil(n / 50): the
script exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from relance.channels.mailjet import MailjetChannel, MailjetConfig  # noqa: E402
from relance.channels.outbox import OutboxChannel  # noqa: E402
from relance.channels.port import Channel, deliveries  # noqa: E402
from relance.channels.smtp import SmtpChannel, SmtpConfig  # noqa: E402
from relance.engine.action import Action  # noqa: E402
from relance.engine.message import OutgoingMessage  # noqa: E402

SERVER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
kind = sys.argv[2]
if kind == "mailjet":
    from servers.mailjet import FakeMailjet
    server = FakeMailjet(latency=float(sys.argv[3])).__enter__()
    print(json.dumps({"url": server.url}), flush=True)
    sys.stdin.read()
    print(json.dumps({"send_calls": server.send_calls, "messages": len(server.messages),
                      "lookups": server.calls["GET /v3/REST/message"], "max_in_flight": server.max_in_flight}),
          flush=True)
else:
    from servers.smtp import SmtpServer
    server = SmtpServer().__enter__()
    print(json.dumps({"port": server.port}), flush=True)
    sys.stdin.read()
    print(json.dumps({"messages": len(server.received)}), flush=True)
"""

PARAGRAPH = ("Sauf erreur de notre part, la facture ci-dessous reste impayée à ce jour. "
             "Nous vous remercions de bien vouloir procéder à son règlement. ")


def messages(n: int) -> list[OutgoingMessage]:
    """Reminder-sized e-mails, one per customer."""
    out = []
    for i in range(n):
        action = Action(f"BENCH{i:06d}", f"C{i:05d}", (f"F{i:06d}",), "standard", "reminder_1", 7, "email",
                        "reminder_1", (f"compta@client{i}.example",), (), (("EUR", Decimal("1250.40")),), 12, "fr")
        html = "<html><body>" + "".join(f"<p>{PARAGRAPH} ({k})</p>" for k in range(28)) + "</body></html>"
        text = "\n".join(PARAGRAPH for _ in range(10))
        out.append(OutgoingMessage(action, "relances@atelier-dumas.example", "Atelier Dumas", "",
                                   f"Relance : facture F{i:06d} échue", html, text))
    return out


class Server:
    """A loopback server in a process of its own: what it says when started, then when stopped."""

    def __init__(self, kind: str, latency: float = 0.0) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, str(ROOT / "tests"), kind, str(latency)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.info = json.loads(self.proc.stdout.readline())

    def stop(self) -> dict[str, int]:
        out, _ = self.proc.communicate("", timeout=60)
        return json.loads(out.strip().splitlines()[-1])


def timed(channel: Channel, batch: list[OutgoingMessage]) -> tuple[float, list[str]]:
    start = time.perf_counter()
    statuses = [getattr(d, "status", type(d).__name__) for d in deliveries(channel, batch)]
    seconds = time.perf_counter() - start
    channel.close()
    return seconds, statuses


def mailjet(batch: list[OutgoingMessage], folder: Path, concurrency: int, rate: float,
            latency: float) -> dict[str, object]:
    server = Server("mailjet", latency)
    config = MailjetConfig(api_key="mj-key", api_secret="mj-secret", api_url=server.info["url"],
                           concurrency=concurrency, rate_per_second=rate)
    channel = MailjetChannel(config, OutboxChannel(folder, "bench"), "fr")
    seconds, statuses = timed(channel, batch)
    seen = server.stop()
    assert statuses == ["sent"] * len(batch), set(statuses)
    return {"transport": f"Mailjet, {concurrency} in flight, "
                         + (f"{rate:g} calls/s at most" if rate else "no rate limit")
                         + (f", {latency * 1000:.0f} ms a call" if latency else ", loopback"),
            "calls": seen["send_calls"], "max_in_flight": seen["max_in_flight"], "taken": seen["messages"],
            "seconds": seconds}


def smtp(batch: list[OutgoingMessage], folder: Path) -> dict[str, object]:
    server = Server("smtp")
    channel = SmtpChannel(SmtpConfig(host="127.0.0.1", port=int(server.info["port"]), security="none"),
                          OutboxChannel(folder, "bench"), lang="fr")
    seconds, statuses = timed(channel, batch)
    seen = server.stop()
    assert statuses == ["sent"] * len(batch), set(statuses)
    return {"transport": "SMTP (aiosmtpd), one connection reused", "calls": f"{channel.connections} connection",
            "max_in_flight": 1, "taken": seen["messages"], "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.25,
                        help="seconds a Send API call takes in the runs that imitate a distant API")
    args = parser.parse_args()
    n = args.messages
    batch = messages(n)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        runs = ((1, 0.0, 0.0), (4, 0.0, 0.0), (4, 10.0, 0.0), (1, 0.0, args.latency), (4, 0.0, args.latency),
                (4, 10.0, args.latency))
        for k, (concurrency, rate, latency) in enumerate(runs):
            rows.append(mailjet(batch, Path(tmp) / f"mj{k}", concurrency, rate, latency))
        rows.append(smtp(batch, Path(tmp) / "smtp"))
    print(f"\n{n:,} e-mails, {sum(len(m.html) + len(m.text) for m in batch) // n:,} characters each\n")
    print("| transport | API calls | most calls at once | messages taken | seconds | messages/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        seconds = float(r["seconds"])  # type: ignore[arg-type]
        print(f"| {r['transport']} | {r['calls']} | {r['max_in_flight']} | {r['taken']} | {seconds:.2f} "
              f"| {n / seconds:,.0f} |")
    wanted = math.ceil(n / 50)
    wrong = [r for r in rows if r["transport"].startswith("Mailjet") and r["calls"] != wanted]  # type: ignore[union-attr]
    if wrong:
        print(f"\nAPI calls must be ceil({n} / 50) = {wanted}: {[r['calls'] for r in wrong]}", file=sys.stderr)
        return 1
    print(f"\nSend API calls = ceil({n:,} / 50) = {wanted} for every Mailjet run.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
