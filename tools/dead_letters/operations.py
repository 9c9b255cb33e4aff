"""The dead-letter queue on the broker: read it, send a message back to the
queue it came from, or drop it.

Messages are read with basic.get and left unacknowledged on one channel while
the command runs: nobody else sees them meanwhile, and whatever the command
does not act on goes back to the queue when the channel closes (also on a
crash). A requeue is published with publisher confirms and only then is the
parked copy acknowledged: at worst the event is handled twice, which inboxes
make harmless; it is never lost.
"""
import logging
from contextlib import contextmanager
from datetime import datetime, timezone

from amqp.exceptions import NotFound
from kombu import Connection, Queue

from shared.messaging.amqp import DEAD_LETTER_QUEUE, confirming_connection
from tools.dead_letters.messages import Parked, describe, requeue_headers

log = logging.getLogger("tools.dead_letters")


class UnknownQueue(Exception):
    pass


@contextmanager
def parked_messages(amqp_uri: str, limit: int | None = None):
    """Yield [(Parked, kombu message)] of the dead-letter queue, oldest first;
    messages not acked by the caller go back to the queue afterwards."""
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        queue = Queue(DEAD_LETTER_QUEUE, channel=channel, no_declare=True)
        found = []
        while limit is None or len(found) < limit:
            message = queue.get(no_ack=False)
            if message is None:
                break
            parked = describe(message.body, message.headers, message.content_type, message.properties.get("message_id"))
            found.append((parked, message))
        try:
            yield found
        finally:
            for _, message in found:
                if not message.acknowledged:
                    message.requeue()


def list_parked(amqp_uri: str, limit: int | None = None) -> list[Parked]:
    with parked_messages(amqp_uri, limit) as found:
        return [parked for parked, _ in found]


def select(found, ids: list[str], everything: bool, queue: str | None):
    chosen = [(p, m) for p, m in found if (everything or p.id in ids) and (queue is None or p.original_queue == queue)]
    missing = set(ids) - {p.id for p, _ in chosen}
    return chosen, sorted(missing)


def requeue(amqp_uri: str, ids: list[str], everything: bool = False, queue: str | None = None) -> tuple[list[Parked], list[str]]:
    """Publish each chosen message to its original queue (default exchange,
    routing key = queue name, confirmed), then ack its parked copy."""
    done = []
    with parked_messages(amqp_uri) as found, confirming_connection(amqp_uri) as publisher:
        chosen, missing = select(found, ids, everything, queue)
        producer = publisher.Producer()
        checked = set()
        for parked, message in chosen:
            target = parked.original_queue
            if not target:
                raise UnknownQueue(f"{parked.id}: no x-original-queue nor x-death header, cannot tell where it came from")
            if target not in checked:
                try:
                    publisher.default_channel.queue_declare(target, passive=True)
                except NotFound:
                    raise UnknownQueue(f"{parked.id}: its queue {target} does not exist (any more)") from None
                checked.add(target)
            producer.publish(
                message.body,
                exchange="",
                routing_key=target,
                headers=requeue_headers(parked.headers, datetime.now(timezone.utc).isoformat()),
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=2,
                mandatory=True,
                retry=True,
            )
            message.ack()
            log.info("requeued a dead-lettered event", extra={"event_id": parked.id, "queue": target, "error": parked.error})
            done.append(parked)
    return done, missing


def discard(amqp_uri: str, ids: list[str], everything: bool = False, queue: str | None = None) -> tuple[list[Parked], list[str]]:
    """Ack each chosen message: it is gone, with one log line saying so."""
    done = []
    with parked_messages(amqp_uri) as found:
        chosen, missing = select(found, ids, everything, queue)
        for parked, message in chosen:
            message.ack()
            log.warning(
                "discarded a dead-lettered event",
                extra={"event_id": parked.id, "event_type": parked.event_type, "queue": parked.original_queue,
                       "error": parked.error},
            )
            done.append(parked)
    return done, missing
