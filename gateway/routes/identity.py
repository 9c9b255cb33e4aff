"""Identity: agencies, invitations, registration, tokens, profiles."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from gateway.auth import Caller, current_user, optional_user, require_roles
from gateway.backend import Backend, backend
from gateway.idempotency import idempotent
from gateway.errors import ProblemError, problem_responses
from gateway.openapi import answers
from gateway.ratelimit import client_key
from gateway.responses import AnswerRoute
from shared.api.identity import (
    Agency, AgencyIn, EmailIn, EmailLinkConfirmIn, Invitation, InvitationIn, InvitationPage, InvitationQuery, LoginIn,
    LoginTokens, Me, ProfileIn, PasswordChangeIn, PasswordResetConfirmIn, PublicProfile, RefreshIn, RegisterIn,
    SessionPage, TokenPair, User,
)
from shared.api.base import Page
from shared.api.text import ResourceId
from stack.services import SERVICES

router = APIRouter(prefix="/v1", tags=["identity"], responses=problem_responses(503), route_class=AnswerRoute)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def user_agent(request: Request) -> str | None:
    """The browser of a new login, shown in the member's sessions (identity bounds it)."""
    return request.headers.get("user-agent", "")[:1000] or None


@router.get(
    "/agencies",
    summary="Lister les agences",
    response_model=None,
    responses=answers(200, list[Agency], "Les agences"),
)
async def list_agencies(services: Backend = Depends(backend)) -> Any:
    return await services.call("identity", "list_agencies")


@router.post(
    "/agencies",
    summary="Créer une agence (admin)",
    status_code=201,
    dependencies=[idempotent],
    response_model=None,
    responses=answers(201, Agency, "Agence créée", 400, 401, 403, 409, 422),
)
async def create_agency(
    body: AgencyIn,
    caller: Caller = Depends(require_roles("admin")),
    services: Backend = Depends(backend),
) -> Any:
    return await services.create("identity", "create_agency", body.model_dump())


@router.post(
    "/invitations",
    summary="Créer une invitation (conseiller : demandeurs de son agence ; admin : tout rôle)",
    status_code=201,
    dependencies=[idempotent],
    response_model=None,
    responses=answers(201, Invitation, "Invitation créée", 400, 401, 403, 404, 422),
)
async def create_invitation(
    body: InvitationIn,
    caller: Caller = Depends(require_roles("advisor", "admin")),
    services: Backend = Depends(backend),
) -> Any:
    if caller.role == "advisor":
        if body.role != "job_seeker":
            raise ProblemError(403, "Un conseiller n'invite que des demandeurs d'emploi.")
        if body.agency_code not in (None, caller.agency_code):
            raise ProblemError(403, "Un conseiller n'invite que dans son agence.")
    return await services.create("identity", "create_invitation", body.model_dump(exclude_none=True))


@router.get(
    "/invitations",
    summary="Lister les invitations (conseiller : celles de son agence ; admin : toutes)",
    description="Les plus récentes d'abord ; `active=true` : seulement celles encore utilisables "
    "(ni révoquées, ni épuisées, ni expirées).",
    response_model=None,
    responses=answers(200, InvitationPage, "Une page d'invitations", 401, 403, 422),
)
async def list_invitations(
    query: Annotated[InvitationQuery, Query()],
    caller: Caller = Depends(require_roles("advisor", "admin")),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("identity", "list_invitations", query.model_dump(exclude_none=True))


@router.delete(
    "/invitations/{code}",
    summary="Révoquer une invitation",
    description="Par l'équipe nationale ou un conseiller de l'agence de qui l'a créée ; "
    "s'inscrire avec elle répond ensuite 403. Révoquer une invitation déjà révoquée répond 204.",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 403, 404),
)
async def revoke_invitation(
    code: ResourceId,
    caller: Caller = Depends(require_roles("advisor", "admin")),
    services: Backend = Depends(backend),
) -> Response:
    await services.call("identity", "revoke_invitation", code)
    return Response(status_code=204)


