"""Every error leaves the gateway as application/problem+json (RFC 9457).

Remote (service) errors are mapped to HTTP statuses in one table,
``REMOTE_ERROR_STATUS``; titles and default details are in French because
clients show them to people.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from shared.observability.logging import correlation_id
from gateway.rpc_client import RemoteError, RpcError, RpcTimeout, ServiceUnavailable
from shared import validation

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

TITLES: dict[int, str] = {
    400: "Requête invalide",
    401: "Authentification requise",
    403: "Accès refusé",
    404: "Ressource introuvable",
    405: "Méthode non autorisée",
    409: "Conflit",
    413: "Requête trop volumineuse",
    422: "Données invalides",
    429: "Trop de requêtes",
    500: "Erreur interne",
    503: "Service momentanément indisponible",
}

DETAILS: dict[int, str] = {
    400: "La requête est mal formée.",
    401: "Jeton d'accès manquant, invalide ou expiré.",
    403: "Vous n'avez pas les droits nécessaires pour cette action.",
    404: "La ressource demandée n'existe pas.",
    405: "Cette méthode n'est pas autorisée sur cette ressource.",
    409: "La requête est en conflit avec l'état actuel de la ressource.",
    413: "Le corps de la requête est trop volumineux.",
    422: "Les données envoyées sont invalides.",
    429: "Trop de requêtes. Réessayez plus tard.",
    500: "Une erreur inattendue est survenue. Réessayez plus tard.",
    503: "Un service n'a pas répondu à temps. Réessayez dans quelques instants.",
}

# The one table from a service's exception class name to an HTTP status.
REMOTE_ERROR_STATUS: dict[str, int] = {
    "ValidationFailed": 422,
    "BadRequest": 400,
    "NotFound": 404,
    "Forbidden": 403,
    "Conflict": 409,
    "Unauthorized": 401,
    "TooManyRequests": 429,
    # A transient failure in the service (its database restarting, too many
    # clients, a deadlock...): the client may try again (shared/transient.py).
    "TemporarilyUnavailable": 503,
    # The request reached the service after the gateway's deadline: refused
    # unstarted (seldom seen: the gateway has usually answered 503 already).
    "DeadlineExceeded": 503,
}

DEFAULT_RETRY_AFTER_SECONDS = 60
# The methods a 405's `Allow` may list (the gateway serves no other).
ALLOW_CANDIDATES = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str | None = Field(None, description="Le type d'erreur, quand la passerelle a validé la requête")


class Problem(BaseModel):
    """Problem details (RFC 9457)."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    request_id: str | None = None


class ProblemError(StarletteHTTPException):
    """Raise anywhere to answer with a problem document.

    It is an HTTPException so that FastAPI lets it through body parsing.
    """

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(status, detail or DETAILS.get(status, ""), dict(headers or {}))
        self.title = title
        self.errors = errors
        self.extra = dict(extra or {})


def unauthorized(detail: str | None = None) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or TITLES.get(status, "Erreur"),
        "status": status,
        "detail": detail or DETAILS.get(status, ""),
    }
    if errors is not None:
        body["errors"] = list(errors)
    request_id = correlation_id.get()
    if request_id:
        body["request_id"] = request_id
    body.update(extra or {})
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_MEDIA_TYPE
    )


def field_errors(raw: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """pydantic errors -> [{loc, msg, type}], in French as the services say them."""
    return [{**item, "type": error.get("type", "")} for item, error in zip(validation.field_errors(raw), raw)]


def _remote_field_errors(value: Any) -> list[dict[str, Any]]:
    errors = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, Mapping):
            loc = item.get("loc") or []
            errors.append(
                {
                    "loc": list(loc) if isinstance(loc, (list, tuple)) else [str(loc)],
                    "msg": str(item.get("msg", "")),
                }
            )
    return errors


def _retry_after(value: Any) -> str:
    try:
        seconds = int(float(value))
    except (TypeError, ValueError):
        return str(DEFAULT_RETRY_AFTER_SECONDS)
    return str(max(seconds, 1))


def remote_error_response(exc: RemoteError) -> JSONResponse:
    status = REMOTE_ERROR_STATUS.get(exc.exc_type)
    if status is None:
        # The message may hold personal data; the service logs it with the
        # same correlation id.
        log.error(
            "Unmapped remote error %s", exc.exc_type, extra={"exc_path": exc.exc_path}
        )
        return problem_response(500)
    args = exc.exc_args
    first = args[0] if args else None
    if status == 422:
        second = args[1] if len(args) > 1 and isinstance(args[1], str) else None
        return problem_response(422, second, errors=_remote_field_errors(first))
    detail = first if isinstance(first, str) and first else None
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status in (429, 503):
        headers["Retry-After"] = _retry_after(args[1] if len(args) > 1 else None)
    return problem_response(status, detail, headers=headers)


async def _http_exception(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if isinstance(exc, ProblemError):
        return problem_response(
            exc.status_code,
            exc.detail,
            title=exc.title,
            errors=exc.errors,
            headers=exc.headers,
            extra=exc.extra,
        )
    # Starlette's own (404 unknown route, 405...): its English detail stays out.
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    return problem_response(exc.status_code, headers=headers)


def allowed_methods(request: Request) -> str:
    """Every method of the request's path (RFC 9110: `Allow` lists what the
    resource supports). Starlette's own 405 names the methods of the first
    route of the path only: `PUT /v1/posts/{id}` would say `GET` alone. Each
    method is asked of the router as a request would be (routes are nested
    in included routers)."""
    allowed = []
    for method in ALLOW_CANDIDATES:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    raw = exc.errors()
    if any(error.get("type") == "json_invalid" for error in raw):
        return problem_response(400, "Le corps de la requête n'est pas un JSON valide.")
    return problem_response(422, errors=field_errors(raw))


async def _rpc_error(request: Request, exc: RpcError) -> JSONResponse:
    if isinstance(exc, RemoteError):
        return remote_error_response(exc)
    if isinstance(exc, (RpcTimeout, ServiceUnavailable)):
        log.warning("Backend unavailable: %s", exc)
        return problem_response(503, headers={"Retry-After": "5"})
    log.error("RPC failure: %s", exc)
    return problem_response(500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(RpcError, _rpc_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses."""
    return {status: {"model": Problem, "description": TITLES[status]} for status in statuses}
