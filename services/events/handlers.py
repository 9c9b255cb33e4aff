"""events' use cases: organising events, registrations and waitlists,
attendance, cancellations, reminders, and members' personal data."""
import uuid
from datetime import datetime, timedelta

from services.events import calendar, domain
from services.events.models import CalendarEvent, Registration
from shared import paging
from shared.api.base import Page
from shared.api.events import AttendanceIn, CancelIn, EventFilters, EventIn
from shared.caller import Caller
from shared.contracts.events import (
    AttendanceRecorded,
    CalendarEventCancelled,
    CalendarEventCreated,
    CalendarEventTextsSubmitted,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationWaitlisted,
    ReminderDue,
)
from shared.contracts.identity import UserErased
from shared.contracts.moderation import TextDecided, TextScreened
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.validation import parse

EVENT_NOT_FOUND = "Événement introuvable."
NOT_REGISTERED = "Vous n'êtes pas inscrit à cet événement."
DELETED_MEMBER = "Membre supprimé"


# ---------------------------------------------------------------- views


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def event_view(event: CalendarEvent, counts: dict, names: dict) -> dict:
    confirmed = counts.get("confirmed", 0)
    if event.organizer_id is None:
        organizer = {"id": None, "display_name": DELETED_MEMBER}
    else:
        organizer = {"id": str(event.organizer_id), "display_name": names.get(event.organizer_id)}
    view = {
        "id": str(event.id),
        "title": event.title,
        "description": event.description,
        "kind": event.kind,
        "starts_at": _iso(event.starts_at),
        "ends_at": _iso(event.ends_at),
        "location": event.location,
        "online_url": event.online_url,
        "capacity": event.capacity,
        "agency_code": event.agency_code,
        "topics": list(event.topics or []),
        "organizer": organizer,
        "status": event.status,
        "registered_count": confirmed,
        "waitlist_count": counts.get("waitlisted", 0),
        "seats_left": domain.seats_left(confirmed, event.capacity),
        "created_at": _iso(event.created_at),
    }
    if event.status == "cancelled":
        view["cancel_reason"] = event.cancel_reason
        view["cancelled_at"] = _iso(event.cancelled_at)
    if event.text_moderation is not None:  # only its organiser sees such an event
        view["text_moderation"] = event.text_moderation
    return view


def registration_view(registration: Registration, position: int | None) -> dict:
    view = {
        "id": str(registration.id),
        "event_id": str(registration.event_id),
        "user_id": str(registration.user_id),
        "status": registration.status,
        "registered_at": _iso(registration.registered_at),
        "confirmed_at": _iso(registration.confirmed_at),
        "promoted_from_waitlist": registration.promoted_from_waitlist,
        "attended": registration.attended,
    }
    if registration.status == "waitlisted":
        view["position"] = position
    return view


def _views(uow, events: list[CalendarEvent]) -> list[dict]:
    counts = uow.registrations.counts([e.id for e in events])
    names = uow.members.names(e.organizer_id for e in events)
    return [event_view(e, counts.get(e.id, {}), names) for e in events]


def _one_view(uow, event: CalendarEvent) -> dict:
    return _views(uow, [event])[0]


def _position(uow, registration: Registration) -> int | None:
    if registration.status != "waitlisted":
        return None
    return uow.registrations.waitlist_position(registration)


def _key(value, detail: str = EVENT_NOT_FOUND) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(detail) from None


def _event(uow, event_id, *, lock: bool = False, caller: Caller | None = None) -> CalendarEvent:
    """The event; with `caller`, only if they may see it (its texts let
    through by moderation, or their own): what they may not see does not exist."""
    key = _key(event_id)
    event = uow.calendar_events.get_for_update(key) if lock else uow.calendar_events.get(key)
    if event is None:
        raise NotFound(EVENT_NOT_FOUND)
    organizer = str(event.organizer_id) if event.organizer_id else None
    if caller is not None and not domain.visible_to(event.text_moderation, organizer, caller):
        raise NotFound(EVENT_NOT_FOUND)
    return event


# ---------------------------------------------------------------- events


