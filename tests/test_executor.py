"""Exactly once, whatever happens between two runs (app/executor.py and app/jobs.run).

History says where each message went (`via`: the outbox's absolute folder) and for which run
date (`as_of`); a `pending` row left by a crash is settled by asking the folder it names, so a
rerun into another outbox (or with `--outbox` left off) never sends it again, and a folder that
cannot be read keeps the row blocking. A full disk, a workbook that cannot be saved and line
breaks in the sender's settings each end the run with the truth, and the next run finishes the
work exactly once. Crashes of a real process (SIGKILL) are in test_crash.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SCENARIOS_HEADER, customer, invoice, on, workbook
from french import assert_french
from relance.app.jobs import RunResult, run
from relance.channels import outbox as outbox_module
from relance.channels.outbox import OutboxChannel, file_stem
from relance.channels.port import Delivery
from relance.engine.errors import ChannelError, WorkbookError
from relance.engine.message import OutgoingMessage
from relance.engine.sheets import OwnedTab
from relance.workbook.memory import MemoryBackend

DAY = dt.date(2025, 3, 31)  # a Monday
#: every customer gets an e-mail and an SMS the same day (two actions, two files)
SAME_DAY = [SCENARIOS_HEADER, ["standard", "r1", 7, "email", "reminder_1", 0, "non"],
            ["standard", "r1_sms", 7, "sms", "reminder_1", 0, "non"]]
HISTORY = "Historique"
COL = {"action_key": 2, "step": 6, "status": 9, "message_id": 10, "detail": 13, "as_of": 14, "via": 15}


def book(n: int = 4, **settings: object) -> MemoryBackend:
    return workbook([customer(f"C{i}", telephone=f"06 12 34 56 {i:02d}") for i in range(1, n + 1)],
                    [invoice(f"F{i}", f"C{i}", "2025-01-01", "2025-03-20", 100 * i) for i in range(1, n + 1)],
                    settings=dict(settings) or None, Scenarios=SAME_DAY)


class Crash(BaseException):
    """The process dies here (what SIGKILL does, minus the process): nothing after it runs."""


class Outbox:
    """A real OutboxChannel, with faults injected before a message is written: the run "dies"
    after `crash_after` messages, and the keys in `failing` fail (nothing written for them)."""

    def __init__(self, folder: Path, crash_after: int | None = None, failing: frozenset[str] = frozenset()):
        self.inner = OutboxChannel(folder, "t")
        self.crash_after, self.failing, self.sent = crash_after, failing, 0

    send_many = None  # every message through `send` below (not the outbox's batches), one by one

    def __getattr__(self, item: str) -> object:
        return getattr(self.inner, item)

    def send(self, message: OutgoingMessage) -> Delivery:
        if self.crash_after is not None and self.sent >= self.crash_after:
            raise Crash
        if message.action.key in self.failing:
            raise RuntimeError("provider refused")
        self.sent += 1
        return self.inner.send(message)


def go(wb: MemoryBackend, folder: Path, **faults: object) -> RunResult:
    return run(wb, lambda b: Outbox(folder, **faults), on(DAY), anytime=True)  # type: ignore[arg-type]


def planned_keys(wb: MemoryBackend) -> list[str]:
    return [a.key for a in run(wb, lambda b: OutboxChannel(Path("/nonexistent"), "t"), on(DAY), dry_run=True,
                               anytime=True).snapshot.plan.to_send]


def history(wb: MemoryBackend) -> list[list[object]]:
    return wb.tabs.get(HISTORY, [[]])[1:]


def files_per_key(*folders: Path) -> Counter[str]:
    """How many message files each action key has, across these outbox folders."""
    found: Counter[str] = Counter()
    for folder in folders:
        for path in folder.glob("*") if folder.is_dir() else ():
            if path.name.endswith((".eml", ".sms.txt", ".pdf")):
                found[path.name.rsplit(".", 2)[0].rpartition("_")[2].split(".")[0]] += 1
    return found


def index_keys(*folders: Path) -> Counter[str]:
    found: Counter[str] = Counter()
    for folder in folders:
        if (folder / "index.jsonl").exists():
            found.update(json.loads(line)["action_key"] for line in (folder / "index.jsonl").read_text().splitlines())
    return found


def assert_each_sent_once(wb: MemoryBackend, keys: Sequence[str], *folders: Path) -> None:
    assert files_per_key(*folders) == Counter(keys)  # exactly one file per planned action, across folders
    assert index_keys(*folders) == Counter(keys)  # and one index line
    final = {}
    for row in history(wb):
        final[row[COL["action_key"]]] = row[COL["status"]]
    assert final == dict.fromkeys(keys, "envoyé")  # History speaks the workbook's language
    sent_rows = Counter(row[COL["action_key"]] for row in history(wb) if row[COL["status"]] == "envoyé")
    assert sent_rows == Counter(keys)  # History says sent once per action, never twice
    assert not [p for f in folders if f.is_dir() for p in f.glob("*.tmp")]


def test_history_rows_say_the_run_date_and_the_absolute_outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    wb = book(1)
    result = go(wb, Path("out"))
    assert result.to_json()["sent"] == 2
    header = wb.tabs[HISTORY][0]
    assert header[-2:] == ["date_de_calcul", "transport"]
    for row in history(wb):
        assert row[COL["as_of"]] == dt.date(2025, 3, 31)  # a date cell
        assert row[COL["via"]] == f"outbox:{(tmp_path / 'out').resolve()}"
        detail = str(row[COL["detail"]])  # a note for people, in the workbook's language
        assert detail.startswith("Classé dans la boîte d'envoi\u00a0: C1_r1") and detail.endswith((".eml", ".sms.txt"))
        assert_french(detail)


def test_a_crash_then_a_rerun_into_another_outbox_sends_nothing_twice(tmp_path: Path):
    wb = book(4)
    keys = planned_keys(wb)
    a, default = tmp_path / "A", tmp_path / "book_outbox"
    with pytest.raises(Crash):
        go(wb, a, crash_after=3)  # `relance run --outbox A`, killed after three messages
    assert Counter(r[COL["status"]] for r in history(wb)) == {"en attente": 8}  # saved before sending
    rerun = go(wb, default)  # `relance run`: the default folder
    data = rerun.to_json()
    assert data["settled_pending"] == 8 and data["sent"] == 5
    assert files_per_key(a) == Counter(keys[:3]) and files_per_key(default) == Counter(keys[3:])
    assert_each_sent_once(wb, keys, a, default)
    confirmed = [r for r in history(wb) if "Confirmé après une exécution interrompue" in str(r[COL["detail"]])]
    assert len(confirmed) == 3 and all(f"(dans {a.resolve()})" in str(r[COL["detail"]]) for r in confirmed)
    for row in history(wb):
        assert_french(str(row[COL["detail"]]))
    assert go(wb, default).to_json()["sent"] == 0 and go(wb, a).to_json()["sent"] == 0


def test_a_pending_row_whose_outbox_is_gone_blocks_until_it_is_back(tmp_path: Path):
    wb = book(2)
    keys = planned_keys(wb)
    a, b = tmp_path / "A", tmp_path / "B"
    with pytest.raises(Crash):
        go(wb, a, crash_after=1)
    a.rename(tmp_path / "A-unplugged")  # a USB key taken away, a share not mounted
    blocked = go(wb, b)
    data = blocked.to_json()
    assert data["sent"] == 0 and data["unsettled_pending"] == 4 and data["settled_pending"] == 0
    assert not files_per_key(b)  # nothing sent while nobody can tell what left
    said = [x for x in blocked.snapshot.anomalies if x.code == "R620"]
    assert len(said) == 4 and all(str(a) in x.problem.en and "never sent again" in x.problem.en for x in said)
    assert str(said[0].source).startswith("Historique row 2")
    assert {r[COL["status"]] for r in history(wb)} == {"en attente"}
    (tmp_path / "A-unplugged").rename(a)  # back
    done = go(wb, b).to_json()
    assert done["settled_pending"] == 4 and done["sent"] == 3 and done["unsettled_pending"] == 0
    assert_each_sent_once(wb, keys, a, b)


def test_a_pending_row_whose_outbox_was_moved_is_settled_where_the_rerun_writes(tmp_path: Path):
    wb = book(2)
    keys = planned_keys(wb)
    a, moved = tmp_path / "A", tmp_path / "archive" / "A"
    with pytest.raises(Crash):
        go(wb, a, crash_after=3)
    moved.parent.mkdir()
    a.rename(moved)  # the folder moved; the rerun is told the new place
    data = go(wb, moved).to_json()
    # the three filed are found where the rerun writes; the fourth may have gone into the old
    # folder, which nobody can read any more: it waits for a person, never sent twice
    assert data["settled_pending"] == 3 and data["unsettled_pending"] == 1 and data["sent"] == 0
    assert sum(f"(retrouvé dans {moved})" in str(r[COL["detail"]]) for r in history(wb)) == 3
    waiting = [r for r in history(wb) if r[COL["status"]] == "en attente"]
    assert [r[COL["action_key"]] for r in waiting] == [keys[3]]
    waiting[0][COL["status"]] = "failed"  # the person checked: it was not sent (English still read)
    assert go(wb, moved).to_json()["sent"] == 1
    assert_each_sent_once(wb, keys, moved)


def test_rows_written_before_the_as_of_and_via_columns_are_read_from_their_detail(tmp_path: Path):
    wb = book(1)
    keys = planned_keys(wb)
    box = tmp_path / "out"
    with pytest.raises(Crash):
        go(wb, box, crash_after=1)
    header, *rows = wb.tabs[HISTORY]
    # as an older version wrote them: no as_of and via columns, both said in an English detail
    rows = [[*r[:13], "via outbox; as of 2025-03-31"] for r in rows]
    wb.tabs[HISTORY] = [header[:14], *rows]
    result = go(wb, box)
    assert result.to_json()["settled_pending"] == 2
    assert [e.as_of for e in result.snapshot.book.history] == [DAY, DAY]
    assert {e.via for e in result.snapshot.book.history} == {"outbox"}
    assert_each_sent_once(wb, keys, box)
    assert wb.tabs[HISTORY][0][-2:] == ["date_de_calcul", "transport"]  # the columns come with the next save


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_outbox_disk_ends_the_run_saying_so_and_the_next_run_sends_the_rest(tmp_path: Path):
    wb = book(3)
    plan = run(wb, lambda b: OutboxChannel(tmp_path / "x", "t"), on(DAY), dry_run=True).snapshot.plan.to_send
    keys = [a.key for a in plan]
    box = tmp_path / "out"
    box.mkdir()
    third = plan[2]
    name = file_stem(third.customer_id, third.step, third.key) + (".sms.txt" if third.channel == "sms" else ".eml")
    # the third message's file lands on /dev/full: the kernel answers "No space left on device"
    os.symlink("/dev/full", box / f"{name}.{outbox_module._HOST}-{os.getpid()}.tmp")
    with pytest.raises(ChannelError) as raised:
        go(wb, box)
    said = str(raised.value)
    assert "the outbox disk is full (No space left on device" in said
    assert "2 messages sent" in said and "4 not sent, marked failed in History (saved)" in said
    assert "planned again" in said and "permission" not in said
    assert raised.value.exit_code == 4
    assert not list(box.glob("*.tmp")) and files_per_key(box) == Counter(keys[:2])
    assert [r[COL["status"]] for r in history(wb)] == ["envoyé", "envoyé", "échec", "échec", "échec", "échec"]
    rest = go(wb, box).to_json()
    assert rest["sent"] == 4
    assert files_per_key(box) == Counter(keys) and index_keys(box) == Counter(keys)


class SavesOnce(MemoryBackend):
    """A workbook that can be saved `saves` times, then cannot (Excel opened it, the disk filled)."""

    def __init__(self, wb: MemoryBackend, saves: int) -> None:
        super().__init__(wb.tabs, owned=wb.owned)  # the tabs relance wrote stay relance's
        self.saves = saves

    def write(self, tabs: Sequence[OwnedTab]) -> None:
        if self.saves <= 0:
            raise WorkbookError("relance.xlsx could not be saved: No space left on device",
                                "check the free disk space and the permissions of the folder; the workbook "
                                "was left as it was")
        self.saves -= 1
        super().write(tabs)


def test_a_final_save_that_fails_after_sending_says_what_was_sent_and_what_comes_next(tmp_path: Path):
    wb = book(2)
    keys = planned_keys(wb)
    box = tmp_path / "out"
    unsaved = SavesOnce(wb, saves=1)  # the rows `pending`, then nothing
    with pytest.raises(WorkbookError) as raised:
        run(unsaved, lambda b: OutboxChannel(box, "t"), on(DAY), anytime=True)
    said = str(raised.value)
    assert said.startswith("the workbook could not be saved after sending (relance.xlsx could not be saved: "
                           "No space left on device). 4 messages sent (in ")
    assert "History keeps this run's 4 rows `pending`, as saved before sending" in said
    assert "The next run settles those rows from the outbox" in said and "never sent again" in said
    assert [r[COL["status"]] for r in unsaved.tabs[HISTORY][1:]] == ["en attente"] * 4
    again = run(MemoryBackend(unsaved.tabs, owned=unsaved.owned), lambda b: OutboxChannel(box, "t"), on(DAY), anytime=True)
    assert again.to_json()["settled_pending"] == 4 and again.to_json()["sent"] == 0
    assert files_per_key(box) == Counter(keys)


def test_a_save_before_sending_that_fails_sends_nothing_and_says_so(tmp_path: Path):
    wb = book(1)
    box = tmp_path / "out"
    with pytest.raises(WorkbookError) as raised:
        run(SavesOnce(wb, saves=0), lambda b: OutboxChannel(box, "t"), on(DAY), anytime=True)
    assert str(raised.value).startswith("the workbook could not be saved before sending (")
    assert "Nothing was sent" in str(raised.value)
    assert not files_per_key(box)


def test_a_line_break_in_the_sender_name_or_reply_to_does_not_fail_every_email(tmp_path: Path):
    wb = book(2, sender_name="Atelier Dumas\nService comptable", reply_to="compta@dumas.example\r\n")
    data = go(wb, tmp_path / "out").to_json()
    assert data["sent"] == 4 and data["failed"] == 0
    eml = next((tmp_path / "out").glob("*.eml")).read_bytes()
    assert b"From: Atelier Dumas Service comptable <relances@dumas.example>\r\n" in eml
    assert b"Reply-To: compta@dumas.example\r\n" in eml


def test_the_agency_package_holds_the_proofs_filed_in_another_outbox(tmp_path: Path):
    import zipfile

    from conftest import CLASSIC, NOW
    from relance.app.jobs import baseline

    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-27", 1000)], Scenarios=CLASSIC)
    a, b = tmp_path / "A", tmp_path / "B"
    baseline(wb, NOW, "reminder_2", DAY - dt.timedelta(days=10))
    run(wb, lambda _: OutboxChannel(a, "t"), NOW, DAY)  # the formal notice, filed in A
    run(wb, lambda _: OutboxChannel(b, "t"), on(dt.date(2025, 4, 20)), anytime=True)  # the hand-off waits
    wb.tabs["A_valider"][1][0] = "oui"
    run(wb, lambda _: OutboxChannel(b, "t"), on(dt.date(2025, 4, 20)), anytime=True)  # approved, run into B
    package = next(b.glob("C1_dossier_recouvrement_*.zip"))
    with zipfile.ZipFile(package) as z:
        assert any(n.startswith("preuves/C1_formal_notice_") and n.endswith(".eml") for n in z.namelist())


# ---------------------------------------------------------------- any failures, reruns converge

#: up to three runs, each failing a chosen subset of the six actions (by their index)
failures = st.lists(st.frozensets(st.integers(0, 5)), min_size=1, max_size=3)


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(failures, st.booleans())
def test_whatever_fails_reruns_send_every_action_exactly_once(tmp_path_factory, failing_runs, move):
    tmp = tmp_path_factory.mktemp("converge")
    wb = book(3)
    keys = planned_keys(wb)
    folders = [tmp / "A", tmp / "B"]
    for i, failing in enumerate(failing_runs):
        folder = folders[i % 2] if move else folders[0]  # --outbox changes between runs, or not
        go(wb, folder, failing=frozenset(keys[j] for j in failing))
    for _ in range(3):  # no more failures: reruns until nothing is left
        if not go(wb, folders[0]).to_json()["sent"]:
            break
    assert go(wb, folders[1]).to_json()["sent"] == 0
    assert_each_sent_once(wb, keys, *folders)
