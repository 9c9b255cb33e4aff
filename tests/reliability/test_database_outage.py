"""A database that goes away for a while (restart, failover, too many
clients) costs clients a 503 with Retry-After and costs events nothing:
they are handled once it is back, none is parked."""
import time

import httpx
import pytest
import subprocess
import sys

from shared.settings import REPO_ROOT
from stack.testing import (
    database_refusing_connections,
    db_connect,
    die_with_parent,
    free_port,
    service_env,
    wait_for,
)
from tests.reliability.test_dead_letters import dead_letters
from tests.reliability.test_idempotent_consumer import post_created, publish_raw

pytestmark = pytest.mark.integration

# Longer than the old retry window (5 deliveries, 0.2 → 1.6 s: about 3 s).
OUTAGE_SECONDS = 8


@pytest.fixture(scope="module")
def gateway(platform, start_service, tmp_path_factory):
    start_service("posts")
    port = free_port()
    log_path = tmp_path_factory.mktemp("gateway") / "gateway.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT, env=service_env(platform, "gateway"), stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
    base = f"http://127.0.0.1:{port}"

    def topics_answered():
        try:
            return httpx.get(f"{base}/v1/topics", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(topics_answered, timeout=30, interval=0.3, message="the gateway to answer")
        yield base
    finally:
        proc.terminate()
        proc.wait(15)


def test_a_database_outage_is_a_503_with_retry_after_never_a_500(platform, gateway):
    with database_refusing_connections(platform, "posts"):
        response = httpx.get(f"{gateway}/v1/topics", timeout=10)
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) >= 1
    problem = response.json()
    assert problem["status"] == 503 and problem["title"] == "Service momentanément indisponible"
    assert "indisponible" in problem["detail"]
    # And once the database is back, the same request succeeds (the pool reconnects).
    wait_for(lambda: httpx.get(f"{gateway}/v1/topics", timeout=10).status_code == 200, timeout=10,
             message="the service to answer again")


def test_an_event_handled_during_a_database_outage_is_handled_after_it_and_not_parked(platform, start_service):
    moderation = start_service("moderation")
    envelope = post_created("Un message pendant la coupure.")
    target = envelope["payload"]["post_id"]

    def screened():
        with db_connect(platform, "moderation") as conn:
            return conn.execute(
                "SELECT count(*) FROM outbox WHERE event_type = 'moderation.content_screened' "
                "AND envelope->'payload'->>'target_id' = %s", (target,)
            ).fetchone()[0]

    with database_refusing_connections(platform, "moderation"):
        publish_raw(platform.amqp_uri, envelope, "post_created")
        time.sleep(OUTAGE_SECONDS)

    assert wait_for(screened, timeout=40, interval=0.5, message="the event to be handled after the outage") == 1
    assert not [body for body, _ in dead_letters(platform.amqp_uri) if body.get("event_id") == envelope["event_id"]]
    assert "transient failure" in moderation.logs()  # it was tried, and failed, during the outage
