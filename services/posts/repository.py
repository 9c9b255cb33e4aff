"""posts' unit of work and data access."""
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Float, String, and_, bindparam, cast, func, literal, literal_column, or_, select, true, tuple_, union, update
from sqlalchemy.dialects.postgresql import ARRAY, insert

from services.posts.models import SEARCH_CONFIG, Author, Comment, Mute, Post, PostTopic, Reaction, Topic
from shared.db.members import MemberCopyRepository
from shared.db.unit_of_work import SqlUnitOfWork

# A search ranks at most this many of the most recent matching posts, so a
# common word never makes PostgreSQL rank the whole table.
SEARCH_CANDIDATES = 1000

REACTION_COLUMNS = {"helpful": Post.reactions_helpful, "thanks": Post.reactions_thanks, "support": Post.reactions_support}


# Posts with their author's copy and one viewer's reaction types, built once
# (building the statement on every read cost more than running it), as plain
# rows: a read needs no ORM objects, whose identity map and state tracking
# were most of a feed page's time in the service.
_POSTS, _AUTHORS = Post.__table__, Author.__table__
_VIEWS = (
    select(
        *_POSTS.c,
        _AUTHORS.c.id.label("author_copy_id"),
        _AUTHORS.c.display_name.label("author_display_name"),
        _AUTHORS.c.erased_at.label("author_erased_at"),
        select(func.array_agg(Reaction.type))
        .where(Reaction.post_id == _POSTS.c.id, Reaction.user_id == bindparam("viewer", type_=Reaction.user_id.type))
        .scalar_subquery()
        .label("mine"),
    )
    .select_from(_POSTS.outerjoin(_AUTHORS, _AUTHORS.c.id == _POSTS.c.author_id))
    .where(_POSTS.c.id.in_(bindparam("ids", expanding=True)))
)


class AuthorCopy(NamedTuple):
    """What a view shows of an author (views.author_view reads these two)."""

    display_name: str | None
    erased_at: datetime | None


class PostsUnitOfWork(SqlUnitOfWork):
    def _start(self):
        self.posts = PostRepository(self.session)
        self.comments = CommentRepository(self.session)
        self.reactions = ReactionRepository(self.session)
        self.topics = TopicRepository(self.session)
        self.authors = MemberCopyRepository(self.session, Author)
        self.mutes = MuteRepository(self.session)


def _tsquery(text: str):
    return func.websearch_to_tsquery(literal_column(f"'{SEARCH_CONFIG}'::regconfig"), literal(text, String))


