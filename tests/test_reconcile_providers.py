"""How a crashed run's `pending` rows are settled for the providers (the details behind
tests/test_crash_providers.py):

- the attempt journal (channels/attempts.py) of a transport that cannot be asked (SMTP, Mailjet's
  text messages): a key not noted surely never left (`failed`, sent again), a key noted with the
  server's answer takes it, a key noted without one may have left (`unknown`); no journal, or a
  line cut by a kill, proves nothing more;
- Mailjet lists a message some time after taking it: a row the lookup does not find is taken for
  unsent only once older than MAILJET_LOOKUP_GRACE; until then it stays `pending` (R622).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from books import book
from conftest import customer
from relance.app.connect import mailjet_config
from relance.app.executor import reconcile, unsettled_anomalies
from relance.channels.attempts import AttemptJournal, attempted, journal_path
from relance.channels.mailjet import MailjetChannel
from relance.channels.outbox import OutboxChannel
from relance.engine.history import HistoryEntry
from servers.mailjet import FakeMailjet

WRITTEN = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def pending(key: str, via: str, channel: str = "email", run_id: str = "run1") -> HistoryEntry:
    return HistoryEntry(run_id, WRITTEN.isoformat(), key, "C1", ("F1",), "standard", "reminder_1", channel,
                        "compta@c1.example", "pending", "", Decimal("100"), "EUR", "", WRITTEN.date(), via)


def test_the_journal_tells_what_never_left_what_was_taken_and_what_may_have_left(tmp_path: Path):
    box = OutboxChannel(tmp_path / "outbox", "t", WRITTEN)
    journal = AttemptJournal(box.root, "run1")
    journal.note(["K1"])
    journal.answered("K1", "sent", "<K1@dumas.example>")
    journal.note(["K2"])
    journal.answered("K2", "failed")
    journal.note(["K3"])  # the kill came while K3 was being handed over
    journal.close()
    with open(journal_path(box.root, "run1"), "ab") as f:
        f.write(b'{"action_key": "K4", "sta')  # a line cut by the kill: never completed
    via = "smtp:127.0.0.1:2525"
    rows = [pending(k, via) for k in ("K1", "K2", "K3", "K4", "K5")] + [pending("K6", via, run_id="run2")]
    done = reconcile(rows, box, frozenset(), lang="en")
    box.close()
    assert [(e.status, e.message_id) for e in done.entries] == [
        ("sent", "<K1@dumas.example>"), ("failed", ""), ("unknown", ""), ("failed", ""), ("failed", ""),
        ("unknown", "")]  # K6: its run's journal is not there, nothing can be told
    assert [e.action_key for e in done.unsettled] == ["K3", "K6"]
    assert done.settled == 6
    assert attempted(tmp_path / "elsewhere", "run1") is None


def test_mailjet_a_row_it_does_not_list_yet_stays_pending_until_the_grace_is_over(tmp_path: Path):
    with FakeMailjet(lag=True) as fake:
        config = mailjet_config({"MAILJET_API_KEY": fake.key, "MAILJET_API_SECRET": fake.secret,
                                 "MAILJET_API_URL": fake.url})
        assert config.lookup_grace == 1800  # the default: half an hour
        box = OutboxChannel(tmp_path / "outbox", "t", WRITTEN)
        mj = MailjetChannel(config, box, "en")
        taken = [pending("RKEY0001", mj.via), pending("RKEY0002", mj.via)]
        # Mailjet took RKEY0001 (through the Send API) but does not list it yet; RKEY0002 never left
        mj._email.send.create(data={"Messages": [{"From": {"Email": "a@dumas.example"},
                                                  "To": [{"Email": "b@c1.example"}], "Subject": "s",
                                                  "TextPart": "t", "CustomID": "RKEY0001"}]})
        soon = reconcile(taken, mj, frozenset(), now=WRITTEN + dt.timedelta(minutes=5))
        assert [e.status for e in soon.entries] == ["pending", "pending"]  # neither resent now
        assert [a.code for a in unsettled_anomalies(book([customer("C1")], []), soon.unsettled)] == ["R622", "R622"]
        fake.catch_up()
        later = reconcile(taken, mj, frozenset(), now=WRITTEN + dt.timedelta(minutes=31))
        mj.close()
    assert [(e.status, e.message_id) for e in later.entries] == [("sent", "1000"), ("failed", "")]
