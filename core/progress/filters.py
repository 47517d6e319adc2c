"""What a view asks for (region, need, term, status, schedule, text, organisation), as SQL."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select

from core.models import (
    Flag,
    LogicModel,
    Need,
    Organisation,
    Outcome,
    Region,
    Strategy,
    StrategyOrganisation,
)
from core.progress.schedule import Schedule, schedules_sql

# A search finds outcomes holding every word. Beyond a dozen words it is a pasted
# sentence that finds nothing, and each word adds three LIKEs to the query (SQLite
# refuses a 1,000-word one: "Expression tree is too large").
SEARCH_MAX_WORDS = 12
SEARCH_MAX_CHARS = 200


def bounded_search(text: str) -> tuple[str, bool]:
    """The search as it is run: its first SEARCH_MAX_WORDS words, at most
    SEARCH_MAX_CHARS characters in all (NUL counts as a space: PostgreSQL refuses it);
    and whether `text` was shortened to it."""
    words = text.replace("\x00", " ").split()
    kept = " ".join(words[:SEARCH_MAX_WORDS])[:SEARCH_MAX_CHARS].strip()
    return kept, kept != " ".join(words)


def search_shortened_message(text: str) -> str | None:
    """What a view says when it searched less than `text`, or None."""
    if not bounded_search(text)[1]:
        return None
    return (
        f"Only the first {SEARCH_MAX_WORDS} words (at most {SEARCH_MAX_CHARS} characters) "
        "of the search are used: an outcome must hold every word, so a shorter search "
        "finds more."
    )


@dataclass(frozen=True)
class OutcomeFilter:
    """What a view asks for; empty tuples mean 'all'."""

    regions: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    date_bases: tuple[str, ...] = ()
    flagged_only: bool = False
    search: str = ""
    logic_models: tuple[str, ...] = ()
    outcome_ids: tuple[str, ...] = ()
    include_retired: bool = False
    schedules: tuple[str, ...] = ()  # Schedule values; need `today`
    today: date | None = None
    soon_days: int = 60
    order: str = "plan"  # "plan": the report's order; "due": earliest due date first
    limit: int | None = None  # at most this many rows (views of very large plans)
    organisations: tuple[str, ...] = ()  # strategies naming these organisations

    def conditions(self) -> list[Any]:
        cond: list[Any] = []
        if not self.include_retired:
            cond += [
                col(Outcome.retired).is_(False),
                col(Strategy.retired).is_(False),
                col(LogicModel.retired).is_(False),
            ]
        if self.outcome_ids:
            cond.append(col(Outcome.id).in_(self.outcome_ids))
        if self.regions:
            cond.append(col(LogicModel.region_id).in_(self.regions))
        if self.needs:
            cond.append(col(Strategy.need_id).in_(self.needs))
        if self.terms:
            cond.append(col(Outcome.term).in_(self.terms))
        if self.statuses:
            cond.append(col(Outcome.status).in_(self.statuses))
        if self.date_bases:
            cond.append(col(Outcome.date_basis).in_(self.date_bases))
        if self.organisations:
            cond.append(col(Outcome.strategy_id).in_(organisation_strategy_ids(self.organisations)))
        if self.logic_models:
            cond.append(
                col(Outcome.strategy_id).in_(
                    select(Strategy.id).where(col(Strategy.logic_model_id).in_(self.logic_models))
                )
            )
        if self.flagged_only:
            cond.append(
                or_(
                    col(Outcome.date_flag).is_not(None),
                    col(Outcome.id).in_(
                        select(Flag.subject_id).where(Flag.subject_kind == "outcome")
                    ),
                    col(Outcome.strategy_id).in_(
                        select(Flag.subject_id).where(Flag.subject_kind == "strategy")
                    ),
                    col(Outcome.strategy_id).in_(
                        select(Strategy.id).where(
                            col(Strategy.logic_model_id).in_(
                                select(Flag.subject_id).where(Flag.subject_kind == "logic_model")
                            )
                        )
                    ),
                )
            )
        if self.schedules:
            chosen = frozenset(Schedule(v) for v in self.schedules)
            cond.append(schedules_sql(chosen, self.today or date.today(), self.soon_days))
        if search := bounded_search(self.search)[0]:
            for word in search.split():
                like = f"%{word.lower()}%"
                cond.append(
                    or_(
                        func.lower(Outcome.text).like(like),
                        func.lower(Strategy.label).like(like),
                        func.lower(Strategy.ultimate_outcome).like(like),
                    )
                )
        return cond

    def picks_by_status(self) -> bool:
        """Whether a status save can change which outcomes it picks (by status or by
        schedule); otherwise only a change of the plan can."""
        return bool(self.statuses or self.schedules)

    def dated(self) -> OutcomeFilter:
        """The same filter with its day fixed (today, unless given) when its schedules
        need one: what a statement cached per filter is keyed on."""
        if not self.schedules or self.today is not None:
            return self
        return replace(self, today=date.today())


def organisation_strategy_ids(organisation_ids: tuple[str, ...]):
    """The ids of strategies naming these organisations or one merged into them (at any
    depth: a merge of a merge), as a subquery."""
    chosen: Any = select(col(Organisation.id).label("id")).where(
        col(Organisation.id).in_(organisation_ids)
    )
    merged = chosen.cte(recursive=True)  # anonymous: a query may hold two of them
    merged = merged.union(
        select(col(Organisation.id)).where(col(Organisation.merged_into_id) == merged.c.id)
    )
    return select(StrategyOrganisation.strategy_id).where(
        col(StrategyOrganisation.organisation_id).in_(select(merged.c.id))
    )


def joined(columns):
    return (
        select(*columns)
        .join(Strategy, col(Strategy.id) == col(Outcome.strategy_id))
        .join(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
        .join(Region, col(Region.id) == col(LogicModel.region_id))
        .join(Need, col(Need.id) == col(Strategy.need_id))
    )


# The filter in words ("" for the whole plan), for the dashboard and the printed report.
def describe(
    flt: OutcomeFilter,
    *,
    regions: dict[str, str] | None = None,
    needs: dict[str, str] | None = None,
    logic_models: dict[str, str] | None = None,
    organisations: dict[str, str] | None = None,
) -> str:
    """`regions`, `needs`, `logic_models` and `organisations` map ids to the names shown
    (region name, need label, logic model title, organisation name); an id missing from
    them is shown as it is."""
    from core.models import Term  # here, so the module's imports above stay as they are

    terms = {t.value: t.label for t in Term}
    parts = [
        f"{label}: {', '.join(names.get(v, v) for v in values)}"
        for label, values, names in (
            ("Region", flt.regions, regions or {}),
            ("Logic model", flt.logic_models, logic_models or {}),
            ("Need", flt.needs, needs or {}),
            ("Organisation", flt.organisations, organisations or {}),
            ("Term", flt.terms, terms),
            ("Status", flt.statuses, {}),
            ("Schedule", flt.schedules, {}),
            ("Date basis", flt.date_bases, {}),
        )
        if values
    ]
    if search := bounded_search(flt.search)[0]:
        parts.append(f"text “{search}”")
    if flt.flagged_only:
        parts.append("flagged items only")
    if flt.outcome_ids:
        parts.append(f"{len(flt.outcome_ids):,} chosen outcomes")
    return "; ".join(parts)
