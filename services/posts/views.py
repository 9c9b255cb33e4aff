"""What posts answers: JSON-safe views of posts and comments for one caller."""
from services.posts import domain
from services.posts.models import Author, Comment, Post
from shared.caller import Caller


def author_view(author_id, author: Author | None) -> dict:
    if author is not None and author.erased_at is not None:
        return {"id": None, "display_name": domain.DELETED_MEMBER}
    return {"id": str(author_id), "display_name": author.display_name if author else None}


def post_view(post: Post, author: Author | None, caller: Caller, my_reactions: list[str] | None = None,
              pinned: bool | None = None) -> dict:
    view = {
        "id": str(post.id),
        "kind": post.kind,
        "title": post.title,
        "body": post.body,
        "topics": list(post.topics or []),
        "video_url": post.video_url,
        "details": post.details,
        "author": author_view(post.author_id, author),
        "agency_code": post.agency_code,
        "status": post.status,
        "created_at": post.created_at.isoformat(),
        "updated_at": post.updated_at.isoformat() if post.updated_at else None,
        "published_at": post.published_at.isoformat() if post.published_at else None,
        "comment_count": post.comment_count or 0,
        "reactions": {
            "helpful": post.reactions_helpful or 0,
            "thanks": post.reactions_thanks or 0,
            "support": post.reactions_support or 0,
        },
        "my_reactions": sorted(my_reactions or []),
        "accepted_comment_id": str(post.accepted_comment_id) if post.accepted_comment_id else None,
        "validated_by_advisor": bool(post.accepted_comment_id and post.validated_by_advisor),
        "pinned": bool(post.pinned if pinned is None else pinned),
    }
    if str(post.author_id) == caller.id and post.status in ("held", "rejected"):
        view["moderation_reason"] = post.moderation_reason
    return view


def comment_view(comment: Comment, author: Author | None, caller: Caller, post: Post | None = None) -> dict:
    accepted = post is not None and post.accepted_comment_id == comment.id
    view = {
        "id": str(comment.id),
        "post_id": str(comment.post_id),
        "body": comment.body,
        "author": author_view(comment.author_id, author),
        "author_role": comment.author_role if not (author and author.erased_at) else None,
        "status": comment.status,
        "created_at": comment.created_at.isoformat(),
        "published_at": comment.published_at.isoformat() if comment.published_at else None,
        "accepted": accepted,
        "validated_by_advisor": bool(accepted and post.validated_by_advisor),
    }
    if str(comment.author_id) == caller.id and comment.status in ("held", "rejected"):
        view["moderation_reason"] = comment.moderation_reason
    return view


def post_page(uow, posts: list[Post], caller: Caller, next_cursor: str | None, pinned: dict | None = None) -> dict:
    authors = uow.authors.get_many([p.author_id for p in posts])
    mine = uow.reactions.of_user(caller.id, [p.id for p in posts]) if posts else {}
    items = [
        post_view(p, authors.get(p.author_id), caller, mine.get(p.id), None if pinned is None else pinned[p.id])
        for p in posts
    ]
    return {"items": items, "next_cursor": next_cursor}

