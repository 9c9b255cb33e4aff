"""Where a write waits: CPU time and run-queue wait of every process of the
platform, per post written, over `make bench`'s write run and the drain after it.

The bench stack (bench/ratios.py: its own vhost and databases, every service
and the gateway as real processes), seeded the same way, then wrk's write run
(POST /v1/posts, 16 connections) and the wait until every queue is drained.
For each process (its threads and children) and for the PostgreSQL backends
of the run: CPU time, and time spent runnable but not running (waiting in the
kernel's run queue for a core), from /proc/<pid>/task/*/schedstat; and the
broker's Erlang VM when it runs on this machine (all its vhosts).

    .venv/bin/python -m bench.write_waits [--duration 10] [--connections 16]
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import psycopg

from bench import ratios


def cpu_and_wait(pids: list[int]) -> tuple[float, float]:
    """Seconds on a CPU and seconds waiting for one, of these processes and their descendants."""
    run = wait = 0
    for pid in pids:
        for member in ratios.process_tree(pid):
            try:
                for task in os.listdir(f"/proc/{member}/task"):
                    with open(f"/proc/{member}/task/{task}/schedstat") as stat:
                        on_cpu, waiting, _ = stat.read().split()
                    run, wait = run + int(on_cpu), wait + int(waiting)
            except OSError:
                continue  # ended meanwhile
    return run / 1e9, wait / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-waits-"))
    stack = ratios.Stack(log_dir)
    try:
        stack.start()
        seeded = ratios.seed(stack.gateway, stack.settings)
        with psycopg.connect(f"{stack.settings.postgres_url.rstrip('/')}/postgres", autocommit=True) as conn:
            backends = [pid for (pid,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname LIKE %s",
                                                       (stack.settings.db_name_prefix + "%",))]
        groups = {name: [pid] for name, pid in stack.service_pids.items()}
        groups["gateway"] = [stack.gateway_pid]
        groups["PostgreSQL backends of the run"] = backends
        # The whole broker (on this machine): every other vhost's work too, so
        # read it on a quiet machine.
        groups["RabbitMQ (beam.smp, whole broker)"] = ratios.broker_pids()
        before = {name: cpu_and_wait(pids) for name, pids in groups.items()}
        load_before = os.getloadavg()
        started = time.monotonic()
        write = ratios.wrk(f"{stack.gateway}/v1/posts", duration=args.duration, connections=args.connections,
                           log_dir=log_dir, script=ratios.write_script(seeded["writers"]))
        drained = ratios.drained_after(stack.settings, stack.vhost, started)
        after = {name: cpu_and_wait(pids) for name, pids in groups.items()}
        posts = max(write.requests - write.bad, 1)
        print(f"write: {write.rps:.0f} req/s, p50 {write.p50_ms:.0f} ms, p99 {write.p99_ms:.0f} ms, {posts} posts, "
              f"drained after {drained if drained is None else round(drained, 1)} s")
        print(f"{'process':34} {'CPU ms/post':>12} {'run-queue wait ms/post':>24}")
        for name in groups:
            cpu, wait = (after[name][i] - before[name][i] for i in (0, 1))
            print(f"{name:34} {1000 * cpu / posts:12.1f} {1000 * wait / posts:24.1f}")
        load = lambda values: " ".join(f"{v:.1f}" for v in values)  # noqa: E731
        print(f"load average {load(load_before)} before, {load(os.getloadavg())} after")
    finally:
        stack.stop()
        shutil.rmtree(log_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
