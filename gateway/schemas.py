"""Building blocks of request and response models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# A light check only; identity validates addresses for real.
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class RequestModel(BaseModel):
    """Request bodies refuse unknown fields (422)."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    """Response shapes, for the OpenAPI document; services may add fields."""

    model_config = ConfigDict(extra="allow")
