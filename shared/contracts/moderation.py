"""Events published by the moderation service."""
from datetime import datetime
from typing import Literal

from shared.contracts.envelope import EventPayload

Decision = Literal["publish", "hold", "reject"]
TargetType = Literal["post", "comment"]


class ContentScreened(EventPayload):
    """Automatic screening decided about a post or comment.

    `reasons` name the rules that fired (for example `personal_data.phone`);
    the matched text itself is never carried. `case_id` is the case a held
    or rejected target is in (the author may appeal a rejection with it).
    """

    event_type = "moderation.content_screened"
    version = 1

    target_type: TargetType
    target_id: str
    decision: Decision
    reasons: list[str]
    screened_at: datetime
    case_id: str | None = None


class CaseOpened(EventPayload):
    event_type = "moderation.case_opened"
    version = 1

    case_id: str
    target_type: TargetType
    target_id: str
    agency_code: str | None
    source: Literal["screening", "reports", "appeal"]
    reasons: list[str]
    opened_at: datetime


class CaseDecided(EventPayload):
    """A person decided a case; the target's status follows the action
    (approve → published, reject → rejected, hide → hidden)."""

    event_type = "moderation.case_decided"
    version = 1

    case_id: str
    target_type: TargetType
    target_id: str
    target_author_id: str
    agency_code: str | None
    source: Literal["screening", "reports", "appeal"]
    action: Literal["approve", "reject", "hide"]
    reason: str
    decided_by: str
    opened_at: datetime
    decided_at: datetime


class TargetHidden(EventPayload):
    """Reported by enough distinct members: hidden until a person decides."""

    event_type = "moderation.target_hidden"
    version = 1

    case_id: str
    target_type: TargetType
    target_id: str
    target_author_id: str
    agency_code: str | None
    hidden_at: datetime


class ReportResolved(EventPayload):
    """The outcome of one member's report, for that member."""

    event_type = "moderation.report_resolved"
    version = 1

    report_id: str
    reporter_id: str
    target_type: TargetType
    target_id: str
    action: Literal["approve", "reject", "hide"]
    resolved_at: datetime


class SanctionImposed(EventPayload):
    """warn, mute (no posting or commenting) or suspend (no access at all)."""

    event_type = "moderation.sanction_imposed"
    version = 1

    sanction_id: str
    user_id: str
    agency_code: str | None
    type: Literal["warn", "mute", "suspend"]
    reason: str
    expires_at: datetime | None
    imposed_by: str
    imposed_at: datetime


class SanctionLifted(EventPayload):
    """A mute or suspension ended (expired, or lifted by staff)."""

    event_type = "moderation.sanction_lifted"
    version = 1

    sanction_id: str
    user_id: str
    type: Literal["mute", "suspend"]
    lifted_at: datetime


class AppealFiled(EventPayload):
    event_type = "moderation.appeal_filed"
    version = 1

    case_id: str
    appellant_id: str
    agency_code: str | None
    filed_at: datetime


class QuestionUnanswered(EventPayload):
    """A question got no published answer in time; its agency's advisors are told, once."""

    event_type = "moderation.question_unanswered"
    version = 1

    post_id: str
    post_title: str
    author_id: str
    agency_code: str | None
    asked_at: datetime
    flagged_at: datetime


# Texts other members see that are not posts or comments: a member's public
# profile (display name and bio), a mentoring request's message, an event's
# title and description. Their owner shows a new text only once it is clean.
TextTargetType = Literal["profile", "mentoring_request", "calendar_event"]


class TextScreened(EventPayload):
    """Automatic screening of one version of a text: `clean` (show it),
    `held` (a case waits for a person) or `refused` (the rules reject it).
    `reasons` name the rules that fired, never the matched text."""

    event_type = "moderation.text_screened"
    version = 1

    target_type: TextTargetType
    target_id: str
    author_id: str
    agency_code: str | None
    text_version: int
    verdict: Literal["clean", "held", "refused"]
    reasons: list[str]
    case_id: str | None
    screened_at: datetime


class TextDecided(EventPayload):
    """A person decided about a held text: `published` (show it) or `refused`
    (never shown; its author is told)."""

    event_type = "moderation.text_decided"
    version = 1

    case_id: str
    target_type: TextTargetType
    target_id: str
    author_id: str
    agency_code: str | None
    text_version: int
    verdict: Literal["published", "refused"]
    reason: str
    decided_by: str
    opened_at: datetime
    decided_at: datetime
