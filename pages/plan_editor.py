"""Edit the plan (admins only): re-baseline timelines, re-date outcomes, add, edit,
retire and restore plan items, import a logic model, back up, and the change log."""

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.errors import UpdateRejected
from core.models import Term
from core.people import permissions
from core.plan import changelog, dates, editing, fields, redating
from core.store.db import write_session
from ui import auth, backup, data, shell, transfer

shell.page()

me = auth.actor()
st.title("Edit the plan")
try:
    permissions.require_admin(me, "edit the plan")
except permissions.PermissionDenied as exc:
    st.error(str(exc))
    st.stop()

st.caption(
    "The report calls its timelines guidance, to be moved to each community's real start date, "
    "and its logic models living documents. Every change here is kept in the change log: who, "
    "when, what it was before and after, and why. Retired items leave the views and completion "
    "rates but keep their history, and can be restored."
)
FLASH, FLASH_ERROR = "plan_editor_flash", "plan_editor_flash_error"
if flash := st.session_state.pop(FLASH, None):
    st.success(flash, icon=":material/check_circle:")
if flash := st.session_state.pop(FLASH_ERROR, None):
    st.error(flash, icon=":material/error:")

ref = data.reference()
region_names = {r["id"]: r["name"] for r in ref["regions"]}
need_labels = {n["id"]: n["label"] for n in ref["needs"]}
KIND_NAMES = {kind: label.capitalize() for kind, label in changelog.KIND_LABEL.items()}


def act(fn, success: str, *, forget: tuple[str, ...] = ()) -> None:
    """Run a plan change as the current admin (re-read from the database), then rerun
    with a success message; a refusal is shown and the form keeps what was typed."""
    try:
        actor = auth.actor(fresh=True)
        with write_session(data.engine()) as session:
            fn(session, actor)
    except changelog.StalePlanEdit as exc:
        # Show the current values in a fresh form (captured as it renders).
        for key in forget:
            st.session_state.pop(key, None)
        st.session_state[FLASH_ERROR] = str(exc)
        st.rerun()
    except (UpdateRejected, permissions.PermissionDenied) as exc:
        st.error(str(exc), icon=":material/error:")
        return
    for key in forget:
        st.session_state.pop(key, None)
    st.session_state[FLASH] = success
    st.rerun()


def seen(key: str, value):
    """The value as it was when this form was first rendered: a save compares it with
    the database, so an edit made meanwhile by someone else is not overwritten."""
    return st.session_state.setdefault(key, value)


def lm_label(lm: dict) -> str:
    retired = " (retired)" if lm["retired"] else ""
    return f"{region_names.get(lm['region_id'], lm['region_id'])} · {lm['title']}{retired}"


def strategy_label(s: dict) -> str:
    retired = " (retired)" if s["retired"] else ""
    return f"{s['title']} · {need_labels.get(s['need_id'], s['need_id'])}{retired}"


def outcome_label(o: dict) -> str:
    retired = " (retired)" if o["retired"] else ""
    number = o["number"] or "–"
    text = o["text"] if len(o["text"]) <= 90 else o["text"][:89] + "…"
    return f"{o['term'].capitalize()} {number}: {text} · due {o['due_date']:%m/%d/%Y}{retired}"


def pick_logic_model(key: str, *, active_only: bool = False) -> dict | None:
    models = [m for m in data.plan_items("logic_model") if not (active_only and m["retired"])]
    if not models:
        st.info("The plan has no logic models yet.")
        return None
    return st.selectbox("Logic model", models, format_func=lm_label, key=key)


def pick_strategy(lm: dict, key: str) -> dict | None:
    items = data.plan_items("strategy", lm["id"])
    if not items:
        st.info("This logic model has no strategies yet; add one under “Add”.")
        return None
    return st.selectbox("Strategy", items, format_func=strategy_label, key=key)


def pick_outcome(strategy: dict, key: str) -> dict | None:
    items = data.plan_items("outcome", strategy["id"])
    if not items:
        st.info("This strategy has no outcomes yet; add one under “Add”.")
        return None
    return st.selectbox("Outcome", items, format_func=outcome_label, key=key)


