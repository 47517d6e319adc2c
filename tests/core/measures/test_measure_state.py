"""The state rule (core/measures/state.py), case by case: pure functions, no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.measures.state import WARN_DAYS, MeasureState, measure_state, overshot
from core.measures.targets import Target, target_problem
from core.models import MeasureDirection, TargetKind

TODAY = date(2026, 12, 1)
FAR = TODAY + timedelta(days=WARN_DAYS + 1)  # more than WARN_DAYS to go
NEAR = TODAY + timedelta(days=WARN_DAYS)  # exactly WARN_DAYS to go: at risk
DUE_TODAY = TODAY  # the by-date itself has not passed
PAST = TODAY - timedelta(days=1)

UP, DOWN, WITHIN = MeasureDirection.UP, MeasureDirection.DOWN, MeasureDirection.WITHIN
RANGE_3_5 = Target(TargetKind.RANGE, 3, 5)
AT_LEAST_1 = Target(TargetKind.AT_LEAST, 1)
AT_MOST_10 = Target(TargetKind.AT_MOST, None, 10)
EXACTLY_2 = Target(TargetKind.EXACTLY, 2, 2)
NONE = Target(TargetKind.NONE)

ON, RISK, OFF = MeasureState.ON_TRACK, MeasureState.AT_RISK, MeasureState.OFF_TRACK


def state(target, direction, latest, by):
    return measure_state(target=target, direction=direction, latest=latest, by=by, today=TODAY)


@pytest.mark.parametrize("latest", [None, 0, 7])
@pytest.mark.parametrize("by", [None, FAR, PAST])
@pytest.mark.parametrize("direction", list(MeasureDirection))
def test_state_no_target_whatever_else(latest, by, direction):
    assert state(NONE, direction, latest, by) == MeasureState.NO_TARGET


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        (None, MeasureState.NO_VALUE),
        (FAR, MeasureState.NO_VALUE),
        (DUE_TODAY, MeasureState.NO_VALUE),
        (PAST, OFF),
    ],
)
def test_state_no_value_off_track_only_after_by_date(by, expected):
    assert state(RANGE_3_5, UP, None, by) == expected


@pytest.mark.parametrize(
    ("target", "direction", "latest"),
    [
        (RANGE_3_5, UP, 3),
        (RANGE_3_5, UP, 5),
        (RANGE_3_5, WITHIN, 4),
        (AT_LEAST_1, UP, 1),
        (AT_LEAST_1, UP, 40),
        (AT_MOST_10, DOWN, 10),
        (AT_MOST_10, DOWN, 0),
        (EXACTLY_2, UP, 2),
        (EXACTLY_2, WITHIN, 2),
    ],
)
@pytest.mark.parametrize("by", [None, FAR, NEAR, PAST])
def test_state_met_is_on_track_whatever_the_date(target, direction, latest, by):
    assert state(target, direction, latest, by) == ON


@pytest.mark.parametrize(
    ("target", "direction", "latest"),
    [(RANGE_3_5, UP, 6), (EXACTLY_2, UP, 3), (RANGE_3_5, DOWN, 2), (EXACTLY_2, DOWN, 1)],
)
@pytest.mark.parametrize("by", [None, FAR, PAST])
def test_state_overshot_is_at_risk_whatever_the_date(target, direction, latest, by):
    assert overshot(target, direction, latest)
    assert state(target, direction, latest, by) == RISK


@pytest.mark.parametrize(
    ("target", "direction", "latest"),
    [(RANGE_3_5, UP, 2), (AT_LEAST_1, UP, 0), (AT_MOST_10, DOWN, 11), (EXACTLY_2, UP, 1)],
)
@pytest.mark.parametrize(
    ("by", "expected"),
    [(FAR, ON), (NEAR, RISK), (DUE_TODAY, RISK), (None, RISK), (PAST, OFF)],
)
def test_state_short_of_target_depends_on_time_left(target, direction, latest, by, expected):
    assert not overshot(target, direction, latest)
    assert state(target, direction, latest, by) == expected


@pytest.mark.parametrize("latest", [2, 6])
@pytest.mark.parametrize(("by", "expected"), [(FAR, RISK), (None, RISK), (PAST, OFF)])
def test_state_outside_a_within_range_is_never_on_track(latest, by, expected):
    assert state(RANGE_3_5, WITHIN, latest, by) == expected


# --- targets ------------------------------------------------------------------------


def test_target_met_and_described():
    assert RANGE_3_5.met(3) and RANGE_3_5.met(5) and not RANGE_3_5.met(5.5)
    assert not NONE.met(0)
    assert RANGE_3_5.describe("stakeholders") == "3–5 stakeholders"
    assert AT_LEAST_1.describe() == "at least 1"
    assert AT_MOST_10.describe("days") == "at most 10 days"
    assert EXACTLY_2.describe() == "2"
    assert NONE.describe("sites") == "no target"
    assert Target(TargetKind.AT_LEAST, 2.5).describe() == "at least 2.5"


@pytest.mark.parametrize(
    ("target", "direction", "problem"),
    [
        (Target(TargetKind.RANGE, 5, 3), UP, "target min: 5 is above the max 3"),
        (Target(TargetKind.RANGE, 3, 3), UP, "a range has min below max"),
        (Target(TargetKind.RANGE, 3), UP, "target max: a target of kind “range” needs one"),
        (
            Target(TargetKind.AT_LEAST, None, 3),
            UP,
            "target min: a target of kind “at least” needs one",
        ),
        (Target(TargetKind.AT_LEAST, 1, 3), UP, "target max: a target of kind “at least” has none"),
        (Target(TargetKind.EXACTLY, 1, 2), UP, "exactly N has min and max equal"),
        (Target(TargetKind.NONE, 1), UP, "target min: a target of kind “none” has none"),
        (Target(TargetKind.AT_LEAST, 1), DOWN, "cannot go down"),
        (Target(TargetKind.AT_MOST, None, 1), UP, "cannot go up"),
        (Target(TargetKind.AT_LEAST, 1), WITHIN, "“within” needs a range or an exact target"),
    ],
)
def test_target_problem_names_the_field(target, direction, problem):
    assert problem in (target_problem(target, direction) or "")


@pytest.mark.parametrize(
    ("target", "direction"),
    [
        (RANGE_3_5, UP),
        (RANGE_3_5, WITHIN),
        (AT_LEAST_1, UP),
        (AT_MOST_10, DOWN),
        (EXACTLY_2, DOWN),
        (NONE, UP),
    ],
)
def test_target_problem_none_for_sound_targets(target, direction):
    assert target_problem(target, direction) is None
