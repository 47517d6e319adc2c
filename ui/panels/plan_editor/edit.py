"""The plan editor's "Edit" tab: change a logic model's, a strategy's or an outcome's
wording and placement (not its due date: that is a re-date), saved against the values
the form was drawn with."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.models import Term
from core.plan import changelog, editing
from ui.panels.plan_editor.common import (
    KIND_NAMES,
    act,
    need_labels,
    nothing_changed,
    pick_item,
    reason_input,
    region_names,
    seen,
)


def edit_tab() -> None:
    kind, item = pick_item("What to edit", "ed")
    if not item:
        return
    names = changelog.EDITABLE[kind]
    seen_key = f"ed_seen_{kind}_{item['id']}"
    expected = seen(seen_key, {f: item[f] for f in names})
    st.caption(f"Id: `{item['id']}` (stable; used by imports and links)")
    with st.form(f"ed_form_{kind}_{item['id']}"):
        if kind == "logic_model":
            changes = _logic_model_fields(item)
        elif kind == "strategy":
            changes = _strategy_fields(item)
        else:
            changes = _outcome_fields(item)
        reason = reason_input(f"ed_reason_{kind}_{item['id']}")
        if st.form_submit_button("Save changes", type="primary"):
            act(
                lambda s, actor: (
                    editing.edit_item(
                        session=s,
                        actor=actor,
                        kind=kind,
                        item_id=item["id"],
                        changes=changes,
                        reason=reason,
                        expected=expected,
                    )
                    or nothing_changed()
                ),
                f"Saved the {KIND_NAMES[kind].lower()}.",
                forget=(seen_key,),
            )


def _logic_model_fields(item: dict) -> dict[str, Any]:
    regions = region_names()
    return {
        "title": st.text_input("Title", item["title"]),
        "region_id": st.selectbox(
            "Region",
            list(regions),
            index=list(regions).index(item["region_id"]),
            format_func=regions.__getitem__,
        ),
    }


def _strategy_fields(item: dict) -> dict[str, Any]:
    needs = need_labels()
    return {
        "title": st.text_input("Title (what the app calls it)", item["title"]),
        "label": st.text_input("Label as written", item["label"] or ""),
        "need_id": st.selectbox(
            "Need",
            list(needs),
            index=list(needs).index(item["need_id"]),
            format_func=needs.__getitem__,
        ),
        "resources": st.text_area("Resources (one per line)", "\n".join(item["resources"])),
        "tasks": st.text_area("Tasks (one per line)", "\n".join(item["tasks"])),
        "ultimate_outcome": st.text_area("Ultimate outcome", item["ultimate_outcome"]),
    }


def _outcome_fields(item: dict) -> dict[str, Any]:
    terms = [t.value for t in Term]
    changes = {
        "text": st.text_area("Outcome", item["text"]),
        "term": st.selectbox(
            "Term", terms, index=terms.index(item["term"]), format_func=str.capitalize
        ),
        "number": st.text_input("Number", item["number"] or ""),
        "date_as_written": st.text_input("Date as written", item["date_as_written"] or ""),
    }
    st.caption("To move the due date, use “Re-date an outcome”.")
    return changes
