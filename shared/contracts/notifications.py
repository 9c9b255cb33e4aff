"""Events published by the notifications service."""
from datetime import datetime

from shared.contracts.envelope import EventPayload


class NotificationCreated(EventPayload):
    """A member got a new in-app notification. Each gateway replica pushes it
    to the member's live streams (Server-Sent Events); not for analytics."""

    event_type = "notifications.notification_created"
    version = 1

    notification_id: str
    user_id: str
    type: str
    title: str
    body: str
    link: str | None
    created_at: datetime
