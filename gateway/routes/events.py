"""Events: job fairs, workshops, information sessions, webinars; registrations,
waitlists, attendance, cancellations and calendar files."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AwareDatetime, Field

from gateway.auth import Caller, current_user, require_roles
from gateway.backend import Backend, backend
from gateway.errors import ProblemError, problem_responses
from gateway.schemas import RequestModel, ResponseModel

router = APIRouter(prefix="/v1", tags=["events"], responses=problem_responses(503))

Kind = Literal["job_fair", "workshop", "info_session", "webinar"]
ORGANIZER_ROLES = ("advisor", "company", "admin")
EventId = Annotated[str, Path(min_length=1, max_length=128)]
Slug = Annotated[str, Field(min_length=1, max_length=80)]
ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"


class EventIn(RequestModel):
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=1, max_length=10000)
    kind: Kind
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    location: str | None = Field(None, min_length=1, max_length=300)
    online_url: str | None = Field(None, max_length=500, pattern=r"^https://[^\s/]+\S*$")
    capacity: int = Field(ge=1, le=100000)
    agency_code: str | None = Field(None, min_length=1, max_length=40)
    topics: list[Slug] = Field(default_factory=list, max_length=10)


class CancelIn(RequestModel):
    reason: str = Field(min_length=3, max_length=1000)


class AttendanceIn(RequestModel):
    user_id: str = Field(min_length=1, max_length=64)
    attended: bool


class Organizer(ResponseModel):
    id: str | None
    display_name: str | None


class Registration(ResponseModel):
    id: str
    event_id: str
    user_id: str
    status: Literal["confirmed", "waitlisted"]
    position: int | None = Field(None, description="Rang sur la liste d'attente (inscriptions en attente)")
    registered_at: str
    confirmed_at: str | None
    promoted_from_waitlist: bool
    attended: bool | None


class Event(ResponseModel):
    id: str
    title: str
    description: str
    kind: Kind
    starts_at: str
    ends_at: str
    location: str | None
    online_url: str | None
    capacity: int
    agency_code: str | None
    topics: list[str]
    organizer: Organizer
    status: Literal["scheduled", "cancelled"]
    registered_count: int
    waitlist_count: int
    seats_left: int
    created_at: str


class EventDetail(Event):
    my_registration: Registration | None


class EventPage(ResponseModel):
    items: list[Event]
    next_cursor: str | None


class Attendee(Registration):
    display_name: str | None


class AttendeePage(ResponseModel):
    items: list[Attendee]
    next_cursor: str | None


class MyRegistration(Registration):
    event: Event


class MyRegistrationPage(ResponseModel):
    items: list[MyRegistration]
    next_cursor: str | None


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


def _ok(model: Any, description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": description}}


@router.post(
    "/events",
    summary="Organiser un événement (conseiller pour son agence, entreprise, admin)",
    status_code=201,
    response_model=None,
    responses={201: {"model": Event, "description": "Événement créé"}, **problem_responses(400, 401, 403, 422)},
)
async def create_event(
    body: EventIn,
    caller: Caller = Depends(require_roles(*ORGANIZER_ROLES)),
    services: Backend = Depends(backend),
) -> Any:
    check_event_rules(body, caller, datetime.now(timezone.utc))
    await check_references(body, services)
    return await services.call("events", "create_event", body.model_dump(mode="json", exclude_none=True))


@router.get(
    "/events",
    summary="Lister les événements, les plus proches d'abord",
    description="Sans `from`, les événements pas encore terminés. `from` et `to` bornent le début de l'événement.",
    response_model=None,
    responses={**_ok(EventPage, "Une page d'événements"), **problem_responses(401, 422)},
)
async def list_events(
    from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to: AwareDatetime | None = None,
    agency: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    topic: Annotated[str | None, Query(min_length=1, max_length=80)] = None,
    kind: Kind | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    caller: Caller = Depends(current_user),
    services: Backend = Depends(backend),
) -> Any:
    query = {
        "from": from_.isoformat() if from_ else None, "to": to.isoformat() if to else None, "agency": agency,
        "topic": topic, "kind": kind, "limit": limit, "cursor": cursor,
    }
    return await services.call("events", "list_events", {k: v for k, v in query.items() if v is not None})


@router.get(
    "/events/{id}",
    summary="Lire un événement (avec mon inscription)",
    response_model=None,
    responses={**_ok(EventDetail, "L'événement"), **problem_responses(401, 404)},
)
async def get_event(id: EventId, caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Any:
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
async def event_ics(id: EventId, caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Response:
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
    response_model=None,
    responses={
        201: {"model": Registration, "description": "Inscription créée (confirmée ou en attente)"},
        200: {"model": Registration, "description": "Déjà inscrit : la même inscription"},
        **problem_responses(401, 404, 409),
    },
)
async def register(
    id: EventId, response: Response, caller: Caller = Depends(current_user), services: Backend = Depends(backend)
) -> Any:
    result = await services.call("events", "register", id)
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
async def unregister(id: EventId, caller: Caller = Depends(current_user), services: Backend = Depends(backend)) -> Response:
    await services.call("events", "unregister", id)
    return Response(status_code=204)


@router.get(
    "/events/{id}/registrations",
    summary="Les inscrits (organisateur, admin)",
    response_model=None,
    responses={**_ok(AttendeePage, "Inscrits confirmés et en attente"), **problem_responses(401, 403, 404, 422)},
)
async def list_registrations(
    id: EventId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    caller: Caller = Depends(require_roles(*ORGANIZER_ROLES)),
    services: Backend = Depends(backend),
) -> Any:
    query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
    return await services.call("events", "list_registrations", id, query)


@router.post(
    "/events/{id}/attendance",
    summary="Noter la présence d'un inscrit, une fois l'événement commencé (organisateur, admin)",
    response_model=None,
    responses={**_ok(Registration, "Présence enregistrée"), **problem_responses(400, 401, 403, 404, 409, 422)},
)
async def record_attendance(
    id: EventId,
    body: AttendanceIn,
    caller: Caller = Depends(require_roles(*ORGANIZER_ROLES)),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("events", "record_attendance", id, body.model_dump())


@router.post(
    "/events/{id}/cancel",
    summary="Annuler l'événement ; chaque inscrit est prévenu (organisateur, admin)",
    response_model=None,
    responses={**_ok(Event, "Événement annulé"), **problem_responses(400, 401, 403, 404, 409, 422)},
)
async def cancel_event(
    id: EventId,
    body: CancelIn,
    caller: Caller = Depends(require_roles(*ORGANIZER_ROLES)),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("events", "cancel_event", id, body.model_dump())


@router.get(
    "/me/events",
    summary="Mes inscriptions, événement le plus proche d'abord",
    response_model=None,
    responses={**_ok(MyRegistrationPage, "Mes inscriptions"), **problem_responses(401, 422)},
)
async def my_events(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    caller: Caller = Depends(current_user),
    services: Backend = Depends(backend),
) -> Any:
    query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
    return await services.call("events", "my_events", query)
