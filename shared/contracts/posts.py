"""Events published by the posts service."""
from datetime import datetime
from typing import Literal

from shared.contracts.envelope import EventPayload


class PostCreated(EventPayload):
    """A post was written; moderation screens its text."""

    event_type = "posts.post_created"
    version = 1

    post_id: str
    author_id: str
    agency_code: str | None
    kind: str
    title: str
    body: str
    topics: list[str]
    created_at: datetime


class PostUpdated(EventPayload):
    """A post was edited and is pending again; moderation screens it again."""

    event_type = "posts.post_updated"
    version = 1

    post_id: str
    author_id: str
    agency_code: str | None
    kind: str
    title: str
    body: str
    topics: list[str]
    updated_at: datetime


class PostPublished(EventPayload):
    event_type = "posts.post_published"
    version = 1

    post_id: str
    author_id: str
    agency_code: str | None
    kind: str
    topics: list[str]
    published_at: datetime


class PostHeld(EventPayload):
    """Screening held the post for a person to decide."""

    event_type = "posts.post_held"
    version = 1

    post_id: str
    author_id: str
    agency_code: str | None
    reasons: list[str]


class PostRejected(EventPayload):
    event_type = "posts.post_rejected"
    version = 1

    post_id: str
    author_id: str
    agency_code: str | None
    reasons: list[str]


class PostRemoved(EventPayload):
    """Removed by its author or by staff (`removed_by` is who did it)."""

    event_type = "posts.post_removed"
    version = 1

    post_id: str
    author_id: str
    agency_code: str | None
    removed_by: str
    removed_at: datetime


class CommentCreated(EventPayload):
    """A comment (an answer, on a question) was written; moderation screens it."""

    event_type = "posts.comment_created"
    version = 1

    comment_id: str
    post_id: str
    post_author_id: str
    post_kind: str
    author_id: str
    agency_code: str | None
    body: str
    created_at: datetime


class CommentPublished(EventPayload):
    event_type = "posts.comment_published"
    version = 1

    comment_id: str
    post_id: str
    post_title: str
    post_author_id: str
    post_kind: str
    author_id: str
    author_role: str
    agency_code: str | None
    created_at: datetime
    published_at: datetime


class ReactionAdded(EventPayload):
    event_type = "posts.reaction_added"
    version = 1

    post_id: str
    post_author_id: str
    user_id: str
    type: Literal["helpful", "thanks", "support"]
    agency_code: str | None
    reacted_at: datetime


class AnswerAccepted(EventPayload):
    event_type = "posts.answer_accepted"
    version = 1

    post_id: str
    post_title: str
    comment_id: str
    question_author_id: str
    answer_author_id: str
    accepted_by: str
    validated_by_advisor: bool
    agency_code: str | None
    accepted_at: datetime


class PostPinned(EventPayload):
    """A post was pinned (`pinned` true) or unpinned by its agency's staff."""

    event_type = "posts.post_pinned"
    version = 1

    post_id: str
    agency_code: str | None
    pinned: bool
    pinned_by: str
    at: datetime


class PostHidden(EventPayload):
    """Hidden from others: reported by enough members, or a moderator's decision."""

    event_type = "posts.post_hidden"
    version = 1

    post_id: str
    author_id: str
    agency_code: str | None
    hidden_at: datetime


class CommentHeld(EventPayload):
    """Screening (or a moderator) held the comment; `reasons` name the rules."""

    event_type = "posts.comment_held"
    version = 1

    comment_id: str
    post_id: str
    author_id: str
    agency_code: str | None
    reasons: list[str]


class CommentRejected(EventPayload):
    event_type = "posts.comment_rejected"
    version = 1

    comment_id: str
    post_id: str
    author_id: str
    agency_code: str | None
    reasons: list[str]


class CommentHidden(EventPayload):
    """Hidden from others: reported by enough members, or a moderator's decision."""

    event_type = "posts.comment_hidden"
    version = 1

    comment_id: str
    post_id: str
    author_id: str
    agency_code: str | None
    hidden_at: datetime


class ReactionRemoved(EventPayload):
    """A member took back a reaction."""

    event_type = "posts.reaction_removed"
    version = 1

    post_id: str
    post_author_id: str
    user_id: str
    type: Literal["helpful", "thanks", "support"]
    agency_code: str | None
    removed_at: datetime
