"""posts: the topic index carries what a search within a topic reads (the
agency and the search vector), so PostgreSQL walks a topic's rows in the
index alone (an index-only scan) instead of one heap page per row: a topic's
rows are spread through the table, one in about 40, as posts are published
(issue 17: at 1,000,000 posts, a one-word search within a topic 7.0 -> 3.5 ms,
two words 10.5 -> 5.5 ms, with the newest 10,000 rows not yet vacuumed). The
index grows from 122 to 811 MB at 1,000,000 posts.

An index-only scan reads the heap for pages the visibility map does not mark
all-visible: post_topics is vacuumed after every 10,000 rows inserted (not
after a fifth of the table, PostgreSQL's default), and after 2 % of its rows
are dead (rows are deleted and inserted again when a post is hidden, removed
or edited).

The feed reads the same index (topic, created_at, post_id), a few rows per
topic; the index it replaces held only those columns. The index is built in
the migration's transaction: publishing waits for it (about 5 s at 1,000,000
posts on 2 cores).

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

VACUUM_OFTEN = (
    "autovacuum_vacuum_insert_threshold = 10000, autovacuum_vacuum_insert_scale_factor = 0, "
    "autovacuum_vacuum_scale_factor = 0.02"
)


def upgrade():
    op.execute(
        "CREATE INDEX ix_post_topics_walk ON post_topics (topic, created_at DESC, post_id DESC) "
        "INCLUDE (agency_code, search)"
    )
    op.execute("DROP INDEX ix_post_topics_page")
    op.execute("ALTER INDEX ix_post_topics_walk RENAME TO ix_post_topics_page")
    op.execute(f"ALTER TABLE post_topics SET ({VACUUM_OFTEN})")


def downgrade():
    op.execute(
        "ALTER TABLE post_topics RESET (autovacuum_vacuum_insert_threshold, autovacuum_vacuum_insert_scale_factor, "
        "autovacuum_vacuum_scale_factor)"
    )
    op.execute("CREATE INDEX ix_post_topics_narrow ON post_topics (topic, created_at DESC, post_id DESC)")
    op.execute("DROP INDEX ix_post_topics_page")
    op.execute("ALTER INDEX ix_post_topics_narrow RENAME TO ix_post_topics_page")
