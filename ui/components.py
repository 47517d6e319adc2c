"""Small view pieces used on several pages."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from core.charts import describe, vl
from core.models import Status
from core.progress.rates import rate_text as rate_text  # ui/panels call components.rate_text
from core.progress.schedule import Schedule
from ui import screen
from ui.text import md

HOTLINE = (
    "**Need help or want to report a situation?** National Human Trafficking Hotline: "
    "call [1-888-373-7888](tel:18883737888) or text **233733** (24/7, confidential, "
    "200+ languages). In an emergency, call 911."
)

STATUS_BADGE_COLORS = {
    Status.NOT_STARTED.value: "gray",
    Status.IN_PROGRESS.value: "blue",
    Status.DONE.value: "green",
    Status.BLOCKED.value: "orange",
    Status.DROPPED.value: "gray",
}
SCHEDULE_BADGE_COLORS = {
    Schedule.OVERDUE.value: "red",
    Schedule.DUE_SOON.value: "orange",
    Schedule.ON_TIME.value: "blue",
}

# Column settings for outcome tables; pages pick the columns they show.
# The most rows a table shows at once; larger views say so and offer the download.
TABLE_ROWS = 2_000

OUTCOME_COLUMNS = {
    "region": st.column_config.TextColumn("Region", width="small"),
    "need": st.column_config.TextColumn("Need", width="small"),
    "strategy": st.column_config.TextColumn("Strategy", width="medium"),
    "term": st.column_config.TextColumn("Term", width="small"),
    "number": st.column_config.TextColumn("#", width="small"),
    "text": st.column_config.TextColumn("Outcome", width="large"),
    "date_as_written": st.column_config.TextColumn("Date in report", width="small"),
    "due_date": st.column_config.DateColumn("Due", format="YYYY-MM-DD", width="small"),
    "date_basis": st.column_config.TextColumn("Date basis", width="small"),
    "baseline_due_date": st.column_config.DateColumn(
        "Report's date",
        format="YYYY-MM-DD",
        width="small",
        help="The due date in the 2019 report (the baseline).",
    ),
    "slip_days": st.column_config.NumberColumn(
        "Slip (days)",
        format="%d",
        width="small",
        help="Days between the report's date and the current due date (re-baselining and re-dating).",
    ),
    "redate_count": st.column_config.NumberColumn(
        "Re-dated",
        format="%d×",
        width="small",
        help="Times the due date was moved, with a reason each time.",
    ),
    "status": st.column_config.TextColumn("Status", width="small"),
    "schedule": st.column_config.TextColumn("Schedule", width="small"),
    "days_overdue": st.column_config.NumberColumn("Days overdue", format="%d", width="small"),
    "days_to_due": st.column_config.NumberColumn("Days left", format="%d", width="small"),
    "freshness_days": st.column_config.NumberColumn(
        "Days since update",
        format="%d",
        width="small",
        help="Days since the last status update; empty: never updated.",
    ),
    "upstream": st.column_config.TextColumn(
        "Chain",
        width="small",
        help="“Upstream late”: an earlier-term outcome of the same strategy is overdue or blocked.",
    ),
    "flags": st.column_config.TextColumn("Report flags", width="small"),
    "last_updated": st.column_config.DatetimeColumn("Last update", format="YYYY-MM-DD HH:mm"),
    "last_note": st.column_config.TextColumn("Latest note", width="medium"),
    "blocked_reason": st.column_config.TextColumn(
        "Blocked because",
        width="medium",
        help="A Blocked outcome's standing reason: its latest note, for members unless published.",
    ),
}


# A chart's table for "Show as table": a frame, or a function making it (called only
# when the switch is on, so a page run does not build tables nobody asked for).
Table = pd.DataFrame | Callable[[], pd.DataFrame]


def chart(
    spec: vl.Spec, *, table: Table | None = None, key: str | None = None, **kwargs: Any
) -> None:
    """A chart of core/charts (a Vega-Lite spec as a dict, its frames sent as Arrow).
    Its description (core/charts/describe.py) is its accessible name; a "Show as
    table" switch shows `table` (by default the tooltip's fields) in its place."""
    description = spec.description
    if table is None:
        has_rows, make = describe.has_tooltip_table(spec), lambda: describe.tooltip_table(spec)
    elif callable(table):
        has_rows, make = any(len(f) for f in spec.frames.values()), table
    else:
        has_rows, make = not table.empty, lambda: table
    switch_key = key or "as_table_" + hashlib.sha1(description.encode()).hexdigest()[:12]
    as_table = has_rows and st.toggle(
        "Show as table",
        key=switch_key,
        help="The chart's figures as a table, for reading without the chart.",
    )
    if as_table:
        st.dataframe(make(), hide_index=True, width="stretch")
        if description:
            st.caption(md(description))  # it may hold names people typed
        return
    st.vega_lite_chart(fit_rows(spec), **kwargs)


