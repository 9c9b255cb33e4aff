"""The data team's broker user reads the analytics stream and nothing else
(issue 12, item 8): it cannot publish an RPC to `nameko-rpc`, cannot consume
a service's `rpc-*` queue (requests may carry passwords) nor an event queue,
cannot declare or bind a queue of its own; it can read the stream."""
from urllib.parse import quote, urlsplit

import amqp
import pytest
from amqp.exceptions import AccessRefused

from services.analytics.settings import AnalyticsSettings
from shared.messaging.topology import vhost_of
from tools.datastream import reader

pytestmark = pytest.mark.integration


def data_team_connection(platform) -> amqp.Connection:
    parts = urlsplit(platform.amqp_uri)
    conn = amqp.Connection(host=f"{parts.hostname}:{parts.port or 5672}", userid=platform.data_team_amqp_user,
                           password=platform.data_team_amqp_password, virtual_host=vhost_of(platform.amqp_uri),
                           confirm_publish=True)
    conn.connect()
    return conn


def data_team_uri(platform) -> str:
    parts = urlsplit(platform.amqp_uri)
    credentials = f"{quote(platform.data_team_amqp_user, safe='')}:{quote(platform.data_team_amqp_password, safe='')}"
    return f"{parts.scheme}://{credentials}@{parts.hostname}:{parts.port or 5672}{parts.path}"


def test_the_data_team_cannot_publish_an_rpc(platform):
    with data_team_connection(platform) as conn:
        channel = conn.channel()
        request = amqp.Message(b'{"args": [], "kwargs": {}}', content_type="application/json",
                               application_headers={"nameko.caller_role": "admin"})
        with pytest.raises(AccessRefused):
            channel.basic_publish(request, exchange="nameko-rpc", routing_key="identity.health")


@pytest.mark.parametrize("queue", ["rpc-identity", "rpc-posts"])
def test_the_data_team_cannot_read_a_service_rpc_queue(platform, queue):
    with data_team_connection(platform) as conn:
        with pytest.raises(AccessRefused):
            conn.channel().basic_consume(queue, callback=lambda message: None)


def test_the_data_team_cannot_make_or_bind_a_queue_to_listen_in(platform):
    with data_team_connection(platform) as conn:
        with pytest.raises(AccessRefused):
            conn.channel().queue_declare("spy", exclusive=True, auto_delete=True)


def test_the_data_team_reads_the_stream(platform):
    queue = AnalyticsSettings().analytics_stream_queue
    # Nothing refused: the stream is read from its start to its end.
    assert isinstance(list(reader.read(data_team_uri(platform), "first", queue, idle_seconds=1)), list)
