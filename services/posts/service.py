"""posts: questions, discussions, testimonies, job sheets, videos (nameko entrypoints only)."""
from datetime import datetime, timezone

from nameko.rpc import rpc
from sqlalchemy import text

from services.posts import handlers
from services.posts.repository import PostsUnitOfWork
from shared.db.nameko import UnitOfWorkProvider
from shared.errors import EXPECTED_ERRORS
from shared.messaging.consumer import event_handler
from shared.messaging.rpc import CallerProvider
from shared.observability.entrypoints import EntrypointObserver


def now() -> datetime:
    return datetime.now(timezone.utc)


class PostsService:
    name = "posts"

    uow = UnitOfWorkProvider("posts", PostsUnitOfWork)
    caller = CallerProvider()
    observer = EntrypointObserver()

    @rpc
    def health(self):
        with self.uow() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"status": "ok"}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_topics(self):
        with self.uow() as uow:
            return handlers.list_topics(uow)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_post(self, data):
        with self.uow() as uow:
            return handlers.create_post(uow, self.caller, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_post(self, post_id):
        with self.uow() as uow:
            return handlers.get_post(uow, self.caller, post_id)

    @event_handler("moderation", "content_screened")
    def on_content_screened(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.apply_screening(uow, event, now())

    @event_handler("identity", "user_registered")
    def on_user_registered(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                handlers.remember_author(uow, event)
