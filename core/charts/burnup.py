"""The burn-up: outcomes Done so far against outcomes due so far, month by month, on
current dates and (dashed) on the report's dates; one chart, or small multiples per
region. Takes the frame of core.progress.burnup.burnup; returns Vega-Lite specs as
dicts (core/charts/vl.py)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

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


def _long(given: vl.Columns) -> pa.Table:
    """One row per group, month and line (Done after this month left out): a melt,
    in plain Python, as an Arrow table (pandas' melt, then numpy's, cost more than
    the rest of the chart)."""
    out: vl.Columns = {name: [] for name in ("key", "label", "order", "month", "line", "outcomes")}
    for column, line in LINES.items():
        for i, value in enumerate(given[column]):
            if value is None:
                continue
            for name in ("key", "label", "order", "month"):
                out[name].append(given[name][i])
            out["line"].append(line)
            out["outcomes"].append(int(value))
    out["order"] = [None if v is None else int(v) for v in out["order"]]
    out["month"] = [None if v is None else pd.Timestamp(v).to_pydatetime() for v in out["month"]]
    return vl.table(out)


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
    given = vl.columns(frame, FRAME_COLUMNS)
    if given["key"]:
        first = given["key"][0]
        kept = [i for i, key in enumerate(given["key"]) if key is not None and key == first]
        given = {name: [values[i] for i in kept] for name, values in given.items()}
    chart = vl.Spec(datasets={"table": _long(given)}, data={"name": "table"}, height=280)
    chart |= _lines(legend=True)
    return vl.described(chart, _burnup_text(given))


def burnup_small_multiples(frame: pd.DataFrame, *, columns: int = 3) -> vl.Spec:
    """One small burn-up per group (region or need), in the frame's order, sharing
    both axes."""
    given = vl.columns(frame, FRAME_COLUMNS)
    chart = vl.Spec(
        datasets={"table": _long(given)},
        data={"name": "table"},
        facet=vl.channel("label:N", title=None, sort={"field": "order", "op": "min"}),
        columns=columns,
        spec={"width": 200, "height": 120, **_lines(legend=True)},
    )
    return vl.described(chart, _small_multiples_text(given))


def _latest(given: vl.Columns) -> list[int]:
    """Each group's last month with a Done figure (this month): its row, the groups
    in their order."""
    known = [i for i, done in enumerate(given["done"]) if done is not None]
    known.sort(key=lambda i: given["month"][i])
    last: dict[Any, int] = {}
    for i in known:
        if given["key"][i] is not None:
            last[given["key"][i]] = i
    return sorted(last.values(), key=lambda i: given["order"][i])


def burnup_text(frame: pd.DataFrame) -> str:
    """The burn-up's sentence: "By December 2026, 12 of 248 outcomes done; 248 due on
    current dates, 248 on the report's dates."."""
    return _burnup_text(vl.columns(frame, FRAME_COLUMNS))


def _burnup_text(given: vl.Columns) -> str:
    latest = _latest(given)
    if not latest:
        return "Progress against plan: no outcomes."
    i = latest[0]
    total = int(max(v for v in given["due_current"] if v is not None))
    return (
        f"By {given['month'][i]:%B %Y}, {int(given['done'][i])} of {total} outcomes done; "
        f"{int(given['due_current'][i])} due on current dates, "
        f"{int(given['due_report'][i])} on the report's dates."
    )


def small_multiples_text(frame: pd.DataFrame) -> str:
    """Each group's figures this month, in one sentence."""
    return _small_multiples_text(vl.columns(frame, FRAME_COLUMNS))


def _small_multiples_text(given: vl.Columns) -> str:
    latest = _latest(given)
    if not latest:
        return "Progress against plan by group: no outcomes."
    totals: dict[Any, Any] = {}
    for key, due in zip(given["key"], given["due_current"], strict=True):
        if key is not None and due is not None:
            totals[key] = due if key not in totals else max(totals[key], due)
    parts = [
        f"{given['label'][i]} {int(given['done'][i])} of {int(totals[given['key'][i]])} done "
        f"({int(given['due_current'][i])} due, {int(given['due_report'][i])} on the report's "
        "dates)"
        for i in latest
    ]
    shown = "; ".join(parts[:MAX_ITEMS])
    if len(parts) > MAX_ITEMS:
        shown += f"; and {len(parts) - MAX_ITEMS} more"
    return f"By {given['month'][latest[0]]:%B %Y}: {shown}."


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
