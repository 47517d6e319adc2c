"""The charts' shared look: status colours and shapes, date formats, sizes, selection
names, and the small encoders and helpers every builder uses."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Final, Literal, Self

import altair as alt
import pandas as pd

from core.models import DateBasis, Status, Term

# Okabe-Ito colours, so statuses stay apart for colour-blind readers; shapes repeat
# the status wherever a mark is small, and text or tooltips name it.
STATUS_ORDER: tuple[str, ...] = tuple(s.value for s in Status)
STATUS_COLORS: dict[str, str] = {
    Status.NOT_STARTED.value: "#999999",
    Status.IN_PROGRESS.value: "#0072B2",
    Status.DONE.value: "#009E73",
    Status.BLOCKED.value: "#D55E00",
    Status.DROPPED.value: "#CCCCCC",
}
STATUS_SHAPES: dict[str, str] = {
    Status.NOT_STARTED.value: "circle",
    Status.IN_PROGRESS.value: "triangle-right",
    Status.DONE.value: "diamond",
    Status.BLOCKED.value: "cross",
    Status.DROPPED.value: "triangle-down",
}
# Dropped's light grey needs a darker outline to show on white.
STATUS_STROKES: dict[str, str] = {**STATUS_COLORS, Status.DROPPED.value: "#8C8C8C"}

TODAY_COLOR = "#CC0000"
BAR_COLOR = "#0072B2"
DONE_COLOR = STATUS_COLORS[Status.DONE.value]
MUTED_COLOR = "#6F6F6F"
RATE_SCHEME: Final = "viridis"
DATE_FORMAT = "%b %d, %Y"
AXIS_DATE_FORMAT = "%b %Y"
LABEL_LIMIT = 360  # px of y-axis label before truncation

# Gantt sizing: one row per outcome (or strategy), capped so a huge filter stays usable.
ROW_HEIGHT = 18
MIN_HEIGHT = 140  # legend and the two date axes
MAX_HEIGHT = 6000
AGGREGATE_THRESHOLD = 3000
BAR_STEP = 30  # px per bar in the small bar charts
CELL_STEP = 44  # px per heatmap row: two lines of text

# Due dates the report did not give as written are drawn lighter and dashed.
ESTIMATED_BASES = (DateBasis.INFERRED.value, DateBasis.CORRECTED.value)
DATE_KIND_REPORTED = "as written in the report"
DATE_KIND_ESTIMATED = "inferred or corrected (estimated)"
DATE_KIND_ORDER = (DATE_KIND_REPORTED, DATE_KIND_ESTIMATED)

# Parameter names, so pages and tests can find the selections in the spec.
STATUS_SELECTION = "status_pick"
STRATEGY_SELECTION = "strategy_pick"

TERM_LETTERS = {Term.SHORT.value: "S", Term.MEDIUM.value: "M", Term.LONG.value: "L"}
TERM_RANK = {t.value: t.rank for t in Term}

# Rows in the frame's own order: a sort field keeps the spec the same size however
# many rows there are (a list of every label is validated and copied by Altair).
IN_ORDER = alt.EncodingSortField(field="order", op="min")

Day = date | datetime | pd.Timestamp
AxisOrient = Literal["top", "bottom", "left", "right"]


# Colour by status, in STATUS_ORDER with the Okabe-Ito colours.
def status_color(*, legend: alt.Legend | None = None) -> alt.Color:
    scale = alt.Scale(domain=list(STATUS_ORDER), range=[STATUS_COLORS[s] for s in STATUS_ORDER])
    return alt.Color("status:N", title="Status", scale=scale, legend=legend)


# Point shape by status, so small marks do not rely on colour alone.
def status_shape(*, legend: alt.Legend | None = None) -> alt.Shape:
    scale = alt.Scale(domain=list(STATUS_ORDER), range=[STATUS_SHAPES[s] for s in STATUS_ORDER])
    return alt.Shape("status:N", title="Status", scale=scale, legend=legend)


# Bar outline by status (Dropped's darker grey). Its legend must be the colour's: the
# two are merged into one, and a legend=None beside a shown colour legend made Vega-Lite
# warn of conflicting legend properties ("disable").
def status_stroke(*, legend: alt.Legend | None = None) -> alt.Stroke:
    scale = alt.Scale(domain=list(STATUS_ORDER), range=[STATUS_STROKES[s] for s in STATUS_ORDER])
    return alt.Stroke("status:N", title="Status", scale=scale, legend=legend)


def as_channel(channel: type[alt.SchemaBase], spec: Any) -> Any:
    """A fixed or conditional value (`alt.value`, `alt.when(...).otherwise(...)`) as its
    channel class, e.g. alt.ColorValue. Handed to `encode` as a dict, Altair finds the
    class with `from_dict`, which hashes its whole schema map on every call (5–10 ms a
    channel); built directly, the spec is the same."""
    return channel(**(spec.to_dict() if hasattr(spec, "to_dict") else spec))


def time_x(field: str, *, orient: AxisOrient | None = None) -> alt.X:
    """Temporal x; only the layer given an `orient` draws an axis, so layers sharing the
    scale do not stack duplicate axes."""
    axis = (
        alt.Axis(orient=orient, format=AXIS_DATE_FORMAT, grid=True, title=None) if orient else None
    )
    return alt.X(f"{field}:T", title=None, axis=axis, scale=alt.Scale(padding=8))


def row_axis() -> alt.Axis:
    """The Gantt's row labels: long, small, one per row."""
    return alt.Axis(
        labelLimit=LABEL_LIMIT, ticks=False, domain=False, labelFontSize=11, labelOverlap=False
    )


