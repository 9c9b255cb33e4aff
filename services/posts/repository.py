"""posts' unit of work and data access."""
import json
from collections import namedtuple
from datetime import datetime
from functools import lru_cache

from psycopg.types.json import Jsonb
from sqlalchemy import literal, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert

from services.posts.views import VIEW_COLUMNS
from services.posts.models import SEARCH_CONFIG, Author, Comment, Mute, Post, PostTopic, Reaction, Topic
from shared.db.members import MemberCopyRepository
from shared.db.unit_of_work import SqlUnitOfWork

# A search ranks at most this many of the most recent matching posts, so a
# common word never makes PostgreSQL rank the whole table.
SEARCH_CANDIDATES = 1000

REACTION_COLUMNS = {"helpful": Post.reactions_helpful, "thanks": Post.reactions_thanks, "support": Post.reactions_support}


# Reads of posts as views (services/posts/views.py VIEW_COLUMNS): plain SQL
# run as is (exec_driver_sql: no statement to build, compile or look up in a
# cache per call), answering the whole page as one JSON array of rows, ids
# as text: one value to decode (json.loads, in C) where 24 typed columns per
# row cost more than the query itself (psycopg's and SQLAlchemy's handling
# of each column, each row and each value). A feed page cost three round
# trips and the compilation of a union per call: most of posts' CPU per
# page (issue 17).
_VIEW_EXPRESSIONS = {
    "id": "p.id::text", "author_id": "p.author_id::text", "author_name": "a.display_name",
    "author_erased": "a.erased_at IS NOT NULL", "accepted_comment_id": "p.accepted_comment_id::text",
    # the viewer's reaction types
    "mine": "(SELECT array_agg(r.type) FROM reactions r WHERE r.post_id = p.id AND r.user_id = %(viewer)s)",
}


def _views_json(order_by: str, pinned: str = "p.pinned") -> str:
    """The select list of a page of views: one JSON array of VIEW_COLUMNS rows, in `order_by`."""
    columns = ", ".join(_VIEW_EXPRESSIONS.get(name, pinned if name == "pinned" else f"p.{name}") for name in VIEW_COLUMNS)
    return f"coalesce(json_agg(json_build_array({columns}) ORDER BY {order_by}), '[]')::text"


# Posts by id, in the order of `ids`, with their author's copy (or nothing).
_VIEWS_SQL = (
    f"SELECT {_views_json('wanted.n')} FROM unnest(%(ids)s::uuid[]) WITH ORDINALITY AS wanted (id, n) "
    "JOIN posts p ON p.id = wanted.id LEFT JOIN authors a ON a.id = p.author_id"
)


@lru_cache(maxsize=256)
def list_sql(topic: bool, own: bool, kind: bool, author: bool, agency: bool, unanswered: bool, after: bool,
             limit: int) -> str:
    """A page of posts matching the filters present, newest first, read as
    views in one statement. Through post_topics (the topics of published
    posts, indexed by topic) for a topic, except on one's own posts, which
    may be unpublished."""
    where = []
    if topic and not own:
        source, key = "posts p JOIN post_topics pt ON pt.post_id = p.id", ("pt.created_at", "pt.post_id")
        where.append("pt.topic = %(topic)s")
    else:
        source, key = "posts p", ("p.created_at", "p.id")
        if topic:
            where.append("p.topics @> %(topics)s::jsonb")
        where.append("p.status <> 'removed'" if own else "p.status = 'published'")
    for present, condition in ((kind, "p.kind = %(kind)s"), (author, "p.author_id = %(author)s"),
                               (agency, "p.agency_code = %(agency)s"), (unanswered, "p.comment_count = 0"),
                               (after, f"({key[0]}, {key[1]}) < (%(after_created)s, %(after_id)s)")):
        if present:
            where.append(condition)
    page = (f"SELECT {key[1]} AS id, {key[0]} AS created_at FROM {source} WHERE {' AND '.join(where)}"
            f" ORDER BY {key[0]} DESC, {key[1]} DESC LIMIT {limit}")
    return (
        f"WITH page AS ({page}) SELECT {_views_json('page.created_at DESC, page.id DESC')}"
        " FROM page JOIN posts p ON p.id = page.id LEFT JOIN authors a ON a.id = p.author_id"
    )


