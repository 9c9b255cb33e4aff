"""The gateway's connections fail over across the nodes `AMQP_URI` names
(gateway/broker.py): a node that goes away, or does not answer at start, is
left for the next one. Here the "node" that goes away is a TCP relay to the
real broker, closed under the client; the second address is the broker
itself. The three-node run is `python -m tools.chaos --cluster` (docs/chaos.md)."""
from __future__ import annotations

import asyncio
import time

import pytest

from gateway import broker
from gateway.rpc_client import RpcClient, RpcError
from stack.testing import free_port
from tests.integration.gateway.conftest import AMQP_HOST

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@pytest.fixture
def anyio_backend():
    return "asyncio"


class Relay:
    """A TCP relay to the broker that can be cut, as a node killed."""

    def __init__(self, upstream: str):
        self.host, port = upstream.rsplit(":", 1)
        self.upstream_port = int(port)
        self.port = free_port()
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> "Relay":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def _serve(self, reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.host, self.upstream_port)
        self.writers += [writer, up_writer]

        async def pipe(source, sink):
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()
        await self.server.wait_closed()


def uri_through(port: int, amqp_uri: str) -> str:
    return amqp_uri.replace(AMQP_HOST, f"127.0.0.1:{port}")


async def call_until_answered(client: RpcClient, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await client.call("echo", "echo", ["après la panne"], timeout=2)
        except RpcError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_rpc_client_moves_to_the_next_node_when_its_node_goes_away(nameko_services):
    relay = await Relay(AMQP_HOST).start()
    client = RpcClient(f"{uri_through(relay.port, nameko_services)};{nameko_services}", reconnect_interval=0.2)
    try:
        assert await client.start(wait=10)
        assert (await client.call("echo", "echo", ["avant"]))["value"] == "avant"
        await relay.cut()
        # A robust connection to the one address would retry the dead relay forever.
        assert (await call_until_answered(client, 15))["value"] == "après la panne"
    finally:
        await client.close()


async def test_first_connection_skips_a_node_that_does_not_answer(amqp_uri):
    nobody = free_port()
    connection = await broker.connect(f"{uri_through(nobody, amqp_uri)};{amqp_uri}", timeout=5)
    try:
        assert connection.url.port == int(AMQP_HOST.rsplit(":", 1)[1])
        channel = await connection.channel()
        await channel.close()
    finally:
        await connection.close()


async def test_a_single_address_still_fails_fast(amqp_uri):
    with pytest.raises(Exception):
        await broker.connect(uri_through(free_port(), amqp_uri), timeout=5)
