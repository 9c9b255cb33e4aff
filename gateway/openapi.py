"""The OpenAPI 3.1 document: FastAPI's, with problem+json error bodies."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from gateway.errors import PROBLEM_MEDIA_TYPE, TITLES, problem_responses

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def _problem_bodies(schema: dict[str, Any]) -> None:
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if "requestBody" in operation:  # RequestGuardMiddleware answers 413 to any of them
                operation["responses"].setdefault("413", {"description": TITLES[413]})
            for code, response in operation.get("responses", {}).items():
                if code.isdigit() and int(code) >= 400:
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
                    if code == "422":
                        response["description"] = TITLES[422]
            operation["responses"] = dict(sorted(operation.get("responses", {}).items()))
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
