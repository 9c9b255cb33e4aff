"""Two services that answer `ping` and nothing else: one on nameko's own RPC
(a classic `rpc-rpcclassic` queue), one on the platform's (`rpc-rpcquorum`,
a quorum queue with a delivery limit: shared/messaging/rpc.py)."""
from nameko.rpc import rpc as classic_rpc

from shared.messaging.rpc import rpc as platform_rpc


class ClassicProbe:
    name = "rpcclassic"

    @classic_rpc
    def ping(self):
        return "pong"


class QuorumProbe:
    name = "rpcquorum"

    @platform_rpc
    def ping(self):
        return "pong"
