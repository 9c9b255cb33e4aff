"""One consumer for every event of every producer.

Analytics needs every event, and a new contract must reach it without a
code change. Instead of one quorum queue per event type (dozens of queues,
each a Raft group on the broker), it consumes from one quorum queue,
`evt-all--analytics.<method>`, bound to each producer's `<producer>.events`
exchange with the routing key `#`. It keeps everything ReliableEventHandler
gives (bounded retries, dead letters with the error); the deploy-time
topology declares the queue and its bindings from `bindings`
(stack/topology.py), so no event is published into the void.

Its events come in batches (shared/messaging/batching.py): analytics does the
same small work for every event, three per post written, and did it in a
worker and a transaction each.
"""
from kombu import Queue, binding

from shared.messaging.amqp import events_exchange
from shared.messaging.batching import BatchedEvents
from shared.messaging.consumer import QUORUM, ReliableEventHandler


class AllEventsHandler(BatchedEvents, ReliableEventHandler):
    def __init__(self, producers, **kwargs):
        # nameko wants a source and an event type; they only name things here.
        super().__init__("all", "events", **kwargs)
        self.producers = tuple(sorted(producers))

    @property
    def bindings(self) -> list[tuple[str, str]]:
        return [(producer, "#") for producer in self.producers]

    @staticmethod
    def queue_name_for(service: str, method: str) -> str:
        return f"evt-all--{service}.{method}"

    def setup(self):
        super().setup()
        name = self.queue_name_for(self.container.service_name, self.method_name)
        self.queue = Queue(
            name,
            # Other producers' exchanges are checked, not declared (its broker user may not).
            bindings=[binding(events_exchange(producer, passive=producer != self.container.service_name), routing_key=key)
                      for producer, key in self.bindings] + [self.requeue_binding(name)],
            durable=True,
            queue_arguments=dict(QUORUM),
        )


all_events_handler = AllEventsHandler.decorator
