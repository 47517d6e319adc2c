"""Reading `data/`: the plan's YAML files, validated into plain pydantic records.

Nothing here touches the database; `core.plan.loading` applies what this returns.
Any problem raises `PlanFileError`, naming the file, the record and the field.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from core.errors import TrackerError
from core.measures.targets import Target, target_problem
from core.models import MeasureDirection, MeasureKind, RbaCategory, TargetKind, Term

ID_PATTERN = r"^[a-z0-9][a-z0-9.\-]*$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=160)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
# The columns' lengths (core/models.py), which PostgreSQL enforces and SQLite does not.
RegionId = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=40)]
NeedId = RegionId
LogicModelId = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=60)]
StrategyId = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=120)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


# libyaml's parser when PyYAML was built with it: the same safe loading, ~6x faster.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PlanFileError(TrackerError, ValueError):
    """A data file that cannot be loaded; the message names file, record and field."""

    def __init__(self, file: Path | str, record: str, field: str, problem: str):
        self.file, self.record, self.field, self.problem = str(file), record, field, problem
        super().__init__(f"{file}: record {record}: field {field}: {problem}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FlagRecord(_Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z_]+$", max_length=40)]
    reason: Text


class OutcomeRecord(_Strict):
    id: Id
    term: Term
    number: str | None = Field(default=None, max_length=10)
    text: Text
    date_as_written: str | None = Field(default=None, max_length=40)
    flags: list[FlagRecord] = Field(default_factory=list)

    @field_validator("number", "date_as_written", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value


class StrategyRecord(_Strict):
    id: StrategyId
    need: Id
    label: str | None = Field(default=None, max_length=200)
    resources: list[Text] = Field(default_factory=list)
    tasks: list[Text] = Field(default_factory=list)
    ultimate_outcome: str = ""
    flags: list[FlagRecord] = Field(default_factory=list)
    outcomes: list[OutcomeRecord] = Field(default_factory=list)

    @model_validator(mode="after")
    def _title_fits(self) -> StrategyRecord:
        # without a label the first resource is the strategy's title (300 characters)
        if self.label is None and self.resources and len(self.resources[0]) > 300:
            raise ValueError("give a label: the first resource is too long to name the strategy")
        return self


class LogicModelRecord(_Strict):
    id: LogicModelId
    region: Id
    title: Text
    report_region_label: str = Field(default="", max_length=120)
    order: int = 0
    start_date: date | None = None
    flags: list[FlagRecord] = Field(default_factory=list)
    strategies: list[StrategyRecord] = Field(min_length=1)


class NeedRecord(_Strict):
    id: NeedId
    label: Name
    description: str = ""


class TopNeed(_Strict):
    need: Id
    as_written: Text


class ProfileRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    survivors_served: int | None = Field(default=None, ge=0)
    trafficking_mix: dict[str, float | None] | None = None
    trafficking_mix_as_written: str | None = None
    top_needs: list[TopNeed] = Field(default_factory=list)
    summary: str = ""


class RegionRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: RegionId
    name: Name
    report_labels: list[str] = Field(default_factory=list)
    profile: ProfileRecord = Field(default_factory=ProfileRecord)


class AppendixRecord(_Strict):
    future_research: list[Text] = Field(default_factory=list)
    provider_suggestions: list[Text] = Field(default_factory=list)


class PlanRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Text
    authors: list[Text]
    published: int
    baseline_start: date
    plan_years: tuple[int, int]
    timeline_note: str = ""
    needs: list[NeedRecord] = Field(min_length=1)
    regions: list[RegionRecord] = Field(min_length=1)
    appendix_a: AppendixRecord = Field(default_factory=AppendixRecord)


# ---- data/measures.yaml ----


class BaselineRecord(_Strict):
    value: float
    as_of: date | None = None  # when the baseline was true, where the report says
    source: str = Field(default="", max_length=2_000)


class TargetRecord(_Strict):
    kind: TargetKind = TargetKind.NONE
    min: float | None = None
    max: float | None = None
    by: date | None = None  # None: an outcome's measure is due when its outcome is


class MeasureRecord(_Strict):
    id: Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=200)]
    outcome: Id | None = None
    strategy: StrategyId | None = None
    region: RegionId | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    unit: str = Field(default="", max_length=60)
    kind: MeasureKind
    direction: MeasureDirection
    rba: RbaCategory
    as_written: Text
    baseline: BaselineRecord | None = None
    target: TargetRecord = Field(default_factory=TargetRecord)
    note: str = ""

    @model_validator(mode="after")
    def _sound(self) -> MeasureRecord:
        if sum(x is not None for x in (self.outcome, self.strategy, self.region)) != 1:
            raise ValueError("give exactly one of outcome, strategy or region")
        t = self.target
        if problem := target_problem(Target(t.kind, t.min, t.max), self.direction):
            raise ValueError(problem)
        if t.kind == TargetKind.NONE and not self.note.strip():
            raise ValueError("a measure without a target says why in its note")
        return self


# An outcome whose text holds a number that is not a target to track, and why (read by
# tests/core/measures/test_measures_data.py; the loader has no use for it).
class NotMeasuredRecord(_Strict):
    outcome: Id
    reason: Text


class MeasuresFile(_Strict):
    measures: list[MeasureRecord] = Field(default_factory=list)
    not_measured: list[NotMeasuredRecord] = Field(default_factory=list)


class PlanData(BaseModel):
    plan: PlanRecord
    logic_models: list[LogicModelRecord]
    files: dict[str, str] = Field(default_factory=dict)  # logic model id -> file name
    measures: list[MeasureRecord] = Field(default_factory=list)


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_YAML_LOADER)
    except OSError as exc:
        raise PlanFileError(path, "-", "-", f"cannot read the file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise PlanFileError(path, "-", "-", f"not UTF-8 text ({exc.reason})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "-"
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlanFileError(path, where, "-", f"not valid YAML: {problem}") from exc


def _describe(raw: Any, loc: tuple[Any, ...]) -> tuple[str, str]:
    """Turn a pydantic error location into (record, field): the innermost record with
    an `id`, and the path below it."""
    record, node, field_path = "-", raw, []
    for part in loc:
        field_path.append(str(part))
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            record, field_path = node["id"], []
    return record, ".".join(field_path) or "-"


def _validate(model: type[BaseModel], raw: Any, path: Path) -> Any:
    if not isinstance(raw, dict):
        raise PlanFileError(path, "-", "-", "expected a mapping at the top of the file")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        record, field = _describe(raw, tuple(err["loc"]))
        value = err.get("input")
        shown = f" (got {value!r})" if not isinstance(value, dict | list) else ""
        raise PlanFileError(path, record, field, f"{err['msg']}{shown}") from exc


def read_plan(data_dir: Path) -> PlanData:
    """Read and validate every file of the plan, checking cross-references and ids."""
    data_dir = Path(data_dir)
    plan_path = data_dir / "plan.yaml"
    if not plan_path.is_file():
        raise PlanFileError(plan_path, "-", "-", "file not found")
    plan: PlanRecord = _validate(PlanRecord, _read_yaml(plan_path), plan_path)

    need_ids = {n.id for n in plan.needs}
    region_ids = {r.id for r in plan.regions}
    _unique(plan_path, "needs", [n.id for n in plan.needs])
    _unique(plan_path, "regions", [r.id for r in plan.regions])
    for region in plan.regions:
        for top in region.profile.top_needs:
            if top.need not in need_ids:
                raise PlanFileError(
                    plan_path, region.id, "profile.top_needs", f"unknown need {top.need!r}"
                )

    model_paths = sorted((data_dir / "logic_models").glob("*.yaml"))
    if not model_paths:
        raise PlanFileError(data_dir / "logic_models", "-", "-", "no logic model files (*.yaml)")
    models: list[LogicModelRecord] = []
    files: dict[str, str] = {}
    seen: dict[str, Path] = {}
    for path in model_paths:
        lm: LogicModelRecord = _validate(LogicModelRecord, _read_yaml(path), path)
        if lm.region not in region_ids:
            raise PlanFileError(path, lm.id, "region", f"unknown region {lm.region!r}")
        ids = [lm.id]
        for strategy in lm.strategies:
            if strategy.need not in need_ids:
                raise PlanFileError(path, strategy.id, "need", f"unknown need {strategy.need!r}")
            ids.append(strategy.id)
            ids.extend(o.id for o in strategy.outcomes)
        for item_id in ids:
            if item_id in seen:
                raise PlanFileError(
                    path, item_id, "id", f"duplicate id (also in {seen[item_id].name})"
                )
            seen[item_id] = path
        models.append(lm)
        files[lm.id] = path.name
    strategies = {s.id for lm in models for s in lm.strategies}
    outcomes = {o.id for lm in models for s in lm.strategies for o in s.outcomes}
    known = {"outcome": outcomes, "strategy": strategies, "region": region_ids}
    measures = read_measures(data_dir / "measures.yaml", known)
    return PlanData(plan=plan, logic_models=models, files=files, measures=measures)


def read_measures(path: Path, known: dict[str, set[str]]) -> list[MeasureRecord]:
    """data/measures.yaml (optional), each measure's outcome, strategy or region checked."""
    if not path.is_file():
        return []
    parsed: MeasuresFile = _validate(MeasuresFile, _read_yaml(path), path)
    _unique(path, "id", [m.id for m in parsed.measures])
    for m in parsed.measures:
        subjects = (("outcome", m.outcome), ("strategy", m.strategy), ("region", m.region))
        for field, value in subjects:
            if value is not None and value not in known[field]:
                raise PlanFileError(path, m.id, field, f"unknown {field} {value!r}")
    return parsed.measures


def _unique(path: Path, field: str, ids: list[str]) -> None:
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise PlanFileError(path, sorted(dupes)[0], field, "duplicate id")
