"""analytics' unit of work and data access."""
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from services.analytics.models import PostFact
from shared.db.unit_of_work import SqlUnitOfWork


class AnalyticsUnitOfWork(SqlUnitOfWork):
    def _start(self):
        self.post_facts = PostFactRepository(self.session)


class PostFactRepository:
    def __init__(self, session):
        self.session = session

    def upsert(self, post_id, agency_code, kind, **timestamps) -> None:
        """Insert or complete a post's facts; events may arrive in any order."""
        stmt = insert(PostFact).values(post_id=post_id, agency_code=agency_code, kind=kind, **timestamps)
        self.session.execute(stmt.on_conflict_do_update(index_elements=[PostFact.post_id], set_=timestamps))

    def published_per_agency(self, agency_code: str | None = None) -> dict[str, int]:
        query = (
            select(PostFact.agency_code, func.count())
            .where(PostFact.published_at.is_not(None))
            .group_by(PostFact.agency_code)
        )
        if agency_code is not None:
            query = query.where(PostFact.agency_code == agency_code)
        return {code or "": count for code, count in self.session.execute(query)}
