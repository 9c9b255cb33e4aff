"""Declaring RabbitMQ topology (DESIGN.md, decision 6).

nameko publishes events without `mandatory`: an event whose consumer queue
does not exist yet is dropped. So every exchange, every consumer queue and
its binding is declared at deploy time (`stack/topology.py` lists the
platform's, with the admin user), before any service runs, and each
service declares its own queues and exchanges again when it starts
(`declare_service`, from the chassis, as its own broker user: a broker that
lost its queues gets them back; the shared pieces and the policies are the
deploy step's). Queues are derived from a service's own
`event_handler` entrypoints, so the topology cannot drift from the code.
Every `<service>.events` exchange has an alternate exchange (a policy):
an event no queue is bound for lands in the `unroutable-events` queue
(alert UnroutableEvents) instead of being confirmed and dropped.
"""
import logging
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx
from kombu import Connection, Exchange, Queue, binding

from shared.messaging.amqp import (
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    RPC_EXCHANGE,
    UNROUTABLE_EXCHANGE,
    UNROUTABLE_QUEUE,
    event_queue_name,
    events_exchange,
    requeue_exchange,
    rpc_queue_name,
)
from shared.messaging.consumer import QUORUM, ReliableEventHandler
from shared.messaging.uris import vhost_of  # noqa: F401 (also where callers import it from)

log = logging.getLogger(__name__)

EVENT_QUEUE_POLICY = "event-queues"
DEAD_LETTER_POLICY = "dead-letters-retention"
RPC_QUEUE_POLICY = "rpc-queues"
EVENTS_EXCHANGE_POLICY = "events-exchanges"
PARKED_QUEUE_POLICY = "parked-queues"
# The delivery limit of the queues where messages wait for a person (the dead
# letters, the unroutable events): reading them (basic.get, then returned)
# counts as a delivery on RabbitMQ 4.0-4.2 quorum queues, whose limit is 20
# when none is set, and those queues have no dead-letter exchange: the 21st
# listing would drop every parked message. An explicit limit nobody reaches;
# not -1 ("none"), which only 4.x understands.
PARKED_DELIVERY_LIMIT = 1_000_000


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


def _declare_common(channel) -> Exchange:
    """What every service relies on: the RPC exchange, the dead letters and
    the unroutable events. Returns the bound RPC exchange."""
    rpc_exchange = Exchange(RPC_EXCHANGE, type="topic", durable=True)(channel)
    rpc_exchange.declare()
    dlx = Exchange(DEAD_LETTER_EXCHANGE, type="topic", durable=True)(channel)
    dlx.declare()
    Queue(DEAD_LETTER_QUEUE, exchange=dlx, routing_key="#", durable=True, queue_arguments=QUORUM)(channel).declare()
    unroutable = Exchange(UNROUTABLE_EXCHANGE, type="fanout", durable=True)(channel)
    unroutable.declare()
    Queue(UNROUTABLE_QUEUE, exchange=unroutable, durable=True, queue_arguments=QUORUM)(channel).declare()
    return rpc_exchange


def _declare_subscription(channel, sub: Subscription, passive: bool = False) -> None:
    """The queue, bound to its source's events exchange and to its service's
    requeue exchange (where a failed event goes back to the end of it)."""
    # Bindings alone (kombu ignores a queue's exchange once it has bindings).
    Queue(
        sub.queue, durable=True, queue_arguments=QUORUM,
        bindings=[binding(events_exchange(sub.source_service, passive), routing_key=sub.event_name),
                  binding(requeue_exchange(sub.service), routing_key=sub.queue)],
    )(channel).declare()


def _declare_rpc_queue(channel, rpc_exchange, management_url: str, vhost: str, service: str) -> None:
    try:
        replace_classic_rpc_queue(management_url, vhost, service)
    except httpx.HTTPError as error:  # then a classic queue, if any, makes the declaration below fail
        log.warning("topology: RPC queue type not checked (management API)", extra={"error": repr(error)})
    except ClassicQueueInUse as error:
        # The deploy goes on; the service's new version cannot consume it
        # until its old version stops (docs/operations.md, upgrading).
        log.warning("topology: %s", error)
        return
    Queue(
        rpc_queue_name(service), exchange=rpc_exchange, routing_key=f"{service}.*", durable=True,
        queue_arguments=QUORUM,
    )(channel).declare()


def declare(
    amqp_uri: str,
    management_url: str,
    redelivery_limit: int,
    subscriptions: list[Subscription],
    producers: set[str],
    rpc_services: list[str] = (),
    dead_letter_retention_days: float | None = None,
) -> None:
    """The RPC exchange, the dead letters, the unroutable events, each
    producer's events exchange, each subscription's quorum queue, each
    service's quorum RPC queue, and the policies (with the dead letters'
    retention when given). Idempotent."""
    vhost = vhost_of(amqp_uri)
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        rpc_exchange = _declare_common(channel)
        for producer in sorted(producers):
            events_exchange(producer)(channel).declare()
        for sub in subscriptions:
            _declare_subscription(channel, sub)
        for service in rpc_services:
            _declare_rpc_queue(channel, rpc_exchange, management_url, vhost, service)
    put_queue_policies(management_url, vhost, redelivery_limit)
    if dead_letter_retention_days is not None:
        put_dead_letter_policy(management_url, vhost, dead_letter_retention_days)


