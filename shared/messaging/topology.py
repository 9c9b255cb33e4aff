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
    rpc_queue_name,
)
from shared.messaging.consumer import QUORUM, ReliableEventHandler

EVENT_QUEUE_POLICY = "event-queues"
RPC_QUEUE_POLICY = "rpc-queues"


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
    amqp_uri: str,
    management_url: str,
    redelivery_limit: int,
    subscriptions: list[Subscription],
    producers: set[str],
    rpc_services: list[str] = (),
) -> None:
    """The RPC exchange, the dead letters, each producer's events exchange,
    each subscription's quorum queue, each service's quorum RPC queue, and
    the policies of event and RPC queues. Idempotent."""
    vhost = vhost_of(amqp_uri)
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        rpc_exchange = Exchange(RPC_EXCHANGE, type="topic", durable=True)(channel)
        rpc_exchange.declare()
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
        for service in rpc_services:
            replace_classic_rpc_queue(management_url, vhost, service)
            Queue(
                rpc_queue_name(service), exchange=rpc_exchange, routing_key=f"{service}.*", durable=True,
                queue_arguments=QUORUM,
            )(channel).declare()
    put_queue_policies(management_url, vhost, redelivery_limit)


def replace_classic_rpc_queue(management_url: str, vhost: str, service: str) -> None:
    """Installations made before RPC queues were quorum queues have a classic
    `rpc-<service>`: RabbitMQ cannot change a queue's type, so it is deleted
    (when nothing consumes it: its requests' callers gave up long ago) to be
    declared again as a quorum queue. A consumed one is left for the next
    deploy step, with a warning."""
    with management_api(management_url) as api:
        found = api.get(f"/api/queues/{quote(vhost, safe='')}/{quote(rpc_queue_name(service), safe='')}")
        if found.status_code == 404:
            return
        found.raise_for_status()
        queue = found.json()
        if queue.get("type", "classic") == "quorum":
            return
        if queue.get("consumers"):
            raise RuntimeError(
                f"{rpc_queue_name(service)} is a classic queue still consumed: stop {service}, then deploy again"
            )
        api.delete(f"/api/queues/{quote(vhost, safe='')}/{quote(rpc_queue_name(service), safe='')}").raise_for_status()


def put_queue_policies(management_url: str, vhost: str, redelivery_limit: int) -> None:
    """Bounded redelivery, then the dead letters, for every event and RPC queue.

    Handlers park a failing event themselves with its error, and count only
    failures that would happen again (shared/messaging/consumer.py); this
    limit counts deliveries that never got an answer and is the backstop for
    a message that kills its consumer on every delivery.
    """
    with management_api(management_url) as api:
        for name, pattern in ((EVENT_QUEUE_POLICY, "^evt-"), (RPC_QUEUE_POLICY, "^rpc-")):
            api.put(
                f"/api/policies/{quote(vhost, safe='')}/{name}",
                json={
                    "pattern": pattern,
                    "apply-to": "queues",
                    "priority": 1,
                    "definition": {"delivery-limit": redelivery_limit, "dead-letter-exchange": DEAD_LETTER_EXCHANGE},
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
