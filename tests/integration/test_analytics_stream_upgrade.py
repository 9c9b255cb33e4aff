"""Deploying over an installation that had analytics' first, per-event queues."""
import pytest
from amqp.exceptions import NotFound
from kombu import Connection

from services.analytics.stream_topology import LEGACY_QUEUES, declare_stream

pytestmark = pytest.mark.integration


def exists(amqp_uri: str, queue: str) -> bool:
    with Connection(amqp_uri) as conn:
        try:
            conn.channel().queue_declare(queue, passive=True)
            return True
        except NotFound:
            return False


def test_empty_legacy_quorum_queues_are_removed_and_one_holding_events_is_kept(platform):
    empty, holding = LEGACY_QUEUES[0], LEGACY_QUEUES[1]
    with Connection(platform.amqp_uri) as conn:
        channel = conn.channel()
        for queue in (empty, holding):
            channel.queue_declare(queue, durable=True, auto_delete=False, arguments={"x-queue-type": "quorum"})
        channel.basic_publish(channel.prepare_message(b"{}"), exchange="", routing_key=holding)

    declare_stream(platform.amqp_uri)
    declare_stream(platform.amqp_uri)  # a second deploy is fine too

    assert not exists(platform.amqp_uri, empty)
    assert exists(platform.amqp_uri, holding)
