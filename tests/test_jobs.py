"""The daily job around the plan (app/jobs.py): what `run` and `snapshot` add to the planner.

Send window, approvals ticked in A_valider, payments re-read before sending, History and its
archive tabs, reruns over days (cooldown, broken promises, call outcomes), the files a run
leaves (letters, agency packages), and the checks made at load (templates, risk grades).
Planning itself, case by case, is in test_planner.py.
"""

import datetime as dt
from pathlib import Path

import pytest

from conftest import CLASSIC, CUSTOMERS_HEADER, NOW, customer, invoice, on, payment, workbook
from relance.app.jobs import baseline, run, snapshot
from relance.channels.outbox import OutboxChannel

AS_OF = dt.date(2025, 3, 31)


def test_missed_weeks_catch_up_with_one_message_then_resume(tmp_path: Path):
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-27", 1000)], Scenarios=CLASSIC)
    box = tmp_path / "out"

    def day(d):
        result = run(wb, lambda b: OutboxChannel(box, "t"), on(d), anytime=True)
        return [(a["step"], a["status"]) for a in result.to_json()["actions"]]

    assert day(dt.date(2025, 3, 31)) == [("reminder_1", "sent")]  # J+32, first run: the first step, never a jump
    assert day(dt.date(2025, 3, 31)) == []  # rerun the same day
    assert day(dt.date(2025, 4, 2)) == []  # the gap: three days between two messages
    assert day(dt.date(2025, 4, 5)) == [("reminder_2", "sent")]  # the next step, not the highest due
    assert day(dt.date(2025, 4, 20)) == [("formal_notice", "sent")]  # a missed fortnight: one message
    assert day(dt.date(2025, 4, 25)) == []  # the hand-off waits for the notice's deadline (8 days)
    assert day(dt.date(2025, 4, 28)) == [("handoff", "awaiting_approval")]  # then a person decides
    assert day(dt.date(2025, 5, 20)) == [("handoff", "awaiting_approval")]  # still waiting, never sent alone
    assert len(list(box.glob("*.eml"))) == 3


def test_an_overdue_message_never_lists_an_invoice_not_yet_due(tmp_path: Path):
    wb = workbook([customer("C1")],
                  [invoice("F1", "C1", "2025-01-01", "2025-03-16", 1000),
                   invoice("F2", "C1", "2025-03-01", "2025-04-03", 300)], Scenarios=CLASSIC)
    box = tmp_path / "out"
    first = run(wb, lambda b: OutboxChannel(box, "t"), NOW, AS_OF).to_json()["actions"]
    # F2 is due a courtesy reminder the same day: it never joins a demand for what is overdue,
    # and waits for the cooldown rather than making two messages in a day
    assert [(a["step"], a["invoice_ids"]) for a in first] == [("reminder_1", ["F1"])]
    rerun = run(wb, lambda b: OutboxChannel(box, "t"), NOW, AS_OF).to_json()
    assert rerun["actions"] == []
    assert {(iid, s["reason"]) for s in rerun["skips"] for iid in s["invoice_ids"]} >= {("F2", "cooldown")}
    # F2 still gets its own J+7, with the whole overdue picture
    later = run(wb, lambda b: OutboxChannel(box, "t"), on(dt.date(2025, 4, 10)), anytime=True).to_json()["actions"]
    assert [(a["step"], a["invoice_ids"]) for a in later] == [("reminder_2", ["F1", "F2"])]


def test_approval_steps_wait_in_the_plan_tab_until_ticked(tmp_path: Path):
    scen = [["scenario", "etape", "decalage_jours", "canal", "modele", "solde_minimum", "validation_requise"],
            ["standard", "r1", 7, "email", "reminder_1", 0, "oui"]]
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000)], Scenarios=scen)
    box = tmp_path / "out"
    first = run(wb, lambda b: OutboxChannel(box, "t"), NOW, AS_OF).to_json()
    assert first["awaiting_approval"] == 1 and first["sent"] == 0
    plan_rows = wb.tabs["A_valider"]
    assert plan_rows[0][0] == "valider" and plan_rows[1][1] == first["actions"][0]["action_key"]
    plan_rows[1][0] = "x"  # the user ticks approve
    second = run(wb, lambda b: OutboxChannel(box, "t"), NOW, AS_OF).to_json()
    assert second["sent"] == 1
    assert len(wb.tabs["A_valider"]) == 1  # header only: nothing left to approve


