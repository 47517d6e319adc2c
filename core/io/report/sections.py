"""The printed report's sections: the summary, completion per region and per need, the
region × need heatmap, overdue and due-soon outcomes with their latest status update
notes, and recent activity. Each builder takes rows from core.progress.queries and
returns escaped HTML."""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Any

import pandas as pd

from core import charts
from core.io.report.page import short_day
from core.io.report.svg import BAR_WIDTH, WIDE_WIDTH, figure
from core.progress.notes import MEMBERS_ONLY
from core.progress.rates import rate_text

NOTE_LIMIT = 600  # characters of a latest note printed; the tracker keeps the whole note


# The headline figures (completion, done, overdue, due soon, blocked) and outcomes per status.
def summary_section(
    title: str, total: dict, status: dict[str, int], counts: dict[str, int], soon: int
) -> str:
    done, active, dropped = total["done"], total["active"], total["dropped"]
    figures = [
        ("Completion", rate_text(total["rate"]), f"{done:,} done ÷ {active:,} active"),
        ("Done", f"{done:,}", f"of {total['total']:,} outcomes"),
        ("Overdue", f"{counts['overdue']:,}", "past due, not done or dropped"),
        (f"Due in {soon} days", f"{counts['due_soon']:,}", "open, due soon"),
        ("Blocked", f"{counts['blocked']:,}", "need help to move forward"),
    ]
    cards = "".join(
        f'<div class="stat"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div><div class="sub">{escape(sub)}</div></div>'
        for label, value, sub in figures
    )
    n = sum(status.values())
    status_rows = "".join(
        f'<tr><th scope="row">{_chip(s)}{escape(s)}</th><td class="num">{status.get(s, 0):,}</td>'
        f'<td class="num">{escape(_share(status.get(s, 0), n))}</td></tr>'
        for s in charts.STATUS_ORDER
    )
    chart = figure(
        charts.status_bar(pd.DataFrame({"status": list(status), "count": list(status.values())})),
        "Outcomes by status",
        BAR_WIDTH - 80,
        "Outcomes by their latest recorded status.",
    )
    return f"""<section>
<h2>{escape(title)}</h2>
<div class="stats">{cards}</div>
<p class="explain"><strong>Completion</strong> is done outcomes ÷ active outcomes
({dropped:,} dropped {"is" if dropped == 1 else "are"} left out). <strong>Overdue</strong>
and <strong>due soon</strong> are computed from each outcome's due date; dates the report
did not give in full are estimated and marked as such below.</p>
<div class="split keep">
<table class="compact">
<thead><tr><th scope="col">Status</th><th scope="col" class="num">Outcomes</th>
<th scope="col" class="num">Share</th></tr></thead>
<tbody>{status_rows}</tbody>
</table>
{chart}
</div>
</section>
"""


# Completion per region or need, with its overdue and blocked outcomes, as a table and a chart.
def completion_section(
    title: str,
    dim_label: str,
    rows: list[dict[str, Any]],
    dim: str,
    overdue: list[dict[str, Any]],
    blocked: list[dict[str, Any]],
    *,
    caption: str,
) -> str:
    key = f"{dim}_id"
    late = Counter(r[key] for r in overdue)
    stuck = Counter(r[key] for r in blocked)
    body = "".join(
        f'<tr><th scope="row">{escape(row[dim])}</th>'
        f'<td class="num">{row["total"]:,}</td><td class="num">{row["done"]:,}</td>'
        f'<td class="num">{row["active"]:,}</td>'
        f'<td class="num rate">{escape(rate_text(row["rate"]))}</td>'
        f'<td class="num">{late[row[key]]:,}</td><td class="num">{stuck[row[key]]:,}</td></tr>'
        for row in rows
    )
    chart = charts.completion_by(pd.DataFrame(rows).rename(columns={dim: "label"}), dim_label)
    return f"""<section>
<h2>{escape(title)}</h2>
<table class="compact">
<thead><tr><th scope="col">{escape(dim_label)}</th><th scope="col" class="num">Outcomes</th>
<th scope="col" class="num">Done</th><th scope="col" class="num">Active</th>
<th scope="col" class="num">Completion</th><th scope="col" class="num">Overdue</th>
<th scope="col" class="num">Blocked</th></tr></thead>
<tbody>{body}</tbody>
</table>
{figure(chart, title, BAR_WIDTH, caption + " Active = all but dropped.")}
</section>
"""


# Completion of each region's strategies per need, as a heatmap.
def heatmap_section(rows: list[dict[str, Any]]) -> str:
    chart = figure(
        charts.heatmap(pd.DataFrame(rows)),
        "Completion by region and need",
        WIDE_WIDTH,
        "Completion of each region's strategies per need (n = active outcomes); an empty "
        "cell means the region has no strategy for that need.",
    )
    return f"""<section>
<h2>Region × need</h2>
{chart}
</section>
"""


