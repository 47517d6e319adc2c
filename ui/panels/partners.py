"""Partners page sections: one organisation's strategies, outcomes and activity; the
collaboration view (organisations × strategies and the network), statewide or for a
sidebar region; and per region, month by month, how many organisations contribute.

The organisation shown is the sidebar's Organisation filter (`?org=` in the link), so
picking one here narrows every other page to its work too."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.charts import partners as charts
from core.partners import queries
from ui import components, data, filters
from ui.text import md

PICK = "partners_org_pick"
MATRIX_ROWS = 40  # organisations the matrix draws; its table lists every one
OUTCOME_TABLE = ["region", "strategy", "term", "number", "text", "due_date", "status", "schedule"]


@st.cache_data(ttl=600, show_spinner=False, max_entries=16)
def _organisations(stamp_: tuple) -> pd.DataFrame:
    with Session(data.engine()) as session:
        return queries.organisations(session)


@st.cache_data(ttl=600, show_spinner=False, max_entries=32)
def _links(stamp_: tuple, region_id: str | None, include_generic: bool) -> pd.DataFrame:
    with Session(data.engine()) as session:
        return queries.links(session, region_id=region_id, include_generic=include_generic)


@st.cache_data(ttl=600, show_spinner=False, max_entries=32)
def _network(
    stamp_: tuple, region_id: str | None, include_generic: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The network of `_links`, laid out (the spring layout takes ~0.5 s at 250 nodes)."""
    return charts.layout(*queries.network(_links(stamp_, region_id, include_generic)))


@st.cache_data(ttl=600, show_spinner=False, max_entries=32)
def _activity(stamp_: tuple, organisation_id: str) -> pd.DataFrame:
    with Session(data.engine()) as session:
        return queries.activity(session, organisation_id)


@st.cache_data(ttl=600, show_spinner=False, max_entries=8)
def _contributing(stamp_: tuple) -> pd.DataFrame:
    with Session(data.engine()) as session:
        return queries.contributing(session)


def organisations() -> pd.DataFrame:
    return _organisations(data.stamp())


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def pick_organisation() -> str | None:
    """The organisation to show: the sidebar's Organisation filter's (its first when
    several); picking one here sets that filter (and so `?org=` in the link)."""
    names = filters.organisation_names()
    chosen = [o for o in st.session_state.get("f_org") or [] if o in names]
    st.session_state[PICK] = chosen[0] if chosen else None
    return st.selectbox(
        "Organisation",
        list(names),
        format_func=names.__getitem__,
        key=PICK,
        index=None,
        placeholder="Type to search the organisations",
        on_change=lambda: filters.choose_organisation(st.session_state[PICK]),
        help="The sidebar's Organisation filter, kept in the link: picking one here "
        "narrows every page to the strategies naming it.",
    )


def organisation(organisation_id: str) -> None:
    """The organisation's strategies and outcomes by region (as the sidebar filters
    them), and its activity over time."""
    orgs = organisations().set_index("organisation_id")
    row = orgs.loc[organisation_id]
    name = str(row["organisation"])
    kind = str(row["kind"])
    st.subheader(md(name))
    about = f"Kind: {md(kind)}" + (" · retired" if bool(row["retired"]) else "")
    st.caption(about)
    df = data.outcomes(filters.current(organisations=(organisation_id,)), filters.soon_days())
    if df.empty:
        components.empty_state(
            f"No strategy in the plan names {md(name)}"
            + (" for these filters." if filters.active() else " yet."),
            hint="Strategies name organisations in their Resources; an admin links them on "
            "the Organisations page.",
        )
    else:
        _work(name, df)
    _activity_section(organisation_id, name)


def _work(name: str, df: pd.DataFrame) -> None:
    summary = queries.strategy_summary(df)
    regions = summary["region"].nunique()
    st.markdown(
        f"{md(name)} is named in {_plural(len(summary), 'strategy', 'strategies')} across "
        f"{_plural(regions, 'region', 'regions')}: {_plural(len(df), 'outcome', 'outcomes')}, "
        f"{int(summary['done'].sum()):,} done and {int(summary['blocked'].sum()):,} blocked."
    )
    st.dataframe(
        summary.drop(columns=["strategy_id"]),
        hide_index=True,
        width="stretch",
        column_config={
            "region": st.column_config.TextColumn("Region"),
            "strategy": st.column_config.TextColumn("Strategy", width="large"),
            "outcomes": st.column_config.NumberColumn("Outcomes"),
            "done": st.column_config.NumberColumn("Done"),
            "blocked": st.column_config.NumberColumn("Blocked"),
        },
    )
    with st.expander(f"Its {_plural(len(df), 'outcome', 'outcomes')}, by region"):
        st.dataframe(
            components.table_frame(df.head(components.TABLE_ROWS), OUTCOME_TABLE),
            hide_index=True,
            width="stretch",
            column_config={k: components.OUTCOME_COLUMNS[k] for k in OUTCOME_TABLE},
        )


