"""The Measures page's sections: each measure's values against its target and its
computed state, grouped by Results-Based Accountability's three questions; a lead
records a value (or undoes one) for the measures in their scope."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.charts.measures import measure_chart
from core.measures import queries, values
from core.measures.state import MeasureState
from core.models import MeasureKind, RbaCategory
from core.people import permissions
from core.progress.filters import OutcomeFilter
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


@st.cache_data(ttl=600, show_spinner=False, max_entries=64)
def _rows(
    stamp_: tuple, values_stamp_: tuple, flt_key: tuple, day: date, members: bool
) -> list[dict[str, Any]]:
    with Session(data.engine()) as session:
        rows = queries.measures(session, OutcomeFilter(*flt_key), today=day)
        return [_plain(r, members) for r in rows]


def rows(flt: OutcomeFilter) -> list[dict[str, Any]]:
    with Session(data.engine()) as session:
        values_stamp = queries.values_stamp(session)
    return _rows(data.stamp(), values_stamp, astuple(flt), data.today(), data.members())


def counts_line(items: list[dict[str, Any]]) -> str:
    counts = {s: sum(1 for i in items if i["state"] == s) for s in MeasureState}
    return " · ".join(f"{n} {s.value}" for s, n in counts.items() if n)


def groups(items: list[dict[str, Any]]) -> None:
    for category, question in QUESTIONS.items():
        chosen = [i for i in items if i["rba"] == category]
        if not chosen:
            continue
        st.subheader(question)
        for item in chosen:
            card(item)


def card(item: dict[str, Any]) -> None:
    with st.container(border=True):
        state = MeasureState(item["state"])
        st.markdown(f"**{md(item['name'])}** · {md(item['region_name'])}")
        st.markdown(f"{STATE_ICONS[state]} **{state.value.capitalize()}**")
        due = f" by {item['by']:%B %-d, %Y}" if item["by"] else ""
        target = item["target"].describe(item["unit"])
        st.caption(md(f"Target: {target}{due}. The report: “{item['as_written']}”"))
        if item["note"]:
            st.caption(md(item["note"]))
        frame = pd.DataFrame(item["values"], columns=["as_of", "value", "recorded_by"])
        chart = measure_chart(
            frame,
            target=item["target"],
            unit=item["unit"],
            baseline=item["baseline"],
            by=item["by"],
        )
        components.altair_chart(chart, key=f"as_table_{item['id']}", width="stretch")
        me = auth.actor()
        allowed = permissions.can_update_outcome(
            me, region_id=item["region_id"], strategy_id=item["strategy_id"]
        )
        if allowed:
            record_form(item, me)


def record_form(item: dict[str, Any], me: permissions.Actor) -> None:
    whole = item["kind"] in (MeasureKind.COUNT, MeasureKind.YES_NO)
    with st.expander("Record a value", icon=":material/add_chart:"):
        with st.form(f"measure_{item['id']}", border=False):
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
            if st.button(label, key=f"measure_undo_{item['id']}"):
                _undo(me, latest["id"])


def _record(item, me, value, as_of, note, evidence) -> None:
    result = actions.run(
        lambda session: values.record_value(
            session=session,
            actor=me,
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
        lambda session: values.undo_value(session=session, actor=me, value_id=value_id)
    )
    _done(result, "Value undone.")


def _done(result: actions.Result, success: str) -> None:
    if result.ok:
        st.toast(success, icon=":material/check_circle:")
        st.rerun()
    else:
        assert result.error is not None
        actions.show(result.error)
