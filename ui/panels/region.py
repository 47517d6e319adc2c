"""The Regions page's panels: the region picker, its profile from the needs assessment,
its headline figures, and its logic model(s) laid out as in the report (a strategy per
row: resources, tasks, short-, medium- and long-term outcomes, ultimate outcome), each
outcome with its status update controls."""

from __future__ import annotations

from contextlib import nullcontext

import pandas as pd
import streamlit as st

from core.models import Term
from core.progress.filters import OutcomeFilter
from ui import components, data, filters, updates
from ui.panels import outcome_measures
from ui.text import md

TERMS = [(Term.SHORT, "Short term"), (Term.MEDIUM, "Medium term"), (Term.LONG, "Long term")]


PICK = "region_page_pick"


def pick_region(regions: dict[str, dict]) -> str:
    """The region to show: the sidebar's region filter's (its first when several), so
    it is `?region=` in the link; picking one writes the filter, and so the link."""
    st.session_state[PICK] = filters.first_region(regions)
    return st.selectbox(
        "Region",
        list(regions),
        format_func=lambda r: regions[r]["name"],
        key=PICK,
        on_change=lambda: filters.choose_region(st.session_state[PICK]),
        help="The sidebar's region filter (its first region when several), kept in the "
        "link: picking a region here sets that filter.",
    )


def profile(region: dict) -> None:
    """Survivors served, trafficking mix and top needs, from the needs assessment."""
    with st.container(border=True):
        c1, c2, c3 = st.columns([1, 1, 2])
        served = region["survivors_served"]
        c1.metric(
            "Survivors served",
            "not reported" if served is None else f"{served:,}",
            help="Survivors identified by responding providers in the 2019 needs assessment (previous 12 months).",
        )
        c2.markdown(
            "**Trafficking mix**\n\n" + (region["trafficking_mix_as_written"] or "not reported")
        )
        tops = region["top_needs"]
        c3.markdown(
            "**Top identified needs, in order**\n\n"
            + (
                "\n".join(f"{i}. {t['as_written']}" for i, t in enumerate(tops, 1))
                or "not reported"
            )
        )
        if region["summary"]:
            st.caption(region["summary"])


def headline(flt: OutcomeFilter) -> None:
    comp = data.overall(flt)
    counts = data.schedule_counts(flt, filters.soon_days())
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(
        "Completion",
        components.rate_text(comp["rate"]),
        help=f"{comp['done']} done ÷ {comp['active']} active outcomes (dropped left out).",
    )
    m2.metric("Overdue", counts["overdue"], help="Past due and neither done nor dropped.")
    m3.metric(f"Due in {filters.soon_days()} days", counts["due_soon"])
    m4.metric("Blocked", counts["blocked"])
    outcome_measures.for_region(flt)


def logic_models(region_id: str, df: pd.DataFrame) -> None:
    """Each logic model of the region, with the strategies that have outcomes in `df`."""
    ref, flags = data.reference(), data.flags()
    needs = {n["id"]: n["label"] for n in ref["needs"]}
    # The outcomes of each (strategy, term) cell, split once (not one filter per cell).
    cells: dict[tuple[str, str], list[dict]] = {}
    for row in components.records(df):
        cells.setdefault((row["strategy_id"], row["term"]), []).append(row)
    shown = []  # each logic model of the region with its strategies that have outcomes
    for model in [m for m in ref["logic_models"] if m["region_id"] == region_id]:
        rows = [
            s
            for s in data.strategies(model["id"])
            if any((s["id"], term.value) in cells for term, _ in TERMS)
        ]
        if rows:
            shown.append((model, rows))
    # Several models (the State's Housing and Mental Health/Substance Use): a tab each,
    # as the report gives each its own table. Only the open one is drawn (opening
    # another reruns the page): the State's page draws half as much. A tab is labelled
    # with its title alone, so the open one stays open when filters or statuses change.
    if len(shown) > 1:
        tabs = st.tabs(
            [md(model["title"]) for model, _ in shown],
            key=f"region_models_{region_id}",
            on_change="rerun",
        )
        drawn: list = [(tab, entry) for tab, entry in zip(tabs, shown, strict=True) if tab.open]
    else:
        drawn = [(nullcontext(), entry) for entry in shown]
    for place, (model, strategies) in drawn:
        with place:
            _model_header(model, ref["plan"].get("baseline_start"), flags)
            for strategy in strategies:
                _strategy_row(strategy, cells, needs, flags)


