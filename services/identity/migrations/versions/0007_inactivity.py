"""identity: when each member was last active (signed in or refreshed a
login), and when they were warned that their inactive account will be erased

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("last_active_at", sa.DateTime(timezone=True)))
    op.add_column("users", sa.Column("inactivity_warned_at", sa.DateTime(timezone=True)))
    op.execute(
        """
        UPDATE users u SET last_active_at = greatest(
            u.created_at, (SELECT max(s.last_used_at) FROM login_sessions s WHERE s.user_id = u.id))
        """
    )
    op.alter_column("users", "last_active_at", nullable=False, server_default=sa.func.now())
    # The retention sweep's two questions: who is inactive, who was warned.
    op.create_index("ix_users_last_active", "users", ["last_active_at"], postgresql_where=sa.text("status <> 'erased'"))
    op.create_index("ix_users_warned", "users", ["inactivity_warned_at"],
                    postgresql_where=sa.text("inactivity_warned_at IS NOT NULL AND status <> 'erased'"))


def downgrade():
    op.drop_index("ix_users_warned", "users")
    op.drop_index("ix_users_last_active", "users")
    op.drop_column("users", "inactivity_warned_at")
    op.drop_column("users", "last_active_at")
