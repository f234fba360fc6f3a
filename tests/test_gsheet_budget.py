"""The request budget: a daily run on Google Sheets makes at most 10 Sheets API requests,
whatever the size of the book, its History included (counted by the local server)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import CLASSIC, customer, invoice, on, tabs
from relance.app.jobs import run
from relance.channels.outbox import OutboxChannel
from relance.workbook.gsheet import MAX_PAYLOAD, GsheetBackend, Retry
from servers.sheets import SheetsServer, service_account_key

DAY = dt.date(2025, 3, 31)


def big_tabs(invoices: int, customers: int) -> dict:
    cs = [customer(f"C{i:05d}") for i in range(customers)]
    days = [dt.date(2024, 10, 1) + dt.timedelta(days=i % 170) for i in range(invoices)]
    inv = [invoice(f"F{i:06d}", f"C{i % customers:05d}", (d - dt.timedelta(days=30)).isoformat(), d.isoformat(),
                   100 + i % 900) for i, d in enumerate(days)]
    return tabs(cs, inv, Scenarios=CLASSIC)


def test_a_daily_run_stays_within_ten_requests_at_20000_invoices(tmp_path: Path):
    with SheetsServer(require_auth=True) as server:
        env = {"GOOGLE_APPLICATION_CREDENTIALS": service_account_key(server, tmp_path / "sa.json"),
               "RELANCE_SHEETS_API_URL": server.url}
        sid = server.add_book(tabs=big_tabs(20_000, 2_000))
        counts = []
        for day in (DAY, DAY + dt.timedelta(days=8)):  # the first run, then a week on with its History
            before = server.requests
            b = GsheetBackend(f"gsheet:{sid}", env, retry=Retry(sleep=lambda s: None))
            result = run(b, lambda book: OutboxChannel(tmp_path / "out", "t"), on(day), anytime=True)
            counts.append((server.requests - before, len(result.execution.entries), result.to_json()["sent"]))
        history = server.values(sid, "Historique")
        assert len(history) - 1 == sum(rows for _, rows, _ in counts)
        assert all(sent > 1_000 for _, _, sent in counts), counts
        assert all(n <= 10 for n, _, _ in counts), counts
        assert server.largest_body <= MAX_PAYLOAD + 100_000  # every request under Google's 2 MB
