"""events' tables."""
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, Sequence, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.members import MemberCopy

# Orders registrations: who registered (or joined the waitlist) first.
REGISTRATION_SEQ = Sequence("registration_seq")


class Base(DeclarativeBase):
    pass


class Member(MemberCopy, Base):
    """Local copy of what events shows of a member, kept from identity's events (shared/db/members.py)."""

    __tablename__ = "members"

    display_name: Mapped[str | None] = mapped_column(String(80))


class CalendarEvent(Base):
    """A job fair, workshop, information session or webinar."""

    __tablename__ = "calendar_events"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    location: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int] = mapped_column(Integer)
    agency_code: Mapped[str | None] = mapped_column(String(40))
    topics: Mapped[list] = mapped_column(JSONB, default=list)
    organizer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # None: organiser erased
    organizer_role: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The texts wait for moderation before the event is listed (issue 13):
    # pending, held, refused; None once clean (or approved).
    text_moderation: Mapped[str | None] = mapped_column(String(20))


class Registration(Base):
    """One member's seat or waitlist place at one event (one row per member and event)."""

    __tablename__ = "registrations"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("calendar_events.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    agency_code: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # confirmed, waitlisted, cancelled
    seq: Mapped[int] = mapped_column(BigInteger, REGISTRATION_SEQ, server_default=REGISTRATION_SEQ.next_value())
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    promoted_from_waitlist: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attended: Mapped[bool | None] = mapped_column(Boolean)
    attendance_recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
