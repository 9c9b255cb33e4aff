"""Rate limits at the gateway (gateway/ratelimit.py), with the counters in
memory; tests/integration/gateway/test_rate_limits_shared.py proves them on
PostgreSQL with two gateway processes."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from gateway.app import create_app
from gateway.ratelimit import client_key


class MemoryCounterStore:
    """The CounterStore protocol on a dict (one process only: unit tests)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, int]] = Counter()
        self.fail = False

    async def hit(self, keys, window_start, amounts=None):
        if self.fail:
            raise OSError("connection refused")
        for key, amount in zip(keys, amounts or [1] * len(keys)):
            self.counts[(key, window_start)] += amount
        return {key: self.counts[(key, window_start)] for key in keys}

    async def purge(self, before):
        for key in [k for k in self.counts if k[1] < before]:
            del self.counts[key]

    async def close(self):
        pass


@pytest.fixture
def store():
    return MemoryCounterStore()


@pytest.fixture
def limited(settings, fake_rpc, store, test_client_class):
    def make(**limits):
        # An hour's window: a test never straddles two windows (fixed, on the clock).
        limits = {"rate_limit_window_seconds": 3600, **limits}
        app = create_app(settings.model_copy(update=limits), rpc_client=fake_rpc, rate_limit_store=store)
        return test_client_class(app, raise_server_exceptions=False)

    return make


def test_a_member_gets_30_writes_a_minute_then_429_with_retry_after(limited, auth, fake_rpc, assert_problem):
    fake_rpc.replies[("posts", "add_comment")] = {"id": "c1", "status": "pending"}
    headers = auth(sub="member-1")
    with limited() as client:
        answers = [client.post("/v1/posts/p1/comments", json={"body": "Merci"}, headers=headers) for _ in range(80)]
    statuses = [a.status_code for a in answers]
    assert statuses[:30] == [201] * 30, statuses
    assert set(statuses[30:]) == {429}
    refused = answers[30]
    body = assert_problem(refused, 429)
    assert "limite" in body["detail"]
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert refused.headers["ratelimit-policy"] == '"member";q=600;w=3600, "member-writes";q=30;w=3600'
    assert re.fullmatch(r'"member";r=569;t=\d+, "member-writes";r=0;t=\d+', refused.headers["ratelimit"])
    assert len(fake_rpc.calls) == 30  # nothing refused reached the service


def test_reads_count_against_the_member_request_limit(limited, auth, fake_rpc):
    fake_rpc.replies[("notifications", "mark_all_read")] = None
    fake_rpc.replies[("identity", "list_agencies")] = []
    headers = auth(sub="member-2")
    with limited(rate_limit_member_requests=5) as client:
        statuses = [client.get("/v1/agencies", headers=headers).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2


def test_every_counted_answer_says_the_policy_and_what_remains(limited, auth, fake_rpc):
    fake_rpc.replies[("identity", "list_agencies")] = []
    with limited() as client:
        first = client.get("/v1/agencies", headers=auth(sub="member-3"))
        second = client.get("/v1/agencies", headers=auth(sub="member-3"))
    assert first.headers["ratelimit-policy"] == '"member";q=600;w=3600, "member-writes";q=30;w=3600'
    assert re.fullmatch(r'"member";r=599;t=\d+', first.headers["ratelimit"])
    assert re.fullmatch(r'"member";r=598;t=\d+', second.headers["ratelimit"])


def test_members_are_counted_apart(limited, auth, fake_rpc):
    fake_rpc.replies[("identity", "list_agencies")] = []
    with limited(rate_limit_member_requests=2) as client:
        for _ in range(2):
            assert client.get("/v1/agencies", headers=auth(sub="a")).status_code == 200
        assert client.get("/v1/agencies", headers=auth(sub="a")).status_code == 429
        assert client.get("/v1/agencies", headers=auth(sub="b")).status_code == 200


def test_unauthenticated_auth_requests_are_limited_per_address(limited, fake_rpc, store):
    with limited(rate_limit_auth_requests=3) as client:
        statuses = [client.post("/v1/auth/token", json={}).status_code for _ in range(5)]
    assert statuses == [422, 422, 422, 429, 429]
    assert {key for key, _ in store.counts} == {"a:testclient"}


def test_anonymous_public_reads_and_operations_endpoints_are_not_counted(limited, fake_rpc, store):
    fake_rpc.replies[("identity", "list_agencies")] = []
    with limited(rate_limit_auth_requests=1) as client:
        for path in ("/v1/agencies", "/healthz", "/openapi.json"):
            response = client.get(path)
            assert "ratelimit" not in response.headers
    assert not store.counts


def test_an_invalid_token_is_not_counted_as_a_member(limited, make_token, store):
    with limited() as client:
        response = client.get("/v1/me", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert not store.counts


def test_with_the_counters_unreachable_requests_are_served(limited, auth, fake_rpc, store):
    fake_rpc.replies[("identity", "list_agencies")] = []
    store.fail = True
    with limited() as client:
        response = client.get("/v1/agencies", headers=auth())
        assert response.status_code == 200
        assert "ratelimit" not in response.headers
        metrics = client.get("/metrics").text
    assert "gateway_rate_limit_store_errors_total 1.0" in metrics


def test_the_openapi_document_declares_429_and_the_headers(limited):
    with limited() as client:
        schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/v1/posts"]["post"]
    assert "429" in operation["responses"]
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    assert {"RateLimit-Policy", "RateLimit"} <= set(operation["responses"]["201"]["headers"])
    assert "429" not in schema["paths"]["/healthz"]["get"]["responses"]


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
    ],
)
def test_ipv6_clients_count_by_their_64(host, key):
    assert client_key({"client": (host, 1234)}) == key


