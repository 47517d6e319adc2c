"""Altair chart builders for the dashboard: one function per chart, DataFrame in, chart out.

Builders are pure (no I/O, no Streamlit) and accept empty frames: they return a chart
with no marks and leave the empty-state message to the page. Widths are left unset so
the page can stretch a chart to its container.
"""

from __future__ import annotations

from datetime import date, datetime

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
RATE_SCHEME = "viridis"
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

GANTT_COLUMNS = [
    "outcome_id",
    "region",
    "strategy_id",
    "strategy",
    "term",
    "number",
    "text",
    "date_as_written",
    "due_date",
    "baseline_due_date",
    "slip_days",
    "redate_count",
    "start_date",
    "date_basis",
    "date_note",
    "status",
    "schedule",
    "upstream_note",
]
HISTORY_COLUMNS = ["changed_at", "old_status", "new_status"]
# Rows in the frame's own order: a sort field keeps the spec the same size however
# many rows there are (a list of every label is validated and copied by Altair).
_IN_ORDER = alt.EncodingSortField(field="order", op="min")


def _status_color(*, legend: alt.Legend | None = None) -> alt.Color:
    scale = alt.Scale(domain=list(STATUS_ORDER), range=[STATUS_COLORS[s] for s in STATUS_ORDER])
    return alt.Color("status:N", title="Status", scale=scale, legend=legend)


def _status_shape(*, legend: alt.Legend | None = None) -> alt.Shape:
    scale = alt.Scale(domain=list(STATUS_ORDER), range=[STATUS_SHAPES[s] for s in STATUS_ORDER])
    return alt.Shape("status:N", title="Status", scale=scale, legend=legend)


def _status_stroke() -> alt.Stroke:
    scale = alt.Scale(domain=list(STATUS_ORDER), range=[STATUS_STROKES[s] for s in STATUS_ORDER])
    return alt.Stroke("status:N", scale=scale, legend=None)


def _time_x(field: str, *, orient: str | None = None) -> alt.X:
    """Temporal x; only the layer given an `orient` draws an axis, so layers sharing the
    scale do not stack duplicate axes."""
    axis = (
        alt.Axis(orient=orient, format=AXIS_DATE_FORMAT, grid=True, title=None) if orient else None
    )
    return alt.X(f"{field}:T", title=None, axis=axis, scale=alt.Scale(padding=8))


def _row_axis() -> alt.Axis:
    """The Gantt's row labels: long, small, one per row."""
    return alt.Axis(
        labelLimit=LABEL_LIMIT, ticks=False, domain=False, labelFontSize=11, labelOverlap=False
    )


