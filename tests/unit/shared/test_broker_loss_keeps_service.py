"""A broker restart between a request and its reply, or between an event and
its ack, must not end the service: nameko ends the container on any error
raised there (the issue's notifications death on a ConnectionResetError;
posts and analytics died the same way in the chaos run of RabbitMQ stopped)."""
from unittest import mock

import pytest
from kombu.exceptions import OperationalError
from nameko.rpc import Rpc

from shared.messaging.consumer import ReliableEventHandler
from shared.messaging.rpc import PlatformRpc


@pytest.mark.parametrize("error", [OperationalError("[Errno 111] ECONNREFUSED"),
                                   ConnectionResetError(104, "Connection reset by peer")])
def test_a_reply_lost_with_the_broker_does_not_raise(error):
    entrypoint = PlatformRpc.__new__(PlatformRpc)
    entrypoint.method_name = "create_post"
    with mock.patch.object(Rpc, "handle_result", side_effect=error):
        assert entrypoint.handle_result(mock.Mock(), mock.Mock(), {"id": "p1"}, None) == ({"id": "p1"}, None)


def test_an_ack_lost_with_the_broker_does_not_raise():
    handler = ReliableEventHandler.__new__(ReliableEventHandler)
    handler.queue_consumer = mock.Mock()
    handler.queue_consumer.ack_message.side_effect = ConnectionResetError(104, "Connection reset by peer")
    handler.queue = mock.Mock()
    handler.queue.name = "evt-all--analytics.on_event"
    handler.handle_message_processed(mock.Mock())  # no exception: the event comes back, the inbox skips it