def test_an_approval_whose_invoice_was_paid_meanwhile_is_dropped_and_said(tmp_path: Path):
    scen = [["scenario", "etape", "decalage_jours", "canal", "modele", "solde_minimum", "validation_requise"],
            ["standard", "r1", 7, "email", "reminder_1", 0, "oui"]]
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000)], Scenarios=scen)
    box = tmp_path / "out"
    run(wb, lambda b: OutboxChannel(box, "t"), NOW, AS_OF)
    wb.tabs["A_valider"][1][0] = "oui"
    wb.edit("Reglements", [["date", "montant", "numero_facture"], ["2025-03-31", 1000, "F1"]])
    result = run(wb, lambda b: OutboxChannel(box, "t"), NOW, AS_OF)
    assert result.to_json()["sent"] == 0
    said = [str(a) for a in result.snapshot.anomalies if a.code == "R603"]
    assert len(said) == 1 and "approved action dropped: invoice F1 paid meanwhile; nothing was sent" in said[0]
    assert said[0].startswith("A_valider!B2")
    assert len(wb.tabs["A_valider"]) == 1 and not list(box.glob("*.eml"))


def test_payments_are_reread_just_before_sending(tmp_path: Path):
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000)])
    box = tmp_path / "out"

    class PaysDuringRun:
        name = "outbox"

        def __init__(self):
            self.inner = OutboxChannel(box, "t")
            wb.edit("Reglements", [["date", "montant", "numero_facture"], ["2025-03-31", 1000, "F1"]])

        def __getattr__(self, item):
            return getattr(self.inner, item)

    result = run(wb, lambda b: PaysDuringRun(), NOW, AS_OF).to_json()
    assert result["sent"] == 0 and result["planned"] == 0


def test_a_step_naming_an_unknown_template_is_reported_at_load():
    scen = [["scenario", "etape", "decalage_jours", "canal", "modele", "solde_minimum", "validation_requise"],
            ["standard", "r1", 7, "email", "relance_speciale", 0, "non"]]
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000)], Scenarios=scen)
    snap = snapshot(wb, NOW, AS_OF)
    assert [str(a) for a in snap.anomalies if a.code == "R507"] == [
        "Scenarios!E2: 'relance_speciale' is not a message template (scenario standard, step r1); this "
        "step's messages cannot be sent; name a template of scenarios/templates, or add it in the Modeles tab"]


def test_a_broken_template_override_skips_only_its_messages(tmp_path: Path):
    modeles = [["modele", "langue", "partie", "contenu"],
               ["notice", "fr", "subject", "Relance {{ facture.numero }"]]
    wb = workbook([customer("C1"), customer("C2", langue="en")],
                  [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000),
                   invoice("F2", "C2", "2025-01-01", "2025-03-24", 1000)], Modeles=modeles)
    result = run(wb, lambda b: OutboxChannel(tmp_path, "t"), NOW, AS_OF)
    data = result.to_json()
    assert data["sent"] == 1  # the English customer's message still leaves
    assert [a["status"] for a in data["actions"]] == ["failed", "sent"]  # said in History, planned again
    problems = [str(a) for a in result.snapshot.anomalies if a.code == "R701"]
    assert len(problems) == 1 and "notice" in problems[0] and "line 1" in problems[0]
    rerun = run(wb, lambda b: OutboxChannel(tmp_path, "t"), NOW, AS_OF).to_json()
    assert rerun["sent"] == 0 and rerun["planned"] == 1  # still due once the template is fixed