def _with_columns(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A copy holding `columns` (missing ones filled with nulls), so empty or partial
    frames build the same spec."""
    out = df.reindex(columns=columns).copy() if len(df.columns) else pd.DataFrame(columns=columns)
    return out.reset_index(drop=True)


def _as_timestamp(value: date | datetime | pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()


def _height(rows: int) -> int:
    """Gantt height: ROW_HEIGHT per row plus room for legend and axes (Streamlit fits
    the whole chart, axes included, into this height), capped at MAX_HEIGHT."""
    return min(MIN_HEIGHT + rows * ROW_HEIGHT, MAX_HEIGHT)


def _today_layers(today: date | datetime | pd.Timestamp) -> list[alt.Chart]:
    """A red rule at today, labelled above the top axis (clear of the bars)."""
    when = _as_timestamp(today)
    frame = pd.DataFrame({"today": [when], "label": [f"Today, {when:{DATE_FORMAT}}"]})
    base = alt.Chart(frame)
    rule = base.mark_rule(color=TODAY_COLOR, strokeWidth=2).encode(
        x=_time_x("today", orient="bottom"),
        tooltip=[alt.Tooltip("today:T", title="Today", format=DATE_FORMAT)],
    )
    label = base.mark_text(
        color=TODAY_COLOR, align="left", baseline="bottom", dx=4, y=-36, fontWeight="bold"
    ).encode(x=_time_x("today"), text="label:N")
    return [rule, label]


def _row_keys(d: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    """Sort keys region → logic model → strategy → term → outcome: the report's
    positions when the frame has them, else order of first appearance."""
    keys = pd.DataFrame(index=d.index)
    for key, fallback in (
        ("region_position", "region"),
        ("logic_model_position", "strategy_id"),
        ("strategy_position", "strategy_id"),
    ):
        if key in source.columns:
            keys[key] = pd.to_numeric(source[key].reset_index(drop=True), errors="coerce")
        else:
            keys[key] = pd.factorize(d[fallback])[0]
    keys["term_rank"] = d["term"].map(TERM_RANK).fillna(len(TERM_RANK))
    keys["position"] = (
        pd.to_numeric(source["position"].reset_index(drop=True), errors="coerce")
        if "position" in source.columns
        else range(len(d))
    )
    return keys


def _unique(labels: pd.Series) -> pd.Series:
    """Append ' #2', ' #3' to repeated labels so every row keeps its own band."""
    count = labels.groupby(labels).cumcount()
    return labels.where(count == 0, labels + " #" + (count + 1).astype(str))


def gantt_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Outcome rows shaped for the Gantt: dates as timestamps, a readable unique row
    label ("Region · strategy · S1") and `row_order` in the report's order."""
    d = _with_columns(df, GANTT_COLUMNS)
    for col in ("due_date", "baseline_due_date", "start_date"):
        d[col] = pd.to_datetime(d[col])
    d["start_date"] = d["start_date"].fillna(d["due_date"])
    d["baseline_due_date"] = d["baseline_due_date"].fillna(d["due_date"])
    if d.empty:
        d["label"] = pd.Series(dtype=str)
        d["row_order"] = pd.Series(dtype=int)
        d["strategy_band"] = pd.Series(dtype=int)
    else:
        order = _row_keys(d, df).sort_values(
            [
                "region_position",
                "logic_model_position",
                "strategy_position",
                "term_rank",
                "position",
            ],
            kind="stable",
        )
        d = d.loc[order.index].reset_index(drop=True)
        index_in_term = d.groupby(["strategy_id", "term"], dropna=False).cumcount() + 1
        number = d["number"].astype(object).where(d["number"].notna(), index_in_term.astype(str))
        d["label"] = _unique(
            d["region"].astype(str)
            + " · "
            + d["strategy"].astype(str)
            + " · "
            + d["term"].map(TERM_LETTERS).fillna("?")
            + number.astype(str)
        )
        d["row_order"] = range(len(d))
        d["strategy_band"] = (d["strategy_id"] != d["strategy_id"].shift()).cumsum() % 2
    estimated = d["date_basis"].isin(ESTIMATED_BASES)
    d["date_kind"] = estimated.map({True: DATE_KIND_ESTIMATED, False: DATE_KIND_REPORTED})
    d["rebaselined"] = d["baseline_due_date"].notna() & (d["baseline_due_date"] != d["due_date"])
    d["term_label"] = d["term"].map({t.value: t.label for t in Term})
    d["date_as_written"] = d["date_as_written"].astype(object).fillna("(none in the report)")
    d["region_start"] = d["region"] != d["region"].shift()
    return d


def strategy_frame(df: pd.DataFrame) -> pd.DataFrame:
    """One row per strategy: its span (earliest start, latest due), counts per status,
    and completion (done ÷ active, dropped excluded)."""
    g = gantt_frame(df)
    if g.empty:
        cols = ["label", "row_order", "region", "strategy_id", "strategy", "start_date"]
        cols += ["due_date", "outcomes", "active", "rate", *STATUS_ORDER]
        return pd.DataFrame(columns=cols)
    counts = pd.crosstab(g["strategy_id"], g["status"]).reindex(columns=list(STATUS_ORDER))
    counts = counts.fillna(0).astype(int)
    agg = (
        g.groupby("strategy_id", sort=False)
        .agg(
            region=("region", "first"),
            strategy=("strategy", "first"),
            start_date=("start_date", "min"),
            due_date=("due_date", "max"),
            outcomes=("outcome_id", "size"),
            row_order=("row_order", "min"),
        )
        .join(counts)
        .reset_index()
        .sort_values("row_order", kind="stable")
        .reset_index(drop=True)
    )
    agg["active"] = agg["outcomes"] - agg[Status.DROPPED.value]
    agg["rate"] = (agg[Status.DONE.value] / agg["active"].where(agg["active"] > 0)).astype(float)
    agg["label"] = _unique(agg["region"].astype(str) + " · " + agg["strategy"].astype(str))
    agg["row_order"] = range(len(agg))
    return agg


def timeline(
    df: pd.DataFrame,
    today: date | datetime | pd.Timestamp,
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
    highlight = alt.when(status_pick, strategy_pick).then(alt.value(1.0)).otherwise(alt.value(0.15))
    row_sort = alt.EncodingSortField(field="row_order", op="min")
    y = alt.Y(
        "label:N",
        title=None,
        sort=row_sort,
        scale=alt.Scale(paddingInner=0.25, paddingOuter=0.2),
        axis=_row_axis(),
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
        .encode(tooltip=alt.value(None))
        .transform_filter(alt.datum.strategy_band == 1)
    )
    separators = (
        base.mark_rule(color="#555555", strokeWidth=1)
        .encode(y=alt.Y("label:N", bandPosition=0, sort=row_sort), tooltip=alt.value(None))
        .transform_filter(alt.datum.region_start)
    )
    bars = (
        base.mark_bar(cornerRadius=2, strokeWidth=1.5)
        .encode(
            x=_time_x("start_date", orient="top"),
            x2="due_date:T",
            color=_status_color(legend=alt.Legend(orient="top", symbolType="square")),
            stroke=_status_stroke(),
            fillOpacity=alt.FillOpacity(
                "date_kind:N",
                title="Due date",
                scale=alt.Scale(domain=list(DATE_KIND_ORDER), range=[0.9, 0.35]),
                legend=date_legend,
            ),
            strokeDash=alt.StrokeDash(
                "date_kind:N",
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
        x=_time_x("due_date"),
        color=_status_color(legend=alt.Legend(orient="top")),
        shape=_status_shape(legend=alt.Legend(orient="top")),
        opacity=highlight,
        tooltip=tooltip,
    )
    baseline_ticks = (
        base.mark_tick(color="#222222", thickness=2, size=ROW_HEIGHT * 0.8)
        .encode(
            x=_time_x("baseline_due_date"),
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
    return alt.layer(
        bands, separators, bars, ends, baseline_ticks, *_today_layers(today)
    ).properties(height=_height(len(data)))


def strategy_span_frame(rows: list[dict]) -> pd.DataFrame:
    """`queries.strategy_spans` rows in `strategy_frame`'s shape."""
    if not rows:
        return strategy_frame(pd.DataFrame())
    agg = pd.DataFrame(rows)
    for col in ("start_date", "due_date"):
        agg[col] = pd.to_datetime(agg[col])
    agg["active"] = agg["outcomes"] - agg[Status.DROPPED.value]
    agg["rate"] = (agg[Status.DONE.value] / agg["active"].where(agg["active"] > 0)).astype(float)
    agg["label"] = _unique(agg["region"].astype(str) + " · " + agg["strategy"].astype(str))
    agg["row_order"] = range(len(agg))
    return agg


def _strategy_timeline(df: pd.DataFrame, today: date | datetime | pd.Timestamp) -> alt.LayerChart:
    return strategy_timeline(strategy_frame(df), today)


def strategy_timeline(data: pd.DataFrame, today: date | datetime | pd.Timestamp) -> alt.LayerChart:
    """One bar per strategy (a `strategy_frame` / `strategy_span_frame`), coloured by
    completion."""
    strategy_pick = alt.selection_point(
        name=STRATEGY_SELECTION, fields=["strategy_id"], on="click", clear="dblclick"
    )
    bars = (
        alt.Chart(data)
        .mark_bar(cornerRadius=2, stroke="#333333", strokeWidth=0.5)
        .encode(
            x=_time_x("start_date", orient="top"),
            x2="due_date:T",
            y=alt.Y(
                "label:N",
                title=None,
                sort=alt.EncodingSortField(field="row_order", op="min"),
                axis=_row_axis(),
            ),
            color=alt.Color(
                "rate:Q",
                title="Completion",
                scale=alt.Scale(scheme=RATE_SCHEME, domain=[0, 1]),
                legend=alt.Legend(orient="top", format="%"),
            ),
            opacity=alt.when(strategy_pick).then(alt.value(1.0)).otherwise(alt.value(0.25)),
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
    return alt.layer(bars, *_today_layers(today)).properties(height=_height(len(data)))


def status_bar(df: pd.DataFrame) -> alt.LayerChart:
    """Outcomes per status, one labelled bar per status in STATUS_ORDER (zeros kept).
    Takes outcome rows with a `status` column, or pre-counted rows with `status` and
    `count` (e.g. from `queries.status_counts`)."""
    d = _with_columns(df, ["status", "count"] if "count" in df.columns else ["status"])
    if "count" in d.columns:
        counts = d.groupby("status")["count"].sum()
    else:
        counts = d.groupby("status").size()
    data = pd.DataFrame({"status": list(STATUS_ORDER)})
    data["count"] = data["status"].map(counts).fillna(0).astype(int)
    total = int(data["count"].sum())
    data["share"] = data["count"] / total if total else 0.0
    base = alt.Chart(data).encode(
        y=alt.Y("status:N", title=None, sort=list(STATUS_ORDER)),
        x=alt.X("count:Q", title="Outcomes", axis=alt.Axis(tickMinStep=1)),
        tooltip=[
            alt.Tooltip("status:N", title="Status"),
            alt.Tooltip("count:Q", title="Outcomes"),
            alt.Tooltip("share:Q", title="Share", format=".0%"),
        ],
    )
    bars = base.mark_bar(strokeWidth=1).encode(
        color=_status_color(legend=None), stroke=_status_stroke()
    )
    labels = base.mark_text(align="left", dx=4, color="#333333").encode(text="count:Q")
    return alt.layer(bars, labels).properties(height=alt.Step(BAR_STEP))


def _rate_label(done: pd.Series, active: pd.Series, rate: pd.Series) -> pd.Series:
    pct = (rate * 100).round().astype("Int64").astype(str) + "%"
    counts = " (" + done.astype("Int64").astype(str) + "/" + active.astype("Int64").astype(str)
    return (pct + counts + ")").where(rate.notna(), "no active outcomes")


def completion_by(df_agg: pd.DataFrame, dim: str) -> alt.LayerChart:
    """Completion rate per region or need, from rows with `label` (else a column named
    `dim`), `done`, `active` and `rate` (done ÷ active, 0..1; active excludes dropped),
    kept in the given order. Bars are labelled "45% (9/20)"."""
    d = df_agg.copy()
    if "label" not in d.columns and dim in d.columns:
        d["label"] = d[dim]
    d = _with_columns(d, ["label", "done", "active", "rate"])
    for col in ("done", "active", "rate"):
        d[col] = pd.to_numeric(d[col], errors="coerce")
    d["rate"] = d["rate"].astype(float)
    d["text"] = _rate_label(d["done"], d["active"], d["rate"])
    d["bar"] = d["rate"].fillna(0.0)
    d["order"] = range(len(d))
    title = dim.replace("_", " ").capitalize()
    base = alt.Chart(d).encode(
        y=alt.Y("label:N", title=title, sort=_IN_ORDER),
        x=alt.X(
            "bar:Q",
            title="Completion (done ÷ active)",
            scale=alt.Scale(domain=[0, 1.2]),  # room for the label of a full bar
            axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1]),
        ),
        tooltip=[
            alt.Tooltip("label:N", title=title),
            alt.Tooltip("rate:Q", title="Completion", format=".0%"),
            alt.Tooltip("done:Q", title="Done"),
            alt.Tooltip("active:Q", title="Active (not dropped)"),
        ],
    )
    bars = base.mark_bar(color=BAR_COLOR)
    labels = base.mark_text(align="left", dx=4, color="#333333").encode(text="text:N")
    return alt.layer(bars, labels).properties(height=alt.Step(BAR_STEP))


def heatmap(df_agg: pd.DataFrame) -> alt.LayerChart:
    """Region × need completion: colour is done ÷ active, text gives the rate and
    n (active outcomes). Pairs with no active outcomes have no cell."""
    d = _with_columns(df_agg, ["region", "need", "done", "active", "rate"])
    for col in ("done", "active", "rate"):
        d[col] = pd.to_numeric(d[col], errors="coerce")
    d["rate"] = d["rate"].astype(float)
    d = d[d["active"].fillna(0) > 0].reset_index(drop=True)
    pct = (d["rate"] * 100).round().astype("Int64").astype(str)
    d["text"] = pct + "%\nn=" + d["active"].astype("Int64").astype(str)
    d["dark"] = d["rate"] < 0.55  # viridis is dark below about half: white text there
    d["need_order"] = pd.factorize(d["need"])[0]
    d["order"] = pd.factorize(d["region"])[0]
    base = alt.Chart(d).encode(
        x=alt.X(
            "need:N",
            title="Need",
            sort=alt.EncodingSortField(field="need_order", op="min"),
            axis=alt.Axis(
                labelAngle=-30, labelAlign="left", labelLimit=140, labelOverlap=False, orient="top"
            ),
        ),
        y=alt.Y("region:N", title="Region", sort=_IN_ORDER),
        tooltip=[
            alt.Tooltip("region:N", title="Region"),
            alt.Tooltip("need:N", title="Need"),
            alt.Tooltip("rate:Q", title="Completion", format=".0%"),
            alt.Tooltip("done:Q", title="Done"),
            alt.Tooltip("active:Q", title="Active (not dropped)"),
        ],
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(
            "rate:Q",
            title="Completion",
            scale=alt.Scale(scheme=RATE_SCHEME, domain=[0, 1]),
            legend=alt.Legend(format="%"),
        )
    )
    labels = base.mark_text(lineBreak="\n", fontSize=11).encode(
        text="text:N",
        color=alt.when(alt.datum.dark).then(alt.value("white")).otherwise(alt.value("black")),
    )
    return alt.layer(cells, labels).properties(height=alt.Step(CELL_STEP))


def completions_series(df_hist: pd.DataFrame) -> pd.DataFrame:
    """Net outcomes marked Done per week and the running total. +1 when an update
    makes an outcome Done, -1 when it moves one away from Done (a revert); Done to
    Done counts nothing. Columns: week (Monday), net, cumulative."""
    d = _with_columns(df_hist, HISTORY_COLUMNS)
    done = Status.DONE.value
    became = (d["new_status"] == done) & (d["old_status"] != done)
    left = (d["old_status"] == done) & (d["new_status"] != done)
    d["net"] = became.astype(int) - left.astype(int)
    changed = pd.to_datetime(d["changed_at"], utc=True).dt.tz_localize(None)  # naive UTC
    d["week"] = changed.dt.to_period("W-SUN").dt.start_time
    out = (
        d.dropna(subset=["week"])
        .groupby("week", as_index=False)["net"]
        .sum()
        .sort_values("week")
        .reset_index(drop=True)
    )
    out["net"] = out["net"].astype(int)
    out["cumulative"] = out["net"].cumsum().astype(int)
    return out[["week", "net", "cumulative"]]


def completions_over_time(
    df_hist: pd.DataFrame, today: date | datetime | pd.Timestamp | None = None
) -> alt.Chart:
    """Step line of outcomes Done over time, by week, from status-update history rows
    (`changed_at`, `old_status`, `new_status`). With `today`, the line runs on to it."""
    data = completions_series(df_hist)
    if today is not None and not data.empty:
        week = _as_timestamp(today).to_period("W-SUN").start_time
        if week > data["week"].iloc[-1]:
            last = int(data["cumulative"].iloc[-1])
            extra = pd.DataFrame({"week": [week], "net": [0], "cumulative": [last]})
            data = pd.concat([data, extra], ignore_index=True)
    return (
        alt.Chart(data)
        .mark_line(
            interpolate="step-after", color=DONE_COLOR, point=alt.OverlayMarkDef(color=DONE_COLOR)
        )
        .encode(
            x=alt.X("week:T", title="Week", axis=alt.Axis(format=AXIS_DATE_FORMAT)),
            y=alt.Y("cumulative:Q", title="Outcomes done", axis=alt.Axis(tickMinStep=1)),
            tooltip=[
                alt.Tooltip("week:T", title="Week of", format=DATE_FORMAT),
                alt.Tooltip("net:Q", title="Net change"),
                alt.Tooltip("cumulative:Q", title="Done (total)"),
            ],
        )
        .properties(height=260)
    )


def freshness(df_fresh: pd.DataFrame) -> alt.LayerChart:
    """Days since each region's last status update (`region`, `days_since_update`;
    null = never updated), in the given order. Never-updated regions get no bar and
    the words "no updates yet"."""
    d = _with_columns(df_fresh, ["region", "days_since_update"])
    d["days_since_update"] = pd.to_numeric(d["days_since_update"], errors="coerce").astype(float)
    never = d["days_since_update"].isna()
    d["updated"] = ~never
    d["bar"] = d["days_since_update"].fillna(0.0)
    days = d["days_since_update"].astype("Int64").astype(str)
    d["text"] = (days + " days").where(~never, "no updates yet")
    d.loc[d["days_since_update"] == 1, "text"] = "1 day"
    d.loc[d["days_since_update"] == 0, "text"] = "today"
    d["order"] = range(len(d))
    base = alt.Chart(d).encode(
        y=alt.Y("region:N", title=None, sort=_IN_ORDER),
        x=alt.X("bar:Q", title="Days since last update", axis=alt.Axis(tickMinStep=1, format="d")),
        tooltip=[
            alt.Tooltip("region:N", title="Region"),
            alt.Tooltip("text:N", title="Last update"),
        ],
    )
    bars = base.mark_bar(color=BAR_COLOR).transform_filter(alt.datum.updated)
    labels = (
        base.mark_text(align="left", dx=4, color="#333333")
        .encode(text="text:N")
        .transform_filter(alt.datum.updated)
    )
    never_labels = (
        base.mark_text(align="left", dx=4, color=MUTED_COLOR, fontStyle="italic")
        .encode(text="text:N")
        .transform_filter(~alt.datum.updated)
    )
    return alt.layer(bars, labels, never_labels).properties(height=alt.Step(BAR_STEP))
