"""The tables, one module per domain: plan, progress, people, measures, partners.

Import them from here (`from core.models import Outcome`); the modules are an
arrangement, not an interface.
"""

from __future__ import annotations

from core.models.measures import (
    Measure,
    MeasureDirection,
    MeasureKind,
    MeasureValue,
    RbaCategory,
    TargetKind,
)
from core.models.partners import (
    ORGANISATION_KIND_CHECK,
    Organisation,
    OrganisationKind,
    OrganisationName,
    OrganisationRegion,
    StrategyOrganisation,
)
from core.models.people import (
    Assignment,
    DigestFrequency,
    DigestSent,
    Role,
    SignInThrottle,
    User,
    UserSession,
)
from core.models.plan import (
    _TERM_RANKS,
    AppendixItem,
    ChangeAction,
    DateBasis,
    DateFlag,
    Flag,
    LogicModel,
    Need,
    Outcome,
    Plan,
    PlanChange,
    Region,
    Status,
    Strategy,
    Term,
)
from core.models.progress import (
    Comment,
    Meeting,
    NotePublication,
    StatusUpdate,
)

__all__ = [
    "ORGANISATION_KIND_CHECK",
    "_TERM_RANKS",
    "AppendixItem",
    "Assignment",
    "ChangeAction",
    "Comment",
    "DateBasis",
    "DateFlag",
    "DigestFrequency",
    "DigestSent",
    "Flag",
    "LogicModel",
    "Measure",
    "MeasureDirection",
    "MeasureKind",
    "MeasureValue",
    "Meeting",
    "Need",
    "NotePublication",
    "Organisation",
    "OrganisationKind",
    "OrganisationName",
    "OrganisationRegion",
    "Outcome",
    "Plan",
    "PlanChange",
    "RbaCategory",
    "Region",
    "Role",
    "SignInThrottle",
    "Status",
    "StatusUpdate",
    "Strategy",
    "StrategyOrganisation",
    "TargetKind",
    "Term",
    "User",
    "UserSession",
]
