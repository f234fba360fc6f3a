"""Scenarios: ordered ladders of steps (offset from the due date, channel, template).

Presets are YAML files in scenarios/ (read by app/resources.py); the Scenarios tab replaces a preset of the same name or
adds new ones. Everything is validated on load and every problem reported at once, each on the
row and cell of the step at fault. A Scenarios-tab ladder with an error is broken: it is not
used, the preset of the same name does not stand in for it, and `load_scenarios` names the first
row to fix so that its customers are told why they get nothing (rather than another ladder).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from relance.engine import cells
from relance.engine.anomaly import Source
from relance.engine.catalog import anomalies as A
from relance.engine.i18n import Said
from relance.engine.table import Collector, Row, Table

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
    min_gap_days: int | None = None  # Scenarios `min_gap_days` / `ecart_min_jours`; None: not set
    source: Source | None = field(default=None, compare=False)  # the Scenarios row it was read from

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


# (column key, value, problem, hint, code): a problem with one cell of a step
_Fault = tuple[str, object, Said, Said, str]


def _step_faults(scenario: str, step: Step) -> list[_Fault]:
    """What is wrong with a step on its own, by the column at fault."""
    faults: list[_Fault] = []
    name: object = step.name or A.NO_NAME()
    if step.channel not in CHANNELS:
        faults.append(("channel", step.channel,
                       (A.R501_CHANNEL if step.channel else A.R501_BLANK)(scenario=scenario, step=name),
                       A.ONE_OF(choices=CHANNELS), "R501"))
    if step.min_balance < 0:
        faults.append(("min_balance", str(step.min_balance), A.R504_NEGATIVE(scenario=scenario, step=name),
                       A.R504_HINT(), "R504"))
    if not step.template and step.channel not in TASK_CHANNELS:
        faults.append(("template", "", A.R505_NO_TEMPLATE(step=name, scenario=scenario), A.R505_HINT(), "R505"))
    if step.min_gap_days is not None and step.min_gap_days < 0:
        faults.append(("min_gap_days", str(step.min_gap_days), A.R515_NEGATIVE(scenario=scenario, step=name),
                       A.R515_HINT(), "R515"))
    return faults


class _Ladder:
    """The steps of one scenario as they are read, and the clashes between them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.steps: list[Step] = []
        self._names: set[str] = set()
        self._days: set[tuple[int, str]] = set()

    def clashes(self, step: Step, offset_known: bool = True) -> list[_Fault]:
        faults: list[_Fault] = []
        if step.name and step.name in self._names:
            faults.append(("step", step.name, A.R502_DUPLICATE(scenario=self.name), A.R502_HINT(), "R502"))
        if offset_known and (step.offset_days, step.channel) in self._days:
            faults.append(("offset_days", str(step.offset_days),
                           A.R503_SAME_DAY(channel=step.channel, scenario=self.name), A.R503_HINT(), "R503"))
        self._names.add(step.name)
        if offset_known:
            self._days.add((step.offset_days, step.channel))
        return faults

    def scenario(self, where: Source) -> Scenario:
        ordered = sorted(self.steps, key=lambda s: (s.offset_days, s.channel != "email"))  # the e-mail leads its day
        return Scenario(self.name, tuple(ordered), where)


def _validated(name: str, steps: list[Step], where: Source, out: Collector) -> Scenario | None:
    """A preset ladder checked as a whole; its problems all point to its file."""
    ladder = _Ladder(name)
    ok = True
    for step in steps:
        for _, value, problem, hint, code in [*_step_faults(name, step), *ladder.clashes(step)]:
            out.add(where, value, problem, hint, code)
            ok = False
        ladder.steps.append(step)
    if not steps:
        out.add(where, name, A.R506_NO_STEPS(), A.R506_HINT(), "R506")
        ok = False
    return ladder.scenario(where) if ok else None


def parse_presets(documents: Mapping[str, Mapping[str, Any]], out: Collector) -> dict[str, Scenario]:
    """Preset ladders from their YAML documents (file name -> parsed mapping, read by app/)."""
    scenarios: dict[str, Scenario] = {}
    for filename, raw in documents.items():
        where = Source(filename, 1)
        steps = []
        ok = True
        for s in raw.get("steps", []):
            label = s.get("label") or {}
            gap = s.get("min_gap_days")
            if gap is not None and (isinstance(gap, bool) or not isinstance(gap, int)):
                out.add(where, gap, A.R515_PRESET(step=s.get("step")), A.R515_PRESET_HINT(), "R515")
                ok, gap = False, None
            steps.append(Step(
                name=str(s["step"]), offset_days=int(s["offset_days"]), channel=str(s["channel"]),
                template=str(s.get("template") or ""), tone=str(s.get("tone") or ""),
                min_balance=Decimal(str(s.get("min_balance") or 0)),
                requires_approval=bool(s.get("requires_approval", False)),
                label_fr=str(label.get("fr", "")) if isinstance(label, dict) else "",
                label_en=str(label.get("en", "")) if isinstance(label, dict) else "",
                min_gap_days=gap,
            ))
        stem = filename.rsplit("/", 1)[-1].removesuffix(".yaml")
        scenario = _validated(str(raw.get("name") or stem), steps, where, out)
        if scenario and ok:
            scenarios[scenario.name] = scenario
    return scenarios


