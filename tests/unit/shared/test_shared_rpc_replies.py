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


def test_a_reply_finds_its_pooled_producer_without_a_new_connection_object():
    # nameko built a kombu Connection per reply only to look its pool up:
    # 60 us of every RPC (issue 17).
    from kombu import Connection

    built = []
    real_init = Connection.__init__

    def counting_init(self, *args, **kwargs):
        built.append(args[:1])
        real_init(self, *args, **kwargs)

    with mock.patch.object(Connection, "__init__", counting_init):
        with publish.get_producer("memory://", False) as first:
            pass
        built.clear()  # the pool's own first connection is made once, lazily
        for _ in range(5):
            with publish.get_producer("memory://", False) as again:
                assert again.connection.transport_options["confirm_publish"] is False
    assert built == []
    with publish.get_producer("memory://", True) as confirming:
        assert confirming.connection.transport_options["confirm_publish"] is True
    assert first is not None
