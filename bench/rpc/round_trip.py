"""Round trip of one RPC call on a classic and on a quorum RPC queue.

    .venv/bin/python -m bench.rpc.round_trip [-n 1000]

Runs `bench.rpc.probe` (nameko run) on a throwaway vhost of the local
RabbitMQ, calls each probe's `ping` n times one after the other (after 50
of warm-up) with nameko's standalone proxy, and prints p50, p95, p99 and max
in milliseconds, and the CPU time per call of the broker (beam.smp, when it
runs on this machine) and of the probes' process. RabbitMQ and the management plugin as `make up` expects them
(AMQP_URI, RABBITMQ_MANAGEMENT_URL).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

from nameko.standalone.rpc import ClusterRpcProxy

from bench.ratios import broker_pids, cpu_seconds
from shared.caller_token import CallerSigner
from shared.keys import write_key_pair
from shared.messaging.topology import management_api, put_queue_policies
from shared.settings import REPO_ROOT, get_settings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000)
    args = parser.parse_args()
    settings = get_settings()
    vhost = f"bench-rpc-{uuid.uuid4().hex[:8]}"
    with management_api(settings.rabbitmq_management_url) as api:
        api.put(f"/api/vhosts/{quote(vhost, safe='')}").raise_for_status()
        user = urlsplit(settings.rabbitmq_management_url).username or "guest"
        api.put(f"/api/permissions/{quote(vhost, safe='')}/{user}",
                json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    parts = urlsplit(settings.amqp_uri)
    amqp_uri = f"{parts.scheme}://{parts.netloc}/{quote(vhost, safe='')}"
    put_queue_policies(settings.rabbitmq_management_url, vhost, settings.event_redelivery_limit)
    nameko = Path(sys.executable).parent / "nameko"
    # The platform's RPC entrypoint refuses an unsigned caller: sign as the gateway does.
    private, public = write_key_pair(Path(tempfile.mkdtemp()), "caller_ed25519")
    context = CallerSigner.from_file(private, ttl_seconds=3600).sign_context({}, audience=["rpcclassic", "rpcquorum"])
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "AMQP_URI": amqp_uri, "CALLER_PUBLIC_KEY_PATH": str(public)}
    proc = subprocess.Popen([str(nameko), "run", "--config", str(REPO_ROOT / "infra/nameko.yaml"), "bench.rpc.probe"],
                            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri, "serializer": "json"}, context_data=context, timeout=10) as cluster:
            deadline = time.monotonic() + 60
            while True:
                try:
                    cluster.rpcclassic.ping(), cluster.rpcquorum.ping()
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            print(f"{'queue':<10} {'calls':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
                  f"{'broker CPU us/call':>19} {'probe CPU us/call':>18}")
            broker = broker_pids()
            for label, service in (("classic", cluster.rpcclassic), ("quorum", cluster.rpcquorum)):
                for _ in range(50):
                    service.ping()
                times = []
                cpu_before = cpu_seconds(broker), cpu_seconds([proc.pid])
                for _ in range(args.n):
                    started = time.perf_counter()
                    service.ping()
                    times.append((time.perf_counter() - started) * 1000)
                broker_us = (cpu_seconds(broker) - cpu_before[0]) * 1e6 / args.n
                probe_us = (cpu_seconds([proc.pid]) - cpu_before[1]) * 1e6 / args.n
                print(f"{label:<10} {args.n:>6} {statistics.median(times):>8.2f} {percentile(times, 0.95):>8.2f} "
                      f"{percentile(times, 0.99):>8.2f} {max(times):>8.2f} "
                      f"{broker_us if broker else float('nan'):>19.0f} {probe_us:>18.0f}")
    finally:
        proc.terminate()
        proc.wait(15)
        with management_api(settings.rabbitmq_management_url) as api:
            api.delete(f"/api/vhosts/{quote(vhost, safe='')}")


if __name__ == "__main__":
    main()
