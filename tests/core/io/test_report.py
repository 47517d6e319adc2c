"""The printable progress report (core.io.report) and `python -m core report`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import escape

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from core.charts import vl
from core.cli.main import main
from core.io.report import chart_svg, describe_filter, progress_report_html
from core.models import Outcome, Role, Status
from core.people.permissions import Actor
from core.progress import derived, queries
from core.progress.filters import OutcomeFilter
from core.progress.schedule import Schedule
from core.progress.updates import update_status
from core.store.db import write_session

TODAY = date(2021, 6, 1)  # many 2020 outcomes are overdue, some are due soon
ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)
SW_DONE = "southwest.legal-services.short.1"
SW_BLOCKED = "southwest.legal-services.short.2"
STL_DONE = "st-louis.adult-shelter.short.1"
STATE_STARTED = "state-housing.ht-taskforce.short.1"
SCRIPT_NOTE = 'Waiting for the county\'s answer. <script>alert("x")</script> & more'
STARTED_NOTE = "Kick-off held with housing partners;\nnext meeting in July."
CHARTS = 6  # status, by region, by need, region × need, progress against plan, freshness


def record(engine: Engine, outcome_id: str, status: str, note: str = "", day: int = 1) -> None:
    with Session(engine) as s:
        version = s.get(Outcome, outcome_id).version
    with write_session(engine) as s:
        update_status(
            session=s,
            actor=ADMIN,
            outcome_id=outcome_id,
            expected_version=version,
            new_status=status,
            note=note,
            now=datetime(2021, 5, day, 15, 30, tzinfo=UTC),
        )


@pytest.fixture
def recorded(engine: Engine) -> Engine:
    """The seeded plan with two outcomes done, one blocked and one in progress."""
    record(engine, SW_DONE, Status.DONE.value, "Met with the task force.", day=3)
    record(engine, SW_BLOCKED, Status.BLOCKED.value, SCRIPT_NOTE, day=5)
    record(engine, STATE_STARTED, Status.IN_PROGRESS.value, STARTED_NOTE, day=6)
    record(engine, STL_DONE, Status.DONE.value, "Shelter MOU signed.", day=10)
    return engine


def build(engine: Engine, flt: OutcomeFilter | None = None, **kw) -> str:
    with Session(engine) as session:
        return progress_report_html(session, today=TODAY, flt=flt, **kw)


@pytest.fixture
def html(recorded: Engine) -> str:
    """A signed-in member's report (every note; tests/core/progress/test_notes.py has
    a signed-out visitor's)."""
    return build(recorded, generated_by="Ada <admin>", members=True)


def annotated(engine: Engine, flt: OutcomeFilter | None = None) -> list[dict]:
    with Session(engine) as session:
        rows = queries.outcome_rows(session, flt)
        summaries = derived.term_summaries(session, TODAY, {r["strategy_id"] for r in rows})
    return derived.annotate(rows, summaries, TODAY)


def section(html: str, heading: str) -> str:
    """The HTML of the <section> whose <h2> starts with `heading`."""
    start = html.index(f"<h2>{heading}")
    return html[start : html.index("</section>", start)]


def table_row(html: str, label: str) -> str:
    start = html.index(f'<th scope="row">{escape(label)}</th>')
    return html[start : html.index("</tr>", start)]