def create_event(uow, caller: Caller, data: dict, now: datetime) -> dict:
    caller.require_user()
    domain.check_may_organize(caller)
    event_in = parse(EventIn, data)
    agency_code = domain.organizer_agency(caller, event_in.agency_code)
    domain.check_schedule(event_in.starts_at, event_in.ends_at, now)
    domain.check_place(event_in.location, event_in.online_url)
    event = CalendarEvent(
        id=uuid.uuid4(),
        kind=event_in.kind,
        title=event_in.title,
        description=event_in.description,
        starts_at=event_in.starts_at,
        ends_at=event_in.ends_at,
        location=event_in.location,
        online_url=event_in.online_url or None,
        capacity=event_in.capacity,
        agency_code=agency_code,
        topics=list(dict.fromkeys(event_in.topics)),
        organizer_id=uuid.UUID(caller.id),
        organizer_role=caller.role,
        status="scheduled",
        created_at=now,
        updated_at=now,
        text_moderation=domain.TEXTS_PENDING,
    )
    uow.calendar_events.add(event)
    # Listed, and announced (events.event_created), once moderation lets its texts through (issue 13).
    uow.record(
        CalendarEventTextsSubmitted(
            calendar_event_id=str(event.id), organizer_id=caller.id, agency_code=agency_code, text_version=1,
            title=event.title, description=event.description, location=event.location, submitted_at=now,
        )
    )
    uow.commit()
    return _one_view(uow, event)


def texts_verdict(uow, event: TextScreened | TextDecided, now: datetime) -> None:
    """Moderation's verdict on an event's texts: clean or approved, the event
    is listed and announced; held, it keeps waiting; refused, it stays
    visible to its organiser only."""
    if event.target_type != "calendar_event":
        return
    calendar_event = uow.calendar_events.get_for_update(_key(event.target_id))
    if calendar_event is None or not domain.texts_verdict_applies(calendar_event.text_moderation, event.text_version):
        return
    calendar_event.text_moderation = domain.texts_after_verdict(event.verdict)
    calendar_event.updated_at = now
    if calendar_event.text_moderation is None:
        uow.record(
            CalendarEventCreated(
                calendar_event_id=str(calendar_event.id), organizer_id=str(calendar_event.organizer_id),
                organizer_role=calendar_event.organizer_role, agency_code=calendar_event.agency_code,
                kind=calendar_event.kind, title=calendar_event.title, starts_at=calendar_event.starts_at,
                ends_at=calendar_event.ends_at, capacity=calendar_event.capacity, topics=list(calendar_event.topics),
                created_at=calendar_event.created_at,
            )
        )


def list_events(uow, caller: Caller, query: dict, now: datetime) -> dict:
    caller.require_user()
    filters = parse(EventFilters, query)
    after = paging.decode(filters.cursor, "events.list", (datetime, uuid.UUID))
    events = uow.calendar_events.search(
        starts_from=filters.from_,
        # Without `from`: what has not ended yet (upcoming and under way).
        ends_after=now if filters.from_ is None else None,
        starts_before=filters.to,
        agency=filters.agency,
        topic=filters.topic,
        kind=filters.kind,
        after=after,
        limit=filters.limit + 1,
        viewer=uuid.UUID(caller.id),
    )
    more = paging.next_cursor("events.list", events, filters.limit, lambda e: (e.starts_at, e.id))
    return {"items": _views(uow, events[: filters.limit]), "next_cursor": more}


def get_event(uow, caller: Caller, event_id: str) -> dict:
    caller.require_user()
    event = _event(uow, event_id, caller=caller)
    view = _one_view(uow, event)
    mine = uow.registrations.get_for(event.id, uuid.UUID(caller.id))
    if mine is not None and mine.status in domain.ACTIVE_STATUSES:
        view["my_registration"] = registration_view(mine, _position(uow, mine))
    else:
        view["my_registration"] = None
    return view


def event_ics(uow, caller: Caller, event_id: str) -> str:
    caller.require_user()
    return calendar.to_ics(_event(uow, event_id, caller=caller))


def cancel_event(uow, caller: Caller, event_id: str, data: dict, now: datetime) -> dict:
    caller.require_user()
    event = _event(uow, event_id, lock=True)
    domain.check_may_manage(str(event.organizer_id) if event.organizer_id else None, caller)
    cancel_in = parse(CancelIn, data)
    domain.check_cancellable(event.status, event.starts_at, now)
    event.status = "cancelled"
    event.cancel_reason = cancel_in.reason
    event.cancelled_by = uuid.UUID(caller.id)
    event.cancelled_at = now
    event.updated_at = now
    registrants = uow.registrations.active_user_ids(event.id)
    uow.record(
        CalendarEventCancelled(
            calendar_event_id=str(event.id), agency_code=event.agency_code, title=event.title,
            starts_at=event.starts_at, reason=cancel_in.reason, registrant_ids=[str(u) for u in registrants],
            cancelled_by=caller.id, cancelled_at=now,
        )
    )
    uow.commit()
    return _one_view(uow, event)


# ---------------------------------------------------------------- registrations


