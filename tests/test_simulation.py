"""A run dated another day than today never really sends (app/jobs.run, app/connect.open_channel).

`relance run --as-of 2026-11-23` on 1 December would file letters dated 23 November whose deadline
is the day they are produced: it is a simulation. The outbox files it in `simulation-<as_of>/`,
History says `simulated` (not sent, never blocking), and a later real run sends the same
messages, once. Any other channel refuses a dated run.
"""

import datetime as dt
from pathlib import Path

import pytest

from books import book
from conftest import CLASSIC, NOW, customer, invoice, workbook
from french import assert_french
from relance.app.connect import open_channel
from relance.app.jobs import run
from relance.channels.outbox import OutboxChannel
from relance.engine.errors import ConfigError
from relance.engine.tab_values import STATUSES, key_of

TODAY = NOW.date()  # 2025-03-31, 9:00 in Paris: the send window is open
A_WEEK_AGO = dt.date(2025, 3, 24)


def ledger():
    """F1 due 17 March: J+7 a week ago, J+14 today; the classic ladder's reminder_1 both days."""
    return workbook([customer("C1")], [invoice("F1", "C1", "2025-01-15", "2025-03-17", 1000)], Scenarios=CLASSIC)


def history(wb):
    """(step, status, detail) of each History row, the status read back to its key (the tab
    shows it in French: « simulé »)."""
    return [(r[6], key_of(STATUSES, r[9]), r[13]) for r in wb.tabs.get("Historique", [[]])[1:]]


def test_a_dated_run_is_filed_as_a_simulation_and_the_real_run_still_sends_once(tmp_path: Path):
    wb, box = ledger(), tmp_path / "out"
    dated = run(wb, open_channel("outbox", "book.xlsx", NOW, box, A_WEEK_AGO), NOW, A_WEEK_AGO)
    data = dated.to_json()
    assert data["simulation"] is True and dated.simulation and dated.today == TODAY
    assert (data["sent"], data["simulated"], data["failed"]) == (0, 1, 0)
    assert [(a["step"], a["status"]) for a in data["actions"]] == [("reminder_1", "simulated")]
    assert data["outbox"] == str(box / "simulation-2025-03-24")
    filed = list((box / "simulation-2025-03-24").glob("*.eml"))
    assert len(filed) == 1 and "Date: Mon, 31 Mar 2025" in filed[0].read_text()
    assert not list(box.glob("*.eml")) and not (box / "index.jsonl").exists()  # nothing in the real outbox
    [(step, status, detail)] = history(wb)
    assert (step, status) == ("reminder_1 (J+7)", "simulated")  # a Scenarios-tab step without a label
    assert detail.startswith("Simulation classée sous simulation-2025-03-24/C1_reminder_1_")  # for people
    assert_french(detail)

    # later, the real run of the day: the simulated row blocks nothing and counts for nothing
    real = run(wb, open_channel("outbox", "book.xlsx", NOW, box), NOW).to_json()
    assert real["simulation"] is False and real["settled_pending"] == 0
    assert [(a["step"], a["status"]) for a in real["actions"]] == [("reminder_1", "sent")]
    assert real["actions"][0]["action_key"] == data["actions"][0]["action_key"]  # the very same message
    assert len(list(box.glob("*.eml"))) == 1 and len((box / "index.jsonl").read_text().splitlines()) == 1
    assert [s for _, s, _ in history(wb)] == ["simulated", "sent"]
    again = run(wb, open_channel("outbox", "book.xlsx", NOW, box), NOW).to_json()
    assert again["sent"] == 0 and again["actions"] == []  # exactly once
    assert len(list(box.glob("*.eml"))) == 1


def test_a_simulation_repeated_files_nothing_twice_and_still_never_blocks(tmp_path: Path):
    wb, box = ledger(), tmp_path / "out"
    for _ in range(2):
        data = run(wb, open_channel("outbox", "book.xlsx", NOW, box, A_WEEK_AGO), NOW, A_WEEK_AGO).to_json()
        assert data["simulated"] == 1 and data["sent"] == 0  # simulated rows do not stop a simulation either
    assert len(list((box / "simulation-2025-03-24").glob("*.eml"))) == 1
    assert run(wb, open_channel("outbox", "book.xlsx", NOW, box), NOW).to_json()["sent"] == 1


