"""analytics: post facts, outbox, inbox

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from shared.db.tables import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "post_facts",
        sa.Column("post_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("agency_code", sa.String(40), index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    create_messaging_tables(op)


def downgrade():
    drop_messaging_tables(op)
    op.drop_table("post_facts")