# The text searched, as the GIN index on posts.search reads it. Written out
# wherever it is used rather than computed once in a CTE: PostgreSQL folds
# the call into a constant while planning, so it estimates how many posts
# match (walk the newest posts, or read the index) from the words themselves.
_QUERY = f"websearch_to_tsquery('{SEARCH_CONFIG}'::regconfig, %(text)s)"


@lru_cache(maxsize=256)
def search_sql(topic: bool, kind: bool, author: bool, agency: bool, unanswered: bool, after: bool, limit: int,
               candidates: int) -> str:
    """A page of search results in one statement: the `candidates` most
    recent published matches, ranked, the page after the cursor, read as
    views; with the ranks, for the next cursor. Without a topic, the matches
    come from posts (newest first, or the GIN index for rare words); within
    a topic, from post_topics, which carries the search vector (migration
    0005): its rows newest first, read from the topic index alone (it
    includes the agency and the vector, migration 0006), no post read but for
    the filters only posts know. Text of only stop words finds nothing
    (numnode 0)."""
    where = [f"numnode({_QUERY}) > 0"]
    if topic:
        joins = kind or author or unanswered
        source = "post_topics m" + (" JOIN posts p ON p.id = m.post_id" if joins else "")
        where += ["m.topic = %(topic)s", f"m.search @@ {_QUERY}"]  # published posts only, by the trigger
        if agency:
            where.append("m.agency_code = %(agency)s")
        columns, recent = "m.post_id AS id, m.created_at, m.search", "m.created_at"
    else:
        source = "posts p"
        where += ["p.status = 'published'", f"p.search @@ {_QUERY}"]
        if agency:
            where.append("p.agency_code = %(agency)s")
        columns, recent = "p.id, p.created_at, p.search", "p.created_at"
    for present, condition in ((kind, "p.kind = %(kind)s"), (author, "p.author_id = %(author)s"),
                               (unanswered, "p.comment_count = 0")):
        if present:
            where.append(condition)
    pool = f"SELECT {columns} FROM {source} WHERE {' AND '.join(where)} ORDER BY {recent} DESC LIMIT {candidates}"
    # ts_rank: the title's weight over the body's, and two words' proximity;
    # ts_rank_cd's cover density cost 15 % of a search's time in PostgreSQL.
    ranked = f"SELECT pool.id, pool.created_at, ts_rank(pool.search, {_QUERY}, 1)::float8 AS rank FROM pool"
    page = ("SELECT ranked.id, ranked.created_at, ranked.rank FROM ranked"
            + (" WHERE (ranked.rank, ranked.created_at, ranked.id) < (%(after_rank)s::float8, %(after_created)s, %(after_id)s)"
               if after else "")
            + f" ORDER BY ranked.rank DESC, ranked.created_at DESC, ranked.id DESC LIMIT {limit}")
    order = "page.rank DESC, page.created_at DESC, page.id DESC"
    return (
        f"WITH pool AS ({pool}), ranked AS ({ranked}), page AS ({page}) "
        f"SELECT {_views_json(order)}, coalesce(array_agg(page.rank ORDER BY {order}), '{{}}')"
        " FROM page JOIN posts p ON p.id = page.id LEFT JOIN authors a ON a.id = p.author_id"
    )


