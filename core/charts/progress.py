"""Progress charts: outcomes per status, completion per region or need, the region ×
need heatmap, and each region's freshness (progress over time is core/charts/burnup.py)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.charts import describe
from core.charts.style import (
    BAR_COLOR,
    BAR_STEP,
    CELL_STEP,
    IN_ORDER,
    MUTED_COLOR,
    RATE_SCHEME,
    STATUS_ORDER,
    described,
    layered,
    status_color,
    status_stroke,
    with_columns,
)


def status_bar(df: pd.DataFrame) -> alt.LayerChart:
    """Outcomes per status, one labelled bar per status in STATUS_ORDER (zeros kept).
    Takes outcome rows with a `status` column, or pre-counted rows with `status` and
    `count` (e.g. from `queries.status_counts`)."""
    d = with_columns(df, ["status", "count"] if "count" in df.columns else ["status"])
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
        color=status_color(legend=None), stroke=status_stroke()
    )
    labels = base.mark_text(align="left", dx=4, color="#333333").encode(text="count:Q")
    chart = layered(bars, labels).properties(height=alt.Step(BAR_STEP))
    return described(chart, describe.status_text(data))


# Bar labels such as "45% (9/20)"; "no active outcomes" when the rate is null.
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
    d = with_columns(d, ["label", "done", "active", "rate"])
    for col in ("done", "active", "rate"):
        d[col] = pd.to_numeric(d[col], errors="coerce")
    d["rate"] = d["rate"].astype(float)
    d["text"] = _rate_label(d["done"], d["active"], d["rate"])
    d["bar"] = d["rate"].fillna(0.0)
    d["order"] = range(len(d))
    title = dim.replace("_", " ").capitalize()
    base = alt.Chart(d).encode(
        y=alt.Y("label:N", title=title, sort=IN_ORDER),
        x=alt.X(
            "bar:Q",
            title="Completion (done ÷ active)",
            stack=None,
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
    chart = layered(bars, labels).properties(height=alt.Step(BAR_STEP))
    return described(chart, describe.completion_text(d, title))


def heatmap(df_agg: pd.DataFrame) -> alt.LayerChart:
    """Region × need completion: colour is done ÷ active, text gives the rate and
    n (active outcomes). Pairs with no active outcomes have no cell."""
    d = with_columns(df_agg, ["region", "need", "done", "active", "rate"])
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
        y=alt.Y("region:N", title="Region", sort=IN_ORDER),
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
    chart = layered(cells, labels).properties(height=alt.Step(CELL_STEP))
    return described(chart, describe.heatmap_text(d))


def freshness(df_fresh: pd.DataFrame) -> alt.LayerChart:
    """Days since each region's last status update (`region`, `days_since_update`;
    null = never updated), in the given order. Never-updated regions get no bar and
    the words "no updates yet"."""
    d = with_columns(df_fresh, ["region", "days_since_update"])
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
        y=alt.Y("region:N", title=None, sort=IN_ORDER),
        # No stack and a set domain: Vega finds no "infinite extent" when no region has
        # an update yet (the bars' layer is then empty).
        x=alt.X(
            "bar:Q",
            title="Days since last update",
            stack=None,
            scale=alt.Scale(domain=[0, max(1.0, float(d["bar"].max()) if len(d) else 1.0)]),
            axis=alt.Axis(tickMinStep=1, format="d"),
        ),
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
    chart = layered(bars, labels, never_labels).properties(height=alt.Step(BAR_STEP))
    return described(chart, describe.freshness_text(d))
