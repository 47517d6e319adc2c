"""Issue 14 item 2: the report's-dates banner on Overview, Timeline and Overdue, with the
re-baseline link for admins only, and gone once every logic model is re-baselined."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from core.models import LogicModel
from core.store.db import write_session
from tests.app.conftest import make_user, texts

PAGES = ["pages/overview.py", "pages/timeline.py", "pages/overdue.py"]


def _banner(at) -> list[str]:
    return [t for t in texts(at.markdown) if "still run on the report's dates" in t]


@pytest.mark.parametrize("page", PAGES)
def test_banner_counts_outcomes_on_the_report_dates(db, new_app, page) -> None:
    at = new_app(page).run()

    assert not at.exception
    (banner,) = _banner(at)
    assert "248 of 248 outcomes still run on the report's dates" in banner
    assert "10 logic models still start on the report's start (July 1, 2019)" in banner
    assert "are overdue on the report's dates" in banner
    assert not [link for link in at.get("page_link")]  # the editor link is for admins


@pytest.mark.parametrize("page", PAGES)
def test_admin_sees_where_to_rebaseline(db, new_app, page) -> None:
    admin = make_user(db, "admin", "admin")

    at = new_app(page, user_id=admin).run()

    assert not at.exception
    links = [link.proto.label for link in at.get("page_link")]
    assert "Re-baseline a logic model or a region under Edit the plan" in links


def test_no_banner_once_every_model_is_rebaselined(db, new_app) -> None:
    with write_session(db) as session:
        for lm in session.exec(select(LogicModel)).all():
            lm.start_date = date(2026, 1, 1)

    at = new_app("pages/overview.py").run()

    assert not at.exception
    assert _banner(at) == []


def test_the_banner_follows_a_rebaseline_in_a_running_session(db, new_app) -> None:
    """The banner is a sum of the page's counts scan and the logic models' starts,
    kept until the plan changes: a re-baseline (a plan change) shows on the next run."""
    from core.models import Role
    from core.people.permissions import Actor
    from core.plan.redating import rebaseline

    admin = make_user(db, "admin", "admin")
    at = new_app("pages/overview.py").run()
    assert "248 of 248 outcomes still run on the report's dates" in _banner(at)[0]

    with write_session(db) as session:
        rebaseline(
            session=session,
            actor=Actor(user_id=admin, username="admin", display_name="admin", role=Role.ADMIN),
            logic_model_id="southwest",
            start_date=date(2026, 3, 1),
            reason="Workgroup formed in March 2026",
        )
    at.run()

    assert not at.exception
    (banner,) = _banner(at)
    assert "216 of 248 outcomes still run on the report's dates" in banner
    assert "9 logic models still start on the report's start" in banner