@lru_cache(maxsize=64)
def feed_sql(agency: bool, cursor: str | None, limit: int) -> str:
    """A feed page in one statement: the reader's topics from their copy,
    their agency's published posts (pinned first) and each topic's newest
    posts from elsewhere, each branch an ordered index scan bounded by the
    page size (ix_posts_agency_feed, ix_post_topics_page, ix_posts_published),
    merged, then read as views. A reader with neither an agency nor topics
    sees every published post. `cursor`: None, "pinned" (the last item was
    pinned: the unpinned branches start from the top) or "unpinned". The
    limit is written in the text, not bound: a plan PostgreSQL keeps for a
    prepared statement would otherwise guess it."""
    after = "(%(after_created)s, %(after_id)s)"
    topical = (
        "SELECT pt.post_id AS id, false AS pinned, pt.created_at FROM reader_topics w CROSS JOIN LATERAL "
        "(SELECT pt.post_id, pt.created_at FROM post_topics pt WHERE pt.topic = w.topic"
        + (" AND pt.agency_code IS DISTINCT FROM %(agency)s" if agency else "")
        + (f" AND (pt.created_at, pt.post_id) < {after}" if cursor == "unpinned" else "")
        + f" ORDER BY pt.created_at DESC, pt.post_id DESC LIMIT {limit}) pt"
    )
    if agency:
        other = (
            "SELECT p.id, p.pinned, p.created_at FROM posts p WHERE p.status = 'published' AND p.agency_code = %(agency)s"
            + (" AND (p.pinned, p.created_at, p.id) < (%(after_pinned)s, %(after_created)s, %(after_id)s)" if cursor else "")
            + f" ORDER BY p.pinned DESC, p.created_at DESC, p.id DESC LIMIT {limit}"
        )
    else:
        other = (
            "SELECT p.id, false AS pinned, p.created_at FROM posts p WHERE p.status = 'published'"
            " AND NOT EXISTS (SELECT FROM reader_topics)"
            + (f" AND (p.created_at, p.id) < {after}" if cursor == "unpinned" else "")
            + f" ORDER BY p.created_at DESC, p.id DESC LIMIT {limit}"
        )
    return (
        # an erased member's copy holds JSON null for topics: no topics
        "WITH reader_topics AS (SELECT t.topic FROM authors m CROSS JOIN"
        " jsonb_array_elements_text(CASE jsonb_typeof(m.topics) WHEN 'array' THEN m.topics END) AS t (topic)"
        " WHERE m.id = %(viewer)s), "
        f"page AS (SELECT merged.id, merged.pinned, merged.created_at FROM (({other}) UNION ({topical})) merged"
        f" ORDER BY merged.pinned DESC, merged.created_at DESC, merged.id DESC LIMIT {limit}) "
        f"SELECT {_views_json('page.pinned DESC, page.created_at DESC, page.id DESC', 'page.pinned')}"
        " FROM page JOIN posts p ON p.id = page.id LEFT JOIN authors a ON a.id = p.author_id"
    )


# Writes of a post and the screening that publishes it: plain SQL run as is
# on the session's connection, with no ORM object to track and flush (the
# ORM's unit of work was a third of posts' CPU per post written, issue 17).
# post_topics follows by a trigger (migration 0002).
_NEW_POST_COLUMNS = (
    "id", "kind", "title", "body", "topics", "video_url", "details", "author_id", "agency_code", "status",
    "created_at", "updated_at", "comment_count", "reactions_helpful", "reactions_thanks", "reactions_support",
    "validated_by_advisor", "pinned", "revision", "screenings_received", "screening_reasons",
)
_JSON_COLUMNS = frozenset({"topics", "details", "screening_reasons"})
_INSERT_POST_SQL = (
    f"INSERT INTO posts ({', '.join(_NEW_POST_COLUMNS)}) "
    f"VALUES ({', '.join(f'%({name})s' for name in _NEW_POST_COLUMNS)})"
)
# The screening that settles a pending post whose other revisions left
# nothing to merge (no decision, no reasons kept): its decision is the
# post's, so the new status and reason are known before the statement. Any
# other case matches nothing here (lifecycle.apply_screening then locks and
# reads the post). `screenings_received + 1 >= revision`: domain.screening_settled.
_SETTLE_SCREENING_SQL = (
    "UPDATE posts SET status = %(status)s, updated_at = %(now)s, moderation_reason = %(reason)s, "
    "published_at = CASE WHEN %(published)s THEN coalesce(published_at, %(now)s) ELSE published_at END, "
    "screenings_received = screenings_received + 1 "
    "WHERE id = %(id)s AND status = 'pending' AND screenings_received + 1 >= revision "
    "AND screening_decision IS NULL AND screening_reasons = '[]'::jsonb "
    "RETURNING author_id, agency_code, kind, topics"
)
# A pending comment screened, its post's count of published comments kept
# (a comment has no edits: pending only ever moves on), answering what its
# event needs of it and of its post. Data-modifying CTEs all run; the
# SELECT reads the post as it was, its count aside.
_SCREEN_COMMENT_SQL = (
    "WITH screened AS (UPDATE comments SET status = %(status)s, updated_at = %(now)s, "
    "moderation_reason = %(reason)s, "
    "published_at = CASE WHEN %(published)s THEN coalesce(published_at, %(now)s) ELSE published_at END "
    "WHERE id = %(id)s AND status = 'pending' RETURNING post_id, author_id, author_role, created_at), "
    "counted AS (UPDATE posts SET comment_count = posts.comment_count + 1 FROM screened "
    "WHERE %(published)s AND posts.id = screened.post_id RETURNING posts.id) "
    "SELECT s.post_id, s.author_id, s.author_role, s.created_at, p.agency_code, p.title, p.author_id, p.kind "
    "FROM screened s JOIN posts p ON p.id = s.post_id"
)
# The writer's copy and the expiries of their mutes in force, in one row
# (the copy's columns null when posts has none yet).
_WRITER_SQL = (
    "SELECT a.id IS NOT NULL, a.display_name, a.erased_at, "
    "(SELECT coalesce(array_agg(m.expires_at), '{}') FROM mutes m WHERE m.user_id = %(user)s AND m.imposed "
    "AND m.lifted_at IS NULL AND (m.expires_at IS NULL OR m.expires_at > %(now)s)) "
    "FROM (SELECT 1) one LEFT JOIN authors a ON a.id = %(user)s"
)
# What a post's view shows of its writer (views.view_row reads these two).
WriterCopy = namedtuple("WriterCopy", "display_name erased_at")


