"""The platform's RabbitMQ topology, declared at deploy time (DESIGN.md, decision 6):
every service's event queues, derived from its own `event_handler`
entrypoints, then what each service declares for itself (its
`services/<name>/bootstrap.py`)."""
from shared.contracts import ALL_EVENTS
from shared.messaging import topology
from shared.messaging.topology import Subscription, subscriptions_of
from stack.services import SERVICES, deploy_module, service_class


def all_subscriptions() -> list[Subscription]:
    return [s for name in SERVICES for s in subscriptions_of(service_class(name))]


def declare(amqp_uri: str, management_url: str, redelivery_limit: int,
            dead_letter_retention_days: float | None = None) -> dict:
    """Declare everything; returns what was declared, for the log."""
    subscriptions = all_subscriptions()
    producers = {cls.producer() for cls in ALL_EVENTS} | set(SERVICES)
    topology.declare(amqp_uri, management_url, redelivery_limit, subscriptions, producers, list(SERVICES),
                     dead_letter_retention_days)
    declared = {"event_queues": len(subscriptions)}
    for name in SERVICES:
        module = deploy_module(name)
        if module is not None and hasattr(module, "declare_broker"):
            declared.update(module.declare_broker(amqp_uri))
    return declared
