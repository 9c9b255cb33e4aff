"""posts: topics, authors, posts, outbox, inbox

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
        "topics",
        sa.Column("slug", sa.String(80), primary_key=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.CheckConstraint("kind IN ('sector', 'theme', 'rome')", name="ck_topics_kind"),
    )
    op.create_table(
        "authors",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("agency_code", sa.String(40)),
    )
    op.create_table(
        "posts",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("topics", JSONB, nullable=False, server_default="[]"),
        sa.Column("video_url", sa.String(500)),
        sa.Column("details", JSONB),
        sa.Column("author_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("agency_code", sa.String(40)),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("moderation_reason", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "kind IN ('question', 'discussion', 'testimony', 'job_info', 'video')", name="ck_posts_kind"
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'published', 'held', 'rejected', 'hidden', 'removed')", name="ck_posts_status"
        ),
    )
    create_messaging_tables(op)


def downgrade():
    drop_messaging_tables(op)
    for table in ("posts", "authors", "topics"):
        op.drop_table(table)
