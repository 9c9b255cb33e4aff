"""identity: a new display name or bio waits for moderation before others see it

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("pending_display_name", sa.String(80)))
    op.add_column("users", sa.Column("pending_bio", sa.Text()))
    op.add_column("users", sa.Column("profile_text_version", sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column("users", sa.Column("profile_moderation", sa.String(20)))


def downgrade():
    op.drop_column("users", "profile_moderation")
    op.drop_column("users", "profile_text_version")
    op.drop_column("users", "pending_bio")
    op.drop_column("users", "pending_display_name")
