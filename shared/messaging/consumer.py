"""A nameko event handler that never loses a failed event, and never parks
one for a failure that goes away by itself.

nameko 2.14 acks a failed event by default (lost) and, with
`requeue_on_error=True`, requeues it forever. This handler tells two kinds
of failure apart (shared/transient.py):

- transient (the database restarts, has too many clients, a deadlock, a
  lock timeout, the broker drops a connection): the event is kept unacked
  and handled again in this process with back-off, for as long as the
  failure lasts. It is never returned to the queue, so RabbitMQ counts no
  delivery and it is never parked;
- poison (anything else: it would fail again on the same input): the event
  goes back to the end of its queue with its count of poison attempts in
  `x-poison-attempts`, and on the last allowed one (EVENT_MAX_DELIVERIES) it
  is parked in the dead-letter exchange with the error in its headers.

The queues are quorum queues: the event-queues policy's `delivery-limit`
(EVENT_REDELIVERY_LIMIT, see topology.py) counts deliveries that never got
an answer, the backstop for an event that kills its consumer on every
delivery; a process restart returns at most a few events to their queue
each time, far below that limit.

Messages that do not even decode (bad JSON, a content type nameko does not
accept) are parked at once by `DecodeSafeQueueConsumer`, for event and RPC
queues alike: kombu would otherwise raise in the consumer thread and stop
the service, again on every restart.
"""
import logging
import traceback
from functools import partial

import eventlet
from nameko.events import EventHandler
from kombu import binding
from nameko.messaging import QueueConsumer

from shared import backoff
from shared.messaging.amqp import CONFIRM_TIMEOUT_SECONDS, confirming_connection, park, requeue_exchange
from shared.observability import metrics
from shared.settings import get_settings
from shared.transient import BROKER_CONNECTION_ERRORS, is_transient

log = logging.getLogger(__name__)

QUORUM = {"x-queue-type": "quorum"}
POISON_ATTEMPTS = "x-poison-attempts"
# Back-off of an event held through a transient failure: 0.2 s doubling up to this.
TRANSIENT_MOST_SECONDS = 30.0


def poison_attempts_so_far(message) -> int:
    """How many times this event failed before with a poison (not transient) error."""
    return int((message.headers or {}).get(POISON_ATTEMPTS) or 0)


class DecodeSafeQueueConsumer(QueueConsumer):
    """nameko's queue consumer, parking what does not decode instead of dying.

    One instance per service process is shared by every entrypoint that names
    this class (the platform's event handlers and RPC), as nameko shares
    extensions by class."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self.on_decode_error, provider)
        return consumers

    def on_decode_error(self, provider, message, exc) -> None:
        queue = provider.queue.name
        try:
            park(self.amqp_uri, message, queue, f"undecodable message ({message.content_type}): "
                 f"{type(exc).__name__}: {exc}")
        except Exception:
            log.exception("dead-lettering an undecodable message failed; it goes back to its queue")
            self.requeue_message(message)
            return
        metrics.EVENTS_DEAD_LETTERED.labels(self.container.service_name, queue).inc()
        self.ack_message(message)


class ReliableEventHandler(EventHandler):
    queue_consumer = DecodeSafeQueueConsumer()

    def __init__(self, source_service, event_type, **kwargs):
        kwargs.setdefault("requeue_on_error", True)
        super().__init__(source_service, event_type, **kwargs)

    def setup(self):
        super().setup()
        # Same arguments as the topology step declares: redeclaring must match.
        self.queue.queue_arguments = dict(QUORUM)
        # Another service's exchange is checked, not declared: this service's
        # broker user may not declare it (stack/broker_users.py).
        if self.source_service != self.container.service_name and self.queue.exchange is not None:
            self.queue.exchange.passive = True
        if self.queue.exchange is not None:
            # kombu binds a queue that has bindings to those alone (its exchange
            # is then ignored): the source's exchange becomes one of them.
            self.queue.bindings = {binding(self.queue.exchange, routing_key=self.queue.routing_key),
                                   self.requeue_binding()}
            self.queue.exchange = None
        self._stopping = False

    def requeue_binding(self, queue: str | None = None) -> binding:
        """The queue's binding to its service's requeue exchange, by its name."""
        return binding(requeue_exchange(self.container.service_name), routing_key=queue or self.queue.name)

    def stop(self):
        self._stopping = True
        super().stop()

    def ack(self, message) -> bool:
        """Ack a handled event; False when the broker connection is gone:
        the event comes back once the broker is there again and the inbox
        makes it a no-op. Raised here, it would end the container and the
        service."""
        try:
            self.queue_consumer.ack_message(message)
        except BROKER_CONNECTION_ERRORS as error:
            log.warning("ack lost with the broker connection; the event will be delivered again",
                        extra={"error": repr(error), "queue": self.queue.name})
            return False
        return True

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.ack(message)
            return
        service = self.container.service_name
        metrics.EVENTS_RETRIED.labels(service, self.queue.name).inc()
        if is_transient(exc_info[1]):
            self._hold(message, exc_info[1])
            return
        attempts = poison_attempts_so_far(message) + 1
        if attempts < get_settings().event_max_deliveries:
            eventlet.sleep(backoff.delay(attempts, first=0.2, most=2.0))
            self._send_back(message, attempts)
            return
        exc_type, exc, tb = exc_info
        try:
            park(
                self.container.config["AMQP_URI"], message, self.queue.name, f"{exc_type.__name__}: {exc}",
                "".join(traceback.format_exception(exc_type, exc, tb)), attempts,
            )
        except Exception:
            log.exception("dead-lettering failed; the message goes back to its queue")
            self.queue_consumer.requeue_message(message)
            return
        metrics.EVENTS_DEAD_LETTERED.labels(service, self.queue.name).inc()
        self.queue_consumer.ack_message(message)

    def _hold(self, message, error: BaseException) -> None:
        """Handle the event again later in this process, the message unacked."""
        failures = getattr(message, "transient_failures", 0) + 1
        message.transient_failures = failures
        wait = backoff.delay(failures, first=0.2, most=TRANSIENT_MOST_SECONDS)
        log.warning(
            "transient failure, the event is handled again in %.1f s", wait,
            extra={"queue": self.queue.name, "error": f"{type(error).__name__}", "failures": failures},
        )
        # Not in this worker: it would wait for a free worker while holding one.
        self.container.spawn_managed_thread(partial(self._handle_again, message, wait))

    def _handle_again(self, message, wait: float) -> None:
        eventlet.sleep(wait)
        if self._stopping:
            # Stopping: the broker gives the event to another consumer (or to
            # this service once restarted).
            self.queue_consumer.requeue_message(message)
            return
        self.handle_message(message.payload, message)

    def _send_back(self, message, attempts: int) -> None:
        """Publish a copy at the end of the queue, counting this attempt, then
        ack the original (a crash in between leaves two copies: the inbox
        makes the second one a no-op)."""
        headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-delivery")}
        headers[POISON_ATTEMPTS] = attempts
        try:
            with confirming_connection(self.container.config["AMQP_URI"]) as conn:
                conn.Producer().publish(
                    message.body,
                    exchange=requeue_exchange(self.container.service_name).name,
                    routing_key=self.queue.name,
                    headers=headers,
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    message_id=message.properties.get("message_id"),
                    delivery_mode=2,
                    confirm_timeout=CONFIRM_TIMEOUT_SECONDS,
                    retry=True,
                    retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
                )
        except Exception:
            log.exception("sending a failed event back to its queue failed; the broker returns it")
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)


event_handler = ReliableEventHandler.decorator
