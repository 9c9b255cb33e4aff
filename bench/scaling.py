"""`make bench-scaling`: do reads grow with cores? (issue 17)

One stack (like `make bench`: its own vhost and databases, every service and
the gateway as real processes) with two gateway workers and two posts
replicas sharing the load; GET /v1/posts/{id} under wrk (one thread, 16
connections) with every process of the stack pinned to one core (taskset),
then to two, alternately (1, 2, 1, 2 by default: the machine's other load
moves within a run, alternating spreads it over both). The figure is the
median req/s on two cores over the median on one; target >= 1.6.

RabbitMQ and PostgreSQL are the machine's shared servers: by default they
are not pinned (other runs use them), and neither is wrk. Then, pinned to one
core, the stack still has the broker and the database working for it on the
other: the one-core figure is not one core's. With `--pin-servers` (a machine
of one's own, as root) the broker's Erlang VM and every PostgreSQL process
are pinned with the stack, so one core is one core for all that answers a
read; wrk stays unpinned either way; their affinity is given back to every
core at the end. On a machine whose cores are busy with other work, two
cores give less than twice the CPU time: the CPU time each run got is
printed beside it.

    .venv/bin/python -m bench.scaling [--duration 10] [--rounds 2] [--pin-servers] [--no-docs]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.ratios import (AGENCY, PASSWORD, Stack, broker_pids, commit, cpu_seconds, machine, process_tree, write_docs,
                          wrk)
from stack.testing import queue_consumers

DOCS_START = "<!-- make bench-scaling: start -->"
DOCS_END = "<!-- make bench-scaling: end -->"


def author_and_post(gateway: str, settings) -> tuple[str, str]:
    """A member and a post of theirs: its author reads it whatever its
    moderation status, so the run does not wait for the pipeline."""
    with httpx.Client(base_url=gateway, timeout=60) as api:
        admin = api.post("/v1/auth/token", json={"email": settings.platform_admin_email,
                                                 "password": settings.platform_admin_password})
        admin.raise_for_status()
        code = api.post("/v1/invitations", json={"role": "job_seeker", "agency_code": AGENCY},
                        headers={"Authorization": f"Bearer {admin.json()['access_token']}"}).json()["code"]
        email = f"banc-{uuid.uuid4().hex[:10]}@exemple.fr"
        api.post("/v1/auth/register", json={"invitation_code": code, "email": email, "password": PASSWORD,
                                            "display_name": "Lecteur du banc"}).raise_for_status()
        answer = api.post("/v1/auth/token", json={"email": email, "password": PASSWORD})
        answer.raise_for_status()
        token = answer.json()["access_token"]
        post = api.post("/v1/posts", headers={"Authorization": f"Bearer {token}"}, json={
            "kind": "question", "title": "Comment se préparer à un entretien dans la logistique ?",
            "body": "Bonjour, je cherche des conseils pour préparer un entretien de préparateur de commandes "
                    "près de Lille, et des formations courtes. Merci !", "topics": []})
        post.raise_for_status()
        post_id = post.json()["id"]
        api.get(f"/v1/posts/{post_id}", headers={"Authorization": f"Bearer {token}"}).raise_for_status()
    return token, post_id


def server_pids() -> list[int]:
    """The broker's Erlang VM and PostgreSQL's postmaster on this machine
    (process_tree adds their children: PostgreSQL's backends, which also
    inherit the postmaster's affinity when they start later)."""
    postmaster = subprocess.run(["pgrep", "-u", "postgres", "-x", "postgres", "-o"], capture_output=True, text=True)
    return [*broker_pids(), *(int(pid) for pid in postmaster.stdout.split())]


def pin(pids: list[int], cpus: str) -> None:
    for pid in pids:
        for member in process_tree(pid):
            subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(member)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)  # a backend that ended meanwhile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of (one core, two cores) (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gateway workers (default 2)")
    parser.add_argument("--replicas", type=int, default=2, help="posts processes (default 2)")
    parser.add_argument("--pin-servers", action="store_true",
                        help="pin RabbitMQ and PostgreSQL with the stack (a machine of one's own, as root)")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args()
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        sys.exit("wrk and taskset are needed: infra/scripts/ensure-tools.sh bench (util-linux has taskset)")
    if (os.cpu_count() or 1) < 2:
        sys.exit("one core here: nothing to compare")
    log_dir = Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    stack = Stack(log_dir, floor=False, service_replicas={"posts": args.replicas}, gateway_workers=args.workers)
    servers = server_pids() if args.pin_servers else []
    if args.pin_servers and not servers:
        sys.exit("--pin-servers: no RabbitMQ (beam.smp) or PostgreSQL process found on this machine")
    keep_logs = False
    try:
        print(f"bench-scaling: {args.workers} gateway workers, {args.replicas} posts replicas "
              f"(vhost {stack.vhost}, logs in {log_dir})", flush=True)
        stack.start()
        deadline = time.monotonic() + 120  # a replica is started once the first consumes: wait for every one
        while queue_consumers(stack.settings, "rpc-posts") < args.replicas:
            if time.monotonic() > deadline:
                raise RuntimeError("the posts replicas did not all start")
            time.sleep(0.5)
        token, post_id = author_and_post(stack.gateway, stack.settings)
        url = f"{stack.gateway}/v1/posts/{post_id}"
        headers = {"Authorization": f"Bearer {token}"}
        pids = [stack.gateway_pid, *stack.replica_pids["posts"]]
        load = {"duration": args.duration, "connections": args.connections, "log_dir": log_dir}
        wrk(url, **{**load, "duration": 2}, headers=headers)  # warm-up
        runs: dict[int, list[float]] = {1: [], 2: []}
        lines = []
        for _ in range(args.rounds):
            for cores, cpus in ((1, "0"), (2, "0,1")):
                stack.pin(cpus)
                pin(servers, cpus)
                time.sleep(0.5)
                cpu_before = cpu_seconds(pids)
                began = time.monotonic()
                figure = wrk(url, **load, headers=headers, pids=pids)
                used = (cpu_seconds(pids) - cpu_before) / (time.monotonic() - began)
                runs[cores].append(figure.rps)
                line = (f"| {cores} | {figure.rps:.0f} | {figure.p50_ms:.1f} | {figure.p99_ms:.1f} | {used:.2f} | "
                        f"{figure.cpu_ms:.2f} | {figure.bad} | {os.getloadavg()[0]:.1f} |")
                lines.append(line)
                print(f"{cores} core(s): {figure.rps:7.0f} req/s  p50 {figure.p50_ms:6.1f} ms  p99 {figure.p99_ms:6.1f} ms"
                      f"  cores used {used:4.2f}  cpu {figure.cpu_ms:5.2f} ms/req  errors {figure.bad}  "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
        one, two = statistics.median(runs[1]), statistics.median(runs[2])
        ratio = two / one
        text = "\n".join([
            "Command: `make bench-scaling` (`.venv/bin/python -m bench.scaling`); GET /v1/posts/{id}, "
            f"wrk 1 thread, {args.connections} connections, {args.duration} s per run; {args.workers} gateway "
            f"workers, {args.replicas} posts replicas; every process of the stack pinned with taskset "
            + ("and RabbitMQ and PostgreSQL with them (`--pin-servers`; wrk not pinned)."
               if args.pin_servers else "(RabbitMQ, PostgreSQL and wrk not pinned)."),
            f"Commit {commit()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {machine()}.",
            "",
            "| cores | req/s | p50 ms | p99 ms | cores' worth of CPU the stack got | CPU ms / request | errors "
            "| load average |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            *lines,
            "",
            f"Reads on two cores / reads on one (medians): {ratio:.2f} (target >= 1.6).",
        ])
        if not args.no_docs:
            write_docs(text, DOCS_START, DOCS_END)
        print(f"bench-scaling: two cores / one core = {ratio:.2f} ({two:.0f} / {one:.0f} req/s)")
    except BaseException:
        keep_logs = True
        print(f"bench-scaling: failed; the processes' logs are in {log_dir}", file=sys.stderr)
        raise
    finally:
        pin(servers, f"0-{(os.cpu_count() or 1) - 1}")
        stack.stop()
        if not keep_logs:
            shutil.rmtree(log_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
