"""Analytics: the pilot's figures per agency, region or for the whole pilot."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from gateway.auth import Caller, require_roles
from gateway.backend import Backend, backend
from gateway.errors import ProblemError, problem_responses
from gateway.openapi import answers
from gateway.responses import AnswerRoute
from shared.api.analytics import DailyKpis, KpiQuery, Kpis
from shared.caller import STAFF_ROLES

router = APIRouter(prefix="/v1/analytics", tags=["analytics"], responses=problem_responses(503), route_class=AnswerRoute)

readers = require_roles(*STAFF_ROLES)


def kpi_query(query: KpiQuery, caller: Caller) -> dict[str, Any]:
    """What API.md fixes about scope, checked before the service checks it again."""
    if caller.role == "advisor" and (
        query.region is not None or (query.agency is not None and query.agency != caller.agency_code)
    ):
        raise ProblemError(403, "Un conseiller ne consulte que les chiffres de son agence.")
    if query.from_ and query.to and query.from_ > query.to:
        raise ProblemError(422, errors=[{"loc": ["query", "from"], "msg": "La date de début doit précéder la date de fin."}])
    return query.model_dump(mode="json", by_alias=True, exclude_none=True)


@router.get(
    "/kpis",
    summary="Indicateurs du pilote sur une période (agence, région ou pilote entier)",
    description="Définitions et formules : docs/kpis.md. Un ratio sans dénominateur vaut null. "
    "La période (`from` à `to` inclus) couvre 366 jours au plus, et `from` ne suit pas `to` (sinon 422 sur `from`).",
    response_model=None,
    responses=answers(200, Kpis, "Les indicateurs", 401, 403, 404, 422),
)
async def kpis(
    query: Annotated[KpiQuery, Query()], caller: Caller = Depends(readers), services: Backend = Depends(backend)
) -> Any:
    return await services.call("analytics", "kpis", kpi_query(query, caller))


@router.get(
    "/kpis/daily",
    summary="Les mêmes indicateurs, une ligne par jour (92 jours au plus)",
    description="La période (`from` à `to` inclus) couvre 92 jours au plus, et `from` ne suit pas `to` "
    "(sinon 422 sur `from`).",
    response_model=None,
    responses=answers(200, DailyKpis, "Une ligne par jour", 401, 403, 404, 422),
)
async def daily_kpis(
    query: Annotated[KpiQuery, Query()], caller: Caller = Depends(readers), services: Backend = Depends(backend)
) -> Any:
    return await services.call("analytics", "daily_kpis", kpi_query(query, caller))
