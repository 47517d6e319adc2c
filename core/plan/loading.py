"""Applying `data/` to the database: idempotent, keyed on the plan's stable ids.

Re-running after an edit updates the plan text in place. Status, versions and
history are never touched; an item that disappeared from `data/` is retired
(hidden, kept with its history), not deleted. The whole load is one transaction:
a bad file changes nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, insert, inspect
from sqlmodel import Session, SQLModel, select

from core.models import (
    AppendixItem,
    ChangeAction,
    Flag,
    LogicModel,
    Measure,
    Need,
    Outcome,
    Plan,
    PlanChange,
    Region,
    Strategy,
    Term,
)
from core.partners.catalogue import read_catalogue
from core.partners.loading import apply_catalogue
from core.plan.changelog import jsonable
from core.plan.dates import DatedItem, infer_due_dates, parse_date_as_written
from core.plan.files import PlanData, read_plan
from core.store.db import write_session

# The tables `data/` fills.
PlanTable = Plan | Need | Region | LogicModel | Strategy | Outcome | AppendixItem | Measure
_Row = TypeVar("_Row", bound=PlanTable)


@dataclass
class LoadReport:
    inserted: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    retired: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    measures: LoadReport | None = None  # data/measures.yaml, counted apart from the plan
    organisations: LoadReport | None = None  # data/organisations.yaml, likewise

    def summary(self) -> str:
        kinds = sorted(
            set(self.inserted) | set(self.updated) | set(self.retired) | set(self.unchanged)
        )
        parts = [
            f"{k}: {self.inserted[k]} new, {self.updated[k]} updated, "
            f"{self.retired[k]} retired, {self.unchanged[k]} unchanged"
            for k in kinds
        ]
        return "; ".join(parts)


LOADER = "data/ (python -m core load)"


def load_plan(engine: Engine, data_dir: Path) -> LoadReport:
    """Validate every file, then apply the plan in one write transaction.

    On a database that already holds the plan, every change the load makes to a
    logic model, strategy or outcome is written to the plan's change log, and what
    the app has decided since the first load is kept: logic models' start dates and
    re-dated outcomes' due dates (re-baselining), statuses and history."""
    data = read_plan(data_dir)
    catalogue = read_catalogue(data_dir, data)  # None without data/organisations.yaml
    rows = plan_rows(data)
    report = LoadReport()
    with write_session(engine) as session:
        log = session.exec(select(Plan)).first() is not None  # not the first seeding
        batch = uuid.uuid4().hex if log else None
        for model, items in rows.items():
            _upsert(session, model, items, report, batch)
        _replace_flags(session, data)
        report.measures = LoadReport()
        _upsert(session, Measure, measure_rows(data), report.measures, None)
        if catalogue is not None:
            report.organisations = LoadReport()
            apply_catalogue(session, catalogue, report.organisations)
    return report


def measure_rows(data: PlanData) -> list[dict[str, Any]]:
    """The measure table's rows according to data/measures.yaml."""
    return [
        dict(
            id=m.id,
            outcome_id=m.outcome,
            strategy_id=m.strategy,
            region_id=m.region,
            name=m.name,
            unit=m.unit,
            kind=m.kind.value,
            direction=m.direction.value,
            baseline_value=m.baseline.value if m.baseline else None,
            baseline_date=m.baseline.as_of if m.baseline else None,
            baseline_source=m.baseline.source if m.baseline else "",
            target_kind=m.target.kind.value,
            target_min=m.target.min,
            target_max=m.target.max,
            target_by=m.target.by,
            rba=m.rba.value,
            as_written=m.as_written,
            note=m.note.strip(),
            position=i,
            retired=False,
        )
        for i, m in enumerate(data.measures, 1)
    ]


def plan_rows(data: PlanData) -> dict[type[PlanTable], list[dict[str, Any]]]:
    """The rows each table should hold according to `data/`, dates computed."""
    plan = data.plan
    first_year, last_year = plan.plan_years
    rows: dict[type[PlanTable], list[dict[str, Any]]] = {
        Plan: [
            dict(
                id=1,
                title=plan.title,
                authors=", ".join(plan.authors),
                published=plan.published,
                baseline_start=plan.baseline_start,
                first_year=first_year,
                last_year=last_year,
                timeline_note=plan.timeline_note,
            )
        ],
        Need: [
            dict(id=n.id, label=n.label, description=n.description, position=i)
            for i, n in enumerate(plan.needs, 1)
        ],
        Region: [
            dict(
                id=r.id,
                name=r.name,
                position=i,
                report_labels=list(r.report_labels),
                survivors_served=r.profile.survivors_served,
                trafficking_mix=r.profile.trafficking_mix,
                trafficking_mix_as_written=r.profile.trafficking_mix_as_written,
                top_needs=[t.model_dump() for t in r.profile.top_needs],
                summary=r.profile.summary.strip(),
            )
            for i, r in enumerate(plan.regions, 1)
        ],
        LogicModel: [],
        Strategy: [],
        Outcome: [],
        AppendixItem: [
            dict(id=f"{section}.{i}", section=section, position=i, text=text)
            for section in ("future_research", "provider_suggestions")
            for i, text in enumerate(getattr(plan.appendix_a, section), 1)
        ],
    }

    dated: list[DatedItem] = []
    parsed = {}
    for lm in sorted(data.logic_models, key=lambda m: (m.order, m.id)):
        start = lm.start_date or plan.baseline_start
        rows[LogicModel].append(
            dict(
                id=lm.id,
                region_id=lm.region,
                title=lm.title,
                report_region_label=lm.report_region_label,
                position=lm.order,
                start_date=start,
                retired=False,
            )
        )
        for s_pos, st in enumerate(lm.strategies, 1):
            rows[Strategy].append(
                dict(
                    id=st.id,
                    logic_model_id=lm.id,
                    need_id=st.need,
                    label=st.label,
                    title=st.label or (st.resources[0] if st.resources else st.id),
                    resources=list(st.resources),
                    tasks=list(st.tasks),
                    ultimate_outcome=st.ultimate_outcome.strip(),
                    position=s_pos,
                    retired=False,
                )
            )
            for o_pos, oc in enumerate(st.outcomes, 1):
                p = parse_date_as_written(
                    oc.date_as_written, first_year=first_year, last_year=last_year
                )
                parsed[oc.id] = p
                dated.append(DatedItem(oc.id, st.id, lm.id, Term(oc.term), p.due_date, start))
                rows[Outcome].append(
                    dict(
                        id=oc.id,
                        strategy_id=st.id,
                        term=Term(oc.term).value,
                        position=o_pos,
                        number=oc.number,
                        text=" ".join(oc.text.split()),
                        date_as_written=oc.date_as_written,
                        date_basis=p.basis.value,
                        date_flag=p.flag.value if p.flag else None,
                        date_note=p.note,
                        retired=False,
                    )
                )

    inferred = infer_due_dates(dated)
    for row in rows[Outcome]:
        p = parsed[row["id"]]
        if p.due_date is not None:
            due = p.due_date
        else:
            inference = inferred[row["id"]]
            due = inference.due_date
            row["date_note"] = f"{p.note} Planned as {inference.rule}."
        row["due_date"] = due
        row["baseline_due_date"] = due
    return rows