def outcome_section(
    title: str,
    rows: list[dict[str, Any]],
    days: tuple[str, str],
    *,
    intro: str,
    empty: str,
) -> str:
    """A table of outcomes; `days` is the (heading, row key) of its day-count column."""
    if not rows:
        return f'<section><h2>{escape(title)}</h2><p class="empty">{escape(empty)}</p></section>'
    days_head, days_key = escape(days[0]), days[1]
    body = "".join(_outcome_row(r, r[days_key]) for r in rows)
    private = (
        f" “{MEMBERS_ONLY.capitalize()}”: only signed-in members may read that note."
        if any(r.get("last_note_hidden") for r in rows)
        else ""
    )
    return f"""<section>
<h2>{escape(title)}</h2>
<p class="explain">{escape(intro)} The latest note is that of the outcome's latest status
update (— when none has been recorded yet).{escape(private)}</p>
<table class="outcomes">
<colgroup><col class="c-where"><col class="c-text"><col class="c-due"><col class="c-days">
<col class="c-status"><col class="c-note"></colgroup>
<thead><tr><th scope="col">Region · logic model / strategy</th><th scope="col">Outcome</th>
<th scope="col">Due</th><th scope="col" class="num">{days_head}</th><th scope="col">Status</th>
<th scope="col">Latest note</th></tr></thead>
<tbody>{body}</tbody>
</table>
</section>
"""


# One outcome as a table row: where it sits, its text, due date, status and latest note.
def _outcome_row(r: dict[str, Any], days: int) -> str:
    term = charts.TERM_LETTERS.get(r["term"], "?") + (r["number"] or "")
    due = f'<span class="day">{short_day(r["due_date"])}</span>'
    if r["date_basis"] in charts.ESTIMATED_BASES:
        written = r["date_as_written"] or "no date"
        due += f'<span class="sub">{escape(r["date_basis"])}; report: {escape(written)}</span>'
    upstream = '<span class="sub">upstream late</span>' if r.get("upstream_late") else ""
    return (
        f'<tr><td><span class="sub"><strong>{escape(r["region"])}</strong> · '
        f"{escape(r['logic_model'])}</span>{escape(r['strategy'])}</td>"
        f'<td><span class="term">{escape(term)}</span> {escape(r["text"])}</td>'
        f'<td>{due}</td><td class="num">{days:,}</td>'
        f"<td>{_chip(r['status'])}{escape(r['status'])}{upstream}</td>"
        f"<td>{_note(r)}</td></tr>"
    )


# Progress against plan over time (the burn-up), and each region's freshness.
def activity_section(progress: pd.DataFrame, freshness: list[dict[str, Any]]) -> str:
    burnup = charts.burnup_chart(progress)
    over_time = figure(
        burnup,
        "Progress against plan",
        WIDE_WIDTH,
        f"{burnup.description} Outcomes done (from the status history) against outcomes "
        "due, month by month, on current due dates and, dashed, on the report's dates. "
        "Dropped outcomes are not due.",
    )
    fresh = figure(
        charts.freshness(pd.DataFrame(freshness, columns=["region", "days_since_update"])),
        "Days since each region's last update",
        BAR_WIDTH,
        "Days since each region's last status update, on any of its outcomes.",
    )
    return f"""<section>
<h2>Activity</h2>
<h3>Progress against plan</h3>
{over_time}
<h3>Freshness</h3>
{fresh}
</section>
"""


# The latest status update's note (shortened past NOTE_LIMIT), with who and when.
def _note(r: dict[str, Any]) -> str:
    when = r.get("last_status_update", r.get("last_updated"))  # not a later comment's time
    if when is None:
        return '<span class="muted">—</span>'
    note = (r.get("last_note") or "").strip()
    if len(note) > NOTE_LIMIT:
        note = note[: NOTE_LIMIT - 1].rstrip() + "… (full note in the tracker)"
    who = f"{escape(r['last_updated_by'])}, " if r.get("last_updated_by") else ""
    stamp = f'<span class="sub">{who}{short_day(when)}</span>'
    if r.get("last_note_hidden"):
        return f'<span class="muted">{escape(MEMBERS_ONLY.capitalize())}</span>{stamp}'
    if not note:
        return f'<span class="muted">No note</span>{stamp}'
    return f'<span class="note">{escape(note)}</span>{stamp}'


# A small square in the status colour, before the status name.
def _chip(status: str) -> str:
    fill = charts.STATUS_COLORS.get(status, "#999999")
    stroke = charts.STATUS_STROKES.get(status, fill)
    return f'<span class="chip" style="background:{fill};border-color:{stroke}"></span>'


# A count as a share of the total, in the same words as a completion rate.
def _share(count: int, total: int) -> str:
    return rate_text(count / total) if total else "—"
