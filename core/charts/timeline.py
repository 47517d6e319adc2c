"""The Gantt charts: one bar per outcome from start to due date, coloured by status,
or one bar per strategy coloured by completion when a view holds too many outcomes.
Each returns a Vega-Lite spec as a dict (core/charts/vl.py)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.charts import describe, vl
from core.charts.frames import gantt_frame, strategy_frame
from core.charts.style import (
    AGGREGATE_THRESHOLD,
    DATE_FORMAT,
    DATE_KIND_ORDER,
    RATE_SCHEME,
    ROW_AXIS,
    ROW_HEIGHT,
    STATUS_ORDER,
    STATUS_SELECTION,
    STRATEGY_SELECTION,
    Day,
    by_status,
    gantt_height,
    time_channel,
    today_views,
)

# The status legend of the bars, for their fill and their outline alike (one legend).
STATUS_LEGEND = {"orient": "top", "symbolType": "square"}
# No tooltip, for the background bands and the region separators.
NO_TOOLTIP = {"value": None}
ROW_SORT = {"field": "row_order", "op": "min"}
# The views that hold the selections (Vega-Lite names a selection's views).
BARS_VIEW = "bars"
STRATEGY_PICK = {
    "name": STRATEGY_SELECTION,
    "select": {"type": "point", "fields": ["strategy_id"], "on": "click", "clear": "dblclick"},
    "views": [BARS_VIEW],
}
STATUS_PICK = {
    "name": STATUS_SELECTION,
    "select": {"type": "point", "fields": ["status"]},
    "bind": "legend",
    "views": [BARS_VIEW],
}
TOOLTIP = vl.tooltip(
    ("text:N", "Outcome"),
    ("region:N", "Region"),
    ("strategy:N", "Strategy"),
    ("term_label:N", "Term"),
    ("status:N", "Status"),
    ("schedule:N", "Schedule"),
    ("date_as_written:N", "Date as written"),
    ("due_date:T", "Due", DATE_FORMAT),
    ("date_basis:N", "Date basis"),
    ("date_kind:N", "Due date is"),
    ("date_note:N", "Date note"),
    ("baseline_due_date:T", "Report's date", DATE_FORMAT),
    ("slip_days:Q", "Slip (days)"),
    ("redate_count:Q", "Times re-dated"),
    ("upstream_note:N", "Upstream"),
)
DATE_LEGEND = {
    "orient": "top",
    "labelLimit": 280,
    "symbolType": "square",
    "symbolSize": 180,
    "symbolFillColor": "#999999",
    "symbolStrokeColor": "#333333",
    "symbolStrokeWidth": 1.5,
}


def _date_kind(scale_range: list[Any]) -> dict[str, Any]:
    """Fill opacity or dash by date kind; ordinal and sorted: Vega-Lite warns of
    fillOpacity on an unsorted nominal field."""
    return vl.channel(
        "date_kind:O",
        sort=list(DATE_KIND_ORDER),
        title="Due date",
        scale={"domain": list(DATE_KIND_ORDER), "range": scale_range},
        legend=DATE_LEGEND,
    )


def timeline(
    df: pd.DataFrame,
    today: Day,
    *,
    aggregate_threshold: int = AGGREGATE_THRESHOLD,
) -> vl.Spec:
    """Gantt of outcomes (rows from `queries.outcome_rows` after `progress.annotate`):
    one bar per outcome from start_date to due_date, coloured (and end-marked by shape)
    by status, with today's rule. Above `aggregate_threshold` rows, one bar per strategy
    coloured by completion instead."""
    if len(df) > aggregate_threshold:
        return _strategy_timeline(df, today)
    data = gantt_frame(df)
    both = {"and": [{"param": STATUS_SELECTION}, {"param": STRATEGY_SELECTION}]}
    highlight = {"condition": {"test": both, "value": 1.0}, "value": 0.15}
    y = vl.channel(
        "label:N",
        title=None,
        sort=ROW_SORT,
        scale={"paddingInner": 0.25, "paddingOuter": 0.2},
        axis=ROW_AXIS,
    )
    bands = {
        "mark": vl.mark("rect", color="#F3F3F3"),
        "encoding": {"y": y, "tooltip": NO_TOOLTIP},
        "transform": [{"filter": "(datum.strategy_band === 1)"}],
    }
    separators = {
        "mark": vl.mark("rule", color="#555555", strokeWidth=1),
        "encoding": {
            "y": vl.channel("label:N", bandPosition=0, sort=ROW_SORT),
            "tooltip": NO_TOOLTIP,
        },
        "transform": [{"filter": "datum.region_start"}],
    }
    bars = {
        "name": BARS_VIEW,
        "mark": vl.mark("bar", cornerRadius=2, strokeWidth=1.5),
        "encoding": {
            "y": y,
            "x": time_channel("start_date", orient="top"),
            "x2": {"field": "due_date"},
            "color": by_status("color", legend=STATUS_LEGEND),
            "stroke": by_status("stroke", legend=STATUS_LEGEND),
            "fillOpacity": _date_kind([0.9, 0.35]),
            "strokeDash": _date_kind([[1, 0], [4, 2]]),
            "opacity": highlight,
            "tooltip": TOOLTIP,
        },
    }
    ends = {
        "mark": vl.mark("point", filled=True, size=55, stroke="white", strokeWidth=0.6),
        "encoding": {
            "y": y,
            "x": time_channel("due_date"),
            "color": by_status("color", legend={"orient": "top"}),
            "shape": by_status("shape", legend={"orient": "top"}),
            "opacity": highlight,
            "tooltip": TOOLTIP,
        },
    }
    baseline_ticks = {
        "mark": vl.mark("tick", color="#222222", thickness=2, size=ROW_HEIGHT * 0.8),
        "encoding": {
            "y": y,
            "x": time_channel("baseline_due_date"),
            "tooltip": vl.tooltip(
                ("text:N", "Outcome"),
                ("baseline_due_date:T", "Report's date", DATE_FORMAT),
                ("due_date:T", "Now due", DATE_FORMAT),
                ("slip_days:Q", "Slip (days)"),
                ("redate_count:Q", "Times re-dated"),
            ),
        },
        "transform": [{"filter": "datum.rebaselined"}],
    }
    # The ticks only where an outcome moved: an empty layer makes Vega warn of an
    # "infinite extent" for baseline_due_date.
    moved = [baseline_ticks] if data["rebaselined"].any() else []
    chart = vl.layers(
        data,
        bands,
        separators,
        bars,
        ends,
        *moved,
        params=[STATUS_PICK, STRATEGY_PICK],
        height=gantt_height(len(data)),
    )
    chart["layer"] += today_views(chart, today)
    return vl.described(chart, describe.outcome_gantt_text(data))


# The strategy Gantt for outcome rows too many to draw one by one.
def _strategy_timeline(df: pd.DataFrame, today: Day) -> vl.Spec:
    return strategy_timeline(strategy_frame(df), today)


def strategy_timeline(data: pd.DataFrame, today: Day) -> vl.Spec:
    """One bar per strategy (a `strategy_frame` / `strategy_span_frame`), coloured by
    completion."""
    bars = {
        "name": BARS_VIEW,
        "mark": vl.mark("bar", cornerRadius=2, stroke="#333333", strokeWidth=0.5),
        "encoding": {
            "x": time_channel("start_date", orient="top"),
            "x2": {"field": "due_date"},
            "y": vl.channel("label:N", title=None, sort=ROW_SORT, axis=ROW_AXIS),
            "color": vl.channel(
                "rate:Q",
                title="Completion",
                scale={"scheme": RATE_SCHEME, "domain": [0, 1]},
                legend={"orient": "top", "format": "%"},
            ),
            "opacity": {"condition": {"param": STRATEGY_SELECTION, "value": 1.0}, "value": 0.25},
            "tooltip": vl.tooltip(
                ("region:N", "Region"),
                ("strategy:N", "Strategy"),
                ("outcomes:Q", "Outcomes"),
                ("rate:Q", "Completion", ".0%"),
                *[(f"{s}:Q", s) for s in STATUS_ORDER],
                ("start_date:T", "From", DATE_FORMAT),
                ("due_date:T", "Last due", DATE_FORMAT),
            ),
        },
    }
    chart = vl.layers(data, bars, params=[STRATEGY_PICK], height=gantt_height(len(data)))
    chart["layer"] += today_views(chart, today)
    return vl.described(chart, describe.strategy_gantt_text(data))
