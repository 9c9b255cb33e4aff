"""`make bench`: the gateway's paths as ratios to the floor, measured in one run.

The floor is the thinnest request path through the same parts on this machine:
FastAPI on uvicorn (httptools, uvloop) making one nameko RPC over RabbitMQ
with the gateway's asyncio client, to a nameko service whose method returns
its argument (bench/floor/). Every figure is a ratio to the floor measured in
the same run, under the same load: wrk, one thread, 16 connections, 10 s.

Steps: a bench vhost and databases (`bench-<run>`, `b<run>_*`), migrated and
seeded like a fresh install (stack.bootstrap); every service and the gateway
as real processes (stack.testing's ServiceProcess, as `make up` runs them);
members and published posts created through the API; then wrk on GET
/v1/posts/{id}, GET /v1/feed and POST /v1/posts, each right after a run on
the floor, its ratio taken to that floor (the machine's other load moves
during a run: adjacent runs share it best); then the time until
every post written has gone through every consumer (sustained); then
posts sent at half that rate, paced, and the time each took from created to
published (posts' own timestamps). Prints each
figure with its ratio, writes the table into docs/benchmarks.md and ends with
`bench: read ratio X, feed ratio Y, write ratio Z, sustained ratio W`.
Everything it started is stopped, and its vhost and databases dropped.

    .venv/bin/python -m bench.ratios [--duration 10] [--connections 16] [--no-docs]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform as host
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import asyncio

import httpx
import psycopg
import yaml

from services.moderation.config import DEFAULT_RULES_PATH
from shared.db.engine import drop_database
from stack.db_roles import drop_role
from shared.keys import write_key_pair
from shared.messaging.topology import management_api
from shared.settings import REPO_ROOT, Settings
from stack.bootstrap import bootstrap
from stack.services import SERVICES
from stack.testing import ServiceProcess, die_with_parent, free_port, service_env

PASSWORD = "une longue phrase de passe pour le banc"
AGENCY = "HDF-LILLE"
DOCS = REPO_ROOT / "docs" / "benchmarks.md"
DOCS_START = "<!-- make bench: start -->"
DOCS_END = "<!-- make bench: end -->"
AUTHORS = 8  # writers of the write run, in turn


@dataclass
class Figure:
    name: str
    method: str
    path: str
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    bad: int = 0  # non-2xx answers and socket errors
    floor: "Figure | None" = None  # the floor measured right before this path
    cpu_ms: float = 0.0  # CPU time of its processes per request (the broker and PostgreSQL excepted)


def median_floor(floors: list["Figure"]) -> "Figure":
    """The floor runs of this bench as one line: their medians."""
    middle = lambda values: statistics.median(values)  # noqa: E731
    return Figure(f"floor (FastAPI + one RPC to an echo service), median of {len(floors)} runs", "GET", "/echo",
                  rps=middle([f.rps for f in floors]), p50_ms=middle([f.p50_ms for f in floors]),
                  p99_ms=middle([f.p99_ms for f in floors]), requests=sum(f.requests for f in floors),
                  bad=sum(f.bad for f in floors), cpu_ms=middle([f.cpu_ms for f in floors]))


# ---------------------------------------------------------------- processes

FLOOR_SERVICES = {"classic": "bench.floor.echo:EchoService", "quorum": "bench.floor.echo:QuorumEchoService"}


class Stack:
    """The floor and the platform on a vhost and databases of their own."""

    def __init__(self, log_dir: Path, *, templates: dict[str, str] | None = None, floor: bool = True,
                 service_replicas: dict[str, int] | None = None, gateway_workers: int | None = None,
                 floor_queue: str = "classic") -> None:
        """`templates`: service -> a database its own starts as a copy of (a
        seeded one, bench/posts/through_gateway.py); `service_replicas`: more
        than one process of a service; `gateway_workers`: GATEWAY_WORKERS;
        `floor_queue`: the type of the floor's RPC queue, classic (nameko's,
        the issue's floor) or quorum (the platform's)."""
        self.templates = templates or {}
        self.with_floor = floor
        self.floor_service = FLOOR_SERVICES[floor_queue]
        self.replicas = service_replicas or {}
        self.gateway_workers = gateway_workers
        self.log_dir = log_dir
        self.run_id = f"{int(time.time())}{uuid.uuid4().hex[:6]}"
        base = Settings()
        self.vhost = f"bench-{self.run_id}"
        parts = urlsplit(base.amqp_uri)
        private, public = write_key_pair(log_dir / "keys")
        caller_private, caller_public = write_key_pair(log_dir / "keys", "caller_ed25519")
        self.settings = base.model_copy(update={
            "amqp_uri": f"{parts.scheme}://{parts.netloc}/{quote(self.vhost, safe='')}",
            "db_name_prefix": f"b{self.run_id}_",
            "jwt_private_key_path": private,
            "jwt_public_key_path": public,
            "caller_private_key_path": caller_private,
            "caller_public_key_path": caller_public,
        })
        self.services: list[ServiceProcess] = []
        self.others: list[subprocess.Popen] = []
        self.bootstrapped = False

    def start(self) -> None:
        with management_api(self.settings.rabbitmq_management_url, timeout=120) as api:
            q = quote(self.vhost, safe="")
            api.put(f"/api/vhosts/{q}").raise_for_status()
            user = urlsplit(self.settings.rabbitmq_management_url).username or "guest"
            api.put(f"/api/permissions/{q}/{user}",
                    json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        self.bootstrapped = True
        for service, source in self.templates.items():
            copy_database(self.settings, source, self.settings.database_name(service))
        bootstrap(self.settings)
        for name in SERVICES:
            for _ in range(self.replicas.get(name, 1)):
                self.services.append(ServiceProcess(self.settings, name, self.log_dir, self.service_env()).start())
        self.service_pids = {service.service: service.proc.pid for service in self.services}
        self.replica_pids = {name: [s.proc.pid for s in self.services if s.service == name] for name in SERVICES}
        self.gateway = f"http://127.0.0.1:{free_port()}"
        env = gateway_env(self.settings)
        if self.gateway_workers:
            env["GATEWAY_WORKERS"] = str(self.gateway_workers)
        self._spawn("gateway", [sys.executable, "-m", "gateway", "--host", "127.0.0.1",
                                "--port", self.gateway.rsplit(":", 1)[1]], env)
        self.gateway_pid = self.others[0].pid
        self.floor_pids = []
        if self.with_floor:
            nameko = shutil.which("nameko", path=str(Path(sys.executable).parent)) or "nameko"
            self._spawn("floor-echo", [nameko, "run", "--config", "bench/floor/nameko.yaml", self.floor_service],
                        service_env(self.settings))
            self.floor = f"http://127.0.0.1:{free_port()}"
            self._spawn("floor-app", [sys.executable, "-m", "uvicorn", "bench.floor.app:app", "--host", "127.0.0.1",
                                      "--port", self.floor.rsplit(":", 1)[1], "--http", "httptools", "--loop",
                                      "uvloop", "--no-access-log", "--log-level", "warning"],
                        service_env(self.settings))
            self.floor_pids = [proc.pid for proc in self.others[1:]]
        wait_http(f"{self.gateway}/readyz", "the gateway")
        if self.with_floor:
            wait_http(f"{self.floor}/echo", "the floor")

    def service_env(self) -> dict:
        """The services' extra environment: moderation's rules with the
        posting-flood threshold raised. The bench's eight writers post
        hundreds of posts a minute each, where a member may post 5 in 10
        minutes before screening holds the rest for a person: with the
        pilot's threshold the write run measured a flood being held (95 % of
        its posts), not posts being published. Every post still goes through
        every rule; only the number of posts per author is lifted, as the
        gateway's rate limits are (gateway_env)."""
        rules = yaml.safe_load(DEFAULT_RULES_PATH.read_text())
        rules["thresholds"]["flood_max_posts"] = 10**6
        path = self.log_dir / "moderation-rules.yaml"
        path.write_text(yaml.safe_dump(rules))
        return {"METRICS_PORT": "0", "MODERATION_RULES_PATH": str(path)}

    def pin(self, cpus: str) -> None:
        """Pin every process of the stack (the floor's too) and their threads
        and children to `cpus` (taskset's list form, e.g. "0" or "0,1")."""
        pids = [*(s.proc.pid for s in self.services), *(p.pid for p in self.others)]
        for pid in pids:
            for member in process_tree(pid):
                subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(member)], check=True,
                               stdout=subprocess.DEVNULL)

    def _spawn(self, name: str, argv: list[str], env: dict) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")
        self.others.append(subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            preexec_fn=die_with_parent))

    def stop(self) -> None:
        for proc in self.others:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.others:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for service in reversed(self.services):
            service.stop()
        if not self.bootstrapped:
            return
        with contextlib.suppress(Exception):
            with management_api(self.settings.rabbitmq_management_url, timeout=120) as api:
                api.delete(f"/api/vhosts/{quote(self.vhost, safe='')}")
        for name in (*SERVICES, "gateway"):
            with contextlib.suppress(Exception):
                drop_database(self.settings, name)
            with contextlib.suppress(Exception):
                drop_role(self.settings, name)  # the service's role, made by the bootstrap


