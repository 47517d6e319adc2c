"""The Gantt charts: one bar per outcome from start to due date, coloured by status,
or one bar per strategy coloured by completion when a view holds too many outcomes."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts import describe
from core.charts.frames import gantt_frame, strategy_frame
from core.charts.style import (
    AGGREGATE_THRESHOLD,
    DATE_FORMAT,
    DATE_KIND_ORDER,
    RATE_SCHEME,
    ROW_HEIGHT,
    STATUS_ORDER,
    STATUS_SELECTION,
    STRATEGY_SELECTION,
    Day,
    as_channel,
    described,
    gantt_height,
    layered,
    row_axis,
    status_color,
    status_shape,
    status_stroke,
    time_x,
    today_layers,
)

# The status legend of the bars, for their fill and their outline alike (one legend).
STATUS_LEGEND = alt.Legend(orient="top", symbolType="square")


def _no_tooltip() -> alt.TooltipValue:
    """No tooltip, for the background bands and the region separators."""
    return as_channel(alt.TooltipValue, alt.value(None))


def timeline(
    df: pd.DataFrame,
    today: Day,
    *,
    aggregate_threshold: int = AGGREGATE_THRESHOLD,
) -> alt.LayerChart:
    """Gantt of outcomes (rows from `queries.outcome_rows` after `progress.annotate`):
    one bar per outcome from start_date to due_date, coloured (and end-marked by shape)
    by status, with today's rule. Above `aggregate_threshold` rows, one bar per strategy
    coloured by completion instead."""
    if len(df) > aggregate_threshold:
        return _strategy_timeline(df, today)
    data = gantt_frame(df)
    status_pick = alt.selection_point(name=STATUS_SELECTION, fields=["status"], bind="legend")
    strategy_pick = alt.selection_point(
        name=STRATEGY_SELECTION, fields=["strategy_id"], on="click", clear="dblclick"
    )
    highlight = as_channel(
        alt.OpacityValue,
        alt.when(status_pick, strategy_pick).then(alt.value(1.0)).otherwise(alt.value(0.15)),
    )
    row_sort = alt.EncodingSortField(field="row_order", op="min")
    y = alt.Y(
        "label:N",
        title=None,
        sort=row_sort,
        scale=alt.Scale(paddingInner=0.25, paddingOuter=0.2),
        axis=row_axis(),
    )
    tooltip = [
        alt.Tooltip("text:N", title="Outcome"),
        alt.Tooltip("region:N", title="Region"),
        alt.Tooltip("strategy:N", title="Strategy"),
        alt.Tooltip("term_label:N", title="Term"),
        alt.Tooltip("status:N", title="Status"),
        alt.Tooltip("schedule:N", title="Schedule"),
        alt.Tooltip("date_as_written:N", title="Date as written"),
        alt.Tooltip("due_date:T", title="Due", format=DATE_FORMAT),
        alt.Tooltip("date_basis:N", title="Date basis"),
        alt.Tooltip("date_kind:N", title="Due date is"),
        alt.Tooltip("date_note:N", title="Date note"),
        alt.Tooltip("baseline_due_date:T", title="Report's date", format=DATE_FORMAT),
        alt.Tooltip("slip_days:Q", title="Slip (days)"),
        alt.Tooltip("redate_count:Q", title="Times re-dated"),
        alt.Tooltip("upstream_note:N", title="Upstream"),
    ]
    date_legend = alt.Legend(
        orient="top",
        labelLimit=280,
        symbolType="square",
        symbolSize=180,
        symbolFillColor="#999999",
        symbolStrokeColor="#333333",
        symbolStrokeWidth=1.5,
    )
    base = alt.Chart(data).encode(y=y)
    bands = (
        base.mark_rect(color="#F3F3F3")
        .encode(tooltip=_no_tooltip())
        .transform_filter(alt.datum.strategy_band == 1)
    )
    separators = (
        base.mark_rule(color="#555555", strokeWidth=1)
        .encode(y=alt.Y("label:N", bandPosition=0, sort=row_sort), tooltip=_no_tooltip())
        .transform_filter(alt.datum.region_start)
    )
    bars = (
        base.mark_bar(cornerRadius=2, strokeWidth=1.5)
        .encode(
            x=time_x("start_date", orient="top"),
            x2="due_date:T",
            color=status_color(legend=STATUS_LEGEND),
            stroke=status_stroke(legend=STATUS_LEGEND),
            # Ordinal and sorted: Vega-Lite warns of fillOpacity on an unsorted nominal field.
            fillOpacity=alt.FillOpacity(
                "date_kind:O",
                sort=list(DATE_KIND_ORDER),
                title="Due date",
                scale=alt.Scale(domain=list(DATE_KIND_ORDER), range=[0.9, 0.35]),
                legend=date_legend,
            ),
            strokeDash=alt.StrokeDash(
                "date_kind:O",
                sort=list(DATE_KIND_ORDER),
                title="Due date",
                scale=alt.Scale(domain=list(DATE_KIND_ORDER), range=[[1, 0], [4, 2]]),
                legend=date_legend,
            ),
            opacity=highlight,
            tooltip=tooltip,
        )
        .add_params(status_pick, strategy_pick)
    )
    ends = base.mark_point(filled=True, size=55, stroke="white", strokeWidth=0.6).encode(
        x=time_x("due_date"),
        color=status_color(legend=alt.Legend(orient="top")),
        shape=status_shape(legend=alt.Legend(orient="top")),
        opacity=highlight,
        tooltip=tooltip,
    )
    baseline_ticks = (
        base.mark_tick(color="#222222", thickness=2, size=ROW_HEIGHT * 0.8)
        .encode(
            x=time_x("baseline_due_date"),
            tooltip=[
                alt.Tooltip("text:N", title="Outcome"),
                alt.Tooltip("baseline_due_date:T", title="Report's date", format=DATE_FORMAT),
                alt.Tooltip("due_date:T", title="Now due", format=DATE_FORMAT),
                alt.Tooltip("slip_days:Q", title="Slip (days)"),
                alt.Tooltip("redate_count:Q", title="Times re-dated"),
            ],
        )
        .transform_filter(alt.datum.rebaselined)
    )
    # The ticks only where an outcome moved: an empty layer makes Vega warn of an
    # "infinite extent" for baseline_due_date.
    moved = [baseline_ticks] if data["rebaselined"].any() else []
    chart = layered(bands, separators, bars, ends, *moved, *today_layers(today))
    chart = chart.properties(height=gantt_height(len(data)))
    return described(chart, describe.outcome_gantt_text(data))


# The strategy Gantt for outcome rows too many to draw one by one.
def _strategy_timeline(df: pd.DataFrame, today: Day) -> alt.LayerChart:
    return strategy_timeline(strategy_frame(df), today)


def strategy_timeline(data: pd.DataFrame, today: Day) -> alt.LayerChart:
    """One bar per strategy (a `strategy_frame` / `strategy_span_frame`), coloured by
    completion."""
    strategy_pick = alt.selection_point(
        name=STRATEGY_SELECTION, fields=["strategy_id"], on="click", clear="dblclick"
    )
    bars = (
        alt.Chart(data)
        .mark_bar(cornerRadius=2, stroke="#333333", strokeWidth=0.5)
        .encode(
            x=time_x("start_date", orient="top"),
            x2="due_date:T",
            y=alt.Y(
                "label:N",
                title=None,
                sort=alt.EncodingSortField(field="row_order", op="min"),
                axis=row_axis(),
            ),
            color=alt.Color(
                "rate:Q",
                title="Completion",
                scale=alt.Scale(scheme=RATE_SCHEME, domain=[0, 1]),
                legend=alt.Legend(orient="top", format="%"),
            ),
            opacity=as_channel(
                alt.OpacityValue,
                alt.when(strategy_pick).then(alt.value(1.0)).otherwise(alt.value(0.25)),
            ),
            tooltip=[
                alt.Tooltip("region:N", title="Region"),
                alt.Tooltip("strategy:N", title="Strategy"),
                alt.Tooltip("outcomes:Q", title="Outcomes"),
                alt.Tooltip("rate:Q", title="Completion", format=".0%"),
                *[alt.Tooltip(f"{s}:Q", title=s) for s in STATUS_ORDER],
                alt.Tooltip("start_date:T", title="From", format=DATE_FORMAT),
                alt.Tooltip("due_date:T", title="Last due", format=DATE_FORMAT),
            ],
        )
        .add_params(strategy_pick)
    )
    chart = layered(bars, *today_layers(today)).properties(height=gantt_height(len(data)))
    return described(chart, describe.strategy_gantt_text(data))