def pick_item(question: str, prefix: str) -> tuple[str, dict | None]:
    """Choose a kind, then a logic model, its strategy and its outcome as far as the
    kind needs (widget keys start with `prefix`)."""
    kind = st.radio(
        question,
        list(KIND_NAMES),
        format_func=KIND_NAMES.get,
        horizontal=True,
        key=f"{prefix}_kind",
    )
    item = pick_logic_model(f"{prefix}_lm")
    if item and kind != "logic_model":
        item = pick_strategy(item, f"{prefix}_strategy")
        if item and kind == "outcome":
            item = pick_outcome(item, f"{prefix}_outcome")
    return kind, item


def nothing_changed():
    raise UpdateRejected("Nothing was changed: the form matches what is saved.")


def reason_input(key: str) -> str:
    return st.text_area(
        "Reason (required)",
        key=key,
        max_chars=fields.REASON_MAX,
        placeholder="e.g. The Southwest workgroup formed in March 2025",
        help="Goes into the change log with your name and the time.",
    )


tabs = st.tabs(
    [
        "Re-baseline",
        "Re-date an outcome",
        "Edit",
        "Add",
        "Retire or restore",
        "Import",
        "Change log",
        "Backup",
    ]
)

# ---- re-baseline -------------------------------------------------------------------
with tabs[0]:
    st.markdown(
        "Move a logic model (or every logic model of a region) to the community's real start "
        "date. Every due date moves by the same calendar offset, so the report's spacing between "
        "milestones is kept; a month-end date (“by 6/2020”) stays a month-end date. The report's "
        "own dates stay as the baseline, shown as ticks on the Timeline."
    )
    scope = st.radio(
        "Re-baseline", ["One logic model", "A whole region"], horizontal=True, key="rb_scope"
    )
    lm = region_id = None
    if scope == "One logic model":
        lm = pick_logic_model("rb_lm", active_only=True)
        current_start = lm["start_date"] if lm else None
    else:
        region_id = st.selectbox(
            "Region", list(region_names), format_func=region_names.get, key="rb_region"
        )
        starts = {
            m["start_date"]
            for m in data.plan_items("logic_model")
            if m["region_id"] == region_id and not m["retired"]
        }
        current_start = min(starts) if starts else None
    if current_start:
        st.caption(f"Starts now on {current_start:%B %-d, %Y}.")
    new_start = st.date_input(
        "Real start date",
        value=None,
        min_value=fields.EARLIEST,
        max_value=fields.LATEST,
        format="MM/DD/YYYY",
        key="rb_start",
    )
    reason = reason_input("rb_reason")
    if new_start and (lm or region_id):
        try:
            with Session(data.engine()) as session:
                moves = redating.preview_rebaseline(
                    session=session,
                    start_date=new_start,
                    logic_model_id=lm["id"] if lm else None,
                    region_id=region_id,
                )
        except UpdateRejected as exc:
            st.error(str(exc), icon=":material/error:")
            moves = []
        if moves:
            offset = dates.start_offset(current_start, new_start) if current_start else None
            st.markdown(
                f"**Preview:** {len(moves):,} outcomes move"
                + (f" {dates.describe_offset(offset)}" if offset else "")
                + "."
            )
            st.dataframe(
                pd.DataFrame(
                    [{"outcome": m.text, "due now": m.before, "due after": m.after} for m in moves]
                ),
                hide_index=True,
                height=240,
                column_config={
                    "due now": st.column_config.DateColumn(format="MM/DD/YYYY"),
                    "due after": st.column_config.DateColumn(format="MM/DD/YYYY"),
                },
            )
            if st.button("Re-baseline", type="primary", key="rb_go"):
                act(
                    lambda s, actor: redating.rebaseline(
                        session=s,
                        actor=actor,
                        start_date=new_start,
                        reason=reason,
                        logic_model_id=lm["id"] if lm else None,
                        region_id=region_id,
                    ),
                    f"Re-baselined {len(moves):,} outcomes to start on {new_start:%m/%d/%Y}.",
                    forget=("rb_reason", "rb_start"),
                )

