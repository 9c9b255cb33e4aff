"""mentoring: mentor profiles, requests, matches and mentorships (nameko entrypoints only)."""
from nameko.timer import timer

from services.mentoring import handlers
from services.mentoring.repository import MentoringUnitOfWork
from services.mentoring.settings import MentoringSettings
from shared.chassis import Service, creates, handles, rpc
from shared.errors import EXPECTED_ERRORS
from shared.settings import get_settings

SETTINGS = get_settings(MentoringSettings)


class MentoringService(Service):
    name = "mentoring"
    unit_of_work = MentoringUnitOfWork
    member_copy = "members"  # kept from identity's events by the chassis

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    @creates
    def create_mentor(self, data):
        return handlers.create_mentor(self.uow, self.caller, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_mentors(self, query=None):
        return handlers.list_mentors(self.uow, self.caller, query or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    @creates
    def request_mentoring(self, data):
        return handlers.request_mentoring(self.uow, self.caller, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def accept_request(self, request_id):
        return handlers.accept_request(self.uow, self.caller, request_id, self.now(), SETTINGS.mentorship_months)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def decline_request(self, request_id):
        return handlers.decline_request(self.uow, self.caller, request_id, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def end_mentorship(self, request_id, data=None):
        return handlers.end_mentorship(self.uow, self.caller, request_id, data or {}, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_requests(self, query=None):
        return handlers.list_requests(self.uow, self.caller, query or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_user_data(self):
        return handlers.export_user_data(self.uow, self.caller)

    @timer(interval=SETTINGS.mentoring_scan_seconds)
    def complete_mentorships(self):
        batch = SETTINGS.mentoring_batch_size
        while handlers.complete_due_mentorships(self.uow, self.now(), batch) >= batch:
            pass  # a full batch (its own transaction): there may be more

    @handles("moderation", "text_screened")
    def on_text_screened(self, event):
        handlers.message_verdict(self.uow, event, self.now())

    @handles("moderation", "text_decided")
    def on_text_decided(self, event):
        handlers.message_verdict(self.uow, event, self.now())

    @handles("identity", "user_erased")
    def on_user_erased(self, event):
        handlers.erase_member(self.uow, event, self.now())
