"""notifications' use cases."""
import html
import uuid
from datetime import datetime, timedelta

from services.notifications import domain, messages, metrics
from services.notifications.emails import (
    DigestItem, digest_message_id, notification_message_id, render_digest,
    render_notification,
)
from services.notifications.models import Email, Notification
from services.notifications.settings import NotificationSettings
from shared import paging
from shared.api.notifications import NotificationQuery, PreferencesIn
from shared.caller import Caller
from shared.contracts.events import CalendarEventCancelled, RegistrationConfirmed, ReminderDue
from shared.contracts.identity import UserErased
from shared.contracts.mentoring import MentoringAccepted, MentoringDeclined, MentoringRequested, MentorshipEnded
from shared.contracts.moderation import (
    CaseDecided, QuestionUnanswered, ReportResolved, SanctionImposed, TextDecided, TextScreened,
)
from shared.contracts.notifications import NotificationCreated
from shared.contracts.posts import AnswerAccepted, CommentCreated, CommentPublished, ReactionAdded
from shared.errors import NotFound, ValidationFailed
from shared.mail import DeliveryFailed, build_message, gives_up, mail_domain
from shared.validation import parse

NOTIFICATION_NOT_FOUND = "Notification introuvable."
SINCE_LIMIT = 100

# Which texts each event makes (services/notifications/messages.py).
COMPOSERS = {
    CommentPublished: messages.comment_published,
    AnswerAccepted: messages.answer_accepted,
    ReactionAdded: messages.reaction_added,
    CaseDecided: messages.case_decided,
    TextDecided: messages.text_decided,
    TextScreened: messages.text_screened,
    ReportResolved: messages.report_resolved,
    SanctionImposed: messages.sanction_imposed,
    QuestionUnanswered: messages.question_unanswered,
    RegistrationConfirmed: messages.registration_confirmed,
    CalendarEventCancelled: messages.event_cancelled,
    ReminderDue: messages.reminder_due,
    MentoringRequested: messages.mentoring_requested,
    MentoringAccepted: messages.mentoring_accepted,
    MentoringDeclined: messages.mentoring_declined,
    MentorshipEnded: messages.mentorship_ended,
}


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


class Names:
    """Members' current names for the slots of texts (messages.render), read
    from the copy of members in one query for a page of texts."""

    def __init__(self, uow, texts=()):
        ids = {key for key in map(_uuid, messages.actors_in(*texts)) if key}
        self.rows = uow.members.get_many(ids) if ids else {}

    def __call__(self, user_id: str) -> tuple[str | None, bool]:
        row = self.rows.get(_uuid(user_id))
        if row is None:
            return None, False
        return row.display_name, row.erased_at is not None


def names_for(uow, notifications) -> Names:
    return Names(uow, [t for n in notifications for t in (n.title, n.body)])


def notification_view(n: Notification, names) -> dict:
    return {
        "id": str(n.id),
        "type": n.type,
        "title": messages.render(n.title, names),
        "body": messages.render(n.body, names),
        "link": n.link,
        "created_at": n.created_at.isoformat(),
        "read": n.read_at is not None,
    }


class ProjectionPeople:
    """messages.People over this service's own projections."""

    def __init__(self, uow):
        self.uow = uow

    def post_of_comment(self, comment_id: str) -> str | None:
        key = _uuid(comment_id)
        post_id = self.uow.comment_posts.post_of(key) if key else None
        return str(post_id) if post_id else None

    def advisors_of(self, agency_code: str) -> list[str]:
        return self.uow.members.advisors_of(agency_code)


# ---------------------------------------------------------------- projections


def remember_comment(uow, event: CommentCreated) -> None:
    uow.comment_posts.remember(uuid.UUID(event.comment_id), uuid.UUID(event.post_id))


ERASED_NAME = messages.ERASED_NAME


def erase_member(uow, event: UserErased) -> None:
    """GDPR erasure: notifications, preferences, e-mails (and the address) are
    gone. Other members' texts hold the member's id, not their name
    (messages.actor): the tombstone makes them read « Membre supprimé »."""
    user_id = uuid.UUID(event.user_id)
    uow.notifications.delete_of(user_id)
    uow.preferences.delete_of(user_id)
    uow.emails.delete_of(user_id)
    uow.digests.delete_of(user_id)
    uow.members.erase(event)


# ---------------------------------------------------------------- making notifications


def notify(uow, event, event_id: uuid.UUID, now: datetime, config: NotificationSettings) -> list[Notification]:
    """Make the notifications an event calls for, each once per (event, recipient),
    on the channels each recipient chose; records notification_created for
    in-app ones and queues e-mails in the same transaction."""
    drafts = COMPOSERS[type(event)](event, ProjectionPeople(uow))
    made = []
    for draft in drafts:
        notification = make_notification(uow, draft, event_id, now, config)
        if notification is not None:
            made.append(notification)
    return made


