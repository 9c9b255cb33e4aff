"""Moderation: reports, the advisors' queue, decisions, sanctions, appeals and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from gateway.auth import Caller, current_user, require_roles
from gateway.backend import Backend, backend
from gateway.idempotency import idempotent
from gateway.errors import problem_responses
from gateway.openapi import answers
from gateway.responses import AnswerRoute
from shared.api.base import Page
from shared.api.moderation import (
    AppealIn, AppealOut, AuditPage, AuditQuery, CaseOut, CasePage, DecisionIn, ReportIn, ReportOut, SanctionIn,
    SanctionOut,
)
from shared.api.text import Id
from shared.caller import STAFF_ROLES

router = APIRouter(prefix="/v1", tags=["moderation"], responses=problem_responses(503), route_class=AnswerRoute)

staff = require_roles(*STAFF_ROLES)

PAGINATION = (
    "Pagination par curseur : `?limit=` (20 par défaut, 100 au plus) et `?cursor=` (le `next_cursor` de la "
    "page précédente). Réponse `{items, next_cursor}`, les plus récents d'abord."
)


@router.post(
    "/reports",
    summary="Signaler une publication ou un commentaire",
    description="Une fois par membre et par contenu (409 ensuite). Au troisième membre, le contenu est masqué "
    "jusqu'à la décision d'un conseiller ; chaque membre ayant signalé est informé de l'issue.",
    status_code=201,
    dependencies=[idempotent],
    response_model=None,
    responses=answers(201, ReportOut, "Signalement reçu", 400, 401, 403, 404, 409, 422),
)
async def create_report(
    body: ReportIn, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    return await services.create("moderation", "report", body.model_dump(exclude_none=True))


@router.get(
    "/moderation/queue",
    summary="File de modération (conseiller : son agence ; admin : toutes)",
    description=PAGINATION,
    response_model=None,
    responses=answers(200, CasePage, "Dossiers ouverts", 401, 403, 422),
)
async def moderation_queue(
    page: Annotated[Page, Query()], caller: Caller = Depends(staff), services: Backend = Depends(backend)
) -> Any:
    return await services.call("moderation", "queue", page.model_dump(exclude_none=True))


@router.post(
    "/moderation/cases/{id}/decision",
    summary="Décider d'un dossier : approuver, refuser ou masquer",
    description="Le statut du contenu suit la décision et son auteur est prévenu. Un dossier d'une autre agence "
    "est introuvable (404) pour un conseiller ; un dossier déjà traité donne 409.",
    response_model=None,
    responses=answers(200, CaseOut, "Dossier décidé", 400, 401, 403, 404, 409, 422),
)
async def decide_case(
    id: Id,
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
    dependencies=[idempotent],
    response_model=None,
    responses=answers(201, SanctionOut, "Sanction prononcée", 400, 401, 403, 404, 422),
)
async def impose_sanction(
    body: SanctionIn, caller: Caller = Depends(staff), services: Backend = Depends(backend)
) -> Any:
    return await services.create("moderation", "impose_sanction", body.model_dump(exclude_none=True))


@router.post(
    "/moderation/appeals",
    summary="Faire appel d'une décision sur son contenu",
    description="Réservé à l'auteur du contenu, une fois par dossier ; le dossier revient dans la file.",
    status_code=201,
    dependencies=[idempotent],
    response_model=None,
    responses=answers(201, AppealOut, "Recours déposé", 400, 401, 403, 404, 409, 422),
)
async def file_appeal(
    body: AppealIn, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    return await services.create("moderation", "file_appeal", body.model_dump())


@router.get(
    "/moderation/audit",
    summary="Journal de modération : qui a décidé quoi, quand et pourquoi",
    description="Décisions, sanctions, masquages et recours ; le journal ne peut être ni modifié ni effacé. "
    "`target_id` : une publication, un commentaire ou un membre (sanctions). " + PAGINATION,
    response_model=None,
    responses=answers(200, AuditPage, "Entrées du journal", 401, 403, 422),
)
async def audit_log(
    query: Annotated[AuditQuery, Query()], caller: Caller = Depends(staff), services: Backend = Depends(backend)
) -> Any:
    return await services.call("moderation", "audit_log", query.model_dump(exclude_none=True))
