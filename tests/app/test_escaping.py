"""Text people type is shown literally, never as markdown or HTML (issue 11, items 6
and 7): ui/text.md escapes it, ui/text.link links only a parsed http(s) address."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from streamlit.testing.v1 import AppTest

from core.progress import updates
from core.store.db import write_session
from ui.text import link, md

from .conftest import SW_DONE, actor, make_user, shown, texts, version_of

PAYLOADS = [
    "[Sign in again](https://evil.example/login) ![t](https://evil.example/t.png)",
    "<img src=x onerror=alert(1)> & <b>bold</b> &amp;",
    ":red[alarm] :material/warning: :smile: :streamlit: $x^2$ $$y$$",
    "# Heading\n- item\n1. first\n> quote\n    code\n***\n| a | b |",
    "*em* _em_ **strong** ~~gone~~ `code` www.evil.example a@evil.example",
    "https://evil.example/path \\[not a link\\]",
]
# Markdown that would make a link, an image or HTML if it were left unescaped.
LIVE = re.compile(r"(?<!\\)(!?\[[^\]]*(?<!\\)\]\(|<[a-z/]|(?<![\\\w])https?:)", re.IGNORECASE)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_escapes_every_markdown_sign_and_reads_the_same(payload):
    escaped = md(payload)
    assert not LIVE.search(escaped), escaped
    for sign in "[]()!*_`#<>&|~$:":
        assert re.search(rf"(?<!\\){re.escape(sign)}", escaped.replace("\\\\", "")) is None, sign
    assert not re.search(r"^\s*([-+*>#]|\d+\.)", escaped, re.MULTILINE)  # no list, quote, heading
    # GFM finds bare links in the text once escapes are resolved: none must be left.
    parsed = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped)
    assert not re.search(r"(?i)https?://|www\.|[-.\w+]@|:streamlit:", parsed)
    assert shown(escaped) == re.sub(r"(?m)^ {4,}", "", payload)


def test_md_of_nothing_is_empty_and_a_leading_space_is_kept():
    assert md(None) == "" and md("") == ""
    assert md(" · Southwest") == " · Southwest"


def test_link_links_only_a_parsed_web_address():
    assert link("evidence", "https://example.org/minutes") == (
        "[evidence](<https://example.org/minutes>)"
    )
    broken = link("evidence", "https://a.example/)[x](https://evil.example/login)")
    assert broken == "[evidence](<https://a.example/%29%5Bx%5D%28https://evil.example/login%29>)"
    plain = link("evidence", "javascript:alert(1)")
    assert "](" not in plain and shown(plain) == "evidence (javascript:alert(1))"


def _markdown_bodies(at: AppTest) -> list[str]:
    return [str(e.value) for e in [*at.markdown, *at.caption, *at.error, *at.info]]


@pytest.mark.parametrize(
    "page", ["pages/overview.py", "pages/timeline.py", "pages/overdue.py", "pages/plan_browser.py"]
)
def test_search_text_is_shown_literally_in_the_caption(db, new_app, page):
    payload = PAYLOADS[0]
    at = new_app()
    at.query_params["q"] = payload
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    captions = [c for c in texts(at.caption) if "Showing" in c]
    assert captions and payload in captions[0]
    shown_payload = [b for b in _markdown_bodies(at) if "evil" in b]
    assert shown_payload
    for body in shown_payload:
        assert not LIVE.search(body), body


def test_history_note_and_evidence_are_shown_literally(db, new_app):
    admin = make_user(db, "admin", "admin")
    note = "![p](https://evil.example/t.png) <img src=https://evil.example/x.png>"
    with write_session(db) as session:
        updates.update_status(
            session=session,
            actor=actor(db, admin),
            outcome_id=SW_DONE,
            expected_version=version_of(db, SW_DONE),
            new_status="In progress",
            note=note,
            evidence_url="https://a.example/)[x](https://evil.example/login)",
            now=datetime(2021, 5, 3, 15, 30, tzinfo=UTC),
        )
    at = new_app("pages/region.py", user_id=admin).run()
    at.selectbox(key="region_page_pick").select("southwest").run()
    at.button(key=f"form_{SW_DONE}").click().run()
    assert not at.exception, [e.message for e in at.exception]
    [entry] = [m for m in at.markdown if "evil" in str(m.value)]
    body = str(entry.value)
    assert note in shown(body)
    # The only link is ours, to the percent-encoded address; nothing fetches evil.example.
    assert LIVE.sub("", body.replace("[evidence](<https://a.example/", "")) == body.replace(
        "[evidence](<https://a.example/", ""
    ), body
    assert "[evidence](<https://a.example/%29%5Bx%5D%28https://evil.example/login%29>)" in body


def test_chart_sentence_under_show_as_table_is_shown_literally(db, new_app):
    """A chart's sentence can hold names admins typed (an organisation's): under "Show
    as table" it was written as markdown, so a name with a link made a live link."""
    from core.models import Role
    from core.partners import editing
    from core.people.permissions import Actor

    admin = Actor(user_id=None, username="ada", display_name="Ada", role=Role.ADMIN)
    with write_session(db) as s:
        editing.rename(
            session=s,
            actor=admin,
            organisation_id="mo-tic-model-commission",  # the most connected: named first
            name="MO TIC [Sign in again](https://evil.example/login)",
            reason="escaping test",
        )
    at = new_app("pages/partners.py").run()
    at.toggle(key="partners_network_table").set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    shown_payload = [b for b in _markdown_bodies(at) if "evil" in b]
    assert shown_payload
    for body in shown_payload:
        assert not LIVE.search(body), body


