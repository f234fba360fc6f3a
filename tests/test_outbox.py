"""The outbox writes real RFC 5322 messages and never writes an action twice."""

import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal
from email import policy
from email.parser import BytesParser

from relance.channels.outbox import OutboxChannel
from relance.engine.action import Action
from relance.engine.catalog import tabs as T
from relance.engine.message import OutgoingMessage

ACTION = Action("RKEY1", "C1", ("F1", "F2"), "standard", "reminder_1", 7, "email", "reminder_1",
                ("compta@client.example", "dg@client.example"), ("cc@client.example",),
                (("EUR", Decimal("1234.56")),), 8, "fr")
MESSAGE = OutgoingMessage(ACTION, "relances@dumas.example", "Atelier Dumas – Comptabilité", "compta@dumas.example",
                          "Relance – factures F1 et F2 échues", "<p>Montant dû : 1 234,56 €</p>",
                          "Montant dû : 1 234,56 €\n")


def test_eml_parses_back_with_accents_both_parts_and_the_key(tmp_path):
    box = OutboxChannel(tmp_path, "2026-11-23T09:00:00+01:00", dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC))
    delivery = box.send(MESSAGE)
    box.close()
    assert delivery.status == "sent" and delivery.message_id == "<RKEY1@dumas.example>"
    raw = (tmp_path / delivery.file).read_bytes()
    assert raw.isascii()  # 7-bit clean on the wire, accents encoded
    email = BytesParser(policy=policy.default).parsebytes(raw)
    assert email["Subject"] == "Relance – factures F1 et F2 échues"
    assert email["From"] == "Atelier Dumas – Comptabilité <relances@dumas.example>"
    assert email["To"] == "compta@client.example, dg@client.example"
    assert email["Cc"] == "cc@client.example"
    assert email["Message-ID"] == "<RKEY1@dumas.example>"
    assert email["X-Relance-Action-Key"] == "RKEY1"
    assert email.get_content_type() == "multipart/alternative"
    assert email.get_body(("plain",)).get_content() == "Montant dû : 1 234,56 €\r\n"  # CRLF, as on the wire
    assert "1 234,56 €" in email.get_body(("html",)).get_content()
    index = [json.loads(line) for line in (tmp_path / "index.jsonl").read_text().splitlines()]
    assert index == [{"action_key": "RKEY1", "channel": "email", "customer_id": "C1",
                      "recipient": "compta@client.example;dg@client.example", "invoice_ids": ["F1", "F2"],
                      "step": "reminder_1", "file": delivery.file, "message_id": "<RKEY1@dumas.example>",
                      "at": "2026-11-23T09:00:00+01:00"}]


def test_a_key_already_in_the_outbox_is_not_written_again(tmp_path):
    first = OutboxChannel(tmp_path, "t")
    first.send(MESSAGE)
    first.close()
    second = OutboxChannel(tmp_path, "t")
    assert second.lookup("RKEY1") == "<RKEY1@dumas.example>"
    assert second.lookup("OTHER") is None
    assert second.send(MESSAGE).again
    second.close()
    assert len(list(tmp_path.glob("*.eml"))) == 1
    assert len((tmp_path / "index.jsonl").read_text().splitlines()) == 1


