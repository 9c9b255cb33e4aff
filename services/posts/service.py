"""posts: questions, discussions, testimonies, job sheets, videos, their
comments and reactions, search and feed (nameko entrypoints only)."""
from datetime import datetime, timezone

from nameko.rpc import rpc
from sqlalchemy import text

from services.posts import conversation, handlers, lifecycle
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

    # ------------------------------------------------------------ topics

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_topics(self):
        with self.uow() as uow:
            return handlers.list_topics(uow)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def add_topic(self, data):
        with self.uow() as uow:
            return handlers.add_topic(uow, self.caller, data)

    # ------------------------------------------------------------ posts

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_post(self, data):
        with self.uow() as uow:
            return handlers.create_post(uow, self.caller, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_post(self, post_id):
        with self.uow() as uow:
            return handlers.get_post(uow, self.caller, post_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def edit_post(self, post_id, data):
        with self.uow() as uow:
            return handlers.edit_post(uow, self.caller, post_id, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def remove_post(self, post_id):
        with self.uow() as uow:
            return handlers.remove_post(uow, self.caller, post_id, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_posts(self, query=None):
        with self.uow() as uow:
            return handlers.list_posts(uow, self.caller, query or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def feed(self, query=None):
        with self.uow() as uow:
            return handlers.feed(uow, self.caller, query or {})

    # ------------------------------------------------------------ conversation

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def add_comment(self, post_id, data):
        with self.uow() as uow:
            return conversation.add_comment(uow, self.caller, post_id, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_comments(self, post_id, query=None):
        with self.uow() as uow:
            return conversation.list_comments(uow, self.caller, post_id, query or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def add_reaction(self, post_id, data):
        with self.uow() as uow:
            return conversation.add_reaction(uow, self.caller, post_id, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def remove_reaction(self, post_id, reaction_type):
        with self.uow() as uow:
            return conversation.remove_reaction(uow, self.caller, post_id, reaction_type, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def accept_answer(self, post_id, data):
        with self.uow() as uow:
            return conversation.accept_answer(uow, self.caller, post_id, data, now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_pinned(self, post_id, pinned):
        with self.uow() as uow:
            return conversation.set_pinned(uow, self.caller, post_id, bool(pinned), now())

    # ------------------------------------------------------------ GDPR

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_user_data(self):
        with self.uow() as uow:
            return handlers.export_user_data(uow, self.caller)

    # ------------------------------------------------------------ events

    @event_handler("moderation", "content_screened")
    def on_content_screened(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                lifecycle.apply_screening(uow, event, now())

    @event_handler("moderation", "case_decided")
    def on_case_decided(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                lifecycle.apply_decision(uow, event, now())

    @event_handler("moderation", "target_hidden")
    def on_target_hidden(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                lifecycle.apply_hiding(uow, event, now())

    @event_handler("moderation", "sanction_imposed")
    def on_sanction_imposed(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                lifecycle.remember_sanction(uow, event)

    @event_handler("moderation", "sanction_lifted")
    def on_sanction_lifted(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                lifecycle.forget_sanction(uow, event)

    @event_handler("identity", "user_registered")
    def on_user_registered(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                lifecycle.remember_author(uow, event)

    @event_handler("identity", "profile_updated")
    def on_profile_updated(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                lifecycle.remember_profile(uow, event)

    @event_handler("identity", "user_erased")
    def on_user_erased(self, body):
        with self.uow.for_event(body) as (uow, event):
            if event is not None:
                lifecycle.forget_member(uow, event, now())
