"""mentoring: members, mentors, requests and mentorships, outbox, inbox

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
        "mentors",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("user_id", UUID(as_uuid=True), unique=True),
        sa.Column("topics", JSONB, nullable=False, server_default="[]"),
        sa.Column("bio", sa.Text, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="active"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity >= 1", name="ck_mentors_capacity"),
        sa.CheckConstraint("status IN ('active', 'withdrawn')", name="ck_mentors_status"),
    )
    op.create_table(
        "mentoring_requests",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("mentor_id", UUID(as_uuid=True), sa.ForeignKey("mentors.id"), nullable=False),
        sa.Column("mentor_user_id", UUID(as_uuid=True), index=True),
        sa.Column("mentee_id", UUID(as_uuid=True), index=True),
        sa.Column("agency_code", sa.String(40)),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("accepted_at", sa.DateTime(timezone=True)),
        sa.Column("ends_at", sa.DateTime(timezone=True)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("ended_by", UUID(as_uuid=True)),
        sa.Column("end_reason", sa.Text),
        sa.CheckConstraint(
            "status IN ('pending', 'declined', 'cancelled', 'active', 'completed', 'ended')",
            name="ck_mentoring_requests_status",
        ),
        sa.CheckConstraint("status <> 'active' OR ends_at IS NOT NULL", name="ck_mentoring_requests_active_ends"),
    )
    # One open request (pending or active) per mentee and mentor, even under concurrent requests.
    op.create_index(
        "uq_mentoring_requests_open_pair",
        "mentoring_requests",
        ["mentor_id", "mentee_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'active')"),
    )
    op.create_index("ix_mentoring_requests_mentor_status", "mentoring_requests", ["mentor_id", "status"])
    op.create_index(
        "ix_mentoring_requests_active_ends_at",
        "mentoring_requests",
        ["ends_at"],
        postgresql_where=sa.text("status = 'active'"),
    )
    create_messaging_tables(op)


def downgrade():
    drop_messaging_tables(op)
    op.drop_table("mentoring_requests")
    op.drop_table("mentors")
    op.drop_table("members")
