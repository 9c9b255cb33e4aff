"""Posts: topics, posts, comments, reactions, accepted answers, pins, search and feed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from gateway.auth import Caller, current_user, require_roles
from gateway.backend import Backend, backend
from gateway.idempotency import idempotent
from gateway.errors import ProblemError, problem_responses
from gateway.openapi import answers
from gateway.responses import ETAG_HEADER, NOT_MODIFIED_DESCRIPTION, AnswerRoute, conditional_json
from shared.api.base import Page
from shared.api.posts import (
    PUBLISHER_KINDS, PUBLISHER_ROLES, AcceptIn, Comment, CommentIn, CommentPage, Post, PostFilters, PostIn, PostPage,
    PostPatch, ReactionIn, ReactionType, Topic, TopicIn,
)
from shared.api.text import ResourceId
from shared.caller import STAFF_ROLES

router = APIRouter(prefix="/v1", tags=["posts"], responses=problem_responses(503), route_class=AnswerRoute)

PostId = Annotated[ResourceId, Path(description="Identifiant de la publication")]
IfNoneMatch = Annotated[
    str | None,
    Header(alias="If-None-Match", description="L'`ETag` d'une réponse déjà reçue : 304 sans corps si elle n'a pas changé."),
]
CONDITIONAL_NOTE = (
    " La réponse porte un `ETag` ; renvoyé dans `If-None-Match`, il donne 304 sans corps tant que la réponse "
    "(pour cet appelant) n'a pas changé."
)


def conditional(status: int, model: Any, description: str, *problems: int) -> dict:
    """`answers(...)` for a read that honours If-None-Match: its 200 carries an ETag, and 304."""
    documented = answers(status, model, description, *problems)
    documented[status]["headers"] = ETAG_HEADER
    documented[304] = {"description": NOT_MODIFIED_DESCRIPTION, "headers": ETAG_HEADER}
    return documented
staff = require_roles(*STAFF_ROLES)

PAGINATION_NOTE = (
    "Pagination par curseur : `?limit=` (20 par défaut, 100 au plus) et `?cursor=` (le `next_cursor` de la page "
    "précédente, opaque). La réponse est `{items, next_cursor}` ; `next_cursor` vaut `null` sur la dernière page. "
    "Un curseur altéré ou d'une autre liste est refusé (422 sur `cursor`)."
)


def _invalid(field: str, msg: str) -> ProblemError:
    return ProblemError(422, errors=[{"loc": ["body", field], "msg": msg}])


def check_post_rules(body: PostIn, caller: Caller) -> None:
    """What API.md fixes about kinds; the posts service checks again."""
    if body.kind in PUBLISHER_KINDS and caller.role not in PUBLISHER_ROLES:
        raise ProblemError(403, "Seuls les entreprises, conseillers et administrateurs publient ce type de contenu.")
    if body.kind == "video" and not body.video_url:
        raise _invalid("video_url", "Champ obligatoire pour une vidéo.")
    if body.kind != "video" and body.video_url is not None:
        raise _invalid("video_url", "Réservé aux vidéos.")
    if body.kind != "job_info" and body.details is not None:
        raise _invalid("details", "Réservé aux fiches métier.")


# ---------------------------------------------------------------- topics

@router.get(
    "/topics",
    summary="Lister les thèmes, secteurs et métiers (codes ROME)",
    description="Les codes ROME et leurs libellés viennent du Répertoire Opérationnel des Métiers et des Emplois "
    "de France Travail (Licence Ouverte / Open Licence 2.0).",
    response_model=None,
    responses=answers(200, list[Topic], "Les thèmes"),
)
async def list_topics(services: Backend = Depends(backend)) -> Any:
    return await services.call("posts", "list_topics")


@router.post(
    "/topics",
    summary="Ajouter un thème, un secteur ou un code ROME (admin)",
    status_code=201,
    dependencies=[idempotent],
    response_model=None,
    responses=answers(201, Topic, "Thème ajouté", 400, 401, 403, 409, 422),
)
async def add_topic(
    body: TopicIn, caller: Caller = Depends(require_roles("admin")), services: Backend = Depends(backend)
) -> Any:
    return await services.create("posts", "add_topic", body.model_dump())


# ---------------------------------------------------------------- posts

@router.post(
    "/posts",
    summary="Publier un contenu (en attente de modération)",
    description="Un membre restreint (sourdine) reçoit 403.",
    status_code=201,
    dependencies=[idempotent],
    response_model=None,
    responses=answers(201, Post, "Contenu créé, statut « pending »", 400, 401, 403, 422),
)
async def create_post(body: PostIn, caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Any:
    check_post_rules(body, caller)
    return await services.create("posts", "create_post", body.model_dump(exclude_none=True))


@router.get(
    "/posts",
    summary="Lister ou rechercher des contenus publiés",
    description="Filtres `topic`, `kind`, `author`, `agency`, `unanswered`. Avec `q`, recherche plein texte en français "
    "(racines et accents ignorés : `metiers` trouve « métier »), les plus pertinents d'abord parmi les 1 000 "
    "correspondances les plus récentes ; sinon les plus récents d'abord. Avec `author` égal à l'appelant, ses "
    "propres contenus dans tous les statuts (sauf supprimés). " + PAGINATION_NOTE,
    response_model=None,
    responses=answers(200, PostPage, "Une page de contenus", 401, 422),
)
async def list_posts(
    query: Annotated[PostFilters, Query()], caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    return await services.call("posts", "list_posts", query.model_dump(exclude_none=True))


@router.get(
    "/feed",
    summary="Mon fil : contenus de mon agence et de mes thèmes, épinglés d'abord",
    description="Les contenus publiés de l'agence de l'appelant (ceux épinglés par ses conseillers d'abord) et "
    "ceux de ses thèmes (profil, PATCH /v1/me) ; sans agence ni thème, tous les contenus publiés. " + PAGINATION_NOTE
    + CONDITIONAL_NOTE,
    response_model=None,
    responses=conditional(200, PostPage, "Une page du fil", 401, 422),
)
async def feed(
    page: Annotated[Page, Query()], if_none_match: IfNoneMatch = None,
    caller: Caller = Depends(current_user), services: Backend = Depends(backend),
) -> Any:
    return conditional_json(await services.call("posts", "feed", page.model_dump(exclude_none=True)), if_none_match)


@router.get(
    "/posts/{id}",
    summary="Lire un contenu",
    description="Un contenu non publié n'est visible que de son auteur (404 pour les autres)." + CONDITIONAL_NOTE,
    response_model=None,
    responses=conditional(200, Post, "Le contenu", 401, 404),
)
async def get_post(
    id: PostId, if_none_match: IfNoneMatch = None,
    caller: Caller = Depends(current_user), services: Backend = Depends(backend),
) -> Any:
    return conditional_json(await services.call("posts", "get_post", id), if_none_match)


@router.patch(
    "/posts/{id}",
    summary="Modifier un contenu (auteur, admin) : il repasse en modération",
    description="Seuls `title`, `body` et `topics` se modifient ; tout autre champ est refusé (422).",
    response_model=None,
    responses=answers(200, Post, "Le contenu, statut « pending »", 400, 401, 403, 404, 422),
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
    dependencies=[idempotent],
    response_model=None,
    responses=answers(201, Comment, "Commentaire créé", 400, 401, 403, 404, 409, 422),
)
async def add_comment(
    id: PostId, body: CommentIn, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    return await services.create("posts", "add_comment", id, body.model_dump())


@router.get(
    "/posts/{id}/comments",
    summary="Lire les commentaires, les plus anciens d'abord",
    description="Les commentaires publiés, et ceux de l'appelant dans tous les statuts. " + PAGINATION_NOTE,
    response_model=None,
    responses=answers(200, CommentPage, "Une page de commentaires", 401, 404, 422),
)
async def list_comments(
    id: PostId, page: Annotated[Page, Query()], caller: Caller = Depends(current_user),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("posts", "list_comments", id, page.model_dump(exclude_none=True))


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
    responses=answers(200, Post, "La question, avec sa réponse acceptée", 400, 401, 403, 404, 409, 422),
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
async def pin_post(id: PostId, caller: Caller = Depends(staff), services: Backend = Depends(backend)) -> Response:
    await services.call("posts", "set_pinned", id, True)
    return Response(status_code=204)


@router.delete(
    "/posts/{id}/pin",
    summary="Désépingler (conseiller de son agence, admin)",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 403, 404),
)
async def unpin_post(id: PostId, caller: Caller = Depends(staff), services: Backend = Depends(backend)) -> Response:
    await services.call("posts", "set_pinned", id, False)
    return Response(status_code=204)