@router.post(
    "/auth/register",
    summary="Créer son compte avec une invitation",
    status_code=201,
    dependencies=[idempotent],
    response_model=None,
    responses=answers(201, User, "Compte créé", 400, 403, 409, 422),
)
async def register(body: RegisterIn, services: Backend = Depends(backend)) -> Any:
    return await services.create("identity", "register", body.model_dump())


@router.post(
    "/auth/token",
    summary="Se connecter : obtenir un jeton d'accès et un jeton de rafraîchissement",
    response_model=None,
    description="Après 10 échecs en 15 minutes, un compte refuse les appareils inconnus (429) ; un appareil qui "
    "présente le `device_token` d'une connexion précédente à ce compte n'est bloqué que par ses propres échecs (5). "
    "Une adresse cliente (un /64 en IPv6) est limitée à 50 échecs.",
    responses=answers(200, LoginTokens, "Jetons, et un jeton d'appareil à conserver", 400, 401, 422, 429),
)
async def login(
    body: LoginIn, request: Request, response: Response, services: Backend = Depends(backend)
) -> Any:
    response.headers.update(NO_STORE)
    # The address uvicorn resolved (X-Forwarded-For believed from
    # FORWARDED_ALLOW_IPS only), an IPv6 client by its /64: the rate limits' key.
    address = client_key(request.scope) or "unknown"
    return await services.call("identity", "login", body.model_dump(exclude_none=True), address,
                               user_agent(request))


@router.post(
    "/auth/refresh",
    summary="Échanger un jeton de rafraîchissement contre une nouvelle paire (usage unique)",
    response_model=None,
    responses=answers(200, TokenPair, "Nouvelle paire de jetons", 400, 401, 422, 429),
)
async def refresh(body: RefreshIn, response: Response, services: Backend = Depends(backend)) -> Any:
    response.headers.update(NO_STORE)
    return await services.call("identity", "refresh", body.model_dump())


@router.post(
    "/auth/logout",
    summary="Se déconnecter : révoque le jeton de rafraîchissement",
    description="Le jeton d'accès est facultatif (il peut avoir expiré) ; s'il est envoyé, il doit être valide.",
    status_code=204,
    response_class=Response,
    openapi_extra={"security": [{}]},  # merged with bearerAuth: optional
    responses=problem_responses(400, 401, 422),
)
async def logout(
    body: RefreshIn,
    caller: Caller | None = Depends(optional_user),
    services: Backend = Depends(backend),
) -> Response:
    await services.call("identity", "logout", body.model_dump())
    return Response(status_code=204)


@router.post(
    "/auth/password-reset",
    summary="Demander un lien pour choisir un nouveau mot de passe",
    description="202 quelle que soit l'adresse : quand elle est celle d'un membre, un e-mail lui apporte "
    "un lien à usage unique, valable une heure.",
    status_code=202,
    response_class=Response,
    responses=problem_responses(400, 422, 429),
)
async def request_password_reset(body: EmailIn, services: Backend = Depends(backend)) -> Response:
    await services.call("identity", "request_password_reset", body.model_dump())
    return Response(status_code=202)


@router.post(
    "/auth/password-reset/confirm",
    summary="Choisir un nouveau mot de passe avec le jeton du lien reçu",
    description="Toutes les connexions du membre prennent fin et un e-mail l'en informe. "
    "Jeton déjà utilisé, expiré ou inconnu : 400 ; mot de passe trop faible : 422 (le lien reste utilisable).",
    status_code=204,
    response_class=Response,
    responses=problem_responses(400, 422, 429),
)
async def confirm_password_reset(body: PasswordResetConfirmIn, services: Backend = Depends(backend)) -> Response:
    await services.call("identity", "confirm_password_reset", body.model_dump())
    return Response(status_code=204)


@router.post(
    "/auth/email-link",
    summary="Recevoir un lien de connexion par e-mail",
    description="202 quelle que soit l'adresse : quand elle est celle d'un membre, un e-mail lui apporte "
    "un lien de connexion à usage unique, valable 15 minutes.",
    status_code=202,
    response_class=Response,
    responses=problem_responses(400, 422, 429),
)
async def request_email_link(body: EmailIn, services: Backend = Depends(backend)) -> Response:
    await services.call("identity", "request_email_link", body.model_dump())
    return Response(status_code=202)


