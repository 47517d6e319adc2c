"""The printed report's "Since <date>" section (core/io/report/since.py): there only
when asked for, what changed with reasons as the reader may read them, escaped."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from core.io.report import progress_report_html
from core.models import Outcome, Role, Status
from core.people.permissions import Actor
from core.progress.updates import update_status
from core.store.db import write_session

TODAY = date(2021, 6, 1)
ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)
SW_DONE = "southwest.legal-services.short.1"
SW_BLOCKED = "southwest.legal-services.short.2"
NOTE = 'Waiting for the county <script>alert("x")</script> & more'


def record(engine: Engine, outcome_id: str, status: str, note: str = "") -> None:
    with write_session(engine) as s:
        update_status(
            session=s,
            actor=ADMIN,
            outcome_id=outcome_id,
            expected_version=s.get_one(Outcome, outcome_id).version,
            new_status=status,
            note=note,
            now=datetime(2021, 5, 20, 15, 30, tzinfo=UTC),
        )


def report(engine: Engine, *, members: bool, since: date | None) -> str:
    with Session(engine) as s:
        return progress_report_html(s, today=TODAY, members=members, since=since)


def test_report_has_a_since_section_only_when_asked(engine) -> None:
    record(engine, SW_DONE, Status.DONE.value)
    record(engine, SW_BLOCKED, Status.BLOCKED.value, NOTE)
    assert "<h2>Since " not in report(engine, members=True, since=None)
    html = report(engine, members=True, since=date(2021, 5, 10))
    assert "<h2>Since May 10, 2021</h2>" in html
    assert "Since Monday, May 10, 2021: 1 outcome done, 1 blocked, 0 slipped" in html
    assert "<h3>Newly done (1)</h3>" in html and "<h3>Newly blocked (1)</h3>" in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in html
    assert "<script>" not in html


def test_report_since_section_hides_reasons_from_visitors(engine) -> None:
    record(engine, SW_BLOCKED, Status.BLOCKED.value, NOTE)
    html = report(engine, members=False, since=date(2021, 5, 10))
    assert "Waiting for the county" not in html
    assert "Note for members" in html


def test_report_since_section_says_when_nothing_changed(engine) -> None:
    html = report(engine, members=True, since=date(2021, 5, 10))
    assert "Nothing changed since May 10, 2021 for these filters." in html