def cells(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", row)


def test_report_shows_each_region_completion(recorded, html):
    with Session(recorded) as session:
        by_region = queries.completion(session, by=("region",))
    part = section(html, "Completion by region")
    assert len(by_region) == 9
    for region in by_region:
        total, done, active, rate, _overdue, _blocked = cells(table_row(part, region["region"]))
        assert (total, done, active) == tuple(str(region[k]) for k in ("total", "done", "active"))
        assert rate == f"{region['rate']:.0%}"
    assert cells(table_row(part, "Southwest"))[1:4] == ["1", "32", "3%"]
    assert cells(table_row(part, "St. Louis"))[1:4] == ["1", "21", "5%"]
    assert cells(table_row(part, "Metro East"))[3] == "0%"


def test_report_shows_each_need_completion_with_overdue_and_blocked(recorded, html):
    rows = annotated(recorded)
    part = section(html, "Completion by need")
    for need in {r["need"] for r in rows}:
        mine = [r for r in rows if r["need"] == need]
        overdue = sum(r["schedule"] == Schedule.OVERDUE.value for r in mine)
        blocked = sum(r["status"] == Status.BLOCKED.value for r in mine)
        assert cells(table_row(part, need))[-2:] == [str(overdue), str(blocked)]
    assert cells(table_row(part, "Legal services"))[1] == "1"  # Southwest's done outcome


def test_report_summary_counts(recorded, html):
    with Session(recorded) as session:
        counts = queries.schedule_counts(session, TODAY, 60)
    part = section(html, "Statewide summary")
    stats = dict(re.findall(r'<div class="label">(.*?)</div><div class="value">(.*?)</div>', part))
    assert stats == {
        "Completion": "&lt;1%",  # 2 ÷ 248
        "Done": "2",
        "Overdue": str(counts["overdue"]),
        "Due in 60 days": str(counts["due_soon"]),
        "Blocked": "1",
    }
    assert counts["overdue"] > 100 and counts["due_soon"] > 0
    statuses = re.findall(r'</span>([A-Za-z ]+)</th><td class="num">(\d+)</td>', part)
    assert statuses == [
        ("Not started", "244"),
        ("In progress", "1"),
        ("Done", "2"),
        ("Blocked", "1"),
        ("Dropped", "0"),
    ]


def test_report_lists_overdue_outcomes_with_latest_notes(recorded, html):
    overdue = [r for r in annotated(recorded) if r["schedule"] == Schedule.OVERDUE.value]
    part = section(html, "Overdue")
    assert part.startswith(f"<h2>Overdue ({len(overdue)})")
    assert part.count("<tr>") == len(overdue) + 1  # + the header row
    for r in overdue:
        assert escape(r["text"]) in part, r["outcome_id"]
    by_id = {r["outcome_id"]: r for r in overdue}
    assert SW_DONE not in by_id and STL_DONE not in by_id  # done: no longer overdue
    blocked = by_id[SW_BLOCKED]
    at = part.index(escape(blocked["text"]))
    row = part[part.rindex("<tr>", 0, at) : part.index("</tr>", at)]
    assert escape(SCRIPT_NOTE) in row
    assert f'<td class="num">{blocked["days_overdue"]}</td>' in row
    assert "Blocked" in row and "ada, May 5, 2021" in row
    assert escape(STARTED_NOTE) in part  # the in-progress outcome is overdue too
    # Region, logic model and strategy name each row.
    assert (
        "<strong>Southwest</strong> · Legal Services, Mental Healthcare, and Minor Shelter" in row
    )


def test_report_lists_due_soon(recorded, html):
    soon = [r for r in annotated(recorded) if r["schedule"] == Schedule.DUE_SOON.value]
    part = section(html, "Due in the next 60 days")
    assert part.startswith(f"<h2>Due in the next 60 days ({len(soon)})")
    for r in soon:
        assert escape(r["text"]) in part


def test_report_escapes_user_text(html):
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "by Ada &lt;admin&gt;" in html


def test_report_embeds_each_chart_as_svg(html):
    assert html.count("<svg") == CHARTS
    labels = re.findall(r'<svg role="img"[^>]* aria-label="([^"]+)">', html)
    assert labels == [
        "Outcomes by status",
        "Completion by region",
        "Completion by need",
        "Completion by region and need",
        "Progress against plan",
        escape("Days since each region's last update"),
    ]


def test_report_is_self_contained_and_printable(html):
    assert not re.search(r"\b(?:src|href|xlink:href|srcset|action)\s*=", html, re.IGNORECASE)
    for tag in ("<script", "<link", "<img", "<iframe", "<object", "<embed", "@import"):
        assert tag not in html.lower()
    refs = re.findall(r"url\(([^)]*)\)", html)
    assert refs and all(ref.startswith("#") for ref in refs)  # the heatmap legend's gradient
    assert "http://" not in html and "https://" not in html
    assert "@page" in html
    assert "display: table-header-group" in html
    assert "break-inside: avoid" in html
    assert "1-888-373-7888" in html and "233733" in html
    assert "<h1>State of Missouri and Metro East Anti-Trafficking Strategic Plan</h1>" in html
    header = html[html.index("<header>") : html.index("</header>")]
    assert "schedules computed as of" in header and "<strong>June 1, 2021</strong>" in header
    assert "the whole plan (no filters)" in header


def test_report_describes_and_applies_filter(recorded):
    flt = OutcomeFilter(regions=("southwest",), needs=("legal-services",))
    html = build(recorded, flt)

    assert "<strong>Filters:</strong> Region: Southwest; Need: Legal services" in html
    regions = re.findall(r'<th scope="row">([^<]+)</th>', section(html, "Completion by region"))
    assert regions == ["Southwest"]
    overdue = [r for r in annotated(recorded, flt) if r["schedule"] == Schedule.OVERDUE.value]
    part = section(html, "Overdue")
    assert part.count("<strong>Southwest</strong>") == len(overdue) > 0
    assert "<strong>State</strong>" not in part
    assert html.count("<svg") == CHARTS


def test_describe_filter_names_each_choice(engine):
    flt = OutcomeFilter(
        regions=("southwest", "atlantis"),  # an unknown id is shown as it is
        logic_models=("state-housing",),
        needs=("legal-services",),
        terms=("short", "long"),
        statuses=(Status.BLOCKED.value,),
        schedules=(Schedule.OVERDUE.value,),
        date_bases=("inferred",),
        search="  tele health ",
        flagged_only=True,
        outcome_ids=("a", "b"),
    )
    with Session(engine) as session:
        words = describe_filter(session, flt)
        models = {m["id"]: m["title"] for m in queries.logic_models(session)}
        assert describe_filter(session, OutcomeFilter(search="  ")) == ""

    assert words == (
        f"Region: Southwest, atlantis; Logic model: {models['state-housing']}; "
        "Need: Legal services; Term: Short term, Long term; Status: Blocked; Schedule: Overdue; "
        "Date basis: inferred; text “tele health”; flagged items only; 2 chosen outcomes"
    )


def test_report_leaves_out_retired_outcomes(engine):
    with Session(engine) as session:
        texts = [r["text"] for r in queries.outcome_rows(session)]
        retired = session.get(Outcome, SW_BLOCKED)
        assert texts.count(retired.text) == 1
        retired.retired = True
        session.add(retired)
        session.commit()
        text = retired.text

    html = build(engine)

    assert escape(text) not in html
    assert "of 247 outcomes" in html


def test_report_without_matching_outcomes(engine):
    html = build(engine, OutcomeFilter(search="zzzznotfound"))

    assert "No outcomes match these filters." in html
    assert "<strong>Filters:</strong> text “zzzznotfound”" in html
    assert "<svg" not in html
    assert "1-888-373-7888" in html


def test_report_without_history_still_shows_progress_against_plan(engine):
    html = build(engine)

    assert html.count("<svg") == CHARTS  # the burn-up's due lines need no history
    assert "By June 2021, 0 of 248 outcomes done; " in html


def test_chart_svg_fetches_nothing():
    chart = vl.Spec(
        data={"url": "https://example.com/data.json"},
        mark="point",
        encoding={"x": vl.channel("a:Q")},
    )
    with pytest.raises(ValueError, match="not allowed"):
        chart_svg(chart, label="remote", width=100)


def test_cli_report_writes_file(tmp_path, capsys):
    out = tmp_path / "report.html"

    assert main(["report", str(out), "--region", "southwest", "--need", "legal-services"]) == 0

    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Region: Southwest; Need: Legal services" in html
    assert html.count("<svg") == CHARTS  # the burn-up's due lines need no history
    assert f"Wrote the progress report to {out}" in capsys.readouterr().out


def test_cli_report_refuses_unknown_region(tmp_path, capsys):
    out = tmp_path / "report.html"

    assert main(["report", str(out), "--region", "atlantis"]) == 2

    assert not out.exists()
    err = capsys.readouterr().err
    assert "no region 'atlantis'" in err and "southwest" in err
