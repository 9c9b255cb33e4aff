"""Identity: agencies, invitations, registration, tokens, profiles."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import Field

from gateway.auth import Caller, current_user, optional_user, require_roles
from gateway.backend import Backend, backend
from gateway.errors import ProblemError, problem_responses
from gateway.schemas import Email, RequestModel, ResponseModel
from stack.services import SERVICES

router = APIRouter(prefix="/v1", tags=["identity"], responses=problem_responses(503))

Role = Literal["job_seeker", "advisor", "company", "admin"]
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class AgencyIn(RequestModel):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[A-Z0-9][A-Z0-9-]*$")
    name: str = Field(min_length=2, max_length=200)
    region: str = Field(min_length=2, max_length=100)


class Agency(ResponseModel):
    code: str
    name: str
    region: str


class InvitationIn(RequestModel):
    role: Role
    agency_code: str | None = Field(None, min_length=2, max_length=40)
    organization: str | None = Field(None, min_length=1, max_length=200)
    email: Email | None = None
    max_uses: int = Field(1, ge=1, le=1000)
    expires_in_days: int = Field(14, ge=1, le=90)


class Invitation(ResponseModel):
    code: str
    role: Role
    agency_code: str | None
    expires_at: str
    max_uses: int


class RegisterIn(RequestModel):
    invitation_code: str = Field(min_length=1, max_length=128)
    email: Email
    password: str = Field(min_length=1, max_length=256)
    display_name: str = Field(min_length=1, max_length=80)


class User(ResponseModel):
    id: str
    email: str
    display_name: str
    role: Role
    agency_code: str | None


class LoginIn(RequestModel):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class RefreshIn(RequestModel):
    refresh_token: str = Field(min_length=1, max_length=4096)


class TokenPair(ResponseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"]
    expires_in: int


class Me(User):
    bio: str | None
    topics: list[str]
    created_at: str


class ProfileIn(RequestModel):
    """Only these; role, agency_code, email or anything else is 422."""

    display_name: str | None = Field(None, min_length=2, max_length=80)
    bio: str | None = Field(None, max_length=2000)
    topics: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,80}$")]] | None = Field(None, max_length=30)


class PublicProfile(ResponseModel):
    id: str
    display_name: str
    role: Role
    agency_code: str | None
    bio: str | None


def _ok(model: Any, description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": description}}


def _created(model: Any, description: str) -> dict[int | str, dict[str, Any]]:
    return {201: {"model": model, "description": description}}


@router.get(
    "/agencies",
    summary="Lister les agences",
    response_model=None,
    responses=_ok(list[Agency], "Les agences"),
)
async def list_agencies(services: Backend = Depends(backend)) -> Any:
    return await services.call("identity", "list_agencies")


@router.post(
    "/agencies",
    summary="Créer une agence (admin)",
    status_code=201,
    response_model=None,
    responses={**_created(Agency, "Agence créée"), **problem_responses(400, 401, 403, 409, 422)},
)
async def create_agency(
    body: AgencyIn,
    caller: Caller = Depends(require_roles("admin")),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("identity", "create_agency", body.model_dump())


@router.post(
    "/invitations",
    summary="Créer une invitation (conseiller : demandeurs de son agence ; admin : tout rôle)",
    status_code=201,
    response_model=None,
    responses={**_created(Invitation, "Invitation créée"), **problem_responses(400, 401, 403, 404, 422)},
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
    return await services.call("identity", "create_invitation", body.model_dump(exclude_none=True))


@router.post(
    "/auth/register",
    summary="Créer son compte avec une invitation",
    status_code=201,
    response_model=None,
    responses={**_created(User, "Compte créé"), **problem_responses(400, 403, 409, 422)},
)
async def register(body: RegisterIn, services: Backend = Depends(backend)) -> Any:
    return await services.call("identity", "register", body.model_dump())


@router.post(
    "/auth/token",
    summary="Se connecter : obtenir un jeton d'accès et un jeton de rafraîchissement",
    response_model=None,
    responses={**_ok(TokenPair, "Jetons"), **problem_responses(400, 401, 422, 429)},
)
async def login(
    body: LoginIn, request: Request, response: Response, services: Backend = Depends(backend)
) -> Any:
    response.headers.update(NO_STORE)
    client_key = request.client.host if request.client else "unknown"
    return await services.call("identity", "login", body.model_dump(), client_key)


@router.post(
    "/auth/refresh",
    summary="Échanger un jeton de rafraîchissement contre une nouvelle paire (usage unique)",
    response_model=None,
    responses={**_ok(TokenPair, "Nouvelle paire de jetons"), **problem_responses(400, 401, 422, 429)},
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


@router.get(
    "/me",
    summary="Mon profil",
    response_model=None,
    responses={**_ok(Me, "Le profil de l'appelant"), **problem_responses(401)},
)
async def get_me(caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Any:
    return await services.call("identity", "get_me")


@router.get(
    "/users/{id}",
    summary="Profil public d'un membre",
    response_model=None,
    responses={**_ok(PublicProfile, "Profil public (jamais l'e-mail)"), **problem_responses(401, 404)},
)
async def get_user(
    id: Annotated[str, Path(min_length=1, max_length=128)],
    caller: Caller = Depends(current_user),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("identity", "get_user", id)


@router.patch(
    "/me",
    summary="Modifier mon profil (nom affiché, présentation, thèmes)",
    response_model=None,
    responses={**_ok(Me, "Le profil modifié"), **problem_responses(400, 401, 422)},
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
    responses={**_ok(dict[str, Any], "Les données, par service"), **problem_responses(401)},
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
