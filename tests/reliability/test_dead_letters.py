"""A handler that always fails ends in the dead-letter queue, with its error,
after the delivery limit, while the messages behind it still flow."""
import json

import pytest
from kombu import Connection, Queue

from shared.messaging.amqp import DEAD_LETTER_QUEUE
from stack.testing import db_connect, wait_for
from tests.reliability.test_idempotent_consumer import post_created, publish_raw

pytestmark = pytest.mark.integration


def dead_letters(amqp_uri: str) -> list:
    """Read the whole dead-letter queue, putting every message back."""
    found = []
    with Connection(amqp_uri) as conn:
        queue = Queue(DEAD_LETTER_QUEUE, channel=conn.channel(), no_declare=True)
        messages = []
        while (message := queue.get(no_ack=False)) is not None:
            messages.append(message)
        for message in messages:
            found.append((json.loads(message.body), message.headers))
            message.requeue()
    return found


def test_a_poison_event_is_parked_with_its_error_and_others_flow(platform, start_service):
    start_service("moderation")
    poison = post_created("jamais lu")
    poison["payload"].pop("title")  # breaks the contract: the handler fails on every delivery
    publish_raw(platform.amqp_uri, poison, "post_created")
    good = post_created("Un message ordinaire.")
    publish_raw(platform.amqp_uri, good, "post_created")

    def screened(target):
        with db_connect(platform, "moderation") as conn:
            return conn.execute(
                "SELECT count(*) FROM outbox WHERE event_type = 'moderation.content_screened' "
                "AND envelope->'payload'->>'target_id' = %s", (target,)
            ).fetchone()[0]

    wait_for(lambda: screened(good["payload"]["post_id"]) == 1, timeout=5, message="the next event to flow")

    def parked():
        return [
            headers for body, headers in dead_letters(platform.amqp_uri)
            if body["event_id"] == poison["event_id"]
            and headers.get("x-original-queue") == "evt-posts-post_created--moderation.on_post_created"
        ]

    headers = wait_for(parked, timeout=20, interval=0.5, message="the poison event in the dead letters")[0]
    assert headers["x-attempts"] == platform.event_max_deliveries
    assert "ValidationError" in headers["x-error"] and "title" in headers["x-error"]
    assert screened(poison["payload"]["post_id"]) == 0
