"""events' RPC input models."""
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

Kind = Literal["job_fair", "workshop", "info_session", "webinar"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("blank")
    return text


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
Description = Annotated[str, Field(min_length=1, max_length=10000), AfterValidator(_not_blank)]
Slug = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
AgencyCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class EventIn(Strict):
    title: Title
    description: Description
    kind: Kind
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    location: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)] | None = None
    online_url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    capacity: int = Field(ge=1, le=100000)
    agency_code: AgencyCode | None = None
    topics: list[Slug] = Field(default_factory=list, max_length=10)


class CancelIn(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]


class AttendanceIn(Strict):
    user_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    attended: bool


class EventFilters(Strict):
    from_: AwareDatetime | None = Field(default=None, alias="from")
    to: AwareDatetime | None = None
    agency: AgencyCode | None = None
    topic: Slug | None = None
    kind: Kind | None = None
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)


class PageIn(Strict):
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)

