"""Partners: the organisations named in the plan's Resources cells, the names they
go by, the regions they serve, and which strategies name them.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel


# What kind of body an organisation is; a generic group ("Local DSV agencies")
# stands for many organisations the report does not name.
class OrganisationKind(StrEnum):
    STATE_AGENCY = "state agency"
    FEDERAL_AGENCY = "federal agency"
    LOCAL_GOVERNMENT = "local government"
    COALITION = "coalition"
    SERVICE_PROVIDER = "service provider"
    TASK_FORCE = "task force"
    COURT_OR_LEGAL = "court or legal"
    LAW_ENFORCEMENT = "law enforcement"
    HEALTH_PROVIDER = "health provider"
    UNIVERSITY = "university"
    FUNDER = "funder"
    COMMUNITY_GROUP = "community group"
    BUSINESS = "business"
    GENERIC = "generic group"


# The CHECK of organisation.kind, written from the enum (migration 0007 froze it).
ORGANISATION_KIND_CHECK = "kind IN ({})".format(", ".join(f"'{k.value}'" for k in OrganisationKind))


# An organisation. Retired (never deleted) once it has history; a merged one is
# retired and points at the organisation it was merged into.
class Organisation(SQLModel, table=True):
    __table_args__ = (CheckConstraint(ORGANISATION_KIND_CHECK, name="ck_organisation_kind"),)

    id: str = Field(primary_key=True, max_length=80)
    name: str = Field(unique=True, max_length=200)
    kind: str = Field(default=OrganisationKind.SERVICE_PROVIDER, max_length=30)
    website: str | None = Field(default=None, max_length=2000)
    position: int = 0
    retired: bool = False
    merged_into_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=80)


# Every name an organisation goes by: its name, short names and the report's
# spellings ("MCASDV", "MOCADSV"). `key` (casefolded, spaces folded) is unique
# across all organisations, so no name can point at two of them.
class OrganisationName(SQLModel, table=True):
    __tablename__ = "organisation_name"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=80)
    name: str = Field(max_length=200)
    key: str = Field(unique=True, max_length=200)


# A region an organisation serves.
class OrganisationRegion(SQLModel, table=True):
    __tablename__ = "organisation_region"

    organisation_id: str = Field(foreign_key="organisation.id", primary_key=True, max_length=80)
    region_id: str = Field(foreign_key="region.id", primary_key=True, max_length=40)


# One item of a strategy's Resources cell (by its position in the list, whose
# text stays verbatim on the strategy) naming an organisation.
class StrategyOrganisation(SQLModel, table=True):
    __tablename__ = "strategy_organisation"
    __table_args__ = (
        UniqueConstraint(
            "strategy_id", "resource_index", "organisation_id", name="uq_strategy_organisation"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    strategy_id: str = Field(foreign_key="strategy.id", index=True, max_length=120)
    resource_index: int
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=80)
