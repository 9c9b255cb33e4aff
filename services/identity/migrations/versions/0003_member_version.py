"""identity: a version per member, incremented on every change and carried
by user_registered, profile_updated and user_erased (v2), so copies of
members elsewhere apply them in order

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("version", sa.BigInteger, nullable=False, server_default="1"))


def downgrade():
    op.drop_column("users", "version")
