"""The printable progress report: one self-contained HTML file for a leadership meeting
(summary, completion per region and need, overdue outcomes with their latest notes, the
Overview's charts).

Charts come from core.charts and are rendered to inline SVG by vl-convert, which bundles
its own Vega runtime: nothing is fetched (external data URLs are refused), and the file
refers to no network resource, so it opens and prints the same offline. All text from
the database is escaped.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc
from sqlmodel import Session

from core import charts
from core.models import Plan, Status, Term
from core.progress import derived, queries
from core.progress.filters import OutcomeFilter
from core.progress.schedule import Schedule

HOTLINE_NUMBER = "1-888-373-7888"
HOTLINE_TEXT = "233733"
NOTE_LIMIT = 600  # characters of a latest note printed; the tracker keeps the whole note
# Plot widths in CSS px. A4 and Letter portrait with these margins leave about 680 px;
# each SVG also scales down to the page (max-width: 100%).
BAR_WIDTH = 380
WIDE_WIDTH = 600
_NAMESPACE = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')  # inline <svg> in HTML needs none


def progress_report_html(
    session: Session,
    *,
    today: date,
    flt: OutcomeFilter | None = None,
    generated_by: str | None = None,
    generated_at: datetime | None = None,
) -> str:
    """The report for the outcomes `flt` selects (retired ones never count), with
    schedules computed as of `today`."""
    flt = dataclasses.replace(flt or OutcomeFilter(), today=today, include_retired=False)
    plan = queries.plan_info(session)
    title = plan.title if plan else "Strategic plan"
    total = queries.completion(session, flt)[0]
    scope = describe_filter(session, flt)
    head = _header(
        title,
        today=today,
        scope=scope,
        generated_by=generated_by,
        generated_at=generated_at or datetime.now(UTC),
    )
    if total["total"] == 0:
        body = '<p class="empty">No outcomes match these filters.</p>'
        return _page(title, today, head + body + _footer(plan))

    soon = flt.soon_days
    rows = queries.outcome_rows(session, flt)
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
    history = queries.history(session, flt)
    freshness = queries.region_freshness(session, today)
    if flt.regions:
        freshness = [f for f in freshness if f["region_id"] in flt.regions]

    body = "".join(
        [
            _summary(
                "Summary for these filters" if scope else "Statewide summary",
                total,
                queries.status_counts(session, flt),
                queries.schedule_counts(session, today, soon, flt),
                soon,
            ),
            _completion_section(
                "Completion by region",
                "Region",
                queries.completion(session, flt, by=("region",)),
                "region",
                overdue,
                blocked,
                caption="Done ÷ active outcomes of each region's logic model(s); "
                "State holds the two statewide models.",
            ),
            _completion_section(
                "Completion by need",
                "Need",
                queries.completion(session, flt, by=("need",)),
                "need",
                overdue,
                blocked,
                caption="Done ÷ active outcomes of the strategies addressing each need.",
            ),
            _heatmap_section(queries.completion(session, flt, by=("region", "need"))),
            _outcome_section(
                f"Overdue ({len(overdue):,})",
                overdue,
                ("Days overdue", "days_overdue"),
                intro="Past their due date and neither done nor dropped; by region, "
                "most overdue first.",
                empty="Nothing is overdue for these filters.",
            ),
            _outcome_section(
                f"Due in the next {soon} days ({len(due_soon):,})",
                due_soon,
                ("Days left", "days_to_due"),
                intro="Open outcomes due between today and "
                f"{_day(today + timedelta(days=soon))}, soonest first.",
                empty=f"Nothing open is due in the next {soon} days for these filters.",
            ),
            _activity_section(history, freshness, today),
        ]
    )
    return _page(title, today, head + body + _footer(plan))


def describe_filter(session: Session, flt: OutcomeFilter) -> str:
    """The filter in words, as the sidebar names it ("" for the whole plan)."""
    regions = {r["id"]: r["name"] for r in queries.regions(session)}
    needs = {n["id"]: n["label"] for n in queries.needs(session)}
    models = {m["id"]: m["title"] for m in queries.logic_models(session)}
    terms = {t.value: t.label for t in Term}
    parts = [
        f"{label}: {', '.join(names.get(v, v) for v in values)}"
        for label, values, names in (
            ("Region", flt.regions, regions),
            ("Logic model", flt.logic_models, models),
            ("Need", flt.needs, needs),
            ("Term", flt.terms, terms),
            ("Status", flt.statuses, {}),
            ("Schedule", flt.schedules, {}),
            ("Date basis", flt.date_bases, {}),
        )
        if values
    ]
    if flt.search.strip():
        parts.append(f"text “{flt.search.strip()}”")
    if flt.flagged_only:
        parts.append("flagged items only")
    if flt.outcome_ids:
        parts.append(f"{len(flt.outcome_ids):,} chosen outcomes")
    return "; ".join(parts)


def chart_svg(chart: alt.TopLevelMixin, *, label: str, width: int) -> str:
    """`chart` as an inline <svg> element `width` px wide (plot area), labelled for
    screen readers. vl-convert may not load data from any URL."""
    # The builders' specs are validated by their own tests; skipping Altair's schema
    # check here saves about 20 ms a chart.
    spec = {**chart.to_dict(validate=False), "width": width}
    svg = vlc.vegalite_to_svg(spec, vl_version=_vl_version(), allowed_base_urls=[])
    root, rest = svg.split(">", 1)  # the namespaces are on the root tag
    root = _NAMESPACE.sub("", root).replace("<svg", '<svg role="img"', 1)
    return f'{root} aria-label="{escape(label)}">{rest}'


@functools.cache
def _vl_version() -> str | None:
    """The Vega-Lite version Altair writes, if vl-convert bundles it (else its latest)."""
    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vlc.get_vegalite_versions() else None


def _header(
    title: str, *, today: date, scope: str, generated_by: str | None, generated_at: datetime
) -> str:
    when = generated_at.astimezone(UTC)
    by = f" by {escape(generated_by)}" if generated_by else ""
    scope_text = (
        f"<strong>Filters:</strong> {escape(scope)}"
        if scope
        else "<strong>Scope:</strong> the whole plan (no filters)"
    )
    return f"""<header>
