"""moderation: automatic screening, cases and queues, reports, sanctions,
appeals, the audit log and unanswered questions (nameko entrypoints only)."""
import logging
from datetime import datetime, timezone

from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy import text

from services.moderation import handlers, metrics
from services.moderation.config import settings
from services.moderation.repository import ModerationUnitOfWork
from services.moderation.screening import default_screener
from shared.db.nameko import UnitOfWorkProvider
from shared.errors import EXPECTED_ERRORS
from shared.messaging.consumer import event_handler
from shared.messaging.rpc import CallerProvider
from shared.observability.entrypoints import EntrypointObserver

log = logging.getLogger(__name__)


def now() -> datetime:
    return datetime.now(timezone.utc)


class ModerationService:
    name = "moderation"

    uow = UnitOfWorkProvider("moderation", ModerationUnitOfWork)
    caller = CallerProvider()
    observer = EntrypointObserver()

    # The rules file and the word list are read when the service starts: a bad
    # rules file stops it at once instead of screening with wrong rules.
    screener = default_screener()
    _gauge_agencies: set[str] = set()

    @rpc
    def health(self):
        with self.uow() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"status": "ok"}

    # ------------------------------------------------------------ HTTP-facing RPCs

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def report(self, data):
        with self.uow() as uow:
            return handlers.report(uow, self.caller, data, now(), self.screener.rules.thresholds.reports_to_hide)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def queue(self, params=None):
        with self.uow() as uow:
            return handlers.queue(uow, self.caller, params or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def decide(self, case_id, data):
        with self.uow() as uow:
            return handlers.decide(uow, self.caller, case_id, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def impose_sanction(self, data):
        with self.uow() as uow:
            return handlers.impose_sanction(uow, self.caller, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def file_appeal(self, data):
        with self.uow() as uow:
            return handlers.file_appeal(uow, self.caller, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def audit_log(self, params=None):
        with self.uow() as uow:
            return handlers.audit_log(uow, self.caller, params or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_user_data(self):
        with self.uow() as uow:
            return handlers.export_user_data(uow, self.caller)

    # ------------------------------------------------------------ events

    @event_handler("posts", "post_created")
    def on_post_created(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.screen_post(uow, event, now(), self.screener)

    @event_handler("posts", "post_updated")
    def on_post_updated(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.screen_post(uow, event, now(), self.screener)

    @event_handler("posts", "comment_created")
    def on_comment_created(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.screen_comment(uow, event, now(), self.screener)

    @event_handler("posts", "post_published")
    def on_post_published(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.post_published(uow, event)

    @event_handler("posts", "post_held")
    def on_post_held(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.held_or_rejected(uow, event, now())

    @event_handler("posts", "post_rejected")
    def on_post_rejected(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.held_or_rejected(uow, event, now())

    @event_handler("posts", "comment_held")
    def on_comment_held(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.held_or_rejected(uow, event, now())

    @event_handler("posts", "comment_rejected")
    def on_comment_rejected(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.held_or_rejected(uow, event, now())

    @event_handler("posts", "post_removed")
    def on_post_removed(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.post_removed(uow, event)

    @event_handler("posts", "comment_published")
    def on_comment_published(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.comment_published(uow, event)

    @event_handler("identity", "user_registered")
    def on_user_registered(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.remember_member(uow, event)

    @event_handler("identity", "user_erased")
    def on_user_erased(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.erase_user(uow, event)

    # ------------------------------------------------------------ the scheduler

    @timer(interval=settings().moderation_sweep_seconds)
    def sweep(self):
        """Lift expired sanctions, flag unanswered questions, prune spam
        activity, refresh the queue gauge. Each step claims its rows with
        FOR UPDATE SKIP LOCKED and marks them in the transaction that writes
        their event: once, whatever the number of replicas."""
        at = now()
        with self.uow() as uow:
            handlers.lift_expired_sanctions(uow, at)
        with self.uow() as uow:
            handlers.flag_unanswered_questions(uow, at, settings().unanswered_after_hours)
        with self.uow() as uow:
            handlers.prune_activity(uow, at, self.screener)
        with self.uow() as uow:
            per_agency = handlers.queue_depth(uow)
        ModerationService._gauge_agencies = metrics.set_queue_depth(per_agency, ModerationService._gauge_agencies)
