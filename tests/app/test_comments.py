"""Comments in the outcome dialog (AppTest): a lead posts one, mentions someone from
the suggestions, a signed-out visitor does not see it, an admin removes one."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.models import Comment

from .conftest import SW_BLOCKED, make_user, texts
from .conftest import shown as shown_body  # markdown escapes resolved

TEXT = "Spoke with the county clerk today"


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_dialog(new_app, **state) -> AppTest:
    at = run(new_app("pages/region.py", **state))
    at.selectbox(key="region_page_pick").select("southwest")
    run(at)
    at.button(key=f"form_{SW_BLOCKED}").click()
    run(at)
    assert len(at.get("dialog")) == 1
    return at


def shown(at: AppTest) -> str:
    return "\n".join(texts(at.markdown) + texts(at.caption) + texts(at.error))


def stored(engine: Engine) -> list[Comment]:
    with Session(engine) as s:
        return list(s.exec(select(Comment).order_by(Comment.id)).all())


def post(at: AppTest, body: str) -> AppTest:
    at.text_area(key=f"comment_body_{SW_BLOCKED}").input(body)
    at.button(key=f"comment_post_{SW_BLOCKED}").click()
    return run(at)


@pytest.mark.backends("sqlite", "postgresql")
def test_lead_posts_a_comment_and_a_visitor_does_not_see_it(db: Engine, new_app) -> None:
    lead = make_user(db, "sam", region="southwest")
    at = post(open_dialog(new_app, user_id=lead), f"{TEXT}.\nSecond line")
    [comment] = stored(db)
    assert (comment.author, comment.body) == ("sam", f"{TEXT}.\nSecond line")
    assert f"{TEXT}.\nSecond line" in shown(at)
    assert at.text_area(key=f"comment_body_{SW_BLOCKED}").value == ""

    visitor = open_dialog(new_app)
    assert TEXT not in shown(visitor)
    assert "No published comments." in shown(visitor)
    assert not [t for t in visitor.text_area if (t.key or "").startswith("comment_")]


def test_mention_suggestion_completes_the_name(db: Engine, new_app) -> None:
    lead = make_user(db, "sam", region="southwest")
    make_user(db, "kim-lee")
    at = open_dialog(new_app, user_id=lead)
    at.text_area(key=f"comment_body_{SW_BLOCKED}").input("Over to @ki")
    run(at)
    picker = at.selectbox(key=f"comment_mention_{SW_BLOCKED}")
    assert picker.label == "Complete @ki" and picker.options == ["@kim-lee — Kim Lee"]
    picker.select("kim-lee")
    run(at)
    assert at.text_area(key=f"comment_body_{SW_BLOCKED}").value == "Over to @kim-lee "
    assert "Mentions @kim-lee." in shown(at)
    at.button(key=f"comment_post_{SW_BLOCKED}").click()
    run(at)
    assert [c.body for c in stored(db)] == ["Over to @kim-lee"]


def test_a_refused_comment_keeps_the_text(db: Engine, new_app) -> None:
    lead = make_user(db, "sam", region="southwest")
    at = post(open_dialog(new_app, user_id=lead), "bell \x07")
    assert "control character" in shown(at)
    assert at.text_area(key=f"comment_body_{SW_BLOCKED}").value == "bell \x07"
    assert stored(db) == []


def test_admin_removes_a_comment_leaving_a_tombstone(db: Engine, new_app) -> None:
    admin = make_user(db, "ada", "admin")
    at = post(open_dialog(new_app, user_id=admin), TEXT)
    [comment] = stored(db)
    at.button(key=f"comment_remove_{comment.id}").click()
    run(at)
    at.button(key=f"comment_remove_yes_{comment.id}").click()
    run(at)
    assert TEXT not in shown(at) and "Removed by an admin" in shown(at)
    [removed] = stored(db)
    assert (removed.body, removed.removed_by) == ("", "ada")


def test_author_edits_a_comment_and_markup_stays_text(db: Engine, new_app) -> None:
    lead = make_user(db, "sam", region="southwest")
    at = post(open_dialog(new_app, user_id=lead), "Draft")
    [comment] = stored(db)
    at.button(key=f"comment_edit_{comment.id}").click()
    run(at)
    at.text_area(key=f"comment_edit_{comment.id}").input("**Bold** <b>tag</b> [link](http://x.org)")
    at.button(key=f"comment_save_{comment.id}").click()
    run(at)
    [edited] = stored(db)
    assert edited.body == "**Bold** <b>tag</b> [link](http://x.org)" and edited.edited_at
    [body] = [str(m.value) for m in at.markdown if "(edited)" in str(m.value)]
    assert r"\*\*Bold\*\* \<b\>tag\<\/b\> \[link\]" in body  # escaped: shown as typed
    assert shown_body(body).endswith("**Bold** <b>tag</b> [link](http://x.org)")
