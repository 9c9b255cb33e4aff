"""What follows from other services' events: moderation moves posts and
comments through their statuses and mutes members; identity names them."""
import uuid
from datetime import datetime

from services.posts import domain
from services.posts.models import Comment, Post
from shared.contracts.identity import UserErased
from shared.contracts.moderation import CaseDecided, ContentScreened, SanctionImposed, SanctionLifted, TargetHidden
from shared.contracts.posts import (
    CommentHeld, CommentHidden, CommentPublished, CommentRejected, PostHeld, PostHidden, PostPublished, PostRejected,
)

DECIDED_BY_A_PERSON = ["moderation.decision"]


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# ---------------------------------------------------------------- status changes

def set_post_status(uow, post: Post, status: str, now: datetime, reasons: list[str], reason_text: str | None) -> None:
    """Move a post to `status` and record what happened."""
    post.status = status
    post.updated_at = now
    if status == "published":
        post.published_at = post.published_at or now
        post.moderation_reason = None
    elif status in ("held", "rejected"):
        post.moderation_reason = reason_text
    _record_post_status(uow, status, now, reasons, post.id, post.author_id, post.agency_code, post.kind, post.topics)


def _record_post_status(uow, status: str, now: datetime, reasons: list[str], post_id, author_id, agency_code, kind,
                        topics) -> None:
    """The event of a post's move to `status`."""
    common = {"post_id": str(post_id), "author_id": str(author_id), "agency_code": agency_code}
    if status == "published":
        uow.record(PostPublished(**common, kind=kind, topics=list(topics), published_at=now))
    elif status in ("held", "rejected"):
        event_cls = PostHeld if status == "held" else PostRejected
        uow.record(event_cls(**common, reasons=list(reasons)))
    elif status == "hidden":
        uow.record(PostHidden(**common, hidden_at=now))


def set_comment_status(uow, comment: Comment, status: str, now: datetime, reasons: list[str],
                       reason_text: str | None) -> None:
    """Move a comment to `status`, keep its post's count of published
    comments and accepted answer right, and record what happened."""
    was_published = comment.status == "published"
    comment.status = status
    comment.updated_at = now
    post = uow.posts.get(comment.post_id)
    if status == "published" and not was_published:
        uow.posts.add_to_comment_count(comment.post_id, +1)
    elif was_published and status != "published":
        uow.posts.add_to_comment_count(comment.post_id, -1)
        if post.accepted_comment_id == comment.id:
            post.accepted_comment_id = None
            post.validated_by_advisor = False
    if status == "published":
        comment.published_at = comment.published_at or now
        comment.moderation_reason = None
    elif status in ("held", "rejected"):
        comment.moderation_reason = reason_text
    _record_comment_status(uow, status, now, reasons, comment.id, comment.post_id, comment.author_id,
                           comment.author_role, comment.created_at, post.agency_code, post.title, post.author_id,
                           post.kind)


def _record_comment_status(uow, status: str, now: datetime, reasons: list[str], comment_id, post_id, author_id,
                           author_role, created_at, agency_code, post_title, post_author_id, post_kind) -> None:
    """The event of a comment's move to `status`."""
    common = {"comment_id": str(comment_id), "post_id": str(post_id), "author_id": str(author_id),
              "agency_code": agency_code}
    if status == "published":
        uow.record(
            CommentPublished(
                **common, post_title=post_title, post_author_id=str(post_author_id), post_kind=post_kind,
                author_role=author_role, created_at=created_at, published_at=now,
            )
        )
    elif status in ("held", "rejected"):
        event_cls = CommentHeld if status == "held" else CommentRejected
        uow.record(event_cls(**common, reasons=list(reasons)))
    elif status == "hidden":
        uow.record(CommentHidden(**common, hidden_at=now))


def _target(uow, target_type: str, target_id: str):
    key = _uuid(target_id)
    if key is None:
        return None
    repository = uow.posts if target_type == "post" else uow.comments
    return repository.get_for_update(key)


# ---------------------------------------------------------------- moderation

