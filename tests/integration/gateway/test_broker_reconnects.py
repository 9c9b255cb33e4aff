"""The gateway's broker consumers after the broker drops their connection
(issue 15): revocations published meanwhile were lost with the exclusive
queue, so the snapshot is loaded again; live notification streams would
silently miss what was published meanwhile, so they are ended (clients
resume with Last-Event-ID). The drop is real: the connection is closed
through RabbitMQ's management API."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from urllib.parse import quote

import aio_pika
import pytest

from gateway.access import AccessBlocklist, AccessEventsFollower
from gateway.notification_stream import CONNECTION_NAME, NotificationStream

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _connections(management, vhost: str, connection_name: str, wait: float = 10.0) -> list[str]:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        names = [
            c["name"] for c in management.get(f"/api/vhosts/{quote(vhost, safe='')}/connections").json()
            if c.get("client_properties", {}).get("connection_name") == connection_name
        ]
        if names:
            return names
        time.sleep(0.3)
    raise AssertionError(f"no {connection_name} connection in the management API")


async def _drop(management, vhost: str, connection_name: str) -> None:
    for name in await asyncio.to_thread(_connections, management, vhost, connection_name):
        await asyncio.to_thread(
            management.delete, f"/api/connections/{quote(name, safe='')}", headers={"X-Reason": "test: drop"}
        )


async def _eventually(predicate, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def _publish_revocation(amqp_uri: str, user_id: str) -> None:
    connection = await aio_pika.connect(amqp_uri)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange("identity.events", aio_pika.ExchangeType.TOPIC, durable=True)
        envelope = {"event_type": "identity.access_revoked", "payload": {"user_id": user_id, "until": None}}
        await exchange.publish(aio_pika.Message(json.dumps(envelope).encode()), routing_key="access_revoked")


async def test_revocations_made_while_disconnected_hold_after_the_reconnect(amqp_uri, management, vhost):
    suspended_meanwhile, restored_meanwhile = str(uuid.uuid4()), str(uuid.uuid4())
    identity = {"users": [{"user_id": restored_meanwhile, "until": None}], "sessions": []}

    async def snapshot():
        return json.loads(json.dumps(identity))

    blocklist = AccessBlocklist()
    follower = AccessEventsFollower(amqp_uri, blocklist, snapshot)
    await follower.start()
    try:
        await asyncio.wait_for(follower.ready.wait(), 15)
        assert blocklist.is_blocked(restored_meanwhile, None)
        await _publish_revocation(amqp_uri, "followed-live")
        await _eventually(lambda: blocklist.is_blocked("followed-live", None), what="a live revocation")

        await _drop(management, vhost, AccessEventsFollower.CONNECTION_NAME)
        # What identity decided while the gateway was away, known to identity only.
        identity["users"] = [{"user_id": suspended_meanwhile, "until": None},
                             {"user_id": "followed-live", "until": None}]

        await _eventually(lambda: follower.reloads == 1, what="the snapshot reloaded after the reconnect")
        assert blocklist.is_blocked(suspended_meanwhile, None)
        assert not blocklist.is_blocked(restored_meanwhile, None)
        assert blocklist.is_blocked("followed-live", None)

        # And the events after the reconnect are followed again.
        await _publish_revocation(amqp_uri, "after-reconnect")
        await _eventually(lambda: blocklist.is_blocked("after-reconnect", None), what="a revocation after reconnect")
    finally:
        await follower.close()


async def test_live_streams_end_when_the_connection_comes_back(amqp_uri, management, vhost):
    stream = NotificationStream(amqp_uri, reconnect_interval=0.5)
    assert await stream.start(wait=15)
    try:
        first, second = stream.subscribe("member-1"), stream.subscribe("member-2", session_id="s2")
        await _drop(management, vhost, CONNECTION_NAME)
        await asyncio.wait_for(asyncio.gather(first.ended.wait(), second.ended.wait()), 20)
        # A stream opened after the reconnect is served as usual.
        await _eventually(lambda: stream.is_connected, what="the stream reconnected")
        later = stream.subscribe("member-1")
        assert not later.ended.is_set()
    finally:
        await stream.close()
