"""RPC inside the platform: the caller's identity, replies without confirms.

Services do not call each other (they react to events); the gateway bounds
its calls with RPC_TIMEOUT_SECONDS (gateway/rpc_client.py).
"""
from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider

from shared.caller import Caller


class CallerProvider(DependencyProvider):
    """`self.caller`: the identity the gateway forwarded in the context."""

    def get_dependency(self, worker_ctx):
        return Caller.from_context(worker_ctx.data)


class ReplyPublisher(Publisher):
    """Publishes RPC replies without publisher confirms.

    nameko confirms every reply: a synchronous broker round trip per call
    (about 8 % of the posts process under load, issue 17). A reply needs no
    confirm: it goes to the caller's exclusive reply queue and, if the broker
    loses it, the caller's deadline answers 503 (decision 7) and an
    idempotent retry (decision 14) repeats the call. Events keep their
    confirms: they go through the outbox relay (decision 4), not this class.
    """

    use_confirms = False


def publish_replies_without_confirms() -> None:
    """Make every nameko RPC entrypoint of this process reply through
    ReplyPublisher (nameko builds a Responder per reply from this class
    attribute; the chassis calls this once at import)."""
    nameko_rpc.Responder.publisher_cls = ReplyPublisher
