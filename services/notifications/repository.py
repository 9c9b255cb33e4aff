"""notifications' unit of work and data access."""
import uuid
from datetime import datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from services.notifications.models import CommentPost, DigestRun, Email, Member, Notification, Preference
from shared.db.members import MemberCopyRepository
from shared.db.unit_of_work import SqlUnitOfWork


class NotificationsUnitOfWork(SqlUnitOfWork):
    def _start(self):
        self.members = MemberRepository(self.session)
        self.comment_posts = CommentPostRepository(self.session)
        self.notifications = NotificationRepository(self.session)
        self.preferences = PreferenceRepository(self.session)
        self.emails = EmailRepository(self.session)
        self.digests = DigestRunRepository(self.session)


class MemberRepository(MemberCopyRepository):
    def __init__(self, session):
        super().__init__(session, Member)

    def advisors_of(self, agency_code: str) -> list[str]:
        rows = self.session.scalars(select(Member.id).where(
            Member.role == "advisor", Member.agency_code == agency_code, Member.erased_at.is_(None)))
        return [str(r) for r in rows]

    def digest_candidates(self, daily_period: str, weekly_period: str) -> list[tuple[str, str]]:
        """(member id, frequency) of members with an address whose digest of
        the current period has not run yet."""
        rows = self.session.execute(text(
            """
            SELECT m.id, coalesce(p.digest, 'weekly') AS frequency
            FROM members m LEFT JOIN preferences p ON p.user_id = m.id
            WHERE m.erased_at IS NULL AND m.email IS NOT NULL AND coalesce(p.digest, 'weekly') <> 'off'
              AND NOT EXISTS (
                SELECT 1 FROM digest_runs d WHERE d.user_id = m.id
                  AND d.period = CASE coalesce(p.digest, 'weekly') WHEN 'daily' THEN :daily ELSE :weekly END)
            ORDER BY m.id
            """), {"daily": daily_period, "weekly": weekly_period})
        return [(str(user_id), frequency) for user_id, frequency in rows]


class CommentPostRepository:
    def __init__(self, session):
        self.session = session

    def remember(self, comment_id: uuid.UUID, post_id: uuid.UUID) -> None:
        self.session.execute(insert(CommentPost).values(comment_id=comment_id, post_id=post_id)
                             .on_conflict_do_nothing())

    def post_of(self, comment_id: uuid.UUID) -> uuid.UUID | None:
        return self.session.scalar(select(CommentPost.post_id).where(CommentPost.comment_id == comment_id))


class NotificationRepository:
    def __init__(self, session):
        self.session = session

    def add(self, notification: Notification) -> Notification | None:
        """Insert unless this event already notified this member (None then)."""
        values = {c: getattr(notification, c) for c in
                  ("id", "user_id", "type", "title", "body", "link", "in_app", "source_event_id", "created_at")}
        row = self.session.execute(
            insert(Notification).values(**values)
            .on_conflict_do_nothing(constraint="uq_notifications_event_recipient")
            .returning(Notification.seq)
        ).first()
        if row is None:
            return None
        notification.seq = row.seq
        return notification

    def get(self, notification_id: uuid.UUID) -> Notification | None:
        return self.session.get(Notification, notification_id)

    def page(self, user_id: uuid.UUID, unread_only: bool, before_seq: int | None, limit: int) -> list[Notification]:
        query = select(Notification).where(Notification.user_id == user_id, Notification.in_app.is_(True))
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        if before_seq is not None:
            query = query.where(Notification.seq < before_seq)
        return list(self.session.scalars(query.order_by(Notification.seq.desc()).limit(limit)))

    def unread_count(self, user_id: uuid.UUID) -> int:
        return self.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == user_id, Notification.in_app.is_(True), Notification.read_at.is_(None)))

    def mark_read(self, notification_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> bool:
        """False when it is not this member's (in-app) notification."""
        found = self.session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.user_id == user_id,
                   Notification.in_app.is_(True))
            .values(read_at=func.coalesce(Notification.read_at, now))
            .returning(Notification.id)
        ).first()
        return found is not None

    def mark_all_read(self, user_id: uuid.UUID, now: datetime) -> int:
        result = self.session.execute(update(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=now))
        return result.rowcount

    def since(self, user_id: uuid.UUID, after_seq: int, limit: int) -> list[Notification]:
        return list(self.session.scalars(select(Notification).where(
            Notification.user_id == user_id, Notification.in_app.is_(True), Notification.seq > after_seq,
        ).order_by(Notification.seq).limit(limit)))

    def unread_between(self, user_id: uuid.UUID, start: datetime, end: datetime) -> list[Notification]:
        return list(self.session.scalars(select(Notification).where(
            Notification.user_id == user_id, Notification.in_app.is_(True), Notification.read_at.is_(None),
            Notification.created_at > start, Notification.created_at <= end,
        ).order_by(Notification.seq.desc())))

    def all_of(self, user_id: uuid.UUID) -> list[Notification]:
        return list(self.session.scalars(select(Notification).where(Notification.user_id == user_id)
                                         .order_by(Notification.seq)))

    def delete_of(self, user_id: uuid.UUID) -> None:
        self.session.execute(delete(Notification).where(Notification.user_id == user_id))


