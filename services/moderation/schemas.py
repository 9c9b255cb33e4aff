"""moderation's RPC input models."""
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("blank")
    return text.strip()


Reason = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_not_blank)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class ReportIn(Strict):
    target_type: Literal["post", "comment"]
    target_id: Id
    reason: Literal["spam", "abuse", "personal_data", "misinformation", "other"]
    detail: Annotated[str, Field(max_length=2000)] | None = None


class DecisionIn(Strict):
    action: Literal["approve", "reject", "hide"]
    reason: Reason


class SanctionIn(Strict):
    user_id: Id
    type: Literal["warn", "mute", "suspend"]
    # Fractions of an hour are allowed; at most a year.
    duration_hours: float | None = Field(default=None, gt=0, le=24 * 366)
    reason: Reason


class AppealIn(Strict):
    case_id: Id
    text: Annotated[str, Field(min_length=1, max_length=4000), AfterValidator(_not_blank)]


class PageIn(Strict):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)