def with_columns(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A copy holding `columns` (missing ones filled with nulls), so empty or partial
    frames build the same spec."""
    out = df.reindex(columns=columns).copy() if len(df.columns) else pd.DataFrame(columns=columns)
    return out.reset_index(drop=True)


# A day as a midnight pandas Timestamp.
def as_timestamp(value: Day) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()


def gantt_height(rows: int) -> int:
    """Gantt height: ROW_HEIGHT per row plus room for legend and axes (Streamlit fits
    the whole chart, axes included, into this height), capped at MAX_HEIGHT."""
    return min(MIN_HEIGHT + rows * ROW_HEIGHT, MAX_HEIGHT)


class _Layers(alt.LayerChart):
    """A LayerChart whose copies skip LayerChart.__init__. Its layers were combined
    (shared data, params and sizes moved up) when it was built; Altair runs that again
    on every copy, and `properties`, `configure_*` and `to_dict` each copy the chart,
    deep-copying every layer twice each time (half of a cold Overview's CPU time).
    Combining again changes nothing, so a copy here is the plain copy it stands for."""

    def copy(self, deep: bool | Iterable[Any] = True, ignore: list[str] | None = None) -> Self:
        if deep is True:
            return super().copy(deep=True, ignore=ignore)
        new = object.__new__(type(self))
        object.__setattr__(new, "_args", self._args)
        object.__setattr__(new, "_kwds", dict(self._kwds))
        for attr in () if deep is False else deep:
            value = new._kwds.get(attr, alt.Undefined)
            if isinstance(value, alt.SchemaBase):
                new._kwds[attr] = value.copy(deep=False)
            elif isinstance(value, list | dict):
                new._kwds[attr] = value.copy()
        return new


def layered(*charts: alt.Chart) -> alt.LayerChart:
    """The charts as one layer chart: what `alt.layer` makes when no layer is faceted,
    typed as a LayerChart (one whose copies are cheap: `_Layers`)."""
    return _Layers(layer=list(charts))


def described(chart: alt.LayerChart, text: str) -> alt.LayerChart:
    """The chart named by `text` (its accessible name, where Vega would say "Vega
    visualization"), its marks out of the accessibility tree: the sentence and the
    page's "Show as table" tell what they show.

    Set in place on the chart its builder just made: `properties` and `configure_mark`
    would each build a new LayerChart, and Altair deep-copies every layer twice per
    LayerChart it builds (a third of a cold Overview's time went there)."""
    chart.description = text
    if chart.config is alt.Undefined:
        chart.config = alt.Config()
    chart.config["mark"] = alt.MarkConfig(aria=False)
    return chart


def today_layers(today: Day) -> list[alt.Chart]:
    """A red rule at today, labelled above the top axis (clear of the bars)."""
    when = as_timestamp(today)
    frame = pd.DataFrame({"today": [when], "label": [f"Today, {when:{DATE_FORMAT}}"]})
    base = alt.Chart(frame)
    rule = base.mark_rule(color=TODAY_COLOR, strokeWidth=2).encode(
        x=time_x("today", orient="bottom"),
        tooltip=[alt.Tooltip("today:T", title="Today", format=DATE_FORMAT)],
    )
    label = base.mark_text(
        color=TODAY_COLOR, align="left", baseline="bottom", dx=4, y=-36, fontWeight="bold"
    ).encode(x=time_x("today"), text="label:N")
    return [rule, label]
