"""Events published by the posts service."""
from datetime import datetime

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
