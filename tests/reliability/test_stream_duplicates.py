"""A notification_created event delivered twice by the broker (the outbox
relay publishes at least once) reaches the member's live stream once."""
import asyncio
import uuid
from datetime import datetime, timezone

import pytest

from gateway.notification_stream import NotificationStream
from shared.contracts import Envelope
from shared.contracts.notifications import NotificationCreated
from tests.reliability.test_idempotent_consumer import publish_raw

pytestmark = pytest.mark.integration


def test_the_same_notification_published_twice_is_pushed_once(platform):
    user_id = str(uuid.uuid4())
    event = NotificationCreated(notification_id=str(uuid.uuid4()), user_id=user_id, type="reaction",
                                title="Nouvelle réaction", body="Léa vous remercie.", link=None,
                                created_at=datetime.now(timezone.utc))
    envelope = Envelope.wrap(event, correlation_id="test").model_dump(mode="json")

    async def scenario() -> list[dict]:
        stream = NotificationStream(platform.amqp_uri)
        try:
            assert await stream.start(wait=20)
            subscription = stream.subscribe(user_id)
            for _ in range(2):
                await asyncio.to_thread(publish_raw, platform.amqp_uri, envelope, event.routing_key(), "notifications")
            received = [await asyncio.wait_for(subscription.queue.get(), 10)]
            await asyncio.sleep(1.5)  # time for a second copy to arrive, if it were pushed
            while not subscription.queue.empty():
                received.append(subscription.queue.get_nowait())
            return received
        finally:
            await stream.close()

    received = asyncio.run(scenario())
    assert [item["id"] for item in received] == [event.notification_id]
