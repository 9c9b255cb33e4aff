"""mentoring: a request's message is screened before its mentor sees the request

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # Existing requests were sent before screening: NULL, seen by their mentors as before.
    op.add_column("mentoring_requests", sa.Column("message_moderation", sa.String(20)))


def downgrade():
    op.drop_column("mentoring_requests", "message_moderation")
