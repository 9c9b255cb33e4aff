"""moderation: cases, outbox, inbox

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
        "cases",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("target_type", sa.String(20), nullable=False),
        sa.Column("target_id", UUID(as_uuid=True), nullable=False),
        sa.Column("author_id", UUID(as_uuid=True), nullable=False),
        sa.Column("agency_code", sa.String(40), index=True),
        sa.Column("reasons", JSONB, nullable=False, server_default="[]"),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("excerpt", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("source IN ('screening', 'reports', 'appeal')", name="ck_cases_source"),
        sa.CheckConstraint("status IN ('open', 'decided')", name="ck_cases_status"),
    )
    # One open case per target: screening, reports and appeals join the same case.
    op.create_index(
        "uq_cases_open_target", "cases", ["target_type", "target_id"], unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )
    create_messaging_tables(op)


def downgrade():
    drop_messaging_tables(op)
    op.drop_table("cases")
