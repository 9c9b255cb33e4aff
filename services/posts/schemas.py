"""posts' RPC input models."""
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

Kind = Literal["question", "discussion", "testimony", "job_info", "video"]
ReactionType = Literal["helpful", "thanks", "support"]
TopicKind = Literal["sector", "theme", "rome"]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


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
CommentBody = Annotated[str, Field(min_length=1, max_length=10000), AfterValidator(_not_blank)]
Topics = Annotated[list[str], Field(max_length=10)]


class PostIn(Strict):
    kind: Kind
    title: Title
    body: Body
    topics: Topics = Field(default_factory=list)
    video_url: str | None = Field(default=None, max_length=500)
    details: JobDetails | None = None


class PostPatch(Strict):
    """What an edit may change; any other field is refused (422)."""

    title: Title | None = None
    body: Body | None = None
    topics: Topics | None = None


class CommentIn(Strict):
    body: CommentBody


class ReactionIn(Strict):
    type: ReactionType


class AcceptIn(Strict):
    comment_id: str = Field(min_length=1, max_length=64)


class TopicIn(Strict):
    slug: str = Field(min_length=2, max_length=80)
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
    kind: TopicKind


class Page(Strict):
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = Field(default=None, max_length=512)


class PostFilters(Page):
    topic: str | None = Field(default=None, max_length=80)
    kind: Kind | None = None
    author: str | None = Field(default=None, max_length=64)
    agency: str | None = Field(default=None, max_length=40)
    q: str | None = Field(default=None, max_length=200)
    # Only posts with no published comment yet (the agency's questions waiting for an answer).
    unanswered: bool = False
