"""A person's "oui" in A_valider is never lost (engine/planner.py `Plan.held`, owned_tabs.dropped_approvals).

A ticked step that cannot go today although it still applies (the customer's last message is too
recent, because a reminder for another of its invoices went in between) stays in A_valider,
ticked, with a note saying why and until when; the run that plans it again honours the tick.
A tick on a step that no longer applies (invoices paid, disputed, paused; the step now lists
other invoices; already done) is said with its reason (R603, R650), never silently dropped.
"""

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CLASSIC, invoice, on, workbook
from conftest import customer as customer_row
from french import assert_french
from relance.app.jobs import run, snapshot, write_plan
from relance.channels.outbox import OutboxChannel
from relance.engine.tab_values import STATUSES, key_of
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
    write_plan(wb, snapshot(wb, on(dt.date(2025, 4, 30)), dt.date(2025, 4, 30)), "preview")  # `relance plan --write`
    assert [(r["cle_action"], r["valider"]) for r in rows(wb)] == [(key, "oui")]
    # the gap passed: the hand-off is made with the person's approval, no second tick asked
    done = day(wb, box, dt.date(2025, 5, 1))
    assert ("handoff", ("F1",), "created") in done
    assert rows(wb) == []


APPROVED_R1 = [["scenario", "etape", "decalage_jours", "canal", "modele", "solde_minimum", "validation_requise"],
               ["standard", "r1", 7, "email", "reminder_1", 0, "oui"]]


def one_step_book(*invoices) -> MemoryBackend:
    """A ladder of one e-mail that waits for a person (J+7), C1 owing `invoices`."""
    return workbook([customer("C1")], list(invoices or [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000)]),
                    Scenarios=APPROVED_R1)


def said(code: str) -> list[str]:
    return [str(a) for a in day.last.snapshot.anomalies if a.code == code]  # type: ignore[attr-defined]


def test_a_tick_on_an_invoice_disputed_since_is_said_with_the_reason(tmp_path: Path):
    wb, box = one_step_book(), tmp_path / "out"
    assert day(wb, box, dt.date(2025, 3, 31)) == [("r1", ("F1",), "awaiting_approval")]
    key = tick(wb, "r1")
    wb.edit("Factures", [wb.tabs["Factures"][0], invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000, statut="litige")])
    assert day(wb, box, dt.date(2025, 3, 31)) == []
    assert said("R603") == [f"A_valider!B2: '{key}' approved action dropped: invoice F1 paused meanwhile (disputed); "
                            "nothing was sent; nothing to do; a new step will be planned if one becomes due"]
    assert rows(wb) == [] and not list(box.glob("*.eml"))


def test_a_tick_on_a_step_that_now_lists_other_invoices_is_said_and_the_new_row_waits_for_its_own(tmp_path: Path):
    f1, f2 = invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000), invoice("F2", "C1", "2025-01-05", "2025-03-20", 200)
    wb, box = one_step_book(f1), tmp_path / "out"
    assert day(wb, box, dt.date(2025, 3, 31)) == [("r1", ("F1",), "awaiting_approval")]
    key = tick(wb, "r1")
    wb.edit("Factures", [wb.tabs["Factures"][0], f1, f2])  # an invoice forgotten in the ledger, overdue too
    # a person approved a reminder about F1, not about F1 and F2: nothing leaves, and it is said
    assert day(wb, box, dt.date(2025, 3, 31)) == [("r1", ("F2", "F1"), "awaiting_approval")]
    new = rows(wb)
    assert [(r["numeros_factures"], r["valider"]) for r in new] == [("F2;F1", "non")]
    assert said("R650") == [
        f"A_valider!B2: '{key}' approval not carried over: this step now lists invoices F2, F1 (approved for F1); "
        f"nothing was sent; if you agree, choose “yes” in the “valider” column of the row whose key is "
        f"{new[0]['cle_action']}"]
    assert said("R603") == [] and not list(box.glob("*.eml"))


class Refusing(OutboxChannel):
    """The outbox, refusing every message (a provider down for the day)."""

    def send(self, message):
        raise RuntimeError("provider refused")


def test_an_approved_message_that_failed_keeps_its_tick_and_goes_with_the_next_run(tmp_path: Path):
    wb, box = one_step_book(), tmp_path / "out"
    assert day(wb, box, dt.date(2025, 3, 31)) == [("r1", ("F1",), "awaiting_approval")]
    key = tick(wb, "r1")
    failed = run(wb, lambda b: Refusing(box, "t"), on(dt.date(2025, 3, 31)), anytime=True).to_json()
    assert [(a["action_key"], a["status"]) for a in failed["actions"]] == [(key, "failed")]
    kept = rows(wb)
    assert [(r["cle_action"], r["valider"]) for r in kept] == [(key, "oui")]
    assert plain(kept[0]["note"]).startswith("validée ; l'envoi a échoué")
    assert day(wb, box, dt.date(2025, 3, 31)) == [("r1", ("F1",), "sent")]  # the person is not asked again
    assert rows(wb) == [] and len(list(box.glob("*.eml"))) == 1


