"""Mentoring: company members offer mentoring, job seekers ask, mentors answer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field

from gateway.auth import Caller, current_user, require_roles
from gateway.backend import Backend, backend
from gateway.errors import ProblemError, problem_responses
from gateway.schemas import RequestModel, ResponseModel

router = APIRouter(prefix="/v1", tags=["mentoring"], responses=problem_responses(503))

RequestId = Annotated[str, Path(min_length=1, max_length=128)]
Slug = Annotated[str, Field(min_length=1, max_length=80)]
Status = Literal["pending", "declined", "cancelled", "active", "completed", "ended"]


class MentorIn(RequestModel):
    topics: list[Slug] = Field(min_length=1, max_length=10)
    bio: str = Field(min_length=1, max_length=4000)
    capacity: int = Field(ge=1, le=50)


class MentoringRequestIn(RequestModel):
    mentor_id: str = Field(min_length=1, max_length=64)
    message: str = Field(min_length=1, max_length=4000)


class EndIn(RequestModel):
    reason: str | None = Field(None, max_length=1000)


class Mentor(ResponseModel):
    id: str
    user_id: str | None
    display_name: str | None
    topics: list[str]
    bio: str
    capacity: int
    active_mentorships: int
    seats_left: int
    created_at: str


class MentorPage(ResponseModel):
    items: list[Mentor]
    next_cursor: str | None


class Party(ResponseModel):
    id: str | None
    display_name: str | None


class MentorParty(Party):
    user_id: str | None


class MentoringRequest(ResponseModel):
    id: str
    status: Status
    mentor: MentorParty
    mentee: Party
    message: str
    created_at: str
    accepted_at: str | None
    ends_at: str | None = Field(None, description="Fin prévue d'un mentorat accepté")
    ended_at: str | None
    my_role: Literal["mentee", "mentor"]


class MentoringRequestPage(ResponseModel):
    items: list[MentoringRequest]
    next_cursor: str | None


async def check_topics(topics: list[str], services: Backend) -> None:
    """Mentors pick among the platform's topics (posts' list)."""
    known = {t["slug"] for t in await services.call("posts", "list_topics")}
    unknown = sorted(set(topics) - known)
    if unknown:
        raise ProblemError(422, errors=[{"loc": ["body", "topics"], "msg": "Thème inconnu : " + ", ".join(unknown)}])


def _ok(model: Any, description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": description}}


@router.post(
    "/mentors",
    summary="Proposer du mentorat (entreprise) : un profil par membre",
    status_code=201,
    response_model=None,
    responses={201: {"model": Mentor, "description": "Profil de mentor créé"}, **problem_responses(400, 401, 403, 409, 422)},
)
async def create_mentor(
    body: MentorIn, caller: Caller = Depends(require_roles("company")), services: Backend = Depends(backend)
) -> Any:
    await check_topics(body.topics, services)
    return await services.call("mentoring", "create_mentor", body.model_dump())


@router.get(
    "/mentors",
    summary="Lister les mentors, les plus récents d'abord",
    response_model=None,
    responses={**_ok(MentorPage, "Une page de mentors"), **problem_responses(401, 422)},
)
async def list_mentors(
    topic: Annotated[str | None, Query(min_length=1, max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    caller: Caller = Depends(current_user),
    services: Backend = Depends(backend),
) -> Any:
    query = {"topic": topic, "limit": limit, "cursor": cursor}
    return await services.call("mentoring", "list_mentors", {k: v for k, v in query.items() if v is not None})


@router.post(
    "/mentoring/requests",
    summary="Demander un mentorat (demandeur d'emploi)",
    status_code=201,
    response_model=None,
    responses={
        201: {"model": MentoringRequest, "description": "Demande envoyée, statut « pending »"},
        **problem_responses(400, 401, 403, 404, 409, 422),
    },
)
async def request_mentoring(
    body: MentoringRequestIn,
    caller: Caller = Depends(require_roles("job_seeker")),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("mentoring", "request_mentoring", body.model_dump())


@router.post(
    "/mentoring/requests/{id}/accept",
    summary="Accepter une demande (le mentor sollicité) ; 409 quand sa capacité est atteinte",
    response_model=None,
    responses={**_ok(MentoringRequest, "Mentorat en cours"), **problem_responses(401, 403, 404, 409)},
)
async def accept_request(
    id: RequestId, caller: Caller = Depends(require_roles("company")), services: Backend = Depends(backend)
) -> Any:
    return await services.call("mentoring", "accept_request", id)


@router.post(
    "/mentoring/requests/{id}/decline",
    summary="Refuser une demande (le mentor sollicité)",
    response_model=None,
    responses={**_ok(MentoringRequest, "Demande refusée"), **problem_responses(401, 403, 404, 409)},
)
async def decline_request(
    id: RequestId, caller: Caller = Depends(require_roles("company")), services: Backend = Depends(backend)
) -> Any:
    return await services.call("mentoring", "decline_request", id)


@router.post(
    "/mentoring/requests/{id}/end",
    summary="Mettre fin à un mentorat en cours (mentoré ou mentor) ; libère une place",
    response_model=None,
    responses={**_ok(MentoringRequest, "Mentorat terminé"), **problem_responses(400, 401, 403, 404, 409, 422)},
)
async def end_mentorship(
    id: RequestId,
    body: EndIn | None = None,
    caller: Caller = Depends(require_roles("job_seeker", "company")),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("mentoring", "end_mentorship", id, (body or EndIn()).model_dump(exclude_none=True))


@router.get(
    "/mentoring/requests",
    summary="Mes demandes et mentorats, comme mentoré ou comme mentor, les plus récents d'abord",
    response_model=None,
    responses={**_ok(MentoringRequestPage, "Une page de demandes"), **problem_responses(401, 422)},
)
async def list_requests(
    role: Literal["mentee", "mentor"] | None = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    caller: Caller = Depends(current_user),
    services: Backend = Depends(backend),
) -> Any:
    query = {"role": role, "status": status, "limit": limit, "cursor": cursor}
    return await services.call("mentoring", "list_requests", {k: v for k, v in query.items() if v is not None})
