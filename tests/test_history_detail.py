"""The History `detail` column: a note for people, in the workbook's language (app/executor.py).

The run date and the transport have columns of their own (as_of, via), which is all a later run
reads; the detail says what became of each message in the workbook's French or English, from
the catalog: the file filed in the outbox, a transport's answer (the server's own reply kept as
written), a task, a template that could not be rendered, the amounts of an action in several
currencies, a baseline.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from conftest import NOW, SCENARIOS_HEADER, customer, invoice, workbook
from french import assert_french
from relance.app.jobs import baseline, run
from relance.channels.outbox import OutboxChannel
from relance.channels.port import Delivery
from relance.engine.catalog import channels as say
from relance.engine.i18n import NBSP, NNBSP
from relance.engine.message import OutgoingMessage
from relance.workbook.memory import MemoryBackend

AS_OF = dt.date(2025, 3, 31)
DETAIL = 13
#: what French output has and English output must not
FRENCH = re.compile(r"[éèêàçùîô]|\b(dans|boîte|tâche|envoi|replanifié|modèle|montants|relances?)\b|[\u00a0\u202f]",
                    re.IGNORECASE)
SCENARIOS = [SCENARIOS_HEADER, ["standard", "r1", 7, "email", "reminder_1", 0, "non"],
             ["standard", "r1_sms", 7, "sms", "reminder_1", 0, "non"],
             ["standard", "appel", 7, "call", "", 0, "non"]]


def ledger(lang: str, **extra: object) -> MemoryBackend:
    """C1 owes in two currencies; C2 has a broken template override (its e-mail fails)."""
    modeles = [["modele", "langue", "partie", "contenu"],
               ["reminder_1", "en" if lang == "fr" else "fr", "subject", "Relance {{ facture.numero }"]]
    return workbook([customer("C1", telephone="06 12 34 56 01", langue=lang),
                     customer("C2", telephone="06 12 34 56 02", langue="en" if lang == "fr" else "fr")],
                    [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000),
                     invoice("F2", "C1", "2025-01-01", "2025-03-24", 250, devise="USD"),
                     invoice("F3", "C2", "2025-01-01", "2025-03-24", 400)],
                    settings={"locale": "fr_FR" if lang == "fr" else "en_GB", **extra},
                    Scenarios=SCENARIOS, Modeles=modeles)


def details(wb: MemoryBackend) -> list[str]:
    name = "Historique" if "Historique" in wb.tabs else "Reminder_log"
    return [str(r[DETAIL]) for r in wb.tabs[name][1:]]


def filed(folder: Path) -> dict[tuple[str, str], str]:
    """The files of the outbox by (customer, step)."""
    return {(p.name.split("_")[0], p.name.split("_", 1)[1].rpartition("_")[0]): p.name
            for p in folder.iterdir() if p.name.endswith((".eml", ".sms.txt"))}


def test_a_french_run_writes_its_history_notes_in_french(tmp_path: Path):
    wb = ledger("fr")
    data = run(wb, lambda b: OutboxChannel(tmp_path, "t"), NOW, AS_OF).to_json()
    assert sorted(a["status"] for a in data["actions"]) == ["created", "created", "failed", "sent", "sent", "sent"]
    notes = details(wb)
    files = filed(tmp_path)
    for note in notes:
        assert_french(note, allow=("r1",))
        assert not re.search(r"\d{4}-\d{2}-\d{2}", note)  # the run date is in its own column
    # the two-currency actions say their amounts as money, then what became of them
    amounts = f"Montants dus{NBSP}: 1{NBSP}000,00{NBSP}€, 250,00{NBSP}$US{NNBSP}; "
    assert sorted(notes) == sorted([
        f"{amounts}classé dans la boîte d'envoi{NBSP}: {files['C1', 'r1']}",
        f"{amounts}classé dans la boîte d'envoi{NBSP}: {files['C1', 'r1_sms']}",
        f"{amounts}tâche pour Julie",
        f"Modèle impossible à générer (voir Anomalies, R701){NNBSP}; replanifié",
        f"Classé dans la boîte d'envoi{NBSP}: {files['C2', 'r1_sms']}",
        "Tâche pour Julie",
    ])


def test_an_english_run_writes_no_french(tmp_path: Path):
    wb = ledger("en")
    run(wb, lambda b: OutboxChannel(tmp_path, "t"), NOW, AS_OF)
    notes = details(wb)
    assert not [n for n in notes if FRENCH.search(n)], notes
    files = filed(tmp_path)
    assert sorted(notes) == sorted([
        f"Amounts due: €1,000.00, US$250.00; filed in the outbox: {files['C1', 'r1']}",
        f"Amounts due: €1,000.00, US$250.00; filed in the outbox: {files['C1', 'r1_sms']}",
        "Amounts due: €1,000.00, US$250.00; task for Julie",
        "Its template could not be rendered (see Anomalies, R701); planned again",
        f"Filed in the outbox: {files['C2', 'r1_sms']}",
        "Task for Julie",
    ])


class Smtp:
    """An outbox that answers as an SMTP server would: the server's reply inside the phrase."""

    def __init__(self, folder: Path) -> None:
        self.inner = OutboxChannel(folder, "t")

    send_many = None  # every message through `send` below (not the outbox's batches)

    def __getattr__(self, item: str) -> object:
        return getattr(self.inner, item)

    def send(self, message: OutgoingMessage) -> Delivery:
        done = self.inner.send(message)
        return Delivery(done.status, done.message_id,
                        say.SMTP_ACCEPTED(server="smtp.example:587", reply="250 2.0.0 Ok: queued as Q1"))


