"""The burn-up: outcomes Done so far against outcomes due so far, month by month, on
current dates and (dashed) on the report's dates; one chart, or small multiples per
region. Takes the frame of core.progress.burnup.burnup."""

from __future__ import annotations

import altair as alt
import pandas as pd

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
    """One row per group, month and line (Done after this month left out)."""
    d = with_columns(frame, FRAME_COLUMNS)
    long = d.melt(
        id_vars=["key", "label", "order", "month"],
        value_vars=list(LINES),
        var_name="line",
        value_name="outcomes",
    )
    long["line"] = long["line"].map(LINES)
    return long.dropna(subset=["outcomes"]).astype({"outcomes": int}).reset_index(drop=True)


# One entry a line, stacked: side by side, the three long names ran off a phone's width.
_LEGEND = alt.Legend(orient="top", columns=1)


def _lines(data: pd.DataFrame, *, legend: bool) -> alt.Chart:
    return (
        alt.Chart(data)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("month:T", title=None, axis=alt.Axis(format=AXIS_DATE_FORMAT)),
            y=alt.Y("outcomes:Q", title="Outcomes", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "line:N",
                title=None,
                scale=alt.Scale(domain=list(LINES.values()), range=_COLORS),
                legend=_LEGEND if legend else None,
            ),
            strokeDash=alt.StrokeDash(
                "line:N",
                title=None,
                scale=alt.Scale(domain=list(LINES.values()), range=_DASHES),
                legend=_LEGEND if legend else None,
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Outcomes of"),
                alt.Tooltip("month:T", title="Month", format="%B %Y"),
                alt.Tooltip("line:N", title="Line"),
                alt.Tooltip("outcomes:Q", title="Outcomes"),
            ],
        )
    )


def burnup_chart(frame: pd.DataFrame) -> alt.Chart:
    """One group's burn-up (the first group of `frame`): Done, due on current dates,
    due on the report's dates (dashed)."""
    d = with_columns(frame, FRAME_COLUMNS)
    if len(d):
        d = d[d["key"] == d["key"].iloc[0]]
    chart = _lines(_long(d), legend=True).properties(height=280)
    return chart.properties(description=burnup_text(d)).configure_mark(aria=False)


def burnup_small_multiples(frame: pd.DataFrame, *, columns: int = 3) -> alt.FacetChart:
    """One small burn-up per group (region or need), in the frame's order, sharing
    both axes."""
    d = with_columns(frame, FRAME_COLUMNS)
    chart = (
        _lines(_long(d), legend=True)
        .properties(width=200, height=120)
        .facet(
            facet=alt.Facet(
                "label:N", title=None, sort=alt.EncodingSortField(field="order", op="min")
            ),
            columns=columns,
        )
    )
    return chart.properties(description=small_multiples_text(d)).configure_mark(aria=False)


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
