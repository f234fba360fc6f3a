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
