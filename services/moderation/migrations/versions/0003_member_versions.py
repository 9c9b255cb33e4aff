"""moderation: an order-proof copy of members (a version per row, tombstones)

Revision ID: 0003
Revises: 0002
"""
from alembic import op

from shared.db.members import downgrade_copy_table, upgrade_copy_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column("members", "user_id", new_column_name="id")
    upgrade_copy_table(op, "members", ("role",), has_erased_at=False)


def downgrade():
    downgrade_copy_table(op, "members", has_erased_at=False)
    op.alter_column("members", "id", new_column_name="user_id")
