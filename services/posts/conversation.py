"""posts' conversation use cases: comments, reactions, accepted answers, pins."""
import uuid
from datetime import datetime

from services.posts import domain
from services.posts.handlers import caller_uuid, check_not_muted, view_of, visible_post
from services.posts.models import Comment
from services.posts.schemas import AcceptIn, CommentIn, Page, ReactionIn
from services.posts.views import comment_view
from shared import paging
from shared.caller import Caller
from shared.contracts.posts import AnswerAccepted, CommentCreated, PostPinned, ReactionAdded, ReactionRemoved
from shared.errors import Conflict, ValidationFailed
from shared.validation import parse


# ---------------------------------------------------------------- comments

def add_comment(uow, caller: Caller, post_id: str, data: dict, now: datetime) -> dict:
    member_id = caller_uuid(caller)
    check_not_muted(uow, member_id, now)
    comment_in = parse(CommentIn, data)
    post = visible_post(uow, caller, post_id)
    domain.check_open_for_conversation(post.status, str(post.author_id), caller)
    comment = Comment(
        id=uuid.uuid4(), post_id=post.id, author_id=member_id, author_role=caller.role, body=comment_in.body,
        status="pending", created_at=now, updated_at=now,
    )
    uow.comments.add(comment)
    uow.record(
        CommentCreated(
            comment_id=str(comment.id), post_id=str(post.id), post_author_id=str(post.author_id), post_kind=post.kind,
            author_id=caller.id, agency_code=post.agency_code, body=comment.body, created_at=now,
        )
    )
    uow.commit()
    return comment_view(comment, uow.authors.get(member_id), caller, post)


def list_comments(uow, caller: Caller, post_id: str, query: dict) -> dict:
    """Oldest first: published comments, and the caller's own in every status."""
    viewer = caller_uuid(caller)
    page = parse(Page, query)
    after = paging.decode(page.cursor, "posts.comments", (datetime, uuid.UUID))
    post = visible_post(uow, caller, post_id)
    found = uow.comments.page(post.id, viewer_id=viewer, after=after, limit=page.limit + 1)
    more = paging.next_cursor("posts.comments", found, page.limit, lambda c: (c.created_at, str(c.id)))
    comments = found[: page.limit]
    authors = uow.authors.get_many([c.author_id for c in comments])
    return {"items": [comment_view(c, authors.get(c.author_id), caller, post) for c in comments], "next_cursor": more}


# ---------------------------------------------------------------- reactions

def add_reaction(uow, caller: Caller, post_id: str, data: dict, now: datetime) -> None:
    """Once per member and type: a second time changes nothing."""
    member_id = caller_uuid(caller)
    reaction = parse(ReactionIn, data)
    post = visible_post(uow, caller, post_id)
    domain.check_open_for_conversation(post.status, str(post.author_id), caller)
    if not uow.reactions.add(post.id, member_id, reaction.type, now):
        return
    uow.posts.add_to_reactions(post.id, reaction.type, +1)
    uow.record(
        ReactionAdded(
            post_id=str(post.id), post_author_id=str(post.author_id), user_id=caller.id, type=reaction.type,
            agency_code=post.agency_code, reacted_at=now,
        )
    )
    uow.commit()


def remove_reaction(uow, caller: Caller, post_id: str, reaction_type: str, now: datetime) -> None:
    member_id = caller_uuid(caller)
    if reaction_type not in domain.REACTION_TYPES:
        raise ValidationFailed.single(["path", "type"], "Réaction inconnue : helpful, thanks ou support.")
    post = visible_post(uow, caller, post_id)
    if not uow.reactions.remove(post.id, member_id, reaction_type):
        return
    uow.posts.add_to_reactions(post.id, reaction_type, -1)
    uow.record(
        ReactionRemoved(
            post_id=str(post.id), post_author_id=str(post.author_id), user_id=caller.id, type=reaction_type,
            agency_code=post.agency_code, removed_at=now,
        )
    )
    uow.commit()


# ---------------------------------------------------------------- accepted answer

def accept_answer(uow, caller: Caller, post_id: str, data: dict, now: datetime) -> dict:
    """The question's author, an advisor of its agency or an admin accepts a
    published answer; staff acceptance shows as validated by an advisor."""
    caller_uuid(caller)
    accept = parse(AcceptIn, data)
    post = visible_post(uow, caller, post_id, for_update=True)
    domain.check_open_for_conversation(post.status, str(post.author_id), caller)
    if post.kind != "question":
        raise Conflict("Seules les questions ont une réponse acceptée.")
    domain.check_may_accept(str(post.author_id), post.agency_code, caller)
    try:
        comment = uow.comments.get(uuid.UUID(accept.comment_id))
    except ValueError:
        comment = None
    if comment is None or comment.post_id != post.id or comment.status != "published":
        raise ValidationFailed.single(["body", "comment_id"], "Ce n'est pas une réponse publiée à cette question.")
    validated = domain.validates(caller)
    if post.accepted_comment_id == comment.id:
        if validated <= bool(post.validated_by_advisor):
            return view_of(uow, post, caller)  # already accepted, nothing new
        validated = True
    post.accepted_comment_id = comment.id
    post.validated_by_advisor = validated
    post.updated_at = now
    uow.record(
        AnswerAccepted(
            post_id=str(post.id), post_title=post.title, comment_id=str(comment.id),
            question_author_id=str(post.author_id), answer_author_id=str(comment.author_id), accepted_by=caller.id,
            validated_by_advisor=validated, agency_code=post.agency_code, accepted_at=now,
        )
    )
    uow.commit()
    return view_of(uow, post, caller)


# ---------------------------------------------------------------- pins

def set_pinned(uow, caller: Caller, post_id: str, pinned: bool, now: datetime) -> None:
    """Advisors of the post's agency and admins pin (or unpin) it; pinned
    posts come first in the agency's feed."""
    caller_uuid(caller)
    post = visible_post(uow, caller, post_id, for_update=True)
    domain.check_may_pin(post.agency_code, caller)
    if pinned:
        domain.check_open_for_conversation(post.status, str(post.author_id), caller)
    if bool(post.pinned) == pinned:
        return
    post.pinned = pinned
    post.pinned_at = now if pinned else None
    uow.record(PostPinned(post_id=str(post.id), agency_code=post.agency_code, pinned=pinned, pinned_by=caller.id, at=now))
    uow.commit()

