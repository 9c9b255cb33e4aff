"""Events: job fairs, workshops, information sessions, webinars; registrations,
waitlists, attendance, cancellations and calendar files."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from gateway.auth import Caller, current_user, require_roles
from gateway.backend import Backend, backend
from gateway.idempotency import idempotent
from gateway.errors import ProblemError, problem_responses
from gateway.openapi import answers
from gateway.responses import AnswerRoute
from shared.api.base import Page
from shared.api.events import (
    ORGANIZER_ROLES, AttendanceIn, AttendeePage, CancelIn, Event, EventDetail, EventFilters, EventIn, EventPage,
    MyRegistrationPage, Registration,
)
from shared.api.text import ResourceId

router = APIRouter(prefix="/v1", tags=["events"], responses=problem_responses(503), route_class=AnswerRoute)

organizers = require_roles(*ORGANIZER_ROLES)
ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"


def _invalid(field: str, msg: str) -> dict[str, Any]:
    return {"loc": ["body", field], "msg": msg}


def check_event_rules(body: EventIn, caller: Caller, now: datetime) -> None:
    """What API.md fixes about an event; the events service checks again."""
    if caller.role == "advisor" and body.agency_code not in (None, caller.agency_code):
        raise ProblemError(403, "Un conseiller n'organise des événements que pour son agence.")
    errors = []
    if body.starts_at <= now:
        errors.append(_invalid("starts_at", "L'événement doit commencer dans le futur."))
    if body.ends_at <= body.starts_at:
        errors.append(_invalid("ends_at", "La fin doit être après le début."))
    if not body.location and not body.online_url:
        message = "Indiquez un lieu ou un lien de participation en ligne."
        errors.extend([_invalid("location", message), _invalid("online_url", message)])
    if errors:
        raise ProblemError(422, errors=errors)


async def check_references(body: EventIn, services: Backend) -> None:
    """The agency and the topics must exist (identity's agencies, posts' topics)."""
    errors = []
    if body.agency_code is not None:
        agencies = {a["code"] for a in await services.call("identity", "list_agencies")}
        if body.agency_code not in agencies:
            errors.append(_invalid("agency_code", "Agence inconnue."))
    if body.topics:
        known = {t["slug"] for t in await services.call("posts", "list_topics")}
        unknown = sorted(set(body.topics) - known)
        if unknown:
            errors.append(_invalid("topics", "Thème inconnu : " + ", ".join(unknown)))
    if errors:
        raise ProblemError(422, errors=errors)


@router.post(
    "/events",
    summary="Organiser un événement (conseiller pour son agence, entreprise, admin)",
    status_code=201,
    dependencies=[idempotent],
    response_model=None,
    responses=answers(201, Event, "Événement créé", 400, 401, 403, 422),
)
async def create_event(
    body: EventIn,
    caller: Caller = Depends(organizers),
    services: Backend = Depends(backend),
) -> Any:
    check_event_rules(body, caller, datetime.now(timezone.utc))
    await check_references(body, services)
    return await services.create("events", "create_event", body.model_dump(mode="json", exclude_none=True))


@router.get(
    "/events",
    summary="Lister les événements, les plus proches d'abord",
    description="Sans `from`, les événements pas encore terminés. `from` et `to` bornent le début de l'événement.",
    response_model=None,
    responses=answers(200, EventPage, "Une page d'événements", 401, 422),
)
async def list_events(
    query: Annotated[EventFilters, Query()], caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    return await services.call("events", "list_events", query.model_dump(mode="json", by_alias=True, exclude_none=True))


@router.get(
    "/events/{id}",
    summary="Lire un événement (avec mon inscription)",
    response_model=None,
    responses=answers(200, EventDetail, "L'événement", 401, 404),
)
async def get_event(id: ResourceId, caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Any:
    return await services.call("events", "get_event", id)


@router.get(
    "/events/{id}/ics",
    summary="Ajouter l'événement à son agenda (iCalendar, heure de Paris)",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {"schema": {"type": "string"}}}, "description": "Fichier iCalendar"},
        **problem_responses(401, 404),
    },
)
async def event_ics(id: ResourceId, caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Response:
    text = await services.call("events", "event_ics", id)
    return Response(
        content=text.encode("utf-8"),
        media_type=ICS_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="evenement.ics"'},
    )


@router.post(
    "/events/{id}/registrations",
    summary="S'inscrire : une place tant qu'il en reste, sinon la liste d'attente",
    status_code=201,
    dependencies=[idempotent],
    response_model=None,
    responses={
        201: {"model": Registration, "description": "Inscription créée (confirmée ou en attente)"},
        200: {"model": Registration, "description": "Déjà inscrit : la même inscription"},
        **problem_responses(401, 404, 409),
    },
)
async def register(
    id: ResourceId, response: Response, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    result = await services.create("events", "register", id)
    if not result["created"]:
        response.status_code = 200
    return result["registration"]


@router.delete(
    "/events/{id}/registrations/me",
    summary="Se désinscrire ; la première personne en attente prend la place",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 404, 409),
)
async def unregister(id: ResourceId, caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Response:
    await services.call("events", "unregister", id)
    return Response(status_code=204)


@router.get(
    "/events/{id}/registrations",
    summary="Les inscrits (organisateur, admin)",
    response_model=None,
    responses=answers(200, AttendeePage, "Inscrits confirmés et en attente", 401, 403, 404, 422),
)
async def list_registrations(
    id: ResourceId, page: Annotated[Page, Query()], caller: Caller = Depends(organizers),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("events", "list_registrations", id, page.model_dump(exclude_none=True))


@router.post(
    "/events/{id}/attendance",
    summary="Noter la présence d'un inscrit, une fois l'événement commencé (organisateur, admin)",
    response_model=None,
    responses=answers(200, Registration, "Présence enregistrée", 400, 401, 403, 404, 409, 422),
)
async def record_attendance(
    id: ResourceId,
    body: AttendanceIn,
    caller: Caller = Depends(organizers),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("events", "record_attendance", id, body.model_dump())


@router.post(
    "/events/{id}/cancel",
    summary="Annuler l'événement ; chaque inscrit est prévenu (organisateur, admin)",
    response_model=None,
    responses=answers(200, Event, "Événement annulé", 400, 401, 403, 404, 409, 422),
)
async def cancel_event(
    id: ResourceId,
    body: CancelIn,
    caller: Caller = Depends(organizers),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("events", "cancel_event", id, body.model_dump())


@router.get(
    "/me/events",
    summary="Mes inscriptions, événement le plus proche d'abord",
    response_model=None,
    responses=answers(200, MyRegistrationPage, "Mes inscriptions", 401, 422),
)
async def my_events(
    page: Annotated[Page, Query()], caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    return await services.call("events", "my_events", page.model_dump(exclude_none=True))
