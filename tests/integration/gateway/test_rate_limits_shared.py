"""Rate limits hold across gateway replicas: two gateway processes count in
the same PostgreSQL database (the gateway's, made by the bootstrap), so
requests alternating between them reach one shared limit."""

from __future__ import annotations

import secrets
import subprocess
import sys
import uuid
from datetime import datetime, timezone

import httpx
import pytest

from services.identity.tokens import TokenIssuer
from shared.settings import REPO_ROOT
from stack import broker_users, db_roles
from stack.bootstrap import ensure_gateway_database
from stack.testing import die_with_parent, free_port, service_env, wait_for

pytestmark = pytest.mark.integration

WRITES, AUTH = 7, 5


@pytest.fixture(scope="module")
def gateway_database(settings):
    # Made as the bootstrap makes it; kept for the session's other tests (the
    # platform fixture drops it, or the next run's stale-run cleanup).
    ensure_gateway_database(settings)
    # The gateway connects as its own PostgreSQL role and broker user.
    db_roles.ensure_role(settings, "gateway")
    broker_users.ensure_platform_users(settings, [])
    return settings


def new_client_address() -> str:
    """An address of the documentation range no other test uses (the counters
    are shared by the whole session): each test counts from zero."""
    return f"2001:db8:{secrets.token_hex(2)}:{secrets.token_hex(2)}::1"


@pytest.fixture(scope="module")
def replicas(gateway_database, tmp_path_factory):
    """Two gateways on one database, with small limits (no service needed:
    the requests are refused by validation or by the limiter)."""
    log_dir = tmp_path_factory.mktemp("gateways")
    procs, bases = [], []
    for n in range(2):
        port = free_port()
        env = service_env(gateway_database, "gateway")
        env.update(RPC_TIMEOUT_SECONDS="1", RATE_LIMIT_MEMBER_WRITES=str(WRITES), RATE_LIMIT_AUTH_REQUESTS=str(AUTH),
                   RATE_LIMIT_WINDOW_SECONDS="3600")
        with open(log_dir / f"gateway-{n}.log", "ab") as log:
            procs.append(subprocess.Popen([sys.executable, "-m", "gateway", "--host", "127.0.0.1", "--port", str(port)],
                                          cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                          preexec_fn=die_with_parent))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for n, (base, proc) in enumerate(zip(bases, procs)):
            def alive(base=base, proc=proc, n=n):
                assert proc.poll() is None, (log_dir / f"gateway-{n}.log").read_text()[-3000:]
                try:
                    return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return False
            wait_for(alive, timeout=30, message="a gateway to answer")
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(15)


def member_token(settings) -> str:
    issuer = TokenIssuer.from_settings(settings)
    return issuer.access_token(str(uuid.uuid4()), "job_seeker", "HDF-LILLE", uuid.uuid4(), datetime.now(timezone.utc))


def test_member_writes_alternating_between_replicas_hit_one_limit(replicas, gateway_database):
    headers = {"Authorization": f"Bearer {member_token(gateway_database)}"}
    answers = [
        httpx.post(f"{replicas[n % 2]}/v1/posts", json={}, headers=headers, timeout=10) for n in range(WRITES + 3)
    ]
    # Each replica alone saw fewer than WRITES requests: only a shared count refuses.
    assert [a.status_code for a in answers] == [422] * WRITES + [429] * 3
    refused = answers[WRITES]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["retry-after"]) >= 1
    assert f'"member-writes";q={WRITES};w=3600' in refused.headers["ratelimit-policy"]
    assert '"member-writes";r=0;' in refused.headers["ratelimit"]


def test_unauthenticated_auth_requests_alternating_between_replicas_hit_one_limit(replicas):
    client = {"X-Forwarded-For": new_client_address()}
    answers = [httpx.post(f"{replicas[n % 2]}/v1/auth/token", json={}, headers=client, timeout=10)
               for n in range(AUTH + 2)]
    assert [a.status_code for a in answers] == [422] * AUTH + [429] * 2
    assert answers[0].headers["ratelimit-policy"] == f'"auth-address";q={AUTH};w=3600'


def test_a_trusted_proxy_forwards_the_client_address_and_ipv6_counts_by_64(replicas):
    # 127.0.0.1 is a trusted proxy by default (FORWARDED_ALLOW_IPS): the
    # addresses it forwards are counted, each IPv6 /64 as one client.
    def post(n: int, address: str) -> int:
        return httpx.post(f"{replicas[n % 2]}/v1/auth/token", json={}, headers={"X-Forwarded-For": address},
                          timeout=10).status_code

    prefix = new_client_address().removesuffix("::1")  # a fresh /64
    same_64 = [post(n, f"{prefix}:{n + 1:x}::{n + 7:x}") for n in range(AUTH + 1)]
    assert same_64 == [422] * AUTH + [429]
    assert post(0, new_client_address()) == 422  # another /64


def test_the_counters_are_one_row_per_caller_and_window(replicas, gateway_database):
    import ipaddress

    import psycopg

    address = new_client_address()
    for n in range(AUTH + 2):
        httpx.post(f"{replicas[n % 2]}/v1/auth/token", json={}, headers={"X-Forwarded-For": address}, timeout=10)
    network = ipaddress.IPv6Network((address, 64), strict=False)
    url = f"{gateway_database.postgres_url.rstrip('/')}/{gateway_database.database_name('gateway')}"
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT key, hits FROM rate_limit_counters WHERE key = %s", (f"a:{network}",)).fetchall()
        persistence = conn.execute(
            "SELECT relpersistence FROM pg_class WHERE relname = 'rate_limit_counters'").fetchone()[0]
    assert rows == [(f"a:{network}", AUTH + 2)]
    assert persistence == "u"  # unlogged: no WAL for counters


def test_concurrent_requests_batched_together_each_get_their_own_count(gateway_database):
    """Requests waiting together share one upsert; none is lost or counted twice."""
    import asyncio

    from gateway.ratelimit import PostgresCounterStore

    url = f"{gateway_database.postgres_url.rstrip('/')}/{gateway_database.database_name('gateway')}"
    key, other = f"m:{uuid.uuid4()}", f"w:{uuid.uuid4()}"

    async def scenario():
        store = PostgresCounterStore(url)
        try:
            answers = await asyncio.gather(*(store.hit([key, other] if n % 2 else [key], 7) for n in range(60)))
        finally:
            await store.close()
        return answers

    answers = asyncio.run(scenario())
    assert sorted(a[key] for a in answers) == list(range(1, 61))
    assert sorted(a[other] for a in answers if other in a) == list(range(1, 31))
