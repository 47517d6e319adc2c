"""A measure's actual values against its target: a band for a range, a rule for a
minimum, a maximum or an exact number, a dashed rule for the baseline, a dotted rule
at the by-date, and the values as a line with points."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd

from core.charts.style import (
    AXIS_DATE_FORMAT,
    BAR_COLOR,
    DATE_FORMAT,
    DONE_COLOR,
    MUTED_COLOR,
    as_timestamp,
    layered,
    with_columns,
)
from core.measures.targets import Target
from core.models import TargetKind

VALUE_COLUMNS = ["as_of", "value", "recorded_by"]
TARGET_OPACITY = 0.18
HEIGHT = 180


def _y(unit: str) -> alt.Y:
    return alt.Y("value:Q", title=unit or "Value", scale=alt.Scale(zero=True))


def target_layers(target: Target, unit: str) -> list[alt.Chart]:
    """The target: a shaded band for a range, a rule for one number."""
    label = f"Target: {target.describe(unit)}"
    if target.kind == TargetKind.NONE:
        return []
    if target.kind == TargetKind.RANGE:
        frame = pd.DataFrame({"low": [target.min], "high": [target.max], "target": [label]})
        band = alt.Chart(frame).mark_rect(color=DONE_COLOR, opacity=TARGET_OPACITY)
        return [
            band.encode(
                y=alt.Y("low:Q", title=unit or "Value"),
                y2="high:Q",
                tooltip=[alt.Tooltip("target:N", title="Target")],
            )
        ]
    value = target.min if target.min is not None else target.max
    frame = pd.DataFrame({"value": [value], "target": [label]})
    rule = alt.Chart(frame).mark_rule(color=DONE_COLOR, strokeWidth=2)
    return [rule.encode(y=_y(unit), tooltip=[alt.Tooltip("target:N", title="Target")])]


NO_VALUES = pd.DataFrame({"text": ["No values recorded yet"]})


def _series(d: pd.DataFrame, unit: str) -> list[alt.Chart]:
    """The values as a line with points."""
    series = alt.Chart(d).encode(
        x=alt.X("as_of:T", title=None, axis=alt.Axis(format=AXIS_DATE_FORMAT)),
        y=_y(unit),
        tooltip=[
            alt.Tooltip("as_of:T", title="As of", format=DATE_FORMAT),
            alt.Tooltip("value:Q", title=unit or "Value"),
            alt.Tooltip("recorded_by:N", title="Recorded by"),
        ],
    )
    return [
        series.mark_line(color=BAR_COLOR),
        series.mark_point(color=BAR_COLOR, filled=True, size=60),
    ]


def measure_chart(
    values: pd.DataFrame,
    *,
    target: Target,
    unit: str = "",
    baseline: float | None = None,
    by: date | None = None,
) -> alt.LayerChart:
    """Values (`as_of`, `value`, `recorded_by`) against the target, the baseline and
    the by-date. An empty frame draws the target alone."""
    d = with_columns(values, VALUE_COLUMNS)
    d["as_of"] = pd.to_datetime(d["as_of"])
    layers = target_layers(target, unit)
    if baseline is not None:
        frame = pd.DataFrame({"value": [baseline], "what": [f"Baseline: {baseline:g}"]})
        layers.append(
            alt.Chart(frame)
            .mark_rule(color=MUTED_COLOR, strokeDash=[6, 4])
            .encode(y=_y(unit), tooltip=[alt.Tooltip("what:N", title="Baseline")])
        )
    if by is not None:
        frame = pd.DataFrame({"by": [as_timestamp(by)]})
        layers.append(
            alt.Chart(frame)
            .mark_rule(color=MUTED_COLOR, strokeDash=[2, 3])
            .encode(
                x=alt.X("by:T", title=None),
                tooltip=[alt.Tooltip("by:T", title="Due by", format=DATE_FORMAT)],
            )
        )
    # No values: no series layers (an empty layer's scales would have an infinite
    # extent, which Vega warns about); with nothing else either, a line of text.
    if not d.empty:
        layers.extend(_series(d, unit))
    elif not layers:
        layers.append(alt.Chart(NO_VALUES).mark_text(color=MUTED_COLOR).encode(text="text:N"))
    about = f"Recorded values against the target ({target.describe(unit)})"
    return layered(*layers).properties(height=HEIGHT, description=about)
