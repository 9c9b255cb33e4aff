"""identity: invitations can be revoked, and are listed per agency, newest first

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("invitations", sa.Column("revoked_at", sa.DateTime(timezone=True)))
    op.create_index("ix_invitations_created", "invitations", ["created_at", "code"])
    op.create_index("ix_invitations_agency_created", "invitations", ["agency_code", "created_at", "code"])


def downgrade():
    op.drop_index("ix_invitations_agency_created", "invitations")
    op.drop_index("ix_invitations_created", "invitations")
    op.drop_column("invitations", "revoked_at")