FIT_WIDTH = {"type": "fit-x", "contains": "padding"}


def fit_rows(spec: vl.Spec) -> vl.Spec:
    """A spec whose height is a step per row, with its height in pixels (rows × step)
    and fitting only its width: Streamlit asks Vega to fit both, and Vega-Lite warns
    "Dropping fit-y because spec has discrete height". The rows are the distinct values
    of the views' y field. Any other spec as it is."""
    height = spec.get("height")
    if not isinstance(height, dict) or "step" not in height or "autosize" in spec:
        return spec
    values: set = set()
    for view in spec.views():
        field = view.get("encoding", {}).get("y", {}).get("field")
        column = spec.column(view, field) if isinstance(field, str) else None
        values.update(v for v in column or () if v is not None and v == v)  # NaN: none
    if not values:
        return spec
    return vl.Spec(spec, height=len(values) * height["step"], autosize=FIT_WIDTH)


def lazy_expander(
    label: str, *, key: str, icon: str | None = None, expanded: bool = False
) -> Any | None:
    """An expander whose contents run only while it is open: opening or closing it
    reruns the page (Streamlit's on_change="rerun"). Returns its container when open,
    else None, so a page does not build what nobody opened."""
    box = st.expander(label, expanded=expanded, key=key, icon=icon, on_change="rerun")
    return box if box.open else None


def footer() -> None:
    st.divider()
    # Full-contrast text, not a caption (a caption fades its link to 2.9:1): the hotline
    # is the page's most important words.
    st.markdown(HOTLINE)
    st.caption(
        "Source: *State of Missouri and Metro East Anti-Trafficking Strategic Plan* "
        "(Preble & Nichols, 2019). Its timelines are guidance, to be moved to each "
        "community's start date; its logic models are living documents."
    )


def empty_state(message: str, *, hint: str | None = None) -> None:
    st.info(message, icon=":material/info:")
    if hint:
        st.caption(hint)


def records(df: pd.DataFrame, columns: Sequence[str] | None = None) -> list[dict]:
    """The rows as dicts, as `df.to_dict("records")` gives them (the same values and
    types) in half the time: a column at a time, not a row at a time."""
    keys = list(df.columns) if columns is None else [k for k in columns if k in df.columns]
    values = [_listed(df[k]) for k in keys]
    return [dict(zip(keys, row, strict=True)) for row in zip(*values, strict=True)]


def _listed(column: pd.Series) -> list:
    values = column.tolist()
    if getattr(column.dtype, "na_value", None) is pd.NA:  # to_dict gives None for <NA>
        return [None if v is pd.NA else v for v in values]
    return values


