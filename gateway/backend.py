"""The request-scoped way routes call services.

It adds the worker context (correlation id, caller) to every call, and
counts calls and timeouts in the gateway metrics.
"""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import Request

from shared.api.idempotency import CONTEXT_ENTRY
from shared.observability.logging import correlation_id
from gateway.idempotency import REPLAYED_STATE
from gateway.metrics import GatewayMetrics
from gateway.rpc_client import RemoteError, RpcTimeout, ServiceUnavailable


class RpcCaller(Protocol):
    """What the gateway needs from an RPC client (the real one or a fake)."""

    is_connected: bool

    async def call(
        self,
        service: str,
        method: str,
        args: Any = (),
        kwargs: Any = None,
        *,
        context: Any = None,
        timeout: float | None = None,
    ) -> Any: ...


class Backend:
    def __init__(self, request: Request) -> None:
        self._request = request
        self._client: RpcCaller = request.app.state.rpc_client
        self._metrics: GatewayMetrics = request.app.state.metrics

    def context(self) -> dict[str, Any]:
        """Worker context for nameko; read at call time, after auth ran."""
        data: dict[str, Any] = {"correlation_id": correlation_id.get()}
        caller = getattr(self._request.state, "caller", None)
        if caller is not None:
            data["caller_id"] = caller.id
            data["caller_role"] = caller.role
            data["caller_agency"] = caller.agency_code
            data["caller_session"] = getattr(caller, "session_id", None)
        return {key: value for key, value in data.items() if value is not None}

    async def create(self, service: str, method: str, *args: Any) -> Any:
        """The creating call of a POST that answers 201 (`dependencies=[idempotent]`):
        with the client's Idempotency-Key, forwarded to the service (whose
        entrypoint is `@creates`), which answers `{replayed, result}`."""
        key = getattr(self._request.state, "idempotency_key", None)
        if key is None:
            return await self.call(service, method, *args)
        answer = await self.call(service, method, *args, extra_context={CONTEXT_ENTRY: key})
        if answer["replayed"]:
            setattr(self._request.state, REPLAYED_STATE, True)
        return answer["result"]

    async def call(
        self, service: str, method: str, *args: Any, timeout: float | None = None,
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        outcome = "error"
        context = self.context()
        if extra_context:
            context.update(extra_context)
        try:
            result = await self._client.call(
                service, method, args, context=context, timeout=timeout
            )
            outcome = "ok"
            return result
        except RemoteError:
            outcome = "remote_error"
            raise
        except RpcTimeout:
            outcome = "timeout"
            self._metrics.rpc_timeouts.labels(service, method).inc()
            raise
        except ServiceUnavailable:
            outcome = "unavailable"
            raise
        finally:
            self._metrics.rpc_calls.labels(service, method, outcome).inc()


async def backend(request: Request) -> Backend:
    """FastAPI dependency (async: a plain function would run in a worker
    thread, a thread hop per request)."""
    return Backend(request)
