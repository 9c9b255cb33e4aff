"""A producer that adds a field and deploys first: the running consumers
handle its events (they ignore what they do not know), none is parked."""
import pytest

from stack.testing import db_connect, wait_for
from tests.reliability.test_dead_letters import dead_letters
from tests.reliability.test_idempotent_consumer import post_created, publish_raw

pytestmark = pytest.mark.integration


def test_an_event_with_fields_the_consumer_does_not_know_is_handled(platform, start_service):
    start_service("moderation")
    envelope = post_created("Un message d'un producteur plus récent.")
    envelope["payload"]["language"] = "fr"  # a field the next version of posts adds
    envelope["trace_parent"] = "00-abc-01"  # and one in the envelope
    publish_raw(platform.amqp_uri, envelope, "post_created")

    def screened():
        with db_connect(platform, "moderation") as conn:
            return conn.execute(
                "SELECT count(*) FROM outbox WHERE event_type = 'moderation.content_screened' "
                "AND envelope->'payload'->>'target_id' = %s", (envelope["payload"]["post_id"],)
            ).fetchone()[0]

    assert wait_for(screened, timeout=15, interval=0.3, message="the event to be handled") == 1
    assert not [body for body, _ in dead_letters(platform.amqp_uri) if body.get("event_id") == envelope["event_id"]]