def test_history_past_its_limit_moves_oldest_rows_to_a_year_tab_and_still_blocks_resends(tmp_path: Path):
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000)],
                  settings={"history_max_rows": 1000})
    box = tmp_path / "out"
    first = run(wb, lambda b: OutboxChannel(box, "t"), NOW, AS_OF).to_json()
    assert first["sent"] == 1
    header, sent_row = wb.tabs["Historique"]
    old = [["r0", f"2024-06-{1 + i % 28:02d}T09:00:00+00:00", f"OLD{i}", "C9", "X1", "standard", "reminder_1",
            "email", "x@y.example", "sent", "", 10, "EUR", ""] for i in range(1200)]
    wb.tabs["Historique"] = [header, *old, sent_row]
    rerun = run(wb, lambda b: OutboxChannel(box, "t"), NOW, AS_OF).to_json()
    assert rerun["sent"] == 0
    assert len(wb.tabs["Historique"]) == 1 + 1000
    assert [len(r) for r in wb.tabs["Historique_2024"][:1]] == [16] and len(wb.tabs["Historique_2024"]) == 1 + 201
    # the row that moved is still known: nothing is sent again on the next run either
    wb.tabs["Historique"] = [header]
    wb.tabs["Historique_2025"] = [header, sent_row]
    assert run(wb, lambda b: OutboxChannel(box, "t"), NOW, AS_OF).to_json()["sent"] == 0


def poor_payers(*rows_of):
    """Customers (code, type, segment) that paid four invoices 3 months late and owe 5000 since
    December: graded E on AS_OF and a week before. Clients gets a segment column."""
    customers = [[*customer(cid, type_client=kind), segment] for cid, kind, segment in rows_of]
    invoices, payments = [], []
    for cid, _, _ in rows_of:
        for i in range(4):
            invoices.append(invoice(f"{cid}-P{i}", cid, "2024-06-01", "2024-07-01", 1000))
            payments.append(payment("2024-10-15", 1000, f"{cid}-P{i}"))
        invoices += [invoice(f"{cid}-F1", cid, "2025-01-01", "2025-03-26", 1000),
                     invoice(f"{cid}-F3", cid, "2024-11-01", "2024-12-01", 5000)]
    return [[*CUSTOMERS_HEADER, "segment"], *customers], invoices, payments


def test_a_poor_payer_moves_to_the_risk_scenario_only_a_known_business_on_the_default_ladder():
    scen = [["scenario", "etape", "decalage_jours", "canal", "modele", "solde_minimum", "validation_requise"],
            ["risque", "vite", 3, "email", "reminder_1", 0, "non"]]
    clients, invoices, payments = poor_payers(
        ("C1", "B2B", ""), ("C2", "B2C", ""), ("C3", "", ""), ("C4", "B2B", "grands_comptes"), ("C5", "B2B", "pme"))
    wb = workbook([], invoices, payments, Scenarios=scen, Clients=clients)
    snap = snapshot(wb, NOW, AS_OF)
    by_customer = {a.customer_id: a.scenario for a in snap.plan.actions}
    assert by_customer == {
        "C1": "risque",           # a business graded E, on the default ladder: moved
        "C2": "standard",         # a consumer: the grade is only advice (GDPR Art. 22)
        "C3": "standard",         # unknown type: not known to be a business
        "C4": "grands_comptes",   # a key account: its segment chose its ladder, never replaced
        "C5": "risque",           # a segment that names no scenario chooses nothing
    }


def test_a_move_keeps_every_approval_of_the_default_ladder():
    # default ladder grands_comptes (firm steps need approval), shipped `risque` (they do not)
    clients, invoices, payments = poor_payers(("C1", "B2B", ""), ("C2", "B2B", "risque"))
    wb = workbook([], invoices, payments, settings={"default_scenario": "grands_comptes"}, Clients=clients)
    snap = snapshot(wb, NOW, AS_OF)
    assert {a.customer_id: a.scenario for a in snap.plan.actions} == {"C1": "risque+grands_comptes", "C2": "risque"}
    guarded, plain = snap.book.scenarios["risque+grands_comptes"], snap.book.scenarios["risque"]
    needs = {s.name for s in guarded.steps if s.requires_approval}
    assert needs == {"reminder_2", "reminder_2_sms", "formal_notice", "formal_notice_letter", "handoff"}
    assert {s.name for s in plain.steps if s.requires_approval} == {"handoff"}  # C2 chose it as it is
    for a in snap.plan.actions:
        ladder = snap.book.scenarios[a.scenario]
        step = ladder.step(a.step)
        assert step is not None and a.requires_approval >= step.requires_approval


