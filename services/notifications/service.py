"""notifications: in-app inbox, e-mails, digests (nameko entrypoints only)."""
import uuid
from datetime import datetime, timezone

from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy import text

from services.notifications import handlers
from services.notifications.mailer import MailSender
from services.notifications.repository import NotificationsUnitOfWork
from services.notifications.settings import get_notification_settings
from shared.db.nameko import UnitOfWorkProvider
from shared.errors import EXPECTED_ERRORS
from shared.messaging.consumer import event_handler
from shared.messaging.rpc import CallerProvider
from shared.observability.entrypoints import EntrypointObserver

config = get_notification_settings()


def now() -> datetime:
    return datetime.now(timezone.utc)


class NotificationsService:
    name = "notifications"

    uow = UnitOfWorkProvider("notifications", NotificationsUnitOfWork)
    caller = CallerProvider()
    observer = EntrypointObserver()
    mail_sender = MailSender()

    @rpc
    def health(self):
        with self.uow() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"status": "ok"}

    # ------------------------------------------------------------ the inbox

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_notifications(self, query=None):
        with self.uow() as uow:
            return handlers.list_notifications(uow, self.caller, query or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mark_read(self, notification_id):
        with self.uow() as uow:
            handlers.mark_read(uow, self.caller, notification_id, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mark_all_read(self):
        with self.uow() as uow:
            handlers.mark_all_read(uow, self.caller, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_since(self, last_id):
        with self.uow() as uow:
            return handlers.list_since(uow, self.caller, last_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_preferences(self):
        with self.uow() as uow:
            return handlers.get_preferences(uow, self.caller)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_preferences(self, data):
        with self.uow() as uow:
            return handlers.update_preferences(uow, self.caller, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_user_data(self):
        with self.uow() as uow:
            return handlers.export_user_data(uow, self.caller)

    # ------------------------------------------------------------ digests

    @timer(interval=config.digest_check_seconds)
    def send_digests(self):
        with self.uow() as uow:
            due = handlers.digests_due(uow, now(), config)
        queued = False
        for user_id, frequency, period in due:
            with self.uow() as uow:
                queued |= handlers.make_digest(uow, user_id, frequency, period, now(), config)
        if queued:
            self.mail_sender.wake()

    # ------------------------------------------------------------ projections

    @event_handler("identity", "user_registered")
    def on_user_registered(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.remember_member(uow, event)

    @event_handler("identity", "profile_updated")
    def on_profile_updated(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.rename_member(uow, event)

    @event_handler("identity", "user_erased")
    def on_user_erased(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.erase_member(uow, event)

    @event_handler("posts", "comment_created")
    def on_comment_created(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.remember_comment(uow, event)

    # ------------------------------------------------------------ what makes notifications

    def _notify(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.notify(uow, event, uuid.UUID(str(body["event_id"])), now(), config)
        self.mail_sender.wake()

    @event_handler("posts", "comment_published")
    def on_comment_published(self, body):
        self._notify(body)

    @event_handler("posts", "answer_accepted")
    def on_answer_accepted(self, body):
        self._notify(body)

    @event_handler("posts", "reaction_added")
    def on_reaction_added(self, body):
        self._notify(body)

    @event_handler("moderation", "case_decided")
    def on_case_decided(self, body):
        self._notify(body)

    @event_handler("moderation", "report_resolved")
    def on_report_resolved(self, body):
        self._notify(body)

    @event_handler("moderation", "sanction_imposed")
    def on_sanction_imposed(self, body):
        self._notify(body)

    @event_handler("moderation", "question_unanswered")
    def on_question_unanswered(self, body):
        self._notify(body)

    @event_handler("events", "registration_confirmed")
    def on_registration_confirmed(self, body):
        self._notify(body)

    @event_handler("events", "event_cancelled")
    def on_event_cancelled(self, body):
        self._notify(body)

    @event_handler("events", "reminder_due")
    def on_reminder_due(self, body):
        self._notify(body)

    @event_handler("mentoring", "request_created")
    def on_mentoring_requested(self, body):
        self._notify(body)

    @event_handler("mentoring", "request_accepted")
    def on_mentoring_accepted(self, body):
        self._notify(body)

    @event_handler("mentoring", "request_declined")
    def on_mentoring_declined(self, body):
        self._notify(body)

    @event_handler("mentoring", "mentorship_ended")
    def on_mentorship_ended(self, body):
        self._notify(body)
