"""Declaring RabbitMQ topology (DESIGN.md, decision 6).

nameko publishes events without `mandatory`: an event whose consumer queue
does not exist yet is dropped. So every exchange, every consumer queue and
its binding is declared at deploy time (`stack/topology.py` lists the
platform's), before any service runs. Queues are derived from a service's
own `event_handler` entrypoints, so the topology cannot drift from the code.
"""
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx
from kombu import Connection, Exchange, Queue

from shared.messaging.amqp import (
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    RPC_EXCHANGE,
    event_queue_name,
    events_exchange,
)
from shared.messaging.consumer import QUORUM, ReliableEventHandler

EVENT_QUEUE_POLICY = "event-queues"
DEAD_LETTER_POLICY = "dead-letters-retention"


@dataclass(frozen=True)
class Subscription:
    source_service: str
    event_name: str
    service: str
    method: str
    queue_name: str | None = None  # set when one handler's queue is bound to several sources

    @property
    def queue(self) -> str:
        return self.queue_name or event_queue_name(self.source_service, self.event_name, self.service, self.method)


def subscriptions_of(service_cls) -> list[Subscription]:
    found = []
    for attr in dir(service_cls):
        for entrypoint in getattr(getattr(service_cls, attr, None), "nameko_entrypoints", ()):
            if isinstance(entrypoint, ReliableEventHandler) and hasattr(entrypoint, "bindings"):
                # One queue, several (source, routing key) bindings: analytics' AllEventsHandler.
                queue = entrypoint.queue_name_for(service_cls.name, attr)
                found.extend(Subscription(src, key, service_cls.name, attr, queue) for src, key in entrypoint.bindings)
            elif isinstance(entrypoint, ReliableEventHandler):
                found.append(Subscription(entrypoint.source_service, entrypoint.event_type, service_cls.name, attr))
    return found


def vhost_of(amqp_uri: str) -> str:
    path = urlsplit(amqp_uri).path
    return path[1:] if len(path) > 1 else "/"


def declare(
    amqp_uri: str, management_url: str, max_deliveries: int, subscriptions: list[Subscription], producers: set[str],
    dead_letter_retention_days: float | None = None,
) -> None:
    """The RPC exchange, the dead letters, each producer's events exchange and
    each subscription's quorum queue, the policy of event queues and the
    dead letters' retention."""
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        Exchange(RPC_EXCHANGE, type="topic", durable=True)(channel).declare()
        dlx = Exchange(DEAD_LETTER_EXCHANGE, type="topic", durable=True)(channel)
        dlx.declare()
        Queue(DEAD_LETTER_QUEUE, exchange=dlx, routing_key="#", durable=True, queue_arguments=QUORUM)(
            channel
        ).declare()
        for producer in sorted(producers):
            events_exchange(producer)(channel).declare()
        for sub in subscriptions:
            Queue(
                sub.queue,
                exchange=events_exchange(sub.source_service),
                routing_key=sub.event_name,
                durable=True,
                queue_arguments=QUORUM,
            )(channel).declare()
    put_event_queue_policy(management_url, vhost_of(amqp_uri), max_deliveries)
    if dead_letter_retention_days is not None:
        put_dead_letter_policy(management_url, vhost_of(amqp_uri), dead_letter_retention_days)


def put_event_queue_policy(management_url: str, vhost: str, max_deliveries: int) -> None:
    """Bounded redelivery, then the dead letters, for every event queue.

    The handler parks a failing event itself with its error; this policy is
    the backstop for a consumer that dies on every delivery.
    """
    with management_api(management_url) as api:
        api.put(
            f"/api/policies/{quote(vhost, safe='')}/{EVENT_QUEUE_POLICY}",
            json={
                "pattern": "^evt-",
                "apply-to": "queues",
                "priority": 1,
                "definition": {"delivery-limit": max_deliveries, "dead-letter-exchange": DEAD_LETTER_EXCHANGE},
            },
        ).raise_for_status()


def put_dead_letter_policy(management_url: str, vhost: str, retention_days: float,
                           queue: str = DEAD_LETTER_QUEUE, name: str = DEAD_LETTER_POLICY) -> None:
    """Parked events expire after `retention_days` (a message TTL, which
    quorum queues honour since RabbitMQ 3.10): the dead letters are not an
    archive of personal data. Expired messages are dropped, not dead-lettered
    again (the queue has no dead-letter exchange)."""
    with management_api(management_url) as api:
        api.put(
            f"/api/policies/{quote(vhost, safe='')}/{name}",
            json={
                "pattern": f"^{queue}$",
                "apply-to": "queues",
                "priority": 1,
                "definition": {"message-ttl": max(1, int(retention_days * 86_400_000))},
            },
        ).raise_for_status()


def management_api(management_url: str, timeout: float = 10) -> httpx.Client:
    """An HTTP client of RabbitMQ's management API, with the URL's credentials."""
    parts = urlsplit(management_url)
    return httpx.Client(
        base_url=f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}",
        auth=(parts.username or "guest", parts.password or "guest"),
        timeout=timeout,
    )
