"""mentoring's RPC input models."""
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Slug = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MentorIn(Strict):
    topics: list[Slug] = Field(min_length=1, max_length=10)
    bio: Text
    capacity: int = Field(ge=1, le=50)


class RequestIn(Strict):
    mentor_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    message: Text


class EndIn(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class MentorFilters(Strict):
    topic: Slug | None = None
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)


class RequestFilters(Strict):
    role: Literal["mentee", "mentor"] | None = None
    status: Literal["pending", "declined", "cancelled", "active", "completed", "ended"] | None = None
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)
