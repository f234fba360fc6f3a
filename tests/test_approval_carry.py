"""A person's "oui" in A_valider is never lost (engine/planner.py `Plan.held`, owned_tabs.dropped_approvals).

A ticked step that cannot go today although it still applies (the customer's last message is too
recent, because a reminder for another of its invoices went in between) stays in A_valider,
ticked, with a note saying why and until when; the run that plans it again honours the tick.
A tick on a step that no longer applies (invoices paid, disputed, paused; the step now lists
other invoices; already done) is said with its reason (R603, R650), never silently dropped.
"""

import datetime as dt
from pathlib import Path

from conftest import CLASSIC, invoice, on, workbook
from conftest import customer as customer_row
from french import assert_french
from relance.app.jobs import run
from relance.channels.outbox import OutboxChannel
from relance.workbook.memory import MemoryBackend


def customer(cid: str):
    return customer_row(cid)


def ladder_book(**settings) -> MemoryBackend:
    """C1 owes F1 (due 2025-02-27: reminded, formal notice on 2025-04-20, hand-off due on 2025-04-28)
    and F2 (due 2025-04-15: its first reminder is due the day the hand-off is)."""
    return workbook([customer("C1")],
                    [invoice("F1", "C1", "2025-01-01", "2025-02-27", 1000),
                     invoice("F2", "C1", "2025-03-15", "2025-04-15", 300)],
                    settings=settings or None, Scenarios=CLASSIC)


def day(wb: MemoryBackend, box: Path, d: dt.date) -> list[tuple[str, tuple[str, ...], str]]:
    result = run(wb, lambda b: OutboxChannel(box, "t"), on(d), anytime=True)
    day.last = result  # type: ignore[attr-defined]
    return [(a["step"], tuple(a["invoice_ids"]), a["status"]) for a in result.to_json()["actions"]]


def plain(text: object) -> str:
    """French typography's narrow and non-breaking spaces as plain spaces, to compare texts."""
    return str(text).replace("\u202f", " ").replace("\xa0", " ")


def rows(wb: MemoryBackend) -> list[dict[str, object]]:
    header, *body = wb.tabs["A_valider"]
    return [dict(zip(header, r, strict=False)) for r in body]


def tick(wb: MemoryBackend, step: str) -> str:
    header = wb.tabs["A_valider"][0]
    for r in wb.tabs["A_valider"][1:]:
        if str(r[header.index("etape")]).startswith(step):  # "handoff (J+45)"
            r[header.index("valider")] = "oui"
            return str(r[header.index("cle_action")])
    raise AssertionError(f"no {step} row in A_valider: {wb.tabs['A_valider']}")


def to_handoff_day(wb: MemoryBackend, box: Path) -> None:
    for d, expected in [(dt.date(2025, 3, 31), [("reminder_1", ("F1",), "sent")]),
                        (dt.date(2025, 4, 5), [("reminder_2", ("F1",), "sent")]),
                        (dt.date(2025, 4, 20), [("formal_notice", ("F1",), "sent")])]:
        assert day(wb, box, d) == expected
    # the hand-off waits for a person; the reminder F2 is due goes meanwhile (listing every overdue invoice)
    assert day(wb, box, dt.date(2025, 4, 28)) == [("handoff", ("F1",), "awaiting_approval"),
                                                  ("reminder_1", ("F1", "F2"), "sent")]


def test_a_tick_held_back_by_the_gap_stays_ticked_and_is_honoured_when_the_step_is_due(tmp_path: Path):
    wb, box = ladder_book(), tmp_path / "out"
    to_handoff_day(wb, box)
    key = tick(wb, "handoff")
    # the person ticks and runs again the same day: the reminder sent this morning holds the hand-off
    # back (three days between two contacts); the tick is kept, with why and until when
    assert day(wb, box, dt.date(2025, 4, 28)) == []
    kept = rows(wb)
    assert [(r["cle_action"], r["valider"]) for r in kept] == [(key, "oui")]
    note = plain(kept[0]["note"])
    assert note.startswith("validée ; pas envoyée aujourd'hui : le dernier message à ce client date du 28 avril 2025 ; "
                           "part le 1er mai 2025")
    assert_french(str(kept[0]["note"]))
    assert not [a for a in day.last.snapshot.anomalies if a.code == "R603"]  # type: ignore[attr-defined]
    assert day(wb, box, dt.date(2025, 4, 30)) == []  # still held, still ticked
    assert [(r["cle_action"], r["valider"]) for r in rows(wb)] == [(key, "oui")]
    # the gap passed: the hand-off is made with the person's approval, no second tick asked
    done = day(wb, box, dt.date(2025, 5, 1))
    assert ("handoff", ("F1",), "created") in done
    assert rows(wb) == []