def _activity_section(organisation_id: str, name: str) -> None:
    st.markdown("**Activity over time**")
    rows = _activity(data.stamp(), organisation_id)
    if rows.empty:
        components.empty_state(
            f"No one from {md(name)} has written a status update, comment or measure value yet.",
            hint="What members write counts for their organisation once an admin sets it "
            "on their account.",
        )
        return
    totals = rows.groupby("kind")["count"].sum()
    parts = [
        _plural(int(totals.get(kind, 0)), one.lower(), kind.lower())
        for kind, one in zip(
            queries.ACTIVITY_KINDS, ("Status update", "Comment", "Measure value"), strict=True
        )
    ]
    st.caption(f"Written by its members: {', '.join(parts)}.")
    components.chart(
        charts.activity_chart(rows, name), key="partners_activity_table", width="stretch"
    )


def _scope() -> str | None:
    """Statewide (None) or one of the sidebar's regions."""
    region_names = filters.options()["region"]
    chosen = [r for r in st.session_state.get("f_region") or [] if r in region_names]
    if not chosen:
        st.caption(
            "Statewide: every region's strategies. Choose a region in the sidebar to see "
            "one region's."
        )
        return None
    return st.radio(
        "Collaboration in",
        [None, *chosen],
        format_func=lambda r: "Statewide" if r is None else region_names[r],
        horizontal=True,
    )


def collaboration() -> None:
    """Organisations × strategies and the network of organisations sharing one."""
    st.header("Collaboration")
    region_id = _scope()
    include = st.toggle(
        "Include generic groups",
        key="partners_generic",
        help="Entries such as “Local DSV agencies” stand for many organisations the "
        "report does not name; left out, the network shows named organisations only.",
    )
    links = _links(data.stamp(), region_id, include)
    if links.empty:
        components.empty_state(
            "No strategy here names an organisation yet.",
            hint="Organisations appear once strategies are linked to them.",
        )
        return
    nodes, edges = _network(data.stamp(), region_id, include)
    st.markdown(
        f"{_plural(len(nodes), 'organisation', 'organisations')} named in "
        f"{_plural(links['strategy_id'].nunique(), 'strategy', 'strategies')}; "
        f"{_plural(len(edges), 'pair', 'pairs')} of organisations "
        f"{'shares' if len(edges) == 1 else 'share'} at least one."
    )
    st.subheader("Network")
    st.caption(
        "A line joins two organisations named in the same strategy; thicker lines, more "
        "strategies shared. Larger points: more strategies."
    )
    components.chart(
        charts.network_chart(nodes, edges),
        table=charts.network_table(nodes, edges),
        key="partners_network_table",
        width="stretch",
    )
    with st.expander("Organisations × strategies", icon=":material/grid_on:"):
        _matrix(links, nodes)


def _matrix(links: pd.DataFrame, nodes: pd.DataFrame) -> None:
    top = nodes.sort_values("strategies", ascending=False, kind="stable").head(MATRIX_ROWS)
    shown = links[links["organisation_id"].isin(top["organisation_id"])]
    if len(nodes) > MATRIX_ROWS:
        st.caption(
            f"The {MATRIX_ROWS} organisations named in the most strategies; the table "
            f"lists all {len(nodes):,}."
        )
    table = links[["organisation", "kind", "strategy", "region"]].rename(columns=str.capitalize)
    components.chart(charts.matrix_chart(shown), table=table, key="partners_matrix_table")


def contributing() -> None:
    """Per region, month by month, how many organisations contributed."""
    st.header("Organisations contributing over time")
    rows = _contributing(data.stamp())
    regions = st.session_state.get("f_region") or []
    if regions:
        rows = rows[rows["region_id"].isin(regions)]
    if rows.empty:
        components.empty_state(
            "No status update, comment or measure value names an organisation yet.",
            hint="Each counts for its author's organisation, in its outcome's region.",
        )
        return
    st.caption(
        "Each month, how many organisations wrote at least one status update, comment or "
        "measure value in the region."
    )
    components.chart(
        charts.contributing_chart(rows), key="partners_contributing_table", width="stretch"
    )