def _model_header(model: dict, report_start, flags: dict) -> None:
    st.header(md(model["title"]), divider="gray")
    moved = (
        f" (re-baselined; the report's timeline starts {report_start:%B %Y})"
        if report_start and model["start_date"] != report_start
        else ""
    )
    label = f"“{md(model['report_region_label'])}” · " if model["report_region_label"] else ""
    st.caption(f"Logic model {label}starts {model['start_date']:%B %-d, %Y}{moved}")
    for flag_code, reason in flags.get(("logic_model", model["id"]), []):
        st.warning(
            md(f"Report flag ({flag_code.replace('_', ' ')}): {reason}"), icon=":material/flag:"
        )


def _strategy_row(
    strategy: dict,
    cells: dict[tuple[str, str], list[dict]],
    needs: dict[str, str],
    flags: dict[tuple[str, str], list[tuple[str, str]]],
) -> None:
    with st.container(border=True):
        # The logic model's row read left to right as in the report: resources and
        # tasks, the three terms side by side, then the ultimate outcome. Resources and
        # tasks share the heading's element (in six columns, they broke words).
        st.markdown(_strategy_markdown(strategy, needs, flags) + "\n\n" + _means(strategy))
        for col, (term, label) in zip(st.columns(3), TERMS, strict=True):
            col.markdown(f"**{label}**")
            for row in cells.get((strategy["id"], term.value), []):
                # One box, its words across it and its buttons wrapped below them in a
                # row (a box, then a row inside it, were two elements an outcome).
                with col.container(border=True, horizontal=True, wrap=True, gap="small"):
                    st.markdown(_outcome_markdown(row), width="stretch")
                    updates.done_button(row, key=row["outcome_id"])
                    updates.form_button(row, key=row["outcome_id"])
        st.markdown("**Ultimate outcome:** " + _one_line(md(strategy["ultimate_outcome"] or "—")))


def _strategy_markdown(
    strategy: dict, needs: dict[str, str], flags: dict[tuple[str, str], list[tuple[str, str]]]
) -> str:
    """A strategy's title (a heading), its need and its report flags (a caption's
    look), as one element: a region draws a dozen strategies, and each element costs
    every run. Each on one line: a line break would end the heading or a directive."""
    need = md(f"Need: {needs.get(strategy['need_id'], strategy['need_id'])}")
    lines = [f":small[:gray[{_one_line(need)}]]"]
    for flag_code, reason in flags.get(("strategy", strategy["id"]), []):
        reason = md(f"Report flag ({flag_code.replace('_', ' ')}): {reason}")
        lines.append(f":small[:gray[:material/flag: {_one_line(reason)}]]")
    return f"### {_one_line(md(strategy['title']))}\n\n" + "  \n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _outcome_markdown(row: dict) -> str:
    """An outcome's words, dates (small, grey: a caption's look) and badges, as one
    element: a region shows dozens of outcomes, and each element is a cost on every run
    and in the browser."""
    number = f"{row['number']}. " if row["number"] else ""
    words = md(number + row["text"])
    # On one line: a line break inside the directive would end it (shown as text).
    dates = _one_line(components.outcome_caption(row))
    return f"{words}  \n:small[:gray[{dates}]]  \n{components.badges_markdown(row)}"


def _means(strategy: dict) -> str:
    """The strategy's resources on one line, and its tasks (a list when several)."""
    resources = " · ".join(_one_line(md(r)) for r in strategy["resources"]) or "—"
    tasks = [_one_line(md(t)) for t in strategy["tasks"]]
    if len(tasks) <= 1:
        return f"**Resources:** {resources}  \n**Tasks:** {tasks[0] if tasks else '—'}"
    listed = "\n".join(f"- {t}" for t in tasks)
    return f"**Resources:** {resources}\n\n**Tasks:**\n\n{listed}"
