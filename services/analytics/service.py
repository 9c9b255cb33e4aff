"""analytics: facts from every event, and the pilot's figures (nameko entrypoints only)."""
from nameko.rpc import rpc
from sqlalchemy import text

from services.analytics import handlers
from services.analytics.repository import AnalyticsUnitOfWork
from shared.db.nameko import UnitOfWorkProvider
from shared.errors import EXPECTED_ERRORS
from shared.messaging.consumer import event_handler
from shared.messaging.rpc import CallerProvider
from shared.observability.entrypoints import EntrypointObserver


class AnalyticsService:
    name = "analytics"

    uow = UnitOfWorkProvider("analytics", AnalyticsUnitOfWork)
    caller = CallerProvider()
    observer = EntrypointObserver()

    @rpc
    def health(self):
        with self.uow() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"status": "ok"}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def posts_per_agency(self):
        with self.uow() as uow:
            return handlers.posts_per_agency(uow, self.caller)

    @event_handler("posts", "post_created")
    def on_post_created(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.record_post_created(uow, event)

    @event_handler("posts", "post_published")
    def on_post_published(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.record_post_published(uow, event)
