"""Feed and search over 1,000,000 posts THROUGH THE GATEWAY (issue 17).

bench/posts/feed_and_search.py times the posts use cases alone; this one
sends HTTP requests to a running gateway (uvicorn, token verification, rate
limits, the RPC to posts over RabbitMQ, nameko, PostgreSQL and back), with wrk,
16 connections, varied queries:

- feed: 50 readers of 11 agencies with 1 to 3 topics each, first pages and
  next pages (cursors fetched before the run);
- search: the readers again, a word of the seed's vocabulary (rare, common,
  stems, two words), sometimes with a topic, a kind or an agency filter.

Each request of a run is drawn at random from a few thousand such requests.
The seeded database (`<DB_NAME_PREFIX>bench_posts`, seeded once by
feed_and_search, `--reseed` to seed again) is copied as the posts database of
a stack of its own (a vhost and databases `b<run>_*`, like `make bench`), so
the seed stays as it is. The readers' access tokens are signed with the
stack's own JWT key, as identity signs them; their profiles (agency, topics)
are written in posts' copy of members, as identity's events would.
Prints p50, p95, p99 and req/s per run; target: p95 <= 50 ms.

    .venv/bin/python -m bench.posts.through_gateway [--duration 15] [--connections 16] [--reseed]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import httpx
import jwt
import psycopg
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from bench.posts import feed_and_search
from bench.ratios import Stack, cpu_seconds
from shared.settings import get_settings

READERS = 50
SEARCH_WORDS = [*feed_and_search.WORDS, feed_and_search.RARE_WORD, feed_and_search.COMMON_WORD, "formations",
                "métiers", "recherches", "entretiens", "chauffeurs"]
KINDS = ["question", "discussion", "testimony"]


def add_readers(settings, rng: random.Random, count: int = READERS) -> list[dict]:
    """`count` members in posts' copy of members of the stack's posts database:
    an agency of the seed's and 1 to 3 topics each; their access tokens."""
    slugs = feed_and_search.topic_slugs()
    key = load_pem_private_key(Path(settings.jwt_private_key_path).read_bytes(), password=None)
    now = int(time.time())
    readers = []
    with psycopg.connect(f"{settings.postgres_url.rstrip('/')}/{settings.database_name('posts')}") as conn:
        for n in range(count):
            member = {"id": str(uuid.uuid4()), "agency": rng.choice(feed_and_search.AGENCIES),
                      "topics": rng.sample(slugs, rng.randint(1, 3))}
            conn.execute("INSERT INTO authors (id, display_name, topics, role, agency_code) "
                         "VALUES (%s, %s, %s, 'job_seeker', %s)",
                         (member["id"], f"Lecteur {n + 1}", json.dumps(member["topics"]), member["agency"]))
            member["token"] = jwt.encode({
                "sub": member["id"], "role": "job_seeker", "agency": member["agency"], "sid": str(uuid.uuid4()),
                "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "iat": now, "exp": now + 3600,
                "jti": uuid.uuid4().hex}, key, algorithm="EdDSA")
            readers.append(member)
        conn.commit()
    return readers


def feed_requests(gateway: str, readers: list[dict], rng: random.Random) -> list[tuple[str, str]]:
    """(path, token): each reader's first feed page, and next pages as far as
    three deep (their cursors read now, through the gateway)."""
    requests = []
    with httpx.Client(base_url=gateway, timeout=60) as api:
        for reader in readers:
            headers = {"Authorization": f"Bearer {reader['token']}"}
            requests.append(("/v1/feed", reader["token"]))
            cursor = None
            for _ in range(3):
                page = api.get("/v1/feed", params={"cursor": cursor} if cursor else {}, headers=headers)
                page.raise_for_status()
                cursor = page.json()["next_cursor"]
                if not cursor:
                    break
                requests.append((f"/v1/feed?{urlencode({'cursor': cursor})}", reader["token"]))
    rng.shuffle(requests)
    return requests


def search_query(rng: random.Random, slugs: list[str]) -> dict:
    """The query of one search of the mix: a word or two of the seed's
    vocabulary, sometimes a topic (15 %), a kind (10 %) or an agency (10 %)."""
    query = {"q": " ".join(rng.sample(SEARCH_WORDS, rng.choice([1, 1, 1, 2])))}
    filter_ = rng.random()
    if filter_ < 0.15:
        query["topic"] = rng.choice(slugs)
    elif filter_ < 0.25:
        query["kind"] = rng.choice(KINDS)
    elif filter_ < 0.35:
        query["agency"] = rng.choice(feed_and_search.AGENCIES)
    return query