class PostsUnitOfWork(SqlUnitOfWork):
    def _start(self):
        self.posts = PostRepository(self.session)
        self.comments = CommentRepository(self.session)
        self.reactions = ReactionRepository(self.session)
        self.topics = TopicRepository(self.session)
        self.authors = MemberCopyRepository(self.session, Author)
        self.mutes = MuteRepository(self.session)


class PostRepository:
    def __init__(self, session):
        self.session = session

    def add(self, post: Post) -> None:
        """Insert a new post (a Post not attached to the session: later
        changes to it are not saved)."""
        params = {name: getattr(post, name) for name in _NEW_POST_COLUMNS}
        for name in _JSON_COLUMNS:
            if params[name] is not None:
                params[name] = Jsonb(params[name])
        self.session.connection().exec_driver_sql(_INSERT_POST_SQL, params)

    def settle_screening(self, post_id, status: str, reason: str | None, now: datetime) -> tuple | None:
        """Apply the screening that settles a pending post with nothing else
        to merge (see _SETTLE_SCREENING_SQL): (author_id, agency_code, kind,
        topics), or None when the post is not in that state."""
        params = {"id": post_id, "status": status, "published": status == "published", "reason": reason, "now": now}
        return self.session.connection().exec_driver_sql(_SETTLE_SCREENING_SQL, params).first()

    def get(self, post_id) -> Post | None:
        return self.session.get(Post, post_id)

    def get_for_update(self, post_id) -> Post | None:
        return self.session.get(Post, post_id, with_for_update=True, populate_existing=True)

    def views(self, ids: list, viewer_id) -> list[list]:
        """Rows of views.VIEW_COLUMNS for each of `ids` found, in their order,
        with the viewer's reactions: one query."""
        if not ids:
            return []
        params = {"ids": list(ids), "viewer": viewer_id}
        return json.loads(self.session.connection().exec_driver_sql(_VIEWS_SQL, params).scalar())

    def rekey_author(self, author_id, new_id) -> int:
        return self.session.execute(update(Post).where(Post.author_id == author_id).values(author_id=new_id)).rowcount

    def by_author(self, author_id) -> list[Post]:
        return list(self.session.scalars(select(Post).where(Post.author_id == author_id).order_by(Post.created_at)))

    # Counters: one atomic UPDATE each, so concurrent writers never lose a count.
    def add_to_comment_count(self, post_id, delta: int) -> None:
        self._bump(post_id, comment_count=Post.comment_count + delta)

    def add_to_reactions(self, post_id, reaction_type: str, delta: int) -> None:
        column = REACTION_COLUMNS[reaction_type]
        self._bump(post_id, **{column.key: column + delta})

    def _bump(self, post_id, **values) -> None:
        self.session.execute(
            update(Post).where(Post.id == post_id).values(**values).execution_options(synchronize_session=False)
        )
        loaded = self.session.identity_map.get(self.session.identity_key(Post, post_id))
        if loaded is not None:
            self.session.expire(loaded)

    # Reading: keyset pages, newest first.
    def page(self, *, viewer_id, topic=None, kind=None, author_id=None, agency=None, unanswered=False, after=None,
             limit=20) -> list[list]:
        """Rows of views.VIEW_COLUMNS, newest first, in one statement (see
        `list_sql`): published posts matching the filters; the viewer's own
        posts in every status but removed when they filter on themselves.
        `after`: the (created_at, id) of the last row seen."""
        own = author_id is not None and author_id == viewer_id
        params = {"viewer": viewer_id, "topic": topic, "kind": kind, "author": author_id, "agency": agency}
        if topic is not None and own:
            params["topics"] = json.dumps([topic])
        if after is not None:
            params.update(after_created=after[0], after_id=after[1])
        sql = list_sql(topic is not None, own, kind is not None, author_id is not None, agency is not None,
                       bool(unanswered), after is not None, int(limit))
        return json.loads(self.session.connection().exec_driver_sql(sql, params).scalar())

    def search(self, text: str, *, viewer_id, topic=None, kind=None, author_id=None, agency=None, unanswered=False,
               after=None, limit=20, candidates: int = SEARCH_CANDIDATES) -> list[tuple[float, list]]:
        """(rank, row of views.VIEW_COLUMNS) of the published posts matching
        `text` (French, stems and accents folded), best first, in one
        statement (see `search_sql`). `after`: the (rank, created_at, id) of
        the last row seen."""
        params = {"text": text, "viewer": viewer_id, "topic": topic, "kind": kind, "author": author_id,
                  "agency": agency}
        if after is not None:
            params.update(after_rank=after[0], after_created=after[1], after_id=after[2])
        sql = search_sql(topic is not None, kind is not None, author_id is not None, agency is not None,
                         bool(unanswered), after is not None, int(limit), int(candidates))
        # Never prepared (see shared.db.engine.allow_unprepared_statements):
        # each search is planned for its own words.
        rows, ranks = self.session.connection().exec_driver_sql(sql, params, {"prepare": False}).first()
        return list(zip(ranks, json.loads(rows)))

    def feed(self, viewer_id, *, agency: str | None, after: tuple | None = None, limit: int = 20) -> list[list]:
        """A feed page as rows of views.VIEW_COLUMNS (`pinned`: in this feed),
        in feed order, in one statement (see `_feed_sql`): published posts of
        `agency` (its pinned ones first) and of the viewer's topics from
        elsewhere. `after`: the (pinned, created_at, id) of the last row seen."""
        cursor = None if after is None else "pinned" if after[0] else "unpinned"
        params = {"viewer": viewer_id, "agency": agency}
        if after is not None:
            params.update(after_pinned=after[0], after_created=after[1], after_id=after[2])
        sql = feed_sql(agency is not None, cursor, int(limit))
        return json.loads(self.session.connection().exec_driver_sql(sql, params).scalar())


