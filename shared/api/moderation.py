"""moderation's API: reports, the advisors' queue, decisions, sanctions, appeals and the audit log."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.api.base import Page, RequestModel, ResponseModel
from shared.api.text import Id, Raw, Text

TargetType = Literal["post", "comment"]
# What a case may be about: reported or screened posts and comments, and the
# other texts members see (issue 13): a profile (name and bio), a mentoring
# request's message, an event's title and description.
CaseTargetType = Literal["post", "comment", "profile", "mentoring_request", "calendar_event"]
CaseSource = Literal["screening", "reports", "appeal"]
Action = Literal["approve", "reject", "hide"]
SanctionType = Literal["warn", "mute", "suspend"]
ReportReason = Literal["spam", "abuse", "personal_data", "misinformation", "other"]
Reason = Text(1, 2000)


class ReportIn(RequestModel):
    target_type: TargetType
    target_id: Id
    reason: ReportReason
    detail: Raw(max_length=2000) | None = None


class DecisionIn(RequestModel):
    action: Action
    reason: Reason


class SanctionIn(RequestModel):
    user_id: Id
    type: SanctionType
    # Fractions of an hour are allowed; at most a year.
    duration_hours: float | None = Field(
        None, gt=0, le=24 * 366, description="Obligatoire pour mute et suspend, interdit pour warn"
    )
    reason: Reason


class AppealIn(RequestModel):
    case_id: Id
    text: Text(1, 4000)


class AuditQuery(Page):
    target_id: Text(1, 64) | None = Field(
        None, description="Une publication, un commentaire ou un membre (sanctions)"
    )


class ReportOut(ResponseModel):
    id: str
    target_type: TargetType
    target_id: str
    reason: str
    detail: str | None
    created_at: str
    status: Literal["received", "resolved"]
    outcome: Action | None = Field(description="La décision prise, une fois le signalement traité")


class Decision(ResponseModel):
    action: Action
    reason: str | None
    decided_by: str | None
    decided_at: str | None


class Appeal(ResponseModel):
    text: str
    filed_at: str


class CaseOut(ResponseModel):
    id: str
    target_type: CaseTargetType
    target_id: str
    agency_code: str | None
    reasons: list[str]
    source: CaseSource
    excerpt: str
    created_at: str
    opened_at: str
    author_id: str
    status: Literal["open", "decided", "closed"]
    decision: Decision | None = Field(None, description="Un dossier décidé")
    appeal: Appeal | None = Field(None, description="Un dossier rouvert par un recours")


class CasePage(ResponseModel):
    items: list[CaseOut]
    next_cursor: str | None


class SanctionOut(ResponseModel):
    id: str
    user_id: str
    agency_code: str | None
    type: SanctionType
    reason: str
    imposed_by: str
    imposed_at: str
    expires_at: str | None
    lifted_at: str | None


class AppealOut(ResponseModel):
    id: str
    case_id: str
    status: Literal["open"]
    filed_at: str


class AuditEntry(ResponseModel):
    id: str
    at: str
    actor_id: str | None = Field(description="null : décision automatique de la plateforme")
    actor_role: str
    action: str
    target_type: Literal["post", "comment", "user"]
    target_id: str
    agency_code: str | None
    case_id: str | None
    sanction_id: str | None
    reason: str | None
    details: dict[str, Any] = Field(description="Ce qui précise l'entrée (nombre de signalements, décision contestée…)")


class AuditPage(ResponseModel):
    items: list[AuditEntry]
    next_cursor: str | None
