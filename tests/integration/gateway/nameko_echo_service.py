"""Tiny nameko services the gateway's RPC client is tested against.

Run by the tests in a subprocess (``nameko run``) so that eventlet never
monkey-patches the pytest process.
"""

import eventlet
import jwt
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc


class NotFound(Exception):
    pass


class WorkerContext(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return worker_ctx


def _seen(worker_ctx):
    return {"context": dict(worker_ctx.data), "parent_call_id": worker_ctx.immediate_parent_call_id}


class EchoService:
    name = "echo"
    worker_ctx = WorkerContext()

    @rpc
    def echo(self, value):
        return {"value": value, **_seen(self.worker_ctx)}

    @rpc
    def fail(self):
        raise NotFound("Introuvable.")

    @rpc
    def slow(self, seconds):
        eventlet.sleep(seconds)
        return seconds

    @rpc
    def health(self):
        return {"status": "ok"}


class FakeIdentity:
    """Just enough of identity for HTTP round trips through the gateway."""

    name = "identity"
    worker_ctx = WorkerContext()

    @rpc
    def health(self):
        return {"status": "ok"}

    @rpc
    def get_me(self):
        # The caller comes signed (shared/caller_token.py); the real identity
        # verifies it, this stand-in only reads who it names.
        token = self.worker_ctx.data.get("caller_token")
        caller_id = jwt.decode(token, options={"verify_signature": False}).get("sub") if token else None
        return {"id": caller_id, **_seen(self.worker_ctx)}

    @rpc
    def access_blocks(self):
        """Nobody is suspended: what a gateway loads when it starts."""
        return {"users": [], "sessions": []}
