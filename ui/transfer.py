"""Downloads and uploads: the current view as CSV, Excel or a calendar (.ics), and the
admins' import of a logic model from a file. core.exports builds the files and
core.imports checks and applies them; this module only puts them behind widgets."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from core.io import exports, imports
from core.models import User
from core.people.permissions import Actor, actor_for
from core.plan.fields import REASON_MAX
from core.plan.ids import slug
from core.progress import queries
from core.progress.filters import OutcomeFilter
from core.store.db import DatabaseUnavailable
from ui import data
from ui.text import md

MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ics": "text/calendar",
}


def _build(engine: Engine, flt: OutcomeFilter, fmt: str, name: str, members: bool = False) -> bytes:
    with Session(engine) as session:
        rows = queries.export_rows(session, flt, members=members)
    if fmt == "csv":
        return exports.to_csv(rows)
    if fmt == "xlsx":
        return exports.to_xlsx(rows, sheet_name=name)
    return exports.to_ics(rows, calendar_name=exports.calendar_name(name))


def _later(flt: OutcomeFilter, fmt: str, name: str) -> Callable[[], bytes]:
    """The file, built only when the button is clicked (Streamlit runs it on another
    thread, so it gets the engine and who is reading now rather than then)."""
    engine, members = data.engine(), data.members()
    return lambda: _build(engine, flt, fmt, name, members)


def _file_name(name: str, suffix: str) -> str:
    return f"mo-plan-{slug(name, 60)}-{data.today():%Y-%m-%d}.{suffix}"


def _names() -> tuple[dict[str, str], dict[str, str]]:
    ref = data.reference()
    return (
        {r["id"]: r["name"] for r in ref["regions"]},
        {n["id"]: n["label"] for n in ref["needs"]},
    )


def _download(label: str, flt: OutcomeFilter, fmt: str, name: str, *, key: str, **kw) -> None:
    st.download_button(
        label,
        data=_later(flt, fmt, name),
        file_name=_file_name(name, fmt),
        mime=MIME[fmt],
        on_click="ignore",
        icon=":material/download:",
        key=key,
        **kw,
    )


def export_buttons(flt: OutcomeFilter, count: int | None = None, *, key: str = "export") -> None:
    """Download the view `flt` selects as CSV or Excel, and its due dates as a calendar
    (.ics) of one region or one need. `count` is how many outcomes the view holds (all
    of them, not only the rows a table shows): it labels the menu, and an empty view
    offers nothing."""
    if count == 0:
        return
    regions, needs = _names()
    name = exports.view_name(
        [regions.get(r, r) for r in flt.regions] + [needs.get(n, n) for n in flt.needs]
    )
    count_text = f"{count:,} outcomes" if count is not None else "The outcomes shown"
    with st.popover("Download", icon=":material/download:"):
        st.caption(
            f"{count_text}, as filtered, with every column needed to import them back. "
            "Cells that a spreadsheet would read as a formula start with an apostrophe."
        )
        _download("CSV", flt, "csv", name, key=f"{key}_csv")
        _download("Excel", flt, "xlsx", name, key=f"{key}_xlsx")
        calendar = flt if len(flt.regions) == 1 or len(flt.needs) == 1 else None
        cal_name = name
        if calendar is None:
            choices = {f"region:{k}": f"Region: {v}" for k, v in regions.items()}
            choices |= {f"need:{k}": f"Need: {v}" for k, v in needs.items()}
            pick = st.selectbox(
                "Calendar of due dates for",
                list(choices),
                format_func=choices.__getitem__,
                index=None,
                placeholder="Choose a region or need",
                key=f"{key}_calendar_for",
            )
            if pick is not None:
                kind, value = pick.split(":", 1)
                if kind == "region":
                    calendar, cal_name = dataclasses.replace(flt, regions=(value,)), regions[value]
                else:
                    calendar, cal_name = dataclasses.replace(flt, needs=(value,)), needs[value]
        if calendar is not None:
            _download(
                "Calendar (.ics)",
                calendar,
                "ics",
                cal_name,
                key=f"{key}_ics",
                help="One all-day event per open outcome on its due date (Done and Dropped "
                "are left out). Import it into Outlook, Google or Apple Calendar; a newer "
                "file updates the same events.",
            )


# ---- import -------------------------------------------------------------------------


@st.cache_data(max_entries=8, show_spinner="Checking the file…")
def _check(stamp_: tuple, content: bytes, name: str, _actor: Actor) -> imports.ImportReport:
    """The dry run of an upload, per data stamp (so it is redone after any change)."""
    return imports.import_file(data.engine(), content, filename=name, actor=_actor, dry_run=True)


def _fresh(actor: Actor) -> Actor:
    """The actor read again at save time (a role may have changed since the page ran)."""
    if actor.user_id is None:
        return actor
    with Session(data.engine()) as session:
        return actor_for(session, session.get(User, actor.user_id))


def _apply(actor: Actor, content: bytes, name: str, key: str, n: int) -> None:
    retire = bool(st.session_state.get(f"{key}_retire_{n}"))
    confirmed = bool(st.session_state.get(f"{key}_duplicates_{n}"))
    reason = (st.session_state.get(f"{key}_reason_{n}") or "").strip() or None
    try:
        report = imports.import_file(
            data.engine(),
            content,
            filename=name,
            actor=_fresh(actor),
            reason=reason,
            retire_missing=retire,
            confirm_duplicates=confirmed,
        )
    except DatabaseUnavailable as exc:
        st.session_state[f"{key}_result"] = ("error", [str(exc), "Nothing was imported."])
        return
    if report.errors:
        st.session_state[f"{key}_result"] = ("error", report.lines())
        return
    st.session_state[f"{key}_result"] = ("success", report.lines())
    st.session_state[f"{key}_n"] = n + 1  # a fresh, empty uploader
    data.refresh()


def _show_result(key: str) -> None:
    if result := st.session_state.pop(f"{key}_result", None):
        kind, lines = result
        show = st.success if kind == "success" else st.error
        show("\n\n".join(lines), icon=":material/check_circle:" if kind == "success" else None)


def _templates(key: str) -> None:
    with st.expander("Templates", icon=":material/description:"):
        st.caption(
            "A blank template (one example row to replace; the Excel one explains every "
            "column on its second sheet), or a logic model of the plan to edit and import back."
        )
        left, right = st.columns(2)
        left.download_button(
            "Blank template (Excel)",
            data=exports.template_xlsx,
            file_name="logic-model-template.xlsx",
            mime=MIME["xlsx"],
            on_click="ignore",
            key=f"{key}_template_xlsx",
        )
        right.download_button(
            "Blank template (CSV)",
            data=exports.template_csv,
            file_name="logic-model-template.csv",
            mime=MIME["csv"],
            on_click="ignore",
            key=f"{key}_template_csv",
        )
        regions, _ = _names()
        models = {
            m["id"]: f"{regions.get(m['region_id'], m['region_id'])}: {m['title']}"
            for m in data.reference()["logic_models"]
        }
        pick = st.selectbox(
            "A logic model of the plan",
            list(models),
            format_func=models.__getitem__,
            index=None,
            placeholder="Choose one to download",
            key=f"{key}_template_model",
        )
        if pick is not None:
            flt = OutcomeFilter(logic_models=(pick,))
            left, right = st.columns(2)
            with left:
                _download("Excel", flt, "xlsx", pick, key=f"{key}_model_xlsx")
            with right:
                _download("CSV", flt, "csv", pick, key=f"{key}_model_csv")


def _errors_frame(errors: list[imports.RowError]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Row": [str(e.row) if e.row is not None else "whole file" for e in errors],
            "Column": [e.column or "" for e in errors],
            "Value": [e.value for e in errors],
            "Problem": [e.reason for e in errors],
        }
    )


def _counts_frame(counts: dict) -> pd.DataFrame:
    kinds = {"logic_model": "Logic model", "strategy": "Strategies", "outcome": "Outcomes"}
    return pd.DataFrame(
        [
            {
                "": label,
                "New": counts[kind]["new"],
                "Changed": counts[kind]["changed"],
                "Unchanged": counts[kind]["unchanged"],
            }
            for kind, label in kinds.items()
        ]
    )


def _confirm_duplicates(plan: imports.ImportPlan, key: str, n: int) -> bool:
    """List the new outcomes that repeat an existing one and ask before adding them;
    whether the import may go ahead (True when there are none)."""
    found = plan.likely_duplicates
    if not found:
        return True
    st.warning(
        f"{len(found)} new outcome{'s repeat' if len(found) != 1 else ' repeats'} an "
        "existing one (same strategy, term, number and text): most likely a mistyped "
        "outcome_id. Correct the id in the file to update the existing outcome instead.",
        icon=":material/content_copy:",
    )
    st.dataframe(
        pd.DataFrame(
            {
                "Row": [d.row for d in found],
                "New outcome": [d.new_id for d in found],
                "Repeats outcome": [d.existing_id for d in found],
                "Text": [d.text for d in found],
            }
        ),
        hide_index=True,
    )
    return st.checkbox(
        f"Add {'these' if len(found) != 1 else 'this'} {len(found)} likely "
        f"duplicate{'s' if len(found) != 1 else ''} anyway",
        key=f"{key}_duplicates_{n}",
    )


def import_panel(actor: Actor, *, key: str = "import") -> None:
    """Import one logic model from a .csv or .xlsx file (admins only): templates, the
    upload, every bad row of the file, what importing it would change, and the Import
    button. Self-contained: a page only passes the signed-in actor."""
    if not actor.is_admin:
        st.info("Only admins can import a logic model.", icon=":material/lock:")
        return
    st.caption(
        "One file holds one logic model, with the export's columns. The whole file is "
        "checked first and nothing is imported unless every row passes; importing the "
        "same file again changes nothing. Statuses are not imported: they change only "
        "through status updates."
    )
    _templates(key)
    _show_result(key)
    n = st.session_state.get(f"{key}_n", 0)
    upload = st.file_uploader(
        "Logic model file (.csv or .xlsx)", type=["csv", "xlsx"], key=f"{key}_file_{n}"
    )
    if upload is None:
        return
    content, name = upload.getvalue(), upload.name
    try:
        report = _check(data.stamp(), content, name, actor)
    except DatabaseUnavailable as exc:
        st.error(str(exc), icon=":material/database:")
        return
    if report.errors:
        st.error(report.lines()[0] + " Fix these and upload the file again.")
        st.dataframe(_errors_frame(report.errors), hide_index=True, width="stretch")
        return
    plan = report.plan
    assert plan is not None and report.counts is not None
    st.markdown(f"**What importing {md(name)} would do**")
    st.dataframe(_counts_frame(report.counts), hide_index=True)
    for line in report.lines()[1:]:
        st.caption(line)
    retire = False
    if missing := plan.missing_outcomes:
        with st.expander(f"{len(missing)} outcomes in the database are not in the file"):
            st.dataframe(
                pd.DataFrame(
                    {
                        "Outcome": [m.outcome_id for m in missing],
                        "Text": [m.text for m in missing],
                    }
                ),
                hide_index=True,
            )
        retire = st.checkbox(
            f"Retire these {len(missing)} outcomes (hidden, kept with their history)",
            key=f"{key}_retire_{n}",
        )
    st.text_input(
        "Reason, for the plan's history",
        value=f"Imported from {name}"[:REASON_MAX],
        max_chars=REASON_MAX,
        key=f"{key}_reason_{n}",
    )
    confirmed = _confirm_duplicates(plan, key, n)
    nothing = not plan.changes_anything and not retire
    st.button(
        "Import" if not nothing else "Nothing to import: the plan already matches the file",
        type="primary",
        icon=":material/upload:",
        disabled=nothing or not confirmed,
        help=None if confirmed else "Confirm the likely duplicates above first.",
        on_click=_apply,
        args=(actor, content, name, key, n),
        key=f"{key}_go_{n}",
    )
