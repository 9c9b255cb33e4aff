"""notifications: members, comment_posts, notifications, preferences, emails, digest_runs, outbox, inbox

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
        sa.Column("email", sa.String(254)),
        sa.Column("display_name", sa.String(100)),
        sa.Column("role", sa.String(20)),
        sa.Column("agency_code", sa.String(40), index=True),
        sa.Column("erased_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "comment_posts",
        sa.Column("comment_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("post_id", UUID(as_uuid=True), nullable=False),
    )
    op.create_table(
        "notifications",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False, unique=True),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("link", sa.String(300)),
        sa.Column("in_app", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("source_event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("source_event_id", "user_id", name="uq_notifications_event_recipient"),
    )
    op.create_index("ix_notifications_user_seq", "notifications", ["user_id", sa.text("seq DESC")])
    op.create_index(
        "ix_notifications_user_unread", "notifications", ["user_id"],
        postgresql_where=sa.text("read_at IS NULL AND in_app"),
    )
    op.create_table(
        "preferences",
        sa.Column("user_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("channels", JSONB, nullable=False, server_default="{}"),
        sa.Column("digest", sa.String(10), nullable=False, server_default="weekly"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("digest IN ('off', 'daily', 'weekly')", name="ck_preferences_digest"),
    )
    op.create_table(
        "emails",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("notification_id", UUID(as_uuid=True)),
        sa.Column("message_id", sa.String(200), nullable=False, unique=True),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("text_body", sa.Text, nullable=False),
        sa.Column("html_body", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("kind IN ('notification', 'digest')", name="ck_emails_kind"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="ck_emails_status"),
    )
    op.create_index(
        "ix_emails_due", "emails", ["next_attempt_at"], postgresql_where=sa.text("status = 'pending'")
    )
    op.create_table(
        "digest_runs",
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notification_count", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("user_id", "period", name="pk_digest_runs"),
    )
    create_messaging_tables(op)


def downgrade():
    drop_messaging_tables(op)
    for table in ("digest_runs", "emails", "preferences", "notifications", "comment_posts", "members"):
        op.drop_table(table)
