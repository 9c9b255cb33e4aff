"""moderation: automatic screening, cases and queues, reports, sanctions,
appeals, the audit log and unanswered questions (nameko entrypoints only)."""
from nameko.timer import timer

from services.moderation import handlers, metrics
from services.moderation.config import ModerationSettings, load_rules
from services.moderation.repository import ModerationUnitOfWork
from services.moderation.screening_pool import ScreeningPool
from shared.chassis import Collaborator, Service, creates, handles, handles_batches, rpc
from shared.errors import EXPECTED_ERRORS
from shared.settings import get_settings

SETTINGS = get_settings(ModerationSettings)


def screening_pool() -> ScreeningPool:
    """Screening in worker processes, within a time budget per text (issue 12):
    a hostile text never holds this process's event loop. Short texts, whose
    screening is bounded, are screened here (issue 17)."""
    return ScreeningPool(load_rules(), SETTINGS.screening_workers, SETTINGS.screening_budget_seconds,
                         in_process_up_to=SETTINGS.screening_in_process_chars)


class ModerationService(Service):
    name = "moderation"
    unit_of_work = ModerationUnitOfWork
    member_copy = "members"  # kept from identity's events by the chassis

    # The rules file and the word list are read when the service starts (here
    # and in each worker): a bad rules file stops it at once instead of
    # screening with wrong rules.
    screener = Collaborator(screening_pool)
    # Agencies the queue gauge has a series for (set back to 0 when emptied).
    gauge_agencies = Collaborator(set)

    # ------------------------------------------------------------ HTTP-facing RPCs

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    @creates
    def report(self, data):
        return handlers.report(self.uow, self.caller, data, self.now(), self.screener.rules.thresholds.reports_to_hide)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def queue(self, params=None):
        return handlers.queue(self.uow, self.caller, params or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def decide(self, case_id, data):
        return handlers.decide(self.uow, self.caller, case_id, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    @creates
    def impose_sanction(self, data):
        return handlers.impose_sanction(self.uow, self.caller, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    @creates
    def file_appeal(self, data):
        return handlers.file_appeal(self.uow, self.caller, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def audit_log(self, params=None):
        return handlers.audit_log(self.uow, self.caller, params or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_user_data(self):
        return handlers.export_user_data(self.uow, self.caller)

    # ------------------------------------------------------------ events

    @handles_batches("posts", "post_created", before=handlers.lock_authors)
    def on_post_created(self, event):
        handlers.screen_post(self.uow, event, self.now(), self.screener)

    @handles("posts", "post_updated")
    def on_post_updated(self, event):
        handlers.screen_post(self.uow, event, self.now(), self.screener)

    @handles("posts", "comment_created")
    def on_comment_created(self, event):
        handlers.screen_comment(self.uow, event, self.now(), self.screener)

    @handles_batches("posts", "post_published")
    def on_post_published(self, event):
        handlers.post_published(self.uow, event)

    @handles("posts", "post_held")
    def on_post_held(self, event):
        handlers.held_or_rejected(self.uow, event, self.now())

    @handles("posts", "post_rejected")
    def on_post_rejected(self, event):
        handlers.held_or_rejected(self.uow, event, self.now())

    @handles("posts", "comment_held")
    def on_comment_held(self, event):
        handlers.held_or_rejected(self.uow, event, self.now())

    @handles("posts", "comment_rejected")
    def on_comment_rejected(self, event):
        handlers.held_or_rejected(self.uow, event, self.now())

    @handles("posts", "post_removed")
    def on_post_removed(self, event):
        handlers.post_removed(self.uow, event)

    @handles("posts", "comment_published")
    def on_comment_published(self, event):
        handlers.comment_published(self.uow, event)

    @handles("identity", "profile_submitted")
    def on_profile_submitted(self, event):
        handlers.screen_profile(self.uow, event, self.now(), self.screener)

    @handles("mentoring", "message_submitted")
    def on_mentoring_message_submitted(self, event):
        handlers.screen_mentoring_message(self.uow, event, self.now(), self.screener)

    @handles("events", "texts_submitted")
    def on_event_texts_submitted(self, event):
        handlers.screen_event_texts(self.uow, event, self.now(), self.screener)

    @handles("identity", "user_erased")
    def on_user_erased(self, event):
        handlers.erase_user(self.uow, event)

    # ------------------------------------------------------------ the scheduler

    @timer(interval=SETTINGS.moderation_sweep_seconds)
    def sweep(self):
        """Lift expired sanctions, flag unanswered questions, prune spam
        activity, refresh the queue gauge. Each step claims its rows with
        FOR UPDATE SKIP LOCKED and marks them in the transaction that writes
        their event: once, whatever the number of replicas."""
        at = self.now()
        handlers.lift_expired_sanctions(self.uow, at)
        handlers.flag_unanswered_questions(self.uow, at, SETTINGS.unanswered_after_hours)
        handlers.prune_activity(self.uow, at, self.screener)
        per_agency = handlers.queue_depth(self.uow)
        self.gauge_agencies.update(metrics.set_queue_depth(per_agency, self.gauge_agencies))