class PreferenceRepository:
    def __init__(self, session):
        self.session = session

    def get(self, user_id: uuid.UUID) -> Preference | None:
        return self.session.get(Preference, user_id)

    def put(self, user_id: uuid.UUID, channels: dict, digest: str, now: datetime) -> None:
        stmt = insert(Preference).values(user_id=user_id, channels=channels, digest=digest, updated_at=now)
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=[Preference.user_id],
            set_={"channels": stmt.excluded.channels, "digest": stmt.excluded.digest,
                  "updated_at": stmt.excluded.updated_at},
        ))

    def delete_of(self, user_id: uuid.UUID) -> None:
        self.session.execute(delete(Preference).where(Preference.user_id == user_id))


class EmailRepository:
    def __init__(self, session):
        self.session = session

    def add(self, email: Email) -> None:
        self.session.add(email)
        self.session.flush()

    def next_due(self, now: datetime) -> Email | None:
        """The next e-mail to send, locked; another replica skips it."""
        return self.session.scalars(
            select(Email).where(Email.status == "pending", Email.next_attempt_at <= now)
            .order_by(Email.next_attempt_at).limit(1).with_for_update(skip_locked=True)
        ).first()

    def failed(self, ids: list[uuid.UUID] | None = None) -> list[Email]:
        """Failed e-mails (those of `ids` only, when given), oldest first, locked."""
        query = select(Email).where(Email.status == "failed")
        if ids is not None:
            query = query.where(Email.id.in_(ids))
        return list(self.session.scalars(query.order_by(Email.created_at).with_for_update()))

    def of_user(self, user_id: uuid.UUID) -> list[Email]:
        return list(self.session.scalars(select(Email).where(Email.user_id == user_id).order_by(Email.created_at)))

    def delete_of(self, user_id: uuid.UUID) -> None:
        self.session.execute(delete(Email).where(Email.user_id == user_id))


class DigestRunRepository:
    def __init__(self, session):
        self.session = session

    def claim(self, user_id: uuid.UUID, period: str, now: datetime) -> DigestRun | None:
        """The run of this member's digest for this period, or None when
        another worker or replica made it already."""
        inserted = self.session.execute(
            insert(DigestRun).values(user_id=user_id, period=period, ran_at=now, notification_count=0)
            .on_conflict_do_nothing().returning(DigestRun.period)
        ).first()
        return self.session.get(DigestRun, (user_id, period)) if inserted else None

    def last_before(self, user_id: uuid.UUID, period: str) -> datetime | None:
        return self.session.scalar(select(func.max(DigestRun.ran_at)).where(
            DigestRun.user_id == user_id, DigestRun.period != period))

    def of_user(self, user_id: uuid.UUID) -> list[DigestRun]:
        return list(self.session.scalars(select(DigestRun).where(DigestRun.user_id == user_id)
                                         .order_by(DigestRun.ran_at)))

    def delete_of(self, user_id: uuid.UUID) -> None:
        self.session.execute(delete(DigestRun).where(DigestRun.user_id == user_id))
