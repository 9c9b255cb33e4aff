"""A redelivered event has one effect: the inbox skips the duplicate."""
import uuid
from datetime import datetime, timezone

import pytest
from kombu import Connection

from shared.contracts import Envelope
from shared.contracts.posts import PostCreated
from shared.messaging.amqp import events_exchange
from stack.testing import db_connect, wait_for

pytestmark = pytest.mark.integration


def publish_raw(amqp_uri: str, envelope: dict, routing_key: str, producer: str = "posts") -> None:
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=events_exchange(producer), routing_key=routing_key, delivery_mode=2
        )


def post_created(body: str) -> dict:
    event = PostCreated(
        post_id=str(uuid.uuid4()), author_id=str(uuid.uuid4()), agency_code="HDF-AMIENS", kind="question",
        title="Question", body=body, topics=[], created_at=datetime.now(timezone.utc),
    )
    return Envelope.wrap(event, correlation_id="test").model_dump(mode="json")


def test_the_same_event_delivered_twice_has_one_effect(platform, start_service):
    moderation = start_service("moderation")
    envelope = post_created("Écrivez-moi : camille.martin@exemple.fr")
    publish_raw(platform.amqp_uri, envelope, "post_created")
    publish_raw(platform.amqp_uri, envelope, "post_created")

    wait_for(lambda: "duplicate event skipped" in moderation.logs(), timeout=10, message="the duplicate to be seen")
    target = envelope["payload"]["post_id"]
    with db_connect(platform, "moderation") as conn:
        screened = conn.execute(
            "SELECT count(*) FROM outbox WHERE event_type = 'moderation.content_screened' "
            "AND envelope->'payload'->>'target_id' = %s", (target,)
        ).fetchone()[0]
        cases = conn.execute("SELECT count(*) FROM cases WHERE target_id = %s", (target,)).fetchone()[0]
        handled = conn.execute(
            "SELECT count(*) FROM inbox WHERE event_id = %s", (envelope["event_id"],)
        ).fetchone()[0]
    assert (screened, cases, handled) == (1, 1, 1)
