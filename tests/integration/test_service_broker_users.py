"""Each service and the gateway connect to the broker as a user of their own,
limited to their own queues and exchanges (issue 12, item 8;
stack/broker_users.py): a service's user cannot read another service's
queues nor its RPC requests, cannot call another service nor publish as
another service, cannot declare or delete what is shared; the gateway's
cannot read a service's requests nor answer as a service. The services the
tests start run under these users (stack/testing.py), so every test that
starts one proves the permissions are enough for the platform to work."""
import uuid
from urllib.parse import quote, urlsplit

import amqp
import pytest
from amqp.exceptions import AccessRefused

from shared.messaging.topology import management_api, vhost_of
from stack.testing import wait_for

pytestmark = pytest.mark.integration

A_REPLY_KEY = str(uuid.uuid4())


def connect_as(platform, name: str) -> amqp.Connection:
    parts = urlsplit(platform.amqp_uri)
    conn = amqp.Connection(host=f"{parts.hostname}:{parts.port or 5672}", userid=platform.broker_user(name),
                           password=platform.broker_password(name), virtual_host=vhost_of(platform.amqp_uri),
                           confirm_publish=True)
    conn.connect()
    return conn


def publish(channel, exchange: str, routing_key: str, headers: dict | None = None) -> None:
    message = amqp.Message(b'{"args": [], "kwargs": {}}', content_type="application/json",
                           application_headers=headers or {})
    channel.basic_publish(message, exchange=exchange, routing_key=routing_key)


@pytest.mark.parametrize("name,queue", [
    ("posts", "rpc-identity"),
    ("moderation", "rpc-posts"),
    ("gateway", "rpc-identity"),
    ("posts", "evt-identity-user_registered--moderation.on_user_registered"),
    ("analytics", "dead-letters"),
    ("posts", "analytics.stream.v2"),
])
def test_a_user_cannot_read_a_queue_of_another(platform, name, queue):
    with connect_as(platform, name) as conn:
        with pytest.raises(AccessRefused):
            conn.channel().basic_consume(queue, callback=lambda message: None)


@pytest.mark.parametrize("name,key", [("posts", "identity.*"), ("posts", "#"), ("gateway", "identity.*"),
                                      ("gateway", "#")])
def test_a_user_cannot_bind_its_own_queue_to_another_services_requests(platform, name, key):
    # Its own queue (a name its permissions let it declare), bound to listen in.
    queue = "evt-identity-spy--posts.on_spy" if name == "posts" else f"rpc.reply-gateway-{uuid.uuid4()}"
    with connect_as(platform, name) as conn:
        channel = conn.channel()
        channel.queue_declare(queue, exclusive=True, auto_delete=True)
        with pytest.raises(AccessRefused):
            channel.queue_bind(queue, "nameko-rpc", key)


def test_a_service_cannot_call_another_service(platform):
    with connect_as(platform, "posts") as conn:
        with pytest.raises(AccessRefused):
            publish(conn.channel(), "nameko-rpc", "identity.health", {"nameko.caller_role": "admin"})


def test_a_service_can_only_reply_on_the_rpc_exchange_and_the_gateway_only_ask(platform):
    with connect_as(platform, "posts") as conn:
        publish(conn.channel(), "nameko-rpc", A_REPLY_KEY)  # a reply: allowed (nobody waits for it)
    with connect_as(platform, "gateway") as conn:
        publish(conn.channel(), "nameko-rpc", "identity.health")  # a request: allowed
        with pytest.raises(AccessRefused):
            publish(conn.channel(), "nameko-rpc", A_REPLY_KEY)  # a reply, as if it were a service


@pytest.mark.parametrize("name,exchange", [("posts", "identity.events"), ("moderation", "posts.events"),
                                           ("gateway", "identity.events"), ("posts", "analytics.stream")])
def test_a_user_cannot_publish_as_another_service(platform, name, exchange):
    with connect_as(platform, name) as conn:
        with pytest.raises(AccessRefused):
            publish(conn.channel(), exchange, "user_registered")


@pytest.mark.parametrize("queue", ["rpc-identity", "evt-identity-user_registered--moderation.on_user_registered"])
def test_a_service_cannot_put_a_message_straight_into_another_queue(platform, queue):
    # Through the default exchange (every queue by its name), or through another service's requeue exchange.
    for exchange in ("", "moderation.requeue"):
        with connect_as(platform, "posts") as conn:
            with pytest.raises(AccessRefused):
                publish(conn.channel(), exchange, queue, {"nameko.caller_role": "admin"})


def test_a_service_publishes_its_own_events(platform):
    with connect_as(platform, "identity") as conn:
        # Routed nowhere (no queue binds this key): the alternate exchange keeps it.
        publish(conn.channel(), "identity.events", f"nothing_{uuid.uuid4().hex}")


@pytest.mark.parametrize("operation", ["delete", "declare"])
@pytest.mark.parametrize("exchange", ["nameko-rpc", "identity.events", "dead-letters"])
def test_a_service_cannot_declare_nor_delete_a_shared_exchange(platform, operation, exchange):
    with connect_as(platform, "posts") as conn:
        channel = conn.channel()
        with pytest.raises(AccessRefused):
            if operation == "delete":
                channel.exchange_delete(exchange)
            else:
                channel.exchange_declare(exchange, "topic", durable=True)


def test_a_service_subscribes_only_to_the_events_it_handles(platform):
    # posts handles identity's user_registered, not its password_reset_requested (or anything else).
    with connect_as(platform, "posts") as conn:
        channel = conn.channel()
        queue = "evt-identity-user_registered--posts.on_user_registered"
        channel.queue_bind(queue, "identity.events", "user_registered")
        with pytest.raises(AccessRefused):
            channel.queue_bind(queue, "identity.events", "#")


def test_running_services_and_gateway_connect_as_their_own_users(platform, start_service):
    for name in ("posts", "moderation"):
        start_service(name)
    vhost = vhost_of(platform.amqp_uri)

    def users() -> set[str]:
        with management_api(platform.rabbitmq_management_url) as api:
            found = api.get(f"/api/vhosts/{quote(vhost, safe='')}/connections").json()
        return {c["user"] for c in found}

    expected = {platform.broker_user("posts"), platform.broker_user("moderation")}
    found = wait_for(lambda: (u := users()) >= expected and u, timeout=20, interval=0.5,
                     message="the services' connections in the management API")
    admin = urlsplit(platform.amqp_uri).username
    # The services' own connections are theirs; the admin is only this test's.
    assert found - {admin} == expected, found
