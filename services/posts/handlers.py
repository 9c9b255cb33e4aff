"""posts' use cases."""
import uuid
from datetime import datetime

from services.posts import domain
from services.posts.models import Post
from services.posts.schemas import PostIn
from shared.caller import Caller
from shared.contracts.identity import UserRegistered
from shared.contracts.moderation import ContentScreened
from shared.contracts.posts import PostCreated, PostHeld, PostPublished, PostRejected
from shared.errors import NotFound, ValidationFailed
from shared.validation import parse

POST_NOT_FOUND = "Publication introuvable."


def post_view(post: Post, author, caller: Caller) -> dict:
    view = {
        "id": str(post.id),
        "kind": post.kind,
        "title": post.title,
        "body": post.body,
        "topics": list(post.topics or []),
        "video_url": post.video_url,
        "details": post.details,
        "author": {"id": str(post.author_id), "display_name": author.display_name if author else None},
        "agency_code": post.agency_code,
        "status": post.status,
        "created_at": post.created_at.isoformat(),
        "updated_at": post.updated_at.isoformat() if post.updated_at else None,
        "published_at": post.published_at.isoformat() if post.published_at else None,
        "comment_count": 0,
        "reactions": {"helpful": 0, "thanks": 0, "support": 0},
        "accepted_comment_id": None,
        "pinned": False,
    }
    if str(post.author_id) == caller.id and post.status in ("held", "rejected"):
        view["moderation_reason"] = post.moderation_reason
    return view


def list_topics(uow) -> list[dict]:
    return [{"slug": t.slug, "label": t.label, "kind": t.kind} for t in uow.topics.all()]


def create_post(uow, caller: Caller, data: dict, now: datetime) -> dict:
    caller.require_user()
    post_in = parse(PostIn, data)
    domain.check_may_publish_kind(caller, post_in.kind)
    domain.check_video_url(post_in.kind, post_in.video_url)
    if post_in.details is not None and post_in.kind != "job_info":
        raise ValidationFailed.single(["body", "details"], "Réservé aux fiches métier.")
    topics = list(dict.fromkeys(post_in.topics))
    unknown = set(topics) - uow.topics.existing(topics)
    if unknown:
        raise ValidationFailed.single(["body", "topics"], "Thème inconnu : " + ", ".join(sorted(unknown)))
    post = Post(
        id=uuid.uuid4(),
        kind=post_in.kind,
        title=post_in.title.strip(),
        body=post_in.body,
        topics=topics,
        video_url=post_in.video_url,
        details=post_in.details.model_dump() if post_in.details else None,
        author_id=uuid.UUID(caller.id),
        agency_code=caller.agency_code,
        status="pending",
        created_at=now,
        updated_at=now,
    )
    uow.posts.add(post)
    uow.record(
        PostCreated(
            post_id=str(post.id), author_id=caller.id, agency_code=post.agency_code, kind=post.kind,
            title=post.title, body=post.body, topics=topics, created_at=now,
        )
    )
    uow.commit()
    return post_view(post, uow.authors.get(post.author_id), caller)


def get_post(uow, caller: Caller, post_id: str) -> dict:
    caller.require_user()
    try:
        key = uuid.UUID(str(post_id))
    except ValueError:
        raise NotFound(POST_NOT_FOUND) from None
    post = uow.posts.get(key)
    if post is None or not domain.visible_to(post.status, str(post.author_id), caller):
        raise NotFound(POST_NOT_FOUND)
    return post_view(post, uow.authors.get(post.author_id), caller)


def apply_screening(uow, event: ContentScreened, now: datetime) -> None:
    """Moderation screened a post: publish it, or hold or reject it with the reason."""
    if event.target_type != "post":
        return
    post = uow.posts.get_for_update(uuid.UUID(event.target_id))
    if post is None or post.status != "pending":
        return  # edited or removed since: a later screening decides
    post.status = domain.STATUS_AFTER_SCREENING[event.decision]
    post.updated_at = now
    common = {"post_id": str(post.id), "author_id": str(post.author_id), "agency_code": post.agency_code}
    if post.status == "published":
        post.published_at = now
        post.moderation_reason = None
        uow.record(PostPublished(**common, kind=post.kind, topics=list(post.topics), published_at=now))
    else:
        post.moderation_reason = domain.moderation_reason(event.reasons)
        event_cls = PostHeld if post.status == "held" else PostRejected
        uow.record(event_cls(**common, reasons=list(event.reasons)))


def remember_author(uow, event: UserRegistered) -> None:
    uow.authors.upsert(uuid.UUID(event.user_id), event.display_name, event.role, event.agency_code)


def seed_topics(uow, topics: list[dict]) -> int:
    added = uow.topics.add_missing(topics)
    uow.commit()
    return added