def test_a_region_outcomes_dates_stay_on_one_line_inside_their_directive():
    """The Region page writes an outcome's dates as :small[:gray[…]]: a line break in
    the report's words would end the directive and show it as text."""
    from datetime import date

    from ui.panels import region

    row = {
        "number": "1",
        "text": "Hold a meeting",
        "due_date": date(2020, 6, 30),
        "date_as_written": "by 6/2020\nor later",
        "date_basis": "end of month",
        "slip_days": 0,
        "redate_count": 0,
        "status": "Not started",
        "schedule": "Overdue",
    }
    text = region._outcome_markdown(row)
    dates = text.split(":small[:gray[", 1)[1].split("]]", 1)[0]
    assert "\n" not in dates and "or later" in dates


def test_a_region_strategys_resources_and_tasks_stay_literal_and_on_their_lines():
    """Resources and tasks share the strategy heading's element: a line break in the
    plan's words would start a new block there, and markdown would be read."""
    from ui.panels import region

    one = region._means({"resources": ["**A**\n- b", "C [x](y)"], "tasks": ["# Do\nit"]})
    resources, tasks = one.split("  \n")
    assert resources.startswith("**Resources:** ") and "\n" not in resources
    assert "**A**" not in resources and "[x](y)" not in resources  # escaped
    assert shown(resources) == "**Resources:** **A** - b · C [x](y)"
    assert tasks == "**Tasks:** \\# Do it"  # one line, the # escaped
    several = region._means({"resources": [], "tasks": ["one\nline", "two"]})
    assert several.endswith("**Tasks:**\n\n- one line\n- two")
    assert several.startswith("**Resources:** —")
    none = region._means({"resources": ["A"], "tasks": []})
    assert none == "**Resources:** A  \n**Tasks:** —"  # inline, as for no resources


def test_a_region_strategys_heading_need_and_flags_stay_literal_and_on_their_lines():
    """The Region page writes a strategy's title, need and report flags as one
    markdown element (a heading, then :small[:gray[…]] lines): a line break in the
    plan's words would end the heading or a directive, and markdown in them would be
    read as markdown."""
    from ui.panels import region

    strategy = {"id": "s", "title": "**Legal**\nServices #1", "need_id": "legal"}
    text = region._strategy_markdown(
        strategy,
        {"legal": "Legal [services]"},
        {("strategy", "s"): [("no_dates", "None of\nthis row's outcomes has a date]]")]},
    )
    heading, captions = text.split("\n\n")
    assert heading.startswith("### ") and "\n" not in heading
    assert "**Legal**" not in heading and "Legal" in heading  # escaped, not bold
    need, flag = captions.split("  \n")
    assert need.startswith(":small[:gray[") and need.endswith("]]") and "\n" not in need
    assert flag.startswith(":small[:gray[:material/flag: Report flag") and flag.endswith("]]")
    assert "]]" not in flag[:-2] and "\n" not in flag  # the reason's brackets escaped
    assert "None of this row" in flag