class PostRepository:
    def __init__(self, session):
        self.session = session

    def add(self, post: Post) -> None:
        self.session.add(post)
        self.session.flush()

    def get(self, post_id) -> Post | None:
        return self.session.get(Post, post_id)

    def get_for_update(self, post_id) -> Post | None:
        return self.session.get(Post, post_id, with_for_update=True, populate_existing=True)

    def views(self, ids: list, viewer_id) -> list[tuple]:
        """(post, its author's copy or None, the viewer's reaction types) for
        each of `ids` found, in their order: one query, where reading a post
        once took three (the post, its author, the viewer's reactions). The
        post is a row with a Post's column attributes, read-only."""
        if not ids:
            return []
        rows = self.session.connection().execute(_VIEWS, {"ids": list(ids), "viewer": viewer_id}).all()
        found = {
            row.id: (
                row,
                AuthorCopy(row.author_display_name, row.author_erased_at) if row.author_copy_id is not None else None,
                list(row.mine or []),
            )
            for row in rows
        }
        return [found[i] for i in ids if i in found]

    def by_ids(self, ids: list) -> list[Post]:
        if not ids:
            return []
        found = {p.id: p for p in self.session.scalars(select(Post).where(Post.id.in_(ids)))}
        return [found[i] for i in ids if i in found]

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
             limit=20) -> list[Post]:
        """Published posts matching the filters; the viewer's own posts in
        every status but removed when they filter on themselves."""
        own = author_id is not None and author_id == viewer_id
        if topic is not None and not own:
            stmt = select(Post).join(PostTopic, PostTopic.post_id == Post.id).where(PostTopic.topic == topic)
            key = (PostTopic.created_at, PostTopic.post_id)
        else:
            stmt = select(Post)
            key = (Post.created_at, Post.id)
            if topic is not None:
                stmt = stmt.where(Post.topics.contains([topic]))
            stmt = stmt.where(Post.status != "removed" if own else Post.status == "published")
        if kind is not None:
            stmt = stmt.where(Post.kind == kind)
        if author_id is not None:
            stmt = stmt.where(Post.author_id == author_id)
        if agency is not None:
            stmt = stmt.where(Post.agency_code == agency)
        if unanswered:
            stmt = stmt.where(Post.comment_count == 0)
        if after is not None:
            stmt = stmt.where(tuple_(*key) < tuple_(literal(after[0]), literal(after[1])))
        stmt = stmt.order_by(key[0].desc(), key[1].desc()).limit(limit)
        return list(self.session.scalars(stmt))

    def search(self, text: str, *, topic=None, kind=None, author_id=None, agency=None, unanswered=False, after=None, limit=20,
               candidates: int = SEARCH_CANDIDATES) -> list[tuple[Post, float]]:
        """Published posts matching `text` (French, stems and accents folded),
        best first: the `candidates` most recent matches (GIN index), ranked."""
        if not self.session.scalar(select(func.numnode(_tsquery(text)))):
            return []  # only stop words: nothing to look for
        query = _tsquery(text)
        pool = select(Post.id, Post.created_at, Post.search).where(Post.status == "published", Post.search.op("@@")(query))
        recent_first = Post.created_at.desc()
        if topic is not None:
            # Through post_topics (the topics of published posts, kept by a
            # trigger), newest first on its index: filtering the posts' jsonb
            # instead walked the matches of a common word across the whole
            # table, a second per search at 1,000,000 posts (issue 17).
            pool = pool.join(PostTopic, and_(PostTopic.post_id == Post.id, PostTopic.topic == topic))
            recent_first = PostTopic.created_at.desc()
        if kind is not None:
            pool = pool.where(Post.kind == kind)
        if author_id is not None:
            pool = pool.where(Post.author_id == author_id)
        if agency is not None:
            pool = pool.where(Post.agency_code == agency)
        if unanswered:
            pool = pool.where(Post.comment_count == 0)
        pool = pool.order_by(recent_first).limit(candidates).subquery("pool")
        ranked = select(
            pool.c.id, pool.c.created_at, cast(func.ts_rank_cd(pool.c.search, query, 1), Float).label("rank")
        ).subquery("ranked")
        stmt = select(ranked.c.id, ranked.c.rank)
        if after is not None:
            stmt = stmt.where(
                tuple_(ranked.c.rank, ranked.c.created_at, ranked.c.id)
                < tuple_(literal(after[0], Float), literal(after[1]), literal(after[2]))
            )
        stmt = stmt.order_by(ranked.c.rank.desc(), ranked.c.created_at.desc(), ranked.c.id.desc()).limit(limit)
        rows = self.session.execute(stmt).all()
        posts = self.by_ids([r.id for r in rows])
        ranks = {r.id: r.rank for r in rows}
        return [(p, ranks[p.id]) for p in posts]

    def feed(self, *, agency, topics: list[str], after=None, limit=20) -> list[tuple[object, bool]]:
        """Published posts of `agency` (its pinned ones first) and of `topics`
        from elsewhere, as (post id, pinned in this feed), in feed order. Each
        branch is an ordered index scan bounded by `limit`; the union is
        merged. `views` reads the posts themselves."""
        branches = []
        if agency is not None:
            own = select(Post.id.label("id"), Post.pinned.label("pinned"), Post.created_at.label("created_at")).where(
                Post.status == "published", Post.agency_code == agency
            )
            if after is not None:
                own = own.where(
                    tuple_(Post.pinned, Post.created_at, Post.id) < tuple_(literal(after[0]), literal(after[1]), literal(after[2]))
                )
            branches.append(own.order_by(Post.pinned.desc(), Post.created_at.desc(), Post.id.desc()).limit(limit))
        if topics:
            wanted = select(func.unnest(literal(topics, ARRAY(String))).label("topic")).subquery("wanted")
            per_topic = select(PostTopic.post_id, PostTopic.created_at).where(PostTopic.topic == wanted.c.topic)
            if agency is not None:
                per_topic = per_topic.where(PostTopic.agency_code.is_distinct_from(agency))
            if after is not None and not after[0]:
                per_topic = per_topic.where(
                    tuple_(PostTopic.created_at, PostTopic.post_id) < tuple_(literal(after[1]), literal(after[2]))
                )
            per_topic = per_topic.order_by(PostTopic.created_at.desc(), PostTopic.post_id.desc()).limit(limit).lateral("per_topic")
            branches.append(
                select(per_topic.c.post_id.label("id"), literal(False).label("pinned"), per_topic.c.created_at.label("created_at"))
                .select_from(wanted.join(per_topic, true()))
            )
        if not branches:
            everything = select(Post.id.label("id"), literal(False).label("pinned"), Post.created_at.label("created_at")).where(
                Post.status == "published"
            )
            if after is not None and not after[0]:
                everything = everything.where(tuple_(Post.created_at, Post.id) < tuple_(literal(after[1]), literal(after[2])))
            branches.append(everything.order_by(Post.created_at.desc(), Post.id.desc()).limit(limit))
        merged = (union(*branches) if len(branches) > 1 else branches[0]).subquery("merged")
        rows = self.session.execute(
            select(merged.c.id, merged.c.pinned)
            .order_by(merged.c.pinned.desc(), merged.c.created_at.desc(), merged.c.id.desc())
            .limit(limit)
        ).all()
        return [(r.id, r.pinned) for r in rows]


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

    def writer(self, user_id, now: datetime) -> tuple[Author | None, list[datetime | None]]:
        """A writer's copy (None when not received yet) and the expiries of
        their mutes in force (None: until lifted), in one round trip: each
        one a write waits for costs most on a busy machine (issue 17)."""
        expiries = (
            select(func.coalesce(func.array_agg(Mute.expires_at), literal_column("'{}'::timestamptz[]")))
            .where(
                Mute.user_id == user_id, Mute.imposed.is_(True), Mute.lifted_at.is_(None),
                or_(Mute.expires_at.is_(None), Mute.expires_at > now),
            )
            .scalar_subquery()
        )
        one = select(literal(1).label("one")).subquery()
        author, active = self.session.execute(
            select(Author, expiries).select_from(one).outerjoin(Author, Author.id == user_id)
        ).one()
        return author, list(active)

    def forget_user(self, user_id) -> None:
        self.session.execute(Mute.__table__.delete().where(Mute.user_id == user_id))
