"""Asyncio client for nameko 2.14's AMQP RPC protocol, over aio-pika.

Why it exists: nameko only ships eventlet clients (``ClusterRpcProxy``,
``ServiceRpcProxy``); they need a monkey-patched, green-threaded process and
cannot run inside the gateway's asyncio event loop. No maintained asyncio
library speaks nameko's wire format, and the format is small, so the gateway
speaks it here.

Wire format (nameko 2.14, ``nameko/rpc.py``):

* request: published to the durable topic exchange ``nameko-rpc`` with
  routing key ``<service>.<method>``; JSON body ``{"args": [...],
  "kwargs": {...}}``; ``content_type=application/json``; properties
  ``reply_to`` (the routing key of our reply queue) and ``correlation_id``.
  Worker context travels in headers prefixed ``nameko.`` (nameko strips the
  prefix into ``worker_ctx.data``): ``nameko.correlation_id``,
  ``nameko.call_id_stack`` and whatever else the caller passes; with a
  ``caller_signer`` the caller travels as ``nameko.caller_token``, signed
  for the target service (shared/caller_token.py).
* reply: published by the service to the same exchange with routing key
  ``reply_to`` and the same ``correlation_id``; JSON body
  ``{"result": ..., "error": null | {"exc_type", "exc_path", "exc_args",
  "value"}}``.

Beyond nameko's own proxy: every call has a deadline (``RpcTimeout``); the
request is published with ``mandatory=True`` and publisher confirms, so a
service whose queue does not exist fails at once (``ServiceUnavailable``);
the request message expires with the deadline so a service never works on a
request nobody waits for; a late reply is dropped; the connection is robust
(aio-pika re-declares the reply queue and its consumer after a reconnect).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import aio_pika
import orjson
from aio_pika.abc import (
    AbstractIncomingMessage,
    AbstractRobustChannel,
    AbstractRobustConnection,
    AbstractRobustExchange,
)
from aio_pika.exceptions import CONNECTION_EXCEPTIONS, DeliveryError, PublishError

from shared import backoff
from shared.api.context import DEADLINE
from gateway import broker
from shared.caller_token import CallerSigner, CallerTokenError

log = logging.getLogger(__name__)

RPC_EXCHANGE = "nameko-rpc"
HEADER_PREFIX = "nameko."


class RpcError(Exception):
    """Base class of every failure of an RPC call."""


class RpcTimeout(RpcError):
    def __init__(self, service: str, method: str, timeout: float) -> None:
        super().__init__(f"{service}.{method} did not answer within {timeout}s")
        self.service = service
        self.method = method
        self.timeout = timeout


class ServiceUnavailable(RpcError):
    def __init__(self, service: str, method: str, reason: str) -> None:
        super().__init__(f"{service}.{method} unavailable: {reason}")
        self.service = service
        self.method = method
        self.reason = reason


class RemoteError(RpcError):
    """The service raised; ``exc_type`` is the remote exception class name."""

    def __init__(
        self,
        exc_type: str,
        exc_args: Sequence[Any] | None = None,
        value: str | None = None,
        exc_path: str | None = None,
    ) -> None:
        super().__init__(f"{exc_type}: {value}")
        self.exc_type = exc_type
        self.exc_args = list(exc_args or [])
        self.value = value
        self.exc_path = exc_path


class _ConnectionLost(Exception):
    """Fails pending calls: their replies cannot reach a reply queue that is gone."""


class RpcClient:
    """One AMQP connection, one channel, one exclusive reply queue."""

    def __init__(
        self,
        amqp_uri: str,
        *,
        default_timeout: float = 5.0,
        client_name: str = "gateway",
        exchange_name: str = RPC_EXCHANGE,
        reconnect_interval: float = 1.0,
        caller_signer: CallerSigner | None = None,
    ) -> None:
        self._uri = amqp_uri
        # Signs the caller_* context of each call for its target service
        # (services refuse an unsigned caller); None sends the context as
        # given (the RPC client's own tests against a plain nameko service).
        self._caller_signer = caller_signer
        self._default_timeout = default_timeout
        self._client_name = client_name
        self._exchange_name = exchange_name
        self._reconnect_interval = reconnect_interval
        self._reply_to = str(uuid.uuid4())
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._exchange: AbstractRobustExchange | None = None
        self._ready = asyncio.Event()
        self._connect_task: asyncio.Task[None] | None = None

    @property
    def reply_queue_name(self) -> str:
        return f"rpc.reply-{self._client_name}-{self._reply_to}"

    @property
    def is_connected(self) -> bool:
        return (
            self._ready.is_set()
            and self._connection is not None
            and self._connection.connected.is_set()
            and self._channel is not None
            and not self._channel.is_closed
        )

    async def start(self, wait: float | None = None) -> bool:
        """Connect in the background, retrying until the broker answers.

        Waits at most ``wait`` seconds (forever when None) and returns whether
        the client is connected by then.
        """
        if self._connect_task is None:
            self._connect_task = asyncio.create_task(self._connect_forever())
        try:
            await asyncio.wait_for(self._ready.wait(), wait)
        except TimeoutError:
            return False
        return True

    async def _connect_forever(self) -> None:
        interval = self._reconnect_interval
        await backoff.until_done(
            self._connect, log, "RPC broker connection failed, retrying", first=interval, most=interval,
            errors=CONNECTION_EXCEPTIONS, after_failure=self._discard_connection,
        )

    async def _connect(self) -> None:
        self._connection = await broker.connect(
            self._uri,
            reconnect_interval=self._reconnect_interval,
            client_properties={"connection_name": f"{self._client_name}-rpc"},
        )
        self._connection.close_callbacks.add(self._on_connection_lost)
        channel = await self._connection.channel(
            publisher_confirms=True, on_return_raises=True
        )
        self._channel = channel
        # The deploy step declares the RPC exchange; the gateway's broker
        # user may only check it exists (stack/broker_users.py).
        self._exchange = await channel.declare_exchange(
            self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True, passive=True
        )
        queue = await channel.declare_queue(
            self.reply_queue_name, exclusive=True, auto_delete=True
        )
        await queue.bind(self._exchange, routing_key=self._reply_to)
        await queue.consume(self._on_reply, no_ack=True)
        self._ready.set()
        log.info("RPC client connected, reply queue %s", self.reply_queue_name)

    async def _discard_connection(self) -> None:
        connection, self._connection = self._connection, None
        self._channel = self._exchange = None
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # already broken: nothing to clean up
                pass

    def _on_connection_lost(self, *_: Any) -> None:
        # The exclusive reply queue dies with the connection (aio-pika
        # declares a new one on reconnect), so waiting calls would only time out.
        for future in self._pending.values():
            if not future.done():
                future.set_exception(_ConnectionLost())

    async def close(self) -> None:
        if self._connect_task is not None:
            self._connect_task.cancel()
            await asyncio.gather(self._connect_task, return_exceptions=True)
            self._connect_task = None
        self._ready.clear()
        self._on_connection_lost()
        await self._discard_connection()

    async def call(
        self,
        service: str,
        method: str,
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Call ``service.method`` and return its result.

        ``context`` holds worker context data without the ``nameko.`` prefix
        (None values are omitted). Raises RpcTimeout, ServiceUnavailable or
        RemoteError.
        """
        deadline = self._default_timeout if timeout is None else timeout
        exchange = self._exchange
        if not self.is_connected or exchange is None:
            raise ServiceUnavailable(service, method, "broker not connected")
        # The broker drops the request unconsumed past the deadline
        # (expiration); a service that picks it up later refuses it unstarted
        # (the `deadline` context entry, shared/messaging/rpc.py). As text: an
        # AMQP float header is single precision (minutes off at today's epoch).
        headers = self._signed_headers({DEADLINE: f"{time.time() + deadline:.3f}", **(context or {})}, service, method)

        correlation_id = str(uuid.uuid4())
        future: asyncio.Future[dict[str, Any]] = (
            asyncio.get_running_loop().create_future()
        )
        self._pending[correlation_id] = future
        message = aio_pika.Message(
            orjson.dumps({"args": list(args), "kwargs": dict(kwargs or {})}),
            content_type="application/json",
            content_encoding="utf-8",
            correlation_id=correlation_id,
            reply_to=self._reply_to,
            headers=headers,
            expiration=deadline,
        )
        try:
            async with asyncio.timeout(deadline):
                await self._publish(exchange, message, service, method)
                reply = await future
        except TimeoutError:
            raise RpcTimeout(service, method, deadline) from None
        except _ConnectionLost:
            raise ServiceUnavailable(service, method, "connection lost") from None
        finally:
            self._pending.pop(correlation_id, None)
        return self._unpack(reply)

    async def _publish(
        self,
        exchange: AbstractRobustExchange,
        message: aio_pika.Message,
        service: str,
        method: str,
    ) -> None:
        try:
            await exchange.publish(
                message, routing_key=f"{service}.{method}", mandatory=True
            )
        except PublishError:
            raise ServiceUnavailable(service, method, "no queue bound") from None
        except DeliveryError as exc:
            raise ServiceUnavailable(service, method, "broker refused") from exc
        except CONNECTION_EXCEPTIONS as exc:
            raise ServiceUnavailable(service, method, "broker unreachable") from exc

    def _signed_headers(self, context: Mapping[str, Any] | None, service: str, method: str) -> dict[str, Any]:
        try:
            return self._headers(context, service)
        except CallerTokenError:
            # No signing key: every service would refuse the call (/readyz says why).
            raise ServiceUnavailable(service, method, "caller signing key missing") from None

    def _headers(self, context: Mapping[str, Any] | None, service: str) -> dict[str, Any]:
        data = {key: value for key, value in (context or {}).items() if value is not None}
        if self._caller_signer is not None:
            data = self._caller_signer.sign_context(data, audience=service)
        data.setdefault("call_id_stack", [f"{self._client_name}.{uuid.uuid4()}"])
        return {HEADER_PREFIX + key: value for key, value in data.items()}

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self._pending.pop(message.correlation_id or "", None)
        if future is None or future.done():
            log.debug("Dropped late or unknown RPC reply %s", message.correlation_id)
            return
        try:
            payload = orjson.loads(message.body)
            if not isinstance(payload, dict):
                raise ValueError("reply is not a JSON object")
        except ValueError as exc:
            future.set_exception(RpcError(f"malformed RPC reply: {exc}"))
            return
        future.set_result(payload)

    @staticmethod
    def _unpack(reply: dict[str, Any]) -> Any:
        error = reply.get("error")
        if error:
            raise RemoteError(
                exc_type=str(error.get("exc_type") or "Exception"),
                exc_args=error.get("exc_args") or [],
                value=error.get("value"),
                exc_path=error.get("exc_path"),
            )
        return reply.get("result")
