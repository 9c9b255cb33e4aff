"""analytics' use cases."""
import uuid

from shared.caller import Caller
from shared.contracts.posts import PostCreated, PostPublished
from shared.errors import Forbidden


def record_post_created(uow, event: PostCreated) -> None:
    uow.post_facts.upsert(uuid.UUID(event.post_id), event.agency_code, event.kind, created_at=event.created_at)


def record_post_published(uow, event: PostPublished) -> None:
    uow.post_facts.upsert(uuid.UUID(event.post_id), event.agency_code, event.kind, published_at=event.published_at)


def posts_per_agency(uow, caller: Caller) -> dict[str, int]:
    """Published posts per agency: advisors see their agency, admins all."""
    caller.require_role("advisor", "admin")
    if caller.role == "admin":
        return uow.post_facts.published_per_agency()
    if not caller.agency_code:
        raise Forbidden("Aucune agence n'est rattachée à votre compte.")
    return uow.post_facts.published_per_agency(caller.agency_code)
