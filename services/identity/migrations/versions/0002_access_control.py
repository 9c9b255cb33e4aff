"""identity: suspensions, erasure, failed logins

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("suspended_until", sa.DateTime(timezone=True)))
    op.add_column("users", sa.Column("erased_at", sa.DateTime(timezone=True)))
    op.create_check_constraint("ck_users_status", "users", "status IN ('active', 'suspended', 'erased')")
    # Failed logins, counted in the database so every gateway and identity
    # replica sees the same count. `key` is "email:<address>" or "client:<ip>".
    op.create_table(
        "login_failures",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_failures_key_time", "login_failures", ["key", "failed_at"])


def downgrade():
    op.drop_table("login_failures")
    op.drop_constraint("ck_users_status", "users")
    op.drop_column("users", "erased_at")
    op.drop_column("users", "suspended_until")
