"""Event contracts: the envelope and typed payloads."""
import json
import uuid
from datetime import datetime, timezone

import pytest

from shared.contracts import ALL_EVENTS, Envelope, parse_payload
from shared.contracts.moderation import ContentScreened
from shared.contracts.posts import PostCreated

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)


def post_created() -> PostCreated:
    return PostCreated(
        post_id=str(uuid.uuid4()), author_id=str(uuid.uuid4()), agency_code="HDF-LILLE", kind="question",
        title="Reconversion", body="Des conseils ?", topics=["logistique"], created_at=NOW,
    )


def test_wrap_fills_type_version_and_producer_from_the_contract():
    env = Envelope.wrap(post_created(), correlation_id="req-1")

    assert env.event_type == "posts.post_created"
    assert env.version == 1
    assert env.producer == "posts"
    assert env.routing_key == "post_created"
    assert env.correlation_id == "req-1"
    assert isinstance(env.event_id, uuid.UUID)


def test_wrap_gives_each_event_its_own_id():
    event = post_created()
    assert Envelope.wrap(event).event_id != Envelope.wrap(event).event_id


def test_wrapped_payload_is_json_safe():
    env = Envelope.wrap(post_created())

    json.dumps(env.payload)  # raises on datetimes or UUIDs left as objects
    assert env.payload["created_at"] == "2025-03-04T09:30:00Z"


def test_payload_survives_the_wire_round_trip():
    event = post_created()
    wire = Envelope.wrap(event).model_dump_json()

    assert parse_payload(Envelope.model_validate_json(wire)) == event


def test_parse_payload_of_unknown_event_type_raises():
    env = Envelope(event_type="posts.post_exploded", version=1, producer="posts", payload={})
    with pytest.raises(KeyError):
        parse_payload(env)


def test_parse_payload_of_unknown_version_raises():
    env = Envelope.wrap(post_created()).model_copy(update={"version": 99})
    with pytest.raises(KeyError):
        parse_payload(env)


def test_a_consumer_ignores_unknown_payload_fields_a_producer_cannot_emit_them():
    fields = dict(target_type="post", target_id="x", decision="publish", reasons=[], screened_at=NOW)
    env = Envelope.wrap(ContentScreened(**fields))
    env.payload["extra"] = 1
    assert parse_payload(env) == ContentScreened(**fields)
    with pytest.raises(ValueError):
        ContentScreened(**fields, extra=1)


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.__name__)
def test_event_types_follow_service_dot_noun_past_verb(cls):
    service, name = cls.event_type.split(".")
    assert service == cls.producer()
    assert "_" in name and name == name.lower()