def copy_database(settings: Settings, source: str, target: str) -> None:
    """`target` as a file copy of `source` (which nobody may be connected to):
    seconds for a database that takes minutes to seed."""
    from psycopg import sql

    with psycopg.connect(f"{settings.postgres_url.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
            sql.Identifier(target), sql.Identifier(source)))


def gateway_env(settings: Settings) -> dict:
    """The gateway's environment: each wrk run is one member sending thousands
    of requests a minute, past the 600 a member may send. The limits are raised,
    not turned off: every request still counts in PostgreSQL, as in production."""
    return {**service_env(settings, "gateway"), "RATE_LIMIT_MEMBER_REQUESTS": str(10**9),
            "RATE_LIMIT_MEMBER_WRITES": str(10**9)}


def wait_http(url: str, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not answer at {url}")


# ---------------------------------------------------------------- CPU time

_TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's workers, nameko's own children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo.extend(int(child) for child in children.read().split())
    return found


def broker_pids() -> list[int]:
    """RabbitMQ's Erlang VM, when it runs on this machine (its CPU time is the
    broker's cost, every vhost's)."""
    found = subprocess.run(["pgrep", "-x", "beam.smp"], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes and their descendants so far."""
    total = 0
    for pid in pids:
        for member in process_tree(pid):
            with contextlib.suppress(OSError):
                with open(f"/proc/{member}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / _TICKS


# ---------------------------------------------------------------- seeding

def seed(gateway: str, settings: Settings) -> dict:
    """A reader of HDF-LILLE whose feed has 20 published posts, and writers."""
    with httpx.Client(base_url=gateway, timeout=30) as api:
        admin = api.post("/v1/auth/token", json={"email": settings.platform_admin_email,
                                                 "password": settings.platform_admin_password})
        admin.raise_for_status()
        admin_headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}

        def member(name: str) -> str:
            code = api.post("/v1/invitations", json={"role": "job_seeker", "agency_code": AGENCY},
                            headers=admin_headers).json()["code"]
            email = f"banc-{uuid.uuid4().hex[:10]}@exemple.fr"
            api.post("/v1/auth/register", json={"invitation_code": code, "email": email, "password": PASSWORD,
                                                "display_name": name}).raise_for_status()
            answer = api.post("/v1/auth/token", json={"email": email, "password": PASSWORD})
            answer.raise_for_status()
            return answer.json()["access_token"]

        reader = member("Lecteur du banc")
        writers = [member(f"Auteur {n + 1}") for n in range(AUTHORS)]
        created = []
        for n in range(20):
            token = writers[n % 5]
            answer = api.post("/v1/posts", headers={"Authorization": f"Bearer {token}"}, json={
                "kind": "question", "title": f"Question n° {n + 1} sur la recherche d'emploi près de Lille",
                "body": f"Bonjour, voici ma question n° {n + 1} : comment préparer un entretien dans la logistique "
                        f"({uuid.uuid4().hex[:8]}) et quelles formations courtes existent près de chez moi ? Merci !",
                "topics": []})
            answer.raise_for_status()
            created.append(answer.json()["id"])
        reader_headers = {"Authorization": f"Bearer {reader}"}
        deadline = time.monotonic() + 300  # minutes on a machine loaded by other test runs
        while time.monotonic() < deadline:
            feed = api.get("/v1/feed", params={"limit": 20}, headers=reader_headers).json()
            if len(feed["items"]) == 20:
                break
            time.sleep(0.5)
        else:
            raise RuntimeError("the 20 posts were not published in time")
        # The post read: with a reaction of the reader, as a real page shows it.
        api.post(f"/v1/posts/{created[0]}/reactions", json={"type": "helpful"},
                 headers=reader_headers).raise_for_status()
    return {"reader": reader, "writers": writers, "post_id": created[0]}


# ---------------------------------------------------------------- wrk

_LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, *, duration: int, connections: int, headers: dict | None = None,
        script: str | None = None, log_dir: Path, pids: list[int] = ()) -> Figure:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    if script:
        path = log_dir / f"wrk-{uuid.uuid4().hex[:6]}.lua"
        path.write_text(script)
        argv += ["-s", str(path)]
    cpu_before = cpu_seconds(list(pids))
    out = subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(list(pids)) - cpu_before
    figure = Figure("", "", "")
    figure.rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    figure.requests = int(re.search(r"(\d+) requests in", out).group(1))
    latencies = {p: float(v) * _UNIT[u] for p, v, u in _LATENCY.findall(out)}
    figure.p50_ms, figure.p99_ms = latencies["50"], latencies["99"]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    figure.bad = (int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0)
    figure.cpu_ms = 1000 * cpu / max(figure.requests, 1)
    return figure


def write_script(tokens: list[str]) -> str:
    """POST /v1/posts with a new text each time, the writers in turn."""
    quoted = ", ".join(json.dumps(t) for t in tokens)
    return f"""
local tokens = {{{quoted}}}
local n = 0
math.randomseed(os.time())  -- another run on the same stack writes other texts (the same text twice is spam)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  wrk.headers["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]
  local body = '{{"kind": "discussion", "title": "Échange n° ' .. n .. ' entre demandeurs d\\'emploi", ' ..
    '"body": "Message ' .. n .. '-' .. math.random(1, 1000000000) .. ' : je partage mes démarches de la semaine ' ..
    'et je cherche des conseils pour relancer une candidature sans paraître insistant.", "topics": []}}'
  return wrk.format(nil, nil, nil, body)
end
"""


# ---------------------------------------------------------------- drain

def backlog(settings: Settings, vhost: str, conn_cache: dict) -> int:
    """Unsent outbox rows in every service database plus messages waiting in
    every queue (stream queues keep their messages: not a backlog)."""
    total = 0
    for name in SERVICES:
        conn = conn_cache.get(name)
        if conn is None:
            conn = conn_cache[name] = psycopg.connect(
                f"{settings.postgres_url.rstrip('/')}/{settings.database_name(name)}", autocommit=True)
        total += conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()[0]
    from kombu import Connection  # real-time ready counts (the management API lags by seconds)

    with management_api(settings.rabbitmq_management_url, timeout=60) as api:
        queues = api.get(f"/api/queues/{quote(vhost, safe='')}", params={"columns": "name,type"}).json()
    with Connection(settings.amqp_uri) as amqp:
        channel = amqp.channel()
        for queue in queues:
            if queue.get("type") == "stream" or queue["name"].startswith(("rpc.reply", "rpc-")):
                continue
            with contextlib.suppress(Exception):
                total += channel.queue_declare(queue["name"], passive=True).message_count
    return total


def drained_after(settings: Settings, vhost: str, started: float, timeout: float = 180) -> float | None:
    """Seconds from `started` until nothing waits anywhere, seen twice in a row."""
    conns: dict = {}
    try:
        zero_since = None
        while time.monotonic() - started < timeout:
            if backlog(settings, vhost, conns) == 0:
                if zero_since is not None:
                    return zero_since - started
                zero_since = time.monotonic()
            else:
                zero_since = None
            time.sleep(0.25)
        return None
    finally:
        for conn in conns.values():
            conn.close()


def post_body(n: int) -> dict:
    return {"kind": "discussion", "title": f"Échange n° {n} entre demandeurs d'emploi",
            "body": f"Message {n}-{uuid.uuid4().hex[:10]} : je partage mes démarches de la semaine et je cherche des "
                    "conseils pour relancer une candidature sans paraître insistant.", "topics": []}


def created_at_rate(gateway: str, tokens: list[str], rate: float, duration: float) -> list[str]:
    """POST /v1/posts at `rate` a second for `duration` seconds, paced (not
    a closed loop like wrk): the ids of the posts created."""
    async def run() -> list[str]:
        async with httpx.AsyncClient(base_url=gateway, timeout=30,
                                     limits=httpx.Limits(max_connections=64)) as api:
            async def one(n: int) -> str | None:
                answer = await api.post("/v1/posts", json=post_body(n),
                                        headers={"Authorization": f"Bearer {tokens[n % len(tokens)]}"})
                return answer.json()["id"] if answer.status_code == 201 else None

            start, tasks = time.monotonic(), []
            for n in range(int(rate * duration)):
                await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
                tasks.append(asyncio.create_task(one(100_000 + n)))
            return [i for i in await asyncio.gather(*tasks) if i]

    return asyncio.run(run())


def publication(settings: Settings, ids: list[str]) -> dict:
    """What became of these posts, and for the published ones the time from
    their creation to their publication (posts' own timestamps)."""
    with psycopg.connect(f"{settings.postgres_url.rstrip('/')}/{settings.database_name('posts')}") as conn:
        statuses = dict(conn.execute("SELECT status, count(*) FROM posts WHERE id = ANY(%s::uuid[]) GROUP BY status",
                                     (ids,)).fetchall())
        delays = [row[0] * 1000 for row in conn.execute(
            "SELECT extract(epoch FROM published_at - created_at)::float FROM posts "
            "WHERE id = ANY(%s::uuid[]) AND published_at IS NOT NULL ORDER BY 1", (ids,))]
    quantile = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))] if delays else float("nan")  # noqa: E731
    return {"statuses": statuses, "p50_ms": quantile(0.5), "p99_ms": quantile(0.99),
            "max_ms": delays[-1] if delays else float("nan"), "published": len(delays)}


def statuses_of_all_posts(settings: Settings) -> dict:
    with psycopg.connect(f"{settings.postgres_url.rstrip('/')}/{settings.database_name('posts')}") as conn:
        return dict(conn.execute("SELECT status, count(*) FROM posts GROUP BY status").fetchall())


def dead_letters(settings: Settings, vhost: str) -> int:
    with management_api(settings.rabbitmq_management_url, timeout=60) as api:
        queues = api.get(f"/api/queues/{quote(vhost, safe='')}", params={"columns": "name,messages"}).json()
    return sum(q.get("messages") or 0 for q in queues if "dead" in q["name"])


# ---------------------------------------------------------------- report

def machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                      if line.startswith("model name")), "")
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    return f"{os.cpu_count()} cores ({model or host.machine()}), load average {load} at the end"


