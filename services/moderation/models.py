"""moderation's tables."""
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.members import MemberCopy

# Stands for an erased member wherever an id must remain (GDPR erasure).
ERASED_USER = uuid.UUID(int=0)


class Base(DeclarativeBase):
    pass


class Case(Base):
    """One case per target waiting for, or decided by, a person.

    status: `open` (in a queue), `decided`, or `closed` (no longer needed:
    the content was edited clean or removed before anyone decided)."""

    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    author_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    agency_code: Mapped[str | None] = mapped_column(String(40), index=True)
    reasons: Mapped[list] = mapped_column(JSONB, default=list)
    source: Mapped[str] = mapped_column(String(20))  # screening, reports or appeal
    status: Mapped[str] = mapped_column(String(20), default="open")
    excerpt: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # entered the queue (again)
    action: Mapped[str | None] = mapped_column(String(20))  # approve, reject, hide
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # None: automatic screening
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # For a text target (profile, ...): the submission the case is about; a
    # decision tells its owner which version it decided.
    text_version: Mapped[int | None] = mapped_column(BigInteger)


class Target(Base):
    """What moderation knows of a post or comment, kept from posts' events:
    enough to check a report, to scope it to an agency, and to spot
    unanswered questions."""

    __tablename__ = "targets"

    target_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    target_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    post_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    author_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    agency_code: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unanswered_flagged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # For a text target: the latest submission screened (an older one arriving late is ignored).
    text_version: Mapped[int | None] = mapped_column(BigInteger)


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    reporter_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # None: reporter erased
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    agency_code: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    case_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(20))


class Member(MemberCopy, Base):
    """Each member's role and agency, kept from identity's events (who may
    sanction whom; shared/db/members.py)."""

    __tablename__ = "members"


class Sanction(Base):
    __tablename__ = "sanctions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    agency_code: Mapped[str | None] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(20))  # warn, mute, suspend
    reason: Mapped[str] = mapped_column(Text)
    imposed_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    imposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Appeal(Base):
    __tablename__ = "appeals"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    appellant_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # None: erased
    text: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Append-only: the database refuses UPDATE, DELETE and TRUNCATE (migration 0002)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # None: the platform itself
    actor_role: Mapped[str] = mapped_column(String(20))  # advisor, admin, job_seeker, company, system
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))  # post, comment or user
    target_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    agency_code: Mapped[str | None] = mapped_column(String(40))
    case_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    sanction_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSONB, default=dict)


class Activity(Base):
    """Recent writing of each author, for the spam rules (pruned past the longest window)."""

    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    author_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created: Mapped[bool] = mapped_column(Boolean)  # a new post or comment (not an edit)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