def register(uow, caller: Caller, event_id: str, now: datetime) -> dict:
    """A seat while one is left, else the waitlist. The event row is locked, so
    concurrent registrations are decided one after the other: never more
    confirmed than the capacity. `created` is False when the member was
    already registered (the same registration is returned)."""
    caller.require_user()
    event = _event(uow, event_id, lock=True, caller=caller)
    domain.check_not_cancelled(event.status)
    user_id = uuid.UUID(caller.id)
    registration = uow.registrations.get_for(event.id, user_id)
    if registration is not None and registration.status in domain.ACTIVE_STATUSES:
        return {"created": False, "registration": registration_view(registration, _position(uow, registration))}
    domain.check_not_started(event.starts_at, now)
    status = domain.seat_status(uow.registrations.count_confirmed(event.id), event.capacity)
    if registration is None:
        registration = Registration(id=uuid.uuid4(), event_id=event.id, user_id=user_id)
        fresh = True
    else:  # registered before, then unregistered: registers again, at the back
        fresh = False
    registration.agency_code = caller.agency_code
    registration.status = status
    registration.seq = uow.registrations.next_seq()
    registration.registered_at = now
    registration.confirmed_at = now if status == "confirmed" else None
    registration.promoted_from_waitlist = False
    registration.cancelled_at = None
    registration.attended = None
    registration.attendance_recorded_at = None
    # reminder_sent_at is kept: one reminder per member and event, even after leaving and coming back.
    if fresh:
        uow.registrations.add(registration)
    position = _position(uow, registration)
    if status == "confirmed":
        uow.record(_confirmed(event, registration, now))
    else:
        uow.record(
            RegistrationWaitlisted(
                registration_id=str(registration.id), calendar_event_id=str(event.id), user_id=caller.id,
                agency_code=registration.agency_code, position=position, waitlisted_at=now,
            )
        )
    uow.commit()
    return {"created": True, "registration": registration_view(registration, position)}


def _confirmed(event: CalendarEvent, registration: Registration, now: datetime) -> RegistrationConfirmed:
    return RegistrationConfirmed(
        registration_id=str(registration.id), calendar_event_id=str(event.id), user_id=str(registration.user_id),
        agency_code=registration.agency_code, title=event.title, starts_at=event.starts_at,
        promoted_from_waitlist=registration.promoted_from_waitlist, confirmed_at=now,
    )


def _promote_waitlisted(uow, event: CalendarEvent, now: datetime) -> list[Registration]:
    """Fill free seats from the waitlist, first come first served (event row locked)."""
    promoted = []
    if not domain.is_upcoming(event.status, event.starts_at, now):
        return promoted
    while uow.registrations.count_confirmed(event.id) < event.capacity:
        waiting = uow.registrations.first_waitlisted(event.id)
        if waiting is None:
            break
        waiting.status = "confirmed"
        waiting.confirmed_at = now
        waiting.promoted_from_waitlist = True
        uow.record(_confirmed(event, waiting, now))
        promoted.append(waiting)
    return promoted


def _release(uow, event: CalendarEvent, registration: Registration, now: datetime) -> None:
    """The member leaves: record it, and promote the first waitlisted into a freed seat."""
    was_confirmed = registration.status == "confirmed"
    registration.status = "cancelled"
    registration.cancelled_at = now
    uow.record(
        RegistrationCancelled(
            registration_id=str(registration.id), calendar_event_id=str(event.id),
            user_id=str(registration.user_id), agency_code=registration.agency_code,
            was_confirmed=was_confirmed, cancelled_at=now,
        )
    )
    if was_confirmed:
        _promote_waitlisted(uow, event, now)


def unregister(uow, caller: Caller, event_id: str, now: datetime) -> None:
    caller.require_user()
    event = _event(uow, event_id, lock=True)
    registration = uow.registrations.get_for(event.id, uuid.UUID(caller.id))
    if registration is None or registration.status not in domain.ACTIVE_STATUSES:
        raise NotFound(NOT_REGISTERED)
    if event.starts_at <= now:
        raise Conflict("Cet événement a déjà commencé : la désinscription n'est plus possible.")
    _release(uow, event, registration, now)
    uow.commit()


def list_registrations(uow, caller: Caller, event_id: str, query: dict) -> dict:
    """The attendees (confirmed, then waitlisted as they came), for the organiser or an admin."""
    caller.require_user()
    event = _event(uow, event_id)
    domain.check_may_manage(str(event.organizer_id) if event.organizer_id else None, caller)
    page_in = parse(Page, query)
    after = paging.decode(page_in.cursor, "events.registrations", (int,))
    rows = uow.registrations.of_event(event.id, after[0] if after else None, page_in.limit + 1)
    page = rows[: page_in.limit]
    names = uow.members.names(r.user_id for r in page)
    items, next_position = [], None
    for registration in page:
        position = None
        if registration.status == "waitlisted":
            # The page is in registration order: positions follow one another.
            next_position = next_position or uow.registrations.waitlist_position(registration)
            position, next_position = next_position, next_position + 1
        item = registration_view(registration, position)
        item["display_name"] = names.get(registration.user_id)
        items.append(item)
    more = paging.next_cursor("events.registrations", rows, page_in.limit, lambda r: (r.seq,))
    return {"items": items, "next_cursor": more}


