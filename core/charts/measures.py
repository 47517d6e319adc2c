"""A measure's actual values against its target: a band for a range, a rule for a
minimum, a maximum or an exact number, a dashed rule for the baseline, a dotted rule
at the by-date, and the values as a line with points. A Vega-Lite spec as a dict
(core/charts/vl.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

import pyarrow as pa

from core.charts import vl
from core.charts.style import (
    AXIS_DATE_FORMAT,
    BAR_COLOR,
    DATE_FORMAT,
    DONE_COLOR,
    MUTED_COLOR,
)
from core.measures.targets import Target
from core.models import TargetKind

TARGET_OPACITY = 0.18
HEIGHT = 180


def _y(unit: str) -> dict[str, Any]:
    return vl.channel("value:Q", title=unit or "Value", scale={"zero": True})


def _view(spec: vl.Spec, name: str, frame: pa.Table, **view: Any) -> dict[str, Any]:
    """A view drawing `frame`, which this adds to `spec` as `name`."""
    spec.setdefault("datasets", {})[name] = frame
    return {"data": {"name": name}, **view}


# The target's, the baseline's and the empty chart's one row, written into the spec
# (no frame to build and send for a number and its words: a page draws 25 of these).
def _inline(row: dict[str, Any], **view: Any) -> dict[str, Any]:
    return {"data": {"values": [row]}, **view}


def _number(value: Any) -> float | None:
    return None if value is None else float(value)  # JSON: no Decimal or numpy


def _midnight(day: date) -> datetime:
    """A day as a naive midnight (a datetime is kept as it is)."""
    return day if isinstance(day, datetime) else datetime.combine(day, time())


def values_table(values: Sequence[Mapping[str, Any]]) -> pa.Table:
    """The values (dicts with `as_of`, `value`, `recorded_by`) as the chart's frame."""
    return vl.table(
        {
            "as_of": [_midnight(v["as_of"]) for v in values],
            "value": [_number(v["value"]) for v in values],
            "recorded_by": [v.get("recorded_by") for v in values],
        }
    )


def target_layers(spec: vl.Spec, target: Target, unit: str) -> list[dict[str, Any]]:
    """The target: a shaded band for a range, a rule for one number (its row written
    into the view)."""
    label = f"Target: {target.describe(unit)}"
    if target.kind == TargetKind.NONE:
        return []
    tip = vl.tooltip(("target:N", "Target"))
    if target.kind == TargetKind.RANGE:
        row = {"low": _number(target.min), "high": _number(target.max), "target": label}
        band = vl.mark("rect", color=DONE_COLOR, opacity=TARGET_OPACITY)
        encoding = {
            "y": vl.channel("low:Q", title=unit or "Value"),
            "y2": {"field": "high"},  # a second position takes no type
            "tooltip": tip,
        }
        return [_inline(row, mark=band, encoding=encoding)]
    value = target.min if target.min is not None else target.max
    rule = vl.mark("rule", color=DONE_COLOR, strokeWidth=2)
    row = {"value": _number(value), "target": label}
    return [_inline(row, mark=rule, encoding={"y": _y(unit), "tooltip": tip})]


NO_VALUES = {"text": "No values recorded yet"}


def _series(spec: vl.Spec, d: pa.Table, unit: str) -> list[dict[str, Any]]:
    """The values as a line with points (the frame "values")."""
    encoding = {
        "x": vl.channel("as_of:T", title=None, axis={"format": AXIS_DATE_FORMAT}),
        "y": _y(unit),
        "tooltip": vl.tooltip(
            ("as_of:T", "As of", DATE_FORMAT),
            ("value:Q", unit or "Value"),
            ("recorded_by:N", "Recorded by"),
        ),
    }
    line = _view(spec, "values", d, mark=vl.mark("line", color=BAR_COLOR), encoding=encoding)
    point = vl.mark("point", color=BAR_COLOR, filled=True, size=60)
    return [line, {"data": {"name": "values"}, "mark": point, "encoding": encoding}]


def measure_chart(
    values: Sequence[Mapping[str, Any]],
    *,
    target: Target,
    unit: str = "",
    baseline: float | None = None,
    by: date | None = None,
) -> vl.Spec:
    """Values (dicts with `as_of`, `value`, `recorded_by`, oldest first) against the
    target, the baseline and the by-date. No values draws the target alone. Built
    without pandas: the Measures page draws one per card."""
    d = values_table(values)
    about = f"Recorded values against the target ({target.describe(unit)})"
    spec = vl.Spec(datasets={}, height=HEIGHT, description=about)
    layers = target_layers(spec, target, unit)
    if baseline is not None:
        row = {"value": _number(baseline), "what": f"Baseline: {baseline:g}"}
        mark = vl.mark("rule", color=MUTED_COLOR, strokeDash=[6, 4])
        encoding = {"y": _y(unit), "tooltip": vl.tooltip(("what:N", "Baseline"))}
        layers.append(_inline(row, mark=mark, encoding=encoding))
    if by is not None:
        frame = vl.table({"by": [_midnight(by)]})
        mark = vl.mark("rule", color=MUTED_COLOR, strokeDash=[2, 3])
        encoding = {
            "x": vl.channel("by:T", title=None),
            "tooltip": vl.tooltip(("by:T", "Due by", DATE_FORMAT)),
        }
        layers.append(_view(spec, "by", frame, mark=mark, encoding=encoding))
    # No values: no series layers (an empty layer's scales would have an infinite
    # extent, which Vega warns about); with nothing else either, a line of text.
    if d.num_rows:
        layers.extend(_series(spec, d, unit))
    elif not layers:
        text = {
            "mark": vl.mark("text", color=MUTED_COLOR),
            "encoding": {"text": vl.channel("text:N")},
        }
        layers.append(_inline(NO_VALUES, **text))
    spec["layer"] = layers
    return spec
