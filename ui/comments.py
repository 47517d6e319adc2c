"""The Comments section of the outcome dialog: the thread, a box to add a comment with
@mention suggestions, Edit (the author, 10 minutes), Remove (an admin) and Publish.

Streamlit sends a text area's value only when it loses focus (or on Ctrl+Enter), so
mentions cannot be completed keystroke by keystroke. Under the box, a selectbox
"Mention someone" lists active users and filters as one types in it; picking a name
inserts `@username` (completing an `@par` already typed at the end). Once the text is
sent, the box says whom it will notify and which @names are no one's.

Every write goes through ui.actions.run from a callback, which must not draw (the
dialog is a fragment): its outcome is left in session state and shown in this section.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlmodel import Session

from core.clock import utcnow
from core.progress import comments, notes
from ui import actions, auth, data
from ui.text import md

NOTICE = "comment_notice"  # {"outcome", "ok", "message"} left by a callback
EDITING = "comment_editing"  # the id of the comment being edited
REMOVING = "comment_removing"  # the id of the comment an admin is asked to confirm
_PARTIAL = re.compile(r"(?<![\w.@])@([A-Za-z0-9._-]*)$")


def _box(outcome_id: str) -> str:
    return f"comment_body_{outcome_id}"


def section(outcome_id: str, *, retired: bool = False) -> None:
    """The Comments section for one outcome, as this reader may read it."""
    st.markdown("**Comments**")
    _notice(outcome_id)
    actor = auth.actor()
    with Session(data.engine()) as session:
        thread = comments.list_comments(session, outcome_id, members=data.members())
    if not thread:
        st.caption("No comments yet." if actor.signed_in else "No published comments.")
    for row in thread:
        _comment(row)
    if not actor.signed_in:
        st.caption("Sign in from the sidebar to read members' comments and to comment.")
    elif not retired:
        _new_comment(outcome_id)


def _notice(outcome_id: str) -> None:
    notice = st.session_state.get(NOTICE)
    if notice is None or notice["outcome"] != outcome_id:
        return
    del st.session_state[NOTICE]
    if notice["ok"]:
        st.toast(notice["message"], icon=":material/check_circle:")  # our own words
    else:
        st.error(md(notice["message"]), icon=":material/error:")


def _when(value) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC"


def _comment(row: dict) -> None:
    head = f"{_when(row['created_at'])} · **{md(row['author'])}**"
    if row["removed"]:
        st.markdown(f"{head} · _Removed by an admin_ ({_when(row['removed_at'])})")
        return
    edited = " · _(edited)_" if row["edited_at"] else ""
    public = " · :material/public: **Published**" if row["published"] else ""
    st.markdown(f"{head}{edited}{public}  \n{md(row['body'])}")
    if st.session_state.get(EDITING) == row["id"]:
        _edit_box(row)
    else:
        _buttons(row)


def _may_edit(row: dict) -> bool:
    actor = auth.actor()
    deadline = comments.edit_deadline(row["created_at"])
    return actor.signed_in and actor.username == row["author"] and utcnow() <= deadline


def _buttons(row: dict) -> None:
    actor, comment_id = auth.actor(), int(row["id"])
    shown: list[tuple[str, str, str, Callable[..., None], tuple[Any, ...]]] = []
    if _may_edit(row):
        shown.append(("Edit", "edit", ":material/edit:", _start_edit, (comment_id,)))
    if notes.can_publish(actor, author=row["author"]):
        label = "Unpublish" if row["published"] else "Publish"
        icon = ":material/public_off:" if row["published"] else ":material/public:"
        args = (row["outcome_id"], comment_id, not row["published"])
        shown.append((label, "publish", icon, _set_published, args))
    if actor.is_admin:
        shown.append(("Remove", "remove", ":material/delete:", _ask_remove, (comment_id,)))
    if st.session_state.get(REMOVING) == comment_id:
        _confirm_remove(row)
        return
    if not shown:
        return
    for column, (label, kind, icon, callback, args) in zip(
        st.columns(len(shown) + 2)[: len(shown)], shown, strict=True
    ):
        column.button(
            label, key=f"comment_{kind}_{comment_id}", icon=icon, on_click=callback, args=args
        )


def _confirm_remove(row: dict) -> None:
    comment_id = int(row["id"])
    st.warning("Remove this comment? Its text is deleted; a tombstone stays in the thread.")
    yes, no, _ = st.columns([1, 1, 4])
    yes.button(
        "Yes, remove",
        key=f"comment_remove_yes_{comment_id}",
        type="primary",
        on_click=_remove,
        args=(row["outcome_id"], comment_id),
    )
    no.button("Cancel", key=f"comment_remove_no_{comment_id}", on_click=_ask_remove, args=(None,))


def _edit_box(row: dict) -> None:
    comment_id = int(row["id"])
    key = f"comment_edit_{comment_id}"
    if key not in st.session_state:
        st.session_state[key] = row["body"]
    st.text_area("Edit your comment", key=key, max_chars=comments.COMMENT_MAX)
    save, cancel, _ = st.columns([1, 1, 4])
    save.button(
        "Save comment",
        key=f"comment_save_{comment_id}",
        type="primary",
        on_click=_save_edit,
        args=(row["outcome_id"], comment_id),
    )
    cancel.button("Cancel", key=f"comment_cancel_{comment_id}", on_click=_start_edit, args=(None,))


def _new_comment(outcome_id: str) -> None:
    box = _box(outcome_id)
    text = st.text_area(
        "Add a comment",
        key=box,
        max_chars=comments.COMMENT_MAX,
        placeholder="Plain text; @username notifies someone in their digest.",
    )
    _mention_picker(outcome_id, text or "")
    st.button(
        "Post comment",
        key=f"comment_post_{outcome_id}",
        icon=":material/send:",
        on_click=_post,
        args=(outcome_id,),
    )


def _mention_picker(outcome_id: str, text: str) -> None:
    partial = _PARTIAL.search(text)
    with Session(data.engine()) as session:
        people = comments.suggest_usernames(session, partial.group(1) if partial else "")
        mentioned = comments.mentions(session, text)
    names = dict(people)
    st.selectbox(
        f"Complete @{partial.group(1)}" if partial else "Mention someone",
        list(names)[:200],
        index=None,
        format_func=lambda u: f"@{u} — {names[u]}",
        placeholder="Type to find a person",
        key=f"comment_mention_{outcome_id}",
        on_change=_insert_mention,
        args=(outcome_id,),
    )
    unknown = [c for c in comments.mention_candidates(text) if c.rstrip("._-") not in mentioned]
    if mentioned:
        st.caption("Mentions " + ", ".join(md(f"@{u}") for u in mentioned) + ".")
    if unknown:
        st.caption(md(", ".join(f"@{u}" for u in unknown)) + ": no such user; left as text.")


# ---- callbacks: they run before the dialog redraws, and draw nothing -----------------


def _leave(outcome_id: str, result: actions.Result, success: str) -> None:
    message = success if result.ok else str(result.error)
    st.session_state[NOTICE] = {"outcome": outcome_id, "ok": result.ok, "message": message}


def _insert_mention(outcome_id: str) -> None:
    picked = st.session_state.get(f"comment_mention_{outcome_id}")
    if not picked:
        return
    box = _box(outcome_id)
    text = st.session_state.get(box) or ""
    partial = _PARTIAL.search(text)
    head = text[: partial.start()] if partial else text
    sep = "" if not head or head[-1].isspace() else " "
    st.session_state[box] = f"{head}{sep}@{picked} "
    st.session_state[f"comment_mention_{outcome_id}"] = None


def _post(outcome_id: str) -> None:
    box = _box(outcome_id)
    body = st.session_state.get(box) or ""
    result = actions.run(
        lambda s: comments.add_comment(
            session=s, actor=auth.actor(fresh=True), outcome_id=outcome_id, body=body
        )
    )
    if result.ok and result.value is not None:
        st.session_state[box] = ""  # kept when refused: nothing typed is lost
        mentioned = result.value[1]
        who = f" {', '.join('@' + u for u in mentioned)} will see it in their digest."
        _leave(outcome_id, result, "Comment posted." + (who if mentioned else ""))
    else:
        _leave(outcome_id, result, "")


def _start_edit(comment_id: int | None) -> None:
    st.session_state[EDITING] = comment_id
    if comment_id is not None:
        st.session_state.pop(f"comment_edit_{comment_id}", None)


def _save_edit(outcome_id: str, comment_id: int) -> None:
    body = st.session_state.get(f"comment_edit_{comment_id}") or ""
    result = actions.run(
        lambda s: comments.edit_comment(
            session=s, actor=auth.actor(fresh=True), comment_id=comment_id, body=body
        )
    )
    if result.ok:
        st.session_state[EDITING] = None
    _leave(outcome_id, result, "Comment saved.")


def _ask_remove(comment_id: int | None) -> None:
    st.session_state[REMOVING] = comment_id


def _remove(outcome_id: str, comment_id: int) -> None:
    result = actions.run(
        lambda s: comments.remove_comment(
            session=s, actor=auth.actor(fresh=True), comment_id=comment_id
        )
    )
    st.session_state[REMOVING] = None
    _leave(outcome_id, result, "Comment removed; a tombstone stays in the thread.")


def _set_published(outcome_id: str, comment_id: int, publish: bool) -> None:
    result = actions.run(
        lambda s: comments.set_published(
            session=s, actor=auth.actor(fresh=True), comment_id=comment_id, published=publish
        )
    )
    _leave(
        outcome_id,
        result,
        "Comment published." if publish else "Comment is for members only again.",
    )
