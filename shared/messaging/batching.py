"""Events handled in batches: one worker and one transaction for the events
a consumer has received, instead of one of each per event.

nameko runs a worker per message: under load most of a small consumer's
CPU goes to that machinery and to each event's own transaction (BEGIN,
COMMIT, an outbox pass). `BatchedEvents`, mixed into ReliableEventHandler,
gathers the messages that arrive together (up to the consumer's prefetch,
`max_workers`) and hands them to one worker as a list (the service method
is wrapped by `shared.chassis.consumes_batches`). When that worker
succeeds, each message is acked. When it fails, nothing of the batch was
committed, and each message is handled again alone, through the
single-event path of ReliableEventHandler: a poison event then fails by
itself, is retried and parked with its error, a transient failure holds
only its own event, and the others go through. The inbox makes any event
handled twice a no-op, as with single delivery.

Measured in docs/benchmarks.md (issue 17, fifth pass).
"""
import logging
from functools import partial

import eventlet
from nameko.exceptions import ContainerBeingKilled

from shared.messaging.consumer import ReliableEventHandler

log = logging.getLogger(__name__)

MOST_PER_BATCH = 100


class BatchedEvents:
    """Mixed in before ReliableEventHandler (it calls its single-event path)."""

    def setup(self):
        super().setup()
        self._pending: list = []
        self._gathering = False

    def handle_message(self, body, message):
        if getattr(message, "alone", False):
            # A message of a batch that failed (or held since): by itself.
            super().handle_message([body], message)
            return
        self._pending.append((body, message))
        if not self._gathering:
            self._gathering = True
            self.container.spawn_managed_thread(self._dispatch, identifier=f"{type(self).__name__}.gather")

    def _dispatch(self) -> None:
        # nameko hands each message to its own green thread: one turn of the
        # hub lets the messages that came with this one join it.
        eventlet.sleep(0)
        self._gathering = False
        while self._pending:
            batch, self._pending = self._pending[:MOST_PER_BATCH], self._pending[MOST_PER_BATCH:]
            bodies = [body for body, _ in batch]
            messages = [message for _, message in batch]
            try:
                self.container.spawn_worker(self, (bodies,), {},
                                            context_data=self.unpack_message_headers(messages[0]),
                                            handle_result=partial(self._batch_done, messages))
            except ContainerBeingKilled:
                for message in messages:
                    self.queue_consumer.requeue_message(message)

    def _batch_done(self, messages, worker_ctx, result=None, exc_info=None):
        if len(messages) == 1:
            # A batch of one was that event handled alone: its outcome as is.
            return self.handle_result(messages[0], worker_ctx, result, exc_info)
        if exc_info is None:
            for message in messages:
                if not self.ack(message):
                    break  # the connection is gone: the rest come back with the broker too
            return result, exc_info
        log.warning("a batch of %d events failed; each is handled again alone", len(messages),
                    extra={"queue": self.queue.name, "error": type(exc_info[1]).__name__})
        for message in messages:
            message.alone = True
            self.handle_message(message.payload, message)
        return result, exc_info


class BatchedEventHandler(BatchedEvents, ReliableEventHandler):
    # The `kind` label of entrypoint metrics and log lines, as before batches
    # (dashboards, alerts): how events are delivered is not what they are.
    metric_kind = "ReliableEventHandler"


batched_event_handler = BatchedEventHandler.decorator