def record_attendance(uow, caller: Caller, event_id: str, data: dict, now: datetime) -> dict:
    caller.require_user()
    event = _event(uow, event_id, lock=True)
    domain.check_may_manage(str(event.organizer_id) if event.organizer_id else None, caller)
    attendance = parse(AttendanceIn, data)
    domain.check_attendance_open(event.status, event.starts_at, now)
    not_registered = ValidationFailed.single(["body", "user_id"], "Ce membre n'a pas de place confirmée à cet événement.")
    try:
        user_id = uuid.UUID(attendance.user_id)
    except ValueError:
        raise not_registered from None
    registration = uow.registrations.get_for(event.id, user_id)
    if registration is None or registration.status != "confirmed":
        raise not_registered
    if registration.attended != attendance.attended:
        registration.attended = attendance.attended
        registration.attendance_recorded_at = now
        uow.record(
            AttendanceRecorded(
                calendar_event_id=str(event.id), user_id=str(user_id), agency_code=registration.agency_code,
                attended=attendance.attended, recorded_at=now,
            )
        )
    uow.commit()
    return registration_view(registration, None)


def my_events(uow, caller: Caller, query: dict) -> dict:
    caller.require_user()
    page_in = parse(Page, query)
    after = paging.decode(page_in.cursor, "events.mine", (datetime, uuid.UUID))
    rows = uow.registrations.of_user(uuid.UUID(caller.id), after, page_in.limit + 1)
    page = rows[: page_in.limit]
    views = _views(uow, [event for _, event in page])
    items = []
    for (registration, _), view in zip(page, views):
        item = registration_view(registration, _position(uow, registration))
        item["event"] = view
        items.append(item)
    more = paging.next_cursor("events.mine", rows, page_in.limit, lambda row: (row[1].starts_at, row[1].id))
    return {"items": items, "next_cursor": more}


# ---------------------------------------------------------------- reminders


def send_due_reminders(uow, now: datetime, lead: timedelta, batch_size: int) -> int:
    """One events.reminder_due per confirmed registration whose event starts
    within `lead`. The registration is marked in the same transaction as the
    outbox row, and claimed rows are skipped by other replicas: exactly once."""
    due = uow.registrations.claim_due_reminders(now, now + lead, batch_size)
    for registration, event in due:
        registration.reminder_sent_at = now
        uow.record(
            ReminderDue(
                calendar_event_id=str(event.id), registration_id=str(registration.id),
                user_id=str(registration.user_id), title=event.title, starts_at=event.starts_at,
                location=event.location, online_url=event.online_url,
            )
        )
    uow.commit()
    return len(due)


# ---------------------------------------------------------------- members and personal data


def erase_member(uow, event: UserErased, now: datetime) -> None:
    """GDPR erasure: the member's registrations are deleted (a seat they held
    in an upcoming event goes to the waitlist), events they organised stay,
    shown as organised by a deleted member, and their name is forgotten."""
    user_id = uuid.UUID(event.user_id)
    for registration, calendar_event in uow.registrations.all_of_user(user_id):
        upcoming = domain.is_upcoming(calendar_event.status, calendar_event.starts_at, now)
        if registration.status in domain.ACTIVE_STATUSES and upcoming:
            _release(uow, uow.calendar_events.get_for_update(calendar_event.id), registration, now)
        uow.registrations.delete(registration)
    uow.calendar_events.forget_organizer(user_id)
    uow.members.erase(event)


def export_user_data(uow, caller: Caller) -> dict:
    caller.require_user()
    user_id = uuid.UUID(caller.id)
    member = uow.members.live(user_id)
    registrations = []
    for registration, calendar_event in uow.registrations.all_of_user(user_id):
        item = registration_view(registration, _position(uow, registration))
        item.update(
            event_title=calendar_event.title,
            event_starts_at=_iso(calendar_event.starts_at),
            cancelled_at=_iso(registration.cancelled_at),
            reminder_sent_at=_iso(registration.reminder_sent_at),
        )
        registrations.append(item)
    return {
        "member": (
            {"id": str(member.id), "display_name": member.display_name, "role": member.role,
             "agency_code": member.agency_code}
            if member else None
        ),
        "registrations": registrations,
        "organized_events": _views(uow, uow.calendar_events.organized_by(user_id)),
    }