def _read_step(name: str, row: Row, out: Collector) -> tuple[Step, list[_Fault], bool]:
    """One Scenarios row as a step, the problems of its cells, and whether its offset was readable."""
    faults: list[_Fault] = []
    step_name = cells.text(row.raw("step"))
    if not step_name:
        faults.append(("step", "", A.R510_NO_STEP_NAME(scenario=name), A.R510_STEP_HINT(), "R510"))
    raw_offset = row.raw("offset_days")
    offset, problem = cells.parse_int(raw_offset)
    if offset is None:
        faults.append(("offset_days", raw_offset, problem[0] if problem else A.BLANK(), A.R511_HINT(), "R511"))
    raw_balance = row.raw("min_balance")
    min_balance, problem = cells.parse_amount(raw_balance)
    if problem:
        faults.append(("min_balance", raw_balance, problem[0], problem[1], "R512"))
    raw_gap = row.raw("min_gap_days")
    gap, problem = cells.parse_int(raw_gap)
    if problem:
        faults.append(("min_gap_days", raw_gap, problem[0], A.R515_HINT(), "R515"))
    raw_approval = row.raw("requires_approval")
    approval, problem = cells.parse_bool(raw_approval)
    if problem:  # a cell that protects the customer, unreadable: the step waits for a person
        out.warn(row.source("requires_approval"), raw_approval,
                 A.R514_APPROVAL(problem=problem[0], step=step_name or A.NO_NAME(), scenario=name, tab=out.tab("plan")),
                 problem[1], "R514")
        approval = True
    step = Step(
        name=step_name, offset_days=offset or 0, channel=row.table.spec.column("channel").choice(row.raw("channel")) or cells.text(row.raw("channel")).lower(),
        template=cells.text(row.raw("template")), min_balance=min_balance or Decimal(0),
        requires_approval=bool(approval), min_gap_days=gap, source=row.source(),
    )
    return step, faults, offset is not None


def load_scenarios(
    table: Table | None, presets: Mapping[str, Scenario], out: Collector
) -> tuple[dict[str, Scenario], dict[str, Source]]:
    """The presets, with the Scenarios tab's scenarios replacing or adding to them; and the broken ones.

    A tab scenario with any error is left out, and so is the preset of the same name: its
    customers must be stopped and told (by the planner), not moved to another ladder. The
    second mapping names, for each broken scenario, the first cell to fix (by row, then column).
    """
    scenarios = dict(presets)
    broken: dict[str, Source] = {}
    if table is None or not len(table):
        return scenarios, broken
    ladders: dict[str, _Ladder] = {}
    first_row: dict[str, Source] = {}
    faults: dict[str, list[Source]] = defaultdict(list)
    for row in table:
        name = cells.text(row.raw("scenario"))
        if not name:
            out.add(row.source("scenario"), "", A.R510_NO_SCENARIO(), A.R510_SCENARIO_HINT(), "R510")
            continue
        ladder = ladders.setdefault(name, _Ladder(name))
        first_row.setdefault(name, row.source())
        step, found, offset_known = _read_step(name, row, out)
        found += _step_faults(name, step) + ladder.clashes(step, offset_known)
        for key, value, problem, hint, code in found:
            where = row.source(key)
            out.add(where, value, A.SCENARIO_BROKEN(problem=problem, scenario=name), hint, code)
            faults[name].append(where)
        ladder.steps.append(step)
    for name, ladder in ladders.items():
        if faults[name]:
            broken[name] = min(faults[name], key=lambda s: (s.row, -1 if s.col is None else s.col))
            scenarios.pop(name, None)  # never the preset of the same name instead
            continue
        offsets = [step.offset_days for step in ladder.steps]
        if offsets != sorted(offsets):
            at = next(s for prev, s in zip(ladder.steps, ladder.steps[1:], strict=False)
                      if s.offset_days < prev.offset_days)
            out.warn(at.source.at(table.columns.get("offset_days"), table.header_text.get("offset_days", ""))
                     if at.source else first_row[name], name,
                     A.R513_ORDER(offsets=offsets, column=table.heading("offset_days")), A.R513_HINT(), "R513")
        scenarios[name] = ladder.scenario(first_row[name])
    return scenarios, broken