<p class="kicker">Progress report</p>
<h1>{escape(title)}</h1>
<p class="meta">Generated {_day(when)}, {when:%H:%M} UTC{by} · schedules computed as of
<strong>{_day(today)}</strong></p>
<p class="scope">{scope_text}</p>
<p class="screen-only hint">To print or save as PDF, use your browser's Print command
(Ctrl+P, or ⌘P on a Mac).</p>
</header>
"""


def _summary(
    title: str, total: dict, status: dict[str, int], counts: dict[str, int], soon: int
) -> str:
    done, active, dropped = total["done"], total["active"], total["dropped"]
    figures = [
        ("Completion", _rate(total["rate"]), f"{done:,} done ÷ {active:,} active"),
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
    chart = _figure(
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


def _completion_section(
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
        f'<td class="num rate">{escape(_rate(row["rate"]))}</td>'
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
{_figure(chart, title, BAR_WIDTH, caption + " Active = all but dropped.")}
</section>
"""


def _heatmap_section(rows: list[dict[str, Any]]) -> str:
    chart = _figure(
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


def _outcome_section(
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
    return f"""<section>
<h2>{escape(title)}</h2>
<p class="explain">{escape(intro)} The latest note is that of the outcome's latest status
update (— when none has been recorded yet).</p>
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


def _outcome_row(r: dict[str, Any], days: int) -> str:
    term = charts.TERM_LETTERS.get(r["term"], "?") + (r["number"] or "")
    due = f'<span class="day">{_short_day(r["due_date"])}</span>'
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


def _activity_section(
    history: list[dict[str, Any]], freshness: list[dict[str, Any]], today: date
) -> str:
    if history:
        over_time = _figure(
            charts.completions_over_time(pd.DataFrame(history), today),
            "Completions over time",
            WIDE_WIDTH,
            "Outcomes marked Done, net of undos and reopenings, week by week.",
        )
    else:
        over_time = '<p class="empty">No status updates recorded yet.</p>'
    fresh = _figure(
        charts.freshness(pd.DataFrame(freshness, columns=["region", "days_since_update"])),
        "Days since each region's last update",
        BAR_WIDTH,
        "Days since each region's last status update, on any of its outcomes.",
    )
    return f"""<section>
<h2>Activity</h2>
<h3>Completions over time</h3>
{over_time}
<h3>Freshness</h3>
{fresh}
</section>
"""


def _footer(plan: Plan | None) -> str:
    title = escape(plan.title) if plan else "the strategic plan"
    authors = escape(plan.authors) if plan else ""
    published = f", {plan.published}" if plan else ""
    return f"""<footer>
<p class="hotline">Need help or want to report a situation? National Human Trafficking Hotline:
call {HOTLINE_NUMBER} or text {HOTLINE_TEXT} (24/7, confidential, 200+ languages). In an
emergency, call 911.</p>
<p>Every outcome here is shared work by survivors, service providers and community partners
across Missouri and the Metro East, building safety, stability and justice together.</p>
<p class="source">Source: <em>{title}</em> ({authors}{published}). Its timelines are
guidance, to be moved to each community's start date; its logic models are living
documents.</p>
</footer>
"""


def _figure(chart: alt.TopLevelMixin, label: str, width: int, caption: str) -> str:
    return (
        f"<figure>{chart_svg(chart, label=label, width=width)}"
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def _note(r: dict[str, Any]) -> str:
    when = r.get("last_updated")
    if when is None:
        return '<span class="muted">—</span>'
    note = (r.get("last_note") or "").strip()
    if len(note) > NOTE_LIMIT:
        note = note[: NOTE_LIMIT - 1].rstrip() + "… (full note in the tracker)"
    who = f"{escape(r['last_updated_by'])}, " if r.get("last_updated_by") else ""
    stamp = f'<span class="sub">{who}{_short_day(when)}</span>'
    if not note:
        return f'<span class="muted">No note</span>{stamp}'
    return f'<span class="note">{escape(note)}</span>{stamp}'


def _chip(status: str) -> str:
    fill = charts.STATUS_COLORS.get(status, "#999999")
    stroke = charts.STATUS_STROKES.get(status, fill)
    return f'<span class="chip" style="background:{fill};border-color:{stroke}"></span>'


def _rate(rate: float | None) -> str:
    if rate is None or pd.isna(rate):
        return "—"
    return "<1%" if 0 < rate < 0.01 else f"{rate:.0%}"


def _share(count: int, total: int) -> str:
    return _rate(count / total) if total else "—"


def _day(d: date) -> str:
    return f"{d:%B} {d.day}, {d.year}"


def _short_day(d: date) -> str:
    return f"{d:%b} {d.day}, {d.year}"


def _page(title: str, today: date, content: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Progress report · {escape(title)} · {today.isoformat()}</title>
<style>{CSS}</style>
</head>
<body>
{content}
</body>
</html>
"""


CSS = """
@page { margin: 14mm 13mm 16mm; }
@page {
  @bottom-right { content: "Page " counter(page) " of " counter(pages);
                  font: 8pt system-ui, sans-serif; color: #5f6368; }
}
:root { --ink: #1f2328; --muted: #5f6368; --rule: #d0d7de; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Liberation Sans", sans-serif;
  color: var(--ink); font-size: 10pt; line-height: 1.4;
  max-width: 190mm; margin: 0 auto; padding: 10mm 8mm;
}
@media print {
  body { max-width: none; padding: 0; }
  .screen-only { display: none; }
}
header { border-bottom: 2pt solid var(--ink); padding-bottom: 3mm; margin-bottom: 4mm; }
.kicker { text-transform: uppercase; letter-spacing: 0.08em; font-size: 8.5pt;
          color: var(--muted); margin: 0; }
h1 { font-size: 17pt; line-height: 1.2; margin: 1mm 0 2mm; }
h2 { font-size: 13pt; margin: 7mm 0 2.5mm; padding-bottom: 1mm;
     border-bottom: 0.75pt solid var(--ink); break-after: avoid; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; break-after: avoid; page-break-after: avoid; }
header p { margin: 0.8mm 0; }
.hint { color: var(--muted); font-size: 9pt; }
.explain { font-size: 9pt; color: var(--muted); margin: 1mm 0 3mm; }
.empty { font-style: italic; color: var(--muted); }
.stats { display: grid; grid-template-columns: repeat(5, 1fr); gap: 2.5mm; margin: 2mm 0; }
.stat { border: 0.75pt solid var(--rule); border-radius: 1.5mm; padding: 2mm 2.5mm;
        break-inside: avoid; }
.stat .label { font-size: 8.5pt; color: var(--muted); }
.stat .value { font-size: 18pt; font-weight: 700; line-height: 1.2; }
.stat .sub { font-size: 7.5pt; color: var(--muted); }
.split { display: grid; grid-template-columns: 2fr 3fr; gap: 6mm; align-items: start; }
.keep, figure, tr, .stats, table.compact { break-inside: avoid; page-break-inside: avoid; }
table { width: 100%; border-collapse: collapse; font-size: 9pt; }
thead { display: table-header-group; }
th, td { text-align: left; vertical-align: top; padding: 1mm 1.5mm;
         border-bottom: 0.5pt solid var(--rule); }
thead th { border-bottom: 1pt solid var(--ink); font-weight: 600; vertical-align: bottom; }
tbody th { font-weight: 500; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.rate { font-weight: 700; }
table.outcomes { table-layout: fixed; font-size: 8pt; line-height: 1.3; }
table.outcomes td { overflow-wrap: anywhere; }
col.c-where { width: 22%; } col.c-text { width: 31%; } col.c-due { width: 11%; }
col.c-days { width: 8%; } col.c-status { width: 10%; } col.c-note { width: 18%; }
thead th.num { white-space: normal; }
.day { white-space: nowrap; }
.sub { display: block; color: var(--muted); font-size: 7.5pt; }
.muted { color: var(--muted); font-style: italic; }
.note { white-space: pre-line; }
.term { font-weight: 700; }
.chip { display: inline-block; width: 0.75em; height: 0.75em; margin-right: 0.35em;
        border: 1px solid; border-radius: 2px; vertical-align: -0.05em; }
figure { margin: 3mm 0 2mm; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 8.5pt; color: var(--muted); margin-top: 1mm; }
footer { margin-top: 8mm; padding-top: 3mm; border-top: 1pt solid var(--ink);
         font-size: 9pt; break-inside: avoid; page-break-inside: avoid; }
footer p { margin: 1mm 0; }
.hotline { font-weight: 600; }
.source { color: var(--muted); }
"""
