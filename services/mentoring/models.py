"""mentoring's tables."""
import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.members import MemberCopy


class Base(DeclarativeBase):
    pass


class Member(MemberCopy, Base):
    """Local copy of what mentoring shows of a member, kept from identity's events (shared/db/members.py)."""

    __tablename__ = "members"

    display_name: Mapped[str | None] = mapped_column(String(80))


class Mentor(Base):
    """A company member's offer to mentor job seekers (one per member)."""

    __tablename__ = "mentors"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), unique=True)  # None: erased
    topics: Mapped[list] = mapped_column(JSONB, default=list)
    bio: Mapped[str] = mapped_column(Text)
    capacity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active, withdrawn
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MentoringRequest(Base):
    """A job seeker's request to a mentor; once accepted, the mentorship itself.

    pending → declined | cancelled | active; active → completed (at ends_at) | ended (early)."""

    __tablename__ = "mentoring_requests"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    mentor_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("mentors.id"))
    mentor_user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    mentee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    agency_code: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    end_reason: Mapped[str | None] = mapped_column(Text)
    # The message waits for moderation before the mentor sees the request
    # (issue 13): pending, held, refused; None once clean (or approved).
    message_moderation: Mapped[str | None] = mapped_column(String(20))
