"""Progress charts: outcomes per status, completion per region or need, the region ×
need heatmap, and each region's freshness (progress over time is core/charts/burnup.py).
Each returns a Vega-Lite spec as a dict (core/charts/vl.py)."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pandas as pd

from core.charts import describe, vl
from core.charts.style import (
    BAR_COLOR,
    BAR_STEP,
    CELL_STEP,
    FRAME_ORDER,
    MUTED_COLOR,
    RATE_SCHEME,
    STATUS_ORDER,
    by_status,
    with_columns,
)

# Bar labels, left of the bar's end.
_LABEL = {"align": "left", "dx": 4, "color": "#333333"}


def status_bar(df: pd.DataFrame) -> vl.Spec:
    """Outcomes per status, one labelled bar per status in STATUS_ORDER (zeros kept).
    Takes outcome rows with a `status` column, or pre-counted rows with `status` and
    `count` (e.g. from `queries.status_counts`). Its frame is built in plain Python
    (an Arrow table, `vl.table`), as are completion's and freshness's: the Overview
    draws them on every run, and pandas cost more than the charts for a few rows."""
    columns = vl.columns(df, ["status", "count"])
    counted: Counter[Any] = Counter()
    if "count" in df.columns:
        for status, n in zip(columns["status"], columns["count"], strict=True):
            counted[status] += 0 if _missing(n) else int(n)
    else:
        counted.update(columns["status"])
    count = [int(counted.get(status, 0)) for status in STATUS_ORDER]
    total = sum(count)
    data: vl.Columns = {
        "status": list(STATUS_ORDER),
        "count": count,
        "share": [n / total if total else 0.0 for n in count],
    }
    base = {
        "y": vl.channel("status:N", title=None, sort=list(STATUS_ORDER)),
        "x": vl.channel("count:Q", title="Outcomes", axis={"tickMinStep": 1}),
        "tooltip": vl.tooltip(
            ("status:N", "Status"), ("count:Q", "Outcomes"), ("share:Q", "Share", ".0%")
        ),
    }
    bars = {
        "mark": vl.mark("bar", strokeWidth=1),
        "encoding": base | {"color": by_status("color"), "stroke": by_status("stroke")},
    }
    labels = {"mark": vl.mark("text", **_LABEL), "encoding": base | {"text": vl.channel("count:Q")}}
    chart = vl.layers(vl.table(data), bars, labels, height={"step": BAR_STEP})
    return vl.described(chart, describe.status_text(data))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: Any) -> float | None:
    """A number as pd.to_numeric(errors="coerce") reads it; None where it is none."""
    if _missing(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)


# Bar labels such as "45% (9/20)"; "no active outcomes" when the rate is null.
def _rate_label(done: float | None, active: float | None, rate: float | None) -> str:
    if rate is None:
        return "no active outcomes"
    return f"{round(rate * 100)}% ({_count_text(done)}/{_count_text(active)})"


def _count_text(value: float | None) -> str:
    return "<NA>" if value is None else str(int(value))


def completion_by(df_agg: pd.DataFrame, dim: str) -> vl.Spec:
    """Completion rate per region or need, from rows with `label` (else a column named
    `dim`), `done`, `active` and `rate` (done ÷ active, 0..1; active excludes dropped),
    kept in the given order. Bars are labelled "45% (9/20)"."""
    label = "label" if "label" in df_agg.columns or dim not in df_agg.columns else dim
    given = vl.columns(df_agg, [label, "done", "active", "rate"])
    done = [_number(v) for v in given["done"]]
    active = [_number(v) for v in given["active"]]
    rate = [_number(v) for v in given["rate"]]
    d = {
        "label": given[label],
        "done": [_whole(v) for v in done],
        "active": [_whole(v) for v in active],
        "rate": rate,
        "text": [_rate_label(*row) for row in zip(done, active, rate, strict=True)],
        "bar": [0.0 if r is None else r for r in rate],
        "order": list(range(len(rate))),
    }
    title = dim.replace("_", " ").capitalize()
    base = {
        "y": vl.channel("label:N", title=title, sort=FRAME_ORDER),
        "x": vl.channel(
            "bar:Q",
            title="Completion (done ÷ active)",
            stack=None,
            scale={"domain": [0, 1.2]},  # room for the label of a full bar
            axis={"format": "%", "values": [0, 0.25, 0.5, 0.75, 1]},
        ),
        "tooltip": vl.tooltip(
            ("label:N", title),
            ("rate:Q", "Completion", ".0%"),
            ("done:Q", "Done"),
            ("active:Q", "Active (not dropped)"),
        ),
    }
    bars = {"mark": vl.mark("bar", color=BAR_COLOR), "encoding": base}
    labels = {"mark": vl.mark("text", **_LABEL), "encoding": base | {"text": vl.channel("text:N")}}
    chart = vl.layers(vl.table(d), bars, labels, height={"step": BAR_STEP})
    return vl.described(chart, describe.completion_text(d, title))


def heatmap(df_agg: pd.DataFrame) -> vl.Spec:
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
    base = {
        "x": vl.channel(
            "need:N",
            title="Need",
            sort={"field": "need_order", "op": "min"},
            axis={
                "labelAngle": -30,
                "labelAlign": "left",
                "labelLimit": 140,
                "labelOverlap": False,
                "orient": "top",
            },
        ),
        "y": vl.channel("region:N", title="Region", sort=FRAME_ORDER),
        "tooltip": vl.tooltip(
            ("region:N", "Region"),
            ("need:N", "Need"),
            ("rate:Q", "Completion", ".0%"),
            ("done:Q", "Done"),
            ("active:Q", "Active (not dropped)"),
        ),
    }
    cells = {
        "mark": vl.mark("rect", stroke="white", strokeWidth=1),
        "encoding": base
        | {
            "color": vl.channel(
                "rate:Q",
                title="Completion",
                scale={"scheme": RATE_SCHEME, "domain": [0, 1]},
                # Below the cells, across: a gradient beside them was cut short when
                # only a region or two are shown (one 44 px row, on a phone too).
                legend={"format": "%", "orient": "bottom", "direction": "horizontal"},
            )
        },
    }
    labels = {
        "mark": vl.mark("text", lineBreak="\n", fontSize=11),
        "encoding": base
        | {"text": vl.channel("text:N"), "color": vl.when("datum.dark", "white", "black")},
    }
    chart = vl.layers(d, cells, labels, height={"step": CELL_STEP})
    return vl.described(chart, describe.heatmap_text(d))


def freshness(df_fresh: pd.DataFrame) -> vl.Spec:
    """Days since each region's last status update (`region`, `days_since_update`;
    null = never updated), in the given order. Never-updated regions get no bar and
    the words "no updates yet"."""
    given = vl.columns(df_fresh, ["region", "days_since_update"])
    days = [_number(v) for v in given["days_since_update"]]
    d = {
        "region": given["region"],
        "days_since_update": days,
        "updated": [v is not None for v in days],
        "bar": [0.0 if v is None else v for v in days],
        "text": [_days_text(v) for v in days],
        "order": list(range(len(days))),
    }
    base = {
        "y": vl.channel("region:N", title=None, sort=FRAME_ORDER),
        # No stack and a set domain: Vega finds no "infinite extent" when no region has
        # an update yet (the bars' layer is then empty).
        "x": vl.channel(
            "bar:Q",
            title="Days since last update",
            stack=None,
            scale={"domain": [0, max([1.0, *d["bar"]])]},
            axis={"tickMinStep": 1, "format": "d"},
        ),
        "tooltip": vl.tooltip(("region:N", "Region"), ("text:N", "Last update")),
    }
    text = base | {"text": vl.channel("text:N")}
    updated, not_updated = [{"filter": "datum.updated"}], [{"filter": "(!datum.updated)"}]
    bars = {"mark": vl.mark("bar", color=BAR_COLOR), "encoding": base, "transform": updated}
    labels = {"mark": vl.mark("text", **_LABEL), "encoding": text, "transform": updated}
    never_labels = {
        "mark": vl.mark("text", align="left", dx=4, color=MUTED_COLOR, fontStyle="italic"),
        "encoding": text,
        "transform": not_updated,
    }
    chart = vl.layers(vl.table(d), bars, labels, never_labels, height={"step": BAR_STEP})
    return vl.described(chart, describe.freshness_text(d))


def _days_text(days: float | None) -> str:
    if days is None:
        return "no updates yet"
    return {0: "today", 1: "1 day"}.get(int(days), f"{int(days)} days")
