"""Scenarios: ordered ladders of steps (offset from the due date, channel, template).

Presets are YAML files in scenarios/ (read by app/resources.py); the Scenarios tab replaces a preset of the same name or
adds new ones. Everything is validated on load and every problem reported at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from relance.engine import cells
from relance.engine.anomaly import Source
from relance.engine.table import Collector, Table

CHANNELS = ("email", "sms", "letter", "call", "agency")
TASK_CHANNELS = ("call", "agency")


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    offset_days: int
    channel: str
    template: str
    tone: str = ""
    min_balance: Decimal = Decimal(0)
    requires_approval: bool = False
    label_fr: str = ""
    label_en: str = ""

    def label(self, lang: str) -> str:
        return (self.label_fr if lang == "fr" else self.label_en) or self.name

    def applies_at(self, days_past_due: int) -> bool:
        """A step applies from its offset on; a step before the due date stops once it is past due."""
        if self.offset_days > days_past_due:
            return False
        return not (self.offset_days < 0 and days_past_due > 0)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]  # by offset
    source: Source = Source("scenarios", 1)

    def stage(self, days_past_due: int) -> Step | None:
        """The step with the greatest offset <= days past due (DESIGN.md §3)."""
        best: Step | None = None
        for step in self.steps:
            if step.applies_at(days_past_due) and (best is None or step.offset_days > best.offset_days):
                best = step
        return best

    def siblings(self, step: Step) -> tuple[Step, ...]:
        """The steps taken on the same day as `step` (e.g. an e-mail and an SMS at J+15), it first."""
        return (step, *(s for s in self.steps if s.offset_days == step.offset_days and s is not step))

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)


def _validated(name: str, steps: list[Step], where: Source, out: Collector) -> Scenario | None:
    ok = True
    seen: set[str] = set()
    offsets: set[tuple[int, str]] = set()
    for step in steps:
        if step.channel not in CHANNELS:
            out.add(where, step.channel, f"is not a channel (scenario {name}, step {step.name})",
                    "use one of: " + ", ".join(CHANNELS), "R501")
            ok = False
        if step.name in seen:
            out.add(where, step.name, f"is a duplicate step of scenario {name}", "give each step a unique name",
                    "R502")
            ok = False
        if (step.offset_days, step.channel) in offsets:
            out.add(where, str(step.offset_days), f"is used by two {step.channel} steps of scenario {name}",
                    "give each step its own offset_days (two steps may share a day on different channels)",
                    "R503")
            ok = False
        if step.min_balance < 0:
            out.add(where, str(step.min_balance), f"is a negative threshold (scenario {name}, step {step.name})",
                    "use 0 or a positive min_balance", "R504")
            ok = False
        if not step.template and step.channel not in TASK_CHANNELS:
            out.add(where, "", f"step {step.name} of scenario {name} has no template",
                    "name the message template of this step", "R505")
            ok = False
        seen.add(step.name)
        offsets.add((step.offset_days, step.channel))
    if not steps:
        out.add(where, name, "has no steps", "add at least one step", "R506")
        ok = False
    ordered = sorted(steps, key=lambda s: (s.offset_days, s.channel != "email"))  # the e-mail leads its day
    return Scenario(name, tuple(ordered), where) if ok else None


def parse_presets(documents: Mapping[str, Mapping[str, Any]], out: Collector) -> dict[str, Scenario]:
    """Preset ladders from their YAML documents (file name -> parsed mapping, read by app/)."""
    scenarios: dict[str, Scenario] = {}
    for filename, raw in documents.items():
        where = Source(filename, 1)
        steps = []
        for s in raw.get("steps", []):
            label = s.get("label") or {}
            steps.append(Step(
                name=str(s["step"]), offset_days=int(s["offset_days"]), channel=str(s["channel"]),
                template=str(s.get("template") or ""), tone=str(s.get("tone") or ""),
                min_balance=Decimal(str(s.get("min_balance") or 0)),
                requires_approval=bool(s.get("requires_approval", False)),
                label_fr=str(label.get("fr", "")) if isinstance(label, dict) else "",
                label_en=str(label.get("en", "")) if isinstance(label, dict) else "",
            ))
        stem = filename.rsplit("/", 1)[-1].removesuffix(".yaml")
        scenario = _validated(str(raw.get("name") or stem), steps, where, out)
        if scenario:
            scenarios[scenario.name] = scenario
    return scenarios


def load_scenarios(table: Table | None, presets: dict[str, Scenario], out: Collector) -> dict[str, Scenario]:
    """The presets, with the Scenarios tab's scenarios replacing or adding to them."""
    scenarios = dict(presets)
    if table is None or not len(table):
        return scenarios
    rows: dict[str, list[tuple[Step, Source]]] = defaultdict(list)
    broken: set[str] = set()
    for row in table:
        name = cells.text(row.raw("scenario"))
        step_name = cells.text(row.raw("step"))
        if not name or not step_name:
            out.add(row.source(), "", "needs both a scenario name and a step name; the row was ignored",
                    "fill the scenario and step columns", "R510")
            continue
        offset, problem = cells.parse_int(row.raw("offset_days"))
        if offset is None:
            out.add(row.source("offset_days"), row.raw("offset_days"),
                    (problem[0] if problem else "is blank") + f"; scenario {name} was not used",
                    "enter the days after the due date (negative before it)", "R511")
            broken.add(name)
            continue
        channel = cells.text(row.raw("channel")).lower()
        min_balance, problem = cells.parse_amount(row.raw("min_balance"))
        if problem:
            out.add(row.source("min_balance"), row.raw("min_balance"), problem[0] + f"; scenario {name} was not used",
                    problem[1], "R512")
            broken.add(name)
            continue
        approval, problem = cells.parse_bool(row.raw("requires_approval"))
        rows[name].append((Step(
            name=step_name, offset_days=offset, channel=channel, template=cells.text(row.raw("template")),
            min_balance=min_balance or Decimal(0), requires_approval=bool(approval),
        ), row.source()))
    for name, items in rows.items():
        if name in broken:
            continue
        offsets = [step.offset_days for step, _ in items]
        if offsets != sorted(offsets):
            out.warn(items[0][1], name, f"lists its steps out of order ({', '.join(map(str, offsets))}); "
                     "relance takes them by offset_days", "list the steps from the earliest to the latest", "R513")
        scenario = _validated(name, [s for s, _ in items], items[0][1], out)
        if scenario:
            scenarios[name] = scenario
    return scenarios