def test_a_simulation_files_apart_and_is_never_taken_for_a_send(tmp_path):
    day = dt.date(2026, 11, 23)
    sim = OutboxChannel(tmp_path, "t", simulation=day)
    delivery = sim.send(MESSAGE)
    assert (sim.name, delivery.status) == ("simulation", "simulated")
    assert delivery.file.startswith("simulation-2026-11-23/") and (tmp_path / delivery.file).is_file()
    assert sim.send(MESSAGE) == replace(delivery, detail=T.DETAIL_ALREADY(), file="", again=True)  # still never twice
    sim.close()
    assert sim.location == str(tmp_path / "simulation-2026-11-23")
    assert not list(tmp_path.glob("*.eml")) and not (tmp_path / "index.jsonl").exists()
    real = OutboxChannel(tmp_path, "t")
    assert real.lookup("RKEY1") is None  # a later real run does not settle anything with it
    assert real.proofs(["RKEY1"]) == {}  # nor puts it in an agency package as proof
    sent = real.send(MESSAGE)
    assert (sent.status, sent.file) == ("sent", "C1_reminder_1_RKEY1.eml")  # the real send happens
    real.close()
    assert list(real.proofs(["RKEY1"])) == ["C1_reminder_1_RKEY1.eml"]
    # a simulation's package shows the real proofs, from the outbox itself
    again = OutboxChannel(tmp_path, "t", simulation=day)
    assert list(again.proofs(["RKEY1"])) == ["C1_reminder_1_RKEY1.eml"]
    again.close()


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

body = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r") | st.just("\n"),
               max_size=400)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body, body)
def test_bodies_survive_the_wire_exactly(tmp_path, text, html):
    box = OutboxChannel(tmp_path, "t")
    action = replace(ACTION, key=f"K{abs(hash((text, html)))}")
    delivery = box.send(replace(MESSAGE, action=action, text=text, html=html))
    box.close()
    raw = (tmp_path / delivery.file).read_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    email = BytesParser(policy=policy.default).parsebytes(raw)
    assert email.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    assert email.get_body(("html",)).get_content().replace("\r\n", "\n") == html


@given(st.text(max_size=300).filter(lambda t: "\n" not in t and "\r" not in t))
def test_encoded_subjects_decode_to_the_same_text(subject):
    from email.header import decode_header, make_header

    from relance.channels.mime import encoded_words

    encoded = encoded_words(subject)
    assert encoded.isascii() or subject == encoded
    assert all(len(word) <= 75 for word in encoded.split(" ")) or subject.isascii()
    if not subject.isascii():
        assert str(make_header(decode_header(encoded))) == subject


# ---------------------------------------------------------------- nothing lost, nothing twice

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from email.parser import BytesHeaderParser  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from relance.channels import outbox as outbox_module  # noqa: E402
from relance.channels.outbox import MAX_NAME, OutboxView, file_stem  # noqa: E402
from relance.channels.port import TransportDown  # noqa: E402

KEY = "R0123456789ABCDEF012"


def _message(key: str = KEY, customer_id: str = "C1", step: str = "reminder_1", channel: str = "email",
             **kw: object) -> OutgoingMessage:
    action = replace(ACTION, key=key, customer_id=customer_id, step=step, channel=channel)
    return replace(MESSAGE, action=action, **kw)


def _index(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / "index.jsonl").read_text("utf-8").splitlines()]


def test_each_index_line_is_in_the_file_when_send_returns(tmp_path):
    box = OutboxChannel(tmp_path, "t")
    for i in range(3):
        box.send(_message(f"R{i:019X}"))
        # read through another handle, the channel still open: nothing waits in a buffer
        assert [e["action_key"] for e in _index(tmp_path)] == [f"R{j:019X}" for j in range(i + 1)]
    box.close()


def test_a_message_filed_without_its_index_line_gets_it_back_and_is_never_written_again(tmp_path):
    # a run killed between the rename of the file and its index line
    first = OutboxChannel(tmp_path, "t")
    delivery = first.send(_message())
    first.close()
    (tmp_path / "index.jsonl").write_text("")
    again = OutboxChannel(tmp_path, "t")
    assert again.lookup(KEY) == "<R0123456789ABCDEF012@dumas.example>"  # the Message-ID of the file
    assert again.send(_message()).again
    again.close()
    assert _index(tmp_path) == [{"action_key": KEY, "file": delivery.file,
                                 "message_id": "<R0123456789ABCDEF012@dumas.example>", "at": "t",
                                 "recovered": True}]
    assert len(list(tmp_path.glob("*.eml"))) == 1
    # the SMS file carries its id too; a letter is known by its file
    sms = OutboxChannel(tmp_path / "sms", "t")
    sms.send(_message("R1111111111111111111", channel="sms"))
    sms.close()
    (tmp_path / "sms" / "index.jsonl").write_text("")
    assert OutboxView(tmp_path / "sms").lookup("R1111111111111111111") == "<R1111111111111111111@sms.dumas.example>"