def make_notification(uow, draft: domain.Draft, event_id: uuid.UUID, now: datetime,
                      config: NotificationSettings) -> Notification | None:
    recipient = _uuid(draft.recipient_id)
    if recipient is None:
        return None
    member = uow.members.get(recipient)
    if member is not None and member.erased_at is not None:
        return None
    preference = uow.preferences.get(recipient)
    channels = domain.channels_for(draft.type, preference.channels if preference else None)
    if not channels.in_app and not channels.email:
        return None
    notification = uow.notifications.add(Notification(
        id=uuid.uuid4(), user_id=recipient, type=draft.type, title=draft.title, body=draft.body, link=draft.link,
        in_app=channels.in_app, source_event_id=event_id, created_at=now, read_at=None,
    ))
    if notification is None:
        return None  # this event notified this member already
    metrics.NOTIFICATIONS_MADE.labels(draft.type).inc()
    if channels.in_app:
        # The live stream shows the text as it reads now; the inbox renders it again on each read.
        names = Names(uow, (draft.title, draft.body))
        uow.record(NotificationCreated(
            notification_id=str(notification.id), user_id=draft.recipient_id, type=draft.type,
            title=messages.render(draft.title, names), body=messages.render(draft.body, names), link=draft.link,
            created_at=now,
        ))
    if channels.email and member is not None and member.email:
        rendered = render_notification(member.display_name, draft.title, draft.body, draft.link,
                                       config.app_base_url)
        uow.emails.add(Email(
            id=uuid.uuid4(), user_id=recipient, kind="notification", notification_id=notification.id,
            message_id=notification_message_id(str(notification.id), mail_domain(config.smtp_from)),
            to_address=member.email, subject=rendered.subject, text_body=rendered.text, html_body=rendered.html,
            status="pending", attempts=0, next_attempt_at=now, created_at=now,
        ))
    return notification


# ---------------------------------------------------------------- the inbox


def list_notifications(uow, caller: Caller, data: dict) -> dict:
    caller.require_user()
    query = parse(NotificationQuery, data)
    before = paging.decode(query.cursor or None, "notifications.inbox", (int,))
    user_id = uuid.UUID(caller.id)
    rows = uow.notifications.page(user_id, query.unread, before[0] if before else None, query.limit + 1)
    shown = rows[: query.limit]
    names = names_for(uow, shown)
    return {
        "items": [notification_view(n, names) for n in shown],
        "next_cursor": paging.next_cursor("notifications.inbox", rows, query.limit, lambda n: (n.seq,)),
        "unread_count": uow.notifications.unread_count(user_id),
    }


def mark_read(uow, caller: Caller, notification_id: str, now: datetime) -> None:
    caller.require_user()
    key = _uuid(notification_id)
    if key is None or not uow.notifications.mark_read(key, uuid.UUID(caller.id), now):
        raise NotFound(NOTIFICATION_NOT_FOUND)  # someone else's is as unknown as a missing one
    uow.commit()


def mark_all_read(uow, caller: Caller, now: datetime) -> None:
    caller.require_user()
    uow.notifications.mark_all_read(uuid.UUID(caller.id), now)
    uow.commit()


def list_since(uow, caller: Caller, last_id: str | None) -> list[dict]:
    """The caller's in-app notifications made after `last_id`, oldest first
    (a live stream resuming from Last-Event-ID); none when it is unknown."""
    caller.require_user()
    key = _uuid(last_id)
    last = uow.notifications.get(key) if key else None
    if last is None or str(last.user_id) != caller.id:
        return []
    rows = uow.notifications.since(last.user_id, last.seq, SINCE_LIMIT)
    names = names_for(uow, rows)
    return [notification_view(n, names) for n in rows]


# ---------------------------------------------------------------- preferences


def preferences_view(preference) -> dict:
    return {
        "channels": domain.effective_channels(preference.channels if preference else None),
        "digest": preference.digest if preference else domain.DEFAULT_DIGEST,
    }


def get_preferences(uow, caller: Caller) -> dict:
    caller.require_user()
    return preferences_view(uow.preferences.get(uuid.UUID(caller.id)))


def update_preferences(uow, caller: Caller, data: dict, now: datetime) -> dict:
    """Replace the caller's preferences; types left out take their default."""
    caller.require_user()
    choice = parse(PreferencesIn, data)
    channels = {t: c.model_dump() for t, c in choice.channels.items()}
    errors = domain.preference_errors(channels)
    if errors:
        raise ValidationFailed(errors)
    user_id = uuid.UUID(caller.id)
    uow.preferences.put(user_id, channels, choice.digest, now)
    uow.commit()
    return preferences_view(uow.preferences.get(user_id))


# ---------------------------------------------------------------- GDPR


def export_user_data(uow, caller: Caller) -> dict:
    caller.require_user()
    user_id = uuid.UUID(caller.id)
    member = uow.members.get(user_id)
    notifications = uow.notifications.all_of(user_id)
    names = names_for(uow, notifications)
    return {
        "contact": None if member is None or member.erased_at else {
            "email": member.email, "display_name": member.display_name, "role": member.role,
            "agency_code": member.agency_code,
        },
        "preferences": preferences_view(uow.preferences.get(user_id)),
        "notifications": [
            {**notification_view(n, names), "in_app": n.in_app,
             "read_at": n.read_at.isoformat() if n.read_at else None}
            for n in notifications
        ],
        "emails": [
            {"kind": e.kind, "to": e.to_address, "subject": e.subject, "status": e.status,
             "created_at": e.created_at.isoformat(), "sent_at": e.sent_at.isoformat() if e.sent_at else None}
            for e in uow.emails.of_user(user_id)
        ],
        "digests": [
            {"period": d.period, "ran_at": d.ran_at.isoformat(), "notification_count": d.notification_count}
            for d in uow.digests.of_user(user_id)
        ],
    }