def test_a_tick_on_a_step_already_done_is_said_once_and_not_done_again(tmp_path: Path):
    wb, box = one_step_book(), tmp_path / "out"
    day(wb, box, dt.date(2025, 3, 31))
    key = tick(wb, "r1")
    stale = [list(r) for r in wb.tabs["A_valider"]]  # a copy of the tab, ticked, kept aside
    assert day(wb, box, dt.date(2025, 3, 31)) == [("r1", ("F1",), "sent")]
    wb.edit("A_valider", stale)  # an old copy of the tab pasted back (or a second click from a stale sheet)
    assert day(wb, box, dt.date(2025, 4, 1)) == []
    assert [plain(t) for t in said("R603")] == [f"A_valider!B2: '{key}' approval not needed any more: this action was done on "
                            "31 March 2025 (log); it is not done again; nothing to do; a new step will be planned "
                            "if one becomes due"]
    assert len(list(box.glob("*.eml"))) == 1


def test_the_planner_holds_an_approved_step_another_message_of_the_day_keeps_back():
    """Engine level: one message a day per customer; the approved one it keeps back is `Plan.held`."""
    from books import book, ladder, planned, record, step
    from relance.engine.action import action_key

    s = ladder("s", step("r1", 7, approval=True), step("fn", 30, template="formal_notice"))
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-01", 1000),
                                invoice("F2", "C1", "2025-02-20", "2025-03-20", 300)], scenarios=[s],
             settings={"default_scenario": "s"})
    b = record(b, planned(b, dt.date(2025, 3, 10)).plan, approve=True)  # r1 for F1, approved and sent
    waiting = action_key("C1", ("F1", "F2"), "s", "r1")  # the reminder F2 is due, listing every overdue invoice
    for approved, held in ((frozenset(), []), (frozenset({waiting}), [(waiting, "another_message", True)])):
        p = planned(b, dt.date(2025, 3, 31), approved).plan
        # the formal notice for F1 reaches the customer today; the reminder waits for the next message
        assert [(a.step, a.invoice_ids) for a in p.to_send] == [("fn", ("F1",))]
        assert [(h.action.key, h.reason, h.action.approved) for h in p.held] == held
        assert waiting not in {a.key for a in p.actions}
        for h in p.held:
            assert plain(h.note.fr) == ("validée ; pas envoyée aujourd'hui : ce client reçoit déjà un message "
                                        "aujourd'hui (fn (J+30)) ; part avec la prochaine relance, avec votre "
                                        "validation, à garder sur « oui »")


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.lists(st.integers(0, 14), min_size=2, max_size=6, unique=True),
       ticks=st.lists(st.booleans(), min_size=6, max_size=6),
       dispute_on=st.one_of(st.none(), st.integers(0, 14)))
def test_every_tick_is_done_kept_or_said(tmp_path_factory, days, ticks, dispute_on):
    """Whatever the days the runs happen on, and whether a person ticks: after each run, every row
    ticked before it was done (History), is still ticked in A_valider, or is said (R603, R650)."""
    wb, box = ladder_book(), tmp_path_factory.mktemp("box")
    to_handoff_day(wb, box)
    start = dt.date(2025, 4, 28)
    for n, offset in enumerate(sorted(days)):
        if ticks[n]:
            for r in wb.tabs["A_valider"][1:]:
                r[0] = "oui"
        if dispute_on is not None and offset >= dispute_on:
            wb.edit("Factures", [wb.tabs["Factures"][0],
                                 invoice("F1", "C1", "2025-01-01", "2025-02-27", 1000, statut="litige"),
                                 invoice("F2", "C1", "2025-03-15", "2025-04-15", 300)])
        ticked = {str(r[1]) for r in wb.tabs["A_valider"][1:] if r[0] == "oui"}
        day(wb, box, start + dt.timedelta(days=offset))
        done = {str(r[2]) for r in wb.tabs["Historique"][1:] if key_of(STATUSES, r[9]) in ("sent", "created")}
        kept = {str(r[1]) for r in wb.tabs["A_valider"][1:] if r[0] == "oui"}
        told = {a.value for a in day.last.snapshot.anomalies if a.code in ("R603", "R650")}  # type: ignore[attr-defined]
        assert ticked <= done | kept | told, (offset, ticked, done, kept, told)


