"""analytics handles its events in batches (shared/messaging/batching.py):
the events waiting in its queue are committed together, a duplicate within a
batch has one effect, and a poison event in a batch fails alone: the rest of
its batch is recorded and it is parked with its error."""
import httpx
import pytest
from kombu import Connection
from prometheus_client.parser import text_string_to_metric_families

from shared.messaging.amqp import events_exchange
from shared.messaging.batching import MOST_PER_BATCH
from stack.testing import db_connect, free_port, wait_for
from tests.reliability.test_dead_letters import dead_letters
from tests.reliability.test_idempotent_consumer import post_created, publish_raw

pytestmark = pytest.mark.integration

QUEUE = "evt-all--analytics.on_event"


def facts_of(platform, event_ids: list[str]) -> int:
    with db_connect(platform, "analytics") as conn:
        return conn.execute("SELECT count(*) FROM facts WHERE event_id = ANY(%s::uuid[])", (event_ids,)).fetchone()[0]


def test_waiting_events_are_recorded_together_and_a_poison_one_fails_alone(platform, start_service):
    assert MOST_PER_BATCH >= platform.nameko_max_workers  # a whole prefetch fits in one batch
    good = [post_created(f"Message ordinaire n° {n}.") for n in range(8)]
    poison = post_created("jamais lu")
    poison["payload"].pop("title")  # breaks the contract: fails on every delivery
    # Published before analytics starts: they wait in its queue and reach it together.
    for envelope in (good[0], good[1], poison, *good[2:], good[3]):  # good[3] twice
        publish_raw(platform.amqp_uri, envelope, "post_created")
    analytics = start_service("analytics")

    ids = [envelope["event_id"] for envelope in good]
    wait_for(lambda: facts_of(platform, ids) == len(good), timeout=20, message="the good events to be recorded")
    assert "events failed; each is handled again alone" in analytics.logs()

    def parked():
        return [headers for body, headers in dead_letters(platform.amqp_uri)
                if body["event_id"] == poison["event_id"] and headers.get("x-original-queue") == QUEUE]

    headers = wait_for(parked, timeout=30, interval=0.5, message="the poison event in the dead letters")[0]
    assert "ValidationError" in headers["x-error"] and "title" in headers["x-error"]
    assert facts_of(platform, [poison["event_id"]]) == 0
    with db_connect(platform, "analytics") as conn:
        streamed = conn.execute("SELECT count(*) FROM outbox WHERE event_id = ANY(%s::uuid[])", (ids,)).fetchone()[0]
    assert streamed == len(good)  # one stream message each: the duplicate had no effect
    analytics.stop()


def entrypoint_calls(metrics_url: str) -> float:
    """How many workers ran analytics' on_event, whatever their outcome."""
    total = 0.0
    for family in text_string_to_metric_families(httpx.get(metrics_url, timeout=5).text):
        for sample in family.samples:
            if sample.name == "service_entrypoint_calls_total" and sample.labels.get("entrypoint") == "on_event":
                total += sample.value
    return total


def test_a_backlog_takes_a_worker_per_batch_not_per_event(platform, start_service):
    burst = [post_created(f"Rafale n° {n}.") for n in range(60)]
    with Connection(platform.amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer(serializer="json")
        for envelope in burst:
            producer.publish(envelope, exchange=events_exchange("posts"), routing_key="post_created", delivery_mode=2)
    port = free_port()
    start_service("analytics", METRICS_PORT=port)  # the first test's has stopped: the burst waits for this one
    ids = [envelope["event_id"] for envelope in burst]
    wait_for(lambda: facts_of(platform, ids) == len(burst), timeout=30, message="the backlog to be recorded")
    calls = entrypoint_calls(f"http://127.0.0.1:{port}/metrics")
    # One worker per event would be 60; a batch is at most a prefetch (max_workers) of them.
    assert 0 < calls <= len(burst) / 3
