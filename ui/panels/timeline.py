"""The Timeline page's panels: the time window, which strategies show their outcomes,
the chart (wide screens) and the agenda by month (phones). Only one of the two is drawn,
by ui/screen.py's rule (as the outcome lists are): under 640 px the chart's labels
would leave the plot a few pixels, and a chart hidden by the stylesheet was still
built and sent on every run."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core.charts import describe
from core.charts import plan_timeline as pt
from ui import components, screen
from ui.text import md

SPAN, NEXT_YEAR, CUSTOM = "The plan's span", "Next 12 months", "Custom range"
AGENDA_ROWS = 150  # outcomes listed in the agenda before "and N more"


def window(rows: pd.DataFrame, today: date) -> pt.Window:
    """The window picker; the plan's span follows the current (re-baselined) dates."""
    span = pt.plan_span(rows) or pt.next_months(today)
    choice = st.segmented_control(
        "Time window",
        (SPAN, NEXT_YEAR, CUSTOM),
        default=SPAN,
        key="tl_window",
        required=True,
        help="The plan's span runs from the earliest start to the latest due date shown, "
        "on the current dates (so it moves with a re-baseline).",
    )
    if choice == NEXT_YEAR:
        return pt.next_months(today)
    if choice == CUSTOM:
        picked = st.date_input(
            "From – to", value=(span[0].date(), span[1].date()), key="tl_range", format="MM/DD/YYYY"
        )
        if isinstance(picked, tuple) and len(picked) == 2 and picked[0] <= picked[1]:
            return pd.Timestamp(picked[0]), pd.Timestamp(picked[1])
        st.caption("Pick both ends of the range; until then the plan's span is shown.")
    return span


def expanded(strategies: pd.DataFrame) -> tuple[frozenset[str], bool]:
    """Which strategies show their outcomes: picked by name, or all."""
    names = dict(
        zip(
            strategies["key"],
            strategies["region"].astype(str) + " · " + strategies["text"].astype(str),
            strict=True,
        )
    )
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    every = right.toggle("Show every outcome", key="tl_all")
    picked = left.multiselect(
        "Show the outcomes of",
        list(names),
        format_func=lambda key: names.get(key, key),
        key="tl_open",
        placeholder="Strategies (type to search)",
        disabled=every,
        help="Each strategy is one bar until you open it here.",
    )
    return frozenset(picked), every


def chart_or_agenda(
    rows: pd.DataFrame, outcomes: pd.DataFrame, today: date, span: pt.Window
) -> None:
    """The chart of `rows` on a wide screen, the agenda of `outcomes` on a phone."""
    if screen.narrow():
        agenda(outcomes, span)
    else:
        chart(rows, today, span)


def chart(rows: pd.DataFrame, today: date, span: pt.Window) -> None:
    with st.container(key="timeline_chart"):
        shown = pt.in_window(rows, span)
        if shown.empty:
            components.empty_state("Nothing in the plan falls inside this window.")
            return
        components.chart(
            pt.plan_timeline(rows, today, span),
            table=lambda: shown[list(TABLE_COLUMNS)].rename(columns=TABLE_COLUMNS),
            key="tl_table",
            width="stretch",
        )
        st.caption(
            "Dark bars are regions and grey bars strategies, green up to their share done; "
            "open a strategy above to see its outcomes, coloured and end-marked by status "
            "(hover for the whole text). A faint bar above a row marks the report's own dates "
            "where they have moved (re-baselined or re-dated). The red rule is today."
        )


# "Show as table": the rows inside the window, columns in words.
TABLE_COLUMNS = {
    "text": "Name",
    "region": "Region",
    "level": "Row",
    "status": "Status",
    "start_date": "From",
    "due_date": "Due",
    "report_due": "Report's date",
}


def agenda(outcomes: pd.DataFrame, span: pt.Window) -> None:
    """Every outcome due inside the window, month by month (for phones)."""
    with st.container(key="timeline_agenda"):
        st.subheader("Due by month")
        months = pt.agenda(outcomes, span)
        if not months:
            components.empty_state("Nothing is due inside this window.")
            return
        # One element for every month (a month's name, then its list): a plan's span
        # is some 40 months, and each element costs on every run, for every screen.
        listed, blocks = 0, []
        for month, items in months:
            if listed >= AGENDA_ROWS:
                break
            lines = [
                f"- {row['due_date']:%b %-d} · **{md(row['status'])}** · "
                f"{md(row['region'])}: {md(pt.cut(row['text'], 140))}"
                for row in items[: AGENDA_ROWS - listed]
            ]
            listed += len(lines)
            blocks.append(f"**{month}**\n\n" + "\n".join(lines))
        st.markdown("\n\n".join(blocks))
        total = sum(len(items) for _, items in months)
        if total > listed:
            st.caption(f"The first {listed:,} of {total:,}; pick a shorter window to see the rest.")


def caption(rows: pd.DataFrame, span: pt.Window) -> None:
    st.caption(describe.timeline_text(pt.in_window(rows, span), *span))
