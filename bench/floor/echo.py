"""The floor's service: a plain nameko service whose one method returns its
argument. No database, no chassis, no per-call log: what remains is nameko's
own RPC path (consume, decode, run, reply).

    nameko run --config bench/floor/nameko.yaml bench.floor.echo:EchoService

`QuorumEchoService` is the same on a quorum `rpc-bench_echo` queue, the type
of every platform RPC queue since issue 15 (`bench.ratios --floor-queue
quorum`): the floor through the same broker work as the platform's calls.
"""
from nameko.rpc import Rpc, RpcConsumer, rpc

from shared.messaging.consumer import QUORUM


class EchoService:
    name = "bench_echo"

    @rpc
    def echo(self, value):
        return value


class QuorumRpcConsumer(RpcConsumer):
    def setup(self):
        super().setup()
        self.queue.queue_arguments = dict(QUORUM)


class QuorumRpc(Rpc):
    rpc_consumer = QuorumRpcConsumer()


class QuorumEchoService:
    name = "bench_echo"

    @QuorumRpc.decorator
    def echo(self, value):
        return value
