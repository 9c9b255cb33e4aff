"""events' unit of work and data access."""
import uuid
from datetime import datetime

from sqlalchemy import func, or_, select, text, tuple_, update

from services.events.models import CalendarEvent, Member, Registration
from shared.db.members import MemberCopyRepository
from shared.db.unit_of_work import SqlUnitOfWork


class EventsUnitOfWork(SqlUnitOfWork):
    def _start(self):
        self.calendar_events = CalendarEventRepository(self.session)
        self.registrations = RegistrationRepository(self.session)
        self.members = MemberCopyRepository(self.session, Member)


class CalendarEventRepository:
    def __init__(self, session):
        self.session = session

    def add(self, event: CalendarEvent) -> None:
        self.session.add(event)
        self.session.flush()

    def get(self, event_id: uuid.UUID) -> CalendarEvent | None:
        return self.session.get(CalendarEvent, event_id)

    def get_for_update(self, event_id: uuid.UUID) -> CalendarEvent | None:
        """Lock the event row: registrations of one event are decided one at a time."""
        return self.session.get(CalendarEvent, event_id, with_for_update=True, populate_existing=True)

    def search(
        self,
        *,
        starts_from: datetime | None,
        ends_after: datetime | None,
        starts_before: datetime | None,
        agency: str | None,
        topic: str | None,
        kind: str | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
        viewer: uuid.UUID | None = None,
    ) -> list[CalendarEvent]:
        """Soonest first, keyset-paginated on (starts_at, id); only events
        whose texts moderation let through, and the viewer's own."""
        query = select(CalendarEvent).where(
            or_(CalendarEvent.text_moderation.is_(None), CalendarEvent.organizer_id == viewer)
        )
        if starts_from is not None:
            query = query.where(CalendarEvent.starts_at >= starts_from)
        if ends_after is not None:
            query = query.where(CalendarEvent.ends_at > ends_after)
        if starts_before is not None:
            query = query.where(CalendarEvent.starts_at < starts_before)
        if agency is not None:
            query = query.where(CalendarEvent.agency_code == agency)
        if topic is not None:
            query = query.where(CalendarEvent.topics.contains([topic]))
        if kind is not None:
            query = query.where(CalendarEvent.kind == kind)
        if after is not None:
            query = query.where(tuple_(CalendarEvent.starts_at, CalendarEvent.id) > tuple_(*after))
        query = query.order_by(CalendarEvent.starts_at, CalendarEvent.id).limit(limit)
        return list(self.session.scalars(query))

    def organized_by(self, user_id: uuid.UUID) -> list[CalendarEvent]:
        query = select(CalendarEvent).where(CalendarEvent.organizer_id == user_id).order_by(CalendarEvent.starts_at)
        return list(self.session.scalars(query))

    def forget_organizer(self, user_id: uuid.UUID) -> int:
        """The events stay, shown as organised by a deleted member."""
        result = self.session.execute(
            update(CalendarEvent).where(CalendarEvent.organizer_id == user_id).values(organizer_id=None)
        )
        self.session.execute(
            update(CalendarEvent).where(CalendarEvent.cancelled_by == user_id).values(cancelled_by=None)
        )
        return result.rowcount


