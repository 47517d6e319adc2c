"""The report's defects, each flagged with its reason in the loaded database and export."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlmodel import select

from core.models import DateBasis, DateFlag, Flag, LogicModel, Outcome, Strategy
from core.progress.filters import OutcomeFilter
from core.progress.queries import export_rows, outcome_rows

IMPOSSIBLE = [
    "metro-east.mental-health-sud.short.3",
    "metro-east.shelter-transitional-housing.short.2",
    "southwest.mental-healthcare.short.3",
    "southwest.minor-shelter.short.2",
]

# every editorial flag of data/: (kind, subject, code)
FLAGS = {
    ("strategy", "state-housing.housing-development-commission", "empty_item"),
    ("strategy", "state-housing.housing-development-commission", "no_dates"),
    ("strategy", "state-housing.workforce-development-board", "no_dates"),
    ("outcome", "state-housing.workforce-development-board.long.n1", "numbering_gap"),
    ("outcome", "state-housing.advocacy-partners.medium.2", "cut_off"),
    ("outcome", "metro-east.mental-health-sud.medium.5", "numbering_gap"),
    ("strategy", "northeast.mental-health", "numbering_gap"),
    ("strategy", "kansas-city.mental-health", "label_mismatch"),
    ("strategy", "kansas-city.crisis-services", "label_mismatch"),
    ("logic_model", "central", "no_dates"),
}


@pytest.fixture(scope="module")
def rows(plan_session) -> dict[str, dict]:
    return {r["outcome_id"]: r for r in outcome_rows(plan_session)}


@pytest.fixture(scope="module")
def exported(plan_session) -> dict[str, dict]:
    return {r["outcome_id"]: r for r in export_rows(plan_session)}


def flag(session, subject_id: str, code: str) -> Flag:
    return session.exec(select(Flag).where(Flag.subject_id == subject_id, Flag.code == code)).one()


# --- date defects (detected by core/dates.py) -----------------------------------------


@pytest.mark.parametrize("outcome_id", IMPOSSIBLE)
def test_defect_impossible_date_corrected(plan_session, exported, outcome_id):
    outcome = plan_session.get(Outcome, outcome_id)
    assert outcome.date_as_written == "2/31/2020"
    assert "2/31/2020" in outcome.text
    assert outcome.due_date == outcome.baseline_due_date == date(2020, 2, 29)
    assert outcome.date_basis == DateBasis.CORRECTED
    assert outcome.date_flag == DateFlag.IMPOSSIBLE_DATE
    assert outcome.date_note == (
        "2/31/2020 does not exist; due on the month's last day, 2/29/2020."
    )
    row = exported[outcome_id]
    assert (row["date_as_written"], row["due_date"], row["date_basis"], row["date_flag"]) == (
        "2/31/2020",
        "2020-02-29",
        "corrected",
        "impossible date",
    )


def test_defect_impossible_date_only_those_four(rows):
    assert sorted(i for i, r in rows.items() if r["date_flag"] == "impossible date") == IMPOSSIBLE


def test_defect_year_typo_inferred(plan_session, exported):
    outcome = plan_session.get(Outcome, "northeast.mental-health.long.2")
    assert outcome.date_as_written == "4/2012"
    assert outcome.date_basis == DateBasis.INFERRED
    assert outcome.date_flag == DateFlag.LIKELY_TYPO
    # rule 1: the latest long-term date in its strategy (long.4, 8/2021)
    assert outcome.due_date == outcome.baseline_due_date == date(2021, 8, 31)
    assert plan_session.get(Outcome, "northeast.mental-health.long.4").due_date == date(2021, 8, 31)
    assert outcome.date_note == (
        "4/2012 falls outside the plan's 2019–2022 span; likely a typo. "
        "Planned as the latest long term date in its strategy."
    )
    row = exported["northeast.mental-health.long.2"]
    assert (row["due_date"], row["date_basis"], row["date_flag"]) == (
        "2021-08-31",
        "inferred",
        "likely typo",
    )


def test_defect_month_without_year_inferred(plan_session, exported):
    outcome = plan_session.get(Outcome, "state-housing.advocacy-partners.short.2")
    assert outcome.date_as_written == "March/April"
    assert outcome.date_basis == DateBasis.INFERRED
    assert outcome.date_flag == DateFlag.NO_YEAR
    # rule 2: its strategy has no dates; the latest short date in state-housing is 10/2020
    assert outcome.due_date == outcome.baseline_due_date == date(2020, 10, 31)
    assert outcome.date_note == (
        "“March/April” names a month but no year. "
        "Planned as the latest short term date in its logic model."
    )
    row = exported["state-housing.advocacy-partners.short.2"]
    assert (row["due_date"], row["date_basis"], row["date_flag"]) == (
        "2020-10-31",
        "inferred",
        "no year",
    )


def test_defect_date_basis_totals(rows):
    assert Counter((r["date_basis"], r["date_flag"]) for r in rows.values()) == {
        ("end of month", None): 181,
        ("as written", None): 7,
        ("corrected", "impossible date"): 4,
        ("inferred", "no date"): 54,
        ("inferred", "no year"): 1,
        ("inferred", "likely typo"): 1,
    }


def test_defect_inferred_rows_explain_their_plan(rows):
    for r in rows.values():
        if r["date_basis"] == "inferred":
            assert r["date_flag"] is not None
            assert " Planned as " in r["date_note"], r["outcome_id"]
        else:
            assert r["date_as_written"] is not None


# --- the central logic model: no dates at all ---------------------------------------------


def test_defect_central_no_dates_flag(plan_session):
    f = flag(plan_session, "central", "no_dates")
    assert f.subject_kind == "logic_model"
    assert f.reason.startswith("No outcome in this logic model has a target date")


def test_defect_central_outcomes_all_inferred(rows, exported):
    central = {i: r for i, r in rows.items() if r["logic_model_id"] == "central"}
    assert len(central) == 21
    # rule 3: nothing in central is dated, so each term takes the plan's latest date
    latest = {
        term: max(
            r["due_date"]
            for r in rows.values()
            if r["term"] == term and r["date_basis"] != "inferred"
        )
        for term in ("short", "medium", "long")
    }
    assert latest == {
        "short": date(2020, 12, 31),
        "medium": date(2021, 12, 31),
        "long": date(2022, 6, 30),
    }
    for outcome_id, r in central.items():
        assert r["date_as_written"] is None
        assert (r["date_basis"], r["date_flag"]) == ("inferred", "no date")
        assert r["due_date"] == r["baseline_due_date"] == latest[r["term"]]
        assert r["date_note"] == (
            f"The report gives no date. Planned as the latest {r['term']} term date in the plan."
        )
        assert exported[outcome_id]["date_flag"] == "no date"
        assert exported[outcome_id]["due_date"] == latest[r["term"]].isoformat()


def test_defect_central_no_dates_in_export_flags(exported):
    central = [r for r in exported.values() if r["outcome_id"].startswith("central.")]
    assert central and all("no_dates" in r["flags"].split("; ") for r in central)


def test_defect_no_dates_strategies_inferred(rows):
    for strategy in (
        "state-housing.housing-development-commission",
        "state-housing.workforce-development-board",
    ):
        own = [r for r in rows.values() if r["strategy_id"] == strategy]
        assert len(own) == 5
        assert {(r["date_basis"], r["date_flag"]) for r in own} == {("inferred", "no date")}
        assert all("no_dates" in r["flags"].split("; ") for r in own)


# --- editorial flags (written in data/) ------------------------------------------------------


def test_defect_flags_table_exactly(plan_session):
    flags = plan_session.exec(select(Flag)).all()
    assert {(f.subject_kind, f.subject_id, f.code) for f in flags} == FLAGS
    assert len(flags) == len(FLAGS)
    assert all(f.reason.strip() for f in flags)


def test_defect_flag_subjects_exist(plan_session):
    tables = {"logic_model": LogicModel, "strategy": Strategy, "outcome": Outcome}
    for kind, subject, _ in FLAGS:
        assert plan_session.get(tables[kind], subject) is not None, subject


@pytest.mark.parametrize(
    ("outcome_id", "reason_part"),
    [
        (
            "state-housing.workforce-development-board.long.n1",
            '"1.Secure policy and resources change Implement changes"',
        ),
        ("metro-east.mental-health-sud.medium.5", "jumps from 3 to 5"),
    ],
)
def test_defect_numbering_gap_outcome(plan_session, exported, outcome_id, reason_part):
    f = flag(plan_session, outcome_id, "numbering_gap")
    assert f.subject_kind == "outcome"
    assert reason_part in f.reason
    assert "numbering_gap" in exported[outcome_id]["flags"].split("; ")


def test_defect_numbering_gap_unnumbered_item(plan_session):
    outcome = plan_session.get(Outcome, "state-housing.workforce-development-board.long.n1")
    assert (outcome.number, outcome.term, outcome.text) == (None, "long", "Implement changes")


def test_defect_numbering_gap_missing_number(plan_session):
    numbers = plan_session.exec(
        select(Outcome.number)
        .where(Outcome.strategy_id == "metro-east.mental-health-sud", Outcome.term == "medium")
        .order_by(Outcome.position)
    ).all()
    assert numbers == ["1", "2", "3", "5"]
    numbers = plan_session.exec(
        select(Outcome.number)
        .where(Outcome.strategy_id == "northeast.mental-health", Outcome.term == "medium")
        .order_by(Outcome.position)
    ).all()
    assert numbers == ["1", "2", "3", "5", "6"]


def test_defect_numbering_gap_strategy_on_all_its_outcomes(plan_session, exported):
    f = flag(plan_session, "northeast.mental-health", "numbering_gap")
    assert f.subject_kind == "strategy"
    assert "skips from 3 to 5" in f.reason
    own = [r for r in exported.values() if r["outcome_id"].startswith("northeast.mental-health.")]
    assert len(own) == 12
    assert all(r["flags"] == "numbering_gap" for r in own)


def test_defect_empty_item_not_an_outcome(plan_session, exported):
    strategy = "state-housing.housing-development-commission"
    f = flag(plan_session, strategy, "empty_item")
    assert f.subject_kind == "strategy"
    assert 'item "2." with no text' in f.reason
    medium = plan_session.exec(
        select(Outcome.id).where(Outcome.strategy_id == strategy, Outcome.term == "medium")
    ).all()
    assert medium == [f"{strategy}.medium.1"]
    assert exported[f"{strategy}.medium.1"]["flags"] == "empty_item; no_dates"


def test_defect_cut_off_sentence(plan_session, exported):
    outcome_id = "state-housing.advocacy-partners.medium.2"
    f = flag(plan_session, outcome_id, "cut_off")
    assert f.subject_kind == "outcome"
    assert '"(1-"' in f.reason
    row = exported[outcome_id]
    assert row["text"] == "Execute fund raisers events (1-"
    assert (row["flags"], row["date_flag"]) == ("cut_off", "no date")


@pytest.mark.parametrize(
    ("strategy", "label", "need", "about"),
    [
        ("kansas-city.mental-health", "Crisis Services", "mental-health", "mental health"),
        ("kansas-city.crisis-services", "Mental Healthcare", "crisis-services", "crisis service"),
    ],
)
def test_defect_label_mismatch(plan_session, exported, strategy, label, need, about):
    s = plan_session.get(Strategy, strategy)
    assert (s.label, s.title, s.need_id) == (label, label, need)
    f = flag(plan_session, strategy, "label_mismatch")
    assert f.subject_kind == "strategy"
    assert f'labelled "{label}"' in f.reason
    assert about in f.reason
    assert "swapped" in f.reason
    own = [r for r in exported.values() if r["outcome_id"].startswith(f"{strategy}.")]
    assert own and all(r["flags"] == "label_mismatch" for r in own)
    assert {r["strategy"] for r in own} == {label}


def test_defect_flag_reasons_in_outcome_rows(rows):
    row = rows["state-housing.workforce-development-board.long.n1"]
    assert row["flags"] == "numbering_gap; no_dates"
    assert row["flag_reasons"][0] == (
        "no date: The report gives no date. Planned as the latest long term date in its "
        "logic model."
    )
    assert row["flag_reasons"][1].startswith("numbering gap: The report prints")
    assert row["flag_reasons"][2] == "no dates: None of this row's outcomes has a target date."


def test_defect_unflagged_outcome_clean(exported):
    row = exported["metro-east.mental-health-sud.short.1"]
    assert (row["date_as_written"], row["due_date"], row["date_basis"]) == (
        "1/31/2020",
        "2020-01-31",
        "as written",
    )
    assert (row["date_flag"], row["flags"]) == (None, "")


def test_defect_flagged_only_filter(plan_session, rows):
    flagged = outcome_rows(plan_session, OutcomeFilter(flagged_only=True))
    expected = {i for i, r in rows.items() if r["date_flag"] or r["flags"]}
    assert {r["outcome_id"] for r in flagged} == expected
    # 60 dated defects + 11 more in northeast.mental-health + 21 in the two mislabelled
    # kansas-city rows + metro-east.mental-health-sud.medium.5
    assert len(expected) == 93
