"""events: an event's texts are screened before members see it

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
    # Existing events were published before screening: NULL, listed as before.
    op.add_column("calendar_events", sa.Column("text_moderation", sa.String(20)))


def downgrade():
    op.drop_column("calendar_events", "text_moderation")