class RegistrationRepository:
    def __init__(self, session):
        self.session = session

    def next_seq(self) -> int:
        return self.session.execute(text("SELECT nextval('registration_seq')")).scalar_one()

    def add(self, registration: Registration) -> None:
        self.session.add(registration)
        self.session.flush()

    def delete(self, registration: Registration) -> None:
        self.session.delete(registration)
        self.session.flush()

    def get_for(self, event_id: uuid.UUID, user_id: uuid.UUID) -> Registration | None:
        query = select(Registration).where(Registration.event_id == event_id, Registration.user_id == user_id)
        return self.session.scalars(query).first()

    def count_confirmed(self, event_id: uuid.UUID) -> int:
        query = select(func.count()).where(Registration.event_id == event_id, Registration.status == "confirmed")
        return self.session.execute(query).scalar_one()

    def counts(self, event_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
        """{event_id: {"confirmed": n, "waitlisted": m}} for the given events."""
        if not event_ids:
            return {}
        query = (
            select(Registration.event_id, Registration.status, func.count())
            .where(Registration.event_id.in_(event_ids), Registration.status.in_(("confirmed", "waitlisted")))
            .group_by(Registration.event_id, Registration.status)
        )
        result: dict[uuid.UUID, dict[str, int]] = {}
        for event_id, status, count in self.session.execute(query):
            result.setdefault(event_id, {})[status] = count
        return result

    def waitlist_position(self, registration: Registration) -> int:
        query = select(func.count()).where(
            Registration.event_id == registration.event_id,
            Registration.status == "waitlisted",
            Registration.seq <= registration.seq,
        )
        return self.session.execute(query).scalar_one()

    def first_waitlisted(self, event_id: uuid.UUID) -> Registration | None:
        query = (
            select(Registration)
            .where(Registration.event_id == event_id, Registration.status == "waitlisted")
            .order_by(Registration.seq)
            .limit(1)
            .with_for_update()
        )
        return self.session.scalars(query).first()

    def active_user_ids(self, event_id: uuid.UUID) -> list[uuid.UUID]:
        query = (
            select(Registration.user_id)
            .where(Registration.event_id == event_id, Registration.status.in_(("confirmed", "waitlisted")))
            .order_by(Registration.seq)
        )
        return list(self.session.scalars(query))

    def of_event(self, event_id: uuid.UUID, after_seq: int | None, limit: int) -> list[Registration]:
        """Confirmed and waitlisted registrations, in registration order."""
        query = select(Registration).where(
            Registration.event_id == event_id, Registration.status.in_(("confirmed", "waitlisted"))
        )
        if after_seq is not None:
            query = query.where(Registration.seq > after_seq)
        return list(self.session.scalars(query.order_by(Registration.seq).limit(limit)))

    def of_user(
        self, user_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[tuple[Registration, CalendarEvent]]:
        """The member's active registrations with their events, soonest event first."""
        query = (
            select(Registration, CalendarEvent)
            .join(CalendarEvent, CalendarEvent.id == Registration.event_id)
            .where(Registration.user_id == user_id, Registration.status.in_(("confirmed", "waitlisted")))
        )
        if after is not None:
            query = query.where(tuple_(CalendarEvent.starts_at, CalendarEvent.id) > tuple_(*after))
        query = query.order_by(CalendarEvent.starts_at, CalendarEvent.id).limit(limit)
        return [(r, e) for r, e in self.session.execute(query)]

    def all_of_user(self, user_id: uuid.UUID) -> list[tuple[Registration, CalendarEvent]]:
        query = (
            select(Registration, CalendarEvent)
            .join(CalendarEvent, CalendarEvent.id == Registration.event_id)
            .where(Registration.user_id == user_id)
            .order_by(CalendarEvent.starts_at)
        )
        return [(r, e) for r, e in self.session.execute(query)]

    def claim_due_reminders(self, now: datetime, window_end: datetime, limit: int) -> list[tuple[Registration, CalendarEvent]]:
        """Confirmed registrations of scheduled events starting before `window_end`
        and not reminded yet, locked; rows another replica holds are skipped."""
        query = (
            select(Registration, CalendarEvent)
            .join(CalendarEvent, CalendarEvent.id == Registration.event_id)
            .where(
                Registration.status == "confirmed",
                Registration.reminder_sent_at.is_(None),
                CalendarEvent.status == "scheduled",
                CalendarEvent.starts_at > now,
                CalendarEvent.starts_at <= window_end,
            )
            .order_by(CalendarEvent.starts_at, Registration.seq)
            .limit(limit)
            .with_for_update(of=Registration, skip_locked=True)
        )
        return [(r, e) for r, e in self.session.execute(query)]
