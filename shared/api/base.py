"""Base classes of the API's models and the page parameters every list shares."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from shared.api.text import Text
from shared.paging import CURSOR_PATTERN

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class RequestModel(BaseModel):
    """A request body: unknown fields are refused (422)."""

    model_config = ConfigDict(extra="forbid")


def _omitted_not_null(schema: dict) -> None:
    # A field left out has no value to show: a `default: null` beside a
    # non-null type would tell clients (and fuzzers) that null is taken.
    for field in schema.get("properties", {}).values():
        if "default" in field and field["default"] is None:
            del field["default"]


class PatchModel(RequestModel):
    """A partial update: each field may be left out, none may be null (declare
    them `name: Type = None`: the default is not validated)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_omitted_not_null)


class QueryModel(BaseModel):
    """Query parameters: unknown ones are ignored at the gateway, as clients
    expect of an HTTP API; services refuse them (`shared.validation.parse`)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ResponseModel(BaseModel):
    """What a service answers, for the OpenAPI document; more fields are welcome."""

    model_config = ConfigDict(extra="allow")


Limit = Annotated[
    int, Field(ge=1, le=MAX_PAGE_SIZE, description=f"Taille de la page ({DEFAULT_PAGE_SIZE} par défaut, {MAX_PAGE_SIZE} au plus)")
]
# The pattern is stated, not checked here: the service's decoding refuses any
# cursor it did not make, well-formed or not, with one message (shared/paging.py).
Cursor = Annotated[
    Annotated[Text(1, 512), WithJsonSchema(
        {"type": "string", "minLength": 1, "maxLength": 512, "pattern": CURSOR_PATTERN})] | None,
    Field(description="Curseur opaque de la page suivante : le `next_cursor` de la page précédente, tel quel. "
          "Il est signé par la plateforme : un curseur altéré, inventé ou d'une autre liste est refusé "
          "(422 sur `cursor`), même s'il a le bon format."),
]


class Page(QueryModel):
    limit: Limit = DEFAULT_PAGE_SIZE
    cursor: Cursor = None
