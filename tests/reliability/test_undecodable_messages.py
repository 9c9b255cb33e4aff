"""A message that does not decode (bad JSON, a content type nameko does not
accept) on an event or an RPC queue is parked with its error; the service
keeps running and handles what comes next. RPC queues have a delivery limit."""
import time
from urllib.parse import quote

import pytest
from kombu import Connection

from shared.messaging.amqp import RPC_EXCHANGE, events_exchange, rpc_queue_name
from shared.messaging.topology import management_api, vhost_of
from stack.testing import db_connect, wait_for
from tests.reliability.test_dead_letters import dead_letters
from tests.reliability.test_idempotent_consumer import post_created, publish_raw

pytestmark = pytest.mark.integration

EVENT_QUEUE = "evt-posts-post_created--moderation.on_post_created"


def publish_bytes(amqp_uri: str, body: bytes, exchange: str, routing_key: str, content_type: str, **properties):
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(
            body, exchange=exchange, routing_key=routing_key, content_type=content_type,
            content_encoding="binary", delivery_mode=2, **properties,
        )


def parked_with(amqp_uri: str, marker: bytes, queue: str) -> list[dict]:
    return [headers for body, headers in _raw_dead_letters(amqp_uri) if marker in body
            and headers.get("x-original-queue") == queue]


def _raw_dead_letters(amqp_uri: str, drop=lambda body: False):
    """Every dead letter's (body, headers), each put back unless `drop(body)`."""
    from kombu import Queue

    from shared.messaging.amqp import DEAD_LETTER_QUEUE

    found = []
    with Connection(amqp_uri) as conn:
        queue = Queue(DEAD_LETTER_QUEUE, channel=conn.channel(), no_declare=True)
        messages = []
        while (message := queue.get(no_ack=False, accept=["application/json", "application/x-python-serialize",
                                                          "text/plain"])) is not None:
            messages.append(message)
        for message in messages:
            body = message.body if isinstance(message.body, bytes) else message.body.encode()
            found.append((body, message.headers))
            message.ack() if drop(body) else message.requeue()
    return found


MARKERS = (b"bad-json-1", b"pickled-1", b"bad-json-2")


@pytest.fixture(autouse=True)
def leave_no_undecodable_dead_letters(platform):
    """Later tests read the dead letters as JSON: what these tests park is
    taken out again, whatever they assert."""
    yield
    _raw_dead_letters(platform.amqp_uri, drop=lambda body: any(marker in body for marker in MARKERS))


def test_undecodable_events_are_parked_and_the_service_keeps_handling(platform, start_service):
    moderation = start_service("moderation")
    exchange = events_exchange("posts").name
    publish_bytes(platform.amqp_uri, b'{"event_id": "bad-json-1", ', exchange, "post_created", "application/json")
    publish_bytes(platform.amqp_uri, b"\x80\x04K\x01.pickled-1", exchange, "post_created",
                  "application/x-python-serialize")
    good = post_created("Un message ordinaire après des messages illisibles.")
    publish_raw(platform.amqp_uri, good, "post_created")

    def screened():
        with db_connect(platform, "moderation") as conn:
            return conn.execute(
                "SELECT count(*) FROM outbox WHERE event_type = 'moderation.content_screened' "
                "AND envelope->'payload'->>'target_id' = %s", (good["payload"]["post_id"],)
            ).fetchone()[0]

    wait_for(screened, timeout=15, interval=0.3, message="the next event to be handled")
    bad_json = wait_for(lambda: parked_with(platform.amqp_uri, b"bad-json-1", EVENT_QUEUE), timeout=10,
                        message="the bad JSON in the dead letters")[0]
    assert "undecodable" in bad_json["x-error"] and "application/json" in bad_json["x-error"]
    pickled = wait_for(lambda: parked_with(platform.amqp_uri, b"pickled-1", EVENT_QUEUE), timeout=10,
                       message="the pickle in the dead letters")[0]
    assert "undecodable" in pickled["x-error"] and "ContentDisallowed" in pickled["x-error"]
    assert moderation.proc.poll() is None


def test_an_undecodable_rpc_request_is_parked_and_the_service_keeps_answering(platform, start_service, rpc):
    moderation = start_service("moderation")
    publish_bytes(platform.amqp_uri, b'{"args": [], "kwargs": bad-json-2', RPC_EXCHANGE, "moderation.health",
                  "application/json", reply_to="nobody", correlation_id="c1")
    queue = rpc_queue_name("moderation")
    headers = wait_for(lambda: parked_with(platform.amqp_uri, b"bad-json-2", queue), timeout=10,
                       message="the bad RPC request in the dead letters")[0]
    assert "undecodable" in headers["x-error"]
    assert moderation.proc.poll() is None
    assert rpc().moderation.health() == {"status": "ok"}


def test_an_rpc_request_without_reply_to_is_dropped_and_the_service_keeps_answering(platform, start_service, rpc):
    # Answering it raised KeyError('reply_to') in nameko, which ended the container.
    moderation = start_service("moderation")
    publish_bytes(platform.amqp_uri, b'{"args": [], "kwargs": {}}', RPC_EXCHANGE, "moderation.health",
                  "application/json", correlation_id="no-reply-to")
    time.sleep(1)
    assert rpc().moderation.health() == {"status": "ok"}
    assert moderation.proc.poll() is None
    assert "RPC request without reply_to dropped" in moderation.logs()


def test_rpc_queues_have_a_delivery_limit_and_dead_letters(platform, start_service):
    start_service("moderation")
    path = f"/api/queues/{quote(vhost_of(platform.amqp_uri), safe='')}/{rpc_queue_name('moderation')}"

    def described():  # the management API fills a new queue's details in after a moment
        with management_api(platform.rabbitmq_management_url) as api:
            info = api.get(path).json()
        return info if info.get("effective_policy_definition") else None

    info = wait_for(described, timeout=20, interval=0.5, message="the queue's policy")
    assert info["type"] == "quorum"
    assert info["effective_policy_definition"]["delivery-limit"] == platform.event_redelivery_limit
    # No dead-letter exchange: RabbitMQ would park every expired request there.
    assert "dead-letter-exchange" not in info["effective_policy_definition"]
