"""Restarts do not count against an event: a consumer killed again and
again while its database is away (each kill returns the event to its queue,
and RabbitMQ counts a delivery) handles the event once the database is back,
and nothing is parked."""
import pytest

from stack.testing import ServiceProcess, database_refusing_connections, db_connect, wait_for
from tests.reliability.test_dead_letters import dead_letters
from tests.reliability.test_idempotent_consumer import post_created, publish_raw

pytestmark = pytest.mark.integration


def test_an_event_survives_more_restarts_than_the_old_delivery_limit(platform, tmp_path):
    envelope = post_created("Un message pendant des redémarrages.")
    restarts = platform.event_max_deliveries + 1  # the old limit counted every delivery, restarts included

    with database_refusing_connections(platform, "moderation"):
        publish_raw(platform.amqp_uri, envelope, "post_created")
        for attempt in range(restarts):
            log_dir = tmp_path / f"run-{attempt}"
            log_dir.mkdir()
            moderation = ServiceProcess(platform, "moderation", log_dir).start()
            wait_for(lambda: "transient failure" in moderation.logs(), timeout=20, interval=0.2,
                     message="the event to be tried while the database is away")
            moderation.kill()  # SIGKILL: the unacked event goes back to its queue

    moderation = ServiceProcess(platform, "moderation", tmp_path).start()
    try:
        def screened():
            with db_connect(platform, "moderation") as conn:
                return conn.execute(
                    "SELECT count(*) FROM outbox WHERE event_type = 'moderation.content_screened' "
                    "AND envelope->'payload'->>'target_id' = %s", (envelope["payload"]["post_id"],)
                ).fetchone()[0]

        assert wait_for(screened, timeout=30, interval=0.5, message="the event to be handled") == 1
        assert not [b for b, _ in dead_letters(platform.amqp_uri) if b.get("event_id") == envelope["event_id"]]
    finally:
        moderation.stop()
