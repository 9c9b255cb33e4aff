"""posts' unit of work and data access."""
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.posts.models import Author, Post, Topic
from shared.db.unit_of_work import SqlUnitOfWork


class PostsUnitOfWork(SqlUnitOfWork):
    def _start(self):
        self.posts = PostRepository(self.session)
        self.topics = TopicRepository(self.session)
        self.authors = AuthorRepository(self.session)


class PostRepository:
    def __init__(self, session):
        self.session = session

    def add(self, post: Post) -> None:
        self.session.add(post)
        self.session.flush()

    def get(self, post_id) -> Post | None:
        return self.session.get(Post, post_id)

    def get_for_update(self, post_id) -> Post | None:
        return self.session.get(Post, post_id, with_for_update=True)


class TopicRepository:
    def __init__(self, session):
        self.session = session

    def all(self) -> list[Topic]:
        return list(self.session.scalars(select(Topic).order_by(Topic.kind, Topic.label)))

    def existing(self, slugs: list[str]) -> set[str]:
        if not slugs:
            return set()
        return set(self.session.scalars(select(Topic.slug).where(Topic.slug.in_(slugs))))

    def add_missing(self, topics: list[dict]) -> int:
        if not topics:
            return 0
        result = self.session.execute(insert(Topic).values(topics).on_conflict_do_nothing().returning(Topic.slug))
        return len(result.all())


class AuthorRepository:
    def __init__(self, session):
        self.session = session

    def get(self, author_id) -> Author | None:
        return self.session.get(Author, author_id)

    def upsert(self, author_id, display_name: str, role: str, agency_code: str | None) -> None:
        stmt = insert(Author).values(id=author_id, display_name=display_name, role=role, agency_code=agency_code)
        self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[Author.id],
                set_={"display_name": stmt.excluded.display_name, "role": stmt.excluded.role, "agency_code": stmt.excluded.agency_code},
            )
        )