@pytest.mark.parametrize(("lang", "said"), [
    ("fr", f"Accepté par smtp.example:587{NBSP}: 250 2.0.0 Ok: queued as Q1"),
    ("en", "Accepted by smtp.example:587: 250 2.0.0 Ok: queued as Q1"),
])
def test_a_transport_answer_is_said_in_the_workbook_language_with_the_reply_as_written(tmp_path: Path, lang, said):
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000)],
                  settings={"locale": "fr_FR" if lang == "fr" else "en_GB"},
                  Scenarios=[SCENARIOS_HEADER, ["standard", "r1", 7, "email", "reminder_1", 0, "non"]])
    run(wb, lambda b: Smtp(tmp_path), NOW, AS_OF)  # type: ignore[arg-type,return-value]
    assert details(wb) == [said]


@pytest.mark.parametrize(("lang", "said"), [
    ("fr", "Relances faites hors de l'outil jusqu'à l'étape r1 (J+7)"),
    ("en", "Reminded outside relance up to r1 (day +7)"),
])
def test_a_baseline_row_says_its_step_in_the_workbook_language(lang, said):
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-17", 1000)],
                  settings={"locale": "fr_FR" if lang == "fr" else "en_GB"},
                  Scenarios=[SCENARIOS_HEADER, ["standard", "r1", 7, "email", "reminder_1", 0, "non"]])
    result = baseline(wb, NOW, "r1", AS_OF)
    [entry] = result.entries
    assert (entry.as_of, entry.via, entry.detail) == (AS_OF, "baseline", said)
    assert details(wb) == [said]


def test_an_english_history_of_the_previous_version_is_settled_and_said_in_english(tmp_path: Path, monkeypatch):
    """Rows with no as_of and via columns said both in their detail: read from there, as before."""
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000)],
                  settings={"locale": "en_GB"},
                  Scenarios=[SCENARIOS_HEADER, ["standard", "r1", 7, "email", "reminder_1", 0, "non"]])

    def power_cut(self, message):
        raise KeyboardInterrupt("power cut")

    with monkeypatch.context() as m:
        m.setattr(OutboxChannel, "send", power_cut)
        with pytest.raises(KeyboardInterrupt):
            run(wb, lambda b: OutboxChannel(tmp_path, "t"), NOW, AS_OF)
    header, *rows = wb.tabs["Reminder_log"]
    wb.tabs["Reminder_log"] = [header[:14], *[[*r[:13], "via outbox; as of 2025-03-31"] for r in rows]]
    result = run(wb, lambda b: OutboxChannel(tmp_path, "t"), NOW, AS_OF)
    assert result.to_json()["settled_pending"] == 1 and result.to_json()["sent"] == 1
    assert [(e.as_of, e.via) for e in result.snapshot.book.history] == [(AS_OF, "outbox")]
    [older, new] = details(wb)
    assert older == "via outbox; as of 2025-03-31; interrupted before sending; planned again"
    assert new.startswith("Filed in the outbox: C1_r1_")
