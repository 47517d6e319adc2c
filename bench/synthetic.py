"""Synthetic plans in the real plan's shape, for the benchmark (bench/pages.py).

    python bench/synthetic.py 10000 /tmp/plan-10k            # data dir only
    python bench/synthetic.py 10000 /tmp/plan-10k --db /tmp/plan-10k.db

A plan of N outcomes is the real `data/` cloned: copy 1 is the real plan itself (same
ids), copy k > 1 repeats every region and logic model under new ids (`southwest-c2`,
region "Southwest #2"), with the same strategies, terms, verbatim texts, target dates
as written (so the same share of inferred, corrected and end-of-month dates), needs
and report flags. The last copy is cut short, in the report's order, so the plan has
exactly N outcomes. The result is written as a data dir (plan.yaml +
logic_models/*.yaml) that `core.loading.load_plan` reads, so seeding goes through the
app's own `init_db`.

`add_history` then gives a seeded database a status history like a plan in use: a
share of the outcomes (30 % by default) with 1–3 updates each, written in bulk with
consistent chains (each row's old status is the previous row's new status; the
outcome's status, version and last update agree with its history). `add_measures`
gives 20 % of the outcomes a measure with 10 values, so the Measures page is measured
at scale too.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml
from sqlalchemy import Engine, bindparam, func
from sqlmodel import Session, select

from core.config import PROJECT_ROOT
from core.models import Measure, MeasureValue, Outcome, Status, StatusUpdate
from core.plan.files import LogicModelRecord, PlanData, read_plan

DATA_DIR = PROJECT_ROOT / "data"
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# How the latest statuses of updated outcomes end up spread (a plan in use).
STATUS_WEIGHTS = {
    Status.IN_PROGRESS: 45,
    Status.DONE: 35,
    Status.BLOCKED: 12,
    Status.DROPPED: 3,
    Status.NOT_STARTED: 5,
}
NOTES = {
    Status.IN_PROGRESS: "Working group met; drafting the next steps.",
    Status.DONE: "Completed; minutes shared with the coalition.",
    Status.BLOCKED: "Waiting for the county's answer on funding.",
    Status.DROPPED: "Merged into the statewide strategy.",
    Status.NOT_STARTED: "",
}


def _renamed(item_id: str, old_prefix: str, new_prefix: str) -> str:
    if item_id == old_prefix:
        return new_prefix
    if item_id.startswith(old_prefix + "."):
        return new_prefix + item_id[len(old_prefix) :]
    return f"{new_prefix}.{item_id}"


def _clone_model(
    lm: LogicModelRecord, copy: int, per_copy: int, keep: int | None
) -> LogicModelRecord | None:
    """Logic model `lm` as it appears in copy `copy` (1 = the real one), keeping at
    most `keep` outcomes (None: all). None when nothing is kept."""
    new_id = lm.id if copy == 1 else f"{lm.id}-c{copy}"
    region = lm.region if copy == 1 else f"{lm.region}-c{copy}"
    strategies = []
    for st in lm.strategies:
        if keep is not None and keep <= 0:
            break
        outcomes = st.outcomes if keep is None else st.outcomes[:keep]
        if keep is not None:
            keep -= len(outcomes)
        if not outcomes:
            continue
        sid = _renamed(st.id, lm.id, new_id)
        strategies.append(
            st.model_copy(
                update={
                    "id": sid,
                    "outcomes": [
                        o.model_copy(update={"id": _renamed(o.id, st.id, sid)}) for o in outcomes
                    ],
                }
            )
        )
    if not strategies:
        return None
    return lm.model_copy(
        update={
            "id": new_id,
            "region": region,
            "order": (copy - 1) * per_copy + lm.order,
            "strategies": strategies,
        }
    )


@lru_cache(maxsize=2)
def _read_real(source: Path) -> PlanData:
    return read_plan(source)  # never changed below: clones are copies


def scaled_plan(outcomes: int, source: Path = DATA_DIR) -> PlanData:
    """The real plan cloned and cut to exactly `outcomes` outcomes."""
    if outcomes < 1:
        raise ValueError("a plan needs at least one outcome")
    real = _read_real(Path(source).resolve())
    models = sorted(real.logic_models, key=lambda m: (m.order, m.id))
    per_copy = max(m.order for m in models)
    real_count = sum(len(s.outcomes) for m in models for s in m.strategies)
    copies = math.ceil(outcomes / real_count)
    left = outcomes
    cloned: list[LogicModelRecord] = []
    regions = []
    for copy in range(1, copies + 1):
        used = []
        for lm in models:
            if left <= 0:
                break
            size = sum(len(s.outcomes) for s in lm.strategies)
            clone = _clone_model(lm, copy, per_copy, None if size <= left else left)
            if clone is None:
                continue
            left -= sum(len(s.outcomes) for s in clone.strategies)
            cloned.append(clone)
            used.append(lm.region)
        for region in real.plan.regions:  # in plan order, only those with a model
            if region.id not in used:
                continue
            if copy == 1:
                regions.append(region)
            else:
                regions.append(
                    region.model_copy(
                        update={"id": f"{region.id}-c{copy}", "name": f"{region.name} #{copy}"}
                    )
                )
    assert left == 0, left
    plan = real.plan.model_copy(update={"regions": regions})
    files = {m.id: f"{m.order:06d}_{m.id}.yaml" for m in cloned}
    return PlanData(plan=plan, logic_models=cloned, files=files)


def write_plan(data: PlanData, target: Path) -> Path:
    """Write `data` as a data dir (plan.yaml + logic_models/*.yaml) under `target`."""
    target = Path(target)
    (target / "logic_models").mkdir(parents=True, exist_ok=True)
    for old in (target / "logic_models").glob("*.yaml"):
        old.unlink()
    plan = data.plan.model_dump(mode="json")
    (target / "plan.yaml").write_text(
        yaml.dump(plan, Dumper=_Dumper, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    for lm in data.logic_models:
        text = yaml.dump(
            lm.model_dump(mode="json", exclude_none=False),
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=True,
        )
        (target / "logic_models" / data.files[lm.id]).write_text(text, encoding="utf-8")
    return target


def generate(outcomes: int, target: Path, source: Path = DATA_DIR) -> Path:
    return write_plan(scaled_plan(outcomes, source), target)


def add_history(
    engine: Engine,
    *,
    today: date,
    share: float = 0.3,
    max_updates: int = 3,
    undo_share: float = 0.05,
    seed: int = 2019,
) -> int:
    """Give `share` of the outcomes 1..max_updates status updates (some of them undos),
    dated between 2020-01-15 and the day before `today`, in bulk. Returns the number
    of history rows written."""
    rng = random.Random(seed)
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    start = datetime(2020, 1, 15, tzinfo=UTC)
    span = max(1, int((datetime.combine(today, datetime.min.time(), UTC) - start).total_seconds()))
    with Session(engine) as session:
        ids = session.exec(select(Outcome.id).order_by(Outcome.id)).all()
        next_id = (session.exec(select(func.max(StatusUpdate.id))).one() or 0) + 1
    chosen = rng.sample(list(ids), round(len(ids) * share))
    history: list[dict] = []
    outcomes: list[dict] = []
    for outcome_id in chosen:
        region = outcome_id.split(".", 1)[0]
        who = f"lead-{region}"[:120]
        times = sorted(
            start + timedelta(seconds=rng.randrange(span - 86_400))
            for _ in range(rng.randint(1, max_updates))
        )
        current = Status.NOT_STARTED.value
        previous: dict | None = None
        for at in times:
            if previous is not None and rng.random() < undo_share:
                new, reverts = previous["old_status"], previous["id"]
                note = (
                    f"Undo of update #{previous['id']} "
                    f"({previous['old_status']} → {previous['new_status']})."
                )
            else:
                new = rng.choices(statuses, weights)[0].value
                while new == current:
                    new = rng.choices(statuses, weights)[0].value
                reverts, note = None, NOTES[Status(new)]
            row = dict(
                id=next_id,
                outcome_id=outcome_id,
                changed_at=at,
                changed_by=who,
                old_status=current,
                new_status=new,
                note=note,
                evidence_url=(
                    f"https://example.org/minutes/{next_id}" if rng.random() < 0.2 else None
                ),
                reverts_id=reverts,
            )
            history.append(row)
            next_id += 1
            current, previous = new, row
        outcomes.append(
            dict(
                b_id=outcome_id,
                b_status=current,
                b_version=1 + len(times),
                b_at=times[-1],
                b_by=who,
            )
        )
    table = Outcome.__table__
    with engine.begin() as conn:
        if history:
            conn.execute(StatusUpdate.__table__.insert(), history)
            conn.execute(
                table.update()
                .where(table.c.id == bindparam("b_id"))
                .values(
                    status=bindparam("b_status"),
                    version=bindparam("b_version"),
                    last_updated=bindparam("b_at"),
                    last_updated_by=bindparam("b_by"),
                ),
                outcomes,
            )
    return len(history)


def add_measures(
    engine: Engine, *, today: date, share: float = 0.2, values: int = 10, seed: int = 2020
) -> tuple[int, int]:
    """Give `share` of the outcomes one measure each (a count tracked up to a target,
    as data/measures.yaml's are) with `values` values, monthly up to `today`, in bulk.
    Returns (measures, values) written; measures the plan already has are kept."""
    rng = random.Random(seed)
    with Session(engine) as session:
        ids = session.exec(select(Outcome.id).order_by(Outcome.id)).all()
        taken = set(session.exec(select(Measure.id)).all())
        next_id = (session.exec(select(func.max(MeasureValue.id))).one() or 0) + 1
    measures, rows = [], []
    for position, outcome_id in enumerate(rng.sample(list(ids), round(len(ids) * share))):
        measure_id = f"{outcome_id}.bench-m1"
        if measure_id in taken:
            continue
        baseline = rng.randint(0, 40)
        measures.append(
            dict(
                id=measure_id,
                outcome_id=outcome_id,
                name="People trained (bench)",
                unit="people",
                kind="count",
                direction="up",
                baseline_value=float(baseline),
                baseline_date=date(2019, 12, 31),
                target_kind="at least",
                target_min=float(baseline + rng.randint(20, 200)),
                target_by=date(2022, 12, 31),
                rba="how much",
                position=position,
            )
        )
        value = float(baseline)
        for month in range(values):
            as_of = today - timedelta(days=30 * (values - month))
            value += rng.randint(0, 15)
            rows.append(
                dict(
                    id=next_id,
                    measure_id=measure_id,
                    value=value,
                    as_of=as_of,
                    recorded_by=f"lead-{outcome_id.split('.', 1)[0]}"[:120],
                    recorded_at=datetime.combine(as_of, datetime.min.time(), UTC),
                    note="",
                )
            )
            next_id += 1
    with engine.begin() as conn:
        if measures:
            conn.execute(Measure.__table__.insert(), measures)
            conn.execute(MeasureValue.__table__.insert(), rows)
    return len(measures), len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outcomes", type=int, help="exact number of outcomes")
    parser.add_argument("target", type=Path, help="data dir to write (plan.yaml, logic_models/)")
    parser.add_argument("--db", type=Path, help="also seed this SQLite file and add history")
    parser.add_argument("--today", type=date.fromisoformat, default=date(2021, 6, 1))
    args = parser.parse_args(argv)

    started = time.perf_counter()
    generate(args.outcomes, args.target)
    print(f"wrote {args.target} in {time.perf_counter() - started:.1f} s")
    if args.db:
        from core.config import Settings
        from core.store.bootstrap import init_db
        from core.store.db import make_engine

        engine = make_engine(f"sqlite:///{args.db}")
        started = time.perf_counter()
        init_db(engine, Settings(tracker_data_dir=args.target))
        print(f"seeded {args.db} in {time.perf_counter() - started:.1f} s")
        rows = add_history(engine, today=args.today)
        print(f"added {rows} status updates")
        print("added {} measures with {} values".format(*add_measures(engine, today=args.today)))
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
