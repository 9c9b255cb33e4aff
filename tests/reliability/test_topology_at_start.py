"""Each service declares its own topology when it starts (a broker that lost
its queues gets them back), the deploy step what they share, and an event no queue is bound for is kept in
the unroutable-events queue instead of being confirmed and dropped."""
import uuid
from urllib.parse import quote

import pytest
from kombu import Connection, Queue

from shared.messaging.amqp import (
    DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, UNROUTABLE_EXCHANGE, UNROUTABLE_QUEUE, events_exchange, rpc_queue_name,
)
from shared.messaging.topology import EVENT_QUEUE_POLICY, EVENTS_EXCHANGE_POLICY, RPC_QUEUE_POLICY, management_api, vhost_of
from stack import topology
from stack.testing import wait_for
from tests.reliability.test_idempotent_consumer import publish_raw

pytestmark = pytest.mark.integration

EVENT_QUEUE = "evt-posts-post_created--moderation.on_post_created"


def test_the_deploy_step_declares_what_services_share(platform):
    """The dead letters, the unroutable events and the policies are the
    deploy step's (the services' broker users may not make them)."""
    vhost = quote(vhost_of(platform.amqp_uri), safe="")
    with management_api(platform.rabbitmq_management_url) as api:
        # A broker that lost the definitions the deploy step made.
        for queue in (DEAD_LETTER_QUEUE, UNROUTABLE_QUEUE, rpc_queue_name("mentoring")):
            api.delete(f"/api/queues/{vhost}/{queue}").raise_for_status()
        for exchange in (DEAD_LETTER_EXCHANGE, UNROUTABLE_EXCHANGE):
            api.delete(f"/api/exchanges/{vhost}/{exchange}").raise_for_status()
        for policy in (EVENT_QUEUE_POLICY, RPC_QUEUE_POLICY, EVENTS_EXCHANGE_POLICY):
            api.delete(f"/api/policies/{vhost}/{policy}").raise_for_status()
    # And an installation from before RPC queues were quorum queues.
    with Connection(platform.amqp_uri) as conn:
        Queue(rpc_queue_name("mentoring"), durable=True)(conn.channel()).declare()

    topology.declare(platform.amqp_uri, platform.rabbitmq_management_url, platform.event_redelivery_limit)

    with management_api(platform.rabbitmq_management_url) as api:
        for queue in (DEAD_LETTER_QUEUE, UNROUTABLE_QUEUE, rpc_queue_name("mentoring")):
            found = api.get(f"/api/queues/{vhost}/{queue}")
            assert found.status_code == 200 and found.json()["type"] == "quorum", queue
        bindings = api.get(f"/api/exchanges/{vhost}/{DEAD_LETTER_EXCHANGE}/bindings/source").json()
        assert [b["destination"] for b in bindings] == [DEAD_LETTER_QUEUE]
        policies = {p["name"]: p for p in api.get(f"/api/policies/{vhost}").json()}
    assert policies[EVENT_QUEUE_POLICY]["definition"]["delivery-limit"] == platform.event_redelivery_limit
    assert policies[RPC_QUEUE_POLICY]["definition"] == {"delivery-limit": platform.event_redelivery_limit}
    assert policies[EVENTS_EXCHANGE_POLICY]["definition"] == {"alternate-exchange": UNROUTABLE_EXCHANGE}


def test_a_service_declares_its_own_topology_when_it_starts(platform, start_service):
    """As its own broker user: its RPC queue and event queues, bound."""
    vhost = quote(vhost_of(platform.amqp_uri), safe="")
    with management_api(platform.rabbitmq_management_url) as api:
        for queue in (rpc_queue_name("moderation"), EVENT_QUEUE):
            api.delete(f"/api/queues/{vhost}/{queue}").raise_for_status()

    start_service("moderation")

    with management_api(platform.rabbitmq_management_url) as api:
        for queue in (rpc_queue_name("moderation"), EVENT_QUEUE):
            found = api.get(f"/api/queues/{vhost}/{queue}")
            assert found.status_code == 200 and found.json()["type"] == "quorum", queue
        bindings = api.get(f"/api/queues/{vhost}/{EVENT_QUEUE}/bindings").json()
    assert {(b["source"], b["routing_key"]) for b in bindings} >= {("posts.events", "post_created")}


def unroutable_ids(amqp_uri: str) -> set[str]:
    found = set()
    with Connection(amqp_uri) as conn:
        queue = Queue(UNROUTABLE_QUEUE, channel=conn.channel(), no_declare=True)
        messages = []
        while (message := queue.get(no_ack=False)) is not None:
            messages.append(message)
        for message in messages:
            found.add(message.payload.get("event_id"))
            message.requeue()
    return found


def test_an_event_no_queue_is_bound_for_is_kept_in_the_unroutable_queue(platform):
    # Analytics binds `#` on every producer's exchange: an events exchange
    # nobody consumes from stands for a consumer queue that is missing.
    producer = "orphan"
    with Connection(platform.amqp_uri) as conn:
        events_exchange(producer)(conn.channel()).declare()
    event_id = str(uuid.uuid4())
    envelope = {"event_id": event_id, "event_type": f"{producer}.thing_happened", "version": 1, "producer": producer,
                "occurred_at": "2026-01-01T00:00:00+00:00", "correlation_id": None, "payload": {}}
    publish_raw(platform.amqp_uri, envelope, "thing_happened", producer=producer)
    wait_for(lambda: event_id in unroutable_ids(platform.amqp_uri), timeout=10, interval=0.3,
             message="the unroutable event in its queue")
