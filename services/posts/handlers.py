"""posts' use cases: topics, writing, editing, removing and reading posts,
and the member's own data (GDPR export)."""
import uuid
from datetime import datetime

from services.posts import domain
from services.posts.models import Post
from services.posts.views import AUTHOR_ID, CREATED_AT, ID, PINNED, STATUS, comment_view, iso_time, post_view, row_view
from shared.api.base import Page
from shared.api.posts import PostFilters, PostIn, PostPatch, TopicIn
from shared.caller import Caller
from shared.contracts.posts import PostCreated, PostRemoved, PostUpdated
from shared import paging
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from shared.validation import parse

POST_NOT_FOUND = domain.POST_NOT_FOUND


def caller_uuid(caller: Caller) -> uuid.UUID:
    caller.require_user()
    try:
        return uuid.UUID(caller.id)
    except ValueError:
        raise Unauthorized("Authentification requise.") from None


def parse_id(value, message: str = POST_NOT_FOUND) -> uuid.UUID:
    """An id from a path: malformed is unknown (404)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(message) from None


def check_not_muted(uow, member_id: uuid.UUID, now: datetime) -> None:
    domain.check_not_muted([m.expires_at for m in uow.mutes.active(member_id, now)])


def visible_post(uow, caller: Caller, post_id, for_update: bool = False) -> Post:
    """The post if the caller may see it, else NotFound."""
    key = parse_id(post_id)
    post = uow.posts.get_for_update(key) if for_update else uow.posts.get(key)
    if post is None or not domain.visible_to(post.status, str(post.author_id), caller):
        raise NotFound(POST_NOT_FOUND)
    return post


def view_of(uow, post: Post, caller: Caller) -> dict:
    mine = uow.reactions.of_user(uuid.UUID(caller.id), [post.id]).get(post.id)
    return post_view(post, uow.authors.get(post.author_id), caller, mine)


def check_topics(uow, topics: list[str]) -> list[str]:
    topics = list(dict.fromkeys(topics))
    unknown = set(topics) - uow.topics.existing(topics)
    if unknown:
        raise ValidationFailed.single(["body", "topics"], "Thème inconnu : " + ", ".join(sorted(unknown)))
    return topics


# ---------------------------------------------------------------- topics

def list_topics(uow) -> list[dict]:
    return [{"slug": t.slug, "label": t.label, "kind": t.kind} for t in uow.topics.all()]


def add_topic(uow, caller: Caller, data: dict) -> dict:
    caller.require_role("admin")
    topic_in = parse(TopicIn, data)
    domain.check_topic_slug(topic_in.slug, topic_in.kind)
    if uow.topics.get(topic_in.slug) is not None:
        raise Conflict("Ce thème existe déjà.")
    added = uow.topics.add_missing([{"slug": topic_in.slug, "label": topic_in.label, "kind": topic_in.kind}])
    if not added:
        raise Conflict("Ce thème existe déjà.")
    uow.commit()
    return {"slug": topic_in.slug, "label": topic_in.label, "kind": topic_in.kind}


def seed_topics(uow, topics: list[dict]) -> int:
    added = uow.topics.add_missing(topics)
    uow.commit()
    return added


# ---------------------------------------------------------------- writing

def create_post(uow, caller: Caller, data: dict, now: datetime) -> dict:
    member_id = caller_uuid(caller)
    author, mutes = uow.mutes.writer(member_id, now)  # the view's author and the mute check: one query
    domain.check_not_muted(mutes)
    post_in = parse(PostIn, data)
    domain.check_may_publish_kind(caller, post_in.kind)
    domain.check_video_url(post_in.kind, post_in.video_url)
    if post_in.details is not None and post_in.kind != "job_info":
        raise ValidationFailed.single(["body", "details"], "Réservé aux fiches métier.")
    topics = check_topics(uow, post_in.topics)
    post = Post(
        id=uuid.uuid4(), kind=post_in.kind, title=post_in.title.strip(), body=post_in.body, topics=topics,
        video_url=post_in.video_url, details=post_in.details.model_dump() if post_in.details else None,
        author_id=member_id, agency_code=caller.agency_code, status="pending", created_at=now, updated_at=now,
        comment_count=0, reactions_helpful=0, reactions_thanks=0, reactions_support=0, validated_by_advisor=False,
        pinned=False, revision=1, screenings_received=0, screening_reasons=[],
    )
    uow.posts.add(post)
    uow.record(
        PostCreated(
            post_id=str(post.id), author_id=caller.id, agency_code=post.agency_code, kind=post.kind,
            title=post.title, body=post.body, topics=topics, created_at=now,
        )
    )
    uow.commit()
    return post_view(post, author, caller)


def get_post(uow, caller: Caller, post_id: str) -> dict:
    viewer = caller_uuid(caller)
    uow.read_only()
    found = uow.posts.views([parse_id(post_id)], viewer)
    if not found or not domain.visible_to(found[0][STATUS], found[0][AUTHOR_ID], caller):
        raise NotFound(POST_NOT_FOUND)
    return row_view(found[0], caller)


def edit_post(uow, caller: Caller, post_id: str, data: dict, now: datetime) -> dict:
    """The author (or an admin) edits title, body or topics; the post is
    pending again and screened again."""
    caller_uuid(caller)
    patch = parse(PostPatch, data)
    changes = patch.model_dump(exclude_unset=True, exclude_none=True)
    if not changes:
        raise ValidationFailed.single(["body"], "Indiquez au moins un champ à modifier : title, body ou topics.")
    key = parse_id(post_id)
    post = uow.posts.get_for_update(key)
    if post is None or post.status == "removed" or not (
        domain.visible_to(post.status, str(post.author_id), caller) or caller.role == "admin"
    ):
        raise NotFound(POST_NOT_FOUND)
    domain.check_may_edit(str(post.author_id), caller)
    if "topics" in changes:
        changes["topics"] = check_topics(uow, changes["topics"])
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    if all(getattr(post, field) == value for field, value in changes.items()):
        return view_of(uow, post, caller)  # nothing changed: nothing to screen again
    for field, value in changes.items():
        setattr(post, field, value)
    post.status = "pending"
    post.moderation_reason = None
    post.revision += 1
    post.updated_at = now
    uow.record(
        PostUpdated(
            post_id=str(post.id), author_id=str(post.author_id), agency_code=post.agency_code, kind=post.kind,
            title=post.title, body=post.body, topics=list(post.topics), updated_at=now,
        )
    )
    uow.commit()
    return view_of(uow, post, caller)


def remove_post(uow, caller: Caller, post_id: str, now: datetime) -> None:
    """Removed by its author, an advisor of its agency or an admin; again is a no-op."""
    caller_uuid(caller)
    post = uow.posts.get_for_update(parse_id(post_id))
    if post is None:
        raise NotFound(POST_NOT_FOUND)
    allowed = domain.may_remove(str(post.author_id), post.agency_code, caller)
    if post.status == "removed":
        if allowed:
            return
        raise NotFound(POST_NOT_FOUND)
    if not allowed:
        if domain.visible_to(post.status, str(post.author_id), caller):
            raise Forbidden("Seuls l'auteur, un conseiller de son agence ou un administrateur suppriment une publication.")
        raise NotFound(POST_NOT_FOUND)
    post.status = "removed"
    post.updated_at = now
    uow.record(
        PostRemoved(
            post_id=str(post.id), author_id=str(post.author_id), agency_code=post.agency_code, removed_by=caller.id,
            removed_at=now,
        )
    )
    uow.commit()


# ---------------------------------------------------------------- reading

def _author_filter(value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed.single(["query", "author"], "Identifiant de membre invalide.") from None


def list_posts(uow, caller: Caller, query: dict) -> dict:
    """GET /v1/posts: filters, or a French full-text search when `q` is given."""
    viewer = caller_uuid(caller)
    filters = parse(PostFilters, query)
    common = {
        "topic": filters.topic, "kind": filters.kind, "author_id": _author_filter(filters.author),
        "agency": filters.agency, "unanswered": filters.unanswered,
    }
    text = (filters.q or "").strip()
    uow.read_only()
    if not text:
        after = paging.decode(filters.cursor, "posts.list", (datetime, uuid.UUID))
        rows = uow.posts.page(viewer_id=viewer, **common, after=after, limit=filters.limit + 1)
        more = paging.next_cursor("posts.list", rows, filters.limit, lambda row: (iso_time(row[CREATED_AT]), row[ID]))
        return {"items": [row_view(row, caller) for row in rows[: filters.limit]], "next_cursor": more}
    after = paging.decode(filters.cursor, "posts.search", (float, datetime, uuid.UUID))
    found = uow.posts.search(text, viewer_id=viewer, **common, after=after, limit=filters.limit + 1)
    more = paging.next_cursor("posts.search", found, filters.limit,
                              lambda hit: (hit[0], iso_time(hit[1][CREATED_AT]), hit[1][ID]))
    return {"items": [row_view(row, caller) for _, row in found[: filters.limit]], "next_cursor": more}


def feed(uow, caller: Caller, query: dict) -> dict:
    """Published posts of the caller's agency (pinned first) and of the
    caller's topics; a member with neither sees every published post."""
    viewer = caller_uuid(caller)
    page = parse(Page, query)
    after = paging.decode(page.cursor, "posts.feed", (bool, datetime, uuid.UUID))
    uow.read_only()
    rows = uow.posts.feed(viewer, agency=caller.agency_code, after=after, limit=page.limit + 1)
    more = paging.next_cursor("posts.feed", rows, page.limit, lambda row: (row[PINNED], iso_time(row[CREATED_AT]), row[ID]))
    return {"items": [row_view(row, caller) for row in rows[: page.limit]], "next_cursor": more}


# ---------------------------------------------------------------- GDPR

def export_user_data(uow, caller: Caller) -> dict:
    """Everything posts holds about the caller."""
    member_id = caller_uuid(caller)
    member = uow.authors.get(member_id)
    own_posts = uow.posts.by_author(member_id)
    comments = uow.comments.by_author(member_id)
    return {
        "profile": {
            "display_name": member.display_name if member else None,
            "topics": list(member.topics or []) if member else [],
        },
        "posts": [post_view(p, member, caller) | {"moderation_reason": p.moderation_reason} for p in own_posts],
        "comments": [comment_view(c, member, caller) | {"moderation_reason": c.moderation_reason} for c in comments],
        "reactions": [
            {"post_id": str(r.post_id), "type": r.type, "created_at": r.created_at.isoformat()}
            for r in uow.reactions.by_user(member_id)
        ],
        "mutes": [
            {"sanction_id": m.sanction_id, "expires_at": m.expires_at.isoformat() if m.expires_at else None,
             "lifted_at": m.lifted_at.isoformat() if m.lifted_at else None}
            for m in uow.mutes.of_user(member_id) if m.imposed
        ],
    }
