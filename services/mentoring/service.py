"""mentoring: mentor profiles, requests, matches and mentorships (nameko entrypoints only)."""
from datetime import datetime, timezone

from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy import text

from services.mentoring import handlers
from services.mentoring.repository import MentoringUnitOfWork
from services.mentoring.settings import get_mentoring_settings
from shared.db.nameko import UnitOfWorkProvider
from shared.errors import EXPECTED_ERRORS
from shared.messaging.consumer import event_handler
from shared.messaging.rpc import CallerProvider
from shared.observability.entrypoints import EntrypointObserver

SETTINGS = get_mentoring_settings()


def now() -> datetime:
    return datetime.now(timezone.utc)


class MentoringService:
    name = "mentoring"

    uow = UnitOfWorkProvider("mentoring", MentoringUnitOfWork)
    caller = CallerProvider()
    observer = EntrypointObserver()

    @rpc
    def health(self):
        with self.uow() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"status": "ok"}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_mentor(self, data):
        with self.uow() as uow:
            return handlers.create_mentor(uow, self.caller, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_mentors(self, query=None):
        with self.uow() as uow:
            return handlers.list_mentors(uow, self.caller, query or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def request_mentoring(self, data):
        with self.uow() as uow:
            return handlers.request_mentoring(uow, self.caller, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def accept_request(self, request_id):
        with self.uow() as uow:
            return handlers.accept_request(uow, self.caller, request_id, now(), SETTINGS.mentorship_months)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def decline_request(self, request_id):
        with self.uow() as uow:
            return handlers.decline_request(uow, self.caller, request_id, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def end_mentorship(self, request_id, data=None):
        with self.uow() as uow:
            return handlers.end_mentorship(uow, self.caller, request_id, data or {}, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_requests(self, query=None):
        with self.uow() as uow:
            return handlers.list_requests(uow, self.caller, query or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_user_data(self):
        with self.uow() as uow:
            return handlers.export_user_data(uow, self.caller)

    @timer(interval=SETTINGS.mentoring_scan_seconds)
    def complete_mentorships(self):
        while True:  # batch after batch, each its own transaction
            with self.uow() as uow:
                done = handlers.complete_due_mentorships(uow, now(), SETTINGS.mentoring_batch_size)
            if done < SETTINGS.mentoring_batch_size:
                return

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
                handlers.erase_member(uow, event, now())
