"""RPC replies are published without publisher confirms; events keep theirs."""
import contextlib
from unittest import mock

from nameko import rpc as nameko_rpc
from nameko.amqp import publish

import shared.chassis  # noqa: F401  (every service imports it: it sets the reply publisher)
from shared.messaging.amqp import confirming_connection


def confirms_used_by_a_reply() -> bool:
    seen = {}

    @contextlib.contextmanager
    def fake_producer(amqp_uri, use_confirms, ssl, login_method, transport_options):
        seen["confirms"] = use_confirms
        yield mock.Mock()

    message = mock.Mock(properties={"content_type": "application/json", "reply_to": "r", "correlation_id": "c"})
    with mock.patch.object(publish, "get_producer", fake_producer):
        nameko_rpc.Responder("memory://", "nameko-rpc", "json", message).send_response({"ok": True}, None)
    return seen["confirms"]


def test_a_service_reply_is_published_without_confirms():
    assert confirms_used_by_a_reply() is False


def test_events_keep_publisher_confirms():
    with confirming_connection("memory://") as conn:
        assert conn.transport_options.get("confirm_publish") is True
