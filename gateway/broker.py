"""The gateway's connections to RabbitMQ, across every node `AMQP_URI`
names (shared/messaging/uris.py).

aio-pika's robust connection reconnects to the one address it was given: with
a cluster, a gateway connected to a node that dies would wait for that node,
while the two others take writes. `FailoverConnection` takes the next address
after each failed attempt, as kombu does for the services.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import aio_pika
from aio_pika import RobustConnection
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from yarl import URL

from shared.messaging.uris import split_uris

log = logging.getLogger(__name__)


class FailoverConnection(RobustConnection):
    """A robust connection over several broker addresses, tried in turn."""

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        self._urls = [URL(url) for url in urls]
        self._current = 0
        super().__init__(self._urls[0], **kwargs)

    def _next_address(self) -> None:
        self._current = (self._current + 1) % len(self._urls)
        # Connection.connect reads self.url at each attempt.
        self.url = self._urls[self._current]

    # RobustConnection's private attempt (name-mangled), called at the first
    # connect and at each reconnect: the only hook that sees a failed attempt.
    async def _RobustConnection__connect_transport(self) -> None:
        try:
            await super()._RobustConnection__connect_transport()
        except BaseException:
            if len(self._urls) > 1:
                failed = f"{self.url.host}:{self.url.port}"
                self._next_address()
                log.warning("broker node unreachable, trying the next one",
                            extra={"node": failed, "next_node": f"{self.url.host}:{self.url.port}"})
            raise


async def connect(amqp_uri: str, timeout: float | None = None, **kwargs: Any) -> RobustConnection:
    """`aio_pika.connect_robust` for an `AMQP_URI` naming one node or several.

    With several, the first connection tries each node in turn before it
    fails (the caller's back-off then starts over); once connected, the
    connection moves on to the next node whenever an attempt fails."""
    urls = split_uris(amqp_uri)
    if len(urls) == 1:
        return await aio_pika.connect_robust(urls[0], timeout=timeout, **kwargs)
    error: BaseException | None = None
    for start in range(len(urls)):
        connection = FailoverConnection(urls[start:] + urls[:start], **kwargs)
        try:
            await connection.connect(timeout=timeout)
            return connection
        except CONNECTION_EXCEPTIONS as failed:
            error = failed
            await asyncio.gather(connection.close(), return_exceptions=True)
    raise error
