"""Posts: topics, posts, comments, reactions, accepted answers, pins, search and feed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import Field

from gateway.auth import Caller, current_user, require_roles
from gateway.backend import Backend, backend
from gateway.errors import ProblemError, problem_responses
from gateway.schemas import RequestModel, ResponseModel

router = APIRouter(prefix="/v1", tags=["posts"], responses=problem_responses(503))

PostKind = Literal["question", "discussion", "testimony", "job_info", "video"]
ReactionType = Literal["helpful", "thanks", "support"]
PostStatus = Literal["pending", "published", "held", "rejected", "hidden", "removed"]
STAFF_KINDS = {"job_info", "video"}
STAFF_ROLES = {"company", "advisor", "admin"}
Text = Annotated[str, Field(min_length=1, max_length=200)]
TopicSlug = Annotated[str, Field(min_length=1, max_length=80)]
PostId = Annotated[str, Path(min_length=1, max_length=128, description="Identifiant de la publication")]
Limit = Annotated[int, Query(ge=1, le=100, description="Taille de la page (20 par défaut, 100 au plus)")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="Curseur opaque de la page suivante (`next_cursor` de la page précédente)"),
]

PAGINATION_NOTE = (
    "Pagination par curseur : `?limit=` (20 par défaut, 100 au plus) et `?cursor=` (le `next_cursor` de la page "
    "précédente, opaque). La réponse est `{items, next_cursor}` ; `next_cursor` vaut `null` sur la dernière page. "
    "Un curseur altéré ou d'une autre liste est refusé (422 sur `cursor`)."
)


class JobDetails(RequestModel):
    rome_code: str | None = Field(None, pattern=r"^[A-N][0-9]{4}$")
    skills: list[Text] = Field(default_factory=list, max_length=30)
    trainings: list[Text] = Field(default_factory=list, max_length=30)
    bridges: list[Text] = Field(default_factory=list, max_length=30)
    hiring: bool | None = None


class PostIn(RequestModel):
    kind: PostKind
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20000)
    topics: list[TopicSlug] = Field(default_factory=list, max_length=10)
    video_url: str | None = Field(None, max_length=500, pattern=r"^https://\S+$")
    details: JobDetails | None = None


class PostPatch(RequestModel):
    """Only `title`, `body` and `topics` change; any other field is a 422."""

    title: str | None = Field(None, min_length=1, max_length=200)
    body: str | None = Field(None, min_length=1, max_length=20000)
    topics: list[TopicSlug] | None = Field(None, max_length=10)


class CommentIn(RequestModel):
    body: str = Field(min_length=1, max_length=10000)


class ReactionIn(RequestModel):
    type: ReactionType


class AcceptIn(RequestModel):
    comment_id: str = Field(min_length=1, max_length=64)


class TopicIn(RequestModel):
    slug: str = Field(
        min_length=2, max_length=80,
        description="Code ROME (`^[A-N][0-9]{4}$`) pour kind `rome`, sinon minuscules, chiffres et tirets",
    )
    label: str = Field(min_length=2, max_length=200)
    kind: Literal["sector", "theme", "rome"]


class Topic(ResponseModel):
    slug: str
    label: str
    kind: Literal["sector", "theme", "rome"]


class Author(ResponseModel):
    id: str | None = Field(description="`null` quand le membre a supprimé son compte")
    display_name: str | None = Field(description="« Membre supprimé » quand le membre a supprimé son compte")


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
    video_url: str | None = None
    details: dict[str, Any] | None = None
    author: Author
    agency_code: str | None
    status: PostStatus
    moderation_reason: str | None = Field(None, description="Pour l'auteur seulement, quand le contenu est retenu ou refusé")
    created_at: str
    updated_at: str | None = None
    published_at: str | None = None
    comment_count: int = Field(description="Commentaires publiés")
    reactions: Reactions
    my_reactions: list[ReactionType] = Field(default_factory=list, description="Les réactions de l'appelant")
    accepted_comment_id: str | None
    validated_by_advisor: bool = Field(False, description="La réponse acceptée l'a été par un conseiller ou un administrateur")
    pinned: bool


class PostPage(ResponseModel):
    items: list[Post]
    next_cursor: str | None


class Comment(ResponseModel):
    id: str
    post_id: str
    body: str
    author: Author
    status: PostStatus
    moderation_reason: str | None = None
    created_at: str
    published_at: str | None = None
    accepted: bool
    validated_by_advisor: bool


class CommentPage(ResponseModel):
    items: list[Comment]
    next_cursor: str | None


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


def _ok(model: Any, description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": description}}


def _query(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# ---------------------------------------------------------------- topics

@router.get(
    "/topics",
    summary="Lister les thèmes, secteurs et métiers (codes ROME)",
    description="Les codes ROME et leurs libellés viennent du Répertoire Opérationnel des Métiers et des Emplois "
    "de France Travail (Licence Ouverte / Open Licence 2.0).",
    response_model=None,
    responses=_ok(list[Topic], "Les thèmes"),
)
async def list_topics(services: Backend = Depends(backend)) -> Any:
    return await services.call("posts", "list_topics")


@router.post(
    "/topics",
    summary="Ajouter un thème, un secteur ou un code ROME (admin)",
    status_code=201,
    response_model=None,
    responses={201: {"model": Topic, "description": "Thème ajouté"}, **problem_responses(400, 401, 403, 409, 422)},
)
async def add_topic(
    body: TopicIn, caller: Caller = Depends(require_roles("admin")), services: Backend = Depends(backend)
) -> Any:
    return await services.call("posts", "add_topic", body.model_dump())


# ---------------------------------------------------------------- posts

@router.post(
    "/posts",
    summary="Publier un contenu (en attente de modération)",
    description="Un membre restreint (sourdine) reçoit 403.",
    status_code=201,
    response_model=None,
    responses={201: {"model": Post, "description": "Contenu créé, statut « pending »"}, **problem_responses(400, 401, 403, 422)},
)
async def create_post(body: PostIn, caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Any:
    check_post_rules(body, caller)
    return await services.call("posts", "create_post", body.model_dump(exclude_none=True))


@router.get(
    "/posts",
    summary="Lister ou rechercher des contenus publiés",
    description="Filtres `topic`, `kind`, `author`, `agency`, `unanswered`. Avec `q`, recherche plein texte en français "
    "(racines et accents ignorés : `metiers` trouve « métier »), les plus pertinents d'abord parmi les 1 000 "
    "correspondances les plus récentes ; sinon les plus récents d'abord. Avec `author` égal à l'appelant, ses "
    "propres contenus dans tous les statuts (sauf supprimés). " + PAGINATION_NOTE,
    response_model=None,
    responses={**_ok(PostPage, "Une page de contenus"), **problem_responses(401, 422)},
)
async def list_posts(
    topic: Annotated[str | None, Query(max_length=80)] = None,
    kind: PostKind | None = None,
    author: Annotated[str | None, Query(max_length=64)] = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Recherche plein texte en français")] = None,
    unanswered: Annotated[
        bool | None, Query(description="Seulement les contenus sans aucune réponse publiée (avec `kind=question` : "
                                       "les questions qui attendent encore une réponse)")
    ] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
    caller: Caller = Depends(current_user),
    services: Backend = Depends(backend),
) -> Any:
    query = _query(topic=topic, kind=kind, author=author, agency=agency, q=q, unanswered=unanswered or None,
                   limit=limit, cursor=cursor)
    return await services.call("posts", "list_posts", query)


@router.get(
    "/feed",
    summary="Mon fil : contenus de mon agence et de mes thèmes, épinglés d'abord",
    description="Les contenus publiés de l'agence de l'appelant (ceux épinglés par ses conseillers d'abord) et "
    "ceux de ses thèmes (profil, PATCH /v1/me) ; sans agence ni thème, tous les contenus publiés. " + PAGINATION_NOTE,
    response_model=None,
    responses={**_ok(PostPage, "Une page du fil"), **problem_responses(401, 422)},
)
async def feed(
    limit: Limit = 20, cursor: Cursor = None, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    return await services.call("posts", "feed", _query(limit=limit, cursor=cursor))


@router.get(
    "/posts/{id}",
    summary="Lire un contenu",
    description="Un contenu non publié n'est visible que de son auteur (404 pour les autres).",
    response_model=None,
    responses={**_ok(Post, "Le contenu"), **problem_responses(401, 404)},
)
async def get_post(id: PostId, caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Any:
    return await services.call("posts", "get_post", id)


@router.patch(
    "/posts/{id}",
    summary="Modifier un contenu (auteur, admin) : il repasse en modération",
    description="Seuls `title`, `body` et `topics` se modifient ; tout autre champ est refusé (422).",
    response_model=None,
    responses={**_ok(Post, "Le contenu, statut « pending »"), **problem_responses(400, 401, 403, 404, 422)},
)
async def edit_post(
    id: PostId, body: PostPatch, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    return await services.call("posts", "edit_post", id, body.model_dump(exclude_unset=True))


@router.delete(
    "/posts/{id}",
    summary="Supprimer un contenu (auteur, conseiller de son agence, admin)",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 403, 404),
)
async def remove_post(id: PostId, caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Response:
    await services.call("posts", "remove_post", id)
    return Response(status_code=204)


# ---------------------------------------------------------------- conversation

@router.post(
    "/posts/{id}/comments",
    summary="Commenter (répondre) : en attente de modération",
    description="Seulement sur un contenu publié ; un membre restreint (sourdine) reçoit 403.",
    status_code=201,
    response_model=None,
    responses={201: {"model": Comment, "description": "Commentaire créé"}, **problem_responses(400, 401, 403, 404, 409, 422)},
)
async def add_comment(
    id: PostId, body: CommentIn, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    return await services.call("posts", "add_comment", id, body.model_dump())


@router.get(
    "/posts/{id}/comments",
    summary="Lire les commentaires, les plus anciens d'abord",
    description="Les commentaires publiés, et ceux de l'appelant dans tous les statuts. " + PAGINATION_NOTE,
    response_model=None,
    responses={**_ok(CommentPage, "Une page de commentaires"), **problem_responses(401, 404, 422)},
)
async def list_comments(
    id: PostId, limit: Limit = 20, cursor: Cursor = None,
    caller: Caller = Depends(current_user), services: Backend = Depends(backend),
) -> Any:
    return await services.call("posts", "list_comments", id, _query(limit=limit, cursor=cursor))


@router.post(
    "/posts/{id}/reactions",
    summary="Réagir (une fois par type ; recommencer ne compte pas deux fois)",
    status_code=204,
    response_class=Response,
    responses=problem_responses(400, 401, 404, 409, 422),
)
async def add_reaction(
    id: PostId, body: ReactionIn, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Response:
    await services.call("posts", "add_reaction", id, body.model_dump())
    return Response(status_code=204)


@router.delete(
    "/posts/{id}/reactions/{type}",
    summary="Retirer sa réaction",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 404, 422),
)
async def remove_reaction(
    id: PostId, type: ReactionType, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Response:
    await services.call("posts", "remove_reaction", id, type)
    return Response(status_code=204)


@router.post(
    "/posts/{id}/accept",
    summary="Accepter une réponse (auteur de la question, conseiller de son agence, admin)",
    description="Seulement sur une question, et un commentaire publié de cette question. Acceptée par un "
    "conseiller (ou un administrateur), elle est marquée `validated_by_advisor: true`.",
    response_model=None,
    responses={**_ok(Post, "La question, avec sa réponse acceptée"), **problem_responses(400, 401, 403, 404, 409, 422)},
)
async def accept_answer(
    id: PostId, body: AcceptIn, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    return await services.call("posts", "accept_answer", id, body.model_dump())


@router.post(
    "/posts/{id}/pin",
    summary="Épingler (conseiller de son agence, admin) : en tête du fil de l'agence",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 409),
)
async def pin_post(
    id: PostId, caller: Caller = Depends(require_roles("advisor", "admin")), services: Backend = Depends(backend)
) -> Response:
    await services.call("posts", "set_pinned", id, True)
    return Response(status_code=204)


@router.delete(
    "/posts/{id}/pin",
    summary="Désépingler (conseiller de son agence, admin)",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 403, 404),
)
async def unpin_post(
    id: PostId, caller: Caller = Depends(require_roles("advisor", "admin")), services: Backend = Depends(backend)
) -> Response:
    await services.call("posts", "set_pinned", id, False)
    return Response(status_code=204)
