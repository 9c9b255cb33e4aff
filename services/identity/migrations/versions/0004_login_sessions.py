"""identity: login sessions (listed and ended by their member, at most
LOGIN_MAX_DAYS long), kept from the refresh-token families

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_sessions",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("user_id", UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(300)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_login_sessions_user_created", "login_sessions", ["user_id", "created_at"])
    # Logins started before this version: one session per refresh-token family,
    # ending 30 days after its first token (the default LOGIN_MAX_DAYS).
    op.execute(
        """
        INSERT INTO login_sessions (id, user_id, created_at, last_used_at, expires_at, revoked_at)
        SELECT family_id, min(user_id::text)::uuid, min(created_at), max(created_at),
               min(created_at) + interval '30 days',
               CASE WHEN bool_and(revoked_at IS NOT NULL) THEN max(revoked_at) END
        FROM refresh_tokens GROUP BY family_id
        """
    )


def downgrade():
    op.drop_table("login_sessions")
