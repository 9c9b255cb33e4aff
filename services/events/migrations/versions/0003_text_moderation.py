"""events: an event's texts are screened before members see it

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
    # Existing events were published before screening: NULL, listed as before.
    op.add_column("calendar_events", sa.Column("text_moderation", sa.String(20)))


def downgrade():
    op.drop_column("calendar_events", "text_moderation")
