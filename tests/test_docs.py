"""The README documents what users can set and type (docs that are tested)."""

from pathlib import Path

from typer.main import get_command

from relance.app.resources import shipped_contract
from relance.cli import app

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    for setting in shipped_contract().settings:
        assert f"`{setting.key}`" in README, setting.key


def test_every_command_appears_in_the_tour():
    for name in get_command(app).commands:  # type: ignore[attr-defined]
        assert f"relance {name} " in README or f"relance {name}\n" in README, name


def test_exit_codes_are_documented():
    for code in range(5):
        assert f"| {code} |" in README


DOCS = Path(__file__).parents[1] / "docs"
WORKBOOK = (DOCS / "workbook.md").read_text(encoding="utf-8")
FIGURES = (DOCS / "figures.md").read_text(encoding="utf-8")


def test_the_readme_cites_only_docs_of_the_repository():
    assert "DESIGN.md" not in README and "CONVENTIONS.md" not in README
    for name in ("architecture", "workbook", "figures", "anomalies", "decisions"):
        assert f"docs/{name}.md" in README, name
    for name in ("architecture", "workbook", "figures", "decisions"):
        assert (DOCS / f"{name}.md").exists(), name


def test_every_tab_column_and_accepted_value_is_in_the_workbook_doc():
    from relance.engine.settings import CHOICES

    contract = shipped_contract()
    for tab in contract.tabs:
        assert f"### {tab.fr} / {tab.en}" in WORKBOOK, tab.key
        section = WORKBOOK.split(f"### {tab.fr} / {tab.en}", 1)[1].split("\n### ", 1)[0]
        for col in tab.columns:
            row = next((line for line in section.splitlines() if line.startswith(f"| `{col.key}` |")), None)
            assert row is not None, (tab.key, col.key)
            assert f"| {col.fr} | {col.en} |" in row, (tab.key, col.key)
            for alias in col.aliases:
                assert alias == col.key or f"`{alias}`" in row, (tab.key, col.key, alias)
            for lang in ("fr", "en"):
                for value in col.dropdown(lang):
                    assert value in section, (tab.key, col.key, value)
            for canonical, spellings in col.choices.items():
                assert f"`{canonical}`" in section, (tab.key, col.key, canonical)
                for spelling in spellings:
                    assert spelling in section, (tab.key, col.key, spelling)
    for setting in contract.settings:
        assert f"| `{setting.key}` |" in WORKBOOK, setting.key
    for key, options in CHOICES.items():
        for canonical, spellings in options.items():
            assert f"`{canonical}`" in WORKBOOK and all(f"`{s}`" in WORKBOOK for s in spellings), (key, canonical)


def _keys(value, skip_level=False):
    """Every key of a JSON value, but not the data used as keys (currency codes, step numbers)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if not skip_level:
                yield key
            yield from _keys(inner, skip_level=key in ("currencies", "by_channel"))
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


def test_every_figure_of_the_json_report_is_explained_in_the_figures_doc():
    import datetime as dt
    from dataclasses import replace

    from books import book, positions
    from conftest import customer, invoice, payment
    from relance.engine.effectiveness import StepEffect, effectiveness
    from relance.engine.kpi import dso_history
    from relance.engine.report import build_report, report_json
    from relance.engine.scoring import predicted_payment_date, risk_grades

    b = book([customer("C1")], [invoice("F1", "C1", "2026-01-10", None, 100), invoice("F2", "C1", "2026-02-01", None, 50)],
             [payment("2026-03-01", 20, "F1")])
    as_of = dt.date(2026, 3, 31)
    where = positions(b, as_of)
    risk = next(iter(risk_grades(b, where, as_of).values()))
    built = build_report(b, where, as_of, risks={("C1", "EUR"): risk},
                         predicted=predicted_payment_date(b, where, as_of))
    step = StepEffect("standard", "reminder_1", "email", 1, dict.fromkeys((7, 14, 30)), {"fr": "", "en": ""})
    every = replace(effectiveness(b, as_of), by_step=(step,))
    report = report_json(replace(built, effectiveness_all=every,
                                 effectiveness=replace(every, period=built.period)))
    report["dso_history"] = dso_history(b, as_of, months=12)
    keys = set(_keys(report)) - {"EUR"}
    assert {"countback", "1m", "12m", ">90", "amount_eur", "paid_within", "reasons"} <= keys
    for key in sorted(keys):
        assert f"`{key}`" in FIGURES, key
