"""posts: comments, reactions, mutes, counters, pins, accepted answers,
French full-text search, the topics index of the feed

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('public.french_unaccent'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('public.french_unaccent'::regconfig, coalesce(body, '')), 'B')"
)

PUBLISHED = sa.text("status = 'published'")


def upgrade():
    # French stemming over unaccented words: `metiers` and `métier` meet.
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")
    op.execute(
        """
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'french_unaccent') THEN
            CREATE TEXT SEARCH CONFIGURATION public.french_unaccent (COPY = pg_catalog.french);
            ALTER TEXT SEARCH CONFIGURATION public.french_unaccent
              ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, pg_catalog.french_stem;
          END IF;
        END $$
        """
    )

    op.alter_column("authors", "display_name", nullable=True)
    op.alter_column("authors", "role", nullable=True)
    op.add_column("authors", sa.Column("topics", JSONB, nullable=False, server_default="[]"))
    op.add_column("authors", sa.Column("erased_at", sa.DateTime(timezone=True)))

    for name in ("comment_count", "reactions_helpful", "reactions_thanks", "reactions_support"):
        op.add_column("posts", sa.Column(name, sa.Integer, nullable=False, server_default="0"))
    op.add_column("posts", sa.Column("accepted_comment_id", UUID(as_uuid=True)))
    op.add_column("posts", sa.Column("validated_by_advisor", sa.Boolean, nullable=False, server_default="false"))
    op.add_column("posts", sa.Column("pinned", sa.Boolean, nullable=False, server_default="false"))
    op.add_column("posts", sa.Column("pinned_at", sa.DateTime(timezone=True)))
    op.add_column("posts", sa.Column("revision", sa.Integer, nullable=False, server_default="1"))
    op.add_column("posts", sa.Column("screenings_received", sa.Integer, nullable=False, server_default="0"))
    op.add_column("posts", sa.Column("screening_decision", sa.String(20)))
    op.add_column("posts", sa.Column("screening_reasons", JSONB, nullable=False, server_default="[]"))
    op.execute(f"ALTER TABLE posts ADD COLUMN search tsvector GENERATED ALWAYS AS ({SEARCH_VECTOR_SQL}) STORED")
    # Posts already screened before this revision count as settled.
    op.execute("UPDATE posts SET screenings_received = 1 WHERE status <> 'pending'")

    op.create_index("ix_posts_search", "posts", ["search"], postgresql_using="gin")
    # Keyset pages over published posts: newest first, with the usual filters.
    op.execute("CREATE INDEX ix_posts_published ON posts (created_at DESC, id DESC) WHERE status = 'published'")
    op.execute(
        "CREATE INDEX ix_posts_agency_feed ON posts (agency_code, pinned DESC, created_at DESC, id DESC) "
        "WHERE status = 'published'"
    )
    op.execute(
        "CREATE INDEX ix_posts_agency_published ON posts (agency_code, created_at DESC, id DESC) "
        "WHERE status = 'published'"
    )
    op.execute("CREATE INDEX ix_posts_kind_published ON posts (kind, created_at DESC, id DESC) WHERE status = 'published'")
    op.execute("CREATE INDEX ix_posts_author_created ON posts (author_id, created_at DESC, id DESC)")

    op.create_table(
        "post_topics",
        sa.Column("topic", sa.String(80), primary_key=True),
        sa.Column("post_id", UUID(as_uuid=True), sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_code", sa.String(40)),
    )
    op.execute("CREATE INDEX ix_post_topics_page ON post_topics (topic, created_at DESC, post_id DESC)")
    op.execute("CREATE INDEX ix_post_topics_post ON post_topics (post_id)")
    # The feed and the topic filter read post_topics; the trigger keeps it
    # equal to the topics of published posts, whatever code changes a post.
    op.execute(
        """
        CREATE FUNCTION posts_sync_topics() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          DELETE FROM post_topics WHERE post_id = NEW.id;
          IF NEW.status = 'published' THEN
            INSERT INTO post_topics (topic, post_id, created_at, agency_code)
            SELECT DISTINCT t, NEW.id, NEW.created_at, NEW.agency_code
            FROM jsonb_array_elements_text(NEW.topics) AS t;
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER posts_sync_topics_insert AFTER INSERT ON posts "
        "FOR EACH ROW EXECUTE FUNCTION posts_sync_topics()"
    )
    op.execute(
        "CREATE TRIGGER posts_sync_topics_update AFTER UPDATE OF status, topics ON posts FOR EACH ROW "
        "WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.topics IS DISTINCT FROM NEW.topics) "
        "EXECUTE FUNCTION posts_sync_topics()"
    )
    op.execute(
        "INSERT INTO post_topics (topic, post_id, created_at, agency_code) "
        "SELECT DISTINCT t, p.id, p.created_at, p.agency_code FROM posts p, jsonb_array_elements_text(p.topics) t "
        "WHERE p.status = 'published'"
    )

    op.create_table(
        "comments",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("post_id", UUID(as_uuid=True), sa.ForeignKey("posts.id"), nullable=False),
        sa.Column("author_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("author_role", sa.String(20), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("moderation_reason", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "status IN ('pending', 'published', 'held', 'rejected', 'hidden', 'removed')", name="ck_comments_status"
        ),
    )
    op.execute("CREATE INDEX ix_comments_post_page ON comments (post_id, created_at, id)")

    op.create_table(
        "reactions",
        sa.Column("post_id", UUID(as_uuid=True), sa.ForeignKey("posts.id"), primary_key=True),
        sa.Column("user_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("type", sa.String(20), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("type IN ('helpful', 'thanks', 'support')", name="ck_reactions_type"),
    )
    op.create_index("ix_reactions_user", "reactions", ["user_id"])

    op.create_table(
        "mutes",
        sa.Column("sanction_id", sa.String(64), primary_key=True),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("imposed", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("lifted_at", sa.DateTime(timezone=True)),
    )


def downgrade():
    for table in ("mutes", "reactions", "comments"):
        op.drop_table(table)
    op.execute("DROP TRIGGER IF EXISTS posts_sync_topics_update ON posts")
    op.execute("DROP TRIGGER IF EXISTS posts_sync_topics_insert ON posts")
    op.execute("DROP FUNCTION IF EXISTS posts_sync_topics()")
    op.drop_table("post_topics")
    for index in ("ix_posts_author_created", "ix_posts_kind_published", "ix_posts_agency_published",
                  "ix_posts_agency_feed", "ix_posts_published", "ix_posts_search"):
        op.drop_index(index, table_name="posts")
    for column in ("search", "screening_reasons", "screening_decision", "screenings_received", "revision",
                   "pinned_at", "pinned", "validated_by_advisor", "accepted_comment_id", "reactions_support",
                   "reactions_thanks", "reactions_helpful", "comment_count"):
        op.drop_column("posts", column)
    op.drop_column("authors", "erased_at")
    op.drop_column("authors", "topics")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS public.french_unaccent")
