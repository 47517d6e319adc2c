"""The printed report's measures section (core/io/report/measures.py): every measure
the filters select with baseline, target as written, latest value and computed
state, grouped by RBA category, on both backends."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session

from core.io.report import progress_report_html
from core.io.report.measures import measures_section
from core.measures import queries
from core.measures.values import record_value
from core.models import Measure, Role
from core.people.permissions import Actor
from core.progress.filters import OutcomeFilter
from core.store.db import write_session

TODAY = date(2026, 12, 1)
ADMIN = Actor(user_id=1, username="ada", display_name="Ada", role=Role.ADMIN)
STAKEHOLDERS = "st-louis.adult-shelter.short.1.stakeholders"  # range 3-5
STL_SURVIVORS = "st-louis.survivors-served"  # baseline 57, no target


def report(engine: Engine, flt: OutcomeFilter | None = None) -> str:
    with Session(engine) as session:
        return progress_report_html(session, today=TODAY, flt=flt, members=False)


def section(html: str) -> str:
    start = html.index("<h2>Measures")
    return html[start : html.index("</section>", start)]


def row_of(html: str, name: str) -> list[str]:
    start = html.index(name)
    row = html[html.rindex("<tr>", 0, start) : html.index("</tr>", start)]
    return [re.sub(r"<[^>]+>", "|", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]


def name_of(engine: Engine, measure_id: str) -> str:
    with Session(engine) as session:
        measure = session.get(Measure, measure_id)
        assert measure is not None
        return measure.name


def test_report_has_every_measure_grouped_by_rba_category(engine):
    with write_session(engine) as s:
        record_value(
            session=s,
            actor=ADMIN,
            measure_id=STAKEHOLDERS,
            value=4,
            as_of=date(2026, 11, 30),
            today=TODAY,
        )
    html = section(report(engine))
    with Session(engine) as session:
        expected = queries.measures(session, OutcomeFilter(), today=TODAY)
    assert html.startswith(f"<h2>Measures ({len(expected)})</h2>")
    assert html.index("<h3>How much did we do?</h3>") < html.index("<h3>How well did we do it?")
    assert html.count("<tr><td>") == len(expected)
    cells = row_of(html, name_of(engine, STAKEHOLDERS))
    assert cells[0] == "||St. Louis| · outcome|" + name_of(engine, STAKEHOLDERS)
    assert cells[1].startswith("3–5")
    assert "“Identify 3-5 key stakeholders" in cells[1].replace("&quot;", '"')
    assert cells[3:] == ["4 stakeholders", "|Nov 30, 2026|", "✓ on track"]


def test_report_measure_shows_its_baseline_and_no_target(engine):
    html = section(report(engine))
    cells = row_of(html, name_of(engine, STL_SURVIVORS))
    assert cells[1] == "no target|" + cells[1].split("|", 1)[1]
    assert cells[2].startswith("57")
    assert cells[3:] == ["—", "|—|", "– no target"]


def test_report_measures_follow_the_filters(engine):
    html = section(report(engine, OutcomeFilter(regions=("kansas-city",))))
    assert "Kansas City" in html and "St. Louis" not in html
    html = section(report(engine, OutcomeFilter(terms=("long",), regions=("st-louis",))))
    assert "No measures match these filters." in html


def test_report_measures_section_escapes_measure_text(engine):
    with write_session(engine) as s:
        measure = s.get(Measure, STAKEHOLDERS)
        assert measure is not None
        measure.name = "<script>alert(1)</script> & co"
    with Session(engine) as session:
        html = measures_section(queries.measures(session, OutcomeFilter(), today=TODAY))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
