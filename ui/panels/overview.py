"""The Overview page's panels: how to read it, the headline figures, completion by
region, by need and region × need (tabs), progress against plan over time (the burn-up,
statewide and per region: tabs), each region's freshness, and the latest status
updates. A tab is drawn only while open."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core import charts
from core.charts import burnup as burnup_charts
from core.progress import burnup, queries
from core.progress.filters import OutcomeFilter
from core.progress.notes import MEMBERS_ONLY
from ui import components, data
from ui.text import md

HOW_TO_READ = """
The 2019 strategic plan sets out ten logic models: two statewide (housing; mental health and
substance use) and one per region. Each **strategy** is a row of a logic model (a need, its
resources and tasks); each **outcome** is one of its short-, medium- or long-term milestones.

- **Completion** is done outcomes ÷ active outcomes. Dropped outcomes are not counted.
- **Status** is what workgroup leads record. **Schedule** is computed: *overdue* (past due and not
  done), *due soon* (within the window you pick on *Overdue & due soon*), *on time*, or *closed*.
- **Upstream late**: an earlier-term outcome of the same strategy is overdue or blocked; the
  report's short → medium → long outcomes build on each other.
- **Date basis** says how a due date was read from the report: *as written* (a day was given),
  *end of month* (month/year), *corrected* (an impossible day such as 2/31/2020, moved to the month's
  last day), *inferred* (no usable date; planned from the outcome's term).
- The report's timelines are guidance, meant to be moved to each community's real start date; many
  2020–2022 dates are therefore past.
"""


def how_to_read() -> None:
    # Drawn only while open: a long text the browser would parse on every visit.
    if box := components.lazy_expander(
        "How to read this", key="overview_how_to_read", icon=":material/help:"
    ):
        with box:
            st.markdown(HOW_TO_READ)


def headline(overall: dict, counts: dict, soon: int) -> None:
    """Completion, done, overdue, due soon and blocked, side by side."""
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric(
        "Completion",
        components.rate_text(overall["rate"]),
        help=f"{int(overall['done'])} done ÷ {int(overall['active'])} active outcomes "
        f"({int(overall['dropped'])} dropped are left out).",
    )
    c2.metric("Done", f"{int(overall['done']):,}", help="Outcomes whose latest status is Done.")
    c3.metric(
        "Overdue",
        f"{counts['overdue']}",
        help="Past their due date and neither done nor dropped.",
    )
    c4.metric(
        f"Due in {soon} days",
        f"{counts['due_soon']}",
        help=f"Open outcomes due between today and {soon} days from now.",
    )
    c5.metric(
        "Blocked", f"{counts['blocked']}", help="Outcomes a lead marked Blocked, with a note why."
    )


def status_chart(status: dict) -> None:
    components.chart(
        charts.status_bar(pd.DataFrame({"status": list(status), "count": list(status.values())}))
    )
    st.caption("Outcomes by their latest recorded status.")


def completion_charts(flt: OutcomeFilter) -> None:
    """Completion by region, by need and region × need, a tab each: only the open tab
    is drawn (opening another reruns the page)."""
    st.subheader("Completion")
    by_region, by_need, grid = st.tabs(
        ["By region", "By need", "Region × need"], key="overview_completion", on_change="rerun"
    )
    if by_region.open:
        with by_region:
            rows = data.completion(flt, by=("region",)).rename(columns={"region": "label"})
            components.chart(charts.completion_by(rows, "Region"))
            st.caption(
                "Done ÷ active outcomes of each region's logic model(s); State holds the two "
                "statewide models."
            )
    if by_need.open:
        with by_need:
            rows = data.completion(flt, by=("need",)).rename(columns={"need": "label"})
            components.chart(charts.completion_by(rows, "Need"))
            st.caption("Done ÷ active outcomes of strategies addressing each need.")
    if grid.open:
        with grid:
            components.chart(charts.heatmap(data.completion(flt, by=("region", "need"))))
            st.caption(
                "Completion of each region's strategies per need; an empty cell means the "
                "region has no strategy for that need."
            )


SMALL_MULTIPLES = 12  # regions drawn as small multiples at most


@data.shared(ttl=600, max_entries=32)  # read-only to its callers (the charts, the table)
def _burnup(
    stamp_: tuple, flt_key: tuple, day: date, by: burnup.Group, limit: int | None = None
) -> pd.DataFrame:
    with Session(data.engine()) as session:
        flt = OutcomeFilter(*flt_key)
        live = _live_steps(queries.plan_stamp(stamp_), flt_key, by)
        steps = live.steps(session, queries.history_mark(stamp_))
        return burnup.burnup(session, flt, today=day, by=by, limit=limit, steps=steps)


# One per plan, filter and grouping: the Done steps of each save added to those before,
# not the whole history read again (core/progress/burnup.LiveSteps).
@data.shared(ttl=3600, max_entries=16)
def _live_steps(plan_stamp_: tuple, flt_key: tuple, by: burnup.Group) -> burnup.LiveSteps:
    return burnup.LiveSteps(OutcomeFilter(*flt_key), by)


def progress_against_plan(flt: OutcomeFilter) -> None:
    """The burn-up (Done against due, on current and on the report's dates), statewide
    or as one small burn-up per region, a tab each (only the open one is drawn)."""
    day = data.today()
    st.subheader("Progress against plan")
    whole, by_region = st.tabs(
        ["Statewide", "By region"], key="overview_progress", on_change="rerun"
    )
    if whole.open:
        with whole:
            plan = _burnup(data.stamp(), astuple(flt), day, None)
            components.chart(
                burnup_charts.burnup_chart(plan),
                table=lambda: burnup_charts.burnup_table(plan),
                key="burnup_as_table",
                width="stretch",
            )
            st.caption(
                "Outcomes done (from the status history: an outcome counts from the day it "
                "was marked Done until it was undone or reopened) against outcomes due, month "
                "by month, on current due dates and, dashed, on the report's dates. Dropped "
                "outcomes are not due."
            )
    if by_region.open:
        with by_region:
            regions = _burnup(data.stamp(), astuple(flt), day, "region", SMALL_MULTIPLES)
            components.chart(
                burnup_charts.burnup_small_multiples(regions),
                table=lambda: burnup_charts.burnup_table(regions),
                key="burnup_regions_as_table",
            )
            if (shown := regions["key"].nunique()) < regions.attrs.get("groups", shown):
                st.caption(
                    f"The first {shown} of {regions.attrs['groups']:,} regions; pick regions "
                    "in the sidebar to see others."
                )


def activity(flt: OutcomeFilter) -> pd.DataFrame:
    """Each region's freshness; returns the latest status updates (at most five) for
    `latest_updates`."""
    hist = data.history(flt, limit=5)
    if hist.empty:
        components.empty_state(
            "No status updates yet.",
            hint="Workgroup leads: sign in from the sidebar, then mark outcomes done or in progress "
            "from the Regions, Overdue or Plan browser pages. Progress appears here as it is recorded.",
        )
    st.subheader("Freshness")
    components.chart(charts.freshness(data.freshness()))
    st.caption(
        "Days since each region's last status update. Regions with no updates yet are marked."
    )
    return hist


def _note(row: dict) -> str:
    """The update's note as this reader may read it (data.history leaves out a note
    that is for members only and says so), escaped."""
    if row["note_hidden"]:
        return f" — _{MEMBERS_ONLY}_"
    return f" — “{md(row['note'])}”" if row["note"] else ""


def latest_updates(hist: pd.DataFrame) -> None:
    if hist.empty:
        return
    st.subheader("Latest updates")
    lines = []
    for row in hist.to_dict("records"):
        text = (
            row["outcome_text"]
            if len(row["outcome_text"]) <= 90
            else row["outcome_text"][:89] + "…"
        )
        lines.append(
            f"- **{md(row['changed_by'])}** · {md(row['region'])}: {md(text)} → "
            f"**{md(row['new_status'])}** (was {md(row['old_status'])}; "
            f"{row['changed_at']:%b %-d, %Y %H:%M} UTC){_note(row)}"
        )
    st.markdown("\n".join(lines))  # one list, one element