def search_requests(readers: list[dict], rng: random.Random, count: int = 3000) -> list[tuple[str, str]]:
    """(path, token): a search of the mix by one of the readers."""
    slugs = feed_and_search.topic_slugs()
    requests = []
    for _ in range(count):
        reader = rng.choice(readers)
        requests.append((f"/v1/posts?{urlencode(search_query(rng, slugs))}", reader["token"]))
    return requests


WRK_SCRIPT = """
local requests = {%s}
math.randomseed(%d)
request = function()
  local r = requests[math.random(#requests)]
  return wrk.format("GET", r[1], {["Authorization"] = "Bearer " .. r[2]})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%.3f %%.3f %%.3f %%.3f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.duration / 1000000))
end
"""


def run_wrk(gateway: str, requests: list[tuple[str, str]], *, duration: int, connections: int,
            log_dir: Path, pids: list[int] = ()) -> dict:
    """wrk on `requests` drawn at random; p50/p95/p99 in ms from its own
    histogram; the CPU time of `pids` (and their children) per request."""
    entries = ", ".join("{%s, %s}" % (json.dumps(path), json.dumps(token)) for path, token in requests)
    script = log_dir / f"wrk-{uuid.uuid4().hex[:6]}.lua"
    script.write_text(WRK_SCRIPT % (entries, random.randrange(1 << 30)))
    cpu_before = cpu_seconds(list(pids))
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(script),
                          gateway], capture_output=True, text=True, check=True).stdout
    found = re.search(r"^RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)$", out, re.M)
    if found is None:
        raise RuntimeError(f"wrk said:\n{out}")
    cpu = cpu_seconds(list(pids)) - cpu_before
    total, errors = int(found.group(1)), int(found.group(2))
    p50, p95, p99, seconds = (float(v) for v in found.groups()[2:])
    return {"requests": total, "errors": errors, "p50": p50, "p95": p95, "p99": p99, "rps": total / seconds,
            "cpu_ms": 1000 * cpu / max(total, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="posts to seed when seeding (default 1,000,000)")
    parser.add_argument("--reseed", action="store_true", help="drop the seeded database and seed it again")
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run (default 15)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent readers (default 16)")
    parser.add_argument("--runs", type=int, default=2, help="runs of each kind, alternated (default 2)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: infra/scripts/ensure-tools.sh bench (or apt-get install wrk)")
    cfg = get_settings()
    if feed_and_search.ensure_schema(cfg, args.reseed):
        feed_and_search.seed(cfg, args.rows)
    source = cfg.database_name(feed_and_search.SERVICE)
    with psycopg.connect(feed_and_search.plain_url(cfg)) as conn:
        total = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    log_dir = Path(tempfile.mkdtemp(prefix="bench-gateway-posts-"))
    stack = Stack(log_dir, templates={"posts": source}, floor=False)
    rng = random.Random(feed_and_search.SEED + 2)
    keep_logs = False
    try:
        print(f"through the gateway: {total:,} posts (copy of {source}), vhost {stack.vhost}, logs in {log_dir}",
              flush=True)
        stack.start()
        readers = add_readers(stack.settings, rng)
        feeds = feed_requests(stack.gateway, readers, rng)
        searches = search_requests(readers, rng)
        load = {"duration": args.duration, "connections": args.connections, "log_dir": log_dir}
        run_wrk(stack.gateway, feeds + searches, **{**load, "duration": 3})  # warm-up, not counted
        # CPU per request of the gateway (its workers) and posts: steadier than
        # latency on a machine shared with other work (PostgreSQL's not counted).
        load["pids"] = [stack.gateway_pid, stack.service_pids["posts"]]
        print(f"{'run':40} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} errors  CPU ms/req  load",
              flush=True)
        results: dict[str, list[dict]] = {"feed": [], "search": []}
        for _ in range(args.runs):
            for name, requests in (("feed", feeds), ("search", searches)):
                figure = run_wrk(stack.gateway, requests, **load)
                results[name].append(figure)
                label = f"{name} ({len(requests)} distinct requests)"
                print(f"{label:40} {figure['rps']:7.0f} {figure['p50']:7.1f} {figure['p95']:7.1f} "
                      f"{figure['p99']:7.1f} {figure['errors']:6}  {figure['cpu_ms']:10.2f}  "
                      f"{os.getloadavg()[0]:.1f}", flush=True)
        worst = {name: max(f["p95"] for f in runs) for name, runs in results.items()}
        print(f"through the gateway: feed p95 {worst['feed']:.1f} ms, search p95 {worst['search']:.1f} ms "
              f"(worst run of each; target 50 ms), {args.connections} readers, {total:,} posts")
    except BaseException:
        keep_logs = True
        print(f"through the gateway: failed; the processes' logs are in {log_dir}", file=sys.stderr)
        raise
    finally:
        stack.stop()
        if not keep_logs:
            shutil.rmtree(log_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