# Plan items that leave data/ are retired (kept with their history), never deleted.
_RETIRABLE: set[type[PlanTable]] = {LogicModel, Strategy, Outcome}


# Fields the app owns once an item exists: re-baselining moves them.
_KEPT_ON_RELOAD: dict[type[SQLModel], set[str]] = {LogicModel: {"start_date"}}


def _upsert(
    session: Session,
    model: type[_Row],
    items: list[dict[str, Any]],
    report: LoadReport,
    batch: str | None,
) -> None:
    kind = inspect(model).local_table.name
    existing = {obj.id: obj for obj in session.exec(select(model)).all()}
    logged = batch is not None and model in _RETIRABLE
    if not existing and not logged and items:
        # A new table (the first seeding): one executemany, no ORM objects to track.
        session.execute(insert(model), items)  # column defaults fill the rest
        report.inserted[kind] += len(items)
        return
    for item in items:
        obj = existing.pop(item["id"], None)
        if obj is None:
            session.add(model(**item))
            report.inserted[kind] += 1
            if logged:
                _log(session, kind, item["id"], ChangeAction.CREATED, None, item, batch)
            continue
        kept = set(_KEPT_ON_RELOAD.get(model, ()))
        if isinstance(obj, Outcome) and obj.redate_count:
            kept.add("due_date")
        changed = {
            name for name, value in item.items() if name not in kept and getattr(obj, name) != value
        }
        if logged and changed - {"position"}:
            action = ChangeAction.RESTORED if changed == {"retired"} else ChangeAction.EDITED
            before = {name: getattr(obj, name) for name in sorted(changed)}
            after = {name: item[name] for name in sorted(changed)}
            _log(session, kind, item["id"], action, before, after, batch)
        for name in changed:
            setattr(obj, name, item[name])
        if changed:
            if isinstance(obj, Outcome) and changed - {"position"}:
                # A form rendered before the edit must not save over it; a sibling
                # merely moving up a place is no reason to refuse that form.
                obj.version += 1
            session.add(obj)
            report.updated[kind] += 1
        else:
            report.unchanged[kind] += 1
    for obj in existing.values():  # rows data/ no longer has
        if isinstance(obj, LogicModel | Strategy | Outcome | Measure):  # kept: values refer
            if not obj.retired:
                obj.retired = True
                session.add(obj)
                report.retired[kind] += 1
                if logged:
                    _log(session, kind, obj.id, ChangeAction.RETIRED, None, None, batch)
        elif isinstance(obj, AppendixItem):
            session.delete(obj)
            report.retired[kind] += 1
    session.flush()


def _log(
    session: Session,
    kind: str,
    subject_id: str,
    action: ChangeAction,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    batch: str | None,
) -> None:
    session.add(
        PlanChange(
            changed_by=LOADER,
            subject_kind=kind,
            subject_id=subject_id,
            action=action,
            before=jsonable(before),
            after=jsonable(after),
            reason="The plan files in data/ were applied again.",
            batch=batch,
        )
    )


def _replace_flags(session: Session, data: PlanData) -> None:
    """Editorial flags are the data's to define: make the table match it exactly."""
    wanted: dict[tuple[str, str, str], str] = {}
    for lm in data.logic_models:
        for f in lm.flags:
            wanted[("logic_model", lm.id, f.code)] = f.reason
        for st in lm.strategies:
            for f in st.flags:
                wanted[("strategy", st.id, f.code)] = f.reason
            for oc in st.outcomes:
                for f in oc.flags:
                    wanted[("outcome", oc.id, f.code)] = f.reason
    for flag in session.exec(select(Flag)).all():
        key = (flag.subject_kind, flag.subject_id, flag.code)
        if key not in wanted:
            session.delete(flag)
        elif (reason := wanted.pop(key)) != flag.reason:
            flag.reason = reason
            session.add(flag)
    for (kind, subject, code), reason in wanted.items():
        session.add(Flag(subject_kind=kind, subject_id=subject, code=code, reason=reason))
    session.flush()
