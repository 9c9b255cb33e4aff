"""posts: post_topics carries each post's search vector, so a search within a
topic walks the topic's rows newest first and reads nothing else until the
page (issue 17: through posts' primary key, a search within a topic cost 20
to 40 ms at 1,000,000 posts; 2 to 4 this way).

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SYNC_FUNCTION = """
CREATE OR REPLACE FUNCTION posts_sync_topics() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM post_topics WHERE post_id = NEW.id;
  IF NEW.status = 'published' THEN
    INSERT INTO post_topics (topic, post_id, created_at, agency_code{search_column})
    SELECT DISTINCT t, NEW.id, NEW.created_at, NEW.agency_code{search_value}
    FROM jsonb_array_elements_text(NEW.topics) AS t;
  END IF;
  RETURN NULL;
END $$
"""


def upgrade():
    op.execute("ALTER TABLE post_topics ADD COLUMN search tsvector")
    op.execute(SYNC_FUNCTION.format(search_column=", search", search_value=", NEW.search"))
    # posts.search is generated from the title and the body: an edit of either
    # changes it (AFTER triggers see generated columns).
    op.execute("DROP TRIGGER posts_sync_topics_update ON posts")
    op.execute(
        "CREATE TRIGGER posts_sync_topics_update AFTER UPDATE OF status, topics, title, body ON posts FOR EACH ROW "
        "WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.topics IS DISTINCT FROM NEW.topics "
        "OR OLD.search IS DISTINCT FROM NEW.search) "
        "EXECUTE FUNCTION posts_sync_topics()"
    )
    op.execute("UPDATE post_topics pt SET search = p.search FROM posts p WHERE p.id = pt.post_id")


def downgrade():
    op.execute("DROP TRIGGER posts_sync_topics_update ON posts")
    op.execute(
        "CREATE TRIGGER posts_sync_topics_update AFTER UPDATE OF status, topics ON posts FOR EACH ROW "
        "WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.topics IS DISTINCT FROM NEW.topics) "
        "EXECUTE FUNCTION posts_sync_topics()"
    )
    op.execute(SYNC_FUNCTION.format(search_column="", search_value=""))
    op.execute("ALTER TABLE post_topics DROP COLUMN search")
