"""Idempotency-Key end to end (API.md, Conventions): the same POST /v1/posts
with a key is one post, its retry the first answer again; another body with
the key is 422; requests racing on one key make one post; and a retry
after the gateway gave up on a slow service (503) makes no second post."""
import concurrent.futures
import threading
import time
import uuid

import pytest

from stack.testing import db_connect, wait_for

pytestmark = pytest.mark.e2e

GATEWAY_TIMEOUT_SECONDS = 1.5


@pytest.fixture(scope="module")
def services(start_service):
    return {name: start_service(name) for name in ("identity", "posts")}


@pytest.fixture(scope="module")
def gateway_env(services) -> dict:
    return {"GATEWAY_SERVICES": "identity,posts", "RPC_TIMEOUT_SECONDS": str(GATEWAY_TIMEOUT_SECONDS)}


def question(title: str) -> dict:
    return {"kind": "question", "title": title, "body": "Par où commencer ?", "topics": []}


def posts_titled(platform, title: str) -> int:
    with db_connect(platform, "posts") as conn:
        return conn.execute("SELECT count(*) FROM posts WHERE title = %s", (title,)).fetchone()[0]


def test_the_same_post_twice_with_a_key_is_one_post_and_the_first_answer_again(http, platform, join):
    _, headers, _ = join("job_seeker", "Inès")
    title = f"Reconversion {uuid.uuid4().hex[:8]}"
    keyed = {**headers, "Idempotency-Key": f"form-{uuid.uuid4()}"}

    first = http.post("/v1/posts", json=question(title), headers=keyed)
    again = http.post("/v1/posts", json=question(title), headers=keyed)

    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert posts_titled(platform, title) == 1

    other = http.post("/v1/posts", json=question(title + " (bis)"), headers=keyed)
    assert other.status_code == 422
    assert ["header", "Idempotency-Key"] in [e["loc"] for e in other.json()["errors"]]

    # The key is the caller's: another member's same key is theirs alone.
    _, someone_else, _ = join("job_seeker", "Hugo")
    theirs = http.post("/v1/posts", json=question(title), headers={**someone_else, "Idempotency-Key": keyed["Idempotency-Key"]})
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]


def test_requests_racing_on_one_key_make_one_post(http, platform, join):
    _, headers, _ = join("job_seeker", "Nora")
    title = f"Course {uuid.uuid4().hex[:8]}"
    keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    start = threading.Barrier(4)

    def send():
        start.wait()
        return http.post("/v1/posts", json=question(title), headers=keyed)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: send(), range(4)))

    created = [a for a in answers if a.status_code == 201]
    assert created and all(a.status_code in (201, 409) for a in answers), [a.status_code for a in answers]
    assert len({a.json()["id"] for a in created}) == 1
    assert sum("Idempotent-Replayed" not in a.headers for a in created) == 1
    assert posts_titled(platform, title) == 1


def test_a_retry_after_the_gateway_gave_up_on_a_slow_service_makes_no_second_post(http, platform, join):
    _, headers, _ = join("job_seeker", "Paul")
    title = f"Lente {uuid.uuid4().hex[:8]}"
    keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}

    with db_connect(platform, "posts") as blocker:
        # The posts service's insert waits on this lock (its lock timeout,
        # 5 s by default, is longer than the gateway's deadline).
        blocker.execute("BEGIN")
        blocker.execute("LOCK TABLE posts IN EXCLUSIVE MODE")
        started = time.monotonic()
        gave_up = http.post("/v1/posts", json=question(title), headers=keyed)
        assert gave_up.status_code == 503, gave_up.text
        assert time.monotonic() - started < 4

        # The first request still runs in the service: a retry now is told so.
        running = http.post("/v1/posts", json=question(title), headers=keyed)
        assert running.status_code == 409, running.text
        blocker.execute("COMMIT")

    wait_for(lambda: posts_titled(platform, title) == 1, timeout=10, message="the first request's post")
    retried = http.post("/v1/posts", json=question(title), headers=keyed)
    assert retried.status_code == 201, retried.text
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json()["title"] == title
    assert posts_titled(platform, title) == 1
