"""mentoring: an order-proof copy of members (a version per row, tombstones)

Revision ID: 0002
Revises: 0001
"""
from alembic import op

from shared.db.members import downgrade_copy_table, upgrade_copy_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    upgrade_copy_table(op, "members", ("display_name", "role"), has_erased_at=False)


def downgrade():
    downgrade_copy_table(op, "members", has_erased_at=False)
