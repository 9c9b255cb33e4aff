"""Broker users: one per service, one for the gateway, one for the data team.

The bootstrap (which keeps the admin user of AMQP_URI) creates them through
the management API in the platform's vhost. Each is limited to what its
process does, worked out from the topology the code declares:

- a service (`<DB_NAME_PREFIX><service>`, like its database role) declares
  and consumes its own queues (`rpc-<service>`, `evt-...--<service>.<method>`)
  and its own `<service>.events` exchange; it checks the shared exchanges
  exist (passive declarations need no permission) but may not declare or
  delete them. It writes to its own events exchange (the outbox relay), to
  the dead letters (parking), to `nameko-rpc` for replies alone (topic
  permission: a reply's routing key is the caller's reply queue id, a UUID;
  never `<service>.<method>`, so it cannot call another service) and to its
  own `<service>.requeue` exchange (an event sent back to the end of its own
  queue, shared/messaging/consumer.py); never to the default exchange, which
  reaches any queue by name. It binds its queues to `nameko-rpc` with
  `<service>.*` alone (topic permission: no other service's RPC requests)
  and to the events exchanges it subscribes to, with the event names it
  handles alone. Analytics also writes to its stream exchange; identity
  reads the dead letters (erasure).
- the gateway declares its exclusive queues (RPC replies, access
  revocations, notifications), publishes RPC requests (`<service>.<method>`
  on `nameko-rpc`, no reply keys) and binds its queues with its reply key,
  the two access events and `notification_created`.
- the data team reads the stream queues alone (no configure, no write).

Without DATA_TEAM_AMQP_PASSWORD no data team user is made. A service's or
the gateway's password comes from AMQP_PASSWORDS (development: `dev-<user>`).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from shared.messaging.amqp import (
    DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, RPC_EXCHANGE, events_exchange, requeue_exchange, rpc_queue_name,
)
from shared.messaging.topology import management_api, subscriptions_of, vhost_of
from shared.settings import Settings

log = logging.getLogger(__name__)

# Every version of the stream (analytics.stream.v2, a later v3 beside it).
STREAM_QUEUES = r"^analytics\.stream\..+$"
NOTHING = "^$"
# A reply's routing key: the caller's reply queue id (nameko's and the gateway's, a UUID).
REPLY_KEY = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# An RPC request's routing key: `<service>.<method>`.
REQUEST_KEY = r"^[a-z0-9_]+\.[a-z0-9_]+$"
GATEWAY = "gateway"


@dataclass(frozen=True)
class Permissions:
    configure: str
    write: str
    read: str
    # exchange -> (write, read) regexes on routing keys (topic exchanges).
    topics: dict[str, tuple[str, str]] = field(default_factory=dict)

    def vhost(self) -> dict[str, str]:
        return {"configure": self.configure, "write": self.write, "read": self.read}


def _one_of(names) -> str:
    return "^(?:" + "|".join(names) + ")$"


def _exact(names) -> str:
    return _one_of(re.escape(n) for n in sorted(set(names)))


def service_queues(service: str) -> list[str]:
    """Regexes of the queues `service` owns: its RPC queue and its event queues."""
    s = re.escape(service)
    return [re.escape(rpc_queue_name(service)), rf"evt-[a-z0-9_]+(?:-[a-z0-9_]+)?--{s}\.[a-z0-9_]+"]


def service_permissions(service: str, service_cls=None) -> Permissions:
    from stack.services import service_class

    subscriptions = subscriptions_of(service_cls or service_class(service))
    own_exchange = re.escape(events_exchange(service).name)
    requeue = re.escape(requeue_exchange(service).name)
    queues = service_queues(service)
    keys_by_source: dict[str, set[str]] = {}
    for sub in subscriptions:
        keys_by_source.setdefault(events_exchange(sub.source_service).name, set()).add(sub.event_name)
    write = [own_exchange, requeue, re.escape(RPC_EXCHANGE), re.escape(DEAD_LETTER_EXCHANGE), *queues]
    read = [requeue, re.escape(RPC_EXCHANGE), *(re.escape(e) for e in sorted(keys_by_source)), *queues]
    if service == "analytics":
        from services.analytics.settings import STREAM_EXCHANGE

        write.append(re.escape(STREAM_EXCHANGE))
    if service == "identity":  # erasure removes an erased member's parked events
        read.append(re.escape(DEAD_LETTER_QUEUE))
    topics = {RPC_EXCHANGE: (REPLY_KEY, "^" + re.escape(f"{service}.*") + "$")}
    for exchange, keys in keys_by_source.items():
        if exchange != events_exchange(service).name:
            topics[exchange] = (NOTHING, _exact(keys))
    return Permissions(_one_of([own_exchange, requeue, *queues]), _one_of(write), _one_of(read), topics)


def gateway_permissions() -> Permissions:
    from gateway.access import AccessEventsFollower
    from gateway.notification_stream import EXCHANGE as NOTIFICATIONS_EXCHANGE, ROUTING_KEY

    # Its exclusive queues (gateway/rpc_client.py, access.py, notification_stream.py).
    queues = [r"rpc\.reply-gateway-[0-9a-f-]+", r"gateway\.access-[0-9a-f]+", r"gateway\.notifications-[0-9a-f-]+"]
    identity_events = events_exchange("identity").name
    topics = {
        RPC_EXCHANGE: (REQUEST_KEY, REPLY_KEY),
        identity_events: (NOTHING, _exact(AccessEventsFollower.ROUTING_KEYS)),
        NOTIFICATIONS_EXCHANGE: (NOTHING, _exact([ROUTING_KEY])),
    }
    return Permissions(
        _one_of(queues),
        _one_of([re.escape(RPC_EXCHANGE), *queues]),
        _one_of([re.escape(RPC_EXCHANGE), re.escape(identity_events), re.escape(NOTIFICATIONS_EXCHANGE), *queues]),
        topics,
    )


def data_team_permissions() -> dict[str, str]:
    return {"configure": NOTHING, "write": NOTHING, "read": STREAM_QUEUES}


def _put_user(api, vhost: str, user: str, password: str, permissions: dict[str, str],
              topics: dict[str, tuple[str, str]] | None = None) -> None:
    u, v = quote(user, safe=""), quote(vhost, safe="")
    api.put(f"/api/users/{u}", json={"password": password, "tags": ""}).raise_for_status()
    # Topic permissions first: until one exists for an exchange, any routing key is allowed on it.
    for exchange, (write, read) in (topics or {}).items():
        api.put(f"/api/topic-permissions/{v}/{u}", json={"exchange": exchange, "write": write, "read": read}
                ).raise_for_status()
    api.put(f"/api/permissions/{v}/{u}", json=permissions).raise_for_status()


def ensure_platform_users(settings: Settings, services) -> list[str]:
    """Each service's user and the gateway's, with their permissions; returns the users."""
    from stack.services import service_class

    vhost = vhost_of(settings.amqp_uri)
    made = []
    with management_api(settings.rabbitmq_management_url) as api:
        for name in (*services, GATEWAY):
            permissions = gateway_permissions() if name == GATEWAY else service_permissions(name, service_class(name))
            user = settings.broker_user(name)
            _put_user(api, vhost, user, settings.broker_password(name), permissions.vhost(), permissions.topics)
            made.append(user)
    log.info("platform broker users ready", extra={"users": made, "vhost": vhost})
    return made


def check_passwords(settings: Settings, services) -> None:
    """Outside development every service and the gateway has its own broker password."""
    if settings.is_development:
        return
    missing = [name for name in (*services, GATEWAY) if not settings.amqp_passwords.get(name)]
    if missing:
        raise SystemExit(f"AMQP_PASSWORDS has no password for: {', '.join(missing)} (each process its own broker user)")


def ensure_data_team_user(settings: Settings) -> bool:
    """Create or update the user and its permissions; False when no password is set."""
    user, password = settings.data_team_amqp_user, settings.data_team_amqp_password
    if not password:
        log.info("no data team broker user: DATA_TEAM_AMQP_PASSWORD is not set")
        return False
    vhost = vhost_of(settings.amqp_uri)
    with management_api(settings.rabbitmq_management_url) as api:
        _put_user(api, vhost, user, password, data_team_permissions())
    log.info("data team broker user ready", extra={"user": user, "vhost": vhost})
    return True


def delete_user(settings: Settings, user: str) -> None:
    with management_api(settings.rabbitmq_management_url) as api:
        api.delete(f"/api/users/{quote(user, safe='')}")
