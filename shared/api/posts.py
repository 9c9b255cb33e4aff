"""posts' API: topics, posts, comments, reactions, accepted answers, pins, search and feed."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, WithJsonSchema

from shared.api.base import Page, PatchModel, RequestModel, ResponseModel
from shared.api.identity import Role
from shared.api.text import Id, Prose, Slug, Text

Kind = Literal["question", "discussion", "testimony", "job_info", "video"]
ReactionType = Literal["helpful", "thanks", "support"]
TopicKind = Literal["sector", "theme", "rome"]
Status = Literal["pending", "published", "held", "rejected", "hidden", "removed"]
# Job sheets and videos are published by companies and staff only (API.md).
PUBLISHER_KINDS = ("job_info", "video")
PUBLISHER_ROLES = ("company", "advisor", "admin")

Title = Text(3, 200)
Topics = list[Slug]
TOPICS_HELP = "Slugs de thèmes existants (GET /v1/topics), 10 au plus"


class JobDetails(RequestModel):
    rome_code: Text(pattern=r"^[A-N][0-9]{4}$") | None = None
    skills: list[Text(1, 200)] = Field(default_factory=list, max_length=30)
    trainings: list[Text(1, 200)] = Field(default_factory=list, max_length=30)
    bridges: list[Text(1, 200)] = Field(default_factory=list, max_length=30)
    hiring: bool = False


class PostIn(RequestModel):
    kind: Kind
    title: Title
    # The body keeps its line breaks and indentation; it only must not be blank.
    body: Prose(20000)
    topics: Topics = Field(default_factory=list, max_length=10, description=TOPICS_HELP)
    video_url: Text(max_length=500, pattern=r"^https://\S+$") | None = Field(
        None, description="Obligatoire pour une vidéo, interdit sinon"
    )
    details: JobDetails | None = Field(None, description="Fiches métier (`job_info`) seulement")


def _at_least_one_field(schema: dict) -> None:
    PatchModel.model_config["json_schema_extra"](schema)
    schema["minProperties"] = 1


class PostPatch(PatchModel):
    """Only `title`, `body` and `topics` change; any other field is a 422,
    and so is a patch that changes nothing (`{}`: the service says so)."""

    # The document says what is refused: at least one field, none of them null
    # (a null was taken for "unchanged", so `{"title": null}` was a 422 too).
    model_config = ConfigDict(extra="forbid", json_schema_extra=_at_least_one_field)

    title: Title = None
    body: Prose(20000) = None
    topics: Topics = Field(None, max_length=10, description=TOPICS_HELP)


class CommentIn(RequestModel):
    body: Prose(10000)


class ReactionIn(RequestModel):
    type: ReactionType


class AcceptIn(RequestModel):
    comment_id: Id


class TopicIn(RequestModel):
    slug: Text(2, 80) = Field(
        description="Code ROME (`^[A-N][0-9]{4}$`) pour kind `rome`, sinon minuscules, chiffres et tirets"
    )
    label: Text(2, 200)
    kind: TopicKind


class PostFilters(Page):
    topic: Text(1, 80) | None = None
    kind: Kind | None = None
    author: Annotated[Text(1, 64), WithJsonSchema({"type": "string", "format": "uuid"})] | None = Field(
        None, description="Identifiant d'un membre (un UUID, sinon 422 sur `author`)")
    agency: Text(1, 40) | None = Field(None, description="Code d'agence")
    q: Text(max_length=200) | None = Field(None, description="Recherche plein texte en français")
    unanswered: bool = Field(
        False, description="Seulement les contenus sans aucune réponse publiée (avec `kind=question` : "
                           "les questions qui attendent encore une réponse)",
    )


class Topic(ResponseModel):
    slug: str
    label: str
    kind: TopicKind


class Author(ResponseModel):
    id: str | None = Field(description="`null` quand le membre a supprimé son compte")
    display_name: str | None = Field(description="« Membre supprimé » quand le membre a supprimé son compte")


class Reactions(ResponseModel):
    helpful: int
    thanks: int
    support: int


class Post(ResponseModel):
    id: str
    kind: Kind
    title: str
    body: str
    topics: list[str]
    video_url: str | None = None
    details: dict[str, Any] | None = None
    author: Author
    agency_code: str | None
    status: Status
    moderation_reason: str | None = Field(None, description="Pour l'auteur seulement, quand le contenu est retenu ou refusé")
    created_at: str
    updated_at: str | None = None
    published_at: str | None = None
    comment_count: int = Field(description="Commentaires publiés")
    reactions: Reactions
    my_reactions: list[ReactionType] = Field(default_factory=list, description="Les réactions de l'appelant")
    accepted_comment_id: str | None
    validated_by_advisor: bool = Field(False, description="La réponse acceptée l'a été par un conseiller ou un administrateur")
    pinned: bool


class PostPage(ResponseModel):
    items: list[Post]
    next_cursor: str | None


class Comment(ResponseModel):
    id: str
    post_id: str
    body: str
    author: Author
    author_role: Role | None = Field(
        description="`null` quand le membre a supprimé son compte"
    )
    status: Status
    moderation_reason: str | None = None
    created_at: str
    published_at: str | None = None
    accepted: bool
    validated_by_advisor: bool


class CommentPage(ResponseModel):
    items: list[Comment]
    next_cursor: str | None
