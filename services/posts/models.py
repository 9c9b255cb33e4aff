"""posts' tables."""
import uuid
from datetime import datetime

from sqlalchemy import Boolean, Computed, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.members import MemberCopy

# The text search configuration created by migration 0002: French stemming
# over unaccented words, so `metiers` finds `métier`.
SEARCH_CONFIG = "public.french_unaccent"
SEARCH_VECTOR_SQL = (
    f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce(title, '')), 'A') || "
    f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce(body, '')), 'B')"
)


class Base(DeclarativeBase):
    pass


class Topic(Base):
    __tablename__ = "topics"

    slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # sector, theme or rome


class Author(MemberCopy, Base):
    """Local copy of what posts shows of a member, kept from identity's events
    (shared/db/members.py).

    `topics` (the member's chosen topics) drive their feed. An erased member
    keeps a row with no personal data (`erased_at` set), so that a late event
    does not bring their name back."""

    __tablename__ = "authors"

    display_name: Mapped[str | None] = mapped_column(String(80))
    topics: Mapped[list | None] = mapped_column(JSONB, default=list)


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    topics: Mapped[list] = mapped_column(JSONB, default=list)
    video_url: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[dict | None] = mapped_column(JSONB)
    author_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    agency_code: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    moderation_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Counters, changed only by atomic SQL increments (see PostRepository).
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    reactions_helpful: Mapped[int] = mapped_column(Integer, default=0)
    reactions_thanks: Mapped[int] = mapped_column(Integer, default=0)
    reactions_support: Mapped[int] = mapped_column(Integer, default=0)
    accepted_comment_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    validated_by_advisor: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Screening of edits: each text submitted (creation, edit) is a revision;
    # a decision applies once every revision was screened (domain.settle_screening).
    revision: Mapped[int] = mapped_column(Integer, default=1)
    screenings_received: Mapped[int] = mapped_column(Integer, default=0)
    screening_decision: Mapped[str | None] = mapped_column(String(20))
    screening_reasons: Mapped[list] = mapped_column(JSONB, default=list)
    search = mapped_column(TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True), deferred=True)


class PostTopic(Base):
    """One row per topic of each published post, kept by a trigger on posts
    (migrations 0002, 0005): the ordered index the feed, the topic filter
    and a search within a topic read. That index carries the agency and the
    search vector too (migration 0006), so a search within a topic reads the
    index alone, not a heap page per row."""

    __tablename__ = "post_topics"

    topic: Mapped[str] = mapped_column(String(80), primary_key=True)
    post_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    agency_code: Mapped[str | None] = mapped_column(String(40))
    # The post's search vector (migration 0005): a search within a topic reads no post until its page.
    search = mapped_column(TSVECTOR, deferred=True)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    post_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("posts.id"))
    author_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    author_role: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    moderation_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Reaction(Base):
    __tablename__ = "reactions"

    post_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("posts.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    type: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Mute(Base):
    """A mute imposed by moderation (one row per sanction), kept from its events."""

    __tablename__ = "mutes"

    sanction_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    imposed: Mapped[bool] = mapped_column(Boolean, default=False)
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
