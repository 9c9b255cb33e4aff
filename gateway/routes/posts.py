"""Posts: topics, creating and reading posts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import Field

from gateway.auth import Caller, current_user
from gateway.backend import Backend, backend
from gateway.errors import ProblemError, problem_responses
from gateway.schemas import RequestModel, ResponseModel

router = APIRouter(prefix="/v1", tags=["posts"], responses=problem_responses(503))

PostKind = Literal["question", "discussion", "testimony", "job_info", "video"]
STAFF_KINDS = {"job_info", "video"}
STAFF_ROLES = {"company", "advisor", "admin"}
Text = Annotated[str, Field(min_length=1, max_length=200)]


class JobDetails(RequestModel):
    rome_code: str | None = Field(None, pattern=r"^[A-N][0-9]{4}$")
    skills: list[Text] = Field(default_factory=list, max_length=50)
    trainings: list[Text] = Field(default_factory=list, max_length=50)
    bridges: list[Text] = Field(default_factory=list, max_length=50)
    hiring: bool | None = None


class PostIn(RequestModel):
    kind: PostKind
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20000)
    topics: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=10
    )
    video_url: str | None = Field(None, max_length=2048, pattern=r"^https://\S+$")
    details: JobDetails | None = None


class Topic(ResponseModel):
    slug: str
    label: str
    kind: Literal["sector", "theme", "rome"]


class Author(ResponseModel):
    id: str | None
    display_name: str


class Reactions(ResponseModel):
    helpful: int
    thanks: int
    support: int


class Post(ResponseModel):
    id: str
    kind: PostKind
    title: str
    body: str
    topics: list[str]
    author: Author
    agency_code: str | None
    status: Literal["pending", "published", "held", "rejected", "hidden", "removed"]
    created_at: str
    comment_count: int
    reactions: Reactions
    accepted_comment_id: str | None
    pinned: bool


def _invalid(field: str, msg: str) -> ProblemError:
    return ProblemError(422, errors=[{"loc": ["body", field], "msg": msg}])


def check_post_rules(body: PostIn, caller: Caller) -> None:
    """What API.md fixes about kinds; the posts service checks again."""
    if body.kind in STAFF_KINDS and caller.role not in STAFF_ROLES:
        raise ProblemError(403, "Seuls les entreprises, conseillers et administrateurs publient ce type de contenu.")
    if body.kind == "video" and not body.video_url:
        raise _invalid("video_url", "Champ obligatoire pour une vidéo.")
    if body.kind != "video" and body.video_url is not None:
        raise _invalid("video_url", "Réservé aux vidéos.")
    if body.kind != "job_info" and body.details is not None:
        raise _invalid("details", "Réservé aux fiches métier.")


@router.get(
    "/topics",
    summary="Lister les thèmes, secteurs et métiers (codes ROME)",
    response_model=None,
    responses={200: {"model": list[Topic], "description": "Les thèmes"}},
)
async def list_topics(services: Backend = Depends(backend)) -> Any:
    return await services.call("posts", "list_topics")


@router.post(
    "/posts",
    summary="Publier un contenu (en attente de modération)",
    status_code=201,
    response_model=None,
    responses={
        201: {"model": Post, "description": "Contenu créé, statut « pending »"},
        **problem_responses(400, 401, 403, 422),
    },
)
async def create_post(
    body: PostIn,
    caller: Caller = Depends(current_user),
    services: Backend = Depends(backend),
) -> Any:
    check_post_rules(body, caller)
    return await services.call("posts", "create_post", body.model_dump(exclude_none=True))


@router.get(
    "/posts/{id}",
    summary="Lire un contenu",
    response_model=None,
    responses={200: {"model": Post, "description": "Le contenu"}, **problem_responses(401, 404)},
)
async def get_post(
    id: Annotated[str, Path(min_length=1, max_length=128)],
    caller: Caller = Depends(current_user),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("posts", "get_post", id)
