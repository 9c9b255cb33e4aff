"""Deploying over an installation that had analytics' first, per-event
queues, or its format 1 stream."""
from urllib.parse import quote

import pytest
from amqp.exceptions import NotFound
from kombu import Connection

from services.analytics.settings import STREAM_EXCHANGE
from services.analytics.stream_topology import LEGACY_QUEUES, RETIRED_STREAMS, declare_stream
from shared.messaging.topology import management_api, vhost_of

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


def test_the_format_1_stream_is_kept_but_no_longer_fed(platform):
    """Format 1 carried raw ids of things: after the upgrade nothing new reaches it."""
    [retired] = RETIRED_STREAMS
    with Connection(platform.amqp_uri) as conn:
        channel = conn.channel()
        channel.queue_declare(retired, durable=True, auto_delete=False, arguments={"x-queue-type": "stream"})
        channel.queue_bind(retired, STREAM_EXCHANGE, "#")
    assert bindings(platform, retired) == ["#"]

    declare_stream(platform.amqp_uri)
    declare_stream(platform.amqp_uri)

    assert exists(platform.amqp_uri, retired) and bindings(platform, retired) == []
    assert bindings(platform, "analytics.stream.v2") == ["#"]


def bindings(platform, queue: str) -> list[str]:
    vhost = quote(vhost_of(platform.amqp_uri), safe="")
    with management_api(platform.rabbitmq_management_url) as api:
        return [b["routing_key"] for b in api.get(f"/api/bindings/{vhost}/e/{STREAM_EXCHANGE}/q/{queue}").json()]
