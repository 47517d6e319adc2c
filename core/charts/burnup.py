"""The burn-up: outcomes Done so far against outcomes due so far, month by month, on
current dates and (dashed) on the report's dates; one chart, or small multiples per
region. Takes the frame of core.progress.burnup.burnup; returns Vega-Lite specs as
dicts (core/charts/vl.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.charts import vl
from core.charts.describe import MAX_ITEMS
from core.charts.style import AXIS_DATE_FORMAT, BAR_COLOR, DONE_COLOR, MUTED_COLOR, with_columns

FRAME_COLUMNS = ["key", "label", "order", "month", "done", "due_current", "due_report"]
DONE = "Done"
DUE_CURRENT = "Due on current dates"
DUE_REPORT = "Due on the report's dates"
LINES = {"done": DONE, "due_current": DUE_CURRENT, "due_report": DUE_REPORT}
_COLORS = [DONE_COLOR, BAR_COLOR, MUTED_COLOR]
_DASHES = [[1, 0], [1, 0], [6, 4]]  # the report's dates dashed


def _long(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per group, month and line (Done after this month left out): a melt,
    in numpy (pandas' melt cost more than the rest of the chart)."""
    d = with_columns(frame, FRAME_COLUMNS)
    values = np.concatenate(
        [pd.to_numeric(d[c]).to_numpy(dtype=float, na_value=np.nan) for c in LINES]
    )
    kept = ~np.isnan(values)
    out = {
        name: np.tile(d[name].to_numpy(dtype=object), len(LINES))[kept]
        for name in ("key", "label", "order", "month")
    }
    out["line"] = np.repeat(list(LINES.values()), len(d))[kept]
    out["outcomes"] = values[kept].astype(int)
    long = pd.DataFrame(out)
    return long.astype({"order": int, "month": "datetime64[us]"}) if len(long) else long


# One entry a line, stacked: side by side, the three long names ran off a phone's width.
_LEGEND = {"orient": "top", "columns": 1}


def _lines(*, legend: bool) -> dict[str, Any]:
    """The three lines' view (mark and encoding), drawing the frame of `_long`."""
    scale = {"domain": list(LINES.values())}
    return {
        "mark": vl.mark("line", interpolate="step-after"),
        "encoding": {
            "x": vl.channel("month:T", title=None, axis={"format": AXIS_DATE_FORMAT}),
            "y": vl.channel("outcomes:Q", title="Outcomes", axis={"tickMinStep": 1}),
            "color": vl.channel(
                "line:N",
                title=None,
                scale=scale | {"range": _COLORS},
                legend=_LEGEND if legend else None,
            ),
            "strokeDash": vl.channel(
                "line:N",
                title=None,
                scale=scale | {"range": _DASHES},
                legend=_LEGEND if legend else None,
            ),
            "tooltip": vl.tooltip(
                ("label:N", "Outcomes of"),
                ("month:T", "Month", "%B %Y"),
                ("line:N", "Line"),
                ("outcomes:Q", "Outcomes"),
            ),
        },
    }


def burnup_chart(frame: pd.DataFrame) -> vl.Spec:
    """One group's burn-up (the first group of `frame`): Done, due on current dates,
    due on the report's dates (dashed)."""
    d = with_columns(frame, FRAME_COLUMNS)
    if len(d):
        d = d[d["key"] == d["key"].iloc[0]]
    chart = vl.Spec(datasets={"table": _long(d)}, data={"name": "table"}, height=280)
    chart |= _lines(legend=True)
    return vl.described(chart, burnup_text(d))


def burnup_small_multiples(frame: pd.DataFrame, *, columns: int = 3) -> vl.Spec:
    """One small burn-up per group (region or need), in the frame's order, sharing
    both axes."""
    d = with_columns(frame, FRAME_COLUMNS)
    chart = vl.Spec(
        datasets={"table": _long(d)},
        data={"name": "table"},
        facet=vl.channel("label:N", title=None, sort={"field": "order", "op": "min"}),
        columns=columns,
        spec={"width": 200, "height": 120, **_lines(legend=True)},
    )
    return vl.described(chart, small_multiples_text(d))


def _latest(d: pd.DataFrame) -> pd.DataFrame:
    """Each group's last month with a Done figure (this month)."""
    known = d[d["done"].notna()]
    return known.sort_values("month").groupby("key", sort=False).tail(1).sort_values("order")


def burnup_text(frame: pd.DataFrame) -> str:
    """The burn-up's sentence: "By December 2026, 12 of 248 outcomes done; 248 due on
    current dates, 248 on the report's dates."."""
    d = _latest(with_columns(frame, FRAME_COLUMNS))
    if d.empty:
        return "Progress against plan: no outcomes."
    row = d.iloc[0]
    total = int(with_columns(frame, FRAME_COLUMNS)["due_current"].max())
    return (
        f"By {row['month']:%B %Y}, {int(row['done'])} of {total} outcomes done; "
        f"{int(row['due_current'])} due on current dates, {int(row['due_report'])} on "
        "the report's dates."
    )


def small_multiples_text(frame: pd.DataFrame) -> str:
    """Each group's figures this month, in one sentence."""
    d = with_columns(frame, FRAME_COLUMNS)
    latest = _latest(d)
    if latest.empty:
        return "Progress against plan by group: no outcomes."
    totals = d.groupby("key")["due_current"].max()
    parts = [
        f"{r['label']} {int(r['done'])} of {int(totals[r['key']])} done "
        f"({int(r['due_current'])} due, {int(r['due_report'])} on the report's dates)"
        for r in latest.to_dict("records")
    ]
    shown = "; ".join(parts[:MAX_ITEMS])
    if len(parts) > MAX_ITEMS:
        shown += f"; and {len(parts) - MAX_ITEMS} more"
    return f"By {latest['month'].iloc[0]:%B %Y}: {shown}."


def burnup_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The figures as a table with columns in words, for "Show as table"."""
    d = with_columns(frame, FRAME_COLUMNS)
    out = pd.DataFrame(
        {
            "Outcomes of": d["label"],
            "Month": pd.to_datetime(d["month"]).dt.strftime("%B %Y"),
            DONE: d["done"],
            DUE_CURRENT: d["due_current"],
            DUE_REPORT: d["due_report"],
        }
    )
    return out.reset_index(drop=True)
