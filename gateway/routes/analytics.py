"""Analytics: the pilot's figures per agency, region or for the whole pilot."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from gateway.auth import Caller, require_roles
from gateway.backend import Backend, backend
from gateway.errors import ProblemError, problem_responses
from gateway.schemas import ResponseModel

router = APIRouter(prefix="/v1/analytics", tags=["analytics"], responses=problem_responses(503))

QUERY_FIELDS = {"agency", "region", "from", "to"}
readers = require_roles("advisor", "admin")


class Moderation(ResponseModel):
    cases_opened: int
    median_minutes_to_decision: float | None
    auto_held_ratio: float | None
    appeals_overturned_ratio: float | None


class Figures(ResponseModel):
    active_users: int
    new_members: int
    posts: int
    questions: int
    answered_question_ratio: float | None
    answered_within_24h_ratio: float | None
    median_minutes_to_first_answer: float | None
    p90_minutes_to_first_answer: float | None
    peer_answer_ratio: float | None
    members_with_interaction_ratio: float | None
    distinct_peers_per_member: float | None
    retention_30d_ratio: float | None
    event_registrations: int
    event_fill_rate: float | None
    event_no_show_rate: float | None
    mentoring_matches: int
    median_hours_to_mentoring_match: float | None
    moderation: Moderation


class Kpis(Figures):
    agency: str | None
    region: str | None
    from_: str = Field(alias="from")
    to: str


class DailyRow(Figures):
    date: str


class DailyKpis(ResponseModel):
    agency: str | None
    region: str | None
    from_: str = Field(alias="from")
    to: str
    items: list[DailyRow]
    next_cursor: None = None


def kpi_query(
    request: Request,
    caller: Caller,
    agency: str | None,
    region: str | None,
    from_: date | None,
    to: date | None,
) -> dict[str, Any]:
    """What API.md fixes about scope, checked before the service checks it again."""
    unknown = sorted(set(request.query_params) - QUERY_FIELDS)
    if unknown:
        raise ProblemError(422, errors=[{"loc": ["query", name], "msg": "Paramètre non autorisé."} for name in unknown])
    if caller.role == "advisor" and (region is not None or (agency is not None and agency != caller.agency_code)):
        raise ProblemError(403, "Un conseiller ne consulte que les chiffres de son agence.")
    if from_ and to and from_ > to:
        raise ProblemError(422, errors=[{"loc": ["query", "from"], "msg": "La date de début doit précéder la date de fin."}])
    query = {"agency": agency, "region": region, "from": from_, "to": to}
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in query.items() if v is not None}


Agency = Annotated[str | None, Query(min_length=1, max_length=40, description="code d'agence")]
Region = Annotated[str | None, Query(min_length=1, max_length=100, description="région, par exemple « Occitanie »")]
From = Annotated[date | None, Query(alias="from", description="premier jour (AAAA-MM-JJ, UTC) ; par défaut 29 jours avant `to`")]
To = Annotated[date | None, Query(description="dernier jour inclus (AAAA-MM-JJ, UTC) ; par défaut aujourd'hui")]


@router.get(
    "/kpis",
    summary="Indicateurs du pilote sur une période (agence, région ou pilote entier)",
    description="Définitions et formules : docs/kpis.md. Un ratio sans dénominateur vaut null.",
    response_model=None,
    responses={200: {"model": Kpis, "description": "Les indicateurs"}, **problem_responses(401, 403, 404, 422)},
)
async def kpis(
    request: Request,
    agency: Agency = None,
    region: Region = None,
    from_: From = None,
    to: To = None,
    caller: Caller = Depends(readers),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("analytics", "kpis", kpi_query(request, caller, agency, region, from_, to))


@router.get(
    "/kpis/daily",
    summary="Les mêmes indicateurs, une ligne par jour (92 jours au plus)",
    response_model=None,
    responses={200: {"model": DailyKpis, "description": "Une ligne par jour"}, **problem_responses(401, 403, 404, 422)},
)
async def daily_kpis(
    request: Request,
    agency: Agency = None,
    region: Region = None,
    from_: From = None,
    to: To = None,
    caller: Caller = Depends(readers),
    services: Backend = Depends(backend),
) -> Any:
    return await services.call("analytics", "daily_kpis", kpi_query(request, caller, agency, region, from_, to))
