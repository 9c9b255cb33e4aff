"""mentoring's unit of work and data access."""
import uuid
from datetime import datetime

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.exc import IntegrityError

from services.mentoring.models import Member, Mentor, MentoringRequest
from shared.db.members import MemberCopyRepository
from shared.db.unit_of_work import SqlUnitOfWork


class Duplicate(Exception):
    """A unique constraint refused the row (a concurrent duplicate)."""


class MentoringUnitOfWork(SqlUnitOfWork):
    def _start(self):
        self.mentors = MentorRepository(self.session)
        self.requests = RequestRepository(self.session)
        self.members = MemberCopyRepository(self.session, Member)


def _add(session, row) -> None:
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Duplicate() from None


class MentorRepository:
    def __init__(self, session):
        self.session = session

    def add(self, mentor: Mentor) -> None:
        _add(self.session, mentor)

    def get(self, mentor_id: uuid.UUID) -> Mentor | None:
        return self.session.get(Mentor, mentor_id)

    def get_for_update(self, mentor_id: uuid.UUID) -> Mentor | None:
        """Lock the mentor: acceptances for one mentor are decided one at a time."""
        return self.session.get(Mentor, mentor_id, with_for_update=True, populate_existing=True)

    def by_user(self, user_id: uuid.UUID) -> Mentor | None:
        return self.session.scalars(select(Mentor).where(Mentor.user_id == user_id)).first()

    def search(self, topic: str | None, after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Mentor]:
        """Active mentors, newest first."""
        query = select(Mentor).where(Mentor.status == "active")
        if topic is not None:
            query = query.where(Mentor.topics.contains([topic]))
        if after is not None:
            query = query.where(tuple_(Mentor.created_at, Mentor.id) < tuple_(*after))
        return list(self.session.scalars(query.order_by(Mentor.created_at.desc(), Mentor.id.desc()).limit(limit)))


class RequestRepository:
    def __init__(self, session):
        self.session = session

    def add(self, request: MentoringRequest) -> None:
        _add(self.session, request)

    def get(self, request_id: uuid.UUID) -> MentoringRequest | None:
        return self.session.get(MentoringRequest, request_id)

    def get_for_update(self, request_id: uuid.UUID) -> MentoringRequest | None:
        return self.session.get(MentoringRequest, request_id, with_for_update=True, populate_existing=True)

    def open_between(self, mentor_id: uuid.UUID, mentee_id: uuid.UUID) -> MentoringRequest | None:
        query = select(MentoringRequest).where(
            MentoringRequest.mentor_id == mentor_id,
            MentoringRequest.mentee_id == mentee_id,
            MentoringRequest.status.in_(("pending", "active")),
        )
        return self.session.scalars(query).first()

    def count_active(self, mentor_id: uuid.UUID) -> int:
        query = select(func.count()).where(MentoringRequest.mentor_id == mentor_id, MentoringRequest.status == "active")
        return self.session.execute(query).scalar_one()

    def active_counts(self, mentor_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not mentor_ids:
            return {}
        query = (
            select(MentoringRequest.mentor_id, func.count())
            .where(MentoringRequest.mentor_id.in_(mentor_ids), MentoringRequest.status == "active")
            .group_by(MentoringRequest.mentor_id)
        )
        return dict(self.session.execute(query).all())

    def of_member(
        self, user_id: uuid.UUID, role: str | None, status: str | None,
        after: tuple[datetime, uuid.UUID] | None, limit: int,
    ) -> list[MentoringRequest]:
        """The member's requests as mentee or mentor, newest first."""
        # A mentor sees a request once its message is clean (issue 13).
        as_mentor = and_(MentoringRequest.mentor_user_id == user_id, MentoringRequest.message_moderation.is_(None))
        if role == "mentee":
            query = select(MentoringRequest).where(MentoringRequest.mentee_id == user_id)
        elif role == "mentor":
            query = select(MentoringRequest).where(as_mentor)
        else:
            query = select(MentoringRequest).where(or_(MentoringRequest.mentee_id == user_id, as_mentor))
        if status is not None:
            query = query.where(MentoringRequest.status == status)
        if after is not None:
            query = query.where(tuple_(MentoringRequest.created_at, MentoringRequest.id) < tuple_(*after))
        query = query.order_by(MentoringRequest.created_at.desc(), MentoringRequest.id.desc()).limit(limit)
        return list(self.session.scalars(query))

    def all_of_member_for_update(self, user_id: uuid.UUID) -> list[MentoringRequest]:
        query = (
            select(MentoringRequest)
            .where(or_(MentoringRequest.mentee_id == user_id, MentoringRequest.mentor_user_id == user_id))
            .order_by(MentoringRequest.created_at)
            .with_for_update()
        )
        return list(self.session.scalars(query))

    def claim_due(self, now: datetime, limit: int) -> list[MentoringRequest]:
        """Active mentorships past their end date, locked; rows another replica holds are skipped."""
        query = (
            select(MentoringRequest)
            .where(MentoringRequest.status == "active", MentoringRequest.ends_at <= now)
            .order_by(MentoringRequest.ends_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(query))
