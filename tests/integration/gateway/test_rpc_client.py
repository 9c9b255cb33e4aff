"""The gateway's asyncio RPC client against real RabbitMQ and real nameko."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from urllib.parse import quote

import pytest

from gateway.rpc_client import RemoteError, RpcClient, RpcTimeout, ServiceUnavailable

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@pytest.fixture
def anyio_backend():
    return "asyncio"


@asynccontextmanager
async def connected(amqp_uri: str, **options):
    client = RpcClient(amqp_uri, **options)
    assert await client.start(wait=10), "RPC client could not connect"
    try:
        yield client
    finally:
        await client.close()


async def test_result_round_trip(nameko_services):
    value = {"text": "élève", "n": 3, "items": [1, None, True]}
    async with connected(nameko_services) as client:
        reply = await client.call("echo", "echo", [value])
    assert reply["value"] == value


async def test_context_headers_reach_the_worker(nameko_services):
    context = {"correlation_id": "req-42", "caller_id": "user-1",
               "caller_role": "advisor", "caller_agency": "75001"}
    async with connected(nameko_services) as client:
        sent = time.time()
        reply = await client.call("echo", "echo", ["x"], context=context, timeout=5.0)
    # The caller's deadline rides along: a service refuses work picked up past it.
    deadline = float(reply["context"].pop("deadline"))
    assert sent + 5.0 - 0.001 <= deadline <= time.time() + 5.0
    assert reply["context"] == context
    assert reply["parent_call_id"].startswith("gateway.")


async def test_none_context_values_are_omitted(nameko_services):
    async with connected(nameko_services) as client:
        reply = await client.call(
            "echo", "echo", [1], context={"correlation_id": "req-anon", "caller_id": None}
        )
    assert reply["context"].keys() == {"correlation_id", "deadline"}


async def test_kwargs_are_passed(nameko_services):
    async with connected(nameko_services) as client:
        reply = await client.call("echo", "echo", kwargs={"value": "by name"})
    assert reply["value"] == "by name"


async def test_remote_exception_becomes_remote_error(nameko_services):
    async with connected(nameko_services) as client:
        with pytest.raises(RemoteError) as caught:
            await client.call("echo", "fail")
        with pytest.raises(RemoteError) as missing:
            await client.call("echo", "no_such_method")
    assert caught.value.exc_type == "NotFound"
    assert caught.value.exc_args == ["Introuvable."]
    assert caught.value.exc_path == "nameko_echo_service.NotFound"
    assert missing.value.exc_type == "MethodNotFound"


async def test_deadline_raises_rpc_timeout_and_late_reply_is_dropped(nameko_services):
    async with connected(nameko_services) as client:
        started = time.monotonic()
        with pytest.raises(RpcTimeout):
            await client.call("echo", "slow", [1.5], timeout=0.3)
        assert time.monotonic() - started < 1.0
        # The slow reply arrives while this call waits: it must not be confused.
        await asyncio.sleep(0.5)
        reply = await client.call("echo", "echo", ["after"], context={"correlation_id": "c2"})
        assert reply["value"] == "after"
        await asyncio.sleep(1.0)  # the late reply has come and gone
        assert (await client.call("echo", "echo", ["still fine"]))["value"] == "still fine"
        assert client._pending == {}


async def test_default_deadline_comes_from_the_client(nameko_services):
    async with connected(nameko_services, default_timeout=0.3) as client:
        started = time.monotonic()
        with pytest.raises(RpcTimeout):
            await client.call("echo", "slow", [1.0])
        assert time.monotonic() - started < 1.0


async def test_service_without_queue_is_unavailable_at_once(nameko_services):
    async with connected(nameko_services) as client:
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable):
            await client.call("nosuchservice", "anything", timeout=5.0)
        assert time.monotonic() - started < 1.0


async def test_fifty_concurrent_calls(nameko_services):
    async with connected(nameko_services) as client:
        replies = await asyncio.gather(
            *(client.call("echo", "echo", [i], context={"correlation_id": f"req-{i}"})
              for i in range(50))
        )
    assert [r["value"] for r in replies] == list(range(50))
    assert [r["context"]["correlation_id"] for r in replies] == [f"req-{i}" for i in range(50)]


async def test_not_started_client_is_unavailable(nameko_services):
    client = RpcClient(nameko_services)
    with pytest.raises(ServiceUnavailable):
        await client.call("echo", "echo", [1])


async def test_reconnects_after_the_broker_drops_the_connection(nameko_services, management, vhost):
    async with connected(nameko_services) as client:
        assert (await client.call("echo", "echo", [1]))["value"] == 1
        names = await asyncio.to_thread(_gateway_connections, management, vhost)
        assert names, "the client's connection is not visible in the management API"
        in_flight = asyncio.create_task(client.call("echo", "slow", [2.0], timeout=10.0))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        for name in names:
            await asyncio.to_thread(
                management.delete, f"/api/connections/{quote(name, safe='')}",
                headers={"X-Reason": "test: drop connection"},
            )
        # Its reply queue is gone: the call fails now rather than at its deadline.
        with pytest.raises(ServiceUnavailable):
            await in_flight
        assert time.monotonic() - started < 1.5
        deadline = time.monotonic() + 15
        while True:
            try:
                reply = await client.call("echo", "echo", ["back"], timeout=1.0)
                break
            except (ServiceUnavailable, RpcTimeout):
                assert time.monotonic() < deadline, "client did not recover"
                await asyncio.sleep(0.2)
        assert reply["value"] == "back"


def _gateway_connections(management, vhost: str, wait: float = 10.0) -> list[str]:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        response = management.get(f"/api/vhosts/{quote(vhost, safe='')}/connections")
        names = [
            c["name"] for c in response.json()
            if c.get("client_properties", {}).get("connection_name") == "gateway-rpc"
        ]
        if names:
            return names
        time.sleep(0.3)
    return []