def apply_screening(uow, event: ContentScreened, now: datetime) -> None:
    """Automatic screening decided: publish, hold or reject, with the reason."""
    if event.target_type == "comment":
        _screen_comment(uow, event, now)
        return
    if _settle_post_screening(uow, event, now):
        return
    post = _target(uow, event.target_type, event.target_id)
    if post is None or post.status != "pending":
        return  # unknown, or decided since (removed, or a person decided)
    post.screenings_received += 1
    post.screening_decision = domain.merge_screening(post.screening_decision, event.decision)
    post.screening_reasons = list(dict.fromkeys([*(post.screening_reasons or []), *event.reasons]))
    if not domain.screening_settled(post.revision, post.screenings_received):
        return  # an edit is still being screened: its decision counts too
    decision, reasons = post.screening_decision, list(post.screening_reasons)
    post.screening_decision, post.screening_reasons = None, []
    status = domain.STATUS_AFTER_SCREENING[decision]
    set_post_status(uow, post, status, now, reasons, domain.moderation_reason(reasons))


def _settle_post_screening(uow, event: ContentScreened, now: datetime) -> bool:
    """The usual screening, the one of a pending post's only revision in
    flight (nothing kept from other revisions to merge): what the general
    path above would compute from the event alone, written by one
    conditional UPDATE instead of a locked read and an ORM flush (issue 17).
    False when the post is not in that state: the general path decides."""
    key = _uuid(event.target_id)
    if key is None:
        return False
    decision = domain.merge_screening(None, event.decision)
    reasons = list(dict.fromkeys(event.reasons))
    status = domain.STATUS_AFTER_SCREENING[decision]
    reason_text = None if status == "published" else domain.moderation_reason(reasons)
    settled = uow.posts.settle_screening(key, status, reason_text, now)
    if settled is None:
        return False
    author_id, agency_code, kind, topics = settled
    _record_post_status(uow, status, now, reasons, key, author_id, agency_code, kind, topics)
    return True


def _screen_comment(uow, event: ContentScreened, now: datetime) -> None:
    """A pending comment published, held or rejected (a comment has one
    text, screened once), its post's count of published comments kept:
    one statement, where it was six through the ORM (the comment locked
    and read, its post read, the count, the flush; issue 17). Unknown, or
    decided since: nothing."""
    key = _uuid(event.target_id)
    if key is None:
        return
    status = domain.STATUS_AFTER_SCREENING[event.decision]
    reason_text = None if status == "published" else domain.moderation_reason(event.reasons)
    screened = uow.comments.screen(key, status, reason_text, now)
    if screened is not None:
        _record_comment_status(uow, status, now, event.reasons, key, *screened)


def apply_decision(uow, event: CaseDecided, now: datetime) -> None:
    """A person decided: approve → published, reject → rejected, hide → hidden."""
    target = _target(uow, event.target_type, event.target_id)
    if target is None:
        return
    status = domain.status_after_decision(target.status, event.action)
    if status is None:
        return
    change = set_post_status if event.target_type == "post" else set_comment_status
    change(uow, target, status, now, DECIDED_BY_A_PERSON, event.reason)


def apply_hiding(uow, event: TargetHidden, now: datetime) -> None:
    """Reported by enough members: hidden until a person decides."""
    target = _target(uow, event.target_type, event.target_id)
    if target is None:
        return
    status = domain.status_after_hiding(target.status)
    if status is None:
        return
    change = set_post_status if event.target_type == "post" else set_comment_status
    change(uow, target, status, now, [], None)


def remember_sanction(uow, event: SanctionImposed) -> None:
    member = _uuid(event.user_id)
    if event.type == "mute" and member is not None:
        uow.mutes.imposed(event.sanction_id, member, event.expires_at)


def forget_sanction(uow, event: SanctionLifted) -> None:
    member = _uuid(event.user_id)
    if event.type == "mute" and member is not None:
        uow.mutes.lifted(event.sanction_id, member, event.lifted_at)


# ---------------------------------------------------------------- members

def forget_member(uow, event: UserErased, now: datetime) -> None:
    """GDPR erasure: the member's name, topics, reactions and mutes go; their
    posts and comments stay, shown as by a deleted member, and move to a
    fresh random author id (one per erased member, itself a tombstone), so
    that the old id, known to others, no longer finds what they wrote
    (`?author=`)."""
    member = uuid.UUID(event.user_id)
    uow.authors.erase(event)
    erased_author = uuid.uuid4()
    moved = uow.posts.rekey_author(member, erased_author) + uow.comments.rekey_author(member, erased_author)
    if moved:  # a replayed erasure finds nothing left to move and makes no second tombstone
        uow.authors.erase(UserErased(user_id=str(erased_author), erased_at=event.erased_at))
    uow.reactions.forget_user(member)
    uow.mutes.forget_user(member)
