"""posts: questions, discussions, testimonies, job sheets, videos, their
comments and reactions, search and feed (nameko entrypoints only)."""

from services.posts import conversation, handlers, lifecycle
from services.posts.repository import PostsUnitOfWork
from shared.chassis import Service, creates, handles, handles_batches, rpc
from shared.errors import EXPECTED_ERRORS


class PostsService(Service):
    name = "posts"
    unit_of_work = PostsUnitOfWork
    member_copy = "authors"  # kept from identity's events by the chassis
    quiet_entrypoints = frozenset({"health", "list_topics", "get_post", "list_posts", "feed", "list_comments"})

    # ------------------------------------------------------------ topics

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_topics(self):
        return handlers.list_topics(self.uow)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    @creates
    def add_topic(self, data):
        return handlers.add_topic(self.uow, self.caller, data)

    # ------------------------------------------------------------ posts

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    @creates
    def create_post(self, data):
        return handlers.create_post(self.uow, self.caller, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_post(self, post_id):
        return handlers.get_post(self.uow, self.caller, post_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def edit_post(self, post_id, data):
        return handlers.edit_post(self.uow, self.caller, post_id, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def remove_post(self, post_id):
        return handlers.remove_post(self.uow, self.caller, post_id, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_posts(self, query=None):
        return handlers.list_posts(self.uow, self.caller, query or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def feed(self, query=None):
        return handlers.feed(self.uow, self.caller, query or {})

    # ------------------------------------------------------------ conversation

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    @creates
    def add_comment(self, post_id, data):
        return conversation.add_comment(self.uow, self.caller, post_id, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_comments(self, post_id, query=None):
        return conversation.list_comments(self.uow, self.caller, post_id, query or {})

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def add_reaction(self, post_id, data):
        return conversation.add_reaction(self.uow, self.caller, post_id, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def remove_reaction(self, post_id, reaction_type):
        return conversation.remove_reaction(self.uow, self.caller, post_id, reaction_type, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def accept_answer(self, post_id, data):
        return conversation.accept_answer(self.uow, self.caller, post_id, data, self.now())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_pinned(self, post_id, pinned):
        return conversation.set_pinned(self.uow, self.caller, post_id, bool(pinned), self.now())

    # ------------------------------------------------------------ GDPR

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_user_data(self):
        return handlers.export_user_data(self.uow, self.caller)

    # ------------------------------------------------------------ events

    @handles_batches("moderation", "content_screened")
    def on_content_screened(self, event):
        lifecycle.apply_screening(self.uow, event, self.now())

    @handles("moderation", "case_decided")
    def on_case_decided(self, event):
        lifecycle.apply_decision(self.uow, event, self.now())

    @handles("moderation", "target_hidden")
    def on_target_hidden(self, event):
        lifecycle.apply_hiding(self.uow, event, self.now())

    @handles("moderation", "sanction_imposed")
    def on_sanction_imposed(self, event):
        lifecycle.remember_sanction(self.uow, event)

    @handles("moderation", "sanction_lifted")
    def on_sanction_lifted(self, event):
        lifecycle.forget_sanction(self.uow, event)

    @handles("identity", "user_erased")
    def on_user_erased(self, event):
        lifecycle.forget_member(self.uow, event, self.now())