def test_a_simulation_cut_short_is_settled_as_simulated_and_the_real_run_sends(tmp_path: Path, monkeypatch):
    wb, box = ledger(), tmp_path / "out"

    def power_cut(self, message):
        raise KeyboardInterrupt("power cut")

    with monkeypatch.context() as m:
        m.setattr(OutboxChannel, "send", power_cut)
        with pytest.raises(KeyboardInterrupt):
            run(wb, open_channel("outbox", "book.xlsx", NOW, box, A_WEEK_AGO), NOW, A_WEEK_AGO)
    assert [s for _, s, _ in history(wb)] == ["pending"]  # written before anything left, as always
    real = run(wb, open_channel("outbox", "book.xlsx", NOW, box), NOW).to_json()
    assert real["settled_pending"] == 1 and real["sent"] == 1
    assert [s for _, s, _ in history(wb)] == ["simulated", "sent"]
    assert history(wb)[0][2] == "Simulation interrompue\u00a0: rien n'a été envoyé"


def test_a_simulation_cut_short_by_an_older_version_is_known_by_its_english_detail(tmp_path: Path, monkeypatch):
    """A `pending` row written before History had its as_of and via columns said "via simulation"
    in its detail: still settled `simulated`, and the real run sends."""
    wb, box = ledger(), tmp_path / "out"

    def power_cut(self, message):
        raise KeyboardInterrupt("power cut")

    with monkeypatch.context() as m:
        m.setattr(OutboxChannel, "send", power_cut)
        with pytest.raises(KeyboardInterrupt):
            run(wb, open_channel("outbox", "book.xlsx", NOW, box, A_WEEK_AGO), NOW, A_WEEK_AGO)
    header, *rows = wb.tabs["Historique"]
    wb.tabs["Historique"] = [header[:14], *[[*r[:13], "via simulation; as of 2025-03-24"] for r in rows]]
    real = run(wb, open_channel("outbox", "book.xlsx", NOW, box), NOW).to_json()
    assert real["settled_pending"] == 1 and real["sent"] == 1
    assert [s for _, s, _ in history(wb)] == ["simulated", "sent"]
    assert history(wb)[0][2] == "via simulation; as of 2025-03-24\u202f; simulation interrompue\u00a0: rien n'a été envoyé"


def test_a_simulation_creates_no_task_and_leaves_approvals_ticked(tmp_path: Path):
    scen = [CLASSIC[0], ["prudent", "r1", 7, "email", "reminder_1", 0, "oui"],  # waits for a person
            ["appels", "appel", 7, "call", "", 0, "non"]]                      # a task for a person
    wb = workbook([customer("C1"), customer("C2", telephone="06 12 34 56 78")],
                  [invoice("F1", "C1", "2025-01-15", "2025-03-22", 1000),
                   invoice("F2", "C2", "2025-01-15", "2025-03-19", 500)], Scenarios=scen)
    wb.tabs["Clients"][0] += ["scenario"]
    wb.tabs["Clients"][1] += ["prudent"]
    wb.tabs["Clients"][2] += ["appels"]
    box = tmp_path / "out"
    first = run(wb, open_channel("outbox", "book.xlsx", NOW, box), NOW).to_json()
    assert [(a["customer_id"], a["status"]) for a in first["actions"]] == [("C1", "awaiting_approval"),
                                                                          ("C2", "created")]
    wb.tabs["A_valider"][1][0] = "oui"  # a person approves C1's reminder
    plan_tab, tasks_tab = [list(map(list, wb.tabs[t])) for t in ("A_valider", "Taches")]
    wb.tabs["Taches"] = tasks_tab[:1]  # as if the call task had not been made yet
    wb.tabs["Historique"] = wb.tabs["Historique"][:1]

    tomorrow = TODAY + dt.timedelta(days=1)  # dated ahead is a simulation too
    simulated = run(wb, open_channel("outbox", "book.xlsx", NOW, box, tomorrow), NOW, tomorrow).to_json()
    assert [(a["customer_id"], a["status"]) for a in simulated["actions"]] == [("C1", "simulated"),
                                                                              ("C2", "simulated")]
    assert simulated["tasks_created"] == simulated["sent"] == 0
    assert wb.tabs["A_valider"] == plan_tab  # the approval is still ticked, for the real run
    assert wb.tabs["Taches"] == tasks_tab[:1]  # no task for a person to act on
    assert [(step, status) for step, status, _ in history(wb)] == [("r1 (J+7)", "simulated"), ("appel (J+7)", "simulated")]
    assert history(wb)[1][2].endswith("\u202f; simulation (simulation-2025-04-01)\u00a0: aucune tâche créée")
    for _, _, detail in history(wb):
        assert_french(detail)

    real = run(wb, open_channel("outbox", "book.xlsx", NOW, box), NOW).to_json()
    assert [(a["customer_id"], a["status"]) for a in real["actions"]] == [("C1", "sent"), ("C2", "created")]
    assert len(wb.tabs["Taches"]) == 2


