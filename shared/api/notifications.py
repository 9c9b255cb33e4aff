"""notifications' API: the in-app inbox and preferences (the live stream is the gateway's)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.api.base import Page, RequestModel, ResponseModel

# Every type of notification (notifications' domain gives each its default channels).
NotificationType = Literal[
    "comment_on_post", "answer_accepted", "reaction", "moderation_decision", "report_resolved", "sanction",
    "question_unanswered", "event_registration_confirmed", "event_waitlist_promoted", "event_cancelled",
    "event_reminder", "mentoring_request", "mentoring_answer", "mentorship_ended",
]
Digest = Literal["off", "daily", "weekly"]
NEVER_EMAILED = frozenset({"reaction"})


class ChannelChoice(RequestModel):
    in_app: bool
    email: bool


# The document says it too: `reaction` takes `email: false` only (the gateway
# and the service refuse `true` with their own French message).
NEVER_EMAILED_SCHEMA = {
    "type": "object",
    "properties": {"in_app": {"type": "boolean"}, "email": {"const": False}},
    "required": ["in_app", "email"],
    "additionalProperties": False,
}


class PreferencesIn(RequestModel):
    channels: dict[NotificationType, ChannelChoice] = Field(
        description="Par type de notification ; les types absents reprennent leur réglage par défaut. "
        "Les réactions ne sont jamais envoyées par e-mail.",
        json_schema_extra={"properties": {name: NEVER_EMAILED_SCHEMA for name in sorted(NEVER_EMAILED)}},
    )
    digest: Digest


class NotificationQuery(Page):
    unread: bool = Field(False, description="Seulement les non lues")


class Notification(ResponseModel):
    id: str
    type: NotificationType
    title: str
    body: str
    link: str | None
    created_at: str
    read: bool


class NotificationPage(ResponseModel):
    items: list[Notification]
    next_cursor: str | None
    unread_count: int


class Preferences(ResponseModel):
    channels: dict[NotificationType, dict[str, bool]]
    digest: Digest
