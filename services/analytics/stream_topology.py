"""The data team's stream on the broker, declared at deploy time.

`analytics.stream` (topic exchange) → `analytics.stream.v2` (a RabbitMQ
stream queue: an append-only log that consumers replay from its start, an
offset or a point in time, with a retention age). The outbox relay publishes
stream messages to the exchange with the event type as routing key, so
declaring both before analytics runs means no message is ever dropped.
"""
import logging

from amqp.exceptions import NotFound, PreconditionFailed
from kombu import Connection, Exchange, Queue

from services.analytics.settings import STREAM_EXCHANGE, AnalyticsSettings
from shared.settings import get_settings

log = logging.getLogger(__name__)

# A busy broker may take longer than kombu's default 4 s to accept a connection.
CONNECT_TIMEOUT_SECONDS = 30


# Analytics' per-event queues from before it consumed everything from one
# queue (consumer.py); deleted once empty.
LEGACY_QUEUES = (
    "evt-posts-post_created--analytics.on_post_created",
    "evt-posts-post_published--analytics.on_post_published",
)


# Streams of earlier message formats: no longer fed (format 1 carried raw ids
# of things, docs/stream/README.md), kept for the data team to read until
# their retention ends or an operator deletes them.
RETIRED_STREAMS = ("analytics.stream.v1",)


def stream_exchange() -> Exchange:
    return Exchange(STREAM_EXCHANGE, type="topic", durable=True)


def stream_arguments(settings: AnalyticsSettings) -> dict:
    return {"x-queue-type": "stream", "x-max-age": settings.analytics_stream_max_age}


def declare_stream(amqp_uri: str, settings: AnalyticsSettings | None = None) -> str:
    """Declare the exchange, the stream queue and its binding, delete
    analytics' legacy queues and stop feeding retired streams; returns the
    stream queue's name.

    RabbitMQ refuses to redeclare a queue with other arguments: when the
    retention of an existing stream differs from the configuration, the
    stream is kept as it is and a warning says how to change it."""
    settings = settings or get_settings(AnalyticsSettings)
    name = settings.analytics_stream_queue
    with Connection(amqp_uri, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=5, interval_start=1, interval_step=2, interval_max=5)
        channel = conn.channel()
        for legacy in LEGACY_QUEUES:
            channel = _delete_if_empty(conn, channel, legacy)
        exchange = stream_exchange()(channel)
        exchange.declare()
        queue = Queue(name, exchange=exchange, routing_key="#", durable=True, queue_arguments=stream_arguments(settings))
        try:
            queue(channel).declare()
        except PreconditionFailed as error:
            log.warning(
                "the analytics stream exists with other arguments; kept as it is "
                "(to change its retention: a policy with max-age, or recreate it)",
                extra={"queue": name, "error": str(error)},
            )
            channel = conn.channel()
            channel.queue_bind(name, STREAM_EXCHANGE, "#")
        for retired in RETIRED_STREAMS:
            if retired != name:
                channel = _stop_feeding(conn, channel, retired)
    return name


def _stop_feeding(conn, channel, queue: str):
    """Unbind a retired stream from the exchange (nothing new reaches it)."""
    try:
        channel.queue_declare(queue, passive=True)
    except NotFound:
        return conn.channel()  # the failed passive declare closed the channel
    channel.queue_unbind(queue, STREAM_EXCHANGE, "#")
    log.warning("retired analytics stream no longer fed; delete it once the data team has moved to the new one",
                extra={"queue": queue})
    return channel


def _delete_if_empty(conn, channel, queue: str):
    """Quorum queues refuse `queue.delete` with `if-empty`: look first (a
    passive declare, which fails for a queue that does not exist), then delete."""
    try:
        messages = channel.queue_declare(queue, passive=True).message_count
    except NotFound:
        return conn.channel()  # the failed passive declare closed the channel
    if messages:
        log.warning("legacy analytics queue kept: it still holds events (move them to "
                    "evt-all--analytics.on_event, then delete it)", extra={"queue": queue, "messages": messages})
    else:
        channel.queue_delete(queue)
    return channel
