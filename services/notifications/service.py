"""notifications: in-app inbox, e-mails, digests (nameko entrypoints only)."""
from nameko.timer import timer

from services.notifications import handlers
from services.notifications.mailer import notifications_mail_sender
from services.notifications.repository import NotificationsUnitOfWork
from services.notifications.settings import NotificationSettings
from shared.chassis import Service, handles, rpc
from shared.errors import EXPECTED_ERRORS
from shared.settings import get_settings

config = get_settings(NotificationSettings)


class NotificationsService(Service):
    name = "notifications"
    unit_of_work = NotificationsUnitOfWork
    member_copy = "members"  # kept from identity's events by the chassis

    mail_sender = notifications_mail_sender()

    # ------------------------------------------------------------ the inbox

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_notifications(self, query=None):
        return handlers.list_notifications(self.uow, self.caller, query or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mark_read(self, notification_id):
        handlers.mark_read(self.uow, self.caller, notification_id, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mark_all_read(self):
        handlers.mark_all_read(self.uow, self.caller, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_since(self, last_id):
        return handlers.list_since(self.uow, self.caller, last_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_preferences(self):
        return handlers.get_preferences(self.uow, self.caller)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_preferences(self, data):
        return handlers.update_preferences(self.uow, self.caller, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_user_data(self):
        return handlers.export_user_data(self.uow, self.caller)

    # ------------------------------------------------------------ digests

    @timer(interval=config.digest_check_seconds)
    def send_digests(self):
        queued = False
        for user_id, frequency, period in handlers.digests_due(self.uow, self.now(), config):
            queued |= handlers.make_digest(self.uow, user_id, frequency, period, self.now(), config)
        if queued:
            self.mail_sender.wake()

    # ------------------------------------------------------------ projections

    @handles("identity", "user_erased")
    def on_user_erased(self, event):
        handlers.erase_member(self.uow, event)

    @handles("posts", "comment_created")
    def on_comment_created(self, event):
        handlers.remember_comment(self.uow, event)

    # ------------------------------------------------------------ what makes notifications

    def _notify(self, event):
        handlers.notify(self.uow, event, self.uow.incoming.event_id, self.now(), config)
        self.uow.commit()  # before waking the sender, so it finds the e-mails queued
        self.mail_sender.wake()

    @handles("posts", "comment_published")
    def on_comment_published(self, event):
        self._notify(event)

    @handles("posts", "answer_accepted")
    def on_answer_accepted(self, event):
        self._notify(event)

    @handles("posts", "reaction_added")
    def on_reaction_added(self, event):
        self._notify(event)

    @handles("moderation", "case_decided")
    def on_case_decided(self, event):
        self._notify(event)

    @handles("moderation", "text_decided")
    def on_text_decided(self, event):
        self._notify(event)

    @handles("moderation", "text_screened")
    def on_text_screened(self, event):
        self._notify(event)

    @handles("moderation", "report_resolved")
    def on_report_resolved(self, event):
        self._notify(event)

    @handles("moderation", "sanction_imposed")
    def on_sanction_imposed(self, event):
        self._notify(event)

    @handles("moderation", "question_unanswered")
    def on_question_unanswered(self, event):
        self._notify(event)

    @handles("events", "registration_confirmed")
    def on_registration_confirmed(self, event):
        self._notify(event)

    @handles("events", "event_cancelled")
    def on_event_cancelled(self, event):
        self._notify(event)

    @handles("events", "reminder_due")
    def on_reminder_due(self, event):
        self._notify(event)

    @handles("mentoring", "request_created")
    def on_mentoring_requested(self, event):
        self._notify(event)

    @handles("mentoring", "request_accepted")
    def on_mentoring_accepted(self, event):
        self._notify(event)

    @handles("mentoring", "request_declined")
    def on_mentoring_declined(self, event):
        self._notify(event)

    @handles("mentoring", "mentorship_ended")
    def on_mentorship_ended(self, event):
        self._notify(event)