@router.post(
    "/auth/email-link/confirm",
    summary="Se connecter avec le jeton d'un lien de connexion",
    description="Les mêmes jetons que `POST /v1/auth/token`. Jeton déjà utilisé, expiré ou inconnu : 400.",
    response_model=None,
    responses=answers(200, TokenPair, "Jetons", 400, 422, 429),
)
async def confirm_email_link(
    body: EmailLinkConfirmIn, request: Request, response: Response, services: Backend = Depends(backend)
) -> Any:
    response.headers.update(NO_STORE)
    return await services.call("identity", "confirm_email_link", body.model_dump(), user_agent(request))


@router.post(
    "/me/password",
    summary="Changer mon mot de passe",
    description="Avec le mot de passe actuel (sinon 403). Mes autres connexions prennent fin et un e-mail "
    "m'en informe ; celle de cette requête continue.",
    status_code=204,
    response_class=Response,
    responses=problem_responses(400, 401, 403, 422),
)
async def change_password(
    body: PasswordChangeIn, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Response:
    await services.call("identity", "change_password", body.model_dump())
    return Response(status_code=204)


@router.get(
    "/me",
    summary="Mon profil",
    response_model=None,
    responses=answers(200, Me, "Le profil de l'appelant", 401),
)
async def get_me(caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Any:
    return await services.call("identity", "get_me")


@router.get(
    "/users/{id}",
    summary="Profil public d'un membre",
    response_model=None,
    responses=answers(200, PublicProfile, "Profil public (jamais l'e-mail)", 401, 404),
)
async def get_user(id: ResourceId, caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Any:
    return await services.call("identity", "get_user", id)


@router.patch(
    "/me",
    summary="Modifier mon profil (nom affiché, présentation, thèmes)",
    response_model=None,
    responses=answers(200, Me, "Le profil modifié", 400, 401, 422),
)
async def update_me(
    body: ProfileIn, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    return await services.call("identity", "update_me", body.model_dump(exclude_unset=True))


@router.get(
    "/me/export",
    summary="Exporter toutes mes données (RGPD)",
    description="Un document JSON avec ce que chaque service détient sur l'appelant.",
    response_model=None,
    responses=answers(200, dict[str, Any], "Les données, par service", 401),
)
async def export_me(caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Any:
    names = list(SERVICES)
    parts = await asyncio.gather(*(services.call(name, "export_user_data") for name in names))
    return {
        "exported_at": datetime.now(timezone.utc).isoformat(),
        "user_id": caller.id,
        "services": dict(zip(names, parts)),
    }


@router.delete(
    "/me",
    summary="Supprimer mon compte et mes données (RGPD)",
    description="202 : le compte est effacé tout de suite ; chaque service efface ensuite "
    "les données personnelles qu'il détient. Les publications restent, signées « Membre supprimé ».",
    status_code=202,
    response_class=Response,
    responses=problem_responses(401),
)
async def erase_me(caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Response:
    await services.call("identity", "erase_me")
    return Response(status_code=202)


@router.get(
    "/me/sessions",
    summary="Mes connexions en cours",
    description="Chaque connexion (appareil, navigateur) encore valable, la plus récente d'abord ; "
    "`current` marque celle de cette requête.",
    response_model=None,
    responses=answers(200, SessionPage, "Une page de connexions", 401, 422),
)
async def list_sessions(
    query: Annotated[Page, Query()], response: Response, caller: Caller = Depends(current_user),
    services: Backend = Depends(backend),
) -> Any:
    response.headers.update(NO_STORE)
    return await services.call("identity", "list_sessions", query.model_dump(exclude_none=True))


@router.delete(
    "/me/sessions/{id}",
    summary="Mettre fin à une de mes connexions",
    description="Ses jetons cessent de fonctionner : le jeton de rafraîchissement tout de suite, "
    "le jeton d'accès dès que la passerelle reçoit la révocation (en général moins d'une seconde).",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 404),
)
async def end_session(id: ResourceId, caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Response:
    await services.call("identity", "end_session", id)
    return Response(status_code=204)
