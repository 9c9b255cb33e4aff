"""What posts answers: JSON-safe views of posts and comments for one caller."""
from services.posts import domain
from services.posts.models import Author, Comment, Post
from shared.caller import Caller

# What a post's view reads, in this order: the repository's reads answer
# rows of exactly these, as JSON (ids and times as text), so a page of views
# is built from plain lists, with no ORM object or named lookup per field
# (issue 17: turning 20 posts into views was a tenth of the service's CPU
# for a feed page).
VIEW_COLUMNS = (
    "id", "kind", "title", "body", "topics", "video_url", "details", "author_id", "author_name", "author_erased",
    "agency_code", "status", "created_at", "updated_at", "published_at", "comment_count", "reactions_helpful",
    "reactions_thanks", "reactions_support", "mine", "accepted_comment_id", "validated_by_advisor", "pinned",
    "moderation_reason",
)
ID, AUTHOR_ID, STATUS, CREATED_AT, PINNED = (
    VIEW_COLUMNS.index(name) for name in ("id", "author_id", "status", "created_at", "pinned")
)


def iso_time(text: str | None) -> str | None:
    """A time as views always wrote it (Python's isoformat: six digits of
    fraction, or none) from PostgreSQL's JSON text of it, which drops the
    fraction's trailing zeros (`08:00:00.12+00:00`); the offset is the same."""
    if text is None or "." not in text:
        return text
    head, _, rest = text.partition(".")
    end = max(rest.find("+"), rest.find("-"))
    return f"{head}.{rest[:end]:0<6}{rest[end:]}" if end >= 0 else f"{head}.{rest:0<6}"


def _as_text(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def view_row(post: Post, author: Author | None, my_reactions: list[str] | None = None, pinned: bool | None = None) -> tuple:
    """The row the repository would read for `post` (a post held as an object: written, edited, exported)."""
    return (
        str(post.id), post.kind, post.title, post.body, post.topics, post.video_url, post.details, str(post.author_id),
        author.display_name if author is not None else None, author is not None and author.erased_at is not None,
        post.agency_code, post.status, _as_text(post.created_at), _as_text(post.updated_at), _as_text(post.published_at),
        post.comment_count,
        post.reactions_helpful, post.reactions_thanks, post.reactions_support, my_reactions,
        str(post.accepted_comment_id) if post.accepted_comment_id else None, post.validated_by_advisor,
        post.pinned if pinned is None else pinned, post.moderation_reason,
    )


def row_view(row, caller: Caller) -> dict:
    """A post's view from its row (VIEW_COLUMNS): the one place that says what a post looks like."""
    (post_id, kind, title, body, topics, video_url, details, author_id, author_name, author_erased, agency_code, status,
     created_at, updated_at, published_at, comment_count, helpful, thanks, support, mine, accepted, validated, pinned,
     reason) = row
    view = {
        "id": post_id,
        "kind": kind,
        "title": title,
        "body": body,
        "topics": list(topics or []),
        "video_url": video_url,
        "details": details,
        "author": {"id": None, "display_name": domain.DELETED_MEMBER} if author_erased
        else {"id": author_id, "display_name": author_name},
        "agency_code": agency_code,
        "status": status,
        "created_at": iso_time(created_at),
        "updated_at": iso_time(updated_at),
        "published_at": iso_time(published_at),
        "comment_count": comment_count or 0,
        "reactions": {"helpful": helpful or 0, "thanks": thanks or 0, "support": support or 0},
        "my_reactions": sorted(mine) if mine else [],
        "accepted_comment_id": accepted or None,
        "validated_by_advisor": bool(accepted and validated),
        "pinned": bool(pinned),
    }
    if status in ("held", "rejected") and author_id == caller.id:
        view["moderation_reason"] = reason
    return view


def author_view(author_id, author: Author | None) -> dict:
    if author is not None and author.erased_at is not None:
        return {"id": None, "display_name": domain.DELETED_MEMBER}
    return {"id": str(author_id), "display_name": author.display_name if author else None}


def post_view(post: Post, author: Author | None, caller: Caller, my_reactions: list[str] | None = None,
              pinned: bool | None = None) -> dict:
    return row_view(view_row(post, author, my_reactions, pinned), caller)


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

