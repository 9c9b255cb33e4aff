"""Events published by the mentoring service."""
from datetime import datetime

from shared.contracts.envelope import EventPayload


class MentorProfileCreated(EventPayload):
    event_type = "mentoring.mentor_profile_created"
    version = 1

    mentor_id: str
    user_id: str
    topics: list[str]
    capacity: int
    created_at: datetime


class MentoringRequested(EventPayload):
    event_type = "mentoring.request_created"
    version = 1

    request_id: str
    mentor_id: str
    mentor_user_id: str
    mentee_id: str
    agency_code: str | None
    created_at: datetime


class MentoringAccepted(EventPayload):
    """A match: the mentorship is active until `ends_at`."""

    event_type = "mentoring.request_accepted"
    version = 1

    request_id: str
    mentor_id: str
    mentor_user_id: str
    mentee_id: str
    agency_code: str | None
    requested_at: datetime
    accepted_at: datetime
    ends_at: datetime


class MentoringDeclined(EventPayload):
    event_type = "mentoring.request_declined"
    version = 1

    request_id: str
    mentor_user_id: str
    mentee_id: str
    agency_code: str | None
    declined_at: datetime


class MentorshipEnded(EventPayload):
    """Ended early by either side (`early`), or completed at its end date."""

    event_type = "mentoring.mentorship_ended"
    version = 1

    request_id: str
    mentor_id: str
    mentor_user_id: str
    mentee_id: str
    agency_code: str | None
    ended_by: str | None
    early: bool
    ended_at: datetime


class MentoringMessageSubmitted(EventPayload):
    """A job seeker asked a mentor: moderation screens the request's message
    first. The mentor sees the request (and is told of it by
    mentoring.request_created) only once the message is clean or a moderator
    approved it (moderation.text_screened / text_decided, target_type
    `mentoring_request`)."""

    event_type = "mentoring.message_submitted"
    version = 1

    request_id: str
    mentee_id: str
    agency_code: str | None
    text_version: int
    message: str
    submitted_at: datetime
