"""Rate limits (docs/api.md, Conventions): per member, 30 writes and 600
requests a minute; per client address, 300 unauthenticated requests a minute
to /v1/auth/*. Past a limit: 429 problem+json with Retry-After; every counted
answer carries `RateLimit-Policy` and `RateLimit` (IETF draft
httpapi-ratelimit-headers).

The counters live in the gateway's own PostgreSQL database (`<prefix>gateway`,
created by the bootstrap) so that every replica counts against the same
limits: atomic upserts in autocommit (no transaction held), on fixed windows
aligned on the clock, each reserving one or more places that this process
hands out to requests (CounterLeases). The table is UNLOGGED: counters are
worth less than the WAL writes they would cost, and a crash merely resets them.

A pure ASGI middleware, cheap on the request path: the caller's token is
verified here once and handed to the route's dependency (gateway/auth.py)
through the request scope, so a request is not verified twice.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import psycopg
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.auth import bearer_token, verify_for_scope
from gateway.errors import problem_response
from gateway.metrics import GatewayMetrics

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
AUTH_PREFIX = "/v1/auth/"
LIMITED_PREFIX = "/v1/"

# The gateway's database: created by the bootstrap (stack/bootstrap.py).
DATABASE = "gateway"
SCHEMA = """
CREATE UNLOGGED TABLE IF NOT EXISTS rate_limit_counters (
    key text NOT NULL,
    window_start bigint NOT NULL,
    hits integer NOT NULL,
    PRIMARY KEY (key, window_start)
)
"""
# One statement for every counter the waiting requests touch (a member's
# write: two), each key once with how many of them counted it.
HIT_SQL = """
INSERT INTO rate_limit_counters AS c (key, window_start, hits)
SELECT k, %(window)s, n FROM unnest(%(keys)s::text[], %(counts)s::int[]) AS t(k, n)
ON CONFLICT (key, window_start) DO UPDATE SET hits = c.hits + EXCLUDED.hits
RETURNING key, hits
"""
PURGE_SQL = "DELETE FROM rate_limit_counters WHERE window_start < %(before)s"


@dataclass(frozen=True)
class Policy:
    name: str  # the policy's name in the RateLimit headers
    quota: int
    window: int  # seconds

    def describe(self) -> str:
        return f'"{self.name}";q={self.quota};w={self.window}'


class CounterStore(Protocol):
    async def hit(self, keys: Sequence[str], window_start: int,
                  amounts: Sequence[int] | None = None) -> dict[str, int]:
        """Add `amounts` (one each by default) to these counters of this
        window; their new values."""

    async def purge(self, before: int) -> None:
        """Forget the windows that started before `before`."""

    async def close(self) -> None: ...


@dataclass(eq=False)
class _Hit:
    keys: Sequence[str]
    amounts: Sequence[int]
    window_start: int
    done: asyncio.Future


class PostgresCounterStore:
    """Counters in PostgreSQL, on connections of this replica's own.

    Requests that arrive while an upsert is on its way wait for the next one
    and go together: one statement for all of them, so under load the
    database sees a few statements per round trip instead of one per request
    (one per request when the gateway is quiet). Each request still gets its
    own exact count: the n-th of a batch to touch a key sees the value before
    the batch plus n."""

    def __init__(self, conninfo: str, *, size: int = 2, connect_timeout: float = 2.0) -> None:
        self._conninfo = conninfo
        self._connect_timeout = connect_timeout
        self._idle: list[psycopg.AsyncConnection] = []
        self._slots = asyncio.Semaphore(size)
        self._waiting: list[_Hit] = []
        self._flusher: asyncio.Task | None = None

    async def _run(self, query: str, params: dict) -> list[tuple]:
        async with self._slots:
            conn = self._idle.pop() if self._idle else await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, connect_timeout=max(1, round(self._connect_timeout)))
            try:
                cursor = await conn.execute(query, params)
                rows = await cursor.fetchall() if cursor.description else []
            except BaseException:
                # Broken, or cancelled in the middle of a query: not reusable.
                await conn.close()
                raise
            self._idle.append(conn)
            return rows

    async def hit(self, keys: Sequence[str], window_start: int,
                  amounts: Sequence[int] | None = None) -> dict[str, int]:
        hit = _Hit(keys, amounts or [1] * len(keys), window_start, asyncio.get_running_loop().create_future())
        self._waiting.append(hit)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        # Shielded: a client that leaves does not cancel the others' upsert.
        return await asyncio.shield(hit.done)

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            for window_start in {hit.window_start for hit in batch}:
                await self._upsert([hit for hit in batch if hit.window_start == window_start], window_start)

    async def _upsert(self, hits: list[_Hit], window_start: int) -> None:
        increments: dict[str, int] = {}
        for hit in hits:
            for key, amount in zip(hit.keys, hit.amounts):
                increments[key] = increments.get(key, 0) + amount
        try:
            rows = await self._run(HIT_SQL, {"keys": list(increments), "counts": list(increments.values()),
                                             "window": window_start})
        except Exception as exc:
            for hit in hits:
                if not hit.done.done():
                    hit.done.set_exception(exc)
            return
        # Hand the counts back in arrival order: the first of the batch to
        # touch a key gets (total - its increments + its amount), the last the total.
        seen = {key: total - increments[key] for key, total in rows}
        for hit in hits:
            counts = {}
            for key, amount in zip(hit.keys, hit.amounts):
                seen[key] += amount
                counts[key] = seen[key]
            if not hit.done.done():
                hit.done.set_result(counts)

    async def purge(self, before: int) -> None:
        await self._run(PURGE_SQL, {"before": before})

    async def close(self) -> None:
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()


@dataclass
class _Lease:
    window_start: int
    next: int  # the next place in the counter this process hands out
    last: int  # the last place it reserved
    size: int  # how many places it reserved last time


class CounterLeases:
    """Places in the shared counters, reserved ahead by this process.

    Counting each request in PostgreSQL cost a round trip per request (batched,
    still about a fifth of the gateway's CPU on reads). Instead a process
    reserves a run of places in a counter (`hits = hits + n`) and hands them
    out one per request: every request still gets a place of its own in the
    one shared count, so no more than the quota are ever let through, whichever
    replica they reach. The price: places a process reserved but did not use
    before the window ends are lost, so a member spread over several gateway
    processes may be refused a little before the quota. Runs start at one and
    double only when used up within the window, and stay under an eighth of
    what is left of the quota (MOST_RESERVED at most): a person clicking
    keeps runs of one or two, and near the limit every place is reserved
    alone, as before."""

    MOST_RESERVED = 32

    def __init__(self, store: CounterStore) -> None:
        self.store = store
        self._leases: dict[str, _Lease] = {}
        self._reserving: dict[str, asyncio.Future] = {}

    async def places(self, keys: list[tuple[str, int]], window_start: int) -> dict[str, int]:
        """A place for each (key, quota) in this window: the request's count."""
        found = {key: self._take(key, window_start) for key, _ in keys}
        missing = [(key, quota) for key, quota in keys if found[key] is None]
        if missing:
            reserved = await asyncio.gather(*(self._reserve(key, quota, window_start) for key, quota in missing))
            found.update(zip((key for key, _ in missing), reserved))
        return found

    def _take(self, key: str, window_start: int) -> int | None:
        lease = self._leases.get(key)
        if lease is None or lease.window_start != window_start or lease.next > lease.last:
            return None
        lease.next += 1
        return lease.next - 1

    async def _reserve(self, key: str, quota: int, window_start: int) -> int:
        while True:
            place = self._take(key, window_start)  # a run another request reserved meanwhile
            if place is not None:
                return place
            reserving = self._reserving.get(key)
            if reserving is None:
                break
            await asyncio.shield(reserving)  # another request of this key is reserving: share its run
        done = asyncio.get_running_loop().create_future()
        self._reserving[key] = done
        try:
            before = self._leases.get(key)
            same_window = before is not None and before.window_start == window_start
            size = min(before.size * 2, self.MOST_RESERVED) if same_window else 1
            size = max(1, min(size, (quota - (before.last if same_window else 0)) // 8))
            total = (await self.store.hit([key], window_start, [size]))[key]
            self._leases[key] = _Lease(window_start, next=total - size + 2, last=total, size=size)
            return total - size + 1
        finally:
            del self._reserving[key]
            done.set_result(None)

    def forget(self, before: int) -> None:
        """Drop the runs of windows that started before `before`."""
        for key in [key for key, lease in self._leases.items() if lease.window_start < before]:
            del self._leases[key]


def ensure_schema(conninfo: str) -> None:
    """Create the counters' table (the bootstrap's deploy step)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(SCHEMA)


def client_key(scope: Scope) -> str | None:
    """The client's address as uvicorn resolved it (forwarded headers are
    trusted only from FORWARDED_ALLOW_IPS); an IPv6 client counts by its /64,
    since one subscriber gets a whole /64 and can pick any address in it."""
    client = scope.get("client")
    if not client or not client[0]:
        return None
    host = client[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # a unix socket or a test client's name: counted as is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class RateLimitMiddleware:
    """Counts each /v1 request against the caller's limits, answers 429 past
    one, and adds the RateLimit headers to every counted answer."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: CounterStore,
        metrics: GatewayMetrics,
        requests_per_window: int,
        writes_per_window: int,
        auth_per_window: int,
        window_seconds: int,
        retry_store_after_seconds: float = 5.0,
        store_timeout_seconds: float = 1.0,
    ) -> None:
        self.app = app
        self.store = store
        self.leases = CounterLeases(store)
        self.metrics = metrics
        self.window = window_seconds
        self.requests = Policy("member", requests_per_window, window_seconds)
        self.writes = Policy("member-writes", writes_per_window, window_seconds)
        self.auth = Policy("auth-address", auth_per_window, window_seconds)
        self._member_policies = f"{self.requests.describe()}, {self.writes.describe()}"
        self._auth_policy = self.auth.describe()
        self._retry_store_after = retry_store_after_seconds
        # A database that hangs must not hang the API: past this, the request
        # is served as if the counters were down.
        self._store_timeout = store_timeout_seconds
        self._store_down_until = 0.0
        self._next_purge = 0.0
        self._purge: asyncio.Task | None = None  # kept: a task nobody holds may be collected

    def _policies(self, scope: Scope) -> tuple[list[tuple[Policy, str]], str] | None:
        """The (policy, counter key) pairs this request counts against."""
        path: str = scope["path"]
        if not path.startswith(LIMITED_PREFIX):
            return None
        token = bearer_token(scope)
        verified = verify_for_scope(scope, token) if token else None
        if verified is not None:
            member = verified.caller.id
            policies = [(self.requests, f"m:{member}")]
            if scope["method"] in WRITE_METHODS:
                policies.append((self.writes, f"w:{member}"))
            return policies, self._member_policies
        if path.startswith(AUTH_PREFIX):
            address = client_key(scope)
            if address is not None:
                return [(self.auth, f"a:{address}")], self._auth_policy
        return None

    async def _count(self, policies: list[tuple[Policy, str]], now: float) -> dict[str, int] | None:
        """The counters after this request; None when the store is down
        (requests are then served unlimited rather than refused)."""
        if now < self._store_down_until:
            return None
        window_start = int(now // self.window) * self.window
        try:
            counts = await asyncio.wait_for(
                self.leases.places([(key, policy.quota) for policy, key in policies], window_start),
                self._store_timeout)
        except (psycopg.Error, OSError, TimeoutError) as exc:
            self._store_down(now, exc)
            return None
        if now >= self._next_purge:
            # Once a window, past windows go, off the request's path.
            self._next_purge = now + self.window
            self._purge = asyncio.create_task(self._forget(window_start - self.window, now))
        return counts

    async def _forget(self, before: int, now: float) -> None:
        self.leases.forget(before)
        try:
            await self.store.purge(before)
        except (psycopg.Error, OSError) as exc:
            self._store_down(now, exc)

    def _store_down(self, now: float, exc: Exception) -> None:
        self._store_down_until = now + self._retry_store_after
        self.metrics.rate_limit_store_errors.inc()
        log.error("rate-limit counters unavailable; serving without limits for a while",
                  extra={"error": type(exc).__name__})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = self._policies(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        policies, policy_header = found
        now = time.time()
        counts = await self._count(policies, now)
        if counts is None:
            await self.app(scope, receive, send)
            return
        reset = max(1, math.ceil(int(now // self.window) * self.window + self.window - now))
        states = [(policy, max(0, policy.quota - counts.get(key, 0))) for policy, key in policies]
        exceeded = [policy for policy, key in policies if counts.get(key, 0) > policy.quota]
        limit_header = ", ".join(f'"{p.name}";r={remaining};t={reset}' for p, remaining in states)

        def add_headers(message: Message) -> None:
            headers = MutableHeaders(scope=message)
            headers.append("RateLimit-Policy", policy_header)
            headers.append("RateLimit", limit_header)

        if exceeded:
            self.metrics.rate_limited.labels(exceeded[0].name).inc()
            response = problem_response(
                429,
                "Trop de requêtes : limite de débit atteinte. Réessayez dans quelques instants.",
                headers={"Retry-After": str(reset)},
            )

            async def send_refusal(message: Message) -> None:
                if message["type"] == "http.response.start":
                    add_headers(message)
                await send(message)

            await response(scope, receive, send_refusal)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_headers(message)
            await send(message)

        await self.app(scope, receive, send_with_headers)

