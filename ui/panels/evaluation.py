"""The Evaluation page's sections (the plan's Appendix A): what it asks, each region's
figures now, their trends period by period, and both as CSV files. Figures only, no
notes: visible to everyone."""

from __future__ import annotations

from datetime import date
from functools import partial

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.charts.evaluation import trend_chart
from core.io import evaluation_export
from core.progress import entries, evaluation, queries
from core.progress.burnup import Period
from ui import components, data, filters

EXPLANATION = f"""
The plan's Appendix A asks to “{evaluation.APPENDIX_A}”. These figures are how this
tracker answers it, region by region: are the leads using it, are outcomes kept up to
date, are dates being moved to the community's real start (re-baselining), are measures
reported, how long after their due date outcomes get done, and how many organisations
contribute.

- **Active leads**: people assigned to the region (or to one of its strategies) who
  recorded a status update on its outcomes in the period (the table: the last
  {evaluation.FRESH_DAYS} days).
- **Share of open outcomes updated**: open outcomes (neither done nor dropped) with a
  status update in the last {evaluation.FRESH_DAYS} days.
- **Median days from due date to Done**: for outcomes done now, from the due date to the
  day they were marked Done; below zero, done early.
- **Organisations contributing**: distinct organisations of the people who wrote status
  updates, comments and measure values (0 until people are linked to an organisation).
"""
FIGURES = [
    "active_leads",
    "updates",
    "outcomes_done",
    "median_days_to_done",
    "values_recorded",
    "rebaselines",
    "organisations",
]
PERIODS: dict[str, Period] = {"By month": "month", "By quarter": "quarter"}


# The history's rows, kept for every session and moved on by each save's entries
# (core/progress/entries.py), not read whole again: one per plan (17 MB for the 64,000
# entries at 100,000 outcomes).
@data.shared(ttl=3600, max_entries=4)
def _live_entries(plan_stamp_: tuple) -> entries.LiveEntries:
    return entries.LiveEntries()


def _entries(stamp_: tuple, session: Session) -> entries.Entries:
    live = _live_entries(queries.plan_stamp(stamp_))
    return live.current(session, queries.history_mark(stamp_))


# Only a measure value, an undo of one or a plan change moves these: a status save
# does not read them again.
@data.shared(ttl=3600, max_entries=8)
def _value_sums(measures_stamp_: tuple, period: Period | None) -> evaluation.ValueSums:
    with Session(data.engine()) as session:
        return evaluation.measure_value_sums(session, period)


# Read once per stamp for both the table and the series; few kept (some 2 MB each at
# 100,000 outcomes), as runs read the newest stamp.
@data.shared(ttl=600, max_entries=4)
def _closed(stamp_: tuple) -> evaluation.Closed:
    with Session(data.engine()) as session:
        return evaluation.closed_outcomes(session)


@data.shared(ttl=600, max_entries=4)
def _done(stamp_: tuple) -> evaluation.DoneDays:
    # What other reads give comes first: each takes a connection of its own, which it
    # must not ask for while this session holds one (a loaded pool would wait on it).
    closed = _closed(stamp_)
    with Session(data.engine()) as session:
        return evaluation.done_days(_entries(stamp_, session), closed)


@st.cache_data(ttl=600, show_spinner=False, max_entries=16)
def _current(stamp_: tuple, day: date, soon_days: int) -> pd.DataFrame:
    values = _value_sums(queries.measures_stamp(stamp_), None)  # as in _done
    rows, closed, done = data.plan_counts(stamp_, day, soon_days), _closed(stamp_), _done(stamp_)
    with Session(data.engine()) as session:
        kept = _entries(stamp_, session)
        return evaluation.current(
            session, day, kept=kept, values=values, rows=rows, closed=closed, done=done
        )


@st.cache_data(ttl=600, show_spinner=False, max_entries=16)
def _series(stamp_: tuple, day: date, period: Period) -> pd.DataFrame:
    values = _value_sums(queries.measures_stamp(stamp_), period)  # as in _done
    closed, done = _closed(stamp_), _done(stamp_)
    with Session(data.engine()) as session:
        kept = _entries(stamp_, session)
        return evaluation.over_time(
            session, day, period, kept=kept, values=values, closed=closed, done=done
        )


def explain() -> None:
    st.markdown(EXPLANATION)


def _of(frame: pd.DataFrame, regions: tuple[str, ...]) -> pd.DataFrame:
    """The rows of the sidebar's regions (all when none is chosen), by their names."""
    if not regions:
        return frame
    names = {r["name"] for r in data.reference()["regions"] if r["id"] in regions}
    return frame[frame["region"].isin(names)]


def scope_caption(regions: tuple[str, ...]) -> None:
    chosen = "the regions chosen in the sidebar" if regions else "every region"
    st.caption(
        f"Showing {chosen}. The evaluation looks at whole regions, so the sidebar's "
        "other filters do not apply here."
    )


def region_table(regions: tuple[str, ...] = ()) -> pd.DataFrame:
    """Each region's figures today, as a table; returns them for `downloads`."""
    current = _of(_current(data.stamp(), data.today(), filters.soon_days()), regions)
    st.subheader("Each region now")
    share = evaluation.LABELS["open_fresh_share"]
    st.dataframe(
        evaluation.with_labels(current),
        hide_index=True,
        width="stretch",
        column_config={
            share: st.column_config.ProgressColumn(share, format="percent", min_value=0.0),
            evaluation.LABELS["median_days_to_done"]: st.column_config.NumberColumn(format="%.0f"),
            evaluation.LABELS["last_rebaselined"]: st.column_config.DateColumn(format="YYYY-MM-DD"),
        },
    )
    st.caption(
        f"Active leads and status updates: the last {evaluation.FRESH_DAYS} days. Measures, "
        "outcomes done and organisations: since the tracker started."
    )
    return current


def period_choice() -> Period:
    choice = st.segmented_control(
        "Period", list(PERIODS), default="By month", key="evaluation_period", required=True
    )
    return PERIODS[choice or "By month"]


def trends(period: Period, regions: tuple[str, ...] = ()) -> pd.DataFrame:
    """One figure's trend per region, period by period; returns the series."""
    series = _of(_series(data.stamp(), data.today(), period), regions)
    st.subheader("Over time")
    figure = st.selectbox(
        "Figure",
        FIGURES,
        format_func=lambda f: evaluation.LABELS[f],
        key="evaluation_figure",
    )
    label = evaluation.LABELS[figure]
    table = evaluation.with_labels(series[["region", "period", figure]])
    components.chart(trend_chart(series, figure, label), table=table, key="evaluation_as_table")
    return series


def downloads(current: pd.DataFrame, series: pd.DataFrame, period: Period) -> None:
    """Both CSV files, each written only when its button is clicked."""
    day = data.today()
    left, right = st.columns(2)
    left.download_button(
        "Download the table (CSV)",
        partial(evaluation_export.current_csv, current),
        file_name=evaluation_export.file_name("regions", day),
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
    right.download_button(
        f"Download the series by {period} (CSV)",
        partial(evaluation_export.series_csv, series),
        file_name=evaluation_export.file_name(f"by-{period}", day),
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
    st.caption("One row per region (× period), columns named as in the table.")
