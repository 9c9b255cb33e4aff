"""Names on the broker, a publisher-confirm connection, and parking a
message in the dead letters."""
import logging
from datetime import datetime, timezone

from kombu import Connection, Exchange

log = logging.getLogger(__name__)

RPC_EXCHANGE = "nameko-rpc"
DEAD_LETTER_EXCHANGE = "dead-letters"
DEAD_LETTER_QUEUE = "dead-letters"
# Alternate exchange of every events exchange, and its queue: events no queue was bound for.
UNROUTABLE_EXCHANGE = "unroutable-events"
UNROUTABLE_QUEUE = "unroutable-events"
# Seconds to wait for the broker to confirm a publish: a broker that blocks
# (memory or disk alarm) must not hold the caller for ever.
CONFIRM_TIMEOUT_SECONDS = 10


def events_exchange(service: str, passive: bool = False) -> Exchange:
    """The topic exchange nameko uses for a service's events; `passive`: only
    checked to exist (another service's, which a service's broker user may
    not declare)."""
    return Exchange(f"{service}.events", type="topic", durable=True, passive=passive)


def requeue_exchange(service: str) -> Exchange:
    """A service's own direct exchange, each of its event queues bound to it
    by its name: where a failed event is sent back to the end of its queue
    (shared/messaging/consumer.py). Not the default exchange, which reaches
    every queue by name: a service's broker user may not write to it."""
    return Exchange(f"{service}.requeue", type="direct", durable=True)


def event_queue_name(source_service: str, event_name: str, service: str, method: str) -> str:
    """nameko's SERVICE_POOL queue name, so pre-declared queues are the ones consumed."""
    return f"evt-{source_service}-{event_name}--{service}.{method}"


def rpc_queue_name(service: str) -> str:
    """nameko's RPC queue of a service."""
    return f"rpc-{service}"


def confirming_connection(amqp_uri: str) -> Connection:
    # confirm_publish: publish() returns only once the broker has taken the message.
    return Connection(
        amqp_uri,
        transport_options={"confirm_publish": True},
        connect_timeout=CONFIRM_TIMEOUT_SECONDS,
    )


def park(amqp_uri: str, message, queue: str, error: str, traceback: str = "", attempts: int = 1) -> None:
    """Publish `message` to the dead letters with why (x-error...); the
    caller acks the original once this returns (the broker confirmed)."""
    headers = dict(message.headers or {})
    headers.update(
        {
            "x-error": error[:1000],
            "x-error-traceback": traceback[-4000:],
            "x-original-exchange": message.delivery_info.get("exchange", ""),
            "x-original-routing-key": message.delivery_info.get("routing_key", ""),
            "x-original-queue": queue,
            "x-attempts": attempts,
            "x-dead-lettered-at": datetime.now(timezone.utc).isoformat(),
        }
    )
    log.error("message dead-lettered after %d attempts", attempts, extra={"queue": queue, "error": headers["x-error"]})
    with confirming_connection(amqp_uri) as conn:
        conn.Producer().publish(
            message.body,
            exchange=DEAD_LETTER_EXCHANGE,
            routing_key=queue,
            headers=headers,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            delivery_mode=2,
            confirm_timeout=CONFIRM_TIMEOUT_SECONDS,
            retry=True,
            retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
        )
