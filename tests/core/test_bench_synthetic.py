"""The benchmark's plan generator (bench/synthetic.py): exactly N outcomes, in the real
plan's shape, written as a data dir the loader accepts, with a consistent history, and
every query the pages run works on it."""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Iterator
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.config import PROJECT_ROOT, Settings
from core.models import Outcome, Region, StatusUpdate
from core.plan.files import read_plan
from core.plan.loading import plan_rows
from core.progress import activity, derived, queries
from core.progress.filters import OutcomeFilter
from core.store.bootstrap import init_db
from core.store.db import make_engine

_spec = importlib.util.spec_from_file_location(
    "bench_synthetic", PROJECT_ROOT / "bench" / "synthetic.py"
)
synthetic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthetic)

SIZE = 600
TODAY = date(2021, 6, 1)
REAL = read_plan(PROJECT_ROOT / "data")
REAL_OUTCOMES = sum(len(s.outcomes) for m in REAL.logic_models for s in m.strategies)


def outcomes_of(data) -> list:
    return [o for m in data.logic_models for s in m.strategies for o in s.outcomes]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return synthetic.generate(SIZE, tmp_path_factory.mktemp("synthetic") / "data")


@pytest.fixture(scope="module")
def plan_db(data_dir: Path) -> Iterator[Engine]:
    engine = make_engine("sqlite://")
    assert init_db(engine, Settings(tracker_data_dir=data_dir)) is True
    synthetic.add_history(engine, today=TODAY)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("size", [1, 17, REAL_OUTCOMES, REAL_OUTCOMES + 1, 700])
def test_scaled_plan_has_exactly_the_outcomes_asked(size: int) -> None:
    data = synthetic.scaled_plan(size)

    assert len(outcomes_of(data)) == size
    assert all(m.strategies for m in data.logic_models)
    assert all(s.outcomes for m in data.logic_models for s in m.strategies)
    used = {m.region for m in data.logic_models}
    assert used == {r.id for r in data.plan.regions}, "every region has a logic model"


def test_scaled_plan_first_copy_is_the_real_plan() -> None:
    data = synthetic.scaled_plan(REAL_OUTCOMES * 2)

    real_ids = [o.id for o in outcomes_of(REAL)]
    ids = [o.id for o in outcomes_of(data)]
    assert ids[: len(real_ids)] == real_ids
    assert ids[len(real_ids)] == real_ids[0].replace("state-housing", "state-housing-c2", 1)
    assert len(data.plan.regions) == 2 * len(REAL.plan.regions)
    assert data.plan.regions[len(REAL.plan.regions)].name == "State #2"
    assert data.plan.needs == REAL.plan.needs


def test_scaled_plan_keeps_the_real_mix_of_terms_dates_and_flags() -> None:
    """Two whole copies: twice the real plan's terms, date bases and flags."""
    real_rows, rows = plan_rows(REAL), plan_rows(synthetic.scaled_plan(REAL_OUTCOMES * 2))

    def mix(rows, field):
        return Counter(r[field] for r in rows[Outcome])

    for field in ("term", "date_basis", "date_flag", "date_as_written"):
        assert mix(rows, field) == Counter({k: 2 * n for k, n in mix(real_rows, field).items()})

    def flags(data):
        return Counter(
            f.code
            for m in data.logic_models
            for item in [m, *m.strategies, *(o for s in m.strategies for o in s.outcomes)]
            for f in item.flags
        )

    doubled = synthetic.scaled_plan(REAL_OUTCOMES * 2)
    assert flags(doubled) == Counter({k: 2 * n for k, n in flags(REAL).items()})


def test_generated_data_dir_is_read_back_unchanged(data_dir: Path) -> None:
    data = read_plan(data_dir)

    assert len(outcomes_of(data)) == SIZE
    assert data.model_dump(exclude={"files"}) == synthetic.scaled_plan(SIZE).model_dump(
        exclude={"files"}
    )
    assert sorted(data.files.values()) == sorted(
        p.name for p in (data_dir / "logic_models").glob("*.yaml")
    )


def test_load_plan_seeds_every_outcome(plan_db: Engine) -> None:
    with Session(plan_db) as session:
        assert len(session.exec(select(Outcome.id)).all()) == SIZE
        regions = session.exec(select(Region.id)).all()
    assert len(regions) > len(REAL.plan.regions)


def test_add_history_writes_consistent_chains(plan_db: Engine) -> None:
    with Session(plan_db) as session:
        history = session.exec(select(StatusUpdate).order_by(StatusUpdate.id)).all()
        outcomes = {o.id: o for o in session.exec(select(Outcome)).all()}
    chains: dict[str, list[StatusUpdate]] = {}
    for row in history:
        chains.setdefault(row.outcome_id, []).append(row)

    assert 0.25 * SIZE <= len(chains) <= 0.35 * SIZE
    assert all(1 <= len(rows) <= 3 for rows in chains.values())
    for outcome_id, rows in chains.items():
        outcome = outcomes[outcome_id]
        assert rows[0].old_status == "Not started"
        assert all(a.new_status == b.old_status for a, b in pairwise(rows))
        assert all(r.old_status != r.new_status for r in rows)
        assert all(r.changed_at.date() < TODAY for r in rows)
        assert (outcome.status, outcome.version) == (rows[-1].new_status, 1 + len(rows))
        assert outcome.last_updated_by == rows[-1].changed_by
    untouched = [o for o in outcomes.values() if o.id not in chains]
    assert all(o.version == 1 and o.status == "Not started" for o in untouched)


def test_pages_queries_run_on_the_synthetic_plan(plan_db: Engine) -> None:
    everything = OutcomeFilter(today=TODAY)
    with Session(plan_db) as session:
        rows = queries.outcome_rows(session, everything)
        summaries = derived.term_summaries(session, TODAY, {r["strategy_id"] for r in rows})
        derived.annotate(rows, summaries, TODAY)
        by_region = queries.completion(session, everything, by=("region",))
        grid = queries.completion(session, everything, by=("region", "need"))
        counts = queries.status_counts(session, everything)
        schedule = queries.schedule_counts(session, TODAY, 60, everything)
        history = activity.history(session, everything)
        freshness = activity.region_freshness(session, TODAY)
        late = queries.outcome_rows(
            session, OutcomeFilter(schedules=("Overdue", "Due soon"), today=TODAY)
        )
        region = queries.outcome_rows(session, OutcomeFilter(regions=("southwest-c2",)))
        models = queries.logic_models(session)
        strategies = queries.strategies(session, models[-1]["id"])
        stamp = queries.data_stamp(session)

    assert len(rows) == SIZE == sum(counts.values()) == sum(r["total"] for r in by_region)
    assert {r["schedule"] for r in rows} >= {"Overdue", "Closed"}
    assert sum(r["total"] for r in grid) == SIZE
    assert len(by_region) == len(freshness) > len(REAL.plan.regions)
    assert 0 < schedule["overdue"] == sum(r["schedule"] == "Overdue" for r in rows)
    assert len(late) == schedule["overdue"] + schedule["due_soon"]
    assert len(history) >= 0.25 * SIZE
    assert region and {r["region_id"] for r in region} == {"southwest-c2"}
    assert strategies and stamp[0] == history[0]["id"]
