"""The printed report's "Since <date>" section, when the report is asked for a
since-date: the summary line, the counts per region, and a table per kind of change
(done, blocked with reasons, slipped with reasons and days moved, comments, values
recorded). Takes core.progress.since's changes, already guarded for the reader;
returns escaped HTML."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from html import escape
from typing import Any

from sqlmodel import Session

from core.io.report.page import day, short_day
from core.progress.filters import OutcomeFilter
from core.progress.notes import MEMBERS_ONLY
from core.progress.since import SinceChanges, changes_since


def since_section(found: SinceChanges) -> str:
    """The section, or a line saying that nothing changed."""
    title = f"Since {day(found.since)}"
    if found.empty:
        return (
            f'<section><h2>{escape(title)}</h2><p class="empty">Nothing changed since '
            f"{escape(day(found.since))} for these filters.</p></section>"
        )
    tables = "".join(
        _table(heading, rows, columns, cells)
        for heading, rows, columns, cells in (
            ("Newly done", found.done, ("Done on", "By"), _done),
            ("Newly blocked", found.blocked, ("Blocked on", "Reason"), _blocked),
            ("Slipped or re-dated", found.slipped, ("Moved", "Reason"), _slipped),
            ("Comments", found.comments, ("Comments", "Text"), _comments),
        )
        if rows
    )
    return f"""<section>
<h2>{escape(title)}</h2>
<p class="explain"><strong>{escape(found.summary())}.</strong> Changes recorded from
{escape(day(found.since))} to {escape(day(found.today))}; undone updates and removed
comments are left out.</p>
{_regions(found)}
{tables}
{_values(found.values)}
</section>
"""


def _regions(found: SinceChanges) -> str:
    rows = found.regions()
    if len(rows) < 2:
        return ""
    keys = ("done", "blocked", "slipped", "comments", "values")
    body = "".join(
        f'<tr><th scope="row">{escape(r["region"])}</th>'
        + "".join(f'<td class="num">{r["counts"][k]:,}</td>' for k in keys)
        + "</tr>"
        for r in rows
    )
    heads = "".join(
        f'<th scope="col" class="num">{h}</th>'
        for h in ("Done", "Blocked", "Slipped", "Comments", "Values")
    )
    return f"""<table class="compact">
<thead><tr><th scope="col">Region</th>{heads}</tr></thead>
<tbody>{body}</tbody>
</table>
"""


def _table(
    heading: str,
    rows: list[dict[str, Any]],
    columns: tuple[str, str],
    cells: Callable[[dict[str, Any]], tuple[str, str]],
) -> str:
    body = "".join(
        f'<tr><td><span class="sub"><strong>{escape(r["region"])}</strong></span>'
        f"{escape(r['strategy'])}</td><td>{escape(r['text'])}</td>"
        + "".join(f"<td>{c}</td>" for c in cells(r))
        + "</tr>"
        for r in rows
    )
    return f"""<h3>{escape(heading)} ({len(rows):,})</h3>
<table class="outcomes">
<thead><tr><th scope="col">Region · strategy</th><th scope="col">Outcome</th>
<th scope="col">{escape(columns[0])}</th><th scope="col">{escape(columns[1])}</th></tr></thead>
<tbody>{body}</tbody>
</table>
"""


def _done(r: dict[str, Any]) -> tuple[str, str]:
    now = f'<span class="sub">now {escape(r["status"])}</span>' if r["status"] != "Done" else ""
    return f'<span class="day">{short_day(r["changed_at"])}</span>{now}', escape(r["changed_by"])


def _blocked(r: dict[str, Any]) -> tuple[str, str]:
    when = f'<span class="day">{short_day(r["changed_at"])}</span>'
    if r["note_hidden"]:
        return when, f'<span class="muted">{escape(MEMBERS_ONLY.capitalize())}</span>'
    return when, f'<span class="note">{escape(r["note"] or "No reason given")}</span>'


def _slipped(r: dict[str, Any]) -> tuple[str, str]:
    days = r["days"]
    moved = f"{days:,} days later" if days > 0 else f"{-days:,} days earlier"
    dates = ""
    if r["due_before"] and r["due_after"]:
        dates = f"{short_day(r['due_before'])} → {short_day(r['due_after'])}"
    cell = f"{escape(r['action'])}, {escape(moved)}<span class='sub'>{escape(dates)}</span>"
    return cell, f'<span class="note">{escape(r["reason"])}</span>'


def _comments(r: dict[str, Any]) -> tuple[str, str]:
    texts = "".join(
        f'<span class="note">{escape(c["body"])}</span>'
        f'<span class="sub">{escape(c["author"])}, {short_day(c["at"])}</span>'
        for c in r["shown"]
    )
    hidden = r["count"] - len(r["shown"])
    if hidden:
        texts += f'<span class="muted">{hidden:,} for members only</span>'
    return f'<span class="num">{r["count"]:,}</span>', texts


def _values(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    body = "".join(
        f'<tr><td><span class="sub"><strong>{escape(r["region"])}</strong></span>'
        f"{escape(r['measure'])}</td>"
        f'<td class="num">{r["value"]:g} {escape(r["unit"])}</td>'
        f'<td><span class="day">{short_day(r["as_of"])}</span></td>'
        f"<td>{escape(r['recorded_by'])}</td></tr>"
        for r in rows
    )
    return f"""<h3>Values recorded ({len(rows):,})</h3>
<table class="outcomes">
<thead><tr><th scope="col">Region · measure</th><th scope="col" class="num">Value</th>
<th scope="col">As of</th><th scope="col">Recorded by</th></tr></thead>
<tbody>{body}</tbody>
</table>
"""


def since_html(
    session: Session, *, since: date | None, today: date, flt: OutcomeFilter, members: bool
) -> str:
    """The section for a report asked for a since-date; "" for one that was not."""
    if since is None:
        return ""
    return since_section(changes_since(session, since=since, today=today, flt=flt, members=members))
