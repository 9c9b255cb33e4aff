"""Events published by the events service (job fairs, workshops, information
sessions, webinars). `calendar_event_id` names the event being organised,
never to be confused with the envelope's `event_id`."""
from datetime import datetime

from shared.contracts.envelope import EventPayload


class CalendarEventCreated(EventPayload):
    event_type = "events.event_created"
    version = 1

    calendar_event_id: str
    organizer_id: str
    organizer_role: str
    agency_code: str | None
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    topics: list[str]
    created_at: datetime


class RegistrationConfirmed(EventPayload):
    """A seat is the member's (directly, or promoted from the waitlist)."""

    event_type = "events.registration_confirmed"
    version = 1

    registration_id: str
    calendar_event_id: str
    user_id: str
    agency_code: str | None
    title: str
    starts_at: datetime
    promoted_from_waitlist: bool
    confirmed_at: datetime


class RegistrationWaitlisted(EventPayload):
    event_type = "events.registration_waitlisted"
    version = 1

    registration_id: str
    calendar_event_id: str
    user_id: str
    agency_code: str | None
    position: int
    waitlisted_at: datetime


class RegistrationCancelled(EventPayload):
    """The member unregistered."""

    event_type = "events.registration_cancelled"
    version = 1

    registration_id: str
    calendar_event_id: str
    user_id: str
    agency_code: str | None
    was_confirmed: bool
    cancelled_at: datetime


class CalendarEventCancelled(EventPayload):
    event_type = "events.event_cancelled"
    version = 1

    calendar_event_id: str
    agency_code: str | None
    title: str
    starts_at: datetime
    reason: str
    registrant_ids: list[str]
    cancelled_by: str
    cancelled_at: datetime


class AttendanceRecorded(EventPayload):
    event_type = "events.attendance_recorded"
    version = 1

    calendar_event_id: str
    user_id: str
    agency_code: str | None
    attended: bool
    recorded_at: datetime


class ReminderDue(EventPayload):
    """24 hours before the event, once per confirmed registrant."""

    event_type = "events.reminder_due"
    version = 1

    calendar_event_id: str
    registration_id: str
    user_id: str
    title: str
    starts_at: datetime
    location: str | None
    online_url: str | None


class CalendarEventTextsSubmitted(EventPayload):
    """An event was scheduled: moderation screens its texts (title,
    description, location) first. It is listed, and events.event_created is
    published, only once they are clean or a moderator approved them
    (moderation.text_screened / text_decided, target_type `calendar_event`)."""

    event_type = "events.texts_submitted"
    version = 1

    calendar_event_id: str
    organizer_id: str
    agency_code: str | None
    text_version: int
    title: str
    description: str
    location: str | None
    submitted_at: datetime