def commit() -> str:
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True)
    return (rev.stdout.strip() or "unknown") + (" with uncommitted changes" if dirty.stdout.strip() else "")


def ratio(figure: Figure) -> str:
    return f"{figure.rps / figure.floor.rps:.2f}"


def table(floor: Figure, figures: list[Figure], sustained: float | None, posts_written: int,
          drain_s: float | None) -> str:
    lines = ["| path | req/s | floor req/s just before | ratio | p50 ms | p99 ms | floor p99 ms | p99 / floor p99 "
             "| CPU ms / request (floor's) | errors |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines.append(f"| {floor.name} | {floor.rps:.0f} | | 1.00 | {floor.p50_ms:.1f} | {floor.p99_ms:.1f} | | | "
                 f"{floor.cpu_ms:.2f} | {floor.bad} |")
    for f in figures:
        lines.append(f"| {f.name} | {f.rps:.0f} | {f.floor.rps:.0f} | {ratio(f)} | {f.p50_ms:.1f} | {f.p99_ms:.1f} | "
                     f"{f.floor.p99_ms:.1f} | {f.p99_ms / f.floor.p99_ms:.1f} | {f.cpu_ms:.2f} ({f.floor.cpu_ms:.2f}) "
                     f"| {f.bad} |")
    if sustained is None:
        lines.append("| sustained writes (until every queue drained) | n/a | | n/a | | | | | | |")
    else:
        write = figures[-1]
        lines.append(f"| sustained writes: {posts_written} posts, every queue drained after {drain_s:.1f} s "
                     f"| {sustained:.0f} | {write.floor.rps:.0f} | {sustained / write.floor.rps:.2f} | | | | | | |")
    return "\n".join(lines)