# ---- re-date one outcome ----------------------------------------------------------------
with tabs[1]:
    st.markdown("Move one outcome's due date, with a reason. Its slip and re-date count update.")
    lm = pick_logic_model("rd_lm", active_only=True)
    strategy = pick_strategy(lm, "rd_strategy") if lm else None
    outcome = pick_outcome(strategy, "rd_outcome") if strategy else None
    if outcome:
        slip = (outcome["due_date"] - outcome["baseline_due_date"]).days
        st.caption(
            f"Due {outcome['due_date']:%m/%d/%Y} · report's date "
            f"{outcome['baseline_due_date']:%m/%d/%Y} · slip {slip:+,} days · re-dated "
            f"{outcome['redate_count']}×"
        )
        seen_key = f"rd_seen_{outcome['id']}"
        expected = seen(seen_key, outcome["due_date"])
        with st.form(f"rd_form_{outcome['id']}"):
            new_due = st.date_input(
                "New due date",
                value=outcome["due_date"],
                min_value=fields.EARLIEST,
                max_value=fields.LATEST,
                format="MM/DD/YYYY",
            )
            reason = reason_input(f"rd_reason_{outcome['id']}")
            if st.form_submit_button("Re-date", type="primary"):
                act(
                    lambda s, actor: redating.redate_outcome(
                        session=s,
                        actor=actor,
                        outcome_id=outcome["id"],
                        due_date=new_due,
                        reason=reason,
                        expected_due_date=expected,
                    ),
                    f"Now due {new_due:%m/%d/%Y}.",
                    forget=(seen_key,),
                )

# ---- edit -----------------------------------------------------------------------------
with tabs[2]:
    kind, item = pick_item("What to edit", "ed")
    if item:
        names = changelog.EDITABLE[kind]
        seen_key = f"ed_seen_{kind}_{item['id']}"
        expected = seen(seen_key, {f: item[f] for f in names})
        st.caption(f"Id: `{item['id']}` (stable; used by imports and links)")
        with st.form(f"ed_form_{kind}_{item['id']}"):
            changes: dict = {}
            if kind == "logic_model":
                changes["title"] = st.text_input("Title", item["title"])
                changes["region_id"] = st.selectbox(
                    "Region",
                    list(region_names),
                    index=list(region_names).index(item["region_id"]),
                    format_func=region_names.get,
                )
            elif kind == "strategy":
                changes["title"] = st.text_input("Title (what the app calls it)", item["title"])
                changes["label"] = st.text_input("Label as written", item["label"] or "")
                changes["need_id"] = st.selectbox(
                    "Need",
                    list(need_labels),
                    index=list(need_labels).index(item["need_id"]),
                    format_func=need_labels.get,
                )
                changes["resources"] = st.text_area(
                    "Resources (one per line)", "\n".join(item["resources"])
                )
                changes["tasks"] = st.text_area("Tasks (one per line)", "\n".join(item["tasks"]))
                changes["ultimate_outcome"] = st.text_area(
                    "Ultimate outcome", item["ultimate_outcome"]
                )
            else:
                changes["text"] = st.text_area("Outcome", item["text"])
                terms = [t.value for t in Term]
                changes["term"] = st.selectbox(
                    "Term", terms, index=terms.index(item["term"]), format_func=str.capitalize
                )
                changes["number"] = st.text_input("Number", item["number"] or "")
                changes["date_as_written"] = st.text_input(
                    "Date as written", item["date_as_written"] or ""
                )
                st.caption("To move the due date, use “Re-date an outcome”.")
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


