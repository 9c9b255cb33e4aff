"""moderation: cases about the other texts members see (profiles, mentoring
requests, events), each about one version of its text

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


POSTS_AND_COMMENTS = "target_type IN ('post', 'comment')"
WITH_TEXTS = "target_type IN ('post', 'comment', 'profile', 'mentoring_request', 'calendar_event')"
# Reports stay about posts and comments (ck_reports_target_type is unchanged).
CONSTRAINTS = (("ck_cases_target_type", "cases"), ("ck_targets_type", "targets"))


def upgrade():
    op.add_column("cases", sa.Column("text_version", sa.BigInteger()))
    op.add_column("targets", sa.Column("text_version", sa.BigInteger()))
    for name, table in CONSTRAINTS:
        op.drop_constraint(name, table, type_="check")
        op.create_check_constraint(name, table, WITH_TEXTS)


def downgrade():
    op.execute("DELETE FROM cases WHERE target_type NOT IN ('post', 'comment')")
    op.execute("DELETE FROM targets WHERE target_type NOT IN ('post', 'comment')")
    for name, table in CONSTRAINTS:
        op.drop_constraint(name, table, type_="check")
        op.create_check_constraint(name, table, POSTS_AND_COMMENTS)
    op.drop_column("targets", "text_version")
    op.drop_column("cases", "text_version")
