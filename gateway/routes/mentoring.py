"""Mentoring: company members offer mentoring, job seekers ask, mentors answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from gateway.auth import Caller, current_user, require_roles
from gateway.backend import Backend, backend
from gateway.idempotency import idempotent
from gateway.errors import ProblemError, problem_responses
from gateway.openapi import answers
from gateway.responses import AnswerRoute
from shared.api.mentoring import (
    EndIn, Mentor, MentorFilters, MentoringRequest, MentoringRequestPage, MentorIn, MentorPage, RequestFilters, RequestIn,
)
from shared.api.text import ResourceId

router = APIRouter(prefix="/v1", tags=["mentoring"], responses=problem_responses(503), route_class=AnswerRoute)


async def check_topics(topics: list[str], services: Backend) -> None:
    """Mentors pick among the platform's topics (posts' list)."""
    known = {t["slug"] for t in await services.call("posts", "list_topics")}
    unknown = sorted(set(topics) - known)
    if unknown:
        raise ProblemError(422, errors=[{"loc": ["body", "topics"], "msg": "Thème inconnu : " + ", ".join(unknown)}])


@router.post(
    "/mentors",
    summary="Proposer du mentorat (entreprise) : un profil par membre",
    status_code=201,
    dependencies=[idempotent],
    response_model=None,
    responses=answers(201, Mentor, "Profil de mentor créé", 400, 401, 403, 409, 422),
)
async def create_mentor(
    body: MentorIn, caller: Caller = Depends(require_roles("company")), services: Backend = Depends(backend)
) -> Any:
    await check_topics(body.topics, services)
    return await services.create("mentoring", "create_mentor", body.model_dump())


@router.get(
    "/mentors",
    summary="Lister les mentors, les plus récents d'abord",
    response_model=None,
    responses=answers(200, MentorPage, "Une page de mentors", 401, 422),
)
async def list_mentors(
    query: Annotated[MentorFilters, Query()], caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    return await services.call("mentoring", "list_mentors", query.model_dump(exclude_none=True))


@router.post(
    "/mentoring/requests",
    summary="Demander un mentorat (demandeur d'emploi)",
    status_code=201,
    dependencies=[idempotent],
    response_model=None,
    responses=answers(201, MentoringRequest, "Demande envoyée, statut « pending »", 400, 401, 403, 404, 409, 422),
)
async def request_mentoring(
    body: RequestIn,
    caller: Caller = Depends(require_roles("job_seeker")),
    services: Backend = Depends(backend),
) -> Any:
    return await services.create("mentoring", "request_mentoring", body.model_dump())


@router.post(
    "/mentoring/requests/{id}/accept",
    summary="Accepter une demande (le mentor sollicité) ; 409 quand sa capacité est atteinte",
    response_model=None,
    responses=answers(200, MentoringRequest, "Mentorat en cours", 401, 403, 404, 409),
)
async def accept_request(
    id: ResourceId, caller: Caller = Depends(require_roles("company")), services: Backend = Depends(backend)
) -> Any:
    return await services.call("mentoring", "accept_request", id)


@router.post(
    "/mentoring/requests/{id}/decline",
    summary="Refuser une demande (le mentor sollicité)",
    response_model=None,
    responses=answers(200, MentoringRequest, "Demande refusée", 401, 403, 404, 409),
)
async def decline_request(
    id: ResourceId, caller: Caller = Depends(require_roles("company")), services: Backend = Depends(backend)
) -> Any:
    return await services.call("mentoring", "decline_request", id)


@router.post(
    "/mentoring/requests/{id}/end",
    summary="Mettre fin à un mentorat en cours (mentoré ou mentor) ; libère une place",
    response_model=None,
    responses=answers(200, MentoringRequest, "Mentorat terminé", 400, 401, 403, 404, 409, 422),
)
async def end_mentorship(
    id: ResourceId,
    body: EndIn | None = None,
    caller: Caller = Depends(require_roles("job_seeker", "company")),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("mentoring", "end_mentorship", id, (body or EndIn()).model_dump(exclude_none=True))


@router.get(
    "/mentoring/requests",
    summary="Mes demandes et mentorats, comme mentoré ou comme mentor, les plus récents d'abord",
    response_model=None,
    responses=answers(200, MentoringRequestPage, "Une page de demandes", 401, 422),
)
async def list_requests(
    query: Annotated[RequestFilters, Query()], caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    return await services.call("mentoring", "list_requests", query.model_dump(exclude_none=True))