def test_a_dated_run_through_a_real_transport_is_refused_and_writes_nothing(tmp_path: Path):
    wb, box = ledger(), tmp_path / "out"
    with pytest.raises(ConfigError, match="is only a simulation, and channel 'outbox' would really send"):
        run(wb, lambda b: OutboxChannel(box, "t"), NOW, A_WEEK_AGO)
    assert "Historique" not in wb.tabs and not list(box.glob("*.eml"))


def test_as_of_today_is_a_real_run_and_a_dry_run_works_for_any_date(tmp_path: Path):
    wb, box = ledger(), tmp_path / "out"
    dry = run(wb, open_channel("outbox", "book.xlsx", NOW, box, A_WEEK_AGO), NOW, A_WEEK_AGO, dry_run=True)
    assert dry.to_json()["simulation"] is False and dry.to_json()["planned"] == 1 and not box.exists()
    dry = run(wb, open_channel("mailjet", "book.xlsx", NOW, box, A_WEEK_AGO), NOW, A_WEEK_AGO, dry_run=True)
    assert dry.to_json()["actions"][0]["status"] == "planned"
    today = run(wb, open_channel("outbox", "book.xlsx", NOW, box, TODAY), NOW, TODAY).to_json()
    assert today["simulation"] is False and today["sent"] == 1


@pytest.mark.parametrize("name", ["mailjet", "smtp"])
def test_any_other_channel_refuses_a_dated_run_and_says_why(tmp_path: Path, name):
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-15", "2025-03-17", 1000)])
    factory = open_channel(name, "book.xlsx", NOW, tmp_path, A_WEEK_AGO)
    with pytest.raises(ConfigError) as refused:
        factory(b)
    assert refused.value.exit_code == 2
    assert refused.value.message.replace("\u00a0", " ") == (  # dates in prose (issue 10)
        f"--as-of 24 March 2025 is not today (31 March 2025 in Europe/Paris): a dated run is only a simulation, "
        f"and channel {name!r} would really deliver messages dated 24 March 2025")
    assert "--channel outbox" in refused.value.hint and "--dry-run" in refused.value.hint
    # for today, the channel opens once its settings are in the environment (none here: said)
    needed = {"mailjet": "MAILJET_API_KEY MAILJET_API_SECRET", "smtp": "SMTP_HOST"}[name]
    with pytest.raises(ConfigError, match=needed):
        open_channel(name, "book.xlsx", NOW, tmp_path, TODAY, environ={})(b)
    with pytest.raises(ConfigError, match=needed):
        open_channel(name, "book.xlsx", NOW, tmp_path, environ={})(b)
    with pytest.raises(ConfigError, match="not a channel relance knows"):
        open_channel("pigeon", "book.xlsx", NOW, tmp_path, A_WEEK_AGO)


def test_today_is_the_workbooks_day_not_the_servers(tmp_path: Path):
    """23:30 UTC on 31 March is already 1 April in Paris: --as-of 2025-04-01 is today there."""
    late = dt.datetime(2025, 3, 31, 23, 30, tzinfo=dt.UTC)
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-15", "2025-03-17", 1000)])
    assert open_channel("outbox", "book.xlsx", late, tmp_path, dt.date(2025, 4, 1))(b).name == "outbox"
    sim = open_channel("outbox", "book.xlsx", late, tmp_path, dt.date(2025, 3, 31))(b)
    assert sim.name == "simulation" and sim.location == str(tmp_path / "simulation-2025-03-31")
    tokyo = book([customer("C1")], [invoice("F1", "C1", "2025-01-15", "2025-03-17", 1000)],
                 {"timezone": "Asia/Tokyo"})
    assert open_channel("outbox", "book.xlsx", NOW, tmp_path, TODAY)(tokyo).name == "outbox"
