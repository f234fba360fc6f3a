"""Ladders read from the Scenarios tab and the presets (engine/scenario.py): every problem on the row
and cell of the step at fault, a broken ladder recorded in `Book.broken_scenarios` (never replaced
by a preset or another ladder), and the optional `min_gap_days` of a step."""

from decimal import Decimal

import pytest

from books import CLASSIC, STANDARD, book, ladder, step
from conftest import CLASSIC as CLASSIC_TAB
from conftest import SCENARIOS_HEADER, customer, invoice
from relance.app.resources import shipped_contract, shipped_presets
from relance.engine.anomaly import Source
from relance.engine.scenario import parse_presets
from relance.engine.table import Collector

HEADER = [*SCENARIOS_HEADER, "ecart_min_jours"]  # A scenario, B etape, C decalage_jours, D canal, E modele,
#                                                  F solde_minimum, G validation_requise, H ecart_min_jours


def loaded(*rows, header=HEADER, presets=(STANDARD,)):
    return book([customer("C1")], [invoice("F1", "C1", "2025-01-01", "2025-03-01", 1000)],
                scenarios=presets, Scenarios=[header, *rows])


def found(b, *codes):
    return [(f"{a.source.tab}!{a.source.cell}", a.code) for a in b.anomalies if a.code in codes]


SCENARIO_CODES = ("R501", "R502", "R503", "R504", "R505", "R510", "R511", "R512", "R513", "R514", "R515")


def test_each_anomaly_of_a_broken_ladder_is_on_the_row_and_cell_of_its_step():
    b = loaded(
        ["export", "r1", 7, "email", "reminder_1", 0, "non", None],            # row 2: fine
        ["export", "r2", "J+quinze", "email", "reminder_2", 0, "non", None],   # row 3: offset unreadable
        ["export", "r3", 30, "fax", "formal_notice", 0, "non", None],          # row 4: no such channel
        ["export", "r1", 40, "email", "reminder_1", 0, "non", None],           # row 5: r1 again
        ["export", "r5", 7, "email", None, 0, "non", None],                    # row 6: no template, 2nd J+7 e-mail
        ["export", "r6", 50, "email", "reminder_2", -10, "non", None],         # row 7: negative threshold
        ["export", "r7", 60, "email", "reminder_2", "beaucoup", "non", None],  # row 8: not an amount
        ["export", "r8", 70, "email", "reminder_2", 0, "non", -2],             # row 9: negative gap
        ["export", "r9", 80, "email", "reminder_2", 0, "non", "2,5"],          # row 10: not a whole number
        ["export", None, 90, "email", "reminder_2", 0, "non", None],           # row 11: no step name
    )
    assert found(b, *SCENARIO_CODES) == [
        ("Scenarios!C3", "R511"),
        ("Scenarios!D4", "R501"),
        ("Scenarios!B5", "R502"),
        ("Scenarios!E6", "R505"),
        ("Scenarios!C6", "R503"),
        ("Scenarios!F7", "R504"),
        ("Scenarios!F8", "R512"),
        ("Scenarios!H9", "R515"),
        ("Scenarios!H10", "R515"),
        ("Scenarios!B11", "R510"),
    ]
    assert all(a.severity == "error" for a in b.anomalies if a.code in SCENARIO_CODES)
    said = next(str(a) for a in b.anomalies if a.code == "R501")
    assert said == ("Scenarios!D4: 'fax' is not a channel (scenario export, step r3); scenario export is not "
                    "used, and its customers get no reminder until this is fixed; use one of: email, sms, "
                    "letter, call, agency")
    assert "export" not in b.scenarios
    assert b.broken_scenarios == {"export": Source("Scenarios", 3, 2, "decalage_jours")}  # the first cell to fix


def test_a_broken_ladder_named_like_a_preset_is_not_replaced_by_the_preset():
    b = loaded(["standard", "r1", 7, "email", "reminder_1", 0, "non", None],
               ["standard", "r2", 15, "pigeon", "reminder_2", 0, "non", None])
    assert "standard" not in b.scenarios  # neither the tab's ladder nor the shipped one
    assert b.broken_scenarios == {"standard": Source("Scenarios", 3, 3, "canal")}
    # the default scenario is broken, not unknown: R094 would send the user looking for a typo
    assert [a.code for a in b.anomalies if a.code == "R094"] == []


def test_a_broken_ladder_leaves_the_others_alone():
    b = loaded(["export", "r1", 7, "email", "reminder_1", 0, "non", None],
               ["export", "r2", 15, "email", "reminder_2", 0, "peut-être", "x"],
               ["doux", "d1", 10, "email", "reminder_1", 0, "non", None],
               ["doux", "d2", 20, "sms", "reminder_2", "50", "oui", 5])
    assert set(b.broken_scenarios) == {"export"}
    assert b.broken_scenarios["export"].row == 3
    assert b.scenarios["standard"] == STANDARD  # the preset, untouched
    doux = b.scenarios["doux"]
    assert [(s.name, s.offset_days, s.channel, s.min_balance, s.requires_approval, s.min_gap_days)
            for s in doux.steps] == [("d1", 10, "email", Decimal(0), False, None),
                                     ("d2", 20, "sms", Decimal(50), True, 5)]
    assert [s.source for s in doux.steps] == [Source("Scenarios", 4), Source("Scenarios", 5)]
    assert doux.source == Source("Scenarios", 4)


