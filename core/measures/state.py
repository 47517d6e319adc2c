"""A measure's state — on track, at risk, off track — computed from its target, its
direction, its latest value and its by-date; never stored.

The rule, in order:

1. No target (the report gives no number): **no target**.
2. No value yet: **off track** once the by-date has passed, else **no value yet**.
3. The latest value meets the target (exactly N; at least N; at most N; within
   min–max): **on track**, whatever the date.
4. The value went past the target in the direction of travel (above the max of a
   measure that goes up, below the min of one that goes down: more than the plan
   asked for): **at risk** — time will not bring it back; someone should look.
5. Otherwise the value is short of the target (or outside a "within" range):
   - the by-date has passed: **off track**;
   - no by-date, or it is at most `WARN_DAYS` away: **at risk**;
   - more than `WARN_DAYS` to go: **on track** (there is still time), except for a
     "within" measure, which should be inside its range all along: **at risk**.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from core.measures.targets import Target
from core.models import MeasureDirection, TargetKind

WARN_DAYS = 90  # a target not yet met this close to its by-date is at risk


class MeasureState(StrEnum):
    ON_TRACK = "on track"
    AT_RISK = "at risk"
    OFF_TRACK = "off track"
    NO_TARGET = "no target"
    NO_VALUE = "no value yet"


def overshot(target: Target, direction: MeasureDirection, value: float) -> bool:
    """Whether `value` is past the target on the far side of the direction of travel."""
    if direction == MeasureDirection.UP:
        return target.max is not None and value > target.max
    if direction == MeasureDirection.DOWN:
        return target.min is not None and value < target.min
    return False


def measure_state(
    *,
    target: Target,
    direction: MeasureDirection,
    latest: float | None,
    by: date | None,
    today: date,
) -> MeasureState:
    """The state by the rule in this module's docstring."""
    if target.kind == TargetKind.NONE:
        return MeasureState.NO_TARGET
    past_due = by is not None and today > by
    if latest is None:
        return MeasureState.OFF_TRACK if past_due else MeasureState.NO_VALUE
    if target.met(latest):
        return MeasureState.ON_TRACK
    if overshot(target, direction, latest):
        return MeasureState.AT_RISK
    if past_due:
        return MeasureState.OFF_TRACK
    if by is None or (by - today).days <= WARN_DAYS or direction == MeasureDirection.WITHIN:
        return MeasureState.AT_RISK
    return MeasureState.ON_TRACK