def rows_where(frame: pd.DataFrame, column: str, value: Any) -> pd.DataFrame:
    """The rows whose `column` holds `value`, in their order, indexed from 0. When they
    are next to each other (e.g. a frame sorted by that column's order) a slice of the
    frame, not a mask: pandas copies every column for a mask, some 2 ms for an
    outcome table's 45 columns."""
    at = np.flatnonzero((frame[column] == value).to_numpy())
    if len(at) and at[-1] - at[0] + 1 == len(at):
        return frame.iloc[at[0] : at[-1] + 1].reset_index(drop=True)
    return frame.iloc[at].reset_index(drop=True)


def table_frame(df: pd.DataFrame, columns: list[str]) -> pa.Table:
    """The columns a table shows, with derived display columns filled in, as an Arrow
    table built from Python lists: st.dataframe sends it as it is (the pandas frame of
    two tables' columns cost more to build than the page's query)."""
    given = vl.columns(df, [c for c in columns if c not in _DERIVED])
    if "upstream" in columns:
        late = df["upstream_late"].tolist()
        given["upstream"] = ["Upstream late" if v is True else "" for v in late]
    if "blocked_reason" in columns:
        given["blocked_reason"] = blocked_reasons(df).tolist()
    if "days_overdue" in columns and "schedule" in df.columns:
        # Empty unless overdue, as in the export (not 0 for what is not late).
        pairs = zip(df["schedule"].tolist(), given["days_overdue"], strict=True)
        overdue = Schedule.OVERDUE.value
        given["days_overdue"] = [
            int(d) if s == overdue and d is not None else None for s, d in pairs
        ]
    if "flags" in columns:
        pairs = zip(_texts(df, "date_flag"), _texts(df, "flags"), strict=True)
        given["flags"] = [(d + ("; " if d and f else "") + f).replace("_", " ") for d, f in pairs]
    return pa.table({c: given[c] for c in columns})


# Filled in by table_frame from other columns (the frame may not have them).
_DERIVED = frozenset({"upstream", "blocked_reason", "flags"})


# The derived text columns are built in plain Python: pandas' string methods cost more
# than the work for a page of rows (a page draws one or two tables a run).
def blocked_reasons(df: pd.DataFrame) -> pd.Series:
    """Each Blocked outcome's standing reason (its latest note as this reader may see
    it: ui/data.py has put "(note for members)" where an unpublished one was); ""
    for every other outcome."""
    if "status" not in df.columns:
        return pd.Series("", index=df.index, dtype=object)
    blocked = Status.BLOCKED.value
    pairs = zip(df["status"].tolist(), _texts(df, "last_note"), strict=True)
    reasons = [" ".join(note.split()) if status == blocked else "" for status, note in pairs]
    return pd.Series(reasons, index=df.index, dtype=object)


def _texts(df: pd.DataFrame, column: str) -> list[str]:
    """A column as text, missing values (and a missing column) as ""."""
    if column not in df.columns:
        return [""] * len(df)
    return [
        "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in df[column]
    ]


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and value != ""


def badges_markdown(row: dict) -> str:
    """Status, schedule, freshness, chain and flags of one outcome as inline badges."""
    parts = [f":{STATUS_BADGE_COLORS.get(row['status'], 'gray')}-badge[{row['status']}]"]
    if color := SCHEDULE_BADGE_COLORS.get(row["schedule"]):  # closed: no schedule
        parts.append(f":{color}-badge[{row['schedule']}]")
    if row.get("upstream_late"):
        parts.append(":violet-badge[Upstream late]")
    if row.get("date_basis") in ("inferred", "corrected"):
        parts.append(f":gray-badge[Date {row['date_basis']}]")
    if _present(row.get("flags")) or _present(row.get("date_flag")):
        parts.append(":orange-badge[Report flag]")
    fresh = row.get("freshness_days")
    if fresh is not None and pd.notna(fresh):
        parts.append(f":gray-badge[Updated {int(fresh)} d ago]")
    return " ".join(parts) + _blocked_reason(row)


# How much of a Blocked reason a card shows (the dialog shows all of it).
REASON_CHARS = 160