def test_a_line_cut_short_by_a_kill_is_taken_back_and_does_not_swallow_the_next_one(tmp_path):
    first = OutboxChannel(tmp_path, "t")
    first.send(_message("R0000000000000000001"))
    first.close()
    with open(tmp_path / "index.jsonl", "a", encoding="utf-8") as f:
        f.write('{"action_key": "R0000000000000000002", "fi')  # killed in the middle of a line
    again = OutboxChannel(tmp_path, "t")
    again.send(_message("R0000000000000000003"))
    again.close()
    lines = (tmp_path / "index.jsonl").read_text().splitlines()
    assert [json.loads(line)["action_key"] for line in lines] == ["R0000000000000000001", "R0000000000000000003"]
    assert OutboxView(tmp_path).lookup("R0000000000000000003") is not None
    assert OutboxView(tmp_path).lookup("R0000000000000000002") is None  # its file was never renamed


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporary_files_left_by_a_crash_are_removed_by_the_next_opening(tmp_path):
    host = outbox_module._HOST
    dead = tmp_path / f"C1_reminder_1_{KEY}.eml.{host}-{_dead_pid()}.tmp"
    live = tmp_path / f"C2_reminder_1_{KEY}.eml.{host}-{os.getpid()}.tmp"  # a writer still at work
    other_host = tmp_path / f"C3_reminder_1_{KEY}.eml.0000beef-1.tmp"
    old = tmp_path / "C4_reminder_1_R9.eml.tmp"  # an older version's name: no writer named
    for path in (dead, live, other_host, old):
        path.write_bytes(b"half a message")
    long_ago = os.stat(old).st_mtime - outbox_module.STALE_TMP_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    box = OutboxChannel(tmp_path, "t")
    assert box.removed_temporaries == 2
    assert sorted(p.name for p in tmp_path.glob("*.tmp")) == sorted([live.name, other_host.name])
    box.close()


def test_a_view_of_a_folder_that_is_gone_or_was_never_an_outbox_says_nothing(tmp_path):
    assert OutboxView.open(tmp_path / "gone") is None
    (tmp_path / "empty").mkdir()  # an unmounted share looks like this: no index, so no answer
    assert OutboxView.open(tmp_path / "empty") is None
    box = OutboxChannel(tmp_path / "used", "t")  # opened, nothing sent: it surely has nothing
    box.close()
    view = OutboxView.open(tmp_path / "used")
    assert view is not None and view.lookup(KEY) is None
    assert not list((tmp_path / "used").glob("*.tmp"))