def test_an_approved_message_without_its_sender_setting_keeps_its_tick_until_the_setting_is_filled(tmp_path: Path):
    wb, box = one_step_book(), tmp_path / "out"
    day(wb, box, dt.date(2025, 3, 31))
    key = tick(wb, "r1")
    settings = wb.tabs["Parametres"]
    wb.edit("Parametres", [r if r[0] != "sender_email" else ["sender_email", ""] for r in settings])
    assert day(wb, box, dt.date(2025, 3, 31)) == []  # never a message without its sender
    kept = rows(wb)
    assert [(r["cle_action"], r["valider"]) for r in kept] == [(key, "oui")]
    assert plain(kept[0]["note"]).startswith("validée ; pas envoyée : renseignez sender_email dans l'onglet Parametres")
    wb.edit("Parametres", settings)
    assert day(wb, box, dt.date(2025, 3, 31)) == [("r1", ("F1",), "sent")]


def test_approved_messages_beyond_the_daily_cap_keep_their_tick_and_leave_the_next_day(tmp_path: Path):
    """Through the real mailjet-rest client and the local Mailjet: a cap of one message a day."""
    from relance.app.connect import open_channel
    from servers.mailjet import FakeMailjet

    wb = workbook([customer("C1"), customer("C2")],
                  [invoice("F1", "C1", "2025-01-01", "2025-03-01", 1000),
                   invoice("F2", "C2", "2025-01-01", "2025-03-20", 200)],
                  settings={"daily_send_cap": 1}, Scenarios=APPROVED_R1)
    with FakeMailjet() as fake:
        def go(d: dt.date) -> list[tuple[str, str]]:
            environ = {"MAILJET_API_KEY": fake.key, "MAILJET_API_SECRET": fake.secret, "MAILJET_API_URL": fake.url,
                       "MAILJET_RETRY_WAIT": "0", "MAILJET_RATE_PER_SECOND": "0"}
            result = run(wb, open_channel("mailjet", str(tmp_path / "book.xlsx"), on(d), tmp_path / "outbox",
                                          environ=environ), on(d), anytime=True)
            return [(a["customer_id"], a["status"]) for a in result.to_json()["actions"]]

        assert go(dt.date(2025, 3, 31)) == [("C1", "awaiting_approval"), ("C2", "awaiting_approval")]
        for r in wb.tabs["A_valider"][1:]:
            r[0] = "oui"
        assert sorted(go(dt.date(2025, 3, 31))) == [("C1", "sent"), ("C2", "held_back")]  # the most overdue first
        kept = rows(wb)
        assert [(r["code_client"], r["valider"]) for r in kept] == [("C2", "oui")]
        assert plain(kept[0]["note"]).startswith("validée ; reportée : le plafond d'envoi du jour est atteint")
        assert go(dt.date(2025, 4, 1)) == [("C2", "sent")]  # without a second "oui"
        assert rows(wb) == [] and len(fake.messages) == 2


def test_a_tick_the_gap_holds_back_while_the_step_grows_to_other_invoices_is_said_now(tmp_path: Path):
    """Found on the demo book's approval day: the formal notice for F1 waits for a person, and the
    same run reminds F2 in writing; the next run, the notice would list F1 and F2, which nobody
    approved: said now (R650), its new row to approve when the gap has passed."""
    scen = [["scenario", "etape", "decalage_jours", "canal", "modele", "solde_minimum", "validation_requise"],
            ["standard", "reminder_1", 7, "email", "reminder_1", 0, "non"],
            ["standard", "formal_notice", 30, "email", "formal_notice", 0, "oui"]]
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-01", 1000)], Scenarios=scen)
    box = tmp_path / "out"
    assert day(wb, box, dt.date(2025, 3, 1)) == [("reminder_1", ("F1",), "sent")]
    wb.edit("Factures", [wb.tabs["Factures"][0], invoice("F1", "C1", "2025-01-01", "2025-02-01", 1000),
                         invoice("F2", "C1", "2025-02-15", "2025-03-15", 300)])
    assert day(wb, box, dt.date(2025, 3, 31)) == [("formal_notice", ("F1",), "awaiting_approval"),
                                                  ("reminder_1", ("F1", "F2"), "sent")]
    key = tick(wb, "formal_notice")
    assert day(wb, box, dt.date(2025, 3, 31)) == []
    assert [plain(t) for t in said("R650")] == [
        f"A_valider!B2: '{key}' approval not carried over: this step now lists invoices F1, F2 (approved for F1); "
        "nothing was sent; its new row appears in this tab when the step is due (after the gap since the "
        "customer's last message): choose “yes” there if you agree"]
    assert said("R603") == []
    assert day(wb, box, dt.date(2025, 4, 3)) == [("formal_notice", ("F1", "F2"), "awaiting_approval")]
    assert len(list(box.glob("*.eml"))) == 2