# ---- add ------------------------------------------------------------------------------
with tabs[3]:
    what = st.radio(
        "Add",
        ["An outcome", "A strategy", "A logic model"],
        horizontal=True,
        key="add_kind",
    )
    if what == "A logic model":
        with st.form("add_lm", clear_on_submit=False):
            region = st.selectbox("Region", list(region_names), format_func=region_names.get)
            title = st.text_input("Title", placeholder="e.g. Performance Measures: Youth Housing")
            start = st.date_input(
                "Start date",
                value=data.today(),
                min_value=fields.EARLIEST,
                max_value=fields.LATEST,
                format="MM/DD/YYYY",
            )
            reason = reason_input("add_lm_reason")
            if st.form_submit_button("Add logic model", type="primary"):
                act(
                    lambda s, actor: editing.create_logic_model(
                        session=s,
                        actor=actor,
                        region_id=region,
                        title=title,
                        start_date=start,
                        reason=reason,
                    ),
                    f"Added the logic model “{title}”. Add its strategies next.",
                )
    elif what == "A strategy":
        lm = pick_logic_model("add_st_lm", active_only=True)
        if lm:
            with st.form("add_st"):
                need = st.selectbox("Need", list(need_labels), format_func=need_labels.get)
                title = st.text_input("Title")
                label = st.text_input("Label as written (optional)")
                resources = st.text_area("Resources (one per line)")
                tasks = st.text_area("Tasks (one per line)")
                ultimate = st.text_area("Ultimate outcome")
                reason = reason_input("add_st_reason")
                if st.form_submit_button("Add strategy", type="primary"):
                    act(
                        lambda s, actor: editing.create_strategy(
                            session=s,
                            actor=actor,
                            logic_model_id=lm["id"],
                            need_id=need,
                            title=title,
                            label=label,
                            resources=resources,
                            tasks=tasks,
                            ultimate_outcome=ultimate,
                            reason=reason,
                        ),
                        f"Added the strategy “{title}”.",
                    )
    else:
        lm = pick_logic_model("add_oc_lm", active_only=True)
        strategy = pick_strategy(lm, "add_oc_strategy") if lm else None
        if strategy:
            with st.form("add_oc"):
                term = st.selectbox("Term", [t.value for t in Term], format_func=str.capitalize)
                number = st.text_input("Number (optional)")
                text = st.text_area("Outcome")
                due = st.date_input(
                    "Due date",
                    value=None,
                    min_value=fields.EARLIEST,
                    max_value=fields.LATEST,
                    format="MM/DD/YYYY",
                )
                reason = reason_input("add_oc_reason")
                if st.form_submit_button("Add outcome", type="primary"):
                    if due is None:
                        st.error("Choose a due date.", icon=":material/error:")
                    else:
                        act(
                            lambda s, actor: editing.create_outcome(
                                session=s,
                                actor=actor,
                                strategy_id=strategy["id"],
                                term=term,
                                number=number,
                                text=text,
                                due_date=due,
                                reason=reason,
                            ),
                            "Added the outcome.",
                        )

# ---- retire or restore -------------------------------------------------------------------
with tabs[4]:
    st.markdown(
        "Retiring hides an item (and everything under it) from the views and completion rates. "
        "Nothing is deleted: statuses and history are kept, and a restore brings it back."
    )
    kind, item = pick_item("What", "rt")
    if item:
        retire = not item["retired"]
        with st.form(f"rt_form_{kind}_{item['id']}"):
            reason = reason_input(f"rt_reason_{kind}_{item['id']}")
            label = "Retire" if retire else "Restore"
            if st.form_submit_button(label, type="primary"):
                act(
                    lambda s, actor: editing.set_retired(
                        session=s,
                        actor=actor,
                        kind=kind,
                        item_id=item["id"],
                        retired=retire,
                        reason=reason,
                    ),
                    f"{'Retired' if retire else 'Restored'} the {KIND_NAMES[kind].lower()}.",
                )

# ---- import ----------------------------------------------------------------------------
with tabs[5]:
    transfer.import_panel(me)

# ---- change log -------------------------------------------------------------------------
with tabs[6]:
    log = data.plan_changes()
    if log.empty:
        st.caption("No changes to the plan yet.")
    else:
        log = log.assign(
            item=log["subject_kind"].map(KIND_NAMES) + " " + log["subject_id"],
            change=[
                changelog.describe_change(b, a)
                for b, a in zip(log["before"], log["after"], strict=True)
            ],
        )
        st.dataframe(
            log[["changed_at", "changed_by", "action", "item", "change", "reason"]],
            hide_index=True,
            column_config={
                "changed_at": st.column_config.DatetimeColumn(
                    "When (UTC)", format="YYYY-MM-DD HH:mm"
                ),
                "changed_by": "Who",
                "action": "What",
                "item": st.column_config.TextColumn("Item", width="medium"),
                "change": st.column_config.TextColumn("Before → after", width="large"),
                "reason": st.column_config.TextColumn("Why", width="medium"),
            },
        )
        st.caption(f"The latest {len(log):,} changes, newest first.")

# ---- backup ------------------------------------------------------------------------------
with tabs[7]:
    backup.backup_panel(me)
