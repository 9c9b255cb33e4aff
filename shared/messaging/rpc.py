"""RPC inside the platform: the caller's identity, the RPC entrypoint
every service uses (`from shared.chassis import rpc`), and replies without confirms.

Services do not call each other (they react to events); the gateway bounds
its calls with RPC_TIMEOUT_SECONDS (gateway/rpc_client.py).
"""
import logging
import time
from contextlib import contextmanager

from kombu import Connection
from kombu.pools import producers
from nameko import rpc as nameko_rpc
from nameko.amqp import publish as nameko_publish
from nameko.amqp.publish import Publisher
from nameko.constants import DEFAULT_TRANSPORT_OPTIONS
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc, RpcConsumer

from shared.api import context, idempotency
from shared.caller import Caller
from shared.caller_token import CallerTokenError, verifier_for
from shared.errors import EXPECTED_ERRORS, DeadlineExceeded, TemporarilyUnavailable, Unauthorized
from shared.observability import metrics
from shared.messaging.consumer import QUORUM, DecodeSafeQueueConsumer
from shared.transient import BROKER_CONNECTION_ERRORS, is_transient

log = logging.getLogger(__name__)

# What a client is told when the service's database (or broker) is briefly
# away: come back in about the time a PostgreSQL restart takes.
UNAVAILABLE_DETAIL = "Le service est momentanément indisponible. Réessayez dans quelques instants."
UNAVAILABLE_RETRY_AFTER_SECONDS = 5
PAST_DEADLINE_DETAIL = "La requête est arrivée après le délai d'attente de l'appelant ; elle n'a pas été traitée."
# Answered to an RPC whose caller context is not signed by the gateway for this service.
REFUSED_CALLER_DETAIL = "Appel refusé : l'identité de l'appelant n'est pas signée par la passerelle."


class CallerProvider(DependencyProvider):
    """`self.caller`: the identity the gateway forwarded in the context, as
    PlatformRpc verified it (an event handler or a timer has no caller)."""

    def get_dependency(self, worker_ctx):
        return Caller.from_context(worker_ctx.data)


def past_deadline(headers: dict | None, now: float) -> float | None:
    """The caller's deadline (context `deadline`, epoch seconds as text) when it has
    passed; None when there is none or it is still ahead. A malformed one is
    ignored: the call is served as without one."""
    raw = (headers or {}).get(f"nameko.{context.DEADLINE}")
    try:
        deadline = float(raw)
    except (TypeError, ValueError):
        return None
    return deadline if now > deadline else None


class IdempotencyKeyProvider(DependencyProvider):
    """`self.idempotency_key`: the client's Idempotency-Key the gateway
    forwarded in the context for a creating request, or None."""

    def get_dependency(self, worker_ctx):
        return worker_ctx.data.get(idempotency.CONTEXT_ENTRY) or None


class PlatformRpcConsumer(RpcConsumer):
    """The service's `rpc-<service>` queue: a quorum queue (so the rpc-queues
    policy's delivery-limit applies), consumed without dying on a message
    that does not decode."""

    queue_consumer = DecodeSafeQueueConsumer()

    def setup(self):
        super().setup()
        # Same arguments as the topology step declares: redeclaring must match.
        self.queue.queue_arguments = dict(QUORUM)
        # The shared RPC exchange is the deploy step's: checked, not declared
        # (the service's broker user may not declare it).
        self.queue.exchange.passive = True


