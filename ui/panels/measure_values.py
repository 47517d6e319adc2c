"""The Measures page's files: Download values (CSV or Excel) of the measures shown,
and, for leads and admins, Upload values: the file checked as a whole, every
problem listed with its row and column, a preview of what it records, and an Apply
button. core/io/measure_values.py builds and checks the files; ui/transfer.py does
the same for the plan import."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.io import measure_values
from core.io.imports import RowError
from core.people.permissions import Actor
from core.progress.filters import OutcomeFilter
from core.store.db import DatabaseUnavailable
from ui import actions, auth, data
from ui.text import md

MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
KEY = "measure_values"


def _later(flt: OutcomeFilter, fmt: str) -> Callable[[], bytes]:
    """The file, built only when the button is clicked, for who is reading now."""
    engine, members, today = data.engine(), data.members(), data.today()

    def build() -> bytes:
        with Session(engine) as session:
            rows = measure_values.export_rows(session, flt, today=today, members=members)
        return measure_values.to_csv(rows) if fmt == "csv" else measure_values.to_xlsx(rows)

    return build


def transfer(flt: OutcomeFilter) -> None:
    """Download values, and Upload values for leads and admins."""
    me = auth.actor()
    with st.popover("Download values", icon=":material/download:"):
        st.caption(
            "Every recorded value of the measures shown (undone ones left out), with "
            "the columns needed to upload new values."
            + ("" if data.members() else " Notes, evidence and names are for members.")
        )
        for fmt, label in (("csv", "CSV"), ("xlsx", "Excel")):
            st.download_button(
                label,
                data=_later(flt, fmt),
                file_name=f"measure-values-{data.today():%Y-%m-%d}.{fmt}",
                mime=MIME[fmt],
                on_click="ignore",
                icon=":material/download:",
                key=f"{KEY}_{fmt}",
            )
    if me.is_lead or me.is_admin:
        expanded = f"{KEY}_result" in st.session_state
        with st.expander("Upload values", icon=":material/upload:", expanded=expanded):
            upload(me)


@st.cache_data(max_entries=8, show_spinner="Checking the file…")
def _check(stamp_: tuple, content: bytes, name: str, actor: Actor) -> measure_values.ValuesReport:
    """The dry run of an upload, redone after any change and for each reader."""
    return measure_values.import_values(
        data.engine(), content, actor=actor, today=data.today(), filename=name, dry_run=True
    )


def _apply(content: bytes, name: str, n: int) -> None:
    """The Apply button's callback: it only records the result (callbacks do not draw)."""
    result = actions.run(
        lambda session: measure_values.apply_file(
            session, content, actor=auth.actor(fresh=True), today=data.today(), filename=name
        )
    )
    if result.error is not None:
        error = result.error
        lines = (
            error.report.lines()
            if isinstance(error, measure_values.ValuesRejected)
            else [actions.for_reader(error), "Nothing was imported."]
        )
        st.session_state[f"{KEY}_result"] = ("error", lines)
        return
    assert result.value is not None
    st.session_state[f"{KEY}_result"] = ("success", result.value.lines())
    st.session_state[f"{KEY}_n"] = n + 1  # a fresh, empty uploader


def _errors_frame(errors: list[RowError]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Row": [str(e.row) if e.row is not None else "whole file" for e in errors],
            "Column": [e.column or "" for e in errors],
            "Value": [e.value for e in errors],
            "Problem": [e.reason for e in errors],
        }
    )


def _preview(report: measure_values.ValuesReport) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Row": [p.row for p in report.planned],
            "Measure": [p.measure for p in report.planned],
            "Value": [p.value for p in report.planned],
            "As of": [p.as_of for p in report.planned],
            "Note": [p.note for p in report.planned],
        }
    )


def _show_result() -> None:
    if result := st.session_state.pop(f"{KEY}_result", None):
        kind, lines = result
        text = "\n\n".join(md(line) for line in lines)
        if kind == "success":
            st.success(text, icon=":material/check_circle:")
        else:
            st.error(text)


def upload(me: Actor) -> None:
    """The upload, its problems or its preview, and the Apply button."""
    st.caption(
        "A .csv or .xlsx file with the download's columns (measure_id, value, as_of; "
        "note and evidence_url optional). The whole file is checked first and nothing "
        "is recorded unless every row passes; values already recorded are skipped."
    )
    _show_result()
    n = st.session_state.get(f"{KEY}_n", 0)
    upload = st.file_uploader("Values file", type=["csv", "xlsx"], key=f"{KEY}_file_{n}")
    if upload is None:
        return
    content, name = upload.getvalue(), upload.name
    try:
        report = _check(data.stamp(), content, name, me)
    except DatabaseUnavailable as exc:
        st.error(actions.for_reader(exc), icon=":material/database:")
        return
    if report.errors:
        st.error(md(report.lines()[0]) + " Fix these and upload the file again.")
        st.dataframe(_errors_frame(report.errors), hide_index=True, width="stretch")
        return
    st.markdown(f"**What uploading {md(name)} would record**")
    if report.planned:
        st.dataframe(_preview(report), hide_index=True, width="stretch")
    for line in report.lines()[1:]:
        st.caption(md(line))
    st.button(
        "Apply" if report.planned else "Nothing to record: every value is already recorded",
        type="primary",
        icon=":material/upload:",
        disabled=not report.planned,
        on_click=_apply,
        args=(content, name, n),
        key=f"{KEY}_apply_{n}",
    )