def declare_service(amqp_uri: str, service_cls) -> dict:
    """What one service owns, declared when it starts (idempotent): its own
    events exchange, its event queues bound to the exchanges of its
    subscriptions, its RPC queue. It connects as its own broker user
    (stack/broker_users.py), which may not declare or delete what others
    share: the RPC exchange and the other services' events exchanges are
    checked (passive declarations) and the dead letters, the unroutable
    events and the policies are the deploy step's (stack/bootstrap.py, with
    the admin user); a broker that lost them needs that step again (it lost
    the users too)."""
    subscriptions = subscriptions_of(service_cls)
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        events_exchange(service_cls.name)(channel).declare()
        for source in sorted({s.source_service for s in subscriptions} - {service_cls.name}):
            events_exchange(source, passive=True)(channel).declare()
        for sub in subscriptions:
            _declare_subscription(channel, sub, passive=sub.source_service != service_cls.name)
        Queue(
            rpc_queue_name(service_cls.name), exchange=Exchange(RPC_EXCHANGE, type="topic", durable=True, passive=True),
            routing_key=f"{service_cls.name}.*", durable=True, queue_arguments=QUORUM,
        )(channel).declare()
    return {"event_queues": len(subscriptions)}


class ClassicQueueInUse(Exception):
    pass


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
            raise ClassicQueueInUse(
                f"{rpc_queue_name(service)} is a classic queue still consumed: stop {service}, then deploy again"
            )
        api.delete(f"/api/queues/{quote(vhost, safe='')}/{quote(rpc_queue_name(service), safe='')}").raise_for_status()


def put_queue_policies(management_url: str, vhost: str, redelivery_limit: int) -> None:
    """Bounded redelivery, then the dead letters, for every event and RPC
    queue; the alternate exchange of every `<service>.events` exchange.

    Handlers park a failing event themselves with its error, and count only
    failures that would happen again (shared/messaging/consumer.py); this
    limit counts deliveries that never got an answer and is the backstop for
    a message that kills its consumer on every delivery.
    """
    # RPC queues get no dead-letter exchange: RabbitMQ would park every
    # request that expired unanswered (its caller gave up) with the events'
    # dead letters. A request that kills its consumer is dropped at the limit
    # (its caller has long stopped waiting); one that does not decode is
    # parked with its error by the consumer itself.
    # The parked queues' policy yields (priority 0) to the dead letters'
    # retention, which repeats its limit (put_dead_letter_policy).
    definitions = {
        EVENT_QUEUE_POLICY: ("^evt-", 1, {"delivery-limit": redelivery_limit,
                                          "dead-letter-exchange": DEAD_LETTER_EXCHANGE}),
        RPC_QUEUE_POLICY: ("^rpc-", 1, {"delivery-limit": redelivery_limit}),
        PARKED_QUEUE_POLICY: (f"^({DEAD_LETTER_QUEUE}|{UNROUTABLE_QUEUE})$", 0,
                              {"delivery-limit": PARKED_DELIVERY_LIMIT}),
    }
    with management_api(management_url) as api:
        for name, (pattern, priority, definition) in definitions.items():
            api.put(
                f"/api/policies/{quote(vhost, safe='')}/{name}",
                json={"pattern": pattern, "apply-to": "queues", "priority": priority, "definition": definition},
            ).raise_for_status()
        api.put(
            f"/api/policies/{quote(vhost, safe='')}/{EVENTS_EXCHANGE_POLICY}",
            json={
                "pattern": r"\.events$",
                "apply-to": "exchanges",
                "priority": 1,
                "definition": {"alternate-exchange": UNROUTABLE_EXCHANGE},
            },
        ).raise_for_status()


def put_dead_letter_policy(management_url: str, vhost: str, retention_days: float,
                           queue: str = DEAD_LETTER_QUEUE, name: str = DEAD_LETTER_POLICY) -> None:
    """Parked events expire after `retention_days` (a message TTL, which
    quorum queues honour since RabbitMQ 3.10): the dead letters are not an
    archive of personal data. Expired messages are dropped, not dead-lettered
    again (the queue has no dead-letter exchange). One policy applies to a
    queue, this one over `parked-queues` (priority 1 > 0): it carries that
    policy's delivery limit too."""
    with management_api(management_url) as api:
        api.put(
            f"/api/policies/{quote(vhost, safe='')}/{name}",
            json={
                "pattern": f"^{queue}$",
                "apply-to": "queues",
                "priority": 1,
                "definition": {"message-ttl": max(1, int(retention_days * 86_400_000)),
                               "delivery-limit": PARKED_DELIVERY_LIMIT},
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
