"""The Measures page's sections: each measure's values against its target and its
computed state, grouped by Results-Based Accountability's three questions; a lead
records a value (or undoes one) for the measures in their scope."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date
from typing import Any

import streamlit as st
from sqlmodel import Session

from core.charts.measures import measure_chart
from core.measures import queries, values
from core.measures.state import MeasureState
from core.models import MeasureKind, RbaCategory
from core.people import permissions
from core.progress.filters import OutcomeFilter
from core.progress.queries import measures_stamp
from ui import actions, auth, components, data
from ui.text import md

QUESTIONS = {
    RbaCategory.HOW_MUCH: "How much did we do?",
    RbaCategory.HOW_WELL: "How well did we do it?",
    RbaCategory.BETTER_OFF: "Is anyone better off?",
}
STATE_ICONS = {
    MeasureState.ON_TRACK: ":material/check_circle:",
    MeasureState.AT_RISK: ":material/warning:",
    MeasureState.OFF_TRACK: ":material/error:",
    MeasureState.NO_TARGET: ":material/remove:",
    MeasureState.NO_VALUE: ":material/hourglass_empty:",
}
PAGE_SIZE = 25  # cards drawn per page: each is a chart and, in scope, a form
SEARCH_KEY, ORDER_KEY, PAGE_KEY, PAGE_PARAM = (
    "measures_search",
    "measures_order",
    "measures_page",
    "mpage",
)
ATTENTION_FIRST, BY_NAME = "Needs attention first", "Name"
ORDERS = (ATTENTION_FIRST, BY_NAME)
# what needs attention first: off track, at risk, awaiting a value, on track, no target
ATTENTION = {
    MeasureState.OFF_TRACK: 0,
    MeasureState.AT_RISK: 1,
    MeasureState.NO_VALUE: 2,
    MeasureState.ON_TRACK: 3,
    MeasureState.NO_TARGET: 4,
}


def _plain(row: queries.MeasureRow, members: bool) -> dict[str, Any]:
    """A measure as plain data for the cache; who recorded a value and its note are
    for signed-in members."""
    m = row.measure
    return {
        "id": m.id,
        "name": m.name,
        "unit": m.unit,
        "kind": m.kind,
        "rba": m.rba,
        "region_id": row.region_id,
        "region_name": row.region_name,
        "strategy_id": row.strategy_id,
        "outcome_id": m.outcome_id,
        "as_written": m.as_written,
        "note": m.note,
        "target": row.target,
        "by": row.by,
        "baseline": m.baseline_value,
        "state": row.state,
        "values": [
            {
                "id": p.id,
                "as_of": p.as_of,
                "value": p.value,
                "recorded_by": p.recorded_by if members else "",
                "note": p.note if members else "",
            }
            for p in row.values
        ],
    }


# Shared (nothing here changes the items): a cache_data hit unpickled every measure and
# value on each run, seconds at 20,000 measures. Few entries: one holds every measure a
# filter selects.
@data.shared(ttl=600, max_entries=8)
def _rows(stamp_: tuple, flt_key: tuple, day: date, members: bool) -> list[dict[str, Any]]:
    with Session(data.engine()) as session:
        rows = queries.measures(session, OutcomeFilter(*flt_key), today=day)
        return [_plain(r, members) for r in rows]


def rows(flt: OutcomeFilter) -> list[dict[str, Any]]:
    # A status save moves no measure, value or state: keyed on the plan and the values
    # (every value recorded or undone moves them), unless outcomes are picked by status.
    stamp = data.stamp()
    key = stamp if flt.statuses or flt.schedules else measures_stamp(stamp)
    return _rows(key, astuple(flt), data.today(), data.members())


def counts_line(items: list[dict[str, Any]]) -> str:
    counts = {s: sum(1 for i in items if i["state"] == s) for s in MeasureState}
    return " · ".join(f"{n} {s.value}" for s, n in counts.items() if n)


def browse(items: list[dict[str, Any]]) -> None:
    """The page's cards: searched, in the chosen order, a page of them at a time,
    grouped by RBA question. Cards past the page are not built at all."""
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    search = left.text_input(
        "Search measures",
        key=SEARCH_KEY,
        placeholder="Name, region or the report's words",
        on_change=_first_page,
    )
    order = right.segmented_control(
        "Order",
        list(ORDERS),
        default=ATTENTION_FIRST,
        required=True,
        key=ORDER_KEY,
        on_change=_first_page,
    )
    chosen = ordered(searched(items, search), order)
    if not chosen:
        components.empty_state(
            "No measure matches this search.", hint="Search fewer words, or clear the search."
        )
        return
    start = pager(len(chosen)) * PAGE_SIZE
    shown = chosen[start : start + PAGE_SIZE]
    st.caption(
        f"Showing {start + 1:,}–{start + len(shown):,} of {len(chosen):,} measures; "
        "narrow with the filters or the search."
    )
    groups(shown)


def searched(items: list[dict[str, Any]], search: str) -> list[dict[str, Any]]:
    """The measures whose name, region, id or report wording holds every word."""
    words = search.casefold().split()
    if not words:
        return items
    fields = ("name", "region_name", "id", "as_written")
    haystacks = [" ".join(str(i[f]) for f in fields).casefold() for i in items]
    return [i for i, h in zip(items, haystacks, strict=True) if all(w in h for w in words)]


def ordered(items: list[dict[str, Any]], order: str | None) -> list[dict[str, Any]]:
    """`items` (in the plan's order) sorted stably by the chosen order."""
    if order == BY_NAME:
        return sorted(items, key=lambda i: i["name"].casefold())
    return sorted(items, key=lambda i: ATTENTION[MeasureState(i["state"])])


def pager(total: int) -> int:
    """The page chosen (0-based), from the widget or `?mpage=`; "Page 1 of 80"."""
    pages = max(1, -(-total // PAGE_SIZE))
    if pages == 1:
        return 0
    if PAGE_KEY not in st.session_state:
        wanted = st.query_params.get(PAGE_PARAM, "1")
        st.session_state[PAGE_KEY] = int(wanted) if wanted.isdigit() else 1
    # the filters or the search may have left fewer pages than the one kept
    st.session_state[PAGE_KEY] = min(max(1, int(st.session_state[PAGE_KEY])), pages)
    page = st.number_input(
        f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key=PAGE_KEY, width=160
    )
    if page > 1:
        st.query_params[PAGE_PARAM] = str(page)
    elif PAGE_PARAM in st.query_params:
        del st.query_params[PAGE_PARAM]
    return int(page) - 1


def _first_page() -> None:
    st.session_state[PAGE_KEY] = 1


def groups(items: list[dict[str, Any]]) -> None:
    for category, question in QUESTIONS.items():
        chosen = [i for i in items if i["rba"] == category]
        if not chosen:
            continue
        st.subheader(question)
        for item in chosen:
            card(item)


def card(
    item: dict[str, Any], *, key: str = "", chart: bool = True, lazy_form: bool = True
) -> None:
    """A measure: its state, target, latest value, its chart (unless `chart` is
    False) and, for whoever may record its values, the Record form (drawn when its
    expander is opened, unless `lazy_form` is False). `key` sets its widgets apart
    from the same measure's card elsewhere on the page (a dialog)."""
    with st.container(border=True):
        state = MeasureState(item["state"])
        st.markdown(f"**{md(item['name'])}** · {md(item['region_name'])}")
        st.markdown(f"{STATE_ICONS[state]} **{state.value.capitalize()}** · {latest_words(item)}")
        due = f" by {item['by']:%B %-d, %Y}" if item["by"] else ""
        target = item["target"].describe(item["unit"])
        st.caption(md(f"Target: {target}{due}. The report: “{item['as_written']}”"))
        if item["note"]:
            st.caption(md(item["note"]))
        if chart:
            drawn = measure_chart(
                item["values"],
                target=item["target"],
                unit=item["unit"],
                baseline=item["baseline"],
                by=item["by"],
            )
            components.chart(drawn, key=f"{key}as_table_{item['id']}", width="stretch")
        me = auth.actor()
        if may_record(me, item):
            record_form(item, me, key=key, lazy=lazy_form)


def latest_words(item: dict[str, Any]) -> str:
    """The latest value in words: "latest 4 stakeholders, as of November 30, 2026"."""
    if not item["values"]:
        return "no value recorded yet"
    latest = item["values"][-1]
    unit = f" {item['unit']}" if item["unit"] else ""
    return md(f"latest {latest['value']:g}{unit}, as of {latest['as_of']:%B %-d, %Y}")


def may_record(me: permissions.Actor, item: dict[str, Any]) -> bool:
    return permissions.can_update_outcome(
        me, region_id=item["region_id"], strategy_id=item["strategy_id"]
    )


def record_form(
    item: dict[str, Any], me: permissions.Actor, *, key: str = "", lazy: bool = True
) -> None:
    whole = item["kind"] in (MeasureKind.COUNT, MeasureKind.YES_NO)
    label, icon = "Record a value", ":material/add_chart:"
    if lazy:
        box = components.lazy_expander(label, key=f"{key}measure_record_{item['id']}", icon=icon)
    else:
        box = st.expander(label, icon=icon)
    if box is None:
        return
    with box:
        with st.form(f"{key}measure_{item['id']}", border=False):
            value = st.number_input(
                f"Value ({item['unit']})" if item["unit"] else "Value",
                min_value=0.0,
                step=1.0 if whole else 0.1,
                format="%.0f" if whole else "%.2f",
            )
            as_of = st.date_input("As of", value=data.today(), max_value=data.today())
            note = st.text_input("Note (optional)", max_chars=values.NOTE_MAX)
            evidence = st.text_input("Evidence link (optional)")
            if st.form_submit_button("Record", type="primary"):
                _record(item, me, value, as_of, note, evidence)
        if item["values"]:
            latest = item["values"][-1]
            label = f"Undo the latest value ({latest['value']:g} as of {latest['as_of']:%Y-%m-%d})"
            if st.button(label, key=f"{key}measure_undo_{item['id']}"):
                _undo(me, latest["id"])


def _record(item, me, value, as_of, note, evidence) -> None:
    # the actor read again: a scope may have changed since the page was drawn
    result = actions.run(
        lambda session: values.record_value(
            session=session,
            actor=auth.actor(fresh=True),
            measure_id=item["id"],
            value=value,
            as_of=as_of,
            today=data.today(),
            note=note,
            evidence_url=evidence,
        )
    )
    _done(result, "Value recorded.")


def _undo(me, value_id: int) -> None:
    result = actions.run(
        lambda session: values.undo_value(
            session=session, actor=auth.actor(fresh=True), value_id=value_id
        )
    )
    _done(result, "Value undone.")


def _done(result: actions.Result, success: str) -> None:
    if result.ok:
        st.toast(success, icon=":material/check_circle:")
        st.rerun()
    else:
        assert result.error is not None
        actions.show(result.error)
