"""events: members, calendar events, registrations, outbox, inbox

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db.tables import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "members",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("agency_code", sa.String(40)),
    )
    op.create_table(
        "calendar_events",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(300)),
        sa.Column("online_url", sa.String(500)),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("agency_code", sa.String(40)),
        sa.Column("topics", JSONB, nullable=False, server_default="[]"),
        sa.Column("organizer_id", UUID(as_uuid=True), index=True),
        sa.Column("organizer_role", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="scheduled"),
        sa.Column("cancel_reason", sa.Text),
        sa.Column("cancelled_by", UUID(as_uuid=True)),
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('job_fair', 'workshop', 'info_session', 'webinar')", name="ck_events_kind"),
        sa.CheckConstraint("status IN ('scheduled', 'cancelled')", name="ck_events_status"),
        sa.CheckConstraint("capacity >= 1", name="ck_events_capacity"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_events_ends_after_start"),
        sa.CheckConstraint("location IS NOT NULL OR online_url IS NOT NULL", name="ck_events_place"),
    )
    op.create_index("ix_calendar_events_starts_at", "calendar_events", ["starts_at", "id"])
    op.execute("CREATE SEQUENCE registration_seq")
    op.create_table(
        "registrations",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), sa.ForeignKey("calendar_events.id"), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("agency_code", sa.String(40)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False, server_default=sa.text("nextval('registration_seq')")),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("promoted_from_waitlist", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
        sa.Column("attended", sa.Boolean),
        sa.Column("attendance_recorded_at", sa.DateTime(timezone=True)),
        sa.Column("reminder_sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("event_id", "user_id", name="uq_registrations_event_user"),
        sa.CheckConstraint("status IN ('confirmed', 'waitlisted', 'cancelled')", name="ck_registrations_status"),
    )
    op.create_index("ix_registrations_event_status_seq", "registrations", ["event_id", "status", "seq"])
    # The reminder scan only reads confirmed registrations not reminded yet.
    op.create_index(
        "ix_registrations_reminder_pending",
        "registrations",
        ["event_id"],
        postgresql_where=sa.text("status = 'confirmed' AND reminder_sent_at IS NULL"),
    )
    create_messaging_tables(op)


def downgrade():
    drop_messaging_tables(op)
    op.drop_table("registrations")
    op.execute("DROP SEQUENCE registration_seq")
    op.drop_table("calendar_events")
    op.drop_table("members")