class PlatformRpc(Rpc):
    """nameko's RPC entrypoint, where a transient failure (shared/transient.py)
    reaches the caller as TemporarilyUnavailable (the gateway's 503 with
    Retry-After) instead of an unexpected error (a 500)."""

    rpc_consumer = PlatformRpcConsumer()
    metric_kind = "Rpc"  # the `kind` label of entrypoint metrics, as with nameko's Rpc (dashboards, alerts)

    def __init__(self, expected_exceptions=EXPECTED_ERRORS, **kwargs):
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)

    def handle_message(self, body, message):
        if not message.properties.get("reply_to"):
            # A request nobody can be answered on (published by hand, or
            # forged): answering it raised KeyError in nameko's Responder,
            # which ends the container, so one such message in a queue killed
            # the service at every start. Dropped, with a log line.
            log.warning("RPC request without reply_to dropped", extra={"method": self.method_name})
            self.rpc_consumer.queue_consumer.ack_message(message)
            return
        deadline = past_deadline(message.headers, time.time())
        if deadline is not None:
            # The caller gave up (the gateway answered 503): doing the work now
            # would be a write nobody waits for, and its retry may race it.
            metrics.RPC_PAST_DEADLINE.labels(self.container.service_name, self.method_name).inc()
            log.warning("request refused past its caller's deadline",
                        extra={"entrypoint": self.method_name, "late_seconds": round(time.time() - deadline, 3)})
            refused = DeadlineExceeded(PAST_DEADLINE_DETAIL)
            self.handle_result(message, None, None, (DeadlineExceeded, refused, None))
            return
        super().handle_message(body, message)

    def setup(self):
        super().setup()
        from shared.settings import get_settings

        self.caller_verifier = verifier_for(self.container.service_name, get_settings().caller_public_key_path)

    def unpack_message_headers(self, message):
        """The worker context, its caller taken from the gateway's signed
        token alone (shared/caller_token.py). A request without a valid one
        is refused before any worker runs: the consumer answers Unauthorized
        and acks it (nameko's RpcConsumer.handle_message)."""
        data = super().unpack_message_headers(message)
        try:
            return self.caller_verifier.verified_context(data)
        except CallerTokenError as exc:
            log.warning("RPC refused: %s", exc, extra={"method": self.method_name})
            raise Unauthorized(REFUSED_CALLER_DETAIL) from None

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None and is_transient(exc_info[1]):
            log.warning("transient failure answered as unavailable", extra={"error": type(exc_info[1]).__name__})
            unavailable = TemporarilyUnavailable(UNAVAILABLE_DETAIL, UNAVAILABLE_RETRY_AFTER_SECONDS)
            exc_info = (TemporarilyUnavailable, unavailable, exc_info[2])
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except BROKER_CONNECTION_ERRORS as error:
            # The broker went away between the request and its reply (a
            # restart): raised here, it would end the container and the
            # service. The request stays unacked and comes back with the
            # connection; its caller's deadline answers 503, and a retry with
            # the same Idempotency-Key does nothing twice.
            log.warning("RPC reply lost with the broker connection", extra={"error": repr(error),
                                                                            "method": self.method_name})
            return result, exc_info


rpc = PlatformRpc.decorator


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
    attribute; the chassis calls this once at import), its producer found
    without a new kombu Connection each time (`pooled_producer`)."""
    nameko_rpc.Responder.publisher_cls = ReplyPublisher
    nameko_publish.get_producer = pooled_producer


# The kombu Connection objects that key the producer pools, one per set of
# connection arguments: they are never connected themselves (the pool clones
# them), they only find the pool.
_POOL_KEYS: dict[tuple, Connection] = {}


@contextmanager
def pooled_producer(amqp_uri, confirms=True, ssl=None, login_method=None, transport_options=None):
    """nameko's `get_producer`, without building a kombu Connection per
    message only to look its pool up: 60 us of each RPC reply (issue 17). The
    same pooled producers, acquired and released the same way."""
    options = dict(DEFAULT_TRANSPORT_OPTIONS if transport_options is None else transport_options)
    options["confirm_publish"] = confirms
    key = (amqp_uri, confirms, repr(ssl), login_method, repr(sorted(options.items())))
    connection = _POOL_KEYS.get(key)
    if connection is None:
        connection = _POOL_KEYS[key] = Connection(amqp_uri, transport_options=options, ssl=ssl,
                                                  login_method=login_method)
    with producers[connection].acquire(block=True) as producer:
        yield producer
