"""RPC inside the platform: the caller's identity, and deadlines.

nameko's in-service RpcProxy waits forever for a reply; `call_with_deadline`
bounds every call (DESIGN.md, decision 7).
"""
import os

import eventlet
from nameko.extensions import DependencyProvider

from shared.caller import Caller
from shared.observability import metrics
from shared.settings import get_settings


class RpcDeadlineExceeded(Exception):
    pass


class CallerProvider(DependencyProvider):
    """`self.caller`: the identity the gateway forwarded in the context."""

    def get_dependency(self, worker_ctx):
        return Caller.from_context(worker_ctx.data)


def call_with_deadline(method, *args, timeout: float | None = None, **kwargs):
    """Call `proxy.service.method` and wait at most `timeout` seconds."""
    timeout = timeout if timeout is not None else get_settings().rpc_timeout_seconds
    reply = method.call_async(*args, **kwargs)
    try:
        with eventlet.Timeout(timeout):
            return reply.result()
    except eventlet.Timeout:
        metrics.RPC_TIMEOUTS.labels(os.environ.get("SERVICE_NAME", ""), getattr(method, "identifier", "?")).inc()
        raise RpcDeadlineExceeded(f"no answer within {timeout:.1f}s from {getattr(method, 'identifier', method)}")


