"""core/loading.py: applying data/ is idempotent, keeps status and history, retires
instead of deleting, and a bad file or a failure half-way changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, func, select

from core.config import PROJECT_ROOT, Settings
from core.models import (
    AppendixItem,
    Flag,
    LogicModel,
    Need,
    Outcome,
    Plan,
    Region,
    StatusUpdate,
    Strategy,
)
from core.plan import loading
from core.plan.files import PlanFileError
from core.plan.loading import load_plan
from core.progress.filters import OutcomeFilter
from core.progress.queries import export_rows, outcome_rows
from core.store.bootstrap import init_db
from core.store.db import make_engine, write_session
from core.store.guard import install_history_guard

DATA_DIR = PROJECT_ROOT / "data"
TABLES = [Plan, Need, Region, LogicModel, Strategy, Outcome, Flag, StatusUpdate, AppendixItem]
ROWS = {
    "plan": 1,
    "need": 6,
    "region": 9,
    "logic_model": 10,
    "strategy": 29,
    "outcome": 248,
    "appendix_item": 9,
}
UPDATED_AT = datetime(2020, 5, 1, 12, 0, tzinfo=UTC)
STL_SHORT_1 = "st-louis.adult-shelter.short.1"
STL_SHORT_1_TEXT = (
    "Identify 3-5 key stakeholders knowledgeable about shelter policies and capabilities "
    "to form the shelter working group by 6/2020."
)


def snapshot(engine: Engine) -> dict[str, Any]:
    """Every row of every table, and the export: equal snapshots mean an equal database."""
    with Session(engine) as session:
        tables = {
            model.__tablename__: [
                row.model_dump()
                for row in session.exec(
                    select(model).order_by(*model.__table__.primary_key.columns)
                ).all()
            ]
            for model in TABLES
        }
        return {"tables": tables, "export": export_rows(session)}


def row_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            m.__tablename__: session.exec(select(func.count()).select_from(m)).one() for m in TABLES
        }


def record_update(engine: Engine, outcome_id: str, new_status: str = "In progress") -> None:
    """What a user's status update leaves behind: a history row and the outcome's status."""
    with write_session(engine) as session:
        outcome = session.get(Outcome, outcome_id)
        session.add(
            StatusUpdate(
                outcome_id=outcome_id,
                changed_at=UPDATED_AT,
                changed_by="alice@example.org",
                old_status=outcome.status,
                new_status=new_status,
                note="Kick-off meeting held.",
            )
        )
        outcome.status = new_status
        outcome.last_updated = UPDATED_AT
        outcome.last_updated_by = "alice@example.org"
        session.add(outcome)


def history(engine: Engine, outcome_id: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        return [
            u.model_dump()
            for u in session.exec(
                select(StatusUpdate).where(StatusUpdate.outcome_id == outcome_id)
            ).all()
        ]


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {path.name} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def edit_yaml(path: Path, change: Callable[[dict], None]) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")


def drop_strategy_mapping(data_dir: Path, strategy_id: str) -> None:
    """A strategy removed from logic_models/ leaves organisations.yaml with it."""
    edit_yaml(data_dir / "organisations.yaml", lambda raw: raw["resources"].pop(strategy_id))


def strategy_of(raw: dict, strategy_id: str) -> dict:
    return next(s for s in raw["strategies"] if s["id"] == strategy_id)


def empty_db() -> Engine:
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    install_history_guard(engine)
    return engine


# --- idempotence -----------------------------------------------------------------------------


def test_load_new_database_inserts_everything():
    engine = empty_db()
    report = load_plan(engine, DATA_DIR)
    assert dict(report.inserted) == ROWS
    assert (dict(report.updated), dict(report.retired), dict(report.unchanged)) == ({}, {}, {})
    assert "outcome: 248 new, 0 updated, 0 retired, 0 unchanged" in report.summary()
    assert row_counts(engine) == {**ROWS, "flag": 10, "status_update": 0}


def test_load_twice_idempotent(engine):
    before = snapshot(engine)
    counts = row_counts(engine)
    report = load_plan(engine, DATA_DIR)
    assert sum(report.inserted.values()) == 0
    assert sum(report.updated.values()) == 0
    assert sum(report.retired.values()) == 0
    assert dict(report.unchanged) == ROWS
    assert report.summary() == (
        "appendix_item: 0 new, 0 updated, 0 retired, 9 unchanged; "
        "logic_model: 0 new, 0 updated, 0 retired, 10 unchanged; "
        "need: 0 new, 0 updated, 0 retired, 6 unchanged; "
        "outcome: 0 new, 0 updated, 0 retired, 248 unchanged; "
        "plan: 0 new, 0 updated, 0 retired, 1 unchanged; "
        "region: 0 new, 0 updated, 0 retired, 9 unchanged; "
        "strategy: 0 new, 0 updated, 0 retired, 29 unchanged"
    )
    assert row_counts(engine) == counts
    assert snapshot(engine) == before


def test_load_twice_keeps_status_and_history(engine):
    record_update(engine, STL_SHORT_1)
    before = snapshot(engine)
    report = load_plan(engine, DATA_DIR)
    assert sum(report.updated.values()) == 0
    assert snapshot(engine) == before


def test_init_db_seeds_once(engine):
    before = snapshot(engine)
    assert init_db(engine, Settings(tracker_data_dir=DATA_DIR)) is False
    assert snapshot(engine) == before


def test_init_db_failed_seed_leaves_database_empty(data_copy):
    (data_copy / "logic_models" / "03_st-louis.yaml").write_text("- not a mapping\n")
    engine = make_engine("sqlite://")
    with pytest.raises(PlanFileError):
        init_db(engine, Settings(tracker_data_dir=data_copy))
    assert set(row_counts(engine).values()) == {0}
    # the next start seeds it
    assert init_db(engine, Settings(tracker_data_dir=DATA_DIR)) is True
    assert row_counts(engine)["outcome"] == 248


def test_load_file_database_persists(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = make_engine(url)
    assert init_db(engine, Settings(tracker_data_dir=DATA_DIR)) is True
    record_update(engine, STL_SHORT_1)
    engine.dispose()
    engine = make_engine(url)
    assert init_db(engine, Settings(tracker_data_dir=DATA_DIR)) is False
    assert dict(load_plan(engine, DATA_DIR).unchanged) == ROWS
    with Session(engine) as session:
        assert session.get(Outcome, STL_SHORT_1).status == "In progress"
    assert len(history(engine, STL_SHORT_1)) == 1
    engine.dispose()


# --- edits ----------------------------------------------------------------------------------


def test_reload_edited_text_updates_in_place(engine, data_copy):
    record_update(engine, STL_SHORT_1)
    before_history = history(engine, STL_SHORT_1)
    replace_once(
        data_copy / "logic_models" / "03_st-louis.yaml",
        "Identify 3-5 key stakeholders knowledgeable",
        "Identify 4-6 key stakeholders knowledgeable",
    )
    report = load_plan(engine, data_copy)
    assert dict(report.updated) == {"outcome": 1}
    assert report.unchanged["outcome"] == 247
    assert sum(report.inserted.values()) == sum(report.retired.values()) == 0
    with Session(engine) as session:
        outcome = session.get(Outcome, STL_SHORT_1)
        assert outcome.text == STL_SHORT_1_TEXT.replace("3-5", "4-6")
        assert outcome.version == 2
        assert outcome.status == "In progress"
        assert outcome.last_updated == UPDATED_AT
        assert outcome.last_updated_by == "alice@example.org"
        assert outcome.retired is False
        assert (outcome.due_date, outcome.date_as_written) == (date(2020, 6, 30), "6/2020")
        others = session.exec(select(Outcome.version).where(Outcome.id != STL_SHORT_1)).all()
        assert set(others) == {1}
    assert history(engine, STL_SHORT_1) == before_history
    assert row_counts(engine)["outcome"] == 248


def test_reload_edited_date_recomputes_due_date(engine, data_copy):
    record_update(engine, STL_SHORT_1)
    path = data_copy / "logic_models" / "03_st-louis.yaml"
    replace_once(path, "to form the shelter working group by 6/2020.", "to form ... by 9/2020.")
    text = path.read_text(encoding="utf-8")
    old = "by 9/2020.\n    date_as_written: 6/2020"
    assert old in text
    path.write_text(text.replace(old, "by 9/2020.\n    date_as_written: 9/2020"))
    load_plan(engine, data_copy)
    with Session(engine) as session:
        outcome = session.get(Outcome, STL_SHORT_1)
        assert (outcome.date_as_written, outcome.due_date, outcome.baseline_due_date) == (
            "9/2020",
            date(2020, 9, 30),
            date(2020, 9, 30),
        )
        assert (outcome.date_basis, outcome.version, outcome.status) == (
            "end of month",
            2,
            "In progress",
        )


def test_reload_removed_outcome_retired(engine, data_copy):
    removed = "state-housing.advocacy-partners.medium.2"  # the cut-off item, flagged
    record_update(engine, removed, "Blocked")
    before_history = history(engine, removed)

    def drop(raw):
        st = strategy_of(raw, "state-housing.advocacy-partners")
        st["outcomes"] = [o for o in st["outcomes"] if o["id"] != removed]

    edit_yaml(data_copy / "logic_models" / "01_state-housing.yaml", drop)
    report = load_plan(engine, data_copy)
    assert dict(report.retired) == {"outcome": 1}
    assert sum(report.inserted.values()) == 0
    with Session(engine) as session:
        outcome = session.get(Outcome, removed)
        assert outcome is not None
        assert (outcome.retired, outcome.status, outcome.version) == (True, "Blocked", 1)
        assert outcome.text == "Execute fund raisers events (1-"
        assert session.exec(select(Flag).where(Flag.subject_id == removed)).all() == []
        visible = [r["outcome_id"] for r in outcome_rows(session)]
        assert len(visible) == 247 and removed not in visible
        every = outcome_rows(session, OutcomeFilter(include_retired=True))
        assert len(every) == 248
        assert len(export_rows(session)) == 247
    assert history(engine, removed) == before_history
    assert row_counts(engine)["outcome"] == 248


def test_reload_restored_outcome_unretired(engine, data_copy):
    removed = "state-housing.advocacy-partners.medium.2"
    record_update(engine, removed, "Blocked")

    def drop(raw):
        st = strategy_of(raw, "state-housing.advocacy-partners")
        st["outcomes"] = [o for o in st["outcomes"] if o["id"] != removed]

    edit_yaml(data_copy / "logic_models" / "01_state-housing.yaml", drop)
    load_plan(engine, data_copy)
    report = load_plan(engine, DATA_DIR)
    # the restored outcome, and the two after it whose positions shift back
    assert dict(report.updated) == {"outcome": 3}
    assert report.inserted["outcome"] == 0
    with Session(engine) as session:
        outcome = session.get(Outcome, removed)
        assert (outcome.retired, outcome.status, outcome.version) == (False, "Blocked", 2)
        assert outcome.position == 5
        assert session.exec(select(Flag.code).where(Flag.subject_id == removed)).all() == [
            "cut_off"
        ]
    assert len(history(engine, removed)) == 1


def test_reload_removed_strategy_retires_it_and_its_outcomes(engine, data_copy):
    gone = "central.crisis-shelter"
    record_update(engine, f"{gone}.short.1")

    def drop(raw):
        raw["strategies"] = [s for s in raw["strategies"] if s["id"] != gone]

    edit_yaml(data_copy / "logic_models" / "10_central.yaml", drop)
    drop_strategy_mapping(data_copy, gone)
    report = load_plan(engine, data_copy)
    assert dict(report.retired) == {"strategy": 1, "outcome": 6}
    with Session(engine) as session:
        assert session.get(Strategy, gone).retired is True
        retired = session.exec(select(Outcome).where(Outcome.strategy_id == gone)).all()
        assert len(retired) == 6 and all(o.retired for o in retired)
        assert session.get(Outcome, f"{gone}.short.1").status == "In progress"
        assert len(outcome_rows(session)) == 242
        # positions of the remaining strategies follow the file
        assert session.get(Strategy, "central.mental-health").position == 2
    assert len(history(engine, f"{gone}.short.1")) == 1


def test_reload_removed_appendix_item_deleted(engine, data_copy):
    # Appendix A items carry no status or history: they are deleted, not retired
    edit_yaml(data_copy / "plan.yaml", lambda raw: raw["appendix_a"]["future_research"].pop())
    report = load_plan(engine, data_copy)
    assert dict(report.retired) == {"appendix_item": 1}
    with Session(engine) as session:
        assert session.get(AppendixItem, "future_research.6") is None
        assert session.get(AppendixItem, "future_research.5") is not None


def test_reload_added_outcome_inserted(engine, data_copy):
    def add(raw):
        strategy_of(raw, "central.mental-health")["outcomes"].append(
            {
                "id": "central.mental-health.long.4",
                "term": "long",
                "number": "4",
                "text": "Publish the network's first annual report by 6/2022.",
                "date_as_written": "6/2022",
                "flags": [],
            }
        )

    edit_yaml(data_copy / "logic_models" / "10_central.yaml", add)
    report = load_plan(engine, data_copy)
    assert dict(report.inserted) == {"outcome": 1}
    with Session(engine) as session:
        outcome = session.get(Outcome, "central.mental-health.long.4")
        assert (outcome.due_date, outcome.date_basis, outcome.status, outcome.version) == (
            date(2022, 6, 30),
            "end of month",
            "Not started",
            1,
        )
        assert outcome.position == 7


def test_reload_flags_follow_data(engine, data_copy):
    path = data_copy / "logic_models" / "09_kansas-city.yaml"

    def change(raw):
        strategy_of(raw, "kansas-city.mental-health")["flags"] = []
        strategy_of(raw, "kansas-city.legal-services")["outcomes"][0]["flags"] = [
            {"code": "multiple_dates", "reason": "Two dates in one item."}
        ]

    edit_yaml(path, change)
    load_plan(engine, data_copy)
    with Session(engine) as session:
        kc = {
            (f.subject_id, f.code): f.reason
            for f in session.exec(select(Flag).where(Flag.subject_id.startswith("kansas-city")))
        }
    assert kc == {
        ("kansas-city.crisis-services", "label_mismatch"): kc[
            ("kansas-city.crisis-services", "label_mismatch")
        ],
        ("kansas-city.legal-services.short.1", "multiple_dates"): "Two dates in one item.",
    }


def test_reload_edited_flag_reason_updates(engine, data_copy):
    replace_once(
        data_copy / "logic_models" / "01_state-housing.yaml",
        'The sentence stops at "(1-"; the rest of the item is missing from the report.',
        "The item stops mid-sentence.",
    )
    load_plan(engine, data_copy)
    with Session(engine) as session:
        reason = session.exec(
            select(Flag.reason).where(
                Flag.subject_id == "state-housing.advocacy-partners.medium.2",
                Flag.code == "cut_off",
            )
        ).one()
    assert reason == "The item stops mid-sentence."


# --- malformed files: stop, name the problem, change nothing ----------------------------------

STL = "logic_models/03_st-louis.yaml"


def _invalid_yaml(d: Path) -> None:
    replace_once(
        d / STL,
        f"  - id: {STL_SHORT_1}\n    term: short",
        f"  - id: {STL_SHORT_1}\n    term: [short",
    )


def _unknown_term(d: Path) -> None:
    replace_once(
        d / STL, f"  - id: {STL_SHORT_1}\n    term: short", f"  - id: {STL_SHORT_1}\n    term: soon"
    )


def _unknown_need(d: Path) -> None:
    replace_once(d / STL, "need: legal-services", "need: dentistry")


def _duplicate_id(d: Path) -> None:
    replace_once(
        d / "logic_models/05_southeast.yaml",
        "id: southeast.adult-shelter.short.n1",
        f"id: {STL_SHORT_1}",
    )


def _missing_text(d: Path) -> None:
    replace_once(d / STL, f"    text: {STL_SHORT_1_TEXT}\n", "")


def _not_a_mapping(d: Path) -> None:
    (d / STL).write_text("- a list\n- not a logic model\n", encoding="utf-8")


def _empty_file(d: Path) -> None:
    (d / STL).write_text("", encoding="utf-8")


def _plan_not_a_mapping(d: Path) -> None:
    (d / "plan.yaml").write_text("just a string\n", encoding="utf-8")


def _unknown_region(d: Path) -> None:
    replace_once(d / STL, "region: st-louis", "region: mars")


def _unknown_field(d: Path) -> None:
    replace_once(d / STL, f"  - id: {STL_SHORT_1}\n", f"  - id: {STL_SHORT_1}\n    colour: red\n")


def _not_utf8(d: Path) -> None:
    (d / STL).write_bytes("id: st-louis\ntitle: caf\u00e9\n".encode("latin-1"))


MALFORMED = {
    # case: (edit, file, record, field, problem)
    "invalid-yaml": (_invalid_yaml, STL, "line *", "-", "not valid YAML: *"),
    "unknown-term": (
        _unknown_term,
        STL,
        STL_SHORT_1,
        "term",
        "Input should be 'short', 'medium' or 'long' (got 'soon')",
    ),
    "unknown-need": (
        _unknown_need,
        STL,
        "st-louis.legal-services",
        "need",
        "unknown need 'dentistry'",
    ),
    "duplicate-id": (
        _duplicate_id,
        "logic_models/05_southeast.yaml",
        STL_SHORT_1,
        "id",
        "duplicate id (also in 03_st-louis.yaml)",
    ),
    "missing-text": (_missing_text, STL, STL_SHORT_1, "text", "Field required"),
    "not-a-mapping": (_not_a_mapping, STL, "-", "-", "expected a mapping at the top of the file"),
    "empty-file": (_empty_file, STL, "-", "-", "expected a mapping at the top of the file"),
    "plan-not-a-mapping": (
        _plan_not_a_mapping,
        "plan.yaml",
        "-",
        "-",
        "expected a mapping at the top of the file",
    ),
    "unknown-region": (_unknown_region, STL, "st-louis", "region", "unknown region 'mars'"),
    "unknown-field": (
        _unknown_field,
        STL,
        STL_SHORT_1,
        "colour",
        "Extra inputs are not permitted (got 'red')",
    ),
    "not-utf8": (_not_utf8, STL, "-", "-", "not UTF-8 text *"),
}


def _matches(value: str, pattern: str) -> bool:
    return value.startswith(pattern[:-1]) if pattern.endswith("*") else value == pattern


@pytest.mark.parametrize("case", list(MALFORMED))
def test_load_malformed_file_changes_nothing(engine, data_copy, case):
    edit, file, record, field, problem = MALFORMED[case]
    record_update(engine, STL_SHORT_1)
    # a valid edit elsewhere, which must not be applied either
    replace_once(
        data_copy / "logic_models/02_state-mental-health.yaml",
        "title: Mental Health/Substance Use",
        "title: Mental Health",
    )
    edit(data_copy)
    before, counts = snapshot(engine), row_counts(engine)

    with pytest.raises(PlanFileError) as info:
        load_plan(engine, data_copy)

    err = info.value
    assert Path(err.file) == data_copy / file
    assert _matches(err.record, record), err.record
    assert err.field == field
    assert _matches(err.problem, problem), err.problem
    assert str(err) == f"{err.file}: record {err.record}: field {err.field}: {err.problem}"
    assert row_counts(engine) == counts
    assert snapshot(engine) == before


def test_load_missing_logic_models_dir(engine, data_copy):
    for path in (data_copy / "logic_models").iterdir():
        path.unlink()
    with pytest.raises(PlanFileError, match="no logic model files"):
        load_plan(engine, data_copy)


# --- a failure half-way through the write rolls everything back -----------------------------


def _fail_in_flags(monkeypatch):
    def boom(session, data):
        # every table has been written (and flushed) by now
        assert session.get(Outcome, STL_SHORT_1).text.startswith("Identify 4-6")
        raise RuntimeError("injected failure")

    monkeypatch.setattr(loading, "_replace_flags", boom)


def _fail_at_outcomes(monkeypatch):
    real = loading._upsert

    def upsert(session, model, items, report, batch):
        if model is Outcome:
            # plan, needs, regions, logic models and strategies are written by now
            assert session.get(Plan, 1).published == 2020
            assert session.get(Strategy, "central.mental-health").retired is True
            raise RuntimeError("injected failure")
        real(session, model, items, report, batch)

    monkeypatch.setattr(loading, "_upsert", upsert)


@pytest.mark.parametrize("inject", [_fail_in_flags, _fail_at_outcomes])
def test_load_failure_mid_write_rolls_back(engine, data_copy, monkeypatch, inject):
    record_update(engine, STL_SHORT_1)
    # changes to every kind of row, so a partial write would show
    replace_once(data_copy / "plan.yaml", "published: 2019", "published: 2020")
    replace_once(data_copy / "plan.yaml", "name: St. Louis", "name: Saint Louis")
    replace_once(
        data_copy / "logic_models/03_st-louis.yaml",
        "Identify 3-5 key stakeholders knowledgeable",
        "Identify 4-6 key stakeholders knowledgeable",
    )
    replace_once(data_copy / "logic_models/03_st-louis.yaml", "label: Legal Services", "label: Law")
    edit_yaml(
        data_copy / "logic_models/10_central.yaml",
        lambda raw: raw["strategies"].pop(),
    )
    drop_strategy_mapping(data_copy, "central.mental-health")
    before = snapshot(engine)
    inject(monkeypatch)

    with pytest.raises(RuntimeError, match="injected failure"):
        load_plan(engine, data_copy)

    assert snapshot(engine) == before
    monkeypatch.undo()
    # and the same data then loads normally
    report = load_plan(engine, data_copy)
    assert report.updated["outcome"] == 1
    with Session(engine) as session:
        assert session.get(Region, "st-louis").name == "Saint Louis"
        assert session.get(Plan, 1).published == 2020


def test_reload_position_shift_keeps_sibling_versions(engine, data_copy):
    """Removing one outcome moves its siblings up a place; that alone must not make
    forms open on those siblings stale."""
    from core.models import Outcome

    path = data_copy / "logic_models" / "06_southwest.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    outcomes = doc["strategies"][0]["outcomes"]
    removed, sibling = outcomes[0]["id"], outcomes[1]["id"]
    del outcomes[0]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with Session(engine) as s:
        before = s.get(Outcome, sibling)
        version, position = before.version, before.position
    loading.load_plan(engine, data_copy)
    with Session(engine) as s:
        after = s.get(Outcome, sibling)
        assert after.position == position - 1
        assert after.version == version
        assert s.get(Outcome, removed).retired is True
