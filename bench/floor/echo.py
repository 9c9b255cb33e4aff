"""The floor's service: a plain nameko service whose one method returns its
argument. No database, no chassis, no per-call log: what remains is nameko's
own RPC path (consume, decode, run, reply).

    nameko run --config bench/floor/nameko.yaml bench.floor.echo
"""
from nameko.rpc import rpc


class EchoService:
    name = "bench_echo"

    @rpc
    def echo(self, value):
        return value
