"""What the rate limiter costs a request: the gateway app in process (an
answering stand-in for the services, so only the gateway's own work is
timed), the counters in a real PostgreSQL database made for the run.

    .venv/bin/python -m bench.gateway.rate_limits            # 2000 requests per case
    .venv/bin/python -m bench.gateway.rate_limits -n 5000 --concurrency 32

Prints, in milliseconds, p50/p95/max of one counter upsert (the store
alone), and of `GET /v1/me` with a member's token through the whole
ASGI app with the limiter off and on, one request at a time; then requests
a second with `--concurrency` clients at once, off and on.
"""
from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.app import create_app
from gateway.ratelimit import PostgresCounterStore, ensure_schema
from gateway.settings import GatewaySettings
from shared.db.engine import drop_database, ensure_database
from shared.settings import Settings


class AnsweringRpc:
    """Answers every call at once: the services are not what is measured."""

    is_connected = True

    async def call(self, service, method, args=(), kwargs=None, *, context=None, timeout=None):
        return []


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    pick = lambda p: ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]  # noqa: E731
    return f"p50 {pick(50):6.2f}  p95 {pick(95):6.2f}  max {ordered[-1]:7.2f}"


async def timed(n: int, call) -> list[float]:
    for _ in range(20):  # warm-up: connections, prepared statements
        await call()
    durations = []
    for _ in range(n):
        started = time.perf_counter()
        await call()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


async def throughput(n: int, concurrency: int, call) -> float:
    remaining = n

    async def client():
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return n / (time.perf_counter() - started)


async def run(args, conninfo: str, keys: Path) -> None:
    key = Ed25519PrivateKey.generate()
    public = keys / "jwt.pub.pem"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    now = int(time.time())
    token = jwt.encode({"sub": str(uuid.uuid4()), "role": "job_seeker", "agency": "HDF-LILLE", "iat": now,
                        "exp": now + 3600, "iss": "platform-identity", "aud": "platform-api"}, key, algorithm="EdDSA")
    headers = {"Authorization": f"Bearer {token}"}
    # Limits far above what the run makes: every request is counted, none refused.
    settings = GatewaySettings(jwt_public_key_path=str(public), rate_limit_member_requests=10**9,
                               rate_limit_member_writes=10**9)

    store = PostgresCounterStore(conninfo)
    window = int(time.time())
    upserts = await timed(args.n, lambda: store.hit([f"m:{uuid.uuid4()}", "w:bench"], window))
    print(f"counter upsert alone (2 counters)    {percentiles(upserts)}")

    results = {}
    for name, limited in (("limiter off", False), ("limiter on", True)):
        app = create_app(settings, rpc_client=AnsweringRpc(), rate_limit_store=store if limited else None)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            async def get():
                response = await http.get("/v1/me", headers=headers)
                assert response.status_code == 200, response.text
                assert ("ratelimit" in response.headers) is limited
            durations = await timed(args.n, get)
            rate = await throughput(args.n, args.concurrency, get)
        results[name] = (durations, rate)
        print(f"GET /v1/me, {name:<12}     {percentiles(durations)}   "
              f"{rate:7.0f} requests/s with {args.concurrency} at once")
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=2000, help="timed requests per case")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    base = Settings()
    settings = base.model_copy(update={"db_name_prefix": f"bench{uuid.uuid4().hex[:8]}_"})
    ensure_database(settings, "gateway")
    conninfo = f"{settings.postgres_url.rstrip('/')}/{settings.database_name('gateway')}"
    try:
        ensure_schema(conninfo)
        with TemporaryDirectory() as keys:
            asyncio.run(run(args, conninfo, Path(keys)))
    finally:
        drop_database(settings, "gateway")


if __name__ == "__main__":
    main()