def write_docs(text: str, start: str = DOCS_START, end: str = DOCS_END) -> None:
    """Replace the block between `start` and `end` in docs/benchmarks.md (appended when absent)."""
    doc = DOCS.read_text()
    block = f"{start}\n{text}\n{end}"
    if start in doc:
        doc = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, doc, flags=re.S)
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    DOCS.write_text(doc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs (path printed)")
    parser.add_argument("--floor-queue", choices=sorted(FLOOR_SERVICES), default="classic",
                        help="the floor's RPC queue: classic, nameko's (default, the issue's floor), or quorum, "
                             "as every platform RPC queue; a quorum floor is never written to the docs")
    args = parser.parse_args()
    args.no_docs = args.no_docs or args.floor_queue != "classic"
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: infra/scripts/ensure-tools.sh bench (or apt-get install wrk)")
    log_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    stack = Stack(log_dir, floor_queue=args.floor_queue)
    load = {"duration": args.duration, "connections": args.connections, "log_dir": log_dir}
    try:
        print(f"bench: starting the floor and the platform (vhost {stack.vhost}, logs in {log_dir})", flush=True)
        stack.start()
        seeded = seed(stack.gateway, stack.settings)
        reader = {"Authorization": f"Bearer {seeded['reader']}"}
        # One short warm-up per path (imports, connection pools, caches), not measured.
        for url, headers in ((f"{stack.floor}/echo", None), (f"{stack.gateway}/v1/posts/{seeded['post_id']}", reader),
                             (f"{stack.gateway}/v1/feed", reader)):
            wrk(url, **{**load, "duration": 2}, headers=headers)
        # The floor is measured right before each path and each ratio taken
        # against that floor: the machine's other load moves within a run.
        floors: list[Figure] = []

        def against_floor(name: str, url: str, services: tuple[str, ...], **options) -> Figure:
            floor_now = wrk(f"{stack.floor}/echo", **load, pids=stack.floor_pids)
            floors.append(floor_now)
            path_pids = [stack.gateway_pid, *(stack.service_pids[name] for name in services)]
            figure = wrk(url, **load, **options, pids=path_pids)
            figure.name, figure.floor = name, floor_now
            return figure

        # CPU time counted: the gateway and the services the path goes through
        # (a read: posts alone; a write: every service its events reach).
        read = against_floor("GET /v1/posts/{id}", f"{stack.gateway}/v1/posts/{seeded['post_id']}", ("posts",),
                             headers=reader)
        feed = against_floor("GET /v1/feed (20 posts)", f"{stack.gateway}/v1/feed", ("posts",), headers=reader)
        started = time.monotonic() + load["duration"]  # the write run starts after its floor
        write = against_floor("POST /v1/posts", f"{stack.gateway}/v1/posts", tuple(SERVICES),
                              script=write_script(seeded["writers"]))
        posts_written = write.requests - write.bad
        drain = drained_after(stack.settings, stack.vhost, started)
        sustained = posts_written / drain if drain else None
        outcomes = statuses_of_all_posts(stack.settings)
        # Created -> published, paced at half the sustained rate (the issue's
        # measure), once the write run's backlog is gone.
        paced_rate = sustained / 2 if sustained else 5.0
        paced = created_at_rate(stack.gateway, seeded["writers"], paced_rate, args.duration)
        drained_after(stack.settings, stack.vhost, time.monotonic())
        delays = publication(stack.settings, paced)
        parked = dead_letters(stack.settings, stack.vhost)
        floor = median_floor(floors)
        figures = [read, feed, write]
        for f in floors:
            print(f"{'floor':48} {f.rps:8.0f} req/s               p50 {f.p50_ms:7.1f} ms  p99 {f.p99_ms:7.1f} ms  "
                  f"cpu {f.cpu_ms:5.2f} ms/req  errors {f.bad}")
        for f in figures:
            print(f"{f.name:48} {f.rps:8.0f} req/s  ratio {ratio(f):>5}  p50 {f.p50_ms:7.1f} ms  "
                  f"p99 {f.p99_ms:7.1f} ms ({f.p99_ms / f.floor.p99_ms:.1f} x the floor's)  cpu {f.cpu_ms:5.2f} ms/req  "
                  f"errors {f.bad}")
        sustained_ratio = f"{sustained / write.floor.rps:.2f}" if sustained else "n/a"
        if sustained:
            print(f"{'sustained writes':48} {sustained:8.0f} posts/s ratio {sustained_ratio:>5}  "
                  f"({posts_written} posts, drained after {drain:.1f} s, {parked} dead letters)")
        else:
            print(f"{'sustained writes':48}      n/a (not drained within 180 s)")
        print(f"{'posts by status after the write run':48} {outcomes}")
        print(f"{'created -> published':48} {delays['published']} of {len(paced)} posts at {paced_rate:.0f}/s: "
              f"p50 {delays['p50_ms']:.0f} ms  p99 {delays['p99_ms']:.0f} ms  max {delays['max_ms']:.0f} ms")
        text = "\n".join([
            "Command: `make bench` (`.venv/bin/python -m bench.ratios`); "
            f"wrk 1 thread, {args.connections} connections, {args.duration} s per path.",
            f"Commit {commit()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {machine()}.",
            "",
            table(floor, figures, sustained, posts_written, drain),
            "",
            f"Created → published (posts' `created_at` to `published_at`), {len(paced)} posts sent at "
            f"{paced_rate:.0f} a second (half the sustained rate) after the runs: {delays['published']} published, "
            f"p50 {delays['p50_ms']:.0f} ms, p99 {delays['p99_ms']:.0f} ms, max {delays['max_ms']:.0f} ms.",
            f"Posts by status after the write run: {', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))} "
            "(moderation's flood threshold is lifted for the bench's eight writers: `Stack.service_env`).",
            "",
            f"Dead letters after the run: {parked}. Errors: non-2xx answers and socket errors counted by wrk.",
        ])
        if not args.no_docs:
            write_docs(text)
        if args.floor_queue != "classic":
            print(f"bench: against a floor on a {args.floor_queue} RPC queue")
        print(f"bench: read ratio {ratio(read)}, feed ratio {ratio(feed)}, write ratio {ratio(write)}, "
              f"sustained ratio {sustained_ratio}")
    except BaseException:
        args.keep_logs = True
        print(f"bench: failed; the processes' logs are in {log_dir}", file=sys.stderr)
        raise
    finally:
        stack.stop()
        if not args.keep_logs:
            shutil.rmtree(log_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
