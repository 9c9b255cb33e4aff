"""RPC inside the platform: the caller's identity.

Services do not call each other (they react to events); the gateway bounds
its calls with RPC_TIMEOUT_SECONDS (gateway/rpc_client.py).
"""
from nameko.extensions import DependencyProvider

from shared.caller import Caller


class CallerProvider(DependencyProvider):
    """`self.caller`: the identity the gateway forwarded in the context."""

    def get_dependency(self, worker_ctx):
        return Caller.from_context(worker_ctx.data)