def test_the_channel_names_its_folder_absolutely(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    box = OutboxChannel(Path("relative"), "t")
    box.close()
    assert box.via == f"outbox:{(tmp_path / 'relative').resolve()}"
    sim = OutboxChannel(Path("relative"), "t", simulation=dt.date(2026, 11, 23))
    sim.close()
    assert sim.via == f"simulation:{(tmp_path / 'relative' / 'simulation-2026-11-23').resolve()}"


def test_a_customer_id_of_any_length_is_filed_under_a_bounded_unique_name(tmp_path):
    long_a, long_b = "A" * 300, "A" * 300 + "B"  # the same first 300 characters
    box = OutboxChannel(tmp_path, "t")
    one = box.send(_message("R000000000000000000A", customer_id=long_a))
    two = box.send(_message("R000000000000000000B", customer_id=long_b, channel="sms"))
    box.close()
    assert one.status == two.status == "sent" and one.file != two.file
    assert all(len(p.name) <= MAX_NAME for p in tmp_path.iterdir())
    assert one.file.endswith("_R000000000000000000A.eml") and two.file.endswith("_R000000000000000000B.sms.txt")
    view = OutboxView(tmp_path)
    assert view.lookup("R000000000000000000A") and view.lookup("R000000000000000000B")
    assert len(file_stem("x" * 1000, "y" * 1000, KEY) + ".sms.txt") <= MAX_NAME
    assert box.attach("Z" * 400 + f"_dossier_recouvrement_{KEY}.zip", b"zip").endswith(f"{KEY}.zip")


def test_line_breaks_in_sender_name_reply_to_or_step_never_break_an_email(tmp_path):
    box = OutboxChannel(tmp_path, "t")
    delivery = box.send(_message(step="relance\r\nBcc: tous@example.com", sender_name="Atelier Dumas\nCompta",
                                 reply_to="compta@dumas.example\r\n"))
    sms = box.send(_message("R2222222222222222222", channel="sms", sender_name="Atelier\r\nDumas"))
    box.close()
    assert delivery.status == "sent"
    raw = (tmp_path / delivery.file).read_bytes()
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    assert headers["From"] == "Atelier Dumas Compta <relances@dumas.example>"
    assert headers["Reply-To"] == "compta@dumas.example"
    assert headers["X-Relance-Step"] == "standard/relance Bcc: tous@example.com"
    assert headers["Bcc"] is None and b"\r\nBcc:" not in raw
    sms_lines = (tmp_path / sms.file).read_text().splitlines()
    assert sms_lines[1] == "From: Atelier Dumas" and sms_lines[2] == "Action-Key: R2222222222222222222"


def _full_at(folder: Path, name: str) -> None:
    """The temporary file of `name` lands on /dev/full: the kernel answers ENOSPC to its write."""
    os.symlink("/dev/full", folder / f"{name}.{outbox_module._HOST}-{os.getpid()}.tmp")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_stops_the_channel_and_leaves_no_partial_file(tmp_path):
    box = OutboxChannel(tmp_path, "t")
    box.send(_message("R0000000000000000001"))
    stem = file_stem("C1", "reminder_1", "R0000000000000000002")
    _full_at(tmp_path, stem + ".eml")
    with pytest.raises(TransportDown) as raised:
        box.send(_message("R0000000000000000002"))
    assert "disk is full" in raised.value.message and str(tmp_path) in raised.value.message
    assert box.lookup("R0000000000000000002") is None
    assert not list(tmp_path.glob("*.tmp")) and len(list(tmp_path.glob("*.eml"))) == 1
    assert box.send(_message("R0000000000000000002")).status == "sent"  # once there is room again
    box.close()
    assert [e["action_key"] for e in _index(tmp_path)] == ["R0000000000000000001", "R0000000000000000002"]


def test_an_index_line_that_cannot_be_written_takes_its_message_back(tmp_path, monkeypatch):
    box = OutboxChannel(tmp_path, "t")
    real_write = os.write

    def full(fd: int, data: bytes) -> int:  # the index is on a disk that is full
        if fd == box._fd:
            real_write(fd, bytes(data)[:10])  # part of the line reached the disk
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(TransportDown):
        box.send(_message())
    monkeypatch.undo()
    box.close()
    assert not list(tmp_path.glob("*.eml")) and not list(tmp_path.glob("*.tmp"))
    assert (tmp_path / "index.jsonl").read_bytes() == b""  # the half line was taken back
    assert OutboxView(tmp_path).lookup(KEY) is None


# ---------------------------------------------------------------- filed together (send_many)

from relance.engine.message import Attachment  # noqa: E402


def _keys(n: int, start: int = 0) -> list[str]:
    return [f"R{i:019X}" for i in range(start, start + n)]


class Syscalls:
    """What the outbox asks of the disk, in order: fsyncs (of which file), renames, writes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str]] = []
        real_fsync, real_replace, real_write = os.fsync, os.replace, os.write

        def fsync(fd: int) -> None:
            self.calls.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
            real_fsync(fd)

        def replace(src, dst) -> None:  # type: ignore[no-untyped-def]
            self.calls.append(("rename", Path(dst).name))
            real_replace(src, dst)

        def write(fd: int, data) -> int:  # type: ignore[no-untyped-def]
            self.calls.append(("write", Path(os.readlink(f"/proc/self/fd/{fd}")).name))
            return real_write(fd, data)

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(os, "write", write)

    def fsyncs(self) -> list[str]:
        return [Path(path).name for kind, path in self.calls if kind == "fsync"]


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_messages_filed_together_keep_the_order_of_durability_with_a_third_of_the_fsyncs(tmp_path, monkeypatch):
    """Where the platform cannot sync a file system at once (not Linux): an fsync per file."""
    one = OutboxChannel(tmp_path / "one", "t")
    alone = [one.send(_message(k)) for k in _keys(5)]
    one.close()
    box = OutboxChannel(tmp_path / "many", "t")
    monkeypatch.setattr(outbox_module, "sync_filesystem", lambda folder: False)
    spy = Syscalls(monkeypatch)
    together = box.send_many([_message(k) for k in _keys(5)])
    monkeypatch.undo()
    assert together == alone  # the same outcomes, in order
    for d in together:  # the same bytes, the same index
        assert (tmp_path / "many" / d.file).read_bytes() == (tmp_path / "one" / d.file).read_bytes()
    assert _index(tmp_path / "many") == _index(tmp_path / "one")
    names = [d.file for d in together]
    # each file fsynced before its rename, every rename before the folder's fsync, which comes
    # before the index lines (one write) and their fsync: 5 + 2 fsyncs where one by one took 15
    assert spy.fsyncs() == [f"{n}.{outbox_module._HOST}-{os.getpid()}.tmp" for n in names] + ["many", "index.jsonl"]
    renames = [i for i, (kind, _) in enumerate(spy.calls) if kind == "rename"]
    folder_sync = spy.calls.index(("fsync", str(tmp_path / "many")))
    index_write = spy.calls.index(("write", "index.jsonl"))
    assert max(renames) < folder_sync < index_write < len(spy.calls) - 1
    assert [name for kind, name in spy.calls if kind == "rename"] == names
    assert spy.calls[-1] == ("fsync", str(tmp_path / "many" / "index.jsonl"))
    box.close()


def test_one_message_that_cannot_be_built_fails_alone_and_a_known_one_is_not_filed_again(tmp_path):
    box = OutboxChannel(tmp_path, "t")
    first = box.send(_message(_keys(1)[0]))
    broken = _message(_keys(1, 1)[0], attachments=(Attachment("x", "multipart/mixed", b"x"),))
    outcomes = box.send_many([_message(_keys(1)[0]), broken, _message(_keys(1, 2)[0]), _message(_keys(1, 2)[0])])
    box.close()
    assert outcomes[0] == replace(first, detail=T.DETAIL_ALREADY(), file="", again=True)
    assert isinstance(outcomes[1], ValueError)
    assert outcomes[2].status == "sent" and not outcomes[2].again
    assert outcomes[3].again and outcomes[3].message_id == outcomes[2].message_id  # the same action twice
    assert [e["action_key"] for e in _index(tmp_path)] == [_keys(1)[0], _keys(1, 2)[0]]
    assert sorted(p.name for p in tmp_path.glob("*.eml")) == sorted([first.file, outcomes[2].file])


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_in_the_middle_of_a_batch_files_what_came_before_and_nothing_after(tmp_path):
    box = OutboxChannel(tmp_path, "t")
    keys = _keys(5)
    _full_at(tmp_path, file_stem("C1", "reminder_1", keys[2]) + ".eml")
    outcomes = box.send_many([_message(k) for k in keys])
    assert [getattr(o, "status", None) for o in outcomes[:2]] == ["sent", "sent"]
    assert len(outcomes) == 3 and isinstance(outcomes[2], TransportDown)  # the rest was not attempted
    assert [e["action_key"] for e in _index(tmp_path)] == keys[:2]  # on disk when send_many returned
    assert sorted(p.name for p in tmp_path.glob("*.eml")) == sorted(o.file for o in outcomes[:2])
    assert not list(tmp_path.glob("*.tmp"))
    assert [box.lookup(k) is not None for k in keys] == [True, True, False, False, False]
    assert [o.status for o in box.send_many([_message(k) for k in keys])] == ["sent"] * 5  # room again
    box.close()
    assert [e["action_key"] for e in _index(tmp_path)] == keys


def test_index_lines_that_cannot_be_written_take_the_whole_batch_back(tmp_path, monkeypatch):
    box = OutboxChannel(tmp_path, "t")
    real_write = os.write

    def full(fd: int, data: bytes) -> int:
        if fd == box._fd:
            real_write(fd, bytes(data)[:30])  # part of the lines reached the disk
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full)
    outcomes = box.send_many([_message(k) for k in _keys(3)])
    monkeypatch.undo()
    assert len(outcomes) == 1 and isinstance(outcomes[0], TransportDown)
    assert not list(tmp_path.glob("*.eml")) and not list(tmp_path.glob("*.tmp"))
    assert (tmp_path / "index.jsonl").read_bytes() == b""
    assert box.proofs(_keys(3)) == {} and all(box.lookup(k) is None for k in _keys(3))
    box.close()


# ---------------------------------------------------------------- one sync of the file system per batch

import tempfile  # noqa: E402

from disk_model import Disk  # noqa: E402
from relance import disk  # noqa: E402
from relance.channels.port import Delivery, deliveries  # noqa: E402


def _mixed(n: int) -> list[OutgoingMessage]:
    """E-mails, text messages and letters, as a run files them."""
    out = []
    for i, key in enumerate(_keys(n)):
        kind = i % 3
        if kind == 0:
            out.append(_message(key, customer_id=f"C{i}"))
        elif kind == 1:
            out.append(_message(key, customer_id=f"C{i}", channel="sms"))
        else:
            out.append(_message(key, customer_id=f"C{i}", step="formal_notice", pdf=b"%PDF-1.4 " + key.encode()))
    return out


@pytest.mark.skipif(not disk.can_sync_filesystem(Path(tempfile.gettempdir())), reason="needs Linux's syncfs")
def test_a_batch_is_made_durable_by_one_sync_before_any_rename_with_the_same_files_and_index(tmp_path, monkeypatch):
    one = OutboxChannel(tmp_path / "one", "t")
    alone = [one.send(m) for m in _mixed(9)]
    one.close()
    box = OutboxChannel(tmp_path / "many", "t")
    model = Disk(monkeypatch, tmp_path / "many", outbox_module)
    model.adopt(box._fd, box.index_path)
    together = box.send_many(_mixed(9))
    monkeypatch.undo()
    box.close()
    assert together == alone
    for d in together:  # the same bytes, the same index, byte for byte
        assert (tmp_path / "many" / d.file).read_bytes() == (tmp_path / "one" / d.file).read_bytes()
    assert (tmp_path / "many" / "index.jsonl").read_bytes() == (tmp_path / "one" / "index.jsonl").read_bytes()
    assert model.violations == []
    # every temporary file written, one sync, the renames, the folder, then the index and its fsync
    assert model.kinds("syncfs") == ["many"] and model.kinds("fsync") == ["many", "index.jsonl"]
    kinds = [k for k, _ in model.events]
    assert kinds == ["write"] * 9 + ["syncfs"] + ["rename"] * 9 + ["fsync", "write", "fsync"]
    assert model.kinds("rename") == [d.file for d in together]


def test_the_order_of_durability_holds_on_a_disk_that_keeps_only_what_was_synced(tmp_path, monkeypatch):
    """Both ways (one sync of the file system, an fsync per file), one message and a batch, the
    letter and text files too: no name before its bytes, no index line before its file."""
    for way in ("together", "per file"):
        folder = tmp_path / way.replace(" ", "-")
        box = OutboxChannel(folder, "t")
        with monkeypatch.context() as patch:
            model = Disk(patch, folder, outbox_module)
            model.adopt(box._fd, box.index_path)
            if way == "per file":
                patch.setattr(outbox_module, "sync_filesystem", lambda folder: False)
            box.send(_mixed(1)[0])
            outcomes = box.send_many(_mixed(7)[1:])
        box.close()
        assert [o.status for o in outcomes] == ["sent"] * 6
        assert model.violations == [], way
        assert len(model.kinds("rename")) == 7


def test_a_failed_sync_falls_back_to_an_fsync_per_file(tmp_path, monkeypatch):
    """A disk that reports a failed write to the file system sync: each file is fsynced, so that
    the one whose write failed fails alone (here none: the files are sent)."""
    box = OutboxChannel(tmp_path, "t")
    model = Disk(monkeypatch, tmp_path, outbox_module)
    model.adopt(box._fd, box.index_path)

    def failing(folder: Path) -> bool:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(outbox_module, "sync_filesystem", failing)
    outcomes = box.send_many(_mixed(4))
    monkeypatch.undo()
    box.close()
    assert [o.status for o in outcomes] == ["sent"] * 4
    assert model.violations == []
    assert len(model.kinds("fsync")) == 4 + 2  # each file, the folder, the index


def test_the_disk_model_catches_a_rename_before_the_bytes_are_durable(tmp_path, monkeypatch):
    """The model itself: an outbox that skipped its sync (said it synced, did not) is caught."""
    box = OutboxChannel(tmp_path, "t")
    model = Disk(monkeypatch, tmp_path, outbox_module)
    model.adopt(box._fd, box.index_path)
    monkeypatch.setattr(OutboxChannel, "_sync_together", lambda self, staged: True)
    box.send_many(_mixed(3))
    monkeypatch.undo()
    box.close()
    assert len(model.violations) == 6  # 3 renames too early, then 3 index lines naming them
    assert "renamed into place before its bytes were durable" in model.violations[0]


_kinds = st.sampled_from(["email", "sms", "letter", "broken"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 11), _kinds), min_size=1, max_size=30), st.integers(1, 9),
       st.sets(st.integers(0, 11), max_size=4))
def test_filed_together_in_any_batches_is_filed_one_by_one(tmp_path_factory, picks, size, known):
    """Generated runs (e-mails, text messages, letters, a message that cannot be built, the same
    action twice, actions already filed by an earlier run), filed by `send` one by one and by
    `send_many` in batches of any size through one sync of the file system: the same outcomes,
    the same files and the same index, byte for byte, and the order of durability holds."""
    def make(i: int, kind: str) -> OutgoingMessage:
        key = f"R{i:019X}"
        if kind == "sms":
            return _message(key, customer_id=f"C{i}", channel="sms")
        if kind == "letter":
            return _message(key, customer_id=f"C{i}", step="formal_notice", pdf=b"%PDF " + key.encode())
        if kind == "broken":
            return _message(key, customer_id=f"C{i}", attachments=(Attachment("x", "multipart/mixed", b"x"),))
        return _message(key, customer_id=f"C{i}")

    messages = [make(i, kind) for i, kind in picks]
    earlier = [make(i, "email") for i in sorted(known)]
    one, many = tmp_path_factory.mktemp("one"), tmp_path_factory.mktemp("many")
    for folder in (one, many):  # an earlier run filed some of them
        box = OutboxChannel(folder, "t")
        box.send_many(earlier)
        box.close()
    box = OutboxChannel(one, "t")
    alone: list[object] = []
    for m in messages:
        try:
            alone.append(box.send(m))
        except ValueError as exc:
            alone.append(type(exc))
    box.close()
    box = OutboxChannel(many, "t")
    box.batch_size = size
    with pytest.MonkeyPatch.context() as patch:
        model = Disk(patch, many, outbox_module)
        model.adopt(box._fd, box.index_path)
        together = [o if isinstance(o, Delivery) else type(o) for o in deliveries(box, messages)]
    box.close()
    assert together == alone
    assert model.violations == []
    names = sorted(p.name for p in one.iterdir())
    assert names == sorted(p.name for p in many.iterdir())
    assert all((one / n).read_bytes() == (many / n).read_bytes() for n in names)



# ---------------------------------------------------------------- opening a large outbox: the same readings

import re  # noqa: E402

from relance.channels.outbox import _key_of, _read_index  # noqa: E402


def _former_key_of(name: str) -> str | None:
    """The reading of a file name until session 20, step by step (the reference)."""
    if not name.endswith((".eml", ".pdf", ".txt")) or name.endswith(".tmp"):
        return None
    stem = name[: -len(".sms.txt")] if name.endswith(".sms.txt") else name.rpartition(".")[0]
    head, sep, key = stem.rpartition("_")
    return key if sep and head and re.fullmatch(r"[A-Z][A-Z0-9]{3,}", key) else None


def _former_read_index(path: Path) -> dict[str, str]:
    """The reading of index.jsonl until session 20, json.loads line by line (the reference)."""
    known: dict[str, str] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict) and entry.get("action_key"):
                known[str(entry["action_key"])] = str(entry.get("message_id", ""))
    return known


_name_parts = st.lists(st.sampled_from(["_", ".", "R0123", "RKEY", "R", "K1", "a", "É", "\n", " ", "sms", "SMS",
                                        ".eml", ".pdf", ".txt", ".sms.txt", ".tmp", ".zip", "_R0000000000000000001"]),
                       max_size=8).map("".join)


@settings(max_examples=400)
@given(st.one_of(_name_parts, st.text(max_size=30), st.builds(
    lambda c, s, k, x: file_stem(c, s, k) + x, st.text(max_size=12), st.text(max_size=8),
    st.from_regex(r"[A-Z][A-Z0-9]{2,20}", fullmatch=True), st.sampled_from([".eml", ".pdf", ".sms.txt", ".txt"]))))
def test_a_file_name_gives_the_key_it_always_gave(name):
    assert _key_of(name) == _former_key_of(name)


_entry = st.fixed_dictionaries({"action_key": st.one_of(st.text(max_size=6), st.integers(), st.none())},
                               optional={"message_id": st.one_of(st.text(max_size=6), st.integers(), st.none()),
                                         "file": st.text(max_size=6)})
_line = st.one_of(
    _entry.map(lambda e: json.dumps(e, ensure_ascii=False)),
    _entry.map(json.dumps).flatmap(lambda s: st.integers(0, len(s)).map(lambda n: s[:n])),  # cut by a kill
    _entry.map(lambda e: "\ufeff" + json.dumps(e)),
    _entry.map(lambda e: " \t" + json.dumps(e) + "  \r"),
    _entry.map(lambda e: json.dumps(e) + json.dumps(e)),  # extra data
    _entry.map(lambda e: json.dumps(e) + ", 1"),
    st.sampled_from(["", " ", "[]", "1", "null", '"x"', '[{"action_key": "X"}]', "{", "}", "\x00", "NaN",
                     '{"action_key": "A", "action_key": "B"}']),
    st.text(max_size=20))


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_line, max_size=12), st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())
def test_an_index_reads_as_it_always_read(tmp_path, lines, end, broken_utf8):
    path = tmp_path / "index.jsonl"
    data = end.join(lines).encode("utf-8", "surrogatepass")
    path.write_bytes(data + (b"\xff\xfe{" if broken_utf8 else b""))
    assert _read_index(path) == _former_read_index(path)
