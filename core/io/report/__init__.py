"""The printable progress report: one self-contained HTML file for a leadership meeting
(summary, completion per region and need, overdue outcomes with their latest notes, the
Overview's charts).

Charts come from core.charts and are rendered to inline SVG by vl-convert, which bundles
its own Vega runtime: nothing is fetched (external data URLs are refused), and the file
refers to no network resource, so it opens and prints the same offline. All text from
the database is escaped.

`sections` builds each section, `page` the document shell, header, footer and CSS,
`svg` the embedded charts; this module puts them together.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from core.io.report.measures import measures_section
from core.io.report.page import CSS, HOTLINE_NUMBER, HOTLINE_TEXT, day, footer, header, page
from core.io.report.sections import (
    NOTE_LIMIT,
    activity_section,
    completion_section,
    heatmap_section,
    outcome_section,
    summary_section,
)
from core.io.report.since import since_html
from core.io.report.svg import BAR_WIDTH, WIDE_WIDTH, chart_svg
from core.measures import queries as measure_queries
from core.models import Status
from core.partners import queries as partners
from core.progress import activity, burnup, derived, queries
from core.progress.filters import OutcomeFilter, describe
from core.progress.schedule import Schedule

__all__ = [
    "BAR_WIDTH",
    "CSS",
    "HOTLINE_NUMBER",
    "HOTLINE_TEXT",
    "NOTE_LIMIT",
    "WIDE_WIDTH",
    "chart_svg",
    "describe_filter",
    "progress_report_html",
]


def progress_report_html(
    session: Session,
    *,
    today: date,
    flt: OutcomeFilter | None = None,
    generated_by: str | None = None,
    generated_at: datetime | None = None,
    members: bool = False,
    since: date | None = None,
) -> str:
    """The report for the outcomes `flt` selects (retired ones never count), with
    schedules computed as of `today`. Notes are those the reader may read
    (`core.progress.notes`): all of them for `members`, else only published ones.
    With `since`, a "Since <date>" section says what changed from then to `today`."""
    flt = dataclasses.replace(flt or OutcomeFilter(), today=today, include_retired=False)
    plan = queries.plan_info(session)
    title = plan.title if plan else "Strategic plan"
    total = queries.completion(session, flt)[0]
    scope = describe_filter(session, flt)
    head = header(
        title,
        today=today,
        scope=scope,
        generated_by=generated_by,
        generated_at=generated_at or datetime.now(UTC),
    )
    if total["total"] == 0:
        body = '<p class="empty">No outcomes match these filters.</p>'
        return page(title, today, head + body + footer(plan))

    soon = flt.soon_days
    rows = queries.outcome_rows(session, flt, members=members)
    summaries = derived.term_summaries(session, today, {r["strategy_id"] for r in rows})
    derived.annotate(rows, summaries, today, soon)
    overdue = sorted(
        (r for r in rows if r["schedule"] == Schedule.OVERDUE.value),
        key=lambda r: (r["region_position"], -r["days_overdue"]),
    )
    due_soon = sorted(
        (r for r in rows if r["schedule"] == Schedule.DUE_SOON.value),
        key=lambda r: (r["days_to_due"], r["region_position"]),
    )
    blocked = [r for r in rows if r["status"] == Status.BLOCKED.value]
    progress = burnup.burnup(session, flt, today=today)
    freshness = activity.region_freshness(session, today)
    if flt.regions:
        freshness = [f for f in freshness if f["region_id"] in flt.regions]

    body = "".join(
        [
            summary_section(
                "Summary for these filters" if scope else "Statewide summary",
                total,
                queries.status_counts(session, flt),
                queries.schedule_counts(session, today, soon, flt),
                soon,
            ),
            since_html(session, since=since, today=today, flt=flt, members=members),
            completion_section(
                "Completion by region",
                "Region",
                queries.completion(session, flt, by=("region",)),
                "region",
                overdue,
                blocked,
                caption="Done ÷ active outcomes of each region's logic model(s); "
                "State holds the two statewide models.",
            ),
            completion_section(
                "Completion by need",
                "Need",
                queries.completion(session, flt, by=("need",)),
                "need",
                overdue,
                blocked,
                caption="Done ÷ active outcomes of the strategies addressing each need.",
            ),
            heatmap_section(queries.completion(session, flt, by=("region", "need"))),
            outcome_section(
                f"Overdue ({len(overdue):,})",
                overdue,
                ("Days overdue", "days_overdue"),
                intro="Past their due date and neither done nor dropped; by region, "
                "most overdue first.",
                empty="Nothing is overdue for these filters.",
            ),
            outcome_section(
                f"Due in the next {soon} days ({len(due_soon):,})",
                due_soon,
                ("Days left", "days_to_due"),
                intro="Open outcomes due between today and "
                f"{day(today + timedelta(days=soon))}, soonest first.",
                empty=f"Nothing open is due in the next {soon} days for these filters.",
            ),
            measures_section(measure_queries.measures(session, flt, today=today)),
            activity_section(progress, freshness),
        ]
    )
    return page(title, today, head + body + footer(plan))


def describe_filter(session: Session, flt: OutcomeFilter) -> str:
    """The filter in words, as the sidebar names it ("" for the whole plan)."""
    return describe(
        flt,
        regions={r["id"]: r["name"] for r in queries.regions(session)},
        needs={n["id"]: n["label"] for n in queries.needs(session)},
        logic_models={m["id"]: m["title"] for m in queries.logic_models(session)},
        organisations=_organisation_names(session, flt),
    )


def _organisation_names(session: Session, flt: OutcomeFilter) -> dict[str, str]:
    if not flt.organisations:
        return {}
    orgs = partners.organisations(session)
    return dict(zip(orgs["organisation_id"], orgs["organisation"], strict=True))
