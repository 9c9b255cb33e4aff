"""The queues where messages wait for a person keep them however often they
are read. Listing the dead letters reads each message and returns it: a
quorum queue counts that as a delivery (on 3.x as on 4.x), and RabbitMQ 4.0
gives a quorum queue without a delivery limit one of 20, past which a queue
without a dead-letter exchange drops the message. So the platform sets the
limit itself, out of reach, on every RabbitMQ version."""
import uuid
from urllib.parse import quote

import pytest
from kombu import Connection, Exchange

from shared.messaging.amqp import DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, UNROUTABLE_QUEUE, confirming_connection
from shared.messaging.topology import PARKED_DELIVERY_LIMIT, management_api, vhost_of
from stack.testing import wait_for
from tools.dead_letters.operations import discard, list_parked

pytestmark = pytest.mark.integration


def effective_delivery_limit(platform, queue: str):
    vhost = quote(vhost_of(platform.amqp_uri), safe="")
    with management_api(platform.rabbitmq_management_url) as api:
        found = api.get(f"/api/queues/{vhost}/{queue}")
        found.raise_for_status()
        return (found.json().get("effective_policy_definition") or {}).get("delivery-limit")


@pytest.mark.parametrize("queue", [DEAD_LETTER_QUEUE, UNROUTABLE_QUEUE])
def test_the_parked_queues_have_a_delivery_limit_of_their_own(platform, queue):
    # Not left to the broker's default (none on 3.x, 20 on 4.x).
    assert wait_for(lambda: effective_delivery_limit(platform, queue) == PARKED_DELIVERY_LIMIT, timeout=10,
                    message=f"{queue}'s delivery limit")


def test_listing_the_dead_letters_many_times_keeps_them(platform):
    marker = f"listing-{uuid.uuid4()}"
    with confirming_connection(platform.amqp_uri) as conn:
        conn.Producer(serializer="json").publish(
            {"event_id": marker, "event_type": "posts.post_created", "version": 1, "payload": {}},
            exchange=Exchange(DEAD_LETTER_EXCHANGE, type="topic", durable=True), routing_key="posts.post_created",
            declare=[], delivery_mode=2, headers={"x-error": "parked by the test", "x-original-queue": "evt-test"})
    try:
        # More listings than RabbitMQ 4's default delivery limit.
        for _ in range(25):
            assert marker in {parked.id for parked in list_parked(platform.amqp_uri)}
        # The broker did count them: without a limit out of reach, 4.x would have dropped it.
        with Connection(platform.amqp_uri) as conn:
            channel = conn.channel()
            counts = []
            while (message := channel.basic_get(DEAD_LETTER_QUEUE, no_ack=False)) is not None:
                body = message.body.decode() if isinstance(message.body, bytes) else message.body
                if marker in body:
                    counts.append(int((message.headers or {}).get("x-delivery-count") or 0))
            channel.close()
        assert counts and counts[0] >= 20, counts
    finally:
        discard(platform.amqp_uri, [marker])
