"""What every tab of the plan editor shares: the one way a tab saves a plan change
(`act`, built on the action runner), the message shown after the rerun, the pickers
for a logic model, a strategy and an outcome, and the reason box."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import streamlit as st
from sqlmodel import Session

from core.errors import UpdateRejected
from core.people.permissions import Actor
from core.plan import changelog, fields
from ui import actions, auth, data
from ui.text import md

FLASH, FLASH_ERROR = "plan_editor_flash", "plan_editor_flash_error"
# Widget values a save sets for the next run (a widget already drawn in this run
# cannot be set, and a dropped key is not cleared in the browser).
RESET = "plan_editor_reset"
SECTION = "pe_section"
KIND_NAMES = {kind: label.capitalize() for kind, label in changelog.KIND_LABEL.items()}


def section_picker(labels: dict[str, str]) -> str:
    """The editor's section, chosen in a keyed control and kept in the URL (`?tab=`),
    so the rerun after a save, and a shared link, open the same section."""
    if st.session_state.get(SECTION) not in labels:
        wanted = st.query_params.get("tab", "")
        st.session_state[SECTION] = wanted if wanted in labels else next(iter(labels))
    section = st.segmented_control(
        "Section",
        list(labels),
        format_func=labels.__getitem__,
        required=True,
        key=SECTION,
        label_visibility="collapsed",
    )
    chosen = section or next(iter(labels))
    st.query_params["tab"] = chosen
    return chosen


def show_flash() -> None:
    """The message left by the save that caused this rerun, if any, and the widget
    values that save set."""
    st.session_state.update(st.session_state.pop(RESET, {}))
    if flash := st.session_state.pop(FLASH, None):
        st.success(md(flash), icon=":material/check_circle:")
    if flash := st.session_state.pop(FLASH_ERROR, None):
        st.error(md(flash), icon=":material/error:")


def _forget(keys: tuple[str, ...]) -> None:
    for key in keys:
        st.session_state.pop(key, None)


def act(
    change: Callable[[Session, Actor], object],
    success: str,
    *,
    forget: tuple[str, ...] = (),
    reset: dict[str, Any] | None = None,
) -> None:
    """Save a plan change as the current admin (re-read from the database), then rerun
    with `success` and the widgets named in `reset` set to their new values. A stale
    form (someone changed the item since it was drawn) is redrawn with the current
    values, its `forget` keys dropped; any other refusal, a database error included,
    is shown and the form keeps what was typed."""
    result = actions.run(lambda session: change(session, auth.actor(fresh=True)))
    if isinstance(result.error, changelog.StalePlanEdit):
        _forget(forget)  # the fresh form captures the current values as it renders
        st.session_state[FLASH_ERROR] = str(result.error)
        st.rerun()
    if result.error is not None:
        actions.show(result.error)
        return
    _forget(forget)
    st.session_state[RESET] = dict(reset or {})
    st.session_state[FLASH] = success
    st.rerun()


def seen(key: str, value: Any) -> Any:
    """The value as it was when this form was first rendered: a save compares it with
    the database, so an edit made meanwhile by someone else is not overwritten."""
    return st.session_state.setdefault(key, value)


def nothing_changed() -> NoReturn:
    raise UpdateRejected("Nothing was changed: the form matches what is saved.")


def region_names() -> dict[str, str]:
    return {r["id"]: r["name"] for r in data.reference()["regions"]}


def need_labels() -> dict[str, str]:
    return {n["id"]: n["label"] for n in data.reference()["needs"]}


def lm_label(lm: dict, regions: dict[str, str]) -> str:
    retired = " (retired)" if lm["retired"] else ""
    return f"{regions.get(lm['region_id'], lm['region_id'])} · {lm['title']}{retired}"


def strategy_label(s: dict, needs: dict[str, str]) -> str:
    retired = " (retired)" if s["retired"] else ""
    return f"{s['title']} · {needs.get(s['need_id'], s['need_id'])}{retired}"


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
    regions = region_names()
    return _pick("Logic model", models, lambda lm: lm_label(lm, regions), key)


def pick_strategy(lm: dict, key: str) -> dict | None:
    items = data.plan_items("strategy", lm["id"])
    if not items:
        st.info("This logic model has no strategies yet; add one under “Add”.")
        return None
    needs = need_labels()
    return _pick("Strategy", items, lambda s: strategy_label(s, needs), key)


def pick_outcome(strategy: dict, key: str) -> dict | None:
    items = data.plan_items("outcome", strategy["id"])
    if not items:
        st.info("This strategy has no outcomes yet; add one under “Add”.")
        return None
    return _pick("Outcome", items, outcome_label, key)


def _pick(label: str, items: list[dict], describe: Callable[[dict], str], key: str) -> dict:
    """A searchable picker (typing filters by any part of the words) whose options
    are the items' ids, so a save that changes an item does not change the choice."""
    by_id = {item["id"]: item for item in items}
    ids = list(by_id)
    # The browser sends back the option's words; when a save changes them (a new due
    # date), Streamlit falls back to `index`, which is the item chosen last time.
    last = st.session_state.get(f"{key}_id")
    chosen = st.selectbox(
        label,
        ids,
        index=ids.index(last) if last in by_id else 0,
        format_func=lambda item_id: describe(by_id[item_id]),
        filter_mode="contains",
        key=key,
    )
    st.session_state[f"{key}_id"] = chosen
    return by_id[chosen or ids[0]]


def pick_item(question: str, prefix: str) -> tuple[str, dict | None]:
    """Choose a kind, then a logic model, its strategy and its outcome as far as the
    kind needs (widget keys start with `prefix`)."""
    kind = st.radio(
        question,
        list(KIND_NAMES),
        format_func=KIND_NAMES.__getitem__,
        horizontal=True,
        key=f"{prefix}_kind",
    )
    item = pick_logic_model(f"{prefix}_lm")
    if item and kind != "logic_model":
        item = pick_strategy(item, f"{prefix}_strategy")
        if item and kind == "outcome":
            item = pick_outcome(item, f"{prefix}_outcome")
    return kind, item


def reason_input(key: str) -> str:
    return st.text_area(
        "Reason (required)",
        key=key,
        max_chars=fields.REASON_MAX,
        placeholder="e.g. The Southwest workgroup formed in March 2025",
        help="Goes into the change log with your name and the time.",
    )
