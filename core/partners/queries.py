"""Who works on what: an organisation's strategies, outcomes and activity; the
organisations × strategies matrix and the network of organisations sharing a
strategy, statewide or per region; and per region, month by month, how many
organisations contribute.

A merged organisation counts as the one it was merged into (its survivor), so its
links and activity add to the survivor's. Reads are a few grouped SQL queries;
the rest is pandas on frames of one row per link or per (organisation, month).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, literal_column
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core.models import (
    Comment,
    LogicModel,
    Measure,
    MeasureValue,
    Need,
    Organisation,
    OrganisationKind,
    Outcome,
    Region,
    Status,
    StatusUpdate,
    Strategy,
    StrategyOrganisation,
    User,
)
from core.progress import queries
from core.progress.burnup import period_sql
from core.progress.filters import OutcomeFilter

GENERIC = OrganisationKind.GENERIC.value
ORGANISATION_COLUMNS = ["organisation_id", "organisation", "kind", "retired", "website"]
LINK_COLUMNS = ["organisation_id", "organisation", "kind", "strategy_id", "strategy"]
LINK_COLUMNS += ["region_id", "region", "need"]
ACTIVITY_KINDS = ("Status updates", "Comments", "Measure values")
OUTCOME_COLUMNS = ["region", "strategy_id", "strategy", "term", "number", "text"]
OUTCOME_COLUMNS += ["due_date", "status"]


def survivors(session: Session) -> dict[str, str]:
    """Every organisation id → the id it counts as: itself, or the end of its chain of
    merges (a cycle, which the admin refuses, stops where it repeats)."""
    parent = dict(session.exec(select(Organisation.id, Organisation.merged_into_id)).all())
    out: dict[str, str] = {}
    for start in parent:
        seen, here = {start}, start
        while (up := parent.get(here)) is not None and up not in seen:
            seen.add(up)
            here = up
        out[start] = here
    return out


def merged_ids(session: Session, organisation_id: str) -> tuple[str, ...]:
    """The ids that count as `organisation_id`: its own and those merged into it."""
    return tuple(k for k, v in survivors(session).items() if v == organisation_id)


def organisations(session: Session, *, include_generic: bool = True) -> pd.DataFrame:
    """Organisations not merged into another, in the curated order: one row each
    (organisation_id, organisation, kind, retired, website)."""
    # more columns than select()'s typed overloads take
    columns: list[Any] = [Organisation.id, Organisation.name, Organisation.kind]
    columns += [Organisation.retired, Organisation.website]
    stmt = select(*columns).where(col(Organisation.merged_into_id).is_(None))
    if not include_generic:
        stmt = stmt.where(Organisation.kind != GENERIC)
    rows = session.exec(stmt.order_by(col(Organisation.position), col(Organisation.name))).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=ORGANISATION_COLUMNS)


def resolve(session: Session, organisation_id: str | None) -> str | None:
    """The organisation an id counts as (a merged one's survivor), or None if unknown."""
    if organisation_id is None:
        return None
    return survivors(session).get(organisation_id)


def user_organisation(session: Session, user_id: int | None) -> str | None:
    """The organisation a user belongs to (its survivor), or None."""
    if user_id is None:
        return None
    return resolve(
        session, session.exec(select(User.organisation_id).where(User.id == user_id)).first()
    )


def links(
    session: Session, *, region_id: str | None = None, include_generic: bool = False
) -> pd.DataFrame:
    """One row per (active organisation, strategy naming it) of the plan's current
    strategies, merged organisations counted as their survivors; `region_id` keeps that region's
    strategies. Generic groups ("Local DSV agencies") only with `include_generic`."""
    columns: list[Any] = [StrategyOrganisation.organisation_id, Strategy.id, Strategy.title]
    columns += [Region.id, Region.name, Need.label]
    stmt = (
        select(*columns)
        .join(Strategy, col(Strategy.id) == col(StrategyOrganisation.strategy_id))
        .join(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
        .join(Region, col(Region.id) == col(LogicModel.region_id))
        .join(Need, col(Need.id) == col(Strategy.need_id))
        .where(col(Strategy.retired).is_(False), col(LogicModel.retired).is_(False))
        .order_by(col(Region.position), col(LogicModel.position), col(Strategy.position))
    )
    if region_id is not None:
        stmt = stmt.where(col(LogicModel.region_id) == region_id)
    raw = pd.DataFrame(
        [tuple(r) for r in session.exec(stmt).all()],
        columns=["organisation_id", "strategy_id", "strategy", "region_id", "region", "need"],
    )
    raw["organisation_id"] = raw["organisation_id"].map(survivors(session)).astype(object)
    orgs = organisations(session, include_generic=include_generic)
    orgs = orgs[~orgs["retired"].astype(bool)]  # a retired organisation works on nothing now
    out = raw.drop_duplicates(["organisation_id", "strategy_id"]).merge(
        orgs[["organisation_id", "organisation", "kind"]], on="organisation_id", how="inner"
    )
    return out[LINK_COLUMNS].reset_index(drop=True)


def matrix(link_rows: pd.DataFrame) -> pd.DataFrame:
    """Organisations × strategies as a table: a row per organisation, a column per
    strategy (in the plan's order), 1 where the strategy names it, else 0."""
    if link_rows.empty:
        return pd.DataFrame()
    table = pd.crosstab(link_rows["organisation"], link_rows["strategy_id"])
    return table.reindex(columns=link_rows["strategy_id"].unique()).clip(upper=1)


def network(link_rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The collaboration network of `links` rows: nodes (organisation_id, organisation,
    kind, strategies: how many, strategy_names) and edges (source, target, weight: how
    many strategies the two share), each pair once (source < target)."""
    d = link_rows.reindex(columns=LINK_COLUMNS)
    nodes = (
        d.groupby(["organisation_id", "organisation", "kind"], sort=False)
        .agg(strategies=("strategy_id", "nunique"), strategy_names=("strategy", _names))
        .reset_index()
    )
    pairs = d[["organisation_id", "strategy_id"]]
    both = pairs.merge(pairs, on="strategy_id", suffixes=("_a", "_b"))
    both = both[both["organisation_id_a"] < both["organisation_id_b"]]
    edges = (
        both.groupby(["organisation_id_a", "organisation_id_b"])
        .size()
        .reset_index(name="weight")
        .rename(columns={"organisation_id_a": "source", "organisation_id_b": "target"})
    )
    edges["weight"] = edges["weight"].astype(int)
    return nodes, edges.sort_values(
        ["weight", "source"], ascending=[False, True], ignore_index=True
    )


def _names(values: pd.Series) -> str:
    return "; ".join(dict.fromkeys(str(v) for v in values))


def organisation_outcomes(session: Session, organisation_id: str) -> pd.DataFrame:
    """The outcomes of the strategies naming the organisation (or one merged into it),
    in the report's order, with their region and status."""
    rows = queries.outcome_rows(session, OutcomeFilter(organisations=(organisation_id,)))
    return pd.DataFrame(rows).reindex(columns=OUTCOME_COLUMNS)


def strategy_summary(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per region and strategy of `organisation_outcomes`: how many outcomes, how many
    done and how many blocked, in the given order."""
    d = outcomes.reindex(columns=OUTCOME_COLUMNS)
    d = d.assign(done=d["status"] == Status.DONE.value, blocked=d["status"] == Status.BLOCKED.value)
    out = d.groupby(["region", "strategy_id", "strategy"], sort=False).agg(
        outcomes=("status", "size"), done=("done", "sum"), blocked=("blocked", "sum")
    )
    return out.reset_index().astype({"outcomes": int, "done": int, "blocked": int})


def _month(session: Session, column: Any) -> Any:
    """A timestamp column as its month, "YYYY-MM" (UTC, as stored)."""
    # The format is inlined, so GROUP BY repeats the select's expression exactly
    # (PostgreSQL tells two bound parameters apart).
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, literal_column("'YYYY-MM'"))
    return period_sql(column, "sqlite")


def _activity_selects(session: Session, ids: tuple[str, ...] | None) -> dict[str, Any]:
    """Per kind of activity, a select of (organisation_id, month, region_id, count)
    over rows carrying an organisation (one of `ids` unless None): status updates and
    comments (in their outcome's region), measure values (in their outcome's,
    strategy's or own region)."""
    out: dict[str, Any] = {}
    count = func.count().label("count")
    for kind, table, when in (
        (ACTIVITY_KINDS[0], StatusUpdate, StatusUpdate.changed_at),
        (ACTIVITY_KINDS[1], Comment, Comment.created_at),
    ):
        stmt: Any = (
            select(
                col(table.organisation_id).label("organisation_id"),
                _month(session, when).label("month"),
                col(LogicModel.region_id).label("region_id"),
                count,
            )
            .join(Outcome, col(Outcome.id) == col(table.outcome_id))
            .join(Strategy, col(Strategy.id) == col(Outcome.strategy_id))
            .join(LogicModel, col(LogicModel.id) == col(Strategy.logic_model_id))
            .where(_carried(table.organisation_id, ids))
        )
        if table is Comment:
            stmt = stmt.where(col(Comment.removed_at).is_(None))
        out[kind] = stmt
    outcome, strategy, via_outcome = aliased(Outcome), aliased(Strategy), aliased(Strategy)
    model, via_model = aliased(LogicModel), aliased(LogicModel)
    region = func.coalesce(via_model.region_id, model.region_id, Measure.region_id)
    out[ACTIVITY_KINDS[2]] = (
        select(
            col(MeasureValue.organisation_id).label("organisation_id"),
            _month(session, MeasureValue.recorded_at).label("month"),
            region.label("region_id"),
            count,
        )
        .join(Measure, col(Measure.id) == col(MeasureValue.measure_id))
        .outerjoin(outcome, col(outcome.id) == col(Measure.outcome_id))
        .outerjoin(via_outcome, col(via_outcome.id) == col(outcome.strategy_id))
        .outerjoin(via_model, col(via_model.id) == col(via_outcome.logic_model_id))
        .outerjoin(strategy, col(strategy.id) == col(Measure.strategy_id))
        .outerjoin(model, col(model.id) == col(strategy.logic_model_id))
        .where(_carried(MeasureValue.organisation_id, ids))
    )
    return out


def _carried(column: Any, ids: tuple[str, ...] | None) -> Any:
    return col(column).is_not(None) if ids is None else col(column).in_(ids)


def _grouped(session: Session, ids: tuple[str, ...] | None = None) -> pd.DataFrame:
    """(kind, organisation_id, month, region_id, count) over every kind of activity,
    organisations counted as their survivors."""
    columns = ["organisation_id", "month", "region_id", "count"]
    frames = []
    for kind, stmt in _activity_selects(session, ids).items():
        grouped = stmt.group_by(*(c.element for c in stmt.selected_columns[:3]))
        rows = [tuple(r) for r in session.exec(grouped).all()]
        frames.append(pd.DataFrame(rows, columns=columns).assign(kind=kind))
    out = pd.concat(frames, ignore_index=True)
    out["month"] = pd.to_datetime(out["month"], format="%Y-%m")
    out["organisation_id"] = out["organisation_id"].map(survivors(session)).astype(object)
    out["count"] = out["count"].astype(int)
    return out


def activity(session: Session, organisation_id: str) -> pd.DataFrame:
    """The organisation's activity (and that of those merged into it) per month:
    month (its first day), kind (status updates, comments, measure values), count."""
    ids = merged_ids(session, organisation_id)
    if not ids:
        return pd.DataFrame(columns=["month", "kind", "count"])
    d = _grouped(session, ids)
    out = d.groupby(["month", "kind"])["count"].sum().reset_index()
    return out.sort_values(["month", "kind"], ignore_index=True)[["month", "kind", "count"]]


def contributing(session: Session) -> pd.DataFrame:
    """Per region and month, how many organisations contributed (wrote a status
    update, a comment or a measure value there): month, region_id, region,
    organisations. Months with no contribution in a region are left out."""
    d = _grouped(session)
    names = {r["id"]: r["name"] for r in queries.regions(session)}
    order = {r_id: i for i, r_id in enumerate(names)}
    d = d.dropna(subset=["region_id", "organisation_id"])
    out = (
        d.groupby(["month", "region_id"])["organisation_id"]
        .nunique()
        .reset_index(name="organisations")
    )
    out["region"] = out["region_id"].map(names).fillna(out["region_id"])
    out["order"] = out["region_id"].map(order)
    out = out.sort_values(["month", "order"], ignore_index=True)
    out["organisations"] = out["organisations"].astype(int)
    return out[["month", "region_id", "region", "organisations"]]
