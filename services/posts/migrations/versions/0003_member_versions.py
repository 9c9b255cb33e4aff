"""posts: an order-proof copy of members (a version per row, tombstones)

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
    upgrade_copy_table(op, "authors", ("topics",), has_erased_at=True)


def downgrade():
    downgrade_copy_table(op, "authors", has_erased_at=True)
