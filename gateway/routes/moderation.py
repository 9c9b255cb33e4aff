"""Moderation: reports, the advisors' queue, decisions, sanctions, appeals and the audit log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field

from gateway.auth import Caller, current_user, require_roles
from gateway.backend import Backend, backend
from gateway.errors import problem_responses
from gateway.schemas import RequestModel, ResponseModel

router = APIRouter(prefix="/v1", tags=["moderation"], responses=problem_responses(503))

TargetType = Literal["post", "comment"]
CaseSource = Literal["screening", "reports", "appeal"]
Action = Literal["approve", "reject", "hide"]
Id = Annotated[str, Field(min_length=1, max_length=64)]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
Limit = Annotated[int, Query(ge=1, le=100, description="Taille de la page (20 par défaut, 100 au plus)")]
Cursor = Annotated[str | None, Query(max_length=200, description="Curseur opaque de la page suivante")]
staff = require_roles("advisor", "admin")

PAGINATION = (
    "Pagination par curseur : `?limit=` (20 par défaut, 100 au plus) et `?cursor=` (le `next_cursor` de la "
    "page précédente). Réponse `{items, next_cursor}`, les plus récents d'abord."
)


class ReportIn(RequestModel):
    target_type: TargetType
    target_id: Id
    reason: Literal["spam", "abuse", "personal_data", "misinformation", "other"]
    detail: str | None = Field(None, max_length=2000)


class ReportOut(ResponseModel):
    id: str
    target_type: TargetType
    target_id: str
    reason: str
    detail: str | None
    created_at: str
    status: Literal["received", "resolved"]


class CaseOut(ResponseModel):
    id: str
    target_type: TargetType
    target_id: str
    agency_code: str | None
    reasons: list[str]
    source: CaseSource
    excerpt: str
    created_at: str
    opened_at: str
    author_id: str
    status: Literal["open", "decided", "closed"]


class CasePage(ResponseModel):
    items: list[CaseOut]
    next_cursor: str | None


class DecisionIn(RequestModel):
    action: Action
    reason: Reason


class SanctionIn(RequestModel):
    user_id: Id
    type: Literal["warn", "mute", "suspend"]
    duration_hours: float | None = Field(
        None, gt=0, le=24 * 366, description="Obligatoire pour mute et suspend, interdit pour warn"
    )
    reason: Reason


class SanctionOut(ResponseModel):
    id: str
    user_id: str
    agency_code: str | None
    type: Literal["warn", "mute", "suspend"]
    reason: str
    imposed_by: str
    imposed_at: str
    expires_at: str | None


class AppealIn(RequestModel):
    case_id: Id
    text: str = Field(min_length=1, max_length=4000)


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


class AuditPage(ResponseModel):
    items: list[AuditEntry]
    next_cursor: str | None


def _page(limit: int, cursor: str | None, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit, **{k: v for k, v in extra.items() if v is not None}}
    if cursor:
        params["cursor"] = cursor
    return params


@router.post(
    "/reports",
    summary="Signaler une publication ou un commentaire",
    description="Une fois par membre et par contenu (409 ensuite). Au troisième membre, le contenu est masqué "
    "jusqu'à la décision d'un conseiller ; chaque membre ayant signalé est informé de l'issue.",
    status_code=201,
    response_model=None,
    responses={201: {"model": ReportOut, "description": "Signalement reçu"}, **problem_responses(400, 401, 403, 404, 409, 422)},
)
async def create_report(
    body: ReportIn, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    return await services.call("moderation", "report", body.model_dump(exclude_none=True))


@router.get(
    "/moderation/queue",
    summary="File de modération (conseiller : son agence ; admin : toutes)",
    description=PAGINATION,
    response_model=None,
    responses={200: {"model": CasePage, "description": "Dossiers ouverts"}, **problem_responses(401, 403, 422)},
)
async def moderation_queue(
    limit: Limit = 20,
    cursor: Cursor = None,
    caller: Caller = Depends(staff),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("moderation", "queue", _page(limit, cursor))


@router.post(
    "/moderation/cases/{id}/decision",
    summary="Décider d'un dossier : approuver, refuser ou masquer",
    description="Le statut du contenu suit la décision et son auteur est prévenu. Un dossier d'une autre agence "
    "est introuvable (404) pour un conseiller ; un dossier déjà traité donne 409.",
    response_model=None,
    responses={200: {"model": CaseOut, "description": "Dossier décidé"}, **problem_responses(400, 401, 403, 404, 409, 422)},
)
async def decide_case(
    id: Annotated[str, Path(min_length=1, max_length=64)],
    body: DecisionIn,
    caller: Caller = Depends(staff),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("moderation", "decide", id, body.model_dump())


@router.post(
    "/moderation/sanctions",
    summary="Sanctionner un membre : avertissement, mise en sourdine ou suspension",
    description="Conseiller : les demandeurs d'emploi et entreprises de son agence ; admin : tout membre. "
    "La sanction est levée automatiquement à son expiration.",
    status_code=201,
    response_model=None,
    responses={201: {"model": SanctionOut, "description": "Sanction prononcée"}, **problem_responses(400, 401, 403, 404, 422)},
)
async def impose_sanction(
    body: SanctionIn, caller: Caller = Depends(staff), services: Backend = Depends(backend)
) -> Any:
    return await services.call("moderation", "impose_sanction", body.model_dump(exclude_none=True))


@router.post(
    "/moderation/appeals",
    summary="Faire appel d'une décision sur son contenu",
    description="Réservé à l'auteur du contenu, une fois par dossier ; le dossier revient dans la file.",
    status_code=201,
    response_model=None,
    responses={201: {"model": AppealOut, "description": "Recours déposé"}, **problem_responses(400, 401, 403, 404, 409, 422)},
)
async def file_appeal(
    body: AppealIn, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    return await services.call("moderation", "file_appeal", body.model_dump())


@router.get(
    "/moderation/audit",
    summary="Journal de modération : qui a décidé quoi, quand et pourquoi",
    description="Décisions, sanctions, masquages et recours ; le journal ne peut être ni modifié ni effacé. "
    "`target_id` : une publication, un commentaire ou un membre (sanctions). " + PAGINATION,
    response_model=None,
    responses={200: {"model": AuditPage, "description": "Entrées du journal"}, **problem_responses(401, 403, 422)},
)
async def audit_log(
    target_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
    caller: Caller = Depends(staff),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("moderation", "audit_log", _page(limit, cursor, target_id=target_id))
