"""What relance ships beside its code, read once per process: the workbook contract, the preset
scenarios, the message templates and the HTML report's templates.

The engine and render layers receive these as values; only this module reads the files. In a
wheel they are under relance/_data; in a source checkout (editable install) at the repo root.
What is cached here is immutable (frozen records, read-only mappings), so two calls in one warm
process (a Cloud Functions instance) cannot leak anything into each other.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from relance.engine.catalog import console
from relance.engine.contract import Contract, parse_contract
from relance.engine.errors import ConfigError
from relance.engine.scenario import Scenario, parse_presets
from relance.engine.table import Collector
from relance.render.messages import TemplateFiles

try:  # libyaml's parser: the same documents as yaml.safe_load, ten times faster (tests/test_resources.py)
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover (PyYAML built without libyaml)
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

_HERE = Path(__file__).resolve().parent
_PACKAGE = _HERE.parent


def data_dir(name: str) -> Path:
    """The folder of shipped data `name` (scenarios, sheet_templates)."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"relance data folder {name!r} not found (broken installation)")


def load_yaml(text: str) -> Any:
    """`yaml.safe_load(text)`, parsed by libyaml when PyYAML has it (the same safe constructor and
    resolver: the same values)."""
    return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 (a safe loader)


@cache
def shipped_contract() -> Contract:
    """The workbook contract of sheet_templates/workbook.yaml."""
    raw = load_yaml((data_dir("sheet_templates") / "workbook.yaml").read_text("utf-8"))
    return parse_contract(raw)


def read_presets(folder: Path, out: Collector) -> dict[str, Scenario]:
    """The scenario ladders of a folder of YAML files, problems collected in `out`."""
    documents = {f"scenarios/{path.name}": load_yaml(path.read_text("utf-8")) or {}
                 for path in sorted(folder.glob("*.yaml"))}
    return parse_presets(documents, out)


@cache
def _shipped_presets() -> MappingProxyType[str, Scenario]:
    out = Collector()
    presets = read_presets(data_dir("scenarios"), out)
    if out.items:
        raise ConfigError(console.SHIPPED_SCENARIO_BROKEN(problems="; ".join(str(a) for a in out.items)),
                          console.REINSTALL())
    return MappingProxyType(presets)


def shipped_presets() -> dict[str, Scenario]:
    """The preset ladders of scenarios/ (a broken preset is a bug of the installation: it raises)."""
    return dict(_shipped_presets())


def read_templates(folder: Path) -> TemplateFiles:
    """Every `<lang>/<name>.j2` file under `folder`, keyed by (lang, file name)."""
    found = {(path.parent.name, path.name): path.read_text("utf-8")
             for path in sorted(folder.glob("*/*.j2"))}
    return MappingProxyType(found)


@cache
def message_templates() -> TemplateFiles:
    """The message templates shipped in scenarios/templates."""
    return read_templates(data_dir("scenarios") / "templates")


@cache
def report_templates() -> MappingProxyType[str, str]:
    """The HTML report's Jinja2 templates, by file name."""
    folder = resources.files("relance.render") / "report_templates"
    return MappingProxyType({entry.name: entry.read_text("utf-8") for entry in folder.iterdir()
                             if entry.name.endswith(".j2")})

