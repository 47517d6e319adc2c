"""The admin page "Organisations" under AppTest: it renders for an admin, adds and
merges organisations through its forms, refuses a form drawn before someone else's
change, and refuses viewers; the Users page sets a user's organisation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.config import PROJECT_ROOT
from core.models import Organisation, PlanChange, Role
from core.partners import editing
from core.people import accounts
from core.people.permissions import Actor
from core.store.db import write_session

from .conftest import by_label, make_user, texts

PAGE = "pages/organisations.py"
ADMIN = Actor(user_id=None, username="ada", display_name="Ada", role=Role.ADMIN)


def add(engine: Engine, name: str, *names: str) -> str:
    with write_session(engine) as s:
        org = editing.add_organisation(
            session=s, actor=ADMIN, name=name, kind="funder", names=names, reason="set-up"
        )
        return org.id


def get(engine: Engine, org_id: str) -> Organisation | None:
    with Session(engine) as s:
        return s.get(Organisation, org_id)


def changes(engine: Engine) -> int:
    with Session(engine) as s:
        return len(s.exec(select(PlanChange)).all())


def test_admin_page_renders_the_table(db, new_app) -> None:
    add(db, "Ozark Survivor Network", "OSN")
    admin = make_user(db, "admin", "admin")
    at = new_app(PAGE, user_id=admin).run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["Organisations"]
    table = at.dataframe[0].value
    assert "Ozark Survivor Network" in set(table["name"])
    at.text_input(key=at.text_input[0].key).input("osn").run()  # the search
    assert list(at.dataframe[0].value["name"]) == ["Ozark Survivor Network"]


def test_admin_adds_an_organisation(db, new_app) -> None:
    admin = make_user(db, "admin", "admin")
    at = new_app(PAGE, user_id=admin).run()
    at.text_input(key="add_org_name").input("Prairie Legal Aid")
    at.text_area(key="add_org_names").input("PLA\nP.L.A.")
    at.selectbox(key="add_org_kind").set_value("court or legal")
    at.multiselect(key="add_org_regions").set_value(["kansas-city"])
    at.text_input(key="add_org_reason").input("named in the Kansas City plan")
    by_label(at.button, "Add organisation").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.success) == ["Added Prairie Legal Aid."]
    org = get(db, "prairie-legal-aid")
    assert org is not None and org.kind == "court or legal"
    with Session(db) as s:
        assert editing.names_of(s, org.id) == ["P.L.A.", "PLA", "Prairie Legal Aid"]


def test_a_duplicate_name_is_refused_with_nothing_written(db, new_app) -> None:
    add(db, "Ozark Survivor Network", "OSN")
    admin = make_user(db, "admin", "admin")
    before = changes(db)
    at = new_app(PAGE, user_id=admin).run()
    at.text_input(key="add_org_name").input("  osn ")
    at.text_input(key="add_org_reason").input("again")
    by_label(at.button, "Add organisation").click().run()
    assert not at.exception
    assert "already a name of Ozark Survivor Network" in texts(at.error)[0]
    assert changes(db) == before


def merge_with_the_form(at, merged: str, into: str):
    at.selectbox(key="org_pick").set_value(merged).run()
    at.selectbox(key=f"merge_org_into_{merged}").set_value(into)
    at.text_input(key=f"merge_org_reason_{merged}").input("the same organisation")
    return by_label(at.button, "Merge").click().run()


@pytest.mark.backends("sqlite", "postgresql")
def test_admin_merges_one_organisation_into_another(db, new_app) -> None:
    ozark, prairie = add(db, "Ozark Survivor Network", "OSN"), add(db, "Prairie Legal Aid")
    admin = make_user(db, "admin", "admin")
    at = merge_with_the_form(new_app(PAGE, user_id=admin).run(), ozark, prairie)

    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.success) == ["Merged into Prairie Legal Aid."]
    merged = get(db, ozark)
    assert merged is not None and (merged.retired, merged.merged_into_id) == (True, prairie)
    with Session(db) as s:
        assert "OSN" in editing.names_of(s, prairie)


@pytest.mark.backends("sqlite", "postgresql")
def test_a_form_drawn_before_another_change_is_refused(db, new_app) -> None:
    ozark, prairie = add(db, "Ozark Survivor Network"), add(db, "Prairie Legal Aid")
    admin = make_user(db, "admin", "admin")
    at = new_app(PAGE, user_id=admin).run()
    at.selectbox(key="org_pick").set_value(ozark).run()  # the forms are drawn for ozark
    with write_session(db) as s:  # another admin, meanwhile
        editing.add_name(session=s, actor=ADMIN, organisation_id=ozark, name="OSN", reason="x")
    before = changes(db)
    at = merge_with_the_form(at, ozark, prairie)
    assert not at.exception
    assert "after you opened the form" in texts(at.error)[0]
    assert changes(db) == before
    merged = get(db, ozark)
    assert merged is not None and merged.merged_into_id is None


def test_a_viewer_is_refused(db, tmp_path: Path, monkeypatch) -> None:
    """Navigation never offers the page to a viewer; the page refuses them on its own
    too (a stand-in entry file serves only this page, as tests/app/test_pages.py)."""
    viewer = make_user(db, "val", "viewer")
    entry = tmp_path / "organisations_only.py"
    entry.write_text(
        "import streamlit as st\n"
        "from ui import shell\n"
        "shell.entered()\n"
        f"st.navigation([st.Page({str(PROJECT_ROOT / PAGE)!r})]).run()\n"
    )
    monkeypatch.syspath_prepend(str(PROJECT_ROOT))
    at = AppTest.from_file(str(entry), default_timeout=60)
    at.session_state["user_id"] = viewer
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.error) == ["Only admins can curate organisations."]
    assert not at.dataframe and not at.form_submit_button


def test_users_page_sets_a_users_organisation(db, new_app) -> None:
    ozark = add(db, "Ozark Survivor Network")
    admin = make_user(db, "admin", "admin")
    at = new_app("pages/users.py", user_id=admin).run()
    by_label(at.selectbox, "Organisation").set_value(ozark)
    by_label(at.button, "Set organisation").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert texts(at.success) == ["admin now belongs to Ozark Survivor Network."]
    with Session(db) as s:
        assert accounts.require_user(session=s, username="admin").organisation_id == ozark


def test_a_typed_name_is_shown_literally(db, new_app) -> None:
    admin = make_user(db, "admin", "admin")
    at = new_app(PAGE, user_id=admin).run()
    at.text_input(key="add_org_name").input("*Ozark* <b>Aid</b> [x](https://e.org)")
    at.text_input(key="add_org_reason").input("escaping")
    by_label(at.button, "Add organisation").click().run()
    assert not at.exception
    body = at.success[0].value
    assert "\\*Ozark\\*" in body and "\\<b\\>" in body and "\\[x\\]" in body
    assert texts(at.success) == ["Added *Ozark* <b>Aid</b> [x](https://e.org)."]


def test_plan_editor_change_log_names_organisation_changes(db, new_app) -> None:
    """Organisation changes share the plan's change log; its Item column names them
    (it showed an empty cell: the editor's names knew only plan items)."""
    org_id = add(db, "Ozark Survivor Network", "OSN")
    admin = make_user(db, "admin", "admin")
    at = new_app("pages/plan_editor.py", user_id=admin).run()
    at.segmented_control(key="pe_section").set_value("changes").run()
    assert not at.exception, [e.message for e in at.exception]
    log = at.dataframe[0].value
    assert f"Organisation {org_id}" in set(log["item"])
