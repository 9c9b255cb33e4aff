"""posts' RPC input models."""
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

Kind = Literal["question", "discussion", "testimony", "job_info", "video"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobDetails(Strict):
    rome_code: str | None = Field(default=None, pattern=r"^[A-N][0-9]{4}$")
    skills: list[str] = Field(default_factory=list, max_length=30)
    trainings: list[str] = Field(default_factory=list, max_length=30)
    bridges: list[str] = Field(default_factory=list, max_length=30)
    hiring: bool = False


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("blank")
    return text


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
# The body keeps its line breaks and indentation; it only must not be blank.
Body = Annotated[str, Field(min_length=1, max_length=20000), AfterValidator(_not_blank)]


class PostIn(Strict):
    kind: Kind
    title: Title
    body: Body
    topics: list[str] = Field(default_factory=list, max_length=10)
    video_url: str | None = Field(default=None, max_length=500)
    details: JobDetails | None = None
