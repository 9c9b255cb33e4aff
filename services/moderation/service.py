"""moderation: automatic screening and cases for people to decide (nameko entrypoints only)."""
from datetime import datetime, timezone

from nameko.rpc import rpc
from sqlalchemy import text

from services.moderation import handlers
from services.moderation.repository import ModerationUnitOfWork
from shared.db.nameko import UnitOfWorkProvider
from shared.messaging.consumer import event_handler
from shared.observability.entrypoints import EntrypointObserver


class ModerationService:
    name = "moderation"

    uow = UnitOfWorkProvider("moderation", ModerationUnitOfWork)
    observer = EntrypointObserver()

    @rpc
    def health(self):
        with self.uow() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"status": "ok"}

    @event_handler("posts", "post_created")
    def on_post_created(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.screen_post(uow, event, datetime.now(timezone.utc))
