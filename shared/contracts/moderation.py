"""Events published by the moderation service."""
from datetime import datetime
from typing import Literal

from shared.contracts.envelope import EventPayload

Decision = Literal["publish", "hold", "reject"]


class ContentScreened(EventPayload):
    """Automatic screening decided about a post or comment.

    `reasons` name the rules that fired (for example `personal_data.phone`);
    the matched text itself is never carried.
    """

    event_type = "moderation.content_screened"
    version = 1

    target_type: Literal["post", "comment"]
    target_id: str
    decision: Decision
    reasons: list[str]
    screened_at: datetime