def test_a_customer_never_gets_two_messages_within_the_cooldown(tmp_path: Path):
    wb = workbook([customer("C1")],
                  [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000),
                   invoice("F2", "C1", "2025-01-01", "2025-04-07", 500)], settings={"grouping": "invoice"})
    box = tmp_path / "out"

    def day(d):
        result = run(wb, lambda b: OutboxChannel(box, "t"), on(d), anytime=True).to_json()
        return [(a["invoice_ids"], a["step"]) for a in result["actions"]], {s["reason"] for s in result["skips"]}

    assert day(AS_OF) == ([(["F1"], "notice")], {"courtesy_past"})  # F2's courtesy starts on 2 April (J-5)
    sent, skipped = day(dt.date(2025, 4, 2))  # two days after F1's notice
    assert sent == [] and skipped == {"cooldown"}
    assert day(dt.date(2025, 4, 3)) == ([(["F1"], "reminder_1"), (["F2"], "courtesy")], set())  # late, never lost
    keys = [r[2] for r in wb.tabs["Historique"][1:]]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("now, reason", [
    (dt.datetime(2025, 4, 6, 10, 0, tzinfo=dt.UTC), "weekend"),                        # a Sunday
    (dt.datetime(2025, 4, 21, 10, 0, tzinfo=dt.UTC), "public holiday: Lundi de Pâques"),
    (dt.datetime(2025, 4, 7, 6, 30, tzinfo=dt.UTC), "before 9:00 Europe/Paris"),       # 08:30 in Paris
])
def test_the_daily_run_waits_for_its_send_window(tmp_path: Path, now, reason):
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-24", 1000)], Scenarios=CLASSIC)
    box = tmp_path / "out"
    waited = run(wb, lambda b: OutboxChannel(box, "t"), now).to_json()
    assert waited["sent"] == 0 and waited["deferred"] == reason and waited["next_window"]
    assert "Historique" not in wb.tabs and not list(box.glob("*.eml"))
    forced = run(wb, lambda b: OutboxChannel(box, "t"), now, anytime=True).to_json()
    assert forced["sent"] == 1
    # a run for another day (--as-of) is not gated: it is a simulation, which sends nothing anyway
    other = run(wb, lambda b: OutboxChannel(box, "t", simulation=dt.date(2025, 5, 20)), now,
                dt.date(2025, 5, 20)).to_json()
    assert other["deferred"] is None and other["simulation"] and other["sent"] == 0


def test_moselle_keeps_26_december(tmp_path: Path):
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-11-01", "2025-12-18", 1000)],
                  settings={"holiday_country": "FR-57"})
    box_now = dt.datetime(2025, 12, 26, 10, 0, tzinfo=dt.UTC)  # a Friday
    assert run(wb, lambda b: OutboxChannel(tmp_path / "a", "t"), box_now).to_json()["deferred"] \
        .startswith("public holiday")
    paris = workbook([customer("C1")], [invoice("F1", "C1", "2025-11-01", "2025-12-18", 1000)])
    assert run(paris, lambda b: OutboxChannel(tmp_path / "b", "t"), box_now).to_json()["deferred"] \
        is None


