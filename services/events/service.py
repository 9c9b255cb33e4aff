"""events: job fairs, workshops, information sessions and webinars;
registrations, waitlists, attendance, calendars and reminders (nameko entrypoints only)."""
from datetime import timedelta

from nameko.timer import timer

from services.events import handlers
from services.events.repository import EventsUnitOfWork
from services.events.settings import EventsSettings
from shared.chassis import Service, creates, handles, rpc
from shared.errors import EXPECTED_ERRORS
from shared.settings import get_settings

SETTINGS = get_settings(EventsSettings)


class EventsService(Service):
    name = "events"
    unit_of_work = EventsUnitOfWork
    member_copy = "members"  # kept from identity's events by the chassis

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    @creates
    def create_event(self, data):
        return handlers.create_event(self.uow, self.caller, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_events(self, query=None):
        return handlers.list_events(self.uow, self.caller, query or {}, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_event(self, event_id):
        return handlers.get_event(self.uow, self.caller, event_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def event_ics(self, event_id):
        return handlers.event_ics(self.uow, self.caller, event_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def cancel_event(self, event_id, data):
        return handlers.cancel_event(self.uow, self.caller, event_id, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    @creates
    def register(self, event_id):
        return handlers.register(self.uow, self.caller, event_id, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def unregister(self, event_id):
        handlers.unregister(self.uow, self.caller, event_id, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_registrations(self, event_id, query=None):
        return handlers.list_registrations(self.uow, self.caller, event_id, query or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def record_attendance(self, event_id, data):
        return handlers.record_attendance(self.uow, self.caller, event_id, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def my_events(self, query=None):
        return handlers.my_events(self.uow, self.caller, query or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_user_data(self):
        return handlers.export_user_data(self.uow, self.caller)

    @timer(interval=SETTINGS.reminder_scan_seconds)
    def send_reminders(self):
        lead, batch = timedelta(hours=SETTINGS.reminder_lead_hours), SETTINGS.reminder_batch_size
        while handlers.send_due_reminders(self.uow, self.now(), lead, batch) >= batch:
            pass  # a full batch (its own transaction): there may be more

    @handles("moderation", "text_screened")
    def on_text_screened(self, event):
        handlers.texts_verdict(self.uow, event, self.now())

    @handles("moderation", "text_decided")
    def on_text_decided(self, event):
        handlers.texts_verdict(self.uow, event, self.now())

    @handles("identity", "user_erased")
    def on_user_erased(self, event):
        handlers.erase_member(self.uow, event, self.now())
