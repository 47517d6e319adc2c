"""The evaluation's trends: one figure of core.progress.evaluation.over_time, period by
period, as small bar charts per region (no reading by colour)."""

from __future__ import annotations

import pandas as pd

from core.charts import vl
from core.charts.describe import MAX_ITEMS
from core.charts.style import BAR_COLOR, with_columns


def trend_chart(series: pd.DataFrame, figure: str, label: str) -> vl.Spec:
    """`figure` (a column of the series) per period, one small chart per region in
    the series' order; `label` names the figure in words. A Vega-Lite spec."""
    d = with_columns(series, ["region", "period", figure])
    d["value"] = pd.to_numeric(d[figure], errors="coerce").astype(float)
    d["order"] = pd.factorize(d["region"])[0]
    # whole numbers on the axis; an axis of zeros still reads 0 to 1, not 0.000000
    top = d["value"].max()
    scale = {"domain": [0, 1]} if pd.isna(top) or top <= 0 else {"zero": True}
    bars = {
        "mark": vl.mark("bar", color=BAR_COLOR),
        "encoding": {
            "x": vl.channel("period:O", title=None, axis={"labelAngle": -45}),
            "y": vl.channel(
                "value:Q", title=label, scale=scale, axis={"tickMinStep": 1, "format": ",.0f"}
            ),
            "tooltip": vl.tooltip(
                ("region:N", "Region"), ("period:O", "Period"), ("value:Q", label, ",.1f")
            ),
        },
        "width": 200,
        "height": 110,
    }
    chart = vl.Spec(
        datasets={"table": d},
        data={"name": "table"},
        facet=vl.channel("region:N", title=None, sort={"field": "order", "op": "min"}),
        columns=3,
        spec=bars,
    )
    return vl.described(chart, trend_text(d, label))


def trend_text(d: pd.DataFrame, label: str) -> str:
    """ "Status updates, 2021-02 to 2021-06, in 2021-06: State 0, Southwest 3, …"."""
    if d.empty:
        return f"{label} by region: no periods."
    periods = sorted(d["period"].dropna().unique())
    first, last = periods[0], periods[-1]
    latest = d[d["period"] == last]
    parts = [
        f"{r} {'none' if pd.isna(v) else f'{v:,.0f}'}"
        for r, v in zip(latest["region"], latest["value"], strict=True)
    ]
    shown = ", ".join(parts[:MAX_ITEMS])
    return f"{label} by region, {first} to {last}; in {last}: {shown}."