# ---------------------------------------------------------------- digests


def current_periods(now: datetime, config: NotificationSettings) -> dict[str, str]:
    return {
        frequency: domain.digest_period(frequency, now, config.digest_anchor, config.digest_daily_seconds,
                                        config.digest_weekly_seconds)
        for frequency in ("daily", "weekly")
    }


def digests_due(uow, now: datetime, config: NotificationSettings) -> list[tuple[str, str, str]]:
    """(member id, frequency, period) of the digests of this period not made yet."""
    periods = current_periods(now, config)
    return [(user_id, frequency, periods[frequency])
            for user_id, frequency in uow.members.digest_candidates(periods["daily"], periods["weekly"])]


def make_digest(uow, user_id: str, frequency: str, period: str, now: datetime,
                config: NotificationSettings) -> bool:
    """One member's digest for one period, exactly once whatever the replicas:
    the run is claimed first; an e-mail is queued only when something is unread."""
    key = uuid.UUID(user_id)
    member = uow.members.get(key)
    if member is None or member.erased_at is not None or not member.email:
        return False
    last = uow.digests.last_before(key, period)
    run = uow.digests.claim(key, period, now)
    if run is None:
        return False
    start = domain.digest_window_start(last, frequency, now, config.digest_daily_seconds,
                                       config.digest_weekly_seconds)
    unread = uow.notifications.unread_between(key, start, now)
    run.notification_count = len(unread)
    if unread:
        items = [DigestItem(n.title, n.body, n.link) for n in unread[: domain.DIGEST_LIMIT]]
        rendered = render_digest(member.display_name, items, len(unread), frequency, config.app_base_url)
        uow.emails.add(Email(
            id=uuid.uuid4(), user_id=key, kind="digest", notification_id=None,
            message_id=digest_message_id(user_id, period, mail_domain(config.smtp_from)),
            to_address=member.email, subject=rendered.subject, text_body=rendered.text, html_body=rendered.html,
            status="pending", attempts=0, next_attempt_at=now, created_at=now,
        ))
    uow.commit()
    return bool(unread)


# ---------------------------------------------------------------- sending e-mails


def send_next_email(uow, transport, now: datetime, config: NotificationSettings) -> str | None:
    """Send the next due e-mail: `sent`, `retry` or `failed`; None when none is due.

    It is marked sent in the same database as it was queued; a crash between
    the server's answer and the commit sends it again with the same Message-ID."""
    email = uow.emails.next_due(now)
    if email is None:
        return None
    # The stored e-mail keeps members' slots (messages.actor); names go in as it is sent.
    names = Names(uow, (email.subject, email.text_body))
    message = build_message(config.smtp_from, email.to_address, messages.render(email.subject, names),
                            messages.render(email.text_body, names),
                            messages.render(email.html_body, names, escape=html.escape), email.message_id, now)
    email.attempts += 1
    try:
        transport.send(message)
    except Exception as error:  # the server or the network failed: try again later, or give up
        permanent = isinstance(error, DeliveryFailed) and error.permanent
        email.last_error = (error.detail if isinstance(error, DeliveryFailed) else repr(error))[:2000]
        if gives_up(permanent, email.attempts, email.created_at, now, config):
            email.status = "failed"
            uow.commit()
            metrics.EMAILS_FAILED.labels(email.kind).inc()
            return "failed"
        delay = domain.retry_delay(email.attempts, config.email_retry_base_seconds, config.email_retry_max_seconds)
        email.next_attempt_at = now + timedelta(seconds=delay)
        uow.commit()
        metrics.EMAILS_RETRIED.labels(email.kind).inc()
        return "retry"
    email.status = "sent"
    email.sent_at = now
    email.last_error = None
    uow.commit()
    metrics.EMAILS_SENT.labels(email.kind).inc()
    return "sent"


def failed_emails(uow) -> list[dict]:
    """What an operator sees of the e-mails that gave up (no address: logs and terminals are not for them)."""
    return [{"id": str(e.id), "kind": e.kind, "attempts": e.attempts, "created_at": e.created_at.isoformat(),
             "last_error": e.last_error} for e in uow.emails.failed()]


def resend_failed_emails(uow, ids: list[str] | None, now: datetime) -> int:
    """Queue failed e-mails again (all, or those of `ids`), due now, with a
    new retry window; the sender loop of any running replica sends them. How many."""
    emails = uow.emails.failed([uuid.UUID(i) for i in ids] if ids is not None else None)
    for email in emails:
        email.status = "pending"
        email.attempts = 0
        email.next_attempt_at = now
        email.created_at = now  # the retry window (EMAIL_RETRY_HOURS) counts from the new queueing
    uow.commit()
    return len(emails)
