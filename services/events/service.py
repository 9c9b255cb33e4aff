"""events: job fairs, workshops, information sessions and webinars;
registrations, waitlists, attendance, calendars and reminders (nameko entrypoints only)."""
from datetime import datetime, timedelta, timezone

from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy import text

from services.events import handlers
from services.events.repository import EventsUnitOfWork
from services.events.settings import get_events_settings
from shared.db.nameko import UnitOfWorkProvider
from shared.errors import EXPECTED_ERRORS
from shared.messaging.consumer import event_handler
from shared.messaging.rpc import CallerProvider
from shared.observability.entrypoints import EntrypointObserver

SETTINGS = get_events_settings()


def now() -> datetime:
    return datetime.now(timezone.utc)


class EventsService:
    name = "events"

    uow = UnitOfWorkProvider("events", EventsUnitOfWork)
    caller = CallerProvider()
    observer = EntrypointObserver()

    @rpc
    def health(self):
        with self.uow() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"status": "ok"}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_event(self, data):
        with self.uow() as uow:
            return handlers.create_event(uow, self.caller, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_events(self, query=None):
        with self.uow() as uow:
            return handlers.list_events(uow, self.caller, query or {}, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_event(self, event_id):
        with self.uow() as uow:
            return handlers.get_event(uow, self.caller, event_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def event_ics(self, event_id):
        with self.uow() as uow:
            return handlers.event_ics(uow, self.caller, event_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def cancel_event(self, event_id, data):
        with self.uow() as uow:
            return handlers.cancel_event(uow, self.caller, event_id, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def register(self, event_id):
        with self.uow() as uow:
            return handlers.register(uow, self.caller, event_id, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def unregister(self, event_id):
        with self.uow() as uow:
            handlers.unregister(uow, self.caller, event_id, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_registrations(self, event_id, query=None):
        with self.uow() as uow:
            return handlers.list_registrations(uow, self.caller, event_id, query or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def record_attendance(self, event_id, data):
        with self.uow() as uow:
            return handlers.record_attendance(uow, self.caller, event_id, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def my_events(self, query=None):
        with self.uow() as uow:
            return handlers.my_events(uow, self.caller, query or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_user_data(self):
        with self.uow() as uow:
            return handlers.export_user_data(uow, self.caller)

    @timer(interval=SETTINGS.reminder_scan_seconds)
    def send_reminders(self):
        lead = timedelta(hours=SETTINGS.reminder_lead_hours)
        while True:  # batch after batch, each its own transaction
            with self.uow() as uow:
                sent = handlers.send_due_reminders(uow, now(), lead, SETTINGS.reminder_batch_size)
            if sent < SETTINGS.reminder_batch_size:
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
