"""The broker users' permission regexes, as RabbitMQ matches them (a search
anchored by the pattern itself): each service's own queues and exchanges
alone (issue 12, item 8; the integration test
tests/integration/test_service_broker_users.py proves them on the broker)."""
import re

import pytest

from stack.broker_users import gateway_permissions, service_permissions
from stack.services import SERVICES
from stack.topology import all_subscriptions


def matches(pattern: str, name: str) -> bool:
    return re.search(pattern, name) is not None


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_service_configures_its_own_queues_and_exchange_alone(service):
    permissions = service_permissions(service)
    for sub in all_subscriptions():
        assert matches(permissions.configure, sub.queue) == (sub.service == service), sub.queue
        assert matches(permissions.read, sub.queue) == (sub.service == service), sub.queue
    for other in SERVICES:
        assert matches(permissions.configure, f"rpc-{other}") == (other == service)
        assert matches(permissions.read, f"rpc-{other}") == (other == service)
        assert matches(permissions.configure, f"{other}.events") == (other == service)
        assert matches(permissions.write, f"{other}.events") == (other == service)
    for shared in ("nameko-rpc", "dead-letters", "unroutable-events", "analytics.stream", "analytics.stream.v2"):
        assert not matches(permissions.configure, shared)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_service_replies_but_never_calls_and_binds_its_own_requests_alone(service):
    write, read = service_permissions(service).topics["nameko-rpc"]
    assert matches(write, "0b3c8a6e-4f7d-4e0b-9a43-2a1f0c9d8e7f")
    for other in SERVICES:
        assert not matches(write, f"{other}.health")
        assert matches(read, f"{other}.*") == (other == service)
    assert not matches(read, "#")


def test_a_service_binds_the_events_it_handles_alone():
    topics = service_permissions("posts").topics
    assert matches(topics["identity.events"][1], "user_registered")
    assert not matches(topics["identity.events"][1], "#")
    assert not matches(topics["identity.events"][1], "password_reset_requested")
    assert "events.events" not in topics and not matches(service_permissions("posts").read, "events.events")


def test_only_identity_reads_the_dead_letters_and_only_analytics_writes_the_stream():
    for service in SERVICES:
        permissions = service_permissions(service)
        assert matches(permissions.read, "dead-letters") == (service == "identity")
        assert matches(permissions.write, "analytics.stream") == (service == "analytics")


def test_the_gateway_asks_and_listens_to_its_own_queues_alone():
    permissions = gateway_permissions()
    write, read = permissions.topics["nameko-rpc"]
    assert matches(write, "identity.register") and not matches(write, "0b3c8a6e-4f7d-4e0b-9a43-2a1f0c9d8e7f")
    assert matches(read, "0b3c8a6e-4f7d-4e0b-9a43-2a1f0c9d8e7f") and not matches(read, "identity.*")
    for service in SERVICES:
        assert not matches(permissions.read, f"rpc-{service}")
        assert not matches(permissions.write, f"{service}.events")
    assert matches(permissions.configure, "rpc.reply-gateway-0b3c8a6e-4f7d-4e0b-9a43-2a1f0c9d8e7f")
    assert not matches(permissions.configure, "nameko-rpc")
    assert matches(permissions.topics["identity.events"][1], "access_revoked")
    assert not matches(permissions.topics["identity.events"][1], "user_registered")


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_service_sends_events_back_through_its_own_requeue_exchange_never_the_default_one(service):
    permissions = service_permissions(service)
    # The default exchange reaches every queue by name: another service's RPC or event queue.
    assert not matches(permissions.write, "amq.default")
    for other in SERVICES:
        assert matches(permissions.write, f"{other}.requeue") == (other == service)
        assert matches(permissions.configure, f"{other}.requeue") == (other == service)