def test_a_scenario_in_good_order_loads_without_a_remark():
    b = loaded(*[[*row, None] for row in CLASSIC_TAB[1:]])
    assert found(b, *SCENARIO_CODES) == [] and b.broken_scenarios == {}
    assert b.scenarios["standard"].steps == CLASSIC.steps


def test_steps_out_of_order_are_a_warning_on_the_first_row_out_of_place():
    b = loaded(["lent", "b", 15, "email", "reminder_2", 0, "non", None],
               ["lent", "a", 7, "email", "reminder_1", 0, "non", None],
               ["lent", "c", 30, "email", "formal_notice", 0, "non", None])
    assert found(b, *SCENARIO_CODES) == [("Scenarios!C3", "R513")]
    assert [s.name for s in b.scenarios["lent"].steps] == ["a", "b", "c"]
    assert b.broken_scenarios == {}


def test_an_unreadable_approval_makes_the_step_wait_for_a_person():
    b = loaded(["prudent", "r1", 7, "email", "reminder_1", 0, "peut-être", None])
    assert found(b, *SCENARIO_CODES) == [("Scenarios!G2", "R514")]
    assert [a.severity for a in b.anomalies if a.code == "R514"] == ["warning"]
    assert b.scenarios["prudent"].steps[0].requires_approval is True
    assert b.broken_scenarios == {}


def test_a_row_without_a_scenario_name_is_ignored_and_said():
    b = loaded([None, "r1", 7, "email", "reminder_1", 0, "non", None],
               ["doux", "d1", 10, "email", "reminder_1", 0, "non", None])
    assert found(b, *SCENARIO_CODES) == [("Scenarios!A2", "R510")]
    assert set(b.broken_scenarios) == set() and "doux" in b.scenarios


@pytest.mark.parametrize("cell, expected", [(None, None), (0, 0), (3, 3), ("4", 4), (5.0, 5), ("J+2", 2)])
def test_min_gap_days_is_read_from_its_column(cell, expected):
    b = loaded(["doux", "d1", 10, "email", "reminder_1", 0, "non", cell])
    assert found(b, *SCENARIO_CODES) == []
    assert b.scenarios["doux"].steps[0].min_gap_days == expected


def test_min_gap_days_in_english_and_its_place_in_the_contract():
    column = shipped_contract().tab("scenarios").column("min_gap_days")
    assert (column.en, column.fr, column.type, column.required) == ("Minimum gap in days", "Écart minimum en jours",
                                                                    "int", False)
    assert {"min_gap_days", "ecart_min_jours"} <= column.names()  # the earlier template's headers
    header = ["scenario", "step", "offset_days", "channel", "template", "min_balance", "requires_approval",
              "min_gap_days"]
    b = loaded(["gentle", "g1", 10, "email", "reminder_1", 0, "no", 6], header=header)
    assert b.scenarios["gentle"].steps[0].min_gap_days == 6
    # without the column (every workbook written before it existed), no step has a gap of its own
    b = loaded(["gentle", "g1", 10, "email", "reminder_1", 0, "non"], header=SCENARIOS_HEADER)
    assert b.scenarios["gentle"].steps[0].min_gap_days is None


def test_min_gap_days_in_a_preset():
    documents = {
        "scenarios/ok.yaml": {"name": "ok", "steps": [
            {"step": "a", "offset_days": 7, "channel": "email", "template": "reminder_1", "min_gap_days": 5},
            {"step": "b", "offset_days": 15, "channel": "email", "template": "reminder_2"}]},
        "scenarios/negative.yaml": {"name": "negative", "steps": [
            {"step": "a", "offset_days": 7, "channel": "email", "template": "reminder_1", "min_gap_days": -1}]},
        "scenarios/text.yaml": {"name": "text", "steps": [
            {"step": "a", "offset_days": 7, "channel": "email", "template": "reminder_1", "min_gap_days": "x"}]},
    }
    out = Collector()
    presets = parse_presets(documents, out)
    assert set(presets) == {"ok"}
    assert [s.min_gap_days for s in presets["ok"].steps] == [5, None]
    assert [(a.source.tab, a.code) for a in out.items] == [("scenarios/negative.yaml", "R515"),
                                                           ("scenarios/text.yaml", "R515")]


def test_the_shipped_presets_still_load_and_compare_without_their_rows():
    presets = shipped_presets()
    assert {"standard", "grands_comptes", "risque", "particuliers"} <= set(presets)
    # a step read from a row equals the same step written in code: the row is where, not what
    assert ladder("x", step("a", 7)).steps[0] == ladder("x", step("a", 7)).steps[0]
    tab = loaded(["x", "a", 7, "email", "a", 0, "non", None]).scenarios["x"].steps[0]
    assert tab.source == Source("Scenarios", 2) and tab == step("a", 7)