def _blocked_reason(row: dict) -> str:
    """A Blocked outcome's standing reason (its latest note, as this reader may see
    it), on a line of its own below the badges; nothing otherwise."""
    note = row.get("last_note")
    if row["status"] != Status.BLOCKED.value or not _present(note) or not str(note).strip():
        return ""
    text = " ".join(str(note).split())
    if len(text) > REASON_CHARS:
        text = text[: REASON_CHARS - 1].rstrip() + "…"
    return f"  \n:material/block: **Blocked because:** {md(text)}"


# How many outcomes a phone's card list shows at first, and how many more each "Show
# more" adds (its table shows TABLE_ROWS): every card is three elements a run.
CARD_ROWS = 10


def outcome_list(
    df: pd.DataFrame,
    *,
    key: str,
    table: Callable[[], None],
    button: Callable[..., None] | None = None,
) -> None:
    """An outcome list in the layout of the reader's screen (ui/screen.py), only that
    one drawn: stacked cards on a phone, else `table()` (the selectable table and its
    bulk controls) in a container keyed wide_table_<key>."""
    if screen.narrow():
        outcome_cards(df, key=key, button=button)
        return
    with st.container(key=f"wide_table_{key}"):
        table()


def _more_cards(state_key: str) -> None:
    st.session_state[state_key] = st.session_state.get(state_key, CARD_ROWS) + CARD_ROWS


def outcome_cards(df: pd.DataFrame, *, key: str, button: Callable[..., None] | None = None) -> None:
    """An outcome table as stacked cards, for phones (see outcome_list): each outcome's words,
    where it sits in the plan, its badges (with a Blocked reason), dates and latest
    note, and `button(row, key=…)` (e.g. the Update / History button). The first
    CARD_ROWS, then as many more with each "Show more"."""
    state_key = f"cards_shown_{key}"
    shown = max(CARD_ROWS, int(st.session_state.get(state_key, CARD_ROWS)))
    with st.container(key=f"narrow_cards_{key}"):
        for row in records(df.head(shown)):
            with st.container(border=True):
                st.markdown(_card_markdown(row))
                if button is not None:
                    button(row, key=f"card_{key}_{row['outcome_id']}")
        if len(df) > shown:
            st.caption(f"{shown:,} of {len(df):,} shown.")
            st.button(
                f"Show {min(CARD_ROWS, len(df) - shown):,} more",
                key=f"cards_more_{key}",
                on_click=_more_cards,
                args=(state_key,),
                icon=":material/expand_more:",
            )


def _card_markdown(row: dict) -> str:
    where = f"{row['region']} · {row['strategy']} · {row['term']} term {row.get('number') or ''}"
    lines = [f"**{md(row['text'])}**", f":gray[{md(where.strip())}]", badges_markdown(row)]
    if _present(row.get("due_date")):
        dates = outcome_caption(row)
        if row.get("schedule") == Schedule.OVERDUE.value and _present(row.get("days_overdue")):
            dates += f" · {int(row['days_overdue']):,} days overdue"
        lines.append(f":gray[{dates}]")
    note = row.get("last_note")
    if row["status"] != Status.BLOCKED.value and _present(note) and str(note).strip():
        lines.append(f"Latest note: {md(' '.join(str(note).split()))}")
    return "  \n".join(lines)


def outcome_caption(row: dict) -> str:
    """One outcome's dates as a caption (markdown; the report's wording escaped)."""
    due = row["due_date"]
    written = md(row["date_as_written"]) if _present(row.get("date_as_written")) else "no date"
    text = f"Due {due:%b %-d, %Y} · in the report: {written} · basis: {md(row['date_basis'])}"
    slip, times = row.get("slip_days"), row.get("redate_count")
    if times is not None and slip is not None and _present(times) and int(times):
        text += f" · moved {int(times)}× ({int(slip):+,} days from the report's date)"
    return text
