"""A nameko event handler that never loses a failed event.

nameko 2.14 acks a failed event by default (lost) and, with
`requeue_on_error=True`, requeues it forever. This handler consumes from a
quorum queue (RabbitMQ counts deliveries in `x-delivery-count`), retries a
failing event with a short backoff, and on its last allowed delivery parks it
in the dead-letter exchange with the error in its headers, then acks it. The
queue's policy (`delivery-limit`, `dead-letter-exchange`; see topology.py)
catches what this code cannot: a process that dies on every delivery.
"""
import logging
import traceback
from datetime import datetime, timezone

import eventlet
from nameko.events import EventHandler

from shared import backoff
from shared.messaging.amqp import DEAD_LETTER_EXCHANGE, confirming_connection
from shared.observability import metrics
from shared.settings import get_settings

log = logging.getLogger(__name__)

QUORUM = {"x-queue-type": "quorum"}


def deliveries_so_far(message) -> int:
    """How many times this message was delivered before, per the quorum queue."""
    return int((message.headers or {}).get("x-delivery-count") or 0)


class ReliableEventHandler(EventHandler):
    def __init__(self, source_service, event_type, **kwargs):
        kwargs.setdefault("requeue_on_error", True)
        super().__init__(source_service, event_type, **kwargs)

    def setup(self):
        super().setup()
        # Same arguments as the topology step declares: redeclaring must match.
        self.queue.queue_arguments = dict(QUORUM)

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        attempts = deliveries_so_far(message) + 1
        max_deliveries = get_settings().event_max_deliveries
        service = self.container.service_name
        if attempts < max_deliveries:
            metrics.EVENTS_RETRIED.labels(service, self.queue.name).inc()
            eventlet.sleep(backoff.delay(attempts, first=0.2, most=2.0))
            self.queue_consumer.requeue_message(message)
            return
        try:
            self._park(message, exc_info, attempts)
        except Exception:
            log.exception("dead-lettering failed; the message goes back to its queue")
            self.queue_consumer.requeue_message(message)
            return
        metrics.EVENTS_DEAD_LETTERED.labels(service, self.queue.name).inc()
        self.queue_consumer.ack_message(message)

    def _park(self, message, exc_info, attempts: int) -> None:
        exc_type, exc, tb = exc_info
        headers = dict(message.headers or {})
        headers.update(
            {
                "x-error": f"{exc_type.__name__}: {exc}"[:1000],
                "x-error-traceback": "".join(traceback.format_exception(exc_type, exc, tb))[-4000:],
                "x-original-exchange": message.delivery_info.get("exchange", ""),
                "x-original-routing-key": message.delivery_info.get("routing_key", ""),
                "x-original-queue": self.queue.name,
                "x-attempts": attempts,
                "x-dead-lettered-at": datetime.now(timezone.utc).isoformat(),
            }
        )
        log.error(
            "event dead-lettered after %d attempts",
            attempts,
            extra={"queue": self.queue.name, "error": headers["x-error"]},
        )
        with confirming_connection(self.container.config["AMQP_URI"]) as conn:
            conn.Producer().publish(
                message.body,
                exchange=DEAD_LETTER_EXCHANGE,
                routing_key=self.queue.name,
                headers=headers,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=2,
                retry=True,
            )


event_handler = ReliableEventHandler.decorator
