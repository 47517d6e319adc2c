"""The charts' shared look: status colours and shapes, date formats, sizes, selection
names, and the small encoders and helpers every builder uses (as Vega-Lite dicts:
core/charts/vl.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final, Literal

import pandas as pd

from core.charts import vl
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

Day = date | datetime | pd.Timestamp
AxisOrient = Literal["top", "bottom", "left", "right"]


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


# Rows in the frame's own order (its "order" column).
FRAME_ORDER: Final = {"field": "order", "op": "min"}

_STATUS_RANGES = {"color": STATUS_COLORS, "shape": STATUS_SHAPES, "stroke": STATUS_STROKES}


def by_status(
    kind: Literal["color", "shape", "stroke"], *, legend: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Colour, point shape or bar outline by status, in STATUS_ORDER (Okabe-Ito
    colours; shapes so small marks do not rely on colour alone; Dropped's darker
    outline). `legend` None hides the legend; {} shows Vega-Lite's default. A stroke's
    legend must be the colour's: the two are merged into one."""
    scale = {"domain": list(STATUS_ORDER), "range": [_STATUS_RANGES[kind][s] for s in STATUS_ORDER]}
    return vl.channel("status:N", title="Status", scale=scale, legend=legend)


def time_channel(field: str, *, orient: AxisOrient | None = None) -> dict[str, Any]:
    """Temporal x; only the layer given an `orient` draws an axis, so layers sharing the
    scale do not stack duplicate axes."""
    axis = {"orient": orient, "format": AXIS_DATE_FORMAT, "grid": True, "title": None}
    return vl.channel(f"{field}:T", title=None, axis=axis if orient else None, scale={"padding": 8})


# The Gantt's row labels: long, small, one per row.
ROW_AXIS: Final = {
    "labelLimit": LABEL_LIMIT,
    "ticks": False,
    "domain": False,
    "labelFontSize": 11,
    "labelOverlap": False,
}


def today_views(spec: vl.Spec, today: Day) -> list[dict[str, Any]]:
    """A red rule at today, labelled above the top axis (clear of the bars): two views
    drawing the frame "today", which this adds to `spec`."""
    when = as_timestamp(today)
    spec.setdefault("datasets", {})["today"] = pd.DataFrame(
        {"today": [when], "label": [f"Today, {when:{DATE_FORMAT}}"]}
    )
    data = {"name": "today"}
    rule = {
        "data": data,
        "mark": vl.mark("rule", color=TODAY_COLOR, strokeWidth=2),
        "encoding": {
            "x": time_channel("today", orient="bottom"),
            "tooltip": vl.tooltip(("today:T", "Today", DATE_FORMAT)),
        },
    }
    label = {
        "data": data,
        "mark": vl.mark(
            "text",
            color=TODAY_COLOR,
            align="left",
            baseline="bottom",
            dx=4,
            y=-36,
            fontWeight="bold",
        ),
        "encoding": {"x": time_channel("today"), "text": vl.channel("label:N")},
    }
    return [rule, label]
