"""The outbox gauges the OutboxStuck alerts read follow the table: the relay's
pass sets outbox_backlog_messages to the unsent rows and
outbox_oldest_unsent_age_seconds to the age of the oldest, and both fall to
zero once the rows are published (real PostgreSQL and RabbitMQ)."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from kombu import Connection
from prometheus_client import REGISTRY
from sqlalchemy import func, insert, select

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


def bound_queue(platform, **arguments) -> str:
    name = f"{SERVICE}-probe-{uuid.uuid4().hex[:8]}"
    with Connection(platform.amqp_uri) as conn:
        channel = conn.channel()
        channel.queue_declare(name, durable=False, auto_delete=False, arguments=arguments or None)
        channel.queue_bind(name, f"{SERVICE}.events", "probe_happened")
    return name


def count_and_delete(platform, queue: str) -> int:
    with Connection(platform.amqp_uri) as conn:
        channel = conn.channel()
        count = channel.queue_declare(queue, passive=True).message_count
        channel.queue_delete(queue)
    return count


def unsent(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))).scalar()


def test_batches_are_published_once_each_and_marked_sent(relay, platform):
    """Every row published once and marked sent: 250 rows, three batches."""
    relay, engine = relay
    queue = bound_queue(platform)
    for _ in range(250):
        add_row(engine, timedelta(0))
    assert relay.drain() == 250
    assert unsent(engine) == 0
    assert count_and_delete(platform, queue) == 250


def publishes_and_confirm_waits(monkeypatch) -> list:
    """What the relay's channels do, in order: "publish" for each message
    sent, "wait" for each wait for a publisher confirm."""
    import amqp.channel
    from amqp import spec

    steps = []
    wait, publish, raw_publish = (amqp.channel.Channel.wait, amqp.channel.Channel.basic_publish,
                                  amqp.channel.Channel._basic_publish)

    def counting_wait(self, method, *args, **kwargs):
        if spec.Basic.Ack in (method if isinstance(method, (list, tuple)) else [method]):
            steps.append("wait")
        return wait(self, method, *args, **kwargs)

    def counting(original):
        def publishing(self, *args, **kwargs):
            steps.append("publish")
            return original(self, *args, **kwargs)
        return publishing

    monkeypatch.setattr(amqp.channel.Channel, "wait", counting_wait)
    # basic_publish without confirms; basic_publish_confirm (per message) calls _basic_publish.
    monkeypatch.setattr(amqp.channel.Channel, "basic_publish", counting(publish))
    monkeypatch.setattr(amqp.channel.Channel, "_basic_publish", counting(raw_publish))
    return steps


def test_a_batch_waits_for_its_confirms_together(relay, platform, monkeypatch):
    """Not one broker round trip per event: that bounded the events a service
    sends a second (issue 17). A batch is published whole before its confirms
    are awaited (how many ack frames the broker sends for them is its own
    business: one per message on a busy broker)."""
    relay, engine = relay
    queue = bound_queue(platform)
    for _ in range(100):
        add_row(engine, timedelta(0))
    steps = publishes_and_confirm_waits(monkeypatch)
    assert relay.drain() == 100
    assert steps.count("publish") == 100
    # Publishing again after a wait starts another batch: a handful, not one per event.
    batches = sum(1 for before, after in zip(["wait", *steps], steps) if before == "wait" and after == "publish")
    assert batches < 20, f"{batches} publish-then-wait rounds for 100 events"
    assert unsent(engine) == 0
    assert count_and_delete(platform, queue) == 100


def test_what_the_broker_confirmed_of_a_batch_is_sent_and_the_refused_rest_waits(relay, platform):
    """A nack settles its own rows only: the confirmed ones are marked sent;
    the refused ones, tried again alone and refused again (a full queue is
    a passing condition), stop the pass and wait for the next one."""
    from shared.transient import is_transient

    relay, engine = relay
    queue = bound_queue(platform, **{"x-max-length": 1, "x-overflow": "reject-publish"})
    for _ in range(3):
        add_row(engine, timedelta(0))
    with pytest.raises(Exception) as refused:
        relay.publish_pending()
    assert is_transient(refused.value)  # the relay's loop backs off and tries again
    assert unsent(engine) == 2  # the queue took one
    count_and_delete(platform, queue)
    assert relay.drain() == 2 and unsent(engine) == 0


def test_a_pass_builds_no_statement_of_its_own(relay, monkeypatch):
    """The relay's statements are built once (issue 17: building and keying
    them on every pass was 40 % of its SQL's CPU); a pass only runs them."""
    from shared.messaging import outbox_relay

    relay, engine = relay
    add_row(engine, timedelta(seconds=1))
    add_row(engine, timedelta(seconds=1))

    def no_new_statement(*args, **kwargs):
        raise AssertionError("a statement was built during a relay pass")

    monkeypatch.setattr(outbox_relay, "select", no_new_statement)
    monkeypatch.setattr(outbox_relay, "update", no_new_statement)
    assert relay.drain() == 2
    relay.observe_backlog()
    assert gauge("outbox_backlog_messages") == 0