def test_past_windows_are_forgotten(limited, auth, fake_rpc, store):
    fake_rpc.replies[("identity", "list_agencies")] = []
    store.counts[("m:someone", 0)] = 7  # a window long gone
    with limited() as client:
        client.get("/v1/agencies", headers=auth(sub="member-9"))
        client.get("/v1/agencies", headers=auth(sub="member-9"))
    assert ("m:someone", 0) not in store.counts
    # One place reserved for the first request, then a run of two (CounterLeases).
    assert [hits for (key, _), hits in store.counts.items() if key == "m:member-9"] == [3]


def test_a_hanging_store_does_not_hang_the_api(limited, auth, fake_rpc, store, monkeypatch):
    import asyncio
    import time

    async def hang(keys, window_start, amounts=None):
        await asyncio.sleep(30)

    monkeypatch.setattr(store, "hit", hang)
    fake_rpc.replies[("identity", "list_agencies")] = []
    with limited() as client:
        started = time.monotonic()
        response = client.get("/v1/agencies", headers=auth())
        assert response.status_code == 200 and time.monotonic() - started < 5
        assert "ratelimit" not in response.headers


def test_browsers_of_other_origins_may_read_the_rate_limit_headers(limited, auth, fake_rpc):
    fake_rpc.replies[("identity", "list_agencies")] = []
    with limited() as client:
        response = client.get("/v1/agencies", headers={**auth(), "Origin": "https://app.example.fr"})
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert {"ratelimit", "ratelimit-policy", "retry-after"} <= exposed


class CountingStore(MemoryCounterStore):
    def __init__(self) -> None:
        super().__init__()
        self.round_trips = 0

    async def hit(self, keys, window_start, amounts=None):
        self.round_trips += 1
        return await super().hit(keys, window_start, amounts)


def test_a_burst_reserves_places_ahead_each_request_still_gets_its_own():
    import asyncio

    from gateway.ratelimit import CounterLeases

    store = CountingStore()
    leases = CounterLeases(store)

    async def burst():
        one_by_one = [await leases.places([("m:a", 10_000)], 60) for _ in range(100)]
        together = await asyncio.gather(*(leases.places([("m:a", 10_000)], 60) for _ in range(100)))
        return [p["m:a"] for p in one_by_one], [p["m:a"] for p in together]

    one_by_one, together = asyncio.run(burst())
    assert one_by_one == list(range(1, 101))  # in order, each its own
    assert sorted(together) == list(range(101, 201))  # at once: still each its own, none lost
    assert store.round_trips < 20  # instead of 200


def test_places_spread_over_two_processes_never_let_more_than_the_quota_through(limited, auth, fake_rpc, store):
    fake_rpc.replies[("identity", "list_agencies")] = []
    headers = auth(sub="member-spread")
    with limited(rate_limit_member_requests=100) as first, limited(rate_limit_member_requests=100) as second:
        statuses = [(first, second)[n % 2].get("/v1/agencies", headers=headers).status_code for n in range(160)]
    served = statuses.count(200)
    # Each place is one request's: never past the quota. Places one process
    # reserved and the member did not use there are lost: a few at most.
    assert 94 <= served <= 100
    assert statuses[:90] == [200] * 90


def test_near_the_quota_every_place_is_reserved_alone(limited, auth, fake_rpc, store):
    fake_rpc.replies[("identity", "list_agencies")] = []
    headers = auth(sub="member-near")
    with limited(rate_limit_member_requests=40) as client:
        answers = [client.get("/v1/agencies", headers=headers) for _ in range(42)]
    assert [a.status_code for a in answers] == [200] * 40 + [429] * 2
    remaining = [int(re.search(r'"member";r=(\d+)', a.headers["ratelimit"]).group(1)) for a in answers]
    assert remaining == [39 - n for n in range(40)] + [0, 0]
    assert store.counts[next(k for k in store.counts if k[0] == "m:member-near")] <= 42 + 1
