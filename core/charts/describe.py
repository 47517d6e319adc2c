"""Text alternatives for the charts: one sentence per chart saying what it shows (the
chart's accessible name, in place of Vega's "Vega visualization"), and the chart's
tooltip fields as a table for its "Show as table" switch."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from core.charts import vl
from core.charts.style import DATE_FORMAT

MAX_ITEMS = 12  # items named in a sentence; the rest are counted


def _listed(items: list[str]) -> str:
    if len(items) > MAX_ITEMS:
        return ", ".join(items[:MAX_ITEMS]) + f", and {len(items) - MAX_ITEMS} more"
    return ", ".join(items)


def _pct(rate: Any) -> str | None:
    return None if rate is None or pd.isna(rate) else f"{round(float(rate) * 100)} %"


def status_text(data: vl.Columns | pd.DataFrame) -> str:
    """For `status_bar`'s frame (status, count)."""
    total = sum(int(n) for n in data["count"])
    parts = [f"{s} {int(n)}" for s, n in zip(data["status"], data["count"], strict=True)]
    return f"Outcomes by status ({total} in all): {_listed(parts)}."


def completion_text(data: vl.Columns | pd.DataFrame, title: str) -> str:
    """For `completion_by`'s frame (label, done, active, rate): "Completion by region:
    State 13 % (6 of 46), …"."""
    parts = []
    for label, done, active, rate in zip(
        data["label"], data["done"], data["active"], data["rate"], strict=True
    ):
        pct = _pct(rate)
        if pct is None:
            parts.append(f"{label} no active outcomes")
        else:
            parts.append(f"{label} {pct} ({int(done)} of {int(active)})")
    if not parts:
        return f"Completion by {title.lower()}: no outcomes."
    return f"Completion by {title.lower()}: {_listed(parts)}."


def heatmap_text(data: pd.DataFrame) -> str:
    """For `heatmap`'s frame: the best and the least complete region × need pairs."""
    if data.empty:
        return "Completion by region and need: no outcomes."
    ranked = data.sort_values("rate", ascending=False, kind="stable")

    def pair(row: dict) -> str:
        return f"{row['region']} × {row['need']} {_pct(row['rate'])} of {int(row['active'])}"

    rows = ranked.to_dict("records")
    text = f"Completion by region and need, {len(rows)} pairs: highest {pair(rows[0])}"
    if len(rows) > 1:
        text += f"; lowest {pair(rows[-1])}"
    return text + "."


def freshness_text(data: vl.Columns | pd.DataFrame) -> str:
    """For `freshness`'s frame (region, text)."""
    parts = [f"{r} {t}" for r, t in zip(data["region"], data["text"], strict=True)]
    if not parts:
        return "Days since each region's last update: no regions."
    return f"Days since each region's last update: {_listed(parts)}."


def timeline_text(rows: vl.Columns | pd.DataFrame, start: Any, end: Any) -> str:
    """For the Timeline's row tree (a frame, or its columns): how many rows of each
    level, the window, and how many rows have moved from the report's dates."""
    levels = Counter(rows["level"]) if "level" in rows else Counter()
    shown = [
        f"{int(levels[level])} {name}"
        for level, name in (
            ("region", "regions"),
            ("strategy", "strategies"),
            ("outcome", "outcomes"),
        )
        if level in levels
    ]
    moved = sum(1 for v in rows["moved"] if bool(v)) if "moved" in rows else 0
    what = _listed(shown) if shown else "nothing"
    return (
        f"Timeline from {pd.Timestamp(start):{DATE_FORMAT}} to {pd.Timestamp(end):{DATE_FORMAT}}: "
        f"{what}, each a bar from its start to its due date; {moved} moved from the report's "
        "dates, shown with a faint bar at the report's dates."
    )


def outcome_gantt_text(data: pd.DataFrame) -> str:
    """For `timeline`'s outcome Gantt frame (status column)."""
    counts = data["status"].value_counts() if not data.empty else pd.Series(dtype=int)
    parts = [f"{s} {int(n)}" for s, n in counts.items()]
    return (
        f"Timeline of {len(data)} outcomes, each a bar from its start to its due date, "
        f"by status: {_listed(parts) or 'none'}."
    )


def strategy_gantt_text(data: pd.DataFrame) -> str:
    """For `strategy_timeline`'s frame (one row per strategy with done and active)."""
    done = int(pd.to_numeric(data.get("Done", pd.Series(dtype=int))).sum()) if len(data) else 0
    active = int(pd.to_numeric(data.get("active", pd.Series(dtype=int))).sum()) if len(data) else 0
    return (
        f"Timeline of {len(data)} strategies, each a bar from its first start to its last "
        f"due date, shaded by completion: {done} of {active} active outcomes done."
    )


def _tooltip_view(spec: vl.Spec) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The first view with rows and a tooltip: the view and the tooltip's fields
    (field → title)."""
    for view in spec.views():
        shape = spec.shape(view)
        tooltip = view.get("encoding", {}).get("tooltip")
        if shape is None or not shape[1] or not isinstance(tooltip, list):
            continue
        columns: dict[str, str] = {}
        for item in tooltip:
            field, title = item.get("field"), item.get("title")
            if field in shape[0] and field not in columns:
                columns[field] = title if isinstance(title, str) else field
        if columns:
            return view, columns
    return None


def has_tooltip_table(spec: vl.Spec) -> bool:
    """Whether `tooltip_table` has rows (without making it)."""
    return _tooltip_view(spec) is not None


def tooltip_table(spec: vl.Spec) -> pd.DataFrame:
    """The first view's tooltip fields as a table, columns named as in the tooltip:
    what a reader can hover, for reading without the chart."""
    if (found := _tooltip_view(spec)) is None or (frame := spec.frame(found[0])) is None:
        return pd.DataFrame()
    columns = found[1]
    return frame[list(columns)].rename(columns=columns).reset_index(drop=True)
