"""A measure's target as the report words it, and the rules a target must keep.

`min` and `max` hold the bounds: exactly N is min = max = N; at least N is min = N;
at most N is max = N; a range is min–max; none has neither.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.models import MeasureDirection, TargetKind


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    min: float | None = None
    max: float | None = None

    def met(self, value: float) -> bool:
        """Whether `value` meets the target (never, when there is none)."""
        if self.kind == TargetKind.NONE:
            return False
        low_ok = self.min is None or value >= self.min
        high_ok = self.max is None or value <= self.max
        return low_ok and high_ok

    def describe(self, unit: str = "") -> str:
        """The target in words: "3–5 stakeholders", "at least 1", "no target"."""
        suffix = f" {unit}" if unit else ""
        if self.kind == TargetKind.RANGE:
            return f"{_num(self.min)}–{_num(self.max)}{suffix}"
        if self.kind == TargetKind.EXACTLY:
            return f"{_num(self.min)}{suffix}"
        if self.kind == TargetKind.AT_LEAST:
            return f"at least {_num(self.min)}{suffix}"
        if self.kind == TargetKind.AT_MOST:
            return f"at most {_num(self.max)}{suffix}"
        return "no target"


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:g}" if value != int(value) else f"{int(value):,}"


# Which bounds each kind of target has: (min, max).
_BOUNDS = {
    TargetKind.EXACTLY: (True, True),
    TargetKind.AT_LEAST: (True, False),
    TargetKind.AT_MOST: (False, True),
    TargetKind.RANGE: (True, True),
    TargetKind.NONE: (False, False),
}


def target_problem(target: Target, direction: MeasureDirection) -> str | None:
    """Why a target cannot be, in words naming the field; None when it is sound."""
    wants_min, wants_max = _BOUNDS[target.kind]
    for name, wanted, value in (("min", wants_min, target.min), ("max", wants_max, target.max)):
        if wanted and value is None:
            return f"target {name}: a target of kind “{target.kind}” needs one"
        if not wanted and value is not None:
            return f"target {name}: a target of kind “{target.kind}” has none"
    if target.min is not None and target.max is not None:
        if target.min > target.max:
            return f"target min: {_num(target.min)} is above the max {_num(target.max)}"
        if target.kind == TargetKind.EXACTLY and target.min != target.max:
            return "target: exactly N has min and max equal"
        if target.kind == TargetKind.RANGE and target.min == target.max:
            return "target: a range has min below max (use exactly N)"
    if direction == MeasureDirection.WITHIN and target.kind not in (
        TargetKind.RANGE,
        TargetKind.EXACTLY,
        TargetKind.NONE,
    ):
        return "direction: “within” needs a range or an exact target"
    if (target.kind, direction) in (
        (TargetKind.AT_LEAST, MeasureDirection.DOWN),
        (TargetKind.AT_MOST, MeasureDirection.UP),
    ):
        return f"direction: a target of “{target.kind}” cannot go {direction}"
    return None