def test_a_letter_step_files_a_formal_notice_pdf(tmp_path: Path):
    import shutil
    import subprocess

    scen = [["scenario", "etape", "decalage_jours", "canal", "modele", "solde_minimum", "validation_requise"],
            ["standard", "r1", 7, "email", "reminder_1", 0, "non"],
            ["standard", "mise_en_demeure", 30, "letter", "formal_notice", 0, "non"]]
    wb = workbook([customer("C1"), customer("C2")],
                  [invoice("F1", "C1", "2025-01-01", "2025-02-27", 1000),
                   invoice("F2", "C2", "2025-01-01", "2025-02-27", 800)],
                  settings={"company_address": "12 rue des Artisans; 69003 Lyon", "company_city": "Lyon"},
                  Scenarios=scen)
    wb.tabs["Clients"][0] += ["adresse", "code_postal", "ville"]
    wb.tabs["Clients"][1] += ["3 place Bellecour", "69002", "Lyon"]
    wb.tabs["Clients"][2] += [None, None, None]  # C2 has no postal address
    box = tmp_path / "out"
    baseline(wb, NOW, "r1", AS_OF - dt.timedelta(days=10))  # both were reminded by e-mail before relance
    result = run(wb, lambda b: OutboxChannel(box, "t"), NOW, AS_OF).to_json()
    assert [(a["customer_id"], a["channel"], a["status"]) for a in result["actions"]] == [("C1", "letter", "sent")]
    assert [(s["customer_id"], s["reason"]) for s in result["skips"]] == [("C2", "no_address")]
    pdf = next(box.glob("C1_mise_en_demeure_*.pdf"))
    history = wb.tabs["Historique"][-1]
    assert (history[7], history[9]) == ("courrier", "envoyé") and history[8] == "3 place Bellecour, 69002 Lyon"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "mise en demeure" in text.lower() and "F1" in text and "Lyon, le 31 mars 2025" in text
    rerun = run(wb, lambda b: OutboxChannel(box, "t"), NOW, AS_OF).to_json()
    assert rerun["sent"] == 0 and len(list(box.glob("*.pdf"))) == 1


@pytest.mark.parametrize("outcome, date, reason", [
    ("promesse", "2025-04-10", "promise"),
    ("litige", None, "disputed"),
    ("pas de réponse", None, None),
])
def test_the_outcome_of_a_call_task_acts_on_the_next_run(tmp_path: Path, outcome, date, reason):
    scen = [["scenario", "etape", "decalage_jours", "canal", "modele", "solde_minimum", "validation_requise"],
            ["standard", "appel", 21, "call", "", 0, "non"],
            ["standard", "relance", 30, "email", "reminder_2", 0, "non"]]
    wb = workbook([customer("C1", telephone="06 12 34 56 78")],
                  [invoice("F1", "C1", "2025-01-01", "2025-03-09", 1000)], Scenarios=scen)
    box = tmp_path / "out"
    first = run(wb, lambda b: OutboxChannel(box, "t"), NOW, AS_OF).to_json()  # J+22: the call task
    assert [(a["channel"], a["status"]) for a in first["actions"]] == [("call", "created")]
    tasks = wb.tabs["Taches"]
    header = tasks[0]
    assert tasks[1][header.index("telephone")] == "06 12 34 56 78"
    tasks[1][header.index("resultat")] = outcome
    tasks[1][header.index("date_resultat")] = date
    later = run(wb, lambda b: OutboxChannel(box, "t"), on(dt.date(2025, 4, 9)), anytime=True).to_json()  # J+31
    if reason is None:
        assert [a["step"] for a in later["actions"]] == ["relance"]
    else:
        assert later["actions"] == [] and {s["reason"] for s in later["skips"]} == {reason}
    if reason == "promise":  # promised 10 April + 3 days of grace: the ladder resumes on the 14th
        resumed = run(wb, lambda b: OutboxChannel(box, "t"), on(dt.date(2025, 4, 14)), anytime=True).to_json()
        assert [a["step"] for a in resumed["actions"]] == ["relance"]
    assert wb.tabs["Taches"][1][header.index("resultat")] == outcome  # the user's entry is kept


