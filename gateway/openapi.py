"""The OpenAPI 3.1 document: FastAPI's, with problem+json error bodies."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from gateway.errors import PROBLEM_MEDIA_TYPE, TITLES, problem_responses
from gateway.idempotency import REPLAYED_DESCRIPTION
from shared.api.idempotency import HEADER, REPLAYED_HEADER

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


# The rate limiter (gateway/ratelimit.py) counts every /v1 request of a
# member and every unauthenticated one to /v1/auth/*: any of them may get 429,
# and a counted answer carries the RateLimit headers (IETF draft).
RATE_LIMITED_PREFIX = "/v1/"
RATE_LIMIT_HEADERS = {
    "RateLimit-Policy": {
        "description": "Les limites de débit appliquées : nom, quota (`q`) et fenêtre en secondes (`w`), "
        'par exemple `"member";q=600;w=60, "member-writes";q=30;w=60`.',
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": "Pour chaque limite appliquée, les requêtes restantes (`r`) et les secondes avant "
        'la nouvelle fenêtre (`t`), par exemple `"member";r=572;t=24`.',
        "schema": {"type": "string"},
    },
}
ALLOW_HEADER = {
    "description": "Les méthodes du chemin, par exemple `GET, PATCH, DELETE`.",
    "schema": {"type": "string"},
}
# A method a path does not have is answered 405 with `Allow` (gateway/errors.py).
# OpenAPI has no place for what a path does not serve, so the answer is
# documented once, as a reusable response that the document's description names.
METHOD_NOT_ALLOWED = {
    "description": "Méthode non autorisée : le chemin existe, pas avec cette méthode ; "
    "`Allow` liste les siennes.",
    "headers": {"Allow": {"$ref": "#/components/headers/Allow"}},
    "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}},
}
RETRY_AFTER_HEADER = {
    "description": "Secondes à attendre avant de réessayer.",
    "schema": {"type": "integer", "minimum": 1},
}


def _rate_limits(path: str, operation: dict[str, Any]) -> None:
    if not path.startswith(RATE_LIMITED_PREFIX):
        return
    responses = operation.setdefault("responses", {})
    responses.setdefault("429", {"description": TITLES[429]})
    for code, response in responses.items():
        headers = response.setdefault("headers", {})
        for name in RATE_LIMIT_HEADERS:
            headers.setdefault(name, {"$ref": f"#/components/headers/{name}"})
        if code == "429":
            headers.setdefault("Retry-After", {"$ref": "#/components/headers/Retry-After"})


def _idempotent_replays(operation: dict[str, Any]) -> None:
    """A creating POST's success answer may be a replay: say which header
    tells it; and the key brings its own answers (409 while the first
    request runs, 422 when reused with another body)."""
    if not any(p.get("in") == "header" and p.get("name") == HEADER for p in operation.get("parameters", [])):
        return
    responses = operation.setdefault("responses", {})
    for code, response in responses.items():
        if code.startswith("2"):
            response.setdefault("headers", {})[REPLAYED_HEADER] = REPLAYED_DESCRIPTION
    for code in (409, 422):
        responses.setdefault(str(code), {"description": TITLES[code]})


def _problem_bodies(schema: dict[str, Any]) -> None:
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            if "requestBody" in operation:  # RequestGuardMiddleware answers 413 to any of them
                operation["responses"].setdefault("413", {"description": TITLES[413]})
            _rate_limits(path, operation)
            _idempotent_replays(operation)
            for code, response in operation.get("responses", {}).items():
                if code.isdigit() and int(code) >= 400:
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
                    if code == "422":
                        response["description"] = TITLES[422]
            operation["responses"] = dict(sorted(operation.get("responses", {}).items()))
    components = schema.setdefault("components", {})
    components["headers"] = {**RATE_LIMIT_HEADERS, "Retry-After": RETRY_AFTER_HEADER, "Allow": ALLOW_HEADER}
    components["responses"] = {"MethodNotAllowed": METHOD_NOT_ALLOWED}
    schemas = schema.get("components", {}).get("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)


def answers(status: int, model: Any, description: str, *problems: int) -> dict[int | str, dict[str, Any]]:
    """A route's `responses`: its success answer (a shared API model) and its problem statuses."""
    return {status: {"model": model, "description": description}, **problem_responses(*problems)}


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            _problem_bodies(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
