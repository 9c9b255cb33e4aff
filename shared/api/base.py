"""Base classes of the API's models and the page parameters every list shares."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.api.text import Text

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class RequestModel(BaseModel):
    """A request body: unknown fields are refused (422)."""

    model_config = ConfigDict(extra="forbid")


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
Cursor = Annotated[
    Text(1, 512) | None,
    Field(description="Curseur opaque de la page suivante (`next_cursor` de la page précédente)"),
]


class Page(QueryModel):
    limit: Limit = DEFAULT_PAGE_SIZE
    cursor: Cursor = None