def test_the_hand_off_task_comes_with_the_agency_package(tmp_path: Path):
    import csv
    import io
    import zipfile

    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-02-27", 1000)], Scenarios=CLASSIC)
    box = tmp_path / "out"
    baseline(wb, NOW, "reminder_2", AS_OF - dt.timedelta(days=10))  # reminded by hand before relance
    run(wb, lambda b: OutboxChannel(box, "t"), NOW, AS_OF)  # J+32: the formal notice e-mail
    waiting = run(wb, lambda b: OutboxChannel(box, "t"), on(dt.date(2025, 4, 20)), anytime=True).to_json()  # J+52
    assert [(a["step"], a["status"]) for a in waiting["actions"]] == [("handoff", "awaiting_approval")]
    assert not list(box.glob("*.zip"))  # nothing is prepared for an agency before a person decides
    wb.tabs["A_valider"][1][0] = "oui"
    later = run(wb, lambda b: OutboxChannel(box, "t"), on(dt.date(2025, 4, 20)), anytime=True).to_json()
    assert [(a["step"], a["status"]) for a in later["actions"]] == [("handoff", "created")]
    package = next(box.glob("C1_dossier_recouvrement_*.zip"))
    with zipfile.ZipFile(package) as z:
        names = z.namelist()
        dossier = list(csv.reader(io.StringIO(z.read("dossier.csv").decode("utf-8-sig")), delimiter=";"))
    assert "synthese.pdf" in names and "relances.csv" in names
    assert any(n.startswith("preuves/C1_formal_notice_") and n.endswith(".eml") for n in names)
    assert dossier[1][0] == "F1"
    task = wb.tabs["Taches"][1]
    assert package.name in task[10]  # the script names the package


def test_a_broken_promise_resumes_at_the_next_step_once_and_is_said(tmp_path: Path):
    promesses = [["code_client", "numeros_factures", "date_promise", "montant", "source", "statut"],
                 ["C1", "F1", "2025-04-10", 1000, "téléphone", "ouverte"]]
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-14", 1000)], Promesses=promesses)
    box = tmp_path / "out"
    first = run(wb, lambda b: OutboxChannel(box, "t"), on(dt.date(2025, 3, 29)), anytime=True).to_json()  # J+15, paused
    assert first["actions"] == [] and {s["reason"] for s in first["skips"]} - {"courtesy_past"} == {"promise"}
    assert run(wb, lambda b: OutboxChannel(box, "t"), on(dt.date(2025, 4, 12)), anytime=True).to_json()["actions"] == []
    # 10 April + 3 days of grace: broken on the 14th, said, and the step due then leaves
    resumed = run(wb, lambda b: OutboxChannel(box, "t"), on(dt.date(2025, 4, 14)), anytime=True)
    data = resumed.to_json()
    assert [a["step"] for a in data["actions"]] == ["notice"]  # nothing was sent before: the first step
    assert any(a.code == "R415" and "broken" in a.problem.en for a in resumed.snapshot.anomalies)
    again = run(wb, lambda b: OutboxChannel(box, "t"), on(dt.date(2025, 4, 16)), anytime=True).to_json()
    assert again["actions"] == []  # once, not every day


def test_a_broken_promise_resumes_the_ladder_at_its_next_step(tmp_path: Path):
    promesses = [["code_client", "numeros_factures", "date_promise", "montant", "source", "statut"],
                 ["C1", "F1", "2025-03-24", 1000, "téléphone", "ouverte"]]
    wb = workbook([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-14", 1000)])
    box = tmp_path / "out"
    sent = run(wb, lambda b: OutboxChannel(box, "t"), on(dt.date(2025, 3, 21)), anytime=True).to_json()  # J+7
    assert [a["step"] for a in sent["actions"]] == ["notice"]
    wb.tabs["Promesses"] = promesses  # the customer promised the 24th, then did not pay
    paused = run(wb, lambda b: OutboxChannel(box, "t"), on(dt.date(2025, 3, 26)), anytime=True).to_json()  # J+12
    assert paused["actions"] == []
    early = run(wb, lambda b: OutboxChannel(box, "t"), on(dt.date(2025, 3, 28)), anytime=True).to_json()  # J+14, broken
    assert [a["step"] for a in early["actions"]] == ["reminder_1"]  # the next step once the promise is broken
    assert run(wb, lambda b: OutboxChannel(box, "t"), on(dt.date(2025, 3, 29)), anytime=True).to_json()["actions"] == []
