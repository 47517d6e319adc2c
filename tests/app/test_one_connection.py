"""A run never asks for a second database connection while it holds one (bench/RESULTS.md,
ninth round): on a loaded server, threads that each held one and waited for another
held the whole pool and stalled it for its 30-s timeout. Every page is drawn for a
visitor and for an admin on a one-connection pool, which fails with "The database is
unavailable" where a run nests its reads (the Evaluation page did, for a visitor)."""

from __future__ import annotations

import pytest

from core.config import PROJECT_ROOT

from .conftest import texts

EVERY_PAGE = [
    "dashboard.py",
    *sorted(f"pages/{p.name}" for p in (PROJECT_ROOT / "pages").glob("*.py")),
]


# The pages a visitor's navigation offers too (the others are for members only).
MEMBERS_ONLY = {"pages/my_work.py", "pages/organisations.py", "pages/plan_editor.py",
                "pages/users.py"}  # fmt: skip
CASES = [(page, False) for page in EVERY_PAGE if page not in MEMBERS_ONLY]
CASES += [(page, True) for page in EVERY_PAGE]


@pytest.mark.parametrize(("page", "signed_in"), CASES)
def test_every_page_draws_on_one_connection(
    history_db, one_connection, new_app, page: str, signed_in: bool
) -> None:
    state = {"user_id": history_db.admin_id} if signed_in else {}
    at = new_app(page, **state).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not [t for t in texts(at.error) if "unavailable" in t], texts(at.error)