class CommentRepository:
    def __init__(self, session):
        self.session = session

    def add(self, comment: Comment) -> None:
        self.session.add(comment)
        self.session.flush()

    def get(self, comment_id) -> Comment | None:
        return self.session.get(Comment, comment_id)

    def get_for_update(self, comment_id) -> Comment | None:
        return self.session.get(Comment, comment_id, with_for_update=True, populate_existing=True)

    def screen(self, comment_id, status: str, reason: str | None, now: datetime) -> tuple | None:
        """Move a pending comment to `status` (published: counted on its
        post) in one statement (see _SCREEN_COMMENT_SQL): (post_id,
        author_id, author_role, created_at, and of its post agency_code,
        title, author_id, kind), or None when unknown or not pending."""
        params = {"id": comment_id, "status": status, "published": status == "published", "reason": reason, "now": now}
        return self.session.connection().exec_driver_sql(_SCREEN_COMMENT_SQL, params).first()

    def page(self, post_id, *, viewer_id, after=None, limit=20) -> list[Comment]:
        """Oldest first: published comments, and the viewer's own in every status."""
        stmt = select(Comment).where(
            Comment.post_id == post_id, or_(Comment.status == "published", Comment.author_id == viewer_id)
        )
        if after is not None:
            stmt = stmt.where(tuple_(Comment.created_at, Comment.id) > tuple_(literal(after[0]), literal(after[1])))
        return list(self.session.scalars(stmt.order_by(Comment.created_at, Comment.id).limit(limit)))

    def rekey_author(self, author_id, new_id) -> int:
        return self.session.execute(
            update(Comment).where(Comment.author_id == author_id).values(author_id=new_id)).rowcount

    def by_author(self, author_id) -> list[Comment]:
        return list(self.session.scalars(select(Comment).where(Comment.author_id == author_id).order_by(Comment.created_at)))


