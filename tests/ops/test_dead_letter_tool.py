"""`python -m tools.dead_letters` against the real broker: an event parked by
a failing handler is listed and shown with its error, requeued to its queue
and handled once the handler works; another is discarded and never handled."""
import json
import subprocess
import sys
import uuid
from datetime import datetime, timezone

import pytest
from kombu import Connection, Exchange, Queue

from shared.messaging.amqp import event_queue_name, events_exchange
from shared.messaging.consumer import QUORUM
from shared.settings import REPO_ROOT
from stack.testing import service_env, wait_for
from tests.ops.dead_letter_probe_service import EVENT, SOURCE
from tools.dead_letters.messages import describe, requeue_headers

pytestmark = pytest.mark.integration

PROBE_QUEUE = event_queue_name(SOURCE, EVENT, "dlprobe", "on_thing_happened")


def tool(platform, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tools.dead_letters", *args],
        cwd=REPO_ROOT, env=service_env(platform), capture_output=True, text=True, timeout=60,
    )


def parked_ids(platform) -> set[str]:
    result = tool(platform, "list", "--json")
    assert result.returncode == 0, result.stderr
    return {json.loads(line)["id"] for line in result.stdout.splitlines()}


def publish(amqp_uri: str) -> str:
    event_id = str(uuid.uuid4())
    envelope = {"event_id": event_id, "event_type": f"{SOURCE}.{EVENT}", "version": 1,
                "occurred_at": datetime.now(timezone.utc).isoformat(), "correlation_id": event_id, "payload": {}}
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=events_exchange(SOURCE), routing_key=EVENT, delivery_mode=2,
            headers={"nameko.correlation_id": event_id},
        )
    return event_id


@pytest.fixture(scope="module")
def probe(platform, start_service, tmp_path_factory):
    """The probe service consuming its own quorum queue, declared here as the
    topology step declares the platform's (the event-queues policy applies)."""
    with Connection(platform.amqp_uri) as conn:
        exchange = Exchange(events_exchange(SOURCE).name, type="topic", durable=True)
        Queue(PROBE_QUEUE, exchange=exchange, routing_key=EVENT, durable=True, queue_arguments=QUORUM)(conn.channel()).declare()
    files = tmp_path_factory.mktemp("dlprobe")
    fail_flag, handled = files / "fail", files / "handled"
    handled.touch()
    start_service("dlprobe", module="tests.ops.dead_letter_probe_service",
                  PROBE_FAIL_FLAG=fail_flag, PROBE_HANDLED_FILE=handled)
    return fail_flag, handled


def handled_ids(handled_file) -> list[str]:
    return handled_file.read_text().split()


def test_a_parked_event_is_requeued_and_handled_once_the_handler_works(platform, probe):
    fail_flag, handled = probe
    fail_flag.touch()
    event_id = publish(platform.amqp_uri)
    wait_for(lambda: event_id in parked_ids(platform), timeout=30, interval=0.5, message="the event in the dead letters")

    shown = tool(platform, "show", event_id)
    assert shown.returncode == 0, shown.stderr
    details = json.loads(shown.stdout)
    assert details["original_queue"] == PROBE_QUEUE
    assert details["error"] == "RuntimeError: probe told to fail"
    assert details["attempts"] == platform.event_max_deliveries
    assert details["headers"]["x-dead-lettered-at"] and "probe told to fail" in details["headers"]["x-error-traceback"]
    assert details["body"]["event_id"] == event_id
    assert event_id not in handled_ids(handled)

    fail_flag.unlink()  # the handler is fixed
    requeued = tool(platform, "requeue", event_id)
    assert requeued.returncode == 0, requeued.stderr
    assert f"requeued {event_id} ({PROBE_QUEUE})" in requeued.stdout
    assert event_id not in parked_ids(platform)
    wait_for(lambda: event_id in handled_ids(handled), timeout=10, message="the requeued event to be handled")
    assert handled_ids(handled).count(event_id) == 1
    log_line = json.loads(requeued.stderr.strip().splitlines()[-1])
    assert log_line["message"] == "requeued a dead-lettered event" and log_line["event_id"] == event_id


def test_a_discarded_event_is_gone_with_a_log_line_and_never_handled(platform, probe):
    fail_flag, handled = probe
    fail_flag.touch()
    try:
        kept, dropped = publish(platform.amqp_uri), publish(platform.amqp_uri)
        wait_for(lambda: {kept, dropped} <= parked_ids(platform), timeout=30, interval=0.5, message="both events parked")
        discarded = tool(platform, "discard", dropped)
        assert discarded.returncode == 0, discarded.stderr
        log_line = json.loads(discarded.stderr.strip().splitlines()[-1])
        assert log_line["message"] == "discarded a dead-lettered event"
        assert log_line["event_id"] == dropped and log_line["queue"] == PROBE_QUEUE
        remaining = parked_ids(platform)
        assert dropped not in remaining and kept in remaining, "only the named event is discarded"
    finally:
        fail_flag.unlink()
    assert tool(platform, "requeue", "--all", "--queue", PROBE_QUEUE).returncode == 0
    wait_for(lambda: kept in handled_ids(handled), timeout=10, message="the other event to be handled")
    assert dropped not in handled_ids(handled)


def test_an_unknown_id_is_an_error(platform):
    result = tool(platform, "requeue", "no-such-event")
    assert result.returncode == 1 and "not found: no-such-event" in result.stderr


def test_requeue_drops_the_delivery_counters_and_keeps_the_error():
    """The consumer counts x-delivery-count: a requeued event carrying its old
    count would be parked again on its first failure."""
    headers = {"x-delivery-count": 4, "x-error": "RuntimeError: boom", "x-original-queue": "evt-a-b--c.d",
               "x-death": [{"queue": "evt-a-b--c.d", "count": 5}], "x-first-death-queue": "evt-a-b--c.d",
               "nameko.correlation_id": "req-1"}
    kept = requeue_headers(headers, "2026-01-01T00:00:00+00:00")
    assert "x-delivery-count" not in kept and "x-death" not in kept and "x-first-death-queue" not in kept
    assert kept["x-error"] == "RuntimeError: boom" and kept["nameko.correlation_id"] == "req-1"
    assert kept["x-requeue-count"] == 1 and requeue_headers(kept, "later")["x-requeue-count"] == 2


def test_a_message_dead_lettered_by_rabbitmq_itself_knows_its_queue():
    parked = describe(b'{"event_id": "e1", "event_type": "posts.post_created"}',
                      {"x-death": [{"queue": "evt-posts-post_created--moderation.on_post_created", "count": 5,
                                    "reason": "delivery_limit"}], "x-first-death-reason": "delivery_limit"},
                      "application/json")
    assert parked.id == "e1" and parked.original_queue == "evt-posts-post_created--moderation.on_post_created"
    assert parked.attempts == 5 and "delivery_limit" in parked.error
