"""moderation's use cases."""
import re
import uuid
from datetime import datetime

from services.moderation import screening
from services.moderation.models import Case
from shared.contracts.moderation import ContentScreened
from shared.contracts.posts import PostCreated

_PERSONAL_DATA = re.compile(r"[\w.+\-]+@[\w\-.]+|\+?\d[\d\s.\-]{7,}\d")


def excerpt(text: str, length: int = 280) -> str:
    """A short excerpt for the queue, with digits runs and addresses masked:
    the case never keeps the personal data it was opened for."""
    masked = _PERSONAL_DATA.sub("[masqué]", " ".join(text.split()))
    return masked if len(masked) <= length else masked[: length - 1] + "…"


def screen_post(uow, event: PostCreated, now: datetime) -> screening.Screening:
    result = screening.screen(event.title, event.body)
    if result.decision != "publish" and uow.cases.open_for("post", uuid.UUID(event.post_id)) is None:
        uow.cases.add(
            Case(
                id=uuid.uuid4(),
                target_type="post",
                target_id=uuid.UUID(event.post_id),
                author_id=uuid.UUID(event.author_id),
                agency_code=event.agency_code,
                reasons=list(result.reasons),
                source="screening",
                status="open",
                excerpt=excerpt(f"{event.title} — {event.body}"),
                created_at=now,
            )
        )
    uow.record(
        ContentScreened(
            target_type="post", target_id=event.post_id, decision=result.decision,
            reasons=list(result.reasons), screened_at=now,
        )
    )
    return result