class ReactionRepository:
    def __init__(self, session):
        self.session = session

    def add(self, post_id, user_id, reaction_type: str, now: datetime) -> bool:
        """True when the reaction is new (a second one of the same type is a no-op)."""
        inserted = self.session.execute(
            insert(Reaction)
            .values(post_id=post_id, user_id=user_id, type=reaction_type, created_at=now)
            .on_conflict_do_nothing()
            .returning(Reaction.type)
        ).first()
        return inserted is not None

    def remove(self, post_id, user_id, reaction_type: str) -> bool:
        deleted = self.session.execute(
            Reaction.__table__.delete()
            .where(Reaction.post_id == post_id, Reaction.user_id == user_id, Reaction.type == reaction_type)
            .returning(Reaction.type)
        ).first()
        return deleted is not None

    def of_user(self, user_id, post_ids: list) -> dict:
        """{post_id: [types]} of the user's reactions on these posts."""
        if not post_ids:
            return {}
        found: dict = {}
        rows = self.session.execute(
            select(Reaction.post_id, Reaction.type).where(Reaction.user_id == user_id, Reaction.post_id.in_(post_ids))
        )
        for post_id, reaction_type in rows:
            found.setdefault(post_id, []).append(reaction_type)
        return found

    def by_user(self, user_id) -> list[Reaction]:
        return list(self.session.scalars(select(Reaction).where(Reaction.user_id == user_id).order_by(Reaction.created_at)))

    def forget_user(self, user_id) -> int:
        """Erasure: the link to the member goes; the counts on posts stay."""
        return self.session.execute(Reaction.__table__.delete().where(Reaction.user_id == user_id)).rowcount


class TopicRepository:
    def __init__(self, session):
        self.session = session

    def all(self) -> list[Topic]:
        return list(self.session.scalars(select(Topic).order_by(Topic.kind, Topic.label)))

    def get(self, slug: str) -> Topic | None:
        return self.session.get(Topic, slug)

    def existing(self, slugs: list[str]) -> set[str]:
        if not slugs:
            return set()
        return set(self.session.scalars(select(Topic.slug).where(Topic.slug.in_(slugs))))

    def add_missing(self, topics: list[dict]) -> int:
        if not topics:
            return 0
        result = self.session.execute(insert(Topic).values(topics).on_conflict_do_nothing().returning(Topic.slug))
        return len(result.all())


class MuteRepository:
    def __init__(self, session):
        self.session = session

    def imposed(self, sanction_id: str, user_id, expires_at: datetime | None) -> None:
        stmt = insert(Mute).values(sanction_id=sanction_id, user_id=user_id, expires_at=expires_at, imposed=True)
        self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[Mute.sanction_id], set_={"expires_at": stmt.excluded.expires_at, "imposed": True}
            )
        )

    def lifted(self, sanction_id: str, user_id, lifted_at: datetime) -> None:
        """A lift may arrive before its mute (different queues): it is kept and wins."""
        stmt = insert(Mute).values(sanction_id=sanction_id, user_id=user_id, lifted_at=lifted_at)
        self.session.execute(
            stmt.on_conflict_do_update(index_elements=[Mute.sanction_id], set_={"lifted_at": stmt.excluded.lifted_at})
        )

    def active(self, user_id, now: datetime) -> list[Mute]:
        """Mutes in force now: imposed, not lifted, not expired."""
        return list(
            self.session.scalars(
                select(Mute).where(
                    Mute.user_id == user_id, Mute.imposed.is_(True), Mute.lifted_at.is_(None),
                    or_(Mute.expires_at.is_(None), Mute.expires_at > now),
                )
            )
        )

    def of_user(self, user_id) -> list[Mute]:
        return list(self.session.scalars(select(Mute).where(Mute.user_id == user_id)))

    def writer(self, user_id, now: datetime) -> tuple[WriterCopy | None, list[datetime | None]]:
        """What a post's view shows of a writer (None when posts has no copy
        of them yet) and the expiries of their mutes in force (None: until
        lifted), in one round trip: each one a write waits for costs most on
        a busy machine (issue 17)."""
        known, name, erased_at, active = self.session.connection().exec_driver_sql(
            _WRITER_SQL, {"user": user_id, "now": now}).one()
        return (WriterCopy(name, erased_at) if known else None), list(active)

    def forget_user(self, user_id) -> None:
        self.session.execute(Mute.__table__.delete().where(Mute.user_id == user_id))
