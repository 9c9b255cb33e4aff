"""analytics: the stream carries no personal data, and every message matches its published JSON Schema."""
import json
import types
import typing
import uuid
from datetime import datetime, timezone

import jsonschema
import pytest

from services.analytics import handlers, privacy, stream_schemas
from services.analytics.privacy import Pseudonymizer, classify, is_classified, sanitize_payload
from shared.contracts import ALL_EVENTS, Envelope
from tests.unit.fakes import FakeAnalyticsUnitOfWork

NOW = datetime(2026, 3, 4, 9, 30, tzinfo=timezone.utc)
KEY = b"a test key that is long enough"
# What must never reach the stream, by field name (the brief's list and more).
PERSONAL_NAMES = {
    "email", "display_name", "title", "body", "message", "text", "bio", "reason", "detail", "location",
    "post_title", "description", "online_url", "link", "name", "session_id",
}


def sample_value(name: str, annotation, people: list[str]):
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = next(a for a in typing.get_args(annotation) if a is not type(None))
        return sample_value(name, inner, people)
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    if origin is list:
        return [sample_value(name, typing.get_args(annotation)[0], people) for _ in range(2)]
    if annotation is datetime:
        return NOW
    if annotation is bool:
        return True
    if annotation is int:
        return 3
    if classify(name) == "person":
        person = str(uuid.uuid4())
        people.append(person)
        return person
    if name == "agency_code":
        return "HDF-LILLE"
    if classify(name) == "dropped":
        return f"SECRET {name} Camille Dupont camille@exemple.fr"
    return f"{name}-{uuid.uuid4().hex[:6]}"


def sample_event(cls):
    people: list[str] = []
    values = {name: sample_value(name, info.annotation, people) for name, info in cls.model_fields.items()}
    return cls(**values), people


@pytest.fixture(scope="module")
def messages():
    """One stream message per contract, recorded through the real use case."""
    pseudonym = Pseudonymizer(KEY)
    out = []
    for cls in ALL_EVENTS:
        uow = FakeAnalyticsUnitOfWork()
        event, people = sample_event(cls)
        envelope = Envelope.wrap(event, correlation_id="req-1")
        message = handlers.record_event(uow, envelope, event, pseudonym, NOW)
        assert uow.stream.messages == [message]
        out.append((cls, event, people, message))
    return out


def test_every_contract_field_is_classified_for_the_stream():
    unclassified = sorted(
        f"{cls.event_type}.{name}" for cls in ALL_EVENTS for name in cls.model_fields if not is_classified(name)
    )
    assert unclassified == [], "classify these in services/analytics/privacy.py"


def test_known_personal_fields_are_dropped_not_kept():
    for name in PERSONAL_NAMES:
        assert classify(name) == "dropped", name


def test_every_contract_yields_a_stream_message(messages):
    assert {(m["event_type"], m["version"]) for *_, m in messages} == {(c.event_type, c.version) for c in ALL_EVENTS}


def test_no_personal_field_or_raw_person_id_in_any_stream_message(messages):
    for cls, event, people, message in messages:
        text = json.dumps(message)
        assert "SECRET" not in text and "camille" not in text.lower(), cls.event_type
        for person in people:
            assert person not in text, f"raw person id in {cls.event_type}"

        def walk(value, path):
            if isinstance(value, dict):
                for key, inner in value.items():
                    assert key not in PERSONAL_NAMES, f"{cls.event_type}: {path}{key}"
                    walk(inner, f"{path}{key}.")
            elif isinstance(value, list):
                for inner in value:
                    walk(inner, path)

        walk(message, "")


def test_no_raw_id_of_a_thing_in_any_stream_message_only_keyed_ones(messages):
    """A raw post id could be looked up through the public API and name its author."""
    pseudonym = Pseudonymizer(KEY)
    assert privacy.THING_ID_FIELDS == {name for cls in ALL_EVENTS for name in cls.model_fields
                                       if classify(name) == "kept" and name.endswith("_id")}
    for cls, event, people, message in messages:
        text = json.dumps(message["payload"])
        for name in privacy.THING_ID_FIELDS & set(cls.model_fields):
            raw = getattr(event, name)
            if raw is None:
                continue
            assert str(raw) not in text, f"raw {name} in {cls.event_type}"
            assert message["payload"][name] == pseudonym.thing(str(raw)), f"{cls.event_type}.{name}"
    assert pseudonym.thing("42")[2:] != pseudonym("42")[2:]  # the same id as a person and as a thing: unlinked


def test_people_become_stable_keyed_pseudonyms(messages):
    pseudonym = Pseudonymizer(KEY)
    for cls, event, people, message in messages:
        for name in cls.model_fields:
            if classify(name) == "person" and getattr(event, name) is not None:
                raw = getattr(event, name)
                expected = [pseudonym(p) for p in raw] if isinstance(raw, list) else pseudonym(raw)
                assert message["payload"][name] == expected
    assert Pseudonymizer(KEY)("42") == Pseudonymizer(KEY)("42")
    assert Pseudonymizer(KEY)("42") != Pseudonymizer(b"another key, also long enough")("42")


def test_each_stream_message_validates_against_its_published_schema(messages):
    for cls, _, _, message in messages:
        path = stream_schemas.SCHEMA_DIR / stream_schemas.file_name(cls.event_type, cls.version)
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(message)


def test_a_message_with_a_personal_field_fails_its_schema(messages):
    cls, _, _, message = next(m for m in messages if m[0].event_type == "posts.post_created")
    schema = json.loads((stream_schemas.SCHEMA_DIR / "posts.post_created.v1.json").read_text())
    leaked = {**message, "payload": {**message["payload"], "title": "Reconversion"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(leaked, schema)
    raw_actor = {**message, "actor": str(uuid.uuid4())}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(raw_actor, schema)


def test_published_stream_schemas_match_the_models():
    assert stream_schemas.problems() == []


def test_sanitize_keeps_things_and_times_and_drops_unknown_fields():
    out = sanitize_payload(
        {"post_id": "p1", "author_id": "u1", "title": "Bonjour", "created_at": "2026-01-01T00:00:00Z", "shoe_size": 42},
        Pseudonymizer(KEY),
    )
    assert out == {"post_id": "p1", "author_id": Pseudonymizer(KEY)("u1"), "created_at": "2026-01-01T00:00:00Z"}


def test_the_actor_is_who_did_it():
    assert privacy.actor_field("posts.answer_accepted", ["accepted_by", "question_author_id"]) == "accepted_by"
    assert privacy.actor_field("posts.post_created", ["author_id", "post_id"]) == "author_id"
    assert privacy.actor_field("moderation.content_screened", ["target_id"]) is None
