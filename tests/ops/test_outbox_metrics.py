"""The outbox gauges the OutboxStuck alerts read follow the table: the relay's
pass sets outbox_backlog_messages to the unsent rows and
outbox_oldest_unsent_age_seconds to the age of the oldest, and both fall to
zero once the rows are published (real PostgreSQL and RabbitMQ)."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from kombu import Connection
from prometheus_client import REGISTRY
from sqlalchemy import insert

from shared.db.engine import drop_database, ensure_database, make_engine
from shared.db.tables import messaging_metadata, outbox
from shared.messaging.amqp import events_exchange
from shared.messaging.outbox_relay import OutboxRelay

pytestmark = pytest.mark.integration

SERVICE = "opsoutbox"


@pytest.fixture
def relay(platform):
    ensure_database(platform, SERVICE)
    engine = make_engine(platform.database_url(SERVICE), pool_size=1)
    messaging_metadata.create_all(engine)
    with Connection(platform.amqp_uri) as conn:
        events_exchange(SERVICE)(conn.channel()).declare()
    relay = OutboxRelay(engine, platform.amqp_uri, SERVICE)
    yield relay, engine
    relay.close()
    engine.dispose()
    drop_database(platform, SERVICE)


def gauge(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"service": SERVICE})


def add_row(engine, age: timedelta) -> None:
    event_id = uuid.uuid4()
    envelope = {"event_id": str(event_id), "event_type": f"{SERVICE}.probe_happened", "version": 1,
                "occurred_at": datetime.now(timezone.utc).isoformat(), "correlation_id": None, "payload": {}}
    with engine.begin() as conn:
        conn.execute(insert(outbox).values(
            event_id=event_id, event_type=envelope["event_type"], exchange=f"{SERVICE}.events",
            routing_key="probe_happened", envelope=envelope, created_at=datetime.now(timezone.utc) - age,
        ))


def test_backlog_and_oldest_age_follow_the_unsent_rows(relay):
    relay, engine = relay
    relay.observe_backlog()
    assert gauge("outbox_backlog_messages") == 0 and gauge("outbox_oldest_unsent_age_seconds") == 0

    add_row(engine, timedelta(minutes=5))
    add_row(engine, timedelta(seconds=1))
    relay.observe_backlog()
    assert gauge("outbox_backlog_messages") == 2
    assert 300 <= gauge("outbox_oldest_unsent_age_seconds") < 330

    published_before = REGISTRY.get_sample_value("outbox_published_total", {"service": SERVICE}) or 0
    assert relay.drain() == 2
    relay.observe_backlog()
    assert gauge("outbox_backlog_messages") == 0 and gauge("outbox_oldest_unsent_age_seconds") == 0
    assert REGISTRY.get_sample_value("outbox_published_total", {"service": SERVICE}) == published_before + 2


def test_a_failed_publish_is_counted(relay):
    relay, engine = relay
    failures_before = REGISTRY.get_sample_value("outbox_publish_failures_total", {"service": SERVICE}) or 0
    relay.record_failure(ConnectionRefusedError("broker down"))
    assert REGISTRY.get_sample_value("outbox_publish_failures_total", {"service": SERVICE}) == failures_before + 1
