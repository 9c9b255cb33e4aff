"""posts' RPC input models."""
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["question", "discussion", "testimony", "job_info", "video"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobDetails(Strict):
    rome_code: str | None = Field(default=None, pattern=r"^[A-N][0-9]{4}$")
    skills: list[str] = Field(default_factory=list, max_length=30)
    trainings: list[str] = Field(default_factory=list, max_length=30)
    bridges: list[str] = Field(default_factory=list, max_length=30)
    hiring: bool = False


class PostIn(Strict):
    kind: Kind
    title: str = Field(min_length=3, max_length=200)
    body: str = Field(min_length=1, max_length=20000)
    topics: list[str] = Field(default_factory=list, max_length=10)
    video_url: str | None = Field(default=None, max_length=500)
    details: JobDetails | None = None
