"""The dead letters are not an archive of personal data: parked events expire
(a message TTL policy set by the bootstrap, DEAD_LETTER_RETENTION_DAYS), and
erasing a member removes the parked events that mention them (the
dead-letter tool's `erase-member`, and identity's user_erased handler)."""
import json
import subprocess
import sys
import uuid
from urllib.parse import quote

import pytest
from kombu import Connection, Queue

from shared.messaging.amqp import DEAD_LETTER_QUEUE
from shared.messaging.consumer import QUORUM
from shared.messaging.dead_letter_erasure import mentions, remove_parked_mentioning
from shared.messaging.topology import management_api, put_dead_letter_policy, vhost_of
from shared.settings import REPO_ROOT
from stack.testing import service_env, wait_for

pytestmark = pytest.mark.integration


def park(amqp_uri: str, event_type: str, payload: dict, queue: str = DEAD_LETTER_QUEUE) -> str:
    """Put an envelope in the dead letters as the consumer parks one."""
    event_id = str(uuid.uuid4())
    envelope = {"event_id": event_id, "event_type": event_type, "version": 1, "occurred_at": "2026-03-01T12:00:00+00:00",
                "correlation_id": event_id, "payload": payload}
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange="", routing_key=queue, delivery_mode=2,
            headers={"x-error": "RuntimeError: boom", "x-original-queue": "evt-identity-user_registered--x.y"})
    return event_id


def parked_ids(amqp_uri: str) -> set[str]:
    """Event ids in the dead letters (read and put back)."""
    with Connection(amqp_uri) as conn:
        queue, held = Queue(DEAD_LETTER_QUEUE, channel=conn.channel(), no_declare=True), []
        while (message := queue.get(no_ack=False)) is not None:
            held.append(message)
        ids = {json.loads(m.body)["event_id"] for m in held}
        for m in held:
            m.requeue()
    return ids


def parked_mentioning(amqp_uri: str, needles: list[str]) -> list[str]:
    """Event ids of the parked messages that mention a needle (read and put back)."""
    with Connection(amqp_uri) as conn:
        queue, held = Queue(DEAD_LETTER_QUEUE, channel=conn.channel(), no_declare=True), []
        while (message := queue.get(no_ack=False)) is not None:
            held.append(message)
        found = [json.loads(m.body).get("event_id", "?") for m in held if mentions(m.body, m.headers, needles)]
        for m in held:
            m.requeue()
    return found


def queue_info(platform, name: str) -> dict:
    with management_api(platform.rabbitmq_management_url) as api:
        return api.get(f"/api/queues/{quote(vhost_of(platform.amqp_uri), safe='')}/{name}").json()


def test_the_bootstrap_gives_the_dead_letters_a_retention(platform):
    expected = int(platform.dead_letter_retention_days * 86_400_000)
    info = wait_for(lambda: (q := queue_info(platform, DEAD_LETTER_QUEUE)).get("effective_policy_definition") and q,
                    message="the dead letters' policy")
    assert info["effective_policy_definition"]["message-ttl"] == expected


def test_a_parked_message_past_the_retention_is_dropped(platform):
    """The same policy, one second long, on a quorum queue of its own (the real one keeps its messages)."""
    probe = f"dead-letters-probe-{uuid.uuid4().hex[:8]}"
    with Connection(platform.amqp_uri) as conn:
        Queue(probe, durable=True, queue_arguments=QUORUM)(conn.channel()).declare()
    put_dead_letter_policy(platform.rabbitmq_management_url, vhost_of(platform.amqp_uri), 1 / 86_400,
                           queue=probe, name=probe)
    wait_for(lambda: queue_info(platform, probe).get("effective_policy_definition"), message="the probe's policy")
    park(platform.amqp_uri, "identity.user_registered", {"email": "parti@exemple.fr"}, queue=probe)
    wait_for(lambda: queue_info(platform, probe).get("messages") == 0, timeout=60, interval=0.5,
             message="the parked message to expire")


def test_erasing_a_member_removes_their_parked_events_and_keeps_the_others(platform):
    member, email = str(uuid.uuid4()), f"{uuid.uuid4().hex[:8]}@exemple.fr"
    registered = park(platform.amqp_uri, "identity.user_registered",
                      {"user_id": member, "email": email, "display_name": "Zoé"})
    by_address = park(platform.amqp_uri, "posts.post_created", {"body": f"Écrivez-moi : {email}"})
    erased = park(platform.amqp_uri, "identity.user_erased", {"user_id": member})  # erasure needs it: kept
    other = park(platform.amqp_uri, "posts.post_created", {"author_id": str(uuid.uuid4()), "body": "Bonjour"})

    result = subprocess.run([sys.executable, "-m", "tools.dead_letters", "erase-member", member, "--email", email],
                            cwd=REPO_ROOT, env=service_env(platform), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"erased {registered}" in result.stdout and f"erased {by_address}" in result.stdout
    assert email not in result.stdout + result.stderr  # ids only in what it prints and logs
    left = parked_ids(platform.amqp_uri)
    assert {registered, by_address}.isdisjoint(left) and {erased, other} <= left
    assert remove_parked_mentioning(platform.amqp_uri, [member]) == []  # nothing more to remove
    remove_parked_mentioning(platform.amqp_uri, [other])  # leave the queue as found


def test_a_match_is_on_the_decoded_text_and_case_blind():
    raw = json.dumps({"payload": {"email": "Zoé.Martin@Exemple.fr"}}).encode()  # JSON escapes the é
    assert mentions(raw, {}, ["zoé.martin@exemple.fr"])
    assert not mentions(raw, {}, ["", "  "]) and not mentions(raw, {}, ["autre@exemple.fr"])
